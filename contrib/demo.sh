#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# demo.sh: see p2ptui at work in one command. Opens tmux with two p2ptui
# instances side by side, alice on the left and bob on the right, each
# with a throwaway HOME (configuration, keys, history) that is deleted
# when the demo ends. They already know each other's keys (pinned in
# their configurations), alice dials bob, and both show their
# conversation: type and press Enter to chat. Ctrl-C (or /quit) in both
# panes, or detaching (Ctrl-b d), ends the demo.
#
#   contrib/demo.sh            from a build tree (uses ./p2ptui), or with
#   P2PTUI=/path/to/p2ptui contrib/demo.sh
#
# DEMO_NO_ATTACH=1 sets everything up without attaching and prints the
# tmux socket name and the directory (for tests); kill the tmux server
# and remove the directory yourself then.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${P2PTUI:-}" ]; then
	if [ -x "$here/p2ptui" ]; then
		P2PTUI=$here/p2ptui
	else
		P2PTUI=$(command -v p2ptui) || {
			echo "demo.sh: build p2ptui first (make), or set P2PTUI" >&2
			exit 1
		}
	fi
fi
command -v tmux >/dev/null || {
	echo "demo.sh: tmux is not installed" >&2
	exit 1
}

D=$(mktemp -d "${TMPDIR:-/tmp}/p2ptui-demo.XXXXXX")
SOCK=p2ptui-demo-$$
tm() {
	tmux -L "$SOCK" -f /dev/null "$@"
}
cleanup() {
	tm kill-server 2>/dev/null || true
	rm -rf "$D"
}
if [ -z "${DEMO_NO_ATTACH:-}" ]; then
	trap cleanup EXIT
fi

# A free port for bob: one nothing answers on.
port=
for _ in $(seq 1 50); do
	p=$((20000 + RANDOM % 20000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || {
	echo "demo.sh: no free port found" >&2
	exit 1
}

for n in alice bob; do
	mkdir -m 700 "$D/$n"
	HOME=$D/$n "$P2PTUI" --fingerprint >"$D/$n.key" 2>/dev/null
done
cat >"$D/alice/.p2ptui.conf" <<CONF
nick = "alice";
listen = "127.0.0.1:0";
peer_width = 14;
peers = (
  { name = "bob"; address = "127.0.0.1:$port"; key = "$(cat "$D/bob.key")"; }
);
CONF
cat >"$D/bob/.p2ptui.conf" <<CONF
nick = "bob";
listen = "127.0.0.1:$port";
peer_width = 14;
peers = ( { name = "alice"; key = "$(cat "$D/alice.key")"; } );
CONF

run() {
	echo "cd '$D' && HOME='$D/$1' LANG=${LANG:-C.UTF-8} '$P2PTUI'"
}
cols=$(tput cols 2>/dev/null || echo 160)
lines=$(tput lines 2>/dev/null || echo 40)
tm new-session -d -s demo -x "$cols" -y "$lines" "$(run bob)"
tm split-window -h -b -t demo "$(run alice)"
# tmux cuts status-left at 10 columns unless told otherwise.
tm set-option -t demo status-left "[p2ptui demo] " >/dev/null
tm set-option -t demo status-left-length 20 >/dev/null

# Once alice sees bob online, show each other's conversation and say hi.
for _ in $(seq 1 100); do
	tm capture-pane -p -t demo.0 | grep -q '^ 1 + bob ' && break
	sleep 0.1
done
tm send-keys -t demo.0 M-1
tm send-keys -t demo.1 M-1
tm send-keys -t demo.0 -l "hi bob! this is p2ptui: type here, Enter sends"
tm send-keys -t demo.0 Enter

if [ -n "${DEMO_NO_ATTACH:-}" ]; then
	echo "$SOCK $D"
	exit 0
fi
TMUX='' tm attach -t demo
