/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench_rdv: p2ptui-rendezvous under load, with the clients in this one
 * process (rdv_sess.c over non-blocking sockets, one poll).
 *
 *   bench_rdv PATH-TO-p2ptui-rendezvous [NIDLE [NSUBS [MIB]]]
 *
 * presence  NSUBS (1000) clients subscribe to X and X to them all; X
 *           goes offline, then comes back: the time until every
 *           subscriber has the PRESENCE, each way.
 * idle      NIDLE (10000) clients connected and logged in: the
 *           server's VmRSS per client (less its VmRSS before), and its
 *           CPU over 10 idle seconds.
 * relay     two introduced clients get a relay and push MIB (256) MiB
 *           through it one way; the same through a direct loopback TCP
 *           connection in the same run. Both are raw byte copies (the
 *           relay never touches the peers' Noise session), so the ratio
 *           is the relay's cost; the server's CPU time per relayed MiB.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ident.h"
#include "net.h"
#include "proto.h"
#include "rdv_proto.h"
#include "rdv_sess.h"
#include "util.h"

struct cl {
	int fd, open, online_seen, offline_seen, closed;
	struct rdv_sess s;
	uint8_t key[32];
	uint8_t token[32];
	int has_token;
};

static struct sockaddr_in srv_sin;
static pid_t srv_pid;
static uint8_t scratch[PROTO_FRAME_MAX];

static void
die(const char *what)
{
	fprintf(stderr, "bench_rdv: %s: %s\n", what, strerror(errno));
	if (srv_pid > 0)
		kill(srv_pid, SIGTERM);
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
srv_rss_kb(void)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)srv_pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static double
srv_cpu_s(void)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)srv_pid);
	if ((f = fopen(path, "r")) == NULL || fgets(buf, sizeof buf, f) == NULL)
		die("stat");
	fclose(f);
	p = strrchr(buf, ')');
	if (p == NULL ||
	    sscanf(p + 2,
	        "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	        "%lu %lu",
	        &ut, &st) != 2)
		die("stat format");
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int
tcp_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd == -1 ||
	    connect(fd, (struct sockaddr *)&srv_sin, sizeof srv_sin) == -1)
		die("connect");
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void
cl_start(struct cl *c)
{
	struct ident *id = ident_generate();

	memset(c, 0, sizeof *c);
	rdv_sess_init(&c->s, 1, id->sk);
	memcpy(c->key, id->pk, 32);
	ident_free(id);
	c->fd = tcp_connect();
}

static void
cl_send(struct cl *c, const struct rdv_msg *m)
{
	static uint8_t b[PROTO_FRAME_MAX];
	size_t n = rdv_proto_encode(m, b, sizeof b);

	if (n == 0 || rdv_sess_send(&c->s, b, n) == -1)
		die("encode");
}

static void
cl_event(struct cl *c, const uint8_t *p, size_t len)
{
	static struct rdv_msg m;
	const char *why;

	if (rdv_proto_decode(p, len, RDV_FROM_SERVER, &m, &why) == -1)
		return;
	if (m.type == RDV_MSG_NAME)
		c->open = 1;
	else if (m.type == RDV_MSG_PRESENCE) {
		if (m.flag)
			c->online_seen++;
		else
			c->offline_seen++;
	} else if (m.type == RDV_MSG_RELAY_TOKEN) {
		memcpy(c->token, m.token, 32);
		c->has_token = 1;
	}
}

/* One round of poll over n clients (ms at most). */
static void
pump(struct cl *cls, size_t n, int ms)
{
	static struct pollfd *pfd;
	static size_t cap;
	const uint8_t *msg;
	const char *why;
	size_t i, len;
	int r;

	if (cap < n) {
		pfd = realloc(pfd, n * sizeof *pfd);
		cap = n;
	}
	for (i = 0; i < n; i++) {
		struct cl *c = &cls[i];

		if (buf_used(&c->s.out) != 0)
			net_write(c->fd, &c->s.out);
		pfd[i].fd = c->closed ? -1 : c->fd;
		pfd[i].events =
		    POLLIN | (buf_used(&c->s.out) != 0 ? POLLOUT : 0);
	}
	if (poll(pfd, n, ms) == -1 && errno != EINTR)
		die("poll");
	for (i = 0; i < n; i++) {
		struct cl *c = &cls[i];

		if (pfd[i].revents & POLLOUT)
			net_write(c->fd, &c->s.out);
		if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		if (net_read(c->fd, &c->s.in, 65536) <= 0 && errno != EAGAIN) {
			c->closed = 1;
			continue;
		}
		while ((r = rdv_sess_next(&c->s, scratch, sizeof scratch, &msg,
		            &len, &why)) != 0) {
			if (r == -1) {
				c->closed = 1;
				break;
			}
			if (r == 1)
				cl_event(c, msg, len);
		}
	}
}

