#!/usr/bin/env python3
"""Connection management seen by kernel TCP clients (MIG 4.2.1).

Expects mbxdp started with
    --max-conns 3 --max-conns-per-source 2 --priority-source PRIO/32
and this host holding the addresses OTHER and PRIO. Steps, in order:
  1. two connections from OTHER are served; a third from OTHER is reset
     (per-source limit);
  2. one connection from PRIO fills the table; the older OTHER connection
     answers a request, so the other one is now the oldest idle;
  3. a second PRIO connection is served, and the oldest idle OTHER connection
     sees an orderly end of stream (our FIN): eviction;
  4. a third PRIO connection evicts the last OTHER connection;
  5. the table holds priority connections only: a new OTHER connection is
     reset, and every priority connection still answers.

Usage: conn_limits.py SERVER OTHER PRIO
       conn_limits.py --idle SERVER     (mbxdp started with --idle-timeout 1)
       conn_limits.py --keepalive SERVER (with --idle-timeout 0 --keepalive 1,1,2)
The second form: a connection served once and then left idle is closed by
mbxdp with a FIN (an orderly end of stream, not a reset) after the idle
timeout, and not before. The third: a connection silent for 3.5 s, while
mbxdp's keepalive probes (RFC 1122 4.2.3.6) are answered by this host's TCP,
is still open and served.
Exits 0 when every step held, 1 with a FAIL line on the first that did not.
"""

import socket
import struct
import sys
import time

TIMEOUT_S = 3.0


class Failed(Exception):
    pass


def connect(server, src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT_S)
    s.bind((src, 0))
    s.connect((server, 502))
    return s


def request(s, tid):
    """FC 03, one register at address tid: returns the value, or raises."""
    s.sendall(struct.pack(">HHHBBHH", tid, 0, 6, 1, 3, tid, 1))
    head = b""
    while len(head) < 11:
        chunk = s.recv(11 - len(head))
        if not chunk:
            raise ConnectionAbortedError("end of stream")
        head += chunk
    rtid, _, _, _, fc, n, value = struct.unpack(">HHHBBBH", head)
    if rtid != tid or fc != 3 or n != 2:
        raise Failed(f"bad answer {head.hex()} to tid {tid}")
    return value


def served(s, tid, what):
    if request(s, tid) != tid:
        raise Failed(f"{what}: wrong register value")


def refused(server, src, what):
    """The handshake completes (SYN cookies), then the server's RST ends it:
    before connect() returns, if the client is slow to run, or at the
    request."""
    try:
        s = connect(server, src)
    except ConnectionResetError:
        return
    try:
        request(s, 99)
    except (ConnectionResetError, BrokenPipeError):
        s.close()
        return
    except ConnectionAbortedError:
        raise Failed(f"{what}: closed by FIN, expected a reset")
    raise Failed(f"{what}: served, expected a reset")


def sees_fin(s, what):
    try:
        data = s.recv(1)
    except socket.timeout:
        raise Failed(f"{what}: no FIN within {TIMEOUT_S} s")
    except ConnectionResetError:
        raise Failed(f"{what}: reset, expected an orderly close (FIN)")
    if data != b"":
        raise Failed(f"{what}: data instead of a FIN")


def idle(server):
    s = connect(server, "0.0.0.0")
    served(s, 1, "connection before idling")
    t0 = time.monotonic()
    sees_fin(s, "idle connection")
    waited = time.monotonic() - t0
    if waited < 0.9:
        raise Failed(f"closed after {waited:.2f} s, before the 1 s idle timeout")
    s.close()  # our FIN completes the close: mbxdp goes to TIME-WAIT
    print(f"idle timeout: FIN after {waited:.2f} s idle")


def keepalive(server):
    s = connect(server, "0.0.0.0")
    served(s, 1, "connection before the silence")
    time.sleep(3.5)
    served(s, 2, "connection after 3.5 s of answered keepalive probes")
    s.close()
    print("keepalive: probes answered by the kernel, connection kept")


def main(server, other, prio):
    a = connect(server, other)
    served(a, 1, "first connection")
    time.sleep(0.05)
    b = connect(server, other)
    served(b, 2, "second connection from the same source")
    refused(server, other, "third connection from one source (limit 2)")
    print("per-source limit: third connection reset")

    time.sleep(0.05)
    p1 = connect(server, prio)
    served(p1, 3, "priority connection filling the table")
    time.sleep(0.05)
    served(a, 4, "older connection, used again")
    time.sleep(0.05)
    p2 = connect(server, prio)
    served(p2, 5, "new connection with the table full")
    sees_fin(b, "oldest idle connection")
    print("eviction: the oldest idle connection got a FIN, the new one is served")

    p3 = connect(server, prio)
    served(p3, 6, "second new connection with the table full")
    sees_fin(a, "remaining non-priority connection")
    refused(server, other, "new connection with only priority connections left")
    for i, p in enumerate((p1, p2, p3)):
        served(p, 10 + i, "priority connection after the refusal")
    print("priority: never evicted; with nothing evictable a new connection is reset")
    for s in (a, b, p1, p2, p3):
        s.close()


if __name__ == "__main__":
    try:
        if sys.argv[1] == "--idle":
            idle(sys.argv[2])
        elif sys.argv[1] == "--keepalive":
            keepalive(sys.argv[2])
        else:
            main(*sys.argv[1:4])
    except (Failed, OSError) as e:
        print(f"FAIL: {e}")
        sys.exit(1)
    print("conn_limits: all steps passed")
