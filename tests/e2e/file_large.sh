#!/bin/bash
# A file beyond 4 GiB: sizes, leaf offsets and progress past 32 bits. The
# file is sparse with random bytes at the start, across the 4 GiB mark
# and in the last, short leaf, so that a leaf written in the wrong place
# (or not at all: a .part starts as zeros) does not compare equal.
#
# Slow: the sender hashes 4 GiB (about 8 s), the transfer takes tens of
# seconds and the receiver writes 4 GiB to disk. It runs only with
# P2PTUI_SLOW_TESTS=1, and is skipped otherwise.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/lib_file.sh"

[ "${P2PTUI_SLOW_TESTS:-0}" = 1 ] ||
    skip "slow (4 GiB through both nodes): set P2PTUI_SLOW_TESTS=1 to run it"
G=$((1024 * 1024 * 1024))
SIZE=$((4 * G + 100 * 1024))
src="$T/src"
mkdir -p "$src"
avail=$(df -P -B1 "$T" | awk 'NR == 2 { print $4 }')
[ "$avail" -gt $((2 * SIZE)) ] || skip "needs $((2 * SIZE)) bytes free in $T"

truncate -s $SIZE "$src/large.bin"
# put FILE OFFSET: 1 MiB of random bytes at OFFSET, not past the end.
put() {
	randfile "$T/piece" $((1024 * 1024))
	dd if="$T/piece" of="$1" bs=1024 seek=$(($2 / 1024)) conv=notrunc \
	    count=$(((SIZE - $2) / 1024 < 1024 ? (SIZE - $2) / 1024 : 1024)) \
	    2>/dev/null || fail "cannot write at $2"
}
put "$src/large.bin" 0
put "$src/large.bin" $((2 * G + 12345 * 1024))
put "$src/large.bin" $((4 * G - 512 * 1024))
put "$src/large.bin" $((4 * G))
[ "$(stat -c %s "$src/large.bin")" = $SIZE ] || fail "large.bin is not $SIZE bytes"

node_start alice
node_start bob
introduce alice bob
dl="$T/bob/Downloads"
TIMEOUT=120 offer "$src/large.bin" # hashing 4 GiB
node_cmd bob "/accept #$in"
TIMEOUT=300 wait_for bob "^saved $a_name $in $dl/large.bin$"
wait_for bob "^file $a_name $in in done $SIZE $SIZE large.bin$"
TIMEOUT=60 wait_for alice "^file $b_name $on out done $SIZE $SIZE large.bin$"
cmp "$src/large.bin" "$dl/large.bin" || fail "large.bin arrived different"
echo "file_large: ok"
