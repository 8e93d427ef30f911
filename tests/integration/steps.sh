# shellcheck shell=bash
# Sourced by the namespace tests (after netns.sh): a bound on the whole run,
# PASS/FAIL steps, and the summary line printed on every exit path.
#
#   mbit_bound SECONDS "$0" "$@"  # first thing: the script again, under timeout(1)
#   mbit_require TEST BUILD FILE... -- TOOL...  # built files and installed tools, or exit 2
#   mbit_steps_init NAME          # WORK=/tmp/NAME.XXXXXX, kept only when a step failed
#   pass NAME / fail NAME         # one result line each
#   check NAME cmd...             # a step; its output ($WORK/step.log) shown when it
#                                 # fails; returns the command's status
#   indent [FILE]                 # four spaces before each line
#   FINISHED=1                    # before the last exit: the run was not cut short
#
# The summary runs as netns.sh's mbnet_cleanup_hook.

# Re-executes the script under timeout once, so every exit path, the
# namespace cleanup included, is bounded in time.
mbit_bound() {
	local secs=$1
	shift
	[[ -n ${MBXDP_IT_BOUNDED:-} ]] && return 0
	MBXDP_IT_BOUNDED=1 exec timeout -k 10 "$secs" bash "$@"
}

mbit_require() {
	local test=$1 build=$2 f
	shift 2
	while (($#)) && [[ $1 != -- ]]; do
		[[ -x $1 ]] || { echo "$test: $1 not built (ninja -C $build)" >&2; exit 2; }
		shift
	done
	(($#)) && shift
	for f in "$@"; do
		command -v "$f" >/dev/null || { echo "$test: $f not installed" >&2; exit 2; }
	done
}

mbit_steps_init() {
	PASSED=0
	FAILED=0
	FINISHED=0
	WORK=$(mktemp -d "/tmp/$1.XXXXXX")
	# The summary goes to fd 3, the test's stdout, as a signal may come
	# while a step's output is redirected.
	exec 3>&1
}

pass() {
	echo "PASS: $*"
	PASSED=$((PASSED + 1))
}

fail() {
	echo "FAIL: $*"
	FAILED=$((FAILED + 1))
}

indent() {
	sed 's/^/    /' "$@"
}

# Step functions are called through check() and the trap, which shellcheck
# cannot follow:
# shellcheck disable=SC2317
mbnet_cleanup_hook() {
	{
		((FINISHED)) || fail "test interrupted or timed out before the end"
		if ((FAILED)); then
			echo "logs kept in $WORK"
		else
			rm -rf "$WORK"
		fi
		echo "$PASSED passed, $FAILED failed"
	} >&3
}

# check NAME cmd... : one step. Every command a step runs is bounded by
# its own timeout.
check() {
	local name=$1 rc=0
	shift
	"$@" >"$WORK/step.log" 2>&1 || rc=$?
	if ((rc == 0)); then
		pass "$name"
	else
		fail "$name (exit $rc)"
		indent "$WORK/step.log"
	fi
	return "$rc"
}
