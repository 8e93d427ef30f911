"""Wire fixtures: Neighbor Discovery (RFC 4861) and ICMPv6 echo (RFC 4443)
answered for the stack's own IPv6 address, and the ICMPv6 it drops, each
under its counter.

    /usr/bin/python3 nd_icmp6.py OUTDIR   (wire.py says what a fixture is)
"""
import ipaddress
import sys

from scapy.all import (Dot1Q, Ether, ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest,
                       ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr, IPv6,
                       IPv6ExtHdrDestOpt, UDP)

from wire import CLIENT_IP6, CLIENT_MAC, SERVER_IP6, SERVER_MAC, counts, dropped, fixture, main

# In the stack's solicited-node group (ff02::1:ff00:1, as SERVER_IP6's low
# 24 bits are the same) but not its own.
NEIGHBOUR6 = "2001:2:0:1::1"


def l2(src, dst, vlan):
    eth = Ether(src=src, dst=dst)
    return eth / Dot1Q(vlan=vlan) if vlan is not None else eth


def solicited_node(addr):
    """RFC 4291 2.7.1: ff02::1:ffXX:XXXX with addr's low 24 bits."""
    low = int(ipaddress.IPv6Address(addr)) & 0xffffff
    return str(ipaddress.IPv6Address(int(ipaddress.IPv6Address("ff02::1:ff00:0")) | low))


def group_mac(addr):
    """RFC 2464 7: 33:33 and the group address's low 32 bits."""
    return "33:33:" + ":".join(f"{b:02x}" for b in ipaddress.IPv6Address(addr).packed[12:])


def ns(target=SERVER_IP6, src=CLIENT_IP6, dst=None, hlim=255, sll=True, vlan=None, **icmp):
    """A Neighbor Solicitation (RFC 4861 4.3), by default as a host
    resolving target sends it: to the solicited-node address, with the
    source link-layer address option."""
    dst = dst or solicited_node(target)
    msg = ICMPv6ND_NS(tgt=target, **icmp)
    if sll:
        msg = msg / ICMPv6NDOptSrcLLAddr(lladdr=CLIENT_MAC)
    eth_dst = SERVER_MAC if dst == SERVER_IP6 else group_mac(dst)
    return l2(CLIENT_MAC, eth_dst, vlan) / IPv6(src=src, dst=dst, hlim=hlim) / msg


def na(dst=CLIENT_IP6, eth_dst=CLIENT_MAC, solicited=1, vlan=None):
    """RFC 4861 7.2.4: the stack's advertisement of SERVER_IP6, from it and
    its MAC: hop limit 255, Override set, Router clear, Solicited as asked,
    the target link-layer address option."""
    return l2(SERVER_MAC, eth_dst, vlan) / IPv6(src=SERVER_IP6, dst=dst, hlim=255, tc=0, fl=0) / \
        ICMPv6ND_NA(tgt=SERVER_IP6, R=0, S=solicited, O=1) / ICMPv6NDOptDstLLAddr(lladdr=SERVER_MAC)


# RFC 4861 7.2.4: the answer to a solicitation from the unspecified
# address (duplicate address detection) goes to all nodes, not solicited.
DAD_NA = na(dst="ff02::1", eth_dst=group_mac("ff02::1"), solicited=0)


def ping_data(n):
    """n bytes of ping-like data: every byte value."""
    return bytes(i * 7 % 256 for i in range(n))


def echo6(data, dst=SERVER_IP6, src=CLIENT_IP6, vlan=None, ext=None, icmp=ICMPv6EchoRequest):
    """An echo request (RFC 4443 4.1), hop limit 57 so that the reply's 64
    is a change."""
    l3 = IPv6(src=src, dst=dst, hlim=57)
    if ext is not None:
        l3 = l3 / ext
    return l2(CLIENT_MAC, SERVER_MAC, vlan) / l3 / icmp(id=0x1234, seq=7, data=data)


def echo6_reply(data, vlan=None):
    """RFC 4443 4.2: the reply to echo6(data): identifier, sequence number
    and data echoed, from the address asked, hop limit 64, no extension
    headers."""
    return l2(SERVER_MAC, CLIENT_MAC, vlan) / IPv6(src=SERVER_IP6, dst=CLIENT_IP6, hlim=64, tc=0, fl=0) / \
        ICMPv6EchoReply(id=0x1234, seq=7, data=data)


@fixture
def ns_answered():
    """RFC 4861 7.2.3-7.2.4: an NS for our address, to its solicited-node
    group, with the asker's link-layer address, gets a solicited NA."""
    return [ns(), na(), counts(tx_nd_advert=1)]


@fixture
def ns_unicast_answered():
    """RFC 4861 7.2.4 (unreachability detection): a unicast NS without
    options gets an NA to the frame's sender."""
    return [ns(dst=SERVER_IP6, sll=False), na(), counts(tx_nd_advert=1)]


