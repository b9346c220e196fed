#!/bin/bash
# The terminal UI chats both ways with two pinned peers (headless nodes
# bob and carol): each message lands in the right view, a message for a
# view not shown raises its unread count, selecting the view clears it,
# and Ctrl-N, Ctrl-P, Alt-digit, Alt-A and Ctrl-X switch views.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

for n in alice bob carol; do
	node_home $n >/dev/null
	HOME="$T/$n" "$P2PTUI" --fingerprint >"$T/$n.fp" 2>/dev/null ||
	    fail "no fingerprint for $n"
done
for n in bob carol; do
	printf 'peers = ( { name = "alice"; key = "%s"; } );\n' \
	    "$(cat "$T/alice.fp")" >>"$T/$n/.p2ptui.conf"
	node_start $n
done
cat >>"$T/alice/.p2ptui.conf" <<CONF
timestamps = false;
peers = (
  { name = "bob"; key = "$(cat "$T/bob.fp")"; address = "$(node_addr bob)"; },
  { name = "carol"; key = "$(cat "$T/carol.fp")"; address = "$(node_addr carol)"; }
);
CONF
tmux_start ui 80 24 "cd $T && HOME=$T/alice TERM=screen LC_ALL=C.UTF-8 $P2PTUI"
wait_for bob "^online alice "
wait_for carol '^online alice '
wait_screen ui '^ 1 \+ bob '
wait_screen ui '^ 2 \+ carol '
wait_screen ui '^>0   \[system\]'

# A line that fails stays on the input line, to fix.
keys ui -l "no one to send to"
keys ui Enter
wait_screen ui '│!! no peer selected: use /msg PEER TEXT$'
wait_screen ui '^> no one to send to$'
keys ui C-u
wait_screen ui '^> ?$'

# A message for a peer not shown: its unread count.
node_cmd bob "/msg alice hello alice"
wait_screen ui '^ 1 \+ bob +\(1\)│'
wait_screen ui 'act 1 '
screen ui | grep -q 'hello alice' && fail "bob's message in the system view"

# Alt-1 shows bob's conversation and clears the count.
keys ui M-1
wait_screen ui '^>1 \+ bob +│<bob> hello alice$'
wait_screen_gone ui '\(1\)'
wait_screen ui '│ bob \| online \| key [a-z2-7]{8} \| 127\.0\.0\.1:[0-9]+'

# Typed lines go to the peer shown, and show as ours.
keys ui -l "hi bob, how are you?"
keys ui Enter
wait_for bob '^msg alice hi bob, how are you\?$'
wait_screen ui '│<alice> hi bob, how are you\?$'
node_cmd bob "/msg alice fine"
wait_screen ui '│<bob> fine$'
screen ui | grep -q '(1)' && fail "unread count for the view shown"

# A coin flip is a line of its own in the peer's view, not a message.
node_cmd bob "/flip alice"
wait_screen ui '│\*\* .*(heads|tails)'
screen ui | grep -q '<bob> .*flip' && fail "a flip shown as a message"

# Carol writes while bob is shown.
node_cmd carol "/msg alice from carol 1"
node_cmd carol "/msg alice from carol 2"
wait_screen ui '^ 2 \+ carol +\(2\)│'
screen ui | grep -q 'from carol' && fail "carol's message in bob's view"

# Ctrl-X: the next view with something unread.
keys ui C-x
wait_screen ui '^>2 \+ carol +│'
wait_screen ui '│<carol> from carol 1$'
wait_screen ui '│<carol> from carol 2$'
wait_screen_gone ui '\(2\)'
screen ui | grep -qE 'hello alice|hi bob' && fail "bob's lines in carol's view"

# Ctrl-P back to bob, Ctrl-N on to carol and round to the system view.
keys ui C-p
wait_screen ui '^>1 \+ bob +│<bob> hello alice$'
keys ui C-n
wait_screen ui '^>2 \+ carol '
keys ui C-n
wait_screen ui '^>0   \[system\]'
keys ui C-p
wait_screen ui '^>2 \+ carol '
keys ui M-0
wait_screen ui '^>0   \[system\]'

# Alt-A also jumps to unread messages, and says when there are none.
node_cmd bob "/msg alice again"
wait_screen ui '^ 1 \+ bob +\(1\)│'
keys ui M-a
wait_screen ui '^>1 \+ bob +│'
wait_screen ui '│<bob> again$'
keys ui M-a
wait_screen ui 'nothing unread'

# A lost peer is shown offline; the notice is in its view.
node_kill carol
wait_screen ui '^ 2 - carol '

# Sending to an offline peer is queued, not an error on screen.
keys ui M-2
wait_screen ui '^>2 - carol '
keys ui /quit Enter
wait_screen ui '^\[exit 0\]'
echo "tui_chat: ok"
