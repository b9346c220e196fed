#!/bin/bash
# A flip in progress when the connection goes ends as abandoned on both
# sides, never as a result: the peer vanishes (killed while it could not
# answer), or we disconnect ourselves. Flips on a new connection work.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

ID='[0-9a-f]{32}'
node_start alice
node_start bob
introduce alice bob

# Bob stops reading: alice's flip waits for his response.
eval "bob_pid=\$pid_bob"
kill -STOP "$bob_pid"
node_cmd alice "/roll $b_name 2d6"
node_cmd alice "/flip $b_name"
wait_for alice "^flip $b_name $ID local pending coin$"
kill -KILL "$bob_pid"
wait_for alice "^flip $b_name $ID local abandoned 2d6 disconnected$"
wait_for alice "^flip $b_name $ID local abandoned coin disconnected$"
wait_for alice "^offline $b_name "
[ "$(count alice ' done ')" = 0 ] || fail "a flip resolved"
node_cmd alice "/flip $b_name"
wait_for alice "^error $b_name is offline"
node_cmd alice "/flips"
wait_for alice "^info #[0-9a-f]{8} roll of 2d6 with $b_name \(you started\): abandoned: the connection closed$"

# Bob again (same identity): he dials alice, and this time alice is the
# one that cannot answer; bob disconnects with his own flip in progress.
node_start bob
wait_for alice "^online $b_name " 2
wait_for bob "^online $a_name " 1
eval "alice_pid=\$pid_alice"
kill -STOP "$alice_pid"
node_cmd bob "/pick $a_name stay | go"
wait_for bob "^flip $a_name $ID local pending pick:2$"
node_cmd bob "/disconnect $a_name"
wait_for bob "^flip $a_name $ID local abandoned pick:2 disconnected$"
kill -CONT "$alice_pid"
# Alice answers the commit she received, and then sees the bye: hers
# ends abandoned too (she never got the reveal).
wait_for alice "^flip $b_name $ID remote abandoned pick:2 disconnected$"
wait_for alice "^offline $b_name " 2
[ "$(count alice ' done ')$(count bob ' done ')" = 00 ] || fail "a flip resolved"

# A new connection: flips work again.
node_cmd bob "/connect $(node_addr alice)"
wait_for bob "^online $a_name " 2
wait_for alice "^online $b_name " 3
node_cmd bob "/flip $a_name"
wait_for bob "^flip $a_name $ID local done coin (heads|tails)$"
wait_for alice "^flip $b_name $ID remote done coin (heads|tails)$"
echo "flip_disconnect: ok"
