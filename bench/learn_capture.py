"""A capture of at least a given size for timing mbxdp-replay --learn:
the given captures repeated one after another, each copy from client ports
of its own and later in time than the previous one, so every copy is new
flows to the same devices.

    /usr/bin/python3 bench/learn_capture.py OUT.pcap MIN_BYTES CAPTURE...
"""
import os
import sys

from scapy.all import TCP, PcapWriter, rdpcap  # noqa: E402


def main():
    out, want, inputs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    caps = [rdpcap(p) for p in inputs]
    w = PcapWriter(out, sync=False)
    offset, copy = 0.0, 0
    while True:
        for pkts in caps:
            t0 = float(pkts[0].time)
            span = float(pkts[-1].time) - t0
            for p in pkts:
                q = p.copy()
                if TCP in q:
                    # Client ports move by 97 a copy: new flows each time.
                    if q[TCP].dport == 502:
                        q[TCP].sport = (q[TCP].sport + 97 * copy) % 64000 + 1024
                    elif q[TCP].sport == 502:
                        q[TCP].dport = (q[TCP].dport + 97 * copy) % 64000 + 1024
                    del q[TCP].chksum
                q.time = offset + float(p.time) - t0 + 1_700_000_000
                w.write(q)
            offset += span + 10.0
            copy += 1
        w.flush()
        if os.path.getsize(out) >= want:
            break
    w.close()
    print(f"{out}: {os.path.getsize(out)} bytes, {copy} copies")


if __name__ == "__main__":
    main()
