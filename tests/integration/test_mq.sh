#!/bin/bash
# Integration test: one mbxdp serving every receive queue of an interface,
# on a veth pair with QUEUES queues (each end), against the kernel's TCP:
# 400 connections held at once, all answered; every queue carried traffic
# (the per-worker counters); a register written through one connection is
# read through the next, whatever queue each landed on; mbxdp-ctl's sums
# equal its per-worker counters; SIGINT leaves no XDP program. With 2
# queues also: --queue 0 alone (frames of queue 1 dropped and counted, not
# reset by the kernel; --other-queues pass gives them to the kernel),
# --busy-poll, --copy and --zero-copy. With more queues than CPUs the
# workers share CPUs only when asked (--share-cpus).
#
#   tests/integration/test_mq.sh BUILD_DIR QUEUES
#
# Needs root.
# shellcheck disable=SC2317 # step functions are called through check()
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=120
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"

QUEUES=${2:?usage: test_mq.sh BUILD_DIR QUEUES}
CTL=$BUILD/tools/ctl/mbxdp-ctl
CONNS=400
NAME=mbxq-$$
require "$MBXDP" "$CTL" /usr/bin/python3
CLIENT=("$HERE/clients/mq_client.py" "$MBNET_SRV_ADDR")

# expect_error STATUS TEXT CMD... : CMD exits STATUS with TEXT in its one
# line of output.
expect_error() {
	local want=$1 text=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	echo "$out"
	((rc == want)) && [[ $out == *"$text"* ]] && [[ $(wc -l <<<"$out") -eq 1 ]]
}

srv() {
	ip netns exec "$MBNET_SRV_NS" timeout 20 "$@"
}

per_worker() {
	# The counters are published every 100 ms.
	sleep 0.3
	srv "$CTL" --name "$NAME" stats --json --per-worker | /usr/bin/python3 "$HERE/per_worker_check.py" "$QUEUES"
}

human_per_worker() {
	local last=$((QUEUES - 1))
	srv "$CTL" --name "$NAME" stats --per-worker >"$WORK/human.txt" &&
		grep -q "^worker $last (queue $last, CPU [0-9]*) of $NAME" "$WORK/human.txt"
}

# The counters printed at exit, and the veth after it.
stopped_clean() {
	local want_opened=$1 w
	stop_server || return 1
	[[ $(counter open_connections) == 0 ]] || { echo "open_connections $(counter open_connections)"; return 1; }
	[[ $(counter conn_opened) == "$want_opened" ]] || { echo "conn_opened $(counter conn_opened)"; return 1; }
	[[ $(counter xdp_no_socket_for_queue) == 0 ]] || { echo "xdp_no_socket_for_queue $(counter xdp_no_socket_for_queue)"; return 1; }
	for ((w = 0; w < QUEUES; w++)); do
		[[ $(counter "worker${w}_conn_opened") -gt 0 ]] || { echo "worker $w opened none"; return 1; }
	done
	! mbnet_xdp_attached
}

run_all_queues() {
	local share=()
	echo "== every queue of a $QUEUES-queue veth"
	if ((QUEUES > $(nproc))); then
		check "more queues than CPUs without --share-cpus: one clear line, exit 1" \
			expect_error 1 "give --share-cpus" srv "$MBXDP" --iface "$MBNET_SRV_IF" --name "$NAME"
		# Workers that share a CPU take turns by the scheduler's slice;
		# adaptive idling lets a quiet one give its turn away.
		share=(--share-cpus --idle adaptive)
	fi
	if ! start_server "$WORK/mbxdp-all.log" --name "$NAME" "${share[@]}"; then
		fail "mbxdp serves every queue"
		return
	fi
	if grep -q "^mbxdp: serving Modbus/TCP on $MBNET_SRV_IF queues 0-$((QUEUES - 1)) " "$SERVER_LOG"; then
		pass "mbxdp serves queues 0-$((QUEUES - 1)) by default"
	else
		fail "mbxdp serves queues 0-$((QUEUES - 1)) by default"
		indent "$SERVER_LOG"
	fi
	check "$CONNS connections at once, all answered; each reads the write of the one before" \
		mbnet_cli timeout 60 /usr/bin/python3 "${CLIENT[@]}" --conns "$CONNS"
	check "every queue carried traffic; mbxdp-ctl's sums equal its per-worker counters" per_worker
	check "mbxdp-ctl stats --per-worker: a table per worker" human_per_worker
	check "SIGINT: exit 0, all closed, nothing dropped, no XDP program left" stopped_clean "$CONNS"
}

