/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench_scale: one headless p2ptui node (the hub) holding N authenticated
 * sessions, each from its own key, all opened by this one process.
 *
 *   bench_scale [-k SECS] [-t SECS] P2PTUI WORKDIR N...
 *
 * For each N in turn, a fresh hub whose configuration pins N peers
 * ("s0" ... by key; history = false, so the store is SQLite's :memory:
 * and the figures are the engine's and the loop's, not the disk's),
 * then:
 *
 * setup     N sessions dialled from the source addresses 127.0.0.2-250
 *           (the hub limits handshakes per source address), at most
 *           HS_CONC at a time (the hub keeps at most 32 incoming ones in
 *           the handshake): Noise_XX as initiator (src/noise.h) with the
 *           session's key, HELLO, and the hub's HELLO back; the hub
 *           prints "online" for each. The dials are spread evenly over
 *           one keepalive period, as sessions that came at unrelated
 *           times would be: opened back to back, their keepalive timers
 *           would fall due in waves, and a window of SECS would catch
 *           one wave or none (bench_session's idle does the same).
 * memory    VmRSS of the hub once all are online, less its VmRSS when it
 *           was ready with none, over N: bytes per session.
 * idle      once every session has had its first PING from the hub (one
 *           to two keepalive periods after its HELLO: from then on the
 *           PINGs are as frequent as they will stay), and 2 s more, SECS
 *           (-t, 10) seconds of nothing but keepalives: the hub's CPU share of
 * one core (utime + stime from /proc/PID/stat) and its wakeups per second
 * (voluntary + nonvoluntary context switches from /proc/PID/status: a process
 * asleep in epoll_wait or poll is switched in once per wakeup), and so the CPU
 * per wakeup. The sessions here answer the hub's PINGs but send none of their
 * own (PROTOCOL.md section 10 allows it), so the hub's keepalive timers are all
 *           there is: about N / (1.125 * keepalive) PINGs a second. -k
 *           sets the hub's keepalive (default 20, p2ptui's default).
 * deliver   one "/msg sI <100 bytes>" line per session written to the
 *           hub's stdin at once; the time until every session has its
 *           CHAT (each answers with an ACK), and until the hub has
 *           printed every "delivered".
 * quit      "/quit" written to the hub's stdin; the time until it has
 *           exited (its stdout closed; p2ptui(1) promises at most two
 *           seconds), and how many sessions had their BYE.
 *
 * Results go to stdout as "RESULT scale_<N>_<key> value" lines for
 * bench/run.sh; progress to stderr. This process raises its own open
 * files limit to the hard limit (the hub inherits it) and needs about N
 * descriptors of its own. The children are driven with bench/benchlib.c,
 * the sessions' handshakes with bench/benchpeer.c; the sessions' sockets
 * are in one epoll set, which benchlib's pump() polls with the children's
 * pipes (pump_extra), and pump_tick paces the dials.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchlib.h"
#include "benchpeer.h"
#include "ident.h"
#include "noise.h"
#include "proto.h"

#define HS_CONC 16
#define MSG_LEN 100
#define SESS_IN 1024 /* the hub sends PING, HELLO, CHAT of MSG_LEN */
#define SETTLE_NS 2000000000ULL

enum sess_state { S_IDLE, S_CONNECTING, S_MSG2, S_HELLO, S_ONLINE, S_DEAD };

struct sess {
	int fd;
	enum sess_state state;
	int pinged; /* has had a PING */
	struct noise_hs *hs;
	struct noise_cipher tx, rx;
	uint8_t sk[NOISE_KEYLEN];
	size_t inlen;
	uint8_t in[SESS_IN];
};

static struct {
	struct sockaddr_in hub;
	struct sess *s;
	size_t n, next; /* sessions; the next to dial */
	uint64_t t_dial, pace; /* when session i is dialled: t_dial + i pace */
	unsigned nsrc;
	int epfd;
	size_t inflight, online, dead;
	unsigned long pings, chats, byes;
	int quitting; /* the hub was told /quit: a BYE is expected */
	size_t npinged; /* sessions that have had a PING */
	uint64_t t_chat; /* when the last CHAT arrived */
} sc;

/* --- sessions ------------------------------------------------------------- */

/* Encrypt and write one message; the socket always takes a few bytes. */
static void
sess_send(struct sess *s, const struct proto_msg *m)
{
	uint8_t plain[256], frame[2 + 256 + NOISE_TAGLEN];
	size_t len;

	if ((len = proto_encode(m, plain, sizeof plain)) == 0)
		die("cannot encode message 0x%02x", m->type);
	proto_frame_header(frame, len + NOISE_TAGLEN);
	if (noise_cipher_encrypt(&s->tx, NULL, 0, plain, len, frame + 2) == -1)
		die("cannot encrypt");
	len += 2 + NOISE_TAGLEN;
	if (write(s->fd, frame, len) != (ssize_t)len)
		die("session %zu: short write: %s", (size_t)(s - sc.s),
		    strerror(errno));
}

static void
sess_watch(struct sess *s, int op, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.ptr = s;
	if (epoll_ctl(sc.epfd, op, s->fd, &ev) == -1)
		die("epoll_ctl: %s", strerror(errno));
}

/* Dial the next session. */
static void
sess_dial(void)
{
	struct sess *s = &sc.s[sc.next++];

	s->fd = bp_dial(&sc.hub, &sc.nsrc);
	s->state = S_CONNECTING;
	sc.inflight++;
	sess_watch(s, EPOLL_CTL_ADD, EPOLLOUT);
}

static void
sess_fill(void)
{
	uint64_t now = now_ns();

	while (sc.inflight < HS_CONC && sc.next < sc.n &&
	    now >= sc.t_dial + sc.next * sc.pace)
		sess_dial();
}

static void
sess_dead(struct sess *s, const char *why)
{
	if (s->state == S_DEAD)
		return;
	if (why != NULL)
		fprintf(
		    stderr, "  session s%zu: %s\n", (size_t)(s - sc.s), why);
	if (s->state < S_ONLINE)
		sc.inflight--;
	else
		sc.online--;
	s->state = S_DEAD;
	sc.dead++;
	epoll_ctl(sc.epfd, EPOLL_CTL_DEL, s->fd, NULL);
	close(s->fd);
	noise_hs_free(s->hs);
	s->hs = NULL;
}

/* Message 2 in: message 3 and HELLO out. */
static int
sess_msg2(struct sess *s, const uint8_t *frame, size_t len)
{
	struct proto_msg m;
	int r;

	r = bp_msg3(s->fd, s->hs, frame, len, &s->tx, &s->rx);
	noise_hs_free(s->hs);
	s->hs = NULL;
	if (r == -1)
		return -1;
	memset(&m, 0, sizeof m);
	m.type = PROTO_HELLO;
	m.u.hello.version = 1;
	snprintf(
	    m.u.hello.nick, sizeof m.u.hello.nick, "s%zu", (size_t)(s - sc.s));
	sess_send(s, &m);
	s->state = S_HELLO;
	return 0;
}

/* A transport message from the hub. */
static int
sess_msg(struct sess *s, const uint8_t *frame, size_t len)
{
	uint8_t plain[SESS_IN];
	struct proto_msg m, r;
	const char *why;

	if (len < NOISE_TAGLEN ||
	    noise_cipher_decrypt(&s->rx, NULL, 0, frame, len, plain) == -1 ||
	    proto_decode(plain, len - NOISE_TAGLEN, PROTO_TEXT_MAX, &m, &why) ==
	        -1)
		return -1;
	memset(&r, 0, sizeof r);
	switch (m.type) {
	case PROTO_HELLO:
		if (s->state != S_HELLO)
			return -1;
		s->state = S_ONLINE;
		sc.inflight--;
		sc.online++;
		break;
	case PROTO_PING:
		r.type = PROTO_PONG;
		r.u.token = m.u.token;
		sess_send(s, &r);
		sc.pings++;
		if (!s->pinged) {
			s->pinged = 1;
			sc.npinged++;
		}
		break;
	case PROTO_CHAT:
		r.type = PROTO_ACK;
		memcpy(r.u.ack.id, m.u.chat.id, sizeof r.u.ack.id);
		sess_send(s, &r);
		sc.chats++;
		sc.t_chat = now_ns();
		break;
	case PROTO_BYE:
		if (!sc.quitting)
			return -1;
		sc.byes++;
		sess_dead(s, NULL);
		break;
	default:
		break;
	}
	return 0;
}

static void
sess_connected(struct sess *s)
{
	socklen_t elen = sizeof(int);
	int err = 0;

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1 ||
	    err != 0 || (s->hs = bp_msg1(s->fd, s->sk)) == NULL) {
		sess_dead(s, "connection refused");
		return;
	}
	s->state = S_MSG2;
	sess_watch(s, EPOLL_CTL_MOD, EPOLLIN);
}

