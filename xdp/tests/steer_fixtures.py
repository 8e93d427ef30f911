"""The steering program's fixtures: each record holds, as Katran's do, a
description, the frame given to the program, the verdict it must return and
the frame it must leave (for XDP_TX its answer, byte for byte; otherwise the
frame as it came), plus the configuration it runs in and the one counter
that must move. test_steer.c runs every record under BPF_PROG_TEST_RUN; the
configurations' addresses here and there must agree (the comment at its top
lists them).

    /usr/bin/python3 steer_fixtures.py OUT   writes OUT, a record a line:
        CONFIG NAME VERDICT COUNTER IN_HEX OUT_HEX   (OUT_HEX "-": as it came)
"""
import ipaddress
import sys
from typing import NamedTuple, Optional

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, ICMPv6DestUnreach, ICMPv6EchoReply,
                       ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr,
                       ICMPv6NDOptSrcLLAddr, IPOption_NOP, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Padding, Raw)

IF_MAC = "02:00:00:00:00:01"  # the test interface's MAC: sender of XDP's replies
PEER_MAC = "02:00:00:00:00:02"
BCAST = "ff:ff:ff:ff:ff:ff"
PEER_IP = "198.18.1.7"  # inside server 1's allow-list 198.18.1.0/24
STRANGER_IP = "198.18.2.7"  # outside it
SERVED_ARP = "198.19.0.1"  # server 0, XDP answers its ARP
SERVED_KERNEL = "198.19.0.2"  # server 0, the kernel owns it
SERVED_ALLOW = "198.19.1.1"  # server 1, which has an allow-list
UNLISTED = "198.19.9.9"
# IPv6, all inside 2001:2::/48 (RFC 5180's benchmarking range).
PEER6 = "2001:2:0:1::7"
STRANGER6 = "2001:2:0:2::7"
SERVED6_ND = "2001:2:0:9::1"  # server 0, XDP answers its Neighbor Discovery and echo
SERVED6_KERNEL = "2001:2:0:9::2"  # server 0, the kernel owns it
SERVED6_ALLOW = "2001:2:0:a::1"  # server 1, which has an allow-list
SERVED6_ALLOW_V4 = "2001:2:0:b::1"  # server 2, whose allow-list has IPv4 prefixes only
UNLISTED6 = "2001:2:0:9::99"


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


def tcp6(dst, src=PEER6, dport=502, vlan=None, sport=40000, flags="S", ext=None, **ip):
    """A TCP segment over IPv6, behind the extension headers ext (a scapy
    layer chain or None)."""
    eth = Ether(src=PEER_MAC, dst=IF_MAC)
    l2 = eth / Dot1Q(vlan=vlan) if vlan is not None else eth
    l3 = IPv6(src=src, dst=dst, **ip)
    if ext is not None:
        l3 = l3 / ext
    return l2 / l3 / TCP(sport=sport, dport=dport, flags=flags)


def dstopts(n):
    """n destination options headers in a chain (each 8 bytes, PadN)."""
    chain = IPv6ExtHdrDestOpt()
    for _ in range(n - 1):
        chain = chain / IPv6ExtHdrDestOpt()
    return chain


def echo6(dst, src=PEER6, data=b"", vlan=None, eth_dst=IF_MAC, ext=None, icmp=ICMPv6EchoRequest):
    """An ICMPv6 echo request (RFC 4443 4.1), hop limit 57 so that the
    reply's 64 is a change."""
    eth = Ether(src=PEER_MAC, dst=eth_dst)
    l2 = eth / Dot1Q(vlan=vlan) if vlan is not None else eth
    l3 = IPv6(src=src, dst=dst, hlim=57)
    if ext is not None:
        l3 = l3 / ext
    return l2 / l3 / icmp(id=0x1234, seq=7, data=data)


def echo6_reply(replier, data=b"", asker=PEER6, vlan=None):
    """RFC 4443 4.2: what the program must make of echo6(replier, asker,
    data), the checksum computed afresh by scapy with the pseudo-header."""
    eth = Ether(src=IF_MAC, dst=PEER_MAC)
    l2 = eth / Dot1Q(vlan=vlan) if vlan is not None else eth
    return l2 / IPv6(src=replier, dst=asker, hlim=64) / ICMPv6EchoReply(id=0x1234, seq=7, data=data)


def solicited_node(addr):
    """RFC 4291 2.7.1: ff02::1:ffXX:XXXX with addr's low 24 bits."""
    low = int(ipaddress.IPv6Address(addr)) & 0xffffff
    return str(ipaddress.IPv6Address(int(ipaddress.IPv6Address("ff02::1:ff00:0")) | low))


NONCE = Raw(b"\x0e\x01" + bytes(range(1, 7)))  # RFC 7527's nonce option, 8 bytes


