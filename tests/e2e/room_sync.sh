#!/bin/bash
# The headline test of rooms: 5 members, 3 of them send 200 messages
# each while eve is offline; then everyone but bob stops and eve comes
# back: she gets all 600 from bob alone, each exactly once, every
# author's messages in order; then the others restart too, and
# /history #big is the same on all five.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

N=200
members="alice bob carol dave eve"
for n in $members; do
	node_fix_addr $n
done
for n in $members; do
	node_start $n
done
addr=$(node_addr alice)
node_cmd alice "/room create big pw"
wait_for alice '^joined #big '
for n in bob carol dave eve; do
	node_cmd $n "/join $addr big pw"
	wait_for $n '^joined #big '
done
for n in $members; do
	for w in bob carol dave eve; do
		wait_for $n "^member #big add $w\$"
	done
done
# Everyone meets everyone: 4 sessions each (bob's eve included).
for n in $members; do
	wait_for $n '^online ' 4
done
node_kill eve

start=$(now_ms)
for s in alice bob carol; do
	for i in $(seq 1 $N); do
		echo "/msg #big $s $i"
	done >"$T/$s.cmds"
	cat "$T/$s.cmds" >&"$(eval echo \$fd_$s)"
done
for n in alice bob carol dave; do
	wait_for $n '^rmsg #big ' $((3 * N))
done
echo "600 messages to 4 members: $(($(now_ms) - start)) ms" >&2
# Exactly once, and each author's messages in order.
check_seq() {
	for s in alice bob carol; do
		grep -E "^rmsg #big $s $s [0-9]+\$" "$T/$1.out" |
		    cut -d' ' -f5 >"$T/$1.$s.seq"
		seq 1 $N | cmp -s - "$T/$1.$s.seq" ||
		    fail "$1: $s's messages are not 1..$N once each in order"
	done
}
for n in alice bob carol dave; do
	check_seq $n
done

for n in alice carol dave; do
	node_kill $n
done
start=$(now_ms)
node_start eve
wait_for eve '^rmsg #big ' $((3 * N))
echo "eve caught up from bob alone: $(($(now_ms) - start)) ms" >&2
[ "$(count eve '^online ')" = 1 ] || fail "eve met more than bob"
check_seq eve

for n in alice carol dave; do
	node_start $n
done
# After the restarts, the history is there, the same everywhere.
for n in $members; do
	node_cmd $n "/history #big 1000"
	wait_for $n '^info #big ' $((3 * N))
	grep '^info #big ' "$T/$n.out" >"$T/$n.hist"
done
for n in bob carol dave eve; do
	cmp -s "$T/alice.hist" "$T/$n.hist" ||
	    fail "/history #big differs between alice and $n"
done
exit 0
