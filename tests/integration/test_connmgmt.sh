#!/bin/bash
# Integration test: connection management (MIG 4.2.1) seen by kernel TCP
# clients over a veth pair between two namespaces: the per-source limit, the
# eviction of the oldest idle connection by a FIN, the priority pool, the
# idle timeout closing with a FIN and our close ending in TIME-WAIT (RFC 9293
# 3.6), keepalive probes answered by the kernel (RFC 1122 4.2.3.6), and the
# counters mbxdp prints for each.
#
#   tests/integration/test_connmgmt.sh BUILD_DIR
#
# Needs root. Prints PASS/FAIL per step and "N passed, N failed"; bounded by
# MBXDP_IT_TIMEOUT seconds (default 120).
# shellcheck disable=SC2317 # functions called through check() and the trap
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=120
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
require "$MBXDP" /usr/bin/python3
# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"
PRIO_ADDR=198.18.0.3 # a second client address, the priority source

mbnet_setup mbcm
ip -n "$MBNET_CLI_NS" addr add "$PRIO_ADDR/24" dev "$MBNET_CLI_IF"
LOG=$WORK/mbxdp.log
if ! start_server "$LOG" --max-conns 3 --max-conns-per-source 2 --priority-source "$PRIO_ADDR/32"; then
	fail "mbxdp starts with a connection policy"
	exit 1
fi
pass "mbxdp starts with a connection policy"

if mbnet_cli timeout 60 /usr/bin/python3 "$HERE/clients/conn_limits.py" \
	"$MBNET_SRV_ADDR" "$MBNET_CLI_ADDR" "$PRIO_ADDR" >"$WORK/client.log" 2>&1; then
	pass "kernel clients see the per-source limit, eviction by FIN and the priority pool"
else
	fail "kernel clients see the per-source limit, eviction by FIN and the priority pool"
fi
indent "$WORK/client.log"

sleep 0.5
stop_server
# Exactly two evictions. A refused client's kernel may send the handshake's
# ACK and its request before it sees our RST, and each carries a valid SYN
# cookie, so each refusal is counted once or more.
if [[ $(counter conn_evicted) == 2 ]] && (($(counter conn_refused_per_source) >= 1)) &&
	(($(counter conn_refused_table_full) >= 1)); then
	pass "counters: conn_evicted 2, conn_refused_per_source and conn_refused_table_full counted"
else
	fail "counters: want conn_evicted 2, conn_refused_per_source >= 1, conn_refused_table_full >= 1; got:"
	grep -E '^conn_' "$LOG" | indent
fi

# client_against MODE WHAT SERVER-OPTIONS...: a new mbxdp (its log in LOG)
# with SERVER-OPTIONS, and conn_limits.py --MODE from the client namespace,
# which passes when the client sees WHAT.
client_against() {
	local mode=$1 what=$2
	shift 2
	LOG=$WORK/mbxdp-$mode.log
	if ! start_server "$LOG" "$@"; then
		fail "mbxdp starts with $*"
		exit 1
	fi
	if mbnet_cli timeout 30 /usr/bin/python3 "$HERE/clients/conn_limits.py" "--$mode" \
		"$MBNET_SRV_ADDR" >"$WORK/client-$mode.log" 2>&1; then
		pass "$what"
	else
		fail "$what"
	fi
	indent "$WORK/client-$mode.log"
}

# The idle timeout: a second mbxdp with --idle-timeout 1.
client_against idle "a kernel client sees the idle timeout's FIN" --idle-timeout 1 --time-wait 200
sleep 2 # TIME-WAIT (200 ms) ends, with room for a loaded machine
stop_server
if [[ $(counter conn_idle_timeout) == 1 && $(counter conn_closed_active) == 1 ]] &&
	grep -qx 'open_connections 0' "$LOG"; then
	pass "counters: conn_idle_timeout 1, conn_closed_active 1 (TIME-WAIT ended), open_connections 0"
else
	fail "counters: want conn_idle_timeout 1, conn_closed_active 1, open_connections 0; got:"
	grep -E '^(conn_|open_)' "$LOG" | indent
fi

# Keepalive: a third mbxdp probes after 1 s of silence.
client_against keepalive "a connection whose keepalive probes the kernel answers stays open" \
	--idle-timeout 0 --keepalive 1,1,2
sleep 0.5
stop_server
if (($(counter tx_keepalive_probe) >= 2)) && [[ $(counter conn_keepalive_timeout) == 0 ]]; then
	pass "counters: tx_keepalive_probe $(counter tx_keepalive_probe), conn_keepalive_timeout 0"
else
	fail "counters: want tx_keepalive_probe >= 2, conn_keepalive_timeout 0; got:"
	grep -E '^(conn_keepalive|tx_keepalive)' "$LOG" | indent
fi

FINISHED=1
exit $((FAILED > 0))
