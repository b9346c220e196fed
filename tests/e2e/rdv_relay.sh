#!/bin/bash
# A relay through p2ptui-rendezvous (doc/PROTOCOL.md section 16.4):
# alice and bob, mutual contacts, neither listening (listen = "off"), so
# no candidate can work: 3 s after the introduction the server relays,
# and both report the route "relay". Chat and a file go through it byte
# for byte (the server sees only the Noise ciphertext). Then carol, a
# stranger who does not listen, meets alice by name, relayed as well.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
. "${top_srcdir:-.}/tests/e2e/lib_rdv.sh"
. "$top_srcdir/tests/e2e/lib_file.sh"

rdv_start
key_homes alice bob
for n in alice bob; do
	[ $n = alice ] && o=bob || o=alice
	sed -i 's/^listen = .*/listen = "off";/' "$T/$n/.p2ptui.conf"
	{
		printf 'peers = ( { name = "%s"; key = "%s"; } );\n' $o \
		    "$(cat "$T/$o.fp")"
		printf 'rendezvous = { address = "%s"; key = "%s"; username = "%s"; };\n' \
		    "$RDV_ADDR" "$RDV_FP" $n
	} >>"$T/$n/.p2ptui.conf"
done
node_start alice
node_start bob
wait_for alice '^ready [a-z2-7]{55} off$'
wait_for alice '^presence bob online$'
wait_for alice "^online bob $(cat "$T/bob.fp") [^ ]+ relay\$"
wait_for bob "^online alice $(cat "$T/alice.fp") [^ ]+ relay\$"
a_name=alice
b_name=bob

node_cmd alice '/msg bob through the relay'
wait_for bob '^msg alice through the relay$'
node_cmd bob '/msg alice and back'
wait_for alice '^msg bob and back$'

randfile "$T/odd.bin" $((2 * 262144 + 4321))
offer "$T/odd.bin"
node_cmd bob "/accept #$in"
wait_for bob "^file alice $in in done $size $size odd.bin$"
cmp "$T/odd.bin" "$T/bob/Downloads/odd.bin" || fail "the file arrived different"
node_cmd alice /peers
wait_for alice '^info bob online \(relay\) '

# carol, a stranger who does not listen either, asks for alice by name;
# alice accepts: both are contacts now, so the relay is theirs too.
key_homes carol
sed -i 's/^listen = .*/listen = "off";/' "$T/carol/.p2ptui.conf"
printf 'rendezvous = { address = "%s"; key = "%s"; username = "carol"; };\n' \
    "$RDV_ADDR" "$RDV_FP" >>"$T/carol/.p2ptui.conf"
node_start carol
wait_for carol '^registered carol$'
node_cmd carol '/connect @alice'
wait_for alice "^request carol $(cat "$T/carol.fp") -\$"
node_cmd alice '/accept carol'
wait_for carol "^online alice $(cat "$T/alice.fp") [^ ]+ relay\$"
wait_for alice "^online carol $(cat "$T/carol.fp") [^ ]+ relay\$"
node_cmd carol '/msg alice a stranger, relayed'
wait_for alice '^msg carol a stranger, relayed$'
echo "rdv_relay: ok"
