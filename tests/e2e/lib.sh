# SPDX-License-Identifier: GPL-3.0-or-later
# Shared helpers for the end-to-end tests. Every test runs real p2ptui
# processes with a temporary HOME, talks to them over real sockets, and
# waits for conditions with a deadline: nothing sleeps and hopes.
#
#   . "$top_srcdir/tests/e2e/lib.sh"
#   node_start alice            # headless node with its own HOME
#   node_cmd alice "/peers"     # a line on its stdin
#   wait_for alice '^ready '    # its stdout matches, or fail with a dump
#   tmux_start ui 80 24 cmd...  # a real terminal in a private tmux server
#   wait_screen ui 'text'       # the screen shows text, or fail with a dump

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
P2PTUI="$top_builddir/p2ptui"
# Sanitizer builds: fail loudly, never hide a leak.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
TIMEOUT="${P2PTUI_TEST_TIMEOUT:-20}"

T=$(mktemp -d "${TMPDIR:-/tmp}/p2ptui-test.XXXXXX")
TMUX_SOCKET="p2ptui-test-$$"
_pids=""
_fds=""

cleanup() {
	local pid
	for pid in $_pids; do
		kill "$pid" 2>/dev/null
		# A stopped one ends only once continued. Only a stopped one:
		# a SIGCONT discards a pending SIGSTOP, and LeakSanitizer stops
		# an exiting process with one (PTRACE_ATTACH) to check for
		# leaks, so a blind SIGCONT can leave it spinning forever.
		[ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != T ] ||
		    kill -CONT "$pid" 2>/dev/null
	done
	for pid in $_pids; do
		wait "$pid" 2>/dev/null
	done
	tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null
	[ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# now_ms: monotonic-enough milliseconds for deadlines.
now_ms() {
	date +%s%3N
}

# node_home NAME: make $T/NAME a HOME with a config listening on a free
# loopback port, LAN discovery off (the tests of one machine would hear
# each other's beacons; tests/e2e/lan.sh turns it on in its own network
# namespaces). Extra config lines can be appended afterwards.
node_home() {
	local name=$1 home="$T/$1"
	mkdir -p "$home"
	cat >"$home/.p2ptui.conf" <<CONF
nick = "$name";
listen = "127.0.0.1:0";
keepalive = 5;
lan_announce = "off";
CONF
	echo "$home"
}

# node_start NAME [ARGS...]: start a headless node; its stdin is a fifo,
# its stdout $T/NAME.out, its stderr $T/NAME.err. With NODE_WRAP set
# (say "ip netns exec NS"), the node runs under that command.
node_start() {
	local name=$1 home="$T/$1"
	shift
	[ -d "$home" ] || node_home "$name" >/dev/null
	rm -f "$T/$name.in"
	mkfifo "$T/$name.in"
	: >"$T/$name.out"
	# The child must not inherit the other nodes' fifo ends, or they
	# would never see end of input.
	(
		for fd in $_fds; do
			eval "exec $fd>&-"
		done
		HOME="$home" exec ${NODE_WRAP:-} "$P2PTUI" --headless "$@" \
		    <"$T/$name.in" >>"$T/$name.out" 2>>"$T/$name.err"
	) &
	eval "pid_$name=$!"
	_pids="$_pids $!"
	# Hold the fifo open so the node sees end of input only when we say.
	eval "exec {fd_$name}>\"$T/$name.in\""
	eval "_fds=\"\$_fds \$fd_$name\""
}

# node_start_piped NAME: like node_start, but stdout goes to a fifo the
# test opens (fd rd_NAME) and does not read yet, so the node blocks once
# the pipe is full; `cat <&"$rd_NAME" >>"$T/NAME.out"` drains it.
node_start_piped() {
	local name=$1 home="$T/$1"
	rm -f "$T/$name.in" "$T/$name.pipe"
	mkfifo "$T/$name.in" "$T/$name.pipe"
	(
		for fd in $_fds; do
			eval "exec $fd>&-"
		done
		HOME="$home" exec "$P2PTUI" --headless <"$T/$name.in" \
		    >"$T/$name.pipe" 2>>"$T/$name.err"
	) &
	eval "pid_$name=$!"
	_pids="$_pids $!"
	eval "exec {fd_$name}>\"$T/$name.in\""
	eval "_fds=\"\$_fds \$fd_$name\""
	eval "exec {rd_$name}<\"$T/$name.pipe\""
}

# wait_blocked NAME: wait until NAME is blocked writing to a full pipe.
wait_blocked() {
	local pid deadline
	eval "pid=\$pid_$1"
	deadline=$(($(now_ms) + TIMEOUT * 1000))
	until grep -q pipe "/proc/$pid/wchan" 2>/dev/null; do
		[ "$(now_ms)" -lt "$deadline" ] || fail "$1 never blocked on its output"
		sleep 0.05
	done
}

# node_kill_piped NAME: kill -9 a node of node_start_piped, then drain
# what reached its pipe into $T/NAME.out.
node_kill_piped() {
	local pid rd
	eval "pid=\$pid_$1 rd=\$rd_$1"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	cat <&"$rd" >>"$T/$1.out"
	eval "exec {rd_$1}<&-"
	node_eof "$1" 2>/dev/null
}

# node_fix_addr NAME [VAR]: give NAME a fixed listen address, so its
# peers find it again after restarts: start it once on a free port, stop
# it, and write that address into its configuration (and into VAR).
# NAME is left stopped, for more configuration before node_start. The
# port lies below the kernel's ephemeral range: one the kernel chose for
# it could be taken by another test's outgoing connection once it is
# stopped (distcheck saw "Address already in use" on a restart).
node_fix_addr() {
	local _addr lo port tries=0
	lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ "${lo:-0}" -gt 11024 ] 2>/dev/null || lo=32768
	while :; do
		port=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
		# Nobody listens there (nothing else binds below the range).
		! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		tries=$((tries + 1))
		[ $tries -lt 20 ] || fail "no free port below $lo"
	done
	[ -d "$T/$1" ] || node_home "$1" >/dev/null
	sed -i "s/^\(listen = \".*:\)0\";/\1$port\";/" "$T/$1/.p2ptui.conf"
	node_start "$1"
	_addr=$(node_addr "$1")
	node_kill "$1"
	sed -i "s/^listen = .*/listen = \"$_addr\";/" "$T/$1/.p2ptui.conf"
	[ -z "${2:-}" ] || printf -v "$2" '%s' "$_addr"
}

# node_cmd NAME LINE: send a command line to a node.
node_cmd() {
	local fd
	eval "fd=\$fd_$1"
	# A node that died leaves its fifo without a reader: say so, with
	# its last words, instead of dying of SIGPIPE without a word (141).
	(trap '' PIPE && printf '%s\n' "$2" >&"$fd") 2>/dev/null || {
		echo "--- $1 stdout ---" >&2
		tail -n 20 "$T/$1.out" >&2
		echo "--- $1 stderr ---" >&2
		tail -n 20 "$T/$1.err" >&2 2>/dev/null
		fail "$1 is gone: it could not be told '$2'"
	}
}

# node_eof NAME: close the node's stdin (it quits).
node_eof() {
	local fd
	eval "fd=\$fd_$1"
	eval "exec $fd>&-"
}

# node_kill NAME [SIGNAL]: kill a node and reap it.
node_kill() {
	local pid
	eval "pid=\$pid_$1"
	kill -"${2:-TERM}" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	node_eof "$1" 2>/dev/null || true
}

# node_wait_exit NAME: wait (with the deadline) for a node to exit; sets
# node_status.
node_wait_exit() {
	local pid deadline
	eval "pid=\$pid_$1"
	deadline=$(($(now_ms) + TIMEOUT * 1000))
	while kill -0 "$pid" 2>/dev/null; do
		[ "$(now_ms)" -lt "$deadline" ] || fail "$1 did not exit"
		sleep 0.05
	done
	wait "$pid"
	node_status=$?
}

# wait_for NAME REGEX [COUNT]: wait until NAME's output has COUNT (1)
# lines matching REGEX; on timeout, dump the output and fail.
wait_for() {
	local name=$1 re=$2 count=${3:-1} deadline n
	deadline=$(($(now_ms) + TIMEOUT * 1000))
	while :; do
		# No output file yet is no match, not an error that ends the wait.
		n=$(grep -cE -- "$re" "$T/$name.out" 2>/dev/null)
		[ "${n:-0}" -lt "$count" ] || break
		if [ "$(now_ms)" -ge "$deadline" ]; then
			# The ends only: a full dump of a long run would push
			# the rest of the suite's report out of sight.
			echo "--- $name stdout (last 60 lines) ---" >&2
			tail -n 60 "$T/$name.out" >&2
			echo "--- $name stderr (last 20 lines) ---" >&2
			tail -n 20 "$T/$name.err" >&2 2>/dev/null
			fail "$name: timed out waiting for /$re/ x$count (${n:-0} so far)"
		fi
		sleep 0.02
	done
}

# field NAME REGEX N: the Nth field of the last line of NAME matching REGEX.
field() {
	grep -E -- "$2" "$T/$1.out" | tail -n 1 | cut -d' ' -f"$3"
}

# node_addr NAME / node_fp NAME: from the node's ready event.
node_addr() {
	wait_for "$1" '^ready '
	field "$1" '^ready ' 3
}
node_fp() {
	wait_for "$1" '^ready '
	field "$1" '^ready ' 2
}

# node_sockets NAME: how many sockets the node holds (1 is its listener).
node_sockets() {
	local pid n=0 f
	eval "pid=\$pid_$1"
	for f in /proc/"$pid"/fd/*; do
		case $(readlink "$f" 2>/dev/null) in socket:*) n=$((n + 1)) ;; esac
	done
	echo $n
}

# count NAME REGEX: how many lines of NAME's output match.
count() {
	grep -cE -- "$2" "$T/$1.out" 2>/dev/null
}

# client_start NAME NODE COMMAND...: run a test client (tests/tools) that
# dials NODE, in the background, its stdout $T/NAME.out and stderr
# $T/NAME.err; NODE accepts its contact request and the client reports
# "online". Sets client_peer, its name at NODE.
client_start() {
	local name=$1 node=$2 requests
	shift 2
	requests=$(count "$node" '^request ')
	"$@" >"$T/$name.out" 2>"$T/$name.err" &
	eval "pid_$name=$!"
	_pids="$_pids $!" # killed by cleanup if the test fails first
	wait_for "$node" '^request ' $((${requests:-0} + 1))
	client_peer=$(field "$node" '^request ' 2)
	node_cmd "$node" "/accept $client_peer"
	wait_for "$name" '^online$'
}

# client_done NAME: the client exits 0 (its mode ran to the end it
# expects), or fail with its stderr.
client_done() {
	local pid
	eval "pid=\$pid_$1"
	wait "$pid" || { cat "$T/$1.err" >&2; fail "$1 failed"; }
}

# --- tmux ----------------------------------------------------------------

tmux_cmd() {
	tmux -L "$TMUX_SOCKET" -f /dev/null "$@"
}

# tmux_start NAME COLS ROWS COMMAND...: run COMMAND in a new private
# tmux session of that size.
tmux_start() {
	local name=$1 cols=$2 rows=$3
	shift 3
	command -v tmux >/dev/null || skip "tmux is not installed"
	tmux_cmd new-session -d -s "$name" -x "$cols" -y "$rows" \
	    "$*; echo \"[exit \$?]\"; sleep 600"
	tmux_cmd set-option -t "$name" remain-on-exit on >/dev/null
}

screen() {
	tmux_cmd capture-pane -p -t "$1"
}

# wait_screen NAME REGEX: wait until the screen matches (grep -E).
wait_screen() {
	local name=$1 re=$2 deadline
	deadline=$(($(now_ms) + TIMEOUT * 1000))
	while ! screen "$name" | grep -qE -- "$re"; do
		if [ "$(now_ms)" -ge "$deadline" ]; then
			echo "--- screen of $name ---" >&2
			screen "$name" >&2
			fail "$name: timed out waiting for /$re/ on screen"
		fi
		sleep 0.05
	done
}

# wait_screen_gone NAME REGEX: wait until the screen no longer matches.
wait_screen_gone() {
	local deadline=$(($(now_ms) + TIMEOUT * 1000))
	while screen "$1" | grep -qE -- "$2"; do
		if [ "$(now_ms)" -ge "$deadline" ]; then
			screen "$1" >&2
			fail "$1: /$2/ still on screen"
		fi
		sleep 0.05
	done
}

# wait_cursor NAME COLUMN: wait until the cursor is in that column.
wait_cursor() {
	local deadline=$(($(now_ms) + TIMEOUT * 1000)) x
	while x=$(tmux_cmd display -p -t "$1" '#{cursor_x}') && [ "$x" != "$2" ]; do
		if [ "$(now_ms)" -ge "$deadline" ]; then
			screen "$1" >&2
			fail "$1: cursor at column $x, not $2"
		fi
		sleep 0.05
	done
}

keys() {
	local name=$1
	shift
	tmux_cmd send-keys -t "$name" "$@"
}

# introduce A B [ADDR]: B dials A (at ADDR, default A's own address), A
# accepts the contact request, both come online. Sets b_name (B as A
# calls it) and a_name (A as B calls it).
introduce() {
	local asked online
	asked=$(count "$1" '^request ')
	online=$(count "$2" '^online ')
	node_cmd "$2" "/connect ${3:-$(node_addr "$1")}"
	wait_for "$1" '^request ' $((asked + 1))
	b_name=$(field "$1" '^request ' 2)
	node_cmd "$1" "/accept $b_name"
	wait_for "$2" '^online ' $((online + 1))
	a_name=$(field "$2" '^online ' 2)
	wait_for "$1" "^online $b_name "
}

# ask A B [ADDR]: B dials A (at ADDR, default A's own address) and A
# gets the contact request, left unanswered. Sets b_name (B as A calls
# it) and a_name (A as B calls it).
ask() {
	local asked new
	asked=$(count "$1" '^request ')
	new=$(count "$2" '^info new peer ')
	node_cmd "$2" "/connect ${3:-$(node_addr "$1")}"
	wait_for "$1" '^request ' $((asked + 1))
	b_name=$(field "$1" '^request ' 2)
	wait_for "$2" '^info new peer ' $((new + 1))
	a_name=$(field "$2" '^info new peer ' 4)
}

# pinned_homes UI PEER: homes for a terminal instance UI and a headless
# PEER; each key in $T/NAME.fp, and PEER's configuration pins UI's key.
# The UI's peers entry is left to the test (it knows PEER's address).
pinned_homes() {
	local n
	for n in "$1" "$2"; do
		node_home "$n" >/dev/null
		HOME="$T/$n" "$P2PTUI" --fingerprint >"$T/$n.fp" 2>/dev/null ||
		    fail "no fingerprint for $n"
	done
	printf 'peers = ( { name = "%s"; key = "%s"; } );\n' "$1" \
	    "$(cat "$T/$1.fp")" >>"$T/$2/.p2ptui.conf"
}

# tui_with_bob COLS ROWS [CONFIG-LINE...]: a terminal UI "ui" of that
# size for alice (timestamps off, then the lines given) and a headless
# bob, pinned both ways, online.
tui_with_bob() {
	local cols=$1 rows=$2 line
	shift 2
	pinned_homes alice bob
	node_start bob
	{
		echo 'timestamps = false;'
		for line in "$@"; do echo "$line"; done
		printf 'peers = ( { name = "bob"; key = "%s"; address = "%s"; } );\n' \
		    "$(cat "$T/bob.fp")" "$(node_addr bob)"
	} >>"$T/alice/.p2ptui.conf"
	tmux_start ui "$cols" "$rows" \
	    "cd $T && HOME=$T/alice TERM=screen LC_ALL=C.UTF-8 $P2PTUI"
	wait_for bob '^online alice '
}

# --- web -----------------------------------------------------------------

# web_start NAME [ARGS...]: run p2ptui --web for NAME (stdout $T/NAME.out,
# stderr $T/NAME.err) and wait for its URL, in web_url.
web_start() {
	local name=$1 home="$T/$1"
	shift
	: >"$T/$name.out"
	HOME="$home" "$P2PTUI" --web "$@" </dev/null >>"$T/$name.out" \
	    2>>"$T/$name.err" &
	eval "pid_$name=$!"
	_pids="$_pids $!"
	wait_for "$name" '^web http://'
	web_url=$(field "$name" '^web http://' 2)
}

# web_stop NAME: SIGTERM a p2ptui --web and require a clean exit (0, and
# in a sanitizer build no leak, which would abort it).
web_stop() {
	local pid
	eval "pid=\$pid_$1"
	kill -TERM "$pid"
	node_wait_exit "$1"
	[ "$node_status" = 0 ] || { tail -n 40 "$T/$1.err" >&2; fail "$1 exited $node_status"; }
}
