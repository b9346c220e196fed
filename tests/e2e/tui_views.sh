#!/bin/bash
# Commands on views and identity in the terminal UI: /myid shows the key,
# the address and a QR code of the key in half blocks (ASCII outside
# UTF-8); /clear empties the view shown but not the history; /close
# hides a conversation from the list until its next message, and the
# system view cannot be closed. Headless /myid gives the key and address.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
export LC_ALL=C.UTF-8

tui_with_bob 80 40
fp=$(cat "$T/alice.fp")

keys ui -l "/myid"
keys ui Enter
wait_screen ui "│-- your key:\$"
wait_screen ui "│   $fp\$"
wait_screen ui '│-- listening on 127\.0\.0\.1:[0-9]+$'
# A version 3 code (29 modules) with a border of 2: 33 columns, 17 rows,
# each row starting with the light border (full blocks).
wait_screen ui '│█{33}$'
rows=$(screen ui | grep -cE '│[█▀▄ ]{33}$')
[ "$rows" = 17 ] || fail "QR code of $rows rows, not 17"

# /clear: the system view is empty on screen.
keys ui -l "/clear"
keys ui Enter
wait_screen_gone ui 'your key'

# bob's view: a message, cleared, still in the history.
node_cmd bob "/msg alice kept in the history"
keys ui M-1
wait_screen ui '│<bob> kept in the history$'
keys ui -l "/clear"
keys ui Enter
wait_screen_gone ui '<bob> kept'
keys ui -l "/history"
keys ui Enter
wait_screen ui 'kept in the history$'

# /close: bob leaves the list (the system view is shown), comes back
# with his next message.
keys ui -l "/close"
keys ui Enter
wait_screen ui '^>0   \[system\]'
wait_screen_gone ui '^ 1 \+ bob'
keys ui -l "/close"
keys ui Enter
wait_screen ui '│!! the system view cannot be closed$'
node_cmd bob "/msg alice back again"
wait_screen ui '^ 1 \+ bob +\(1\)│'

keys ui C-c
wait_screen ui '^\[exit 0\]'

# Headless: the key and the address, no QR code.
node_cmd bob "/myid"
wait_for bob "^info your key: $(cat "$T/bob.fp")\$"
wait_for bob '^info listening on 127\.0\.0\.1:[0-9]+$'
! grep -q '▀' "$T/bob.out" || fail "a QR code in headless output"

# ASCII outside UTF-8: two columns a module.
tmux_start ui2 100 50 "cd $T && HOME=$T/alice TERM=screen LC_ALL=C $P2PTUI"
wait_screen ui2 'Your key:'
keys ui2 -l "/myid"
keys ui2 Enter
wait_screen ui2 '[|x]#{66}$'
rows=$(screen ui2 | grep -cE '[|x][# ]{66}$')
[ "$rows" = 33 ] || fail "ASCII QR code of $rows rows, not 33"
keys ui2 C-c
wait_screen ui2 '^\[exit 0\]'
echo "tui_views: ok"
