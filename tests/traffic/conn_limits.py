"""Wire fixtures: connection limits: eviction, priority sources, per-source limits,
over IPv4 and IPv6.

    /usr/bin/python3 conn_limits.py OUTDIR   (wire.py says what a fixture is)
"""
import sys

from scapy.all import TCP

from wire import CLIENT_IP6, OUR_MSS, Conn, counts, read_regs, regs_resp, fixture, main


# A second client address, for the limits per source.
OTHER_IP = "198.18.0.3"


def evict_oldest(a, b, c):
    """a and b open (the table full), a busy; c opens: b, idle the
    longest, gets our FIN (at our SND.NXT), c is served."""
    f = a.handshake() + b.handshake(at=1)
    f += [a.cl("PA", read_regs(1, 1, 1), at=2), a.sv("PA", regs_resp(1, 1, 1)), a.cl("A")]
    f += c.handshake(at=3)
    f.append(b.sv("FA"))  # b was idle the longest
    f += [c.cl("PA", read_regs(2, 2, 1)), c.sv("PA", regs_resp(2, 2, 1)), c.cl("A")]
    return f


@fixture(args="--max-conns 2")
def evict_oldest_idle():
    """MIG 4.2.1: with the table full, a new connection closes the oldest
    idle connection (a FIN at our SND.NXT) and is served. The evicted peer's
    own FIN then finds no connection: <SEQ=SEG.ACK><CTL=RST> (RFC 9293
    3.10.7.2)."""
    a, b = Conn(40101), Conn(40102)
    f = evict_oldest(a, b, Conn(40103, ip=OTHER_IP))
    fin = b.cl("FA")
    f += [fin, b.sv("R", seq=fin[TCP].ack)]
    return f


@fixture(args="--max-conns 2")
def evict_oldest_idle_v6():
    """The same over IPv6: our FIN to the evicted connection is built from
    its record, the IPv6 addresses from its side tables."""
    a, b = Conn(40104, ip=CLIENT_IP6), Conn(40105, ip=CLIENT_IP6)
    return evict_oldest(a, b, Conn(40106, ip="2001:2::3")) + [counts(conn_opened=3)]


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


def per_source(a, b, c, d):
    """a, b from one source open; c from it too is refused; d from another
    is served."""
    f = a.handshake() + b.handshake() + c.handshake()
    f.append(c.sv("R", seq=f[-1][TCP].ack))
    f += d.handshake()
    f += [d.cl("PA", read_regs(4, 4, 1)), d.sv("PA", regs_resp(4, 4, 1)), d.cl("A")]
    return f


@fixture(args="--max-conns-per-source 2")
def per_source_limit():
    """MIG 4.2.1: one source holds at most --max-conns-per-source
    connections; the next one is refused with <SEQ=SEG.ACK><CTL=RST>, while
    another source is served."""
    return per_source(Conn(40131), Conn(40132), Conn(40133), Conn(40134, ip=OTHER_IP))


@fixture(args="--max-conns-per-source 2")
def per_source_limit_v6():
    """The same over IPv6, a source counted as its /64 (RFC 4291 2.5.4: the
    prefix one host is given): the third connection comes from yet another
    address of the same /64, the one served from another /64."""
    return per_source(Conn(40135, ip=CLIENT_IP6), Conn(40136, ip="2001:2::3"),
                      Conn(40137, ip="2001:2::4"), Conn(40138, ip="2001:2:0:1::2"))


if __name__ == "__main__":
    main(sys.argv[1])
