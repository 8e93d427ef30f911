#!/bin/bash
# Integration test: mbxdp serving Modbus/TCP to a kernel client over a veth
# pair between two network namespaces, checked by four independent clients
# (raw sockets, libmodbus, pymodbus, mbpoll), a run of 5,000
# connect/request/close cycles, damaged frames, errors and a clean SIGINT
# shutdown, on one backend:
#
#   afxdp        AF_XDP, native and generic XDP mode; also recovery from
#                kill -9 (restart over the leftover program, --detach)
#   dpdk-af_xdp  DPDK's net_af_xdp on the veth, loading mbxdp_steer.bpf.o
#   dpdk-tap     DPDK's net_tap, the tap bridged to the veth; the stack owns
#                the server address (--address): ARP and ping are its own
#
# DPDK runs without hugepages (--no-huge).
#
#   tests/integration/test_afxdp.sh BUILD_DIR [BACKEND]   (default afxdp)
#
# With MBXDP_IT_FAMILY=6 the clients, the cycles, ping and the queues run
# over IPv6 (2001:2::1 served, 2001:2::2 the client); the restarts, the
# start-up errors and the damaged frames, which no address family changes,
# are IPv4's alone.
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

BACKEND=${2:-afxdp}
case $BACKEND in
afxdp | dpdk-af_xdp | dpdk-tap) ;;
*) echo "test_afxdp: unknown backend '$BACKEND' (afxdp, dpdk-af_xdp, dpdk-tap)" >&2; exit 2 ;;
esac
STEER_OBJ=$BUILD/xdp/mbxdp_steer.bpf.o
EAL_ARGS=(--no-huge --no-pci -m 512 --no-shconf --no-telemetry)
# In a sanitizer build: DPDK 22.11's net_af_xdp never frees the BPF object
# it loads for xdp_prog= nor its umem bookkeeping; LeakSanitizer is told
# so (tests/integration/dpdk-lsan.supp). Full stacks (no fast unwinding
# through the libraries, which have no frame pointers) let the suppression
# name the driver and nothing of ours.
if [[ $BACKEND == dpdk-* ]]; then
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0
	export LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$HERE/dpdk-lsan.supp
fi

require "$MBXDP" "$LIBMODBUS_CLIENT" "$STEER_OBJ" mbpoll ethtool /usr/bin/python3

# The mbxdp command line of this backend, with mbxdp options "$@"
# (start_server in steps.sh runs it). A DPDK engine's default telemetry
# name is the same for every DPDK port, and /dev/shm is the host's: each
# start gets a name of its own, so runs elsewhere on the host and a second
# engine started on purpose meet the check the step is about, not the name.
SERVER_SEQ=0
server_cmd() {
	local name=mbxit-$$-$((++SERVER_SEQ))
	SERVER_NAME=$name
	case $BACKEND in
	afxdp) SERVER_CMD=("$MBXDP" --iface "$MBNET_SRV_IF" "$@") ;;
	dpdk-af_xdp)
		SERVER_CMD=("$MBXDP" --dpdk --name "$name" "$@" -- "${EAL_ARGS[@]}"
			--vdev "net_af_xdp0,iface=$MBNET_SRV_IF,xdp_prog=$STEER_OBJ") ;;
	dpdk-tap)
		SERVER_CMD=("$MBXDP" --dpdk --name "$name" --address "$MBNET_SRV_ADDR" "$@" --
			"${EAL_ARGS[@]}" --vdev "net_tap0,iface=$TAP_IF") ;;
	esac
}

# The tap exists from mbxdp's start to its exit. net_tap gives the
# kernel's end of the tap the DPDK port's own MAC, which a bridge would
# take for its own and never forward; so the kernel's end gets another.
server_started() {
	[[ $BACKEND != dpdk-tap ]] ||
		ip -n "$MBNET_SRV_NS" link set "$TAP_IF" address 02:00:00:00:00:fe master "$TAP_BR"
}

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

# A backend with an XDP program in front of the served interface.
has_xdp() {
	[[ $BACKEND != dpdk-tap ]]
}

