#!/bin/bash
# The lab: mbxdp serving a stock Modbus master, then mbxdp and the peer
# servers of bench/peers measured by the same client.
#
#   bash bench/lab.sh [--quick] [--mq] [--build DIR] [--out DIR] [--no-build]
#
# Needs root. Installs the Debian packages it needs (tests/deps.sh), builds
# with meson (DIR, default build/), and makes two network namespaces joined
# by a veth pair (tests/integration/netns.sh). Then:
#  1. mbxdp on AF_XDP in the server namespace; mbpoll in the client namespace
#     reads 10 holding registers, writes one, reads it back; mbxdp-ctl shows
#     the engine's live counters.
#  2. Every server in turn (mbxdp, mbxdp --idle adaptive, libmodbus select,
#     libmodbus epoll, an epoll C server, pymodbus, and the AF_XDP UDP
#     reflector, the floor), pinned to the last CPU, against mbxdp-bench
#     pinned to the first: 1, 16 and 256 connections at pipeline depth 1 and
#     8, closed loop, FC 03 of 10 registers, every answer checked; three
#     rounds, each over all the servers in turn. The 1 x 1 case is run a
#     second time with the client busy-polling its sockets (BUSY_KINDS), so
#     the table shows the servers' latency with and without the client's
#     wake-up. The client is mbxdp-bench on kernel sockets, what a master
#     on a kernel sees; the throughput and scale cases (16 connections and
#     more, TCP servers) run again with its kernel-bypass master on AF_XDP
#     (--afxdp, sources in BYPASS_SOURCES), whose ceiling is above the
#     fastest server's, so there the table and plots show both.
#  3. bench/lab_report.py turns the runs into OUT/lab.md (p50, p99, p99.9,
#     throughput, each server's ratio to mbxdp) and OUT/latency_cdf.png,
#     OUT/throughput.png; OUT defaults to bench/results.
# --quick: two cases per server, one short round (the integration test).
# --mq: the multi-queue case instead of 1.-2.: a veth pair with 2 queues;
# mbxdp with one worker on one queue (the client's veth sends every flow by
# queue 0, XPS) against mbxdp serving both queues with 2 workers (flows
# spread by hash), busy-polling and --idle adaptive; on CPUs 0 and 1, where
# the client runs on CPU 0 too.
# Everything it made is removed on exit. Exits non-zero when a server did
# not answer or the demo failed. XDP_MODE=generic runs XDP in generic mode;
# LAB_TAG (1-4 letters, default lab) prefixes the namespace names.
set -u

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$REPO/build
OUT=$REPO/bench/results
QUICK=0
MQ=0
DO_BUILD=1
while (($#)); do
	case $1 in
	--quick) QUICK=1 ;;
	--mq) MQ=1 ;;
	--no-build) DO_BUILD=0 ;;
	--build) BUILD=${2:?--build needs a directory}; shift ;;
	--out) OUT=${2:?--out needs a directory}; shift ;;
	*) echo "usage: bench/lab.sh [--quick] [--mq] [--build DIR] [--out DIR] [--no-build]" >&2; exit 2 ;;
	esac
	shift
done

if ((DO_BUILD)); then
	# shellcheck source=SCRIPTDIR/../tests/deps.sh
	source "$REPO/tests/deps.sh"
	mbxdp_install_deps || exit 1
	if [[ ! -f $BUILD/build.ninja ]]; then
		# A lab host's build: for this CPU (-march=native).
		meson setup "$BUILD" "$REPO" -Dnative=true || exit 1
	fi
	ninja -C "$BUILD" || exit 1
fi
MBXDP=$BUILD/engine/mbxdp
CTL=$BUILD/tools/ctl/mbxdp-ctl
BENCH=$BUILD/bench/mbxdp-bench
PEERS=$BUILD/bench/peers
# A kernel server's veth needs an XDP program of its own while the master
# sends with XDP_TX (its ARP replies); a pass-all one stands in.
XDP_PASS_OBJ=$BUILD/tests/integration/xdp_pass.bpf.o
for f in "$MBXDP" "$CTL" "$BENCH" "$PEERS/peer_epoll" "$PEERS/peer_libmodbus_select" \
	"$PEERS/peer_libmodbus_epoll" "$PEERS/peer_xdp_reflector"; do
	[[ -x $f ]] || { echo "lab: $f is not built (ninja -C $BUILD)" >&2; exit 1; }
