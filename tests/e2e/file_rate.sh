#!/bin/bash
# The sender's rate in /transfers is the sending rate: hashing 2 GiB
# (over a second, so a progress tick falls in it) and then sending from 0
# once gave 16 EiB/s, halving each second (issue 11.1).
. "${top_srcdir:-.}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/lib_file.sh"

node_start alice
node_start bob
introduce alice bob
truncate -s 2G "$T/big.bin"
offer "$T/big.bin"
node_cmd bob "/accept #$in"
# Two progress reports of alice's: two ticks while sending, a rate.
wait_for alice "^file $b_name $on out active [1-9][0-9]* " 2
node_cmd alice "/transfers"
wait_for alice "^info .*#$on .*sending, "
line=$(grep "^info .*#$on .*sending, " "$T/alice.out" | tail -n 1)
rate=$(echo "$line" | grep -oE '[0-9.]+ [KMGTPE]?i?B/s')
[ -n "$rate" ] || fail "no rate in: $line"
case $rate in
*TiB/s | *PiB/s | *EiB/s) fail "absurd rate: $line" ;;
esac
node_cmd alice "/cancel #$on"
wait_state bob in "$in" cancelled
exit 0
