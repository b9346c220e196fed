#!/bin/bash
# An idle node sleeps: alone, and with a peer online and nothing said,
# it wakes only for what it must do (a keepalive per peer, set here to
# 60 s), so over 6 s it wakes at most twice. A timer that ticks every
# second whatever happens (as the room files' tick did, 1 wakeup/s on
# every node) fails this. Wakeups are counted as bench/bench_session.c
# "idle" counts them: context switches in /proc/PID/status, as a process
# asleep in epoll_wait is switched in once per wakeup.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
SECS=6
MAX=2

# switches NAME: the node's context switches so far.
switches() {
	local pid
	eval "pid=\$pid_$1"
	awk '/^(non)?voluntary_ctxt_switches/ { s += $2 } END { print s }' \
	    "/proc/$pid/status"
}
# idle NAME...: wait SECS; fail if one of them woke more than MAX times.
idle() {
	local n before=() i=0 woke
	for n in "$@"; do
		before[i++]=$(switches "$n")
	done
	sleep $SECS
	i=0
	for n in "$@"; do
		woke=$(($(switches "$n") - before[i++]))
		[ "$woke" -le $MAX ] ||
		    fail "$n woke $woke times in $SECS s of idleness (at most $MAX)"
		echo "$n: $woke wakeups in $SECS s"
	done
}

for n in alice bob; do
	sed -i "s/^keepalive = .*/keepalive = 60;/" "$(node_home $n)/.p2ptui.conf"
done
node_start alice
wait_for alice '^ready '
idle alice

node_start bob
introduce alice bob
# Let the handshake's and the HELLO's last frames settle.
sleep 1
idle alice bob
echo "idle_wakeups: ok"
