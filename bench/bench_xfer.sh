#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# File transfer benchmarks, standalone (bench/run.sh calls it too). Builds
# bench/bench_xfer.c (see its header for what is timed and how), makes a
# file of random bytes under TMPDIR, syncs it, and runs two headless
# p2ptui nodes (default configuration: history = true) against a raw TCP
# copy of the same file into the same directory:
#
#   1  throughput of a 1 GiB transfer, from /accept to "saved" at the
#      receiver, and the sender's hashing before the offer (/send to
#      "offered"); median of 3 rounds after a warm-up round, raw TCP
#      (pread, loopback socket, pwrite, fdatasync) alternating with it
#   2  RSS of both nodes: idle once online, peak (VmHWM) after every
#      round, before they exit; and the peak over one transfer of a
#      4 GiB sparse file between a fresh pair
#   3  chat round trips, "/msg" every 20 ms until "delivered", from the
#      sender and from the receiver, while the data flows and without a
#      transfer
#
# and, as the limit the throughput is held against, one core's
# ChaCha20-Poly1305 + BLAKE2b (bench/bench_crypto.c, needs the build's
# libp2ptui.a), measured before and after the transfers (the better
# figure counts: the limit is a best case).
#
# Figures are in MB (10^6 bytes) and are only as good as the file system
# under TMPDIR, where the file, the nodes' HOMEs and the received copies
# live; the receiver fdatasync()s as it goes, so disk speed weighs in.
# About two minutes.
#
# Environment: top_builddir (default: the source tree) holds p2ptui; CC
# (cc); BENCH_QUICK=1 for a short run (64 MiB, one round, no 4 GiB file);
# BENCH_XFER_BIG=0 skips the 4 GiB file; KEEP_BENCH_DIR=1 keeps the
# temporary directory (results, node HOMEs and stderr).
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$top_srcdir/bench/lib.sh"
[ -x "$P2PTUI" ] || {
	echo "bench_xfer: no $P2PTUI: build first (make)" >&2
	exit 1
}
if [ -n "${BENCH_QUICK:-}" ]; then
	MIB=64 OPTS="-r 1 -n 50" BIG=0
else
	MIB=1024 OPTS="-r 3 -n 250" BIG=${BENCH_XFER_BIG:-4096}
fi

bench_tmpdir bench_xfer p2ptui-bench-xfer
bench_cc bench_xfer "$BENCHLIB"
R=$T/results
: >"$R"
failed=""
if [ -f "$top_builddir/libp2ptui.a" ]; then
	CLIBS=$BENCH_LIBS
	# shellcheck disable=SC2086
	bench_cc bench_crypto -I"$top_srcdir/src" "$top_builddir/libp2ptui.a" \
	    $CLIBS
	"$T/bench_crypto" >>"$R" || failed="$failed crypto"
else
	echo "bench_xfer: no libp2ptui.a: no crypto limit" >&2
fi

echo "bench_xfer: $MIB MiB of random bytes, sync" >&2
head -c $((MIB * 1024 * 1024)) /dev/urandom >"$T/src" || exit 1
sync
mkdir "$T/full" || exit 1
# shellcheck disable=SC2086
"$T/bench_xfer" $OPTS "$P2PTUI" "$T/full" "$T/src" full >>"$R" ||
    failed="$failed full"
rm -f "$T/src"
if [ -x "$T/bench_crypto" ]; then
	"$T/bench_crypto" >>"$R" || failed="$failed crypto"
fi
if [ "$BIG" != 0 ]; then
	echo "bench_xfer: a $BIG MiB sparse file" >&2
	mkdir "$T/once" || exit 1
	if truncate -s "${BIG}M" "$T/big"; then
		"$T/bench_xfer" "$P2PTUI" "$T/once" "$T/big" once >>"$R" ||
		    failed="$failed big"
	fi
	rm -f "$T/big"
fi

# --- report ----------------------------------------------------------------
# rss_row LABEL KEY: a peak RSS row against the 32 MiB target.
rss_row() {
	row "$1" "$(or "$(get "$2")")" "" "" "< 32768 KiB" \
	    "$(verdict "$(calc 'print (a < 32768)' "$(get "$2")")")"
}
chat_row() {
	row "$1" "$(or "$(get "xfer_chat_busy_$2")")" \
	    "$(or "$(get "xfer_chat_idle_$2")")" \
	    "$(calc 'printf "%+.2f", a - b' "$(get "xfer_chat_busy_$2")" \
	    "$(get "xfer_chat_idle_$2")")" "$3" "$4"
}
p2p=$(get xfer_p2p_mb_per_s)
raw=$(get xfer_raw_mb_per_s)
crypto=$(sed -n 's/^RESULT xfer_crypto_mb_per_s //p' "$R" | sort -n | tail -n 1)
mb=$(get xfer_mb)
rounds=$(get xfer_rounds)

printf '\np2ptui file transfer benchmarks\n'
printf '  %s MiB file of random bytes, loopback, %s under %s\n' "$MIB" \
    "$(or "$(stat -f -c %T "$T" 2>/dev/null)")" "${TMPDIR:-/tmp}"
