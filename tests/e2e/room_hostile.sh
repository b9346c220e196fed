#!/bin/bash
# A hostile member (tests/tools/roomcheat) joins with the password and
# sends a valid message, a forged copy, a replay, a second event for the
# same sequence number and 5,000 orphans: the message shows once, the
# forgery is refused, the author is flagged, the orphans are bounded
# (and said once), the session stays, and the room goes on for the
# others.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
TOOL="$top_builddir/tests/tools/roomcheat"
[ -x "$TOOL" ] || fail "no $TOOL (make check builds it)"

node_start alice
node_start bob
addr=$(node_addr alice)
node_cmd alice "/room create h pw"
wait_for alice '^joined #h '
node_cmd bob "/join $addr h pw"
wait_for bob '^joined #h '
wait_for bob '^member #h add bob$'

"$TOOL" "$addr" h pw >"$T/mallory.out" 2>"$T/mallory.err" ||
    fail "roomcheat: $(cat "$T/mallory.err")"
grep -q '^alive$' "$T/mallory.out" || fail "roomcheat did not finish"

wait_for alice '^rmsg #h mallory honest hello$'
wait_for bob '^rmsg #h mallory honest hello$'
wait_for alice '^warn #h: refused an event from .*signature'
wait_for alice '^warn #h: mallory wrote two different events with one sequence number'
wait_for alice '^warn #h: 4096 events from .* wait for events nobody sent'
[ "$(count alice '^warn #h: [0-9]+ events from')" = 1 ] ||
    fail "the full pending set was said more than once"
node_cmd alice "/room members"
wait_for alice '^info mallory .* EQUIVOCATED$'

# The room goes on.
node_cmd bob "/msg #h still here"
wait_for alice '^rmsg #h bob still here$'
node_cmd alice "/msg #h me too"
wait_for bob '^rmsg #h alice me too$'
for n in alice bob; do
	[ "$(count $n '^rmsg #h mallory ')" = 1 ] ||
	    fail "$n showed mallory's events $(count $n '^rmsg #h mallory ') times"
done
exit 0
