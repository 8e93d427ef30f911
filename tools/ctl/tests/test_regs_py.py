#!/usr/bin/python3
"""The Python module mbxdp (python/mbxdp) against register stores built the
way mbxdp builds them (regs_fixture): reads, writes, updates that land
whole or not at all, the choice of server and unit, errors, and - with a
writer process hammering 100-register blocks - that no read is torn.

  test_regs_py.py BUILD_DIR     (PYTHONPATH=BUILD_DIR/python set by meson)
"""
import multiprocessing
import os
import struct
import subprocess
import sys
import time
import unittest

import craft_store
import mbxdp

BUILD = None
HERE = os.path.dirname(os.path.abspath(__file__))


def start_fixture(name, *config):
    proc = subprocess.Popen([os.path.join(BUILD, "tools/ctl/tests/regs_fixture"), name, *config],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline()
    if line.strip() != "ready":
        raise RuntimeError(f"regs_fixture {name}: {line}{proc.stdout.read()}")
    return proc


def stop_fixture(proc):
    proc.terminate()
    proc.wait(10)
    proc.stdout.close()


def ctl(name, *args):
    return subprocess.run([os.path.join(BUILD, "tools/ctl/mbxdp-ctl"), "--name", name, *args],
                          capture_output=True, text=True, check=True).stdout


class DefaultModel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.name = f"mbxV-py-{os.getpid()}"
        cls.fixture = start_fixture(cls.name)
        cls.store = mbxdp.Store(cls.name)
        cls.unit = cls.store.unit()

    @classmethod
    def tearDownClass(cls):
        cls.store.close()
        stop_fixture(cls.fixture)

    def test_reads_the_default_image(self):
        self.assertEqual(self.unit.read("holding-registers", 65530, 6), list(range(65530, 65536)))
        self.assertEqual(self.unit.read("di", 8, 4), [0, 1, 0, 1])
        self.assertEqual(self.unit.unit_id, 1)
        self.assertTrue(self.store.alive())

    def test_write_is_seen_by_mbxdp_ctl(self):
        self.unit.write("input-registers", 40000, [0xCAFE, 1])
        self.assertEqual(ctl(self.name, "get", "ir", "40000", "2"),
                         "input-registers[40000] = 51966 (0xcafe)\n"
                         "input-registers[40001] = 1 (0x0001)\n")

    def test_mbxdp_ctl_set_is_seen(self):
        ctl(self.name, "set", "co", "5000", "1", "1", "0")
        self.assertEqual(self.unit.read("coils", 4999, 4), [1, 1, 1, 0])

    def test_update_lands_whole(self):
        with self.unit.update() as up:
            up.write("hr", 100, [7, 8])
            up.write("di", 100, [1])
        self.assertEqual(self.unit.read("hr", 100, 2), [7, 8])
        self.assertEqual(self.unit.read("di", 100, 1), [1])

    def test_update_with_a_bad_range_writes_nothing(self):
        with self.assertRaises(mbxdp.RangeError):
            with self.unit.update() as up:
                up.write("hr", 200, [1])
                up.write("hr", 65535, [1, 2])
        self.assertEqual(self.unit.read("hr", 200, 1), [200])

    def test_errors(self):
        with self.assertRaises(mbxdp.RangeError):
            self.unit.read("hr", 65535, 2)
        with self.assertRaises(ValueError):
            self.unit.write("coils", 0, [2])
        with self.assertRaises(ValueError):
            self.unit.write("hr", 0, [65536])
        with self.assertRaises(ValueError):
            self.unit.read("holding", 0)
        with self.assertRaisesRegex(mbxdp.RegsError, "is an mbxdp with --name mbxV-none"):
            mbxdp.Store(f"mbxV-none-{os.getpid()}")


class TwoServers(unittest.TestCase):
    def test_choice_of_server_and_unit(self):
        name = f"mbxV-py2-{os.getpid()}"
        fixture = start_fixture(name, os.path.join(HERE, "two_servers.yaml"))
        try:
            with mbxdp.Store(name) as store:
                with self.assertRaisesRegex(mbxdp.RegsError, "2 servers"):
                    store.unit()
                with self.assertRaisesRegex(mbxdp.RegsError, r"2 units: .*\(unit id: 0 1 2 255\)"):
                    store.unit(server="198.18.0.1")
                with self.assertRaisesRegex(mbxdp.RegsError, "no unit 3"):
                    store.unit(server="198.18.0.1", unit=3)
                u = store.unit(server="198.18.0.2")
                self.assertEqual((u.unit_id, u.read("hr", 1000, 2)), (7, [1000, 1001]))
                with self.assertRaises(mbxdp.RangeError):
                    u.read("coils", 0)  # unit 7 has no coils
                u2 = store.unit(server="198.18.0.1", unit=2)
                u2.write("ir", 105, [99])
                self.assertEqual(u2.read("ir", 104, 3), [0, 99, 0])
        finally:
            stop_fixture(fixture)


BLOCK = 100


def hammer(name, seconds):
    """Writes 100-register blocks, every register the block's generation."""
    with mbxdp.Store(name) as store:
        unit = store.unit()
        gen, end = 0, time.monotonic() + seconds
        while time.monotonic() < end:
            gen = (gen + 1) & 0xFFFF
            if gen & 1:
                unit.write("hr", 1000, [gen] * BLOCK)
            else:
                with unit.update() as up:
                    up.write("hr", 1000, [gen] * (BLOCK // 2))
                    up.write("hr", 1000 + BLOCK // 2, [gen] * (BLOCK // 2))


class NoTornRead(unittest.TestCase):
    def test_reads_of_a_block_under_writes_are_whole(self):
        name = f"mbxV-py3-{os.getpid()}"
        fixture = start_fixture(name)
        writer = multiprocessing.Process(target=hammer, args=(name, 3.0))
        try:
            with mbxdp.Store(name) as store:
                unit = store.unit()
                unit.write("hr", 1000, [0] * BLOCK)  # generation 0
                writer.start()
                reads, seen = 0, set()
                while writer.is_alive() or reads == 0:
                    block = unit.read("hr", 1000, BLOCK)
                    self.assertEqual(block, [block[0]] * BLOCK, "a torn read")
                    reads += 1
                    seen.add(block[0])
                writer.join(10)
                self.assertEqual(writer.exitcode, 0)
                # Not vacuous: the reads saw many generations go by.
                self.assertGreater(len(seen), 10)
                print(f"\n{reads} reads of {BLOCK} registers, {len(seen)} generations seen, "
                      "none torn", file=sys.stderr)
        finally:
            if writer.is_alive():
                writer.terminate()
            stop_fixture(fixture)


class CraftedStores(unittest.TestCase):
    """Stores a hostile writer of /dev/shm could leave (craft_store.py): the
    module refuses each with RegsError naming the file, and a store
    rewritten after it was opened is never followed out of the file."""

    def setUp(self):
        self.name = f"mbxV-pycraft-{os.getpid()}"
        self.path = f"/dev/shm/{self.name}.regs"

    def tearDown(self):
        if os.path.exists(self.path):
            os.unlink(self.path)

    def test_valid_store_reads(self):
        craft_store.write(self.path, "valid")
        with mbxdp.Store(self.name) as store:
            self.assertEqual(store.unit().read("hr", 0, 16), list(range(16)))

    def test_hostile_stores_refused(self):
        for kind in craft_store.KINDS:
            if kind == "valid":
                continue
            with self.subTest(kind=kind):
                craft_store.write(self.path, kind)
                with self.assertRaisesRegex(mbxdp.RegsError, f"^{self.path}: "):
                    mbxdp.Store(self.name)

    def test_offsets_rewritten_after_open(self):
        craft_store.write(self.path, "valid")
        with mbxdp.Store(self.name) as store:
            unit = store.unit()
            with open(self.path, "r+b") as f:  # the holding registers' offset, past the end
                f.seek(craft_store.UNITS_OFF + 16 + 16 * craft_store.HR)
                f.write(struct.pack("<Q", craft_store.SIZE - 8))
            with self.assertRaises(mbxdp.RangeError):
                unit.read("hr", 0, 16)
            with self.assertRaises(mbxdp.RangeError):
                unit.write("hr", 0, [1] * 16)


if __name__ == "__main__":
    BUILD = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
