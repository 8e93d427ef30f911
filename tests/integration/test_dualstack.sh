#!/bin/bash
# Integration test: one mbxdp (AF_XDP, native XDP mode) serving the default
# device model to IPv4 and IPv6 clients at once, over a veth pair between
# two network namespaces that carries both families (198.18.0.1 and
# 2001:2::1 on the server's kernel). Four clients run together, each on its
# own scratch registers: libmodbus over IPv4, the socket client over IPv6,
# connect/read/close cycles over both (not pymodbus: it checks the server's
# diagnostic counters, which every client's requests move). Then one
# register image: what mbpoll writes over one family, mbpoll reads back
# over the other.
# Then a device model file with a dual-stack server on addresses the kernel
# lacks (generic XDP mode): the XDP program answers ARP and ping for its
# IPv4 address, Neighbor Solicitations and ping6 for its IPv6 one; what one
# family writes the other reads, and the IPv6 client, one of the server's
# read-only sources, has its write refused while the IPv4 one may write.
#
#   tests/integration/test_dualstack.sh BUILD_DIR
#
# Needs root. Prints PASS/FAIL per step and "N passed, N failed"; exits
# non-zero on any failure. Bounded by MBXDP_IT_TIMEOUT seconds (default 90).
#
# shellcheck disable=SC2317 # step functions are called through check()
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=90
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"
require "$MBXDP" "$LIBMODBUS_CLIENT" mbpoll ethtool /usr/bin/python3
CYCLES=1000

mbnet_setup dual
mbnet_ipv6
V4=$MBNET_SRV_ADDR
V6=$MBNET_SRV_ADDR6

# The clients started together: NAME, then the command run in the client
# namespace; each one's log is $WORK/NAME.log.
CLIENT_NAMES=()
CLIENT_PIDS=()
start_client() {
	local name=$1
	shift
	mbnet_spawn "$MBNET_CLI_NS" "$WORK/$name.log" timeout 60 "$@"
	CLIENT_NAMES+=("$name")
	CLIENT_PIDS+=("$MBNET_LAST_PID")
}

# mbpoll_write HOST ADDR VALUE / mbpoll_read HOST ADDR : one holding
# register; the read prints its value.
mbpoll_write() {
	mbnet_cli timeout 10 mbpoll -m tcp -a 1 -1 -o 2 -t 4 -0 -r "$2" "$1" "$3" |
		grep -q '^Written 1 references'
}

mbpoll_read() {
	mbnet_cli timeout 10 mbpoll -m tcp -a 1 -1 -o 2 -t 4 -0 -r "$2" "$1" |
		sed -nE 's/^\[[0-9]+\]:[[:space:]]+([0-9]+).*/\1/p'
}

# read_is HOST ADDR VALUE : the register holds VALUE, read over HOST.
read_is() {
	local got
	got=$(mbpoll_read "$1" "$2")
	echo "register $2 over $1: '$got', want $3"
	[[ $got == "$3" ]]
}

# write_then_read FROM TO ADDR VALUE : written over FROM, read over TO.
write_then_read() {
	mbpoll_write "$1" "$3" "$4" || { echo "write of $4 at $3 over $1 failed"; return 1; }
	read_is "$2" "$3" "$4"
}

if ! start_server "$WORK/mbxdp.log" --xdp-mode native; then
	fail "mbxdp starts and prints 'mbxdp: serving'"
	exit 1
fi
pass "mbxdp starts and prints 'mbxdp: serving'"

start_client libmodbus-v4 "$LIBMODBUS_CLIENT" "$V4"
start_client socket-v6 /usr/bin/python3 "$HERE/clients/mb_socket_client.py" "$V6"
start_client cycles-v4 "$LIBMODBUS_CLIENT" "$V4" --cycles "$CYCLES"
start_client cycles-v6 "$LIBMODBUS_CLIENT" "$V6" --cycles "$CYCLES"
for i in "${!CLIENT_PIDS[@]}"; do
	name=${CLIENT_NAMES[i]}
	if mbnet_wait_exit "${CLIENT_PIDS[i]}" 70 && ((MBNET_EXIT_STATUS == 0)); then
		pass "at once: $name"
	else
		fail "at once: $name (exit ${MBNET_EXIT_STATUS:-still running}); its output:"
		indent "$WORK/$name.log"
	fi
done

check "one image: written over IPv4, read over IPv6" write_then_read "$V4" "$V6" 5000 4242
check "one image: written over IPv6, read over IPv4" write_then_read "$V6" "$V4" 5001 4343

# stopped WHAT : mbxdp exits 0 on SIGINT with no connection left open.
stopped() {
	# The last client's closing handshake may still be in flight.
	sleep 0.5
	check "$1: mbxdp exits 0 on SIGINT" stop_server
	if grep -qx 'open_connections 0' "$SERVER_LOG"; then
		pass "$1: counters report open_connections 0"
	else
		fail "$1: counters report open_connections 0; its output:"
		indent "$SERVER_LOG"
	fi
}
stopped "default model"

# The dual-stack server of a device model file.
DEV4=198.18.0.10
DEV6=2001:2::10
cat >"$WORK/devices.yaml" <<EOF
servers:
  - address: [$DEV4, $DEV6]
    read_only_sources: [$MBNET_CLI_ADDR6/128]
    units:
      - id: 1
        holding_registers: { count: 100, init: address }
EOF

# answered ADDR : one echo request to ADDR, answered.
answered() {
	mbnet_cli timeout 10 ping -n -c 1 -W 2 "$1"
}

# refused HOST ADDR VALUE : mbpoll's write is answered with exception 01.
refused() {
	mbnet_cli timeout 10 mbpoll -m tcp -a 1 -1 -o 2 -t 4 -0 -r "$2" "$1" "$3" >"$WORK/refused.log" 2>&1
	cat "$WORK/refused.log"
	grep -qi 'illegal function' "$WORK/refused.log"
}

if start_server "$WORK/mbxdp-model.log" --xdp-mode generic --config "$WORK/devices.yaml"; then
	pass "model: mbxdp serves a dual-stack server at $DEV4 and $DEV6"
	check "model: ping $DEV4 answered" answered "$DEV4"
	check "model: ping $DEV6 answered" answered "$DEV6"
	check "model: written over IPv4, read over IPv6" write_then_read "$DEV4" "$DEV6" 7 4444
	check "model: the IPv6 client, a read-only source, is refused its write" refused "$DEV6" 8 1
	check "model: and the register is unchanged, read over IPv4" read_is "$DEV4" 8 8
	stopped "model"
	check "model: XDP answered the ping" expect_counter xdp_icmp_echo_replied -eq 1
	check "model: XDP answered the ping6" expect_counter xdp_icmp6_echo_replied -eq 1
else
	fail "model: mbxdp serves a dual-stack server at $DEV4 and $DEV6"
fi

FINISHED=1
exit $((FAILED > 0))
