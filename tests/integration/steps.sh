# shellcheck shell=bash
# Sourced by the integration tests: PASS/FAIL steps, a summary printed on
# every exit path (through netns.sh's cleanup hook), and logs kept in $WORK
# when a step failed. The sourcing script sets FINISHED=1 after its last step.
#
#   source tests/integration/netns.sh
#   source tests/integration/steps.sh
#   check NAME cmd...    # one step; its output is shown when it fails

PASSED=0
FAILED=0
FINISHED=0
WORK=$(mktemp -d /tmp/mbxdp-it.XXXXXX)

pass() {
	echo "PASS: $*"
	PASSED=$((PASSED + 1))
}

fail() {
	echo "FAIL: $*"
	FAILED=$((FAILED + 1))
}

# Runs with the netns cleanup, so the summary is printed on every exit path;
# to fd 3, the test's stdout, as a signal may come while a step's output is
# redirected.
exec 3>&1
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

indent() {
	sed 's/^/    /' "$@"
}

# check NAME cmd... : one step, its output shown when it fails. Every
# command a step runs is bounded by its own timeout.
check() {
	local name=$1
	shift
	if "$@" >"$WORK/step.log" 2>&1; then
		pass "$name"
	else
		fail "$name (exit $?)"
		indent "$WORK/step.log"
	fi
}
