#!/bin/bash
# history = false keeps no record of a transfer, so an unfinished one can
# never be resumed: its .part is deleted when p2ptui quits, and nothing of
# it is left in the download directory.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/lib_file.sh"

node_home bob >/dev/null
echo 'history = false;' >>"$T/bob/.p2ptui.conf"
node_start alice
node_start bob
introduce alice bob
randfile "$T/one.bin" $((1024 * 1024 * 1024))
offer "$T/one.bin"
node_cmd bob "/accept #$in"
wait_progress bob in "$in" 1
ls "$T/bob/Downloads/"*.part >/dev/null 2>&1 || fail "no .part while receiving"
node_cmd bob "/quit"
node_wait_exit bob
[ "$node_status" = 0 ] || fail "bob exited with $node_status"
left=$(ls -A "$T/bob/Downloads")
[ -z "$left" ] || fail "left in the download directory: $left"
echo "file_nohistory: ok"
