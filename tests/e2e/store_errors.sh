#!/bin/bash
# A damaged or future history database is refused with a way out, and
# never replaced by an empty one.
. "${top_srcdir:-.}/tests/e2e/lib.sh"

node_start alice
wait_for alice '^ready '
node_kill alice TERM
db="$T/alice/.local/share/p2ptui/history.db"
[ -f "$db" ] || fail "no database was created"

# A damaged header.
cp "$db" "$T/good.db"
printf 'this is not sqlite' | dd of="$db" bs=1 seek=0 conv=notrunc 2>/dev/null
sum=$(cksum <"$db")
if HOME="$T/alice" "$P2PTUI" --headless </dev/null >"$T/o" 2>"$T/e"; then
	fail "started on a damaged database"
fi
grep -q "history.db.*damaged.*mv .*history.db .*history.db.broken" "$T/e" ||
    fail "no recovery advice: $(cat "$T/e")"
[ "$(cksum <"$db")" = "$sum" ] || fail "the damaged database was modified"

# A database from a newer p2ptui.
cp "$T/good.db" "$db"
rm -f "$db-wal" "$db-shm"
printf '\x00\x00\x00\x63' | dd of="$db" bs=1 seek=60 conv=notrunc 2>/dev/null
if HOME="$T/alice" "$P2PTUI" --headless </dev/null >"$T/o" 2>"$T/e"; then
	fail "started on a newer database"
fi
grep -q "written by a newer p2ptui" "$T/e" || fail "newer: $(cat "$T/e")"
echo "store_errors: ok"
