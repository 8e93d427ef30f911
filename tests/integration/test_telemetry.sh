#!/bin/bash
# Integration test: the engine's live telemetry as mbxdp-ctl shows it, and
# the adaptive idle mode, with mbpoll as the client over AF_XDP on a veth
# pair between two network namespaces.
#
#   tests/integration/test_telemetry.sh BUILD_DIR
#
# Checks that requests are counted per function code as mbpoll sent them,
# that open connections and the processing-time histogram follow, that the
# JSON and Prometheus outputs carry the same figures, that a second engine
# with the same --name is refused and that the file goes with the engine;
# then that an engine with --idle adaptive sleeps when nothing comes and
# still answers afterwards, and that the file a killed engine left is
# reported as such and taken over by the next. Needs root. Prints PASS/FAIL per step and ends
# with "N passed, N failed".
# shellcheck disable=SC2317 # steps are called through check()
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=140
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
CTL=$BUILD/tools/ctl/mbxdp-ctl
require "$MBXDP" "$CTL"

# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"

NAME=mbxdp-test-$$

start_engine() { # LOG args...
	start_server "$1" --name "$NAME" "${@:2}"
}

# json FIELD-EXPRESSION: a value of `mbxdp-ctl stats --json`, e.g.
# json 'd["fc_requests"]["3"]'.
json() {
	"$CTL" --name "$NAME" stats --json |
		/usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); print('"$1"')'
}

# Three reads of holding registers (FC 03), two of input registers (FC 04),
# each on its own connection, which mbpoll closes.
traffic() {
	local i
	for i in 1 2 3; do
		mbnet_cli timeout 20 mbpoll -m tcp -o 5 -a 1 -r 1 -c 5 -t 4 -1 "$MBNET_SRV_ADDR" >/dev/null || return 1
	done
	for i in 1 2; do
		mbnet_cli timeout 20 mbpoll -m tcp -o 5 -a 1 -r 1 -c 5 -t 3 -1 "$MBNET_SRV_ADDR" >/dev/null || return 1
	done
}

# The counters are published every 100 ms: wait (bounded, generously for a
# loaded machine) until they show every request and every connection closed.
# The last close completes after mbpoll has exited (its FIN, our FIN, its
# ACK), so a publish can show all the requests while it is still open.
wait_published() { # N
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $(json 'd["counters"]["mb_requests"]') == "$1" &&
			$(json 'd["open_connections"]') == 0 ]] && return 0
		sleep 0.1
	done
	return 1
}

counted_per_function() {
	traffic && wait_published 5 &&
		[[ $(json 'd["fc_requests"]["3"]') == 3 && $(json 'd["fc_requests"]["4"]') == 2 ]] &&
		[[ $(json 'd["running"]') == True ]] &&
		(($(json 'd["processing_ns"]["count"]') == 5)) &&
		/usr/bin/python3 -c 'import sys; sys.exit(not 0 < float(sys.argv[1]) <= float(sys.argv[2]))' \
			"$(json 'd["processing_ns"]["p50"]')" "$(json 'd["processing_ns"]["max"]')"
}

# The Prometheus text: the same counts, and a histogram whose +Inf bucket
# holds every timed request.
prometheus_agrees() {
	"$CTL" --name "$NAME" stats --prometheus >"$WORK/prom.txt" || return 1
	grep -qx "mbxdp_modbus_function_requests_total{name=\"$NAME\",function=\"03\"} 3" "$WORK/prom.txt" &&
		grep -qx "mbxdp_modbus_function_requests_total{name=\"$NAME\",function=\"04\"} 2" "$WORK/prom.txt" &&
		grep -qx "mbxdp_processing_seconds_bucket{name=\"$NAME\",le=\"+Inf\"} 5" "$WORK/prom.txt" &&
		grep -qx "mbxdp_connection_opened_total{name=\"$NAME\"} 5" "$WORK/prom.txt" &&
		grep -qx "mbxdp_modbus_requests_total{name=\"$NAME\"} 5" "$WORK/prom.txt" &&
		grep -qx "mbxdp_up{name=\"$NAME\"} 1" "$WORK/prom.txt"
}

human_shows_codes() {
	"$CTL" --name "$NAME" stats | tee "$WORK/human.txt" &&
		grep -Eq '^ +03 read holding registers +3$' "$WORK/human.txt" &&
		grep -Eq '^ +04 read input registers +2$' "$WORK/human.txt"
}

# A second engine with the same name must say so and leave the first alone.
same_name_refused() {
	local out rc
	out=$(ip netns exec "$MBNET_SRV_NS" timeout 10 "$MBXDP" --iface lo --xdp-mode generic \
		--name "$NAME" 2>&1)
	rc=$?
	echo "$out"
	((rc == 1)) && [[ $out == *"held by a running mbxdp"* ]] && kill -0 "$SERVER_PID"
}

file_removed_at_exit() {
	stop_server && [[ ! -e /dev/shm/$NAME.stats ]] &&
		! "$CTL" --name "$NAME" stats 2>"$WORK/ctl.err" && grep -q 'No such file' "$WORK/ctl.err"
}

# Quiet for a second: the adaptive engine must have slept on its socket,
# and then answer as before.
adaptive_sleeps_and_answers() {
	sleep 1
	local sleeps
	sleeps=$(json 'd["counters"]["idle_sleeps"]')
	echo "idle_sleeps $sleeps"
	((sleeps > 0)) && [[ $(json 'd["idle"]') == adaptive ]] && traffic && wait_published 5
}

# kill -9 leaves the file behind: mbxdp-ctl must call it not running, and
# the next engine with the name must take it over.
dead_engine_file() {
	kill -KILL "$SERVER_PID"
	mbnet_wait_exit "$SERVER_PID" 5 2>/dev/null
	[[ $(json 'd["running"]') == False ]] && "$CTL" --name "$NAME" stats | grep -q 'NOT running' &&
		start_engine "$WORK/again.log" && [[ $(json 'd["running"]') == True ]] && stop_server
}

it_net_setup mbxT
if start_engine "$WORK/busy.log"; then
	check "requests counted per function code, connections and processing time" counted_per_function
	check "Prometheus output carries the same counts" prometheus_agrees
	check "human output names the function codes" human_shows_codes
	check "a second engine with the same --name is refused" same_name_refused
	check "the stats file goes with the engine" file_removed_at_exit
else
	fail "mbxdp did not start"
	indent "$WORK/busy.log"
fi
if start_engine "$WORK/adaptive.log" --idle adaptive; then
	check "--idle adaptive sleeps when quiet and still answers" adaptive_sleeps_and_answers
	check "adaptive engine stops cleanly" stop_server
fi
if start_engine "$WORK/killed.log"; then
	check "a killed engine's file reads as not running and is taken over" dead_engine_file
else
	fail "mbxdp --idle adaptive did not start"
fi
FINISHED=1
((FAILED == 0))
