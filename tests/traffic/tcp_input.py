"""Wire fixtures: which segments are accepted: RSTs, SYNs, checksums, ordering, overlaps,
old and unacceptable ACKs, tags and options.

    /usr/bin/python3 tcp_input.py OUTDIR   (wire.py says what a fixture is)
"""
import sys

from scapy.all import IP, TCP, Ether

from wire import Conn, read_regs, regs_resp, fixture, main


@fixture
def rst_for_unknown_connection():
    """RFC 9293 3.10.7.2 (LISTEN): an ACK of no connection gets
    <SEQ=SEG.ACK><CTL=RST>; a RST is never answered."""
    c = Conn(40008)
    c.sseq = 777
    return [c.cl("A", b"x"), c.sv("R", seq=777), c.cl("R")]


@fixture
def rst_for_closed_port():
    """RFC 9293 3.10.7.1 (CLOSED): a SYN to a port nobody serves gets
    <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>."""
    c = Conn(40009)
    syn = c.cl("S")
    syn[TCP].dport = 503
    rst = c.sv("RA", seq=0, ack=1001)
    rst[TCP].sport = 503
    return [syn, rst]


@fixture
def rst_exact_and_in_window():
    """RFC 5961 3.2: a RST in the window but not at RCV.NXT gets a challenge
    ACK; one at exactly RCV.NXT resets (no reply)."""
    c = Conn(40010)
    f = c.handshake()
    f.append(c.cl("R", seq=c.cseq + 100))
    f.append(c.sv("A"))
    f.append(c.cl("R", seq=c.cseq))
    # Gone now: an ACK of it gets a RST. (The handshake's own ACK, sent again
    # within the cookie's lifetime, would open it anew: RFC 4987 3.6.)
    f.append(c.cl("A", seq=c.cseq, ack=c.sseq + 100))
    f.append(c.sv("R", seq=c.sseq + 100))
    return f


@fixture
def syn_on_established():
    """RFC 5961 4.2: a SYN on a synchronized connection gets a challenge ACK."""
    c = Conn(40011)
    f = c.handshake()
    f.append(c.cl("S", seq=c.cseq + 5000))
    f.append(c.sv("A"))
    return f


@fixture
def bad_checksums_dropped():
    """RFC 1122 3.2.1.2 and RFC 9293 3.1: a bad IP or TCP checksum is
    dropped, never answered; the good request after them is."""
    c = Conn(40012)
    f = c.handshake()
    bad_ip = c.cl("PA", read_regs(1, 1, 1), seq=c.cseq)
    bad_ip = Ether(bytes(bad_ip))
    bad_ip[IP].chksum ^= 0x1111
    bad_tcp = c.cl("PA", read_regs(1, 1, 1), seq=c.cseq)
    bad_tcp = Ether(bytes(bad_tcp))
    bad_tcp[TCP].chksum ^= 0x2222
    f += [bad_ip, bad_tcp]
    f.append(c.cl("PA", read_regs(1, 1, 1)))
    f.append(c.sv("PA", regs_resp(1, 1, 1)))
    return f


@fixture
def out_of_order_and_duplicate():
    """RFC 9293 3.10.7.4: text beyond RCV.NXT that cannot be kept (a second
    run past another hole) is dropped with a duplicate ACK, and answered
    when it comes again; a retransmission of answered data is
    acknowledged, not answered again."""
    c = Conn(40013)
    f = c.handshake()
    reqs = [read_regs(i, i, 1) for i in range(1, 5)]
    f += [c.cl("PA", reqs[1], seq=c.cseq + 12), c.sv("A")]  # kept
    f += [c.cl("PA", reqs[3], seq=c.cseq + 36), c.sv("A")]  # a second hole: dropped
    f.append(c.cl("PA", reqs[0]))
    c.cseq += 12
    f.append(c.sv("PA", regs_resp(1, 1, 1) + regs_resp(2, 2, 1)))
    f += [c.cl("PA", reqs[2]), c.sv("PA", regs_resp(3, 3, 1))]
    f += [c.cl("PA", reqs[3]), c.sv("PA", regs_resp(4, 4, 1))]
    f.append(c.cl("PA", reqs[3], seq=c.cseq - 12))
    f.append(c.sv("A"))
    return f


@fixture
def vlan_tagged():
    """IEEE 802.1Q: a tagged request is answered with the same tag."""
    c = Conn(40014, vlan=42)
    f = c.handshake()
    f.append(c.cl("PA", read_regs(4, 4, 2)))
    f.append(c.sv("PA", regs_resp(4, 4, 2)))
    return f


