#!/bin/bash
# The receiver's disk fills up: it says so (once, not at every resend),
# acknowledges nothing it could not store, its WAL stays small, and once
# there is room again every message arrives exactly once, in order.
# Starting on a full disk or with a read-only data directory is refused
# with the reason. Needs root (a small tmpfs); skipped otherwise.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
N=300

[ "$(id -u)" = 0 ] || skip "needs root to mount a small tmpfs"
mnt="$T/small"
mkdir -p "$mnt"
mount -t tmpfs -o size=600k tmpfs "$mnt" 2>/dev/null || skip "cannot mount a tmpfs"
trap 'umount -l "$mnt" 2>/dev/null; cleanup' EXIT

node_home alice >/dev/null
echo "data_dir = \"$mnt/data\";" >>"$T/alice/.p2ptui.conf"
node_start alice
node_start bob
introduce alice bob # bob dials, so bob reconnects by himself

# 4000-byte messages: about 600 KiB of them fill alice's disk.
pad=$(head -c 3990 /dev/zero | tr '\0' x)
seq 1 $N | sed "s|^|/msg $a_name $pad |" >&"$fd_bob"
wait_for alice "^error cannot (save|store) .*disk is full"
wait_for bob "^sent " $N
[ "$(count bob '^delivered ')" -lt $N ] || fail "everything was delivered to a full disk"
# Bob resends at each reconnection, and each fails: said once, not each
# time (it was once a second for as long as the disk was full).
wait_for bob '^online ' 4
[ "$(count alice '^error cannot (save|store) ')" = 1 ] ||
    fail "the full disk was said $(count alice '^error cannot (save|store) ') times"
# The WAL did not take the disk for itself: the main file holds messages.
db="$mnt/data/history.db"
[ "$(stat -c %s "$db")" -gt 102400 ] ||
    fail "history.db is $(stat -c %s "$db") bytes, its WAL $(stat -c %s "$db-wal")"

# Room again: everything arrives, once, in order.
mount -o remount,size=16m "$mnt" || fail "cannot grow the tmpfs"
TIMEOUT=60 wait_for bob "^delivered " $N
grep "^msg $b_name x" "$T/alice.out" | sed 's/.* //' >"$T/got"
seq 1 $N >"$T/want"
cmp -s "$T/got" "$T/want" || fail "alice shows $(wc -l <"$T/got") messages, not 1..$N once in order: $(diff "$T/want" "$T/got" | head -5)"
# Checkpointed past 64 pages, so at most that plus the last transaction:
# the resent messages of one read of 256 KiB, and what was left of the
# read before, each message a page of its own plus its index entries
# (CI once saw 683,952 bytes, 166 pages). 800 KiB is well below the
# 1.2 MB that all of them take when the WAL is not cut (4 MiB mode).
[ "$(stat -c %s "$db-wal")" -le 819200 ] || fail "the WAL kept $(stat -c %s "$db-wal") bytes"
node_kill alice TERM

# Starting on a full disk says so plainly (it said "disk I/O error").
dd if=/dev/zero of="$mnt/fill" bs=64k 2>/dev/null
if HOME="$T/alice" "$P2PTUI" --headless </dev/null >"$T/full.out" 2>"$T/full.err"; then
	fail "started on a full disk"
fi
grep -q "history.db: .*: the disk is full" "$T/full.err" || fail "full at start: $(cat "$T/full.err")"
rm -f "$mnt/fill"

# A read-only data directory is refused with the reason.
mount -o remount,ro "$mnt" || fail "cannot make the tmpfs read-only"
if HOME="$T/alice" "$P2PTUI" --headless </dev/null >"$T/ro.out" 2>"$T/ro.err"; then
	fail "started with a read-only data directory"
fi
grep -q "Read-only file system" "$T/ro.err" || fail "read-only: $(cat "$T/ro.err")"
echo "diskfull: ok"
