"""TCP/Modbus wire fixtures for the stack, built with scapy.

Each fixture is a conversation: frames a client sends (from the client MAC)
and, after each, the frames the stack must send back (from the server MAC),
byte for byte. fixture_runner.c plays them through the stack in process. The
server's sequence space is written from 0 (its ISN is a keyed hash); the
runner translates. Every fixture cites the rule it checks.

    /usr/bin/python3 fixtures.py OUTDIR     writes OUTDIR/<name>.pcap per fixture
"""
import os
import sys

from scapy.all import ARP, ICMP, IP, TCP, Dot1Q, Ether, Raw, wrpcap  # noqa: E402

CLIENT_MAC = "02:00:00:00:00:02"
SERVER_MAC = "02:00:00:00:00:01"
CLIENT_IP = "198.18.0.2"
SERVER_IP = "198.18.0.1"
OUR_MSS = 1460
WINDOW = 65535


def from_stack(l2, dst_ip, sport, dport, flags, seq, ack, window, mss, payload, at):
    """A segment the stack sends, as it writes them: IPv4 with DF, id 0,
    TTL 64; the MSS option on a SYN."""
    tcp = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=window,
              options=[("MSS", mss)] if mss else [])
    pkt = l2 / IP(src=SERVER_IP, dst=dst_ip, ttl=64, id=0, flags="DF") / tcp
    if payload:
        pkt = pkt / Raw(payload)
    pkt.mbx_at = at
    return pkt


class Conn:
    """One client connection; tracks both sequence spaces like a peer would."""

    def __init__(self, sport, vlan=None, mss=OUR_MSS, ip=CLIENT_IP):
        self.sport = sport
        self.ip = ip
        self.vlan = vlan
        self.mss = mss
        self.cseq = 1000  # client's next sequence number
        self.sseq = 0  # server's next sequence number (relative)

    def _l2(self, src, dst):
        eth = Ether(src=src, dst=dst)
        return eth / Dot1Q(vlan=self.vlan) if self.vlan is not None else eth

    def cl(self, flags, payload=b"", seq=None, ack=None, options=None, ip_options=None, sport=None,
           window=64240, at=None):
        """A client segment; advances the client's sequence number. `at`:
        its time in seconds from the fixture's start (default: as the
        frame before it)."""
        ip = IP(src=self.ip, dst=SERVER_IP, ttl=64)
        if ip_options is not None:
            ip.options = ip_options
        tcp = TCP(sport=sport or self.sport, dport=502, flags=flags,
                  seq=self.cseq if seq is None else seq,
                  ack=(self.sseq if ack is None else ack) if "A" in flags else 0,
                  window=window, options=options or [])
        pkt = self._l2(CLIENT_MAC, SERVER_MAC) / ip / tcp
        if payload:
            pkt = pkt / Raw(payload)
        if seq is None:
            self.cseq += len(payload) + ("S" in flags) + ("F" in flags)
        pkt.mbx_at = at
        return pkt

    def sv(self, flags, payload=b"", seq=None, ack=None, mss=None, dport=None, at=None,
           advance=True, window=WINDOW):
        """A segment the server must send; advances its sequence number
        (unless advance is False: a retransmission). `at`: by when (the
        runner runs the stack's timers up to it if nothing is pending)."""
        pkt = from_stack(self._l2(SERVER_MAC, CLIENT_MAC), self.ip, 502, dport or self.sport, flags,
                         self.sseq if seq is None else seq,
                         (self.cseq if ack is None else ack) if "A" in flags else 0,
                         window, mss, payload, at)
        if seq is None and advance:
            self.sseq += len(payload) + ("S" in flags) + ("F" in flags)
        return pkt

    def handshake(self):
        syn = self.cl("S", options=[("MSS", self.mss)] if self.mss else [])
        synack = self.sv("SA", mss=OUR_MSS)
        return [syn, synack, self.cl("A")]


def read_regs(tid, addr, qty, unit=1, fc=3):
    return bytes([tid >> 8, tid & 255, 0, 0, 0, 6, unit, fc,
                  addr >> 8, addr & 255, qty >> 8, qty & 255])


def regs_resp(tid, addr, qty, unit=1, fc=3):
    data = b"".join(((addr + i) & 0xFFFF).to_bytes(2, "big") for i in range(qty))
    return bytes([tid >> 8, tid & 255, 0, 0, 0, 3 + 2 * qty, unit, fc, 2 * qty]) + data


FIXTURES = []


