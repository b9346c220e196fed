#!/bin/bash
# A declined contact request: the requester is told and stops retrying;
# the decliner forgets the request and refuses the key (peer_decline.sh:
# also after restarts).
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_start alice
node_start bob
a_addr=$(node_addr alice)
node_cmd bob "/connect $a_addr"
wait_for alice '^request '
b_name=$(field alice '^request ' 2)
node_cmd alice "/decline $b_name"
wait_for alice "^removed $b_name$"
wait_for bob "declined the contact request"
node_cmd alice "/peers"
wait_for alice "^info no peers yet"

# Asking again is refused straight away, without a new request.
node_cmd bob "/connect $a_addr"
wait_for bob "declined the contact request" 2
[ "$(count alice '^request ')" = 1 ] || fail "a declined key made a second request"
echo "decline: ok"
