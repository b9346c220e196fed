#!/bin/bash
# An offer to a peer that is offline is not made yet: /transfers says
# "will offer when bob is online", and the offer is reported again when
# it is made, once bob is back.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/lib_file.sh"

# Alice listens on a fixed port, so bob finds her after his restart.
node_fix_addr alice
node_start alice
node_start bob
introduce alice bob
node_kill bob
wait_for alice "^offline $b_name "

printf hello >"$T/five.txt"
node_cmd alice "/send $b_name $T/five.txt"
wait_for alice "^file $b_name [0-9]+ out offered 0 5 five.txt$"
on=$(last_num alice out)
node_cmd alice "/transfers"
wait_for alice "^info .*#$on .*will offer when $b_name is online"

node_start bob
wait_for alice "^online $b_name "
wait_for bob "^file $a_name [0-9]+ in offered 0 5 five.txt$"
# Made now: reported again, and /transfers waits for an answer.
wait_for alice "^file $b_name $on out offered 0 5 five.txt$" 2
node_cmd alice "/transfers"
wait_for alice "^info .*#$on .*offered, waiting for $b_name"
[ "$(count alice "will offer")" = 1 ] || fail "still 'will offer' once made"
exit 0
