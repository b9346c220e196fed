#!/bin/bash
# A room file downloading in the terminal: the strip under a room's view
# shows the download with its bar, the number of sources, the rate and
# the time left; when the only holder goes, the row says what it waits
# for.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
export LC_ALL=C.UTF-8

head -c $((4 * 1024 * 1024)) /dev/urandom >"$T/disk.img"
node_home bob >/dev/null
echo "upload_rate = 262144;" >>"$T/bob/.p2ptui.conf" # 16 s for the file
node_start bob
addr=$(node_addr bob)
node_cmd bob "/room create sw pw"
wait_for bob '^joined #sw '
node_cmd bob "/share #sw $T/disk.img"
wait_for bob '^info shared disk.img in #sw$'

node_home alice >/dev/null
echo 'timestamps = false;' >>"$T/alice/.p2ptui.conf"
tmux_start alice 100 24 "cd $T && HOME=$T/alice TERM=screen $P2PTUI"
wait_screen alice 'Listening on 127\.0\.0\.1:[0-9]+\.'
keys alice -l "/join $addr sw pw"
keys alice Enter
wait_screen alice '#sw +2/2│'
keys alice M-2
wait_screen alice '│ #sw \| 2 of 2 members online'
keys alice -l "/download disk.img"
keys alice Enter
wait_screen alice '^#1 ↓ disk\.img +\[[#·]+\] +[0-9]+%  1 source  [0-9.]+ [KM]iB/s  [0-9:]+ left *$'
# The peer's view has no such row: the strip is the room's.
keys alice M-1
wait_screen_gone alice '^#1 ↓ disk\.img'
keys alice M-2
wait_screen alice '^#1 ↓ disk\.img '
node_kill bob
wait_screen alice '^#1 ↓ disk\.img +\[[#·]+\] +[0-9]+%  waiting for a member that has it *$'
keys alice /quit Enter
wait_screen alice '^\[exit 0\]'
echo "tui_swarm: ok"