/* Pump until cond(cls, n) or 60 s. */
static int
pump_until(struct cl *cls, size_t n, int (*cond)(struct cl *, size_t))
{
	double end = now_s() + 60;

	while (!cond(cls, n)) {
		if (now_s() > end)
			return -1;
		pump(cls, n, 100);
	}
	return 0;
}

static int
all_open(struct cl *cls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!cls[i].open)
			return 0;
	return 1;
}

static size_t want_online, want_offline;

static int
subs_online(struct cl *cls, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if ((size_t)cls[i].online_seen < want_online)
			return 0;
	return 1;
}

static int
subs_offline(struct cl *cls, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if ((size_t)cls[i].offline_seen < want_offline)
			return 0;
	return 1;
}

static int
has_tokens(struct cl *cls, size_t n)
{
	(void)n;
	return cls[0].has_token && cls[1].has_token;
}

/* Connect n clients, a few hundred at a time. */
static void
connect_all(struct cl *cls, size_t n)
{
	size_t i, done = 0;

	for (i = 0; i < n; i++) {
		cl_start(&cls[i]);
		if (i - done >= 200 || i + 1 == n) {
			if (pump_until(cls + done, i + 1 - done, all_open) ==
			    -1)
				die("clients did not log in");
			done = i + 1;
		}
	}
}

static void
cl_close(struct cl *c)
{
	close(c->fd);
	c->closed = 1;
	rdv_sess_clear(&c->s);
}

static void
bench_presence(size_t nsubs)
{
	struct cl *cls = calloc(nsubs + 1, sizeof *cls);
	struct rdv_msg m;
	uint8_t *keys = malloc(nsubs * 32);
	double t0, t1, t2;
	size_t i;

	connect_all(cls, nsubs + 1);
	memset(&m, 0, sizeof m);
	m.type = RDV_MSG_SUBSCRIBE;
	m.n = 1;
	m.data = cls[0].key;
	for (i = 1; i <= nsubs; i++) {
		cl_send(&cls[i], &m);
		memcpy(keys + (i - 1) * 32, cls[i].key, 32);
	}
	pump(cls, nsubs + 1, 0);
	m.n = (uint16_t)nsubs;
	m.data = keys;
	want_online = 1;
	t0 = now_s();
	cl_send(&cls[0], &m);
	if (pump_until(cls, nsubs + 1, subs_online) == -1)
		die("online presence");
	t1 = now_s();
	want_offline = 1;
	cl_close(&cls[0]);
	if (pump_until(cls, nsubs + 1, subs_offline) == -1)
		die("offline presence");
	t2 = now_s();
	printf("presence  %zu mutual subscribers: X subscribes (comes online) "
	       "-> all told in %.1f ms; X goes offline -> all told in %.1f "
	       "ms\n",
	    nsubs, (t1 - t0) * 1000, (t2 - t1) * 1000);
	for (i = 1; i <= nsubs; i++)
		cl_close(&cls[i]);
	free(cls);
	free(keys);
}

static void
bench_idle(size_t n)
{
	struct cl *cls = calloc(n, sizeof *cls);
	long rss0, rss1;
	double c0, c1, t0;
	size_t i;

	rss0 = srv_rss_kb();
	connect_all(cls, n);
	rss1 = srv_rss_kb();
	c0 = srv_cpu_s();
	t0 = now_s();
	while (now_s() - t0 < 10)
		pump(cls, n, 1000);
	c1 = srv_cpu_s();
	printf("idle      %zu clients logged in: server VmRSS %ld -> %ld KiB, "
	       "%.2f KiB per client; CPU over 10 s idle %.2f%%\n",
	    n, rss0, rss1, (double)(rss1 - rss0) / (double)n, (c1 - c0) * 10.0);
	for (i = 0; i < n; i++)
		cl_close(&cls[i]);
	free(cls);
}

/* Push mib MiB from fd a to fd b; MiB/s. */
static double
push(int a, int b, size_t mib)
{
	static uint8_t chunk[256 * 1024], sink[256 * 1024];
	size_t total = mib * 1024 * 1024, sent = 0, got = 0;
	struct pollfd p[2];
	double t0 = now_s();
	ssize_t n;

	fcntl(a, F_SETFL, O_NONBLOCK);
	fcntl(b, F_SETFL, O_NONBLOCK);
	while (got < total) {
		p[0].fd = sent < total ? a : -1;
		p[0].events = POLLOUT;
		p[1].fd = b;
		p[1].events = POLLIN;
		if (poll(p, 2, 5000) <= 0)
			die("push stalled");
		if (p[0].revents & POLLOUT) {
			n = write(a, chunk,
			    total - sent < sizeof chunk ? total - sent
			                                : sizeof chunk);
			if (n > 0)
				sent += (size_t)n;
		}
		if (p[1].revents & POLLIN) {
			n = read(b, sink, sizeof sink);
			if (n <= 0)
				die("push read");
			got += (size_t)n;
		}
	}
	return (double)mib / (now_s() - t0);
}

