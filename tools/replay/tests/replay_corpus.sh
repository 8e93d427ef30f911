#!/usr/bin/env bash
# The scapy corpus (corpus.py) replayed through mbxdp in process: each
# session's report meets its expectations (NAME.args, check_report.py), each
# flow replayed in its captured family, the server is left with no open
# connection, a second replay writes the same pcap byte for byte, and a
# slowed replay keeps the captured timing (check_timing.py); a capture whose
# file name holds quotes, a backslash and control characters is named
# exactly in the JSON report; --learn names the IPv6 flows it does not
# learn, and --config serves IPv6 flows to a model's IPv6 server.
#   tools/replay/tests/replay_corpus.sh MBXDP_REPLAY
set -u
replay=${1:?usage: replay_corpus.sh MBXDP_REPLAY}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/mbxdp-corpus.XXXXXX)
trap 'rm -rf "$work"' EXIT
names=$(/usr/bin/python3 "$here/corpus.py" "$work") || { echo "corpus.py failed"; echo "0 passed, 1 failed"; exit 1; }
# shellcheck source=tests/lib/pass_fail.sh
source "$here/../../../tests/lib/pass_fail.sh"
for file in $names; do
	name=${file%.*}
	read -ra args <"$work/$name.args"
	if timeout 60 "$replay" "$work/$file" --in-process "$work/$name.a.pcap" --json "$work/$name.json" \
		--counters >"$work/$name.txt" 2>&1 &&
		grep -q '^open_connections 0$' "$work/$name.txt" &&
		/usr/bin/python3 "$here/check_report.py" "$work/$name.json" "${args[@]}" \
			--conversation "$work/$name.a.pcap" >"$work/$name.check" 2>&1 &&
		timeout 60 "$replay" "$work/$file" --in-process "$work/$name.b.pcap" -q >>"$work/$name.txt" 2>&1 &&
		cmp "$work/$name.a.pcap" "$work/$name.b.pcap" >>"$work/$name.check" 2>&1; then
		pass "$name"
	else
		fail "$name"
		indent "$work/$name.txt" "$work/$name.check" 2>/dev/null
	fi
done
# Timing: at --speed 0.5 every segment goes at twice its capture time.
if timeout 60 "$replay" "$work/split_pipelined.pcap" --in-process "$work/slow.pcap" --speed 0.5 -q \
	>"$work/slow.txt" 2>&1 &&
	/usr/bin/python3 "$here/check_timing.py" "$work/split_pipelined.pcap" "$work/slow.pcap" 0.5 \
		>>"$work/slow.txt" 2>&1; then
	pass "--speed 0.5: $(tail -1 "$work/slow.txt")"
else
	fail "--speed 0.5"
	indent "$work/slow.txt"
fi
# The capture's name reaches the report as it is: JSON escapes what it must.
odd=$'we"ird\\name\x01\t\n.pcap'
cp "$work/split_pipelined.pcap" "$work/$odd"
if timeout 60 "$replay" "$work/$odd" --in-process "$work/odd.out.pcap" -q --json "$work/odd.json" \
	>"$work/odd.txt" 2>&1 &&
	/usr/bin/python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["capture"] != sys.argv[2])' \
		"$work/odd.json" "$work/$odd" >>"$work/odd.txt" 2>&1; then
	pass "a capture named with quotes and control characters round-trips through the JSON report"
else
	fail "a capture named with quotes and control characters round-trips through the JSON report"
	indent "$work/odd.txt"
fi
# --learn writes IPv4 servers only: it says so for each IPv6 flow, and
# learns the IPv4 ones beside them. A model with an IPv6 server serves the
# IPv6 flows to it in process: the learned model moved to the captured
# IPv6 server address answers the IPv6 capture as captured.
learn_v6() {
	timeout 60 "$replay" "$work/ipv6_all_functions.pcap" --learn "$work/v6.yaml"
	[[ $? == 2 && ! -e $work/v6.yaml ]] &&
		timeout 60 "$replay" "$work/ipv6_mixed_handshakes_raw.pcap" --learn "$work/mixed.yaml" &&
		grep -q '^  - address: 198.19.0.1$' "$work/mixed.yaml" &&
		timeout 60 "$replay" "$work/all_functions.pcap" --learn "$work/v4.yaml" -q &&
		sed 's/^  - address: 198.19.0.1$/  - address: "2001:2:0:1::1"/' "$work/v4.yaml" >"$work/v6.yaml" &&
		timeout 60 "$replay" "$work/ipv6_all_functions.pcap" --in-process "$work/v6.out.pcap" \
			--config "$work/v6.yaml" -q --json "$work/v6.json" &&
		/usr/bin/python3 "$here/check_report.py" "$work/v6.json" --all-matched --min-requests 40 \
			--conversation "$work/v6.out.pcap"
}
if learn_v6 >"$work/learn.txt" 2>&1 &&
	grep -q "its 40 requests are over IPv6, and --learn writes IPv4 servers only: nothing to learn" \
		"$work/learn.txt" &&
	[[ $(grep -c 'IPv6, and --learn writes IPv4 servers only: its 1 requests not learned' \
		"$work/learn.txt") == 20 ]]; then
	pass "--learn: IPv6 flows named and not learned, the IPv4 ones learned; a model's IPv6 server serves in process"
else
	fail "--learn: IPv6 flows named and not learned, the IPv4 ones learned; a model's IPv6 server serves in process"
	indent "$work/learn.txt"
fi
summary && ((PASSED > 0))
