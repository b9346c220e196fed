#!/bin/bash
# 50 flips, rolls and picks started at once from each side, interleaved
# with chat: all 100 resolve on both sides, with the same result, none
# mixed with another (each id done once, with its own draw), and the chat
# messages arrive as chat and nothing else does.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_start alice
node_start bob
introduce alice bob

# Each side writes all its commands in one go, before reading anything.
cmds() { # PEER: 50 draws of 5 kinds, with a chat message every tenth
	local i
	for i in $(seq 0 49); do
		case $((i % 5)) in
		0) echo "/flip $1" ;;
		1) echo "/roll $1 $((i % 7 + 1))d$((i + 2))" ;;
		2) echo "/pick $1 red | green | blue $i" ;;
		3) echo "/roll $1" ;;
		4) echo "/pick $1 a$i | b$i" ;;
		esac
		[ $((i % 10)) = 9 ] && echo "/msg $1 chat $i"
	done
}
cmds "$b_name" >"$T/alice.cmds"
cmds "$a_name" >"$T/bob.cmds"
eval "cat \"\$T/alice.cmds\" >&$fd_alice; cat \"\$T/bob.cmds\" >&$fd_bob"

DONE='^flip [^ ]+ [0-9a-f]{32} (local|remote) done '
wait_for alice "$DONE" 100
wait_for bob "$DONE" 100
wait_for alice '^msg ' 5
wait_for bob '^msg ' 5

for n in alice bob; do
	[ "$(count $n ' pending ')" = 100 ] || fail "$n: not 100 pending events"
	[ "$(grep -E "$DONE" "$T/$n.out" | cut -d' ' -f3 | sort -u | wc -l)" = 100 ] ||
	    fail "$n: flip ids are not 100 distinct ones"
	[ "$(count $n ' local done ')" = 50 ] || fail "$n: not 50 of its own"
	[ "$(count $n '^(warn|error|flip .* (abandoned|cheated))')" = 0 ] ||
	    fail "$n: a flip failed"
	# Chat is chat: exactly the five messages, in order.
	[ "$(grep '^msg ' "$T/$n.out" | cut -d' ' -f3- | tr '\n' ' ')" = \
	    "chat 9 chat 19 chat 29 chat 39 chat 49 " ] || fail "$n: chat"
done

# The same result on both sides; each flip kept its own draw: the
# draws each side started are exactly the ones it asked for.
grep -E "$DONE" "$T/alice.out" | awk '{ $2 = ""; sub(/ local /, " L "); sub(/ remote /, " R "); print }' | sort >"$T/a.cmp"
grep -E "$DONE" "$T/bob.out" | awk '{ $2 = ""; sub(/ local /, " R "); sub(/ remote /, " L "); print }' | sort >"$T/b.cmp"
diff "$T/a.cmp" "$T/b.cmp" || fail "the sides disagree"
draws() { # the draws in a command file, as the events name them
	awk '/^\/flip/ { print "coin" } /^\/roll/ { print NF == 3 ? $3 : "1d6" }
	    /^\/pick/ { n = split($0, o, "|"); print "pick:" n }' "$1" | sort
}
[ "$(draws "$T/alice.cmds")" = "$(grep ' local done ' "$T/alice.out" | cut -d' ' -f6 | sort)" ] ||
    fail "alice's draws got mixed"
[ "$(draws "$T/bob.cmds")" = "$(grep ' local done ' "$T/bob.out" | cut -d' ' -f6 | sort)" ] ||
    fail "bob's draws got mixed"
# A pick's index and the option it names agree.
grep -E "$DONE"'pick:' "$T/alice.out" | awk '
	$6 == "pick:2" && !($7 == 1 && $8 ~ /^a[0-9]+$/ || $7 == 2 && $8 ~ /^b[0-9]+$/) { bad = 1 }
	$6 == "pick:3" && !($7 == 1 && $8 == "red" || $7 == 2 && $8 == "green" ||
	    $7 == 3 && $8 == "blue" && $9 ~ /^[0-9]+$/) { bad = 1 }
	END { exit bad }' || fail "a pick named another option than its index"
echo "flip_many: ok"
