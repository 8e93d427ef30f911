#!/usr/bin/python3
"""Dissects a capture of a Modbus/TCP run with tshark and judges it.

Fails on any malformed frame and on any expert info of severity warning or
error (tshark's own verdicts: bad IP or TCP checksum, lost or out-of-order
segments, zero windows, resets, Modbus fields that do not add up...); each
offending frame is listed. Chat and note infos (a SYN, a FIN, a
retransmission noted) are not failures.

It then counts, per function code, the Modbus responses tshark decoded from
the server, so a run that dissected nothing cannot pass, and compares the
frame counts with the server's own counters (its 'name value' lines at
exit), so a capture that missed frames cannot pass either.

  dissect_check.py PCAP --server IP [--port P] [--counters LOG] [--want-fc 1,2,...]
  dissect_check.py --self-test DIR   checks that a damaged capture is caught

Exits 0 when the capture passes, 1 with FAIL lines otherwise.
"""

import argparse
import collections
import os
import subprocess
import sys

# Wireshark's expert severities (epan/proto.h PI_CHAT ... PI_ERROR).
SEVERITY = {0x200000: "chat", 0x400000: "note", 0x600000: "warning", 0x800000: "error"}
PI_WARN = 0x600000

FIELDS = ("frame.number", "_ws.malformed", "ip.src", "ip.dst", "tcp.srcport", "tcp.dstport",
          "mbtcp.trans_id", "modbus.func_code", "_ws.expert.severity", "_ws.expert.message",
          "_ws.col.Info")
SEP = "|"  # between the occurrences of one field; never in the fields above


def dissect(pcap, port):
    cmd = ["tshark", "-n", "-r", pcap,
           # Check what the stack computes: tshark skips checksums by default.
           "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
           "-d", f"tcp.port=={port},mbtcp",
           "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
           "-E", f"aggregator={SEP}"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        yield dict(zip(FIELDS, line.split("\t")))


def split(value):
    return [v for v in value.split(SEP) if v]


def judge(pcap, server, port, counters, want_fc):
    failures = []
    responses = collections.Counter()  # function code -> responses decoded
    n = collections.Counter()
    for fr in dissect(pcap, port):
        n["frames"] += 1
        bad = []
        if fr["_ws.malformed"]:
            bad.append("malformed")
        for sev, msg in zip(split(fr["_ws.expert.severity"]), split(fr["_ws.expert.message"])):
            if int(sev) >= PI_WARN:
                bad.append(f"{SEVERITY.get(int(sev), sev)}: {msg}")
        if bad:
            failures.append(f"frame {fr['frame.number']} ({fr['_ws.col.Info'][:90]}): "
                            + "; ".join(bad))
        from_server = fr["ip.src"] == server and fr["tcp.srcport"] == str(port)
        to_server = fr["ip.dst"] == server and fr["tcp.dstport"] == str(port)
        n["tx_frames"] += from_server
        n["rx_frames"] += to_server
        adus = len(split(fr["mbtcp.trans_id"]))
        if from_server:
            n["responses"] += adus
            for fc in split(fr["modbus.func_code"]):
                responses[int(fc)] += 1
        elif to_server:
            n["requests"] += adus

    print(f"{n['frames']} frames; {n['rx_frames']} TCP to the server carrying "
          f"{n['requests']} Modbus requests, {n['tx_frames']} from it carrying "
          f"{n['responses']} responses")
    print("responses decoded per function code: "
          + " ".join(f"{fc:02X}:{c}" for fc, c in sorted(responses.items())))
    missing = [fc for fc in want_fc if not responses[fc]]
    if missing:
        failures.append("no response decoded for function code(s) "
                        + " ".join(f"{fc:02X}" for fc in missing))

    if counters:
        # The server counts every TCP frame it got and sent on its port and
        # every ADU; the capture on the other end of the veth must hold the
        # same numbers, or frames were lost (or sent twice) on the way.
        have = {}
        with open(counters) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2 and parts[1].isdigit():
                    have[parts[0]] = int(parts[1])
        for name, mine in (("port_tx_frames", "tx_frames"), ("mb_requests", "requests"),
                           ("mb_responses", "responses")):
            if name not in have:
                failures.append(f"server counter {name} not found in {counters}")
            elif have[name] != n[mine]:
                failures.append(f"server counter {name} is {have[name]}, the capture has "
                                f"{n[mine]}")
    for f in failures:
        print(f"FAIL: {f}")
    return 1 if failures else 0


def self_test(workdir):
    """A capture with one damaged frame of each kind must fail, naming it."""
    from scapy.all import IP, TCP, Ether, Raw, wrpcap

    base = Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")
    cli = base / IP(src="198.18.0.2", dst="198.18.0.1")
    srv = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(
        src="198.18.0.1", dst="198.18.0.2")
    req = bytes.fromhex("0001 0000 0006 01 03 0000 0001".replace(" ", ""))
    good_rsp = bytes.fromhex("0001 0000 0005 01 03 02 0000".replace(" ", ""))
    # Byte count 1: half a register, which the dissector cannot decode.
    short = bytes.fromhex("0002 0000 0004 01 03 01 00".replace(" ", ""))
    frames = [
        cli / TCP(sport=40000, dport=502, flags="S", seq=100),
        srv / TCP(sport=502, dport=40000, flags="SA", seq=500, ack=101),
        cli / TCP(sport=40000, dport=502, flags="A", seq=101, ack=501),
        cli / TCP(sport=40000, dport=502, flags="PA", seq=101, ack=501) / Raw(req),
        srv / TCP(sport=502, dport=40000, flags="PA", seq=501, ack=101 + len(req)) / Raw(
            good_rsp),
        srv / TCP(sport=502, dport=40000, flags="PA", seq=501 + len(good_rsp),
                  ack=101 + len(req)) / Raw(short),
        srv / TCP(sport=502, dport=40000, flags="PA", seq=501 + len(good_rsp) + len(short),
                  ack=101 + len(req), chksum=0x1234) / Raw(good_rsp),
    ]
    pcap = os.path.join(workdir, "damaged.pcap")
    wrpcap(pcap, frames)
    proc = subprocess.run([sys.executable, __file__, pcap, "--server", "198.18.0.1",
                           "--want-fc", "3,4"], capture_output=True, text=True)
    out = proc.stdout
    print("".join("  on the damaged capture: " + line for line in out.splitlines(True)), end="")
    expected = ("frame 6 ", "malformed", "frame 7 ", "Bad checksum",
                "no response decoded for function code(s) 04")
    if proc.returncode != 1 or any(e not in out for e in expected) or "frame 5 " in out:
        print("FAIL: the damaged capture was not judged as expected (want frame 6 malformed, "
              "frame 7 with a bad checksum, nothing else, and FC 04 missing)")
        return 1
    print("self-test: the damaged frames and the missing function code were caught")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pcap", nargs="?")
    ap.add_argument("--server")
    ap.add_argument("--port", type=int, default=502)
    ap.add_argument("--counters", help="the server's exit output with its counters")
    ap.add_argument("--want-fc", default="", help="function codes that must have responses")
    ap.add_argument("--self-test", metavar="DIR")
    args = ap.parse_args()
    if args.self_test:
        return self_test(args.self_test)
    if not args.pcap or not args.server:
        ap.error("PCAP and --server are required")
    want = [int(x, 16) for x in args.want_fc.split(",") if x]
    return judge(args.pcap, args.server, args.port, args.counters, want)


if __name__ == "__main__":
    sys.exit(main())
