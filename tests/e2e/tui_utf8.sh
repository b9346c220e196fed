#!/bin/bash
# UTF-8 in the terminal UI: accented letters, CJK and emoji are shown and
# wrapped at their real width (two columns for CJK and emoji), the panes
# stay aligned, the input line edits and places the cursor by columns,
# scrolls sideways for long input, takes a bracketed paste with newlines
# without sending it, completes with Tab, and sends the text unchanged.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
export LC_ALL=C.UTF-8

# rep N STRING: STRING N times.
rep() {
	local i out=""
	for ((i = 0; i < $1; i++)); do out+=$2; done
	printf '%s' "$out"
}

pinned_homes alice bob
node_start bob
cat >>"$T/alice/.p2ptui.conf" <<CONF
timestamps = false;
peers = ( { name = "bob"; key = "$(cat "$T/bob.fp")"; address = "$(node_addr bob)"; } );
CONF
tmux_start ui 80 24 "cd $T && HOME=$T/alice TERM=screen LC_ALL=C.UTF-8 $P2PTUI"
wait_for bob '^online alice '
keys ui M-1
wait_screen ui '^>1 \+ bob '

# Accented letters, CJK and emoji on one line.
node_cmd bob "/msg alice café ñandú über 漢字テスト 😀 end"
wait_screen ui '│<bob> café ñandú über 漢字テスト 😀 end$'

# 28 wide characters after "<bob> " (6 columns) in a 60-column pane: 27
# fill the first row exactly, the last goes on the next, indented.
node_cmd bob "/msg alice $(rep 28 漢)"
wait_screen ui "│<bob> $(rep 27 漢)\$"
wait_screen ui "│      漢\$"
node_cmd bob "/msg alice x$(rep 30 😀)"
wait_screen ui "│<bob> x$(rep 26 😀)\$"
wait_screen ui "│      $(rep 4 😀)\$"
# Words are not split: "the" moves to the next row whole.
node_cmd bob "/msg alice $(rep 24 字) then the end"
wait_screen ui "│<bob> $(rep 24 字) then\$"
wait_screen ui "│      the end\$"

# Every row of the upper part has the separator in column 19.
screen ui | head -n 22 | while IFS= read -r row; do
	[ "${row:19:1}" = "│" ] || fail "misaligned row: '$row'"
done || exit 1

# The input line counts columns: 2 for the prompt, 2 per wide character.
keys ui -l "漢字é😀"
wait_screen ui '^> 漢字é😀$'
wait_cursor ui 9
keys ui Left Left
wait_cursor ui 6
keys ui BSpace
wait_screen ui '^> 漢é😀$'
wait_cursor ui 4
keys ui Enter
wait_for bob '^msg alice 漢é😀$'
wait_screen ui '│<alice> 漢é😀$'

# Long input scrolls sideways and is sent whole.
long=""
for i in $(seq 10 39); do long+="[$i]+-*/"; done # 240 characters
keys ui -l "$long"
wait_screen ui '^><.*\[39\]\+-\*/$'
x=$(tmux_cmd display -p -t ui '#{cursor_x}')
[ "$x" -gt 40 ] && [ "$x" -lt 80 ] || fail "cursor at $x after long input"
keys ui Home
wait_screen ui '^> \[10\]\+-\*/\[11\]'
wait_cursor ui 2
screen ui | tail -n 1 | grep -q '>$' || fail "no mark for text beyond the edge"
keys ui End
wait_screen ui '^><.*\[39\]\+-\*/$'
keys ui Enter
wait_for bob "^msg alice \\[10\\]\\+-\\*/\\[11\\].*\\[38\\]\\+-\\*/\\[39\\]\\+-\\*/\$"
[ "$(field bob '^msg alice \[10\]' 3)" = "$long" ] || fail "long line changed"

# Wide characters beyond the width: the cursor follows the last one.
keys ui -l "$(rep 50 漢)"
wait_screen ui '^><(漢)+$'
row=$(screen ui | tail -n 1)
row=${row#><}
wait_cursor ui $((2 + 2 * ${#row}))
keys ui C-a
wait_screen ui "^> $(rep 38 漢) ?>\$"
wait_cursor ui 2
keys ui C-k
wait_screen ui '^> ?$'

# A paste with newlines and tabs is not sent by itself; its newlines
# stay (one multi-line message, see tui_multiline.sh), tabs are spaces.
tmux_cmd set-buffer -b p "$(printf 'pasted\tone\npasted two')"
tmux_cmd paste-buffer -p -b p -t ui
wait_screen ui '^> pasted one↵pasted two$'
keys ui C-a C-k
wait_screen ui '^> ?$'
[ "$(count bob '^msg alice pasted')" = 0 ] || fail "the paste was sent"

# Tab completes commands and peer names.
keys ui -l "/ms"
keys ui Tab
wait_screen ui '^> /msg ?$'
keys ui -l "b"
keys ui Tab
wait_screen ui '^> /msg bob ?$'
keys ui -l "completed"
keys ui Enter
wait_for bob '^msg alice completed$'

keys ui C-c
wait_screen ui '^\[exit 0\]'
echo "tui_utf8: ok"