@fixture
def ns_tagged_answered():
    """RFC 4861 over 802.1Q: the NA goes back with the tag."""
    return [ns(vlan=7), na(vlan=7)]


@fixture
def ns_dad_answered():
    """RFC 4862 5.4.3 and RFC 4861 7.2.4: a duplicate address detection
    probe (from ::, no source link-layer option) for our address gets an NA
    to all nodes, Solicited clear, so that the prober gives the address up."""
    return [ns(src="::", sll=False), DAD_NA, counts(tx_nd_advert=1)]


ECHO = echo6(ping_data(56))
BAD_ECHO = Ether(bytes(ECHO))
BAD_ECHO[ICMPv6EchoRequest].cksum ^= 0x0101
# An echo request whose payload length (4) ends inside its ICMPv6 header.
ECHO_CUT = Ether(bytes(echo6(b""))[:14 + 40 + 4])
ECHO_CUT[IPv6].plen = 4
BAD_NS = Ether(bytes(ns()))
BAD_NS[ICMPv6ND_NS].cksum ^= 0x0101

dropped("ns_other_target", "RFC 4861 7.2.3: an NS to our solicited-node group for an address we "
        "do not own.", ns(target=NEIGHBOUR6), "drop_nd_bad")
dropped("ns_hop_limit_254", "RFC 4861 7.1.1: an NS with hop limit 254 came through a router.",
        ns(hlim=254), "drop_nd_bad")
dropped("ns_code_1", "RFC 4861 7.1.1: an NS with ICMP code 1.", ns(code=1), "drop_nd_bad")
dropped("ns_option_length_0", "RFC 4861 7.1.1: an NS with an option of length 0.",
        ns(sll=False) / ICMPv6NDOptSrcLLAddr(lladdr=CLIENT_MAC, len=0), "drop_nd_bad")
dropped("ns_dad_with_source_option", "RFC 4861 7.1.1: an NS from :: with a source link-layer "
        "option.", ns(src="::"), "drop_nd_bad")
dropped("ns_bad_checksum", "RFC 4443 2.3: an NS with a wrong checksum.", BAD_NS, "drop_icmp6_bad")


@fixture
def echo_answered():
    """RFC 4443 4.2: an echo request to our address gets a reply with its
    identifier, sequence number and data; odd lengths too (RFC 1071's last
    byte)."""
    f = [ECHO, echo6_reply(ping_data(56))]
    f += [echo6(ping_data(57)), echo6_reply(ping_data(57))]
    return f + [counts(tx_icmp6_echo_reply=2)]


@fixture
def echo_tagged_answered():
    """RFC 4443 4.2 over 802.1Q: the reply keeps the tag."""
    return [echo6(ping_data(56), vlan=7), echo6_reply(ping_data(56), vlan=7)]


@fixture
def echo_behind_dest_options_answered():
    """RFC 8200 4.6 and RFC 4443 4.2: an echo behind a destination options
    header is answered; the reply carries no extension header."""
    return [echo6(ping_data(56), ext=IPv6ExtHdrDestOpt()), echo6_reply(ping_data(56))]


dropped("echo_bad_checksum", "RFC 4443 2.3: an echo request with a wrong checksum.", BAD_ECHO,
        "drop_icmp6_bad")
dropped("echo_cut", "RFC 4443 2.1: an ICMPv6 message cut inside its header (payload length 4).",
        ECHO_CUT, "drop_icmp6_bad")
dropped("echo_multicast_source", "RFC 4291 2.7: an echo request from a multicast source.",
        echo6(ping_data(8), src="ff02::1"), "drop_ip6_bad_source")
dropped("echo_unspecified_source", "RFC 4291 2.5.2: an echo request from ::.",
        echo6(ping_data(8), src="::"), "drop_ip6_bad_source")
dropped("echo_reply_not_answered", "RFC 4443 4.2: an echo reply is not answered.",
        echo6(ping_data(8), icmp=ICMPv6EchoReply), "drop_icmp6_not_handled")
dropped("dest_unreachable_not_answered", "RFC 4443 2.4 (c): an error message is never answered.",
        Ether(src=CLIENT_MAC, dst=SERVER_MAC) / IPv6(src=CLIENT_IP6, dst=SERVER_IP6) /
        ICMPv6DestUnreach() / IPv6(src=SERVER_IP6, dst=CLIENT_IP6) / UDP(), "drop_icmp6_not_handled")
dropped("echo_other_address", "RFC 4291 2.7: an echo request to an address we do not own.",
        echo6(ping_data(8), dst="2001:2::99"), "drop_not_our_address")


if __name__ == "__main__":
    main(sys.argv[1])
