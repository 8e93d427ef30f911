"""The replay traffic corpus: Modbus/TCP sessions built with scapy, written
as captures for mbxdp-replay (tools/replay), each with the expectations the
replay report must meet.

Every session is a client talking to a server with mbxdp's default device
image (holding and input register i hold i, coil and discrete input i hold
i & 1, file record r holds r). The captured responses are what that device
must answer, derived here from the Modbus specification (MAP) and the
image; requests whose answers depend on configuration (identification,
event counters) have no captured response and must be answered normally.

Captures use addresses of 198.19.0.0/16, never those of a replay: the tool
rewrites them. Link types vary so the reader is covered: Ethernet pcap,
pcapng, Linux cooked v1 (SLL) and v2 (SLL2).

    /usr/bin/python3 corpus.py OUTDIR
writes OUTDIR/NAME.pcap (or .pcapng) and OUTDIR/NAME.args (check_report.py
options), and prints the file names.
"""
import os
import struct
import sys

from scapy.all import IP, TCP, Ether, Raw, wrpcap  # noqa: E402
from scapy.layers.l2 import CookedLinux, CookedLinuxV2  # noqa: E402
from scapy.utils import PcapNgWriter  # noqa: E402

CLIENT_IP = "198.19.0.2"
SERVER_IP = "198.19.0.1"
CLIENT_MAC = "02:00:00:00:01:02"
SERVER_MAC = "02:00:00:00:01:01"


class Session:
    """Frames of one capture, in time order; flows added one after another."""

    def __init__(self):
        self.frames = []
        self.t = 1_700_000_000.0

    def add(self, pkt, gap=0.001):
        self.t += gap
        pkt.time = self.t
        self.frames.append(pkt)


class Flow:
    """One TCP connection; both sequence spaces as real peers keep them."""

    def __init__(self, s, sport, cisn=1000, sisn=50000):
        self.s, self.sport = s, sport
        self.cseq, self.sseq = cisn, sisn

    def _pkt(self, src, dst, sport, dport, flags, seq, ack, payload):
        smac, dmac = (CLIENT_MAC, SERVER_MAC) if src == CLIENT_IP else (SERVER_MAC, CLIENT_MAC)
        p = Ether(src=smac, dst=dmac) / IP(src=src, dst=dst) / TCP(
            sport=sport, dport=dport, flags=flags, seq=seq, ack=ack if "A" in flags else 0,
            window=64240)
        return p / Raw(payload) if payload else p

    def client(self, flags, payload=b"", seq=None):
        """A client segment; seq given: a retransmission, nothing advances."""
        p = self._pkt(CLIENT_IP, SERVER_IP, self.sport, 502, flags,
                      self.cseq if seq is None else seq, self.sseq, payload)
        self.s.add(p)
        if seq is None:
            self.cseq += len(payload) + ("S" in flags) + ("F" in flags)

    def server(self, flags, payload=b""):
        self.s.add(self._pkt(SERVER_IP, CLIENT_IP, 502, self.sport, flags, self.sseq, self.cseq,
                             payload))
        self.sseq += len(payload) + ("S" in flags) + ("F" in flags)

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


def cooked(frames, v2):
    """The same frames as a Linux cooked capture (the any device)."""
    out = []
    for p in frames:
        outgoing = p[Ether].src == CLIENT_MAC
        if v2:
            c = CookedLinuxV2(proto=0x0800, ifindex=2, pkttype=4 if outgoing else 0, lladdrlen=6,
                              src=p[Ether].src)
        else:
            c = CookedLinux(pkttype=4 if outgoing else 0, lladdrtype=1, lladdrlen=6,
                            src=p[Ether].src, proto=0x0800)
        q = c / p[IP]
        q.time = p.time
        out.append(q)
    return out


# name: (builder, how it is written)
SESSIONS = {
    "all_functions": (all_functions, "pcap"),
    "all_functions_ng": (all_functions, "pcapng"),
    "split_pipelined": (split_pipelined, "pcap"),
    "split_pipelined_sll": (split_pipelined, "sll"),
    "bad_requests": (bad_requests, "pcap"),
    "listen_only_sll2": (listen_only, "sll2"),
    "handshakes": (handshakes, "pcap"),
    "capture_hole": (capture_hole, "pcap"),
}


def main():
    out = sys.argv[1]
    for name, (build, kind) in SESSIONS.items():
        s = Session()
        args = build(s)
        if kind == "pcapng":
            path = os.path.join(out, name + ".pcapng")
            w = PcapNgWriter(path)
            for p in s.frames:
                w.write(p)
            w.close()
        else:
            path = os.path.join(out, name + ".pcap")
            frames = s.frames if kind == "pcap" else cooked(s.frames, kind == "sll2")
            wrpcap(path, frames)
        with open(os.path.join(out, name + ".args"), "w") as f:
            f.write(" ".join(args) + "\n")
        print(os.path.basename(path))


if __name__ == "__main__":
    main()
