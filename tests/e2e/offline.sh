#!/bin/bash
# Offline delivery: 10,000 messages typed to an offline peer are stored,
# survive a restart of the sender, and reach the peer exactly once, in
# order, when it comes back; each is then marked delivered.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
N=${P2PTUI_OFFLINE_N:-10000}

node_fix_addr alice
node_start alice
node_start bob
introduce alice bob # bob dials alice: bob reconnects by himself
node_kill bob

# Alice types N messages to bob, who is offline.
seq 1 "$N" | sed "s|^|/msg $b_name offline |" >"$T/burst"
cat "$T/burst" >&"$fd_alice"
wait_for alice "^sent $b_name " "$N"
[ "$(count alice '^delivered ')" = 0 ] || fail "delivered to an offline peer"

# The queue survives a restart of the sender.
node_kill alice TERM
node_start alice
wait_for alice '^ready '

# Bob comes back: everything arrives once, in order, and is delivered.
node_start bob
TIMEOUT=60 wait_for bob "^msg $a_name offline $N$"
TIMEOUT=60 wait_for alice "^delivered $b_name " "$N"
grep "^msg $a_name offline " "$T/bob.out" | sed 's/.* //' >"$T/got"
seq 1 "$N" >"$T/want"
cmp -s "$T/got" "$T/want" || fail "bob got $(wc -l <"$T/got") lines, not 1..$N in order: $(diff "$T/want" "$T/got" | head -5)"

# History: both sides see it after a restart, and /search finds it.
node_cmd bob "/history $a_name 2"
wait_for bob "^info $a_name in received [0-9T:-]+ offline $N$"
node_cmd alice "/history $b_name 1"
wait_for alice "^info $b_name out delivered [0-9T:-]+ offline $N$"
node_cmd bob "/search -a offline 9999"
wait_for bob "^info 1 line found in all conversations$"
echo "offline: ok"
