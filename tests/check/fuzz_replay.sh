#!/bin/sh
# Every fuzz harness replays its seed corpus (and any crash reproducers
# committed there) without libFuzzer.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
status=0
for r in "$top_builddir"/tests/fuzz/replay_*; do
	[ -x "$r" ] || continue
	name=${r##*/replay_}
	"$r" "$top_srcdir/tests/fuzz/corpus/$name" || status=1
done
exit $status
