#!/bin/bash
# Command-line interface: version, help, bad usage, --fingerprint,
# --default-config.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

export HOME="$T/home"
mkdir -p "$HOME"

out=$("$P2PTUI" -V) || fail "-V exited non-zero"
echo "$out" | grep -qE '^p2ptui [0-9]+\.[0-9]+\.[0-9]+$' || fail "-V printed '$out'"

"$P2PTUI" -h >"$T/help" 2>"$T/help.err" || fail "-h exited non-zero"
grep -q '^usage: p2ptui' "$T/help" || fail "-h does not print the usage"
[ -s "$T/help.err" ] && fail "-h wrote to stderr"

if "$P2PTUI" --no-such-option >"$T/bad" 2>"$T/bad.err"; then
	fail "a bad option exited 0"
fi
grep -q '^usage: p2ptui' "$T/bad.err" || fail "bad option: no usage on stderr"
[ -s "$T/bad" ] && fail "bad option: wrote to stdout"

if "$P2PTUI" extra-argument 2>"$T/extra.err"; then
	fail "an extra argument exited 0"
fi
grep -q "unexpected argument 'extra-argument'" "$T/extra.err" || fail "extra argument not named"

# --fingerprint: creates the identity on first use, then is stable.
fp=$("$P2PTUI" --fingerprint 2>"$T/fp.err") || fail "--fingerprint failed: $(cat "$T/fp.err")"
echo "$fp" | grep -qE '^[a-z2-7]{55}$' || fail "fingerprint '$fp' is not 55 base32 characters"
fp2=$("$P2PTUI" --fingerprint 2>/dev/null)
[ "$fp" = "$fp2" ] || fail "fingerprint changed between runs"

# The printed text is exactly what a peer's key setting accepts.
cat >"$T/peer.conf" <<CONF
listen = "127.0.0.1:0";
peers = ( { name = "me"; address = "127.0.0.1:9"; key = "$fp"; autoconnect = false; } );
CONF
"$P2PTUI" -c "$T/peer.conf" --fingerprint >/dev/null 2>"$T/peer.err" ||
    fail "the config rejected our own fingerprint: $(cat "$T/peer.err")"

# --default-config is what first run writes.
"$P2PTUI" --default-config >"$T/default.conf" || fail "--default-config failed"
cmp -s "$T/default.conf" "$HOME/.p2ptui.conf" || fail "--default-config differs from the first-run file"
echo "cli: ok"
