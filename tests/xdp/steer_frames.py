"""Frames for the steering program's unit test (test_steer.c), built with scapy.

Each case is OUTDIR/<name>.pcap: the frame given to the program, then, for a
case the program answers in place (XDP_TX), the frame it must turn it into,
byte for byte. test_steer.c knows each case's verdict and counter; the
addresses here and there must agree (the comment at its top lists them).

    /usr/bin/python3 steer_frames.py OUTDIR
"""
import os
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPOption_NOP, Padding, Raw, wrpcap

IF_MAC = "02:00:00:00:00:01"  # the test interface's MAC: sender of XDP's replies
PEER_MAC = "02:00:00:00:00:02"
BCAST = "ff:ff:ff:ff:ff:ff"
PEER_IP = "198.18.1.7"  # inside server 1's allow-list 198.18.1.0/24
STRANGER_IP = "198.18.2.7"  # outside it
SERVED_ARP = "198.19.0.1"  # server 0, XDP answers its ARP
SERVED_KERNEL = "198.19.0.2"  # server 0, the kernel owns it
SERVED_ALLOW = "198.19.1.1"  # server 1, which has an allow-list
UNLISTED = "198.19.9.9"


def arp_request(target, sender=PEER_IP, vlan=None, op=1):
    eth = Ether(src=PEER_MAC, dst=BCAST, type=0x8100 if vlan is not None else 0x0806)
    l2 = eth / Dot1Q(vlan=vlan, type=0x0806) if vlan is not None else eth
    return l2 / ARP(op=op, hwsrc=PEER_MAC, psrc=sender, hwdst="00:00:00:00:00:00", pdst=target)


def arp_reply(asked, asker_ip=PEER_IP, vlan=None):
    """RFC 826: what the program must make of arp_request(asked, asker_ip)."""
    eth = Ether(src=IF_MAC, dst=PEER_MAC, type=0x8100 if vlan is not None else 0x0806)
    l2 = eth / Dot1Q(vlan=vlan, type=0x0806) if vlan is not None else eth
    return l2 / ARP(op=2, hwsrc=IF_MAC, psrc=asked, hwdst=PEER_MAC, pdst=asker_ip)


def syn(dst, src=PEER_IP, dport=502, frag=0, vlan=None, sport=40000, flags="S"):
    eth = Ether(src=PEER_MAC, dst=IF_MAC)
    l2 = eth / Dot1Q(vlan=vlan) if vlan is not None else eth
    return l2 / IP(src=src, dst=dst, frag=frag) / TCP(sport=sport, dport=dport, flags=flags)


def echo(dst, src=PEER_IP, data=b"", vlan=None, eth_dst=IF_MAC, icmp_type=8, **ip):
    """An ICMP echo request (RFC 792) as ping sends it, TTL 57 (some hops
    away) so that the reply's fresh TTL is a change."""
    eth = Ether(src=PEER_MAC, dst=eth_dst)
    l2 = eth / Dot1Q(vlan=vlan) if vlan is not None else eth
    return l2 / IP(src=src, dst=dst, ttl=57, id=0x4d42, **{"flags": "DF", **ip}) / \
        ICMP(type=icmp_type, id=0x1234, seq=7) / Raw(data)


def echo_reply(replier, data=b"", asker=PEER_IP, vlan=None):
    """RFC 792: what the program must make of echo(replier, asker, data),
    with both checksums computed afresh by scapy over the whole reply."""
    eth = Ether(src=IF_MAC, dst=PEER_MAC)
    l2 = eth / Dot1Q(vlan=vlan) if vlan is not None else eth
    return l2 / IP(src=replier, dst=asker, ttl=64, id=0x4d42, flags="DF") / \
        ICMP(type=0, id=0x1234, seq=7) / Raw(data)


def ping_data(n):
    """n bytes of ping-like data: every byte value, odd lengths included."""
    return bytes(i * 7 % 256 for i in range(n))


