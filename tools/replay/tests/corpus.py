"""The replay traffic corpus: Modbus/TCP sessions built with scapy, written
as captures for mbxdp-replay (tools/replay), each with the expectations the
replay report must meet.

Every session is a client talking to a server with mbxdp's default device
image (holding and input register i hold i, coil and discrete input i hold
i & 1, file record r holds r). The captured responses are what that device
must answer, derived here from the Modbus specification (MAP) and the
image; requests whose answers depend on configuration (identification,
event counters) have no captured response and must be answered normally.

Captures use addresses of 198.19.0.0/16 and 2001:2:0:1::/64, never those
of a replay: the tool rewrites them. Link types vary so the reader is
covered: Ethernet pcap (with two VLAN tags too), pcapng, Linux cooked v1
(SLL) and v2 (SLL2), raw IP. Sessions run over IPv4, IPv6 (with extension
headers before TCP too) or both; IPv6 ones add fragments, whose flows are
not replayed, and packets the reader must refuse with a report line.

    /usr/bin/python3 corpus.py OUTDIR
writes OUTDIR/NAME.pcap (or .pcapng) and OUTDIR/NAME.args (check_report.py
options), and prints the file names.
"""
import logging
import os
import struct
import sys

from scapy.all import IP, TCP, Ether, Raw, wrpcap  # noqa: E402
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,  # noqa: E402
                                IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, PadN)
from scapy.layers.l2 import CookedLinux, CookedLinuxV2, Dot1AD, Dot1Q  # noqa: E402
from scapy.utils import PcapNgWriter  # noqa: E402

CLIENT_IP = "198.19.0.2"
SERVER_IP = "198.19.0.1"
CLIENT_IP6 = "2001:2:0:1::2"
SERVER_IP6 = "2001:2:0:1::1"
CLIENT_MAC = "02:00:00:00:01:02"
SERVER_MAC = "02:00:00:00:01:01"
DLT_RAW = 101  # LINKTYPE_RAW: IPv4 or IPv6, by the version field


class Session:
    """Frames of one capture, in time order; flows added one after another.
    v6: its flows over IPv6, or "mixed": those of an odd client port; ext,
    vlans: as Flow's."""

    def __init__(self, v6=False, ext=False, vlans=()):
        self.frames = []
        self.t = 1_700_000_000.0
        self.v6, self.ext, self.vlans = v6, ext, vlans

    def add(self, pkt, gap=0.001):
        self.t += gap
        pkt.time = self.t
        self.frames.append(pkt)


def ext_headers():
    """Hop-by-hop options, destination options (16 bytes: a length field
    that counts) and a routing header with no segments left (RFC 8200 4)."""
    return (IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 12)]) /
            IPv6ExtHdrRouting(segleft=0))


