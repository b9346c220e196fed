#!/bin/bash
# Files between two nodes: empty, tiny, an odd size and 64 MiB arrive
# byte for byte under their own names, and the sender sees them done; a
# second file of the same name is saved beside the first without touching
# it; a declined or withdrawn offer and a transfer cancelled by either
# side end cancelled at both, leaving no .part; chat goes both ways while
# a large file is on the wire, ahead of it.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/lib_file.sh"

node_start alice
node_start bob
introduce alice bob
dl="$T/bob/Downloads"
src="$T/src"
mkdir -p "$src/again"

: >"$src/empty"
printf hello >"$src/five.txt"
randfile "$src/odd.bin" $((3 * 262144 + 12345))
randfile "$src/big.bin" $((64 * 1024 * 1024))

# xfer PATH [SAVED]: alice sends PATH and bob accepts it: it is saved as
# SAVED ($dl/NAME by default), byte for byte, and alice sees it done.
xfer() {
	local want=${2:-$dl/${1##*/}} got
	offer "$1"
	node_cmd bob "/accept #$in"
	wait_for bob "^saved $a_name $in "
	wait_for bob "^file $a_name $in in done $size $size $name$"
	got=$(field bob "^saved $a_name $in " 4-)
	[ "$got" = "$want" ] || fail "$name saved as '$got', not '$want'"
	cmp "$1" "$want" || fail "$name arrived different"
	wait_for alice "^file $b_name $on out done $size $size $name$"
}

xfer "$src/empty"
xfer "$src/five.txt"
xfer "$src/odd.bin"
xfer "$src/big.bin"

# The same name again: beside the first, which stays as it was.
printf world >"$src/again/five.txt"
xfer "$src/again/five.txt" "$dl/five (1).txt"
[ "$(cat "$dl/five.txt")" = hello ] || fail "the first five.txt changed"

# Declined: both sides end cancelled, nothing is saved.
offer "$src/odd.bin"
node_cmd bob "/decline #$in"
wait_state alice out "$on" cancelled
wait_state bob in "$in" cancelled
# One event, one line: the file event, no notice beside it (the notice
# came first, in the same flush, so it would be there by now).
[ "$(count alice "^info .*\\(#$on\\)")" = 0 ] || fail "a declined offer made two lines"

# Withdrawn by the sender before an answer: bob can no longer accept it.
offer "$src/odd.bin"
node_cmd alice "/cancel #$on"
wait_state alice out "$on" cancelled
wait_state bob in "$in" cancelled
node_cmd bob "/accept #$in"
wait_for bob "^error #$in is not an offer waiting for an answer \(it is cancelled\)$"

# Cancelled mid-transfer by the sender, then by the receiver: a sparse
# 1 GiB file takes seconds, so the first progress report comes well
# before the end. The .part is gone at the receiver either way.
truncate -s 1G "$src/sparse.bin"
for who in alice bob; do
	offer "$src/sparse.bin"
	node_cmd bob "/accept #$in"
	wait_progress bob in "$in" 1
	[ -n "$(find "$dl" -name 'sparse.bin*.part')" ] || fail "no .part while receiving"
	if [ $who = alice ]; then
		node_cmd alice "/cancel #$on"
	else
		node_cmd bob "/cancel #$in"
	fi
	wait_state alice out "$on" cancelled
	wait_state bob in "$in" cancelled
	[ "$(count alice "^info .*\\(#$on\\)")$(count bob "^info .*\\(#$in\\)")" = 00 ] ||
	    fail "a cancelled transfer made two lines"
	no_part "$dl"
done
[ "$(count bob '^saved ')" = 5 ] || fail "a declined or cancelled file was saved"

# Chat both ways while a file is on the wire (1 GiB: seconds, so the
# first progress report comes well before the end): each message waits
# behind at most the bulk watermark (256 KiB), so both are delivered long
# before the file is done.
offer "$src/sparse.bin"
node_cmd bob "/accept #$in"
wait_progress bob in "$in" 1
node_cmd alice "/msg $b_name while sending"
node_cmd bob "/msg $a_name while receiving"
wait_for alice "^delivered $b_name "
wait_for bob "^delivered $a_name "
[ "$(count bob "^file $a_name $in in done ")$(count alice "^file $b_name $on out done ")" = 00 ] ||
    fail "the file was done before the chat went through"
b_got=$(fbytes bob in "$in")
wait_for bob "^msg $a_name while sending$"
wait_for alice "^msg $b_name while receiving$"
TIMEOUT=60 wait_for bob "^saved $a_name $in $dl/sparse.bin$"
cmp "$src/sparse.bin" "$dl/sparse.bin" || fail "sparse.bin arrived different"
wait_state alice out "$on" done

(cd "$dl" && ls -A) >"$T/listing"
printf '%s\n' big.bin empty 'five (1).txt' five.txt odd.bin sparse.bin >"$T/want"
cmp -s "$T/listing" "$T/want" || fail "download_dir holds: $(cat "$T/listing")"
echo "file: ok (chat delivered with $b_got of $size bytes received)"
