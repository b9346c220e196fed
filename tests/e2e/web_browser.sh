#!/bin/bash
# The web page in a real browser: Debian's chromium, headless, driven by
# playwright-core (tests/web/package-lock.json, 'npm ci' in tests/web).
# alice runs p2ptui --web; bob is pinned, carol a stranger. Chat both
# ways, a contact request, a flip with its proof, a file each way, two
# tabs; screenshots in tests/e2e/ beside this test's log.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
command -v node >/dev/null || skip "node is not installed (apt-get install nodejs)"
CHROMIUM=${CHROMIUM:-}
for c in /usr/lib/chromium/chromium /usr/bin/chromium; do
	[ -n "$CHROMIUM" ] || [ ! -x "$c" ] || CHROMIUM=$c
done
[ -n "$CHROMIUM" ] || skip "chromium is not installed (apt-get install chromium)"
[ -d "$top_srcdir/tests/web/node_modules/playwright-core" ] ||
    skip "playwright-core is missing: run 'npm ci' in tests/web"

pinned_homes alice bob
node_start bob
node_start carol
{
	printf 'peers = ( { name = "bob"; key = "%s"; address = "%s"; } );\n' \
	    "$(cat "$T/bob.fp")" "$(node_addr bob)"
	printf 'web = { listen = "127.0.0.1:0"; root = "%s"; };\n' \
	    "$top_srcdir/contrib/web"
} >>"$T/alice/.p2ptui.conf"
web_start alice
wait_for bob '^online alice '
shots="$top_builddir/tests/e2e"
mkdir -p "$shots"
T="$T" WEB_URL="$web_url" ALICE_ADDR="$(node_addr alice)" SHOTS="$shots" \
    CHROMIUM="$CHROMIUM" HOME="$T/chromium-home" \
    node "$top_srcdir/tests/web/browser.js" || fail "tests/web/browser.js failed"
web_stop alice
