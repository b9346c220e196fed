#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Session-layer benchmarks: what `make bench` runs. Builds the programs in
# bench/ (-O2, against the build's libp2ptui.a), runs them against the
# build's p2ptui and prints a report with the baselines (raw TCP for the
# session layer, history = false for the message store), ratios and
# targets. Numbers, not tests: it fails only if a benchmark cannot run.
# About six minutes: the idle measurements have to sit through whole
# keepalive periods, and bench_xfer.sh takes a minute and a half.
#
#   bench_noise     Noise_XX handshakes in one process (both roles)
#   bench_session   handshakes over loopback (also with 10,000 more
#                   known peers), throughput (in memory and durable),
#                   latency and idle wakeups, with real headless nodes;
#                   see its header
#   rawnode         the raw-TCP node the session figures are compared with
#   bench_scale     N sessions from separate keys into one headless node
#                   (N = 1000, 4000, 10000): its idle CPU and wakeups,
#                   memory per session, one message to each; see its
#                   header
#   bench_room.sh   rooms of 8, 32 and 64 members: one message to all
#                   against the 1:1 round trip, a catch-up of 10,000
#                   events, memory per member and per event
#   bench_swarm.sh  room files: 4 capped seeders against 1, a flash
#                   crowd of 8, uncapped against the 1:1 transfer
#   bench_xfer.sh   file transfers against a raw TCP copy: throughput,
#                   RSS, chat round trips meanwhile; see its header
#
# The durable figures are only as good as the file system under TMPDIR,
# where the nodes' HOMEs and so their history.db live (on a tmpfs fsync
# costs nothing). With strace(1), one more durable round counts fsyncs.
#
# Environment: top_builddir (default: the source tree) holds p2ptui and
# libp2ptui.a; CC (cc); BENCH_QUICK=1 for a short smoke run;
# KEEP_BENCH_DIR=1 keeps the temporary directory (node HOMEs, stderr).
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$top_srcdir/bench/lib.sh"
LIB=$top_builddir/libp2ptui.a

if [ ! -x "$P2PTUI" ] || [ ! -f "$LIB" ]; then
	echo "bench: no $P2PTUI or $LIB: build first (make)" >&2
	exit 1
fi
if grep -q __asan_init "$P2PTUI" 2>/dev/null ||
    grep -q __ubsan_handle "$P2PTUI" 2>/dev/null; then
	echo "bench: WARNING: $P2PTUI is a sanitizer build; its numbers" \
	    "mean little (configure a plain build elsewhere and set" \
	    "top_builddir)" >&2
fi
LIBS=$BENCH_LIBS

bench_tmpdir bench p2ptui-bench

# --- build -----------------------------------------------------------------
# shellcheck disable=SC2086
bench_cc bench_noise -I"$top_srcdir/src" "$LIB" $LIBS
# shellcheck disable=SC2086
bench_cc bench_session -I"$top_srcdir/src" "$BENCHLIB" "$BENCHPEER" "$LIB" \
    $LIBS
bench_cc rawnode
# shellcheck disable=SC2086
bench_cc bench_scale -I"$top_srcdir/src" "$BENCHLIB" "$BENCHPEER" "$LIB" \
    $LIBS

# --- run -------------------------------------------------------------------
if [ -n "${BENCH_QUICK:-}" ]; then
	NOISE_SECS=0.5 HS="-t 1" HSK="-t 1 -k 1000" TPUT="-n 20000 -r 1" DUR="-n 20000 -r 1"
	LAT="-s 500" IDLE="-t 5" SCALE="-k 5 -t 2" SCALE_N="100 400 1000"
else
	NOISE_SECS=2 HS="-t 5" HSK="-t 5 -k 10000" TPUT="-n 200000 -r 3" DUR="-n 100000 -r 3"
	LAT="-s 5000" IDLE="-t 40" SCALE="-t 10" SCALE_N="1000 4000 10000"
fi
# Counting fsyncs needs strace with --seccomp-bpf, and ptrace allowed.
if STRACE=$(command -v strace) &&
    "$STRACE" -f -c --seccomp-bpf -e trace=fsync,fdatasync -o /dev/null \
        true >/dev/null 2>&1; then
	DUR="$DUR -S $STRACE"
else
	echo "bench: no usable strace: no fsync counts" >&2
