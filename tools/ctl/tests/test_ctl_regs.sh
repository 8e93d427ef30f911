#!/bin/bash
# mbxdp-ctl get, set and watch against register stores built the way mbxdp
# builds them (regs_fixture): the default model and a model of two servers
# with three units. Checks the human and JSON output, that a set of several
# groups lands whole or not at all, the choice of server and unit, watch
# printing changes and noticing the engine's end, and the error messages.
#
#   tools/ctl/tests/test_ctl_regs.sh BUILD_DIR
#
# No root needed. Prints PASS/FAIL per check, exits non-zero on a failure.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:?usage: test_ctl_regs.sh BUILD_DIR}" && pwd) || exit 2
CTL=$BUILD/tools/ctl/mbxdp-ctl
FIXTURE=$BUILD/tools/ctl/tests/regs_fixture
WORK=$(mktemp -d /tmp/mbxV-ctl.XXXXXX)
# shellcheck source=tests/lib/pass_fail.sh
source "$HERE/../../../tests/lib/pass_fail.sh"
FIXTURE_PIDS=()

# (Runs from the trap, which shellcheck cannot follow.)
# shellcheck disable=SC2317
cleanup() {
	local pid
	for pid in "${FIXTURE_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$WORK" "/dev/shm/mbxV-craft-$$.regs"
}
trap cleanup EXIT

# start_fixture NAME [CONFIG]: a store held until this script ends.
start_fixture() {
	local name=$1 log=$WORK/$1.log i
	shift
	"$FIXTURE" "$name" "$@" >"$log" 2>&1 &
	FIXTURE_PIDS+=($!)
	for ((i = 0; i < 100; i++)); do
		grep -q '^ready' "$log" 2>/dev/null && return 0
		kill -0 "${FIXTURE_PIDS[-1]}" 2>/dev/null || break
		sleep 0.05
	done
	echo "FAIL: regs_fixture $name did not start:"
	cat "$log"
	exit 1
}

# judge NAME STATUS EXPECTED-OUTPUT GOT-STATUS GOT-OUTPUT
judge() {
	local name=$1 status=$2 want=$3 rc=$4 got=$5
	if [[ $rc -eq $status && $got == "$want" ]]; then
		pass "$name"
	else
		fail "$name: exit $rc (want $status), output:"
		printf '%s\n' "$got" | sed 's/^/    got:  /'
		printf '%s\n' "$want" | sed 's/^/    want: /'
	fi
}

# expect NAME STATUS EXPECTED-OUTPUT cmd...: stdout and stderr together.
expect() {
	local name=$1 status=$2 want=$3 got rc
	shift 3
	got=$("$@" 2>&1)
	rc=$?
	judge "$name" "$status" "$want" "$rc" "$got"
}

DEF=mbxV-def-$$
TWO=mbxV-two-$$
start_fixture "$DEF"
start_fixture "$TWO" "$HERE/two_servers.yaml"

# The default model: one server on every address, one unit, register i
# holds i, coil i holds i & 1.
expect "get: default model, human" 0 "holding-registers[10] = 10 (0x000a)
holding-registers[11] = 11 (0x000b)" "$CTL" --name "$DEF" get hr 10 2
expect "get: JSON" 0 \
	'{"server":"0.0.0.0","unit":1,"ranges":[{"table":"coils","address":7,"count":3,"values":[1,0,1]}]}' \
	"$CTL" --name "$DEF" get --json coils 7 3
expect "set: input registers and discrete inputs, one update" 0 "wrote 2 input-registers at 65534
wrote 1 discrete-inputs at 0" "$CTL" --name "$DEF" set ir 65534 0xBEEF 7 + di 0 1
expect "get: reads back what set wrote" 0 \
	'{"server":"0.0.0.0","unit":1,"ranges":[{"table":"input-registers","address":65533,"count":3,"values":[65533,48879,7]}]}' \
	"$CTL" --name "$DEF" get ir 65533 3 --json
expect "get: --server and --unit reach the same unit" 0 "discrete-inputs[0] = 1" \
	"$CTL" --name "$DEF" get --server 198.18.0.77 --unit 9 di 0

# Two servers: the tool must be told which, and names the choices.
expect "several servers: asks which" 1 \
	"mbxdp-ctl get: the model has 2 servers: say which (server address)" \
	"$CTL" --name "$TWO" get hr 0
expect "several units: asks which, naming them" 1 \
	"mbxdp-ctl get: the server has 2 units: say which (unit id: 0 1 2 255)" \
	"$CTL" --name "$TWO" get -s 198.18.0.1 hr 0
expect "unknown unit" 1 "mbxdp-ctl get: the server has no unit 3 (it has: 0 1 2 255)" \
	"$CTL" --name "$TWO" get -s 198.18.0.1 -u 3 hr 0
expect "unknown server" 1 "mbxdp-ctl get: no server with address 198.18.0.9 in this model" \
	"$CTL" --name "$TWO" get -s 198.18.0.9 hr 0
expect "the only unit of a server needs no --unit" 0 "holding-registers[1009] = 1009 (0x03f1)" \
	"$CTL" --name "$TWO" get -s 198.18.0.2 hr 1009
