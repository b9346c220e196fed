#!/bin/bash
# Three holders of a room file, one of them (mallory) serving corrupted
# leaves (tests/tools/badread.so flips a byte of every read of her copy
# once it is hashed): dave's download completes byte for byte, and dave
# is told mallory sent a bad part and is no longer asked for it.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

shim="$top_builddir/tests/tools/badread.so"
[ -f "$shim" ] || fail "no $shim: make check builds it"
SIZE=$((4 * 1024 * 1024))
head -c $SIZE /dev/urandom >"$T/disk.img"
for n in alice bob mallory dave; do
	node_home $n >/dev/null
	mkdir -p "$T/$n/share"
	cp "$T/disk.img" "$T/$n/share/disk.img"
done
# The honest holders are slow, so mallory is asked for plenty.
echo "upload_rate = 1000000;" >>"$T/alice/.p2ptui.conf"
echo "upload_rate = 1000000;" >>"$T/bob/.p2ptui.conf"
node_start alice
addr=$(node_addr alice)
node_cmd alice "/room create sw pw"
wait_for alice '^joined #sw '
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
LD_PRELOAD="$shim" BADREAD_CTL="$T/badread" BADREAD_NAME=disk.img \
    node_start mallory
for n in bob mallory dave; do
	[ $n = mallory ] || node_start $n
	node_cmd $n "/join $addr sw pw"
	wait_for $n '^joined #sw '
done
wait_for alice '^member #sw add ' 3
for n in alice bob mallory; do
	node_cmd $n "/share $T/$n/share/disk.img"
	wait_for $n '^info shared disk.img in #sw$'
done
: >"$T/badread" # mallory's reads lie from now on
node_cmd dave "/files"
wait_for dave '^info #1 disk.img \(.*\) in #sw from '
node_cmd dave "/download disk.img"
wait_for dave '^saved swarm 1 '
cmp "$T/disk.img" "$T/dave/Downloads/disk.img" || fail "disk.img differs"
m=$(node_fp mallory | cut -c1-8)
wait_for dave "^warn $m sent a bad part of disk.img \\(#1\\): no longer asked for it\$"
[ "$(count dave '^warn .* sent a bad part')" = 1 ] ||
    fail "an honest holder was blamed: $(grep 'bad part' "$T/dave.out")"
# /files names every member that shared it.
node_cmd dave "/files"
wait_for dave '^info #1 disk\.img \(4\.0 MiB\) in #sw from [a-z]+, [a-z]+, [a-z]+; you have 100%$'
line=$(grep '^info #1 disk' "$T/dave.out" | tail -n 1)
for n in alice bob mallory; do
	case $line in *" $n"[,\;]*) ;; *) fail "$n is not named: $line" ;; esac
done