def ns(target, src=PEER6, dst=None, hlim=255, opts="sll", vlan=None, **icmp):
    """A Neighbor Solicitation (RFC 4861 4.3), by default as a host
    resolving target sends it: to its solicited-node address, with the
    source link-layer address option."""
    eth_dst = "33:33:ff:" + ":".join(f"{b:02x}" for b in ipaddress.IPv6Address(target).packed[13:])
    eth = Ether(src=PEER_MAC, dst=eth_dst)
    l2 = eth / Dot1Q(vlan=vlan) if vlan is not None else eth
    msg = ICMPv6ND_NS(tgt=target, **icmp)
    if opts == "sll":
        msg = msg / ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC)
    elif opts is not None:
        msg = msg / opts
    return l2 / IPv6(src=src, dst=dst or solicited_node(target), hlim=hlim) / msg


def na(target, dst=PEER6, eth_dst=PEER_MAC, solicited=1, vlan=None, eth_src=IF_MAC):
    """RFC 4861 7.2.4: the advertisement the program must answer with (or,
    from the peer, the one a master's solicitation gets)."""
    eth = Ether(src=eth_src, dst=eth_dst)
    l2 = eth / Dot1Q(vlan=vlan) if vlan is not None else eth
    return l2 / IPv6(src=target, dst=dst, hlim=255) / ICMPv6ND_NA(tgt=target, R=0, S=solicited, O=1) / \
        ICMPv6NDOptDstLLAddr(lladdr=IF_MAC)


DAD_NA = na(SERVED6_ND, dst="ff02::1", eth_dst="33:33:00:00:00:01", solicited=0)


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



class Fixture(NamedTuple):
    description: str
    config: str  # listed, any, any_allow, any_pass, client (test_steer.c)
    name: str
    packet: object  # the frame given to the program
    verdict: str  # XDP_PASS, XDP_TX, XDP_DROP
    counter: str  # the one MBXDP_STAT_ slot that must move
    output: Optional[object] = None  # XDP_TX: the answer; else the frame as it came


# Padded to Ethernet's 60-byte minimum, as on the wire: the padding stays
# where it was.
PAD = Padding(b"\0" * 18)
ARP_SERVED = arp_request(SERVED_ARP) / PAD
SYN_SERVED = syn(SERVED_ARP)
# An ARP request cut short of its target address.
ARP_TRUNCATED = Ether(bytes(arp_request(SERVED_ARP))[:38])
# Cut inside the ICMP header: 4 of its 8 bytes.
ICMP_TRUNCATED = Ether(bytes(echo(SERVED_ARP))[:14 + 20 + 4])
UDP_SERVED = Ether(src=PEER_MAC, dst=IF_MAC) / IP(src=PEER_IP, dst=SERVED_ARP) / UDP(sport=40000, dport=502)


def served_echo(n, replier=SERVED_ARP, **kw):
    """An echo of n bytes of ping data and its reply."""
    return echo(replier, data=ping_data(n), **kw), echo_reply(replier, data=ping_data(n), **kw)


# IPv6 cut inside its fixed header: 30 of its 40 bytes.
IPV6_TRUNCATED = Ether(bytes(tcp6(SERVED6_ND))[:14 + 30])
# A payload length (100) past the frame's end (20 bytes of TCP).
IPV6_PLEN_PAST_FRAME = Ether(bytes(tcp6(SERVED6_ND, plen=100)))
# An 8-byte destination options header whose length field says 88 bytes.
IPV6_EXT_PAST_PAYLOAD = tcp6(SERVED6_ND, ext=IPv6ExtHdrDestOpt(len=10, autopad=0))
# A payload length of 2: the TCP ports do not fit; the rest is padding.
IPV6_TCP_PAST_PAYLOAD = Ether(bytes(tcp6(SERVED6_ND, plen=2)))
# Ethertype IPv6, version 4.
IPV6_VERSION_4 = Ether(bytes(tcp6(SERVED6_ND, version=4)))
# Routing header type 2 with no segments left: the destination is final.
RH_DONE = IPv6ExtHdrRouting(type=2, segleft=0, addresses=[])

def served_echo6(n, replier=SERVED6_ND, **kw):
    """An IPv6 echo of n bytes of ping data and its reply."""
    return echo6(replier, data=ping_data(n), **kw), echo6_reply(replier, data=ping_data(n), **kw)


# An echo request whose payload length (4) ends inside the ICMPv6 header.
ECHO6_TRUNCATED = Ether(bytes(echo6(SERVED6_ND))[:14 + 40 + 4])
ECHO6_TRUNCATED[IPv6].plen = 4

