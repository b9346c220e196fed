#!/bin/bash
# A disk that fails under a transfer that has started (after
# posix_fallocate reserved its space), made with tests/tools/faildisk.so:
#  - a write fails with ENOSPC: bob says so, keeps the .part and waits;
#    /accept #N goes on at once, and the file arrives whole;
#  - an fdatasync fails with ENOSPC and the shim zeroes what it was to
#    make durable, as a kernel may: the leaves since the last good sync
#    are fetched again, not counted as saved, and the file is right;
#  - an fdatasync fails with EIO: the transfer stops, the .part is kept,
#    alice is told;
#  - alice's tree file (anonymous, in her data directory) fails: a write
#    while she hashes, or a read for the proof of a leaf bob asks for,
#    stops the transfer with a notice, and bob is told.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/lib_file.sh"

shim="$top_builddir/tests/tools/faildisk.so"
[ -f "$shim" ] || fail "no $shim: make check builds it"
ctl="$T/faildisk"

node_fix_addr alice
# Bob's .part and alice's tree file fail: alice has no .part, bob no
# tree file. ASan wants to be first in the library list; the shim does
# not mind coming before it.
export LD_PRELOAD="$shim" FAILDISK_CTL="$ctl"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
node_start alice
node_start bob
unset LD_PRELOAD
introduce alice bob
dl="$T/bob/Downloads"
src="$T/src"
mkdir -p "$src"

# failures: how many calls the shim has failed so far.
failures() {
	stat -c %s "$ctl.count" 2>/dev/null || echo 0
}

# ENOSPC from pwrite: the first leaf bob writes fails.
randfile "$src/write.bin" $((12 * 262144 + 999))
echo write >"$ctl"
offer "$src/write.bin"
node_cmd bob "/accept #$in"
wait_for bob "^error cannot save write.bin \(#$in\): the disk is full\. .*write\.bin\.part is kept .*/accept #$in to go on now"
[ "$(failures)" -ge 1 ] || fail "the shim failed no write"
[ -f "$dl/write.bin.part" ] || fail "the .part is gone after a full disk"
node_cmd bob "/transfers"
wait_for bob "^info .*#$in .*disk full: .*write\.bin\.part is kept"
xfer_lines alice out "$on" | grep -qE ' (cancelled|failed) ' &&
    fail "alice gave up on a transfer bob keeps"
rm -f "$ctl"
node_cmd bob "/accept #$in"
wait_for bob "^saved $a_name $in $dl/write.bin$"
cmp "$src/write.bin" "$dl/write.bin" || fail "write.bin arrived different"
wait_state alice out "$on" done
no_part "$dl"

# /accept of a transfer that is not held up says so.
node_cmd bob "/accept #$in"
wait_for bob "^error #$in is not an offer waiting for an answer \(it is done\)$"

# ENOSPC from fdatasync at the first record (64 MiB), with those 64 MiB
# lost: had bob counted them, the file would hold zeros there.
randfile "$src/sync.bin" $((96 * 1048576 + 12345))
echo sync >"$ctl"
before=$(failures)
offer "$src/sync.bin"
node_cmd bob "/accept #$in"
wait_for bob "^error cannot save sync.bin \(#$in\): the disk is full\. "
[ "$(failures)" -gt "$before" ] || fail "the shim failed no fdatasync"
# Its report, right after the notice, counts what is on disk: nothing.
deadline=$(($(now_ms) + TIMEOUT * 1000))
until [ "$(fbytes bob in "$in")" = 0 ]; do
	[ "$(now_ms)" -lt "$deadline" ] ||
	    fail "bob still counts $(fbytes bob in "$in") bytes whose sync failed"
	sleep 0.02
done
rm -f "$ctl"
node_cmd bob "/accept #$in"
TIMEOUT=60 wait_for bob "^saved $a_name $in $dl/sync.bin$"
cmp "$src/sync.bin" "$dl/sync.bin" || fail "sync.bin arrived different"
wait_state alice out "$on" done

# EIO from fdatasync: no retry; the .part is kept; alice hears of it.
randfile "$src/eio.bin" $((3 * 262144))
echo eio >"$ctl"
offer "$src/eio.bin"
node_cmd bob "/accept #$in"
wait_for bob "^error cannot write $dl/eio\.bin\.part: Input/output error\. Transfer #$in stopped; the \.part is kept$"
wait_state bob in "$in" failed
wait_for alice "^file $b_name $on out (cancelled|failed) "
[ -f "$dl/eio.bin.part" ] || fail "the .part is gone after EIO"
rm -f "$ctl"

# Alice cannot write her tree file: the transfer stops before the offer.
randfile "$src/tree.bin" $((5 * 262144 + 77))
echo tree >"$ctl"
before=$(failures)
o=$(last_num alice out)
node_cmd alice "/send $b_name $src/tree.bin"
wait_new alice out "$o"
wait_for alice "^error cannot write the hashes of tree\.bin \(#$new\) in .*: No space left on device\. Transfer stopped$"
wait_state alice out "$new" failed
[ "$(failures)" -gt "$before" ] || fail "the shim failed no tree write"
rm -f "$ctl"

# Alice cannot read it back for a proof: she stops rather than send a
# leaf without one, and bob hears of it.
offer "$src/tree.bin"
echo tree >"$ctl"
before=$(failures)
node_cmd bob "/accept #$in"
wait_for alice "^error cannot read the hashes of tree\.bin \(#$on\) in .*: Input/output error\. Transfer stopped$"
wait_state alice out "$on" failed
wait_for bob "^file $a_name $in in (cancelled|failed) "
[ "$(failures)" -gt "$before" ] || fail "the shim failed no tree read"
rm -f "$ctl"
[ "$(fbytes bob in "$in")" = 0 ] || fail "bob got a leaf of tree.bin"

# Bob chats on.
node_cmd bob "/msg $a_name still here"
wait_for alice "^msg $b_name still here$"
echo "file_diskfull: ok"
