#!/bin/bash
# Two real nodes on loopback: /connect by name (resolved without blocking),
# mutual authentication, contact request, accept, chat both ways with
# delivery acknowledgements, escaping of hostile text, bye on quit.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_start alice
node_start bob
a_fp=$(node_fp alice)
b_fp=$(node_fp bob)
port=$(node_addr alice | sed 's/.*://')

# "localhost" goes through the resolver (and may try ::1 first).
node_cmd bob "/connect localhost:$port"
wait_for alice "^request [a-z2-7]{8} $b_fp 127\.0\.0\.1:[0-9]+$"
wait_for bob "^waiting [a-z2-7]{8} $a_fp$"
b_name=$(field alice '^request ' 2)
a_name=$(field bob '^waiting ' 2)
[ "$b_name" = "$(echo "$b_fp" | cut -c1-8)" ] || fail "request name is not bob's short fingerprint"

# Before the request is accepted, messages wait in bob's queue; alice
# cannot write to a key she has not accepted.
node_cmd bob "/msg $a_name before acceptance"
wait_for bob "^sent $a_name [0-9a-f]{32}$"
node_cmd alice "/msg $b_name not yet"
wait_for alice "^error $b_name has not been accepted"
[ "$(count alice '^msg ')" = 0 ] || fail "a message arrived before acceptance"

node_cmd alice "/accept $b_name"
wait_for alice "^online $b_name $b_fp "
wait_for bob "^online $a_name $a_fp 127\.0\.0\.1:$port direct$"
wait_for alice "^msg $b_name before acceptance$"
wait_for bob "^delivered $a_name $(field bob '^sent ' 3)$"

node_cmd bob "/msg $a_name hello alice"
wait_for alice "^msg $b_name hello alice$"
wait_for bob "^delivered $a_name [0-9a-f]{32}$" 2
[ "$(field bob '^sent ' 3)" = "$(field bob '^delivered ' 3)" ] || fail "delivered id differs from sent id"

# UTF-8 passes through; a peer cannot inject a line into our output.
node_cmd alice "/msg $b_name héllo wörld 你好 🎉"
wait_for bob "^msg $a_name héllo wörld 你好 🎉$"
node_cmd alice "/msg $b_fp by fingerprint"
wait_for bob "^msg $a_name by fingerprint$"
node_cmd alice "/msg nobody hi"
wait_for alice "^error no peer 'nobody'"

# Learned peers are remembered with their address and nick; alice
# learned where bob listens from his HELLO (flag h).
b_port=$(node_addr bob | sed 's/.*://')
grep -q "^$a_fp $a_name 1 localhost:$port - alice$" "$T/bob/.local/share/p2ptui/peers" ||
    fail "bob did not remember alice: $(cat "$T/bob/.local/share/p2ptui/peers")"
grep -q "^$b_fp $b_name 1 127\.0\.0\.1:$b_port h bob$" "$T/alice/.local/share/p2ptui/peers" ||
    fail "alice did not remember the accepted key: $(cat "$T/alice/.local/share/p2ptui/peers")"
[ "$(stat -c %a "$T/bob/.local/share/p2ptui/peers")" = 600 ] || fail "peers file mode"

# /quit says bye: the other side sees it at once, not after a timeout.
node_cmd alice "/quit"
node_wait_exit alice
[ "$node_status" = 0 ] || fail "alice exited with $node_status"
wait_for bob "^offline $a_name $a_fp$"
wait_for bob "^info $a_name quit$"
echo "session: ok"
