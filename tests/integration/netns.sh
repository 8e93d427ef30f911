# shellcheck shell=bash
# Sourced helpers for the integration test and the lab demo: two network
# namespaces joined by a veth pair, the server side 198.18.0.1/24 and the
# client side 198.18.0.2/24 (198.18.0.0/15 is the benchmarking range of
# RFC 2544, so nothing here can reach a real network); with mbnet_ipv6 also
# 2001:2::1/64 and 2001:2::2/64 (2001:2::/48, the IPv6 benchmarking range
# of RFC 5180).
#
#   source tests/integration/netns.sh
#   mbnet_setup TAG [QUEUES]     # TAG: 1-4 letters; names get TAG and $$;
#                                # QUEUES: rx and tx queues of each veth (1)
#   mbnet_ipv6 [primary]         # after mbnet_setup: the IPv6 addresses,
#                                # usable when it returns; "primary" makes
#                                # them MBNET_SRV_ADDR and MBNET_CLI_ADDR
#   mbnet_spawn NS LOG cmd...    # background process in namespace NS
#   mbnet_wait_line LOG REGEX SECONDS [PID]
#   mbnet_wait_exit PID SECONDS  # its status then in MBNET_EXIT_STATUS
#   mbnet_cli cmd...             # run a command in the client namespace
#   mbnet_xdp_attached           # true while an XDP program is on the server veth
#
# mbnet_setup installs a trap on EXIT, INT and TERM that stops the spawned
# processes, checks that no XDP program is left on the server veth, and
# deletes both namespaces. A script that needs its own cleanup defines
# mbnet_cleanup_hook; it runs first.

MBNET_SRV_ADDR=198.18.0.1
MBNET_CLI_ADDR=198.18.0.2
MBNET_SRV_ADDR6=2001:2::1
MBNET_CLI_ADDR6=2001:2::2
MBNET_PIDS=()

mbnet_die() {
	echo "netns: $*" >&2
	exit 1
}

mbnet_setup() {
	local tag=$1 queues=${2:-1}
	[[ $tag =~ ^[A-Za-z]{1,4}$ ]] || mbnet_die "tag must be 1-4 letters, not '$tag'"
	[[ $queues =~ ^[1-9][0-9]?$ ]] || mbnet_die "queues must be 1-99, not '$queues'"
	[[ $(id -u) -eq 0 ]] || mbnet_die "needs root (network namespaces, XDP)"
	MBNET_SRV_NS="$tag-$$-srv"
	MBNET_CLI_NS="$tag-$$-cli"
	# Interface names must fit IFNAMSIZ (15 characters): 4 + 7 + 1 at most.
	MBNET_SRV_IF="$tag$$s"
	MBNET_CLI_IF="$tag$$c"

	# INT and TERM go through exit so the EXIT trap does the cleanup once.
	trap mbnet_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	ip netns add "$MBNET_SRV_NS" || mbnet_die "cannot create namespace $MBNET_SRV_NS"
	ip netns add "$MBNET_CLI_NS" || mbnet_die "cannot create namespace $MBNET_CLI_NS"
	# A veth's frames arrive on the peer's receive queue of the number of
	# the transmit queue they left by (veth_xmit() in drivers/net/veth.c).
	ip link add "$MBNET_SRV_IF" netns "$MBNET_SRV_NS" numrxqueues "$queues" numtxqueues "$queues" \
		type veth peer name "$MBNET_CLI_IF" netns "$MBNET_CLI_NS" \
		numrxqueues "$queues" numtxqueues "$queues" ||
		mbnet_die "cannot create veth pair $MBNET_SRV_IF/$MBNET_CLI_IF"
	ip -n "$MBNET_SRV_NS" addr add "$MBNET_SRV_ADDR/24" dev "$MBNET_SRV_IF"
	ip -n "$MBNET_CLI_NS" addr add "$MBNET_CLI_ADDR/24" dev "$MBNET_CLI_IF"
	# A kernel sender on veth leaves checksums to an offload that never
	# happens (CHECKSUM_PARTIAL); the AF_XDP side sees them unfinished.
	# Make both kernels compute full checksums and send plain segments.
	ip netns exec "$MBNET_CLI_NS" ethtool -K "$MBNET_CLI_IF" tx off tso off gso off gro off >/dev/null ||
		mbnet_die "ethtool -K failed on $MBNET_CLI_IF"
	ip netns exec "$MBNET_SRV_NS" ethtool -K "$MBNET_SRV_IF" tx off tso off gso off gro off >/dev/null ||
		mbnet_die "ethtool -K failed on $MBNET_SRV_IF"
	local ns
	for ns in "$MBNET_SRV_NS" "$MBNET_CLI_NS"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$MBNET_SRV_NS" link set "$MBNET_SRV_IF" up
	ip -n "$MBNET_CLI_NS" link set "$MBNET_CLI_IF" up
	# The carrier comes up asynchronously; wait (bounded) for both ends so
	# the first client does not race it.
	local i
	for ((i = 0; i < 50; i++)); do
		ip -n "$MBNET_SRV_NS" -o link show dev "$MBNET_SRV_IF" | grep -q 'state UP' &&
			ip -n "$MBNET_CLI_NS" -o link show dev "$MBNET_CLI_IF" | grep -q 'state UP' &&
			return 0
		sleep 0.1
	done
	mbnet_die "veth $MBNET_SRV_IF/$MBNET_CLI_IF did not come up"
}

