#!/bin/sh
# Each third-party header has one owning module (DESIGN.md section 3):
# curses only in the UI, libsodium only in the crypto files, libconfig
# only in conf.c, SQLite only in store.c, libmicrohttpd and libwslay only
# in web*.c. And the engine never talks to
# the terminal: no stdio output from engine files.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$top_srcdir/src" || exit 1
status=0
check() {
	header=$1
	owners=$2
	for f in $(grep -l "#include <$header>" *.c *.h 2>/dev/null); do
		ok=0
		for o in $owners; do
			case $f in $o) ok=1 ;; esac
		done
		if [ $ok = 0 ]; then
			echo "FAIL: src/$f includes <$header> (owners: $owners)"
			status=1
		fi
	done
}
check curses.h 'ui.c ui_*.c'
check ncurses.h 'ui.c ui_*.c'
check sodium.h 'noise.c ident.c cpace.c'
check libconfig.h 'conf.c'
check sqlite3.h 'store.c'
check qrencode.h 'qr.c'
check microhttpd.h 'web.c web_*.c'
check wslay/wslay.h 'web.c web_*.c'
# Engine modules report through struct fe_ops, never by printing.
for f in peer.c net.c proto.c noise.c cpace.c cmd.c; do
	[ -f "$f" ] || continue
	if grep -nE '(^|[^a-z_])(printf|puts|perror)[[:space:]]*\(|(fputs|fprintf|fputc|putc)[[:space:]]*\([^;]*(stdout|stderr)' "$f"; then
		echo "FAIL: src/$f prints; report through fe_ops instead"
		status=1
	fi
done
[ $status = 0 ] && echo "layering: ok"
exit $status
