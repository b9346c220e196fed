#!/bin/bash
# A contact request whose connection has gone is shown as such; /accept
# still remembers the key and dials the requester back where its HELLO
# said it listens.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_start alice
node_start bob
b_addr=$(node_addr bob)
ask alice bob
node_cmd bob "/msg $a_name queued before the accept"
wait_for bob "^sent $a_name "
# Bob gives up waiting.
node_cmd bob "/disconnect $a_name"
wait_for alice "^info the contact request of $b_name is offline \(disconnected\); /accept $b_name still works$"
node_cmd alice "/peers"
wait_for alice "^info $b_name request \(offline\) [a-z2-7]{55} $b_addr bob$"

node_cmd alice "/accept $b_name"
wait_for alice "^info accepted $b_name: its request's connection has gone; dialling it at $b_addr$"
wait_for alice "^online $b_name "
wait_for bob "^online $a_name "
wait_for alice "^msg $b_name queued before the accept$"
grep -q "^$(node_fp bob) $b_name 1 $b_addr h bob$" "$T/alice/.local/share/p2ptui/peers" ||
    fail "alice did not remember bob: $(cat "$T/alice/.local/share/p2ptui/peers")"
echo "peer_request: ok"
