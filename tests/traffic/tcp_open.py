"""Wire fixtures: opening a connection: the handshake, its SYN cookie, the MSS.

    /usr/bin/python3 tcp_open.py OUTDIR   (wire.py says what a fixture is)
"""
import sys

from wire import OUR_MSS, Conn, read_regs, regs_resp, fixture, main


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


if __name__ == "__main__":
    main(sys.argv[1])
