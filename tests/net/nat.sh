#!/bin/bash
# Connectivity through NATs, in network namespaces (tests/net/topo.sh):
# for every pair of places two users can be, they chat and send a 10 MB
# file byte-identical, and the way they connected is the one expected.
# A dial into a home network without help is refused by its router: the
# topology is real, so what gets through it is the program's doing.
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/net/topo.sh"
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/tests/e2e/lib_file.sh"

topo_public pub1 203.0.113.20
topo_public pub2 203.0.113.21
topo_home cone1 cone 1
topo_home sym3 symmetric 3

# probe NS ADDR PORT: can NS open a TCP connection to ADDR:PORT?
probe() {
	ip netns exec "$1" timeout 2 bash -c "exec 3<>/dev/tcp/$2/$3" \
	    2>/dev/null
}

# meet A B ADDR: B dials A at ADDR, A accepts; nm_A_B is B as A calls it.
meet() {
	introduce "$1" "$2" "$3"
	eval "nm_$1_$2=\$b_name nm_$2_$1=\$a_name"
}

# pair A B: A and B (met) chat both ways and A sends B a 10 MB file, which
# arrives byte-identical.
pair() {
	local a=$1 b=$2 n a_name b_name
	eval "a_name=\$nm_$2_$1 b_name=\$nm_$1_$2"
	node_cmd "$a" "/msg $b_name hello from $a"
	wait_for "$b" "^msg $a_name hello from $a$"
	node_cmd "$b" "/msg $a_name hello from $b"
	wait_for "$a" "^msg $b_name hello from $b$"
	n=$(last_num "$b" in)
	node_cmd "$a" "/send $b_name $T/ten.bin"
	wait_new "$b" in "$n"
	wait_for "$b" "^file $a_name $new in offered "
	node_cmd "$b" "/accept #$new"
	wait_for "$b" "^saved $a_name $new "
	cmp -s "$T/ten.bin" "$(field "$b" "^saved $a_name $new " 4-)" ||
	    fail "the file from $a to $b arrived different"
}

randfile "$T/ten.bin" $((10 * 1024 * 1024))
topo_node p1 pub1
topo_node p2 pub2
topo_node c1 cone1
topo_node s3 sym3
for n in p1 p2 c1 s3; do
	topo_start "$n"
done

# public / public: a plain dial.
meet p1 p2 203.0.113.20:7070
pair p1 p2
pair p2 p1

# A home network's router drops what nobody inside asked for, even sent
# straight to the inside address through it.
ip -n pub1 route add 192.168.1.0/24 via 203.0.113.101
ip -n pub1 route add 192.168.3.0/24 via 203.0.113.103
probe pub1 192.168.1.10 7070 && fail "the cone router let a stranger in"
probe pub1 192.168.3.10 7070 && fail "the symmetric router let a stranger in"
probe cone1 203.0.113.20 7070 || fail "cone1 cannot reach a public host"

# cone / public: the home side dials out.
meet p1 c1 203.0.113.20:7070
pair c1 p1
grep -q "^online $nm_p1_c1 [^ ]* 203\.0\.113\.101:" "$T/p1.out" ||
    fail "p1 did not see c1 at its router's address"

# symmetric / public: the same, from a fresh port for each connection.
meet p2 s3 203.0.113.21:7070
pair s3 p2
echo "nat: ok"
