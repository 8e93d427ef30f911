"""Wire fixtures: a client stack (--role client) against a Modbus server.

    /usr/bin/python3 tcp_client.py OUTDIR   (wire.py says what a fixture is)
"""
import sys

from scapy.all import IP, TCP, Ether, IPv6, Raw

from wire import (CLIENT_MAC, SERVER_MAC, CLIENT_IP, CLIENT_IP6, SERVER_IP, SERVER_IP6, OUR_MSS,
                  OUR_MSS6, WINDOW, action, from_stack, is_ip6, read_regs, regs_resp, fixture, main)


# A client stack (--role client): the stack at SERVER_IP and SERVER_MAC
# opens connections to a Modbus server, the peer, at CLIENT_IP:502. Its
# application acts through action frames (fixture_runner.c).
TICK = 2 ** 20 / 1e9  # the stack's timer tick, s


def ticks(ms):
    """Milliseconds in the stack's ticks, rounded up (stack/tcp/priv/tcp_priv.h)."""
    return -(-ms * 1000000 // 2 ** 20)


class Peer:
    """The server a client stack connects to from lport, at ip (CLIENT_IP,
    or CLIENT_IP6 for a connection over IPv6); tracks both sequence spaces.
    The stack's are written from 0 (its ISS is a keyed hash; the runner
    translates)."""

    def __init__(self, lport, ip=CLIENT_IP):
        self.lport = lport
        self.ip = ip
        self.v6 = is_ip6(ip)
        self.pseq = 5000  # the peer's next sequence number
        self.sseq = 0  # the stack's next sequence number (relative)

    def act(self, text, at=None):
        """An action of the stack's application."""
        return action(text, at)

    def pe(self, flags, payload=b"", seq=None, ack=None, mss=None, at=None):
        """A segment from the peer; advances its sequence number."""
        tcp = TCP(sport=502, dport=self.lport, flags=flags,
                  seq=self.pseq if seq is None else seq,
                  ack=(self.sseq if ack is None else ack) if "A" in flags else 0,
                  window=64240, options=[("MSS", mss)] if mss else [])
        ip = IPv6(src=self.ip, dst=SERVER_IP6, hlim=64) if self.v6 else \
            IP(src=self.ip, dst=SERVER_IP, ttl=64)
        pkt = Ether(src=CLIENT_MAC, dst=SERVER_MAC) / ip / tcp
        if payload:
            pkt = pkt / Raw(payload)
        if seq is None:
            self.pseq += len(payload) + ("S" in flags) + ("F" in flags)
        pkt.mbx_at = at
        return pkt

    def st(self, flags, payload=b"", seq=None, ack=None, mss=None, at=None, advance=True):
        """A segment the stack must send; advances its sequence number
        (unless advance is False: a retransmission)."""
        pkt = from_stack(Ether(src=SERVER_MAC, dst=CLIENT_MAC), self.ip, self.lport, 502, flags,
                         self.sseq if seq is None else seq,
                         (self.pseq if ack is None else ack) if "A" in flags else 0,
                         WINDOW, mss, payload, at)
        if seq is None and advance:
            self.sseq += len(payload) + ("S" in flags) + ("F" in flags)
        return pkt

    def open(self):
        """connect (connect6), our SYN with our MSS, the peer's SYN-ACK, our
        ACK."""
        if self.v6:
            return [self.act(f"connect6 {self.lport}"), self.st("S", mss=OUR_MSS6),
                    self.pe("SA", mss=1440), self.st("A")]
        return [self.act(f"connect {self.lport}"), self.st("S", mss=OUR_MSS),
                self.pe("SA", mss=1460), self.st("A")]


def request_and_close(p):
    """A request, its answer, our close through TIME-WAIT, then a RST."""
    port = p.lport
    f = p.open()
    f += [p.act(f"send {port} {read_regs(1, 100, 2).hex()}"), p.st("PA", read_regs(1, 100, 2))]
    f += [p.pe("PA", regs_resp(1, 100, 2)), p.st("A"),
          p.act(f"received {port} {regs_resp(1, 100, 2).hex()}")]
    f += [p.act(f"close {port}"), p.st("FA"), p.pe("A")]
    f += [p.pe("FA"), p.st("A")]
    t_end = (ticks(1000) + 1) * TICK
    f += [p.act(f"closed {port} closed", at=t_end)]
    f += [p.pe("A", seq=p.pseq, at=t_end), p.st("R", seq=p.sseq)]
    return f


@fixture(args="--role client --time-wait 1000")
def client_request_and_close():
    """RFC 9293 3.5 and 3.6 from the client's side: SYN with our MSS
    (3.7.1), the SYN-ACK acknowledged; a request, its answer given to the
    application and acknowledged; our close: FIN-WAIT-1, FIN-WAIT-2,
    TIME-WAIT for --time-wait, after which a segment on the tuple finds
    no connection and gets <SEQ=SEG.ACK><CTL=RST> (3.10.7.1)."""
    return request_and_close(Peer(40301))


@fixture(args="--role client --time-wait 1000")
def client_request_and_close_v6():
    """The same over IPv6 (stack_connect6): our SYN with our IPv6 MSS
    (1440), every segment in a 40-byte IPv6 header."""
    return request_and_close(Peer(40311, ip=CLIENT_IP6))


@fixture(args="--role client")
def client_syn_retransmitted_v6():
    """RFC 6298 2.1 and 5.5 over IPv6: the SYN, built from the connection's
    record, goes again after 1 s, then after 2 s more; the SYN-ACK to it
    opens the connection."""
    p = Peer(40312, ip=CLIENT_IP6)
    f = [p.act("connect6 40312"), p.st("S", mss=OUR_MSS6)]
    first = ticks(1000)
    f.append(p.st("S", seq=0, mss=OUR_MSS6, advance=False, at=(first + 0.5) * TICK))
    f.append(p.st("S", seq=0, mss=OUR_MSS6, advance=False, at=(3 * first + 1) * TICK))
    f += [p.pe("SA", mss=1440, at=(3 * first + 2) * TICK), p.st("A")]
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


if __name__ == "__main__":
    main(sys.argv[1])
