#!/bin/bash
# Integration test: an installed mbxdp, with no build tree behind it.
# `meson install` stages the build into a DESTDIR, the staged tree is moved
# elsewhere (the installation is relocatable), and then, with the build and
# source trees hidden (an empty tmpfs mounted over each, in a private mount
# namespace of the server), the installed mbxdp finds its XDP program under
# <libdir>/mbxdp and serves mbpoll in a namespace; the installed Python
# module reads its live registers through the installed library; a C
# program builds against the installed header and pkg-config file; every
# installed program answers --version; the engine serves again with no more
# privileges than the installed mbxdp@.service leaves it, which
# systemd-analyze verify accepts; the man pages are found; a wrong
# --xdp-object or $MBXDP_XDP_OBJECT is refused naming the file.
#
#   tests/install/test_install.sh BUILD_DIR
#
# Needs root. Prints PASS/FAIL per step and ends with "N passed, N failed".
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
IT_TIMEOUT=90
# shellcheck source=SCRIPTDIR/../integration/steps.sh
source "$HERE/../integration/steps.sh"
# shellcheck source=SCRIPTDIR/../integration/netns.sh
source "$HERE/../integration/netns.sh"

require "$MBXDP" mbpoll unshare setpriv pkg-config cc man systemd-analyze /usr/bin/python3

STAGE=$WORK/stage
ROOT=$WORK/moved
# Filled from the staged tree once it is there.
SBIN= LIBDIR= PYDIR= PCDIR=

stage_install() {
	meson install -C "$BUILD" --no-rebuild --quiet --destdir "$STAGE" || return 1
	mv "$STAGE" "$ROOT" || return 1
	SBIN=$(find "$ROOT" -path '*/sbin/mbxdp' -printf '%h')
	LIBDIR=$(find "$ROOT" -name 'libmbxdp_regs.so.0' -printf '%h')
	PYDIR=$(find "$ROOT" -path '*-packages/mbxdp/__init__.py' -printf '%h')
	PCDIR=$(find "$ROOT" -name 'mbxdp-regs.pc' -printf '%h')
	echo "sbin $SBIN, libdir $LIBDIR, python ${PYDIR%/mbxdp}, pkg-config $PCDIR"
	[[ -n $SBIN && -n $LIBDIR && -n $PYDIR && -n $PCDIR ]] &&
		[[ -f $LIBDIR/mbxdp/mbxdp_steer.bpf.o ]]
}

