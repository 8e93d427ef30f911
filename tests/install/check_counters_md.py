#!/usr/bin/python3
"""docs/counters.md is what the counter tables say now.

    check_counters_md.py COUNTER_REFERENCE VERSION docs/counters.md

COUNTER_REFERENCE (docs/man/counter_reference.c, built) writes the reference
from the tables; a counter added, renamed or described anew must show in
the committed file too, and every counter must say what it counts.
"""
import difflib
import os
import subprocess
import sys


def main():
    program, version, path = sys.argv[1], sys.argv[2], os.path.relpath(sys.argv[3])
    want = subprocess.run([program, "md", version], capture_output=True, text=True,
                          check=True, timeout=10).stdout
    empty = [line for line in want.splitlines() if line.startswith("| `") and "` |  |" in line]
    for line in empty:
        print(f"a counter without a description: {line}")
    have = open(path, encoding="utf-8").read()
    if have != want:
        sys.stdout.writelines(difflib.unified_diff(have.splitlines(True), want.splitlines(True),
                                                   path, "from the counter tables"))
        print(f"{path} is behind the counter tables; rewrite it: "
              f"BUILD/docs/man/counter_reference md {version} > {path}")
        return 1
    print(f"{path}: {want.count(chr(10) + '| `')} counters, as the tables say")
    return 1 if empty else 0


if __name__ == "__main__":
    sys.exit(main())
