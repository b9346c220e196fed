#!/bin/sh
# The man pages are valid mdoc, and describe every command and option
# (the options both ways: --help and the OPTIONS of p2ptui(1)).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
cd "$top_srcdir" || exit 1
status=0
if command -v mandoc >/dev/null; then
	out=$(mandoc -Tlint -W warning man/p2ptui.1 man/p2ptui.conf.5 \
	    man/p2ptui-rendezvous.8 2>&1)
	if [ -n "$out" ]; then
		echo "$out"
		echo "FAIL: mandoc -Tlint"
		status=1
	fi
elif command -v groff >/dev/null; then
	out=$(groff -mdoc -ww -z man/p2ptui.1 man/p2ptui.conf.5 \
	    man/p2ptui-rendezvous.8 2>&1)
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

# Every option --help prints is in the OPTIONS of p2ptui(1), and back.
help_opts=$("$top_builddir/p2ptui" --help 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u)
man_opts=$(sed -n 's/^\.It .*Fl Fl \([a-z][a-z-]*\).*/--\1/p' man/p2ptui.1 | sort -u)
[ -n "$help_opts" ] || { echo "FAIL: --help printed no options"; exit 1; }
for o in $help_opts; do
	echo "$man_opts" | grep -qx -- "$o" || {
		echo "FAIL: $o is in --help but not an option in man/p2ptui.1 (.It Fl Fl ${o#--})"
		status=1
	}
done
for o in $man_opts; do
	echo "$help_opts" | grep -qx -- "$o" || {
		echo "FAIL: $o is in man/p2ptui.1 but not in p2ptui --help"
		status=1
	}
done

[ $status = 0 ] && echo "man: ok ($(echo $cmds | wc -w) commands, $(echo $help_opts | wc -w) options)"
exit $status
