#!/bin/bash
# Integration test: one mbxdp serving 1,024 addresses x 10 units = 10,240
# simulated devices over AF_XDP on a veth pair, with no address added on the
# server side: the XDP program answers their ARP requests (XDP_TX) and
# steers their Modbus port. In native and generic XDP mode, with a device
# model file of 1,024 servers x 10 units:
# - real clients (libmodbus over the kernel's TCP) reach addresses of the
#   range through a route on the client side, their ARP answered by XDP;
# - a raw-socket client (clients/mb_many_devices.c) resolves all 1,024
#   addresses, writes a value of its own into each of the 10,240 devices,
#   then reads every one back: each device has a register image of its own;
# then the default model on --address prefixes; allow-lists (the model
# file's and --allow-source): a source outside gets no answer and the XDP
# drop counter moves; and the command line refuses bad prefixes.
#
#   tests/integration/test_density.sh BUILD_DIR
#
# Needs root. Prints PASS/FAIL per step and ends with "N passed, N failed".
# The whole run is bounded by MBXDP_IT_TIMEOUT seconds (default 240).
#
# Step functions are called through check(), which shellcheck cannot follow:
# shellcheck disable=SC2317
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=240
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"
MANY=$BUILD/tests/integration/mb_many_devices
XDP_PASS_OBJ=$BUILD/tests/integration/xdp_pass.bpf.o

# The devices: 198.19.0.0/22, beside the veth's own 198.18.0.0/24.
RANGE=198.19.0.0/22
ADDRESSES=1024
UNITS=10
# Sources of the raw client: addresses the client namespace's kernel does
# not own, so it drops the answers instead of resetting the connections.
ALLOWED_SRC=198.18.1.1
ALLOWED_NET=198.18.1.0/24
STRANGER_SRC=198.18.2.1
# Device model files (docs/usage.md): the range, units 1-10 each, and the
# veth's own address, which the server's kernel owns (so XDP leaves its ARP
# to the kernel). 2,048 holding registers: libmodbus's cycles read below 1,848.
DEVICES_YAML='servers:
  - address: 198.18.0.1
    units:
      - id: 1
        holding_registers: { count: 2048, init: address }
  - address: 198.19.0.0-198.19.3.255
    units:
      - id: 1-10
        holding_registers: { count: 2048, init: address }'
ALLOW_YAML='servers:
  - address: 198.19.0.0-198.19.3.255
    allow: [198.18.1.0/24]
    units:
      - id: 1
        holding_registers: { count: 2048, init: address }'

require "$MBXDP" "$LIBMODBUS_CLIENT" "$MANY" "$XDP_PASS_OBJ" ethtool

server_mac() {
	ip -n "$MBNET_SRV_NS" -o link show dev "$MBNET_SRV_IF" | sed -nE 's/.*link\/ether ([0-9a-f:]+).*/\1/p'
}

# The kernel's neighbour entry for ADDR must carry the server's MAC: the ARP
# reply came from XDP, since no kernel owns the address.
neighbour_is_server() {
	local addr=$1 mac
	mac=$(mbnet_cli ip neigh show "$addr" dev "$MBNET_CLI_IF" | sed -nE 's/.*lladdr ([0-9a-f:]+).*/\1/p')
	echo "$addr is at '$mac', the server's MAC is $(server_mac)"
	[[ -n $mac && $mac == "$(server_mac)" ]]
}

many() {
	mbnet_cli timeout 60 "$MANY" --iface "$MBNET_CLI_IF" "$@"
}

