#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# p2ptui-rendezvous with protocol-level clients (tests/tools/rdvclient):
# names (register, duplicate refused, rename, release, case), presence
# between mutual contacts only, a stranger's CONNECT gives no address
# until the target answers, candidates between contacts, the public
# directory, a relay carrying bytes unchanged (and refused to a
# stranger, or over max_relays), relay_rate holding bytes back, floods
# refused with a reason, garbage closing only its
# own session, and names surviving a restart with clients back.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/lib_rdv.sh"

rdv_start 'directory = true;' 'lookup_rate = 8;' 'register_rate = 100;' \
    'accept_rate = 100;' 'max_relays = 1;' 'relay_rate = 2048;'
# Fixed keys, so the clients are the same users after the restart.
rc_start alice -k "$(printf 'a1%.0s' $(seq 32))"
rc_start bob -k "$(printf 'b2%.0s' $(seq 32))"
rc_start carol

# Names: first come; one per key; lower case only on the wire.
node_cmd alice "register alice"
wait_for alice '^name alice$'
node_cmd bob "register alice"
wait_for bob '^refused 0x60 1$'
node_cmd bob "register bob"
wait_for bob '^name bob$'
node_cmd bob "register bobby"
wait_for bob '^refused 0x60 2$'
node_cmd carol "rename carol"
wait_for carol '^refused 0x60 3$'
node_cmd carol "register carol"
wait_for carol '^name carol$'
node_cmd carol "rename carla"
wait_for carol '^name carla$'
node_cmd carol "lookup carol"
wait_for carol '^found carol none$'
node_cmd carol "release"
wait_for carol '^name -$'
node_cmd carol "lookup alice"
wait_for carol "^found alice $key_alice\$"

# Presence only between mutual contacts: carol subscribes alice, who
# does not subscribe carol.
node_cmd carol "subscribe $key_alice"
node_cmd alice "subscribe $key_bob"
node_cmd bob "subscribe $key_alice"
wait_for alice "^presence $key_bob online bob\$"
wait_for bob "^presence $key_alice online alice\$"
node_cmd carol "who"
wait_for carol '^directory 2 alice bob$'
grep -q "^presence" "$T/carol.out" && fail "carol learned presence"
grep -q "^presence $key_carol" "$T/alice.out" && fail "alice heard of carol"

# A stranger's CONNECT reaches the target as a request, with no address
# for the stranger; the target's CONNECT back introduces them.
node_cmd alice "addrs 7070 10.9.8.7:7070"
node_cmd carol "addrs 0"
node_cmd carol "connect $key_alice"
wait_for alice "^request $key_carol -\$"
node_cmd carol "relay $key_alice"
wait_for carol '^refused 0x6c 9$'
grep -q '^candidates' "$T/carol.out" && fail "a stranger got candidates"
node_cmd alice "connect $key_carol"
wait_for carol "^candidates $key_alice 100 2:127.0.0.1:7070 1:10.9.8.7:7070 3:127.0.0.1:[0-9]+\$"
wait_for alice "^candidates $key_carol 100 3:127.0.0.1:[0-9]+\$"

# Contacts: introduced at once; then a relay, bytes unchanged.
node_cmd bob "addrs 0"
node_cmd bob "connect $key_alice"
wait_for alice "^candidates $key_bob "
wait_for bob "^candidates $key_alice "
node_cmd bob "relay $key_alice"
wait_for bob "^token $key_alice [0-9a-f]{64} 1\$"
wait_for alice "^token $key_bob [0-9a-f]{64} 0\$"
node_cmd bob "relay $key_alice" # pending: ignored
node_cmd alice "splice $(field alice '^token ' 3)"
node_cmd alice "rsend before-the-other-half"
node_cmd bob "splice $(field bob '^token ' 3)"
node_cmd bob "rsend from-bob-ÄÖ-\\x00"
wait_for bob '^rrecv before-the-other-half$'
wait_for alice '^rrecv from-bob-ÄÖ-\\x00$'
node_cmd alice "rsend from-alice"
wait_for bob '^rrecv from-alice$'
[ "$(grep -c '^token' "$T/bob.out")" = 1 ] || fail "a second relay"
# relay_rate: 6 KiB at 2 KiB/s (a second's worth at once) take 2 s.
big=$(head -c 6144 /dev/zero | tr '\0' x)
start=$(now_ms)
node_cmd alice "rsend $big"
wait_for bob "^rrecv $big\$"
took=$(($(now_ms) - start))
[ "$took" -ge 1500 ] || fail "6 KiB through a 2 KiB/s relay in $took ms"
# max_relays: carol and alice were introduced, but one relay runs.
node_cmd carol "relay $key_alice"
wait_for carol '^refused 0x6c 8$'
# A token works once.
node_cmd carol "splice $(field alice '^token ' 3)"
wait_for carol '^rclosed$'

# Floods: over lookup_rate (per key and per address: all of these come
# from 127.0.0.1) a refusal, and the session stays.
for i in 1 2 3 4 5 6 7 8; do node_cmd carol "lookup nobody$i"; done
wait_for carol '^found nobody1 none$'
wait_for carol '^refused 0x62 4$' 3
node_cmd carol "who"
wait_for carol '^refused 0x66 4$'
# Garbage closes that session only; a bad message too.
rc_start mallory
node_cmd mallory "garbage 300"
wait_for mallory '^closed$'
rc_start oscar
node_cmd oscar "garbage 0"
wait_for oscar '^closed$'
rc_start trudy
node_cmd trudy "raw 6f"
wait_for trudy '^closed$'
node_cmd alice "rsend still-here"
wait_for bob '^rrecv still-here$'
node_cmd bob "register bobby"
wait_for bob '^refused 0x60 2$' 2

# A restart: the sessions end, names stay, presence comes back.
rdv_restart
wait_for alice '^closed$'
wait_for bob '^closed$'
rc_start alice2 -k "$(printf 'a1%.0s' $(seq 32))"
rc_start bob2 -k "$(printf 'b2%.0s' $(seq 32))"
wait_for alice2 '^name alice$'
wait_for bob2 '^name bob$'
node_cmd alice2 "subscribe $key_bob"
node_cmd bob2 "subscribe $key_alice"
wait_for alice2 "^presence $key_bob online bob\$"
node_kill bob2
wait_for alice2 "^presence $key_bob offline bob\$"
echo "rdv_server: ok"
