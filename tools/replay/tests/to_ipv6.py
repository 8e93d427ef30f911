"""Turns an IPv4 capture into the same capture over IPv6: each IPv4 packet
becomes an IPv6 one (RFC 8200: the hop limit from the TTL, no extension
headers) carrying the same TCP segment, its checksum computed anew over the
IPv6 pseudo-header; a.b.c.d becomes 2001:2:0:1::a.b.c.d (2001:2::/48, the
benchmarking range of RFC 5180); other frames stay as they are. So a real
IPv4 capture also tests the IPv6 replay.

    /usr/bin/python3 to_ipv6.py IN.pcap OUT.pcap
"""
import ipaddress
import sys

from scapy.all import IP, TCP, rdpcap, wrpcap  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402

PREFIX = int(ipaddress.IPv6Address("2001:2:0:1::"))


def v6(addr):
    return str(ipaddress.IPv6Address(PREFIX | int(ipaddress.IPv4Address(addr))))


def main():
    out = []
    for p in rdpcap(sys.argv[1]):
        if IP in p and TCP in p:
            ip = p[IP]
            seg = ip[TCP].copy()
            seg.remove_underlayer(None)
            del seg.chksum
            # Ethernet padding of a short IPv4 frame is no part of the segment.
            seg = TCP(bytes(seg)[:ip.len - ip.ihl * 4] if ip.len else bytes(seg))
            del seg.chksum
            under = ip.underlayer
            under.remove_payload()
            under.type = 0x86DD
            under.add_payload(IPv6(src=v6(ip.src), dst=v6(ip.dst), hlim=ip.ttl) / seg)
        out.append(p)
    wrpcap(sys.argv[2], out)


if __name__ == "__main__":
    main()
