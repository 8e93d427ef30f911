#!/usr/bin/env bash
# Builds one topic's scapy fixtures (TOPIC.py beside this script) and plays
# each through the stack in process.
#   tests/traffic/run_fixtures.sh FIXTURE_RUNNER TOPIC
set -u
runner=${1:?usage: run_fixtures.sh FIXTURE_RUNNER TOPIC}
topic=${2:?usage: run_fixtures.sh FIXTURE_RUNNER TOPIC}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/mbxdp-fixtures.XXXXXX)
trap 'rm -rf "$out"' EXIT
names=$(/usr/bin/python3 "$here/$topic.py" "$out") || { echo "$topic.py failed"; echo "0 passed, 1 failed"; exit 1; }
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
