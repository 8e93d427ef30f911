#!/bin/bash
# Integration test: mbxdp-bench's kernel-bypass master (--afxdp) against
# real servers, every answer checked.
#
#   tests/integration/test_bench_bypass.sh BUILD_DIR
#
# The master runs on the client veth with its sources in 198.18.0.128/25
# (on the link, not the kernel's: its XDP program answers their ARP), and
# resolves the server's MAC by ARP; with MBXDP_IT_FAMILY=6 its sources are
# 2001:2::1:0/121, answered for and resolving by Neighbor Discovery.
# Against mbxdp on AF_XDP: closed loop pipelined, open loop, connect rate
# and hold, with mbxdp's own count of the connections it opened; against
# the libmodbus epoll peer and pymodbus (kernel TCP); against a server that takes connections and never
# answers and an address nobody has: exit 1 with the reason; and usage
# errors, exit 2 with one line. Needs root. Prints PASS/FAIL per step and
# ends with "N passed, N failed".
# shellcheck disable=SC2317 # steps are called through check()
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=150
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
BENCH=$BUILD/bench/mbxdp-bench
CTL=$BUILD/tools/ctl/mbxdp-ctl
PEERS=$BUILD/bench/peers
XDP_PASS_OBJ=$BUILD/tests/integration/xdp_pass.bpf.o
require "$MBXDP" "$BENCH" "$CTL" "$XDP_PASS_OBJ" /usr/bin/python3 ldd

# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"

NAME=mbxdp-bypass-$$
# Built with DPDK (-Ddpdk): linked with its EAL.
HAVE_DPDK=0
if ldd "$BENCH" | grep -q librte_eal; then
	HAVE_DPDK=1
fi
# DPDK 22.11's net_af_xdp never frees its umem bookkeeping: in a sanitizer
# build LeakSanitizer is told so, as in test_afxdp.sh.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0
export LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$HERE/dpdk-lsan.supp
# The master's sources, those it owns on DPDK (64 at most: the stack's),
# an address nobody has, and how the master says nobody answered.
if ((IT_FAMILY == 6)); then
	SOURCES=2001:2::1:0/121
	DPDK_SOURCES=2001:2::2:0/122
	NOBODY=2001:2::77
	NO_ANSWER="no Neighbor Advertisement from $NOBODY"
else
	SOURCES=198.18.0.128/25
	DPDK_SOURCES=198.18.0.192/26
	NOBODY=198.18.0.77
	NO_ANSWER="no ARP reply from $NOBODY"
fi

# bench EXPECTED-STATUS ARGS...: a short kernel-bypass run from the client
# namespace, its JSON in $WORK/b.json and stderr in $WORK/b.err; true when
# it exits with EXPECTED-STATUS.
bench() {
	local want=$1 rc
	shift
	mbnet_cli timeout 30 "$BENCH" --afxdp "$MBNET_CLI_IF" --source "$SOURCES" \
		--host "$MBNET_SRV_ADDR" --warmup 0 --duration 0.5 --timeout-ms 500 --json "$@" \
		>"$WORK/b.json" 2>"$WORK/b.err"
	rc=$?
	cat "$WORK/b.json" "$WORK/b.err"
	((rc == want))
}

# field EXPRESSION: a value of the last run's JSON, e.g. field 'd["errors"]["total"]'.
field() {
	/usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print('"$1"')' "$WORK/b.json"
}

# answered_clean [MASTER]: the last run answered right, no error, by MASTER (afxdp).
answered_clean() {
	(($(field 'd["responses_ok"]') > 0)) && [[ $(field 'd["errors"]["total"]') == 0 ]] &&
		[[ $(field 'd["master"]') == "${1:-afxdp}" ]]
}

closed_loop() {
	bench 0 --connections 8 --pipeline 4 --mix fc3:10=3,fc16:10=1,fc1:100=1 && answered_clean
}

open_loop() {
	bench 0 --connections 4 --rate 2000 && answered_clean &&
		(($(field 'd["responses_ok"]') >= 900))
}

