#!/bin/bash
# Day lines and request news in the terminal UI: a conversation shows
# "--- Friday 4 December 2026 ---" (English, whatever the locale) over
# the first line of each day, also in history read from the store; a
# contact request marks the system view unread while another is shown.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
export LC_ALL=C.UTF-8

pinned_homes alice bob
node_fix_addr alice a_addr
node_start bob
cat >>"$T/alice/.p2ptui.conf" <<CONF
timestamps = false;
peers = ( { name = "bob"; key = "$(cat "$T/bob.fp")"; address = "$(node_addr bob)"; } );
CONF
node_start alice
wait_for alice '^online bob '
node_cmd bob "/msg alice old one"
wait_for alice '^msg bob old one$'
node_cmd bob "/msg alice new one"
wait_for alice '^msg bob new one$'
node_kill alice
# The first message was three days ago.
sqlite3 "$T/alice/.local/share/p2ptui/history.db" \
    "UPDATE messages SET sent_ms = sent_ms - 259200000,
     recv_ms = recv_ms - 259200000 WHERE text = 'old one';" ||
    fail "cannot age the message"
then=$(LC_ALL=C date -d '3 days ago' '+%A %-d %B %Y')
today=$(LC_ALL=C date '+%A %-d %B %Y')

tmux_start ui 80 24 "cd $T && HOME=$T/alice TERM=screen LC_ALL=C.UTF-8 $P2PTUI"
wait_for bob '^online alice '
keys ui M-1
wait_screen ui '│<bob> new one$'
screen ui | sed -n '2,$s/^[^│]*│//p' | grep -v '^ *$' | head -n 4 >"$T/rows"
printf '%s\n' "--- $then ---" "<bob> old one" "--- $today ---" \
    "<bob> new one" | diff - "$T/rows" || fail "day lines wrong"

# A contact request while bob's view is shown: the system view is unread.
node_start carol
node_cmd carol "/connect $a_addr"
wait_screen ui '^ 0   \[system\] +\(1\)│'

keys ui C-c
wait_screen ui '^\[exit 0\]'
echo "tui_days: ok"
