#!/bin/bash
# Multi-line messages between two terminal UIs: Ctrl-J and Alt-Enter
# insert a newline (shown as a return arrow in the input line); a
# bracketed paste keeps its newlines, and one of more than 5 lines asks
# first ("Enter to send, Esc to edit"); the message arrives as one, its
# lines under each other, indented after the name, never as control
# characters. The sending part needs an engine that carries newlines in
# CHAT text (issue 11): until then the message is refused, kept in the
# input line, and the test skips.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
export LC_ALL=C.UTF-8

pinned_homes alice bob
node_fix_addr bob bob_addr
printf 'peers = ( { name = "bob"; key = "%s"; address = "%s"; } );\n' \
    "$(cat "$T/bob.fp")" "$bob_addr" >>"$T/alice/.p2ptui.conf"
for n in alice bob; do
	echo 'timestamps = false;' >>"$T/$n/.p2ptui.conf"
	tmux_start $n 80 24 "cd $T && HOME=$T/$n TERM=screen $P2PTUI"
done
wait_screen alice '^ 1 \+ bob '
wait_screen bob '^ 1 \+ alice '
keys alice M-1
keys bob M-1
wait_screen alice '^>1 \+ bob '

# Ctrl-J and Alt-Enter: new lines in the input line, not sent.
keys alice -l "first"
keys alice C-j
keys alice -l "second"
keys alice M-Enter
keys alice -l "third"
wait_screen alice '^> first↵second↵third$'

# A long paste asks; Escape goes back to editing, the text stays.
keys alice C-a C-k
wait_screen alice '^> ?$'
tmux_cmd set-buffer -b p "$(printf 'l1\nl2\nl3\nl4\nl5\nl6\nl7')"
tmux_cmd paste-buffer -p -b p -t alice
wait_screen alice '^> l1↵l2↵l3↵l4↵l5↵l6↵l7$'
wait_screen alice 'paste 7 lines\? Enter to send'
keys alice Escape
wait_screen_gone alice 'paste 7 lines'
wait_screen alice '^> l1↵l2↵l3↵l4↵l5↵l6↵l7$'
# A short one does not ask.
keys alice C-a C-k
tmux_cmd set-buffer -b q "$(printf 'one\ntwo')"
tmux_cmd paste-buffer -p -b q -t alice
wait_screen alice '^> one↵two$'
screen alice | grep -q 'lines?' && fail "a 2-line paste asked"

keys alice Enter
deadline=$(($(now_ms) + TIMEOUT * 1000))
while ! screen bob | grep -q '│<alice> one$'; do
	if screen alice | grep -q 'without control'; then
		wait_screen alice '^> one↵two$' # refused, kept to fix
		skip "the engine does not carry newlines in CHAT text yet"
	fi
	[ "$(now_ms)" -lt "$deadline" ] || fail "the message did not arrive"
	sleep 0.05
done
# One message, its second line indented under the text.
wait_screen bob '^ +│        two$'
wait_screen alice '│<alice> one$'
wait_screen alice '^ +│        two$'

# The long paste: Enter at the question sends it, all 7 lines.
tmux_cmd paste-buffer -p -b p -t alice
wait_screen alice 'paste 7 lines\?'
keys alice Enter
wait_screen bob '│<alice> l1$'
wait_screen bob '^ +│        l7$'
screen bob | grep -q '\^J\|\\n' && fail "control characters shown"

keys alice C-c
keys bob C-c
wait_screen alice '^\[exit 0\]'
wait_screen bob '^\[exit 0\]'
echo "tui_multiline: ok"