fi
R=$T/results
: >"$R"
failed=""
run() {
	name=$1
	shift
	mkdir "$T/$name" || exit 1
	if ! "$@" >>"$R"; then
		echo "bench: $name failed" >&2
		failed="$failed $name"
	fi
}
echo "bench: in-process handshakes" >&2
run noise "$T/bench_noise" "$NOISE_SECS"
for what in handshake handshake_known throughput durable latency idle; do
	case $what in
	handshake) opts=$HS ;;
	handshake_known) opts=$HSK ;;
	throughput) opts=$TPUT ;;
	durable) opts=$DUR ;;
	latency) opts=$LAT ;;
	idle) opts=$IDLE ;;
	esac
	# shellcheck disable=SC2086
	run "$what" "$T/bench_session" $opts "$P2PTUI" "$T/rawnode" \
	    "$T/$what" "${what%_known}"
done
echo "bench: sessions at scale" >&2
# shellcheck disable=SC2086
run scale "$T/bench_scale" $SCALE "$P2PTUI" "$T/scale" $SCALE_N

# --- report ----------------------------------------------------------------
noise=$(get noise_hs_per_s)
noise_us=$(get noise_hs_us)
x_us=$(get x25519_us)
xb_us=$(get x25519_base_us)
hs=$(get hs_per_s)
hs_conc=$(get hs_conc)
hs_cpu=$(get hs_node_cpu_us)
hs_share=$(get hs_node_cpu_share)
hs_ref=$(get hs_refused)
hs_bye=$(get hs_bye)
hs_fail=$(get hs_failed)
tp=$(get tput_p2p_msg_per_s)
tr=$(get tput_raw_msg_per_s)
tp_min=$(get tput_p2p_min_msg_per_s)
tp_max=$(get tput_p2p_max_msg_per_s)
lp50=$(get lat_p2p_p50_us)
lp99=$(get lat_p2p_p99_us)
lr50=$(get lat_raw_p50_us)
lr99=$(get lat_raw_p99_us)
idle=$(get idle_hub_per_s)
dd=$(get dur_disk_msg_per_s)
dm=$(get dur_mem_msg_per_s)
ld50=$(get lat_dur_p50_us)
ld99=$(get lat_dur_p99_us)
fs=$(stat -f -c %T "$T" 2>/dev/null)

printf '\np2ptui session-layer benchmarks\n'
printf '  %s CPUs (%s), Linux %s, libsodium %s, p2ptui %s\n' \
    "$(nproc)" "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo |
    head -n 1)" "$(uname -r)" "$(pkg-config --modversion libsodium)" \
    "$(git -C "$top_srcdir" describe --always --dirty 2>/dev/null ||
    echo '?')"
echo
row "" "p2ptui" "raw TCP" "p2p vs raw" "target" ""
row "1a handshakes/s, in-process" "$(or "$noise")" "" "" "" ""
row "1b handshakes/s, loopback, one node" "$(or "$hs")" "" "" \
    ">= 2000/s" "$(verdict "$(calc 'print (a >= 2000)' "$hs")")"
row "1c handshakes/s per node core" "$(calc 'printf "%.0f", 1e6 / a' \
    "$hs_cpu")" "" "" "" ""
row "   responder floor (1 + 3 X25519)" "$(calc \
    'printf "%.0f", 1e6 / (a + 3 * b)' "$xb_us" "$x_us")" "" \
    "$(calc 'printf "%.2f", 1e6 / a / (1e6 / (b + 3 * c))' "$hs_cpu" \
    "$xb_us" "$x_us")" ">= 0.6" "$(verdict "$(calc \
    'print (1e6 / a / (1e6 / (b + 3 * c)) >= 0.6)' "$hs_cpu" "$xb_us" \
    "$x_us")")"
row "1d ... with $(get hsk_known) more known peers" "$(calc \
    'printf "%.0f", 1e6 / a' "$(get hsk_node_cpu_us)")" "" "$(calc \
    'printf "%.2f", b / a' "$(get hsk_node_cpu_us)" "$hs_cpu")" \
    ">= 0.9 of 1c" "$(verdict "$(calc 'print (b / a >= 0.9)' \
    "$(get hsk_node_cpu_us)" "$hs_cpu")")"
row "2  one-way msg/s, 100 B (median)" "$(or "$tp")" \
    "$(or "$tr")" "$(calc 'printf "%.2f", a / b' "$tp" "$tr")" \
    ">= 100000/s" "$(verdict "$(calc 'print (a >= 100000)' "$tp")")"
row "3  round trip p50, us" "$(or "$lp50")" "$(or "$lr50")" \
    "$(calc 'printf "%+.1f", a - b' "$lp50" "$lr50")" "raw + 200 us" \
    "$(verdict "$(calc 'print (a - b <= 200)' "$lp50" "$lr50")")"
row "   round trip p99, us" "$(or "$lp99")" "$(or "$lr99")" \
    "$(calc 'printf "%+.1f", a - b' "$lp99" "$lr99")" "raw + 200 us" \
    "$(verdict "$(calc 'print (a - b <= 200)' "$lp99" "$lr99")")"
