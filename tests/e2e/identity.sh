#!/bin/bash
# Identity: created 0600 in a 0700 data directory, XDG_DATA_HOME
# honoured, a key file readable by others refused; the history is 0600
# and a data directory readable by others is made 0700.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

export HOME="$T/home"
mkdir -p "$HOME"
unset XDG_DATA_HOME
fp=$("$P2PTUI" --fingerprint 2>/dev/null) || fail "--fingerprint failed"
dir="$HOME/.local/share/p2ptui"
[ "$(stat -c %a "$dir")" = 700 ] || fail "data directory is not 0700"
[ "$(stat -c %a "$dir/identity.key")" = 600 ] || fail "key file is not 0600"
[ "$(stat -c %s "$dir/identity.key")" = 72 ] || fail "key file size"

chmod 644 "$dir/identity.key"
if "$P2PTUI" --fingerprint >/dev/null 2>"$T/perm.err"; then
	fail "a world-readable key was used"
fi
grep -q "too open.*chmod 600" "$T/perm.err" || fail "no chmod advice: $(cat "$T/perm.err")"
chmod 600 "$dir/identity.key"
[ "$("$P2PTUI" --fingerprint 2>/dev/null)" = "$fp" ] || fail "key changed after chmod"

# A truncated key file is refused, not replaced.
cp "$dir/identity.key" "$T/saved.key"
head -c 40 "$T/saved.key" >"$dir/identity.key"
if "$P2PTUI" --fingerprint >/dev/null 2>"$T/trunc.err"; then
	fail "a truncated key was used"
fi
grep -q "not a p2ptui key file" "$T/trunc.err" || fail "truncated: $(cat "$T/trunc.err")"
[ "$(stat -c %s "$dir/identity.key")" = 40 ] || fail "a bad key file was overwritten"

# Whatever the umask, what p2ptui creates is private: the history too.
umask 022
cat "$T/saved.key" >"$dir/identity.key"
printf 'listen = "127.0.0.1:0";\n' >"$HOME/.p2ptui.conf"
echo /quit | "$P2PTUI" --headless -v >"$T/run.out" 2>&1 || fail "run failed: $(cat "$T/run.out")"
for f in history.db debug.log; do
	[ "$(stat -c %a "$dir/$f")" = 600 ] || fail "$f is mode $(stat -c %a "$dir/$f")"
done
# A data directory others can read is made private, and that is said.
chmod 755 "$dir"
"$P2PTUI" --fingerprint >/dev/null 2>"$T/dir.err" || fail "a 0755 data directory: $(cat "$T/dir.err")"
[ "$(stat -c %a "$dir")" = 700 ] || fail "data directory left mode $(stat -c %a "$dir")"
grep -q "data directory $dir was mode 0755; it is now 0700" "$T/dir.err" ||
    fail "not said: $(cat "$T/dir.err")"

export XDG_DATA_HOME="$T/xdg"
"$P2PTUI" --fingerprint >/dev/null 2>&1 || fail "XDG_DATA_HOME run failed"
[ -f "$T/xdg/p2ptui/identity.key" ] || fail "XDG_DATA_HOME not honoured"
echo "identity: ok"
