#!/bin/bash
# A test client (tests/tools/flipcheat) that speaks the protocol itself:
# an honest flip agrees with p2ptui's result in both roles; a reveal that
# does not match its commitment is reported as cheating (and the
# connection stays up); a peer that vanishes after the response leaves
# the flip abandoned; an echo of another draw, a reveal for no flip, a
# reused flip id and too many flips in progress are protocol errors.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

CHEAT="$top_builddir/tests/tools/flipcheat"
[ -x "$CHEAT" ] || fail "$CHEAT is not built"
ID='[0-9a-f]{32}'
node_start node
addr=$(node_addr node)
n=0

# cheat MODE: run the client in the background, accept its request
# (client_start); its output is cheat$n, and name its name at the node.
cheat() {
	n=$((n + 1))
	client_start "cheat$n" node "$CHEAT" "$addr" "$1"
	name=$client_peer
}
# cheat_done: the client exits 0 (its deadlines are 10 s).
cheat_done() {
	client_done "cheat$n"
}

# Honest, as the initiator: the node computes the same roll.
cheat honest
wait_for cheat$n '^pong$'
cheat_done
res=$(field cheat$n '^result ' 2-)
wait_for node "^flip $name $ID remote done 2d6 $res$"

# Honest, as the responder to the node's own roll.
cheat respond
node_cmd node "/roll $name 3d20"
wait_for cheat$n '^result '
cheat_done
res=$(field cheat$n '^result ' 2-)
wait_for node "^flip $name $ID local done 3d20 $res$"

# A reveal that does not match: cheating, reported; no result.
cheat badreveal
wait_for cheat$n '^pong$'
cheat_done
id=$(field cheat$n '^commit ' 2)
wait_for node "^flip $name $id remote cheated 2d6$"
[ "$(count node "^flip $name $id .* done")" = 0 ] || fail "a cheated flip resolved"
node_cmd node "/flips #$id"
wait_for node "^info flip $id: roll of 2d6 with $name \($name started\): CHEATING: $name's reveal does not match its commitment; no result$"
wait_for node '^info a: [0-9a-f]{64}$'

# Gone after the response, never revealing: abandoned.
cheat vanish
cheat_done
id=$(field cheat$n '^commit ' 2)
wait_for node "^flip $name $id remote abandoned coin disconnected$"

# Protocol errors: the node closes the connection and says why.
cheat badecho
node_cmd node "/roll $name 2d6"
wait_for cheat$n '^closed$'
cheat_done
wait_for node "flip response for another draw"
wait_for node "^flip $name $ID local abandoned 2d6 disconnected$"
for mode in unknown duplicate flood; do
	cheat $mode
	wait_for cheat$n '^closed$'
	cheat_done
done
wait_for node 'unexpected flip reveal'
wait_for node 'flip id used twice'
wait_for node 'too many flips in progress'
[ "$(count cheat$n '^commit ')" = 129 ] || fail "flood: not 129 commits"
echo "flip_cheat: ok"
