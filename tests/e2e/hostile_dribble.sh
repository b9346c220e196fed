#!/bin/bash
# Issue 12.1: sockets stalled in handshake message 1 must not lock
# anyone else out. 40 from one address (127.0.0.2) get only a few
# handshake slots; 60 from 15 addresses fill the table, and then each
# newcomer drops the oldest unfinished handshake instead of being
# refused. Either way a pinned peer started during the attack comes
# online at once, and so does a new contact request from its address
# (the attack of round 2 also uses up the global rate, from which an
# address a known peer came from is exempt; hostile_rotate.sh).
. "${top_srcdir:-.}/tests/e2e/lib.sh"
HOSTILE="$top_builddir/tests/tools/hostile"

pinned_homes bob alice
node_fix_addr alice a_addr
# A generous rate, so that the handshake slots are what holds the
# attack back (with the default, the rate alone would slow it).
echo "handshake_rate = 50;" >>"$T/alice/.p2ptui.conf"
echo "peers = ( { name = \"alice\"; address = \"$a_addr\"; key = \"$(cat "$T/alice.fp")\"; } );" >>"$T/bob/.p2ptui.conf"

# wait_sockets N: until alice holds N sockets.
wait_sockets() {
	local deadline=$(($(now_ms) + TIMEOUT * 1000))
	until [ "$(node_sockets alice)" -ge "$1" ]; do
		[ "$(now_ms)" -lt "$deadline" ] || fail "the attack never connected"
		sleep 0.05
	done
}

node_start alice
wait_for alice '^ready '

# Round 1: one address. It holds 4 handshakes at most, so alice has her
# listener, bob and at most 4 more sockets.
# Each attack runs far longer than a round needs (a loaded machine, with
# the sanitizers, took more than 6 s to bring bob online), and is
# stopped once its round has been measured.
"$HOSTILE" "$a_addr" dribble 40 60 127.0.0.2 >"$T/attack1.out" 2>"$T/attack1.err" &
attack=$!
_pids="$_pids $attack"
wait_sockets 5
node_start bob
TIMEOUT=5 wait_for alice '^online bob '
most=0
for i in $(seq 1 20); do
	n=$(node_sockets alice)
	[ "$n" -le "$most" ] || most=$n
	sleep 0.05
done
echo "round 1: alice held at most $most sockets"
[ "$most" -le 6 ] || fail "alice held $most sockets during the attack"
kill -0 "$attack" 2>/dev/null || fail "round 1 ended too early: $(cat "$T/attack1.err")"
kill "$attack"
wait "$attack" 2>/dev/null
node_kill bob
wait_for alice '^offline bob '

# Round 2: 15 addresses fill the table of 32 handshakes.
srcs=$(for i in $(seq 2 16); do echo 127.0.1.$i; done)
"$HOSTILE" "$a_addr" dribble 60 60 $srcs >"$T/attack2.out" 2>"$T/attack2.err" &
attack=$!
_pids="$_pids $attack"
wait_sockets 30
node_start bob
TIMEOUT=5 wait_for alice '^online bob ' 2
node_start carol
node_cmd carol "/connect $a_addr"
TIMEOUT=5 wait_for alice '^request '
kill -0 "$attack" 2>/dev/null || fail "round 2 ended too early: $(cat "$T/attack2.err")"
kill "$attack"
wait "$attack" 2>/dev/null
kill -0 "$pid_alice" || fail "alice died"
echo "hostile_dribble: ok"
