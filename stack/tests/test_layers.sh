#!/bin/bash
# The stack's layers include one another one way only: frame input (net/)
# hands segments to TCP (tcp/) and the text TCP accepts to the application
# (modbus/), which answers through TCP's room and commit. TCP includes
# nothing of the others, nor does the Modbus layer of frame input, and
# TCP's private header (tcp/priv/) is TCP's alone. Checked on what each
# file really includes, headers of headers too, as the compiler resolves
# them.
#
# usage: test_layers.sh CC SOURCE_ROOT
set -u
CC=$1
SRC=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
. "$SRC/tests/lib/pass_fail.sh"

# The headers FILE includes, directly or not, relative to the stack.
includes() {
	"$CC" -MM -MT x -I "$SRC/stack" -I "$SRC/regs" "$SRC/stack/$1" |
		tr ' \\' '\n\n' | sed -n "s#^$SRC/stack/##p" | sort -u
}

# FILE (under stack/) must include nothing matching PATTERN.
forbid() {
	local file=$1 pattern=$2 what=$3 found
	found=$(includes "$file" | grep -E "$pattern")
	if [ -n "$found" ]; then
		fail "$file includes $what: $(echo $found)"
		return
	fi
	pass "$file includes no $what"
}

cd "$SRC/stack" || exit 1
for f in tcp/*.c tcp/*.h; do
	forbid "$f" '^(modbus|net)/' "header of the Modbus or net layer"
done
for f in modbus/*.c modbus/*.h; do
	forbid "$f" '^(net/|tcp/priv/)' "header of frame input or TCP's private one"
done
for f in net/*.c net/*.h *.c *.h; do
	forbid "$f" '^tcp/priv/' "private header of TCP"
done
# What every layer shares includes no layer.
for f in buf_pool.h csum.h frame.h ipv4_prefix.h prefetch.h table_mem.h; do
	forbid "$f" '^(net|tcp|modbus)/' "header of a layer"
done
summary
