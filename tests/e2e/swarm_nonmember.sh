#!/bin/bash
# A non-member asking for a room file gets nothing (doc/PROTOCOL.md
# 17.1): eve, a contact of alice but in none of her rooms, sends WANT
# and REQUEST for the root alice shared in #sw; no swarm message comes
# back before the PONG of her PING, and her session stays up. bob, a
# member, gets the file.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

head -c 300000 /dev/urandom >"$T/notes.bin"
node_start alice
node_start bob
addr=$(node_addr alice)
node_cmd alice "/room create sw pw"
wait_for alice '^joined #sw '
node_cmd bob "/join $addr sw pw"
wait_for bob '^joined #sw '
node_cmd alice "/share $T/notes.bin"
wait_for alice '^info shared notes.bin in #sw$'
root=$(cut -f2 "$T/alice/.local/share/p2ptui/swarm/list")
[ ${#root} = 64 ] || fail "no root in alice's swarm/list"

client_start eve alice "$top_builddir/tests/tools/swarmpeer" "$addr" "$root"
wait_for eve '^asked$'
client_done eve
[ "$(count eve '^nothing$')" = 1 ] || fail "eve got: $(cat "$T/eve.out")"

node_cmd bob "/download notes.bin"
wait_for bob '^saved swarm 1 '
cmp "$T/notes.bin" "$T/bob/Downloads/notes.bin" || fail "notes.bin differs"
