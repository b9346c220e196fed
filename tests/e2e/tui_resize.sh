#!/bin/bash
# Scrollback and resizing in the terminal UI: PgUp/PgDn, Alt-Home,
# Ctrl-End and the mouse wheel move through a conversation, the "more
# below" mark counts the lines under it, new lines do not move a view
# scrolled back, resizing (also through "too small") keeps the scroll
# position and the input, and a click in the peer list selects a view.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
export LC_ALL=C.UTF-8

pinned_homes alice bob
node_start bob
cat >>"$T/alice/.p2ptui.conf" <<CONF
timestamps = false;
mouse = true;
peers = ( { name = "bob"; key = "$(cat "$T/bob.fp")"; address = "$(node_addr bob)"; } );
CONF
tmux_start ui 80 24 "cd $T && HOME=$T/alice TERM=screen $P2PTUI"
wait_for bob '^online alice '
keys ui M-1
wait_screen ui '^>1 \+ bob '
for i in $(seq 1 100); do
	echo "/msg alice line $i"
done >"$T/lines"
node_cmd bob "$(cat "$T/lines")"
wait_screen ui '│<bob> line 100$'

# A page is the pane's height (21 rows) less one.
keys ui PPage
wait_screen ui '│<bob> line 80 +-- 20 more below --$'
keys ui PPage
wait_screen ui '│<bob> line 60 +-- 40 more below --$'
keys ui NPage
wait_screen ui '│<bob> line 80 +-- 20 more below --$'
# New lines do not move it, but count.
node_cmd bob "/msg alice line 101"
wait_screen ui '│<bob> line 80 +-- 21 more below --$'

# Resizing while typing and scrolled back keeps both.
keys ui -l "draft text"
wait_screen ui '^> draft text$'
tmux_cmd resize-window -t ui -x 60 -y 16
wait_screen ui '│<bob> line 80 +-- 21 more below --$'
wait_screen ui '^> draft text$'
[ "$(screen ui | wc -l)" = 16 ] || fail "not resized"
tmux_cmd resize-window -t ui -x 30 -y 6
wait_screen ui '^terminal too small$'
wait_screen ui '^30x6, need 40x8$'
keys ui -l " more"
tmux_cmd resize-window -t ui -x 100 -y 30
wait_screen ui '│<bob> line 80 +-- 21 more below --$'
wait_screen ui '^> draft text more$'
wait_cursor ui 17
screen ui | head -n 1 | grep -q '^ 0   \[system\] ' || fail "layout: $(screen ui)"

# The top, a page (26 rows at this size) down, then the bottom.
keys ui M-Home
wait_screen ui '^>1 \+ bob +│<bob> line 1$'
keys ui NPage
wait_screen ui '│<bob> line 53 +-- 48 more below --$'
keys ui C-End
wait_screen ui '│<bob> line 101$'
screen ui | grep -q 'more below' && fail "still marked after Ctrl-End"
keys ui C-Home
wait_screen ui '^>1 \+ bob +│<bob> line 1$'
# Taller at the top: the pane fills with the lines below, not blanks.
tmux_cmd resize-window -t ui -x 100 -y 40
wait_screen ui '│<bob> line 37 +-- 64 more below --$'
screen ui | sed -n 2p | grep -q '│<bob> line 1$' || fail "top lost: $(screen ui)"
tmux_cmd resize-window -t ui -x 100 -y 30
wait_screen ui '│<bob> line 37 +-- 64 more below --$'
# Sending jumps back to the bottom.
keys ui Enter
wait_for bob '^msg alice draft text more$'
wait_screen ui '│<alice> draft text more$'
screen ui | grep -q 'more below' && fail "still scrolled after sending"

# The mouse (X10 encoding, as TERM=screen says): the wheel scrolls three
# lines, a click in the peer list shows that view.
mouse() {
	keys ui -l "$(printf '\033[M%b%b%b' "\\$(printf %o $((32 + $1)))" \
	    "\\$(printf %o $((33 + $2)))" "\\$(printf %o $((33 + $3)))")"
}
mouse 64 50 10
wait_screen ui '│<bob> line 99 +-- 3 more below --$'
mouse 65 50 10
wait_screen ui '│<alice> draft text more$'
screen ui | grep -q 'more below' && fail "still scrolled after the wheel"
mouse 0 5 0
wait_screen ui '^>0   \[system\]'

keys ui C-c
wait_screen ui '^\[exit 0\]'
echo "tui_resize: ok"
