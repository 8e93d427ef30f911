#!/bin/bash
# Torn reads: mbxdp over AF_XDP on a veth pair between two namespaces; two
# masters write 100-register blocks with FC 10, a rig writes the same block
# through mbxdp-ctl set, and 8 readers - 4 with FC 03 over Modbus/TCP, 4
# from the shared-memory store - check for 60 s that every block they read
# holds one writer's generation (torn_check.c).
#
#   tests/torn/test_torn.sh BUILD_DIR
#
# Needs root. MBXDP_TORN_SECONDS shortens the run (default 60). Prints
# PASS/FAIL per step and ends with "N passed, N failed"; exits non-zero on
# any failure. Bounded by the run time plus 90 s.
set -u

SECONDS_RUN=${MBXDP_TORN_SECONDS:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=$((SECONDS_RUN + 90))
# shellcheck source=SCRIPTDIR/../integration/steps.sh
source "$HERE/../integration/steps.sh"
# shellcheck source=SCRIPTDIR/../integration/netns.sh
source "$HERE/../integration/netns.sh"
CTL=$BUILD/tools/ctl/mbxdp-ctl
TORN=$BUILD/tests/torn/torn_check
BLOCK_ADDR=1000
RIG_ID=15

require "$MBXDP" "$CTL" "$TORN" ethtool

NAME=mbxV-torn-$$

# The rig: the whole block in one mbxdp-ctl set, one generation of writer
# RIG_ID each time, until $WORK/rig.stop appears (or the time is up). Prints
# how many sets succeeded and failed.
rig() {
	local end=$((SECONDS + SECONDS_RUN + 30)) gen=0 ok=0 bad=0 v k vals
	while [[ ! -e $WORK/rig.stop ]] && ((SECONDS < end)); do
		gen=$(((gen + 1) & 0xFFF))
		v=$((RIG_ID << 12 | gen))
		vals=()
		for ((k = 0; k < 100; k++)); do
			vals+=("$v")
		done
		if "$CTL" --name "$NAME" set hr "$BLOCK_ADDR" "${vals[@]}" >/dev/null 2>>"$WORK/rig.err"; then
			ok=$((ok + 1))
		else
			bad=$((bad + 1))
		fi
	done
	echo "rig: $ok sets, $bad failed"
}

mbnet_setup mbxV
echo "server $MBNET_SRV_NS/$MBNET_SRV_IF $MBNET_SRV_ADDR, client $MBNET_CLI_NS/$MBNET_CLI_IF; store $NAME"

if ! start_server "$WORK/mbxdp.log" --name "$NAME"; then
	fail "mbxdp starts with --name $NAME"
	exit 1
fi
pass "mbxdp starts with --name $NAME"

# torn_check writes the block's first generation, so the rig starts after
# it has opened the store.
mbnet_spawn "$MBNET_CLI_NS" "$WORK/torn.log" "$TORN" "$MBNET_SRV_ADDR" "$NAME" \
	--seconds "$SECONDS_RUN" --address "$BLOCK_ADDR" --rig-id "$RIG_ID" \
	--masters 2 --modbus-readers 4 --store-readers 4
TORN_PID=$MBNET_LAST_PID
sleep 1
rig >"$WORK/rig.log" &
RIG_PID=$!
MBNET_PIDS+=("$RIG_PID")

if mbnet_wait_exit "$TORN_PID" $((SECONDS_RUN + 30)) && ((MBNET_EXIT_STATUS == 0)); then
	pass "${SECONDS_RUN} s of 2 masters (FC 10) and the rig (mbxdp-ctl set) writing 100-register blocks: 8 readers, no torn read"
else
	fail "${SECONDS_RUN} s of writes and 8 readers, no torn read (status ${MBNET_EXIT_STATUS:-still running})"
fi
indent "$WORK/torn.log"

touch "$WORK/rig.stop"
mbnet_wait_exit "$RIG_PID" 20
indent "$WORK/rig.log"
if grep -qE '^rig: [1-9][0-9]* sets, 0 failed$' "$WORK/rig.log"; then
	pass "every mbxdp-ctl set of the rig succeeded"
else
	fail "every mbxdp-ctl set of the rig succeeded"
	sort "$WORK/rig.err" | uniq -c | head -5 | indent
fi

kill -INT "$SERVER_PID"
if mbnet_wait_exit "$SERVER_PID" 10 && ((MBNET_EXIT_STATUS == 0)); then
	pass "mbxdp exits 0 on SIGINT"
else
	fail "mbxdp exits 0 on SIGINT (status ${MBNET_EXIT_STATUS:-still running})"
fi
grep -E '^mb_(requests|responses|exception)' "$WORK/mbxdp.log" | indent
if [[ -e /dev/shm/$NAME.regs ]]; then
	fail "mbxdp removed /dev/shm/$NAME.regs at exit"
else
	pass "mbxdp removed /dev/shm/$NAME.regs at exit"
fi

FINISHED=1
exit $((FAILED > 0))
