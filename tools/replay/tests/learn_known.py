"""--learn on captures of devices whose models are known: the model learned
back must be the one the capture was made from, as far as the capture
shows it, and replayed against its capture it must answer every request
the device answered as the device did.

Each known model is served by mbxdp in process (mbxdp-replay --config) to
a client capture built here with scapy (requests at set times); the
conversation it writes is the capture of that device. The learned model is
then compared with the known one: tables (start, count, initial values),
identification, switched-off functions, rules, and sequences (each step's
value, its time between the reads around the change).

    /usr/bin/python3 learn_known.py MBXDP_REPLAY WORKDIR
"""
import json
import os
import struct
import subprocess
import sys

import yaml
from scapy.all import IP, TCP, Ether, Raw, wrpcap  # noqa: E402

CLIENT_IP = "198.18.0.2"
CLIENT_MAC = "02:00:00:00:00:02"
SERVER_MAC = "02:00:00:00:00:01"
T0 = 1_700_000_000.0

PLC = """\
servers:
  - address: 198.18.0.1
    units:
      - id: 1
        coils: { start: 0, count: 16, init: [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1] }
        discrete_inputs: { start: 100, count: 8, init: [0, 1, 1, 0, 1, 0, 0, 1] }
        holding_registers: { start: 0, count: 10, init: [10, 11, 12, 13, 14, 15, 16, 17, 18, 19] }
        input_registers: { start: 300, count: 4, init: [300, 301, 302, 303] }
        disabled_functions: [0x16]
        identity: { vendor_name: ACME, product_code: PLC-7, revision: "3.2", product_name: Pump station }
        rules:
          - { function: 0x08, sub: 0x0004, exception: 0x0B }
          - { function: 0x07, answer: "15" }
          - { function: 0x11, answer: "05 50 4C 43 2D 37 FF" }
          - { function: 0x41, answer: none }
          - { function: 0x14, until: 1.25, exception: 0x06 }
        sequences:
          - { table: input_registers, address: 301, steps: [[1, 500], [2, 501]] }
          - { table: discrete_inputs, address: 102, steps: [[1.5, 0]] }
      - id: 2
        holding_registers: { start: 1000, count: 4, init: [7, 8, 9, 10] }
"""

GATEWAY = """\
servers:
  - address: 198.18.0.1
    units:
      - id: 3
        input_registers: { start: 0, count: 2, init: [40, 41] }
        sequences:
          - { table: input_registers, address: 0, steps: [[0.3, 42], [0.6, 43], [0.9, 44]] }
  - address: 198.18.0.3
    units:
      - id: 5
        coils: { start: 20, count: 4, init: [0, 1, 0, 1] }
        rules:
          - { function: 0x05, addresses: [22, 22], exception: 0x04 }
"""


def adu(tid, unit, pdu):
    return struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu


def rd(fc, addr, qty):
    return struct.pack(">BHH", fc, addr, qty)


class Capture:
    """Client segments only: the server's answers come from mbxdp."""

    def __init__(self):
        self.frames = []
        self.tid = 0

    def flow(self, server, sport, requests):
        """requests: [(seconds, unit, pdu)]; opens before the first, closes after the last."""
        seq = 1000

        def pkt(t, flags, payload=b""):
            p = Ether(src=CLIENT_MAC, dst=SERVER_MAC) / IP(src=CLIENT_IP, dst=server) / TCP(
                sport=sport, dport=502, flags=flags, seq=seq, ack=1 if "A" in flags else 0,
                window=64240)
            p = p / Raw(payload) if payload else p
            p.time = T0 + t
            self.frames.append(p)

        pkt(requests[0][0] - 0.01, "S")
        seq += 1
        pkt(requests[0][0] - 0.005, "A")
        for t, unit, pdu in requests:
            self.tid += 1
            a = adu(self.tid, unit, pdu)
            pkt(t, "PA", a)
            seq += len(a)
        pkt(requests[-1][0] + 0.01, "FA")

    def write(self, path):
        wrpcap(path, sorted(self.frames, key=lambda p: p.time))


def plc_capture():
    c = Capture()
    r = [(0.0, 1, rd(3, 0, 10)), (0.01, 1, rd(1, 0, 16)), (0.02, 1, rd(2, 100, 8)),
         (0.03, 1, rd(4, 300, 4)), (0.04, 1, rd(3, 10, 1)), (0.05, 1, rd(1, 16, 1)),
         (0.06, 1, rd(2, 99, 1)), (0.07, 1, rd(4, 304, 1)),
         (0.08, 1, struct.pack(">BHH", 6, 3, 99)), (0.09, 1, rd(3, 3, 1)),
         (0.10, 1, struct.pack(">BHHH", 0x16, 4, 0xFF00, 0x0012)),
         (0.11, 1, bytes([8, 0, 4, 0, 0])), (0.12, 1, bytes([8, 0, 0, 0x12, 0x34])),
         (0.13, 1, bytes([7])), (0.14, 1, bytes([0x11])), (0.15, 1, bytes([0x41, 1, 2])),
         (0.16, 1, bytes([0x2B, 0x0E, 1, 0])), (0.17, 1, bytes([0x2B, 0x0E, 2, 0])),
         (0.5, 1, bytes([0x14, 7, 6, 0, 1, 0, 0, 0, 1])), (0.5, 1, rd(4, 301, 1)),
         (0.51, 1, rd(2, 102, 1)), (1.2, 1, rd(4, 301, 1)), (1.7, 1, rd(2, 102, 1)),
         (2.0, 1, bytes([0x14, 7, 6, 0, 1, 0, 0, 0, 1])), (2.5, 1, rd(4, 301, 1)),
         (2.6, 9, rd(3, 0, 1)), (2.7, 2, rd(3, 1000, 4))]
    c.flow("198.18.0.1", 40000, r[:12])
    c.flow("198.18.0.1", 40001, r[12:])
    return c


