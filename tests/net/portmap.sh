#!/bin/bash
# Port mapping (tests/net/topo.sh, root only; a build with
# --enable-portmap and miniupnpd): behind a home router running miniupnpd
# (nftables) that forwards nothing unasked, alice with port_mapping = true
# maps her port with UPnP-IGD and bob, outside, dials the mapped address;
# the mapping is removed when she quits. Then, with UPnP off in
# miniupnpd, carol maps hers with NAT-PMP.
#
#   alice, then carol 192.168.5.10 -- r5 11.79.0.1 -- pub -- bob 11.79.0.2
# (11.79.0.0/24 on the public segment stands for a routable network:
# miniupnpd maps nothing on a reserved or private external address. The
# world is private: it reaches nothing outside.)
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/net/topo.sh"
. "$top_srcdir/tests/e2e/lib.sh"

command -v nft >/dev/null || skip "needs nft (nftables)"
MINIUPNPD=$(command -v miniupnpd || echo /usr/sbin/miniupnpd)
[ -x "$MINIUPNPD" ] ||
    skip "needs miniupnpd (apt-get install miniupnpd-nftables)"
trap '[ -n "${mu_pid:-}" ] && kill "$mu_pid" 2>/dev/null; cleanup' EXIT

topo_home home5 cone 5
topo_public pubm 11.79.0.2
R="ip netns exec r5"
# The router's WAN address is a routable one, and miniupnpd's nftables
# rules replace topo.sh's iptables ones: out goes masqueraded, in comes
# only what miniupnpd maps.
ip -n r5 addr flush dev wan
ip -n r5 addr add 11.79.0.1/24 dev wan
$R iptables -F FORWARD
$R iptables -t nat -F POSTROUTING
$R nft -f - <<NFT || skip "nftables does not work here"
table inet filter {
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		iifname "lan0" oifname "wan" accept
		jump miniupnpd
	}
	chain miniupnpd {
	}
}
table inet nat {
	chain prerouting {
		type nat hook prerouting priority -100; policy accept;
		jump prerouting_miniupnpd
	}
	chain postrouting {
		type nat hook postrouting priority 100; policy accept;
		jump postrouting_miniupnpd
		oifname "wan" masquerade
	}
	chain prerouting_miniupnpd {
	}
	chain postrouting_miniupnpd {
	}
}
NFT

# miniupnpd_start UPNP: run miniupnpd in the router, UPnP on or off
# (NAT-PMP always on), its log in $T/mu.out.
miniupnpd_start() {
	cat >"$T/mu.conf" <<CONF
ext_ifname=wan
listening_ip=lan0
enable_natpmp=yes
enable_upnp=$1
secure_mode=yes
upnp_table_name=filter
upnp_nat_table_name=nat
upnp_forward_chain=miniupnpd
upnp_nat_chain=prerouting_miniupnpd
upnp_nat_postrouting_chain=postrouting_miniupnpd
uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b
allow 1024-65535 192.168.5.0/24 1024-65535
deny 0-65535 0.0.0.0/0 0-65535
CONF
	: >"$T/mu.out"
	$R "$MINIUPNPD" -d -f "$T/mu.conf" -P "$T/mu.pid" >"$T/mu.out" 2>&1 &
	mu_pid=$!
	wait_for mu 'Listening for NAT-PMP'
}
# mapped PORT: whether the router forwards PORT now.
mapped() {
	$R nft list chain inet nat prerouting_miniupnpd | grep -q "dport $1 "
}

topo_node alice home5 "port_mapping = true;"
topo_node carol home5 "port_mapping = true;"
topo_node bob pubm

miniupnpd_start yes
topo_start alice
a_port=7070
wait_for alice '^(info port [0-9]+ mapped|warn (no port mapping|port_mapping))'
grep -q '^warn port_mapping is set, but this p2ptui was built without it' \
    "$T/alice.out" && skip "built without --enable-portmap"
wait_for alice "^info port $a_port mapped with UPnP: peers can dial 11\\.79\\.0\\.1:$a_port\$"
mapped "$a_port" || fail "no mapping in the router"

# bob, outside, reaches alice at the mapped address.
topo_start bob
node_cmd bob "/connect 11.79.0.1:$a_port"
wait_for alice '^request '
node_cmd alice "/accept $(field alice '^request ' 2)"
wait_for bob '^online '
node_cmd bob "/msg $(field bob '^online ' 2) through the mapping"
wait_for alice '^msg [^ ]+ through the mapping$'
# alice's side knows the session came in through the mapping.
node_cmd alice "/peers"
wait_for alice '^info [^ ]+ online \(mapped\) '
node_cmd bob "/peers"
wait_for bob '^info [^ ]+ online \(direct\) '

# Quitting removes the mapping.
node_cmd alice "/quit"
end=$(($(now_ms) + TIMEOUT * 1000))
while mapped "$a_port"; do
	[ "$(now_ms)" -lt "$end" ] || fail "the mapping outlived alice"
	sleep 0.1
done
# ... and with it the way in.
ip netns exec pubm timeout 2 bash -c "exec 3<>/dev/tcp/11.79.0.1/$a_port" \
    2>/dev/null && fail "the router still forwards alice's port"

# NAT-PMP when the router does not speak UPnP.
kill "$mu_pid"
wait "$mu_pid" 2>/dev/null
miniupnpd_start no
topo_start carol
c_port=7070
wait_for carol "^info port $c_port mapped with NAT-PMP: peers can dial 11\\.79\\.0\\.1:[0-9]+\$"
mapped "$(field carol '^info port ' 10 | sed 's/.*://')" ||
    fail "no NAT-PMP mapping in the router"
echo "portmap: ok"
