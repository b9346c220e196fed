#!/bin/bash
# The terminal interface shares the record of what was shown: messages a
# headless bob stored but never printed before a kill -9 count as unread
# when bob next starts in the terminal (they are in the history there),
# and a later headless start does not print them again.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_fix_addr alice
node_start alice
node_start bob
introduce alice bob
node_kill bob
: >"$T/bob.out"
node_start_piped bob
pad=$(printf '%0900d' 0)
seq 1 200 | sed "s|^|/msg $b_name m |; s|\$| $pad|" >&"$fd_alice"
wait_blocked bob
node_kill_piped bob
got=$(count bob "^msg $a_name m ")
node_kill alice # nothing more for bob
db=$(find "$T/bob" -name history.db | head -n 1)
stored=$(sqlite3 "$db" "SELECT count(*) FROM messages WHERE state = 2") ||
    fail "cannot read $db"
k=$((stored - got))
[ "$k" -gt 0 ] || fail "bob printed all $stored it stored before it died"

tmux_start ui 100 30 "cd $T && HOME=$T/bob TERM=screen LC_ALL=C.UTF-8 $P2PTUI; echo '[status' \$?']'"
wait_screen ui "$a_name +\\($k\\)│"
keys ui /quit Enter
wait_screen ui '^\[status 0\]'

: >"$T/bob.out"
node_start bob
node_cmd bob "/peers" # answered after what the first iteration printed
wait_for bob "^info $a_name "
[ "$(count bob '^msg ')" = 0 ] || fail "printed again after the terminal had them"
exit 0
