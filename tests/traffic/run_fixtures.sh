#!/usr/bin/env bash
# Builds the scapy fixtures and plays each through the stack in process.
#   tests/traffic/run_fixtures.sh FIXTURE_RUNNER
set -u
runner=${1:?usage: run_fixtures.sh FIXTURE_RUNNER}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/mbxdp-fixtures.XXXXXX)
trap 'rm -rf "$out"' EXIT
names=$(/usr/bin/python3 "$here/fixtures.py" "$out") || { echo "fixtures.py failed"; echo "0 passed, 1 failed"; exit 1; }
# shellcheck source=tests/lib/pass_fail.sh
source "$here/../lib/pass_fail.sh"
# One fixture a line: its name, then the runner's stack options for it.
while read -r n args; do
	# shellcheck disable=SC2086 # args are separate words
	if "$runner" "$out/$n.pcap" $args; then
		pass "$n"
	else
		fail "$n"
	fi
done <<<"$names"
summary
