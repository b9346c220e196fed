#!/bin/bash
# The seeder leaves halfway. File one: bob has all of it, carol starts
# after alice left and finishes from bob alone. File two: bob and carol
# both have part of it when alice leaves, not every leaf between them:
# they trade what they have, then wait (state "waiting", no source);
# alice comes back and both finish, byte for byte. bob is also stopped
# and started again while waiting: his download resumes from its .part.
# /files says what the members online hold of a file being downloaded.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

head -c $((2 * 1024 * 1024)) /dev/urandom >"$T/one.bin"
head -c $((6 * 1024 * 1024)) /dev/urandom >"$T/two.bin"
node_fix_addr alice
node_fix_addr bob
echo "upload_rate = 1000000;" >>"$T/alice/.p2ptui.conf"
node_start alice
node_start bob
node_start carol
addr=$(node_addr alice)
node_cmd alice "/room create sw pw"
wait_for alice '^joined #sw '
node_cmd bob "/join $addr sw pw"
wait_for bob '^joined #sw '
node_cmd carol "/join $addr sw pw"
wait_for carol '^joined #sw '
wait_for bob '^member #sw add carol$'
node_cmd alice "/share $T/one.bin"
wait_for alice '^info shared one.bin in #sw$'
node_cmd alice "/share $T/two.bin"
wait_for alice '^info shared two.bin in #sw$'
for n in bob carol; do
	node_cmd $n "/files"
	wait_for $n '^info #2 two.bin '
done

# One: bob downloads it whole, alice leaves, carol gets it from bob.
node_cmd bob "/download one.bin"
wait_for bob '^saved swarm 1 '
node_kill alice
node_cmd carol "/download one.bin"
wait_for carol '^saved swarm 1 '
cmp "$T/one.bin" "$T/carol/Downloads/one.bin" || fail "one.bin differs"

# Two: both start, alice leaves once each has some of it.
node_start alice
node_cmd bob "/download two.bin"
node_cmd carol "/download two.bin"
wait_for bob '^file swarm 2 in active [1-9][0-9]* '
wait_for carol '^file swarm 2 in active [1-9][0-9]* '
wb=$(count bob '^file swarm 2 in waiting ')
wc=$(count carol '^file swarm 2 in waiting ')
node_kill alice
wait_for bob '^file swarm 2 in waiting ' $((wb + 1))
wait_for carol '^file swarm 2 in waiting ' $((wc + 1))
[ "$(count bob '^saved swarm 2 ')$(count carol '^saved swarm 2 ')" = 00 ] ||
    fail "two.bin completed without alice"
# What carol knows while she waits: bob has part of it (once his HAVEs,
# sent each second, are in), alice is gone.
want='^info #2 two\.bin \(6\.0 MiB\) in #sw from alice; bob [0-9]+%; you have [0-9]+%$'
deadline=$(($(now_ms) + TIMEOUT * 1000))
until node_cmd carol "/files #sw" && sleep 0.3 && grep -Eq "$want" "$T/carol.out"; do
	[ "$(now_ms)" -lt "$deadline" ] ||
	    fail "carol's /files: $(grep '^info #2 ' "$T/carol.out" | tail -n 1)"
done
# bob restarts while waiting: the .part and its record are kept.
node_kill bob
held=$(stat -c %s "$T/bob/.local/share/p2ptui/swarm/"*.have | head -n 1)
node_start bob # its output starts afresh
wait_for bob '^file swarm 2 in [a-z]* [1-9][0-9]* '
node_start alice
wait_for bob '^saved swarm 2 '
wait_for carol '^saved swarm 2 '
cmp "$T/two.bin" "$T/bob/Downloads/two.bin" || fail "bob's two.bin differs"
cmp "$T/two.bin" "$T/carol/Downloads/two.bin" || fail "carol's two.bin differs"
[ -n "$held" ] || fail "bob kept no record of his leaves"
