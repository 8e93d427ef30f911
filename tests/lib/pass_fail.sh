# shellcheck shell=bash
# Sourced by a test script for its PASS/FAIL steps and the closing
# "N passed, N failed" line (tests/integration/steps.sh adds what the
# network tests share). The script sets WORK, its scratch directory, first.
#
#   check NAME cmd...     one step; its output is shown if it fails
#   pass NAME / fail NAME a step judged by the script itself
#   indent [FILE...]      output shown under a step
#   summary               the closing line; true when no step failed

PASSED=0
FAILED=0

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

# Every command a step runs is bounded by its own timeout.
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

summary() {
	echo "$PASSED passed, $FAILED failed"
	((FAILED == 0))
}
