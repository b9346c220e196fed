#!/bin/bash
# contrib/demo.sh sets up two introduced UIs that chat at once: alice's
# greeting shows in both panes, and bob's answer in alice's.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
command -v tmux >/dev/null || skip "tmux is not installed"

# Its panes are half the terminal's width: make that wide.
out=$(COLUMNS=200 LINES=40 DEMO_NO_ATTACH=1 P2PTUI="$P2PTUI" TMPDIR="$T" \
    bash "$top_srcdir/contrib/demo.sh") || fail "demo.sh failed"
read -r sock dir <<<"$out"
demo() {
	tmux -L "$sock" -f /dev/null "$@"
}
# demo_wait PANE REGEX
demo_wait() {
	local deadline=$(($(now_ms) + TIMEOUT * 1000))
	while ! demo capture-pane -p -t "demo.$1" | grep -qE -- "$2"; do
		if [ "$(now_ms)" -ge "$deadline" ]; then
			demo capture-pane -p -t "demo.$1" >&2
			demo kill-server
			fail "demo pane $1: no /$2/"
		fi
		sleep 0.05
	done
}
# Its status label fits: tmux cuts status-left at status-left-length.
label=$(demo show-options -v -t demo status-left)
[ "$(demo show-options -v -t demo status-left-length)" -ge "${#label}" ] ||
    { demo kill-server; fail "the status label '$label' is cut"; }
demo_wait 0 '<alice> hi bob! this is p2ptui'
demo_wait 1 '<alice> hi bob! this is p2ptui'
demo send-keys -t demo.1 -l "hello alice"
demo send-keys -t demo.1 Enter
demo_wait 0 '<bob> hello alice$'
demo kill-server
case $dir in "$T"/p2ptui-demo.*) rm -rf "$dir" ;; esac
echo "tui_demo: ok"
