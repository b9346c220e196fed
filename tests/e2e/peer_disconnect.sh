#!/bin/bash
# Coming online is announced, and so is an accepted contact request;
# /disconnect reads as "disconnected" on the other side (not "quit") and
# neither side dials again until /connect PEER.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_start alice
node_start bob
ask alice bob
# Bob waits for an answer; alice's accept reaches him as a notice.
wait_for bob "^waiting $a_name "
node_cmd alice "/accept $b_name"
wait_for bob "^online $a_name "
wait_for bob "^info $a_name accepted your contact request: online$"
wait_for alice "^online $b_name "
wait_for alice "^info accepted $b_name: online$"
[ "$(count alice ' is online ')" = 0 ] || fail "alice announced the accept twice"

# /disconnect: "disconnected" on both sides, no silent redial.
node_cmd alice "/disconnect $b_name"
wait_for alice "^info disconnected from $b_name: not dialled again until /connect $b_name$"
wait_for bob "^offline $a_name "
wait_for bob "^info $a_name disconnected \(/connect $a_name dials again\)$"
[ "$(count bob ' quit$| went offline')" = 0 ] || fail "bob was told alice quit"
node_cmd bob "/peers"
wait_for bob "^info $a_name offline \(disconnected\) [a-z2-7]{55} 127\.0\.0\.1:[0-9]+ alice$"
node_cmd alice "/peers"
wait_for alice "^info $b_name offline \(disconnected\) [a-z2-7]{55} 127\.0\.0\.1:[0-9]+ bob$"

# Only an explicit /connect PEER dials again; had either side dialled
# by itself, bob's /connect would find alice connected already.
node_cmd bob "/connect $a_name"
wait_for bob "^info connecting to $a_name at 127\.0\.0\.1:[0-9]+$"
wait_for bob "^online $a_name " 2
wait_for alice "^online $b_name " 2
wait_for bob "^info $a_name is online \(127\.0\.0\.1:[0-9]+\)$"
wait_for alice "^info $b_name is online \(127\.0\.0\.1:[0-9]+\)$"
[ "$(count bob '^error')$(count alice '^error')" = 00 ] || fail "an error"
node_cmd bob "/connect $a_name"
wait_for bob "^error $a_name is already online$"
node_cmd bob "/connect nobody"
wait_for bob "^error no peer 'nobody' \(see /peers\); an address is HOST:PORT$"

# /quit reads as "quit".
node_cmd alice "/quit"
wait_for bob "^info $a_name quit$"
echo "peer_disconnect: ok"
