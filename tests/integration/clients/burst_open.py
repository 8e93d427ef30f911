#!/usr/bin/python3
"""A connection whose handshake ends in the same receive burst as its first
request: scapy (not the kernel) speaks TCP from an address the client's
kernel does not own, and mbxdp is stopped (SIGSTOP) while the handshake's
last ACK and the request are sent, so that it finds both in its ring when it
runs again. This is how a client connecting to a busy or descheduled engine
meets it. The server must answer the request once, then the FIN with its
own FIN, as for any connection.

Usage: burst_open.py IFACE SERVER SERVER_MAC SOURCE MBXDP_PID
(IPv4 or IPv6 addresses).
Exits 0 when both answers came, 1 with a FAIL line otherwise.
"""

import os
import signal
import sys
import time

from scapy.all import IP, TCP, AsyncSniffer, Ether, IPv6, Raw, conf, get_if_hwaddr, sendp

SPORT = 40123
ISN = 1000
REQUEST = bytes.fromhex("4d4200000006010300640002")  # FC03: 2 registers at 100
WAIT_S = 3.0


def data_len(p):
    """The TCP payload's length, without the Ethernet padding scapy keeps."""
    tcp = p[TCP]
    if IPv6 in p:
        return p[IPv6].plen - tcp.dataofs * 4
    return p[IP].len - p[IP].ihl * 4 - tcp.dataofs * 4


def fail(what):
    print("FAIL: burst_open: " + what)
    sys.exit(1)


def main():
    iface, server, mac, source = sys.argv[1:5]
    pid = int(sys.argv[5])
    conf.verb = 0
    if not mac:
        fail(f"no link-layer address for {server}")
    l3 = IPv6(src=source, dst=server) if ":" in server else IP(src=source, dst=server)
    head = Ether(src=get_if_hwaddr(iface), dst=mac) / l3
    got = []
    sniffer = AsyncSniffer(iface=iface, store=False, prn=got.append,
                           filter=f"tcp and src port 502 and dst port {SPORT}")
    sniffer.start()
    time.sleep(0.3)  # the sniffer's socket is open once started, not at once

    def segment(flags, seq, ack=None, payload=b""):
        tcp = TCP(sport=SPORT, dport=502, flags=flags, seq=ISN + seq)
        if ack is not None:
            tcp.ack = ack
        return head / tcp / Raw(payload) if payload else head / tcp

    def wait_for(what, pred):
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            for p in got:
                if pred(p[TCP], data_len(p)):
                    return p
            time.sleep(0.05)
        sniffer.stop()
        fail(f"no {what}; seen: " + ", ".join(f"{p[TCP].flags} seq {p[TCP].seq} ack {p[TCP].ack}"
                                               f" len {data_len(p)}" for p in got))

    sendp(segment("S", 0), iface=iface)
    iss = wait_for("SYN-ACK", lambda t, n: t.flags == "SA" and t.ack == ISN + 1)[TCP].seq
    os.kill(pid, signal.SIGSTOP)
    try:
        sendp([segment("A", 1, iss + 1), segment("PA", 1, iss + 1, REQUEST)], iface=iface)
        time.sleep(0.2)  # both frames in the engine's ring
    finally:
        os.kill(pid, signal.SIGCONT)
    answer = wait_for("answer to the request",
                      lambda t, n: n and t.seq == iss + 1 and t.ack == ISN + 1 + len(REQUEST))
    data = bytes(answer[TCP].payload)[:data_len(answer)]
    if data != bytes.fromhex("4d420000000701030400640065"):
        fail(f"answer {data.hex()}, want registers 100 and 101")
    end = 1 + len(REQUEST)
    sendp(segment("FA", end, iss + 1 + len(data)), iface=iface)
    fin = wait_for("FIN in answer to the FIN",
                   lambda t, n: t.flags.F and t.seq == iss + 1 + len(data) and t.ack == ISN + end + 1)
    sendp(segment("A", end + 1, fin[TCP].seq + 1), iface=iface)
    sniffer.stop()
    sent = sum(1 for p in got if data_len(p))
    if sent != 1:
        fail(f"the answer was sent {sent} times")
    print("answered once, closed by FIN")


if __name__ == "__main__":
    main()