done
[[ -f $XDP_PASS_OBJ ]] || { echo "lab: $XDP_PASS_OBJ is not built (ninja -C $BUILD)" >&2; exit 1; }

if ((QUICK)); then
	CONNS=(1 16) DEPTHS=(1 8) ROUNDS=1 WARMUP=0.2 DURATION=0.5 IDLE_S=1
else
	CONNS=(1 16 256) DEPTHS=(1 8) ROUNDS=3 WARMUP=0.3 DURATION=1 IDLE_S=2
fi
BYPASS_FROM=16 # connections from which the kernel-bypass master runs too
# The servers also measured at 1 x 1 with a busy-polling client.
BUSY_KINDS=(mbxdp libmodbus_select libmodbus_epoll peer_epoll reflector)
REFLECTOR_PORT=7 # UDP echo's port; the reflector's XDP program takes only it
# The kernel-bypass master's source addresses: on the link, not the
# kernel's; its XDP program answers their ARP.
BYPASS_SOURCES=198.18.0.128/25
PACED_RATE=1000 # requests/s of the slow-master case (mbxdp only)

# Server on the last CPU, client on the first: on a 2-CPU machine each gets
# one, and the kernel's veth work runs on whichever side sends.
NCPU=$(nproc)
if ((NCPU >= 2)); then
	PIN_SRV=(taskset -c $((NCPU - 1)))
	PIN_CLI=(taskset -c 0)
else
	PIN_SRV=() PIN_CLI=()
fi

# shellcheck source=SCRIPTDIR/../tests/integration/netns.sh
source "$REPO/tests/integration/netns.sh"

WORK=$(mktemp -d /tmp/mbxdp-lab.XXXXXX)
# shellcheck disable=SC2317 # called by the netns cleanup
mbnet_cleanup_hook() {
	rm -rf "$WORK"
}

mbnet_setup "${LAB_TAG:-lab}" $((MQ ? 2 : 1))
SERVER=$MBNET_SRV_ADDR
NAME=lab-$$ # mbxdp's instance name: /dev/shm/$NAME.stats
mkdir -p "$OUT" || exit 1
RAW=$OUT/raw.jsonl
: >"$RAW"

# start_server KIND: starts it in the server namespace and waits for its
# "serving" line; its pid in SRV_PID.
start_server() {
	local kind=$1 cmd
	case $kind in
	mbxdp) cmd=("$MBXDP" --iface "$MBNET_SRV_IF" --name "$NAME" --xdp-mode "${XDP_MODE:-native}") ;;
	mbxdp_adaptive) cmd=("$MBXDP" --iface "$MBNET_SRV_IF" --name "$NAME" --idle adaptive
		--xdp-mode "${XDP_MODE:-native}") ;;
	mbxdp_1q) cmd=("$MBXDP" --iface "$MBNET_SRV_IF" --queue 0 --name "$NAME"
		--xdp-mode "${XDP_MODE:-native}") ;;
	mbxdp_2q | mbxdp_2q_adaptive) cmd=("$MBXDP" --iface "$MBNET_SRV_IF" --cpus 0-1 --name "$NAME"
		--xdp-mode "${XDP_MODE:-native}")
		[[ $kind == mbxdp_2q_adaptive ]] && cmd+=(--idle adaptive) ;;
	libmodbus_select | libmodbus_epoll) cmd=("$PEERS/peer_$kind") ;;
	peer_epoll) cmd=("$PEERS/peer_epoll" --threads 1) ;;
	pymodbus) cmd=(/usr/bin/python3 "$REPO/bench/peers/peer_pymodbus.py") ;;
	reflector) cmd=("$PEERS/peer_xdp_reflector" --iface "$MBNET_SRV_IF" --port "$REFLECTOR_PORT"
		--xdp-mode "${XDP_MODE:-native}") ;;
	esac
	SRV_KIND=$kind
	SRV_LOG=$WORK/$kind.log
	mbnet_spawn "$MBNET_SRV_NS" "$SRV_LOG" "${PIN_SRV[@]}" "${cmd[@]}"
	SRV_PID=$MBNET_LAST_PID
	if ! mbnet_wait_line "$SRV_LOG" 'serving' 30 "$SRV_PID"; then
		echo "lab: $kind did not start; its output:" >&2
		cat "$SRV_LOG" >&2
		return 1
	fi
}