def cases():
    # Padded to Ethernet's 60-byte minimum, as on the wire: the padding
    # stays where it was.
    pad = Padding(b"\0" * 18)
    yield "arp_served", [arp_request(SERVED_ARP) / pad, arp_reply(SERVED_ARP) / pad]
    yield "arp_served_vlan", [arp_request(SERVED_ARP, vlan=7), arp_reply(SERVED_ARP, vlan=7)]
    yield "arp_probe_served", [arp_request(SERVED_ARP, sender="0.0.0.0"),
                               arp_reply(SERVED_ARP, asker_ip="0.0.0.0")]
    yield "arp_kernel_owned", [arp_request(SERVED_KERNEL)]
    yield "arp_unlisted", [arp_request(UNLISTED)]
    yield "arp_reply_not_request", [arp_request(SERVED_ARP, op=2)]
    yield "arp_gratuitous", [arp_request(SERVED_ARP, sender=SERVED_ARP)]
    # An ARP request cut short of its target address.
    yield "arp_truncated", [Ether(bytes(arp_request(SERVED_ARP))[:38])]
    yield "tcp_served", [syn(SERVED_ARP)]
    yield "tcp_served_vlan", [syn(SERVED_KERNEL, vlan=7)]
    yield "tcp_unlisted", [syn(UNLISTED)]
    yield "tcp_other_port", [syn(SERVED_ARP, dport=80)]
    yield "tcp_later_fragment", [syn(SERVED_ARP, frag=1)]
    yield "tcp_allowed_source", [syn(SERVED_ALLOW)]
    yield "tcp_stranger_source", [syn(SERVED_ALLOW, src=STRANGER_IP)]
    # ICMP echo (ping) to served addresses the kernel does not own. A 0-byte
    # echo is padded to 60 bytes on the wire, and the padding stays.
    yield "icmp_echo_served_0", [echo(SERVED_ARP) / Padding(b"\0" * 18),
                                 echo_reply(SERVED_ARP) / Padding(b"\0" * 18)]
    for n in (1, 56, 57, 1400):
        yield f"icmp_echo_served_{n}", [echo(SERVED_ARP, data=ping_data(n)),
                                        echo_reply(SERVED_ARP, data=ping_data(n))]
    yield "icmp_echo_served_vlan", [echo(SERVED_ARP, data=ping_data(57), vlan=7),
                                    echo_reply(SERVED_ARP, data=ping_data(57), vlan=7)]
    yield "icmp_echo_allowed_source", [echo(SERVED_ALLOW, data=ping_data(56)),
                                       echo_reply(SERVED_ALLOW, data=ping_data(56))]
    yield "icmp_echo_stranger_source", [echo(SERVED_ALLOW, src=STRANGER_IP, data=ping_data(56))]
    yield "icmp_echo_kernel_owned", [echo(SERVED_KERNEL, data=ping_data(56))]
    yield "icmp_echo_unlisted", [echo(UNLISTED, data=ping_data(56))]
    yield "icmp_echo_reply", [echo(SERVED_ARP, data=ping_data(56), icmp_type=0)]
    yield "icmp_dest_unreachable", [echo(SERVED_ARP, data=ping_data(56), icmp_type=3)]
    yield "icmp_echo_ip_options", [echo(SERVED_ARP, data=ping_data(56), options=[IPOption_NOP()] * 4)]
    yield "icmp_echo_first_fragment", [echo(SERVED_ARP, data=ping_data(56), frag=0, flags="MF")]
    yield "icmp_echo_later_fragment", [echo(SERVED_ARP, data=ping_data(56), frag=185)]
    yield "icmp_echo_broadcast_mac", [echo(SERVED_ARP, data=ping_data(56), eth_dst=BCAST)]
    yield "icmp_echo_multicast_source", [echo(SERVED_ARP, src="224.0.0.1", data=ping_data(56))]
    # Cut inside the ICMP header: 4 of its 8 bytes.
    yield "icmp_echo_truncated", [Ether(bytes(echo(SERVED_ARP))[:14 + 20 + 4])]
    # Client mode: a server's answer (from port 502) to one of the master's
    # source addresses, and the reply to the master's ARP request.
    yield "tcp_server_answer", [syn(SERVED_ARP, sport=502, dport=40000, flags="SA")]
    yield "tcp_server_answer_unlisted", [syn(UNLISTED, sport=502, dport=40000, flags="SA")]
    yield "arp_reply_to_listed", [arp_reply(PEER_IP, asker_ip=SERVED_ARP)]
    yield "arp_reply_to_unlisted", [arp_reply(PEER_IP, asker_ip=UNLISTED)]
    yield "udp_served", [Ether(src=PEER_MAC, dst=IF_MAC) / IP(src=PEER_IP, dst=SERVED_ARP) /
                         UDP(sport=40000, dport=502)]


def main():
    out = sys.argv[1]
    for name, frames in cases():
        wrpcap(os.path.join(out, name + ".pcap"), frames)
        print(name)


if __name__ == "__main__":
    main()