run_mode() {
	local mode=$1
	echo "== XDP mode $mode"
	if [[ $mode == native ]]; then
		# veth wakes its peer for XDP_TX frames only when the peer runs XDP
		# too (see xdp_pass.bpf.c); a NIC needs nothing of the kind.
		mbnet_cli ip link set dev "$MBNET_CLI_IF" xdpdrv obj "$XDP_PASS_OBJ" sec xdp ||
			{ fail "$mode: a pass-all XDP program on the client veth"; return; }
	fi
	if ! start_server "$WORK/mbxdp-$mode.log" --xdp-mode "$mode" --config "$WORK/devices.yaml"; then
		fail "$mode: mbxdp starts serving the model of $((ADDRESSES + 1)) servers"
		return
	fi
	expect_steering "$mode"
	check "$mode: libmodbus (kernel TCP) to 198.19.0.0, 20 connect/request/close cycles" \
		mbnet_cli timeout 60 "$LIBMODBUS_CLIENT" 198.19.0.0 --cycles 20
	check "$mode: libmodbus to 198.19.3.254, 20 cycles" \
		mbnet_cli timeout 60 "$LIBMODBUS_CLIENT" 198.19.3.254 --cycles 20
	check "$mode: the kernel learnt 198.19.3.254 from an ARP reply XDP sent" neighbour_is_server 198.19.3.254
	check "$mode: the kernel-owned $MBNET_SRV_ADDR is still served (20 cycles)" \
		mbnet_cli timeout 60 "$LIBMODBUS_CLIENT" "$MBNET_SRV_ADDR" --cycles 20
	check "$mode: each of the $((ADDRESSES * UNITS)) devices ($ADDRESSES addresses x $UNITS units) keeps a register of its own" \
		many --source "$ALLOWED_SRC" --targets "$RANGE" --units "$UNITS" --write-then-read 7 --timeout 50
	indent "$WORK/step.log"

	sleep 0.5 # the clients' last resets may still be in flight
	check "$mode: mbxdp exits 0 on SIGINT" stop_server
	check "$mode: every connection closed" expect_counter open_connections -eq 0
	check "$mode: XDP answered ARP for every address" expect_counter xdp_arp_replied -ge "$ADDRESSES"
	# Each pass: a SYN, a request per unit and a RST per address.
	check "$mode: XDP steered every device's segments" \
		expect_counter xdp_steered -ge $((2 * ADDRESSES * (UNITS + 2)))
	if mbnet_xdp_attached; then
		fail "$mode: no XDP program left on $MBNET_SRV_IF"
	else
		pass "$mode: no XDP program left on $MBNET_SRV_IF"
	fi
	if [[ $mode == native ]]; then
		mbnet_cli ip link set dev "$MBNET_CLI_IF" xdpdrv off
	fi
}

expect_steering() {
	local what=$1 want="^mbxdp: steering $((ADDRESSES + 1)) addresses \(XDP answers ARP for $ADDRESSES\)"
	if grep -qE "$want" "$SERVER_LOG"; then
		pass "$what: mbxdp steers $((ADDRESSES + 1)) addresses, answering ARP for the $ADDRESSES the kernel does not own"
	else
		fail "$what: mbxdp steers $((ADDRESSES + 1)) addresses, answering ARP for the $ADDRESSES the kernel does not own"
		indent "$SERVER_LOG"
	fi
}

# The default model (one image for every address and unit) on --address
# prefixes: every function code, and one read per device of the range.
run_default_model() {
	echo "== default model on --address (generic mode)"
	if ! start_server "$WORK/mbxdp-default.log" --xdp-mode generic \
		--address "$RANGE" --address "$MBNET_SRV_ADDR"; then
		fail "default model: mbxdp starts serving $RANGE and $MBNET_SRV_ADDR"
		return
	fi
	expect_steering "default model"
	check "default model: libmodbus to 198.19.3.254, every function code" \
		mbnet_cli timeout 60 "$LIBMODBUS_CLIENT" 198.19.3.254
	check "default model: one read to each of $((ADDRESSES * UNITS)) devices" \
		many --source "$ALLOWED_SRC" --targets "$RANGE" --units "$UNITS" --timeout 50
	indent "$WORK/step.log"
	sleep 0.5 # the clients' last resets may still be in flight
	check "default model: mbxdp exits 0 on SIGINT" stop_server
	check "default model: every connection closed" expect_counter open_connections -eq 0
}

# libmodbus must fail to connect, with the kernel's refusal (a RST).
refused() {
	local rc=0
	mbnet_cli timeout 20 "$LIBMODBUS_CLIENT" "$@" >"$WORK/refused.log" 2>&1 || rc=$?
	cat "$WORK/refused.log"
	((rc != 0)) || { echo "the connection succeeded"; return 1; }
	grep -q 'Connection refused' "$WORK/refused.log"
}