FIXTURES6 = [
    # IPv6 TCP steering, as IPv4's (RFC 8200).
    Fixture("IPv6 SYN to a served address: steered", "listed", "tcp6_served",
            tcp6(SERVED6_ND), "XDP_DROP", "NO_SOCKET"),
    Fixture("tagged IPv6 SYN: steered", "listed", "tcp6_served_vlan",
            tcp6(SERVED6_KERNEL, vlan=7), "XDP_DROP", "NO_SOCKET"),
    Fixture("IPv6 SYN to an unlisted address: the kernel's", "listed", "tcp6_unlisted",
            tcp6(UNLISTED6), "XDP_PASS", "UNLISTED_ADDR"),
    Fixture("IPv6 SYN to another port: the kernel's", "listed", "tcp6_other_port",
            tcp6(SERVED6_ND, dport=80), "XDP_PASS", "PASSED"),
    Fixture("IPv6 UDP to the served port: the kernel's", "listed", "udp6_served",
            Ether(src=PEER_MAC, dst=IF_MAC) / IPv6(src=PEER6, dst=SERVED6_ND) / UDP(sport=40000, dport=502),
            "XDP_PASS", "PASSED"),
    Fixture("IPv6 padded to more than its payload length: steered", "listed", "tcp6_padded",
            tcp6(SERVED6_ND) / Padding(b"\0" * 6), "XDP_DROP", "NO_SOCKET"),
    Fixture("without listed addresses every IPv6 address is served", "any", "tcp6_unlisted",
            tcp6(UNLISTED6), "XDP_DROP", "NO_SOCKET"),
    Fixture("IPv6, no socket on the queue: passed to the kernel", "any_pass", "tcp6_served",
            tcp6(SERVED6_ND), "XDP_PASS", "NO_SOCKET"),
    # Extension headers walked: hop-by-hop, routing without segments left,
    # destination options, up to four.
    Fixture("behind hop-by-hop options: steered", "listed", "tcp6_hop_by_hop",
            tcp6(SERVED6_ND, ext=IPv6ExtHdrHopByHop()), "XDP_DROP", "NO_SOCKET"),
    Fixture("behind destination options: steered", "listed", "tcp6_dest_opts",
            tcp6(SERVED6_ND, ext=IPv6ExtHdrDestOpt()), "XDP_DROP", "NO_SOCKET"),
    Fixture("behind hop-by-hop, routing (done), destination options: steered", "listed",
            "tcp6_three_ext", tcp6(SERVED6_ND, ext=IPv6ExtHdrHopByHop() / RH_DONE / IPv6ExtHdrDestOpt()),
            "XDP_DROP", "NO_SOCKET"),
    Fixture("behind four extension headers: steered", "listed", "tcp6_four_ext",
            tcp6(SERVED6_ND, ext=IPv6ExtHdrHopByHop() / dstopts(3)), "XDP_DROP", "NO_SOCKET"),
    Fixture("behind a 24-byte destination options header: steered", "listed", "tcp6_long_dest_opts",
            tcp6(SERVED6_ND, ext=IPv6ExtHdrDestOpt(len=2, autopad=0, options=[Raw(b"\x01\x14" + b"\0" * 20)])),
            "XDP_DROP", "NO_SOCKET"),
    # What the program does not walk: the kernel's, counted.
    Fixture("behind five extension headers: the kernel's", "listed", "tcp6_ext_chain_too_long",
            tcp6(SERVED6_ND, ext=IPv6ExtHdrHopByHop() / dstopts(4)), "XDP_PASS", "IPV6_EXT_PASSED"),
    Fixture("a routing header with segments left: the kernel's", "listed", "tcp6_routing_segments_left",
            tcp6(SERVED6_ND, ext=IPv6ExtHdrRouting(addresses=[SERVED6_KERNEL])), "XDP_PASS", "IPV6_EXT_PASSED"),
    Fixture("hop-by-hop after another header: the kernel's", "listed", "tcp6_hop_by_hop_second",
            tcp6(SERVED6_ND, ext=IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop()), "XDP_PASS", "IPV6_EXT_PASSED"),
    Fixture("a first fragment: the kernel's", "listed", "tcp6_first_fragment",
            tcp6(SERVED6_ND, ext=IPv6ExtHdrFragment(m=1, id=7)), "XDP_PASS", "IPV6_EXT_PASSED"),
    Fixture("a later fragment: the kernel's", "listed", "tcp6_later_fragment",
            tcp6(SERVED6_ND, ext=IPv6ExtHdrFragment(offset=3, id=7)), "XDP_PASS", "IPV6_EXT_PASSED"),
    Fixture("ESP: the kernel's", "listed", "esp6",
            Ether(src=PEER_MAC, dst=IF_MAC) / IPv6(src=PEER6, dst=SERVED6_ND, nh=50) / Raw(b"\0" * 24),
            "XDP_PASS", "IPV6_EXT_PASSED"),
    # Malformed: passed, counted, never read past an end.
    Fixture("IPv6 header cut short", "listed", "ipv6_truncated",
            IPV6_TRUNCATED, "XDP_PASS", "IPV6_MALFORMED"),
    Fixture("payload length past the frame", "listed", "ipv6_payload_past_frame",
            IPV6_PLEN_PAST_FRAME, "XDP_PASS", "IPV6_MALFORMED"),
    Fixture("extension header past the payload", "listed", "ipv6_ext_past_payload",
            IPV6_EXT_PAST_PAYLOAD, "XDP_PASS", "IPV6_MALFORMED"),
    Fixture("TCP ports past the payload length", "listed", "ipv6_tcp_past_payload",
            IPV6_TCP_PAST_PAYLOAD, "XDP_PASS", "IPV6_MALFORMED"),
    Fixture("IPv6 ethertype, version 4", "listed", "ipv6_version_4",
            IPV6_VERSION_4, "XDP_PASS", "IPV6_MALFORMED"),
    # ICMPv6 echo (RFC 4443) to served addresses the kernel does not own:
    # answered in place, any data length, the tag kept.
    *(Fixture(f"IPv6 echo of {n} bytes: answered", "listed", f"icmp6_echo_served_{n}",
              served_echo6(n)[0], "XDP_TX", "ICMP6_ECHO_REPLIED", served_echo6(n)[1])
      for n in (0, 1, 56, 57, 1400)),
    Fixture("tagged IPv6 echo: answered with the tag", "listed", "icmp6_echo_served_vlan",
            served_echo6(57, vlan=7)[0], "XDP_TX", "ICMP6_ECHO_REPLIED", served_echo6(57, vlan=7)[1]),
    Fixture("IPv6 echo to the master's address: answered", "client", "icmp6_echo_served_56",
            served_echo6(56)[0], "XDP_TX", "ICMP6_ECHO_REPLIED", served_echo6(56)[1]),
    Fixture("IPv6 echo to an address the kernel owns", "listed", "icmp6_echo_kernel_owned",
            echo6(SERVED6_KERNEL, data=ping_data(56)), "XDP_PASS", "PASSED"),
    Fixture("IPv6 echo to a non-served address", "listed", "icmp6_echo_unlisted",
            echo6(UNLISTED6, data=ping_data(56)), "XDP_PASS", "PASSED"),
    Fixture("an IPv6 echo reply", "listed", "icmp6_echo_reply",
            echo6(SERVED6_ND, data=ping_data(56), icmp=ICMPv6EchoReply), "XDP_PASS", "PASSED"),
    Fixture("ICMPv6 destination unreachable", "listed", "icmp6_dest_unreachable",
            Ether(src=PEER_MAC, dst=IF_MAC) / IPv6(src=PEER6, dst=SERVED6_ND) / ICMPv6DestUnreach() /
            IPv6(src=SERVED6_ND, dst=PEER6) / UDP(), "XDP_PASS", "PASSED"),
    Fixture("IPv6 echo behind destination options", "listed", "icmp6_echo_dest_opts",
            echo6(SERVED6_ND, data=ping_data(56), ext=IPv6ExtHdrDestOpt()), "XDP_PASS", "PASSED"),
    Fixture("IPv6 echo to a multicast MAC", "listed", "icmp6_echo_multicast_mac",
            echo6(SERVED6_ND, data=ping_data(56), eth_dst="33:33:00:00:00:01"), "XDP_PASS", "PASSED"),
    Fixture("IPv6 echo from a multicast source", "listed", "icmp6_echo_multicast_source",
            echo6(SERVED6_ND, src="ff02::1", data=ping_data(56)), "XDP_PASS", "PASSED"),
    Fixture("IPv6 echo from the unspecified address", "listed", "icmp6_echo_unspecified_source",
            echo6(SERVED6_ND, src="::", data=ping_data(56)), "XDP_PASS", "PASSED"),
    Fixture("IPv6 echo cut inside its ICMPv6 header", "listed", "icmp6_echo_truncated",
            ECHO6_TRUNCATED, "XDP_PASS", "IPV6_MALFORMED"),
    Fixture("IPv6 echo without listed addresses", "any", "icmp6_echo_served_56",
            served_echo6(56)[0], "XDP_PASS", "PASSED"),
    # Neighbor Discovery (RFC 4861) for served addresses the kernel does
    # not own: advertisements in place, the frame cut or grown to fit.
    Fixture("NS for a served address: advertised", "listed", "nd_ns_served",
            ns(SERVED6_ND), "XDP_TX", "ND_ADVERTISED", na(SERVED6_ND)),
    Fixture("tagged NS: advertised with the tag", "listed", "nd_ns_served_vlan",
            ns(SERVED6_ND, vlan=7), "XDP_TX", "ND_ADVERTISED", na(SERVED6_ND, vlan=7)),
    Fixture("unicast NS without options (reachability): advertised", "listed", "nd_ns_unicast",
            ns(SERVED6_ND, dst=SERVED6_ND, opts=None), "XDP_TX", "ND_ADVERTISED", na(SERVED6_ND)),
    Fixture("NS followed by padding: advertised, the padding cut", "listed", "nd_ns_padded",
            ns(SERVED6_ND) / Padding(b"\0" * 6), "XDP_TX", "ND_ADVERTISED", na(SERVED6_ND)),
    Fixture("DAD probe: advertised to all nodes, not solicited", "listed", "nd_ns_dad",
            ns(SERVED6_ND, src="::", opts=None), "XDP_TX", "ND_ADVERTISED", DAD_NA),
    Fixture("DAD probe with a nonce: advertised to all nodes", "listed", "nd_ns_dad_nonce",
            ns(SERVED6_ND, src="::", opts=NONCE), "XDP_TX", "ND_ADVERTISED", DAD_NA),
    Fixture("NS from a stranger to an allow-listed server: advertised", "listed", "nd_ns_stranger",
            ns(SERVED6_ALLOW, src=STRANGER6), "XDP_TX", "ND_ADVERTISED", na(SERVED6_ALLOW, dst=STRANGER6)),
    Fixture("NS for the master's address: advertised", "client", "nd_ns_served",
            ns(SERVED6_ND), "XDP_TX", "ND_ADVERTISED", na(SERVED6_ND)),
    Fixture("NS with hop limit 64: dropped", "listed", "nd_ns_hop_limit_64",
            ns(SERVED6_ND, hlim=64), "XDP_DROP", "DROP_ND_HOP_LIMIT"),
    Fixture("NS with hop limit 64 for the kernel's address: the kernel's", "listed",
            "nd_ns_hop_limit_64_kernel", ns(SERVED6_KERNEL, hlim=64), "XDP_PASS", "PASSED"),
    Fixture("NS for an address the kernel owns", "listed", "nd_ns_kernel_owned",
            ns(SERVED6_KERNEL), "XDP_PASS", "PASSED"),
    Fixture("NS for a non-served address", "listed", "nd_ns_unlisted",
            ns(UNLISTED6), "XDP_PASS", "PASSED"),
    Fixture("NS with a wrong checksum", "listed", "nd_ns_bad_checksum",
            ns(SERVED6_ND, cksum=0x1234), "XDP_PASS", "PASSED"),
    Fixture("NS with code 1", "listed", "nd_ns_code_1",
            ns(SERVED6_ND, code=1), "XDP_PASS", "PASSED"),
    Fixture("NS with an option of length 0", "listed", "nd_ns_option_len_0",
            ns(SERVED6_ND, opts=ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC, len=0)), "XDP_PASS", "PASSED"),
    Fixture("DAD probe with a source link-layer address", "listed", "nd_ns_dad_sll",
            ns(SERVED6_ND, src="::"), "XDP_PASS", "PASSED"),
    Fixture("NS to all nodes instead of the solicited-node address", "listed", "nd_ns_wrong_group",
            ns(SERVED6_ND, dst="ff02::1"), "XDP_PASS", "PASSED"),
    Fixture("NS with two options", "listed", "nd_ns_two_options",
            ns(SERVED6_ND, opts=ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC) / NONCE), "XDP_PASS", "PASSED"),
    Fixture("NS without listed addresses", "any", "nd_ns_served",
            ns(SERVED6_ND), "XDP_PASS", "PASSED"),
    # Client mode: the advertisement the master solicited is steered, as
    # its ARP replies are; a server mode program leaves it to the kernel.
    Fixture("the NA the master solicited: steered", "client", "nd_na_to_listed",
            na(PEER6, dst=SERVED6_ND, eth_dst=IF_MAC, eth_src=PEER_MAC), "XDP_DROP", "NO_SOCKET"),
    Fixture("an NA to another address: the kernel's", "client", "nd_na_to_unlisted",
            na(PEER6, dst=UNLISTED6, eth_dst=IF_MAC, eth_src=PEER_MAC), "XDP_PASS", "PASSED"),
    Fixture("a server mode program passes an NA", "listed", "nd_na_to_listed",
            na(PEER6, dst=SERVED6_ND, eth_dst=IF_MAC, eth_src=PEER_MAC), "XDP_PASS", "PASSED"),
    # IPv6 allow-lists (LPM trie, as IPv4's): server 1 admits
    # 2001:2:0:1::/64 and 2001:2:0:3::5/128.
    Fixture("IPv6 echo from an allowed source: answered", "listed", "icmp6_echo_allowed_source",
            served_echo6(56, SERVED6_ALLOW)[0], "XDP_TX", "ICMP6_ECHO_REPLIED", served_echo6(56, SERVED6_ALLOW)[1]),
    Fixture("IPv6 echo from a stranger: dropped", "listed", "icmp6_echo_stranger_source",
            echo6(SERVED6_ALLOW, src=STRANGER6, data=ping_data(56)), "XDP_DROP", "DROP_SOURCE"),
    Fixture("IPv6 SYN from inside an allowed /64: steered", "listed", "tcp6_allowed_source",
            tcp6(SERVED6_ALLOW), "XDP_DROP", "NO_SOCKET"),
    Fixture("IPv6 SYN from the allowed /128: steered", "listed", "tcp6_allowed_host",
            tcp6(SERVED6_ALLOW, src="2001:2:0:3::5"), "XDP_DROP", "NO_SOCKET"),
    Fixture("IPv6 SYN from the /128's neighbour: dropped", "listed", "tcp6_allowed_host_neighbour",
            tcp6(SERVED6_ALLOW, src="2001:2:0:3::6"), "XDP_DROP", "DROP_SOURCE"),
    Fixture("IPv6 SYN from a stranger: dropped", "listed", "tcp6_stranger_source",
            tcp6(SERVED6_ALLOW, src=STRANGER6), "XDP_DROP", "DROP_SOURCE"),
    Fixture("IPv6 SYN from a stranger to server 0 (no allow-list): steered", "listed",
            "tcp6_stranger_no_allow_list", tcp6(SERVED6_ND, src=STRANGER6), "XDP_DROP", "NO_SOCKET"),
    Fixture("IPv6 allow-list without listed addresses: allowed, steered", "any_allow", "tcp6_allowed_source",
            tcp6(SERVED6_ALLOW), "XDP_DROP", "NO_SOCKET"),
    Fixture("IPv6 allow-list without listed addresses: a stranger dropped", "any_allow",
            "tcp6_stranger_source", tcp6(SERVED6_ALLOW, src=STRANGER6), "XDP_DROP", "DROP_SOURCE"),
    Fixture("IPv6 SYN to a server with only IPv4 prefixes: dropped", "listed", "tcp6_allow_list_v4_only",
            tcp6(SERVED6_ALLOW_V4), "XDP_DROP", "DROP_SOURCE"),
    # Client mode.
    Fixture("a server's IPv6 answer to the master: steered", "client", "tcp6_server_answer",
            tcp6(SERVED6_ND, sport=502, dport=40000, flags="SA"), "XDP_DROP", "NO_SOCKET"),
    Fixture("an IPv6 SYN to a server port: the kernel's", "client", "tcp6_served",
            tcp6(SERVED6_ND), "XDP_PASS", "PASSED"),
]

