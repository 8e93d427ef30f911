# shellcheck shell=bash
# Sourced by the integration tests after netns.sh: PASS/FAIL steps with a
# closing "N passed, N failed" line on every exit path, and starting mbxdp
# in the server namespace.
#
#   check NAME cmd...            one step; its output is shown if it fails
#   pass NAME / fail NAME        a step judged by the script itself
#   start_server LOG [args...]   $MBXDP on the server veth, waited for
#
# The caller sets MBXDP and, at its end, FINISHED=1. Logs go to $WORK,
# kept when a step failed.

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

SERVER_PID=
SERVER_LOG=

start_server() {
	local log=$1
	shift
	SERVER_LOG=$log
	mbnet_spawn "$MBNET_SRV_NS" "$log" "$MBXDP" --iface "$MBNET_SRV_IF" "$@"
	SERVER_PID=$MBNET_LAST_PID
	if mbnet_wait_line "$log" '^mbxdp: serving' 15 "$SERVER_PID"; then
		return 0
	fi
	echo "    mbxdp did not print 'mbxdp: serving' within 15 s; its output:"
	indent "$log"
	return 1
}

