#!/bin/bash
# Integration test: the stack's client side against the kernel's TCP. A
# client stack (tests/integration/clients/mb_stack_client.c) on a packet
# socket on the client veth, whose address is taken away so the kernel
# there stays out of the way (the stack answers ARP itself), opens
# connections to a Modbus server on the kernel's TCP in the server
# namespace, reads registers on each, and closes them; the kernel's view
# is checked too: nothing left open on port 502.
#
#   tests/integration/test_client_kernel.sh BUILD_DIR
#
# Needs root. Prints PASS/FAIL per step and ends with "N passed, N failed".
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=60
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"
CLIENT=$BUILD/tests/integration/mb_stack_client

require "$CLIENT" /usr/bin/python3 ss
mbnet_setup ck

ip -n "$MBNET_CLI_NS" addr flush dev "$MBNET_CLI_IF"
peer_mac=$(ip -n "$MBNET_SRV_NS" -o link show "$MBNET_SRV_IF" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
mbnet_spawn "$MBNET_SRV_NS" "$WORK/responder.log" /usr/bin/python3 "$HERE/clients/modbus_responder.py" \
	"$MBNET_SRV_ADDR" 502
if mbnet_wait_line "$WORK/responder.log" '^listening' 10 "$MBNET_LAST_PID"; then
	pass "the kernel's Modbus server listens"
else
	fail "the kernel's Modbus server did not start"
fi

# 50 connections of 20 requests each: handshakes, data both ways, our
# closes (FIN-WAIT, TIME-WAIT) and the kernel's LAST-ACK.
if mbnet_cli "$CLIENT" "$MBNET_CLI_IF" "$MBNET_CLI_ADDR" "$MBNET_SRV_ADDR" "$peer_mac" 50 20 \
	>"$WORK/client.log" 2>&1; then
	pass "50 connections x 20 requests answered right and closed in order"
else
	fail "the client stack: $(tail -n 1 "$WORK/client.log")"
fi
if grep -q '^conn_connected 50$' "$WORK/client.log" &&
	grep -q '^conn_closed_active 50$' "$WORK/client.log"; then
	pass "the stack counted 50 opens and 50 active closes"
else
	fail "the stack's counters: $(tr '\n' ' ' <"$WORK/client.log")"
fi
# The kernel's side: every connection to 502 is gone (LAST-ACK done).
left=$(ip netns exec "$MBNET_SRV_NS" ss -Htn state all '( sport = :502 )' | grep -vc LISTEN)
if [[ $left -eq 0 ]]; then
	pass "the kernel holds no connection on 502"
else
	fail "the kernel still holds $left connections on 502"
fi

FINISHED=1
