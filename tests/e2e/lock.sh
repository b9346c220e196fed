#!/bin/bash
# One instance per data directory; a lock left by a killed process does
# not block the next start.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_start alice
wait_for alice '^ready '
if HOME="$T/alice" "$P2PTUI" --headless </dev/null >"$T/second.out" 2>"$T/second.err"; then
	fail "a second instance started"
fi
grep -qE "another p2ptui \(pid [0-9]+\) is already using this data directory" "$T/second.err" ||
    fail "second instance: $(cat "$T/second.err")"

node_kill alice KILL
node_start alice
wait_for alice '^ready '
echo "lock: ok"
