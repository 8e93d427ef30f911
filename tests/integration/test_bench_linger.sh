#!/bin/bash
# Integration test: no connection of a kernel server outlives mbxdp-bench's
# kernel-bypass master.
#
#   tests/integration/test_bench_linger.sh BUILD_DIR
#
# The server's veth loses every request segment of the master (an XDP
# program, xdp_drop_requests.bpf.c), so each request times out and every
# connection ends with the master's reset sent past a byte the server never
# got. The kernel does not take such a reset (RFC 5961 3.2) and answers it
# instead; the master must answer that with a reset the server takes, also
# for the resets it sends last, after the run. Against the libmodbus epoll
# peer; after the master exits, the server namespace must have no
# connection from its sources within 3 s. MBXDP_IT_FAMILY=6: the same over
# IPv6.
# Needs root. Prints PASS/FAIL per step and ends with "N passed, N failed".
# shellcheck disable=SC2317 # steps are called through check()
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=60
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
BENCH=$BUILD/bench/mbxdp-bench
PEER=$BUILD/bench/peers/peer_libmodbus_epoll
XDP_OBJ=$BUILD/tests/integration/xdp_drop_requests.bpf.o
require "$BENCH" "$PEER" "$XDP_OBJ" /usr/bin/python3 ss

# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"

SOURCES=198.18.0.128/25
((IT_FAMILY == 6)) && SOURCES=2001:2::1:0/121
PORT=1502

# The master's connections the server still has (any state but LISTEN).
server_conns() {
	ip netns exec "$MBNET_SRV_NS" ss -Htn state connected "( sport = :$PORT )" dst "$SOURCES" |
		wc -l
}

# A run whose every request is lost: exit 1, timeouts counted; then, within
# 3 s, no connection left on the server.
none_left() {
	local rc n i
	mbnet_cli timeout 20 "$BENCH" --afxdp "$MBNET_CLI_IF" --source "$SOURCES" \
		--host "$MBNET_SRV_ADDR" --port "$PORT" --connections 8 --warmup 0 --duration 0.5 \
		--timeout-ms 200 --json >"$WORK/b.json" 2>"$WORK/b.err"
	rc=$?
	cat "$WORK/b.json" "$WORK/b.err"
	((rc == 1)) || return 1
	/usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
sys.exit(0 if d["errors"]["timeouts"] > 0 and d["answered"] == 0 else 1)' "$WORK/b.json" ||
		return 1
	for ((i = 0; i < 30; i++)); do
		n=$(server_conns)
		((n == 0)) && return 0
		sleep 0.1
	done
	echo "the server still has $n connections from $SOURCES:"
	ip netns exec "$MBNET_SRV_NS" ss -Htn state connected "( sport = :$PORT )" dst "$SOURCES"
	return 1
}

it_net_setup mbxL
# The master's requests to the server's port are lost there; handshakes,
# ACKs and resets pass (and veth delivers the ARP replies of the master's
# program, see xdp_pass.bpf.c).
ip -n "$MBNET_SRV_NS" link set dev "$MBNET_SRV_IF" xdpdrv obj "$XDP_OBJ" sec xdp ||
	mbnet_die "cannot attach the XDP program that loses requests"
mbnet_spawn "$MBNET_SRV_NS" "$WORK/peer.log" "$PEER" --addr "$MBNET_SRV_ADDR" --port "$PORT"
if mbnet_wait_line "$WORK/peer.log" 'serving' 20 "$MBNET_LAST_PID"; then
	check "every request lost: no server connection outlives the master" none_left
else
	fail "the libmodbus epoll peer did not start"
	indent "$WORK/peer.log"
fi
ip -n "$MBNET_SRV_NS" link set dev "$MBNET_SRV_IF" xdpdrv off
FINISHED=1
((FAILED == 0))
