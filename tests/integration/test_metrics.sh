#!/bin/bash
# Integration test: Prometheus scrapes a serving mbxdp through
# `mbxdp-ctl serve`, and the XDP program's counters are live.
#
#   tests/integration/test_metrics.sh BUILD_DIR
#
# mbxdp serves on AF_XDP in one namespace; `mbxdp-ctl serve` listens on the
# server's address; curl scrapes /metrics from the client namespace before
# and after mbpoll's requests. Checks that `promtool check metrics` passes
# with no warning, that the XDP counters (and the Modbus ones) moved between
# the scrapes while mbxdp ran, that `mbxdp-ctl stats` shows them too, that
# other paths get 404 and other methods 405, that a stopped engine reads as
# 503; and that an interface named with a quote and a control character
# reaches `mbxdp-ctl stats --json` intact. Needs root. Prints PASS/FAIL per
# step and ends with "N passed, N failed".
# shellcheck disable=SC2317 # steps are called through check()
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=100
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
CTL=$BUILD/tools/ctl/mbxdp-ctl
require "$MBXDP" "$CTL" curl promtool mbpoll

# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"

NAME=mbxdp-metrics-$$
PORT=9502
URL=http://198.18.0.1:$PORT

# json FIELD-EXPRESSION: a value of `mbxdp-ctl stats --json`.
json() {
	"$CTL" --name "$NAME" stats --json |
		/usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); print('"$1"')'
}

# scrape FILE: GET /metrics from the client namespace; true on 200.
scrape() {
	[[ $(mbnet_cli curl -s -m 5 -o "$1" -w '%{http_code}' "$URL/metrics") == 200 ]]
}

# metric FILE NAME: the value of an unlabelled-but-name sample.
metric() {
	sed -n "s/^$2{name=\"$NAME\"} //p" "$1"
}

# promtool reads the exposition from stdin; it must pass and say nothing.
promtool_clean() { # FILE
	local out rc
	out=$(promtool check metrics <"$1" 2>&1)
	rc=$?
	[[ -n $out ]] && echo "$out"
	((rc == 0)) && [[ -z $out ]]
}

first_scrape_clean() {
	scrape "$WORK/m1.txt" && promtool_clean "$WORK/m1.txt" &&
		grep -q "^# HELP mbxdp_xdp_steered_total " "$WORK/m1.txt"
}

# Five reads of holding registers (FC 03) by mbpoll, each on its own
# connection; the counters are published every 100 ms: wait (bounded) until
# every request shows.
traffic_counted() {
	local i
	for i in 1 2 3 4 5; do
		mbnet_cli timeout 20 mbpoll -m tcp -o 5 -a 1 -r 1 -c 5 -t 4 -1 "$MBNET_SRV_ADDR" >/dev/null || return 1
	done
	for ((i = 0; i < 100; i++)); do
		[[ $(json 'd["counters"]["mb_requests"]') == 5 ]] && return 0
		sleep 0.1
	done
	return 1
}

# What moved between the two scrapes: the XDP program's own counters (the
# frames of five connections steered) and the engine's.
counters_moved() {
	scrape "$WORK/m2.txt" && promtool_clean "$WORK/m2.txt" || return 1
	local s1 s2
	s1=$(metric "$WORK/m1.txt" mbxdp_xdp_steered_total)
	s2=$(metric "$WORK/m2.txt" mbxdp_xdp_steered_total)
	echo "mbxdp_xdp_steered_total $s1 -> $s2"
	[[ -n $s1 && -n $s2 ]] && ((s2 >= s1 + 15)) &&
		[[ $(metric "$WORK/m2.txt" mbxdp_modbus_requests_total) == 5 ]] &&
		grep -qx "mbxdp_modbus_function_requests_total{name=\"$NAME\",function=\"03\"} 5" "$WORK/m2.txt" &&
		grep -qx "mbxdp_processing_seconds_count{name=\"$NAME\"} 5" "$WORK/m2.txt" &&
		grep -qx "mbxdp_up{name=\"$NAME\"} 1" "$WORK/m2.txt"
}

