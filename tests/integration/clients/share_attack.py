#!/usr/bin/env python3
"""A client's latency while another source attacks mbxdp's buffer pools.

Expects mbxdp started with --max-conns 1024 (576 send blocks, 320 ADU
buffers) and this host holding the addresses VICTIM and ATTACKER. The victim
(kernel TCP from VICTIM) times runs of N FC 03 reads, each sent whole or
split in two segments (5 bytes, then the other 7):
  baseline   no attack, one run of each;
  zero window  250 connections from ATTACKER, each with the smallest
             receive buffer the kernel allows and never reading, send 121
             pipelined reads of 125 registers (31 KB of answers) and then
             FIN; their kernel answers window probes with a zero window.
             RUNS runs of each;
  split      320 connections from ATTACKER each send 5 bytes of a request
             and nothing more. RUNS runs of each;
  baseline   no attack again, one run of each.
Every answer must come, correct. The normal latency of a kind of request
is the slower of its two baselines' slowest answers; under each attack,
one of the RUNS runs must have every answer within LIMIT_MS of it. On a
shared machine the client or the server is sometimes not scheduled for
some ms, in the baselines as under attack, which a repeat does not meet at
the same place; an attack that starves the victim slows, loses or resets
every run. Prints the figures; exits 1 with a FAIL line when a check fails.

Usage: share_attack.py SERVER VICTIM ATTACKER
"""

import socket
import struct
import sys
import time

N = 200
LIMIT_MS = 10.0
RUNS = 3
TIMEOUT_S = 2.0
KIND = {False: "whole", True: "split"}
ZERO_WINDOW_CONNS = 250
SPLIT_CONNS = 320


class Failed(Exception):
    pass


def connect(server, src, rcvbuf=None, timeout=TIMEOUT_S):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        # Before connect, so the handshake already offers the small window.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect((server, 502))
    return s


def read_req(tid, addr, count):
    return struct.pack(">HHHBBHH", tid, 0, 6, 1, 3, addr, count)


def answer(s, tid, addr):
    """Reads the answer to read_req(tid, addr, 1) and checks it."""
    head = b""
    while len(head) < 11:
        chunk = s.recv(11 - len(head))
        if not chunk:
            raise Failed(f"end of stream waiting for tid {tid}")
        head += chunk
    rtid, _, _, _, fc, n, value = struct.unpack(">HHHBBBH", head)
    if rtid != tid or fc != 3 or n != 2 or value != addr:
        raise Failed(f"bad answer {head.hex()} to tid {tid}")


def timed(s, split, first_tid):
    """Latencies (ms) of N requests on s, whole or split in two segments."""
    out = []
    for i in range(N):
        tid = (first_tid + i) & 0xFFFF
        req = read_req(tid, i, 1)
        if split:
            s.sendall(req[:5])
            time.sleep(0.001)  # its own segment (TCP_NODELAY)
            t0 = time.perf_counter()
            s.sendall(req[5:])
        else:
            t0 = time.perf_counter()
            s.sendall(req)
        try:
            answer(s, tid, i)
        except OSError as e:
            raise Failed(f"request {i} ({'split' if split else 'whole'}): {e!r}") from e
        out.append((time.perf_counter() - t0) * 1000)
    return out


def stats(name, lat):
    lat = sorted(lat)
    print(f"{name}: median {lat[len(lat) // 2]:.3f} ms, p99 {lat[len(lat) * 99 // 100]:.3f} ms, "
          f"max {lat[-1]:.3f} ms over {len(lat)}")
    return lat[-1]


def zero_window_attack(server, src):
    reqs = b"".join(read_req(i, i, 125) for i in range(121))
    conns = []
    for _ in range(ZERO_WINDOW_CONNS):
        s = connect(server, src, rcvbuf=1)
        s.sendall(reqs)
        s.shutdown(socket.SHUT_WR)
        conns.append(s)
    return conns


def split_attack(server, src):
    conns = []
    for i in range(SPLIT_CONNS):
        s = connect(server, src)
        s.sendall(read_req(i, i, 1)[:5])
        conns.append(s)
    return conns


def attack_runs(name, v, split, first_tid):
    """The slowest answer of each of RUNS runs on v."""
    return [stats(f"{name}, run {run + 1}", timed(v, split, first_tid + run * N))
            for run in range(RUNS)]


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    server, victim, attacker = sys.argv[1:]
    try:
        v = connect(server, victim)
        normal = {split: stats(f"baseline, {KIND[split]} requests", timed(v, split, 1000 * split))
                  for split in (False, True)}
        runs = {}
        # Each attack, how long its connections take to settle, and the
        # victim's kinds of request under it (split or whole), in order.
        for attack, settle, kinds in ((zero_window_attack, 0.5, (False, True)),
                                      (split_attack, 0.2, (True, False))):
            held = attack(server, attacker)
            time.sleep(settle)
            for split in kinds:
                name = f"{attack.__name__.replace('_', ' ')}, {KIND[split]} requests"
                runs[name, split] = attack_runs(name, v, split, 2000 + 1000 * len(runs))
            for s in held:
                s.close()

        for split in (False, True):
            normal[split] = max(normal[split], stats(f"baseline again, {KIND[split]} requests",
                                                     timed(v, split, 6000 + 1000 * split)))
        v.close()
        for (name, split), worst in runs.items():
            if min(worst) > normal[split] + LIMIT_MS:
                raise Failed(f"{name}: in each of {RUNS} runs an answer came more than "
                             f"{LIMIT_MS} ms after the baselines' slowest ({normal[split]:.3f} ms)")
    except (Failed, OSError) as e:
        print(f"FAIL: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
