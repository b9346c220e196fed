#!/bin/bash
# History in the terminal UI: after a restart the conversation is shown
# again, with our undelivered message marked pending until the peer is
# back; older lines are read from the store as the user scrolls back.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

pinned_homes alice bob
# Bob keeps his port across restarts.
node_fix_addr bob b_addr
node_start bob
cat >>"$T/alice/.p2ptui.conf" <<CONF
timestamps = false;
peers = ( { name = "bob"; key = "$(cat "$T/bob.fp")"; address = "$b_addr"; } );
CONF
start_ui() {
	tmux_start "$1" 80 24 "cd $T && HOME=$T/alice TERM=screen LC_ALL=C.UTF-8 $P2PTUI"
	wait_screen "$1" '^ 1 . bob '
}

# 500 lines from bob, then a short exchange.
start_ui ui
wait_for bob "^online alice "
seq 1 500 | sed 's|^|/msg alice line |' >&"$fd_bob"
node_cmd bob "/msg alice the last word"
keys ui M-1
wait_screen ui '<bob> the last word$'
keys ui -l "my reply"
keys ui Enter
wait_for bob '^msg alice my reply$'
keys ui C-c
wait_screen ui '^\[exit 0\]'

# Bob goes away; alice types a message that must wait for him.
node_kill bob
start_ui ui2
keys ui2 M-1
wait_screen ui2 '<bob> the last word$'
wait_screen ui2 '<alice> my reply$'
keys ui2 -l "while you were away"
keys ui2 Enter
wait_screen ui2 '<alice> while you were away$'
# Not delivered: drawn dim (SGR 2) until bob acknowledges it.
tmux_cmd capture-pane -e -p -t ui2 | grep -qE $'\e\\[([0-9]+;)*2m(\e\\[[0-9;]*m)*while you were away' ||
    fail "the undelivered line is not marked pending"

keys ui2 C-c
wait_screen ui2 '^\[exit 0\]'

# Restart once more: everything is there, and the queued line is
# delivered when bob comes back.
start_ui ui3
keys ui3 M-1
wait_screen ui3 '<alice> while you were away$'
node_start bob
wait_for bob '^msg alice while you were away$'
deadline=$(($(now_ms) + TIMEOUT * 1000))
while tmux_cmd capture-pane -e -p -t ui3 | grep -qE $'\e\\[([0-9]+;)*2m(\e\\[[0-9;]*m)*while you were away'; do
	[ "$(now_ms)" -lt "$deadline" ] || fail "the delivered line is still pending"
	sleep 0.05
done

# Scrolling back reads older lines from the store: the first of the
# 500 was not on screen at start, and Alt-Home reaches it.
screen ui3 | grep -q '<bob> line 1$' && fail "line 1 shown without scrolling"
keys ui3 M-Home
wait_screen ui3 '<bob> line 1$'
keys ui3 M-End
wait_screen ui3 '<alice> while you were away$'
keys ui3 C-c
wait_screen ui3 '^\[exit 0\]'
echo "tui_history: ok"
