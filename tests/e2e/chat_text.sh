#!/bin/bash
# Chat text beyond one plain line. Headless input is unescaped as output
# is escaped, so a script sends a multi-line message with \n and gets it
# back the same; a backslash round-trips as \\. A message longer than
# max_message is sent as several, cut at spaces, or at a character
# boundary inside a long word. "/me waves" is an action, shown apart.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_home alice >/dev/null
echo 'max_message = 20;' >>"$T/alice/.p2ptui.conf"
node_start alice
node_start bob
introduce alice bob

# A tab is still not allowed: refused with a reason, nothing sent.
node_cmd bob '/msg '"$a_name"' first line\n\tsecond'
wait_for bob '^error a message must be UTF-8 without control characters other than newlines$'
# Multi-line, and escapes: what alice prints is what bob typed.
node_cmd bob '/msg '"$a_name"' two\nlines, back\\slash'
wait_for alice '^msg '"$b_name"' two\\nlines, back\\\\slash$'
node_cmd bob '/msg '"$a_name"' caf\xc3\xa9 \q'
wait_for alice "^msg $b_name café \\\\\\\\q$"
# A plain line is printed as it always was.
node_cmd bob "/msg $a_name plain é text"
wait_for alice "^msg $b_name plain é text$"

# Long: alice may send 20 bytes a message.
node_cmd alice "/msg $b_name the quick brown fox jumps over the lazy dog"
wait_for bob "^msg $a_name the quick brown fox$"
wait_for bob "^msg $a_name jumps over the lazy$"
wait_for bob "^msg $a_name dog$"
node_cmd alice "/msg $b_name ééééééééééééééééééééé!"
wait_for bob "^msg $a_name éééééééééé$"
wait_for bob "^msg $a_name éééééééééé$" 2
wait_for bob "^msg $a_name é!$"
[ "$(count alice '^sent ')" = 6 ] || fail "not six messages sent"
[ "$(count alice '^error')" = 0 ] || fail "a long message was refused"

# Actions: /me is for the selected peer; headless uses /msg PEER /me.
node_cmd alice "/me waves"
wait_for alice '^error no peer selected: use /msg PEER /me ACTION$'
node_cmd alice "/msg $b_name /me waves at everyone here"
wait_for bob "^action $a_name waves at$"
wait_for bob "^action $a_name everyone here$"
node_cmd alice "/msg $b_name /me   "
wait_for alice '^error nothing to send$'
node_cmd bob "/history $a_name 1"
wait_for bob 'here'
# A peer that does not announce line feeds (the text capability) gets
# spaces instead: its connection is not closed by them.
client_start fp bob "$top_builddir/tests/tools/filepeer" "$(node_addr bob)" recvchat
node_cmd bob '/msg '"$client_peer"' one\ntwo'
wait_for fp "^chat $(printf 'one two' | od -An -tx1 | tr -d ' \n')$"
client_done fp
wait_for bob "^delivered $client_peer "
exit 0