row "4  idle wakeups/s, hub with 10 peers" "$(or "$idle")" "" "" \
    "< 1/s" "$(verdict "$(calc 'print (a < 1)' "$idle")")"
row "   peak RSS (VmHWM) in 2, sender KiB" \
    "$(or "$(get tput_p2p_hwm_kb_a)")" "$(or "$(get tput_raw_hwm_kb_a)")" \
    "" "" ""
row "   peak RSS (VmHWM) in 2, receiver KiB" \
    "$(or "$(get tput_p2p_hwm_kb_b)")" "$(or "$(get tput_raw_hwm_kb_b)")" \
    "" "" ""
echo
row "" "on disk" "in memory" "disk vs mem" "target" ""
row "5  durable msg/s, 100 B (median)" "$(or "$dd")" "$(or "$dm")" \
    "$(calc 'printf "%.2f", a / b' "$dd" "$dm")" ">= 20000/s" \
    "$(verdict "$(calc 'print (a >= 20000)' "$dd")")"
row "6  round trip p50, us" "$(or "$ld50")" "$(or "$lp50")" \
    "$(calc 'printf "%+.1f", a - b' "$ld50" "$lp50")" "" ""
row "   round trip p99, us" "$(or "$ld99")" "$(or "$lp99")" \
    "$(calc 'printf "%+.1f", a - b' "$ld99" "$lp99")" "" ""
row "7  database bytes/msg, sender" \
    "$(or "$(get dur_db_exit_per_msg_a)")" "" "" "" ""
row "   database bytes/msg, receiver" \
    "$(or "$(get dur_db_exit_per_msg_b)")" "" "" "" ""
row "8  fsyncs per 1000 msgs, sender" \
    "$(or "$(get dur_fsync_per_kmsg_a)")" "" "" "" ""
row "   fsyncs per 1000 msgs, receiver" \
    "$(or "$(get dur_fsync_per_kmsg_b)")" "" "" "" ""

printf '\nDetails\n'
printf '  1a  %s us per complete handshake (both roles, one thread);' \
    "$(or "$noise_us")"
printf ' X25519: %s us, with the base point %s us\n' "$(or "$x_us")" \
    "$(or "$xb_us")"
printf '  1b  %s clients at a time from 127.0.0.2-250; node CPU %s us' \
    "$(or "$hs_conc")" "$(or "$hs_cpu")"
printf ' per handshake, %s of a core busy;\n' "$(calc \
    'printf "%d%%", a * 100' "$hs_share")"
printf '      refused %s, bye instead of hello %s, failed %s\n' \
    "$(or "$hs_ref")" "$(or "$hs_bye")" "$(or "$hs_fail")"
printf '  2   %s messages x %s rounds; p2ptui min/max %s/%s msg/s;' \
    "$(or "$(get tput_count)")" "$(or "$(get tput_rounds)")" \
    "$(or "$tp_min")" "$(or "$tp_max")"
printf ' CPU per message\n      sender %s us (raw %s), receiver %s us' \
    "$(or "$(get tput_p2p_cpu_us_a)")" "$(or "$(get tput_raw_cpu_us_a)")" \
    "$(or "$(get tput_p2p_cpu_us_b)")"
printf ' (raw %s)\n' "$(or "$(get tput_raw_cpu_us_b)")"
printf '  3   mean %s us (raw %s), max %s us (raw %s)\n' \
    "$(or "$(get lat_p2p_mean_us)")" "$(or "$(get lat_raw_mean_us)")" \
    "$(or "$(get lat_p2p_max_us)")" "$(or "$(get lat_raw_max_us)")"
printf '  2-3 p2ptui with history = false: the session layer alone\n'
printf '  4   %s wakeups in %s s (voluntary + nonvoluntary context' \
    "$(or "$(get idle_hub_wakeups)")" "$(or "$(get idle_secs)")"
printf ' switches in /proc/PID/status),\n      %s per peer per' \
    "$(calc 'printf "%.2f", a / 10 / (b / 20)' \
    "$(get idle_hub_wakeups)" "$(get idle_secs)")"
printf ' 20 s keepalive period; each peer alone: %s/s\n' \
    "$(or "$(get idle_leaf_per_s)")"
printf '  5   history = true (WAL, synchronous=FULL) against false;'
printf ' %s messages x %s rounds,\n' "$(or "$(get dur_count)")" \
    "$(or "$(get dur_rounds)")"
printf '      until the sender has printed every "delivered" (stored on'
printf ' both sides and\n      acknowledged); database on %s; on disk' \
    "$(or "$fs")"
