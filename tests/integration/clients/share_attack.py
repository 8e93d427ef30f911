#!/usr/bin/env python3
"""A client's latency while another source attacks mbxdp's buffer pools.

Expects mbxdp started with --max-conns 1024 (576 send blocks, 320 ADU
buffers) and this host holding the addresses VICTIM and ATTACKER. Phases:
  baseline   the victim (kernel TCP from VICTIM) times N requests, each an
             FC 03 read sent whole, and N split in two segments (5 bytes,
             then the other 7);
  zero window  250 connections from ATTACKER, each with the smallest
             receive buffer the kernel allows and never reading, send 121
             pipelined reads of 125 registers (31 KB of answers) and then
             FIN; their kernel answers window probes with a zero window.
             The victim times N requests again;
  split      320 connections from ATTACKER each send 5 bytes of a request
             and nothing more. The victim times N split requests again.
Passes when every answer under attack came, correct, and all N of a run
came within LIMIT_MS of the baseline's slowest (prints the figures); exits 1
with a FAIL line otherwise. A run that has an answer too slow is repeated,
up to RUNS times: on a shared machine the client itself is sometimes not
scheduled for a few ms, which a repeat does not meet at the same place;
an attack that starves the victim slows, loses or resets every run.

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


def check(name, v, split, first_tid, worst_normal):
    """Runs of N requests on v until one has every answer within LIMIT_MS
    of worst_normal, at most RUNS."""
    for run in range(RUNS):
        worst = stats(f"{name}, run {run + 1}", timed(v, split, first_tid + run * N))
        if worst <= worst_normal + LIMIT_MS:
            return
    raise Failed(f"{name}: in each of {RUNS} runs an answer came more than {LIMIT_MS} ms "
                 f"after the baseline's slowest ({worst_normal:.3f} ms)")


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    server, victim, attacker = sys.argv[1:]
    try:
        v = connect(server, victim)
        whole = stats("baseline, whole requests", timed(v, False, 0))
        split = stats("baseline, split requests", timed(v, True, 1000))

        held = zero_window_attack(server, attacker)
        time.sleep(0.5)  # the attackers' windows close
        check("zero-window attack, whole requests", v, False, 2000, whole)
        check("zero-window attack, split requests", v, True, 3000, split)
        for s in held:
            s.close()
        v.close()

        v = connect(server, victim)
        held = split_attack(server, attacker)
        time.sleep(0.2)
        check("split-request attack, split requests", v, True, 4000, split)
        check("split-request attack, whole requests", v, False, 5000, whole)
        for s in held:
            s.close()
        v.close()
    except (Failed, OSError) as e:
        print(f"FAIL: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
