#!/bin/bash
# A golden screen: the terminal UI at 80x24 with timestamps off, showing
# every kind of peer (online, offline, contact request), unread counts, a
# conversation with wrapped and wide text, the status bar and the input
# line, compared row by row with the screen below.
#
# What differs between runs is masked before comparing, and nothing
# else: fingerprints (the short form in the title, the status bar and the
# contact request's name), port numbers, and the status bar's latest
# notice (it holds a fingerprint and an address, cut at the edge).
. "${top_srcdir:-.}/tests/e2e/lib.sh"
export LC_ALL=C.UTF-8

for n in alice bob carol dave; do
	node_home $n >/dev/null
	HOME="$T/$n" "$P2PTUI" --fingerprint >"$T/$n.fp" 2>/dev/null ||
	    fail "no fingerprint for $n"
done
printf 'peers = ( { name = "alice"; key = "%s"; } );\n' \
    "$(cat "$T/alice.fp")" >>"$T/bob/.p2ptui.conf"
node_start bob
node_start dave
cat >>"$T/alice/.p2ptui.conf" <<CONF
timestamps = false;
peers = (
  { name = "bob"; key = "$(cat "$T/bob.fp")"; address = "$(node_addr bob)"; },
  { name = "carol"; key = "$(cat "$T/carol.fp")"; }
);
CONF
tmux_start ui 80 24 "cd $T && HOME=$T/alice TERM=screen $P2PTUI"
wait_for bob '^online alice '
wait_screen ui 'Listening on 127'
alice_addr=$(screen ui | sed -n 's/.*Listening on \(127\.0\.0\.1:[0-9]*\)\..*/\1/p' | head -n 1)
[ -n "$alice_addr" ] || fail "no address on screen"

node_cmd bob "/msg alice hello alice"
wait_screen ui '^ 1 \+ bob +\(1\)│'
keys ui M-1
wait_screen ui '│<bob> hello alice$'
keys ui -l "hi bob: 漢字 and émoji 😀 are two columns wide"
keys ui Enter
wait_for bob '^msg alice hi bob'
node_cmd bob "/msg alice a longer message, to show how lines wrap at spaces and continue under the text rather than under the nick"
wait_screen ui 'under the nick$'
node_cmd dave "/connect $alice_addr"
wait_screen ui '^ 3 \? [a-z2-7]{8} '
node_cmd bob "/msg alice more"
wait_screen ui '│<bob> more$'
keys ui -l "a draft"
wait_screen ui '^> a draft$'

screen ui | sed -E \
    -e 's/key [a-z2-7]{8}/key FINGERPR/' \
    -e 's/alice \([a-z2-7]{8}\)/alice (FINGERPR)/' \
    -e 's/^( 3 \? )[a-z2-7]{8}/\1FINGERPR/' \
    -e 's/127\.0\.0\.1:[0-9]+/127.0.0.1:PORT/g' \
    -e '/^ alice \(/s/( online \| ).*/\1NOTICE/' >"$T/got"
cat >"$T/want" <<'SCREEN'
 0   [system]   (1)│ bob | online | key FINGERPR | 127.0.0.1:PORT (direct)
>1 + bob           │<bob> hello alice
 2 - carol         │<alice> hi bob: 漢字 and émoji 😀 are two columns wide
 3 ? FINGERPR      │<bob> a longer message, to show how lines wrap at spaces and
                   │      continue under the text rather than under the nick
                   │<bob> more
                   │
                   │
                   │
                   │
                   │
                   │
                   │
                   │
                   │
                   │
                   │
                   │
                   │
                   │
                   │
                   │
 alice (FINGERPR) | 127.0.0.1:PORT | 1/3 online | NOTICE
> a draft
SCREEN
diff -u "$T/want" "$T/got" || fail "the screen differs from the golden one"
keys ui C-c
wait_screen ui '^\[exit 0\]'
echo "tui_golden: ok"