# Every installed program prints "NAME VERSION".
versions() {
	local p out
	for p in "$SBIN/mbxdp" "$SBIN/../bin/mbxdp-ctl" "$SBIN/../bin/mbxdp-replay" \
		"$SBIN/../bin/mbxdp-bench"; do
		out=$(LD_LIBRARY_PATH=$LIBDIR "$p" --version) || return 1
		echo "$out"
		[[ $out =~ ^${p##*/}\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || return 1
	done
}

# The staged mbxdp in the server namespace, the trees it came from hidden,
# run through SERVER_WRAP (a command prefix) when set.
SERVER_WRAP=()
server_cmd() {
	SERVER_CMD=(env LD_LIBRARY_PATH="$LIBDIR" unshare --mount --propagation private
		sh -c 'mount -t tmpfs none "$1" && mount -t tmpfs none "$2" && shift 2 && exec "$@"'
		hide "$BUILD" "$SRC" "${SERVER_WRAP[@]}" "$SBIN/mbxdp" --iface "$MBNET_SRV_IF" "$@")
}

# The privileges mbxdp@.service leaves the engine: its bounding set of
# capabilities and no new privileges. (Its LimitMEMLOCK=infinity is only
# checked to be there: raising the limit takes CAP_SYS_RESOURCE, which a
# container may lack; the umem is locked under CAP_IPC_LOCK regardless.)
unit_privileges() {
	local unit caps
	unit=$(find "$ROOT" -name 'mbxdp@.service' -print -quit)
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
	[[ -n $caps ]] && grep -qx 'NoNewPrivileges=yes' "$unit" && grep -qx 'LimitMEMLOCK=infinity' "$unit" || return 1
	SERVER_WRAP=(setpriv --no-new-privs --bounding-set="-all,$caps")
	echo "${SERVER_WRAP[*]}"
}

mbpoll_reads() {
	mbnet_cli timeout 10 mbpoll -m tcp -a 1 -1 -r 1 -c 10 "$MBNET_SRV_ADDR" >"$WORK/mbpoll.log" 2>&1
	cat "$WORK/mbpoll.log"
	[[ $(grep -cE '^\[[0-9]+\]:' "$WORK/mbpoll.log") -eq 10 ]]
}

# A sanitizer build's library wants the ASan runtime loaded first, which
# Python and a plain C program do not do: its path, or nothing.
asan_runtime() {
	ldd "$LIBDIR/libmbxdp_regs.so.0" | awk '/libasan/ { print $3 }'
}

# The installed module, from outside the source tree, reads holding
# register 7 of the running engine: 7 in the default image.
python_reads() {
	(cd "$WORK" && LD_LIBRARY_PATH=$LIBDIR PYTHONPATH=${PYDIR%/mbxdp} LD_PRELOAD=$(asan_runtime) \
		ASAN_OPTIONS=detect_leaks=0 /usr/bin/python3 -c '
import sys, mbxdp
print(mbxdp.__file__)
with mbxdp.Store(sys.argv[1]) as s:
    v = s.unit().read("holding-registers", 7, 1)
print(v)
sys.exit(v != [7])' "mbxdp-$MBNET_SRV_IF")
}

# A C program against the installed header and library, by pkg-config.
c_builds() {
	local prefix flags
	prefix=$(PKG_CONFIG_PATH=$PCDIR pkg-config --variable=prefix mbxdp-regs) || return 1
	flags=$(PKG_CONFIG_PATH=$PCDIR pkg-config --define-variable=prefix="$ROOT$prefix" \
		--cflags --libs mbxdp-regs) || return 1
	echo "pkg-config: $flags"
	# shellcheck disable=SC2086 # the flags are words
	printf '#include <mbxdp/mbx_regs.h>\nint main(void) { struct mbx_regs r; return mbx_regs_open(&r, "none", 0, 0) == 0; }\n' |
		cc -x c - -o "$WORK/regs_user" $flags &&
		LD_LIBRARY_PATH=$LIBDIR LD_PRELOAD=$(asan_runtime) "$WORK/regs_user"
}

# Every program's page and the counter reference, as man finds them.
man_pages() {
	local mandir p
	mandir=$(find "$ROOT" -type d -path '*/share/man' -print -quit)
	for p in mbxdp mbxdp-ctl mbxdp-bench mbxdp-replay mbxdp-counters; do
		MANPATH=$mandir man -w "$p" || return 1
	done
}

# The installed unit, its paths moved with the tree, as systemd reads it:
# commands that exist, man pages that resolve, no unknown setting.
unit_verifies() {
	local unit
	unit=$(find "$ROOT" -name 'mbxdp@.service' -print -quit)
	[[ -n $unit ]] || return 1
	sed "s|=\(-\?\)${SBIN#"$ROOT"}/|=\1$SBIN/|" "$unit" >"$WORK/mbxdp@.service"
	grep '^Exec' "$WORK/mbxdp@.service"
	MANPATH=$(find "$ROOT" -type d -path '*/share/man' -print -quit) \
		systemd-analyze verify "$WORK/mbxdp@.service"
}

# refused VAR=VALUE ARGS... : the staged mbxdp, with that in its
# environment and ARGS, exits 1 naming the missing object.
refused() {
	local var=$1 out rc
	shift
	out=$(ip netns exec "$MBNET_SRV_NS" env LD_LIBRARY_PATH="$LIBDIR" "$var" \
		timeout 10 "$SBIN/mbxdp" --iface "$MBNET_SRV_IF" "$@" 2>&1)
	rc=$?
	echo "$out (exit $rc)"
	((rc == 1)) && [[ $out == *"$WORK/no-such.bpf.o"* ]]
}

mbnet_setup ins
if ! check "meson install into a DESTDIR, moved elsewhere" stage_install; then
	FINISHED=1
	exit 1
fi
check "installed programs answer --version" versions
if start_server "$WORK/mbxdp.log"; then
	pass "installed mbxdp serves with the build and source trees hidden"
	check "mbpoll reads 10 registers from the installed mbxdp" mbpoll_reads
	check "the installed Python module reads the live registers" python_reads
	check "mbxdp exits 0 on SIGINT" stop_server
else
	fail "installed mbxdp serves with the build and source trees hidden"
fi
if check "the unit's privileges: bounding set, no new privileges" unit_privileges &&
	start_server "$WORK/mbxdp-unit.log"; then
	pass "installed mbxdp serves with no more privileges than mbxdp@.service gives"
	check "mbpoll reads 10 registers from it" mbpoll_reads
	check "it exits 0 on SIGINT" stop_server
else
	fail "installed mbxdp serves with no more privileges than mbxdp@.service gives"
fi
check "a C program builds against the installed header by pkg-config" c_builds
check "man finds the installed pages" man_pages
check "systemd-analyze verify accepts the installed mbxdp@.service" unit_verifies
check "MBXDP_XDP_OBJECT naming no file is refused" refused MBXDP_XDP_OBJECT="$WORK/no-such.bpf.o"
check "--xdp-object naming no file is refused" refused MBXDP_XDP_OBJECT= --xdp-object "$WORK/no-such.bpf.o"

FINISHED=1
exit $((FAILED > 0))
