#!/bin/bash
# Commands as a new user types them (issue 11): a bare /accept answers
# the only contact request; /search lists oldest first and says where it
# looked; /history and /forget word their replies; /help COMMAND explains.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_start alice
node_start bob
node_cmd bob "/connect $(node_addr alice)"
wait_for alice '^request '
b_name=$(field alice '^request ' 2)
# No peer named, none selected (headless): the one request waiting.
node_cmd alice "/accept"
wait_for bob '^online '
a_name=$(field bob '^online ' 2)
wait_for alice "^online $b_name "
node_cmd alice "/decline"
wait_for alice '^error no contact request is waiting'

node_cmd bob "/msg $a_name apple one"
node_cmd bob "/msg $a_name pear"
node_cmd bob "/msg $a_name apple two"
wait_for alice "^msg $b_name apple two$"

# Oldest first, as /history; then the count, in plain words.
node_cmd alice "/search -a apple"
wait_for alice '^info 2 lines found in all conversations$'
grep -E "^info $b_name in received [0-9T:-]+ apple " "$T/alice.out" |
    sed 's/.* //' | tr '\n' ' ' >"$T/order"
[ "$(cat "$T/order")" = "one two " ] || fail "/search order: $(cat "$T/order")"
node_cmd bob "/search -a pear"
wait_for bob '^info 1 line found in all conversations$'
node_cmd bob "/search $a_name pear"
node_cmd bob "/search -a nothing"
wait_for bob '^info 0 lines found in all conversations$'

# An unknown peer is named as such, not answered with the usage line.
node_cmd alice "/history carol"
wait_for alice "^error no peer 'carol'"
node_cmd alice "/history carol 5"
wait_for alice "^error no peer 'carol'" 2
echo notes >"$T/notes.txt"
node_cmd alice "/send carol $T/notes.txt"
wait_for alice "^error no peer 'carol'" 3
node_cmd alice "/history $b_name 0"
wait_for alice '^error usage: /history'

# /forget with nothing waiting: no stray count after the name.
node_cmd alice "/forget $b_name"
wait_for alice "^warn this deletes 3 messages with $b_name: repeat /forget $b_name within 30 seconds"
node_cmd alice "/forget $b_name"
wait_for alice "^info deleted 3 messages with $b_name$"
node_kill bob
node_cmd alice "/msg $b_name later"
wait_for alice "^sent $b_name "
node_cmd alice "/forget $b_name"
wait_for alice "^warn this deletes 1 message with $b_name, including 1 not yet delivered \(never sent\): repeat"

# /help COMMAND explains beyond the list line, for every command.
node_cmd alice "/help"
wait_for alice '^info /trust '
for c in $(sed -n 's|^info /\([a-z]*\) .*|\1|p' "$T/alice.out"); do
	n=$(count alice '^info ')
	node_cmd alice "/help $c"
	wait_for alice '^info ' $((n + 2))
	grep '^info ' "$T/alice.out" | tail -n 2 >"$T/help"
	grep -qE "^info /$c( [^ ].*)?: " "$T/help" || fail "/help $c: $(cat "$T/help")"
	grep -q '^info /' <(tail -n 1 "$T/help") &&
	    fail "/help $c only repeats the list line"
done
# A command without arguments has no space before the colon.
grep -q '^info /transfers: ' "$T/alice.out" ||
    fail "/help transfers: $(grep '^info /transfers' "$T/alice.out")"
echo "commands: ok"
