#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Terminal UI benchmarks, standalone (bench/run.sh may call it too):
#
#   1  start to first complete frame: p2ptui -v launched in a tmux pane,
#      until its debug log says the first frame was drawn (the log's
#      wall-clock milliseconds); also the part inside the process, from
#      its first log line. Median of RUNS (10), warm (identity exists).
#   2  idle RSS: VmRSS of the UI 2 s after its first frame, alone, and
#      with a peer online after 100 000 messages (views keep 10 000 lines).
#      Toxic, measured on the same kind of machine: about 20.5 MB.
#   3  rendering: bench/ui_render.c on the real pane code, curses output
#      to /dev/null: a 100 000-line conversation (many lines wrap, mixed
#      widths), first frame, Home, PgDn and PgUp through all of it.
#   4  end to end: a headless peer sends 100 000 messages to the UI,
#      which shows that conversation: time until the last is on screen,
#      and, meanwhile, how long a typed key takes to appear (probes).
#
# Environment: top_builddir (default: the source tree) holds p2ptui and
# libp2ptui.a; CC (cc); BENCH_QUICK=1 for a short run; KEEP_BENCH_DIR=1.
# Prints "RESULT key value" lines, then a summary.
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
: "${top_builddir:=$top_srcdir}"
top_builddir=$(cd "$top_builddir" && pwd) || exit 1
P2PTUI=$top_builddir/p2ptui
LIB=$top_builddir/libp2ptui.a
# shellcheck source=bench/lib.sh
. "$top_srcdir/bench/lib.sh"
CC=${CC:-cc}
export LC_ALL=C.UTF-8
command -v tmux >/dev/null || {
	echo "bench_ui: tmux is not installed" >&2
	exit 1
}
[ -x "$P2PTUI" ] && [ -f "$LIB" ] || {
	echo "bench_ui: no $P2PTUI or $LIB: build first (make)" >&2
	exit 1
}
if [ -n "${BENCH_QUICK:-}" ]; then
	RUNS=3 N=20000 LINES_R=20000
else
	RUNS=10 N=100000 LINES_R=100000
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/p2ptui-bench-ui.XXXXXX") || exit 1
SOCK=p2ptui-bench-ui-$$
tm() {
	tmux -L "$SOCK" -f /dev/null "$@"
}
cleanup() {
	tm kill-server 2>/dev/null
	[ -n "${bob_pid:-}" ] && kill "$bob_pid" 2>/dev/null
	if [ -n "${KEEP_BENCH_DIR:-}" ]; then
		echo "bench_ui: kept $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

now_ms() {
	date +%s%3N
}
result() {
	echo "RESULT $1 $2" | tee -a "$T/results"
}
median() {
	sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'
}
# wait_until SECONDS COMMAND...: poll until COMMAND succeeds.
wait_until() {
	local deadline=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt "$deadline" ] || return 1
		sleep 0.002
	done
}
home() {
	mkdir -p "$T/$1"
	printf 'nick = "%s";\nlisten = "127.0.0.1:0";\n' "$1" \
	    >"$T/$1/.p2ptui.conf"
	HOME="$T/$1" "$P2PTUI" --fingerprint 2>/dev/null >"$T/$1.fp"
}
logged() {
	grep -q 'ui: first frame' "$T/alice/.local/share/p2ptui/debug.log" \
	    2>/dev/null
}
# start_ui: alice's UI in a new pane; its pid in $T/pid.
start_ui() {
	rm -f "$T/pid"
	tm new-session -d -s ui -x 120 -y 40 \
	    "cd $T && HOME=$T/alice TERM=tmux-256color sh -c 'echo \$\$ >$T/pid; exec \"\$0\" -v' $P2PTUI; sleep 600"
}
stop_ui() {
	tm kill-session -t ui 2>/dev/null
	wait_until 5 sh -c "! kill -0 \$(cat $T/pid) 2>/dev/null"
}
rss_kb() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}

# --- 1, 2: first frame, idle RSS ------------------------------------------
home alice
log=$T/alice/.local/share/p2ptui/debug.log
: >"$T/frame" && : >"$T/inproc"
for _ in $(seq 1 "$RUNS"); do
	rm -f "$log"
	t0=$(now_ms)
	start_ui
	wait_until 10 logged || {
		echo "bench_ui: no first frame" >&2
		exit 1
	}
	t1=$(sed -n 's/^\([0-9]*\)\.\([0-9]*\) ui: first frame.*/\1\2/p' "$log")
	ts=$(sed -n '1s/^\([0-9]*\)\.\([0-9]*\) .*/\1\2/p' "$log")
	echo $((t1 - t0)) >>"$T/frame"
	echo $((t1 - ts)) >>"$T/inproc"
	pid=$(cat "$T/pid")
	stop_ui
done
result first_frame_ms "$(median <"$T/frame")"
result first_frame_inproc_ms "$(median <"$T/inproc")"

start_ui
wait_until 10 logged
sleep 2
pid=$(cat "$T/pid")
result idle_rss_kb "$(rss_kb "$pid")"
stop_ui

