#!/bin/bash
# Integration test: mbxdp serving Modbus/TCP over AF_XDP on a veth pair
# between two network namespaces, in native and in generic XDP mode, checked
# by four independent clients (raw sockets, libmodbus, pymodbus, mbpoll), a
# run of 5,000 connect/request/close cycles, a clean SIGINT shutdown, and
# recovery from kill -9 (restart over the leftover program, --detach).
#
#   tests/integration/test_afxdp.sh BUILD_DIR
#
# Needs root. Prints PASS/FAIL per step and ends with "N passed, N failed";
# exits non-zero on any failure. MBXDP_IT_PCAP=DIR also writes a client-side
# capture per mode to DIR. The whole run is bounded by MBXDP_IT_TIMEOUT
# seconds (default 300).
#
# Step functions are called through check() and the trap, which shellcheck
# cannot follow:
# shellcheck disable=SC2317
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=300
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"
CYCLES=5000

require "$MBXDP" "$LIBMODBUS_CLIENT" mbpoll ethtool /usr/bin/python3

# (2>/dev/null: bash's "Killed" notice for a process killed on purpose)
kill9_server() {
	{
		kill -KILL "$SERVER_PID"
		mbnet_wait_exit "$SERVER_PID" 5
	} 2>/dev/null
}

# mbpoll prints one "[ref]: value" line per value read; print "ref=value ...".
mbpoll_read() {
	mbnet_cli timeout 10 mbpoll -m tcp -a 1 -1 -o 2 "$@" "$MBNET_SRV_ADDR" |
		sed -nE 's/^\[([0-9]+)\]:[[:space:]]+([0-9]+).*/\1=\2/p' | tr '\n' ' '
}

mbpoll_write() {
	mbnet_cli timeout 10 mbpoll -m tcp -a 1 -1 -o 2 "$@" | grep -q '^Written [0-9]* references'
}

# expect_refs FIRST_REF COUNT FIRST_ADDR KIND : the "ref=value" list of
# the default image; KIND reg: value = address, bit: value = address & 1.
expect_refs() {
	local ref=$1 n=$2 addr=$3 kind=$4 i out=
	for ((i = 0; i < n; i++)); do
		if [[ $kind == reg ]]; then
			out+="$((ref + i))=$((addr + i)) "
		else
			out+="$((ref + i))=$(((addr + i) & 1)) "
		fi
	done
	echo "$out"
}

mbpoll_checks() {
	local got want a=4000
	# Default 1-based references: reference 1 is address 0.
	got=$(mbpoll_read -t 4 -r 1 -c 10)
	want=$(expect_refs 1 10 0 reg)
	[[ $got == "$want" ]] || { echo "FC03 -r 1 -c 10: got '$got', want '$want'"; return 1; }
	got=$(mbpoll_read -t 3 -0 -r 100 -c 5)
	want=$(expect_refs 100 5 100 reg)
	[[ $got == "$want" ]] || { echo "FC04 -0 -r 100 -c 5: got '$got', want '$want'"; return 1; }
	got=$(mbpoll_read -t 0 -0 -r "$a" -c 8)
	want=$(expect_refs "$a" 8 "$a" bit)
	[[ $got == "$want" ]] || { echo "FC01 -0 -r $a -c 8: got '$got', want '$want'"; return 1; }
	got=$(mbpoll_read -t 1 -0 -r 4001 -c 8)
	want=$(expect_refs 4001 8 4001 bit)
	[[ $got == "$want" ]] || { echo "FC02 -0 -r 4001 -c 8: got '$got', want '$want'"; return 1; }

	mbpoll_write -t 4 -0 -r "$a" "$MBNET_SRV_ADDR" 1234 || { echo "FC06 write 1234 at $a failed"; return 1; }
	got=$(mbpoll_read -t 4 -0 -r "$a" -c 2)
	[[ $got == "$a=1234 $((a + 1))=$((a + 1)) " ]] || { echo "FC06 read back: got '$got'"; return 1; }
	mbpoll_write -t 4 -0 -r $((a + 2)) "$MBNET_SRV_ADDR" 11 22 33 || { echo "FC10 write at $((a + 2)) failed"; return 1; }
	got=$(mbpoll_read -t 4 -0 -r $((a + 2)) -c 3)
	[[ $got == "$((a + 2))=11 $((a + 3))=22 $((a + 4))=33 " ]] || { echo "FC10 read back: got '$got'"; return 1; }
	mbpoll_write -t 4 -0 -r "$a" "$MBNET_SRV_ADDR" "$a" $((a + 1)) $((a + 2)) $((a + 3)) $((a + 4)) ||
		{ echo "FC10 restore failed"; return 1; }
	got=$(mbpoll_read -t 4 -0 -r "$a" -c 5)
	want=$(expect_refs "$a" 5 "$a" reg)
	[[ $got == "$want" ]] || { echo "restore read back: got '$got', want '$want'"; return 1; }

	mbpoll_write -t 0 -0 -r "$a" "$MBNET_SRV_ADDR" 1 || { echo "FC05 ON at $a failed"; return 1; }
	got=$(mbpoll_read -t 0 -0 -r "$a" -c 2)
	[[ $got == "$a=1 $((a + 1))=1 " ]] || { echo "FC05 read back: got '$got'"; return 1; }
	mbpoll_write -t 0 -0 -r "$a" "$MBNET_SRV_ADDR" 0 || { echo "FC05 OFF at $a failed"; return 1; }
	got=$(mbpoll_read -t 0 -0 -r "$a" -c 2)
	[[ $got == "$a=0 $((a + 1))=1 " ]] || { echo "FC05 OFF read back: got '$got'"; return 1; }
	echo "mbpoll: all checks passed"
}

