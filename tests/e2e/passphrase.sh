#!/bin/bash
# A passphrase on the identity key, driven through --passphrase-fd: set,
# right (same key, the descriptor closed), wrong and missing (exit 1,
# every file in the data directory as it was), change, remove, a new
# identity protected from the start, and no terminal to ask on.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

# The cheapest named cost: this is about the program, not Argon2id.
cost="--passphrase-cost interactive"
node_home alice >/dev/null
export HOME="$T/alice"
dir="$HOME/.local/share/p2ptui"
key="$dir/identity.key"
# A first run, so the data directory has what a used one has.
echo /quit | "$P2PTUI" --headless >"$T/first.out" 2>&1 || fail "first run: $(cat "$T/first.out")"
fp=$(field first '^ready ' 2)
[ -n "$fp" ] || fail "no ready line: $(cat "$T/first.out")"
[ "$(stat -c %s "$key")" = 72 ] || fail "not the unprotected key file"

# snapshot: names, sizes, times and checksums of the data directory.
snapshot() {
	(cd "$dir" && stat -c '%n %s %y' . * && sha256sum *)
}

# run_with PASS: a headless run given PASS on descriptor 3; its output
# in $T/run.out, its status in $status.
run_with() {
	echo /quit | "$P2PTUI" --headless --passphrase-fd 3 3<<<"$1" \
	    >"$T/run.out" 2>"$T/run.err"
	status=$?
}

# expect_refused WHAT REGEX: the last run failed with REGEX on stderr
# and the data directory is what it was in $T/before.
expect_refused() {
	[ "$status" = 1 ] || fail "$1: exit status $status, not 1"
	grep -qE -- "$2" "$T/run.err" || fail "$1: $(cat "$T/run.err")"
	grep -q '^ready ' "$T/run.out" && fail "$1: it started"
	snapshot >"$T/after"
	diff -u "$T/before" "$T/after" >&2 || fail "$1: the data directory changed"
}

# Set.
printf 'first pass\n' | "$P2PTUI" --passphrase --passphrase-fd 0 $cost 2>"$T/set.err" ||
    fail "--passphrase: $(cat "$T/set.err")"
grep -q "set the passphrase of $key (Argon2id, 2 passes, 64 MiB)" "$T/set.err" ||
    fail "set: $(cat "$T/set.err")"
[ "$(stat -c %s.%a "$key")" = 172.600 ] || fail "protected key file: $(stat -c %s.%a "$key")"
[ "$(head -c 8 "$key")" = p2ptuie1 ] || fail "protected key file magic"
ls -A "$dir" | grep -q '^\.identity' && fail "a temporary key file was left"
# The fingerprint needs no passphrase.
[ "$("$P2PTUI" --fingerprint 2>&1)" = "$fp" ] || fail "--fingerprint of the protected key"