# Duplicate address detection would keep a new address tentative (unusable
# as a source or a destination) for a second or more: nodad, as nothing else
# is on the link. The offloads mbnet_setup turned off cover IPv6 as well.
mbnet_ipv6() {
	local primary=${1:-} i
	ip -n "$MBNET_SRV_NS" addr add "$MBNET_SRV_ADDR6/64" dev "$MBNET_SRV_IF" nodad ||
		mbnet_die "cannot add $MBNET_SRV_ADDR6 to $MBNET_SRV_IF"
	ip -n "$MBNET_CLI_NS" addr add "$MBNET_CLI_ADDR6/64" dev "$MBNET_CLI_IF" nodad ||
		mbnet_die "cannot add $MBNET_CLI_ADDR6 to $MBNET_CLI_IF"
	if [[ $primary == primary ]]; then
		MBNET_SRV_ADDR=$MBNET_SRV_ADDR6
		MBNET_CLI_ADDR=$MBNET_CLI_ADDR6
	elif [[ -n $primary ]]; then
		mbnet_die "mbnet_ipv6 takes 'primary' or nothing, not '$primary'"
	fi
	# Usable: the client's kernel reaches the server's over them (the
	# link-local addresses, which still go through DAD, play no part).
	for ((i = 0; i < 20; i++)); do
		mbnet_cli ping -n -c 1 -W 1 "$MBNET_SRV_ADDR6" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	mbnet_die "IPv6 addresses $MBNET_SRV_ADDR6/$MBNET_CLI_ADDR6 not usable: 20 pings from the client unanswered"
}

mbnet_xdp_attached() {
	ip -n "$MBNET_SRV_NS" link show dev "$MBNET_SRV_IF" 2>/dev/null | grep -q 'prog/xdp'
}

# mbnet_spawn NS LOG cmd... : start cmd in namespace NS with stdout and stderr
# in LOG; its pid (ip netns exec execs cmd, so the same process) is in
# MBNET_LAST_PID and is stopped by the cleanup.
mbnet_spawn() {
	local ns=$1 log=$2
	shift 2
	# Emptied before the process starts, not by its own redirection: a log
	# reused from an earlier run (a restarted server) would otherwise show
	# that run's lines, its "serving" among them, to mbnet_wait_line until
	# the new process got round to it, and the client would connect before
	# the server had even started.
	: >"$log"
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	MBNET_LAST_PID=$!
	MBNET_PIDS+=("$MBNET_LAST_PID")
}

mbnet_cli() {
	ip netns exec "$MBNET_CLI_NS" "$@"
}

# mbnet_wait_line LOG REGEX SECONDS [PID] : wait until a line of LOG matches
# REGEX (grep -E). Fails on timeout, or at once if PID has exited.
mbnet_wait_line() {
	local log=$1 re=$2 secs=$3 pid=${4:-} i
	for ((i = 0; i < secs * 10; i++)); do
		grep -qE -- "$re" "$log" 2>/dev/null && return 0
		if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
			grep -qE -- "$re" "$log" 2>/dev/null
			return
		fi
		sleep 0.1
	done
	return 1
}

# mbnet_wait_exit PID SECONDS : wait for a spawned process to end; its exit
# status is in MBNET_EXIT_STATUS. Fails if it is still running after SECONDS.
mbnet_wait_exit() {
	local pid=$1 secs=$2 i p keep=()
	MBNET_EXIT_STATUS=
	for ((i = 0; i < secs * 10; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			# shellcheck disable=SC2034 # read by the caller
			MBNET_EXIT_STATUS=$?
			# Reaped: its pid may be reused, so the cleanup must not signal it.
			for p in "${MBNET_PIDS[@]}"; do
				[[ $p == "$pid" ]] || keep+=("$p")
			done
			MBNET_PIDS=("${keep[@]}")
			return 0
		fi
		sleep 0.1
	done
	return 1
}

mbnet_cleanup() {
	local rc=$? pid i alive
	trap - EXIT INT TERM
	if declare -F mbnet_cleanup_hook >/dev/null; then
		mbnet_cleanup_hook
	fi
	for pid in "${MBNET_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for ((i = 0; i < 50; i++)); do
		alive=0
		for pid in "${MBNET_PIDS[@]}"; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		((alive)) || break
		sleep 0.1
	done
	for pid in "${MBNET_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
	if [[ -n ${MBNET_SRV_NS:-} ]]; then
		if mbnet_xdp_attached; then
			echo "netns: an XDP program was left on $MBNET_SRV_IF; removing it" >&2
			ip -n "$MBNET_SRV_NS" link set dev "$MBNET_SRV_IF" xdp off 2>/dev/null
			ip -n "$MBNET_SRV_NS" link set dev "$MBNET_SRV_IF" xdpgeneric off 2>/dev/null
			((rc)) || rc=1
		fi
		ip netns del "$MBNET_SRV_NS" 2>/dev/null
	fi
	[[ -n ${MBNET_CLI_NS:-} ]] && ip netns del "$MBNET_CLI_NS" 2>/dev/null
	exit "$rc"
}
