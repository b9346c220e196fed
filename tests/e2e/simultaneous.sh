#!/bin/bash
# Two peers that know each other dial each other at the same moment:
# they end with exactly one session, and it works both ways.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_start alice
node_start bob
a_fp=$(node_fp alice)
b_fp=$(node_fp bob)
a_addr=$(node_addr alice)
b_addr=$(node_addr bob)
node_kill alice
node_kill bob
sed -i "s/^listen = .*/listen = \"$a_addr\";/" "$T/alice/.p2ptui.conf"
sed -i "s/^listen = .*/listen = \"$b_addr\";/" "$T/bob/.p2ptui.conf"
echo "peers = ( { name = \"bob\"; address = \"$b_addr\"; key = \"$b_fp\"; } );" >>"$T/alice/.p2ptui.conf"
echo "peers = ( { name = \"alice\"; address = \"$a_addr\"; key = \"$a_fp\"; } );" >>"$T/bob/.p2ptui.conf"

for round in 1 2 3; do
	node_start alice
	node_start bob
	wait_for alice '^online bob '
	wait_for bob '^online alice '
	# Exactly one session: each process ends with its listener and one
	# connection (the loser is closed within the deadline).
	deadline=$(($(now_ms) + TIMEOUT * 1000))
	while [ "$(node_sockets alice)" != 2 ] || [ "$(node_sockets bob)" != 2 ]; do
		[ "$(now_ms)" -lt "$deadline" ] ||
		    fail "round $round: alice has $(node_sockets alice) sockets, bob $(node_sockets bob)"
		sleep 0.05
	done
	node_cmd alice "/msg bob ping $round"
	wait_for bob "^msg alice ping $round$"
	node_cmd bob "/msg alice pong $round"
	wait_for alice "^msg bob pong $round$"
	node_kill alice
	node_kill bob
done
echo "simultaneous: ok"
