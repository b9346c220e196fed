#!/bin/bash
# The terminal is given back on every way out of the UI: Ctrl-C, SIGINT,
# SIGHUP, and a failure after curses took the terminal (the listening
# address is taken); each time the terminal is in canonical mode with
# echo, and bracketed paste is off again (a paste reaches the shell
# without the markers).
. "${top_srcdir:-.}/tests/e2e/lib.sh"
export LC_ALL=C.UTF-8

node_home alice >/dev/null
echo 'timestamps = false;' >>"$T/alice/.p2ptui.conf"
# The pane (run.sh NAME [ARGS]) runs p2ptui, then reports the terminal's state and echoes one
# pasted line, escapes made visible.
cat >"$T/run.sh" <<RUN
cd "$T"
name=\$1
shift
# Its process id in NAME.pid, for signals.
HOME="$T/alice" TERM=screen sh -c 'echo \$\$ >"\$0"; exec "\$@"' \
    "$T/\$name.pid" "$P2PTUI" "\$@"
echo "[status \$?]"
stty -a | tr ' ' '\n' | grep -xE -- '-?(icanon|echo)' | tr '\n' ' '
echo
IFS= read -r line
printf 'pasted:%s\n' "\$line" | cat -v
RUN

# check NAME STATUS: p2ptui in NAME ended with STATUS and left a sane
# terminal.
check() {
	wait_screen "$1" "^\\[status $2\\]\$"
	wait_screen "$1" '^icanon echo ?$'
	tmux_cmd set-buffer -b p "plain text"
	tmux_cmd paste-buffer -p -b p -t "$1"
	keys "$1" Enter
	wait_screen "$1" '^pasted:'
	screen "$1" | grep -qx 'pasted:plain text' ||
	    fail "$1: bracketed paste still on: $(screen "$1" | grep pasted:)"
}

tmux_start ctrlc 80 24 "bash $T/run.sh ctrlc"
wait_screen ctrlc 'Your key:'
keys ctrlc C-c
check ctrlc 0

tmux_start int 80 24 "bash $T/run.sh int"
wait_screen int 'Your key:'
kill -INT "$(cat "$T/int.pid")" || fail "no p2ptui to interrupt"
check int 130

tmux_start hup 80 24 "bash $T/run.sh hup"
wait_screen hup 'Your key:'
kill -HUP "$(cat "$T/hup.pid")" || fail "no p2ptui to hang up"
check hup 0

# The address is taken: curses is set up, then listening fails.
node_home bob >/dev/null
node_start bob
addr=$(node_addr bob)
printf 'listen = "%s";\n' "$addr" >"$T/busy.conf"
tmux_start busy 80 24 "bash $T/run.sh busy -c $T/busy.conf"
check busy 1
screen busy | grep -q "p2ptui: .*$addr" || fail "no reason given: $(screen busy)"
echo "tui_exit: ok"
