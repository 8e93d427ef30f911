"""Sends damaged frames to mbxdp over the wire and checks none is answered,
then that a good SYN still is. Run in the client namespace with
/usr/bin/python3 (scapy).

Usage: bad_frames.py IFACE SERVER_IP
Exits 0 when no damaged frame got an answer and the good SYN got a SYN-ACK.
"""
import sys

from scapy.all import IP, TCP, Ether, conf, get_if_hwaddr, getmacbyip, srp1

conf.verb = 0


def main(iface, server):
    mac = getmacbyip(server)
    if not mac:
        print(f"FAIL: no ARP answer from {server}")
        return 1
    base = Ether(src=get_if_hwaddr(iface), dst=mac) / IP(dst=server)
    bad_tcp = base / TCP(sport=41000, dport=502, flags="S", seq=1, chksum=0x1234)
    bad_ip = base / TCP(sport=41001, dport=502, flags="S", seq=1)
    bad_ip = Ether(bytes(bad_ip))
    bad_ip[IP].chksum ^= 0x5555
    short = Ether(bytes(base / TCP(sport=41002, dport=502, flags="S"))[:40])
    for name, frame in (("bad TCP checksum", bad_tcp), ("bad IP checksum", bad_ip),
                        ("truncated header", short)):
        answer = srp1(frame, iface=iface, timeout=0.5)
        if answer is not None and answer.haslayer(TCP) and answer[TCP].sport == 502:
            print(f"FAIL: a frame with a {name} was answered: {answer.summary()}")
            return 1
    good = base / TCP(sport=41003, dport=502, flags="S", seq=1000, options=[("MSS", 1460)])
    answer = srp1(good, iface=iface, timeout=2)
    if answer is None or not answer.haslayer(TCP) or answer[TCP].flags != "SA":
        print("FAIL: the good SYN after them got no SYN-ACK")
        return 1
    if answer[TCP].ack != 1001:
        print(f"FAIL: SYN-ACK acknowledges {answer[TCP].ack}, not 1001")
        return 1
    print("bad frames: none answered; the good SYN got its SYN-ACK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
