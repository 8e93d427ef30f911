"""Frames for the net_pcap replay check (replay_net_pcap.sh).

    net_pcap_frames.py split CONVERSATION RX
        writes the client's frames of an in-process replay's conversation
        (mbxdp-replay --in-process) to RX, the input of DPDK's net_pcap;
        prints how many
    net_pcap_frames.py compare CONVERSATION TX
        the server's frames of the conversation must equal, in order and
        byte for byte, the IPv4 frames mbxdp sent through net_pcap (TX: its
        gratuitous ARP aside); prints the first difference otherwise
"""
import sys

from scapy.all import Ether, rdpcap, wrpcap  # noqa: E402

CLIENT_MAC = "02:00:00:00:00:02"  # tools/replay/target_mem.c
SERVER_MAC = "02:00:00:00:00:01"


def main():
    cmd, conv, other = sys.argv[1:4]
    frames = rdpcap(conv)
    if cmd == "split":
        rx = [f for f in frames if f[Ether].src == CLIENT_MAC]
        wrpcap(other, rx, linktype=1)
        print(len(rx))
        return 0
    want = [bytes(f) for f in frames if f[Ether].src == SERVER_MAC]
    got = [bytes(f) for f in rdpcap(other) if f[Ether].type == 0x0800]
    for i, (w, g) in enumerate(zip(want, got)):
        if w != g:
            print(f"server frame {i + 1} differs:\n  in process {w.hex()}\n  net_pcap   {g.hex()}")
            return 1
    if len(want) != len(got):
        print(f"{len(want)} server frames in process, {len(got)} through net_pcap")
        return 1
    print(f"{len(got)} server frames identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
