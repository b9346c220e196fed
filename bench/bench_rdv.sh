#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The rendezvous server's benchmark (bench_rdv.c): presence to 1,000
# mutual subscribers, relay throughput against direct loopback TCP and
# the server's CPU per relayed MiB, 10,000 idle clients (memory per
# client, idle CPU). About half a minute. Not part of 'make bench' (it
# needs 10,000 descriptors on each side); run it from the build tree:
#
#   sh bench/bench_rdv.sh [NIDLE [NSUBS [MIB]]]
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
: "${top_builddir:=$top_srcdir}"
: "${CC:=cc}"
# shellcheck source=bench/lib.sh
. "$top_srcdir/bench/lib.sh"
LIBS=$BENCH_LIBS
out=$(mktemp "${TMPDIR:-/tmp}/bench_rdv.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT
# shellcheck disable=SC2086
$CC -std=c11 -O2 -D_GNU_SOURCE -I"$top_srcdir/src" -I"$top_builddir" \
    -o "$out" "$top_srcdir/bench/bench_rdv.c" "$top_builddir/libp2ptui.a" \
    $LIBS || exit 1
"$out" "$top_builddir/p2ptui-rendezvous" "$@"
