#!/bin/bash
# Grapheme clusters and bidirectional controls on screen: a family emoji
# joined with U+200D, a letter with combining marks and a variation
# selector are drawn whole, at the width tmux gives them, in the
# conversation and in the input line (where Left and Backspace take a
# whole cluster); U+202E and its friends are shown escaped, in the TUI
# and in headless events, so they cannot reorder what is shown.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
export LC_ALL=C.UTF-8

fam=$(printf '\U0001F469\u200d\U0001F469\u200d\U0001F467')
heart=$(printf '\u2764\ufe0f')
accent=$(printf 'e\u0301\u0303')
rlo=$(printf '\u202e')
tui_with_bob 80 24
keys ui M-1
wait_screen ui '^>1 \+ bob '

node_cmd bob "/msg alice fam $fam $accent $heart end"
wait_screen ui "│<bob> fam $fam $accent $heart end\$"
# The screen's cells: "end" starts where tmux put it (the family is one
# 2-column cell), so the pane's right edge is still aligned.
screen ui | head -n 22 | while IFS= read -r row; do
	[ "${row:19:1}" = "│" ] || fail "misaligned row: '$row'"
done || exit 1

# A cluster is never split by wrapping: 27 columns of x, then two
# families; the second goes to the next row whole.
node_cmd bob "/msg alice $(printf 'x%.0s' $(seq 1 52))$fam$fam"
wait_screen ui "^ +│      $fam\$"

# The input line: the cursor moves over clusters as the terminal shows
# them (2 + 1 + 2 + 1 + 1 columns), Left and Backspace take one whole.
keys ui -l "a${fam}b$accent"
wait_screen ui "^> a${fam}b$accent\$"
wait_cursor ui 7
keys ui Left Left
wait_cursor ui 5
keys ui BSpace
wait_screen ui "^> ab$accent\$"
wait_cursor ui 3
keys ui C-e C-u

# Bidirectional controls: escaped in the TUI and in headless events.
node_cmd bob "/msg alice left ${rlo}txt.exe"
wait_screen ui '│<bob> left <U\+202E>txt\.exe$'
keys ui -l "back $(printf '\u2066')x"
keys ui Enter
wait_for bob '^msg alice back <U\+2066>x$'
[ "$(grep -c "$(printf '\u2066')" "$T/bob.out")" = 0 ] ||
    fail "a bidi control reached headless output"

keys ui C-c
wait_screen ui '^\[exit 0\]'
echo "tui_clusters: ok"
