"""Wire fixtures: closing: FINs both ways, TIME-WAIT, the idle timeout.

    /usr/bin/python3 tcp_close.py OUTDIR   (wire.py says what a fixture is)
"""
import sys

from wire import Conn, read_regs, regs_resp, fixture, main


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


if __name__ == "__main__":
    main(sys.argv[1])
