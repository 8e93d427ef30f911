#!/bin/bash
# Integration test of mbxdp-replay's live target and of mbxdp --capture, in
# network namespaces over veth:
#   * the scapy corpus (tools/replay/tests/corpus.py) replayed to mbxdp (AF_XDP,
#     generic mode, --capture on), each session meeting its expectations
#     (the corpus expects the default image: it goes first);
#   * the shared real captures replayed to the same mbxdp: every request
#     due an answer answered, the device model's exceptions hold;
#   * the pcapng mbxdp wrote holds every frame it counted, both directions,
#     and exactly the Modbus responses the replay received (tshark);
#   * part2 again to mbxdp losing 5 % of its frames (--impair): both sides
#     retransmit, every request is answered;
#   * the same capture replayed to a libmodbus server on kernel TCP: the
#     report names the fields that differ (libmodbus has no Diagnostics: an
#     exception where the capture has data) and fails on what it leaves
#     unanswered;
#   * a --source the kernel owns is refused with a clear error, and so is
#     a capture with flows of the other family than --target.
#
#   tests/integration/test_replay.sh BUILD_DIR SHARED_PCAPS_DIR
# Needs root. Skipped (77) without the shared captures.
#
# With MBXDP_IT_FAMILY=6 it all runs over IPv6 (2001:2::1 served, the
# replay from 2001:2::3, its target's MAC found by Neighbor Discovery): the
# corpus' IPv6 sessions, and the real captures turned to IPv6
# (to_ipv6.py), the libmodbus server on 2001:2::1.
# shellcheck disable=SC2317 # step functions are called through check()
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=240
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
SHARED=${2:?usage: test_replay.sh BUILD_DIR SHARED_PCAPS_DIR}
REPLAY=$BUILD/tools/replay/mbxdp-replay
PEER=$BUILD/bench/peers/peer_libmodbus_select
TESTS=$HERE/../../tools/replay/tests
CHECK=$TESTS/check_report.py
PART1=$SHARED/modbus_test_data_part1.pcap
PART2=$SHARED/modbus_test_data_part2.pcap

if [[ ! -r $PART1 || ! -r $PART2 ]]; then
	echo "test_replay: the shared captures are not in $SHARED: skipped"
	rm -rf "$WORK"
	exit 77
fi
require "$MBXDP" "$REPLAY" "$PEER" tshark
# Ours: on the client's subnet, owned by no kernel.
if ((IT_FAMILY == 6)); then
	SOURCE=2001:2::3
	for part in 1 2; do
		/usr/bin/python3 "$TESTS/to_ipv6.py" "$SHARED/modbus_test_data_part$part.pcap" \
			"$WORK/part$part.v6.pcap" || { echo "to_ipv6.py failed"; exit 1; }
	done
	PART1=$WORK/part1.v6.pcap
	PART2=$WORK/part2.v6.pcap
else
	SOURCE=198.18.0.3
fi

# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"

# Each replay from ports of its own, so that a port and a sequence number
# name one connection in mbxdp's capture file (the server's ISN is a cookie
# of the addresses and ports: the same ports would give the same numbers).
SPORT_BASE=20000
replay() { # CAPTURE NAME [options]: report in $WORK/NAME.txt and .json, status kept
	local cap=$1 name=$2
	shift 2
	mbnet_cli timeout 90 "$REPLAY" "$cap" --iface "$MBNET_CLI_IF" --source "$SOURCE" \
		--target "$MBNET_SRV_ADDR" --sport-base "$SPORT_BASE" --json "$WORK/$name.json" "$@" \
		>"$WORK/$name.txt" 2>&1
	echo $? >"$WORK/$name.rc"
	SPORT_BASE=$((SPORT_BASE + 1000))
}

replay_passes() { # NAME check_report options...
	local name=$1
	shift
	cat "$WORK/$name.txt"
	[[ $(cat "$WORK/$name.rc") == 0 ]] && /usr/bin/python3 "$CHECK" "$WORK/$name.json" "$@"
}

it_net_setup mbxP

check "mbxdp starts with --capture" \
	start_server "$WORK/mbxdp.log" --xdp-mode generic --capture "$WORK/server.pcapng"

corpus_session() { # FILE
	local name=${1%.*} args
	read -ra args <"$WORK/corpus/$name.args"
	replay "$WORK/corpus/$1" "corpus-$name"
	replay_passes "corpus-$name" "${args[@]}"
}
# The sessions of the run's family: the IPv6 ones are named so; the one
# of both families is refused below.
mkdir -p "$WORK/corpus"
if CORPUS=$(/usr/bin/python3 "$TESTS/corpus.py" "$WORK/corpus"); then
	for file in $CORPUS; do
		family=4
		[[ $file == ipv6_* ]] && family=6
		if [[ $file != ipv6_mixed* ]] && ((family == IT_FAMILY)); then
			check "corpus ${file%.*} to mbxdp" corpus_session "$file"
		fi
	done
else
	check "corpus.py builds the corpus" false
fi

replay "$PART1" part1
check "part1 to mbxdp: every request due an answer answered" \
	replay_passes part1 --expect-fc 1,3,5,6,8,17,43 --min-requests 18 --no-answer-due 4
replay "$PART2" part2
check "part2 to mbxdp: every request answered, 93..99 exception 01" \
	replay_passes part2 --expect-fc 1 --expect-exception01 93-99 --min-requests 141 --no-answer-due 0

check "mbxdp stops cleanly" stop_server

