#!/usr/bin/python3
"""Checks `mbxdp-ctl stats --json --per-worker` of an engine at rest: each
counter the engine prints is the sum of its workers' counters, and every
worker received frames and opened connections (its queue carried traffic).

    mbxdp-ctl --name NAME stats --json --per-worker | per_worker_check.py WORKERS

Prints one line per worker; exits 1 with the first difference.
"""
import json
import sys


def main():
    want_workers = int(sys.argv[1])
    s = json.load(sys.stdin)
    workers = s["per_worker"]
    if s["workers"] != want_workers or len(workers) != want_workers:
        print("FAIL: %d workers listed, %d expected" % (len(workers), want_workers))
        return 1
    for w in workers:
        c = w["counters"]
        print("worker %d: queue %d, CPU %d, rx_frames %d, conn_opened %d, requests %d"
              % (w["worker"], w["queue"], w["cpu"], c["rx_frames"], c["conn_opened"],
                 c["mb_requests"]))
        if c["rx_frames"] == 0 or c["conn_opened"] == 0:
            print("FAIL: worker %d (queue %d) carried no traffic" % (w["worker"], w["queue"]))
            return 1
    for name, total in s["counters"].items():
        parts = sum(w["counters"][name] for w in workers)
        if parts != total:
            print("FAIL: %s is %d, its workers' sum %d" % (name, total, parts))
            return 1
    for key in ("open_connections",):
        if sum(w[key] for w in workers) != s[key]:
            print("FAIL: %s is %d, its workers' sum differs" % (key, s[key]))
            return 1
    for fc, n in s["fc_requests"].items():
        if sum(w["fc_requests"].get(fc, 0) for w in workers) != n:
            print("FAIL: requests of function %s are %d, its workers' sum differs" % (fc, n))
            return 1
    print("sums equal the per-worker counters (%d counters)" % len(s["counters"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
