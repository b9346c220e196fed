#!/bin/bash
# /help in the terminal UI lists every command of the table (as the
# headless /help does) and then the keys; every key it lists is in
# p2ptui(1). "/help msg" describes one command only.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
export LC_ALL=C.UTF-8

node_home alice >/dev/null
echo 'timestamps = false;' >>"$T/alice/.p2ptui.conf"
cmds=$(echo /help | HOME="$T/alice" "$P2PTUI" --headless 2>/dev/null |
    sed -n 's|^info /\([a-z]*\) .*|\1|p')
[ -n "$cmds" ] || fail "the headless /help listed no commands"
# The help texts line up: each starts after the last run of two spaces,
# in the same column, also after long arguments.
cols=$(echo /help | HOME="$T/alice" "$P2PTUI" --headless 2>/dev/null |
    grep '^info  *[^ ]' | sed 's/ *$//' |
    awk '{ n = 0; s = $0; while (match(s, /  +[^ ]/)) {
	n += RSTART + RLENGTH - 1; s = substr(s, RSTART + RLENGTH) }
	if (n > 0) print n }' | sort -u)
[ "$(echo "$cols" | wc -l)" = 1 ] && [ "$cols" -gt 10 ] ||
    fail "/help columns do not line up: $cols"

tmux_start ui 120 110 "cd $T && HOME=$T/alice TERM=screen $P2PTUI"
wait_screen ui 'Your key:'
keys ui -l "/help"
keys ui Enter
wait_screen ui '│-- keys:$'
wait_screen ui '│-- Ctrl-L +redraw the screen$'
for c in $cmds; do
	screen ui | grep -qE "│-- /$c " || fail "/help in the UI lacks /$c"
done
# The keys, each documented in the man page.
screen ui | sed -n '/│-- keys:$/,$s/.*│-- \(.\{19\}\) .*/\1/p' |
    sed 's/ *$//' >"$T/keys"
[ "$(wc -l <"$T/keys")" -ge 20 ] || fail "too few keys: $(cat "$T/keys")"
sed -n '/^\.Sh KEYS/,/^\.Sh /p' "$top_srcdir/man/p2ptui.1" >"$T/man"
while IFS= read -r label; do
	[ -n "$label" ] || continue
	for k in $(echo "$label" | tr ',' ' '); do
		case $k in ..) continue ;; esac
		grep -qF -- "$k" "$T/man" ||
		    fail "key '$k' (/help: '$label') not in p2ptui(1) KEYS"
	done
done <"$T/keys"

# With an argument, only that command.
keys ui C-l
keys ui -l "/help msg"
keys ui Enter
wait_screen ui '│-- /msg PEER TEXT: '
[ "$(screen ui | grep -c '│-- keys:$')" = 1 ] || fail "keys listed twice"

keys ui C-c
wait_screen ui '^\[exit 0\]'
echo "tui_help: ok"