def fixture(fn=None, args=""):
    """Registers a fixture; args are the runner's stack options for it."""
    def register(f):
        f.runner_args = args
        FIXTURES.append(f)
        return f
    return register(fn) if fn else register


@fixture
def handshake_and_request():
    """RFC 9293 3.5: SYN gets SYN-ACK with our MSS (3.7.1); the request is
    answered in one segment with the ACK piggybacked (MAP 6.3, FC 03)."""
    c = Conn(40001)
    f = c.handshake()
    f.append(c.cl("PA", read_regs(1, 100, 3)))
    f.append(c.sv("PA", regs_resp(1, 100, 3)))
    return f


@fixture
def repeated_syn():
    """RFC 9293 3.8.1 and RFC 4987 3.6: a repeated SYN (our SYN-ACK lost) gets
    the same SYN-ACK again: the cookie depends only on the SYN and the clock."""
    c = Conn(40002)
    syn = c.cl("S", options=[("MSS", 1460)])
    first = c.sv("SA", mss=OUR_MSS)
    return [syn, first, syn, first]


@fixture
def default_mss_segments():
    """RFC 9293 3.7.1: without an MSS option the peer's MSS is 536; three
    125-register responses (777 bytes) go out as 536 + 241."""
    c = Conn(40003, mss=None)
    f = c.handshake()
    reqs = b"".join(read_regs(i, i, 125) for i in range(3))
    resps = b"".join(regs_resp(i, i, 125) for i in range(3))
    f.append(c.cl("PA", reqs))
    f.append(c.sv("A", resps[:536]))
    f.append(c.sv("PA", resps[536:]))
    return f


@fixture
def pipelined_adus():
    """MIG 3.1.3: several ADUs in one segment are all answered, in order, in
    one segment."""
    c = Conn(40004)
    f = c.handshake()
    f.append(c.cl("PA", read_regs(7, 10, 1) + read_regs(8, 20, 2) + read_regs(9, 30, 1, fc=4)))
    f.append(c.sv("PA", regs_resp(7, 10, 1) + regs_resp(8, 20, 2) + regs_resp(9, 30, 1, fc=4)))
    return f


@fixture
def split_adu():
    """RFC 9293 3.8 (a stream, cut anywhere): an ADU split inside its MBAP
    header is acknowledged, held, and answered when complete."""
    c = Conn(40005)
    f = c.handshake()
    req = read_regs(3, 500, 2)
    f.append(c.cl("PA", req[:4]))
    f.append(c.sv("A"))
    f.append(c.cl("PA", req[4:]))
    f.append(c.sv("PA", regs_resp(3, 500, 2)))
    return f


@fixture
def passive_close():
    """RFC 9293 3.6: the peer's FIN is acknowledged with our FIN; its ACK
    closes. A request in the FIN segment is answered first, in the same
    segment."""
    c = Conn(40006)
    f = c.handshake()
    f.append(c.cl("FPA", read_regs(5, 5, 1)))
    f.append(c.sv("FPA", regs_resp(5, 5, 1)))
    f.append(c.cl("A"))
    # The connection is gone: a new segment on it gets a RST (3.10.7.2).
    f.append(c.cl("A", seq=c.cseq))
    f.append(c.sv("R", seq=c.sseq))
    return f


@fixture
def repeated_fin_in_last_ack():
    """RFC 9293 3.10.7.4 and RFC 6298 5.4: in LAST-ACK a repeated FIN that
    does not acknowledge ours (ours was lost) gets our FIN again; one that
    does (our ACK of it was lost) gets an ACK."""
    c = Conn(40007)
    f = c.handshake()
    f.append(c.cl("FA"))
    fin = c.sv("FA")
    f.append(fin)
    f.append(c.cl("FA", seq=c.cseq - 1, ack=c.sseq - 1))
    f.append(fin)
    f.append(c.cl("FA", seq=c.cseq - 1))
    f.append(c.sv("A"))
    return f


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
def mbap_protocol_id_and_length():
    """MIG 3.1.3 / 4.4.1.1: a protocol id other than 0 is discarded (ACK, no
    answer, connection kept); a length outside 2..254 resets."""
    c = Conn(40016)
    f = c.handshake()
    bad_pid = bytearray(read_regs(1, 1, 1))
    bad_pid[3] = 1
    f.append(c.cl("PA", bytes(bad_pid)))
    f.append(c.sv("A"))
    bad_len = bytearray(read_regs(1, 1, 1))
    bad_len[5] = 255
    f.append(c.cl("PA", bytes(bad_len)))
    f.append(c.sv("R"))  # the application's abort: RFC 9293 3.10.5
    return f