@fixture
def ip_options_not_echoed():
    """RFC 1122 3.2.1.8: options of a request's IP header are not echoed;
    the reply has a plain 20-byte header."""
    c = Conn(40015)
    f = c.handshake()
    f.append(c.cl("PA", read_regs(6, 6, 1), ip_options=b"\x01\x01\x01\x00"))
    f.append(c.sv("PA", regs_resp(6, 6, 1)))
    return f


@fixture
def overlapping_segment_trimmed():
    """RFC 9293 3.10.7.4 (segment text): a segment that overlaps what was
    received is trimmed to the new bytes; nothing is delivered twice."""
    c = Conn(40019)
    f = c.handshake()
    first, second = read_regs(1, 1, 1), read_regs(2, 2, 1)
    f.append(c.cl("PA", first))
    f.append(c.sv("PA", regs_resp(1, 1, 1)))
    f.append(c.cl("PA", first + second, seq=c.cseq - 12))
    c.cseq += 12
    f.append(c.sv("PA", regs_resp(2, 2, 1)))
    return f


@fixture
def ack_too_old():
    """RFC 5961 5.2: an ACK older than SND.UNA - MAX.SND.WND gets a challenge
    ACK and is dropped: its data is not answered."""
    c = Conn(40024)
    f = c.handshake()
    f.append(c.cl("PA", read_regs(1, 1, 1), ack=(c.sseq - 70000) & 0xFFFFFFFF))
    c.cseq -= 12
    f.append(c.sv("A"))
    return f


@fixture
def challenge_ack_per_connection():
    """RFC 5961 7: challenge ACKs are limited per connection, so no
    connection's sequence space can be probed by counting them: after one,
    a RST in the window (3.2) and a SYN (4.2) within 500 ms get nothing;
    500 ms on, the next gets its challenge ACK again."""
    c = Conn(40041)
    f = c.handshake()
    f += [c.cl("R", seq=c.cseq + 100, at=1.0), c.sv("A")]
    f.append(c.cl("R", seq=c.cseq + 200, at=1.1))
    f.append(c.cl("S", seq=c.cseq + 300, at=1.4))
    f += [c.cl("R", seq=c.cseq + 100, at=1.6), c.sv("A")]
    return f


@fixture
def unacceptable_ack_limited():
    """RFC 9293 3.10.7.4 (first check) with RFC 5961 7: an unacceptable
    segment is answered with an ACK at most once per 500 ms per connection
    (Linux's tcp_invalid_ratelimit), so two peers cannot be made to
    exchange ACKs without end. Old data (a retransmission: the peer missed
    our ACK) is always acknowledged."""
    c = Conn(40042)
    f = c.handshake()
    far = (c.cseq + 100000) & 0xFFFFFFFF
    f += [c.cl("A", seq=far, at=1.0), c.sv("A")]
    f.append(c.cl("A", seq=far, at=1.2))
    f.append(c.cl("A", seq=far, at=1.45))
    f += [c.cl("PA", read_regs(1, 1, 1)), c.sv("PA", regs_resp(1, 1, 1)), c.cl("A")]
    f += [c.cl("PA", read_regs(1, 1, 1), seq=c.cseq - 12), c.sv("A")]
    f += [c.cl("A", seq=far, at=1.6), c.sv("A")]
    return f


@fixture
def reordered_request_answered_when_hole_fills():
    """RFC 9293 3.10.7.4 and RFC 5681 4.2: a request that arrives before the
    one ahead of it is kept and acknowledged at once with a duplicate ACK;
    when the hole fills, both are answered in one segment, without waiting
    for the client to send the second again. Its retransmission (all old)
    then gets an ACK only."""
    c = Conn(40044)
    f = c.handshake()
    first, second, third = read_regs(1, 100, 1), read_regs(2, 200, 1), read_regs(3, 300, 1)
    f.append(c.cl("PA", third, seq=c.cseq + 24))
    f.append(c.sv("A"))
    f.append(c.cl("PA", second, seq=c.cseq + 12))
    f.append(c.sv("A"))
    f.append(c.cl("PA", first))
    c.cseq += 24
    f.append(c.sv("PA", regs_resp(1, 100, 1) + regs_resp(2, 200, 1) + regs_resp(3, 300, 1)))
    f.append(c.cl("A"))
    f.append(c.cl("PA", second + third, seq=c.cseq - 24))  # all old: an ACK only
    f.append(c.sv("A"))
    return f


if __name__ == "__main__":
    main(sys.argv[1])
