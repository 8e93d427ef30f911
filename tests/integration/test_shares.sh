#!/bin/bash
# Integration test: fair shares of mbxdp's buffer pools, seen by a kernel
# TCP client while kernel TCP connections from a second source address
# attack them: 250 connections that ask for 121 reads of 125 registers each
# and never read (a zero window), then 320 that each hold 5 bytes of a
# request. The victim's answers must all come, within 10 ms of its latency
# without the attack (clients/share_attack.py), and mbxdp's counters must
# show the attacks met the defences.
#
#   tests/integration/test_shares.sh BUILD_DIR
#
# Needs root. Prints PASS/FAIL per step and "N passed, N failed"; bounded by
# MBXDP_IT_TIMEOUT seconds (default 60).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=60
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
require "$MBXDP" /usr/bin/python3
# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"
ATTACKER_ADDR=198.18.0.3

mbnet_setup mbsh
ip -n "$MBNET_CLI_NS" addr add "$ATTACKER_ADDR/24" dev "$MBNET_CLI_IF"
LOG=$WORK/mbxdp.log
# 1,024 connections: mbxdp sizes its pools to 576 send blocks and 320 ADU
# buffers, which the attacks would exhaust many times over.
if ! start_server "$LOG" --max-conns 1024; then
	fail "mbxdp starts with --max-conns 1024"
	exit 1
fi
pass "mbxdp starts with --max-conns 1024"

if mbnet_cli timeout 45 /usr/bin/python3 "$HERE/clients/share_attack.py" \
	"$MBNET_SRV_ADDR" "$MBNET_CLI_ADDR" "$ATTACKER_ADDR" >"$WORK/client.log" 2>&1; then
	pass "the victim's answers all come within 10 ms of its latency without the attacks"
else
	fail "the victim's answers all come within 10 ms of its latency without the attacks"
fi
indent "$WORK/client.log"

if stop_server; then
	pass "mbxdp exits 0 on SIGINT"
else
	fail "mbxdp exits 0 on SIGINT"
fi
if (($(counter drop_window_backlog) > 0 && $(counter drop_source_share) > 0)); then
	pass "counters: drop_window_backlog and drop_source_share counted the attacks"
else
	fail "counters: want drop_window_backlog > 0 and drop_source_share > 0; got:"
	grep -E '^(drop_|share_|conn_)' "$LOG" | indent
fi
FINISHED=1
exit $((FAILED > 0))
