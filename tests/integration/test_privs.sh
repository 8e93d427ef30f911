#!/bin/bash
# Integration test: what mbxdp gives up once it serves, and the files it
# refuses to write through (docs/security.md), over AF_XDP on a veth pair
# between two network namespaces.
#
#   tests/integration/test_privs.sh BUILD_DIR
#
# Checks that a serving engine started as root runs as nobody with
# CAP_NET_ADMIN alone, no-new-privileges and its seccomp filter
# (/proc/PID/status), that its /dev/shm files belong to that user with mode
# 0600 and still serve mbxdp-ctl run as root, that it answers and stops
# cleanly that way; that a symbolic link, another user's file or a file
# with a wider mode at NAME.stats, NAME.regs or the capture path makes it
# refuse with one line and leaves the target untouched; and that
# --cookie-secret-file takes only a private file of enough bytes. Needs
# root. Prints PASS/FAIL per step and ends with "N passed, N failed".
# shellcheck disable=SC2317 # steps are called through check()
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=100
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
CTL=$BUILD/tools/ctl/mbxdp-ctl
require "$MBXDP" "$CTL" mbpoll

# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"

NAME=mbxdp-privs-$$
FOREIGN_UID=54321 # no user of this machine: "someone else"
SHM_MADE=()
mbnet_cleanup_hook() {
	local f
	for f in "${SHM_MADE[@]}"; do
		rm -f "$f"
	done
	# steps.sh's hook prints the summary.
	((FINISHED)) || fail "test interrupted or timed out before the end"
	if ((FAILED)); then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
	summary
} >&3

status_field() { # FIELD
	sed -n "s/^$1:[[:space:]]*//p" "/proc/$SERVER_PID/status"
}

dropped_privileges() {
	local nobody
	nobody=$(id -u nobody)
	cat "/proc/$SERVER_PID/status"
	# Real, effective, saved and filesystem uid.
	[[ $(status_field Uid) == "$nobody	$nobody	$nobody	$nobody" ]] &&
		[[ $(status_field CapEff) == 0000000000001000 ]] && # CAP_NET_ADMIN (12) alone
		[[ $(status_field CapPrm) == 0000000000001000 ]] &&
		[[ $(status_field CapInh) == 0000000000000000 ]] &&
		[[ $(status_field CapBnd) == 0000000000001000 ]] &&
		[[ $(status_field CapAmb) == 0000000000000000 ]] &&
		[[ $(status_field NoNewPrivs) == 1 ]] && [[ $(status_field Seccomp) == 2 ]]
}

