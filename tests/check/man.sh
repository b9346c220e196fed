#!/bin/sh
# The man pages are valid mdoc, and describe every command and option.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
cd "$top_srcdir" || exit 1
status=0
if command -v mandoc >/dev/null; then
	out=$(mandoc -Tlint -W warning man/p2ptui.1 man/p2ptui.conf.5 2>&1)
	if [ -n "$out" ]; then
		echo "$out"
		echo "FAIL: mandoc -Tlint"
		status=1
	fi
elif command -v groff >/dev/null; then
	out=$(groff -mdoc -ww -z man/p2ptui.1 man/p2ptui.conf.5 2>&1)
	[ -z "$out" ] || { echo "$out"; echo "FAIL: groff -ww"; status=1; }
else
	echo "SKIP: neither mandoc nor groff"
	exit 77
fi

# Every command of the table (as /help prints it) is in p2ptui(1).
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf 'listen = "127.0.0.1:0";\n' >"$T/c.conf"
cmds=$(echo /help | HOME="$T" "$top_builddir/p2ptui" -c "$T/c.conf" --headless 2>/dev/null |
    sed -n 's|^info /\([a-z]*\) .*|\1|p')
[ -n "$cmds" ] || { echo "FAIL: /help listed no commands"; exit 1; }
for c in $cmds; do
	grep -q "^\.It Ic /$c\b" man/p2ptui.1 || grep -q "^\.It Ic /$c$" man/p2ptui.1 || {
		echo "FAIL: /$c is not documented in man/p2ptui.1 (.It Ic /$c)"
		status=1
	}
done
[ $status = 0 ] && echo "man: ok ($(echo $cmds | wc -w) commands)"
exit $status
