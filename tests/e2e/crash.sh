#!/bin/bash
# kill -9 at many points: the sender right after messages are stored,
# the receiver between storing and acknowledging. After each restart no
# message is lost and none is shown twice; everything ends delivered.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
ROUNDS=${P2PTUI_CRASH_ROUNDS:-20}
PER=${P2PTUI_CRASH_PER:-150}

node_fix_addr alice
node_start alice
node_start bob
introduce alice bob
: >"$T/bob.all"
: >"$T/alice.all"

# keep NAME: save a node's output before a restart truncates it.
keep() {
	cat "$T/$1.out" >>"$T/$1.all"
}

total=0
for round in $(seq 1 "$ROUNDS"); do
	# The counts are of this burst: the output since the last restart
	# also holds the one before.
	got=$(count bob "^msg $a_name m ")
	stored=$(count alice "^sent ")
	seq $((total + 1)) $((total + PER)) | sed "s|^|/msg $b_name m |" >&"$fd_alice"
	total=$((total + PER))
	if [ $((round % 2)) = 1 ]; then
		# The receiver dies after a random number of messages.
		wait_for bob "^msg $a_name m " $((got + RANDOM % PER + 1))
		node_kill bob KILL
		keep bob
		node_start bob
	else
		# The sender dies right after storing some of its burst; the
		# rest of its input is lost with it.
		wait_for alice "^sent " $((stored + RANDOM % PER + 1))
		node_kill alice KILL
		keep alice
		node_start alice
	fi
done
# One last message that no crash interrupts: once it is shown, so is
# everything alice stored before it.
total=$((total + 1))
node_cmd alice "/msg $b_name m $total"
TIMEOUT=60 wait_for bob "^msg $a_name m $total$"
keep bob
keep alice
# Every message alice stored was shown by bob exactly once, in order.
grep -h "^sent " "$T/alice.all" | wc -l >"$T/nsent"
grep "^msg $a_name m " "$T/bob.all" | sed 's/.* //' >"$T/got"
sort -n "$T/got" | uniq -d | head -3 >"$T/dups"
[ -s "$T/dups" ] && fail "shown twice: $(cat "$T/dups")"
sort -n -c "$T/got" 2>/dev/null || fail "out of order: $(sort -n -c "$T/got" 2>&1)"
# Alice's restarts may have lost keystrokes that were never stored (no
# "sent"), but nothing she stored is missing at bob's.
nsent=$(cat "$T/nsent")
[ "$(wc -l <"$T/got")" -ge "$nsent" ] || fail "alice stored $nsent, bob shows $(wc -l <"$T/got")"
node_cmd alice "/history $b_name 10000"
deadline=$(($(now_ms) + TIMEOUT * 1000))
until [ "$(grep -c "^info $b_name out delivered " "$T/alice.out")" -ge "$(wc -l <"$T/got")" ]; do
	[ "$(now_ms)" -lt "$deadline" ] || fail "not all delivered: $(grep -c "out pending" "$T/alice.out") pending"
	sleep 0.2
	node_cmd alice "/history $b_name 10000"
done
echo "crash: ok ($(wc -l <"$T/got") messages, $ROUNDS crashes)"
