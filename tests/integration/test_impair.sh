#!/bin/bash
# Integration test: TCP under loss, duplication and reordering. mbxdp runs on
# AF_XDP (generic mode) in a namespace pair with its frames impaired
# (--impair loss=0.05,dup=0.01,reorder=0.02, both directions, fixed seed);
# kernel TCP clients send 10,000 pipelined requests over 50 connections.
# Every answer must come back right and in order, no connection may stall,
# and when the clients have closed, mbxdp must hold no connection.
#
#   tests/integration/test_impair.sh BUILD_DIR
#
# Needs root. Prints PASS/FAIL per step and "N passed, N failed"; bounded by
# MBXDP_IT_TIMEOUT seconds (default 150).
# shellcheck disable=SC2317
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=150
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
require "$MBXDP" ethtool /usr/bin/python3
# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"

mbnet_setup mbxR
if ! start_server "$WORK/mbxdp.log" --xdp-mode generic --impair loss=0.05,dup=0.01,reorder=0.02,seed=3; then
	fail "mbxdp starts with --impair"
	FINISHED=1
	exit 1
fi
pass "mbxdp starts with --impair"
LOG=$SERVER_LOG

if mbnet_cli timeout 90 /usr/bin/python3 "$HERE/clients/impaired_client.py" "$MBNET_SRV_ADDR" \
	--connections 50 --requests 10000 --pipeline 4 --stall 30 >"$WORK/client.log" 2>&1; then
	pass "10,000 requests over 50 connections, lossy link: all answered right, in order"
else
	fail "10,000 requests over 50 connections, lossy link: all answered right, in order"
fi
indent "$WORK/client.log"

# Closing handshakes whose last segments were lost finish on our FIN's
# retransmission timer (RFC 6298: 200 ms and up, doubled per loss).
sleep 5
check "mbxdp exits 0 on SIGINT" stop_server
none_open() {
	grep -qx 'open_connections 0' "$LOG" || { grep -E '^(open_connections|conn_|drop_|tx_retr)' "$LOG"; return 1; }
}
# The impairment really happened, and TCP really recovered from it.
lost_and_resent() {
	grep -qE '^impair_tx_dropped [1-9]' "$LOG" && grep -qE '^impair_rx_dropped [1-9]' "$LOG" &&
		grep -qE '^tx_retransmit_(timeout|dup_request) [1-9]' "$LOG"
}
check "no connection left open (none stuck)" none_open
check "frames were lost both ways and mbxdp retransmitted" lost_and_resent
grep -E '^(impair_|tx_retransmit|tx_window_probe|rtt_samples|conn_reset_retransmit|drop_out_of_order|drop_seq_unacceptable)' "$LOG" | indent
FINISHED=1
exit $((FAILED > 0))