static void
bench_relay(size_t mib)
{
	struct cl cls[2];
	struct rdv_msg m;
	uint8_t hello[RDV_HELLO_LEN];
	int h[2], sv[2], lfd, one = 1, i;
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;
	double relay, direct, c0, c1;

	connect_all(cls, 2);
	for (i = 0; i < 2; i++) {
		memset(&m, 0, sizeof m);
		m.type = RDV_MSG_SUBSCRIBE;
		m.n = 1;
		m.data = cls[!i].key;
		cl_send(&cls[i], &m);
	}
	pump(cls, 2, 100);
	memset(&m, 0, sizeof m);
	m.type = RDV_MSG_CONNECT;
	memcpy(m.key, cls[1].key, 32);
	cl_send(&cls[0], &m);
	pump(cls, 2, 100);
	m.type = RDV_MSG_RELAY;
	cl_send(&cls[0], &m);
	if (pump_until(cls, 2, has_tokens) == -1)
		die("no relay tokens");
	for (i = 0; i < 2; i++) {
		h[i] = tcp_connect();
		fcntl(h[i], F_SETFL, 0);
		rdv_proto_hello(cls[i].token, hello);
		if (write(h[i], hello, sizeof hello) != sizeof hello)
			die("hello");
	}
	c0 = srv_cpu_s();
	relay = push(h[0], h[1], mib);
	c1 = srv_cpu_s();
	/* The direct baseline: loopback TCP, the same bytes. */
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(lfd, 1) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &sl) == -1 ||
	    (sv[0] = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    connect(sv[0], (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    (sv[1] = accept(lfd, NULL, NULL)) == -1)
		die("direct");
	setsockopt(sv[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	direct = push(sv[0], sv[1], mib);
	printf("relay     %zu MiB one way: relayed %.0f MiB/s, direct loopback "
	       "TCP %.0f MiB/s (relay %.0f%% of direct); server CPU %.2f ms "
	       "per relayed MiB\n",
	    mib, relay, direct, 100.0 * relay / direct,
	    (c1 - c0) * 1000.0 / (double)mib);
	close(h[0]);
	close(h[1]);
	close(sv[0]);
	close(sv[1]);
	close(lfd);
}

int
main(int argc, char **argv)
{
	char dir[] = "/tmp/bench_rdv.XXXXXX", conf[128], line[256];
	char fp[64], addr[64], host[UTIL_HOST_MAX], *why;
	size_t nidle = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
	size_t nsubs = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000;
	size_t mib = argc > 4 ? strtoul(argv[4], NULL, 10) : 256;
	struct rlimit rl;
	uint16_t port;
	int p[2], status;
	FILE *f;

	if (argc < 2) {
		fprintf(stderr,
		    "usage: bench_rdv p2ptui-rendezvous [NIDLE "
		    "[NSUBS [MIB]]]\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if (ident_init() == -1 || mkdtemp(dir) == NULL)
		die("setup");
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	snprintf(conf, sizeof conf, "%s/r.conf", dir);
	if ((f = fopen(conf, "w")) == NULL)
		die(conf);
	fprintf(f,
	    "listen = \"127.0.0.1:0\";\ndata_dir = \"%s\";\n"
	    "max_per_address = 1000000;\naccept_rate = 100000;\n"
	    "relay_rate = 1000000000;\nmax_clients = 1000000;\n",
	    dir);
	fclose(f);
	if (pipe(p) == -1 || (srv_pid = fork()) == -1)
		die("fork");
	if (srv_pid == 0) {
		dup2(p[1], 1);
		execl(argv[1], argv[1], "-c", conf, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	f = fdopen(p[0], "r");
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "ready %63s %63s", fp, addr) == 2)
			break;
	if (util_parse_hostport(addr, host, &port, 1, &why) == -1)
		die("no ready line");
	srv_sin.sin_family = AF_INET;
	srv_sin.sin_port = htons(port);
	inet_pton(AF_INET, host, &srv_sin.sin_addr);
	printf("bench_rdv: server pid %d on %s\n", (int)srv_pid, addr);
	bench_presence(nsubs);
	bench_relay(mib);
	bench_idle(nidle);
	kill(srv_pid, SIGTERM);
	waitpid(srv_pid, &status, 0);
	return 0;
}
