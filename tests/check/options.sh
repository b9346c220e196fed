#!/bin/sh
# Every option of the table is documented in p2ptui.conf(5), and the
# example configuration is exactly what first run writes.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
cd "$top_srcdir" || exit 1
status=0
"$top_builddir/p2ptui" --default-config >"${TMPDIR:-/tmp}/p2ptui-default.$$" || exit 1
if ! cmp -s "${TMPDIR:-/tmp}/p2ptui-default.$$" contrib/p2ptui.conf.example; then
	diff -u contrib/p2ptui.conf.example "${TMPDIR:-/tmp}/p2ptui-default.$$"
	echo "FAIL: contrib/p2ptui.conf.example differs from p2ptui --default-config"
	status=1
fi
opts=$(sed -n 's/^#\([a-z_]*\) = .*/\1/p' "${TMPDIR:-/tmp}/p2ptui-default.$$")
rm -f "${TMPDIR:-/tmp}/p2ptui-default.$$"
[ -n "$opts" ] || { echo "FAIL: no options found"; exit 1; }
for o in $opts peers; do
	grep -qE "^\.It Ic $o( |$)" man/p2ptui.conf.5 || {
		echo "FAIL: option '$o' is not documented in man/p2ptui.conf.5 (.It Ic $o)"
		status=1
	}
done
# The same for p2ptui-rendezvous(8) and its example configuration.
"$top_builddir/p2ptui-rendezvous" --example-config >"${TMPDIR:-/tmp}/rdv-example.$$" || exit 1
cmp -s "${TMPDIR:-/tmp}/rdv-example.$$" contrib/p2ptui-rendezvous.conf.example || {
	diff -u contrib/p2ptui-rendezvous.conf.example "${TMPDIR:-/tmp}/rdv-example.$$"
	echo "FAIL: contrib/p2ptui-rendezvous.conf.example differs from --example-config"
	status=1
}
for o in $(sed -n 's/^#\([a-z_]*\) = .*/\1/p' "${TMPDIR:-/tmp}/rdv-example.$$"); do
	grep -qE "^\.It Ic $o " man/p2ptui-rendezvous.8 || {
		echo "FAIL: '$o' is not documented in man/p2ptui-rendezvous.8"
		status=1
	}
done
rm -f "${TMPDIR:-/tmp}/rdv-example.$$"
[ $status = 0 ] && echo "options: ok ($(echo $opts | wc -w) options)"
exit $status