static void
sess_event(struct sess *s, uint32_t events)
{
	const uint8_t *frame;
	size_t len;
	ssize_t n;
	int r;

	if (s->state == S_DEAD)
		return;
	if (s->state == S_CONNECTING) {
		sess_connected(s);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = read(s->fd, s->in + s->inlen, sizeof s->in - s->inlen);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n <= 0) {
		sess_dead(s,
		    sc.quitting  ? "closed by the hub without BYE"
		        : n == 0 ? "closed by the hub"
		                 : strerror(errno));
		return;
	}
	s->inlen += (size_t)n;
	while ((r = proto_frame_next(s->in, s->inlen, &frame, &len)) == 1) {
		if ((s->state == S_MSG2 ? sess_msg2(s, frame, len)
		                        : sess_msg(s, frame, len)) == -1) {
			sess_dead(s, "bad or unexpected message");
			return;
		}
		if (s->state == S_DEAD)
			return; /* BYE */
		memmove(s->in, s->in + 2 + len, s->inlen - 2 - len);
		s->inlen -= 2 + len;
	}
	if (r == -1 || s->inlen == sizeof s->in)
		sess_dead(s, "bad frame");
}

/* --- the loop: the children's pipes and the sessions' epoll set ---------- */

/* pump_extra: the sessions' epoll set is readable. */
static void
scale_events(void)
{
	struct epoll_event ev[256];
	int i, k;

	if ((k = epoll_wait(sc.epfd, ev, 256, 0)) == -1 && errno != EINTR)
		die("epoll_wait: %s", strerror(errno));
	for (i = 0; i < k; i++)
		sess_event(ev[i].data.ptr, ev[i].events);
	sess_fill();
}