def gateway_capture():
    c = Capture()
    c.flow("198.18.0.1", 41000, [(0.1 * i, 3, rd(4, 0, 2)) for i in range(12)])
    c.flow("198.18.0.3", 41001, [(0.05, 5, rd(1, 20, 4)), (0.15, 5, struct.pack(">BHH", 5, 21, 0)),
                                 (0.25, 5, rd(1, 20, 4)), (0.35, 5, struct.pack(">BHH", 5, 22, 0xFF00)),
                                 (0.45, 5, struct.pack(">BHH", 5, 23, 0)),
                                 (0.55, 0, rd(1, 20, 4))])  # unit 0: the server's own unit
    return c


def run(*args):
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=60)
    if p.returncode not in (0, 1):
        sys.exit(f"{' '.join(args)}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p


def units_of(model):
    return {(s["address"], u["id"]): u for s in model["servers"] for u in s["units"]}


def table_values(t):
    init = t.get("init", 0)
    if isinstance(init, list):
        return init + [0] * (t["count"] - len(init))
    return [init] * t["count"]


def compare(known, learned, errors):
    """What the capture shows of the known model must be in the learned one."""
    ku, lu = units_of(known), units_of(learned)
    if set(ku) != set(lu):
        errors.append(f"units {sorted(lu)} learned, {sorted(ku)} known")
        return
    for key, k in ku.items():
        lrn = lu[key]
        for t in ("coils", "discrete_inputs", "holding_registers", "input_registers"):
            if (t in k) != (t in lrn):
                errors.append(f"{key} {t}: present {t in lrn}, known {t in k}")
                continue
            if t not in k:
                continue
            for f in ("start", "count"):
                if k[t].get(f, 0) != lrn[t].get(f, 0):
                    errors.append(f"{key} {t}.{f}: {lrn[t].get(f, 0)}, known {k[t].get(f, 0)}")
            kv, lv = table_values(k[t]), table_values(lrn[t])
            if kv != lv:
                errors.append(f"{key} {t} initial values {lv}, known {kv}")
        if k.get("identity") != lrn.get("identity"):
            errors.append(f"{key} identity {lrn.get('identity')}, known {k.get('identity')}")
        if set(k.get("disabled_functions", [])) != set(lrn.get("disabled_functions", [])):
            errors.append(f"{key} disabled_functions {lrn.get('disabled_functions')}")
        for rule in k.get("rules", []):
            want = {f: rule[f] for f in ("function", "sub", "exception", "answer", "addresses")
                    if f in rule}
            got = [r for r in lrn.get("rules", [])
                   if {f: r[f] for f in want if f in r} == want]
            if not got:
                errors.append(f"{key} rule {rule} not learned: {lrn.get('rules')}")
            elif "until" in rule and not any(
                    abs(g.get("until", 1e9) - rule["until"]) < 0.8 for g in got):
                errors.append(f"{key} rule {rule}: learned window {got}")
        for r in lrn.get("rules", []):
            if not any(all(r.get(f) == k2.get(f) for f in ("function", "sub", "exception", "answer"))
                       for k2 in k.get("rules", [])):
                errors.append(f"{key} rule {r} learned, not in the known model")
        kseq = {(q["table"], q["address"]): q["steps"] for q in k.get("sequences", [])}
        lseq = {(q["table"], q["address"]): q["steps"] for q in lrn.get("sequences", [])}
        if set(kseq) != set(lseq):
            errors.append(f"{key} sequences {sorted(lseq)}, known {sorted(kseq)}")
            continue
        for e, ks in kseq.items():
            if [v for _, v in ks] != [v for _, v in lseq[e]]:
                errors.append(f"{key} {e} steps {lseq[e]}, known {ks}")


def check(name, model_text, capture, replay, work, errors):
    known_path = os.path.join(work, f"{name}.known.yaml")
    with open(known_path, "w") as f:
        f.write(model_text)
    client = os.path.join(work, f"{name}.client.pcap")
    capture.write(client)
    conv = os.path.join(work, f"{name}.pcap")
    run(replay, client, "--in-process", conv, "--config", known_path, "-q")
    learned_path = os.path.join(work, f"{name}.learned.yaml")
    p = run(replay, conv, "--learn", learned_path, "--force")  # a rerun replaces its own file
    print(p.stdout, end="")
    report = os.path.join(work, f"{name}.json")
    p = run(replay, conv, "--in-process", os.path.join(work, f"{name}.out.pcap"), "--config",
            learned_path, "--json", report, "-q")
    if p.returncode:
        errors.append(f"{name}: the replay against the learned model failed: {p.stdout}")
    with open(report) as f:
        s = json.load(f)["summary"]
    due = s["requests"] - s["no_answer_due"]
    print(f"{name}: {s['matched_due']} of {due} requests due an answer matched")
    if s["matched_due"] != due or due == 0:
        errors.append(f"{name}: {s['matched_due']} of {due} matched")
    with open(known_path) as f:
        known = yaml.safe_load(f)
    with open(learned_path) as f:
        learned = yaml.safe_load(f)
    compare(known, learned, errors)


def main():
    replay, work = sys.argv[1], sys.argv[2]
    errors = []
    check("plc", PLC, plc_capture(), replay, work, errors)
    check("gateway", GATEWAY, gateway_capture(), replay, work, errors)
    for e in errors:
        print("FAIL:", e)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