echo
row "" "p2ptui" "raw TCP" "p2p vs raw" "target" ""
row "1  MB/s, accept to saved (median)" "$(or "$p2p")" "$(or "$raw")" \
    "$(calc 'printf "%.2f", a / b' "$p2p" "$raw")" ">= 300 MB/s" \
    "$(verdict "$(calc 'print (a >= 300)' "$p2p")")"
row "   hashing before the offer, s" "$(or "$(get xfer_hash_s)")" "" "" \
    "" ""
row "   one core's AEAD + BLAKE2b, MB/s" "$(or "$crypto")" "" \
    "$(calc 'printf "%.2f", a / b' "$p2p" "$crypto")" ">= 0.85" \
    "$(verdict "$(calc 'print (a / b >= 0.85)' "$p2p" "$crypto")")"
rss_row "2  peak RSS (VmHWM), sender KiB" xfer_end_hwm_kb_a
rss_row "   peak RSS (VmHWM), receiver KiB" xfer_end_hwm_kb_b
if [ "$BIG" != 0 ]; then
	rss_row "   $BIG MiB sparse, sender KiB" xfer_once_hwm_kb_a
	rss_row "   $BIG MiB sparse, receiver KiB" xfer_once_hwm_kb_b
fi
echo
row "" "transfer" "no transfer" "difference" "target" ""
chat_row "3  chat from the sender, p50 ms" a_p50_ms "" ""
chat_row "   chat from the sender, p99 ms" a_p99_ms "< 50 ms" \
    "$(verdict "$(calc 'print (a < 50)' "$(get xfer_chat_busy_a_p99_ms)")")"
chat_row "   chat from the sender, max ms" a_max_ms "" ""
chat_row "   chat from the receiver, p50 ms" b_p50_ms "" ""
chat_row "   chat from the receiver, p99 ms" b_p99_ms "< 50 ms" \
    "$(verdict "$(calc 'print (a < 50)' "$(get xfer_chat_busy_b_p99_ms)")")"
chat_row "   chat from the receiver, max ms" b_max_ms "" ""

printf '\nDetails\n'
printf '  1   %s MB x %s rounds, %s s at the median; min/max %s/%s MB/s,' \
    "$(or "$mb")" "$(or "$rounds")" "$(or "$(get xfer_p2p_secs)")" \
    "$(or "$(get xfer_p2p_min_mb_per_s)")" \
    "$(or "$(get xfer_p2p_max_mb_per_s)")"
printf '\n      raw %s/%s; warm-up round %s MB/s (raw %s);\n' \
    "$(or "$(get xfer_raw_min_mb_per_s)")" \
    "$(or "$(get xfer_raw_max_mb_per_s)")" \
    "$(or "$(get xfer_warm_p2p_mb_per_s)")" \
    "$(or "$(get xfer_warm_raw_mb_per_s)")"
printf '      hashing %s MB/s (warm-up %s s); CPU while the data flows:\n' \
    "$(or "$(get xfer_hash_mb_per_s)")" "$(or "$(get xfer_warm_hash_s)")"
printf '      sender %s, receiver %s of a core\n' \
    "$(calc 'printf "%d%%", a * 100' "$(get xfer_cpu_share_a)")" \
    "$(calc 'printf "%d%%", a * 100' "$(get xfer_cpu_share_b)")"
printf '  2   idle once online: VmRSS %s / %s KiB, VmHWM %s / %s KiB\n' \
    "$(or "$(get xfer_idle_rss_kb_a)")" "$(or "$(get xfer_idle_rss_kb_b)")" \
    "$(or "$(get xfer_idle_hwm_kb_a)")" "$(or "$(get xfer_idle_hwm_kb_b)")"
printf '      (sender / receiver); peaks after all %s transfers' \
    "$(calc 'print a + 1 + 2' "$rounds")"
if [ "$BIG" != 0 ]; then
	printf ';\n      %s MiB sparse: %s MB/s, hashing %s s\n' "$BIG" \
	    "$(or "$(get xfer_once_mb_per_s)")" \
	    "$(or "$(get xfer_once_hash_s)")"
else
	echo
fi
printf '  3   a "/msg" every 20 ms from writing it to "delivered" (both'
printf ' nodes store it,\n      fsync); %s / %s probes during one' \
    "$(or "$(get xfer_chat_busy_a_n)")" "$(or "$(get xfer_chat_busy_b_n)")"
printf ' transfer each (%s / %s MB/s),\n      %s / %s without\n' \
    "$(or "$(get xfer_chat_busy_a_mb_per_s)")" \
    "$(or "$(get xfer_chat_busy_b_mb_per_s)")" \
    "$(or "$(get xfer_chat_idle_a_n)")" "$(or "$(get xfer_chat_idle_b_n)")"

if [ -n "$failed" ]; then
	echo "bench_xfer: failed:$failed" >&2
	exit 1
fi
exit 0
