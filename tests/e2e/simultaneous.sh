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

# sockets PID: how many TCP sockets the process holds (1 is the listener).
sockets() {
	n=0
	for f in /proc/"$1"/fd/*; do
		case $(readlink "$f" 2>/dev/null) in socket:*) n=$((n + 1)) ;; esac
	done
	echo $n
}

for round in 1 2 3; do
	node_start alice
	node_start bob
	wait_for alice '^online bob '
	wait_for bob '^online alice '
	# Exactly one session: each process ends with its listener and one
	# connection (the loser is closed within the deadline).
	deadline=$(($(now_ms) + TIMEOUT * 1000))
	while [ "$(sockets $pid_alice)" != 2 ] || [ "$(sockets $pid_bob)" != 2 ]; do
		[ "$(now_ms)" -lt "$deadline" ] ||
		    fail "round $round: alice has $(sockets $pid_alice) sockets, bob $(sockets $pid_bob)"
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