/* pump_tick: the next paced dial is due. */
static void
scale_tick(void)
{
	sess_fill();
	if (sc.next == sc.n)
		pump_tick = NULL;
	else
		tick_next = sc.t_dial + sc.next * sc.pace;
}

static unsigned long
proc_wakeups(pid_t pid)
{
	return proc_field(pid, "status", "voluntary_ctxt_switches:") +
	    proc_field(pid, "status", "nonvoluntary_ctxt_switches:");
}

/* --- one round ------------------------------------------------------------ */

/* The hub's configuration: limits, and the N keys pinned as peers. */
static char *
scale_conf(size_t n, int keepalive)
{
	char fp[IDENT_FP_LEN + 1], *conf, *p, *cause;
	struct noise_hs *tmp;
	size_t i;

	if ((conf = malloc(n * (IDENT_FP_LEN + 40) + 256)) == NULL)
		die("out of memory");
	p = conf +
	    sprintf(conf,
	        "history = false;\nkeepalive = %d;\n"
	        "handshake_rate = 1000;\nhandshake_rate_total = 100000;\n"
	        "max_peers = %zu;\n"
	        "peers = (\n",
	        keepalive, n + 64);
	for (i = 0; i < n; i++) {
		ident_random(sc.s[i].sk, NOISE_KEYLEN);
		if ((tmp = noise_hs_create(PROTO_NOISE, NOISE_INITIATOR, NULL,
		         0, &cause)) == NULL)
			die("noise: %s", cause);
		noise_hs_set_s(tmp, sc.s[i].sk);
		ident_fingerprint(noise_hs_local_static(tmp), fp);
		noise_hs_free(tmp);
		p += sprintf(p, "{name=\"s%zu\";key=\"%s\";}%s\n", i, fp,
		    i + 1 < n ? "," : "");
	}
	sprintf(p, ");\n");
	return conf;
}

