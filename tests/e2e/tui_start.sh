#!/bin/bash
# The curses UI starts, shows its frame and the first-run guidance, quits
# on /quit and on SIGTERM, and leaves the terminal sane.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

home="$T/home"
mkdir -p "$home"
# First run with the default configuration, but not on port 7070: the
# machine may be running a real p2ptui.
mkdir -p "$home"
printf 'listen = "127.0.0.1:0";\ntimestamps = false;\n' >"$home/.p2ptui.conf"
tmux_start ui 120 24 "cd $T && HOME=$home TERM=screen $P2PTUI; stty -a | grep -o -- '-\?icanon' "
wait_screen ui 'Your key: [a-z2-7]{55}'
wait_screen ui '\[system\]'
wait_screen ui 'Listening on 127\.0\.0\.1:[0-9]+'
wait_screen ui '/connect HOST:PORT'
keys ui '/quit' Enter
wait_screen ui '^\[exit 0\]'
screen ui | grep -qx 'icanon' || fail "terminal not restored: $(screen ui)"

# SIGTERM also restores the terminal.
# (Signalled by its pid: other tests run p2ptui at the same time.)
tmux_start ui2 80 24 "cd $T && HOME=$home TERM=screen sh -c 'echo \$\$ >$T/pid; exec $P2PTUI'; stty -a | grep -o -- '-\?icanon'"
wait_screen ui2 'Your key:'
kill -TERM "$(cat "$T/pid")" || fail "no p2ptui to signal"
wait_screen ui2 '^\[exit 0\]'
screen ui2 | grep -qx 'icanon' || fail "terminal not restored after SIGTERM"

# Too small a terminal gets a message, not garbage.
tmux_start small 30 6 "cd $T && HOME=$home TERM=screen $P2PTUI"
wait_screen small 'terminal too small'
keys small C-c
wait_screen small '^\[exit 0\]'
echo "tui_start: ok"
