#!/bin/bash
# Configuration: first run, never rewritten, errors as FILE:LINE with
# nothing touched, unknown settings as warnings with a suggestion.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

export HOME="$T/home"
mkdir -p "$HOME"
unset XDG_DATA_HOME

# First run writes a commented default, mode 0600, and says where.
"$P2PTUI" --fingerprint >/dev/null 2>"$T/first.err" || fail "first run failed"
grep -q "wrote a commented default configuration to $HOME/.p2ptui.conf" "$T/first.err" ||
    fail "first run did not say where the configuration went: $(cat "$T/first.err")"
[ "$(stat -c %a "$HOME/.p2ptui.conf")" = 600 ] || fail "config mode is not 0600"
grep -q '^#listen = "0.0.0.0:7070";' "$HOME/.p2ptui.conf" || fail "default listen missing"

# Never rewritten: the user's edits and comments survive.
printf '# my own comment\nnick = "zed";\n' >"$HOME/.p2ptui.conf"
before=$(cksum <"$HOME/.p2ptui.conf")
"$P2PTUI" --fingerprint >/dev/null 2>&1 || fail "run with a user config failed"
[ "$(cksum <"$HOME/.p2ptui.conf")" = "$before" ] || fail "the config was rewritten"

# expect_error CONTENT REGEX: the config fails with REGEX on stderr,
# exit 1, and the file and data directory are untouched.
n=0
expect_error() {
	n=$((n + 1))
	f="$T/bad$n.conf"
	printf '%s\n' "$1" >"$f"
	sum=$(cksum <"$f")
	if "$P2PTUI" -c "$f" --fingerprint >"$T/out$n" 2>"$T/err$n"; then
		fail "config $n was accepted: $1"
	fi
	grep -qE -- "$2" "$T/err$n" || fail "config $n: expected /$2/, got: $(cat "$T/err$n")"
	[ "$(cksum <"$f")" = "$sum" ] || fail "config $n was modified"
	[ -s "$T/out$n" ] && fail "config $n: something on stdout"
	return 0
}
expect_error 'nick = "a";
listen = ;
peer_width = 30;' "^p2ptui: $T/bad1.conf:2: syntax error"
expect_error '
peer_width = "wide";' "bad2.conf:2: 'peer_width' must be a whole number"
expect_error 'peer_width = 5;' "bad3.conf:1: 'peer_width' is 5; it must be from 10 to 60"
expect_error 'listen = "127.0.0.1";' "bad4.conf:1: 'listen': '127.0.0.1': expected HOST:PORT"
expect_error 'color_self = "pink";' "bad5.conf:1: 'color_self': unknown colour 'pink'"
expect_error 'peers = (
  { name = "bob"; key = "notakey"; }
);' "bad6.conf:2: peer 'bob': malformed key"
expect_error 'peers = (
  { name = "bob"; address = "b:1"; },
  { name = "bob"; address = "c:1"; }
);' "bad7.conf:3: duplicate peer name 'bob' \(first defined at line 2\)"
expect_error 'peers = ( { address = "b:1"; } );' "bad8.conf:1: peer has no name"
expect_error 'timestamps = 1;' "bad9.conf:1: 'timestamps' must be true or false"
# A valid key with its fifth letter mistyped (4 -> a). Fixed strings: a
# random key edited by sed was left unchanged when it had no letter to
# replace, and a random edit matches the 16-bit checksum once in 65536.
printf 'peers = ( { name = "x"; key = "%s"; } );\n' \
    z3i44ldnfwi3s2mkf725r6iwvclhentuygh7dmcg6j5bawvh6u6hpgq >"$T/good.conf"
"$P2PTUI" -c "$T/good.conf" --fingerprint >/dev/null 2>&1 ||
    fail "the unedited key was refused"
expect_error 'peers = ( { name = "x"; key = "z3i4aldnfwi3s2mkf725r6iwvclhentuygh7dmcg6j5bawvh6u6hpgq"; } );' \
    "checksum does not match"

# A missing -c file is an error, not created.
if "$P2PTUI" -c "$T/missing.conf" --fingerprint 2>"$T/missing.err"; then
	fail "a missing -c file was accepted"
