"""Wire fixtures: Modbus/TCP over IPv6 (RFC 8200): the handshake, requests,
closing and resets as over IPv4, with one 802.1Q tag, behind the extension
headers the stack steps over; and the IPv6 frames it drops, each under its
counter.

    /usr/bin/python3 ipv6_tcp.py OUTDIR   (wire.py says what a fixture is)
"""
import sys

from scapy.all import (TCP, UDP, Raw, Ether, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting)

from wire import (CLIENT_IP6, CLIENT_MAC, OUR_MSS6, SERVER_IP6, SERVER_MAC, Conn, counts,
                  dropped, read_regs, regs_resp, fixture, main)


def dstopts(n):
    """n destination options headers in a chain (8 bytes each, PadN)."""
    chain = IPv6ExtHdrDestOpt()
    for _ in range(n - 1):
        chain = chain / IPv6ExtHdrDestOpt()
    return chain


# RFC 8200 4.4: a routing header with no segments left is stepped over
# whatever its type (type 2 carries no addresses here).
ROUTING_DONE = IPv6ExtHdrRouting(type=2, segleft=0, addresses=[])


def conversation(c):
    """The handshake and an FC 03 request answered (MAP 6.3)."""
    f = c.handshake()
    f += [c.cl("PA", read_regs(1, 100, 3)), c.sv("PA", regs_resp(1, 100, 3))]
    return f


@fixture
def handshake_and_request_v6():
    """RFC 9293 3.5 over RFC 8200: a SYN gets a SYN-ACK with our MSS for
    IPv6 (the IPv4 one less the 20 bytes the larger header takes: 3.7.1),
    in a 40-byte IPv6 header with hop limit 64 and flow label 0; the
    cookie's ACK opens the connection (RFC 4987 3.6), whose FC 03 request
    is answered in one segment with the ACK piggybacked."""
    f = conversation(Conn(41001, ip=CLIENT_IP6))
    return f + [counts(tx_syn_ack=1, conn_opened=1)]


@fixture
def syn_cookie_no_state_v6():
    """RFC 4987 3.6 with the IPv6 tuple: the first data segment stands in
    for a lost handshake ACK; a made-up ACK gets <SEQ=SEG.ACK><CTL=RST>
    (RFC 9293 3.10.7.2) over IPv6."""
    c = Conn(41002, ip=CLIENT_IP6)
    f = [c.cl("S", options=[("MSS", 1440)]), c.sv("SA", mss=OUR_MSS6)]
    f += [c.cl("PA", read_regs(1, 9, 1)), c.sv("PA", regs_resp(1, 9, 1))]
    forged = Conn(41003, ip=CLIENT_IP6)
    forged.sseq = 4242
    f += [forged.cl("A"), forged.sv("R", seq=4242)]
    return f


@fixture
def default_mss_v6():
    """RFC 9293 3.7.1: without an MSS option the peer's MSS over IPv6 is
    1220 (1280 - 60), not IPv4's 536: six 125-register responses (1554
    bytes) go out as 1220 + 334."""
    c = Conn(41004, ip=CLIENT_IP6, mss=None)
    f = c.handshake()
    reqs = b"".join(read_regs(i, i, 125) for i in range(6))
    resps = b"".join(regs_resp(i, i, 125) for i in range(6))
    f += [c.cl("PA", reqs), c.sv("A", resps[:1220]), c.sv("PA", resps[1220:])]
    return f


@fixture
def send_mss_capped_v6():
    """RFC 9293 3.7.1: the MSS we send with is the peer's, but no more than
    our MTU allows over IPv6 (1500 - 40 - 20 = 1440): a peer announcing
    1460 (an IPv4 figure) gets 1554 bytes of responses as 1440 + 114."""
    c = Conn(41012, ip=CLIENT_IP6, mss=1460)
    f = c.handshake()
    reqs = b"".join(read_regs(i, i, 125) for i in range(6))
    resps = b"".join(regs_resp(i, i, 125) for i in range(6))
    f += [c.cl("PA", reqs), c.sv("A", resps[:1440]), c.sv("PA", resps[1440:])]
    return f


