#!/bin/bash
# Integration test: mbxdp serving a device model file over AF_XDP on a veth
# pair between two network namespaces. mbpoll (libmodbus) talks to two
# server addresses and several unit ids; another process reads and writes
# the live register store (/dev/shm/NAME.regs) through libmbxdp_regs while
# mbxdp serves; a read-only source is refused its writes; an unknown unit
# gets exception 0B; the store is gone after SIGINT; a bad model file is
# refused with FILE:LINE before anything is attached.
#
#   tests/integration/test_devmodel.sh BUILD_DIR
#
# Needs root. Prints PASS/FAIL per step and "N passed, N failed"; exits
# non-zero on any failure. Bounded by MBXDP_IT_TIMEOUT seconds (default 120).
#
# shellcheck disable=SC2317 # step functions are called through check()
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=120
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"
CTL=$BUILD/tools/ctl/mbxdp-ctl
require "$MBXDP" "$CTL" mbpoll ethtool

PLC=198.18.0.10
GATEWAY=198.18.0.11
NAME=mbxD-it-$$
STORE=/dev/shm/$NAME.regs

mbnet_setup mbxD
ip -n "$MBNET_SRV_NS" addr add "$PLC/24" dev "$MBNET_SRV_IF"
ip -n "$MBNET_SRV_NS" addr add "$GATEWAY/24" dev "$MBNET_SRV_IF"

# The client (198.18.0.2) may only read the PLC; the gateway has units 1-3.
cat >"$WORK/devices.yaml" <<EOF
servers:
  - address: $PLC
    read_only_sources: [$MBNET_CLI_ADDR/32]
    units:
      - id: 1
        holding_registers: { count: 10, init: [11, 12, 13] }
  - address: $GATEWAY
    units:
      - id: 1-3
        holding_registers: { count: 10, init: address }
EOF

# mbpoll_read HOST UNIT ADDR COUNT : the values, space-separated.
mbpoll_read() {
	mbnet_cli timeout 10 mbpoll -m tcp -a "$2" -1 -o 2 -t 4 -0 -r "$3" -c "$4" "$1" |
		sed -nE 's/^\[[0-9]+\]:[[:space:]]+([0-9]+).*/\1/p' | tr '\n' ' ' | sed 's/ $//'
}

# mbpoll_write HOST UNIT ADDR VALUE... : mbpoll's output (its status is
# mbpoll's, 0 when the write was answered normally).
mbpoll_write() {
	local host=$1 unit=$2 addr=$3
	shift 3
	mbnet_cli timeout 10 mbpoll -m tcp -a "$unit" -1 -o 2 -t 4 -0 -r "$addr" "$host" "$@"
}

# mbxdp-ctl ARGS... : the other process, on the store of this mbxdp.
ctl() {
	timeout 10 "$CTL" --name "$NAME" "$@"
}

expect() {
	local what=$1 got=$2 want=$3
	[[ $got == "$want" ]] && return 0
	echo "$what: got '$got', want '$want'"
	return 1
}

step_units_and_addresses() {
	expect "PLC unit 1" "$(mbpoll_read "$PLC" 1 0 3)" "11 12 13" &&
		expect "PLC unit 0 (MIG 4.4.1.2: the server's own unit)" "$(mbpoll_read "$PLC" 0 0 3)" "11 12 13" &&
		expect "gateway unit 2" "$(mbpoll_read "$GATEWAY" 2 0 3)" "0 1 2"
}

step_distinct_devices() {
	mbpoll_write "$GATEWAY" 2 5 777 | grep -q '^Written 1 references' &&
		expect "gateway unit 2 after the write" "$(mbpoll_read "$GATEWAY" 2 5 1)" "777" &&
		expect "gateway unit 3, untouched" "$(mbpoll_read "$GATEWAY" 3 5 1)" "5" &&
		expect "the store, read by another process" \
			"$(ctl get -s "$GATEWAY" -u 2 hr 5)" "holding-registers[5] = 777 (0x0309)"
}

step_live_write() {
	ctl set -s "$PLC" -u 1 hr 1 4242 4343 &&
		expect "PLC registers 1-2 after the outside write" "$(mbpoll_read "$PLC" 1 0 3)" "11 4242 4343"
}

step_read_only_source() {
	local out
	out=$(mbpoll_write "$PLC" 1 0 99 2>&1)
	echo "$out"
	grep -qi 'illegal function' <<<"$out" &&
		expect "PLC register 0, not written" "$(mbpoll_read "$PLC" 1 0 1)" "11"
}

step_unknown_unit() {
	local out
	out=$(mbnet_cli timeout 10 mbpoll -m tcp -a 9 -1 -o 2 -t 4 -0 -r 0 -c 1 "$GATEWAY" 2>&1)
	echo "$out"
	grep -qi 'target device failed to respond' <<<"$out" # libmodbus's text for 0B
}

step_stop() {
	stop_server || return 1
	[[ ! -e $STORE ]] || { echo "$STORE left behind"; return 1; }
	! mbnet_xdp_attached
}

step_bad_file() {
	local out
	printf 'servers:\n  - address: %s\n    units:\n      - id: 0\n' "$PLC" >"$WORK/bad.yaml"
	out=$(ip netns exec "$MBNET_SRV_NS" timeout 10 "$MBXDP" --iface "$MBNET_SRV_IF" \
		--config "$WORK/bad.yaml" --name "$NAME" 2>&1)
	local rc=$?
	echo "$out"
	((rc == 1)) && grep -q "$WORK/bad.yaml:4: unit id" <<<"$out" && ! mbnet_xdp_attached &&
		[[ ! -e $STORE ]]
}

if start_server "$WORK/mbxdp.log" --config "$WORK/devices.yaml" --name "$NAME"; then
	pass "mbxdp starts with the model file"
	check "the store $STORE exists while serving" test -s "$STORE"
	check "two addresses, unit ids 0, 1, 2" step_units_and_addresses
	check "every unit is a device of its own; another process reads the store" step_distinct_devices
	check "another process writes registers the master then reads" step_live_write
	check "a read-only source's write gets exception 01" step_read_only_source
	check "an unknown unit id gets exception 0B" step_unknown_unit
	check "SIGINT: exit 0, store removed, no XDP program left" step_stop
else
	fail "mbxdp starts with the model file"
fi
check "a bad model file is refused with FILE:LINE before attaching" step_bad_file
FINISHED=1
((FAILED == 0))
