#!/bin/bash
# Room files (issue 16): alice shares a file in a password room, capped
# at 4 MB/s; bob, carol, dave and erin start downloading it together.
# Each copy is byte for byte alice's, and the downloaders traded: some
# leaves came from another downloader (their debug logs say from whom),
# and alice served fewer bytes than the four received.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

SIZE=$((8 * 1024 * 1024))
for n in alice bob carol dave erin; do
	node_home $n >/dev/null
done
echo "upload_rate = 4000000;" >>"$T/alice/.p2ptui.conf"
head -c $SIZE /dev/urandom >"$T/movie.bin"
node_start alice -v
addr=$(node_addr alice)
node_cmd alice "/room create sw pw"
wait_for alice '^joined #sw '
for n in bob carol dave erin; do
	node_start $n -v
	node_cmd $n "/join $addr sw pw"
	wait_for $n '^joined #sw '
done
wait_for alice '^member #sw add ' 4
node_cmd alice "/share $T/movie.bin"
wait_for alice '^info shared movie.bin in #sw$'
for n in bob carol dave erin; do
	node_cmd $n "/files"
	wait_for $n '^info #1 movie.bin \(.*\) in #sw from alice$'
done
for n in bob carol dave erin; do
	node_cmd $n "/download movie.bin"
done
for n in bob carol dave erin; do
	wait_for $n "^saved swarm 1 "
	cmp "$T/movie.bin" "$T/$n/Downloads/movie.bin" ||
	    fail "$n: movie.bin differs"
done
# Peers are named by short fingerprint: a leaf not from alice's came
# from another downloader.
a=$(node_fp alice | cut -c1-8)
traded=0
for n in bob carol dave erin; do
	t=$(grep -c "swarm: #1 leaf [0-9]* from " \
	    "$T/$n/.local/share/p2ptui/debug.log")
	f=$(grep -c "swarm: #1 leaf [0-9]* from $a\$" \
	    "$T/$n/.local/share/p2ptui/debug.log")
	[ "$t" = 32 ] || fail "$n: $t leaves logged, not 32"
	traded=$((traded + t - f))
done
[ "$traded" -gt 0 ] || fail "no leaf came from another downloader"
node_cmd alice "/transfers"
wait_for alice '^info #1 room movie.bin: 100% .* served'
echo "leaves from other downloaders: $traded of 128"
grep '^info #1 room movie.bin' "$T/alice.out"
