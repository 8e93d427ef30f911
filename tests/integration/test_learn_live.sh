#!/bin/bash
# A learned model served live: mbxdp-replay --learn on the capture of a
# device with a known model (tools/replay/tests/learn_known.py builds it: a scapy
# client capture answered by mbxdp in process serving the known model),
# then mbxdp --config LEARNED.yaml over AF_XDP in a network namespace, and
# the capture replayed to it at its own pace (--speed 1, so the model's
# timed values and rules come when they came): every request the device
# answered is answered byte for byte the same, the one it left unanswered
# stays unanswered.
#
#   tests/integration/test_learn_live.sh BUILD_DIR
# Needs root.
# shellcheck disable=SC2317 # step functions are called through check()
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
IT_TIMEOUT=120
# shellcheck source=SCRIPTDIR/steps.sh
source "$HERE/steps.sh"
REPLAY=$BUILD/tools/replay/mbxdp-replay
SOURCE=198.18.0.3 # ours: on the client's subnet, owned by no kernel
require "$MBXDP" "$REPLAY"

check "the known models' captures learned back (learn_known.py)" \
	/usr/bin/python3 "$HERE/../../tools/replay/tests/learn_known.py" "$REPLAY" "$WORK"

# shellcheck source=SCRIPTDIR/netns.sh
source "$HERE/netns.sh"
mbnet_setup mbxL

check "mbxdp serves the learned model" \
	start_server "$WORK/mbxdp.log" --xdp-mode generic --config "$WORK/plc.learned.yaml"

live_replay() {
	mbnet_cli timeout 60 "$REPLAY" "$WORK/plc.pcap" --iface "$MBNET_CLI_IF" --source "$SOURCE" \
		--target "$MBNET_SRV_ADDR" --speed 1 --json "$WORK/live.json" >"$WORK/live.txt" 2>&1
	cat "$WORK/live.txt"
	/usr/bin/python3 - "$WORK/live.json" <<'PY'
import json, sys
reqs = [r for f in json.load(open(sys.argv[1]))["flows"] for r in f["requests"]]
due = [r for r in reqs if r["captured"] is not None]
silent = [r for r in reqs if r["captured"] is None]
bad = [r for r in due if r["status"] != "matched"] + [r for r in silent if r["replayed"]]
print(f"{len(due) - len([r for r in bad if r in due])} of {len(due)} answered requests matched; "
      f"{len(silent)} left unanswered by the device")
sys.exit(1 if bad or len(due) < 20 or not silent else 0)
PY
}
check "the capture replayed live at --speed 1: every answer as captured" live_replay
check "mbxdp stops cleanly" stop_server

FINISHED=1
((FAILED == 0))
