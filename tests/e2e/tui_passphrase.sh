#!/bin/bash
# With a passphrase on the key, the terminal interface asks for it
# before it starts, without echo: a wrong try then the right one starts
# it; three wrong ones end it with status 1, the data directory as it
# was; Ctrl-C at the prompt ends it with 130; Ctrl-Z stops it with echo
# on. Each time the terminal echoes again afterwards. --passphrase on the terminal asks for the
# current passphrase and the new one twice.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
export LC_ALL=C.UTF-8

node_home alice >/dev/null
echo 'timestamps = false;' >>"$T/alice/.p2ptui.conf"
dir="$T/alice/.local/share/p2ptui"
printf 'Open Sesame\n' | HOME="$T/alice" "$P2PTUI" --passphrase --passphrase-fd 0 \
    --passphrase-cost interactive 2>"$T/set.err" || fail "--passphrase: $(cat "$T/set.err")"
fp=$(HOME="$T/alice" "$P2PTUI" --fingerprint 2>/dev/null)
# A first unlocked run, so the data directory has its usual files.
echo /quit | HOME="$T/alice" "$P2PTUI" --headless --passphrase-fd 3 3<<<"Open Sesame" \
    >"$T/first.out" 2>&1 || fail "first run: $(cat "$T/first.out")"

# The pane runs p2ptui, then shows its status and whether the terminal
# echoes. (A Ctrl-C interrupts the script too: it goes on, as a shell
# prompt would.)
cat >"$T/run.sh" <<RUN
cd "$T"
trap : INT
HOME="$T/alice" TERM=screen "$P2PTUI"
echo "[status \$?]"
stty -a | tr ' ' '\n' | grep -xE -- '-?echo' | sed 's/^/echo:/'
RUN

# no_echo NAME WORD: WORD, typed at the prompt, is nowhere on the screen.
no_echo() {
	screen "$1" | grep -qF -- "$2" && fail "$1: '$2' was echoed: $(screen "$1")"
	return 0
}

# wait_prompts NAME N: the screen shows N passphrase prompts.
wait_prompts() {
	local deadline=$(($(now_ms) + TIMEOUT * 1000))
	until [ "$(screen "$1" | grep -c '^Passphrase for ')" -ge "$2" ]; do
		[ "$(now_ms)" -lt "$deadline" ] || { screen "$1" >&2; fail "$1: no prompt $2"; }
		sleep 0.05
	done
}

# A wrong passphrase, then the right one.
tmux_start ui 160 24 "bash $T/run.sh"
wait_screen ui "^Passphrase for $dir/identity\\.key: ?\$"
keys ui 'guess-one' Enter
wait_screen ui '^Wrong passphrase, try again\.$'
wait_prompts ui 2
no_echo ui guess-one
keys ui 'Open Sesame' Enter
wait_screen ui "Your key: $fp"
no_echo ui 'Open Sesame'
keys ui '/quit' Enter
wait_screen ui '^\[status 0\]$'
wait_screen ui '^echo:echo$'

# Three wrong ones: status 1, nothing touched.
snapshot() {
	(cd "$dir" && stat -c '%n %s %y' . * && sha256sum *)
}
snapshot >"$T/before"
tmux_start three 160 24 "bash $T/run.sh"
n=0
for guess in first-guess second-guess third-guess; do
	n=$((n + 1))
	wait_prompts three $n
	keys three "$guess" Enter
done
wait_screen three '^\[status 1\]$'
wait_screen three "p2ptui: 3 wrong passphrases for $dir/identity\\.key; nothing was changed"
wait_screen three '^echo:echo$'
for guess in first-guess second-guess third-guess; do
	no_echo three "$guess"
done
snapshot >"$T/after"
diff -u "$T/before" "$T/after" >&2 || fail "three wrong passphrases changed the data directory"

# Ctrl-C at the prompt: ended by SIGINT, the terminal echoes again.
tmux_start intr 160 24 "bash $T/run.sh"
wait_screen intr "^Passphrase for .*: ?$"
keys intr 'half' C-c
wait_screen intr '^\[status 130\]$'
wait_screen intr '^echo:echo$'
no_echo intr half
# Ctrl-Z at the prompt: stopped with the terminal as it was (the shell
# reads a line with echo); fg: echo off again and the prompt afresh
# (what was typed before is dropped). A shell with job control, or the
# stop would be discarded (an orphaned process group).
cat >"$T/stop.sh" <<RUN
cd "$T"
set -m
HOME="$T/alice" TERM=screen "$P2PTUI"
echo "[stopped \$?]"
read -r line
fg
echo "[status \$?]"
RUN
# echo_state NAME: echo or -echo, as the pane's terminal is set now.
echo_state() {
	stty -F "$(tmux_cmd display -p -t "$1" '#{pane_tty}')" -a |
	    tr ' ' '\n' | grep -xE -- '-?echo'
}
tmux_start stop 160 24 "bash $T/stop.sh"
wait_prompts stop 1
[ "$(echo_state stop)" = -echo ] || fail "echo on at the prompt"
keys stop 'partial' C-z
wait_screen stop '\[stopped 148\]$'
[ "$(echo_state stop)" = echo ] || fail "stopped with echo off"
keys stop Enter
wait_prompts stop 2
[ "$(echo_state stop)" = -echo ] || fail "echo on at the prompt after fg"
keys stop 'Open Sesame' Enter
wait_screen stop "Your key: $fp"
keys stop '/quit' Enter
wait_screen stop '^\[status 0\]$'

# --passphrase on the terminal: the current one, then the new one
# twice, none of them echoed; two that differ change nothing.
cat >"$T/change.sh" <<RUN
HOME="$T/alice" "$P2PTUI" --passphrase --passphrase-cost interactive
echo "[status \$?]"
RUN
snapshot >"$T/before"
tmux_start differ 160 24 "bash $T/change.sh"
wait_screen differ "^Passphrase for $dir/identity\\.key: ?\$"
keys differ 'Open Sesame' Enter
wait_screen differ '^New passphrase \(empty to remove it\): ?$'
keys differ 'new-one' Enter
wait_screen differ '^The new passphrase again: ?$'
keys differ 'new-two' Enter
wait_screen differ '^\[status 1\]$'
wait_screen differ 'p2ptui: the two new passphrases differ; nothing was changed'
snapshot >"$T/after"
diff -u "$T/before" "$T/after" >&2 || fail "differing new passphrases changed the data directory"
tmux_start change 160 24 "bash $T/change.sh"
wait_screen change "^Passphrase for $dir/identity\\.key: ?\$"
keys change 'Open Sesame' Enter
wait_screen change '^New passphrase \(empty to remove it\): ?$'
keys change 'Close Sesame' Enter
wait_screen change '^The new passphrase again: ?$'
keys change 'Close Sesame' Enter
wait_screen change '^\[status 0\]$'
wait_screen change "p2ptui: changed the passphrase of $dir/identity\\.key"
for word in Open Close; do
	no_echo change "$word Sesame"
done
echo /quit | HOME="$T/alice" "$P2PTUI" --headless --passphrase-fd 3 3<<<"Close Sesame" \
    >"$T/changed.out" 2>&1 || fail "the new passphrase: $(cat "$T/changed.out")"
echo "tui_passphrase: ok"
