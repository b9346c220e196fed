#!/bin/bash
# A hostile rendezvous server (tests/tools/rdvevil): what the server
# says is as hostile as any peer's bytes. A flood of REQUESTs, of
# CANDIDATES, RELAY_TOKENs and PRESENCEs for keys nobody asked about,
# a FOUND nobody asked for, then a message of an unknown type; a frame
# of garbage; a frame too short for its tag. Each ends that session with a warning and a retry;
# the requests listed stay bounded (32), their notices folded; nothing
# is dialled for a key the user never asked for; the node goes on.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

"$top_builddir/tests/tools/rdvevil" >"$T/evil.out" 2>"$T/evil.err" &
_pids="$_pids $!"
wait_for evil '^listen '
port=$(field evil '^listen ' 2)
trap_port=$(field evil '^listen ' 3)
[ -n "$trap_port" ] || fail "no trap port"
printf 'rendezvous = { address = "127.0.0.1:%s"; key = "%s"; username = "alice"; };\n' \
    "$port" "$(field evil '^listen ' 4)" >>"$(node_home alice)/.p2ptui.conf"
node_start alice

# 1: the flood and the unknown type.
wait_for evil '^closed 1$'
wait_for alice "^warn rendezvous server 127\\.0\\.0\\.1:$port: [^;]*message[^;]*; trying again\$"
# A FOUND nobody asked for is no lookup result.
[ "$(count alice '^lookup ')" = 0 ] || fail "an unasked FOUND was reported: $(grep '^lookup' "$T/alice.out")"
# 2: garbage where a message should be; 3: a frame too short. The
# backoff doubles from 1 s: about 3 s for both.
wait_for evil '^closed 2$'
wait_for evil '^closed 3$'
wait_for alice "^warn rendezvous server 127\\.0\\.0\\.1:$port: .*; trying again\$" 3

# Still answering; at most 32 requests kept, five notices shown.
node_cmd alice /peers
node_cmd alice /rooms
wait_for alice '^info no rooms'
n=$(grep -cE '^info evil[0-9]{3} request \(via server\)' "$T/alice.out")
[ "$n" -ge 1 ] && [ "$n" -le 32 ] || fail "$n requests listed (1 to 32)"
n=$(grep -c '^info contact request from evil' "$T/alice.out")
[ "$n" -le 5 ] || fail "$n request notices shown (at most 5)"
# Nothing dialled or spliced for the keys it made up.
! grep -qE '^(trap|splice)$' "$T/evil.out" || fail "alice dialled: $(grep -E '^(trap|splice)' "$T/evil.out")"
kill -0 "$pid_alice" || fail "alice died"
echo "rdv_hostile: ok"
