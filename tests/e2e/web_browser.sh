#!/bin/bash
# The web page in a real browser: Debian's chromium, headless, driven by
# playwright-core (tests/web/package-lock.json, 'npm ci' in tests/web).
# alice runs p2ptui --web; bob is pinned, carol a stranger. Chat both
# ways, a contact request, a flip with its proof, a file each way, two
# tabs, a reconnection after p2ptui restarts; screenshots in tests/e2e/
# beside this test's log.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
command -v node >/dev/null || skip "node is not installed (apt-get install nodejs)"
CHROMIUM=${CHROMIUM:-}
for c in /usr/lib/chromium/chromium /usr/bin/chromium; do
	[ -n "$CHROMIUM" ] || [ ! -x "$c" ] || CHROMIUM=$c
done
[ -n "$CHROMIUM" ] || skip "chromium is not installed (apt-get install chromium)"
[ -d "$top_srcdir/tests/web/node_modules/playwright-core" ] ||
    skip "playwright-core is missing: run 'npm ci' in tests/web"

# A fixed port for the page: it must find p2ptui again after a restart.
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});')
pinned_homes alice bob
# bob serves room files slowly enough for the page to show one coming.
echo "upload_rate = 262144;" >>"$T/bob/.p2ptui.conf"
node_start bob
node_start carol
{
	printf 'peers = ( { name = "bob"; key = "%s"; address = "%s"; } );\n' \
	    "$(cat "$T/bob.fp")" "$(node_addr bob)"
	printf 'web = { listen = "127.0.0.1:%s"; root = "%s"; };\n' \
	    "$port" "$top_srcdir/contrib/web"
} >>"$T/alice/.p2ptui.conf"
web_start alice
wait_for bob '^online alice '
shots="$top_builddir/tests/e2e"
mkdir -p "$shots"
T="$T" WEB_URL="$web_url" ALICE_ADDR="$(node_addr alice)" SHOTS="$shots" \
    CHROMIUM="$CHROMIUM" HOME="$T/chromium-home" ALICE_PID="$pid_alice" \
    P2PTUI="$P2PTUI" \
    node "$top_srcdir/tests/web/browser.js" || fail "tests/web/browser.js failed"
# The first alice, stopped by the test to restart it, exited cleanly.
node_wait_exit alice
[ "$node_status" = 0 ] || { cat "$T/alice.err" >&2; fail "alice exited $node_status"; }
