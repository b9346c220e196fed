#!/bin/bash
# A peer restarts (cleanly, then killed with -9): the other side notices
# and reconnects by itself, with backoff, to the same key.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_fix_addr alice
node_start alice
node_start bob
introduce alice bob

node_kill alice TERM
wait_for bob "^offline $a_name "
node_start alice
wait_for alice "^online $b_name "
wait_for bob "^online $a_name " 2
node_cmd bob "/msg $a_name after restart"
wait_for alice "^msg $b_name after restart$"

# kill -9: no bye, so bob finds out from the closed socket.
node_kill alice KILL
wait_for bob "^offline $a_name " 2
node_start alice
wait_for bob "^online $a_name " 3
node_cmd alice "/msg $b_name after crash"
wait_for bob "^msg $a_name after crash$"
echo "restart: ok"
