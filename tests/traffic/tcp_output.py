"""Wire fixtures: what the stack sends again and how much: retransmission, the peer's
window, keepalive.

    /usr/bin/python3 tcp_output.py OUTDIR   (wire.py says what a fixture is)
"""
import sys

from wire import OUR_MSS, Conn, read_regs, regs_resp, fixture, main


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


if __name__ == "__main__":
    main(sys.argv[1])
