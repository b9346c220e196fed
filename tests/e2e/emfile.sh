#!/bin/bash
# Issue 14: with the descriptor limit reached, accept() fails and the
# listener stays readable. The node must not spin: it stops watching the
# listener for a moment, warns once, and accepts again once descriptors
# are free.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
command -v prlimit >/dev/null || skip "no prlimit"

node_start alice
node_start bob
a_addr=$(node_addr alice)
node_addr bob >/dev/null
port=${a_addr##*:}

# cpu_ms NAME: the node's user and system CPU time so far.
cpu_ms() {
	local pid
	eval "pid=\$pid_$1"
	awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' \
	    "/proc/$pid/stat"
}

# Room for two more descriptors: the third connection finds none.
open=$(ls "/proc/$pid_alice/fd" | wc -l)
prlimit --pid "$pid_alice" --nofile=$((open + 2)):$((open + 2)) ||
    skip "cannot set the descriptor limit"
held=""
for i in 1 2 3 4 5 6; do
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" || fail "cannot connect"
	held="$held $fd"
done
wait_for alice '^warn cannot accept connections: Too many open files'
cpu=$(cpu_ms alice)
end=$(($(now_ms) + 2000))
while [ "$(now_ms)" -lt "$end" ]; do sleep 0.1; done # measuring 2 s
cpu=$(($(cpu_ms alice) - cpu))
echo "alice used $cpu ms of CPU in 2 s out of descriptors"
[ "$cpu" -lt 500 ] || fail "alice spins: $cpu ms of CPU in 2 s"
for fd in $held; do
	exec {fd}>&-
done
# Descriptors come back (alice drops the silent connections after 2 s):
# a peer gets in again, and the warning was given once.
introduce alice bob
[ "$(count alice '^warn cannot accept')" = 1 ] || fail "warned more than once"
echo "emfile: ok"
