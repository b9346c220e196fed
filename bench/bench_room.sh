#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Room benchmarks, standalone (bench/run.sh calls it too): builds
# bench/bench_room.c (see its header for what is measured and how) and
# runs it against the build's p2ptui. About two minutes; BENCH_QUICK=1
# for 8 members and 1,000 events only.
#
# Environment: top_builddir (default: the source tree) holds p2ptui; CC
# (cc); KEEP_BENCH_DIR=1 keeps the temporary directory.
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$top_srcdir/bench/lib.sh"
[ -x "$P2PTUI" ] || {
	echo "bench_room: no $P2PTUI: build first (make)" >&2
	exit 1
}
bench_tmpdir bench_room p2ptui-bench-room
bench_cc bench_room "$BENCHLIB"
mkdir "$T/run" || exit 1
"$T/bench_room" "$T/run" "$P2PTUI" ${BENCH_QUICK:+-q} | tee "$T/results"
