"""Sums the checks inside every meson test into one closing line.

meson counts a test binary as one test; the checks a user relies on are the
cmocka cases and the integration steps inside them. The cmocka tests speak
TAP (meson judges each case); the scripts end with 'N passed, N failed'.
Reads meson's testlog.json and prints a line per test and the total as
'tests: N passed, N failed, N skipped'.
"""
import json
import re
import sys

TAP_CASE = re.compile(r"^(ok|not ok)\b", re.M)
PLAIN = re.compile(r"^(\d+) passed, (\d+) failed$", re.M)


def counts(test):
    out = test.get("stdout") or ""
    plain = PLAIN.findall(out)
    if plain:
        return int(plain[-1][0]), int(plain[-1][1])
    cases = TAP_CASE.findall(out)
    if cases:
        passed = cases.count("ok")
        return passed, len(cases) - passed
    # A test that printed no count is one check: its exit status.
    return (1, 0) if test["result"] == "OK" else (0, 1)


def main(path):
    total_p = total_f = total_s = 0
    with open(path) as f:
        for line in f:
            test = json.loads(line)
            if test["result"] == "SKIP":
                # A test that cannot run here (say, without the shared
                # captures) said why in its output; it is neither result.
                print(f"  {test['name']}: SKIP")
                total_s += 1
                continue
            p, fl = counts(test)
            if test["result"] != "OK" and fl == 0:
                fl = 1  # crashed or timed out after its checks passed
            print(f"  {test['name']}: {test['result']} ({p} passed, {fl} failed)")
            total_p += p
            total_f += fl
    print(f"tests: {total_p} passed, {total_f} failed, {total_s} skipped")
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
