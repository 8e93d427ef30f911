"""Checks an in-process replay's timing: with --speed F, each captured client
segment with payload is sent at its capture time (from the capture's first
packet) divided by F, on the replay's virtual clock, which starts at the
capture's first timestamp. In process the server answers at once, so no
segment waits for a response and the times are exact (to the nanosecond).

    check_timing.py CAPTURE REPLAY_OUTPUT SPEED
"""
import sys

from scapy.all import TCP, rdpcap  # noqa: E402

CLIENT_MAC = "02:00:00:00:00:02"  # tools/replay/target_mem.c


def main():
    cap, out, speed = rdpcap(sys.argv[1]), rdpcap(sys.argv[2]), float(sys.argv[3])
    t0 = cap[0].time
    want, seen = [], set()
    for p in cap:
        if TCP in p and p[TCP].dport == 502 and len(p[TCP].payload):
            key = (p[TCP].sport, p[TCP].seq)
            if key not in seen:  # a retransmission is sent once, at the first copy's time
                seen.add(key)
                want.append((p.time - t0) / speed)
    got = [p.time - t0 for p in out if p.src == CLIENT_MAC and len(p[TCP].payload)]
    if len(want) != len(got):
        print(f"check_timing: {len(want)} captured segments, {len(got)} replayed")
        return 1
    for i, (w, g) in enumerate(zip(want, got)):
        if abs(float(w) - float(g)) > 2e-9:
            print(f"check_timing: segment {i + 1} sent at {float(g):.9f} s, due at {float(w):.9f} s")
            return 1
    print(f"check_timing: {len(got)} segments at capture time / {speed:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