class Flow:
    """One TCP connection; both sequence spaces as real peers keep them,
    in the session's family: over IPv6, its packets with ext_headers() if
    the session says ext, its frames with the session's 802.1ad and 802.1Q
    tags (vlans)."""

    def __init__(self, s, sport, cisn=1000, sisn=50000):
        self.s, self.sport = s, sport
        self.cseq, self.sseq = cisn, sisn
        self.v6 = sport % 2 == 1 if s.v6 == "mixed" else s.v6
        self.ext, self.vlans = s.ext, s.vlans

    def _pkt(self, from_client, flags, seq, ack, payload):
        smac, dmac = (CLIENT_MAC, SERVER_MAC) if from_client else (SERVER_MAC, CLIENT_MAC)
        sport, dport = (self.sport, 502) if from_client else (502, self.sport)
        if self.v6:
            src, dst = (CLIENT_IP6, SERVER_IP6) if from_client else (SERVER_IP6, CLIENT_IP6)
            ip = IPv6(src=src, dst=dst)
            if self.ext:
                ip = ip / ext_headers()
        else:
            src, dst = (CLIENT_IP, SERVER_IP) if from_client else (SERVER_IP, CLIENT_IP)
            ip = IP(src=src, dst=dst)
        p = Ether(src=smac, dst=dmac)
        if self.vlans:
            p = p / Dot1AD(vlan=self.vlans[0]) / Dot1Q(vlan=self.vlans[1])
        p = p / ip / TCP(sport=sport, dport=dport, flags=flags, seq=seq,
                         ack=ack if "A" in flags else 0, window=64240)
        return p / Raw(payload) if payload else p

    def client(self, flags, payload=b"", seq=None):
        """A client segment; seq given: a retransmission, nothing advances."""
        p = self._pkt(True, flags, self.cseq if seq is None else seq, self.sseq, payload)
        self.s.add(p)
        if seq is None:
            self.cseq += len(payload) + ("S" in flags) + ("F" in flags)

    def server(self, flags, payload=b""):
        self.s.add(self._pkt(False, flags, self.sseq, self.cseq, payload))
        self.sseq += len(payload) + ("S" in flags) + ("F" in flags)

    def fragmented(self, payload):
        """A request sent in two fragments, the first with the TCP header's
        first 16 bytes (RFC 8200 4.5, RFC 791)."""
        p = self._pkt(True, "PA", self.cseq, self.sseq, payload)
        ip = p[IPv6] if self.v6 else p[IP]
        seg = bytes(p)[-len(p[TCP]):]  # built in the packet: its checksum holds
        for off, part, more in ((0, seg[:16], 1), (16, seg[16:], 0)):
            if self.v6:
                frag = IPv6(src=ip.src, dst=ip.dst) / IPv6ExtHdrFragment(
                    nh=6, offset=off // 8, m=more, id=7) / Raw(part)
            else:
                frag = IP(src=ip.src, dst=ip.dst, proto=6, id=7, frag=off // 8,
                          flags="MF" if more else 0) / Raw(part)
            self.s.add(Ether(src=CLIENT_MAC, dst=SERVER_MAC) / frag)
        self.cseq += len(payload)

    def open(self):
        self.client("S")
        self.server("SA")
        self.client("A")

    def close(self):
        self.client("FA")
        self.server("FA")
        self.client("A")

    def exchange(self, request, response):
        """One request in one segment, its captured response (or none)."""
        self.client("PA", request)
        if response is not None:
            self.server("PA", response)
        else:
            self.server("A")


def adu(tid, pdu, unit=1, proto=0, length=None):
    """MBAP header (MIG 3.1.3) and PDU."""
    return struct.pack(">HHHB", tid, proto, len(pdu) + 1 if length is None else length, unit) + pdu


def regs(addr, qty):
    return b"".join(struct.pack(">H", (addr + i) & 0xFFFF) for i in range(qty))


def bits(values):
    """Packs bits least significant first (MAP 6.1)."""
    out = bytearray((len(values) + 7) // 8)
    for i, v in enumerate(values):
        out[i // 8] |= (v & 1) << (i % 8)
    return bytes(out)


def exc(fc, code):
    return bytes([fc | 0x80, code])


def all_functions(s):
    """Every function code mbxdp serves (MAP 6.1-6.21), each answered as the
    default image dictates, writes read back, and unassigned codes answered
    with exception 01 (MAP 7)."""
    f = Flow(s, 40001)
    f.open()
    tid = iter(range(1, 1000))
    simple = [
        (struct.pack(">BHH", 0x01, 0, 10), bytes([0x01, 2]) + bits([i & 1 for i in range(10)])),
        (struct.pack(">BHH", 0x02, 7, 9), bytes([0x02, 2]) + bits([i & 1 for i in range(7, 16)])),
        (struct.pack(">BHH", 0x03, 100, 5), bytes([0x03, 10]) + regs(100, 5)),
        (struct.pack(">BHH", 0x04, 65530, 6), bytes([0x04, 12]) + regs(65530, 6)),
        (struct.pack(">BHH", 0x05, 3, 0xFF00), struct.pack(">BHH", 0x05, 3, 0xFF00)),
        (struct.pack(">BHH", 0x01, 0, 8), bytes([0x01, 1, 0b10101010 | 0b1000])),
        (struct.pack(">BHH", 0x06, 10, 0x1234), struct.pack(">BHH", 0x06, 10, 0x1234)),
        (struct.pack(">BHH", 0x08, 0, 0xABCD), struct.pack(">BHH", 0x08, 0, 0xABCD)),
        (struct.pack(">BHHB", 0x0F, 20, 10, 2) + bytes([0xCD, 0x01]), struct.pack(">BHH", 0x0F, 20, 10)),
        (struct.pack(">BHH", 0x01, 20, 10), bytes([0x01, 2, 0xCD, 0x01])),
        (struct.pack(">BHHBHH", 0x10, 30, 2, 4, 1, 2), struct.pack(">BHH", 0x10, 30, 2)),
        (struct.pack(">BHH", 0x03, 30, 2), bytes([0x03, 4]) + struct.pack(">HH", 1, 2)),
        # 6.14: file 1, record 3, two records: reference type 6, records hold r.
        (struct.pack(">BBBHHH", 0x14, 7, 6, 1, 3, 2), bytes([0x14, 6, 5, 6]) + regs(3, 2)),
        # 6.15: the response echoes the request.
        (struct.pack(">BBBHHHH", 0x15, 9, 6, 1, 7, 1, 0xBEEF),
         struct.pack(">BBBHHHH", 0x15, 9, 6, 1, 7, 1, 0xBEEF)),
        (struct.pack(">BBBHHH", 0x14, 7, 6, 1, 7, 1), bytes([0x14, 4, 3, 6, 0xBE, 0xEF])),
        # 6.16: (40 AND F2F2) OR (0025 AND NOT F2F2) = 0025.
        (struct.pack(">BHHH", 0x16, 40, 0xF2F2, 0x0025), struct.pack(">BHHH", 0x16, 40, 0xF2F2, 0x0025)),
        (struct.pack(">BHH", 0x03, 40, 1), bytes([0x03, 2, 0x00, 0x25])),
        # 6.17: the write happens before the read.
        (struct.pack(">BHHHHBH", 0x17, 50, 2, 50, 1, 2, 0x7777), bytes([0x17, 4, 0x77, 0x77, 0, 51])),
        # 6.18: the register at the pointer holds the count (5), entries
        # follow: 6..9 and register 10, written above.
        (struct.pack(">BH", 0x18, 5), struct.pack(">BHH", 0x18, 12, 5) + regs(6, 4) + b"\x12\x34"),
    ]
    for req, resp in simple:
        t = next(tid)
        f.exchange(adu(t, req), adu(t, resp))
    # Answers that depend on the device's configuration and history.
    for pdu in (b"\x07", b"\x0b", b"\x0c", b"\x11", b"\x2b\x0e\x01\x00"):
        f.exchange(adu(next(tid), pdu), None)
    for fc in (0x00, 0x09, 0x0A, 0x0D, 0x12, 0x29, 0x41, *range(93, 101), 0x7F):
        t = next(tid)
        f.exchange(adu(t, bytes([fc, 0, 0, 0, 1])), adu(t, exc(fc, 1)))
    f.close()
    return ["--all-matched", "--expect-normal", "7,11,12,17,43", "--expect-exception01",
            "0,9,10,13,18,41,65,93-100,127", "--min-requests", "40"]


def split_pipelined(s):
    """ADUs split over segments and several in one segment (MIG 4.3.1: the
    MBAP length frames the stream; segment boundaries mean nothing)."""
    f = Flow(s, 40002)
    f.open()
    r1 = adu(1, struct.pack(">BHH", 0x03, 0, 3))
    f.client("PA", r1[:7])
    f.server("A")
    f.client("PA", r1[7:10])
    f.server("A")
    f.client("PA", r1[10:])
    f.server("PA", adu(1, bytes([0x03, 6]) + regs(0, 3)))
    reqs = [adu(t, struct.pack(">BHH", 0x04, 10 * t, 2)) for t in (2, 3, 4)]
    f.client("PA", b"".join(reqs))
    f.server("PA", b"".join(adu(t, bytes([0x04, 4]) + regs(10 * t, 2)) for t in (2, 3, 4)))
    # The end of one ADU and a whole other in one segment, then the rest.
    r5, r6, r7 = (adu(t, struct.pack(">BHH", 0x03, t, 1)) for t in (5, 6, 7))
    f.client("PA", r5[:5])
    f.server("A")
    f.client("PA", r5[5:] + r6 + r7[:9])
    f.server("PA", adu(5, bytes([3, 2]) + regs(5, 1)) + adu(6, bytes([3, 2]) + regs(6, 1)))
    f.client("PA", r7[9:])
    f.server("PA", adu(7, bytes([3, 2]) + regs(7, 1)))
    # A retransmitted request in the capture is sent once.
    r8 = adu(8, struct.pack(">BHH", 0x03, 8, 1))
    seq = f.cseq
    f.client("PA", r8)
    f.client("PA", r8, seq=seq)
    f.server("PA", adu(8, bytes([3, 2]) + regs(8, 1)))
    f.close()
    return ["--all-matched", "--min-requests", "8", "--segments-sent", "8"]


def bad_requests(s):
    """Requests the server must refuse or ignore: exceptions 02 and 03 (MAP
    7), a protocol id that is not Modbus (discarded, MIG 4.4.1.1), and an
    MBAP length no ADU can have, after which the stream cannot be framed and
    the connection is reset; a new connection is served again."""
    f = Flow(s, 40003)
    f.open()
    cases = [
        (struct.pack(">BHH", 0x03, 0, 0), exc(0x03, 3)),  # quantity 0
        (struct.pack(">BHH", 0x03, 0, 126), exc(0x03, 3)),  # quantity above 125
        (struct.pack(">BHH", 0x03, 65535, 2), exc(0x03, 2)),  # past the last register
        (struct.pack(">BHH", 0x01, 0, 2001), exc(0x01, 3)),  # quantity above 2000
        (struct.pack(">BHH", 0x05, 0, 0x1234), exc(0x05, 3)),  # coil value neither 0000 nor FF00
        (struct.pack(">BHHB", 0x0F, 0, 10, 1) + b"\xff", exc(0x0F, 3)),  # byte count short
    ]
    for t, (req, resp) in enumerate(cases, 1):
        f.exchange(adu(t, req), adu(t, resp))
    f.exchange(adu(20, struct.pack(">BHH", 0x03, 0, 1), proto=1), None)
    f.exchange(adu(21, struct.pack(">BHH", 0x03, 0, 1)), adu(21, bytes([3, 2, 0, 0])))
    f.close()
    g = Flow(s, 40004, cisn=7000)
    g.open()
    g.client("PA", adu(30, struct.pack(">BHH", 0x03, 0, 1), length=300))
    g.server("R")
    h = Flow(s, 40005, cisn=9000)
    h.open()
    h.exchange(adu(31, struct.pack(">BHH", 0x03, 9, 1)), adu(31, bytes([3, 2]) + regs(9, 1)))
    h.close()
    return ["--all-matched", "--min-requests", "9", "--no-answer-due", "1", "--reset-flows", "1"]


def listen_only(s):
    """MAP 6.8.1: after 08/04 nothing is answered; 08/01 ends listen only
    mode without an answer; then requests are answered again."""
    f = Flow(s, 40006)
    f.open()
    f.exchange(adu(1, struct.pack(">BHH", 0x08, 4, 0)), None)
    f.exchange(adu(2, struct.pack(">BHH", 0x03, 0, 1)), None)
    f.exchange(adu(3, struct.pack(">BHH", 0x08, 1, 0)), None)
    f.exchange(adu(4, struct.pack(">BHH", 0x03, 1, 1)), adu(4, bytes([3, 2]) + regs(1, 1)))
    f.close()
    return ["--all-matched", "--min-requests", "4", "--no-answer-due", "3"]


def handshakes(s):
    """Connections opened and closed: one without a request overlapping one
    with, then 40 more, each open while the next opens."""
    a, b = Flow(s, 40007), Flow(s, 40008, cisn=3000)
    a.open()
    b.open()
    a.close()
    b.exchange(adu(1, struct.pack(">BHH", 0x04, 2, 1)), adu(1, bytes([4, 2]) + regs(2, 1)))
    b.close()
    prev = None
    for i in range(40):
        f = Flow(s, 41000 + i, cisn=100000 * (i + 1))
        f.open()
        if prev:
            prev.close()
        # Input registers: no session writes them, so the image holds i.
        f.exchange(adu(i, struct.pack(">BHH", 0x04, i, 1)), adu(i, bytes([4, 2]) + regs(i, 1)))
        prev = f
    prev.close()
    return ["--all-matched", "--min-requests", "41"]


def capture_hole(s):
    """A capture that lost a client segment: the stream is replayed up to
    the hole, and the report says where it stopped."""
    f = Flow(s, 40009)
    f.open()
    f.exchange(adu(1, struct.pack(">BHH", 0x03, 0, 1)), adu(1, bytes([3, 2]) + regs(0, 1)))
    f.cseq += 12  # a 12-byte request the capture did not get
    f.server("A")
    f.exchange(adu(3, struct.pack(">BHH", 0x03, 3, 1)), adu(3, bytes([3, 2]) + regs(3, 1)))
    f.close()
    return ["--all-matched", "--min-requests", "1", "--segments-sent", "1", "--hole-flows", "1"]


def fragments(s):
    """IPv6 (RFC 8200 4.5) and IPv4 (RFC 791) requests in fragments: their
    flows are not replayed, and the report says so; whole packets of an
    atomic fragment header (RFC 6946) and the flows beside are served."""
    f = Flow(s, 40011)
    f.open()
    f.exchange(adu(1, struct.pack(">BHH", 0x03, 0, 1)), adu(1, bytes([3, 2]) + regs(0, 1)))
    f.fragmented(adu(2, struct.pack(">BHH", 0x03, 1, 1)))
    f.server("PA", adu(2, bytes([3, 2]) + regs(1, 1)))
    f.close()
    g = Flow(s, 40013, cisn=4000)
    g.open()
    g.exchange(adu(3, struct.pack(">BHH", 0x04, 3, 2)), adu(3, bytes([4, 4]) + regs(3, 2)))
    g.close()
    s.v6 = False
    h = Flow(s, 40015, cisn=6000)
    h.open()
    h.fragmented(adu(4, struct.pack(">BHH", 0x03, 4, 1)))
    h.server("PA", adu(4, bytes([3, 2]) + regs(4, 1)))
    h.close()
    s.v6 = True
    a = Flow(s, 40017, cisn=8000)
    a.open()
    req = a._pkt(True, "PA", a.cseq, a.sseq, adu(5, struct.pack(">BHH", 0x03, 5, 1)))
    ip = req[IPv6]
    s.add(Ether(src=CLIENT_MAC, dst=SERVER_MAC) /
          IPv6(src=ip.src, dst=ip.dst) / IPv6ExtHdrFragment(offset=0, m=0, id=9) / ip[TCP])
    a.cseq += 12
    a.server("PA", adu(5, bytes([3, 2]) + regs(5, 1)))
    a.close()
    return ["--all-matched", "--min-requests", "2", "--fragment-flows", "2"]


def malformed(s):
    """Packets no reader can take: an IPv6 header cut short, an extension
    header past the packet's end, a TCP header past it; each counted and
    the first named, the flow beside them served."""
    f = Flow(s, 40019)
    f.open()
    eth = Ether(src=CLIENT_MAC, dst=SERVER_MAC, type=0x86DD)
    s.add(eth / Raw(bytes(IPv6(src=CLIENT_IP6, dst=SERVER_IP6))[:30]))
    hbh = bytes(IPv6(src=CLIENT_IP6, dst=SERVER_IP6, nh=0, plen=8)) + bytes([6, 4]) + bytes(6)
    s.add(eth / Raw(hbh))
    tcp = bytes(IPv6(src=CLIENT_IP6, dst=SERVER_IP6, nh=6, plen=12)) + bytes(12)
    s.add(eth / Raw(tcp))
    f.exchange(adu(1, struct.pack(">BHH", 0x03, 2, 1)), adu(1, bytes([3, 2]) + regs(2, 1)))
    f.close()
    return ["--all-matched", "--min-requests", "1", "--malformed", "3"]


def cooked(frames, v2):
    """The same frames as a Linux cooked capture (the any device)."""
    out = []
    for p in frames:
        outgoing = p[Ether].src == CLIENT_MAC
        if v2:
            c = CookedLinuxV2(proto=p[Ether].type, ifindex=2, pkttype=4 if outgoing else 0,
                              lladdrlen=6, src=p[Ether].src)
        else:
            c = CookedLinux(pkttype=4 if outgoing else 0, lladdrtype=1, lladdrlen=6,
                            src=p[Ether].src, proto=p[Ether].type)
        q = c / p[Ether].payload
        q.time = p.time
        out.append(q)
    return out


def raw(frames):
    """The same frames as raw IP, each packet's version its family."""
    out = []
    for p in frames:
        q = p[Ether].payload
        q.time = p.time
        out.append(q)
    return out


V6 = {"v6": True}
# name: (builder, how it is written, Session options)
SESSIONS = {
    "all_functions": (all_functions, "pcap", {}),
    "all_functions_ng": (all_functions, "pcapng", {}),
    "split_pipelined": (split_pipelined, "pcap", {}),
    "split_pipelined_sll": (split_pipelined, "sll", {}),
    "bad_requests": (bad_requests, "pcap", {}),
    "listen_only_sll2": (listen_only, "sll2", {}),
    "handshakes": (handshakes, "pcap", {}),
    "capture_hole": (capture_hole, "pcap", {}),
    "ipv6_all_functions": (all_functions, "pcap", V6),
    "ipv6_split_pipelined_ext_qinq": (split_pipelined, "pcap",
                                      {"v6": True, "ext": True, "vlans": (100, 7)}),
    "ipv6_split_pipelined_sll": (split_pipelined, "sll", V6),
    "ipv6_listen_only_sll2": (listen_only, "sll2", V6),
    "ipv6_bad_requests_ng": (bad_requests, "pcapng", V6),
    "ipv6_capture_hole": (capture_hole, "pcap", V6),
    "ipv6_mixed_handshakes_raw": (handshakes, "raw", {"v6": "mixed"}),
    "ipv6_fragments": (fragments, "pcap", V6),
    "ipv6_malformed": (malformed, "pcap", V6),
}


def main():
    out = sys.argv[1]
    for name, (build, kind, opts) in SESSIONS.items():
        s = Session(**opts)
        args = build(s)
        if kind == "pcapng":
            path = os.path.join(out, name + ".pcapng")
            w = PcapNgWriter(path)
            for p in s.frames:
                w.write(p)
            w.close()
        elif kind == "raw":
            path = os.path.join(out, name + ".pcap")
            # IPv4 and IPv6 packets in one raw capture are what it tests.
            logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
            wrpcap(path, raw(s.frames), linktype=DLT_RAW)
        else:
            path = os.path.join(out, name + ".pcap")
            frames = s.frames if kind == "pcap" else cooked(s.frames, kind == "sll2")
            wrpcap(path, frames)
        with open(os.path.join(out, name + ".args"), "w") as f:
            f.write(" ".join(args) + "\n")
        print(os.path.basename(path))


if __name__ == "__main__":
    main()
