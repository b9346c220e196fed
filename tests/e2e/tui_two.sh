#!/bin/bash
# Two terminal UIs meet and chat both ways: alice types /connect with
# bob's address, bob sees the contact request in his peer list and types
# /accept, then each message shows on the other screen, in the view of
# its sender, with the unread count until it is shown.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
export LC_ALL=C.UTF-8

for n in alice bob; do
	node_home $n >/dev/null
	echo 'timestamps = false;' >>"$T/$n/.p2ptui.conf"
	tmux_start $n 80 24 "cd $T && HOME=$T/$n TERM=screen $P2PTUI"
done
wait_screen bob 'Listening on 127\.0\.0\.1:[0-9]+\.'
addr=$(screen bob | sed -n 's/.*Listening on \(127\.0\.0\.1:[0-9]*\)\..*/\1/p' |
    head -n 1)
wait_screen alice 'Your key:'

keys alice -l "/connect $addr"
keys alice Enter
wait_screen bob '^ 1 \? [a-z2-7]{8} '
alice_name=$(screen bob | sed -n 's/^ 1 ? \([a-z2-7]\{8\}\) .*/\1/p')
keys bob -l "/accept $alice_name"
keys bob Enter
wait_screen bob "^ 1 \\+ $alice_name "
wait_screen alice '^ 1 \+ [a-z2-7]{8} '
bob_name=$(screen alice | sed -n 's/^ 1 + \([a-z2-7]\{8\}\) .*/\1/p')

keys alice M-1
wait_screen alice "^>1 \\+ $bob_name "
keys alice -l "hello bob, ça va? 😀"
keys alice Enter
wait_screen alice '│<alice> hello bob, ça va\? 😀$'
wait_screen bob "^ 1 \\+ $alice_name +\\(1\\)│"
keys bob M-1
wait_screen bob "│<$alice_name> hello bob, ça va\\? 😀\$"
keys bob -l "très bien, 谢谢"
keys bob Enter
wait_screen bob '│<bob> très bien, 谢谢$'
wait_screen alice "│<$bob_name> très bien, 谢谢\$"
# The title names the peer and the nick it gave itself.
wait_screen alice "│ $bob_name \\(calls itself \"bob\"\\) \\| online "

keys alice /quit Enter
wait_screen alice '^\[exit 0\]'
wait_screen bob "^>1 - $alice_name "
keys bob C-c
wait_screen bob '^\[exit 0\]'
echo "tui_two: ok"
