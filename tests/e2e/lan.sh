#!/bin/bash
# LAN discovery in network namespaces (root only): two contacts that know
# each other's keys but no address find each other by their beacons and
# go online, the one that dialled on route "lan"; a stranger's public
# beacon is told to the user, never dialled; a stranger's contacts-only
# beacon is not even noticed; a flood of datagrams is read only up to the
# budget, and chat goes on.
#
#   ns A (alice)  10.77.0.1/24 --veth-- 10.77.0.2/24  ns B (bob, carol, dave)
. "${top_srcdir:-.}/tests/e2e/lib.sh"
. "${top_srcdir:-.}/tests/e2e/lib_netns.sh"

netns_need
NS_A="p2ptui-lan-$$-a"
NS_B="p2ptui-lan-$$-b"
netns_add "$NS_A" "$NS_B"
ip link add "va$$" netns "$NS_A" type veth peer name "vb$$" netns "$NS_B" ||
    fail "veth pair"
ip -n "$NS_A" addr add 10.77.0.1/24 broadcast 10.77.0.255 dev "va$$"
ip -n "$NS_B" addr add 10.77.0.2/24 broadcast 10.77.0.255 dev "vb$$"
ip -n "$NS_A" link set "va$$" up
ip -n "$NS_B" link set "vb$$" up

# Every node listens on all addresses of its namespace, on a free port.
for n in alice bob carol dave; do
	node_home "$n" >/dev/null
	sed -i -e 's/^listen = .*/listen = "0.0.0.0:0";/' \
	    -e '/^lan_announce/d' "$T/$n/.p2ptui.conf"
	HOME="$T/$n" "$P2PTUI" --fingerprint >"$T/$n.fp" 2>/dev/null ||
	    fail "no fingerprint for $n"
done
# alice and bob pin each other's key, with no address.
printf 'peers = ( { name = "bob"; key = "%s"; } );\n' "$(cat "$T/bob.fp")" \
    >>"$T/alice/.p2ptui.conf"
printf 'peers = ( { name = "alice"; key = "%s"; } );\n' \
    "$(cat "$T/alice.fp")" >>"$T/bob/.p2ptui.conf"
echo 'lan_announce = "public";' >>"$T/carol/.p2ptui.conf"

NODE_WRAP="ip netns exec $NS_A" node_start alice -v
wait_for alice '^ready '
# dave: a stranger to alice, contacts-only beacons.
NODE_WRAP="ip netns exec $NS_B" node_start dave
wait_for dave '^ready '
NODE_WRAP="ip netns exec $NS_B" node_start bob
wait_for bob '^online alice '
wait_for alice '^online bob [^ ]* 10\.77\.0\.2:'
# alice heard bob's first beacon and dialled him: her session runs on
# the LAN route; bob's is one he was dialled on, as any other.
node_cmd alice "/peers"
wait_for alice '^info bob online \(lan\) [a-z2-7]{55} - bob$'
node_cmd bob "/peers"
wait_for bob '^info alice online \(direct\) [a-z2-7]{55} - alice$'

# carol announces herself: alice is told how to reach her, and nothing
# more happens.
NODE_WRAP="ip netns exec $NS_B" node_start carol
carol_port=$(node_addr carol | sed 's/.*://')
wait_for alice "^info carol [^ ]+ is on the LAN: /connect 10\.77\.0\.2:$carol_port\$"
! grep -E '^(request|info new peer)' "$T/carol.out" ||
    fail "carol was dialled by alice"
! grep -q 'dave\|request' "$T/alice.out" || fail "alice noticed dave"
! grep -q 'request' "$T/dave.out" || fail "dave was dialled"

# The session found on the LAN is a real one: a message both ways.
node_cmd alice "/msg bob over the LAN"
wait_for bob "^msg alice over the LAN$"
node_cmd bob "/msg alice and back"
wait_for alice "^msg bob and back$"
# A flood of junk at alice's beacon port: she reads her budget, then
# leaves the rest to the kernel until the second is over.
ln -s "$T/alice/.local/share/p2ptui/debug.log" "$T/alice-log.out"
# (bash's /dev/udp: one socket per datagram, 3000 in well under a second)
ip netns exec "$NS_B" bash -c 'for i in $(seq 3000); do
	printf "p2pL\001\000junk" >/dev/udp/10.77.0.1/47077
done' || fail "flood"
wait_for alice-log 'lan: over 100 datagrams a second, not reading'
node_cmd bob "/msg alice after the flood"
wait_for alice "^msg bob after the flood$"
echo "lan: ok"