@fixture
def split_request_v6():
    """RFC 9293 3.8: a request split inside its MBAP header is
    acknowledged, held, and answered when complete."""
    c = Conn(41005, ip=CLIENT_IP6)
    f = c.handshake()
    req = read_regs(3, 500, 2)
    f += [c.cl("PA", req[:4]), c.sv("A")]
    f += [c.cl("PA", req[4:]), c.sv("PA", regs_resp(3, 500, 2))]
    return f


@fixture
def passive_close_v6():
    """RFC 9293 3.6: the peer's FIN, with a request in it, is answered and
    acknowledged with our FIN in one segment; its ACK closes, and a segment
    after that finds no connection: RST (3.10.7.2)."""
    c = Conn(41006, ip=CLIENT_IP6)
    f = c.handshake()
    f += [c.cl("FPA", read_regs(5, 5, 1)), c.sv("FPA", regs_resp(5, 5, 1)), c.cl("A")]
    f += [c.cl("A", seq=c.cseq), c.sv("R", seq=c.sseq)]
    return f + [counts(conn_opened=1, conn_closed=1)]


@fixture
def rst_v6():
    """RFC 5961 3.2: a RST in the window but not at RCV.NXT gets a challenge
    ACK; one at RCV.NXT resets, silently; then an ACK finds no connection."""
    c = Conn(41007, ip=CLIENT_IP6)
    f = c.handshake()
    f += [c.cl("R", seq=c.cseq + 100), c.sv("A")]
    f += [c.cl("R", seq=c.cseq)]
    f += [c.cl("A", seq=c.cseq, ack=c.sseq + 100), c.sv("R", seq=c.sseq + 100)]
    return f + [counts(tx_challenge_ack=1)]


@fixture
def rst_for_closed_port_v6():
    """RFC 9293 3.10.7.1: an IPv6 SYN to a port nobody serves gets
    <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, built from the segment
    alone."""
    c = Conn(41008, ip=CLIENT_IP6)
    syn = c.cl("S")
    syn[TCP].dport = 503
    rst = c.sv("RA", seq=0, ack=1001)
    rst[TCP].sport = 503
    return [syn, rst, counts(rst_port_not_served=1)]


@fixture
def vlan_tagged_v6():
    """RFC 2464 over 802.1Q: a tagged IPv6 connection is answered with the
    tag kept."""
    return conversation(Conn(41009, ip=CLIENT_IP6, vlan=7))


@fixture
def ipv4_and_ipv6_together():
    """The same client port from an IPv4 and an IPv6 address: two
    connections, each answered in its family, the requests interleaved."""
    a, b = Conn(41010), Conn(41010, ip=CLIENT_IP6)
    f = a.handshake() + b.handshake()
    f += [b.cl("PA", read_regs(1, 1, 1)), b.sv("PA", regs_resp(1, 1, 1))]
    f += [a.cl("PA", read_regs(2, 2, 2)), a.sv("PA", regs_resp(2, 2, 2))]
    return f + [counts(conn_opened=2)]


# What the stack sends with no frame to answer (timers; evictions:
# conn_limits.py) is built from the connection's record: the IPv6 addresses
# from its side tables.
@fixture(args="--idle-timeout 0")
def retransmit_v6():
    """RFC 6298 5.4-5.5: an unacknowledged response goes again over IPv6
    when the RTO (1 s) expires, then after twice that; an ACK stops it."""
    c = Conn(41040, ip=CLIENT_IP6)
    f = c.handshake()
    f.append(c.cl("PA", read_regs(1, 30, 2), at=0.0))
    start = c.sseq
    f.append(c.sv("PA", regs_resp(1, 30, 2)))
    f.append(c.sv("PA", regs_resp(1, 30, 2), seq=start, at=1.1))
    f.append(c.sv("PA", regs_resp(1, 30, 2), seq=start, at=3.2))
    f += [c.cl("A", at=3.3), c.cl("A", at=60.0)]  # nothing more
    return f


