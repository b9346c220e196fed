# SPDX-License-Identifier: GPL-3.0-or-later
# Helpers for the tests in network namespaces (root only), on top of
# lib.sh:
#
#   netns_need                  # skip unless root with ip and namespaces
#   netns_add NS...             # new namespaces, deleted at exit
#   netns_home_router PUB       # ns NS_H 192.168.77.2 -- 192.168.77.1
#                               # NS_R PUB.1 -- PUB.2 NS_P; H routes via R,
#                               # R forwards; interfaces nh rh rp np + $$
#   netns_at_exit CMD           # also run CMD at exit (before the rest)
#
# Namespaces and interfaces carry the test's pid: tests run in parallel.

_netns_list=
_netns_exit=
netns_cleanup() {
	eval "$_netns_exit"
	cleanup
	for ns in $_netns_list; do
		ip netns del "$ns" 2>/dev/null
	done
}
trap netns_cleanup EXIT

netns_at_exit() {
	_netns_exit="$_netns_exit $*;"
}

netns_need() {
	[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
	command -v ip >/dev/null || skip "needs ip (iproute2)"
	ip netns add "p2ptui-probe-$$" 2>/dev/null ||
	    skip "cannot create a network namespace"
	ip netns del "p2ptui-probe-$$"
}

netns_add() {
	for ns in "$@"; do
		ip netns add "$ns" || fail "namespace $ns"
		_netns_list="$_netns_list $ns"
		ip -n "$ns" link set lo up
	done
}

netns_home_router() {
	local pub=$1
	NS_H="p2ptui-$$-h"
	NS_R="p2ptui-$$-r"
	NS_P="p2ptui-$$-p"
	netns_add "$NS_H" "$NS_R" "$NS_P"
	ip link add "nh$$" netns "$NS_H" type veth peer name "rh$$" \
	    netns "$NS_R" || fail "veth pair"
	ip link add "np$$" netns "$NS_P" type veth peer name "rp$$" \
	    netns "$NS_R" || fail "veth pair"
	ip -n "$NS_H" addr add 192.168.77.2/24 dev "nh$$"
	ip -n "$NS_R" addr add 192.168.77.1/24 dev "rh$$"
	ip -n "$NS_R" addr add "$pub.1/24" dev "rp$$"
	ip -n "$NS_P" addr add "$pub.2/24" dev "np$$"
	ip -n "$NS_H" link set "nh$$" up
	ip -n "$NS_R" link set "rh$$" up
	ip -n "$NS_R" link set "rp$$" up
	ip -n "$NS_P" link set "np$$" up
	ip -n "$NS_H" route add default via 192.168.77.1
	ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1 ||
	    fail "ip_forward"
}
