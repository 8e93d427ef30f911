#!/usr/bin/env bash
# Runs test_steer in a network namespace of its own, on a veth interface
# with the MAC the frames expect; the namespace goes on every exit path.
#   xdp/tests/run_test_steer.sh TEST_STEER
# Speaks TAP, as test_steer does under CMOCKA_MESSAGE_OUTPUT=TAP. Needs root
# (BPF, namespaces): a plan of no cases, meson's "skipped", without it.
set -u
runner=${1:?usage: run_test_steer.sh TEST_STEER}
here=$(cd "$(dirname "$0")" && pwd)
if [[ $(id -u) -ne 0 ]]; then
	echo "1..0 # SKIP test_steer needs root (BPF, network namespaces)"
	exit 0
fi
ns="mbxs-$$-steer"
out=$(mktemp -d /tmp/mbxdp-steer.XXXXXX)
trap 'ip netns del "$ns" 2>/dev/null; rm -rf "$out"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
ip netns add "$ns" || exit 1
ip -n "$ns" link add mbxs0 address 02:00:00:00:00:01 type veth peer name mbxs1 || exit 1
ip -n "$ns" link set mbxs0 up || exit 1
/usr/bin/python3 "$here/steer_fixtures.py" "$out/fixtures" || { echo "Bail out! steer_fixtures.py failed"; exit 1; }
timeout 60 ip netns exec "$ns" "$runner" mbxs0 "$out/fixtures"
