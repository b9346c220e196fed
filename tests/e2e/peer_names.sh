#!/bin/bash
# /rename gives a peer a local name, used everywhere and kept across
# restarts (refused for a peer named in the configuration); /nick changes
# our nick at run time, and online peers see it at once.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_home alice >/dev/null
echo 'peers = ( { name = "carol"; address = "127.0.0.1:9"; autoconnect = false; } );' \
    >>"$T/alice/.p2ptui.conf"
node_fix_addr bob
node_start alice
node_start bob
introduce alice bob

node_cmd alice "/rename $b_name bobby"
wait_for alice "^info $b_name is now named bobby$"
node_cmd alice "/msg bobby hi"
wait_for bob "^msg $a_name hi$"
node_cmd bob "/msg $a_name back"
wait_for alice "^msg bobby back$"
node_cmd alice "/peers"
wait_for alice "^info bobby online \(direct\) [a-z2-7]{55} 127\.0\.0\.1:[0-9]+ bob$"
node_cmd alice "/rename bobby no/slash"
wait_for alice "^error a name is 1 to 32 letters, digits, '\.', '_' or '-'$"
node_cmd alice "/rename bobby carol"
wait_for alice "^error the name carol is taken$"
node_cmd alice "/rename carol caroline"
wait_for alice "^error carol is named in .*/\.p2ptui\.conf:[0-9]+: rename it there"

# /nick: sanitised, bounded, sent to the online peer. A NICK does not
# rewrite the peers file (a peer could send thousands, each an fsync):
# the HELLO of the next connection brings the nick, and that saves it.
peers_file="$T/alice/.local/share/p2ptui/peers"
inode=$(stat -c %i "$peers_file")
node_cmd bob "/nick  Bobby Tables  "
wait_for bob "^info you are now known as Bobby Tables \(told 1 online peer;"
wait_for alice "^info bobby is now known as Bobby Tables$"
[ "$(stat -c %i "$peers_file")" = "$inode" ] ||
    fail "a NICK rewrote the peers file: $(cat "$peers_file")"
node_cmd alice "/peers"
wait_for alice "^info bobby online \(direct\) [a-z2-7]{55} 127\.0\.0\.1:[0-9]+ Bobby Tables$"
node_cmd bob "/nick 012345678901234567890123456789012"
wait_for bob "^error a nick is 1 to 32 bytes \(this one has 33\)$"
node_cmd bob "/nick"
wait_for bob "^info you are Bobby Tables: /nick NAME changes it$"

# Both restart: the name stays; bob's new nick arrives in his HELLO.
node_kill bob
node_kill alice
node_start bob
node_start alice
wait_for alice "^online bobby "
node_cmd alice "/peers"
wait_for alice "^info bobby online \(direct\) [a-z2-7]{55} 127\.0\.0\.1:[0-9]+ bob$"
node_cmd alice "/msg bobby still you"
wait_for bob "^msg $a_name still you$"
echo "peer_names: ok"
