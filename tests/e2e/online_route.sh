#!/bin/bash
# The headless "online" event ends with the session's route (issue 17):
# "direct" for a connection either side dialled, on both sides.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_start alice
node_start bob
introduce alice bob
wait_for alice "^online $b_name [a-z2-7]{55} [^ ]+ direct\$"
wait_for bob "^online $a_name [a-z2-7]{55} [^ ]+ direct\$"
echo "online_route: ok"
