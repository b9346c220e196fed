#!/bin/bash
# Keys pinned in the configuration: the right key connects without a
# contact request; a wrong key is refused with both fingerprints shown,
# before the dialler reveals its own identity; /trust does not override a
# configured pin.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_start alice
node_start bob
node_start mallory
a_fp=$(node_fp alice)
b_fp=$(node_fp bob)
m_fp=$(node_fp mallory)
a_addr=$(node_addr alice)
m_addr=$(node_addr mallory)
mkdir -p "$T/carol"
c_fp=$(HOME="$T/carol" "$P2PTUI" --fingerprint 2>/dev/null)
node_kill alice
node_kill bob

a_port=${a_addr##*:}
cat >>"$T/alice/.p2ptui.conf" <<CONF
peers = ( { name = "bob"; key = "$b_fp"; } );
CONF
sed -i "s/^listen = .*/listen = \"127.0.0.1:$a_port\";/" "$T/alice/.p2ptui.conf"
# Bob pins carol's key to mallory's address: that must fail loudly.
cat >>"$T/bob/.p2ptui.conf" <<CONF
peers = (
  { name = "alice"; address = "$a_addr"; key = "$a_fp"; },
  { name = "fake"; address = "$m_addr"; key = "$c_fp"; }
);
CONF
node_start alice
node_start bob
wait_for alice "^online bob $b_fp "
wait_for bob "^online alice $a_fp "
[ "$(count alice '^request ')" = 0 ] || fail "a pinned peer made a request"

wait_for bob "^error KEY MISMATCH: fake at $m_addr presented key $m_fp but key $c_fp is pinned"
# Mallory learned nothing about bob: the handshake stopped before
# message 3, so there is no request and no trace of bob's key.
[ "$(count mallory '^request ')" = 0 ] || fail "mallory saw bob's identity"
grep -q "$b_fp" "$T/mallory.out" && fail "bob's key reached mallory"

node_cmd bob "/trust fake"
fake_line=$(grep -n 'name = "fake"' "$T/bob/.p2ptui.conf" | cut -d: -f1)
wait_for bob "^error fake's key is pinned in .*/bob/.p2ptui.conf:$fake_line: change it there"

# The pinned session works both ways.
node_cmd alice "/msg bob pinned hello"
wait_for bob "^msg alice pinned hello$"
node_cmd bob "/msg alice pinned reply"
wait_for alice "^msg bob pinned reply$"
echo "pinned: ok"
