#!/bin/bash
# The file transfer commands, up to the engine: /send finds its peer and
# its path (spaces, quotes, ~/) and refuses what it cannot send, naming
# it; /accept, /decline and /cancel take #N and say when there is no such
# transfer; /transfers with none; auto_accept is read. Transfers between
# two peers are the engine's tests.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_home bob >/dev/null
HOME="$T/bob" "$P2PTUI" --fingerprint >"$T/bob.fp" 2>/dev/null ||
    fail "no fingerprint for bob"
node_home alice >/dev/null
printf 'peers = ( { name = "bob"; key = "%s"; auto_accept = true; } );\n' \
    "$(cat "$T/bob.fp")" >>"$T/alice/.p2ptui.conf"
node_start alice
wait_for alice '^ready '

n=0
# expect LINE REGEX: LINE gets a reply matching REGEX.
expect() {
	n=$((n + 1))
	node_cmd alice "$1"
	node_cmd alice "/peers"
	wait_for alice '^info bob ' "$n"
	grep -E -- "$2" "$T/alice.out" >/dev/null ||
	    { cat "$T/alice.out" >&2; fail "'$1' did not reply /$2/"; }
}

expect "/transfers" '^info no transfers'
expect "/send" '^error usage: /send \[PEER\] PATH$'
expect "/send /nonexistent" '^error cannot send /nonexistent: there is no such file$'
expect "/send bob /nonexistent/x" '^error cannot send /nonexistent/x: there is no such file$'
expect "/send carol /nonexistent" '^error cannot send carol /nonexistent: there is no such file$'
expect "/send bob $T" "^error cannot send $T: it is a directory"
expect "/send bob /dev/null" '^error cannot send /dev/null: it is not a regular file$'
expect "/send bob ~/nothing here" "^error cannot send $T/alice/nothing here: there is no such file$"
expect "/send bob '/no such'  " "^error cannot send /no such: there is no such file$"
if [ "$(id -u)" != 0 ]; then
	: >"$T/secret"
	chmod 000 "$T/secret"
	expect "/send bob $T/secret" "^error cannot send $T/secret: cannot read it: "
fi
# A file that exists but no peer: headless mode has no selected peer.
: >"$T/alice/a file"
expect "/send $T/alice/a file" '^error which peer\? /send PEER PATH'
expect "/accept #1" '^error no transfer #1 \(see /transfers\)$'
expect "/accept #x" "^error '#x' is not a transfer number"
expect "/decline #0" "^error '#0' is not a transfer number"
expect "/decline #2 more" "^error /decline: unexpected 'more'$"
expect "/cancel" '^error usage: /cancel #N'
expect "/cancel 7" '^error no transfer #7 '
expect "/cancel seven" "^error 'seven' is not a transfer number"
expect "/accept bob" '^error bob has no contact request or file offer waiting'
expect "/help send" '^info /send \[PEER\] PATH: offer a file to a peer$'
expect "/help transfers" '^info /transfers: list file transfers'
echo "xfer_commands: ok"