# One mode: the four clients, the cycles, then a clean SIGINT shutdown.
run_mode() {
	local mode=$1 pcap_pid=
	echo "== XDP mode $mode"
	if [[ -n ${MBXDP_IT_PCAP:-} ]]; then
		mkdir -p "$MBXDP_IT_PCAP"
		mbnet_spawn "$MBNET_CLI_NS" "$WORK/tshark-$mode.log" \
			tshark -q -i "$MBNET_CLI_IF" -w "$MBXDP_IT_PCAP/$mode.pcap"
		pcap_pid=$MBNET_LAST_PID
		mbnet_wait_line "$WORK/tshark-$mode.log" 'Capturing on' 10 "$pcap_pid"
	fi
	if ! start_server "$WORK/mbxdp-$mode.log" --xdp-mode "$mode"; then
		fail "$mode: mbxdp starts and prints 'mbxdp: serving'"
		kill -TERM "$SERVER_PID" 2>/dev/null
		mbnet_wait_exit "$SERVER_PID" 10
		return
	fi
	pass "$mode: mbxdp starts and prints 'mbxdp: serving'"
	if mbnet_xdp_attached; then
		pass "$mode: XDP program attached to $MBNET_SRV_IF while serving"
	else
		fail "$mode: XDP program attached to $MBNET_SRV_IF while serving"
	fi

	check "$mode: raw socket client (all FCs, exceptions, pipelining, split ADU)" \
		mbnet_cli timeout 60 /usr/bin/python3 "$HERE/clients/mb_socket_client.py" "$MBNET_SRV_ADDR"
	check "$mode: libmodbus client (FC 01-06, 0F, 10, 11, 16, 17 with read-back)" \
		mbnet_cli timeout 60 "$LIBMODBUS_CLIENT" "$MBNET_SRV_ADDR"
	check "$mode: pymodbus client (every code it has, with read-back)" \
		mbnet_cli timeout 60 /usr/bin/python3 "$HERE/clients/pymodbus_client.py" "$MBNET_SRV_ADDR"
	check "$mode: mbpoll reads and writes" mbpoll_checks
	check "$mode: $CYCLES connect/request/close cycles all succeed" \
		mbnet_cli timeout 180 "$LIBMODBUS_CLIENT" "$MBNET_SRV_ADDR" --cycles "$CYCLES"
	grep '^cycles:' "$WORK/step.log" | indent

	# The last client's closing handshake may still be in flight.
	sleep 0.5
	kill -INT "$SERVER_PID"
	if mbnet_wait_exit "$SERVER_PID" 10 && ((MBNET_EXIT_STATUS == 0)); then
		pass "$mode: mbxdp exits 0 on SIGINT"
	else
		fail "$mode: mbxdp exits 0 on SIGINT (status ${MBNET_EXIT_STATUS:-still running})"
		indent "$SERVER_LOG"
	fi
	if grep -qx 'open_connections 0' "$SERVER_LOG"; then
		pass "$mode: counters report open_connections 0"
	else
		fail "$mode: counters report open_connections 0; its output:"
		indent "$SERVER_LOG"
	fi
	if mbnet_xdp_attached; then
		fail "$mode: no XDP program left on $MBNET_SRV_IF after SIGINT"
	else
		pass "$mode: no XDP program left on $MBNET_SRV_IF after SIGINT"
	fi
	if [[ -n $pcap_pid ]]; then
		kill -TERM "$pcap_pid"
		mbnet_wait_exit "$pcap_pid" 10
	fi
}

