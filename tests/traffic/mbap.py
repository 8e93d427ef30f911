"""Wire fixtures: the MBAP stream over TCP: pipelined and split ADUs, header checks.

    /usr/bin/python3 mbap.py OUTDIR   (wire.py says what a fixture is)
"""
import sys

from wire import Conn, read_regs, regs_resp, fixture, main


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


if __name__ == "__main__":
    main(sys.argv[1])
