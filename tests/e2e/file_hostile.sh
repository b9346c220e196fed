#!/bin/bash
# A peer that does not play by the rules of files (tests/tools/filepeer).
# Names that try to leave download_dir, hide, clear the screen or break
# lines land inside it under safe names, and nothing is created anywhere
# else. A damaged leaf is asked for again and the file still arrives
# intact; a peer whose data never verifies (or that lies about the size)
# has its transfer stopped as bad data. A piece out of order, a request
# beyond the end and too many requests close the connection with a
# warning, and the node goes on working. A forged leaf is never written.
. "${top_srcdir:-.}/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/lib_file.sh"

FP="$top_builddir/tests/tools/filepeer"
[ -x "$FP" ] || fail "$FP is not built"
node_start friend
node_start node
introduce friend node # the node dials: its only contact requests are filepeers'
friend=$a_name # the friend at the node
node_at_friend=$b_name
addr=$(node_addr node)
dl="$T/node/Downloads"
src="$T/src"
w="$T/work" # the test's own scratch files
mkdir -p "$src" "$w"
n=0

# fp MODE ARGS...: run filepeer in the background and accept its contact
# request (client_start); sets c (its output: $T/$c.out) and peer (its
# name at the node).
fp() {
	n=$((n + 1))
	c=fp$n
	old_in=$(last_num node in)
	client_start "$c" node "$FP" "$addr" "$@"
	peer=$client_peer
}
# fp_done: filepeer exits 0: its mode ran to the end it expects.
fp_done() {
	client_done "$c"
}
# accept: the node accepts the filepeer's offer; sets in.
accept() {
	wait_new node in "$old_in"
	in=$new
	wait_state node in "$in" offered
	node_cmd node "/accept #$in"
}
# still_works: the node still chats with its friend.
msgs=0
still_works() {
	msgs=$((msgs + 1))
	node_cmd node "/msg $friend still here $msgs"
	wait_for friend "^msg $node_at_friend still here $msgs$"
	wait_for node "^delivered $friend " "$msgs"
}

