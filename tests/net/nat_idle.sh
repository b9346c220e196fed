#!/bin/bash
# Keepalives hold a NAT mapping (tests/net/topo.sh, root only): behind
# home routers whose conntrack forgets an idle TCP connection after 5 s
# and does not pick up a connection it no longer knows
# (nf_conntrack_tcp_loose = 0), alice with keepalive = 2 keeps her
# session to bob through 15 s of silence; carol with keepalive = 300
# loses hers to dave (her router answers dave's next segment with a
# reset).
#
#   alice 192.168.1.10 -- r1 (cone) -- pub -- bob 203.0.113.20
#   carol 192.168.2.10 -- r2 (cone) -- pub -- dave 203.0.113.21
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/net/topo.sh"
. "$top_srcdir/tests/e2e/lib.sh"

topo_public pub1 203.0.113.20
topo_public pub2 203.0.113.21
topo_home home1 cone 1
topo_home home2 cone 2
for r in r1 r2; do
	ip netns exec "$r" sysctl -qw \
	    net.netfilter.nf_conntrack_tcp_timeout_established=5 \
	    net.netfilter.nf_conntrack_tcp_loose=0 ||
	    skip "cannot shorten the NAT's timeout"
done
topo_node alice home1
topo_node carol home2
topo_node bob pub1
topo_node dave pub2
for n in alice bob carol dave; do
	ka=300
	[ "$n" = alice ] && ka=2
	sed -i "s/^keepalive = .*/keepalive = $ka;/" "$T/$n/.p2ptui.conf"
	topo_start "$n"
done
introduce bob alice 203.0.113.20:7070
introduce dave carol 203.0.113.21:7070
grep -q '^online .* 203\.0\.113\.101:' "$T/bob.out" || fail "bob: not NATed"

# Three NAT timeouts of silence in the chat: the thing measured.
end=$(($(now_ms) + 15000))
while [ "$(now_ms)" -lt "$end" ]; do sleep 0.1; done

# alice's pings held the mapping: bob reaches her from outside, and back,
node_cmd bob "/msg $(field bob '^online ' 2) still here"
wait_for alice '^msg [^ ]+ still here$'
node_cmd alice "/msg $(field alice '^online ' 2) and here"
wait_for bob '^msg [^ ]+ and here$'
# ... on the same session: not a new one after the old one died.
! grep -q '^offline' "$T/alice.out" "$T/bob.out" ||
    fail "alice's session through the NAT did not survive the silence"
# carol's mapping is gone: her router resets dave's next segment.
node_cmd dave "/msg $(field dave '^online ' 2) lost"
wait_for dave '^offline '
! grep -q 'lost' "$T/carol.out" || fail "carol's NAT mapping survived"
echo "nat_idle: ok"