stats_show_xdp() {
	(($(json 'd["xdp"]["xdp_steered"]') >= 15)) &&
		"$CTL" --name "$NAME" stats | grep -Eq '^ +xdp_steered +[0-9]+$'
}

http_codes() {
	local nf post
	nf=$(mbnet_cli curl -s -m 5 -o /dev/null -w '%{http_code}' "$URL/")
	post=$(mbnet_cli curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST -d x "$URL/metrics")
	echo "GET / -> $nf, POST /metrics -> $post"
	[[ $nf == 404 && $post == 405 ]]
}

stopped_is_503() {
	stop_server &&
		[[ $(mbnet_cli curl -s -m 5 -o /dev/null -w '%{http_code}' "$URL/metrics") == 503 ]]
}

# IPv6 listen syntax, on the namespace's loopback.
serves_ipv6() {
	mbnet_spawn "$MBNET_SRV_NS" "$WORK/serve6.log" "$CTL" --name "$NAME" serve --listen "[::1]:$PORT"
	mbnet_wait_line "$WORK/serve6.log" '^mbxdp-ctl: serving' 5 "$MBNET_LAST_PID" &&
		[[ $(ip netns exec "$MBNET_SRV_NS" curl -s -m 5 -o /dev/null -w '%{http_code}' \
			"http://[::1]:$PORT/metrics") == 200 ]]
}

# An interface may be named with a quote and a control character; its name
# is in what mbxdp-ctl reports, and must come out of the JSON as it went in.
odd_name_round_trips() {
	local odd=$'q"\x01\\i' log=$WORK/odd.log pid ok=1
	ip -n "$MBNET_SRV_NS" link add "$odd" type veth peer name "mx$$p" || return 1
	ip -n "$MBNET_SRV_NS" link set "$odd" up
	mbnet_spawn "$MBNET_SRV_NS" "$log" "$MBXDP" --iface "$odd" --xdp-mode generic --name "$NAME-odd"
	pid=$MBNET_LAST_PID
	mbnet_wait_line "$log" '^mbxdp: serving' 15 "$pid" &&
		"$CTL" --name "$NAME-odd" stats --json >"$WORK/odd.json" &&
		/usr/bin/python3 -c 'import json, sys; sys.exit(not json.load(open(sys.argv[1]))["serving"].startswith(sys.argv[2] + " queue 0"))' \
			"$WORK/odd.json" "$odd" || ok=0
	kill -INT "$pid"
	mbnet_wait_exit "$pid" 15 && ((MBNET_EXIT_STATUS == 0)) || ok=0
	((ok)) || indent "$log" "$WORK/odd.json"
	((ok))
}

mbnet_setup mbxM
if start_server "$WORK/mbxdp.log" --name "$NAME"; then
	mbnet_spawn "$MBNET_SRV_NS" "$WORK/serve.log" "$CTL" --name "$NAME" serve --listen "198.18.0.1:$PORT"
	if mbnet_wait_line "$WORK/serve.log" '^mbxdp-ctl: serving' 5 "$MBNET_LAST_PID"; then
		check "the first scrape passes promtool check metrics with no warning" first_scrape_clean
		check "mbpoll's requests are counted" traffic_counted
		check "the XDP counters moved between scrapes, promtool still clean" counters_moved
		check "mbxdp-ctl stats shows the live XDP counters" stats_show_xdp
		check "other paths get 404, other methods 405" http_codes
		check "listens on [::1]" serves_ipv6
		check "a stopped engine is answered with 503" stopped_is_503
	else
		fail "mbxdp-ctl serve did not start"
		indent "$WORK/serve.log"
	fi
else
	fail "mbxdp did not start"
	indent "$WORK/mbxdp.log"
fi
check "an interface named with a quote and a control character round-trips through JSON" odd_name_round_trips
FINISHED=1
((FAILED == 0))
