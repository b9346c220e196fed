#!/bin/bash
# A room in the terminal: alice creates #tea with a password, bob (a
# headless stranger) joins it; the room is in alice's peer list with its
# members online, text typed in its view reaches bob, and bob's message
# shows there, with the title naming the room and its members.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
export LC_ALL=C.UTF-8

node_home alice >/dev/null
echo 'timestamps = false;' >>"$T/alice/.p2ptui.conf"
tmux_start alice 80 24 "cd $T && HOME=$T/alice TERM=screen $P2PTUI"
wait_screen alice 'Listening on 127\.0\.0\.1:[0-9]+\.'
addr=$(screen alice | sed -n 's/.*Listening on \(127\.0\.0\.1:[0-9]*\)\..*/\1/p' |
    head -n 1)

keys alice -l "/rooms"
keys alice Enter
wait_screen alice 'no rooms'
# The password shows as stars while typed, and stays out of the input
# history: Up brings back the line before.
keys alice -l "/room create tea s3cret"
wait_screen alice '^> /room create tea \*\*\*\*\*\* *$'
keys alice Enter
wait_screen alice '^ 1   #tea +1/1│'
keys alice Up
wait_screen alice '^> /rooms *$'
keys alice C-u

node_start bob
node_cmd bob "/join $addr tea s3cret"
wait_for bob '^joined #tea '
wait_screen alice '#tea +2/2│'
keys alice M-2
wait_screen alice '^>2   #tea +2/2│'
wait_screen alice '│ #tea \| 2 of 2 members online'
keys alice -l "hello room"
keys alice Enter
wait_for bob '^rmsg #tea alice hello room$'
node_cmd bob "/msg #tea hi alice"
wait_screen alice '│<bob> hi alice$'

keys alice /quit Enter
wait_screen alice '^\[exit 0\]'
echo "tui_room: ok"
