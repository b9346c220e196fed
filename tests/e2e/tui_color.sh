#!/bin/bash
# Colours: nicknames in the configured colours on a colour terminal, and
# none at all (but bold nicknames) with NO_COLOR, with colors = false, or
# on a monochrome terminal (TERM=vt220).
. "${top_srcdir:-.}/tests/e2e/lib.sh"
export LC_ALL=C.UTF-8

pinned_homes alice bob
node_start bob
base=$(cat "$T/alice/.p2ptui.conf"; cat <<CONF
timestamps = false;
color_peer = "magenta";
peers = ( { name = "bob"; key = "$(cat "$T/bob.fp")"; address = "$(node_addr bob)"; } );
CONF
)
# A foreground colour (30-37) in the SGR sequences of the screen.
fg='(\[|;)3[0-7](;|m)'

# run NAME ENV [CONFIG-LINE]: a UI with bob's message shown; the screen,
# attributes included, in $T/NAME.
run() {
	printf '%s\n%s\n' "$base" "${3:-}" >"$T/alice/.p2ptui.conf"
	tmux_start "$1" 80 24 "cd $T && HOME=$T/alice $2 $P2PTUI"
	wait_screen "$1" '^ 1 \+ bob '
	keys "$1" M-1
	node_cmd bob "/msg alice in $1"
	# (On vt220, tmux captures line drawing as the letters it stands for.)
	wait_screen "$1" "(│|x)<bob> in $1\$"
	tmux_cmd capture-pane -e -p -t "$1" >"$T/$1"
	keys "$1" C-c
	wait_screen "$1" '^\[exit 0\]'
}

run color "TERM=screen-256color"
grep -qE '(\[|;)35(;|m)<bob>' "$T/color" || fail "bob not in magenta: $(cat -v "$T/color" | grep 'in color')"
grep -qE '(\[|;)1(;|m).*<bob>' "$T/color" || fail "bob not bold"

run nocolor "TERM=screen-256color NO_COLOR=1"
grep -qE "$fg" "$T/nocolor" && fail "colours with NO_COLOR: $(grep -E "$fg" "$T/nocolor" | cat -v)"
grep -qE '(\[|;)1(;|m)<bob>' "$T/nocolor" || fail "bob not bold without colours"

run off "TERM=screen-256color" "colors = false;"
grep -qE "$fg" "$T/off" && fail "colours with colors = false"

run mono "TERM=vt220"
grep -qE "$fg" "$T/mono" && fail "colours on a monochrome terminal"
grep -q 'in mono$' "$T/mono" || fail "nothing shown on vt220"
echo "tui_color: ok"