# Every thread, the workers included, under the filter.
threads_filtered() {
	local t n=0
	for t in /proc/"$SERVER_PID"/task/*; do
		grep -q '^Seccomp:[[:space:]]*2$' "$t/status" || { echo "$t not filtered"; return 1; }
		n=$((n + 1))
	done
	echo "$n threads"
	((n >= 2))
}

files_owned() {
	local f
	for f in "/dev/shm/$NAME.stats" "/dev/shm/$NAME.regs"; do
		stat -c '%n %U %a' "$f"
		[[ $(stat -c '%U %a' "$f") == "nobody 600" ]] || return 1
	done
	stat -c '%n %U %a' "$WORK/served.pcapng"
	[[ $(stat -c '%U %a' "$WORK/served.pcapng") == "root 600" ]]
}

serves_and_ctl_reads() {
	mbnet_cli timeout 20 mbpoll -m tcp -o 5 -a 1 -r 1 -c 5 -t 4 -1 "$MBNET_SRV_ADDR" &&
		"$CTL" --name "$NAME" set hr 7 4242 &&
		mbnet_cli timeout 20 mbpoll -m tcp -o 5 -a 1 -r 8 -c 1 -t 4 -1 "$MBNET_SRV_ADDR" | grep -q '4242' &&
		"$CTL" --name "$NAME" stats | grep -q running
}

stops_and_removes() {
	stop_server && [[ ! -e /dev/shm/$NAME.stats && ! -e /dev/shm/$NAME.regs ]] &&
		[[ -s $WORK/served.pcapng ]]
}

# refused WHAT TARGET ARGS...: mbxdp with ARGS exits 1 with one line that
# says why (WHAT), and TARGET is byte for byte what it was.
refused() {
	local what=$1 target=$2 before out rc
	shift 2
	before=$(stat -c '%s %Y %U %a' "$target" && sha256sum <"$target")
	out=$(ip netns exec "$MBNET_SRV_NS" timeout 15 "$MBXDP" --iface "$MBNET_SRV_IF" "$@" 2>&1)
	rc=$?
	echo "exit $rc: $out"
	((rc == 1)) && [[ $(wc -l <<<"$out") == 1 && $out == *"$what"* ]] &&
		[[ $(stat -c '%s %Y %U %a' "$target" && sha256sum <"$target") == "$before" ]] &&
		! mbnet_xdp_attached
}

# A root-only file a symbolic link at the predictable name points to.
make_target() {
	printf 'root only, not to be overwritten\n' >"$WORK/target"
	chmod 600 "$WORK/target"
	touch -d '2020-01-01' "$WORK/target"
}

shm_symlink_refused() { # SUFFIX
	local n=$NAME-ln$1
	make_target
	ln -s "$WORK/target" "/dev/shm/$n.$1" && SHM_MADE+=("/dev/shm/$n.$1")
	refused "symbolic link" "$WORK/target" --name "$n"
}

shm_foreign_refused() { # SUFFIX
	local n=$NAME-fo$1 f
	f=/dev/shm/$n.$1
	SHM_MADE+=("$f")
	printf 'planted\n' >"$f" && chown "$FOREIGN_UID" "$f" && chmod 600 "$f" &&
		refused "belongs to uid $FOREIGN_UID" "$f" --name "$n"
}

shm_wide_mode_refused() {
	local f=/dev/shm/$NAME-wide.stats
	SHM_MADE+=("$f")
	printf 'planted\n' >"$f" && chmod 666 "$f" && refused "mode 0666" "$f" --name "$NAME-wide"
}

capture_symlink_refused() {
	make_target
	ln -s "$WORK/target" "$WORK/link.pcapng" &&
		refused "symbolic link" "$WORK/target" --name "$NAME-cap" --capture "$WORK/link.pcapng"
}

capture_foreign_refused() {
	printf 'planted\n' >"$WORK/foreign.pcapng" && chown "$FOREIGN_UID" "$WORK/foreign.pcapng" &&
		refused "belongs to uid $FOREIGN_UID" "$WORK/foreign.pcapng" --name "$NAME-cf" \
			--capture "$WORK/foreign.pcapng"
}

secret_file_checked() {
	(umask 077 && printf 'short' >"$WORK/short.secret") &&
		(umask 022 && printf 'a secret long enough, but readable by all' >"$WORK/open.secret") &&
		refused "16 to 4096 bytes" "$WORK/short.secret" --name "$NAME-s1" \
			--cookie-secret-file "$WORK/short.secret" &&
		refused "only its owner may read" "$WORK/open.secret" --name "$NAME-s2" \
			--cookie-secret-file "$WORK/open.secret"
}

secret_file_serves() {
	(umask 077 && printf 'a secret long enough for the keys\n' >"$WORK/good.secret") &&
		start_server "$WORK/secret.log" --name "$NAME-s3" --cookie-secret-file "$WORK/good.secret" &&
		{ # a second try: on a loaded host the first connect may time out
			mbnet_cli timeout 20 mbpoll -m tcp -o 5 -a 1 -r 1 -c 5 -t 4 -1 "$MBNET_SRV_ADDR" ||
				mbnet_cli timeout 20 mbpoll -m tcp -o 5 -a 1 -r 1 -c 5 -t 4 -1 "$MBNET_SRV_ADDR"
		} && stop_server
}

mbnet_setup mbxP
if start_server "$WORK/serve.log" --name "$NAME" --capture "$WORK/served.pcapng"; then
	check "serving as nobody with CAP_NET_ADMIN alone, no-new-privileges, seccomp" dropped_privileges
	check "every thread is under the filter" threads_filtered
	check "its /dev/shm files are nobody's, 0600; the capture root's" files_owned
	check "it answers, and root's mbxdp-ctl reads and writes its files" serves_and_ctl_reads
	check "it stops cleanly and removes its files" stops_and_removes
else
	fail "mbxdp did not start"
fi
check "a symbolic link at NAME.stats is refused, its target untouched" shm_symlink_refused stats
check "a symbolic link at NAME.regs is refused, its target untouched" shm_symlink_refused regs
check "another user's NAME.stats is refused and left as it was" shm_foreign_refused stats
check "another user's NAME.regs is refused and left as it was" shm_foreign_refused regs
check "a NAME.stats open to all is refused" shm_wide_mode_refused
check "a symbolic link at the capture path is refused" capture_symlink_refused
check "another user's file at the capture path is refused" capture_foreign_refused
check "--cookie-secret-file refuses a short or readable secret" secret_file_checked
check "--cookie-secret-file with a private secret serves" secret_file_serves
FINISHED=1
((FAILED == 0))
