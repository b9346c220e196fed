#!/bin/bash
# LAN discovery on the LAN segment of tests/net/topo.sh (root only): two
# contacts that know each other's keys but no address find each other by
# their beacons and go online, the one that dialled on route "lan"; a
# stranger's public beacon is told to the user, never dialled; a
# stranger's contacts-only beacon is not even noticed; the session
# carries a 10 MB file byte-identical; a flood of
# datagrams is read only up to the budget, and chat goes on.
#
#   lan bridge 10.88.0.0/24: alice .10, bob .11, carol .12, dave .13
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/net/topo.sh"
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/lib_file.sh"

i=10
for n in alice bob carol dave; do
	topo_lan "lan_$n" "10.88.0.$i"
	i=$((i + 1))
	topo_node "$n" "lan_$n"
	sed -i '/^lan_announce/d' "$T/$n/.p2ptui.conf"
	HOME="$T/$n" "$P2PTUI" --fingerprint >"$T/$n.fp" 2>/dev/null ||
	    fail "no fingerprint for $n"
done
# alice and bob pin each other's key, with no address.
printf 'peers = ( { name = "bob"; key = "%s"; } );\n' "$(cat "$T/bob.fp")" \
    >>"$T/alice/.p2ptui.conf"
printf 'peers = ( { name = "alice"; key = "%s"; } );\n' \
    "$(cat "$T/alice.fp")" >>"$T/bob/.p2ptui.conf"
echo 'lan_announce = "public";' >>"$T/carol/.p2ptui.conf"

NODE_WRAP="$(topo_in lan_alice)" node_start alice -v
wait_for alice '^ready '
# dave: a stranger to alice, contacts-only beacons.
topo_start dave
start=$(now_ms)
topo_start bob
wait_for bob '^online alice '
echo "lan: online $(($(now_ms) - start)) ms after bob started"
wait_for alice '^online bob [^ ]* 10\.88\.0\.11:7070 lan$'
# alice heard bob's first beacon and dialled him: her session runs on
# the LAN route; bob's is one he was dialled on, as any other.
node_cmd alice "/peers"
wait_for alice '^info bob online \(lan\) [a-z2-7]{55} - bob$'
node_cmd bob "/peers"
wait_for bob '^info alice online \(direct\) [a-z2-7]{55} - alice$'

# carol announces herself: alice is told how to reach her, and nothing
# more happens.
topo_start carol
wait_for alice "^info carol [^ ]+ is on the LAN: /connect 10\.88\.0\.12:7070\$"
! grep -E '^(request|info new peer)' "$T/carol.out" ||
    fail "carol was dialled by alice"
! grep -q 'dave\|request' "$T/alice.out" || fail "alice noticed dave"
! grep -q 'request' "$T/dave.out" || fail "dave was dialled"

# The session found on the LAN is a real one: a message both ways.
node_cmd alice "/msg bob over the LAN"
wait_for bob "^msg alice over the LAN$"
node_cmd bob "/msg alice and back"
wait_for alice "^msg bob and back$"
randfile "$T/ten.bin" $((10 * 1024 * 1024))
n=$(last_num bob in)
node_cmd alice "/send bob $T/ten.bin"
wait_new bob in "$n"
node_cmd bob "/accept #$new"
wait_for bob "^saved alice $new "
cmp -s "$T/ten.bin" "$(field bob "^saved alice $new " 4-)" ||
    fail "the file from alice to bob arrived different"

# A flood of junk at alice's beacon port: she reads her budget, then
# leaves the rest to the kernel until the second is over.
ln -s "$T/alice/.local/share/p2ptui/debug.log" "$T/alice-log.out"
# (bash's /dev/udp: one socket per datagram, 3000 in well under a second)
ip netns exec lan_bob bash -c 'for i in $(seq 3000); do
	printf "p2pL\001\000junk" >/dev/udp/10.88.0.10/47077
done' || fail "flood"
wait_for alice-log 'lan: over 100 datagrams a second, not reading'
node_cmd bob "/msg alice after the flood"
wait_for alice "^msg bob after the flood$"
echo "lan: ok"
