#!/usr/bin/python3
"""Modbus/TCP client on pymodbus 3.0 (Debian's python3-pymodbus).

Reads and writes with function codes 01..06, 0F and 10 through pymodbus's
synchronous ModbusTcpClient and checks the answers against the server's
default image (register i holds i, coil/discrete input i holds i & 1). It
writes only at addresses 3000..3099 and restores them.

Usage: /usr/bin/python3 pymodbus_client.py HOST [--port P]
Exits 0 when everything matched, 1 with a FAIL line on the first mismatch.
"""

import argparse
import logging
import sys

from pymodbus.client import ModbusTcpClient

UNIT = 1
WRITE_BASE = 3000  # this client's scratch addresses; other clients use others


class Mismatch(Exception):
    pass


def ok(rr, what):
    # pymodbus returns an ExceptionResponse or a ModbusIOException object
    # (not an exception raised) when the server answers badly or not at all.
    if rr is None or rr.isError():
        raise Mismatch(f"{what}: {rr}")
    return rr


def regs(client, fc, addr, count):
    read = client.read_holding_registers if fc == 3 else client.read_input_registers
    return ok(read(addr, count, slave=UNIT), f"FC{fc:02X} read {count} at {addr}").registers


def bits(client, fc, addr, count):
    read = client.read_coils if fc == 1 else client.read_discrete_inputs
    # .bits is padded to whole bytes; the padding is checked by the raw client.
    return ok(read(addr, count, slave=UNIT), f"FC{fc:02X} read {count} at {addr}").bits[:count]


def expect(got, want, what):
    if list(got) != list(want):
        raise Mismatch(f"{what}: got {list(got)[:16]}, want {list(want)[:16]}")


def run(client):
    for fc in (3, 4):
        for addr, count in ((0, 10), (20000, 125), (65536 - 10, 10)):
            expect(regs(client, fc, addr, count), range(addr, addr + count),
                   f"FC{fc:02X} read {count} at {addr}")
    for fc in (1, 2):
        for addr, count in ((0, 16), (7, 2000), (65536 - 5, 5)):
            expect(bits(client, fc, addr, count), [bool((addr + i) & 1) for i in range(count)],
                   f"FC{fc:02X} read {count} at {addr}")

    a = WRITE_BASE
    ok(client.write_register(a, 0xCAFE, slave=UNIT), "FC06 write")
    expect(regs(client, 3, a, 2), [0xCAFE, a + 1], "FC06 read back")
    expect(regs(client, 4, a, 1), [a], "FC06 must not change input registers")
    ok(client.write_register(a, a, slave=UNIT), "FC06 restore")
    expect(regs(client, 3, a, 1), [a], "FC06 restore read back")

    vals = [7, 0xFFFF, 0, 0x8000]
    ok(client.write_registers(a + 1, vals, slave=UNIT), "FC10 write")
    expect(regs(client, 3, a, 6), [a] + vals + [a + 5], "FC10 read back")
    ok(client.write_registers(a + 1, list(range(a + 1, a + 5)), slave=UNIT), "FC10 restore")
    expect(regs(client, 3, a, 6), range(a, a + 6), "FC10 restore read back")

    ok(client.write_coil(a, True, slave=UNIT), "FC05 ON")  # coil 3000: 0 by default
    expect(bits(client, 1, a, 2), [True, True], "FC05 ON read back")
    expect(bits(client, 2, a, 1), [False], "FC05 must not change discrete inputs")
    ok(client.write_coil(a, False, slave=UNIT), "FC05 OFF")
    expect(bits(client, 1, a, 1), [False], "FC05 OFF read back")

    pattern = [True, False, False, True, True, True, False, True, False]
    ok(client.write_coils(a + 2, pattern, slave=UNIT), "FC0F write")
    expect(bits(client, 1, a + 1, len(pattern) + 2), [True] + pattern + [True],
           "FC0F read back")
    default = [bool((a + 2 + i) & 1) for i in range(len(pattern))]
    ok(client.write_coils(a + 2, default, slave=UNIT), "FC0F restore")
    expect(bits(client, 1, a + 2, len(pattern)), default, "FC0F restore read back")

    rr = client.read_holding_registers(65535, 2, slave=UNIT)
    if not rr.isError() or getattr(rr, "exception_code", None) != 2:
        raise Mismatch(f"FC03 read 2 at 65535: want exception 02, got {rr}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("host")
    ap.add_argument("--port", type=int, default=502)
    args = ap.parse_args()
    logging.disable(logging.CRITICAL)  # pymodbus logs its retries; we report ourselves
    client = ModbusTcpClient(args.host, port=args.port, timeout=2, retries=0)
    try:
        if not client.connect():
            print(f"FAIL: pymodbus_client: cannot connect to {args.host}:{args.port}",
                  file=sys.stderr)
            return 1
        run(client)
    except Mismatch as e:
        print(f"FAIL: pymodbus_client: {e}", file=sys.stderr)
        return 1
    finally:
        client.close()
    print("pymodbus_client: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
