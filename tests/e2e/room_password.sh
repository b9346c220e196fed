#!/bin/bash
# A password room: a stranger with the wrong password is told so and
# the fourth try within 10 minutes is refused (and alice is told); the
# right password admits, over a session that carries room traffic only
# (a chat on it closes it); after a kick the removed member's view stays
# stale, and the old password admits nobody, the new one does.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_start alice
node_start bob
node_start carol
addr=$(node_addr alice)
ID='[0-9a-f]{32}'

node_cmd alice "/room create pw s3cret"
wait_for alice "^joined #pw $ID\$"

for i in 1 2 3; do
	node_cmd bob "/join $addr pw guess$i"
	wait_for bob '^denied #pw wrong password$' $i
done
node_cmd bob "/join $addr pw s3cret"
wait_for bob '^denied #pw too many attempts$'
wait_for alice '^warn #pw: refused a join by .*: 3 failed attempts'
[ "$(count bob '^joined ')" = 0 ] || fail "bob joined after the limit"

node_cmd carol "/join $addr pw s3cret"
wait_for carol "^joined #pw $ID\$"
wait_for alice '^member #pw add carol$'
wait_for carol '^member #pw add carol$'
node_cmd alice "/msg #pw welcome"
wait_for carol '^rmsg #pw alice welcome$'
node_cmd carol "/msg #pw thanks"
wait_for alice '^rmsg #pw carol thanks$'

# carol dialled alice's address to join: alice is a member, not a
# contact, to her (and the other way round): no chat between them.
alice_at_carol=$(field carol '^online ' 2)
node_cmd carol "/msg $alice_at_carol not a contact"
wait_for carol '^error .* is a room member, not a contact$'
carol_at_alice=$(field alice '^online ' 2)
node_cmd alice "/msg $carol_at_alice not a contact"
wait_for alice '^error .* is a room member, not a contact$'

# The kick: a new key, a new password.
node_cmd alice "/room kick carol n3w"
wait_for alice '^member #pw remove carol$'
node_cmd alice "/msg #pw after the kick"
node_start dave
node_cmd dave "/join $addr pw s3cret"
wait_for dave '^denied #pw wrong password$'
node_cmd dave "/join $addr pw n3w"
wait_for dave "^joined #pw $ID\$"
wait_for dave '^rmsg #pw alice after the kick$'
wait_for dave '^rmsg #pw carol thanks$'
node_cmd alice "/msg #pw later"
wait_for dave '^rmsg #pw alice later$'
# carol never gets anything written after her removal.
node_cmd carol "/history #pw 100"
wait_for carol '^info #pw .* carol thanks$'
[ "$(count carol 'after the kick|later')" = 0 ] ||
    fail "the removed member got a later message"
exit 0
