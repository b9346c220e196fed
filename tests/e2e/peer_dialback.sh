#!/bin/bash
# HELLO carries where its sender listens: the side that only ever saw a
# peer dial in can dial it back after both restart. Bob listens on a
# wildcard address, so he sends only his port, and alice pairs it with
# the address his connection came from. A LISTEN naming an address the
# connection does not come from is never dialled.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_fix_addr bob b_addr
b_port=${b_addr##*:}
sed -i "s/^listen = .*/listen = \"0.0.0.0:$b_port\";/" "$T/bob/.p2ptui.conf"
node_start alice
node_start bob
introduce alice bob
grep -q "^$(node_fp bob) $b_name 1 127\.0\.0\.1:$b_port h bob$" \
    "$T/alice/.local/share/p2ptui/peers" ||
    fail "alice did not learn bob's address: $(cat "$T/alice/.local/share/p2ptui/peers")"

# A message for bob waits while he is away; then alice restarts too, on
# a new port, so bob has no address for her.
node_kill bob
wait_for alice "^offline $b_name "
node_cmd alice "/msg $b_name while you were away"
wait_for alice "^sent $b_name "
node_kill alice
node_start bob
node_start alice
wait_for alice "^online $b_name "
wait_for bob "^msg $a_name while you were away$"
wait_for alice "^delivered $b_name "

# Carol listens on 127.0.0.2 but dials from 127.0.0.1, so her LISTEN
# names a host that never connected to alice: a peer must not make
# alice dial a third party. Alice keeps no address for carol.
node_home carol >/dev/null
sed -i 's/^listen = .*/listen = "127.0.0.2:0";/' "$T/carol/.p2ptui.conf"
node_start carol
case $(node_addr carol) in 127.0.0.2:*) ;; *) fail "carol listens on $(node_addr carol)" ;; esac
introduce alice carol
c_line=$(grep "^$(node_fp carol) " "$T/alice/.local/share/p2ptui/peers") ||
    fail "alice did not remember carol"
case $c_line in
*127.0.0.2*) fail "alice took carol's LISTEN for another host: $c_line" ;;
"$(node_fp carol) $b_name 1 - - carol") ;;
*) fail "carol's line: $c_line" ;;
esac
echo "peer_dialback: ok"
