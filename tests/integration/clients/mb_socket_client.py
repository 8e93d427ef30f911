#!/usr/bin/env python3
"""Raw Modbus/TCP client on plain sockets (stdlib only).

Speaks the wire format byte by byte, so it checks what a library would hide:
echoed transaction and unit ids, exact exception codes, two requests in one
segment, one request split over two segments. It expects the server's default
image (register i holds i, coil/discrete input i holds i & 1) and writes only
at addresses 1000..1099, restoring them before it exits.

Usage: mb_socket_client.py HOST [--port P]
Exits 0 when everything matched, 1 with a FAIL line on the first mismatch.
"""

import argparse
import socket
import struct
import sys
import time

TIMEOUT_S = 2.0
WRITE_BASE = 1000  # this client's scratch addresses; other clients use others


class Mismatch(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Mismatch(what)


def adu(tid, unit, pdu):
    # MBAP header (Modbus Messaging on TCP/IP Implementation Guide v1.0b,
    # 3.1.3): transaction id, protocol id 0, length = unit id + PDU.
    return struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise Mismatch(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def recv_adu(sock):
    """Returns (tid, unit, pdu) of one response."""
    head = recv_exact(sock, 7)
    tid, proto, length, unit = struct.unpack(">HHHB", head)
    check(proto == 0, f"protocol id {proto} in response, want 0")
    check(2 <= length <= 254, f"MBAP length {length} out of range")
    return tid, unit, recv_exact(sock, length - 1)


class Client:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT_S)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.tid = 0

    def next_tid(self):
        # Start high so a 16-bit field written little-endian would show.
        self.tid = (self.tid + 0x0101) & 0xFFFF
        return self.tid

    def transact(self, pdu, unit=1):
        tid = self.next_tid()
        self.sock.sendall(adu(tid, unit, pdu))
        rtid, runit, rpdu = recv_adu(self.sock)
        check(rtid == tid, f"transaction id {rtid:#06x} echoed, sent {tid:#06x}")
        check(runit == unit, f"unit id {runit} echoed, sent {unit}")
        return rpdu

    def close(self):
        self.sock.close()


def hexs(b):
    return b.hex(" ")


def expect_ok(pdu, fc, what):
    check(len(pdu) >= 1, f"{what}: empty PDU")
    if pdu[0] == fc | 0x80:
        raise Mismatch(f"{what}: exception {pdu[1] if len(pdu) > 1 else '?'} ({hexs(pdu)})")
    check(pdu[0] == fc, f"{what}: function code {pdu[0]:#04x}, want {fc:#04x} ({hexs(pdu)})")


def read_regs(c, fc, addr, qty, unit=1):
    what = f"FC{fc:02X} read {qty} at {addr}"
    pdu = c.transact(struct.pack(">BHH", fc, addr, qty), unit)
    expect_ok(pdu, fc, what)
    check(len(pdu) == 2 + 2 * qty and pdu[1] == 2 * qty,
          f"{what}: byte count/length wrong ({hexs(pdu)})")
    return list(struct.unpack(f">{qty}H", pdu[2:]))


def read_bits(c, fc, addr, qty):
    what = f"FC{fc:02X} read {qty} at {addr}"
    pdu = c.transact(struct.pack(">BHH", fc, addr, qty))
    expect_ok(pdu, fc, what)
    nbytes = (qty + 7) // 8
    check(len(pdu) == 2 + nbytes and pdu[1] == nbytes,
          f"{what}: byte count/length wrong ({hexs(pdu)})")
    bits = [(pdu[2 + i // 8] >> (i % 8)) & 1 for i in range(nbytes * 8)]
    # Modbus Application Protocol v1.1b3, 6.1: unused bits of the last byte are zero.
    check(not any(bits[qty:]), f"{what}: padding bits not zero ({hexs(pdu)})")
    return bits[:qty]


def pack_bits(bits):
    out = bytearray((len(bits) + 7) // 8)
    for i, b in enumerate(bits):
        if b:
            out[i // 8] |= 1 << (i % 8)
    return bytes(out)


def write_single(c, fc, addr, value):
    what = f"FC{fc:02X} write {value:#06x} at {addr}"
    req = struct.pack(">BHH", fc, addr, value)
    pdu = c.transact(req)
    expect_ok(pdu, fc, what)
    check(pdu == req, f"{what}: response {hexs(pdu)} is not the request echoed")


def write_multiple_regs(c, addr, values):
    what = f"FC10 write {len(values)} at {addr}"
    pdu = c.transact(struct.pack(f">BHHB{len(values)}H", 0x10, addr, len(values),
                                 2 * len(values), *values))
    expect_ok(pdu, 0x10, what)
    check(pdu == struct.pack(">BHH", 0x10, addr, len(values)),
          f"{what}: response {hexs(pdu)}")


def write_multiple_coils(c, addr, bits):
    what = f"FC0F write {len(bits)} at {addr}"
    data = pack_bits(bits)
    pdu = c.transact(struct.pack(">BHHB", 0x0F, addr, len(bits), len(data)) + data)
    expect_ok(pdu, 0x0F, what)
    check(pdu == struct.pack(">BHH", 0x0F, addr, len(bits)),
          f"{what}: response {hexs(pdu)}")


def expect_exception(c, req, code, what):
    pdu = c.transact(req)
    want = bytes([req[0] | 0x80, code])
    check(pdu == want, f"{what}: got {hexs(pdu)}, want exception {hexs(want)}")


def default_bits(addr, qty):
    return [(addr + i) & 1 for i in range(qty)]


def default_regs(addr, qty):
    return [addr + i for i in range(qty)]


def test_reads(c):
    for fc in (0x03, 0x04):
        for addr, qty in ((0, 10), (0, 1), (12345, 125), (65536 - 10, 10)):
            got = read_regs(c, fc, addr, qty)
            check(got == default_regs(addr, qty),
                  f"FC{fc:02X} read {qty} at {addr}: got {got[:8]}..., want {addr}, {addr + 1}, ...")
    for fc in (0x01, 0x02):
        for addr, qty in ((0, 1), (1, 1), (5, 20), (100, 2000), (65536 - 13, 13)):
            got = read_bits(c, fc, addr, qty)
            check(got == default_bits(addr, qty),
                  f"FC{fc:02X} read {qty} at {addr}: got {got[:16]}..., want i & 1")


def test_unit_ids(c):
    # Every unit id is answered, and echoed (Implementation Guide 4.4.1.1).
    for unit in (0, 1, 17, 247, 255):
        got = read_regs(c, 0x03, 7, 1, unit)
        check(got == [7], f"unit {unit}: FC03 read 1 at 7 got {got}")


def test_writes(c):
    a = WRITE_BASE
    write_single(c, 0x06, a, 0xBEEF)
    check(read_regs(c, 0x03, a, 1) == [0xBEEF], "FC06 write not read back")
    check(read_regs(c, 0x04, a, 1) == [a], "FC06 write changed the input register")
    write_single(c, 0x06, a, a)
    check(read_regs(c, 0x03, a, 1) == [a], "FC06 restore not read back")

    vals = [0x1111, 0x2222, 0xFFFF, 0x0000, 0x8001]
    write_multiple_regs(c, a + 1, vals)
    got = read_regs(c, 0x03, a, 7)
    check(got == [a] + vals + [a + 6], f"FC10 read back {got}")
    write_multiple_regs(c, a + 1, default_regs(a + 1, len(vals)))
    check(read_regs(c, 0x03, a + 1, len(vals)) == default_regs(a + 1, len(vals)),
          "FC10 restore not read back")

    write_single(c, 0x05, a, 0xFF00)  # coil a is even: 0 by default
    check(read_bits(c, 0x01, a, 2) == [1, 1], "FC05 ON not read back")
    check(read_bits(c, 0x02, a, 1) == [0], "FC05 changed the discrete input")
    write_single(c, 0x05, a, 0x0000)
    check(read_bits(c, 0x01, a, 1) == [0], "FC05 OFF not read back")

    pattern = [1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0]
    write_multiple_coils(c, a + 3, pattern)
    got = read_bits(c, 0x01, a + 2, len(pattern) + 2)
    want = [0] + pattern + [(a + 3 + len(pattern)) & 1]
    check(got == want, f"FC0F read back {got}, want {want}")
    write_multiple_coils(c, a + 3, default_bits(a + 3, len(pattern)))
    check(read_bits(c, 0x01, a, 20) == default_bits(a, 20), "FC0F restore not read back")


def test_exceptions(c):
    # Modbus Application Protocol v1.1b3, 7: exception codes 01, 02, 03.
    expect_exception(c, bytes([0x09]), 0x01, "FC09 (not served)")
    expect_exception(c, bytes([0x41, 0x0E, 0x01, 0x00]), 0x01, "FC41 (not served)")
    expect_exception(c, struct.pack(">BHH", 0x03, 0, 126), 0x03, "FC03 quantity 126")
    expect_exception(c, struct.pack(">BHH", 0x03, 0, 0), 0x03, "FC03 quantity 0")
    expect_exception(c, struct.pack(">BHH", 0x01, 0, 2001), 0x03, "FC01 quantity 2001")
    expect_exception(c, struct.pack(">BHH", 0x03, 65535, 2), 0x02, "FC03 past the end")
    expect_exception(c, struct.pack(">BHH", 0x05, WRITE_BASE, 0x1234), 0x03,
                     "FC05 value 0x1234")
    # The connection still serves after exceptions.
    check(read_regs(c, 0x03, 3, 2) == [3, 4], "read after exceptions")


def test_pipelined(c):
    # Two requests in one send(): both answered, in order (Implementation
    # Guide 4.2: the server may receive several transactions at once).
    t1, t2 = c.next_tid(), c.next_tid()
    c.sock.sendall(adu(t1, 1, struct.pack(">BHH", 0x03, 40, 3)) +
                   adu(t2, 1, struct.pack(">BHH", 0x04, 50, 2)))
    for tid, fc, vals in ((t1, 0x03, [40, 41, 42]), (t2, 0x04, [50, 51])):
        rtid, _, pdu = recv_adu(c.sock)
        check(rtid == tid, f"pipelined: transaction {rtid:#06x} answered, want {tid:#06x}")
        want = struct.pack(f">BB{len(vals)}H", fc, 2 * len(vals), *vals)
        check(pdu == want, f"pipelined: got {hexs(pdu)}, want {hexs(want)}")


def test_split(c):
    # One ADU over two segments: TCP is a byte stream, the server must
    # reassemble (Implementation Guide 4.2.1).
    tid = c.next_tid()
    req = adu(tid, 1, struct.pack(">BHH", 0x03, 60, 4))
    for cut in (5, 9):
        c.sock.sendall(req[:cut])
        time.sleep(0.2)
        c.sock.sendall(req[cut:])
        rtid, _, pdu = recv_adu(c.sock)
        check(rtid == tid, f"split at {cut}: transaction {rtid:#06x}, want {tid:#06x}")
        check(pdu == struct.pack(">BB4H", 0x03, 8, 60, 61, 62, 63),
              f"split at {cut}: got {hexs(pdu)}")


TESTS = (test_reads, test_unit_ids, test_writes, test_exceptions, test_pipelined, test_split)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("host")
    ap.add_argument("--port", type=int, default=502)
    args = ap.parse_args()
    try:
        c = Client(args.host, args.port)
        try:
            for t in TESTS:
                t(c)
                print(f"ok: {t.__name__}")
        finally:
            c.close()
    except Mismatch as e:
        print(f"FAIL: mb_socket_client: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"FAIL: mb_socket_client: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print("mb_socket_client: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
