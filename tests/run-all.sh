#!/usr/bin/env bash
# Runs every test of mbxdp: installs what is missing, then builds twice
# (release, and with AddressSanitizer and UndefinedBehaviorSanitizer) with
# warnings as errors, and runs the unit tests and the network-namespace
# integration tests on both builds; then the fuzz suite in a clang build
# (libFuzzer, ASan, UBSan); then builds the Debian packages, installs them,
# serves from them and purges them. Needs root (namespaces, XDP, apt).
# Usage: bash tests/run-all.sh [BUILD_DIR]   (the sanitizer builds go to
# BUILD_DIR-sanitize and BUILD_DIR-fuzz, the packages to BUILD_DIR-deb)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
. "$top/tests/deps.sh"
mbxdp_install_deps

rc=0
run_build() { # DIR [meson setup options...]
	local dir=$1
	shift
	[ -f "$dir/build.ninja" ] || meson setup "$dir" "$top" "$@" >/dev/null
	ninja -C "$dir"
	meson test -C "$dir" --print-errorlogs --num-processes 1 || rc=1
	echo "${dir##*/}:"
	/usr/bin/python3 "$top/tests/summary.py" "$dir/meson-logs/testlog.json" >"$dir/summary.txt" || rc=1
	cat "$dir/summary.txt"
}
# Warnings are errors here and for developers, not for users building a release.
run_build "$build" -Dwerror=true
run_build "$build-sanitize" -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized

# The fuzz suite once more with clang: the mutation test and the libFuzzer
# target (45 s), under ASan and UBSan, the whole stack instrumented for
# coverage. Only what the suite needs is built.
fuzz=$build-fuzz
[ -f "$fuzz/build.ninja" ] || CC=clang meson setup "$fuzz" "$top" -Dwerror=true -Db_sanitize=address,undefined \
	-Db_lundef=false -Db_lto=false -Dbuildtype=debugoptimized \
	-Dc_args=-fsanitize=fuzzer-no-link >/dev/null
ninja -C "$fuzz" tests/fuzz_stack tests/fuzz_stack_lf
meson test -C "$fuzz" --no-rebuild --suite fuzz --print-errorlogs --num-processes 1 || rc=1
echo "${fuzz##*/}:"
/usr/bin/python3 "$top/tests/summary.py" "$fuzz/meson-logs/testlog.json" >"$fuzz/summary.txt" || rc=1
cat "$fuzz/summary.txt"

# The Debian packages: built from a copy of the tree, checked by lintian,
# installed, serving, purged (tests/install/test_deb.sh).
echo "packages:"
bash "$top/tests/install/test_deb.sh" "$build-deb" || rc=1

# One closing line for the three builds.
/usr/bin/python3 - "$build/summary.txt" "$build-sanitize/summary.txt" "$fuzz/summary.txt" <<'PY'
import re, sys
p = f = s = 0
for path in sys.argv[1:]:
    m = re.search(r"^tests: (\d+) passed, (\d+) failed, (\d+) skipped$", open(path).read(), re.M)
    p, f, s = p + int(m[1]), f + int(m[2]), s + int(m[3])
print(f"all: {p} passed, {f} failed, {s} skipped")
PY
exit "$rc"
