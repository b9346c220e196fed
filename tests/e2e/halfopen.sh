#!/bin/bash
# Issue 11.22: a peer whose old connection is half-open (here: the
# process is frozen, as a laptop asleep) reconnects from a fresh process
# with the same key. The fresh authenticated handshake replaces the old
# session at once instead of being refused with BYE(duplicate) until the
# keepalive gives up, and the messages sent into the dead connection
# arrive once.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

pinned_homes bob alice
node_fix_addr alice a_addr
# Sessions race only within 2 x handshake_timeout (PROTOCOL.md 9).
echo "handshake_timeout = 1;" >>"$T/alice/.p2ptui.conf"
echo "peers = ( { name = \"alice\"; address = \"$a_addr\"; key = \"$(cat "$T/alice.fp")\"; } );" >>"$T/bob/.p2ptui.conf"
node_start alice
node_start bob
wait_for alice '^online bob '
wait_for bob '^online alice '
node_cmd bob "/msg alice before"
wait_for alice '^msg bob before$'
# The session must be older than that race window.
end=$(($(now_ms) + 2100))
while [ "$(now_ms)" -lt "$end" ]; do sleep 0.1; done

# bob freezes; alice's messages go into the dead connection.
kill -STOP "$pid_bob"
cp -a "$T/bob" "$T/bob2"
for i in 1 2 3; do
	node_cmd alice "/msg bob frozen $i"
done
wait_for alice '^sent bob ' 3
# bob wakes up as a new process (same key, a copy of its data) while
# the old connection still looks alive to alice: keepalive 5 s, so
# alice would drop it after 15 s only.
start=$(now_ms)
node_start bob2
TIMEOUT=5 wait_for bob2 '^online alice '
for i in 1 2 3; do
	TIMEOUT=5 wait_for bob2 "^msg alice frozen $i$"
done
echo "bob2 online with the 3 messages after $(($(now_ms) - start)) ms"
wait_for alice '^delivered bob ' 3
node_cmd bob2 "/msg alice awake"
wait_for alice '^msg bob awake$'
kill -KILL "$pid_bob"
wait "$pid_bob" 2>/dev/null
# Nothing twice, on either side.
node_cmd alice "/msg bob last"
wait_for bob2 '^msg alice last$'
for i in 1 2 3; do
	[ "$(count bob2 "^msg alice frozen $i$")" = 1 ] || fail "frozen $i shown twice"
done
[ "$(count alice '^msg bob awake$')" = 1 ] || fail "awake shown twice"
[ "$(count alice '^offline bob')" = 0 ] || fail "bob went offline in the switch"
echo "halfopen: ok"