@fixture(args="--idle-timeout 0 --keepalive 2,1,2")
def keepalive_tagged_v6():
    """RFC 1122 4.2.3.6 over IPv6 behind a tag: a probe
    <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK> after the idle time; after COUNT
    unanswered probes the connection is reset, the tag kept throughout."""
    a = Conn(41041, ip=CLIENT_IP6, vlan=7)
    f = a.handshake()
    f += [a.sv("A", seq=a.sseq - 1, at=2.01), a.cl("A", at=2.5)]
    f += [a.sv("A", seq=a.sseq - 1, at=4.51), a.sv("A", seq=a.sseq - 1, at=5.52)]
    f.append(a.sv("R", at=6.53))
    return f


@fixture(args="--idle-timeout 10 --time-wait 1000")
def idle_timeout_close_v6():
    """MIG 4.2.1 and RFC 9293 3.6: an idle IPv6 connection is closed by our
    FIN; the peer's FIN is acknowledged (TIME-WAIT); after TIME-WAIT a
    segment finds no connection: RST."""
    a = Conn(41042, ip=CLIENT_IP6)
    f = a.handshake()
    f += [a.cl("PA", read_regs(5, 5, 1), at=1), a.sv("PA", regs_resp(5, 5, 1)), a.cl("A")]
    f.append(a.sv("FA", at=11.05))
    f += [a.cl("A"), a.cl("FA"), a.sv("A")]
    f += [a.cl("A", at=12.5), a.sv("R", seq=a.sseq)]
    return f


# RFC 8200 4.1 and 4.3-4.6: extension headers before TCP that a host steps
# over; the answers carry none.
@fixture
def hop_by_hop_v6():
    """RFC 8200 4.3: a hop-by-hop options header first."""
    return conversation(Conn(41020, ip=CLIENT_IP6, ext=IPv6ExtHdrHopByHop()))


@fixture
def destination_options_v6():
    """RFC 8200 4.6: a destination options header."""
    return conversation(Conn(41021, ip=CLIENT_IP6, ext=IPv6ExtHdrDestOpt()))


@fixture
def routing_done_v6():
    """RFC 8200 4.4: a routing header with no segments left: we are its
    final destination."""
    return conversation(Conn(41022, ip=CLIENT_IP6, ext=ROUTING_DONE))


@fixture
def three_ext_headers_tagged_v6():
    """RFC 8200 4.1's order: hop-by-hop, routing, destination options,
    behind a tag."""
    ext = IPv6ExtHdrHopByHop() / ROUTING_DONE / IPv6ExtHdrDestOpt()
    return conversation(Conn(41023, ip=CLIENT_IP6, vlan=7, ext=ext))


@fixture
def four_ext_headers_v6():
    """Four extension headers, the most the stack (and the XDP program)
    walks: hop-by-hop and three destination options."""
    return conversation(Conn(41024, ip=CLIENT_IP6, ext=IPv6ExtHdrHopByHop() / dstopts(3)))


def syn6(port, src=CLIENT_IP6):
    """A SYN to SERVER_IP6."""
    return Conn(port, ip=src).cl("S", options=[("MSS", 1440)])


def to_other_address(pkt, dst):
    """pkt sent to dst instead, its TCP checksum right for that."""
    b = Ether(bytes(pkt))
    b[IPv6].dst = dst
    del b[TCP].chksum
    return Ether(bytes(b))


def rebuilt(pkt, **fields):
    """pkt as bytes, with IPv6 header fields changed (the rest, checksum
    included, as built before)."""
    b = Ether(bytes(pkt))
    for k, v in fields.items():
        setattr(b[IPv6], k, v)
    return Ether(bytes(b))


def with_ext(port, ext):
    """A SYN to SERVER_IP6 behind the extension headers ext."""
    return Conn(port, ip=CLIENT_IP6, ext=ext).cl("S", options=[("MSS", 1440)])