# The stack answers ARP or the Neighbor Solicitation, then the ICMP or
# ICMPv6 echo itself when it owns the address: 3 of 3, the data intact.
ping_check() {
	mbnet_cli timeout 20 ping -n -c 3 -W 2 "$MBNET_SRV_ADDR" >"$WORK/ping.log" 2>&1
	cat "$WORK/ping.log"
	grep -q '3 packets transmitted, 3 received' "$WORK/ping.log" && ! grep -q 'wrong data' "$WORK/ping.log"
}

# The server's MAC as the client's kernel resolves it.
server_mac() {
	mbnet_cli ping -n -c 1 -W 2 "$MBNET_SRV_ADDR" >/dev/null
	mbnet_cli ip neigh show "$MBNET_SRV_ADDR" dev "$MBNET_CLI_IF" | sed -n 's/.* lladdr \([0-9a-f:]*\) .*/\1/p'
}

# One mode (an XDP mode on AF_XDP, the backend's name otherwise): the four
# clients, the cycles, then a clean SIGINT shutdown.
run_mode() {
	local mode=$1 pcap_pid='' mode_args=()
	[[ $BACKEND == afxdp ]] && mode_args=(--xdp-mode "$mode")
	echo "== $mode"
	if [[ -n ${MBXDP_IT_PCAP:-} ]]; then
		mkdir -p "$MBXDP_IT_PCAP"
		mbnet_spawn "$MBNET_CLI_NS" "$WORK/tshark-$mode.log" \
			tshark -q -i "$MBNET_CLI_IF" -w "$MBXDP_IT_PCAP/$mode.pcap"
		pcap_pid=$MBNET_LAST_PID
		mbnet_wait_line "$WORK/tshark-$mode.log" 'Capturing on' 10 "$pcap_pid"
	fi
	if ! start_server "$WORK/mbxdp-$mode.log" "${mode_args[@]}"; then
		fail "$mode: mbxdp starts and prints 'mbxdp: serving'"
		kill -TERM "$SERVER_PID" 2>/dev/null
		mbnet_wait_exit "$SERVER_PID" 10
		return
	fi
	pass "$mode: mbxdp starts and prints 'mbxdp: serving'"
	if ! has_xdp; then
		check "$mode: the stack answers ping for its --address" ping_check
	elif mbnet_xdp_attached; then
		pass "$mode: XDP program attached to $MBNET_SRV_IF while serving"
	else
		fail "$mode: XDP program attached to $MBNET_SRV_IF while serving"
	fi

	# First, before any client: the first connection to an address is
	# the one that finds nothing of the address's yet.
	check "$mode: a handshake's last ACK and the first request in one burst: answered once, closed" \
		mbnet_cli timeout 30 /usr/bin/python3 "$HERE/clients/burst_open.py" "$MBNET_CLI_IF" \
		"$MBNET_SRV_ADDR" "$(server_mac)" "$SCAPY_SRC" "$SERVER_PID"
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
	check "$mode: mbxdp exits 0 on SIGINT" stop_server
	if grep -qx 'open_connections 0' "$SERVER_LOG"; then
		pass "$mode: counters report open_connections 0"
	else
		fail "$mode: counters report open_connections 0; its output:"
		indent "$SERVER_LOG"
	fi
	if ! has_xdp; then
		:
	elif mbnet_xdp_attached; then
		fail "$mode: no XDP program left on $MBNET_SRV_IF after SIGINT"
	else
		pass "$mode: no XDP program left on $MBNET_SRV_IF after SIGINT"
	fi
	if [[ -n $pcap_pid ]]; then
		kill -TERM "$pcap_pid"
		mbnet_wait_exit "$pcap_pid" 10
	fi
}

# The per-worker counters of the running engine: both queues carried
# traffic, and the sums are theirs (per_worker_check.py).
per_worker_sums() {
	sleep 0.3 # the counters are published every 100 ms
	ip netns exec "$MBNET_SRV_NS" timeout 10 "$BUILD/tools/ctl/mbxdp-ctl" --name "$SERVER_NAME" \
		stats --json --per-worker | /usr/bin/python3 "$HERE/per_worker_check.py" 2
}

