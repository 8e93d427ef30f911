#!/bin/bash
# Integration test: one mbxdp engine keeps answering repeated mbxdp-bench
# runs through what a shared machine and a test rig do to it: the lab's
# sequence of runs (1, 16 and 256 connections at pipeline depth 1 and 8,
# then a paced master at 1,000 requests/s, new ephemeral ports each run),
# the engine frozen (SIGSTOP) for 1.5 s in the middle of a 256 x 8 run, as
# when the scheduler takes its CPU away for longer than every retransmission
# timeout, and the client killed (SIGKILL) in the middle of a run, which
# leaves its kernel to reset 256 connections with answers in flight. After
# each disruption the next runs must be answered in full, and when the
# clients are gone mbxdp must hold no connection. A paced master facing a
# frozen engine must report the requests it could not send as errors.
#
#   tests/integration/test_stall.sh BUILD_DIR
#
# Needs root. Prints PASS/FAIL per step and "N passed, N failed"; bounded by
# MBXDP_IT_TIMEOUT seconds (default 150). The checked runs allow 4 s per
# answer: a loaded machine delays answers, a stalled engine never sends them.
# shellcheck disable=SC2317
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=150
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
BENCH=$BUILD/bench/mbxdp-bench
require "$MBXDP" "$BENCH" ethtool /usr/bin/python3
# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"

mbnet_setup mbxW
if ! start_server "$WORK/mbxdp.log"; then
	fail "mbxdp starts"
	FINISHED=1
	exit 1
fi
pass "mbxdp starts"
LOG=$SERVER_LOG

# bench NAME ARGS...: one run of 1 s after 0.3 s of warm-up; its JSON in
# $WORK/NAME.json. The client's pid goes to $WORK/NAME.pid first, so a step
# can kill it.
bench() {
	local name=$1
	shift
	# shellcheck disable=SC2016 # expanded by the inner shell
	mbnet_cli sh -c 'echo $$ >"$0"; exec "$@"' "$WORK/$name.pid" \
		"$BENCH" --host "$MBNET_SRV_ADDR" --warmup 0.3 --duration 1 --json "$@" \
		>"$WORK/$name.json" 2>"$WORK/$name.err"
}

# answered NAME ARGS...: a checked run: every answer right, none missing.
answered() {
	local name=$1
	shift
	bench "$name" --timeout-ms 4000 "$@" || { cat "$WORK/$name.json" "$WORK/$name.err"; return 1; }
	/usr/bin/python3 - "$WORK/$name.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['responses_ok']} answers, errors {r['errors']}")
sys.exit(0 if r["responses_ok"] > 0 and r["errors"]["total"] == 0 else 1)
PY
}

lab_sequence() {
	local tag=$1 c d
	for c in 1 16 256; do
		for d in 1 8; do
			answered "$tag-${c}x$d" --connections "$c" --pipeline "$d" || return 1
		done
	done
	answered "$tag-paced" --connections 1 --pipeline 1 --rate 1000
}

check "the lab's sequence of runs, all answered" lab_sequence seq1
check "the same sequence again on the same engine, all answered" lab_sequence seq2

# The engine frozen 1.5 s, 0.8 s into a 256 x 8 run: the client's requests
# time out (1 s) and its connections close; the engine, once thawed, finds
# every retransmission timer expired at once.
# freeze AT SECONDS: in the background, the engine stopped for SECONDS from
# AT seconds on; the job's pid in FREEZE.
freeze() {
	(
		sleep "$1"
		kill -STOP "$SERVER_PID"
		sleep "$2"
		kill -CONT "$SERVER_PID"
	) &
	FREEZE=$!
}
frozen_run() {
	freeze 0.8 1.5
	bench frozen --connections 256 --pipeline 8
	wait "$FREEZE"
}
frozen_run
check "after a 1.5 s freeze: 1 x 8 answered" answered thawed-1x8 --connections 1 --pipeline 8
check "after a 1.5 s freeze: 256 x 1 answered" answered thawed-256x1 --connections 256 --pipeline 1

# A paced master whose server is frozen for the whole measured window: the
# requests it could not send count as errors (unsent), not as nothing.
frozen_paced() {
	freeze 0.2 1.5
	bench frozen-paced --connections 1 --pipeline 1 --rate 1000
	wait "$FREEZE"
	/usr/bin/python3 - "$WORK/frozen-paced.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['responses_ok']} answers, errors {r['errors']}")
sys.exit(0 if r["errors"]["unsent"] >= 500 and r["responses_ok"] < 500 else 1)
PY
}
check "a paced master facing a frozen engine counts what it could not send" frozen_paced
check "after the frozen paced run: the paced master answered" answered thawed-paced \
	--connections 1 --pipeline 1 --rate 1000

# The client killed 0.8 s into a 256 x 8 run: its kernel resets every
# connection, with requests and answers in flight.
killed_run() {
	bench killed --connections 256 --pipeline 8 &
	local job=$!
	sleep 0.8
	kill -KILL "$(cat "$WORK/killed.pid")"
	wait "$job"
	return 0
}
killed_run
check "after the client was killed: 256 x 8 answered" answered after-kill-256x8 --connections 256 --pipeline 8
check "after the client was killed: the paced master answered" answered after-kill-paced \
	--connections 1 --pipeline 1 --rate 1000

# Closing handshakes whose last segment was lost finish on our FIN's
# retransmission timer.
sleep 3
check "mbxdp exits 0 on SIGINT" stop_server
none_open() {
	[[ $(counter open_connections) == 0 ]] || { grep -E '^(open_connections|conn_|drop_|tx_retr)' "$LOG"; return 1; }
}
# The disruptions really happened: the thawed engine retransmitted, and
# connections were reset by the client.
disrupted() {
	(($(counter tx_retransmit_timeout) > 0 && $(counter conn_reset_by_peer) > 0))
}
check "no connection left open" none_open
check "the freeze and the kill happened (retransmission timeouts, resets by the peer)" disrupted
grep -E '^(conn_|drop_|tx_retransmit|tx_rst|tx_challenge)' "$LOG" | grep -v ' 0$' | indent
FINISHED=1
exit $((FAILED > 0))
