#!/bin/bash
# Integration test: mbxdp-bench against servers that are not the default
# image, and its exit status.
#
#   tests/integration/test_bench.sh BUILD_DIR
#
# mbxdp serves bench_model.yaml (unit 5, holding registers 100-119 holding
# their address) on AF_XDP; mbxdp-bench runs from the client namespace.
# Checks that --unit and --address/--count reach only what the device has
# (no exception, values checked), that the default range and an unknown
# unit are counted as exceptions and exit 1, that writes with --no-check
# spread over every address of the range (read back with mbxdp-ctl), and
# that a run where nothing was answered exits 1 however short: no host at
# the address, or a kernel listener that never answers. With
# MBXDP_IT_FAMILY=6 the same over IPv6: the device at 2001:2::1, --host an
# IPv6 address. Needs root. Prints PASS/FAIL per step and ends with
# "N passed, N failed".
# shellcheck disable=SC2317 # steps are called through check()
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=100
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
BENCH=$BUILD/bench/mbxdp-bench
CTL=$BUILD/tools/ctl/mbxdp-ctl
require "$MBXDP" "$BENCH" "$CTL" /usr/bin/python3

# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"

NAME=mbxdp-bench-$$
NOBODY=198.18.0.77 # an address nobody has
((IT_FAMILY == 6)) && NOBODY=2001:2::77

# bench EXPECTED-STATUS ARGS...: a short run from the client namespace, its
# JSON in $WORK/b.json; true when it exits with EXPECTED-STATUS.
bench() {
	local want=$1 rc
	shift
	mbnet_cli timeout 20 "$BENCH" --warmup 0 --duration 0.3 --timeout-ms 500 --json "$@" >"$WORK/b.json"
	rc=$?
	cat "$WORK/b.json"
	((rc == want))
}

# field EXPRESSION: a value of the last run's JSON, e.g. field 'd["errors"]["total"]'.
field() {
	/usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print('"$1"')' "$WORK/b.json"
}

in_range_checked() {
	bench 0 --host "$MBNET_SRV_ADDR" --unit 5 --address 100 --count 20 --mix fc3:20=1,fc3:1=1 &&
		(($(field 'd["responses_ok"]') > 0)) && [[ $(field 'd["errors"]["total"]') == 0 ]]
}

default_range_exceptions() {
	bench 1 --host "$MBNET_SRV_ADDR" --unit 5 &&
		(($(field 'd["errors"]["exceptions"]') > 0)) && [[ $(field 'd["errors"]["wrong"]') == 0 ]]
}

unknown_unit_exceptions() {
	bench 1 --host "$MBNET_SRV_ADDR" --unit 9 --address 100 --count 20 &&
		(($(field 'd["errors"]["exceptions"]') > 0)) && [[ $(field 'd["responses_ok"]') == 0 ]]
}

# FC 06 writes spread over 100-119: each register then holds what a write
# put there, not its address any more.
writes_spread() {
	bench 0 --host "$MBNET_SRV_ADDR" --unit 5 --address 100 --count 20 --mix fc6=1,fc3:5=1 \
		--no-check --pipeline 4 &&
		"$CTL" --name "$NAME" get --json --unit 5 hr 100 20 >"$WORK/regs.json" &&
		/usr/bin/python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))["ranges"][0]["values"]
same = [100 + i for i, x in enumerate(v) if x == 100 + i]
print("still holding their address:", same)
sys.exit(len(v) != 20 or len(same) > 1)' "$WORK/regs.json"
}

# --engine: the engine's busy share over the measured window, from its
# telemetry. Busy polling runs its core at 100 % whatever the load, so the
# share must come from its empty loops: a lone connection at depth 1 through
# a sleeping kernel client leaves it waiting most of the time, so it did not
# set the pace (the socket master does not measure itself, so no side is
# named).
engine_busy_read() {
	bench 0 --host "$MBNET_SRV_ADDR" --unit 5 --address 100 --count 20 --no-check \
		--duration 0.5 --engine "$NAME" &&
		/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print("engine_busy", d["engine_busy"], "pace", d.get("pace"))
sys.exit(not (0 < d["engine_busy"] < 0.9 and "pace" not in d))' "$WORK/b.json"
}

engine_unknown_refused() {
	mbnet_cli "$BENCH" --host "$MBNET_SRV_ADDR" --engine "no-such-$$" --duration 0.1 2>"$WORK/e.err"
	local rc=$?
	cat "$WORK/e.err"
	((rc == 2)) && [[ $(wc -l <"$WORK/e.err") == 1 ]] && grep -q "no-such-$$" "$WORK/e.err"
}

no_host_fails() {
	bench 1 --host "$NOBODY" --duration 0.1 && [[ $(field 'd["answered"]') == 0 ]]
}

# A kernel listener that takes the connection and never answers.
silent_server_fails() {
	mbnet_spawn "$MBNET_SRV_NS" "$WORK/silent.log" /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 1502))
s.listen()
print("listening", flush=True)
c, _ = s.accept()
time.sleep(10)' "$MBNET_SRV_ADDR"
	mbnet_wait_line "$WORK/silent.log" '^listening' 5 "$MBNET_LAST_PID" &&
		bench 1 --host "$MBNET_SRV_ADDR" --port 1502 --duration 0.1 &&
		(($(field 'd["requests"]') > 0)) && [[ $(field 'd["answered"]') == 0 ]] &&
		(($(field 'd["errors"]["unanswered"]') > 0))
}

it_net_setup mbxB
# The model's device on the server's address of the family.
sed "s/198\.18\.0\.1/$MBNET_SRV_ADDR/" "$HERE/bench_model.yaml" >"$WORK/model.yaml"
if start_server "$WORK/mbxdp.log" --name "$NAME" --config "$WORK/model.yaml"; then
	check "--unit 5 --address 100 --count 20: answered, values checked" in_range_checked
	check "the default range on a small map: exceptions, exit 1" default_range_exceptions
	check "--unit of a unit the model lacks: exceptions, exit 1" unknown_unit_exceptions
	check "--no-check writes spread over every address of the range" writes_spread
	check "--engine NAME: the engine's busy share, low for one sleeping client" engine_busy_read
	check "--engine of no running engine: one line, exit 2" engine_unknown_refused
	check "mbxdp stops cleanly" stop_server
else
	fail "mbxdp did not start"
	indent "$WORK/mbxdp.log"
fi
check "no host at the address: exit 1 after 0.1 s" no_host_fails
check "a server that never answers: exit 1 after 0.1 s" silent_server_fails
FINISHED=1
((FAILED == 0))
