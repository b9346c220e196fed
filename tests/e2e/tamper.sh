#!/bin/bash
# A man in the middle that replays, forges or truncates one frame of an
# established session: the receiver closes that connection with one
# notice, and the peers reconnect by themselves. Also: a frozen peer is
# detected by keepalives.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
RELAY="$top_builddir/tests/tools/relay"

node_start alice
a_addr=$(node_addr alice)
a_port=${a_addr##*:}

# tamper OPTION: bob reaches alice through a relay that tampers with
# bob's frame N: bob dials, so his frames are 1 handshake message 1,
# 2 message 3, 3 HELLO, 4 the first chat message.
round=0
tamper() {
	round=$((round + 1))
	"$RELAY" "$@" "$a_port" >"$T/relay$round.out" &
	_pids="$_pids $!"
	deadline=$(($(now_ms) + TIMEOUT * 1000))
	until grep -q '^listening ' "$T/relay$round.out"; do
		[ "$(now_ms)" -lt "$deadline" ] || fail "relay did not start"
		sleep 0.02
	done
	rport=$(cut -d' ' -f2 "$T/relay$round.out")
}

# First meeting, through an honest relay.
tamper -r 0
node_start bob
introduce alice bob "127.0.0.1:$rport"
node_cmd bob "/msg $a_name honest"
wait_for alice "^msg $b_name honest$"
node_kill bob

# Replay: bob's first chat frame arrives twice. Alice shows the message
# once and closes the connection on the replayed frame.
tamper -r 4
node_start bob
node_cmd bob "/connect 127.0.0.1:$rport"
wait_for bob "^online $a_name "
node_cmd bob "/msg $a_name replayed"
wait_for alice "^warn 127\.0\.0\.1:[0-9]+: frame failed authentication"
wait_for alice "^offline $b_name "
[ "$(count alice "^msg $b_name replayed$")" = 1 ] || fail "a replayed frame was delivered twice"
node_kill bob

# Forgery: one flipped bit in bob's HELLO.
tamper -f 3
node_start bob
node_cmd bob "/connect 127.0.0.1:$rport"
wait_for alice "^warn .*frame failed authentication" 2
node_kill bob

# Truncation in the middle of handshake message 3.
tamper -t 2
node_start bob
node_cmd bob "/connect 127.0.0.1:$rport"
wait_for alice "^warn .*connection closed in the middle of a frame"
node_kill bob

# Alice still serves an honest bob directly.
node_start bob
node_cmd bob "/connect $a_addr"
wait_for bob "^online $a_name "
node_cmd bob "/msg $a_name still fine"
wait_for alice "^msg $b_name still fine$"

# A frozen peer (SIGSTOP) is dropped after three silent keepalive
# intervals (keepalive = 5 in the test config: 15 to 20 seconds).
kill -STOP "$pid_bob"
TIMEOUT=40 wait_for alice "^warn .*no answer for 15 seconds"
wait_for alice "^offline $b_name " 3
kill -CONT "$pid_bob"
echo "tamper: ok"
