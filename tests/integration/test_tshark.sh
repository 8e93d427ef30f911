#!/bin/bash
# Integration test: every frame of a run of mbxdp over AF_XDP, captured on
# the client's end of the veth and dissected by tshark. The clients are
# pymodbus (every code it has), libmodbus (01-06, 0F, 10, 11, 16, 17) and
# mbpoll (01-06, 0F, 10). The capture must hold no malformed frame and no
# expert info of severity warning or error (checksums verified), a decoded
# response for every function code the clients used, and exactly the frames
# and ADUs mbxdp counted.
#
#   tests/integration/test_tshark.sh BUILD_DIR
#
# Needs root. Prints PASS/FAIL per step and ends with "N passed, N failed";
# exits non-zero on any failure. Bounded by MBXDP_IT_TIMEOUT seconds
# (default 85).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=85
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"
# Responses the three clients must have got, by function code (hex).
WANT_FC=01,02,03,04,05,06,07,08,0B,0C,0F,10,11,14,15,16,17,18,2B

require "$MBXDP" "$LIBMODBUS_CLIENT" mbpoll tshark dumpcap ethtool /usr/bin/python3

# mbpoll: one poll per table, then each kind of write (FC 05, 0F, 06, 10).
# (Called through check(), which shellcheck cannot follow.)
# shellcheck disable=SC2317
mbpoll_run() {
	local t out n
	for t in 0 1 3 4; do
		out=$(mbnet_cli timeout 10 mbpoll -m tcp -a 1 -1 -o 2 -0 -t "$t" -r 5000 -c 10 \
			"$MBNET_SRV_ADDR") || { echo "mbpoll -t $t read failed: $out"; return 1; }
		n=$(grep -cE '^\[[0-9]+\]:' <<<"$out")
		((n == 10)) || { echo "mbpoll -t $t: $n values printed, want 10"; return 1; }
	done
	for t in "0 1" "0 1 0 1 1" "4 4321" "4 11 22 33"; do
		# shellcheck disable=SC2086 # table and values are separate words
		set -- $t
		out=$(mbnet_cli timeout 10 mbpoll -m tcp -a 1 -1 -o 2 -0 -t "$1" -r 5000 \
			"$MBNET_SRV_ADDR" "${@:2}") || { echo "mbpoll -t $t write failed: $out"; return 1; }
		grep -q "^Written $(($# - 1)) references" <<<"$out" ||
			{ echo "mbpoll -t $1 write of $(($# - 1)): $out"; return 1; }
	done
	echo "mbpoll: 4 reads and 4 writes done"
}

mbnet_setup mbxV
echo "server $MBNET_SRV_NS/$MBNET_SRV_IF $MBNET_SRV_ADDR, client $MBNET_CLI_NS/$MBNET_CLI_IF $MBNET_CLI_ADDR"

check "the checker catches a damaged capture (self-test)" \
	timeout 30 /usr/bin/python3 "$HERE/dissect_check.py" --self-test "$WORK"

# dumpcap is tshark's capture engine; it starts before mbxdp so the first
# frame of the run is in the capture.
mbnet_spawn "$MBNET_CLI_NS" "$WORK/dumpcap.log" dumpcap -i "$MBNET_CLI_IF" -w "$WORK/run.pcapng"
DUMPCAP_PID=$MBNET_LAST_PID
if ! mbnet_wait_line "$WORK/dumpcap.log" '^Capturing on' 15 "$DUMPCAP_PID"; then
	fail "dumpcap captures on $MBNET_CLI_IF"
	indent "$WORK/dumpcap.log"
	exit 1
fi
if ! start_server "$WORK/mbxdp.log"; then
	fail "mbxdp starts and prints 'mbxdp: serving'"
	exit 1
fi
pass "mbxdp starts and prints 'mbxdp: serving'"

check "libmodbus client (FC 01-06, 0F, 10, 11, 16, 17)" \
	mbnet_cli timeout 30 "$LIBMODBUS_CLIENT" "$MBNET_SRV_ADDR"
check "pymodbus client (every code it has)" \
	mbnet_cli timeout 40 /usr/bin/python3 "$HERE/clients/pymodbus_client.py" "$MBNET_SRV_ADDR"
check "mbpoll reads and writes" mbpoll_run

# The last client's closing handshake may still be in flight.
sleep 0.5
check "mbxdp exits 0 on SIGINT and prints its counters" stop_server
# Anything still on the wire has arrived once mbxdp is gone; dumpcap
# flushes on SIGTERM and reports what it got and dropped.
sleep 0.3
kill -TERM "$DUMPCAP_PID"
mbnet_wait_exit "$DUMPCAP_PID" 10
if grep -qE "^Packets received/dropped on interface '$MBNET_CLI_IF': [0-9]+/0 " "$WORK/dumpcap.log"; then
	pass "dumpcap dropped no frame"
else
	fail "dumpcap dropped no frame"
	indent "$WORK/dumpcap.log"
fi

# Its counts are worth seeing on a pass too.
STEP="tshark: no malformed frame, no expert warning, every code answered, counts match mbxdp's"
if timeout 60 /usr/bin/python3 "$HERE/dissect_check.py" "$WORK/run.pcapng" \
	--server "$MBNET_SRV_ADDR" --counters "$WORK/mbxdp.log" --want-fc "$WANT_FC" >"$WORK/dissect.log" 2>&1; then
	pass "$STEP"
else
	fail "$STEP"
fi
indent "$WORK/dissect.log"

FINISHED=1
exit $((FAILED > 0))