@fixture
def syn_cookie_no_state():
    """RFC 4987 3.6: the SYN-ACK's sequence number is a cookie; no state is
    kept until the ACK returns it. The first data segment may stand in for a
    lost handshake ACK. A made-up ACK gets <SEQ=SEG.ACK><CTL=RST>
    (RFC 9293 3.10.7.2)."""
    c = Conn(40017)
    f = [c.cl("S", options=[("MSS", 1460)]), c.sv("SA", mss=OUR_MSS)]
    f.append(c.cl("PA", read_regs(1, 9, 1)))  # the handshake's ACK was lost
    f.append(c.sv("PA", regs_resp(1, 9, 1)))
    forged = Conn(40018)
    forged.sseq = 4242
    f.append(forged.cl("A"))
    f.append(forged.sv("R", seq=4242))
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
def arp_request_answered():
    """RFC 826: a request for our address gets a reply to the asker's
    hardware address; requests for other addresses, and replies, get none."""
    ask = Ether(src=CLIENT_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=CLIENT_MAC, psrc=CLIENT_IP, pdst=SERVER_IP)
    answer = Ether(src=SERVER_MAC, dst=CLIENT_MAC) / ARP(
        op=2, hwsrc=SERVER_MAC, psrc=SERVER_IP, hwdst=CLIENT_MAC, pdst=CLIENT_IP)
    other = Ether(src=CLIENT_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(
        op=1, hwsrc=CLIENT_MAC, psrc=CLIENT_IP, pdst="198.18.0.99")
    reply = Ether(src=CLIENT_MAC, dst=SERVER_MAC) / ARP(
        op=2, hwsrc=CLIENT_MAC, psrc=CLIENT_IP, hwdst=SERVER_MAC, pdst=SERVER_IP)
    # The answer keeps the request's length: scapy pads neither.
    return [ask, answer, other, reply]


@fixture
def icmp_echo_answered():
    """RFC 792 and RFC 1122 3.2.2.6: an echo request to our address gets an
    echo reply with its identifier, sequence number and data; a request with
    a bad checksum, or to another address, gets nothing."""
    data = bytes(range(56))
    req = Ether(src=CLIENT_MAC, dst=SERVER_MAC) / IP(src=CLIENT_IP, dst=SERVER_IP, ttl=64) / ICMP(
        type=8, id=0x1234, seq=7) / Raw(data)
    rep = Ether(src=SERVER_MAC, dst=CLIENT_MAC) / IP(src=SERVER_IP, dst=CLIENT_IP, ttl=64, id=0,
                                                     flags="DF") / ICMP(type=0, id=0x1234, seq=7) / Raw(data)
    bad = Ether(bytes(req))
    bad[ICMP].chksum ^= 0x0101
    other = Ether(src=CLIENT_MAC, dst=SERVER_MAC) / IP(src=CLIENT_IP, dst="198.18.0.99") / ICMP(
        type=8, id=1, seq=1)
    return [req, rep, bad, other]


# No idle timeout: the retransmissions outlast its 10 s.
@fixture(args="--idle-timeout 0")
def retransmit_on_timeout():
    """RFC 6298 5.4 and 5.5: an unacknowledged response is sent again when
    the RTO expires (1 s before any RTT measurement, 2.1), then after twice
    the RTO; an ACK stops it (5.2). A duplicate ACK before the timeout
    changes nothing."""
    c = Conn(40030)
    f = c.handshake()
    f.append(c.cl("PA", read_regs(1, 30, 2), at=0.0))
    start = c.sseq
    resp = c.sv("PA", regs_resp(1, 30, 2))
    f.append(resp)
    f.append(c.cl("A", ack=start, at=0.9))  # nothing yet
    f.append(c.sv("PA", regs_resp(1, 30, 2), seq=start, at=1.1))
    f.append(c.cl("A", ack=start, at=3.0))  # backed off: 2 s from 1.1
    f.append(c.sv("PA", regs_resp(1, 30, 2), seq=start, at=3.2))
    f.append(c.cl("A", at=3.3))  # acknowledged
    f.append(c.cl("A", at=60.0))  # and nothing is sent any more
    return f


# No idle timeout: the retransmissions outlast its 10 s.
@fixture(args="--idle-timeout 0")
def retransmit_limit_reset():
    """RFC 6298 5.5 and RFC 9293 3.8.3 (R2): the RTO doubles up to 60 s
    (2.5); after 8 retransmissions (--max-retries) without an ACK the
    connection is reset, <SEQ=SND.NXT><CTL=RST>, and gone (3.10.7.1)."""
    c = Conn(40031)
    f = c.handshake()
    f.append(c.cl("PA", read_regs(2, 31, 1), at=0.0))
    start = c.sseq
    f.append(c.sv("PA", regs_resp(2, 31, 1)))
    t = 0.0
    for rto in (1, 2, 4, 8, 16, 32, 60, 60):
        t += rto + 0.1
        f.append(c.sv("PA", regs_resp(2, 31, 1), seq=start, at=t))
    f.append(c.sv("R", seq=c.sseq, at=t + 60.1))
    f.append(c.cl("A", at=t + 61))  # no connection: <SEQ=SEG.ACK><CTL=RST>
    f.append(c.sv("R", seq=c.sseq))
    return f


@fixture
def retransmit_on_duplicate_request():
    """Reliable answers (RFC 6298 5.4): the client sending its request again,
    our answer unacknowledged, means the answer was lost: it is resent at
    once from the send queue, not executed again (a write is not repeated:
    FC 06 answered twice with the same echo)."""
    c = Conn(40032)
    f = c.handshake()
    req = bytes([0, 9, 0, 0, 0, 6, 1, 6, 0x0f, 0xa0, 0x12, 0x34])  # FC 06 at 4000
    f.append(c.cl("PA", req))
    start = c.sseq
    f.append(c.sv("PA", req))
    f.append(c.cl("PA", req, seq=c.cseq - 12, ack=start))
    f.append(c.sv("PA", req, seq=start, advance=False))
    f.append(c.cl("A"))
    f.append(c.cl("PA", read_regs(10, 4000, 1)))
    f.append(c.sv("PA", bytes([0, 10, 0, 0, 0, 5, 1, 3, 2, 0x12, 0x34])))
    return f


@fixture
def fin_retransmitted():
    """RFC 9293 3.6 with RFC 6298: our FIN in LAST-ACK is retransmitted like
    data until acknowledged; its ACK closes the connection."""
    c = Conn(40033)
    f = c.handshake()
    f.append(c.cl("FA", at=0.0))
    fin_seq = c.sseq
    f.append(c.sv("FA"))
    f.append(c.sv("FA", seq=fin_seq, at=1.1))
    f.append(c.cl("A", at=1.2))
    # Gone: an ACK of it gets a RST (3.10.7.2; not the handshake's ACK,
    # which a cookie would take anew).
    f.append(c.cl("A", ack=c.sseq + 100, at=1.3))
    f.append(c.sv("R", seq=c.sseq + 100))
    return f


@fixture
def window_limits_response():
    """RFC 9293 3.8.6: no more than the peer's window goes out; the rest of
    a response waits for the ACK that opens it. 3.8.6.2.1: a peer whose
    windows are small all along (200 at most) gets segments of half its
    largest window or more at once, not held back."""
    c = Conn(40034)
    syn = c.cl("S", options=[("MSS", 1460)], window=200)
    f = [syn, c.sv("SA", mss=OUR_MSS), c.cl("A", window=200)]
    resp = regs_resp(3, 34, 125)  # 259 bytes
    f.append(c.cl("PA", read_regs(3, 34, 125), window=100))
    f.append(c.sv("A", resp[:100]))
    f.append(c.cl("A", window=200))
    f.append(c.sv("PA", resp[100:]))
    return f


@fixture
def zero_window_probe():
    """RFC 9293 3.8.6.1: a zero window with an answer waiting is probed with
    one octet of new data when the (persist) timer expires; a probe the
    peer takes without opening its window arms the timer again; the rest
    goes when the window opens. The request was taken, but our own window
    says 0 while its answer waits: no more is read before the peer reads."""
    c = Conn(40035)
    f = c.handshake()
    resp = regs_resp(4, 35, 2)
    f.append(c.cl("PA", read_regs(4, 35, 2), window=0, at=0.0))
    f.append(c.sv("A", window=0))
    f.append(c.cl("A", window=0, at=0.5))  # nothing before the timeout
    f.append(c.sv("A", resp[:1], at=1.1, window=0))
    f.append(c.cl("A", window=0, at=1.2))  # took it, window still closed
    f.append(c.sv("A", resp[1:2], at=2.3, window=0))
    f.append(c.cl("A", window=64240, at=2.4))
    f.append(c.sv("PA", resp[2:]))
    f.append(c.cl("A", at=2.5))
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
def sws_window_of_one():
    """RFC 9293 3.8.6.2.1 (sender silly window avoidance): a peer whose window
    was 64240 and now offers 1 byte does not get a 259-byte answer as 259
    one-byte segments. Nothing goes out until a full segment, half its
    largest window or the whole answer fits, or the override timeout
    (the persist timer, 1 s before an RTT is measured) sends what fits; the
    rest goes in one segment when the window opens."""
    c = Conn(40043)
    f = c.handshake()
    resp = regs_resp(5, 43, 125)  # 259 bytes
    f.append(c.cl("PA", read_regs(5, 43, 125), window=1, at=0.0))
    f.append(c.sv("A", window=0))  # taken; no more is read while it waits
    f.append(c.cl("A", window=1, at=0.5))  # the same window: still nothing
    f.append(c.sv("A", resp[:1], at=1.1, window=0))
    f.append(c.cl("A", window=1, at=1.2))
    f.append(c.cl("A", window=64240, at=1.3))
    f.append(c.sv("PA", resp[1:]))
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


# Connection management (limits, eviction, timeouts, keepalive): MIG = Modbus Messaging on TCP/IP
# Implementation Guide V1.0b.
OTHER_IP = "198.18.0.3"


@fixture(args="--max-conns 2")
def evict_oldest_idle():
    """MIG 4.2.1: with the table full, a new connection closes the oldest
    idle connection (a FIN at our SND.NXT) and is served. The evicted peer's
    own FIN then finds no connection: <SEQ=SEG.ACK><CTL=RST> (RFC 9293
    3.10.7.2)."""
    a, b, c = Conn(40101), Conn(40102), Conn(40103, ip=OTHER_IP)
    f = a.handshake()
    syn = b.cl("S", options=[("MSS", 1460)], at=1)
    f += [syn, b.sv("SA", mss=OUR_MSS), b.cl("A")]
    f += [a.cl("PA", read_regs(1, 1, 1), at=2), a.sv("PA", regs_resp(1, 1, 1)), a.cl("A")]
    f += [c.cl("S", options=[("MSS", 1460)], at=3), c.sv("SA", mss=OUR_MSS), c.cl("A")]
    f.append(b.sv("FA"))  # b was idle the longest
    f += [c.cl("PA", read_regs(2, 2, 1)), c.sv("PA", regs_resp(2, 2, 1)), c.cl("A")]
    fin = b.cl("FA")
    f += [fin, b.sv("R", seq=fin[TCP].ack)]
    return f


@fixture(args="--max-conns 1 --close rst")
def evict_by_rst():
    """MIG 4.2.1 with --close rst: the evicted connection gets
    <SEQ=SND.NXT><CTL=RST> (RFC 9293 3.10.5, abort)."""
    a, c = Conn(40111), Conn(40112, ip=OTHER_IP)
    f = a.handshake()
    f += [c.cl("S", options=[("MSS", 1460)], at=1), c.sv("SA", mss=OUR_MSS), c.cl("A")]
    f.append(a.sv("R"))
    return f


@fixture(args="--max-conns 2 --priority-source 198.18.0.2/32")
def priority_never_evicted():
    """MIG 4.2.1: connections from a priority source are never closed to make
    room; with nothing else to close, a new connection is refused with
    <SEQ=SEG.ACK><CTL=RST> (RFC 9293 3.10.7.2)."""
    a, b, c = Conn(40121), Conn(40122), Conn(40123, ip=OTHER_IP)
    f = a.handshake() + b.handshake()
    f += [c.cl("S", options=[("MSS", 1460)], at=5), c.sv("SA", mss=OUR_MSS)]
    ack = c.cl("A")
    f += [ack, c.sv("R", seq=ack[TCP].ack)]
    f += [a.cl("PA", read_regs(3, 3, 1)), a.sv("PA", regs_resp(3, 3, 1)), a.cl("A")]
    return f


@fixture(args="--max-conns-per-source 2")
def per_source_limit():
    """MIG 4.2.1: one source holds at most --max-conns-per-source
    connections; the next one is refused with <SEQ=SEG.ACK><CTL=RST>, while
    another source is served."""
    a, b, c, d = Conn(40131), Conn(40132), Conn(40133), Conn(40134, ip=OTHER_IP)
    f = a.handshake() + b.handshake()
    f += [c.cl("S", options=[("MSS", 1460)]), c.sv("SA", mss=OUR_MSS)]
    ack = c.cl("A")
    f += [ack, c.sv("R", seq=ack[TCP].ack)]
    f += d.handshake()
    f += [d.cl("PA", read_regs(4, 4, 1)), d.sv("PA", regs_resp(4, 4, 1)), d.cl("A")]
    return f


@fixture(args="--idle-timeout 10 --time-wait 1000")
def idle_timeout_fin_time_wait():
    """MIG 4.2.1: a connection without a request for the idle timeout is
    closed by us (a pure ACK does not restart the idle clock, and nothing is
    sent before it ends); RFC 9293 3.6 and 3.10.7.4: FIN-WAIT-1, the ACK of
    our FIN (FIN-WAIT-2), the peer's FIN acknowledged (TIME-WAIT), its
    retransmission acknowledged again with TIME-WAIT restarted; when
    TIME-WAIT ends the connection is gone and a segment on it gets a RST."""
    a = Conn(40141)
    f = a.handshake()
    f += [a.cl("PA", read_regs(5, 5, 1), at=1), a.sv("PA", regs_resp(5, 5, 1)), a.cl("A")]
    f.append(a.cl("A", seq=a.cseq, at=10.9))  # 9.9 s after the request: nothing yet
    f.append(a.sv("FA", at=11.05))
    f += [a.cl("A"), a.cl("FA"), a.sv("A")]
    f += [a.cl("FA", seq=a.cseq - 1, at=11.6), a.sv("A")]
    f.append(a.cl("A", at=12.5))  # 0.9 s after the restart: still TIME-WAIT, silent
    f += [a.cl("A", at=12.7), a.sv("R", seq=a.sseq)]  # gone: RFC 9293 3.10.7.2
    return f


@fixture(args="--idle-timeout 10")
def simultaneous_close():
    """RFC 9293 3.6 (figure 13): the peer's FIN crosses ours: FIN-WAIT-1 to
    CLOSING (the FIN is acknowledged), then the ACK of ours: TIME-WAIT."""
    a = Conn(40151)
    f = a.handshake()
    f.append(a.sv("FA", at=10.1))
    fin = a.cl("FA", ack=a.sseq - 1)
    f += [fin, a.sv("A")]
    f += [a.cl("A")]  # acknowledges our FIN: TIME-WAIT, nothing sent
    f += [a.cl("FA", seq=a.cseq - 1), a.sv("A")]  # the FIN again, in TIME-WAIT
    return f


@fixture(args="--idle-timeout 10")
def data_after_close():
    """RFC 1122 4.2.2.13: data arriving after our close has no reader: RST."""
    a = Conn(40161)
    f = a.handshake()
    f.append(a.sv("FA", at=10.1))
    f += [a.cl("PA", read_regs(6, 6, 1)), a.sv("R")]
    return f


@fixture(args="--idle-timeout 10 --time-wait 5000")
def time_wait_syn_reopens():
    """RFC 1122 4.2.2.13: a SYN in TIME-WAIT with a sequence number above the
    old incarnation's opens a new connection; a lower one gets the ACK of
    RFC 9293 3.10.7.4."""
    a = Conn(40171)
    f = a.handshake()
    f.append(a.sv("FA", at=10.1))
    f += [a.cl("FA"), a.sv("A")]
    old = a.cl("S", seq=a.cseq - 5)
    f += [old, a.sv("A")]
    b = Conn(40171)
    b.cseq = a.cseq + 100000
    f += b.handshake()
    f += [b.cl("PA", read_regs(7, 7, 1)), b.sv("PA", regs_resp(7, 7, 1)), b.cl("A")]
    return f


@fixture(args="--idle-timeout 0 --keepalive 2,1,2")
def keepalive_probes():
    """RFC 1122 4.2.3.6: after the keepalive idle time a probe
    <SEQ=SND.NXT-1><ACK=RCV.NXT><CTL=ACK>; an answer resets the count;
    after COUNT unanswered probes the connection is reset."""
    a = Conn(40181)
    f = a.handshake()
    f.append(a.sv("A", seq=a.sseq - 1, at=2.01))
    f.append(a.cl("A", at=2.5))  # the answer
    f.append(a.sv("A", seq=a.sseq - 1, at=4.51))
    f.append(a.sv("A", seq=a.sseq - 1, at=5.52))
    f.append(a.sv("R", at=6.53))
    return f


# A client stack (--role client): the stack at SERVER_IP and SERVER_MAC
# opens connections to a Modbus server, the peer, at CLIENT_IP:502. Its
# application acts through action frames (fixture_runner.c).
ACTION_MAC = "02:00:00:00:00:fe"
TICK = 2 ** 20 / 1e9  # the stack's timer tick, s


def ticks(ms):
    """Milliseconds in the stack's ticks, rounded up (tcp_timer.h)."""
    return -(-ms * 1000000 // 2 ** 20)


class Peer:
    """The server a client stack connects to from lport; tracks both
    sequence spaces. The stack's are written from 0 (its ISS is a keyed
    hash; the runner translates)."""

    def __init__(self, lport):
        self.lport = lport
        self.pseq = 5000  # the peer's next sequence number
        self.sseq = 0  # the stack's next sequence number (relative)

    def act(self, text, at=None):
        """An action of the stack's application."""
        pkt = Ether(src=ACTION_MAC, dst=SERVER_MAC, type=0x88B5) / Raw(text.encode())
        pkt.mbx_at = at
        return pkt

    def pe(self, flags, payload=b"", seq=None, ack=None, mss=None, at=None):
        """A segment from the peer; advances its sequence number."""
        tcp = TCP(sport=502, dport=self.lport, flags=flags,
                  seq=self.pseq if seq is None else seq,
                  ack=(self.sseq if ack is None else ack) if "A" in flags else 0,
                  window=64240, options=[("MSS", mss)] if mss else [])
        pkt = Ether(src=CLIENT_MAC, dst=SERVER_MAC) / IP(src=CLIENT_IP, dst=SERVER_IP, ttl=64) / tcp
        if payload:
            pkt = pkt / Raw(payload)
        if seq is None:
            self.pseq += len(payload) + ("S" in flags) + ("F" in flags)
        pkt.mbx_at = at
        return pkt

    def st(self, flags, payload=b"", seq=None, ack=None, mss=None, at=None, advance=True):
        """A segment the stack must send; advances its sequence number
        (unless advance is False: a retransmission)."""
        pkt = from_stack(Ether(src=SERVER_MAC, dst=CLIENT_MAC), CLIENT_IP, self.lport, 502, flags,
                         self.sseq if seq is None else seq,
                         (self.pseq if ack is None else ack) if "A" in flags else 0,
                         WINDOW, mss, payload, at)
        if seq is None and advance:
            self.sseq += len(payload) + ("S" in flags) + ("F" in flags)
        return pkt

    def open(self):
        """connect, our SYN with our MSS, the peer's SYN-ACK, our ACK."""
        return [self.act(f"connect {self.lport}"), self.st("S", mss=OUR_MSS),
                self.pe("SA", mss=1460), self.st("A")]


@fixture(args="--role client --time-wait 1000")
def client_request_and_close():
    """RFC 9293 3.5 and 3.6 from the client's side: SYN with our MSS
    (3.7.1), the SYN-ACK acknowledged; a request, its answer given to the
    application and acknowledged; our close: FIN-WAIT-1, FIN-WAIT-2,
    TIME-WAIT for --time-wait, after which a segment on the tuple finds
    no connection and gets <SEQ=SEG.ACK><CTL=RST> (3.10.7.1)."""
    p = Peer(40301)
    f = p.open()
    f += [p.act(f"send 40301 {read_regs(1, 100, 2).hex()}"), p.st("PA", read_regs(1, 100, 2))]
    f += [p.pe("PA", regs_resp(1, 100, 2)), p.st("A"),
          p.act(f"received 40301 {regs_resp(1, 100, 2).hex()}")]
    f += [p.act("close 40301"), p.st("FA"), p.pe("A")]
    f += [p.pe("FA"), p.st("A")]
    t_end = (ticks(1000) + 1) * TICK
    f += [p.act("closed 40301 closed", at=t_end)]
    f += [p.pe("A", seq=p.pseq, at=t_end), p.st("R", seq=p.sseq)]
    return f


@fixture(args="--role client")
def client_syn_retransmitted():
    """RFC 6298 2.1 and 5.5: no SYN-ACK, the same SYN goes again after the
    initial RTO of 1 s, then after 2 s; nothing before. The SYN-ACK to it
    opens the connection (no RTT sample from a SYN sent twice, Karn)."""
    p = Peer(40302)
    f = [p.act("connect 40302"), p.st("S", mss=OUR_MSS)]
    first = ticks(1000)
    f.append(p.st("S", seq=0, mss=OUR_MSS, advance=False, at=(first + 0.5) * TICK))
    f.append(p.st("S", seq=0, mss=OUR_MSS, advance=False, at=(3 * first + 1) * TICK))
    f += [p.pe("SA", mss=1460, at=(3 * first + 2) * TICK), p.st("A")]
    return f


@fixture(args="--role client")
def client_syn_given_up():
    """RFC 1122 4.2.3.5: after max_retries (8) retransmissions of the SYN,
    backed off to at most 60 s (RFC 6298 2.5), the connection is given up,
    without a RST (RFC 9293 3.10.4), and the application told it timed out."""
    p = Peer(40303)
    f = [p.act("connect 40303"), p.st("S", mss=OUR_MSS)]
    t = 0
    for k in range(8):
        t += min(ticks(1000) << k, ticks(60000))
        f.append(p.st("S", seq=0, mss=OUR_MSS, advance=False, at=(t + 0.5) * TICK))
    t += ticks(60000)
    f.append(p.act("closed 40303 timed_out", at=(t + 1) * TICK))
    return f


@fixture(args="--role client")
def client_syn_sent_checks():
    """RFC 9293 3.10.7.3 in SYN-SENT: an ACK of anything but our SYN gets
    <SEQ=SEG.ACK><CTL=RST>, and a RST with such an ACK is dropped; a RST
    without ACK is dropped (RFC 5961 3.2); a SYN without ACK (a
    simultaneous open, not supported) is dropped; the right SYN-ACK still
    opens the connection."""
    p = Peer(40304)
    f = [p.act("connect 40304"), p.st("S", mss=OUR_MSS)]
    f += [p.pe("SA", seq=5000, ack=7, mss=1460), p.st("R", seq=7)]
    f += [p.pe("RA", seq=5001, ack=7)]
    f += [p.pe("R", seq=5001)]
    f += [p.pe("S", seq=5000, mss=1460)]
    p.pseq = 5000
    f += [p.pe("SA", mss=1460), p.st("A")]
    return f


@fixture(args="--role client")
def client_refused():
    """RFC 9293 3.10.7.3: a RST acknowledging our SYN refuses the
    connection: nothing is sent, the application is told, and the SYN's
    timer finds nothing when it fires."""
    p = Peer(40305)
    f = [p.act("connect 40305"), p.st("S", mss=OUR_MSS)]
    f += [p.pe("RA", seq=0), p.act("closed 40305 refused")]
    f.append(p.act("closed 40305 refused", at=5.0))
    return f


@fixture(args="--role client")
def client_data_retransmitted():
    """RFC 6298 5.4: a request not acknowledged goes again from SND.UNA
    after the RTO (the 200 ms minimum: the SYN's round trip was within a
    tick); its ACK with the answer ends it."""
    p = Peer(40306)
    f = p.open()
    req = read_regs(2, 7, 1)
    f += [p.act(f"send 40306 {req.hex()}"), p.st("PA", req)]
    f.append(p.st("PA", req, seq=1, advance=False, at=(ticks(200) + 0.5) * TICK))
    f += [p.pe("PA", regs_resp(2, 7, 1)), p.st("A"), p.act(f"received 40306 {regs_resp(2, 7, 1).hex()}")]
    return f


@fixture(args="--role client")
def client_peer_closes():
    """RFC 9293 3.6: the peer's FIN, after its last text, is answered with
    our FIN at once (LAST-ACK); its ACK of ours ends the connection."""
    p = Peer(40307)
    f = p.open()
    f += [p.pe("FPA", b"bye"), p.st("FA"), p.act("received 40307 627965")]
    f += [p.pe("A"), p.act("closed 40307 closed")]
    return f


@fixture(args="--role client")
def client_abort_and_stray():
    """RFC 9293 3.10.5: abort sends <SEQ=SND.NXT><CTL=RST>; afterwards a
    segment on the tuple finds no connection: a client stack listens
    nowhere, so even a SYN gets a RST (3.10.7.1)."""
    p = Peer(40308)
    f = p.open()
    f += [p.act("abort 40308"), p.st("R"), p.act("closed 40308 aborted")]
    f += [p.pe("S", seq=9000), p.st("RA", seq=0, ack=9001)]
    return f


def stamp(frames):
    """Gives each frame its time: `at` seconds from the start, or its
    predecessor's (frames without one, as most, all go at 0)."""
    t = 0.0
    for p in frames:
        at = getattr(p, "mbx_at", None)
        if at is not None:
            t = at
        p.time = 1700000000 + t
    return frames


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    for fn in FIXTURES:
        wrpcap(os.path.join(outdir, fn.__name__ + ".pcap"), stamp(fn()))
    print("\n".join(f"{fn.__name__} {fn.runner_args}".strip() for fn in FIXTURES))


if __name__ == "__main__":
    main(sys.argv[1])
