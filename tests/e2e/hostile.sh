#!/bin/bash
# Hostile connections (garbage, an oversized frame, a truncated
# handshake, a connection flood) are dropped with a notice while the
# legitimate session keeps working.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_start alice
node_start bob
a_addr=$(node_addr alice)
port=${a_addr##*:}
introduce alice bob

roundtrip() {
	node_cmd bob "/msg $a_name $1"
	wait_for alice "^msg $b_name $1$"
	node_cmd alice "/msg $b_name re $1"
	wait_for bob "^msg $a_name re $1$"
}

# hostile BYTES: send bytes (printf format) on a new connection.
hostile() {
	exec 3<>"/dev/tcp/127.0.0.1/$port" || fail "cannot connect"
	printf "$1" >&3
}

# Garbage: a frame of 32 junk bytes is not a valid message 1? It is (any
# 32 bytes are a public key), so use a 5-byte frame: wrong length.
hostile '\000\005hello'
wait_for alice "^warn 127\.0\.0\.1:[0-9]+: handshake failed"
exec 3>&-
roundtrip one

# An empty frame.
hostile '\000\000'
wait_for alice "^warn 127\.0\.0\.1:[0-9]+: empty frame"
exec 3>&-

# An oversized frame: the maximum length with junk; never more than one
# frame is buffered, then the handshake fails.
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf '\377\377' >&3
head -c 65535 /dev/zero >&3
wait_for alice "handshake failed" 2
exec 3>&-
roundtrip two

# A valid message 1 (a public key) followed by junk in place of
# message 3.
hostile '\000\040'
head -c 32 /dev/urandom >&3
printf '\000\003abc' >&3
wait_for alice "handshake failed" 3
exec 3>&-
roundtrip three

# A flood from one address: beyond handshake_rate per second the extra
# connections are refused, and bob's session is unaffected.
i=0
while [ $i -lt 30 ]; do
	exec 4<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null && exec 4>&-
	i=$((i + 1))
done
roundtrip four
kill -0 "$pid_alice" || fail "alice died"
echo "hostile: ok"
