#!/bin/bash
# A configured peer with auto_accept = true has its files accepted and
# saved without /accept, in the download_dir of the configuration; others
# still ask. A download_dir without room for a file refuses /accept with
# the reason and the offer stays open; with room again, /accept works
# (that part needs root for a small tmpfs, and is skipped otherwise).
. "${top_srcdir:-.}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/lib_file.sh"

# Alice and bob know each other's keys; alice listens on a fixed port.
key_homes alice bob carol
node_fix_addr alice a_addr
printf 'peers = ( { name = "bob"; key = "%s"; } );\n' "$(cat "$T/bob.fp")" \
    >>"$T/alice/.p2ptui.conf"
cat >>"$T/bob/.p2ptui.conf" <<CONF
download_dir = "~/inbox";
peers = ( { name = "alice"; key = "$(cat "$T/alice.fp")";
            address = "$a_addr"; auto_accept = true; } );
CONF
start_pinned
dl="$T/bob/inbox"
src="$T/src"
mkdir -p "$src"

randfile "$src/auto.bin" $((2 * 262144 + 7))
offer "$src/auto.bin" active
wait_for bob "^saved alice $in $dl/auto.bin$"
cmp "$src/auto.bin" "$dl/auto.bin" || fail "auto.bin arrived different"
wait_state alice out "$on" done
[ "$(count bob '^file .* offered ')" = 0 ] || fail "bob was asked"
[ ! -e "$T/bob/Downloads" ] || fail "the default download_dir was used"

# Carol has no auto_accept for alice: she is asked.
node_start carol
introduce alice carol # b_name and a_name are now carol's
offer "$src/auto.bin" offered carol
node_cmd carol "/accept #$in"
wait_for carol "^saved $a_name $in $T/carol/Downloads/auto.bin$"
cmp "$src/auto.bin" "$T/carol/Downloads/auto.bin" || fail "auto.bin arrived different at carol"

# --- a full download_dir ------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
	echo "file_auto: ok (full disk part skipped: needs root for a tmpfs)"
	exit 0
fi
mnt="$T/small"
mkdir -p "$mnt"
if ! mount -t tmpfs -o size=1m tmpfs "$mnt" 2>/dev/null; then
	echo "file_auto: ok (full disk part skipped: cannot mount a tmpfs)"
	exit 0
fi
trap 'umount -l "$mnt" 2>/dev/null; cleanup' EXIT
node_kill carol
echo "download_dir = \"$mnt/dl\";" >>"$T/carol/.p2ptui.conf"
node_start carol
wait_for carol "^online $a_name "
randfile "$src/big.bin" $((3 * 1024 * 1024))
offer "$src/big.bin" offered carol
node_cmd carol "/accept #$in"
wait_for carol "^error big.bin does not fit in $mnt/dl \([0-9]+ bytes free, 3145728 needed\)$"
[ "$(xfer_lines carol in "$in" | tail -n 1 | cut -d' ' -f5)" = offered ] ||
    fail "after the refusal: $(xfer_lines carol in "$in" | tail -n 1)"
[ "$(xfer_lines alice out "$on" | tail -n 1 | cut -d' ' -f5)" = offered ] ||
    fail "alice after carol's refusal: $(xfer_lines alice out "$on" | tail -n 1)"
[ -z "$(ls -A "$mnt/dl")" ] || fail "left in the full download_dir: $(ls -A "$mnt/dl")"

# Room again: the same offer is accepted and arrives.
mount -o remount,size=16m "$mnt" || fail "cannot grow the tmpfs"
node_cmd carol "/accept #$in"
wait_for carol "^saved $a_name $in $mnt/dl/big.bin$"
cmp "$src/big.bin" "$mnt/dl/big.bin" || fail "big.bin arrived different"
wait_state alice out "$on" done
echo "file_auto: ok"
