#!/usr/bin/env bash
# The corpus and the shared real captures through mbxdp's DPDK backend on a
# net_pcap port: each capture is replayed in process first (mbxdp-replay
# --in-process), its client frames become the net_pcap port's input, and
# mbxdp --dpdk, with the in-process replay's fixed SYN cookie secret, must
# send exactly the server frames of the in-process conversation, byte for
# byte (and so answer every request as the in-process replay did: its
# report passed). net_pcap reads its input without waiting for answers, so
# only a server that is a pure function of its input order passes.
#   tools/replay/tests/replay_net_pcap.sh MBXDP MBXDP_REPLAY SHARED_PCAPS_DIR
# Needs root (DPDK's EAL, without hugepages). The shared captures are used
# when SHARED_PCAPS_DIR has them.
set -u
mbxdp=${1:?usage: replay_net_pcap.sh MBXDP MBXDP_REPLAY SHARED_PCAPS_DIR}
replay=${2:?usage}
shared=${3:?usage}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/mbxdp-netpcap.XXXXXX)
# The secret of tools/replay/target_mem.c, in a file only its owner reads.
secret=$work/cookie.secret
(umask 077 && printf '%s' "mbxdp-replay in-process" >"$secret")
server=
cleanup() {
	[[ -n $server ]] && kill -KILL "$server" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
names=$(/usr/bin/python3 "$here/corpus.py" "$work") || { echo "corpus.py failed"; echo "0 passed, 1 failed"; exit 1; }
# The IPv4 sessions; the IPv6 ones are served in process (replay_corpus.sh)
# and over veth (test_replay.sh), not yet to mbxdp --dpdk here.
captures=()
for n in $names; do [[ $n == ipv6_* ]] || captures+=("$work/$n"); done
for f in modbus_test_data_part1.pcap modbus_test_data_part2.pcap; do
	[[ -r $shared/$f ]] && captures+=("$shared/$f")
done
# shellcheck source=tests/lib/pass_fail.sh
source "$here/../../../tests/lib/pass_fail.sh"
bases=()
for cap in "${captures[@]}"; do
	base=$work/$(basename "${cap%.*}")
	if "$replay" "$cap" --in-process "$base.conv.pcap" -q >"$base.replay.log" 2>&1; then
		bases+=("$base")
	else
		fail "$(basename "$base"): the in-process replay failed"
		indent "$base.replay.log"
	fi
done
/usr/bin/python3 "$here/net_pcap_frames.py" split "${bases[@]}" || { echo "splitting failed"; exit 1; }

# BASE: mbxdp on net_pcap with BASE.rx.pcap in, BASE.tx.pcap out; 0 when
# it took every input frame and stopped cleanly.
through_net_pcap() {
	local base=$1 n log=$1.dpdk.log i
	n=$(cat "$base.rx.count")
	"$mbxdp" --dpdk --address 198.18.0.1 --cookie-secret-file "$secret" --name "mbxP-replay-$$" -- --no-huge --no-pci -m 256 \
		--no-shconf --file-prefix "mbxP$$" \
		--vdev "net_pcap0,rx_pcap=$base.rx.pcap,tx_pcap=$base.tx.pcap" >"$log" 2>&1 &
	server=$!
	for ((i = 0; i < 300; i++)); do
		grep -q '^mbxdp: serving' "$log" && break
		kill -0 "$server" 2>/dev/null || break
		sleep 0.1
	done
	# net_pcap reads its whole input at once; give the worker time, then stop.
	sleep 2
	kill -INT "$server" 2>/dev/null
	for ((i = 0; i < 200; i++)); do
		kill -0 "$server" 2>/dev/null || break
		sleep 0.1
	done
	if kill -KILL "$server" 2>/dev/null; then
		echo "mbxdp did not stop on SIGINT"
		server=
		cat "$log"
		return 1
	fi
	wait "$server" || { server=; echo "mbxdp failed:"; cat "$log"; return 1; }
	server=
	grep -q "^port_rx_frames $n\$" "$log" ||
		{ echo "mbxdp did not take all $n input frames:"; grep -E 'port_rx_frames|serving' "$log"; return 1; }
}

ran=()
for base in "${bases[@]}"; do
	if through_net_pcap "$base" >"$work/step.log" 2>&1; then
		ran+=("$base")
	else
		fail "$(basename "$base")"
		indent "$work/step.log"
	fi
done
/usr/bin/python3 "$here/net_pcap_frames.py" compare "${ran[@]}" | tee "$work/compare.log"
PASSED=$(grep -c '^PASS' "$work/compare.log")
FAILED=$((FAILED + $(grep -c '^FAIL' "$work/compare.log")))
summary && ((PASSED > 0))
