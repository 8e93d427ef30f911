#!/usr/bin/env bash
# The real captures of the shared directory (README there) replayed through
# mbxdp in process: every request due an answer is answered, the device
# model's exceptions hold, and a second replay writes the same pcap byte
# for byte. The same captures turned to IPv6 (to_ipv6.py) are replayed over
# IPv6 with the same checks, every request and answer as over IPv4.
#   tools/replay/tests/replay_shared.sh MBXDP_REPLAY SHARED_PCAPS_DIR
# The captures are referenced, not copied: they are third-party files whose
# licence this repository does not carry. Without the directory the test is
# skipped (exit 77), saying so.
set -u
replay=${1:?usage: replay_shared.sh MBXDP_REPLAY SHARED_PCAPS_DIR}
dir=${2:?usage: replay_shared.sh MBXDP_REPLAY SHARED_PCAPS_DIR}
here=$(cd "$(dirname "$0")" && pwd)
part1=$dir/modbus_test_data_part1.pcap
part2=$dir/modbus_test_data_part2.pcap
if [[ ! -r $part1 || ! -r $part2 ]]; then
	echo "replay_shared: the shared captures are not in $dir (set -Dshared_pcaps=DIR): skipped"
	exit 77
fi
WORK=$(mktemp -d /tmp/mbxdp-replay.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# shellcheck source=tests/lib/pass_fail.sh
source "$here/../../../tests/lib/pass_fail.sh"
# NAME CAPTURE check_report options...
replay_twice() {
	local name=$1 cap=$2
	shift 2
	check "$name: replayed, report printed" \
		timeout 60 "$replay" "$cap" --in-process "$WORK/$name.a.pcap" --json "$WORK/$name.json"
	cat "$WORK/step.log"
	check "$name: device model holds" /usr/bin/python3 "$here/check_report.py" "$WORK/$name.json" "$@"
	check "$name: second replay" timeout 60 "$replay" "$cap" --in-process "$WORK/$name.b.pcap" -q
	check "$name: byte-identical output" cmp "$WORK/$name.a.pcap" "$WORK/$name.b.pcap"
}
# part1: FC 1, 3, 5, 6, 8, 17, 43 to unit 10 (08/04 puts the device in
# listen only mode: those requests are due no answer, MAP 6.8.1).
replay_twice part1 "$part1" --expect-fc 1,3,5,6,8,17,43 --min-requests 18 --no-answer-due 4
# part2: every code from 0 to 127, then FC 1; 93..99 are unassigned.
replay_twice part2 "$part2" --expect-fc 1 --expect-exception01 93-99 --min-requests 141 --no-answer-due 0

# The JSON reports of two replays: every request, its captured and its
# replayed answer and its status alike, the summaries alike.
same_requests() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
key = lambda rep: [(r["request"], r["captured"], r["replayed"], r["status"])
                   for f in rep["flows"] for r in f["requests"]]
print(f"{len(key(a))} requests, summary {b['summary']}")
sys.exit(key(a) != key(b) or a["summary"] != b["summary"])
PY
}
for part in part1 part2; do
	check "$part turned to IPv6" /usr/bin/python3 "$here/to_ipv6.py" "$dir/modbus_test_data_$part.pcap" \
		"$WORK/$part.v6.pcap"
done
replay_twice part1_ipv6 "$WORK/part1.v6.pcap" --expect-fc 1,3,5,6,8,17,43 --min-requests 18 \
	--no-answer-due 4 --conversation "$WORK/part1_ipv6.a.pcap"
replay_twice part2_ipv6 "$WORK/part2.v6.pcap" --expect-fc 1 --expect-exception01 93-99 \
	--min-requests 141 --no-answer-due 0 --conversation "$WORK/part2_ipv6.a.pcap"
for part in part1 part2; do
	check "$part over IPv6: the requests and answers of IPv4" \
		same_requests "$WORK/$part.json" "$WORK/${part}_ipv6.json"
done
summary