stop_server() {
	local left
	kill -INT "$SRV_PID" 2>/dev/null
	mbnet_wait_exit "$SRV_PID" 10 || kill -KILL "$SRV_PID" 2>/dev/null
	# A kernel server's connection that the kernel-bypass master's last
	# reset did not end outlives the server in FIN-WAIT-1: the master's
	# addresses no longer answer ARP, so the kernel retries its FIN for
	# minutes, and the socket keeps the next server from binding port 502.
	# Such connections are named and closed here (ss -K: SOCK_DESTROY).
	left=$(ip netns exec "$MBNET_SRV_NS" ss -Htan sport = :502 | wc -l)
	if ((left)); then
		echo "lab: $left TCP connection(s) on port 502 outlived $SRV_KIND; closing them" >&2
		ip netns exec "$MBNET_SRV_NS" ss -HKtan sport = :502 >/dev/null
	fi
}

# kernel_server_xdp on|off: the pass-all program on the server veth, for a
# kernel server's cases with the kernel-bypass master.
kernel_server_xdp() {
	if [[ $1 == on ]]; then
		ip -n "$MBNET_SRV_NS" link set dev "$MBNET_SRV_IF" xdpdrv obj "$XDP_PASS_OBJ" sec xdp
	else
		ip -n "$MBNET_SRV_NS" link set dev "$MBNET_SRV_IF" xdpdrv off
	fi
}

