# shellcheck shell=sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Shared by bench/run.sh and bench/bench_xfer.sh, sourced once they have
# set top_srcdir: the build's paths and the compiler flags, a temporary
# directory, building a program of bench/, and the report helpers over
# the "RESULT key value" lines in $R.
#
# Environment: top_builddir (default: the source tree) holds p2ptui; CC
# (cc); KEEP_BENCH_DIR=1 keeps the temporary directory.

: "${top_builddir:=$top_srcdir}"
top_builddir=$(cd "$top_builddir" && pwd) || exit 1
# shellcheck disable=SC2034 # for the scripts that source this
P2PTUI=$top_builddir/p2ptui
CC=${CC:-cc}
BCFLAGS="-std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -Wshadow \
-Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wvla \
-Werror"
# The libraries p2ptui links with, as configure found them (read from the
# build's Makefile; pkg-config's four without one), for the programs of
# bench/ linked against libp2ptui.a: which of its objects they pull in
# decides which libraries they need.
# shellcheck disable=SC2034
BENCH_LIBS="$(pkg-config --cflags --libs libsodium libconfig ncursesw \
sqlite3) $(sed -n 's/^\(NCURSES\|SODIUM\|LIBCONFIG\|SQLITE\|QRENCODE\|MHD\|WSLAY\|PORTMAP\)_LIBS = //p' \
"$top_builddir/Makefile" 2>/dev/null | tr '\n' ' ')"
# What the programs that drive headless nodes compile with.
# shellcheck disable=SC2034
BENCHLIB=$top_srcdir/bench/benchlib.c
# ... and those that also play a p2ptui session's client side.
# shellcheck disable=SC2034
BENCHPEER=$top_srcdir/bench/benchpeer.c

# bench_tmpdir ME NAME: T, a new directory NAME.XXXXXX under TMPDIR,
# removed at exit; with KEEP_BENCH_DIR kept, less the big input files
# (src, big). ME prefixes the messages.
bench_tmpdir() {
	bench_me=$1
	T=$(mktemp -d "${TMPDIR:-/tmp}/$2.XXXXXX") || exit 1
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM HUP
}
# shellcheck disable=SC2317 # called by the trap
bench_cleanup() {
	if [ -n "${KEEP_BENCH_DIR:-}" ]; then
		rm -f "$T/src" "$T/big"
		echo "$bench_me: kept $T" >&2
	else
		rm -rf "$T"
	fi
}

# bench_cc PROG [ARG...]: $T/PROG from bench/PROG.c, the ARGs (more
# sources, flags, libraries) after it.
bench_cc() {
	bench_p=$1
	shift
	# shellcheck disable=SC2086
	$CC $BCFLAGS -o "$T/$bench_p" "$top_srcdir/bench/$bench_p.c" "$@" ||
	    exit 1
}

# --- report ----------------------------------------------------------------
get() {
	sed -n "s/^RESULT $1 //p" "$R" | tail -n 1
}
# calc EXPR VARS...: awk arithmetic on results; "-" if one is missing.
calc() {
	expr=$1
	shift
	for v in "$@"; do
		[ -n "$v" ] || {
			echo "-"
			return
		}
	done
	awk -v a="${1:-0}" -v b="${2:-0}" -v c="${3:-0}" \
	    "BEGIN { $expr }"
}
# verdict OK: "ok" or "MISSED"; "-" if unknown.
verdict() {
	case $1 in
	1) echo "ok" ;;
	0) echo "MISSED" ;;
	*) echo "-" ;;
	esac
}
or() {
	[ -n "$1" ] && echo "$1" || echo "-"
}
row() {
	printf '%-40s %13s %13s %11s  %-14s %s\n' "$@"
}
