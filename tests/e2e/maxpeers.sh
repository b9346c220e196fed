#!/bin/bash
# Issue 14: a connection refused because max_peers sessions are open is
# not a silent drop: the dialler gets BYE(full) and says so, and the
# node tells its own user whom it refused.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_home alice >/dev/null
echo "max_peers = 1;" >>"$T/alice/.p2ptui.conf"
node_start alice
node_start bob
node_start carol
a_addr=$(node_addr alice)
introduce alice bob
node_cmd carol "/connect $a_addr"
wait_for carol "^warn $a_addr refused the connection: it has too many connections \(max_peers\)"
wait_for alice '^warn refused [a-z2-7]+ at 127\.0\.0\.1:[0-9]+: 1 connections are open \(max_peers\)'
[ "$(count alice '^request ')" = 1 ] || fail "carol became a request"
# Once bob leaves there is room for carol.
node_cmd bob "/disconnect $a_name"
wait_for alice "^offline $b_name "
node_cmd carol "/connect $a_addr"
wait_for alice '^request ' 2
echo "maxpeers: ok"
