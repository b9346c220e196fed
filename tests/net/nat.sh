#!/bin/bash
# Connectivity through NATs, in network namespaces (tests/net/topo.sh):
# for every pair of places two users can be, they chat and send a 10 MB
# file byte-identical, and the way they connected is the one expected.
#
#   rdv  203.0.113.10  p2ptui-rendezvous (relay_rate high enough for 10 MB)
#   p1   203.0.113.20  public          p2   203.0.113.21  public
#   c1   behind r1 (cone)              c2   behind r2 (cone)
#   s3   behind r3 (symmetric)         s4   behind r4 (symmetric)
#
# Each pair are contacts (keys pinned, no address) that the rendezvous
# server introduces: public/public direct, cone/public direct (the home
# side dials out: a reversal), cone/cone punched (TCP simultaneous open
# on the ports the server observed), cone/symmetric and
# symmetric/symmetric relayed. A relayed session goes direct once a
# direct path opens, losing and duplicating nothing. A dial into a home network without help
# is refused by its router first: the topology is real, so what gets
# through it is the program's doing. Printed: the time from the second
# node's start to the session, per pair. The LAN (no server) is
# tests/e2e/lan.sh, a mapped port (miniupnpd) tests/net/portmap.sh.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/net/topo.sh"
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/lib_file.sh"
. "$top_srcdir/tests/e2e/lib_rdv.sh"

topo_public rdv 203.0.113.10
topo_public pub1 203.0.113.20
topo_public pub2 203.0.113.21
topo_home cone1 cone 1
topo_home cone2 cone 2
topo_home sym3 symmetric 3
topo_home sym4 symmetric 4

# probe NS ADDR PORT: can NS open a TCP connection to ADDR:PORT?
probe() {
	ip netns exec "$1" timeout 2 bash -c "exec 3<>/dev/tcp/$2/$3" \
	    2>/dev/null
}

# A home network's router drops what nobody inside asked for, even sent
# straight to the inside address through it.
ip -n pub1 route add 192.168.1.0/24 via 203.0.113.101
ip -n pub1 route add 192.168.3.0/24 via 203.0.113.103
(probe pub1 192.168.1.10 7070 || probe pub1 192.168.3.10 7070) &&
    fail "a home router let a stranger in"
probe cone1 203.0.113.20 7070 && fail "nothing listens on pub1 yet"

# The server.
mkdir -p "$T/rdvdata"
printf 'listen = "0.0.0.0:7000";\ndata_dir = "%s";\nrelay_rate = 100000000;\n' \
    "$T/rdvdata" >"$T/rdv.conf"
proc_start rdv ip netns exec rdv "$RDVD" -c "$T/rdv.conf" -v
wait_for rdv '^ready '
rdv_fp=$(field rdv '^ready ' 2)

# The nodes, each a contact of the others it pairs with.
pairs="p1:p2 c1:p1 c1:c2 c1:s3 s3:s4 p2:c2"
for spec in p1:pub1 p2:pub2 c1:cone1 c2:cone2 s3:sym3 s4:sym4; do
	n=${spec%%:*}
	topo_node "$n" "${spec#*:}" "handshake_timeout = 2;" \
	    "rendezvous = { address = \"203.0.113.10:7000\"; key = \"$rdv_fp\"; username = \"$n\"; };"
	HOME="$T/$n" "$P2PTUI" --fingerprint >"$T/$n.fp" 2>/dev/null ||
	    fail "no fingerprint for $n"
done
for n in p1 p2 c1 c2 s3 s4; do
	list=
	for pr in $pairs; do
		case $pr in
		"$n":*) o=${pr#*:} ;;
		*:"$n") o=${pr%:*} ;;
		*) continue ;;
		esac
		list="$list${list:+, }{ name = \"$o\"; key = \"$(cat "$T/$o.fp")\"; }"
	done
	echo "peers = ( $list );" >>"$T/$n/.p2ptui.conf"
done

randfile "$T/ten.bin" $((10 * 1024 * 1024))

# pair A B ROUTE: B starts (A runs already, and no other contact of B
# does): they meet through the server by ROUTE (a regex), chat both ways,
# and A sends B 10 MB that arrive byte-identical.
pair() {
	local a=$1 b=$2 route=$3 t0 ms n
	t0=$(now_ms)
	topo_start "$b"
	wait_for "$a" "^online $b [^ ]+ [^ ]+ ($route)\$"
	wait_for "$b" "^online $a [^ ]+ [^ ]+ ($route)\$"
	ms=$(($(now_ms) - t0))
	echo "$a/$b: online by $(field "$a" "^online $b " 5) in $ms ms"
	node_cmd "$a" "/msg $b hello from $a"
	wait_for "$b" "^msg $a hello from $a$"
	node_cmd "$b" "/msg $a hello from $b"
	wait_for "$a" "^msg $b hello from $b$"
	n=$(last_num "$b" in)
	node_cmd "$a" "/send $b $T/ten.bin"
	wait_new "$b" in "$n"
	wait_for "$b" "^file $a $new in offered "
	node_cmd "$b" "/accept #$new"
	TIMEOUT=60 wait_for "$b" "^saved $a $new "
	cmp -s "$T/ten.bin" "$(field "$b" "^saved $a $new " 4-)" ||
	    fail "the file from $a to $b arrived different"
}

# c2 cannot reach p2's port for now (nor p2 c2: the router): relayed.
block="FORWARD -d 203.0.113.21 -p tcp --dport 7070 -j DROP"
ip netns exec r2 iptables -I $block
topo_start p1
pair p1 p2 direct           # public / public
pair p1 c1 'direct|punched' # public / cone: the home side dials out
grep -q "^online c1 [^ ]* 203\.0\.113\.101:" "$T/p1.out" ||
    fail "p1 did not see c1 at its router's address"
pair c1 c2 punched          # cone / cone: simultaneous open
pair c1 s3 relay            # cone / symmetric
pair s3 s4 relay            # symmetric / symmetric

# p2 and c2 met relayed when c2 started; the way opens: they go direct
# (3 handshake_timeouts later), and what was sent across the switch
# arrives once, in order.
wait_for c2 "^online p2 [^ ]+ [^ ]+ relay\$"
for i in $(seq 1 20); do node_cmd p2 "/msg c2 m$i"; done
ip netns exec r2 iptables -D $block
deadline=$(($(now_ms) + 20000))
while :; do
	n=$(count c2 '^info p2 online ')
	node_cmd c2 /peers
	wait_for c2 '^info p2 online ' $((n + 1))
	field c2 '^info p2 online ' 4 | grep -q '(direct)' && break
	[ "$(now_ms)" -lt "$deadline" ] || fail "p2 and c2 stayed relayed"
	sleep 0.5
done
for i in $(seq 21 40); do node_cmd p2 "/msg c2 m$i"; done
wait_for c2 '^msg p2 m40$'
grep '^msg p2 m' "$T/c2.out" | sed 's/.* m//' >"$T/got"
seq 1 40 >"$T/want"
cmp -s "$T/got" "$T/want" || fail "across the switch c2 got: $(tr '\n' ' ' <"$T/got")"
echo "p2/c2: relayed, then direct"
echo "nat: ok"
