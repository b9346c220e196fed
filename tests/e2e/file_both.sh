#!/bin/bash
# Several transfers at once, both ways: two files each way between two
# nodes, all offered before any is accepted, all accepted at once; every
# file arrives byte for byte, and chat still flows meanwhile.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_start alice
node_start bob
introduce alice bob
for f in a1 a2 b1 b2; do
	head -c $((8 * 1024 * 1024 + RANDOM)) /dev/urandom >"$T/$f"
done
node_cmd alice "/send $b_name $T/a1"
node_cmd alice "/send $b_name $T/a2"
node_cmd bob "/send $a_name $T/b1"
node_cmd bob "/send $a_name $T/b2"
wait_for bob "^file $a_name [0-9]+ in offered 0 [0-9]+ a[12]$" 2
wait_for alice "^file $b_name [0-9]+ in offered 0 [0-9]+ b[12]$" 2
for n in $(grep -E "^file $a_name [0-9]+ in offered " "$T/bob.out" |
    cut -d' ' -f3); do
	node_cmd bob "/accept #$n"
done
for n in $(grep -E "^file $b_name [0-9]+ in offered " "$T/alice.out" |
    cut -d' ' -f3); do
	node_cmd alice "/accept #$n"
done
node_cmd alice "/msg $b_name during"
node_cmd bob "/msg $a_name during"
TIMEOUT=60 wait_for bob "^saved $a_name " 2
TIMEOUT=60 wait_for alice "^saved $b_name " 2
wait_for bob "^msg $a_name during$"
wait_for alice "^msg $b_name during$"
for f in a1 a2; do
	cmp "$T/$f" "$T/bob/Downloads/$f" || fail "$f differs at bob"
done
for f in b1 b2; do
	cmp "$T/$f" "$T/alice/Downloads/$f" || fail "$f differs at alice"
done
# Both senders see every transfer done.
wait_for alice "^file $b_name [0-9]+ out done " 2
wait_for bob "^file $a_name [0-9]+ out done " 2
# /transfers lists all four on each side.
node_cmd alice "/transfers"
wait_for alice "^info #4 in $b_name b2: 100% .* done: verified and saved as $T/alice/Downloads/b2$"
for n in 1 2 3; do
	grep -qE "^info #$n (out|in) $b_name " "$T/alice.out" ||
	    fail "/transfers does not list #$n"
done
echo "file_both: ok"