# The file against mbxdp's own counters, and against what the replay saw.
capture_consistent() {
	local frames drops in out resp seen
	frames=$(sed -n 's/^capture_frames //p' "$SERVER_LOG")
	drops=$(sed -n 's/^capture_drops //p' "$SERVER_LOG")
	in=$(tshark -r "$WORK/server.pcapng" -Y 'frame.packet_flags_direction == 1' 2>/dev/null | wc -l)
	out=$(tshark -r "$WORK/server.pcapng" -Y 'frame.packet_flags_direction == 2' 2>/dev/null | wc -l)
	# A segment mbxdp sent again (its RTO beat a late ACK) counts once: one
	# line per port and sequence number, one field value per response.
	# Sequence analysis off: it would take the first connection of a run on
	# a port for a retransmission of the previous run's and not dissect it.
	resp=$(tshark -o tcp.analyze_sequence_numbers:FALSE -r "$WORK/server.pcapng" \
		-Y 'frame.packet_flags_direction == 2 && mbtcp' \
		-T fields -e tcp.dstport -e tcp.seq_raw -e mbtcp.trans_id 2>/dev/null |
		sort -u | cut -f3 | tr ',' '\n' | wc -l)
	seen=$(/usr/bin/python3 -c '
import json, sys
print(sum(r["replayed"] is not None for p in sys.argv[1:] for f in json.load(open(p))["flows"]
          for r in f["requests"]))' "$WORK"/part1.json "$WORK"/part2.json "$WORK"/corpus-*.json)
	echo "counted $frames, dropped $drops; in the file $in in, $out out; responses $resp in the file, $seen seen by the replay"
	[[ $drops == 0 && $frames -gt 0 && $((in + out)) == "$frames" && $in -gt 0 && $out -gt 0 && $resp == "$seen" ]]
}
check "--capture file: every counted frame, both directions, the responses the replay saw" capture_consistent

# On a lossy path both sides retransmit: mbxdp drops and loses 5 % of the
# frames on purpose (--impair), the replay still gets every answer.
check "mbxdp starts with --impair loss=0.05" \
	start_server "$WORK/mbxdp-lossy.log" --xdp-mode generic --impair loss=0.05,seed=11
replay "$PART2" lossy --timeout 5000
lossy_passes() {
	replay_passes lossy --expect-fc 1 --expect-exception01 93-99 --min-requests 141 &&
		stop_server &&
		grep -E '^impair_(rx|tx)_dropped [1-9]' "$SERVER_LOG" &&
		/usr/bin/python3 -c '
import json, sys
n = sum(f["retransmissions"] for f in json.load(open(sys.argv[1]))["flows"])
print(f"replay retransmissions: {n}")
sys.exit(n == 0)' "$WORK/lossy.json"
}
check "part2 to mbxdp losing 5 % of frames: every request answered, the replay retransmitted" lossy_passes

peer_report() {
	cat "$WORK/peer1.txt"
	[[ $(cat "$WORK/peer1.rc") == 1 ]] && /usr/bin/python3 - "$WORK/peer1.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
reqs = [r for f in rep["flows"] for r in f["requests"]]
diag = [r for r in reqs if r["function"] == 8 and r["answer_due"]]
# libmodbus answers Diagnostics with exception 01: the field is named.
assert diag and all(r["status"] == "differs" and "exception" in r["differs"] for r in diag), diag
# FC 1, 3, 5, 6 are served by libmodbus: answered, at most the data differs.
rw = [r for r in reqs if r["function"] in (1, 3, 5, 6)]
assert len(rw) == 6 and all(r["replayed"] and set(r["differs"]) <= {"data"} for r in rw), rw
assert not rep["summary"]["pass"]
PY
}
PEER_LOG=$WORK/peer.log
mbnet_spawn "$MBNET_SRV_NS" "$PEER_LOG" "$PEER" --addr "$MBNET_SRV_ADDR"
check "libmodbus server starts" mbnet_wait_line "$PEER_LOG" 'serving' 15 "$MBNET_LAST_PID"
replay "$PART1" peer1
check "part1 to libmodbus: differing fields named, the run fails" peer_report

refuse_owned_source() {
	mbnet_cli timeout 20 "$REPLAY" "$PART1" --iface "$MBNET_CLI_IF" --source "$MBNET_CLI_ADDR" \
		--target "$MBNET_SRV_ADDR" >"$WORK/owned.txt" 2>&1
	local rc=$?
	cat "$WORK/owned.txt"
	[[ $rc == 2 ]] && grep -q "the kernel owns $MBNET_CLI_ADDR" "$WORK/owned.txt"
}
check "a --source the kernel owns is refused" refuse_owned_source

# A live replay goes to one server: flows of the other family than
# --target are named in a one-line error before anything is sent.
refuse_other_family() {
	mbnet_cli timeout 20 "$REPLAY" "$WORK/corpus/ipv6_mixed_handshakes_raw.pcap" --iface "$MBNET_CLI_IF" \
		--source "$SOURCE" --target "$MBNET_SRV_ADDR" >"$WORK/family.txt" 2>&1
	local rc=$?
	cat "$WORK/family.txt"
	[[ $rc == 2 && $(wc -l <"$WORK/family.txt") == 1 ]] &&
		grep -q "^mbxdp-replay: flow [0-9]* (to .*) is IPv[46], --target $MBNET_SRV_ADDR is not: give a --target of the flows' family$" \
			"$WORK/family.txt"
}
check "a capture with flows of the other family is refused" refuse_other_family

FINISHED=1
((FAILED == 0))