fi
grep -q "missing.conf: No such file" "$T/missing.err" || fail "missing -c: $(cat "$T/missing.err")"
[ -e "$T/missing.conf" ] && fail "a missing -c file was created"

# Unknown settings warn, with the nearest known name, and still run.
printf 'peer_widht = 30;\n' >"$T/typo.conf"
"$P2PTUI" -c "$T/typo.conf" --fingerprint >/dev/null 2>"$T/typo.err" || fail "an unknown setting is fatal"
grep -q "typo.conf:1: warning: unknown setting 'peer_widht' (did you mean 'peer_width'?)" "$T/typo.err" ||
    fail "no suggestion: $(cat "$T/typo.err")"
# Numbers libconfig cannot hold are out of range, not their low bits.
expect_error 'keepalive = 100000000000000000000;' "bad$((n + 1)).conf:1: 'keepalive' is out of range; it must be from 2 to 300"
expect_error 'keepalive = 99999999999;' "bad$((n + 1)).conf:1: 'keepalive' is out of range; it must be from 2 to 300"
expect_error 'keepalive = 1e20;' "bad$((n + 1)).conf:1: 'keepalive' must be a whole number from 2 to 300"
# An unclosed quote is reported at its own line, not where libconfig
# stumbles lines later.
expect_error 'nick = "a";


listen = "127.0.0.1:0";

timestamp_format = "%H:%M;
keepalive = 20;
colors = true;
color_self = "red";' "bad$((n + 1)).conf:6: unterminated string: the quote opened on line 6"
expect_error 'timestamp_format = "%H;
#"' "bad$((n + 1)).conf:1: 'timestamp_format' runs past the end of its line: is a closing quote missing\?"

# expect_refused PATH REGEX: -c PATH fails at once with REGEX.
expect_refused() {
	if timeout 10 "$P2PTUI" -c "$1" --fingerprint >/dev/null 2>"$T/refused.err"; then
		fail "$1 was accepted"
	fi
	grep -qE -- "$2" "$T/refused.err" || fail "$1: expected /$2/, got: $(cat "$T/refused.err")"
}
mkdir "$T/dir.conf"
expect_refused "$T/dir.conf" "dir.conf: is a directory"
ln -s "$T/nowhere" "$T/dangling.conf"
expect_refused "$T/dangling.conf" "dangling.conf: is a symbolic link to a file that does not exist"
[ -e "$T/nowhere" ] && fail "a dangling symlink's target was created"
mkfifo "$T/fifo.conf"
expect_refused "$T/fifo.conf" "fifo.conf: is not a regular file"
expect_refused /dev/zero "/dev/zero: is not a regular file"
"$P2PTUI" -c /dev/null --fingerprint >/dev/null 2>"$T/null.err" ||
    fail "-c /dev/null (the defaults): $(cat "$T/null.err")"
# Over 1 MiB is refused before libconfig's quadratic parse starts.
{ printf 'nick = "big";
'; head -c 1048576 /dev/zero | tr '\0' '#'; } >"$T/big.conf"
expect_refused "$T/big.conf" "big.conf: is 1048590 bytes; a configuration file may be at most 1 MiB"
{ head -c 1048575 "$T/big.conf"; echo; } >"$T/max.conf"
"$P2PTUI" -c "$T/max.conf" --fingerprint >/dev/null 2>"$T/max.err" || fail "a 1 MiB config was refused: $(cat "$T/max.err")"
# The default ~/.p2ptui.conf as a dangling symlink: said, not "File exists".
mv "$HOME/.p2ptui.conf" "$T/saved.conf"
ln -s "$T/nowhere" "$HOME/.p2ptui.conf"
if "$P2PTUI" --fingerprint >/dev/null 2>"$T/dangling.err"; then
	fail "a dangling ~/.p2ptui.conf was accepted"
fi
grep -q "p2ptui.conf: is a symbolic link to a file that does not exist" "$T/dangling.err" ||
    fail "dangling ~/.p2ptui.conf: $(cat "$T/dangling.err")"
echo "config: ok"
