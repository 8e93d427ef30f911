#!/usr/bin/python3
"""A program's --help and its man page name the same options.

    check_man.py PROGRAM PAGE.scd

Every --option the program's --help prints must appear in the page, and
every option the page defines (a line starting with *-..., scdoc's bold
option heading) must appear in --help. A new option therefore goes into
both, with README's usage table and docs/usage.md (DEVELOPERS rules).
"""
import os
import re
import subprocess
import sys

OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def main():
    program, page = sys.argv[1], os.path.relpath(sys.argv[2])
    name = program.rsplit("/", 1)[-1]
    out = subprocess.run([program, "--help"], capture_output=True, text=True, timeout=10)
    if out.returncode != 0:
        print(f"{name} --help exited {out.returncode}: {out.stderr.strip()}")
        return 1
    in_help = set(OPTION.findall(out.stdout))
    source = open(page, encoding="utf-8").read()
    in_page = set(OPTION.findall(source))
    defined = {o for line in source.splitlines() if line.startswith("*-")
               for o in OPTION.findall(line)}
    problems = [f"{name} --help has {o}, {page} does not: describe it in the page"
                for o in sorted(in_help - in_page)]
    problems += [f"{page} defines {o}, {name} --help does not: add it to --help or drop it"
                 for o in sorted(defined - in_help)]
    for p in problems:
        print(p)
    print(f"{name}: {len(in_help)} options in --help, {len(defined)} defined in the page, "
          f"{len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
