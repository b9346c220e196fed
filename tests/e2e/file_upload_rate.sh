#!/bin/bash
# upload_rate caps file uploads: the global setting all uploads together,
# a peer's own upload_rate those to that peer. A capped transfer takes at
# least (size - burst) / rate, where the burst is a quarter of a second's
# worth plus two pieces (the bucket may go one piece below zero), and
# still arrives byte for byte.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/lib_file.sh"

key_homes alice bob carol
node_fix_addr alice a_addr
# Alice: 4 MB/s for all uploads, 1.5 MB/s to bob; carol is a stranger.
cat >>"$T/alice/.p2ptui.conf" <<CONF
upload_rate = 4000000;
peers = ( { name = "bob"; key = "$(cat "$T/bob.fp")"; upload_rate = 1500000; } );
CONF
cat >>"$T/bob/.p2ptui.conf" <<CONF
peers = ( { name = "alice"; key = "$(cat "$T/alice.fp")";
            address = "$a_addr"; } );
CONF
start_pinned

# timed PATH RATE TO: alice sends PATH to TO, which accepts; it arrives
# whole, and not sooner than the cap allows.
timed() {
	local size start ms min
	size=$(stat -c %s "$1")
	offer "$1" offered "$3"
	start=$(now_ms)
	node_cmd "$3" "/accept #$in"
	wait_for "$3" "^file $a_name $in in done $size $size "
	ms=$(($(now_ms) - start))
	cmp "$1" "$T/$3/Downloads/${1##*/}" || fail "${1##*/} arrived different"
	min=$(((size - $2 / 4 - 2 * 65536) * 1000 / $2))
	[ "$ms" -ge "$min" ] ||
	    fail "${1##*/}: $size bytes at $2 B/s in $ms ms, under $min ms"
	echo "${1##*/}: $size bytes capped at $2 B/s in $ms ms (at least $min)"
}

# Bob's own cap (1.5 MB/s) is below the global one.
randfile "$T/to_bob.bin" $((3 * 1024 * 1024))
timed "$T/to_bob.bin" 1500000 bob

# Carol has no cap of her own: the global 4 MB/s holds.
node_start carol
introduce alice carol
randfile "$T/to_carol.bin" $((8 * 1024 * 1024))
timed "$T/to_carol.bin" 4000000 carol
exit 0
