# SPDX-License-Identifier: GPL-3.0-or-later
# The network of the connectivity tests, built from network namespaces in
# a private world: the test re-executes itself under `unshare --net
# --mount`, so its namespaces, bridges and NAT rules are gone when it
# ends, however it ends, and never touch the machine's own network.
#
#   . "$top_srcdir/tests/net/topo.sh"   # before lib.sh: may re-execute
#   . "$top_srcdir/tests/e2e/lib.sh"
#   topo_public pub1 203.0.113.20       # a host on the public segment
#   topo_home cone1 cone 1              # a host behind a NAT router
#   NODE_WRAP="$(topo_in cone1)" node_start alice
#
# The public segment is a bridge in the world's own namespace,
# 203.0.113.0/24 (TEST-NET-3); the world itself is 203.0.113.1. A home
# network N is 192.168.N.0/24 behind router ns rN (WAN 203.0.113.(100+N))
# with one host ns (192.168.N.10). Router kinds:
#   cone       MASQUERADE: the source port is kept where it is free, so
#              the mapping of one local port is the same for every
#              destination; unsolicited input from the WAN is dropped
#              (to the router itself too: no RST tells a prober anything).
#   symmetric  MASQUERADE --random-fully: a new random port for every
#              new connection; unsolicited input dropped.
# The LAN is a second bridge (10.88.0.0/24) that reaches nothing else.

if [ -z "${TOPO_WORLD:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: needs root for network namespaces" >&2
		exit 77
	fi
	for c in ip iptables unshare; do
		command -v "$c" >/dev/null || {
			echo "SKIP: needs $c" >&2
			exit 77
		}
	done
	TOPO_WORLD=1 exec unshare --net --mount --propagation private \
	    "$BASH" "$0" "$@"
	echo "SKIP: cannot unshare a network namespace" >&2
	exit 77
fi

mkdir -p /run/netns
mount -t tmpfs tmpfs /run/netns || {
	echo "SKIP: cannot mount /run/netns in the private world" >&2
	exit 77
}
ip link set lo up
ip link add pub type bridge && ip link set pub up &&
    ip addr add 203.0.113.1/24 dev pub || {
	echo "SKIP: cannot make a bridge" >&2
	exit 77
}
ip link add lan type bridge && ip link set lan up

# topo_ns NAME: a namespace with its loopback up.
topo_ns() {
	ip netns add "$1" && ip -n "$1" link set lo up
}

# topo_link NS IF ADDR/LEN BRIDGE: a veth from NS (named IF, with ADDR)
# to BRIDGE of the world.
topo_link() {
	ip link add "$1-$2" type veth peer name "$2" netns "$1" &&
	    ip link set "$1-$2" master "$4" up &&
	    ip -n "$1" addr add "$3" broadcast + dev "$2" &&
	    ip -n "$1" link set "$2" up
}

# topo_public NAME ADDR: a host on the public segment.
topo_public() {
	topo_ns "$1" && topo_link "$1" eth0 "$2/24" pub ||
	    fail "cannot make public host $1"
}

# topo_lan NAME ADDR: a host on the LAN.
topo_lan() {
	topo_ns "$1" &&
	    topo_link "$1" eth0 "$2/24" lan &&
	    ip -n "$1" route add 224.0.0.0/4 dev eth0 ||
	    fail "cannot make LAN host $1"
}

# topo_home NAME cone|symmetric N: host NAME (192.168.N.10) behind router
# rN (WAN 203.0.113.(100+N)) of that kind.
topo_home() {
	local name=$1 kind=$2 n=$3 r="r$3" masq
	case $kind in
	cone) masq="-j MASQUERADE" ;;
	symmetric) masq="-j MASQUERADE --random-fully" ;;
	*) fail "topo_home: no router kind $kind" ;;
	esac
	topo_ns "$r" && topo_link "$r" wan "203.0.113.$((100 + n))/24" pub &&
	    topo_ns "$name" &&
	    ip link add lan0 netns "$r" type veth peer name eth0 netns "$name" &&
	    ip -n "$r" addr add "192.168.$n.1/24" dev lan0 &&
	    ip -n "$r" link set lan0 up &&
	    ip -n "$name" addr add "192.168.$n.10/24" dev eth0 &&
	    ip -n "$name" link set eth0 up &&
	    ip -n "$name" route add default via "192.168.$n.1" &&
	    ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1 &&
	    ip netns exec "$r" iptables -t nat -A POSTROUTING -o wan $masq &&
	    ip netns exec "$r" iptables -A FORWARD -i wan -m conntrack \
	        --ctstate ESTABLISHED,RELATED -j ACCEPT &&
	    ip netns exec "$r" iptables -A FORWARD -i wan -j DROP &&
	    ip netns exec "$r" iptables -A INPUT -i wan -m conntrack \
	        --ctstate NEW -j DROP ||
	    fail "cannot make home network $n ($kind) for $name"
}

# topo_in NAME: the command prefix that runs something in NAME.
topo_in() {
	echo "ip netns exec $1"
}

# topo_node NAME NS [CONFIG LINES]: a node's HOME listening on port 7070 of
# every address of namespace NS (namespaces do not share ports).
topo_node() {
	local name=$1 ns=$2
	shift 2
	node_home "$name" >/dev/null
	sed -i -e 's/^listen = .*/listen = "0.0.0.0:7070";/' \
	    "$T/$name/.p2ptui.conf"
	for line in "$@"; do
		echo "$line" >>"$T/$name/.p2ptui.conf"
	done
	eval "ns_$name=$ns"
}

# topo_start NAME: start the node made by topo_node in its namespace.
topo_start() {
	local ns
	eval "ns=\$ns_$1"
	NODE_WRAP="$(topo_in "$ns")" node_start "$1"
	wait_for "$1" '^ready '
}