# Right: the same identity; the descriptor is read and closed.
echo "first pass" >"$T/pass"
node_start alice --passphrase-fd 3 3<"$T/pass"
wait_for alice '^ready '
[ "$(node_fp alice)" = "$fp" ] || fail "another key after unlocking"
for f in /proc/"$pid_alice"/fd/*; do
	[ "$(readlink "$f")" != "$T/pass" ] || fail "the descriptor was left open"
done
node_cmd alice /quit
node_wait_exit alice
[ "$node_status" = 0 ] || fail "exit status $node_status"
# Standard input: the first line, and the commands after it.
printf 'first pass\n/quit\n' | "$P2PTUI" --headless --passphrase-fd 0 >"$T/run.out" 2>"$T/run.err" ||
    fail "--passphrase-fd 0: $(cat "$T/run.err")"
[ "$(field run '^ready ' 2)" = "$fp" ] || fail "--passphrase-fd 0: $(cat "$T/run.out")"
grep -q "^error" "$T/run.out" && fail "--passphrase-fd 0: the passphrase was read as a command"

# Wrong, missing, empty: refused, and nothing in the data directory is
# touched, not even the lock.
snapshot >"$T/before"
run_with "first pas"
expect_refused wrong "p2ptui: $key: wrong passphrase"
run_with ""
expect_refused empty "wrong passphrase"
echo /quit | "$P2PTUI" --headless >"$T/run.out" 2>"$T/run.err" </dev/null
status=$?
expect_refused "no descriptor" "$key is protected by a passphrase: give it with --passphrase-fd N"
echo /quit | "$P2PTUI" --headless --passphrase-fd 3 3</dev/null >"$T/run.out" 2>"$T/run.err"
status=$?
expect_refused "empty descriptor" "no passphrase: descriptor 3 ended before one"
echo /quit | "$P2PTUI" --headless --passphrase-fd 9 >"$T/run.out" 2>"$T/run.err" 9<&-
status=$?
expect_refused "closed descriptor" "cannot read the passphrase from descriptor 9"
# --passphrase with the wrong current one, or without the new one.
printf 'not it\nnew pass\n' | "$P2PTUI" --passphrase --passphrase-fd 0 $cost >"$T/run.out" 2>"$T/run.err"
status=$?
expect_refused "--passphrase, wrong current" "wrong passphrase"
printf 'first pass\n' | "$P2PTUI" --passphrase --passphrase-fd 0 $cost >"$T/run.out" 2>"$T/run.err"
status=$?
expect_refused "--passphrase, no new one" "descriptor 0 ended before one"
# No descriptor and no terminal to ask on.
setsid -w "$P2PTUI" --passphrase </dev/null >"$T/run.out" 2>"$T/run.err"
status=$?
expect_refused "--passphrase, no terminal" "no terminal to ask on.*--passphrase-fd N"

# Change: the old one no longer opens it, the new one does.
printf 'first pass\nsecond pass\n' | "$P2PTUI" --passphrase --passphrase-fd 0 $cost 2>"$T/change.err" ||
    fail "change: $(cat "$T/change.err")"
grep -q "changed the passphrase of $key" "$T/change.err" || fail "change: $(cat "$T/change.err")"
snapshot >"$T/before"
run_with "first pass"
expect_refused "old passphrase" "wrong passphrase"
run_with "second pass"
[ "$status" = 0 ] || fail "new passphrase: $(cat "$T/run.err")"
[ "$(field run '^ready ' 2)" = "$fp" ] || fail "another key after the change"

# Remove (an empty new one): the unprotected form again, no descriptor
# needed; one given is not read.
printf 'second pass\n\n' | "$P2PTUI" --passphrase --passphrase-fd 0 2>"$T/remove.err" ||
    fail "remove: $(cat "$T/remove.err")"
grep -q "removed the passphrase of $key" "$T/remove.err" || fail "remove: $(cat "$T/remove.err")"
[ "$(stat -c %s.%a "$key")" = 72.600 ] || fail "unprotected key file: $(stat -c %s.%a "$key")"
echo /quit | "$P2PTUI" --headless >"$T/run.out" 2>"$T/run.err" || fail "unprotected: $(cat "$T/run.err")"
[ "$(field run '^ready ' 2)" = "$fp" ] || fail "another key after removing"
run_with "anything"
[ "$status" = 0 ] || fail "an unused descriptor: $(cat "$T/run.err")"
grep -q "has no passphrase; descriptor 3 is not read" "$T/run.err" || fail "not said: $(cat "$T/run.err")"
# Removing what is not there changes nothing.
printf '\n' | "$P2PTUI" --passphrase --passphrase-fd 0 2>"$T/none.err" || fail "remove none"
grep -q "has no passphrase; nothing was changed" "$T/none.err" || fail "remove none: $(cat "$T/none.err")"

# A new identity is protected from its first byte on disk.
node_home bob >/dev/null
printf 'bob pass\n' | HOME="$T/bob" "$P2PTUI" --passphrase --passphrase-fd 0 $cost 2>"$T/bob.err" ||
    fail "new protected identity: $(cat "$T/bob.err")"
grep -q "created a new identity in .*, protected by a passphrase" "$T/bob.err" || fail "bob: $(cat "$T/bob.err")"
bobkey="$T/bob/.local/share/p2ptui/identity.key"
[ "$(stat -c %s "$bobkey")" = 172 ] || fail "bob's key is not protected"
bobfp=$(HOME="$T/bob" "$P2PTUI" --fingerprint 2>/dev/null)
echo /quit | HOME="$T/bob" "$P2PTUI" --headless --passphrase-fd 3 3<<<"bob pass" >"$T/bobrun.out" 2>&1 ||
    fail "bob: $(cat "$T/bobrun.out")"
[ "$(field bobrun '^ready ' 2)" = "$bobfp" ] || fail "bob's fingerprint"

# Usage errors.
"$P2PTUI" --passphrase --headless 2>"$T/usage.err" </dev/null && fail "--passphrase --headless ran"
grep -q "goes with neither" "$T/usage.err" || fail "usage: $(cat "$T/usage.err")"
"$P2PTUI" --passphrase --passphrase-cost fast 2>"$T/usage.err" </dev/null && fail "a bad cost ran"
grep -q "'fast' is not interactive, moderate or sensitive" "$T/usage.err" || fail "usage: $(cat "$T/usage.err")"
"$P2PTUI" --headless --passphrase-fd x 2>"$T/usage.err" </dev/null && fail "a bad descriptor ran"
grep -q "'x' is not a file descriptor number" "$T/usage.err" || fail "usage: $(cat "$T/usage.err")"
echo "passphrase: ok"
