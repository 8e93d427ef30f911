# Shared by the integration tests (sourced): the bounded run, PASS/FAIL
# steps, and the summary printed on every exit path, through netns.sh's
# cleanup hook.
#
#   source "$(dirname "$0")/steps.sh"
#   it_start NAME DEFAULT_TIMEOUT "$@"   # sets HERE, BUILD, WORK; re-runs the
#                                         # script under timeout(1) first
# shellcheck shell=bash disable=SC2034,SC2317

it_start() {
	local name=$1 secs=$2
	shift 2
	# The whole run is bounded by MBXDP_IT_TIMEOUT seconds.
	if [[ -z ${MBXDP_IT_BOUNDED:-} ]]; then
		MBXDP_IT_BOUNDED=1 exec timeout -k 10 "${MBXDP_IT_TIMEOUT:-$secs}" bash "$0" "$@"
	fi
	HERE=$(cd "$(dirname "$0")" && pwd)
	BUILD=${1:?usage: $name BUILD_DIR}
	BUILD=$(cd "$BUILD" && pwd) || exit 2
	PASSED=0
	FAILED=0
	FINISHED=0
	WORK=$(mktemp -d "/tmp/mbxdp-$name.XXXXXX")
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

# Runs with the netns cleanup.
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