printf ' min/max %s/%s msg/s,\n      in memory %s/%s;' \
    "$(or "$(get dur_disk_min_msg_per_s)")" \
    "$(or "$(get dur_disk_max_msg_per_s)")" \
    "$(or "$(get dur_mem_min_msg_per_s)")" \
    "$(or "$(get dur_mem_max_msg_per_s)")"
printf ' CPU per message sender %s us (in memory %s),\n' \
    "$(or "$(get dur_disk_cpu_us_a)")" "$(or "$(get dur_mem_cpu_us_a)")"
printf '      receiver %s us (in memory %s)\n' \
    "$(or "$(get dur_disk_cpu_us_b)")" "$(or "$(get dur_mem_cpu_us_b)")"
printf '  6   each on disk waits for three commits (sender, receiver,'
printf ' sender); mean %s us\n      (in memory %s), max %s us\n' \
    "$(or "$(get lat_dur_mean_us)")" "$(or "$(get lat_p2p_mean_us)")" \
    "$(or "$(get lat_dur_max_us)")"
printf '  7   history.db after a clean exit (checkpointed, no WAL): %s' \
    "$(or "$(get dur_db_exit_bytes_a)")"
printf ' / %s bytes;\n      live, history.db + -wal: %s / %s bytes/msg;' \
    "$(or "$(get dur_db_exit_bytes_b)")" \
    "$(or "$(get dur_db_live_per_msg_a)")" \
    "$(or "$(get dur_db_live_per_msg_b)")"
printf ' written to storage while\n      running (write_bytes in'
printf ' /proc/PID/io): %s / %s bytes/msg (sender / receiver)\n' \
    "$(or "$(get dur_written_per_msg_a)")" \
    "$(or "$(get dur_written_per_msg_b)")"
printf '  8   fsync + fdatasync calls in one more round under strace'
printf ' -f -c (untimed, whole\n      lifetimes): %s / %s, %s / %s per' \
    "$(or "$(get dur_fsync_a)")" "$(or "$(get dur_fsync_b)")" \
    "$(or "$(get dur_fsync_per_s_a)")" "$(or "$(get dur_fsync_per_s_b)")"
printf ' second (sender / receiver) at %s msg/s\n' \
    "$(or "$(get dur_fsync_msg_per_s)")"

echo
printf 'Sessions at scale (history = false; idle: keepalive %s s)\n' \
    "$(echo "$SCALE" | sed -n 's/.*-k \([0-9]*\).*/\1/p' | grep . || echo 20)"
printf '  %-8s %9s %9s %9s %9s %8s %10s %10s %8s\n' sessions \
    "idle CPU" "wakeup/s" "us/wakeup" "pings/s" "us/ping" "B/session" \
    "deliver ms" "quit ms"
for n in $SCALE_N; do
	printf '  %-8s %8s%% %9s %9s %9s %8s %10s %10s %8s\n' "$n" \
	    "$(or "$(get "scale_${n}_idle_cpu_pct")")" \
	    "$(or "$(get "scale_${n}_idle_wakeups_per_s")")" \
	    "$(or "$(get "scale_${n}_idle_us_per_wakeup")")" \
	    "$(or "$(get "scale_${n}_idle_pings_per_s")")" \
	    "$(or "$(get "scale_${n}_idle_us_per_ping")")" \
	    "$(or "$(get "scale_${n}_bytes_per_session")")" \
	    "$(or "$(get "scale_${n}_deliver_ms")")" \
	    "$(or "$(get "scale_${n}_quit_ms")")"
done
printf '  target: idle CPU < 1%% at 10000, us/ping independent of the'
printf ' number of sessions\n  (a wakeup serves every timer due by then:'
printf ' its cost grows with N by design),\n  /quit within 2000 ms'
printf ' (BYE to every session)\n'

if ! top_builddir="$top_builddir" sh "$top_srcdir/bench/bench_xfer.sh"; then
	failed="$failed xfer"
fi

echo
echo "p2ptui room benchmarks (RESULT lines; see bench/bench_room.c)"
if ! top_builddir="$top_builddir" sh "$top_srcdir/bench/bench_room.sh"; then
	failed="$failed room"
fi

echo
echo "p2ptui room file benchmarks (RESULT lines; see bench/bench_swarm.sh)"
if ! top_builddir="$top_builddir" bash "$top_srcdir/bench/bench_swarm.sh"; then
	failed="$failed swarm"
fi

echo
echo "p2ptui terminal UI benchmarks"
if ! top_builddir="$top_builddir" bash "$top_srcdir/bench/bench_ui.sh"; then
	failed="$failed ui"
fi

if [ -n "$failed" ]; then
	echo "bench: failed:$failed" >&2
	exit 1
fi
exit 0
