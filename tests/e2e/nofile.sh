#!/bin/bash
# The soft limit on open files is raised at start to what max_peers
# needs; a lower hard limit is said on stderr, and the node still runs.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

# start_with NAME MAX_PEERS WANT: start NAME with that max_peers and check
# that its soft "Max open files" became WANT.
start_with() {
	local got
	node_home "$1" >/dev/null
	echo "max_peers = $2;" >>"$T/$1/.p2ptui.conf"
	node_start "$1"
	wait_for "$1" '^ready '
	eval "got=\$(awk '/^Max open files/ { print \$4 }' /proc/\$pid_$1/limits)"
	[ "$got" = "$3" ] || fail "$1: soft limit $got, want $3"
}

ulimit -Sn 128 || skip "cannot lower the soft limit"
# 2000 connections + 0 configured peers + 256 in reserve.
start_with alice 2000 2256
! grep -q "open files" "$T/alice.err" || fail "alice said: $(cat "$T/alice.err")"

ulimit -Hn 1000 || skip "cannot lower the hard limit"
start_with bob 5000 1000
grep -q "max_peers = 5000 needs about 5256 open files, but the hard limit is 1000" \
    "$T/bob.err" || fail "bob said: $(cat "$T/bob.err")"
echo "nofile: ok"