run_allow_list() {
	echo "== allow-list of the model file (generic mode)"
	if ! start_server "$WORK/mbxdp-allow.log" --xdp-mode generic --config "$WORK/allow.yaml"; then
		fail "allow-list: mbxdp starts"
		return
	fi
	check "allow-list: an allowed source reaches all $ADDRESSES addresses" \
		many --source "$ALLOWED_SRC" --targets "$RANGE" --units 1 --timeout 30
	indent "$WORK/step.log"
	check "allow-list: a source outside it gets no answer from 256 addresses (4 SYNs each)" \
		many --source "$STRANGER_SRC" --targets 198.19.0.0/24 --units 1 --expect-silence --timeout 30
	indent "$WORK/step.log"
	# Not served: XDP leaves it to the server's kernel, which owns it and
	# has no listener on 502, so it refuses.
	check "allow-list: the unlisted $MBNET_SRV_ADDR goes to the kernel, which refuses" \
		refused "$MBNET_SRV_ADDR" --cycles 1
	sleep 0.5 # the clients' last resets may still be in flight
	check "allow-list: mbxdp exits 0 on SIGINT" stop_server
	check "allow-list: XDP counted each refused SYN as a drop" \
		expect_counter xdp_drop_source_not_allowed -eq $((256 * 4))
	check "allow-list: XDP counted the unlisted address's segments" \
		expect_counter xdp_passed_unlisted_addr -ge 1

	echo "== --allow-source, default model (generic mode)"
	if ! start_server "$WORK/mbxdp-allow-cli.log" --xdp-mode generic \
		--address 198.19.0.0/28 --allow-source "$ALLOWED_NET"; then
		fail "--allow-source: mbxdp starts"
		return
	fi
	check "--allow-source: an allowed source reaches 16 addresses" \
		many --source "$ALLOWED_SRC" --targets 198.19.0.0/28 --units 1 --timeout 30
	check "--allow-source: a source outside gets no answer (16 addresses, 4 SYNs each)" \
		many --source "$STRANGER_SRC" --targets 198.19.0.0/28 --units 1 --expect-silence --timeout 30
	sleep 0.5 # the clients' last resets may still be in flight
	check "--allow-source: mbxdp exits 0 on SIGINT" stop_server
	check "--allow-source: XDP counted each refused SYN as a drop" \
		expect_counter xdp_drop_source_not_allowed -eq $((16 * 4))
}

# expect_usage REGEX args... : mbxdp refuses the arguments (exit 2) saying REGEX.
expect_usage() {
	local regex=$1 rc=0
	shift
	timeout 10 "$MBXDP" "$@" >"$WORK/usage.log" 2>&1 || rc=$?
	cat "$WORK/usage.log"
	((rc == 2)) || { echo "exit $rc, want 2"; return 1; }
	grep -Eq -- "$regex" "$WORK/usage.log"
}

run_errors() {
	echo "== bad prefixes"
	check "a prefix with host bits set is refused, naming the prefix meant" \
		expect_usage 'beyond /22 \(the prefix is 198\.19\.0\.0/22\)' --iface lo --address 198.19.0.5/22
	check "a prefix wider than /16 is refused" \
		expect_usage 'from 16 to 32' --iface lo --address 198.18.0.0/15
	check "a malformed allow-list entry is refused" \
		expect_usage 'IPv4 address or prefix' --iface lo --allow-source 198.18.1/24
	check "--allow-source is refused with --dpdk, which has no XDP program to enforce it" \
		expect_usage '--allow-source is for AF_XDP' --dpdk --allow-source "$ALLOWED_NET" -- --no-pci
	check "--dpdk refuses more addresses than its stack owns, before EAL starts" \
		expect_error_stack_limit
	check "an address served twice is refused, with no program left" \
		expect_error_listed_twice
	check "--address beside a model file is refused, with no program left" \
		expect_error_address_and_config
}

expect_error_address_and_config() {
	local rc=0
	ip netns exec "$MBNET_SRV_NS" timeout 20 "$MBXDP" --iface "$MBNET_SRV_IF" \
		--config "$WORK/allow.yaml" --address 198.19.1.7 >"$WORK/both.log" 2>&1 || rc=$?
	cat "$WORK/both.log"
	((rc == 1)) && grep -q -- '--address is for the default model' "$WORK/both.log" && ! mbnet_xdp_attached
}

expect_error_stack_limit() {
	local rc=0
	timeout 10 "$MBXDP" --dpdk --address "$RANGE" -- --no-pci >"$WORK/limit.log" 2>&1 || rc=$?
	cat "$WORK/limit.log"
	((rc == 1)) && grep -q "1024 addresses, more than the 64 the stack owns on a DPDK port" "$WORK/limit.log"
}

expect_error_listed_twice() {
	local rc=0
	ip netns exec "$MBNET_SRV_NS" timeout 20 "$MBXDP" --iface "$MBNET_SRV_IF" \
		--address "$RANGE" --address 198.19.1.7 >"$WORK/twice.log" 2>&1 || rc=$?
	cat "$WORK/twice.log"
	((rc == 1)) && grep -q '198.19.1.7 (listed twice)' "$WORK/twice.log" && ! mbnet_xdp_attached
}

mbnet_setup mbxX
echo "server $MBNET_SRV_NS/$MBNET_SRV_IF, devices $RANGE x $UNITS units; client $MBNET_CLI_NS/$MBNET_CLI_IF"
# The kernel client reaches the range on the link: it ARPs for each address.
mbnet_cli ip route add "$RANGE" dev "$MBNET_CLI_IF" || mbnet_die "cannot route $RANGE on the client side"

echo "$DEVICES_YAML" >"$WORK/devices.yaml"
echo "$ALLOW_YAML" >"$WORK/allow.yaml"
for mode in native generic; do
	run_mode "$mode"
done
run_default_model
run_allow_list
run_errors

FINISHED=1
exit $((FAILED > 0))
