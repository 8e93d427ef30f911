"""Frames for the net_pcap replay check (replay_net_pcap.sh). One process
for every capture: scapy takes a second to import.

    net_pcap_frames.py split BASE...
        writes the client's frames of each in-process replay's conversation
        BASE.conv.pcap (mbxdp-replay --in-process) to BASE.rx.pcap, the input
        of DPDK's net_pcap, and their count to BASE.rx.count
    net_pcap_frames.py compare BASE...
        the server's frames of BASE.conv.pcap must equal, in order and byte
        for byte, the IPv4 frames mbxdp sent through net_pcap, BASE.tx.pcap
        (its gratuitous ARP aside); prints one line per BASE, PASS or FAIL
        with the first difference; exit 1 if any failed
"""
import os
import sys

from scapy.all import Ether, rdpcap, wrpcap  # noqa: E402

CLIENT_MAC = "02:00:00:00:00:02"  # tools/replay/target_mem.c
SERVER_MAC = "02:00:00:00:00:01"


def split(base):
    rx = [f for f in rdpcap(base + ".conv.pcap") if f[Ether].src == CLIENT_MAC]
    wrpcap(base + ".rx.pcap", rx, linktype=1)
    with open(base + ".rx.count", "w") as f:
        f.write(f"{len(rx)}\n")


def compare(base):
    """(True, frames compared) or (False, what differs)."""
    want = [bytes(f) for f in rdpcap(base + ".conv.pcap") if f[Ether].src == SERVER_MAC]
    if not os.path.exists(base + ".tx.pcap"):
        return False, "no output from mbxdp"
    got = [bytes(f) for f in rdpcap(base + ".tx.pcap") if f[Ether].type == 0x0800]
    for i, (w, g) in enumerate(zip(want, got)):
        if w != g:
            return False, f"server frame {i + 1} differs:\n  in process {w.hex()}\n  net_pcap   {g.hex()}"
    if len(want) != len(got):
        return False, f"{len(want)} server frames in process, {len(got)} through net_pcap"
    return True, f"{len(got)} server frames identical through net_pcap"


def main():
    cmd, bases = sys.argv[1], sys.argv[2:]
    if cmd == "split":
        for b in bases:
            split(b)
        return 0
    failed = 0
    for b in bases:
        ok, what = compare(b)
        print(f"{'PASS' if ok else 'FAIL'}: {os.path.basename(b)}: {what}")
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
