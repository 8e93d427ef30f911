#!/bin/bash
# Integration test: ping (iputils, the kernel's ICMP sockets) to simulated
# devices, which have no address on the server's interface: the XDP program
# answers their ARP and their ICMP echo requests itself (XDP_TX).
# - native mode (a pass-all XDP program on the client veth, as veth needs
#   for XDP_TX) with --address 198.18.0.64/28: two served addresses answer
#   3 pings each, counted in xdp_icmp_echo_replied; the kernel-owned
#   198.18.0.1 is still answered by the kernel, not counted; mbpoll reads
#   from a served address;
# - generic mode with --allow-source: a source inside gets its answers, a
#   source outside gets none, each echo counted as a drop.
# With MBXDP_IT_FAMILY=6 the same over IPv6: the program answers the
# Neighbor Solicitations and ICMPv6 echo requests of 2001:2::40/124
# (xdp_nd_advertised, xdp_icmp6_echo_replied); the kernel owns 2001:2::1.
#
#   tests/integration/test_ping.sh BUILD_DIR
#
# Needs root. Prints PASS/FAIL per step and ends with "N passed, N failed".
# The whole run is bounded by MBXDP_IT_TIMEOUT seconds (default 120).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=120
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"
XDP_PASS_OBJ=$BUILD/tests/integration/xdp_pass.bpf.o

# Devices on the veth's own prefix, so the client reaches them on the link.
# A second client address, for the allow-list: the veth's own is outside it.
if ((IT_FAMILY == 6)); then
	DEVICES=2001:2::40/124
	FIRST=2001:2::40
	LAST=2001:2::4f
	ALLOWED_NET=2001:2::8000/113
	ALLOWED_SRC=2001:2::80c8
	CLI_PREFIX_LEN=64
	ECHO_REPLIED=xdp_icmp6_echo_replied
else
	DEVICES=198.18.0.64/28
	FIRST=198.18.0.64
	LAST=198.18.0.79
	ALLOWED_NET=198.18.0.128/25
	ALLOWED_SRC=198.18.0.200
	CLI_PREFIX_LEN=24
	ECHO_REPLIED=xdp_icmp_echo_replied
fi

require "$MBXDP" "$XDP_PASS_OBJ" ping mbpoll ethtool

# answered N ADDR [ping options...] : of 3 echo requests to ADDR, exactly N
# are answered.
answered() {
	local n=$1 addr=$2
	shift 2
	mbnet_cli timeout 20 ping -n -c 3 -W 2 "$@" "$addr" >"$WORK/ping.log" 2>&1
	cat "$WORK/ping.log"
	grep -q "3 packets transmitted, $n received" "$WORK/ping.log"
}

# mbpoll reads 2 holding registers from ADDR; exit 0 and both values shown.
mbpoll_reads() {
	mbnet_cli timeout 10 mbpoll -m tcp -a 1 -1 -r 1 -c 2 "$1" >"$WORK/mbpoll.log" 2>&1
	cat "$WORK/mbpoll.log"
	[[ $(grep -cE '^\[[0-9]+\]:' "$WORK/mbpoll.log") -eq 2 ]]
}

run_native() {
	echo "== native mode, --address $DEVICES"
	# veth wakes its peer for XDP_TX frames only when the peer runs XDP too
	# (xdp/README.md); a NIC needs nothing of the kind.
	mbnet_cli ip link set dev "$MBNET_CLI_IF" xdpdrv obj "$XDP_PASS_OBJ" sec xdp ||
		{ fail "native: a pass-all XDP program on the client veth"; return; }
	if ! start_server "$WORK/mbxdp-native.log" --xdp-mode native --address "$DEVICES"; then
		fail "native: mbxdp starts serving $DEVICES"
		return
	fi
	check "native: ping $FIRST, 3 of 3 answered" answered 3 "$FIRST"
	check "native: ping $LAST, 3 of 3 answered" answered 3 "$LAST"
	check "native: ping the kernel-owned $MBNET_SRV_ADDR, answered by the kernel" answered 3 "$MBNET_SRV_ADDR"
	check "native: mbpoll reads 2 registers from $FIRST" mbpoll_reads "$FIRST"
	check "native: mbxdp exits 0 on SIGINT" stop_server
	check "native: XDP answered the 6 echo requests to the served addresses, not the kernel's 3" \
		expect_counter "$ECHO_REPLIED" -eq 6
	if ((IT_FAMILY == 6)); then
		check "native: XDP answered the client's Neighbor Solicitations for both served addresses" \
			expect_counter xdp_nd_advertised -ge 2
	fi
	mbnet_cli ip link set dev "$MBNET_CLI_IF" xdpdrv off
}

run_allow_list() {
	echo "== generic mode, --allow-source $ALLOWED_NET"
	mbnet_cli ip addr add "$ALLOWED_SRC/$CLI_PREFIX_LEN" dev "$MBNET_CLI_IF" nodad ||
		{ fail "allow-list: a second client address $ALLOWED_SRC"; return; }
	if ! start_server "$WORK/mbxdp-allow.log" --xdp-mode generic --address "$DEVICES" \
		--allow-source "$ALLOWED_NET"; then
		fail "allow-list: mbxdp starts serving $DEVICES"
		return
	fi
	check "allow-list: ping $FIRST from $ALLOWED_SRC (inside), 3 of 3 answered" \
		answered 3 "$FIRST" -I "$ALLOWED_SRC"
	# The device's MAC pinned on the client, so the kernel's ARP probes from
	# the outside address (dropped and counted like the echoes) cannot join
	# the count when a loaded machine lets the neighbour entry go stale.
	local mac
	mac=$(ip netns exec "$MBNET_SRV_NS" cat "/sys/class/net/$MBNET_SRV_IF/address")
	check "allow-list: the device's MAC pinned in the client's neighbour table" \
		mbnet_cli ip neigh replace "$FIRST" lladdr "$mac" dev "$MBNET_CLI_IF" nud permanent
	check "allow-list: ping $FIRST from $MBNET_CLI_ADDR (outside), none answered" \
		answered 0 "$FIRST" -I "$MBNET_CLI_ADDR"
	check "allow-list: mbxdp exits 0 on SIGINT" stop_server
	check "allow-list: XDP answered the 3 echo requests from inside" \
		expect_counter "$ECHO_REPLIED" -eq 3
	check "allow-list: XDP dropped and counted the 3 from outside" \
		expect_counter xdp_drop_source_not_allowed -eq 3
}

it_net_setup png
echo "server $MBNET_SRV_NS/$MBNET_SRV_IF, devices $DEVICES; client $MBNET_CLI_NS/$MBNET_CLI_IF"
run_native
run_allow_list

FINISHED=1
exit $((FAILED > 0))
