#!/bin/bash
# A burst of 10 005 messages for a peer not shown: typing stays
# responsive (the keys typed meanwhile appear at once), the unread count
# reaches 10005, the bell rings (bell = true), and the view then holds the
# newest 10 000 lines: its top is the sixth message.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
export LC_ALL=C.UTF-8
N=10005

pinned_homes alice bob
node_start bob
cat >>"$T/alice/.p2ptui.conf" <<CONF
timestamps = false;
bell = true;
peers = ( { name = "bob"; key = "$(cat "$T/bob.fp")"; address = "$(node_addr bob)"; } );
CONF
tmux_start ui 80 24 "cd $T && HOME=$T/alice TERM=screen $P2PTUI"
wait_for bob '^online alice '
wait_screen ui '^ 1 \+ bob '
# Another window in front, so that tmux flags a bell in this one.
tmux_cmd new-window -d -t ui
tmux_cmd select-window -t ui:1
[ "$(tmux_cmd display -p -t ui:0 '#{window_bell_flag}')" = 0 ] ||
    fail "a bell before any message"

seq 1 $N | sed 's|^|/msg alice burst |' >"$T/burst"
start=$(now_ms)
cat "$T/burst" >&"$fd_bob"
keys ui:0 -l "typed during the burst"
wait_screen ui:0 '^> typed during the burst$'
typed=$(($(now_ms) - start))
wait_screen ui:0 "^ 1 \\+ bob +\\($N\\)│"
all=$(($(now_ms) - start))
echo "tui_burst: keys shown after $typed ms, $N messages after $all ms"
[ "$(tmux_cmd display -p -t ui:0 '#{window_bell_flag}')" = 1 ] ||
    fail "no bell for a message to a peer not shown"

keys ui:0 M-1
wait_screen ui:0 "│<bob> burst $N\$"
keys ui:0 M-Home
wait_screen ui:0 '^>1 \+ bob +│<bob> burst 6$'
keys ui:0 Enter
wait_for bob '^msg alice typed during the burst$'
keys ui:0 C-c
wait_screen ui:0 '^\[exit 0\]'
echo "tui_burst: ok"
