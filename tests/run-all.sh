#!/usr/bin/env bash
# Runs every test of mbxdp: installs what is missing, builds (warnings are
# errors), then the unit tests and the network-namespace integration tests.
# Needs root (namespaces, XDP). Usage: bash tests/run-all.sh [BUILD_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
. "$top/tests/deps.sh"
mbxdp_install_deps
[ -f "$build/build.ninja" ] || meson setup "$build" "$top" >/dev/null
ninja -C "$build"
rc=0
meson test -C "$build" --print-errorlogs --num-processes 1 || rc=$?
/usr/bin/python3 "$top/tests/summary.py" "$build/meson-logs/testlog.json" || rc=1
exit "$rc"
