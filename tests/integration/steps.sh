# shellcheck shell=bash
# Sourced first by an integration test script taking BUILD_DIR as its
# argument: re-runs the script under `timeout` (MBXDP_IT_TIMEOUT seconds,
# default IT_TIMEOUT set by the script), sets BUILD, MBXDP and
# LIBMODBUS_CLIENT, and gives the PASS/FAIL steps of tests/lib/pass_fail.sh
# with their closing "N passed, N failed" line on every exit path (through
# netns.sh's cleanup).
#
#   require FILE_OR_COMMAND...   exit 2 naming the first one missing
#   it_net_setup TAG [QUEUES]    netns.sh's namespaces; for IT_FAMILY 6 the
#                                IPv6 addresses are MBNET_SRV_ADDR and
#                                MBNET_CLI_ADDR
#   start_server LOG [args...]   $MBXDP on the server veth, waited for
#                                (server_cmd and server_started adapt it)
#   stop_server                  SIGINT to it; true if it exits 0 (its
#                                counters are then in its log)
#   counter NAME                 the value of a counter it printed at exit
#   expect_counter NAME OP VALUE that value compared (test's OP), as a step:
#                                expect_counter xdp_arp_replied -ge 1024
#
# IT_FAMILY is the address family the script's clients use: 4, or 6 with
# MBXDP_IT_FAMILY=6 (how meson registers a script's IPv6 run).
#
# The script sets FINISHED=1 at its end. Logs go to $WORK, kept when a step
# failed.

if [[ -z ${MBXDP_IT_BOUNDED:-} ]]; then
	MBXDP_IT_BOUNDED=1 exec timeout -k 10 "${MBXDP_IT_TIMEOUT:-$IT_TIMEOUT}" bash "$0" "$@"
fi

BUILD=${1:?usage: ${0##*/} BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd) || exit 2
MBXDP=$BUILD/engine/mbxdp
# shellcheck disable=SC2034 # read by the scripts
LIBMODBUS_CLIENT=$BUILD/tests/integration/mb_libmodbus_client

IT_FAMILY=${MBXDP_IT_FAMILY:-4}
if [[ $IT_FAMILY != [46] ]]; then
	echo "${0##*/}: MBXDP_IT_FAMILY is 4 or 6, not '$IT_FAMILY'" >&2
	exit 2
fi

FINISHED=0
WORK=$(mktemp -d /tmp/mbxdp-it.XXXXXX)
# shellcheck source=tests/lib/pass_fail.sh
source "${BASH_SOURCE[0]%/*}/../lib/pass_fail.sh"

require() {
	local f missing=
	for f in "$@"; do
		if [[ $f == "$BUILD"/* ]]; then
			[[ -e $f ]] || missing="$f not built (ninja -C $BUILD)"
		else
			command -v "$f" >/dev/null || missing="$f not installed (tests/deps.sh)"
		fi
		if [[ -n $missing ]]; then
			echo "${0##*/}: $missing" >&2
			rm -rf "$WORK"
			exit 2
		fi
	done
}

it_net_setup() {
	mbnet_setup "$@"
	if ((IT_FAMILY == 6)); then
		mbnet_ipv6 primary
	fi
}

# Runs with the netns cleanup, so the summary is printed on every exit path;
# to fd 3, the test's stdout, as a signal may come while a step's output is
# redirected. A script that must undo something of its own on every exit
# path defines test_cleanup; it runs first, its steps counted.
exec 3>&1
mbnet_cleanup_hook() {
	{
		if declare -F test_cleanup >/dev/null; then
			test_cleanup
		fi
		((FINISHED)) || fail "test interrupted or timed out before the end"
		if ((FAILED)); then
			echo "logs kept in $WORK"
		else
			rm -rf "$WORK"
		fi
		summary
	} >&3
}

SERVER_PID=
SERVER_LOG=

# server_cmd ARGS... : sets SERVER_CMD, the mbxdp command line with ARGS
# added; AF_XDP on the server veth. A script serving through another
# backend defines its own after sourcing this file.
server_cmd() {
	SERVER_CMD=("$MBXDP" --iface "$MBNET_SRV_IF" "$@")
}

start_server() {
	local log=$1
	shift
	# shellcheck disable=SC2034 # read by the scripts
	SERVER_LOG=$log
	server_cmd "$@"
	mbnet_spawn "$MBNET_SRV_NS" "$log" "${SERVER_CMD[@]}"
	SERVER_PID=$MBNET_LAST_PID
	if mbnet_wait_line "$log" '^mbxdp: serving' 15 "$SERVER_PID"; then
		# A script that has to wire up what the server created defines
		# server_started.
		if declare -F server_started >/dev/null; then
			server_started
		fi
		return 0
	fi
	echo "    mbxdp did not print 'mbxdp: serving' within 15 s; its output:"
	indent "$log"
	return 1
}

stop_server() {
	kill -INT "$SERVER_PID"
	if mbnet_wait_exit "$SERVER_PID" 15 && ((MBNET_EXIT_STATUS == 0)); then
		return 0
	fi
	echo "    mbxdp did not exit 0 on SIGINT (status ${MBNET_EXIT_STATUS:-still running}); its output:"
	indent "$SERVER_LOG"
	return 1
}

counter() {
	sed -n "s/^$1 //p" "$SERVER_LOG"
}

expect_counter() {
	local v
	v=$(counter "$1")
	[[ -n $v ]] && test "$v" "$2" "$3" && { echo "$1 $v"; return 0; }
	echo "$1 is '${v}', want $2 $3"
	return 1
}
