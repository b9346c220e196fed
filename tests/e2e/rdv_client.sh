#!/bin/bash
# The rendezvous client in p2ptui (issue 17; doc/PROTOCOL.md section 16):
# a real p2ptui-rendezvous and three headless nodes. alice and bob are
# mutual contacts without addresses, carol knows alice's key only.
#   - the configured username is registered: "registered NAME"
#   - a name another key holds is refused
#   - presence between mutual contacts only; carol hears nothing
#   - mutual contacts the server says are online meet through it (direct)
#   - /lookup, and a name that contradicts a pinned key is refused
#   - /connect @NAME: a contact request the other side accepts with
#     /accept, or agrees to with its own /connect @NAME; both become
#     contacts named by their server names; a room member is asked to
#     agree with /connect @NAME
#   - a server restart: the clients reconnect, presence comes back
#   - a server presenting another key than the pinned one is refused
. "${top_srcdir:-.}/tests/e2e/lib.sh"
. "${top_srcdir:-.}/tests/e2e/lib_rdv.sh"

rdv_start
for n in alice bob carol dave eve fred; do
	node_home "$n" >/dev/null
	HOME="$T/$n" "$P2PTUI" --fingerprint >"$T/$n.fp" 2>/dev/null ||
	    fail "no fingerprint for $n"
done
fp() { cat "$T/$1.fp"; }
rdv_conf() { # NAME USERNAME [SERVERKEY]
	printf 'rendezvous = { address = "%s"; key = "%s"; username = "%s"; };\n' \
	    "$RDV_ADDR" "${3:-$RDV_FP}" "$2" >>"$T/$1/.p2ptui.conf"
}
printf 'peers = ( { name = "bob"; key = "%s"; } );\n' "$(fp bob)" \
    >>"$T/alice/.p2ptui.conf"
printf 'peers = ( { name = "alice"; key = "%s"; } );\n' "$(fp alice)" \
    >>"$T/bob/.p2ptui.conf"
# carol: alice, and a "bob" pinned to dave's key.
printf 'peers = ( { name = "alice"; key = "%s"; },
    { name = "bob"; key = "%s"; } );\n' "$(fp alice)" "$(fp dave)" \
    >>"$T/carol/.p2ptui.conf"
rdv_conf alice alice
rdv_conf bob bob
rdv_conf carol carol
rdv_conf fred fred
# eve pins dave's key for the server.
rdv_conf eve eve "$(fp dave)"

node_start alice
node_start bob
wait_for alice '^registered alice$'
wait_for bob '^registered bob$'
node_start carol
wait_for carol '^registered carol$'
node_start fred
wait_for fred '^registered fred$'

# Mutual contacts: presence both ways, then a direct session through
# the server's introduction (neither knows the other's address).
wait_for alice '^presence bob online$'
wait_for bob '^presence alice online$'
wait_for alice "^online bob $(fp bob) [^ ]+ direct\$"
wait_for bob "^online alice $(fp alice) [^ ]+ direct\$"
node_cmd alice /peers
wait_for alice '^info bob online \(direct\) '

# A name is first come; carol's own stays.
node_cmd carol '/register Bob'
wait_for carol '^error the rendezvous server refused REGISTER: the name belongs to someone else'

node_cmd carol '/lookup ALICE'
wait_for carol "^lookup alice $(fp alice)\$"
node_cmd carol '/lookup nobody'
wait_for carol '^lookup nobody none$'
# Longer than a name, and not a key either: the name's error.
node_cmd carol '/connect @abcdefghijabcdefghijabcdefghijabcdefghij'
wait_for carol "^error 'abcdefghijabcdefghijabcdefghijabcdefghij': "
node_cmd carol '/lookup nobody'
wait_for carol '^lookup nobody none$' 2
# The server says bob is bob's key; carol pinned "bob" to dave's.
node_cmd carol '/lookup bob'
wait_for carol '^error KEY MISMATCH: the rendezvous server says bob is '
[ "$(count carol '^lookup bob ')" = 0 ] || fail "carol accepted bob's key"

