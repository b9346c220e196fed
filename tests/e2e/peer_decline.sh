#!/bin/bash
# A declined contact request stays declined across restarts of both
# sides: the requester remembers it and does not dial again by itself,
# and the decliner remembers the key and declines it at once, without a
# new request, even when asked explicitly.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_fix_addr alice a_addr
node_start alice
node_start bob
ask alice bob
node_cmd alice "/decline $b_name"
wait_for bob "^warn $a_name declined the contact request$"
grep -q "^$(node_fp bob)$" "$T/alice/.local/share/p2ptui/declined" ||
    fail "alice did not remember the declined key"

for round in 1 2; do
	node_kill bob
	node_kill alice
	node_start alice
	node_start bob
	wait_for alice '^ready '
	# Not dialled at start: offline at once, and remembered why.
	node_cmd bob "/peers"
	wait_for bob "^info $a_name offline \(declined\) [a-z2-7]{55} $a_addr$"
	# Asked explicitly, alice declines at once, without a request.
	node_cmd bob "/connect $a_name"
	wait_for bob "^warn $a_name declined the contact request$"
	node_cmd alice "/peers"
	wait_for alice "^info no peers yet"
	[ "$(count alice '^request ')" = 0 ] || fail "round $round: a new request"
	[ "$(count bob '^(online|waiting) ')" = 0 ] || fail "round $round: bob got in"
done

# A damaged state file stops the start with its line, leaking nothing.
node_kill alice
node_kill bob
for f in "alice/.local/share/p2ptui/declined" "bob/.local/share/p2ptui/peers"; do
	n=${f%%/*}
	echo "notakey x 1 -" >>"$T/$f"
	HOME="$T/$n" "$P2PTUI" --headless </dev/null >/dev/null 2>"$T/$n.err2"
	st=$?
	grep -q "^p2ptui: $T/$f:[0-9]*: malformed line" "$T/$n.err2" &&
	    [ "$st" = 1 ] || fail "$f: status $st: $(cat "$T/$n.err2")"
done
echo "peer_decline: ok"