# run_case KIND CONNS DEPTH ROUND [RATE [CLIENT]]: one mbxdp-bench run, closed
# loop or, with RATE, open loop at RATE requests/s; CLIENT "busy" makes the
# client spin on its sockets (--busy-poll) instead of sleeping in epoll,
# "afxdp" runs the kernel-bypass master on the client veth. Its JSON
# appended to RAW with the server's name (or "result": null if it produced
# none).
run_case() {
	local kind=$1 c=$2 d=$3 r=$4 rate=${5:-0} client=${6:-sleep} args json
	args=(--host "$SERVER" --connections "$c" --pipeline "$d" --warmup "$WARMUP"
		--duration "$DURATION" --json)
	[[ $kind == reflector ]] && args+=(--udp-echo --port "$REFLECTOR_PORT")
	((rate)) && args+=(--rate "$rate")
	[[ $client == busy ]] && args+=(--busy-poll)
	[[ $client == afxdp ]] && args+=(--afxdp "$MBNET_CLI_IF" --source "$BYPASS_SOURCES")
	json=$(mbnet_cli timeout 30 "${PIN_CLI[@]}" "$BENCH" "${args[@]}" 2>"$WORK/bench.err")
	[[ $json == \{* ]] || { json=null; cat "$WORK/bench.err" >&2; }
	printf '{"server":"%s","connections":%d,"pipeline":%d,"rate":%d,"client":"%s","round":%d,"result":%s}\n' \
		"$kind" "$c" "$d" "$rate" "$client" "$r" "$json" >>"$RAW"
	/usr/bin/python3 - "$kind" "$c" "$d" "$r" "$rate" "$client" "$json" <<'PY'
import json, sys
kind, c, d, r, rate, client, raw = sys.argv[1:]
res = json.loads(raw)
case = f"{c:>3} x {d}" + (f" at {rate}/s" if rate != "0" else "") + \
    {"busy": ", busy-poll client", "afxdp": ", AF_XDP client"}.get(client, "")
if res is None:
    print(f"  {kind:17} {case}  round {r}: no result")
else:
    lat = res["latency_ns"]
    print(f"  {kind:17} {case}  round {r}: p50 {lat['p50']/1e3:8.1f} us  "
          f"p99.9 {lat['p99.9']/1e3:8.1f} us  {res['throughput_rps']:10.0f} req/s  "
          f"errors {res['errors']['total']}")
PY
}

# cpu_ticks PID: user + system clock ticks the process has used.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# cpu_during KIND ROUND FIELD SECONDS cmd...: runs cmd and appends the share
# of one CPU the server used meanwhile, per second of SECONDS, to
# OUT/cpu.jsonl as FIELD.
cpu_during() {
	local kind=$1 r=$2 field=$3 secs=$4 a b
	shift 4
	a=$(cpu_ticks "$SRV_PID")
	"$@"
	b=$(cpu_ticks "$SRV_PID")
	printf '{"server":"%s","round":%d,"%s":%s}\n' "$kind" "$r" "$field" \
		"$(awk -v d=$((b - a)) -v hz="$(getconf CLK_TCK)" -v s="$secs" \
			'BEGIN { printf "%.1f", 100 * d / hz / s }')" >>"$OUT/cpu.jsonl"
}

# client_retrans: the client namespace's TCP retransmissions and tail loss
# probes so far (absolute counters: nstat's history file is shared by every
# user of nstat on the machine).
client_retrans() {
	mbnet_cli nstat -az TcpRetransSegs TcpExtTCPLossProbes | awk '!/^#/ { n += $2 } END { print n + 0 }'
}

# runq_wait_ns: nanoseconds the server's threads have spent runnable but
# waiting for a CPU (/proc/PID/task/*/schedstat, second field).
runq_wait_ns() {
	cat "/proc/$SRV_PID"/task/*/schedstat 2>/dev/null | awk '{ n += $2 } END { printf "%d", n }'
}

now_ns() {
	date +%s%N
}

# measure KIND ROUND CONNS...: start the server, run every case once, stop
# it. The rounds go over all the servers in turn, so a stretch of load from
# elsewhere on the machine falls on one round of several servers, not on
# all rounds of one.
measure() {
	local kind=$1 r=$2 c d retrans waited t0
	shift 2
	start_server "$kind" || return 1
	retrans=$(client_retrans)
	waited=$(runq_wait_ns)
	t0=$(now_ns)
	for c in "$@"; do
		for d in "${DEPTHS[@]}"; do
			run_case "$kind" "$c" "$d" "$r"
		done
		# The throughput and scale cases again from the kernel-bypass
		# master, where a kernel client's own ceiling would be measured.
		if ((c >= BYPASS_FROM)) && [[ $kind != reflector ]]; then
			[[ $kind == mbxdp* ]] || kernel_server_xdp on
			for d in "${DEPTHS[@]}"; do
				run_case "$kind" "$c" "$d" "$r" 0 afxdp
			done
			[[ $kind == mbxdp* ]] || kernel_server_xdp off
		fi
		# The same latency case with a client that never sleeps: without
		# its wake-up (some 10 us on this VM, and the tail's main source),
		# what is left is the servers' own path.
		if [[ $c == 1 && " ${BUSY_KINDS[*]} " == *" $kind "* ]]; then
			run_case "$kind" 1 1 "$r" 0 busy
		fi
		# The engine's histogram so far: after the 1-connection cases it
		# holds their bursts alone (a burst's requests share its time).
		if [[ $kind == mbxdp* && $c == 1 ]]; then
			"$CTL" --name "$NAME" stats --json >"$OUT/engine_${kind}_c1_r$r.json"
		fi
	done
	printf '{"server":"%s","round":%d,"client_retransmits":%d,"runq_wait_percent":%s}\n' \
		"$kind" "$r" $(($(client_retrans) - retrans)) \
		"$(awk -v w=$(($(runq_wait_ns) - waited)) -v t=$(($(now_ns) - t0)) \
			'BEGIN { printf "%.1f", 100 * w / t }')" >>"$OUT/cpu.jsonl"
	if [[ $kind == mbxdp* ]]; then
		"$CTL" --name "$NAME" stats --json >"$OUT/engine_${kind}_all_r$r.json"
		# A slow master: a request every millisecond, longer than the
		# adaptive mode's 200 us of spinning, so each one wakes it.
		cpu_during "$kind" "$r" paced_cpu_percent "$(awk -v w="$WARMUP" -v d="$DURATION" \
			'BEGIN { print w + d }')" run_case "$kind" 1 1 "$r" "$PACED_RATE"
		cpu_during "$kind" "$r" idle_cpu_percent "$IDLE_S" sleep "$IDLE_S"
	fi
	stop_server
}

# client_queues ONE|HASH: the client veth sends every flow by transmit
# queue 0, which the server's veth receives on queue 0 (XPS: every CPU to
# queue 0), or each flow by the queue its hash picks (no XPS).
client_queues() {
	local mask=0
	[[ $1 == ONE ]] && mask=$(printf '%x' $(((1 << NCPU) - 1)))
	mbnet_cli sh -c "echo $mask >/sys/class/net/$MBNET_CLI_IF/queues/tx-0/xps_cpus"
}

# measure_mq KIND ROUND: one multi-queue case, every connection count and
# depth; the engine's per-worker counters to OUT.
measure_mq() {
	local kind=$1 r=$2 c d
	if [[ $kind == mbxdp_1q ]]; then client_queues ONE; else client_queues HASH; fi || return 1
	start_server "$kind" || return 1
	for c in "${CONNS[@]}"; do
		for d in "${DEPTHS[@]}"; do
			run_case "$kind" "$c" "$d" "$r"
		done
	done
	"$CTL" --name "$NAME" stats --json --per-worker >"$OUT/workers_${kind}_r$r.json"
	stop_server
}

status=0
if ((MQ)); then
	echo "== mbxdp on a 2-queue veth: 1 worker on queue 0 against 2 workers on both ($ROUNDS round(s) of ${DURATION} s per case; load before: $(cut -d' ' -f1-3 /proc/loadavg))"
	printf '{"cpus":%d,"loadavg_before":"%s","quick":%d,"rounds":%d,"duration_s":%s,"warmup_s":%s,"xdp_mode":"%s","kernel":"%s","queues":2}\n' \
		"$NCPU" "$(cut -d' ' -f1-3 /proc/loadavg)" "$QUICK" "$ROUNDS" "$DURATION" "$WARMUP" \
		"${XDP_MODE:-native}" "$(uname -r)" >"$OUT/meta.json"
	: >"$OUT/cpu.jsonl"
	rm -f "$OUT"/engine_*.json "$OUT"/workers_*.json "$OUT"/*.png "$OUT"/lab.md
	for ((r = 1; r <= ROUNDS; r++)); do
		echo "-- round $r of $ROUNDS"
		for kind in mbxdp_1q mbxdp_2q mbxdp_2q_adaptive; do
			measure_mq "$kind" "$r" || status=1
		done
	done
	echo "== report"
	/usr/bin/python3 "$REPO/bench/lab_report.py" "$OUT" || status=1
	exit "$status"
fi

echo "== 1. mbxdp serving a Modbus master"
echo "mbxdp on $MBNET_SRV_IF ($SERVER, namespace $MBNET_SRV_NS), client namespace $MBNET_CLI_NS ($MBNET_CLI_ADDR)"
start_server mbxdp || exit 1
grep '^mbxdp: serving' "$SRV_LOG"
# Runs a client command, its licence banner left out.
demo() {
	echo "\$ $*"
	mbnet_cli timeout 10 "$@" >"$WORK/demo.out" 2>&1 || status=1
	grep -vE '^(mbpoll [0-9]|Copyright|This (program|is free)|under certain)' "$WORK/demo.out"
}
# mbpoll references are 1-based: reference 1 is holding register 0.
demo mbpoll -m tcp -a 1 -r 1 -c 10 -t 4 -1 "$SERVER"
demo mbpoll -m tcp -a 1 -r 1 -t 4 -1 "$SERVER" 1234
demo mbpoll -m tcp -a 1 -r 1 -c 2 -t 4 -1 "$SERVER"
echo "\$ mbxdp-ctl --name $NAME stats"
sleep 0.2 # the engine publishes its counters every 100 ms
"$CTL" --name "$NAME" stats || status=1
stop_server
((status == 0)) || { echo "lab: the mbpoll demo failed" >&2; exit 1; }

echo "== 2. every server against mbxdp-bench ($ROUNDS round(s) of ${DURATION} s per case; load before: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '{"cpus":%d,"loadavg_before":"%s","quick":%d,"rounds":%d,"duration_s":%s,"warmup_s":%s,"xdp_mode":"%s","kernel":"%s"}\n' \
	"$NCPU" "$(cut -d' ' -f1-3 /proc/loadavg)" "$QUICK" "$ROUNDS" "$DURATION" "$WARMUP" \
	"${XDP_MODE:-native}" "$(uname -r)" >"$OUT/meta.json"
: >"$OUT/cpu.jsonl"
rm -f "$OUT"/engine_*.json "$OUT"/*.png "$OUT"/lab.md
for ((r = 1; r <= ROUNDS; r++)); do
	echo "-- round $r of $ROUNDS"
	measure mbxdp "$r" "${CONNS[@]}" || status=1
	measure mbxdp_adaptive "$r" 1 || status=1
	for kind in libmodbus_select libmodbus_epoll peer_epoll pymodbus reflector; do
		measure "$kind" "$r" "${CONNS[@]}" || status=1
	done
done
/usr/bin/python3 - "$OUT/meta.json" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); m["loadavg_after"] = sys.argv[2]
json.dump(m, open(sys.argv[1], "w"))
PY

echo "== 3. report"
/usr/bin/python3 "$REPO/bench/lab_report.py" "$OUT" || status=1
exit "$status"
