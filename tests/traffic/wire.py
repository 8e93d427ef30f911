"""What the wire fixtures share, built with scapy: a client connection
(Conn) that tracks both sequence spaces, the segments the stack writes,
Modbus requests and answers, and the registry each topic's file fills.

Each fixture is a conversation: frames a client sends (from the client MAC)
and, after each, the frames the stack must send back (from the server MAC),
byte for byte. fixture_runner.c plays them through the stack in process. The
server's sequence space is written from 0 (its ISN is a keyed hash); the
runner translates. Every fixture cites the rule it checks (MIG: the
Modbus Messaging on TCP/IP Implementation Guide V1.0b). A Conn from an
IPv6 address talks IPv6 to SERVER_IP6 (RFC 8200), optionally behind
extension headers. An action frame (action()) between the frames checks
the stack's counters (fixture_runner.c). One file per topic (tcp_open.py,
tcp_input.py, ...) holds its fixtures:

    /usr/bin/python3 TOPIC.py OUTDIR     writes OUTDIR/<name>.pcap per fixture
                                         and prints "<name> <runner options>"
"""
import os

from scapy.all import IP, TCP, Dot1Q, Ether, IPv6, Raw, wrpcap

CLIENT_MAC = "02:00:00:00:00:02"
SERVER_MAC = "02:00:00:00:00:01"
CLIENT_IP = "198.18.0.2"
SERVER_IP = "198.18.0.1"
# IPv6, inside 2001:2::/48 (RFC 5180's benchmarking range). The stack owns
# SERVER_IP6 besides SERVER_IP (lib/stack_harness.c).
CLIENT_IP6 = "2001:2::2"
SERVER_IP6 = "2001:2::1"
OUR_MSS = 1460
# The stack's MSS over IPv6: its IPv4 one less the 20 bytes the larger
# header takes (RFC 9293 3.7.1: MTU less the fixed IP and TCP headers).
OUR_MSS6 = OUR_MSS - 20
WINDOW = 65535
ACTION_MAC = "02:00:00:00:00:fe"


def action(text, at=None):
    """An action frame: a line of text the runner acts on when it comes to
    it, as an input frame (fixture_runner.c lists the verbs)."""
    pkt = Ether(src=ACTION_MAC, dst=SERVER_MAC, type=0x88B5) / Raw(text.encode())
    pkt.mbx_at = at
    return pkt


def counts(**counters):
    """An action frame: the stack's counters (stack/stack.h) named must
    hold these values when the runner comes to it; also, as after any input
    frame, every reply sent so far must have been expected."""
    return action("count " + " ".join(f"{k}={v}" for k, v in counters.items()))


def is_ip6(addr):
    return ":" in addr


def from_stack(l2, dst_ip, sport, dport, flags, seq, ack, window, mss, payload, at):
    """A segment the stack sends, as it writes them: IPv4 with DF, id 0,
    TTL 64; or (to an IPv6 address) a 40-byte IPv6 header without extension
    headers, traffic class and flow label 0, hop limit 64; the MSS option on
    a SYN."""
    tcp = TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=window,
              options=[("MSS", mss)] if mss else [])
    if is_ip6(dst_ip):
        pkt = l2 / IPv6(src=SERVER_IP6, dst=dst_ip, hlim=64, tc=0, fl=0) / tcp
    else:
        pkt = l2 / IP(src=SERVER_IP, dst=dst_ip, ttl=64, id=0, flags="DF") / tcp
    if payload:
        pkt = pkt / Raw(payload)
    pkt.mbx_at = at
    return pkt


class Conn:
    """One client connection; tracks both sequence spaces like a peer would.
    From an IPv6 address (ip=CLIENT_IP6) it talks IPv6, each of its
    segments behind the extension headers ext (a scapy layer chain, or
    None)."""

    def __init__(self, sport, vlan=None, mss=OUR_MSS, ip=CLIENT_IP, ext=None):
        self.sport = sport
        self.ip = ip
        self.vlan = vlan
        self.mss = mss
        self.ext = ext
        self.v6 = is_ip6(ip)
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
        if self.v6:
            ip = IPv6(src=self.ip, dst=SERVER_IP6, hlim=64)
            if self.ext is not None:
                ip = ip / self.ext.copy()
        else:
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

    def handshake(self, at=None):
        syn = self.cl("S", options=[("MSS", self.mss)] if self.mss else [], at=at)
        synack = self.sv("SA", mss=OUR_MSS6 if self.v6 else OUR_MSS)
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


def dropped(name, doc, frame, counter):
    """Registers a fixture named name, described by doc: the stack drops
    frame, sends nothing, and counts it under counter (its only drop)."""
    def f():
        return [frame, counts(**{counter: 1})]
    f.__name__ = name
    f.__doc__ = doc
    fixture(f)


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
    """Writes the fixtures of the topic file run (those it registered)."""
    os.makedirs(outdir, exist_ok=True)
    for fn in FIXTURES:
        wrpcap(os.path.join(outdir, fn.__name__ + ".pcap"), stamp(fn()))
    print("\n".join(f"{fn.__name__} {fn.runner_args}".strip() for fn in FIXTURES))