# DPDK with two queue pairs: flows spread over two pinned workers, each
# connection served whole by one of them (RSS keeps a flow on one queue),
# all answering from one device model.
run_queues() {
	local n=400
	echo "== two queues"
	if ! start_server "$WORK/mbxdp-queues.log" --queues 2; then
		fail "--queues 2: mbxdp starts"
		return
	fi
	check "--queues 2: $n connections at once, all answered; each reads the write of the one before" \
		mbnet_cli timeout 60 /usr/bin/python3 "$HERE/clients/mq_client.py" "$MBNET_SRV_ADDR" \
		--conns "$n"
	check "--queues 2: both queues carried traffic; mbxdp-ctl's sums equal its per-worker counters" \
		per_worker_sums
	sleep 0.5
	kill -INT "$SERVER_PID"
	mbnet_wait_exit "$SERVER_PID" 10
	if grep -qx "conn_opened $n" "$SERVER_LOG" && grep -qx 'open_connections 0' "$SERVER_LOG" &&
		grep -Eq '^worker0_conn_opened [1-9]' "$SERVER_LOG" &&
		grep -Eq '^worker1_conn_opened [1-9]' "$SERVER_LOG"; then
		pass "--queues 2: both workers served connections, all closed"
	else
		fail "--queues 2: both workers served connections, all closed; counters:"
		grep -E '^(worker|conn_|open_)' "$SERVER_LOG" | indent
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
	grep -Eq -e "$regex" "$WORK/err.log" || { echo "no line matching '$regex'"; return 1; }
}

# The start-up errors of each backend.
startup_errors() {
	local nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all)
	case $BACKEND in
	afxdp)
		check "a missing interface is named" \
			expect_error 1 'no such interface: mbxnosuch0' \
			ip netns exec "$MBNET_SRV_NS" timeout 10 "$MBXDP" --iface mbxnosuch0
		check "missing privileges are named" \
			expect_error 1 'needs root' ip netns exec "$MBNET_SRV_NS" timeout 10 \
			"${nobody[@]}" "$MBXDP" --iface "$MBNET_SRV_IF"
		;;
	dpdk-*)
		check "an option of the other backend is refused" \
			expect_error 2 '--iface is for AF_XDP' timeout 10 "$MBXDP" --dpdk --iface lo -- "${EAL_ARGS[@]}"
		check "--queues all is refused with --dpdk" \
			expect_error 2 '--queues all is for AF_XDP' timeout 10 "$MBXDP" --dpdk --queues all -- \
			"${EAL_ARGS[@]}"
		check "an AF_XDP socket option is refused with --dpdk" \
			expect_error 2 '--zero-copy, --copy, --busy-poll, --rx-ring, --tx-ring or --frames is for AF_XDP' \
			timeout 10 "$MBXDP" --dpdk --busy-poll -- "${EAL_ARGS[@]}"
		check "a bad --address is named" \
			expect_error 2 "--address wants an IPv4 address or prefix .*, not '198.18.0.300'" \
			timeout 10 "$MBXDP" --dpdk --address 198.18.0.300 -- "${EAL_ARGS[@]}"
		check "a bad EAL argument is named" \
			expect_error 1 "EAL would not start.*unrecognized option '--mbxbogus'" \
			timeout 20 "$MBXDP" --dpdk -- "${EAL_ARGS[@]}" --mbxbogus
		check "no DPDK port is explained" \
			expect_error 1 'DPDK found no port: give a --vdev' \
			timeout 20 "$MBXDP" --dpdk -- "${EAL_ARGS[@]}"
		check "an unknown vdev is named" \
			expect_error 1 'net_mbxbogus0' \
			timeout 20 "$MBXDP" --dpdk -- "${EAL_ARGS[@]}" --vdev net_mbxbogus0
		check "missing privileges are named" \
			expect_error 1 'need root' ip netns exec "$MBNET_SRV_NS" timeout 20 \
			"${nobody[@]}" "${SERVER_CMD[@]}"
		;;
	esac
	if [[ $BACKEND == dpdk-af_xdp ]]; then
		check "a missing interface is named" \
			expect_error 1 'mbxnosuch0' ip netns exec "$MBNET_SRV_NS" timeout 20 \
			"$MBXDP" --dpdk -- "${EAL_ARGS[@]}" --vdev net_af_xdp0,iface=mbxnosuch0,xdp_prog="$STEER_OBJ"
	fi
}

