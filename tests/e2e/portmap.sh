#!/bin/bash
# Port mapping (root only, a build with --enable-portmap and miniupnpd):
# behind a router namespace running miniupnpd (nftables) that forwards
# nothing unasked, alice with port_mapping = true maps her port with
# UPnP-IGD and bob, outside, dials the mapped address; the mapping is
# removed when she quits. Then, with UPnP off in miniupnpd, carol maps
# hers with NAT-PMP.
#
#   ns H (alice, carol) 192.168.77.2 -- 192.168.77.1 ns R 11.79.0.1 --
#   11.79.0.2 ns P (bob)
# (11.79.0.0/24 stands for a public network: miniupnpd refuses to map on
# a private external address. The namespaces reach nothing outside.)
. "${top_srcdir:-.}/tests/e2e/lib.sh"
. "${top_srcdir:-.}/tests/e2e/lib_netns.sh"

netns_need
command -v nft >/dev/null || skip "needs nft (nftables)"
MINIUPNPD=$(command -v miniupnpd || echo /usr/sbin/miniupnpd)
[ -x "$MINIUPNPD" ] || skip "needs miniupnpd (apt-get install miniupnpd-nftables)"
netns_at_exit '[ -n "${mu_pid:-}" ] && kill "$mu_pid" 2>/dev/null'
netns_home_router 11.79.0
R="ip netns exec $NS_R"
# A home router: out goes masqueraded, in comes only what miniupnpd maps.
$R nft -f - <<NFT || skip "nftables does not work here"
table inet filter {
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		iifname "rh$$" oifname "rp$$" accept
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
		oifname "rp$$" masquerade
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
ext_ifname=rp$$
listening_ip=rh$$
enable_natpmp=yes
enable_upnp=$1
secure_mode=yes
upnp_table_name=filter
upnp_nat_table_name=nat
upnp_forward_chain=miniupnpd
upnp_nat_chain=prerouting_miniupnpd
upnp_nat_postrouting_chain=postrouting_miniupnpd
uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b
allow 1024-65535 192.168.77.0/24 1024-65535
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

for n in alice bob carol; do
	node_home "$n" >/dev/null
	sed -i 's/^listen = .*/listen = "0.0.0.0:0";/' "$T/$n/.p2ptui.conf"
done
echo 'port_mapping = true;' >>"$T/alice/.p2ptui.conf"
echo 'port_mapping = true;' >>"$T/carol/.p2ptui.conf"

miniupnpd_start yes
NODE_WRAP="ip netns exec $NS_H" node_start alice
a_port=$(node_addr alice | sed 's/.*://')
wait_for alice '^(info port [0-9]+ mapped|warn (no port mapping|port_mapping))'
grep -q '^warn port_mapping is set, but this p2ptui was built without it' \
    "$T/alice.out" && skip "built without --enable-portmap"
wait_for alice "^info port $a_port mapped with UPnP: peers can dial 11\\.79\\.0\\.1:$a_port\$"
mapped "$a_port" || fail "no mapping in the router"

# bob, outside, reaches alice at the mapped address.
NODE_WRAP="ip netns exec $NS_P" node_start bob
node_cmd bob "/connect 11.79.0.1:$a_port"
wait_for alice '^request '
node_cmd alice "/accept $(field alice '^request ' 2)"
wait_for bob '^online '
node_cmd bob "/msg $(field bob '^online ' 2) through the mapping"
wait_for alice '^msg [^ ]+ through the mapping$'

# Quitting removes the mapping.
node_cmd alice "/quit"
end=$(($(now_ms) + TIMEOUT * 1000))
while mapped "$a_port"; do
	[ "$(now_ms)" -lt "$end" ] || fail "the mapping outlived alice"
	sleep 0.1
done

# NAT-PMP when the router does not speak UPnP.
kill "$mu_pid"
wait "$mu_pid" 2>/dev/null
miniupnpd_start no
NODE_WRAP="ip netns exec $NS_H" node_start carol
c_port=$(node_addr carol | sed 's/.*://')
wait_for carol "^info port $c_port mapped with NAT-PMP: peers can dial 11\\.79\\.0\\.1:[0-9]+\$"
mapped "$(field carol '^info port ' 10 | sed 's/.*://')" ||
    fail "no NAT-PMP mapping in the router"
echo "portmap: ok"
