#!/bin/bash
# The web front end without a browser: alice runs p2ptui --web, bob is
# headless, pinned both ways; tests/web/ws.js drives alice's page over
# raw HTTP and WebSocket (Host, Origin and token checks, chat both ways,
# two pages in step, history, commands, upload and download).
. "${top_srcdir:-.}/tests/e2e/lib.sh"
command -v node >/dev/null || skip "node is not installed (apt-get install nodejs)"

pinned_homes alice bob
node_start bob
{
	printf 'peers = ( { name = "bob"; key = "%s"; address = "%s"; } );\n' \
	    "$(cat "$T/bob.fp")" "$(node_addr bob)"
	printf 'web = { listen = "127.0.0.1:0"; upload_max = 1; root = "%s"; };\n' \
	    "$top_srcdir/contrib/web"
} >>"$T/alice/.p2ptui.conf"
web_start alice
wait_for bob '^online alice '
T="$T" WEB_URL="$web_url" node "$top_srcdir/tests/web/ws.js" ||
    fail "tests/web/ws.js failed"
# The token file: made once, private.
[ "$(stat -c %a "$T/alice/.local/share/p2ptui/web-token")" = 600 ] ||
    fail "web-token is not mode 0600"
web_stop alice

# The token is made once: the next start prints the same.
tok="$T/alice/.local/share/p2ptui/web-token"
first=${web_url##*token=}
[ "$(cat "$tok")" = "$first" ] || fail "web-token does not hold the URL's token"
web_start alice
[ "${web_url##*token=}" = "$first" ] || fail "a restart made a new token"
web_stop alice
# A damaged token file is refused, not replaced or half used.
for bad in short "$(printf '%s' "$first" | tr 0-9a-f g)" "${first}00"; do
	printf '%s\n' "$bad" >"$tok"
	if HOME="$T/alice" "$P2PTUI" --web </dev/null >"$T/bad.out" 2>"$T/bad.err"; then
		fail "started with a web-token of '$bad'"
	fi
	grep -q 'web-token: not a token (64 hex digits)' "$T/bad.err" ||
	    fail "no reason for a bad web-token: $(cat "$T/bad.err")"
done
# No page where root says: refused at start, not a page of errors later.
printf '%s\n' "$first" >"$tok"
sed 's|root = "[^"]*"|root = "/nonexistent"|' "$T/alice/.p2ptui.conf" >"$T/noroot.conf"
if HOME="$T/alice" "$P2PTUI" -c "$T/noroot.conf" --web </dev/null >"$T/bad.out" 2>"$T/bad.err"; then
	fail "started without its page"
fi
grep -q 'web: no page at /nonexistent/index.html' "$T/bad.err" ||
    fail "no reason for a missing page: $(cat "$T/bad.err")"
