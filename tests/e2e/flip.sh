#!/bin/bash
# Coin flips, dice and picks between two real nodes: command syntax and
# errors; 1,000 flips and rolls started from both sides, on which both
# sides agree and whose outcomes pass a chi-square test; none of it is
# chat text; /flips shows a flip with everything needed to check it, and
# the commitment and the coin are recomputed here with b2sum alone.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_start alice
node_start bob
introduce alice bob
a_fp=$(node_fp alice)

ID='[0-9a-f]{32}'

# --- syntax and errors ---------------------------------------------------
node_cmd alice "/flip"
wait_for alice '^error which peer\?'
node_cmd alice "/roll 2d6"
wait_for alice '^error which peer\?' 2
node_cmd alice "/roll $b_name 0d6"
wait_for alice '^error 0d6: roll 1 to 100 dice of 2 to 1000 sides$'
node_cmd alice "/roll $b_name 2d1001"
wait_for alice '^error 2d1001: roll 1 to 100 dice'
node_cmd alice "/roll $b_name 2d6 extra"
wait_for alice '^error usage: /roll \[PEER\] \[NdM\]$'
node_cmd alice "/roll nobody 2d6"
wait_for alice "^error no peer 'nobody'"
node_cmd alice "/pick $b_name pizza"
wait_for alice '^error usage: /pick \[PEER\] A \| B \| C$'
node_cmd alice "/pick $b_name pizza | | sushi"
wait_for alice '^error an option is empty'
node_cmd alice "/pick pizza | sushi"
wait_for alice '^error which peer\?' 3
node_cmd alice "/flips #zzzz"
wait_for alice '^error no flip #zzzz'
node_cmd alice "/flips"
wait_for alice '^info no flips yet'
[ "$(count alice '^flip ')" = 0 ] || fail "a refused command started a flip"

# One of each, with every form of the peer argument.
node_cmd alice "/flip $b_name"
node_cmd alice "/roll $b_name"
node_cmd bob "/roll $a_fp 3d20"
node_cmd bob "/pick $a_name fried rice | sushi | tacos al pastor"
# Options of several words; the peer named first.
node_cmd bob "/pick $a_name pizza night | sushi"
wait_for alice "^flip $b_name $ID local done coin (heads|tails)$"
wait_for alice "^flip $b_name $ID local done 1d6 [1-6] [1-6]$"
wait_for alice "^flip $b_name $ID remote done 3d20 [0-9]+ [0-9]+,[0-9]+,[0-9]+$"
wait_for alice "^flip $b_name $ID remote done pick:3 [1-3] (fried rice|sushi|tacos al pastor)$"
wait_for alice "^flip $b_name $ID remote done pick:2 [1-2] (pizza night|sushi)$"
wait_for bob "^flip $a_name $ID remote done coin (heads|tails)$"
wait_for bob "^flip $a_name $ID local done pick:2 "
[ "$(count alice "^flip $b_name $ID (local|remote) pending ")" = 5 ] ||
    fail "alice did not report each flip pending once"

# --- 1,000 flips and rolls, from both sides ----------------------------
# Rounds of 50 commands a side (FLIP_MAX_STARTED is 64): 25 coins and 25
# 2d6 rolls each, waiting for all of them before the next round.
DONE='^flip [^ ]+ [0-9a-f]+ [a-z]+ done '
wait_for alice "$DONE" 5
wait_for bob "$DONE" 5
round() {
	local i
	for i in $(seq 25); do
		node_cmd "$1" "/flip $2"
		node_cmd "$1" "/roll $2 2d6"
	done
}
t0=$(now_ms)
for r in $(seq 10); do
	round alice "$b_name"
	round bob "$a_name"
	wait_for alice "$DONE" $((5 + 100 * r))
	wait_for bob "$DONE" $((5 + 100 * r))
done
echo "1000 flips and rolls in $(($(now_ms) - t0)) ms"

# Both sides report the same draw and result for every flip, each once,
# with who started it mirrored.
grep -E "$DONE" "$T/alice.out" | tail -n 1000 >"$T/a.done"
grep -E "$DONE" "$T/bob.out" | tail -n 1000 >"$T/b.done"
awk '{ $2 = ""; sub(/ local /, " L "); sub(/ remote /, " R "); print }' "$T/a.done" | sort >"$T/a.cmp"
awk '{ $2 = ""; sub(/ local /, " R "); sub(/ remote /, " L "); print }' "$T/b.done" | sort >"$T/b.cmp"
[ "$(cut -d' ' -f3 "$T/a.cmp" | sort -u | wc -l)" = 1000 ] || fail "flip ids are not unique"
diff "$T/a.cmp" "$T/b.cmp" >"$T/diff" || { head "$T/diff"; fail "the sides disagree"; }
[ "$(grep -c ' local ' "$T/a.done")" = 500 ] || fail "alice did not start 500"
[ "$(grep -c ' done coin ' "$T/a.done")" = 500 ] || fail "not 500 coins"
[ "$(grep -c ' done 2d6 ' "$T/a.done")" = 500 ] || fail "not 500 rolls"

