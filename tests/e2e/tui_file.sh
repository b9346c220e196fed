#!/bin/bash
# File transfer in the terminal UI: an offer shows in the conversation
# with how to answer it, a bare /accept in that conversation takes it, a
# progress strip above the input line moves while the data flows and
# goes away when the file is saved, and /transfers lists it.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/lib_file.sh"

pinned_homes ui bob
node_start bob
b_addr=$(node_addr bob)
cat >>"$T/ui/.p2ptui.conf" <<CONF
timestamps = false;
peers = ( { name = "bob"; key = "$(cat "$T/bob.fp")"; address = "$b_addr"; } );
CONF
tmux_start ui 100 24 "cd $T && HOME=$T/ui TERM=screen LC_ALL=C.UTF-8 $P2PTUI"
wait_screen ui '^ 1 . bob '
wait_for bob '^online ui '
keys ui M-1

# 1 GiB: seconds on the wire, so the strip is seen moving.
randfile "$T/big.bin" $((1024 * 1024 * 1024))
node_cmd bob "/send ui $T/big.bin"
wait_screen ui 'bob offers big\.bin \(1\.0 GiB\): /accept #1 saves it in'
keys ui -l "/accept"
keys ui Enter
wait_screen ui 'receiving big\.bin \(1\.0 GiB\) from bob \(#1\)'
# The strip: number, arrow, name, a bar and a percentage below 100.
wait_screen ui '^#1 ↓ big\.bin +.*[^0-9]([1-9]|[1-9][0-9])%'
wait_screen ui 'saved big\.bin \(1\.0 GiB, verified\) as'
wait_screen ui "^ +│ +$T/ui/Downloads/big\\.bin"
cmp "$T/big.bin" "$T/ui/Downloads/big.bin" || fail "big.bin arrived different"
# Nothing unfinished: the strip is gone.
screen ui | grep -q '^#1 ' && fail "the strip stays after the transfer: $(screen ui)"
keys ui -l "/transfers"
keys ui Enter
wait_screen ui '#1 in bob big\.bin: 100% \(1\.0 GiB of 1\.0 GiB\), done'
keys ui C-c
wait_screen ui '^\[exit 0\]'
echo "tui_file: ok"