static void
scale_round(size_t n, int keepalive, double idle_secs)
{
	struct child *hub;
	char name[32], line[256], *conf;
	unsigned long rss0, rss1, w0, w1, pings0;
	double cpu0, cpu1, secs;
	uint64_t t0, t1, dl;
	size_t i;
	int len;

	memset(&sc, 0, sizeof sc);
	sc.n = n;
	if ((sc.s = calloc(n, sizeof *sc.s)) == NULL)
		die("out of memory");
	if ((sc.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1: %s", strerror(errno));
	conf = scale_conf(n, keepalive);
	snprintf(name, sizeof name, "hub%zu", n);
	hub = node_start(name, conf);
	free(conf);
	node_wait_ready(hub);
	bp_node_addr(hub->addr, &sc.hub);
	rss0 = proc_field(hub->pid, "status", "VmRSS:");

	fprintf(stderr, "scale %zu: opening the sessions over %d s\n", n,
	    keepalive);
	sc.t_dial = now_ns();
	sc.pace = (uint64_t)keepalive * 1000000000ULL / n;
	pump_extra_fd = sc.epfd;
	pump_extra = scale_events;
	pump_tick = scale_tick;
	scale_tick();
	WAIT_UNTIL(sc.online == n && hub->nonline >= n,
	    keepalive * 1000 + 60000 + n * 20,
	    "%zu sessions (%zu online, hub %lu, %zu failed)", n, sc.online,
	    hub->nonline, sc.dead);
	/* Slower than the pace: the keepalives may come in waves. */
	if ((t1 = now_ns()) - sc.t_dial >
	    (uint64_t)keepalive * 1000000000ULL + SETTLE_NS)
		fprintf(stderr, "  (the sessions came late: %.1f s)\n",
		    (double)(t1 - sc.t_dial) / 1e9);

	/*
	 * The steady state: every session has had its first PING (which
	 * comes one to two keepalive periods after its HELLO).
	 */
	WAIT_UNTIL(sc.npinged == n, keepalive * 3000 + 10000,
	    "every session's first PING (%zu of %zu)", sc.npinged, n);
	pump_for(SETTLE_NS);
	rss1 = proc_field(hub->pid, "status", "VmRSS:");
	printf("RESULT scale_%zu_rss_kb %lu\n", n, rss1);
	printf("RESULT scale_%zu_bytes_per_session %.0f\n", n,
	    ((double)rss1 - (double)rss0) * 1024 / (double)n);

	fprintf(stderr, "scale %zu: hub (pid %ld) idle for %.0f s\n", n,
	    (long)hub->pid, idle_secs);
	pings0 = sc.pings;
	cpu0 = proc_cpu(hub->pid);
	w0 = proc_wakeups(hub->pid);
	t0 = now_ns();
	pump_for((uint64_t)(idle_secs * 1e9));
	cpu1 = proc_cpu(hub->pid);
	w1 = proc_wakeups(hub->pid);
	t1 = now_ns();
	secs = (double)(t1 - t0) / 1e9;
	if (sc.dead > 0 || sc.online != n)
		die("%zu sessions closed while idle", sc.dead);
	printf("RESULT scale_%zu_idle_cpu_pct %.3f\n", n,
	    (cpu1 - cpu0) * 100 / secs);
	printf("RESULT scale_%zu_idle_wakeups_per_s %.1f\n", n,
	    (double)(w1 - w0) / secs);
	printf("RESULT scale_%zu_idle_pings_per_s %.1f\n", n,
	    (double)(sc.pings - pings0) / secs);
	printf("RESULT scale_%zu_idle_us_per_wakeup %.1f\n", n,
	    w1 > w0 ? (cpu1 - cpu0) * 1e6 / (double)(w1 - w0) : 0.0);
	/* A wakeup serves all the timers that fell due together, so its
	 * cost grows with N by design; a PING's is what must not. */
	printf("RESULT scale_%zu_idle_us_per_ping %.1f\n", n,
	    sc.pings > pings0
	        ? (cpu1 - cpu0) * 1e6 / (double)(sc.pings - pings0)
	        : 0.0);

	fprintf(stderr, "scale %zu: one message to each session\n", n);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		len = snprintf(line, sizeof line, "/msg s%zu %010zu %.*s\n", i,
		    i, MSG_LEN - 11,
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN");
		child_send(hub, line, (size_t)len);
	}
	dl = 60000 + n * 10;
	WAIT_UNTIL(sc.chats >= n, dl, "%zu messages (have %lu)", n, sc.chats);
	WAIT_UNTIL(hub->ndelivered >= n, dl, "%zu delivered (have %lu)", n,
	    hub->ndelivered);
	printf("RESULT scale_%zu_deliver_ms %.1f\n", n,
	    (double)(sc.t_chat - t0) / 1e6);
	printf("RESULT scale_%zu_delivered_ms %.1f\n", n,
	    (double)(hub->t_delivered - t0) / 1e6);
	if (sc.chats != n || sc.dead > 0)
		die("%lu messages for %zu sessions, %zu closed", sc.chats, n,
		    sc.dead);

	fprintf(stderr, "scale %zu: /quit\n", n);
	sc.quitting = 1;
	hub->stopping = 1;
	t0 = now_ns();
	child_send(hub, "/quit\n", 6);
	WAIT_UNTIL(hub->out == -1, 30000, "the hub's exit after /quit");
	t1 = now_ns();
	/* What the hub wrote before it exited is in the sockets. */
	WAIT_UNTIL(sc.online == 0, 10000, "every session's BYE or end");
	printf("RESULT scale_%zu_quit_ms %.1f\n", n, (double)(t1 - t0) / 1e6);
	printf("RESULT scale_%zu_quit_byes %lu\n", n, sc.byes);
	children_stop();
	for (i = 0; i < n; i++) {
		if (sc.s[i].state != S_DEAD)
			close(sc.s[i].fd);
		ident_wipe(sc.s[i].sk, NOISE_KEYLEN);
	}
	close(sc.epfd);
	pump_extra_fd = -1;
	free(sc.s);
}

/* --- main ----------------------------------------------------------------- */

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
	    "usage: bench_scale [-k keepalive] [-t secs] p2ptui workdir "
	    "n...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct rlimit rl;
	double secs = 10;
	int keepalive = 20, ch, i;
	long n;

	while ((ch = getopt(argc, argv, "k:t:")) != -1) {
		switch (ch) {
		case 'k':
			keepalive = atoi(optarg);
			break;
		case 't':
			secs = atof(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 3 || secs <= 0)
		usage();
	p2ptui_path = argv[0];
	workdir = argv[1];
	bench_init("bench_scale");
	if (ident_init() == -1)
		die("libsodium cannot be initialised");
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (i = 2; i < argc; i++) {
		n = atol(argv[i]);
		if (n < 1 || (rlim_t)n + 64 > rl.rlim_cur)
			die("%s sessions: need 1 to %ld (open files limit)",
			    argv[i], (long)rl.rlim_cur - 64);
		scale_round((size_t)n, keepalive, secs);
	}
	return 0;
}
