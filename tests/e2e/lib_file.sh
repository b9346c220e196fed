# SPDX-License-Identifier: GPL-3.0-or-later
# Helpers for the file transfer tests, on top of lib.sh:
#
#   randfile PATH SIZE          # SIZE bytes that never repeat
#   n=$(last_num bob in)        # the newest transfer number bob reported
#   wait_new bob in "$n"        # wait for a newer one: sets new
#   wait_state bob in "$n" done # wait for its "file" event in that state
#   wait_progress bob in "$n" MIN  # until MIN <= bytes < size, mid-transfer
#   fbytes bob in "$n"          # bytes of its last "file" event
#   offer PATH                  # alice offers PATH to bob: sets on, in
#
#   key_homes alice bob ...     # their homes, each key in $T/NAME.fp
#   start_pinned                # alice and bob, configured with each
#                               # other's keys, start and meet
#
# A "file" event is: file PEER NUM DIR STATE BYTES SIZE NAME.

# start_pinned: start alice and bob, whose configurations name each
# other "alice" and "bob", and wait until they are online.
start_pinned() {
	node_start alice
	node_start bob
	wait_for alice '^online bob '
	wait_for bob '^online alice '
	a_name=alice
	b_name=bob
}

# key_homes NAME...: a home for each, and its key in $T/NAME.fp, for
# configurations that pin each other's keys.
key_homes() {
	local n
	for n in "$@"; do
		node_home "$n" >/dev/null
		HOME="$T/$n" "$P2PTUI" --fingerprint >"$T/$n.fp" 2>/dev/null ||
		    fail "no fingerprint for $n"
	done
}

# randfile PATH SIZE: SIZE bytes of AES-CTR keystream under a random key
# (fast, and no 256 KiB leaf equals another), or of /dev/urandom.
randfile() {
	local key
	if command -v openssl >/dev/null; then
		key=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
		openssl enc -aes-128-ctr -nosalt -K "$key" -iv 0 </dev/zero \
		    2>/dev/null | head -c "$2" >"$1"
	else
		head -c "$2" /dev/urandom >"$1"
	fi
	[ "$(stat -c %s "$1")" = "$2" ] || fail "cannot make $2 bytes in $1"
}

# xfer_lines NODE DIR [NUM]: NODE's file events in direction DIR (of NUM).
xfer_lines() {
	grep -E -- "^file [^ ]+ ${3:-[0-9]+} $2 " "$T/$1.out" 2>/dev/null
}

# last_num NODE DIR: the highest transfer number in NODE's file events of
# that direction, 0 if none. Numbers are never reused, so a new transfer
# has a higher one.
last_num() {
	xfer_lines "$1" "$2" | cut -d' ' -f3 | sort -n | tail -n 1 | grep . ||
	    echo 0
}

# _dump NODE...: their output, before a failure.
_dump() {
	local n
	for n in "$@"; do
		echo "--- $n stdout ---" >&2
		tail -n 40 "$T/$n.out" >&2
		echo "--- $n stderr ---" >&2
		tail -n 20 "$T/$n.err" >&2 2>/dev/null
	done
}

# wait_new NODE DIR OLD: wait for a transfer of that direction numbered
# above OLD; sets new to its number.
wait_new() {
	local deadline
	deadline=$(($(now_ms) + TIMEOUT * 1000))
	while new=$(last_num "$1" "$2"); [ "$new" -le "$3" ]; do
		[ "$(now_ms)" -lt "$deadline" ] ||
		    { _dump "$1"; fail "$1: no new $2 transfer after #$3"; }
		sleep 0.02
	done
}

# wait_state NODE DIR NUM STATE: wait for a file event of NUM in STATE.
wait_state() {
	wait_for "$1" "^file [^ ]+ $3 $2 $4 "
}

# fbytes NODE DIR NUM: the bytes of the last file event of NUM.
fbytes() {
	xfer_lines "$1" "$2" "$3" | tail -n 1 | cut -d' ' -f6
}

# wait_progress NODE DIR NUM MIN: wait for an active event of NUM with
# MIN <= bytes < size: the transfer is under way and not finished. Fails
# at once if it ends first (the machine is faster than the file is
# large: make the file larger).
wait_progress() {
	local deadline
	deadline=$(($(now_ms) + TIMEOUT * 1000))
	until xfer_lines "$1" "$2" "$3" |
	    awk -v min="$4" '$5 == "active" && $6 + 0 >= min + 0 &&
	        $6 + 0 < $7 + 0 { f = 1 } END { exit !f }'; do
		if xfer_lines "$1" "$2" "$3" | grep -qE ' (done|cancelled|failed) '; then
			_dump "$1"
			fail "$1: #$3 ended before it showed $4 bytes in progress"
		fi
		[ "$(now_ms)" -lt "$deadline" ] ||
		    { _dump "$1"; fail "$1: #$3 never showed $4 bytes in progress"; }
		sleep 0.02
	done
}

# no_part DIR: no .part file is left in DIR.
no_part() {
	local parts
	parts=$(find "$1" -name '*.part' 2>/dev/null)
	[ -z "$parts" ] || fail "left behind: $parts"
}

# offer PATH [STATE [TO]]: alice offers PATH to TO (bob), named $b_name
# at alice and calling her $a_name (as introduce left them), and TO's
# first report of it is STATE (offered; active if it accepts files from
# alice without asking): sets on and in (the transfer's number at alice
# and at TO), size and name.
offer() {
	local o i to=${3:-bob} TIMEOUT=$TIMEOUT
	size=$(stat -c %s "$1")
	# Alice hashes the whole file before the offer leaves: allow for a
	# loaded machine hashing at 50 MB/s (this one does 700).
	TIMEOUT=$((TIMEOUT + size / 50000000))
	name=${1##*/}
	o=$(last_num alice out)
	i=$(last_num "$to" in)
	node_cmd alice "/send $b_name $1"
	wait_new alice out "$o"
	on=$new
	wait_new "$to" in "$i"
	in=$new
	wait_for "$to" "^file $a_name $in in ${2:-offered} 0 $size "
	[ "$(xfer_lines "$to" in "$in" | head -n 1 | cut -d' ' -f5-)" = "${2:-offered} 0 $size $name" ] ||
	    fail "$to's first report of $name: $(xfer_lines "$to" in "$in" | head -n 1)"
}