run_errors() {
	echo "== errors and bad input"
	check "usage error exits 2 with a message" \
		expect_error 2 'wants a number' timeout 10 "$MBXDP" --iface lo --queue x
	server_cmd
	startup_errors
	if has_xdp && mbnet_xdp_attached; then
		fail "no XDP program left by the failed starts"
	elif has_xdp; then
		pass "no XDP program left by the failed starts"
	fi
	if ! start_server "$WORK/mbxdp-errors.log"; then
		fail "errors: mbxdp starts"
		return
	fi
	# A second net_tap of the same name is a different clash, not ours to test.
	if has_xdp; then
		server_cmd
		check "a second mbxdp on the same interface is refused" \
			expect_error 1 'an mbxdp is already running on|already in use by another AF_XDP socket' ip netns exec "$MBNET_SRV_NS" timeout 20 "${SERVER_CMD[@]}"
	fi
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

# net_tap: the server's kernel gives up its addresses to the stack, and a
# bridge joins the veth to the tap mbxdp creates at each start. Where
# br_netfilter is loaded, a bridge drops IPv4 frames with a bad checksum or
# length before they reach the tap (br_validate_ipv4), and the damaged
# frames must reach the stack: the namespace's bridges skip netfilter. The
# stack sends no MLD report, so the bridge must not snoop multicast: a
# Neighbor Solicitation to its solicited-node group would stop there.
setup_tap() {
	TAP_IF=mbxK$$t
	TAP_BR=mbxK$$b
	local f
	for f in bridge-nf-call-iptables bridge-nf-call-ip6tables; do
		if [[ -e /proc/sys/net/bridge/$f ]]; then
			ip netns exec "$MBNET_SRV_NS" sh -c "echo 0 >/proc/sys/net/bridge/$f" || return
		fi
	done
	# The address moves to the stack's MAC; the client may have learnt the
	# kernel's (mbnet_ipv6 pings it), and the stack's announcement at start
	# goes out before its tap is bridged: the client forgets what it knew.
	ip -n "$MBNET_SRV_NS" addr flush dev "$MBNET_SRV_IF" &&
		ip -n "$MBNET_CLI_NS" neigh flush dev "$MBNET_CLI_IF" &&
		ip -n "$MBNET_SRV_NS" link add "$TAP_BR" type bridge forward_delay 0 mcast_snooping 0 &&
		ip -n "$MBNET_SRV_NS" link set "$MBNET_SRV_IF" master "$TAP_BR" &&
		ip -n "$MBNET_SRV_NS" link set "$TAP_BR" up
}

it_net_setup mbit
# A client address scapy speaks TCP from: the client's kernel owns it not
# (and so sends no reset for what comes back to it).
if ((IT_FAMILY == 6)); then
	SCAPY_SRC=2001:2::99
else
	SCAPY_SRC=198.18.0.99
fi
echo "backend $BACKEND, IPv$IT_FAMILY: server $MBNET_SRV_NS/$MBNET_SRV_IF $MBNET_SRV_ADDR, client $MBNET_CLI_NS/$MBNET_CLI_IF $MBNET_CLI_ADDR"
if [[ $BACKEND == dpdk-tap ]] && ! setup_tap; then
	fail "bridge for the tap"
	exit 1
fi

check "mbxdp --version" timeout 10 "$MBXDP" --version
check "mbxdp --help" timeout 10 "$MBXDP" --help
if [[ $BACKEND == afxdp ]]; then
	for mode in native generic; do
		run_mode "$mode"
	done
	((IT_FAMILY == 4)) && run_kill9
else
	run_mode "$BACKEND"
fi
[[ $BACKEND == dpdk-tap ]] && run_queues
((IT_FAMILY == 4)) && run_errors

FINISHED=1
exit $((FAILED > 0))
