#!/usr/bin/env bash
# The real captures of the shared directory learned (mbxdp-replay --learn)
# and replayed in process against the model learned from them (--config):
# at least 99 % of the requests the captured device answered are matched,
# and every one that is not was named by the learner with its reason. The
# model file is created new: an existing file is refused without --force,
# a symbolic link even with it, and neither is touched.
#   tools/replay/tests/learn_shared.sh MBXDP_REPLAY SHARED_PCAPS_DIR
# Skipped (77) without the directory, as replay_shared.sh.
set -u
replay=${1:?usage: learn_shared.sh MBXDP_REPLAY SHARED_PCAPS_DIR}
dir=${2:?usage: learn_shared.sh MBXDP_REPLAY SHARED_PCAPS_DIR}
here=$(cd "$(dirname "$0")" && pwd)
part1=$dir/modbus_test_data_part1.pcap
part2=$dir/modbus_test_data_part2.pcap
if [[ ! -r $part1 || ! -r $part2 ]]; then
	echo "learn_shared: the shared captures are not in $dir (set -Dshared_pcaps=DIR): skipped"
	exit 77
fi
WORK=$(mktemp -d /tmp/mbxdp-learn.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# shellcheck source=tests/lib/pass_fail.sh
source "$here/../../../tests/lib/pass_fail.sh"

# NAME CAPTURE: learn, replay against the model, compare with the report.
learn_and_replay() {
	local name=$1 cap=$2
	timeout 30 "$replay" "$cap" --learn "$WORK/$name.yaml" >"$WORK/$name.learn" || return 1
	cat "$WORK/$name.learn" "$WORK/$name.yaml"
	timeout 60 "$replay" "$cap" --in-process "$WORK/$name.pcap" --config "$WORK/$name.yaml" \
		--json "$WORK/$name.json" -q || return 1
	/usr/bin/python3 - "$WORK/$name.json" "$WORK/$name.learn" <<'PY'
import json, re, sys
rep = json.load(open(sys.argv[1]))
named = {int(m) for m in re.findall(r"differs: packet (\d+)", open(sys.argv[2]).read())}
due = [r for f in rep["flows"] for r in f["requests"] if r["answer_due"]]
matched = [r for r in due if r["status"] == "matched"]
unexplained = [r["packet"] for r in due if r["status"] != "matched" and r["packet"] not in named]
print(f"{len(matched)} of {len(due)} requests due an answer matched "
      f"({100.0 * len(matched) / max(len(due), 1):.1f} %); not named by the learner: {unexplained}")
sys.exit(0 if due and len(matched) >= 0.99 * len(due) and not unexplained else 1)
PY
}
check "part1: learned, replayed against its model, >= 99 % matched, the rest explained" \
	learn_and_replay part1 "$part1"
check "part2: learned, replayed against its model, >= 99 % matched, the rest explained" \
	learn_and_replay part2 "$part2"

refused() { # what the error must say, then the command
	local want=$1
	shift
	"$@" >"$WORK/out" 2>&1
	local rc=$?
	cat "$WORK/out"
	[[ $rc == 2 ]] && grep -q -- "$want" "$WORK/out"
}
cp "$WORK/part1.yaml" "$WORK/kept.yaml"
check "an existing model file is refused without --force, and kept" \
	refused "(--force replaces it)" "$replay" "$part2" --learn "$WORK/part1.yaml"
check "... unchanged" cmp "$WORK/part1.yaml" "$WORK/kept.yaml"
ln -s "$WORK/kept.yaml" "$WORK/link.yaml"
check "a symbolic link is refused even with --force" \
	refused "symbolic link" "$replay" "$part2" --learn "$WORK/link.yaml" --force
check "... its target unchanged" cmp "$WORK/part1.yaml" "$WORK/kept.yaml"
check "--force replaces a file" "$replay" "$part2" --learn "$WORK/part1.yaml" --force -q
check "--config is for --in-process" refused "--config is for --in-process" \
	"$replay" "$part1" --learn "$WORK/x.yaml" --config "$WORK/part2.yaml"
summary
