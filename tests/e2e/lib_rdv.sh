# SPDX-License-Identifier: GPL-3.0-or-later
# Helpers for the rendezvous tests, on top of lib.sh:
#
#   rdv_start [LINES]          # p2ptui-rendezvous "rdv" on a free port:
#                              # sets RDV_ADDR and RDV_FP; LINES go into
#                              # its configuration ($T/rdv.conf)
#   rdv_restart                # stop it and start it again, same port
#   rc_start NAME [ARGS...]    # tests/tools/rdvclient as NAME: sets
#                              # key_NAME, its fingerprint
#
# Both are driven like nodes: node_cmd, wait_for, node_kill.
RDVD="$top_builddir/p2ptui-rendezvous"
RDVCLIENT="$top_builddir/tests/tools/rdvclient"

# proc_start NAME CMD...: like node_start, for any program.
proc_start() {
	local name=$1
	shift
	rm -f "$T/$name.in"
	mkfifo "$T/$name.in"
	: >"$T/$name.out"
	(
		for fd in $_fds; do
			eval "exec $fd>&-"
		done
		exec "$@" <"$T/$name.in" >>"$T/$name.out" 2>>"$T/$name.err"
	) &
	eval "pid_$name=$!"
	_pids="$_pids $!"
	eval "exec {fd_$name}>\"$T/$name.in\""
	eval "_fds=\"\$_fds \$fd_$name\""
}

rdv_start() {
	mkdir -p "$T/rdvdata"
	{
		echo "listen = \"${RDV_ADDR:-127.0.0.1:0}\";"
		echo "data_dir = \"$T/rdvdata\";"
		[ $# = 0 ] || printf '%s\n' "$@"
	} >"$T/rdv.conf"
	proc_start rdv "$RDVD" -c "$T/rdv.conf" -v
	wait_for rdv '^ready '
	RDV_FP=$(field rdv '^ready ' 2)
	RDV_ADDR=$(field rdv '^ready ' 3)
}

rdv_restart() {
	node_kill rdv
	sed -i "s/^listen = .*/listen = \"$RDV_ADDR\";/" "$T/rdv.conf"
	: >"$T/rdv.out"
	proc_start rdv "$RDVD" -c "$T/rdv.conf" -v
	wait_for rdv '^ready '
	[ "$(field rdv '^ready ' 2)" = "$RDV_FP" ] || fail "the key changed"
}

rc_start() {
	local name=$1
	shift
	proc_start "$name" "$RDVCLIENT" -p "$RDV_FP" "$@" "$RDV_ADDR"
	wait_for "$name" '^open '
	eval "key_$name=\$(field $name '^key ' 2)"
}
