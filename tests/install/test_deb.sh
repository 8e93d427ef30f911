#!/bin/bash
# The Debian packages, as a new user gets them: dpkg-buildpackage -b in a
# copy of the tree outside it, lintian with no error, `apt install ./*.deb`,
# then the installed mbxdp (/usr/sbin) serves mbpoll in a namespace with the
# source and package trees hidden; its version, man pages, unit
# (systemd-analyze verify), Python module and pkg-config file are checked.
# The packages are purged at the end, so the machine is left as found.
#
#   tests/install/test_deb.sh WORK_DIR     (the packages are built in it)
#
# Needs root (apt, namespaces, XDP). Prints PASS/FAIL per step and ends with
# "N passed, N failed".
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
DEB_WORK=${1:?usage: ${0##*/} WORK_DIR}
IT_TIMEOUT=1500 # the package build compiles everything once more
# steps.sh wants a build directory; the packages' own build is the one here.
mkdir -p "$DEB_WORK"
set -- "$DEB_WORK"
# shellcheck source=SCRIPTDIR/../integration/steps.sh
source "$HERE/../integration/steps.sh"
# shellcheck source=SCRIPTDIR/../integration/netns.sh
source "$HERE/../integration/netns.sh"

PACKAGES=(mbxdp libmbxdp-regs0 libmbxdp-regs-dev python3-mbxdp)
VERSION=$(sed -n "s/^  version : '\([^']*\)'.*/\1/p" "$SRC/meson.build")
TREE=$DEB_WORK/mbxdp-$VERSION
MBXDP=/usr/sbin/mbxdp
INSTALLED=0

require dpkg-buildpackage lintian apt-get systemd-analyze man mbpoll unshare pkg-config

# The tree as git has it (tracked and new files, not ignored ones), else a
# plain copy without build directories.
copy_tree() {
	rm -rf "$TREE" "$DEB_WORK"/*.deb "$DEB_WORK"/*.ddeb "$DEB_WORK"/*.changes "$DEB_WORK"/*.buildinfo
	mkdir -p "$TREE" || return 1
	if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$SRC" ls-files -z --cached --others --exclude-standard |
			(cd "$SRC" && xargs -0 cp --parents -t "$TREE")
	else
		tar -C "$SRC" --exclude='./build*' -cf - . | tar -C "$TREE" -xf -
	fi
}

build_packages() {
	(cd "$TREE" && dpkg-buildpackage -b -us -uc) >"$WORK/build.log" 2>&1 ||
		{ tail -n 40 "$WORK/build.log"; return 1; }
	ls "$DEB_WORK"/*.deb
}

versions_agree() {
	local deb
	deb=$(cd "$TREE" && dpkg-parsechangelog -S Version)
	echo "meson.build $VERSION, debian/changelog $deb"
	[[ $deb == "$VERSION" ]]
}

lintian_clean() {
	lintian --fail-on error --tag-display-limit 0 "$DEB_WORK"/mbxdp_"${VERSION}"_*.changes
}

install_packages() {
	local p debs=()
	for p in "${PACKAGES[@]}"; do
		if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
			echo "$p is already installed; this test would not leave the machine as found"
			return 1
		fi
	done
	for p in "${PACKAGES[@]}"; do
		debs+=("$DEB_WORK/${p}_${VERSION}_"*.deb)
	done
	INSTALLED=1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${debs[@]}"
}

purge_packages() {
	DEBIAN_FRONTEND=noninteractive apt-get purge -y -q "${PACKAGES[@]}"
}

installed_programs() {
	local p out
	for p in mbxdp mbxdp-ctl mbxdp-bench mbxdp-replay; do
		out=$(cd / && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$p" --version) || return 1
		echo "$(command -v "$p"): $out"
		[[ $out == "$p $VERSION" ]] || return 1
	done
	[[ $(command -v mbxdp) == /usr/sbin/mbxdp ]]
}

man_pages() {
	local p
	for p in mbxdp mbxdp-ctl mbxdp-bench mbxdp-replay; do
		man -w "$p" || return 1
	done
}

python_and_pkgconfig() {
	(cd / && env -i PATH=/usr/bin:/bin /usr/bin/python3 -c 'import mbxdp; print(mbxdp.__file__)') &&
		pkg-config --cflags --libs mbxdp-regs
}

# The installed engine in the server namespace, the source tree and the
# package tree hidden (tmpfs over each, in the server's mount namespace; the
# package tree first, as it may lie inside the source tree).
server_cmd() {
	SERVER_CMD=(unshare --mount --propagation private
		sh -c 'mount -t tmpfs none "$1" && mount -t tmpfs none "$2" && shift 2 && exec "$@"'
		hide "$DEB_WORK" "$SRC" "$MBXDP" --iface "$MBNET_SRV_IF" "$@")
}

mbpoll_reads() {
	mbnet_cli timeout 10 mbpoll -m tcp -a 1 -1 -r 1 -c 10 "$MBNET_SRV_ADDR" >"$WORK/mbpoll.log" 2>&1
	cat "$WORK/mbpoll.log"
	[[ $(grep -cE '^\[[0-9]+\]:' "$WORK/mbpoll.log") -eq 10 ]]
}

test_cleanup() {
	if ((INSTALLED)); then
		check "apt-get purge leaves the machine as found" purge_packages
	fi
}

mbnet_setup deb
if ! check "the tree copied out of the source directory" copy_tree ||
	! check "dpkg-buildpackage -b -us -uc builds the packages" build_packages; then
	FINISHED=1
	exit 1
fi
check "debian/changelog has meson.build's version" versions_agree
check "lintian reports no error" lintian_clean
if check "apt install ./PACKAGE_*.deb" install_packages; then
	check "installed programs in /usr/sbin and /usr/bin answer --version" installed_programs
	check "man -w finds every program's page" man_pages
	check "systemd-analyze verify mbxdp@.service" systemd-analyze verify /lib/systemd/system/mbxdp@.service
	check "the Python module imports, pkg-config knows mbxdp-regs" python_and_pkgconfig
	if start_server "$WORK/mbxdp.log"; then
		pass "/usr/sbin/mbxdp serves with the source tree hidden"
		check "mbpoll reads 10 registers from the installed mbxdp" mbpoll_reads
		check "mbxdp exits 0 on SIGINT" stop_server
	else
		fail "/usr/sbin/mbxdp serves with the source tree hidden"
	fi
fi

FINISHED=1
exit $((FAILED > 0))