# --- names ------------------------------------------------------------------
# Each raw name (as printf writes it) and the name it must be saved as.
names=(
	'../../etc/passwd'	'_.._.._etc_passwd'
	'a/b'			'a_b'
	'c\\d'			'c_d'
	'..'			'_..'
	'.hidden'		'_.hidden'
	'x\033[2Jy\nz'		'x_[2Jy_z'
	'bad\377\300\257.txt'	'bad___.txt'
	'del\177c1\302\205'	'del_c1__'
	'héllo wörld.txt'	'héllo wörld.txt'
	"$(printf 'n%.0s' $(seq 1024))" "$(printf 'n%.0s' $(seq 200))"
)
args=()
for ((i = 0; i < ${#names[@]}; i += 2)); do
	printf "${names[i]}" >"$w/raw"
	[ "$(stat -c %s "$w/raw")" -le 1024 ] || fail "name $i too long"
	printf 'content of name %d\n' "$i" >"$src/f$i"
	args+=("$(od -An -v -tx1 <"$w/raw" | tr -d ' \n')" "$src/f$i")
done
nfiles=$((${#names[@]} / 2))
# The node's home, as it will be with download_dir made on the first
# acceptance.
{ ls -A "$T/node" && echo Downloads; } | LC_ALL=C sort -u >"$w/home_before"
touch "$w/marker"

fp offer "${args[@]}"
wait_for node "^file $peer [0-9]+ in offered " $nfiles
for num in $(xfer_lines node in | awk '$5 == "offered" { print $3 }'); do
	node_cmd node "/accept #$num"
done
wait_for node "^saved $peer " $nfiles
wait_for "$c" '^done$' $nfiles
fp_done
for ((i = 0; i < ${#names[@]}; i += 2)); do
	want="$dl/${names[i + 1]}"
	num=$(xfer_lines node in | awk -v name="${names[i + 1]}" '$5 == "done" {
	    s = $0; for (k = 0; k < 7; k++) sub(/^[^ ]+ /, "", s)
	    if (s == name) print $3 }')
	[ -n "$num" ] || fail "no transfer done as '${names[i + 1]}'"
	got=$(field node "^saved $peer $num " 4-)
	[ "$got" = "$want" ] || fail "$(printf '%q' "${names[i]}") saved as '$got', not '$want'"
	cmp "$src/f$i" "$want" || fail "$want holds something else"
done
# Nothing anywhere but in download_dir (and the node's own data).
[ "$(cd "$dl" && ls -A | wc -l)" = $nfiles ] || fail "download_dir: $(ls -A "$dl")"
ls -A "$T/node" | LC_ALL=C sort >"$w/home_after"
cmp -s "$w/home_before" "$w/home_after" || fail "the node's home changed: $(cat "$w/home_after")"
[ ! -e "$T/etc" ] || fail "$T/etc was created"
find "$T" -newer "$w/marker" ! -path "$dl" ! -path "$dl/*" \
    ! -path "$T/node/.local/*" ! -path "$w" ! -path "$w/*" \
    ! -name '*.in' ! -name '*.out' ! -name '*.err' \
    ! -path "$T/node" ! -path "$T" >"$w/elsewhere"
[ ! -s "$w/elsewhere" ] || fail "created outside download_dir: $(cat "$w/elsewhere")"

# --- data that does not verify ----------------------------------------------
# A damaged leaf 1: discarded, asked for again, and the file is intact.
randfile "$src/three.bin" $((3 * 262144 + 1000))
fp corrupt "$src/three.bin"
accept
wait_for "$c" '^rerequested 1$'
wait_for node "^saved $peer $in $dl/three.bin$"
wait_for "$c" '^done$'
fp_done
cmp "$src/three.bin" "$dl/three.bin" || fail "three.bin arrived damaged"
wait_for node "^warn a piece of three.bin \(#$in\) from $peer failed verification: discarded, asking again$"
[ "$(count "$c" '^request 1$')" = 2 ] || fail "leaf 1 was asked for $(count "$c" '^request 1$') times"

# Leaf 0 never verifies: three tries, then the transfer fails as bad data.
randfile "$src/bad.bin" 1000
fp alwaysbad "$src/bad.bin"
accept
wait_for "$c" '^cancel 5$'
fp_done
wait_state node in "$in" failed
wait_for node "^error $peer sent data for bad.bin \(#$in\) that failed verification 3 times: transfer stopped$"
[ "$(count node "^warn a piece of bad.bin \(#$in\) ")" = 2 ] || fail "not two warnings before giving up"
[ "$(count "$c" '^request 0$')" = 3 ] || fail "leaf 0 asked for $(count "$c" '^request 0$') times, not 3"
[ ! -e "$dl/bad.bin" ] || fail "bad.bin was saved"
no_part "$dl"

# A size one byte larger than the file, with the root of the real file:
# the root binds the size, so nothing verifies.
randfile "$src/size.bin" 5000
fp wrongsize "$src/size.bin"
wait_for "$c" '^offered [0-9a-f]{32} 5001$'
accept
wait_for "$c" '^cancel 5$'
fp_done
wait_state node in "$in" failed
wait_for node "^error $peer sent data for size.bin \(#$in\) that failed verification 3 times"
no_part "$dl"
still_works

# --- protocol errors: the connection closes -----------------------------------
# A first piece at offset 32768.
randfile "$src/order.bin" 100000
fp badorder "$src/order.bin"
accept
wait_for "$c" '^closed$'
fp_done
wait_for node "^warn [0-9.:]+: file chunk out of order$"
wait_for node "^offline $peer "
still_works

# The node sends; the filepeer asks for the leaf after the last.
randfile "$src/small.bin" 300000 # two leaves
fp badindex
node_cmd node "/send $peer $src/small.bin"
wait_for "$c" '^offer 300000 '
wait_for "$c" '^request 2$'
wait_for "$c" '^closed$'
fp_done
wait_for node "^warn [0-9.:]+: request for a piece beyond the end of the file$"
wait_for node "^offline $peer "
still_works

# 40 offers at once: 32 wait for an answer, the rest are declined with
# one warning, and neither the store nor /transfers keeps them.
fp offerflood "$src/order.bin"
wait_for "$c" '^declined 8$'
fp_done
wait_for node "^warn $peer offers more than 32 files at once: declining the rest until you answer some \\(/transfers\\)$"
[ "$(count node "^warn $peer offers more than")" = 1 ] ||
    fail "more than one warning for a flood of offers"
[ "$(count node "^file $peer [0-9]+ in offered ")" = 32 ] ||
    fail "$(count node "^file $peer [0-9]+ in offered ") offers shown, not 32"
still_works

# 18 requests in one write: more than 16 outstanding.
randfile "$src/many.bin" $((20 * 262144))
fp flood
node_cmd node "/send $peer $src/many.bin"
wait_for "$c" '^requests 18$'
wait_for "$c" '^closed$'
fp_done
wait_for node "^warn [0-9.:]+: too many file requests at once$"
wait_for node "^offline $peer "
still_works

# 200 offers, each withdrawn at once: a withdrawn undecided offer leaves
# no row in the store, and past a burst of 32 the node declines offers
# (20 a minute), with one warning, so its output stays bounded too.
db=$(find "$T/node" -name history.db | head -n 1)
rows() {
	sqlite3 "$db" "SELECT count(*) FROM transfers" || fail "cannot read $db"
}
rows0=$(rows) || exit 1
lines0=$(wc -l <"$T/node.out")
fp offercancel "$src/order.bin"
wait_for "$c" '^declined 100$'
fp_done
wait_for node "^warn $peer offers files faster than 20 a minute: declining the rest for now$"
still_works
r=$(rows) || exit 1
r=$((r - rows0))
[ "$r" -le 1 ] || fail "$r rows kept for withdrawn offers"
l=$(($(wc -l <"$T/node.out") - lines0))
[ "$l" -le 100 ] || fail "$l lines printed for 200 withdrawn offers"

# Nothing unverified reaches the disk: after a forged leaf 0 (and no
# more data), the .part's leaf 0 is still the zeros posix_fallocate
# reserved, not the peer's bytes. (Last: the node is stopped after it.)
randfile "$src/forged.bin" $((3 * 262144))
fp forgeonce "$src/forged.bin"
accept
wait_for "$c" '^forged$'
wait_for node "^warn a piece of forged\.bin \(#$in\) "
part=$(find "$dl" -name 'forged.bin*.part')
[ -n "$part" ] || fail "no .part for forged.bin"
cmp -s -n 262144 "$part" /dev/zero || fail "forged bytes were written to $part"
node_kill node
wait_for "$c" '^closed$'
fp_done
echo "file_hostile: ok"
