"""Many kernel TCP connections, each a stream of pipelined Modbus requests,
every answer checked: for running against a server whose frames are lost,
duplicated and reordered on purpose (mbxdp --impair).

    impaired_client.py HOST --connections 50 --requests 10000 --pipeline 4

Each connection sends its share of FC 03 requests in batches of --pipeline,
then reads the answers, which must come back whole, in order, and with the
registers of the default image (value = address). Prints one summary line;
exits 1 on any wrong, missing or late answer (a connection stuck for
--stall seconds counts as late), 0 when all are right."""
import argparse
import socket
import struct
import sys
import threading
import time

PORT = 502


def request(tid, addr, qty):
    return struct.pack(">HHHBBHH", tid, 0, 6, 1, 3, addr, qty)


def expected(tid, addr, qty):
    regs = b"".join(struct.pack(">H", (addr + i) & 0xFFFF) for i in range(qty))
    return struct.pack(">HHHBBB", tid, 0, 3 + 2 * qty, 1, 3, 2 * qty) + regs


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by the server")
        buf += chunk
    return buf


def run_connection(host, index, count, pipeline, stall, results):
    done = 0
    try:
        with socket.create_connection((host, PORT), timeout=stall) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while done < count:
                batch = min(pipeline, count - done)
                reqs = []
                for k in range(batch):
                    n = done + k
                    tid = (index * 7919 + n) & 0xFFFF
                    addr = (index * 131 + n * 17) % 4000
                    qty = 1 + n % 20
                    reqs.append((tid, addr, qty))
                sock.sendall(b"".join(request(*r) for r in reqs))
                for r in reqs:
                    want = expected(*r)
                    got = recv_exact(sock, len(want))
                    if got != want:
                        raise ValueError("request %d: answer %s, want %s" % (done, got.hex(), want.hex()))
                    done += 1
            sock.shutdown(socket.SHUT_WR)
            if sock.recv(1) != b"":
                raise ValueError("data after the last answer")
        results[index] = (done, None)
    except Exception as e:  # noqa: BLE001 - reported per connection
        results[index] = (done, "%s: %s" % (type(e).__name__, e))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--requests", type=int, default=10000)
    ap.add_argument("--pipeline", type=int, default=4)
    ap.add_argument("--stall", type=float, default=30.0)
    a = ap.parse_args()
    per = a.requests // a.connections
    results = [None] * a.connections
    threads = [threading.Thread(target=run_connection, args=(a.host, i, per, a.pipeline, a.stall, results))
               for i in range(a.connections)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0
    answered = sum(r[0] for r in results if r)
    errors = [(i, r[1]) for i, r in enumerate(results) if r is None or r[1]]
    print("impaired: %d of %d requests answered right over %d connections in %.1f s" %
          (answered, per * a.connections, a.connections, elapsed))
    for i, e in errors[:10]:
        print("connection %d: %s" % (i, e))
    return 1 if errors or answered != per * a.connections else 0


if __name__ == "__main__":
    sys.exit(main())
