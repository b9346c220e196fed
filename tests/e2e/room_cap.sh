#!/bin/bash
# The room's cap on password joins (30 runs in 10 minutes from all
# joiners together) counts a run only until its CONFIRM checks: 31
# joiners with the right password, one after the other, each taking
# 20 ms before its CONFIRM, are all admitted. (The cap took back the
# run counted at the CONFIRM's millisecond, not the JOIN's, so a good
# join whose round trip crossed a millisecond stayed counted, and in a
# busy room the 31st was refused: "too many failed joins of this
# room".) The joiners are tests/tools/roomcheat -j, fresh keys each.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

TOOL="$top_builddir/tests/tools/roomcheat"
[ -x "$TOOL" ] || fail "no $TOOL (make check builds it)"
N=31
node_start alice
addr=$(node_addr alice)
node_cmd alice "/room create pw s3cret"
wait_for alice '^joined #pw [0-9a-f]{32}$'

for i in $(seq 1 $N); do
	timeout "$TIMEOUT" "$TOOL" -j "$addr" pw s3cret \
	    >"$T/j.out" 2>"$T/j.err" ||
	    fail "join $i: $(cat "$T/j.err") (alice: $(grep 'refused' \
	        "$T/alice.out"))"
	grep -q '^joined$' "$T/j.out" || fail "join $i did not finish"
done
wait_for alice '^member #pw add mallory$' $N
[ "$(count alice 'too many failed joins')" = 0 ] ||
    fail "alice refused a join: $(grep 'refused' "$T/alice.out")"
exit 0