# --- 3: rendering -----------------------------------------------------------
# shellcheck disable=SC2086
$CC -std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$top_srcdir/src" \
    -o "$T/ui_render" "$top_srcdir/bench/ui_render.c" "$LIB" $BENCH_LIBS || exit 1
"$T/ui_render" -n "$LINES_R" | tee -a "$T/results"

# --- 4: a burst to the screen, keys meanwhile -------------------------------
home bob
printf 'max_queue_kb = 1048576;\npeers = ( { name = "alice"; key = "%s"; } );\n' \
    "$(cat "$T/alice.fp")" >>"$T/bob/.p2ptui.conf"
mkfifo "$T/bob.in"
HOME="$T/bob" "$P2PTUI" --headless <"$T/bob.in" >"$T/bob.out" 2>/dev/null &
bob_pid=$!
exec 9>"$T/bob.in"
wait_until 10 grep -q '^ready ' "$T/bob.out"
bob_addr=$(sed -n 's/^ready [^ ]* //p' "$T/bob.out")
cat >>"$T/alice/.p2ptui.conf" <<CONF
peers = ( { name = "bob"; key = "$(cat "$T/bob.fp")"; address = "$bob_addr"; } );
CONF
start_ui
wait_until 10 grep -q '^online alice' "$T/bob.out"
tm send-keys -t ui M-1
seq 1 "$N" | sed 's|^|/msg alice message number |; s|$| with some text after it|' \
    >"$T/burst"
shown() {
	tm capture-pane -p -t ui | grep -q "<bob> message number $N with"
}
t0=$(now_ms)
cat "$T/burst" >&9 &
# Probes: type a character, time until it shows, while the burst lasts.
: >"$T/keys"
typed=""
while ! shown && [ $(($(now_ms) - t0)) -lt 120000 ]; do
	k=$(((${#typed} % 26) + 97))
	k=$(printf "\\$(printf %o "$k")")
	typed+=$k
	tk=$(now_ms)
	tm send-keys -t ui -l "$k"
	wait_until 10 sh -c "tmux -L $SOCK capture-pane -p -t ui | tail -n 1 | grep -q -- '$typed\$'" ||
	    break
	echo $(($(now_ms) - tk)) >>"$T/keys"
done
wait_until 120 shown || echo "bench_ui: the burst did not finish" >&2
t1=$(now_ms)
result burst_msgs "$N"
result burst_to_screen_ms $((t1 - t0))
result burst_key_probes "$(wc -l <"$T/keys")"
result burst_key_p50_ms "$(median <"$T/keys")"
result burst_key_max_ms "$(sort -n "$T/keys" | tail -n 1)"
sleep 2
result burst_rss_kb "$(rss_kb "$(cat "$T/pid")")"
stop_ui

# --- summary ----------------------------------------------------------------
get() {
	sed -n "s/^RESULT $1 //p" "$T/results" | tail -n 1
}
ms() {
	awk -v u="$1" 'BEGIN { printf "%.2f ms", u / 1000 }'
}
printf '\np2ptui terminal UI benchmarks (%s CPUs, %s)\n' "$(nproc)" \
    "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
printf '  1  start to first complete frame: %s ms (median of %s;' \
    "$(get first_frame_ms)" "$RUNS"
printf ' %s ms inside the process)\n' "$(get first_frame_inproc_ms)"
printf '  2  idle RSS: %s KiB (Toxic: about 20.5 MB; target <= 6.8 MB);' \
    "$(get idle_rss_kb)"
printf ' after %s messages: %s KiB\n' "$N" "$(get burst_rss_kb)"
printf '  3  %s lines, %sx%s: fill %s, first frame %s, Home %s\n' \
    "$(get lines)" "$(get cols)" "$(get rows)" "$(ms "$(get fill_us)")" \
    "$(ms "$(get bottom_us)")" "$(ms "$(get top_us)")"
printf '     PgDn through all: %s frames in %s (%s each, slowest %s)\n' \
    "$(get pgdn_frames)" "$(ms "$(get pgdn_total_us)")" \
    "$(ms "$(get pgdn_frame_us)")" "$(ms "$(get pgdn_max_us)")"
printf '     PgUp through all: %s frames in %s (%s each, slowest %s)\n' \
    "$(get pgup_frames)" "$(ms "$(get pgup_total_us)")" \
    "$(ms "$(get pgup_frame_us)")" "$(ms "$(get pgup_max_us)")"
printf '     new width, frame: %s; 10 000 lines + one frame: %s\n' \
    "$(ms "$(get resize_us)")" "$(ms "$(get burst10k_us)")"
printf '  4  %s messages from a peer to the screen: %s ms;' \
    "$(get burst_msgs)" "$(get burst_to_screen_ms)"
printf ' keys typed meanwhile: %s probes, p50 %s ms, max %s ms\n' \
    "$(get burst_key_probes)" "$(get burst_key_p50_ms)" \
    "$(get burst_key_max_ms)"
