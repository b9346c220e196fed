#!/bin/bash
# A narrow terminal: at 40x8 the peer list shrinks to 12 columns and the
# conversation keeps the rest; messages wrap at spaces, a word is broken
# only when it is longer than a row (a word that does not fit after the
# time and name goes whole to the next row).
. "${top_srcdir:-.}/tests/e2e/lib.sh"
export LC_ALL=C.UTF-8

pinned_homes alice bob
node_start bob
cat >>"$T/alice/.p2ptui.conf" <<CONF
timestamp_format = "%H:%M";
peers = ( { name = "bobbybob"; key = "$(cat "$T/bob.fp")"; address = "$(node_addr bob)"; } );
CONF
tmux_start ui 40 8 "cd $T && HOME=$T/alice TERM=screen LC_ALL=C.UTF-8 $P2PTUI"
wait_for bob '^online alice '
keys ui M-1
wait_screen ui '^>1 \+ bobbyb│'
screen ui | head -n 5 | while IFS= read -r row; do
	[ "${row:11:1}" = "│" ] || fail "the peer list is not 12 columns: '$row'"
done || exit 1

# "14:24 <bobbybob> " takes more than half the pane: continuation rows
# start at the left edge, and a word too long for the rest of the first
# row but not for a whole row goes there whole.
node_cmd bob "/msg alice considerations notwithstanding, ok"
wait_screen ui '│notwithstanding, ok$'
wait_screen ui '│[0-9:]+ <bobbybob>$'
wait_screen ui '│considerations$'
node_cmd bob "/msg alice hello extraordinarily long words"
wait_screen ui '│[0-9:]+ <bobbybob> hello$'
wait_screen ui '│extraordinarily long words$'
keys ui C-c
wait_screen ui '^\[exit 0\]'

# peer_width below 12 is a valid setting: a wide terminal honours it.
echo 'peer_width = 10;' >>"$T/alice/.p2ptui.conf"
tmux_start ui2 100 24 "cd $T && HOME=$T/alice TERM=screen LC_ALL=C.UTF-8 $P2PTUI"
wait_screen ui2 '1 \+ bobb.?│'
screen ui2 | head -n 5 | while IFS= read -r row; do
	[ "${row:9:1}" = "│" ] || fail "peer_width 10 is not 10 columns: '$row'"
done || exit 1
keys ui2 C-c
wait_screen ui2 '^\[exit 0\]'
echo "tui_narrow: ok"
