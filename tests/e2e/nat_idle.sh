#!/bin/bash
# Keepalives hold a NAT mapping (root only): behind a router namespace
# whose conntrack forgets an idle TCP connection after 5 s and drops what
# it no longer knows (nf_conntrack_tcp_loose = 0, FORWARD policy DROP),
# alice with keepalive = 2 keeps her session to bob through 15 s of
# silence; carol behind the same NAT with keepalive = 300 loses hers to
# dave (the router answers dave's next segment with a reset).
#
#   ns H (alice, carol) 192.168.77.2 -- 192.168.77.1 ns R 10.79.0.1 --
#   10.79.0.2 ns P (bob, dave)
. "${top_srcdir:-.}/tests/e2e/lib.sh"
. "${top_srcdir:-.}/tests/e2e/lib_netns.sh"

netns_need
command -v iptables >/dev/null || skip "needs iptables"
netns_home_router 10.79.0
R="ip netns exec $NS_R"
# Load conntrack in the router (the first NAT rule does), then shorten it.
$R iptables -t nat -A POSTROUTING -o "rp$$" -j MASQUERADE ||
    skip "iptables NAT does not work here"
$R sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established=5 ||
    skip "cannot set the conntrack timeout"
$R sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0 || fail "tcp_loose"
$R iptables -P FORWARD DROP
$R iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
$R iptables -A FORWARD -m conntrack --ctstate NEW -i "rh$$" -o "rp$$" \
    -j ACCEPT

for n in alice bob carol dave; do
	node_home "$n" >/dev/null
	sed -i -e 's/^listen = .*/listen = "0.0.0.0:0";/' "$T/$n/.p2ptui.conf"
done
sed -i 's/^keepalive = .*/keepalive = 2;/' "$T/alice/.p2ptui.conf"
for n in bob carol dave; do
	sed -i 's/^keepalive = .*/keepalive = 300;/' "$T/$n/.p2ptui.conf"
done
NODE_WRAP="ip netns exec $NS_P" node_start bob
NODE_WRAP="ip netns exec $NS_P" node_start dave
NODE_WRAP="ip netns exec $NS_H" node_start alice
NODE_WRAP="ip netns exec $NS_H" node_start carol
b_addr="10.79.0.2:$(node_addr bob | sed 's/.*://')"
d_addr="10.79.0.2:$(node_addr dave | sed 's/.*://')"
node_cmd alice "/connect $b_addr"
node_cmd carol "/connect $d_addr"
wait_for bob '^request '
wait_for dave '^request '
node_cmd bob "/accept $(field bob '^request ' 2)"
node_cmd dave "/accept $(field dave '^request ' 2)"
wait_for alice '^online '
wait_for carol '^online '
# Both sessions come through the NAT.
grep -q '^online .* 10\.79\.0\.1:' "$T/bob.out" || fail "bob: not NATed"

# Three conntrack timeouts of silence in the chat: the thing measured.
end=$(($(now_ms) + 15000))
while [ "$(now_ms)" -lt "$end" ]; do sleep 0.1; done

# alice's pings held the mapping: bob reaches her from outside, and back.
node_cmd bob "/msg $(field bob '^online ' 2) still here"
wait_for alice '^msg [^ ]+ still here$'
node_cmd alice "/msg $(field alice '^online ' 2) and here"
wait_for bob '^msg [^ ]+ and here$'
# ... on the same session: not a new one after the old one died.
! grep -q '^offline' "$T/alice.out" "$T/bob.out" ||
    fail "alice's session through the NAT did not survive the silence"
# carol's mapping is gone: the router resets dave's next segment.
node_cmd dave "/msg $(field dave '^online ' 2) lost"
wait_for dave '^offline '
! grep -q 'lost' "$T/carol.out" || fail "carol's NAT mapping survived"
echo "nat_idle: ok"