FIXTURES = [
    # ARP (RFC 826) for served addresses the kernel does not own.
    Fixture("ARP request for a served address: answered in place", "listed", "arp_served",
            ARP_SERVED, "XDP_TX", "ARP_REPLIED", arp_reply(SERVED_ARP) / PAD),
    Fixture("the same, tagged: the tag kept", "listed", "arp_served_vlan",
            arp_request(SERVED_ARP, vlan=7), "XDP_TX", "ARP_REPLIED", arp_reply(SERVED_ARP, vlan=7)),
    Fixture("ARP probe (sender 0.0.0.0) for a served address: answered", "listed", "arp_probe_served",
            arp_request(SERVED_ARP, sender="0.0.0.0"), "XDP_TX", "ARP_REPLIED",
            arp_reply(SERVED_ARP, asker_ip="0.0.0.0")),
    Fixture("ARP for an address the kernel owns: the kernel's", "listed", "arp_kernel_owned",
            arp_request(SERVED_KERNEL), "XDP_PASS", "PASSED"),
    Fixture("ARP for an unlisted address: the kernel's", "listed", "arp_unlisted",
            arp_request(UNLISTED), "XDP_PASS", "PASSED"),
    Fixture("an ARP reply, not a request: the kernel's", "listed", "arp_reply_not_request",
            arp_request(SERVED_ARP, op=2), "XDP_PASS", "PASSED"),
    Fixture("gratuitous ARP: the kernel's", "listed", "arp_gratuitous",
            arp_request(SERVED_ARP, sender=SERVED_ARP), "XDP_PASS", "PASSED"),
    Fixture("ARP cut short of its target address: the kernel's", "listed", "arp_truncated",
            ARP_TRUNCATED, "XDP_PASS", "PASSED"),
    Fixture("without listed addresses ARP is the kernel's", "any", "arp_served",
            ARP_SERVED, "XDP_PASS", "PASSED"),
    # ICMP echo (RFC 792) to the same addresses: answered in place, any
    # data length, the tag kept; the allow-list applies as to TCP. A 0-byte
    # echo is padded to 60 bytes on the wire, and the padding stays.
    Fixture("echo of 0 bytes, padded: answered", "listed", "icmp_echo_served_0",
            echo(SERVED_ARP) / Padding(b"\0" * 18), "XDP_TX", "ICMP_ECHO_REPLIED",
            echo_reply(SERVED_ARP) / Padding(b"\0" * 18)),
    *(Fixture(f"echo of {n} bytes: answered", "listed", f"icmp_echo_served_{n}",
              served_echo(n)[0], "XDP_TX", "ICMP_ECHO_REPLIED", served_echo(n)[1])
      for n in (1, 56, 57, 1400)),
    Fixture("tagged echo: answered with the tag", "listed", "icmp_echo_served_vlan",
            served_echo(57, vlan=7)[0], "XDP_TX", "ICMP_ECHO_REPLIED", served_echo(57, vlan=7)[1]),
    Fixture("echo from an allowed source: answered", "listed", "icmp_echo_allowed_source",
            served_echo(56, SERVED_ALLOW)[0], "XDP_TX", "ICMP_ECHO_REPLIED", served_echo(56, SERVED_ALLOW)[1]),
    Fixture("echo from a source outside the allow-list: dropped", "listed", "icmp_echo_stranger_source",
            echo(SERVED_ALLOW, src=STRANGER_IP, data=ping_data(56)), "XDP_DROP", "DROP_SOURCE"),
    # What the kernel judges: its own and unlisted addresses, other ICMP,
    # options, fragments, group addresses, a cut header.
    Fixture("echo to an address the kernel owns", "listed", "icmp_echo_kernel_owned",
            echo(SERVED_KERNEL, data=ping_data(56)), "XDP_PASS", "PASSED"),
    Fixture("echo to an unlisted address", "listed", "icmp_echo_unlisted",
            echo(UNLISTED, data=ping_data(56)), "XDP_PASS", "PASSED"),
    Fixture("an echo reply", "listed", "icmp_echo_reply",
            echo(SERVED_ARP, data=ping_data(56), icmp_type=0), "XDP_PASS", "PASSED"),
    Fixture("destination unreachable", "listed", "icmp_dest_unreachable",
            echo(SERVED_ARP, data=ping_data(56), icmp_type=3), "XDP_PASS", "PASSED"),
    Fixture("echo with IP options", "listed", "icmp_echo_ip_options",
            echo(SERVED_ARP, data=ping_data(56), options=[IPOption_NOP()] * 4), "XDP_PASS", "PASSED"),
    Fixture("first fragment of an echo", "listed", "icmp_echo_first_fragment",
            echo(SERVED_ARP, data=ping_data(56), frag=0, flags="MF"), "XDP_PASS", "PASSED"),
    Fixture("later fragment of an echo", "listed", "icmp_echo_later_fragment",
            echo(SERVED_ARP, data=ping_data(56), frag=185), "XDP_PASS", "PASSED"),
    Fixture("echo to the broadcast MAC", "listed", "icmp_echo_broadcast_mac",
            echo(SERVED_ARP, data=ping_data(56), eth_dst=BCAST), "XDP_PASS", "PASSED"),
    Fixture("echo from a multicast source", "listed", "icmp_echo_multicast_source",
            echo(SERVED_ARP, src="224.0.0.1", data=ping_data(56)), "XDP_PASS", "PASSED"),
    Fixture("echo cut inside its ICMP header", "listed", "icmp_echo_truncated",
            ICMP_TRUNCATED, "XDP_PASS", "PASSED"),
    # Without listed addresses the kernel owns them all, allow-list or not.
    Fixture("echo without listed addresses", "any", "icmp_echo_served_56",
            served_echo(56)[0], "XDP_PASS", "PASSED"),
    Fixture("echo from a stranger without listed addresses", "any_allow", "icmp_echo_stranger_source",
            echo(SERVED_ALLOW, src=STRANGER_IP, data=ping_data(56)), "XDP_PASS", "PASSED"),
    # TCP steering by port and address.
    Fixture("SYN to a served address: steered", "listed", "tcp_served",
            SYN_SERVED, "XDP_DROP", "NO_SOCKET"),
    Fixture("tagged SYN to a served address: steered", "listed", "tcp_served_vlan",
            syn(SERVED_KERNEL, vlan=7), "XDP_DROP", "NO_SOCKET"),
    Fixture("SYN to an unlisted address: the kernel's", "listed", "tcp_unlisted",
            syn(UNLISTED), "XDP_PASS", "UNLISTED_ADDR"),
    Fixture("SYN to another port: the kernel's", "listed", "tcp_other_port",
            syn(SERVED_ARP, dport=80), "XDP_PASS", "PASSED"),
    Fixture("a later TCP fragment: the kernel's", "listed", "tcp_later_fragment",
            syn(SERVED_ARP, frag=1), "XDP_PASS", "PASSED"),
    Fixture("UDP to the served port: the kernel's", "listed", "udp_served",
            UDP_SERVED, "XDP_PASS", "PASSED"),
    Fixture("without listed addresses every address is served", "any", "tcp_unlisted",
            syn(UNLISTED), "XDP_DROP", "NO_SOCKET"),
    # Allow-lists.
    Fixture("SYN from an allowed source: steered", "listed", "tcp_allowed_source",
            syn(SERVED_ALLOW), "XDP_DROP", "NO_SOCKET"),
    Fixture("SYN from a stranger: dropped", "listed", "tcp_stranger_source",
            syn(SERVED_ALLOW, src=STRANGER_IP), "XDP_DROP", "DROP_SOURCE"),
    Fixture("server 0 has no allow-list: steered", "listed", "tcp_served",
            SYN_SERVED, "XDP_DROP", "NO_SOCKET"),
    Fixture("no allow-list: a stranger is steered", "any", "tcp_stranger_source",
            syn(SERVED_ALLOW, src=STRANGER_IP), "XDP_DROP", "NO_SOCKET"),
    Fixture("an allow-list without listed addresses: allowed, steered", "any_allow", "tcp_allowed_source",
            syn(SERVED_ALLOW), "XDP_DROP", "NO_SOCKET"),
    Fixture("an allow-list without listed addresses: a stranger dropped", "any_allow",
            "tcp_stranger_source", syn(SERVED_ALLOW, src=STRANGER_IP), "XDP_DROP", "DROP_SOURCE"),
    # --other-queues pass: a kernel server may have the unserved queues.
    Fixture("no socket on the queue: passed to the kernel", "any_pass", "tcp_served",
            SYN_SERVED, "XDP_PASS", "NO_SOCKET"),
    Fixture("UDP with --other-queues pass: the kernel's", "any_pass", "udp_served",
            UDP_SERVED, "XDP_PASS", "PASSED"),
    # Client mode: the servers' answers and the ARP reply the master asked
    # for are steered (no socket here: dropped), what goes to a server port
    # is not; the master's addresses are answered for.
    Fixture("a server's answer to the master: steered", "client", "tcp_server_answer",
            syn(SERVED_ARP, sport=502, dport=40000, flags="SA"), "XDP_DROP", "NO_SOCKET"),
    Fixture("a server's answer to an unlisted address", "client", "tcp_server_answer_unlisted",
            syn(UNLISTED, sport=502, dport=40000, flags="SA"), "XDP_PASS", "UNLISTED_ADDR"),
    Fixture("a SYN to a server port: the kernel's", "client", "tcp_served",
            SYN_SERVED, "XDP_PASS", "PASSED"),
    Fixture("the ARP reply the master asked for: steered", "client", "arp_reply_to_listed",
            arp_reply(PEER_IP, asker_ip=SERVED_ARP), "XDP_DROP", "NO_SOCKET"),
    Fixture("an ARP reply to another address: the kernel's", "client", "arp_reply_to_unlisted",
            arp_reply(PEER_IP, asker_ip=UNLISTED), "XDP_PASS", "PASSED"),
    Fixture("ARP for the master's address: answered", "client", "arp_served",
            ARP_SERVED, "XDP_TX", "ARP_REPLIED", arp_reply(SERVED_ARP) / PAD),
    Fixture("a server mode program passes an ARP reply", "listed", "arp_reply_to_listed",
            arp_reply(PEER_IP, asker_ip=SERVED_ARP), "XDP_PASS", "PASSED"),
    Fixture("a server mode program passes a server's answer", "listed", "tcp_server_answer",
            syn(SERVED_ARP, sport=502, dport=40000, flags="SA"), "XDP_PASS", "PASSED"),
    *FIXTURES6,
]


def main():
    with open(sys.argv[1], "w") as out:
        for f in FIXTURES:
            assert (f.verdict == "XDP_TX") == (f.output is not None), f.name
            packet_out = bytes(f.output).hex() if f.output is not None else "-"
            out.write(f"{f.config} {f.name} {f.verdict} {f.counter} {bytes(f.packet).hex()} {packet_out}\n")


if __name__ == "__main__":
    main()
