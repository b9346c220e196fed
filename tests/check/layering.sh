#!/bin/sh
# Each third-party header has one owning module (DESIGN.md section 3):
# curses only in the UI, libsodium only in the crypto files, libconfig
# only in conf.c, SQLite only in store.c and store_*.c, libmicrohttpd and
# libwslay only in web*.c. And the engine never talks to the terminal: no
# stdio output from engine files.
#
# The layers of DESIGN.md section 3: the engine files include no feature
# header (only the table, features.c, does), a feature includes no other
# feature's header, and nothing below cmd.c includes a frontend header.
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
check libconfig.h 'conf.c conf_*.c'
check sqlite3.h 'store.c store_*.c'
check qrencode.h 'qr.c'
check microhttpd.h 'web.c web_*.c'
check wslay/wslay.h 'web.c web_*.c'
check miniupnpc/miniupnpc.h 'portmap.c'
check natpmp.h 'portmap.c'
# Which file includes which project header: "FILE HEADER" lines.
includes() {
	for f in *.c *.h; do
		sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
		    while read -r h; do echo "$f $h"; done
	done
}
# Features: the files that export a descriptor, and the ones to come.
feature_files=$(grep -l '^const struct feature [a-z_]*_feature = ' *.c 2>/dev/null)
feature_headers=$(for f in $feature_files; do echo "${f%.c}.h"; done)
feature_headers="$feature_headers chat.h flip.h xfer.h room.h swarm.h rdv.h"
engine_files='conn.c admit.c peer.c engine.c engine.h engine_int.h feature.h'
frontend_header() {
	case $1 in ui.h|ui_*.h|headless.h|cmd.h|app.h|web.h|web_*.h) return 0 ;; esac
	return 1
}
frontend_file() {
	case $1 in ui.c|ui_*.c|ui.h|ui_*.h|headless.c|headless.h|cmd.c|cmd_*.c|cmd.h|cmd_*.h|app.c|app.h|p2ptui.c|web.c|web_*.c|web.h|web_*.h) return 0 ;; esac
	return 1
}
is_in() {
	x=$1
	shift
	for y in "$@"; do [ "$x" = "$y" ] && return 0; done
	return 1
}
inc=$(includes)
while read -r f h; do
	[ -n "$f" ] || continue
	if is_in "$f" $engine_files && is_in "$h" $feature_headers; then
		echo "FAIL: src/$f includes the feature header $h (only features.c may)"
		status=1
	fi
	if is_in "$f" $feature_files && is_in "$h" $feature_headers &&
	    [ "$h" != "${f%.c}.h" ]; then
		echo "FAIL: src/$f, a feature, includes another feature's $h"
		status=1
	fi
	if frontend_header "$h" && ! frontend_file "$f"; then
		echo "FAIL: src/$f includes the frontend header $h (below cmd.c)"
		status=1
	fi
done <<EOF2
$inc
EOF2
# Engine modules report through struct fe_ops, never by printing.
for f in peer.c conn.c admit.c engine.c features.c chat.c flip.c xfer.c xfer_disk.c xfer_recv.c \
    swarm_proto.c swarm_pick.c \
    net.c proto.c noise.c cpace.c cmd.c cmd_flip.c cmd_file.c; do
	[ -f "$f" ] || continue
	if grep -nE '(^|[^a-z_])(printf|puts|perror)[[:space:]]*\(|(fputs|fprintf|fputc|putc)[[:space:]]*\([^;]*(stdout|stderr)' "$f"; then
		echo "FAIL: src/$f prints; report through fe_ops instead"
		status=1
	fi
done
[ $status = 0 ] && echo "layering: ok"
exit $status
