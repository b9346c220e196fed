#!/bin/bash
# Rooms between real nodes: alice creates #tea and invites her contacts
# bob and carol (who are not each other's contacts); a message from each
# reaches the other two exactly once, bob and carol meet over a
# room-only session, which carries no chat: a CHAT on it closes it.
# Any member sets the topic.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_start alice
node_start bob
node_start carol
introduce alice bob
bob_at_alice=$b_name
introduce alice carol
carol_at_alice=$b_name

ID='[0-9a-f]{32}'
node_cmd alice "/room create tea"
wait_for alice "^joined #tea $ID\$"
room=$(field alice '^joined #tea ' 3)
node_cmd alice "/room invite $bob_at_alice"
wait_for bob "^joined #tea $room\$"
node_cmd alice "/room invite $carol_at_alice"
wait_for carol "^joined #tea $room\$"
wait_for alice '^member #tea add bob$'
wait_for alice '^member #tea add carol$'
# bob hears of carol through the log, and they meet directly.
wait_for bob '^member #tea add carol$'
wait_for carol '^member #tea add bob$'
wait_for bob '^online [^ ]+ [^ ]+ 127\.0\.0\.1:' 2

node_cmd alice "/msg #tea hello from alice"
node_cmd bob "/msg #tea hello from bob"
node_cmd carol "/msg #tea hello from carol"
for n in alice bob carol; do
	for w in alice bob carol; do
		wait_for $n "^rmsg #tea $w hello from $w\$"
	done
done
node_cmd bob "/rooms"
wait_for bob '^info #tea [0-9a-f]{32} 3/3 online'
node_cmd bob "/room members"
wait_for bob '^info alice .* online creator$'

# Any member sets the topic: everyone is told, and /rooms shows it.
node_cmd carol "/room topic #tea green, not black"
for n in alice bob carol; do
	wait_for $n '^info #tea: carol set the topic: green, not black$'
done
node_cmd alice "/rooms"
wait_for alice '^info #tea .*green, not black'

# A second, unknown room name: refused.
node_cmd bob "/join $(node_addr alice) nosuch secret"
wait_for bob '^denied #nosuch no such room'
# An invite-only room refuses a stranger who asks.
node_start dave
node_cmd dave "/join $(node_addr alice) tea"
wait_for dave '^denied #tea not invited'

# bob and carol are members, not contacts: chat between them is refused.
carol_at_bob=$(grep -E '^online ' "$T/bob.out" | grep -v " $(node_fp alice) " |
    tail -n 1 | cut -d' ' -f2)
node_cmd bob "/msg $carol_at_bob psst"
wait_for bob '^error .* is a room member, not a contact$'

for n in alice bob carol; do
	for w in alice bob carol; do
		[ "$(count $n "^rmsg #tea $w ")" = 1 ] ||
		    fail "$n got $w's message $(count $n "^rmsg #tea $w ") times"
	done
done
exit 0