connect_rate() {
	bench 0 --connect-rate --connections 16 && answered_clean &&
		(($(field 'd["connections_ok"]') > 0))
}

# 2,000 connections held, a request on each every 0.2 s, opened 64 at a
# time; mbxdp counts them.
hold() {
	bench 0 --hold 0.2 --connections 2000 --open-window 64 --duration 1 && answered_clean &&
		[[ $(field 'd["held"]') == 2000 ]]
}

# The same master on DPDK's net_af_xdp (its own XDP program, so the stack
# owns the sources and answers their ARP or Neighbor Solicitations).
dpdk_af_xdp() {
	local rc
	mbnet_cli timeout 30 "$BENCH" --dpdk --source "$DPDK_SOURCES" --host "$MBNET_SRV_ADDR" \
		--warmup 0 --duration 0.5 --timeout-ms 500 --json --connections 4 --pipeline 2 -- \
		--no-huge --no-pci -m 512 --no-shconf --no-telemetry \
		--vdev "net_af_xdp0,iface=$MBNET_CLI_IF" >"$WORK/b.json" 2>"$WORK/b.err"
	rc=$?
	cat "$WORK/b.json" "$WORK/b.err"
	((rc == 0)) && answered_clean dpdk
}

# A server that answers nothing: every request times out, exit 1.
silent_fails() {
	mbnet_spawn "$MBNET_SRV_NS" "$WORK/silent.log" /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 1504))
s.listen(64)
print("listening", flush=True)
conns = []
while True:
    c, _ = s.accept()
    conns.append(c)' "$MBNET_SRV_ADDR"
	local pid=$MBNET_LAST_PID
	kernel_side_xdp xdpdrv obj "$XDP_PASS_OBJ" sec xdp || return 1
	mbnet_wait_line "$WORK/silent.log" '^listening' 5 "$pid" &&
		bench 1 --port 1504 --connections 4 && [[ $(field 'd["answered"]') == 0 ]] &&
		(($(field 'd["errors"]["timeouts"]') > 0))
	local rc=$?
	kill "$pid"
	kernel_side_xdp xdpdrv off
	return $rc
}

no_answer_fails() {
	mbnet_cli timeout 10 "$BENCH" --afxdp "$MBNET_CLI_IF" --source "$SOURCES" \
		--host "$NOBODY" --duration 0.2 >"$WORK/b.out" 2>&1
	local rc=$?
	cat "$WORK/b.out"
	((rc == 1)) && grep -qF "mbxdp-bench: $NO_ANSWER " "$WORK/b.out"
}

# usage_fails LINE-REGEX ARGS...: exit 2 with that line.
usage_fails() {
	local re=$1 rc
	shift
	"$BENCH" "$@" >"$WORK/u.out" 2>&1
	rc=$?
	cat "$WORK/u.out"
	((rc == 2)) && grep -qE "^mbxdp-bench: $re" "$WORK/u.out"
}

usage_errors() {
	usage_fails "--source, --queues" --host 198.18.0.1 --source 198.18.0.0/24 &&
		usage_fails "--afxdp and --dpdk need --source" --afxdp lo --host 198.18.0.1 &&
		usage_fails "bad value '198.18.0.1/24' for --source" --afxdp lo --host 198.18.0.1 \
			--source 198.18.0.1/24 &&
		usage_fails "bad value '198.16.0.0/12' for --source" --afxdp lo --host 198.18.0.1 \
			--source 198.16.0.0/12 &&
		usage_fails "--threads, --busy-poll" --afxdp lo --source 198.18.0.0/24 \
			--host 198.18.0.1 --threads 2 &&
		usage_fails "--source, --queues, --connect-rate, --hold and --open-window need" \
			--host 198.18.0.1 --open-window 8 &&
		usage_fails "bad value '0' for --open-window" --afxdp lo --source 198.18.0.0/24 \
			--host 198.18.0.1 --open-window 0 &&
		usage_fails "--connect-rate and --hold ask one" --afxdp lo --source 198.18.0.0/24 \
			--host 198.18.0.1 --hold 1 --pipeline 4 &&
		usage_fails "bad value '2001:2::/64' for --source: an IPv6 source prefix is /118 to /128" \
			--afxdp lo --host 2001:2::1 --source 2001:2::/64
}

