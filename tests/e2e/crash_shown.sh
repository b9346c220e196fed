#!/bin/bash
# kill -9 of a receiver that has stored messages but not printed them
# yet: they are printed after the restart (their resend is a duplicate,
# acknowledged but not shown again), so across restarts every message is
# printed exactly once, and no line is cut in half. First with bob stuck
# writing to a full pipe nobody reads (so the kill certainly lands
# between storing and printing), then killed at random points of bursts.
#
# The one exception is the window headless.c documents: a write of at
# most PIPE_BUF bytes, then the record of what it showed. A kill between
# the two shows that write's messages again, first thing after the
# restart. So a message may be printed twice only if it is among the
# last PIPE_BUF bytes before a kill and the first after the restart.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
ROUNDS=${P2PTUI_CRASH_ROUNDS:-6}
PER=${P2PTUI_CRASH_PER:-500}
STUCK=300 # long messages: well over a pipe and a stdio buffer

node_fix_addr alice
node_start alice
node_start bob
introduce alice bob
: >"$T/bob.all"
runs=0

# keep NAME: save a node's output before a restart truncates it, whole
# and as run number $runs.
keep() {
	cat "$T/$1.out" >>"$T/$1.all"
	runs=$((runs + 1))
	cp "$T/$1.out" "$T/$1.out.run$runs"
}
# msgs_within FILE BYTES [tail]: the message numbers of a run's first (or
# last) msg lines that fit in BYTES of output.
msgs_within() {
	local f=$1 n=$2 sel=${3:-head}
	grep "^msg $a_name m " "$T/bob.out.run$f" |
	    if [ "$sel" = tail ]; then tac; else cat; fi |
	    awk -v n="$n" '{ t += length($0) + 1; if (t > n) exit; print $4 }'
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
# Twice at most, and only across a kill, in the window described above.
: >"$T/window"
for k in $(seq 1 $((runs - 1))); do
	msgs_within "$k" 4096 tail | sort >"$T/last"
	msgs_within $((k + 1)) 4096 | sort >"$T/first"
	comm -12 "$T/last" "$T/first" >>"$T/window"
done
uniq -c "$T/got" | awk '$1 > 2 { print $2 }' | head -3 >"$T/dups"
[ -s "$T/dups" ] && fail "printed three times or more: $(tr '\n' ' ' <"$T/dups")"
uniq -d "$T/got" | sort | comm -23 - <(sort -u "$T/window") | head -3 >"$T/dups"
[ -s "$T/dups" ] && fail "printed twice: $(tr '\n' ' ' <"$T/dups")"
twice=$(uniq -d "$T/got" | wc -l)
seq 1 "$N" | sort | comm -23 - "$T/got" >"$T/missing"
[ -s "$T/missing" ] &&
    fail "$(wc -l <"$T/missing") never printed, e.g. $(sort -n "$T/missing" | head -n 1)"
echo "crash_shown: ok ($N messages, $((ROUNDS + 1)) kills, $twice shown again after a kill between a write and its record)"
