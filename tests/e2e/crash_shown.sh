#!/bin/bash
# kill -9 of a receiver that has stored messages but not printed them
# yet: they are printed after the restart (their resend is a duplicate,
# acknowledged but not shown again), so across restarts every message is
# printed exactly once, and no line is cut in half. First with bob stuck
# writing to a full pipe nobody reads (so the kill certainly lands
# between storing and printing), then killed at random points of bursts.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
ROUNDS=${P2PTUI_CRASH_ROUNDS:-6}
PER=${P2PTUI_CRASH_PER:-500}
STUCK=300 # long messages: well over a pipe and a stdio buffer

node_fix_addr alice
node_start alice
node_start bob
introduce alice bob
: >"$T/bob.all"

# keep NAME: save a node's output before a restart truncates it.
keep() {
	cat "$T/$1.out" >>"$T/$1.all"
}

# 1. Stuck on a full pipe after storing: kill -9 there.
node_kill bob
keep bob
: >"$T/bob.out"
node_start_piped bob
pad=$(printf '%0900d' 0)
seq 1 $STUCK | sed "s|^|/msg $b_name m |; s|\$| $pad|" >&"$fd_alice"
wait_blocked bob
node_kill_piped bob
got=$(count bob "^msg $a_name m ")
[ "$got" -lt $STUCK ] || fail "bob printed everything before it blocked"
keep bob
node_start bob

# 2. Bursts, and a kill -9 somewhere in each while messages pour in.
for round in $(seq 1 "$ROUNDS"); do
	got=$(count bob "^msg $a_name m ")
	seq $((STUCK + (round - 1) * PER + 1)) $((STUCK + round * PER)) |
	    sed "s|^|/msg $b_name m |" >&"$fd_alice"
	wait_for bob "^msg $a_name m " $((got + RANDOM % (PER / 2) + 1))
	node_kill bob KILL
	keep bob
	node_start bob
done

# One more that no crash interrupts: once it is printed, bob has stored
# all before it.
N=$((STUCK + ROUNDS * PER + 1))
node_cmd alice "/msg $b_name m $N"
TIMEOUT=60 wait_for bob "^msg $a_name m $N$"
keep bob
grep -vE '^(ready|online|offline|info|warn|error|sent|delivered|msg [^ ]+ m [0-9]+( 0+)?$)' \
    "$T/bob.all" | head -3 >"$T/odd"
[ -s "$T/odd" ] && fail "a line cut or garbled: $(cut -c1-60 "$T/odd")"
grep "^msg $a_name m " "$T/bob.all" | cut -d' ' -f4 | sort >"$T/got"
uniq -d "$T/got" | head -3 >"$T/dups"
[ -s "$T/dups" ] && fail "printed twice: $(tr '\n' ' ' <"$T/dups")"
seq 1 "$N" | sort | comm -23 - "$T/got" >"$T/missing"
[ -s "$T/missing" ] &&
    fail "$(wc -l <"$T/missing") never printed, e.g. $(sort -n "$T/missing" | head -n 1)"
echo "crash_shown: ok ($N messages, $((ROUNDS + 1)) kills)"
