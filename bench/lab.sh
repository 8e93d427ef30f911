#!/bin/bash
# The lab demo: mbxdp answering a stock Modbus master over AF_XDP.
#
#   bench/lab.sh [BUILD_DIR]        (default BUILD_DIR: build; needs root)
#
# Installs the Debian packages it needs, builds mbxdp if needed, makes two network namespaces joined by a veth pair
# (tests/integration/netns.sh), starts mbxdp on the server side, and from the
# client side has mbpoll read 10 holding registers, write one and read it
# back. Then it stops mbxdp with SIGINT and shows its counters. Everything it
# made is removed on exit. XDP_MODE=generic runs in generic XDP mode instead
# of native.
set -u

REPO=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$REPO/build}

# shellcheck source=SCRIPTDIR/../tests/deps.sh
source "$REPO/tests/deps.sh"
mbxdp_install_deps || exit 1
if [[ ! -f $BUILD/build.ninja ]]; then
	meson setup "$BUILD" "$REPO" || exit 1
fi
ninja -C "$BUILD" || exit 1
MBXDP=$BUILD/engine/mbxdp

# shellcheck source=SCRIPTDIR/../tests/integration/netns.sh
source "$REPO/tests/integration/netns.sh"

LOG=$(mktemp /tmp/mbxdp-lab.XXXXXX)
# shellcheck disable=SC2317 # called by the netns cleanup
mbnet_cleanup_hook() {
	rm -f "$LOG"
}

mbnet_setup lab
SERVER=$MBNET_SRV_ADDR

run() {
	echo "\$ $*"
	mbnet_cli timeout 10 "$@"
}

echo "== starting mbxdp on $MBNET_SRV_IF ($SERVER) in namespace $MBNET_SRV_NS"
mbnet_spawn "$MBNET_SRV_NS" "$LOG" "$MBXDP" --iface "$MBNET_SRV_IF" --xdp-mode "${XDP_MODE:-native}"
PID=$MBNET_LAST_PID
if ! mbnet_wait_line "$LOG" '^mbxdp: serving' 15 "$PID"; then
	echo "lab: mbxdp did not start; its output:" >&2
	cat "$LOG" >&2
	exit 1
fi
grep '^mbxdp: serving' "$LOG"

echo "== mbpoll in namespace $MBNET_CLI_NS ($MBNET_CLI_ADDR)"
status=0
# mbpoll references are 1-based: reference 1 is holding register 0.
run mbpoll -m tcp -a 1 -r 1 -c 10 -t 4 -1 "$SERVER" || status=1
run mbpoll -m tcp -a 1 -r 1 -t 4 -1 "$SERVER" 1234 || status=1
run mbpoll -m tcp -a 1 -r 1 -c 2 -t 4 -1 "$SERVER" || status=1

echo "== stopping mbxdp (SIGINT); its counters:"
kill -INT "$PID"
if ! mbnet_wait_exit "$PID" 10 || ((MBNET_EXIT_STATUS != 0)); then
	echo "lab: mbxdp did not exit cleanly (status ${MBNET_EXIT_STATUS:-still running})" >&2
	status=1
fi
grep -v '^mbxdp: serving' "$LOG"
exit "$status"
