#!/bin/bash
# What the terminal UI tells at once: configuration warnings in the
# system view while it runs (not only after it quits); a status bar that
# does not go stale ("bob quit" goes when bob is back, a
# completion listing at the next key, a long notice ends with an
# ellipsis); /msg typed in another view echoed there; a Tab in a paste
# without brackets is text.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
export LC_ALL=C.UTF-8

pinned_homes alice bob
node_fix_addr bob bob_addr
node_start bob
cat >>"$T/alice/.p2ptui.conf" <<CONF
timestamps = false;
nik = "typo";
peers = ( { name = "bob"; key = "$(cat "$T/bob.fp")"; address = "$bob_addr"; } );
CONF
tmux_start ui 80 24 "cd $T && HOME=$T/alice TERM=screen LC_ALL=C.UTF-8 $P2PTUI"
wait_screen ui '│!! .*\.p2ptui\.conf:[0-9]+: warning:'
wait_screen ui "unknown setting 'nik' \\(did you mean 'nick'\\?\\)\$"
wait_for bob '^online alice '

# /msg from the system view: sent, and echoed where it was typed.
keys ui -l "/msg bob hello from afar"
keys ui Enter
wait_for bob '^msg alice hello from afar$'
wait_screen ui '│-> bob: hello from afar$'
keys ui M-1
wait_screen ui '│<alice> hello from afar$'
[ "$(screen ui | grep -c 'hello from afar')" = 1 ] || fail "echoed in bob's view"
keys ui M-0

# "bob quit" stays only while it is true.
node_kill bob
wait_screen ui '\| bob quit'
node_start bob
wait_for bob '^online alice '
wait_screen ui '^>0   \[system\].*'
wait_screen_gone ui '\| bob quit'

# A completion listing: cut with an ellipsis, gone at the next key.
keys ui -l "/"
keys ui Tab
wait_screen ui '^ .*[0-9]+ matches: /accept .*…$'
keys ui -l "h"
wait_screen_gone ui 'matches:'
wait_screen ui '^> /accepth$'
keys ui C-e C-u
wait_screen ui '^> ?$'

# A paste without brackets: its tabs are text, never a completion.
tmux_cmd set-buffer -b q "$(printf 'say\tbo\tthere')"
tmux_cmd paste-buffer -b q -t ui
wait_screen ui '^> say bo there$'

keys ui C-c
wait_screen ui '^\[exit 0\]'
echo "tui_status: ok"
