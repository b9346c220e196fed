#!/bin/bash
# Transfers survive kill -9 of either side. The receiver, restarted,
# starts from the leaves it had recorded (its first report after the
# restart is not 0) and the file arrives byte for byte; the sender,
# restarted, reads its file again and the same transfer goes on. A file
# changed at the sender after it was offered ends the transfer at both
# sides, whether the sender notices while serving or at start-up.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/lib_file.sh"
# The receiver records verified leaves every 64 MiB (or 2 s): the kill
# comes after that much, so something was recorded.
SYNCED=$((64 * 1024 * 1024))

# Alice listens on a fixed port, so bob finds her after her restarts.
node_fix_addr alice
node_start alice
node_start bob
introduce alice bob
dl="$T/bob/Downloads"
src="$T/src"
mkdir -p "$src"
# 1 GiB takes seconds to send, so progress reports come well before the
# end (the first after a second).
randfile "$src/one.bin" $((1024 * 1024 * 1024))

# keep NAME: save a node's output before a restart truncates it.
keep() {
	cat "$T/$1.out" >>"$T/$1.all"
}

# monotonic NODE DIR NUM: the bytes of NUM never went down since NODE
# last started.
monotonic() {
	grep -E "^file [^ ]+ $3 $2 active " "$T/$1.out" |
	    awk '$6 + 0 < last { print "from " last " to " $6; bad = 1 }
	        { last = $6 + 0 } END { exit bad }' ||
	    fail "$1: the bytes of #$3 went down"
}

# The receiver is killed mid-transfer, and resumes.
offer "$src/one.bin"
node_cmd bob "/accept #$in"
wait_progress bob in "$in" $SYNCED
node_kill bob KILL
keep bob
[ -n "$(find "$dl" -name 'one.bin*.part')" ] || fail "no .part after the kill"
wait_for alice "^offline $b_name "
node_start bob
wait_for bob "^file $a_name $in in active "
first=$(xfer_lines bob in "$in" | head -n 1 | cut -d' ' -f6)
[ "$first" -gt 0 ] || fail "bob starts #$in again from 0 after his restart"
TIMEOUT=60 wait_for bob "^saved $a_name $in $dl/one.bin$"
cmp "$src/one.bin" "$dl/one.bin" || fail "one.bin arrived different after the receiver's restart"
wait_state alice out "$on" done
monotonic bob in "$in"
no_part "$dl"
[ "$(count bob '^file .* in offered ')" = 0 ] || fail "bob saw the offer again as new"
rm "$dl/one.bin" # room for the next one

# The sender is killed mid-transfer: at start-up it reads the file again
# and goes on with the same transfer, from where bob is.
offer "$src/one.bin"
node_cmd bob "/accept #$in"
wait_progress bob in "$in" $SYNCED
node_kill alice KILL
keep alice
wait_for bob "^offline $a_name "
at_kill=$(fbytes bob in "$in")
node_start alice
wait_for alice "^file $b_name $on out hashing 0 $size one.bin$"
wait_state alice out "$on" active
TIMEOUT=60 wait_for bob "^saved $a_name $in $dl/one.bin$"
cmp "$src/one.bin" "$dl/one.bin" || fail "one.bin arrived different after the sender's restart"
wait_state alice out "$on" done
monotonic bob in "$in"
# The same transfer went on: bob never saw a new offer, and his bytes
# never went back.
[ "$(last_num bob in)" = "$in" ] || fail "bob saw a new transfer #$(last_num bob in)"
[ "$(count bob "^file $a_name $in in offered ")" = 1 ] || fail "bob was offered #$in again"
no_part "$dl"

# Changed after the offer: the sender notices when asked for data.
printf 'first version\n' >"$src/changing.txt"
offer "$src/changing.txt"
printf 'F' | dd of="$src/changing.txt" bs=1 count=1 conv=notrunc 2>/dev/null
node_cmd bob "/accept #$in"
wait_state alice out "$on" failed
wait_for alice "^error changing.txt \(#$on\) changed since it was offered: transfer stopped$"
wait_state bob in "$in" cancelled
wait_for bob "^info $a_name stopped changing.txt \(#$in\): file changed$"
no_part "$dl"

# Changed while the sender is down: found at start-up, and bob is told.
printf 'second version\n' >"$src/later.txt"
offer "$src/later.txt"
node_kill alice KILL
keep alice
printf 'S' | dd of="$src/later.txt" bs=1 count=1 conv=notrunc 2>/dev/null
node_start alice
wait_state alice out "$on" failed
wait_for alice "^error later.txt \(#$on\) changed since it was offered: transfer stopped$"
wait_state bob in "$in" cancelled
wait_for bob "^info $a_name stopped later.txt \(#$in\): file changed$"
node_cmd bob "/accept #$in"
wait_for bob "^error #$in is not an offer waiting for an answer \(it is cancelled\)$"
echo "file_resume: ok (bob resumed at $first bytes; alice was killed at $at_kill)"