# A target of the other family than the sources: exit 1, one line.
family_mismatch_fails() {
	local other=198.18.0.1
	((IT_FAMILY == 6)) || other=2001:2::1
	mbnet_cli "$BENCH" --afxdp "$MBNET_CLI_IF" --source "$SOURCES" --host "$other" \
		--duration 0.2 >"$WORK/b.out" 2>&1
	local rc=$?
	cat "$WORK/b.out"
	((rc == 1)) && [[ $(wc -l <"$WORK/b.out") == 1 ]] &&
		grep -q "^mbxdp-bench: --host must be an IPv$IT_FAMILY address" "$WORK/b.out"
}

# The server veth runs no XDP program while a kernel server has it; veth
# then drops the ARP replies the master's program sends back with XDP_TX
# (see xdp_pass.bpf.c), so a pass-all program stands in for one there.
kernel_side_xdp() {
	ip -n "$MBNET_SRV_NS" link set dev "$MBNET_SRV_IF" "$@"
}

# peer KIND PORT CMD...: the kernel-TCP server CMD on the server's PORT, then
# a pipelined closed-loop run and a connect-rate run against it.
peer() {
	local kind=$1 port=$2
	shift 2
	kernel_side_xdp xdpdrv obj "$XDP_PASS_OBJ" sec xdp || return 1
	mbnet_spawn "$MBNET_SRV_NS" "$WORK/$kind.log" "$@"
	local pid=$MBNET_LAST_PID
	mbnet_wait_line "$WORK/$kind.log" 'serving' 20 "$pid" &&
		bench 0 --port "$port" --connections 4 --pipeline 2 && answered_clean &&
		bench 0 --port "$port" --connect-rate --connections 4 && answered_clean
	local rc=$?
	kill -INT "$pid"
	mbnet_wait_exit "$pid" 10 || kill -KILL "$pid"
	kernel_side_xdp xdpdrv off
	return $rc
}

it_net_setup mbxV
check "usage errors: exit 2 with one line" usage_errors
check "a target of the other family: exit 1 with the reason" family_mismatch_fails
if start_server "$WORK/mbxdp.log" --name "$NAME"; then
	check "mbxdp: closed loop, 8 x 4, a mix of reads and writes, all checked" closed_loop
	check "mbxdp: open loop at 2,000/s" open_loop
	check "mbxdp: connect rate, each connection's answer checked" connect_rate
	check "mbxdp: 2,000 connections held, a request each every 0.2 s" hold
	if ((HAVE_DPDK)); then
		check "mbxdp: the master on DPDK's net_af_xdp, all checked" dpdk_af_xdp
	fi
	check "mbxdp stops cleanly" stop_server
else
	fail "mbxdp did not start"
	indent "$WORK/mbxdp.log"
fi
if [[ -x $PEERS/peer_libmodbus_epoll ]]; then
	check "libmodbus epoll peer: pipelined and connect rate, all checked" \
		peer libmodbus 1502 "$PEERS/peer_libmodbus_epoll" --addr "$MBNET_SRV_ADDR" --port 1502
fi
if /usr/bin/python3 -c 'import pymodbus' 2>/dev/null; then
	check "pymodbus: pipelined and connect rate, all checked" \
		peer pymodbus 1503 /usr/bin/python3 "$HERE/../../bench/peers/peer_pymodbus.py" \
		--addr "$MBNET_SRV_ADDR" --port 1503
fi
check "a server that never answers: exit 1, timeouts counted" silent_fails
check "no host at the address: exit 1, $NO_ANSWER" no_answer_fails
FINISHED=1
((FAILED == 0))
