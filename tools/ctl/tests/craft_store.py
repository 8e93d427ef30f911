#!/usr/bin/python3
"""Writes a register store file (regs/mbx_regs.h, layout version 2) by
hand: a valid one, or one crafted the way a hostile writer of /dev/shm
could, for the readers' checks (mbxdp-ctl, libmbxdp_regs, Python).

  craft_store.py PATH KIND      KIND: one of KINDS below

The valid store: one server on every address, unit 1 (also 0 and 255) with
16 holding registers from 0 holding 0..15 and 16 coils.
"""
import struct
import sys

MAGIC = 0x5347455244584D42
HEADER = struct.Struct("<QIIQIIQQIIII")  # struct mbx_regs_header
SERVER_SIZE = 8 + 256 * 4 + 16  # addresses, units, unit index, IPv6 address
VERSION = 2
UNIT_SIZE = 128  # 16 bytes, 5 tables of 16, aligned to 64
SIZE = 4096
SERVERS_OFF = 64
UNITS_OFF = 1152
DATA_OFF = UNITS_OFF + UNIT_SIZE
HR, COILS = 2, 0

# What each kind changes: header fields, the unit's table, the file's length.
KINDS = {
    "valid": {},
    "truncated": {"length": 2000},
    "table-past-end": {"table": (SIZE - 8, 0, 16)},
    "huge-count": {"table": (DATA_OFF, 0, 0xFFFFFFFF)},
    "table-over-records": {"table": (UNITS_OFF, 0, 16)},
    "overlapping-records": {"units_off": SERVERS_OFF},
    "huge-unit-count": {"n_units": 0x7FFFFFFF},
    "servers-past-end": {"servers_off": 0xFFFFFFFFFFFFFF00},
    "unit-index-past-units": {"unit_index": 7},
    "wrong-size": {"total_size": SIZE * 2},
}


def craft(kind):
    k = KINDS[kind]
    buf = bytearray(SIZE)
    HEADER.pack_into(buf, 0, MAGIC, VERSION, HEADER.size, k.get("total_size", SIZE), 1,
                     k.get("n_units", 1), k.get("servers_off", SERVERS_OFF),
                     k.get("units_off", UNITS_OFF), SERVER_SIZE, UNIT_SIZE, 0, 0)
    index = [0xFFFFFFFF] * 256
    index[0] = index[1] = index[255] = k.get("unit_index", 0)
    struct.pack_into("<II256I", buf, SERVERS_OFF, 0, 1, *index)
    struct.pack_into("<IIB", buf, UNITS_OFF, 0, 0, 1)
    table = k.get("table", (DATA_OFF, 0, 16))
    struct.pack_into("<QII", buf, UNITS_OFF + 16 + 16 * HR, *table)
    struct.pack_into("<QII", buf, UNITS_OFF + 16 + 16 * COILS, DATA_OFF + 32, 0, 16)
    struct.pack_into(">16H", buf, DATA_OFF, *range(16))
    return bytes(buf[:k.get("length", SIZE)])


def write(path, kind):
    with open(path, "wb") as f:
        f.write(craft(kind))


if __name__ == "__main__":
    write(sys.argv[1], sys.argv[2])
