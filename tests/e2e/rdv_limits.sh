#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# p2ptui-rendezvous keeps its limits across reconnects (PROTOCOL.md
# 16.5): a client that used up REGISTER is still refused when it comes
# back with the same key (from the same address or another), and a new
# key from the same address is refused too; a new key from another
# address is not. Before, a key's buckets lived in its session and an
# address's only while it had connections, so reconnecting filled them.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/lib_rdv.sh"

ip -4 addr show lo 2>/dev/null | grep -q '127.0.0.1/8' ||
    skip "loopback is not 127.0.0.1/8: no second source address"
rdv_start 'register_rate = 3;' 'accept_rate = 100;'
KEY_D=$(printf 'd4%.0s' $(seq 32))

# wait_err NAME COUNT: the server has logged COUNT session ends.
wait_err() {
	local deadline=$(($(now_ms) + TIMEOUT * 1000))
	while [ "$(grep -c 'rdv: 127\.0\.0\.[0-9]*:[0-9]*: ' "$T/rdvdata/debug.log")" -lt "$2" ]; do
		[ "$(now_ms)" -lt "$deadline" ] || fail "the server did not log it"
		sleep 0.05
	done
}

rc_start dave -k "$KEY_D"
node_cmd dave "register dave1"
wait_for dave '^name dave1$'
node_cmd dave "rename dave2"
wait_for dave '^name dave2$'
node_cmd dave "rename dave3"
wait_for dave '^name dave3$'
node_cmd dave "rename dave4"
wait_for dave '^refused 0x60 4$'

# Back with the same key, from the same address: still refused.
ends=$(grep -c 'rdv: 127\.0\.0\.[0-9]*:[0-9]*: ' "$T/rdvdata/debug.log")
node_kill dave
wait_err rdv $((ends + 1))
rc_start dave2 -k "$KEY_D"
node_cmd dave2 "rename dave5"
wait_for dave2 '^refused 0x60 4$'
# A new key from the same address: the address's limit.
rc_start eve
node_cmd eve "register eve1"
wait_for eve '^refused 0x60 4$'
# The same key from another address: the key's limit.
ends=$(grep -c 'rdv: 127\.0\.0\.[0-9]*:[0-9]*: ' "$T/rdvdata/debug.log")
node_kill dave2
wait_err rdv $((ends + 1))
rc_start dave3 -b 127.0.0.3 -k "$KEY_D"
node_cmd dave3 "rename dave6"
wait_for dave3 '^refused 0x60 4$'
# A new key from another address: nothing used up.
rc_start frank -b 127.0.0.2
node_cmd frank "register frank1"
wait_for frank '^name frank1$'
grep -q '^name dave[456]$' "$T"/dave*.out && fail "a refused name was given"
echo "rdv_limits: ok"
