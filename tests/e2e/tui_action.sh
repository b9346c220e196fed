#!/bin/bash
# In the terminal: /me and a received action show as "* name action";
# a file offered to a peer that is offline says it will be offered when
# the peer is online, and says "offered" once it is.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_fix_addr bob baddr
for n in alice bob; do
	[ -d "$T/$n" ] || node_home $n >/dev/null
	HOME="$T/$n" "$P2PTUI" --fingerprint >"$T/$n.fp" 2>/dev/null ||
	    fail "no fingerprint for $n"
done
printf 'peers = ( { name = "alice"; key = "%s"; } );\n' \
    "$(cat "$T/alice.fp")" >>"$T/bob/.p2ptui.conf"
cat >>"$T/alice/.p2ptui.conf" <<CONF
timestamps = false;
peers = ( { name = "bob"; key = "$(cat "$T/bob.fp")"; address = "$baddr"; } );
CONF
node_start bob
tmux_start ui 80 24 "cd $T && HOME=$T/alice TERM=screen LC_ALL=C.UTF-8 $P2PTUI"
wait_for bob "^online alice "
keys ui M-1
wait_screen ui '^>1 \+ bob '

node_cmd bob "/msg alice /me waves"
wait_screen ui '│\* bob waves$'
keys ui -l "/me nods"
keys ui Enter
wait_for bob '^action alice nods$'
wait_screen ui '│\* alice nods$'
screen ui | grep -q '/me' && fail "an action shown with its /me"

node_kill bob
wait_screen ui '^>1 - bob '
printf hello >"$T/five.txt"
keys ui -l "/send $T/five.txt"
keys ui Enter
wait_screen ui 'will offer five\.txt \(5 B\) when bob is online \(#1\)'
screen ui | grep -q 'offered five' && fail "offered before bob was online"
node_start bob
wait_for bob '^file alice [0-9]+ in offered 0 5 five\.txt$'
wait_screen ui 'offered five\.txt \(5 B\) to bob \(#1\)'
keys ui /quit Enter
