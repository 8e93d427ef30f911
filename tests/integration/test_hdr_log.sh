#!/bin/bash
# Integration test: mbxdp-bench's latency in HdrHistogram's forms, read by
# HdrHistogram itself (Debian's libhdrhistogram-java).
#
#   tests/integration/test_hdr_log.sh BUILD_DIR
#
# mbxdp serves the default image on AF_XDP; mbxdp-bench runs from the client
# namespace with --hdr-log. HistogramLogProcessor reads the interval log: its
# total count is the JSON's, its p50 to p99.99 and maximum fall in the
# buckets of the JSON's, and the intervals are about a second each and add
# up to the total. A second run's --latency-spectrum table has the rows and
# footer HdrHistogram prints for the same log. A symbolic link as the log,
# and --latency-spectrum with --json, are refused with one line, exit 2.
# Needs root. Prints PASS/FAIL per step and ends with "N passed, N failed".
# shellcheck disable=SC2317 # steps are called through check()
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=100
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
BENCH=$BUILD/bench/mbxdp-bench
HDR_JAR=/usr/share/java/hdrhistogram.jar
require "$MBXDP" "$BENCH" /usr/bin/python3 java
if [[ ! -f $HDR_JAR ]]; then
	echo "${0##*/}: $HDR_JAR not installed (tests/deps.sh: libhdrhistogram-java)" >&2
	exit 2
fi

# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"

# hdr_process LOG RATIO: HdrHistogram's HistogramLogProcessor on LOG, values
# divided by RATIO; its interval lines in LOG.out, its distribution in
# LOG.out.hgrm.
hdr_process() {
	timeout 30 java -cp "$HDR_JAR" org.HdrHistogram.HistogramLogProcessor \
		-i "$1" -o "$1.out" -outputValueUnitRatio "$2" && cat "$1.out"
}

log_agrees_with_json() {
	mbnet_cli timeout 20 "$BENCH" --host "$MBNET_SRV_ADDR" --connections 4 --pipeline 2 \
		--warmup 0.5 --duration 2.5 --json --hdr-log "$WORK/a.hlog" >"$WORK/a.json" &&
		cat "$WORK/a.json" && hdr_process "$WORK/a.hlog" 1 &&
		/usr/bin/python3 - "$WORK/a.json" "$WORK/a.hlog.out" <<'PY'
import json, re, sys

lat = json.load(open(sys.argv[1]))["latency_ns"]
rows = [l for l in open(sys.argv[2]) if re.match(r"^[0-9.]+: I:", l)]
nums = [[float(x) for x in re.findall(r"[0-9.]+", r)] for r in rows]

def lowest(v):  # the lowest value of the bucket whose highest is v
    v = int(v)
    k = max(v.bit_length() - 8, 0)
    return v >> k << k

# time I:count ( 50% 90% max ) T:count ( 50% 90% 99% 99.9% 99.99% max )
ok = len(rows) in (3, 4)
ok &= sum(n[1] for n in nums) == lat["count"] == nums[-1][5]
names = ["p50", "p90", "p99", "p99.9", "p99.99", "max"]
for name, hdr in zip(names, nums[-1][6:12]):
    agree = lowest(hdr) <= lat[name] <= hdr
    print(f"{name}: mbxdp-bench {lat[name]}, HdrHistogram {hdr:.0f}", "" if agree else "DIFFERENT")
    ok &= agree
# A line a second, late by what scheduling takes on a loaded machine; the
# last one also waits for the answers still in flight at the window's end.
ends = [n[0] for n in nums]
lengths = [b - a for a, b in zip([0] + ends, ends)]
ok &= all(0 <= x <= 1.25 for x in lengths[:-1]) and 0 <= lengths[-1] <= 2.5
print("intervals:", len(rows), "ending at", ends)
sys.exit(not ok)
PY
}

spectrum_is_hdrhistograms() {
	mbnet_cli timeout 20 "$BENCH" --host "$MBNET_SRV_ADDR" --warmup 0.2 --duration 1 \
		--latency-spectrum --hdr-log "$WORK/b.hlog" >"$WORK/b.txt" &&
		cat "$WORK/b.txt" && hdr_process "$WORK/b.hlog" 1000 >/dev/null &&
		/usr/bin/python3 - "$WORK/b.txt" "$WORK/b.hlog.out.hgrm" <<'PY'
import re, sys

def table(path):  # the rows (value, percentile, count) and the footer's numbers
    rows, foot, inside = [], [], False
    for line in open(path):
        f = line.split()
        inside |= "1/(1-Percentile)" in line
        if inside and len(f) >= 3 and re.match(r"^[0-9.]+$", f[0]):
            rows.append((float(f[0]), float(f[1]), int(f[2])))
        elif line.startswith("#[Mean") or line.startswith("#[Max"):
            foot += [float(x) for x in re.findall(r"= +([0-9.]+)", line)]
    return rows, foot

ours, our_foot = table(sys.argv[1])
theirs, their_foot = table(sys.argv[2])
print(len(ours), "rows here,", len(theirs), "in HdrHistogram's; footers", our_foot, their_foot)
# Values in microseconds to 2 decimals: Java rounds half up, C half even.
same = len(ours) == len(theirs) > 10 and all(
    abs(a[0] - b[0]) <= 0.0100001 and abs(a[1] - b[1]) < 1e-6 and a[2] == b[2]
    for a, b in zip(ours, theirs))
same &= len(our_foot) == len(their_foot) == 4 and all(
    abs(a - b) <= 0.0100001 for a, b in zip(our_foot, their_foot))
sys.exit(not same)
PY
}

link_refused() {
	: >"$WORK/target"
	ln -s "$WORK/target" "$WORK/link.hlog"
	mbnet_cli timeout 20 "$BENCH" --host "$MBNET_SRV_ADDR" --duration 0.2 \
		--hdr-log "$WORK/link.hlog" 2>"$WORK/link.err"
	local rc=$?
	cat "$WORK/link.err"
	((rc == 2)) && [[ $(wc -l <"$WORK/link.err") == 1 && ! -s $WORK/target ]]
}

spectrum_json_refused() {
	"$BENCH" --host "$MBNET_SRV_ADDR" --latency-spectrum --json 2>"$WORK/sj.err"
	local rc=$?
	cat "$WORK/sj.err"
	((rc == 2)) && [[ $(wc -l <"$WORK/sj.err") == 1 ]]
}

mbnet_setup mbxH
if start_server "$WORK/mbxdp.log" --name "mbxdp-hdr-$$"; then
	check "--hdr-log: HdrHistogram reads it; count, p50-p99.99 and max agree with --json" \
		log_agrees_with_json
	check "--latency-spectrum: HdrHistogram's own rows and footer for the same log" \
		spectrum_is_hdrhistograms
	check "--hdr-log through a symbolic link: refused, one line, exit 2" link_refused
	check "mbxdp stops cleanly" stop_server
else
	fail "mbxdp did not start"
	indent "$WORK/mbxdp.log"
fi
check "--latency-spectrum with --json: refused, one line, exit 2" spectrum_json_refused
FINISHED=1
((FAILED == 0))
