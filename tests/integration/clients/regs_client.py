#!/usr/bin/python3
"""Reads or writes a running mbxdp's live registers through the access
library (libmbxdp_regs, regs/mbx_regs.h) with ctypes, as any process may.

  regs_client.py LIB NAME get IP UNIT ADDR COUNT      prints the values
  regs_client.py LIB NAME set IP UNIT ADDR VALUE...   one update, seen whole

Holding registers only: what the integration test needs."""
import ctypes
import socket
import struct
import sys

HOLDING_REGISTERS = 2  # enum mbx_regs_table_id


class Regs(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("size", ctypes.c_size_t), ("fd", ctypes.c_int)]


def main():
    lib_path, name, op, ip, unit, addr = sys.argv[1:7]
    lib = ctypes.CDLL(lib_path)
    lib.mbx_regs_find.restype = ctypes.c_void_p
    lib.mbx_regs_find.argtypes = [ctypes.POINTER(Regs), ctypes.c_uint32, ctypes.c_uint8]
    regs = Regs()
    err = ctypes.create_string_buffer(256)
    if lib.mbx_regs_open(ctypes.byref(regs), name.encode(), err, len(err)) != 0:
        sys.exit("regs_client: " + err.value.decode())
    # Network order, as the store keeps addresses: the bytes as on the wire.
    net_addr = struct.unpack("=I", socket.inet_aton(ip))[0]
    u = lib.mbx_regs_find(ctypes.byref(regs), net_addr, int(unit))
    if not u:
        sys.exit(f"regs_client: no unit {unit} on {ip}")
    args = sys.argv[7:]
    n = int(args[0]) if op == "get" else len(args)
    values = (ctypes.c_uint16 * n)(*([] if op == "get" else [int(v) for v in args]))
    fn = lib.mbx_regs_read if op == "get" else lib.mbx_regs_write
    rc = fn(ctypes.byref(regs), ctypes.c_void_p(u), HOLDING_REGISTERS, int(addr), n, values)
    if rc != 0:
        sys.exit(f"regs_client: {op} failed ({rc})")
    if op == "get":
        print(" ".join(str(v) for v in values))
    lib.mbx_regs_close(ctypes.byref(regs))


if __name__ == "__main__":
    main()