# probe_counts ARGS... : "answered N refused N timed_out N" of 40 fresh
# connections.
PROBE=
probe() {
	PROBE=$(mbnet_cli timeout 100 /usr/bin/python3 "${CLIENT[@]}" --probe 40 --timeout 1)
	echo "$PROBE"
}

probe_field() {
	sed -nE "s/.*$1 ([0-9]+).*/\\1/p" <<<"$PROBE"
}

run_one_queue() {
	echo "== --queue 0 alone on a 2-queue veth"
	if ! start_server "$WORK/mbxdp-q0.log" --queue 0 --name "$NAME"; then
		fail "--queue 0 starts"
		return
	fi
	probe
	stop_server
	if (($(probe_field answered) > 0 && $(probe_field timed_out) > 0 && $(probe_field refused) == 0)) &&
		(($(counter xdp_no_socket_for_queue) >= $(probe_field timed_out))); then
		pass "--queue 0: queue 1's SYNs dropped and counted (xdp_no_socket_for_queue $(counter xdp_no_socket_for_queue)), none reset by the kernel"
	else
		fail "--queue 0: queue 1's SYNs dropped and counted, none reset by the kernel ($PROBE; xdp_no_socket_for_queue $(counter xdp_no_socket_for_queue))"
	fi
	if ! start_server "$WORK/mbxdp-q0pass.log" --queue 0 --other-queues pass --name "$NAME"; then
		fail "--queue 0 --other-queues pass starts"
		return
	fi
	probe
	stop_server
	if (($(probe_field answered) > 0 && $(probe_field refused) > 0)) &&
		(($(counter xdp_no_socket_for_queue) >= $(probe_field refused))); then
		pass "--other-queues pass: queue 1's SYNs go to the kernel, which resets them (counted)"
	else
		fail "--other-queues pass: queue 1's SYNs go to the kernel ($PROBE; xdp_no_socket_for_queue $(counter xdp_no_socket_for_queue))"
	fi
}

run_nic_options() {
	echo "== AF_XDP socket options"
	if start_server "$WORK/mbxdp-busy.log" --busy-poll --copy --rx-ring 512 --tx-ring 512 \
		--frames 4096 --name "$NAME"; then
		check "--busy-poll --copy, rings of 512: 100 connections answered" \
			mbnet_cli timeout 60 /usr/bin/python3 "${CLIENT[@]}" --conns 100
		if grep -q "(native XDP, copy, busy polling)" "$SERVER_LOG"; then
			pass "the banner says copy mode with busy polling"
		else
			fail "the banner says copy mode with busy polling"
			indent "$SERVER_LOG"
		fi
		check "SIGINT: exit 0, no XDP program left" stopped_clean 100
	else
		fail "--busy-poll --copy starts"
	fi
	check "--zero-copy on veth: one clear line, exit 1" \
		expect_error 1 "--zero-copy: $MBNET_SRV_IF has no zero-copy AF_XDP" \
		srv "$MBXDP" --iface "$MBNET_SRV_IF" --zero-copy --name "$NAME"
	check "no XDP program left after the refusal" eval '! mbnet_xdp_attached'
	check "--rx-ring wants a power of two" \
		expect_error 2 "--rx-ring wants a power of two" srv "$MBXDP" --iface "$MBNET_SRV_IF" --rx-ring 1000
	check "--queues beyond the interface's: one clear line, exit 1" \
		expect_error 1 "--queues 3: $MBNET_SRV_IF has 2 receive queues" \
		srv "$MBXDP" --iface "$MBNET_SRV_IF" --queues 3 --name "$NAME"
}

mbnet_setup mq "$QUEUES"
echo "server $MBNET_SRV_NS/$MBNET_SRV_IF $MBNET_SRV_ADDR, client $MBNET_CLI_NS/$MBNET_CLI_IF, $QUEUES queues"
run_all_queues
if ((QUEUES == 2)); then
	run_one_queue
	run_nic_options
fi

FINISHED=1
exit $((FAILED > 0))