S = syn6(41030)
BAD_CSUM = Ether(bytes(S))
BAD_CSUM[TCP].chksum ^= 0x2222
UDP6 = Ether(src=CLIENT_MAC, dst=SERVER_MAC) / IPv6(src=CLIENT_IP6, dst=SERVER_IP6) / \
    UDP(sport=41030, dport=502)
NO_NEXT = Ether(src=CLIENT_MAC, dst=SERVER_MAC) / IPv6(src=CLIENT_IP6, dst=SERVER_IP6, nh=59) / \
    Raw(bytes(20))

dropped("ip6_version_4", "RFC 8200 3: ethertype IPv6 with version 4.",
        rebuilt(S, version=4), "drop_ip6_bad_header")
dropped("ip6_payload_length_0", "RFC 8200 3 and RFC 2675: a payload length of 0, a jumbogram's, "
        "which Ethernet cannot carry.", rebuilt(S, plen=0), "drop_ip6_bad_header")
dropped("ip6_payload_length_past_frame", "RFC 8200 3: a payload length (100) past the frame's "
        "end (20 bytes of TCP): the frame was cut short, counted as an IPv4 one is.",
        rebuilt(S, plen=100), "drop_short_frame")
dropped("ip6_header_cut", "RFC 8200 3: a frame cut inside the fixed header (30 of its 40 bytes).",
        Ether(bytes(S)[:14 + 30]), "drop_short_frame")
dropped("ip6_tcp_past_payload_length", "RFC 9293 3.1: a payload length (2) that ends inside the "
        "TCP header; what follows is padding.", rebuilt(S, plen=2), "drop_short_frame")
dropped("ip6_first_fragment", "RFC 8200 4.5: a first fragment (M set): fragments are not "
        "reassembled.", with_ext(41031, IPv6ExtHdrFragment(m=1, id=7)), "drop_ip6_ext_header")
dropped("ip6_later_fragment", "RFC 8200 4.5: a fragment at offset 24.",
        with_ext(41032, IPv6ExtHdrFragment(offset=3, id=7)), "drop_ip6_ext_header")
dropped("ip6_routing_segments_left", "RFC 8200 4.4: a routing header with a segment left: we are "
        "not its final destination.",
        with_ext(41033, IPv6ExtHdrRouting(type=0, segleft=1, addresses=["2001:2::9"])),
        "drop_ip6_ext_header")
dropped("ip6_five_ext_headers", "Five extension headers (hop-by-hop and four destination "
        "options): more than the stack walks.", with_ext(41034, IPv6ExtHdrHopByHop() / dstopts(4)),
        "drop_ip6_ext_header")
dropped("ip6_hop_by_hop_not_first", "RFC 8200 4.1: hop-by-hop options anywhere but first.",
        with_ext(41035, IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop()), "drop_ip6_ext_header")
dropped("ip6_ext_header_past_packet", "RFC 8200 4.6: a destination options header whose length "
        "(88 bytes) runs past the packet.", with_ext(41036, IPv6ExtHdrDestOpt(len=10, autopad=0)),
        "drop_ip6_ext_header")
dropped("ip6_bad_tcp_checksum", "RFC 8200 8.1: a TCP checksum wrong over the IPv6 pseudo-header.",
        BAD_CSUM, "drop_tcp_bad_csum")
dropped("ip6_multicast_source", "RFC 4291 2.7: a multicast source address.",
        syn6(41037, src="ff02::1"), "drop_ip6_bad_source")
dropped("ip6_unspecified_source", "RFC 4291 2.5.2: the unspecified source address.",
        syn6(41038, src="::"), "drop_ip6_bad_source")
dropped("ip6_udp", "UDP over IPv6 to the served port: neither TCP nor ICMPv6.", UDP6,
        "drop_ip6_not_tcp")
dropped("ip6_no_next_header", "RFC 8200 4.7: no next header (59), 20 bytes after it.", NO_NEXT, "drop_ip6_not_tcp")
dropped("ip6_not_our_address", "RFC 4291 2.7: a SYN to an address the stack does not own.",
        to_other_address(syn6(41039), "2001:2::99"), "drop_not_our_address")


if __name__ == "__main__":
    main(sys.argv[1])
