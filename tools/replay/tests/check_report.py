#!/usr/bin/python3
"""Checks an mbxdp-replay JSON report against what mbxdp's device model
promises, beyond the tool's own pass rule (every request due an answer got
one that echoes it):

  * a request for a function code mbxdp does not serve is answered with
    exception 01, Illegal Function (MAP 7; the served codes are the README's);
  * --expect-fc CODES: each listed code was requested and every request for it
    is answered (or, per the device model, due no answer);
  * --expect-exception01 CODES: each listed code was requested and answered
    with exception 01;
  * --expect-normal CODES: each listed code was requested and answered
    without an exception;
  * --all-matched: every captured response is matched byte for byte, every
    request without one that is due an answer is answered, the rest not;
  * --no-answer-due N, --reset-flows N, --segments-sent N, --hole-flows N:
    exact counts of requests due no answer, flows the server reset, segments
    sent, flows the capture lost bytes of;
  * --fragment-flows N: exactly N flows not replayed for their fragments,
    each with its note; --malformed N: exactly N packets not read, and a
    capture note naming them;
  * --conversation OUT.pcap (an in-process replay's): each flow replayed
    in its captured family, every frame of its connection IPv6 for an
    IPv6 flow and IPv4 for an IPv4 one.

CODES: comma-separated decimal numbers or ranges (93-99).
Exit 0 when every check holds; prints one line per failure otherwise."""
import argparse
import json
import struct
import sys

# README.md "Usage": 01-08, 0B, 0C, 0F, 10, 11, 14-18 and 2B.
SERVED = set(range(0x01, 0x09)) | {0x0B, 0x0C, 0x0F, 0x10, 0x11} | set(range(0x14, 0x19)) | {0x2B}


def codes(text):
    out = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out |= set(range(int(lo), int(hi or lo) + 1))
    return out


def tcp_families(conversation):
    """Port -> the IP versions of the TCP frames with it, in an in-process
    replay's classic pcap of untagged Ethernet frames (read here, as scapy
    would take seconds per file)."""
    fams = {}
    with open(conversation, "rb") as f:
        data = f.read()
    order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack(order + "I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        etype = frame[12:14]
        if etype == b"\x08\x00" and frame[23] == 6:
            l4, version = 14 + (frame[14] & 15) * 4, 4
        elif etype == b"\x86\xdd" and frame[20] == 6:
            l4, version = 54, 6
        else:
            continue
        for port in struct.unpack(">HH", frame[l4:l4 + 4]):
            fams.setdefault(port, set()).add(version)
    return fams


def family_errors(rep, conversation):
    """Each replayed flow's frames (by our port) are of its captured family."""
    fams = tcp_families(conversation)
    errors = []
    for fi, flow in enumerate(rep["flows"], 1):
        want = 6 if flow["server"].startswith("[") else 4
        got = fams.get(flow["our_port"], set())
        if flow["replayed"] and got != {want}:
            errors.append(f"flow {fi}: IPv{want} in the capture, replayed as {sorted(got)}")
    return errors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--expect-fc", type=codes, default=set())
    ap.add_argument("--expect-exception01", type=codes, default=set())
    ap.add_argument("--expect-normal", type=codes, default=set())
    ap.add_argument("--all-matched", action="store_true")
    ap.add_argument("--no-answer-due", type=int)
    ap.add_argument("--reset-flows", type=int)
    ap.add_argument("--segments-sent", type=int)
    ap.add_argument("--hole-flows", type=int)
    ap.add_argument("--fragment-flows", type=int)
    ap.add_argument("--malformed", type=int)
    ap.add_argument("--conversation")
    ap.add_argument("--min-requests", type=int, default=1)
    a = ap.parse_args()
    rep = json.load(open(a.report))
    errors = []
    s = rep["summary"]
    if not s["pass"] or s["failed"] or s["unsolicited"]:
        errors.append(f"replay did not pass: {s}")
    if s["requests"] < a.min_requests:
        errors.append(f"only {s['requests']} requests replayed, expected at least {a.min_requests}")
    seen = {}
    for fi, flow in enumerate(rep["flows"], 1):
        if not flow["replayed"]:
            continue
        for req in flow["requests"]:
            fc, got = req["function"], req["replayed"]
            where = f"flow {fi} packet {req['packet']} fc {fc}"
            seen.setdefault(fc, []).append(req)
            if not req["ok"]:
                errors.append(f"{where}: status {req['status']}, no proper answer")
            if a.all_matched:
                if req["captured"] is not None and req["status"] != "matched":
                    errors.append(f"{where}: {req['status']} {req['differs']}: captured "
                                  f"{req['captured']}, replayed {got}")
                if req["captured"] is None and (got is not None) != req["answer_due"]:
                    errors.append(f"{where}: answer due {req['answer_due']}, replayed {got}")
            if req["answer_due"] and fc not in SERVED and got is not None:
                if got[14:18] != f"{fc | 0x80:02x}01":
                    errors.append(f"{where}: not served, so exception 01 is due; got {got}")
    def requests_of(fc):
        """The capture's requests of function fc; none is an error of its own."""
        if fc not in seen:
            errors.append(f"fc {fc}: no request for it in the capture")
        return seen.get(fc, [])

    for fc in sorted(a.expect_fc):
        if any(r["answer_due"] and r["replayed"] is None for r in requests_of(fc)):
            errors.append(f"fc {fc}: a request went unanswered")
    for fc in sorted(a.expect_exception01):
        for r in requests_of(fc):
            if r["replayed"] is None or r["replayed"][14:18] != f"{fc | 0x80:02x}01":
                errors.append(f"fc {fc} packet {r['packet']}: exception 01 expected, got {r['replayed']}")
    for fc in sorted(a.expect_normal):
        for r in requests_of(fc):
            if r["replayed"] is None or r["replayed"][14:16] != f"{fc:02x}":
                errors.append(f"fc {fc} packet {r['packet']}: a normal response expected, got {r['replayed']}")
    counts = {
        "no_answer_due": (a.no_answer_due, s["no_answer_due"]),
        "reset_flows": (a.reset_flows, sum("reset" in (f["note"] or "") for f in rep["flows"])),
        "segments_sent": (a.segments_sent, sum(f["segments_sent"] for f in rep["flows"])),
        "hole_flows": (a.hole_flows, sum("misses" in (f["capture_note"] or "") for f in rep["flows"])),
        "fragment_flows": (a.fragment_flows,
                           sum(not f["replayed"] and "fragmented" in (f["note"] or "") and
                               "fragmented" in (f["capture_note"] or "") for f in rep["flows"])),
        "malformed": (a.malformed, rep["malformed_packets"] if any(
            f"{rep['malformed_packets']} malformed" in n for n in rep["capture_notes"]) else None),
    }
    for name, (want, got) in counts.items():
        if want is not None and want != got:
            errors.append(f"{name}: {got}, expected {want}")
    if a.conversation:
        errors += family_errors(rep, a.conversation)
    for e in errors:
        print("check_report:", e)
    if not errors:
        n = sum(len(v) for v in seen.values())
        print(f"check_report: {a.report}: {n} requests, all checks hold")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
