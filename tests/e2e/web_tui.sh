#!/bin/bash
# The terminal UI and the web page attached to one p2ptui (the web
# setting beside the TUI): a line typed in one appears in the other;
# the TUI keeps the shown record and /web prints the page's address.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
command -v node >/dev/null || skip "node is not installed (apt-get install nodejs)"

# A free port for the page, so the test knows the URL without reading
# it off the screen.
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});')
tui_with_bob 170 30 \
    "web = { listen = \"127.0.0.1:$port\"; root = \"$top_srcdir/contrib/web\"; };"
wait_screen ui "web front end at http://127.0.0.1:$port/#token="
token=$(cat "$T/alice/.local/share/p2ptui/web-token")
T="$T" WEB_PORT="$port" WEB_TOKEN="$token" TMUX_SOCKET="$TMUX_SOCKET" \
    node "$top_srcdir/tests/web/tui.js" || fail "tests/web/tui.js failed"
keys ui -l "/web"
keys ui Enter
wait_screen ui "web front end: http://127.0.0.1:$port/#token=${token:0:20}"
# The TUI quits cleanly with the page attached (a leak would abort it
# in a sanitizer build).
keys ui -l "/quit"
keys ui Enter
wait_screen ui '^\[exit 0\]'