expect "a table the unit lacks" 1 "mbxdp-ctl get: this unit has no coils" \
	"$CTL" --name "$TWO" get -s 198.18.0.2 co 0
expect "set: a bad second group writes nothing" 1 \
	"mbxdp-ctl set: input-registers 109..110 is outside the table (100..109)" \
	"$CTL" --name "$TWO" set -s 198.18.0.1 -u 2 ir 100 5 + ir 109 1 2
expect "... and the first group was not written" 0 "input-registers[100] = 0 (0x0000)" \
	"$CTL" --name "$TWO" get -s 198.18.0.1 -u 2 ir 100
expect "set: JSON" 0 \
	'{"server":"198.18.0.1","unit":2,"written":[{"table":"input-registers","address":100,"count":2,"values":[5,6]}]}' \
	"$CTL" --name "$TWO" set --json -s 198.18.0.1 -u 2 ir 100 5 6

# Usage errors: exit 2 with the reason.
expect "a bit is 0 or 1" 2 "mbxdp-ctl set: a bit is 0 or 1, not '2' (mbxdp-ctl --help)" \
	"$CTL" --name "$DEF" set co 0 2
expect "a register is 0-65535" 2 "mbxdp-ctl set: a value is 0-65535, not '65536' (mbxdp-ctl --help)" \
	"$CTL" --name "$DEF" set hr 0 65536
expect "an unknown table" 2 "mbxdp-ctl get: no table 'holding' (mbxdp-ctl --help)" \
	"$CTL" --name "$DEF" get holding 0
expect "no such instance" 1 \
	"mbxdp-ctl get: /dev/shm/mbxV-none-$$.regs: No such file or directory (is an mbxdp with --name mbxV-none-$$ running?)" \
	"$CTL" --name "mbxV-none-$$" get hr 0
IFNAME=mbxVif$$
start_fixture "mbxdp-$IFNAME-3"
expect "--iface and --queue name the instance as mbxdp does" 0 "holding-registers[5] = 5 (0x0005)" \
	"$CTL" --iface "$IFNAME" --queue 3 get hr 5

# watch: the first look, then each change; --count ends it.
timeout 20 "$CTL" --name "$DEF" watch --interval 0.05 --count 2 hr 300 2 >"$WORK/watch.out" 2>&1 &
WATCH=$!
for ((i = 0; i < 100; i++)); do
	[[ -s $WORK/watch.out ]] && break
	sleep 0.05
done
"$CTL" --name "$DEF" set hr 301 4242 >/dev/null
wait "$WATCH"
rc=$?
got=$(sed -E 's/^[0-9:.]+ //' "$WORK/watch.out")
judge "watch: prints the first look and the change, then stops at --count" 0 \
	"holding-registers[300..301]: 300 301
holding-registers[300..301]: 300 4242" "$rc" "$got"

# watch --json, then the engine goes away: watch says so and exits 1.
timeout 20 "$CTL" --name "$TWO" watch --json --interval 0.05 -s 198.18.0.2 hr 1000 >"$WORK/watch2.out" 2>&1 &
WATCH=$!
for ((i = 0; i < 100; i++)); do
	[[ -s $WORK/watch2.out ]] && break
	sleep 0.05
done
kill -TERM "${FIXTURE_PIDS[1]}"
wait "$WATCH"
rc=$?
got=$(sed -E 's/"time":[0-9.]+,//' "$WORK/watch2.out")
judge "watch --json: JSON lines; exits 1 when the engine stops" 1 \
	"{\"server\":\"198.18.0.2\",\"unit\":7,\"ranges\":[{\"table\":\"holding-registers\",\"address\":1000,\"count\":1,\"values\":[1000]}]}
mbxdp-ctl watch: mbxdp '$TWO' stopped" "$rc" "$got"

# Stores crafted by hand (craft_store.py): the valid one reads as made; each
# hostile one is refused with one line naming the file, by get and by set,
# and nothing is read or written through its offsets (the sanitizer build
# runs this too).
CRAFT=mbxV-craft-$$
CRAFT_FILE=/dev/shm/$CRAFT.regs
/usr/bin/python3 "$HERE/craft_store.py" "$CRAFT_FILE" valid
expect "crafted valid store: read as made" 0 "holding-registers[3] = 3 (0x0003)" \
	"$CTL" --name "$CRAFT" get hr 3
for kind in truncated table-past-end huge-count table-over-records overlapping-records \
	huge-unit-count servers-past-end unit-index-past-units wrong-size; do
	/usr/bin/python3 "$HERE/craft_store.py" "$CRAFT_FILE" "$kind"
	for cmd in "get hr 3" "set hr 3 7"; do
		# shellcheck disable=SC2086 # the command's words
		got=$("$CTL" --name "$CRAFT" $cmd 2>&1)
		rc=$?
		if ((rc == 1)) && [[ $(wc -l <<<"$got") == 1 && $got == "mbxdp-ctl ${cmd%% *}: $CRAFT_FILE: "* ]]; then
			pass "crafted store ($kind): ${cmd%% *} refuses it in one line"
		else
			fail "crafted store ($kind): ${cmd%% *} exit $rc: $got"
		fi
	done
done
rm -f "$CRAFT_FILE"

summary
