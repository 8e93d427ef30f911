#!/usr/bin/python3
"""Many connections from the kernel's TCP at once, and one register handed
from each to the next: what a multi-queue mbxdp must get right.

    mq_client.py HOST [--conns N] [--port P] [--register R]
    mq_client.py HOST --probe N [--timeout S]

The first form opens N connections (all held open at once, from N source
ports, so the sending veth's transmit queue selection spreads them over the
server's receive queues), then walks them in order: connection i reads
holding register R and must see the value connection i-1 wrote, then
writes its own. Connections on different queues are served by different
workers, so wherever two neighbours landed on different queues, a write
made through one worker is read through another in the very next request.
Finally it restores R (the default image holds R at R) and closes all.

The second form opens N connections with a SYN timeout of S seconds and
sends one read on each that connected; it prints how many were answered,
refused (a reset: the kernel answered for a queue mbxdp does not serve)
and timed out (dropped). Exits 0 when every check passed, 1 otherwise.
"""
import argparse
import socket
import struct
import sys


def request(sock, tid, pdu):
    sock.sendall(struct.pack(">HHHB", tid, 0, len(pdu) + 1, 1) + pdu)
    head = b""
    while len(head) < 7:
        chunk = sock.recv(7 - len(head))
        if not chunk:
            raise ConnectionError("closed by the server")
        head += chunk
    rtid, proto, length, unit = struct.unpack(">HHHB", head)
    body = b""
    while len(body) < length - 1:
        chunk = sock.recv(length - 1 - len(body))
        if not chunk:
            raise ConnectionError("closed by the server")
        body += chunk
    if rtid != tid or proto != 0 or unit != 1:
        raise ValueError("MBAP header %r for transaction %d" % (head, tid))
    return body


def read_reg(sock, tid, reg):
    body = request(sock, tid, struct.pack(">BHH", 3, reg, 1))
    if body[:2] != b"\x03\x02" or len(body) != 4:
        raise ValueError("read answered %s" % body.hex())
    return struct.unpack(">H", body[2:])[0]


def write_reg(sock, tid, reg, value):
    pdu = struct.pack(">BHH", 6, reg, value)
    body = request(sock, tid, pdu)
    if body != pdu:
        raise ValueError("write answered %s" % body.hex())


def chain(args):
    conns = []
    at = 0
    try:
        for _ in range(args.conns):
            s = socket.create_connection((args.host, args.port), timeout=5)
            conns.append(s)
        reg = args.register
        write_reg(conns[0], 1, reg, 1)
        for i in range(1, len(conns)):
            at = i
            got = read_reg(conns[i], 2, reg)
            if got != i:
                print("FAIL: connection %d read %d, connection %d wrote %d" % (i, got, i - 1, i))
                return 1
            write_reg(conns[i], 3, reg, i + 1)
        write_reg(conns[-1], 4, reg, reg)
    except (OSError, ValueError) as e:
        print("FAIL: connection %d of %d: %s" % (at or len(conns), args.conns, e))
        return 1
    finally:
        for s in conns:
            s.close()
    print("%d connections answered; each read what the one before wrote" % args.conns)
    return 0


def probe(args):
    answered = refused = timed_out = 0
    socks = []
    for _ in range(args.probe):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # One SYN, no retransmission: a dropped SYN times out in S seconds.
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 1)
        s.settimeout(args.timeout)
        try:
            s.connect((args.host, args.port))
            read_reg(s, 1, 0)
            answered += 1
        except ConnectionRefusedError:
            refused += 1
        except (socket.timeout, TimeoutError):
            timed_out += 1
        socks.append(s)
    for s in socks:
        s.close()
    print("answered %d refused %d timed_out %d" % (answered, refused, timed_out))
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("--port", type=int, default=502)
    ap.add_argument("--conns", type=int, default=400)
    ap.add_argument("--register", type=int, default=3000)
    ap.add_argument("--probe", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=1.0)
    args = ap.parse_args()
    return probe(args) if args.probe else chain(args)


if __name__ == "__main__":
    sys.exit(main())