# Chi-square on the 500 coins (1 degree of freedom) and the 1,000 dice
# (5 degrees of freedom). Each threshold is exceeded by a fair source
# with probability 0.0002 (13.83 and 24.19), so a correct implementation
# fails this test in fewer than 0.05% of runs; a bias of a few percent
# toward one face, or a stuck die, fails it.
awk '
	$6 == "coin" { c[$7]++; nc++ }
	$6 == "2d6" {
		split($8, v, ",")
		if (v[1] + v[2] != $7) bad++
		d[v[1]]++; d[v[2]]++; nd += 2
	}
	END {
		if (bad) { print "sum mismatch"; exit 1 }
		e = nc / 2
		x = (c["heads"] - e)^2 / e + (c["tails"] - e)^2 / e
		printf "coins: heads %d tails %d chi2 %.2f\n", c["heads"], c["tails"], x
		if (x > 13.83) exit 1
		e = nd / 6; y = 0
		for (f = 1; f <= 6; f++) y += (d[f] - e)^2 / e
		printf "dice: %d %d %d %d %d %d chi2 %.2f\n", d[1], d[2], d[3], d[4], d[5], d[6], y
		if (y > 24.19 || nd != 1000) exit 1
	}' "$T/a.done" || fail "the outcomes fail the chi-square test"

# Never chat text, no warnings, no errors after the syntax checks.
[ "$(count alice '^msg ')$(count bob '^msg ')" = 00 ] || fail "a flip appeared as chat text"
[ "$(count bob '^(warn|error) ')" = 0 ] || fail "bob reported a problem"

# --- inspection ---------------------------------------------------------
id=$(grep -E ' local done coin ' "$T/alice.out" | tail -n 1 | cut -d' ' -f3)
coin=$(grep -E " $id local done coin " "$T/alice.out" | cut -d' ' -f7)
node_cmd alice "/flips #${id:0:8}"
node_cmd bob "/flips #$id"
wait_for alice "^info started "
wait_for bob "^info started "
detail() { # NODE KEY: the value on the last detail line "KEY: value"
	awk -v k="info $2: " 'index($0, k) == 1 { v = substr($0, length(k) + 1) }
	    END { print v }' "$T/$1.out"
}
for k in commitment a b "session id"; do
	[ "$(detail alice "$k")" = "$(detail bob "$k")" ] || fail "/flips differs on $k"
done
wait_for alice "^info flip $id: coin flip with $b_name \(you started\): $coin, verified$"
wait_for alice '^info draw: coin, encoded 01$'
ka=$(detail alice 'initiator (A)' | sed 's/.*, key //')
kb=$(detail alice 'responder (B)' | sed 's/.*, key //')
sid=$(detail alice 'session id')
a=$(detail alice a)
b=$(detail alice b)
[ "$(detail alice 'initiator (A)' | cut -d' ' -f1)" = you ] || fail "initiator"
# Recompute from PROTOCOL.md 7.7 with coreutils' BLAKE2b only.
bin() { printf "$(printf '%s' "$1" | sed 's/../\\x&/g')"; }
c=$({ printf 'p2ptui flip commit v1'; bin "$sid$id$ka${kb}01$a"; } | b2sum -l 256 | cut -d' ' -f1)
[ "$c" = "$(detail alice commitment)" ] || fail "commitment $c does not match"
seed=$({ printf 'p2ptui flip result v1'; bin "$sid$id$ka${kb}01$a$b"; } | b2sum -l 512 | cut -d' ' -f1)
block=$({ printf 'p2ptui flip stream v1'; bin "${seed}00000000"; } | b2sum -l 512 | cut -d' ' -f1)
# The first 32-bit word mod 2 (2 divides 2^32: never rejected).
[ $((0x${block:6:2} % 2)) = 0 ] && want=heads || want=tails
[ "$want" = "$coin" ] || fail "recomputed $want, the nodes said $coin"

node_cmd alice "/flips $b_name"
wait_for alice "^info #[0-9a-f]{8} roll of 2d6 with $b_name \((you|$b_name) started\): ([2-9]|1[0-2]) \([1-6] \+ [1-6]\), verified$"
node_cmd alice "/help flips"
wait_for alice '^info /flips \[PEER\|#ID\]: '
echo "flip: ok"
