#!/bin/bash
# Issue 12.4: handshakes from rotating source addresses (200 addresses in
# 200 different /24s, a fresh key each time) are held to the global rate
# (handshake_rate_total, 100 per second by default): the node's CPU stays
# low, the repeated notices are folded into a line with a count, while
# one request event per new key remains, and a known peer that
# reconnects during the flood comes online at once.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
HOSTILE="$top_builddir/tests/tools/hostile"
SECS=6

pinned_homes bob alice
node_fix_addr alice a_addr
echo "peers = ( { name = \"alice\"; address = \"$a_addr\"; key = \"$(cat "$T/alice.fp")\"; } );" >>"$T/bob/.p2ptui.conf"
node_start alice
node_start bob
wait_for alice '^online bob '
node_kill bob
wait_for alice '^offline bob '

# cpu_ms NAME: the node's user and system CPU time so far.
cpu_ms() {
	local pid
	eval "pid=\$pid_$1"
	awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' \
	    "/proc/$pid/stat"
}

srcs=$(for i in $(seq 20 219); do echo 127.0.$i.1; done)
lines=$(wc -l <"$T/alice.out")
cpu=$(cpu_ms alice)
"$HOSTILE" "$a_addr" rotate "$SECS" $srcs >"$T/attack.out" 2>"$T/attack.err" &
attack=$!
_pids="$_pids $attack"
wait_for alice '^request ' 5
# bob comes back while the flood goes on; alice knows his address.
start=$(now_ms)
node_start bob
TIMEOUT=5 wait_for alice '^online bob ' 2
echo "bob online after $(($(now_ms) - start)) ms during the flood"
wait "$attack" || fail "hostile failed: $(cat "$T/attack.err")"
cpu=$(($(cpu_ms alice) - cpu))
cat "$T/attack.out"
done=$(field attack '^rotate ' 3)
tail -n +$((lines + 1)) "$T/alice.out" >"$T/during.out"
requests=$(grep -c '^request ' "$T/during.out")
notices=$(grep -cE '^(info|warn) ' "$T/during.out")
echo "alice: ${cpu} ms CPU, $requests request events and $notices notices for $done handshakes"
grep -E '^(info|warn) [0-9]+ more ' "$T/during.out"
# At most the burst and the rate for SECS seconds, with a margin for
# bob and for slow machines, where the flood takes longer to stop.
[ "$done" -le $((100 + 100 * (SECS + 2))) ] || fail "$done handshakes in $SECS s"
[ "$cpu" -lt $((SECS * 1000 / 2)) ] || fail "alice used $cpu ms of CPU in $SECS s"
# One request event per new key; notices folded: 5 shown of each kind
# per 10 s, plus the line with the count.
[ "$requests" -le "$done" ] || fail "$requests request events for $done keys"
[ "$notices" -le 30 ] || fail "$notices notices"
grep -qE '^info [0-9]+ more notices about contact requests in the last 10 seconds' "$T/alice.out" ||
    wait_for alice '^info [0-9]+ more notices about contact requests in the last 10 seconds'
echo "hostile_rotate: ok"