# carol is no mutual contact of anyone: no presence at all
# (alice subscribed long ago; carol asked the server three times since).
[ "$(count carol '^presence ')" = 0 ] || fail "carol learned presence"
[ "$(count alice '^presence carol')" = 0 ] || fail "alice heard of carol"

# carol asks for alice: a contact request at alice that came through
# the server (no address), named by carol's name there; alice accepts
# and both meet as contacts.
node_cmd carol '/connect @alice'
wait_for alice "^request carol $(fp carol) -\$"
wait_for alice "^info contact request from carol \($(fp carol)\) through the rendezvous server: /accept carol or /decline carol\$"
node_cmd alice "/accept carol"
wait_for carol "^online alice $(fp alice) [^ ]+ direct\$"
wait_for alice "^online carol $(fp carol) [^ ]+ direct\$"
# Now contacts both ways: presence.
wait_for carol '^presence alice online$'
c_name=carol

# fred knows nobody and asks for bob by name: bob becomes his contact,
# named bob; bob agrees with his own /connect @fred instead of /accept,
# and fred is his contact, named fred. Strangers get the relay too now
# (both sides know the key): here they need none.
node_cmd fred '/connect @bob'
wait_for fred "^info bob \($(fp bob)\) is a contact now\$"
wait_for bob "^request fred $(fp fred) -\$"
node_cmd bob '/connect @fred'
wait_for bob "^info fred \($(fp fred)\) is a contact now\$"
wait_for fred "^online bob $(fp bob) [^ ]+ direct\$"
wait_for bob "^online fred $(fp fred) [^ ]+ direct\$"
node_cmd fred '/msg bob hello bob'
wait_for bob '^msg fred hello bob$'
[ "$(count bob '^request ')" = 1 ] || fail "bob was asked twice"

# alice and fred share a room only; fred asks for alice by name: alice
# is told (no request replaces a member) and agrees; both are contacts
# and chat, in the session the room had or a new one.
node_cmd fred '/room create tea pw'
wait_for fred '^joined #tea '
node_cmd alice "/join $(node_addr fred) tea pw"
wait_for alice '^joined #tea '
node_cmd fred '/connect @alice'
wait_for alice '^info [a-z0-9]+, a room member, asks through the rendezvous server to be a contact: /connect @fred to agree$'
node_cmd alice '/connect @fred'
wait_for alice "^info fred \($(fp fred)\) is a contact now\$"
node_cmd fred '/msg alice hi from the room'
wait_for alice '^msg fred hi from the room$'
node_cmd alice '/msg fred hi fred'
wait_for fred '^msg alice hi fred$'

# The server restarts: both reconnect and hear of each other again.
pa=$(count alice '^presence bob online$')
wait_for alice "^presence $c_name online\$"
wait_for alice '^presence fred online$'
pc=$(count alice "^presence $c_name online\$")
pf=$(count alice '^presence fred online$')
pb=$(count bob '^presence alice online$')
rdv_restart
wait_for alice '^warn rendezvous server [^ ]+: connection closed; trying again'
wait_for alice '^presence bob online$' $((pa + 1))
wait_for bob '^presence alice online$' $((pb + 1))
wait_for alice "^presence $c_name online\$" $((pc + 1))
wait_for alice '^presence fred online$' $((pf + 1))
node_cmd alice /who
wait_for alice "^info contacts online: bob $c_name fred\$"
wait_for alice '^info the rendezvous server keeps no public directory$'

# eve pinned another key for the server: refused, loudly.
node_start eve
wait_for eve '^error KEY MISMATCH: the rendezvous server at [^ ]+ presented key '
[ "$(count eve '^registered ')" = 0 ] || fail "eve registered"
echo "rdv_client: ok"
