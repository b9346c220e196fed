#!/bin/bash
# The terminal UI shows a peer by its name and, where it fits, the nick
# it chose beside it: a contact request (short fingerprint), the same
# peer renamed with /rename, and again after it changes its nick; Tab
# completes the new name after /connect too.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_home alice >/dev/null
echo 'timestamps = false;' >>"$T/alice/.p2ptui.conf"
node_start bob
tmux_start ui 80 24 "cd $T && HOME=$T/alice TERM=screen LC_ALL=C.UTF-8 $P2PTUI"
wait_screen ui 'Listening on 127'
alice_addr=$(screen ui | sed -n 's/.*Listening on \(127\.0\.0\.1:[0-9]*\)\..*/\1/p' | head -n 1)
[ -n "$alice_addr" ] || fail "no address on screen"

node_cmd bob "/connect $alice_addr"
wait_screen ui '^ 1 \? [a-z2-7]{8} \(bob\) *│'
b_name=$(screen ui | sed -n 's/^ 1 ? \([a-z2-7]\{8\}\) .*/\1/p')
keys ui -l "/accept $b_name"
keys ui Enter
wait_for bob '^online '
wait_screen ui '^ 1 \+ [a-z2-7]{8} \(bob\) *│'
keys ui -l "/rename $b_name bobby"
keys ui Enter
wait_screen ui '^ 1 \+ bobby \(bob\) *│'
node_cmd bob "/nick Bobo"
wait_screen ui '^ 1 \+ bobby \(Bobo\) *│'
# Selected: the title says the same.
keys ui M-1
wait_screen ui '│ bobby \(calls itself "Bobo"\) \| online \|'
# A nick too long for the column is left out, not cut.
node_cmd bob "/nick Robert Smith the Third"
wait_screen ui '^>1 \+ bobby +│'
# A nick with a bidirectional control is measured escaped, as it is
# drawn: too long then, it is left out rather than cut mid-escape.
node_cmd bob "/nick $(printf '\u202eab')"
wait_screen ui '│ bobby \(calls itself "<U\+202E>ab"\) \| online \|'
wait_screen ui '^>1 \+ bobby +│'
# Tab completes the new name, also after /connect.
keys ui -l "/connect bo"
keys ui Tab
wait_screen ui '^> /connect bobby ?$'
keys ui C-u
keys ui C-c
wait_screen ui '^\[exit 0\]'
echo "tui_names: ok"