# kill -9 leaves whatever the kernel keeps (the XDP program); a new mbxdp
# must still start over it, and --detach must remove it.
run_kill9() {
	echo "== recovery after kill -9"
	if ! start_server "$WORK/mbxdp-kill9-1.log"; then
		fail "kill -9: first mbxdp starts"
		kill9_server
		return
	fi
	kill9_server
	if mbnet_xdp_attached; then
		echo "    (an XDP program is left on $MBNET_SRV_IF after kill -9)"
	fi
	if start_server "$WORK/mbxdp-kill9-2.log"; then
		pass "kill -9: a new mbxdp starts over the leftover"
		check "kill -9: the new mbxdp serves (20 cycles)" \
			mbnet_cli timeout 60 "$LIBMODBUS_CLIENT" "$MBNET_SRV_ADDR" --cycles 20
	else
		fail "kill -9: a new mbxdp starts over the leftover"
	fi
	kill9_server
	# A crash is not a kill -9: the fatal-signal handler takes the program
	# off before the process dies.
	if start_server "$WORK/mbxdp-crash.log"; then
		kill -SEGV "$SERVER_PID"
		mbnet_wait_exit "$SERVER_PID" 10
		if mbnet_xdp_attached; then
			fail "crash (SIGSEGV): the XDP program is taken off"
			ip netns exec "$MBNET_SRV_NS" timeout 20 "$MBXDP" --detach --iface "$MBNET_SRV_IF" >/dev/null
		else
			pass "crash (SIGSEGV): the XDP program is taken off"
		fi
		start_server "$WORK/mbxdp-kill9-3.log" && kill9_server
	else
		fail "crash (SIGSEGV): mbxdp starts"
	fi
	check "kill -9: mbxdp --detach --iface exits 0" \
		ip netns exec "$MBNET_SRV_NS" timeout 20 "$MBXDP" --detach --iface "$MBNET_SRV_IF"
	if mbnet_xdp_attached; then
		fail "kill -9: no XDP program left after --detach"
	else
		pass "kill -9: no XDP program left after --detach"
	fi
}

# What a user sees when something is wrong: one clear line and exit 1 (2
# for usage), never an XDP program left behind; and damaged frames on the
# wire dropped and counted, never answered.
expect_error() { # STATUS REGEX cmd...
	local status=$1 regex=$2 rc=0
	shift 2
	"$@" >"$WORK/err.log" 2>&1 || rc=$?
	cat "$WORK/err.log"
	[[ $rc -eq $status ]] || { echo "exit $rc, want $status"; return 1; }
	grep -Eq "$regex" "$WORK/err.log" || { echo "no line matching '$regex'"; return 1; }
}

run_errors() {
	echo "== errors and bad input"
	check "usage error exits 2 with a message" \
		expect_error 2 'wants a number' timeout 10 "$MBXDP" --iface lo --queue x
	check "a missing interface is named" \
		expect_error 1 'no such interface: mbxnosuch0' \
		ip netns exec "$MBNET_SRV_NS" timeout 10 "$MBXDP" --iface mbxnosuch0
	check "missing privileges are named" \
		expect_error 1 'needs root' ip netns exec "$MBNET_SRV_NS" timeout 10 \
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		"$MBXDP" --iface "$MBNET_SRV_IF"
	if mbnet_xdp_attached; then
		fail "no XDP program left by the failed starts"
	else
		pass "no XDP program left by the failed starts"
	fi
	if ! start_server "$WORK/mbxdp-errors.log"; then
		fail "errors: mbxdp starts"
		return
	fi
	check "a second mbxdp on the same interface is refused" \
		expect_error 1 'already' ip netns exec "$MBNET_SRV_NS" timeout 20 "$MBXDP" --iface "$MBNET_SRV_IF"
	check "damaged frames are not answered, a good SYN is" \
		mbnet_cli timeout 30 /usr/bin/python3 "$HERE/clients/bad_frames.py" "$MBNET_CLI_IF" "$MBNET_SRV_ADDR"
	check "the first mbxdp still serves (20 cycles)" \
		mbnet_cli timeout 60 "$LIBMODBUS_CLIENT" "$MBNET_SRV_ADDR" --cycles 20
	sleep 0.5
	kill -INT "$SERVER_PID"
	mbnet_wait_exit "$SERVER_PID" 10
	if grep -qx 'drop_tcp_bad_csum 1' "$SERVER_LOG" && grep -qx 'drop_ip_bad_csum 1' "$SERVER_LOG" &&
		grep -qx 'drop_short_frame 1' "$SERVER_LOG"; then
		pass "the damaged frames are counted under their reasons"
	else
		fail "the damaged frames are counted under their reasons; counters:"
		grep -E '^drop_' "$SERVER_LOG" | indent
	fi
}

mbnet_setup mbit
echo "server $MBNET_SRV_NS/$MBNET_SRV_IF $MBNET_SRV_ADDR, client $MBNET_CLI_NS/$MBNET_CLI_IF $MBNET_CLI_ADDR"

check "mbxdp --version" timeout 10 "$MBXDP" --version
check "mbxdp --help" timeout 10 "$MBXDP" --help
for mode in native generic; do
	run_mode "$mode"
done
run_kill9
run_errors

FINISHED=1
exit $((FAILED > 0))
