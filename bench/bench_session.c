/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench_session: the session-layer benchmarks that need real processes
 * and sockets. One single-threaded driver multiplexes with poll(2) the
 * stdin/stdout pipes of headless p2ptui nodes (or rawnode baselines) and,
 * for the handshake benchmark, its own client sockets. Every wait is for a
 * condition with a deadline; a timeout fails the run and shows the
 * nodes' last output. Times come from CLOCK_MONOTONIC. Each node gets its
 * own HOME under WORKDIR. Results go to stdout as "RESULT key value"
 * lines for bench/run.sh; progress and diagnostics go to stderr. The
 * children are driven with bench/benchlib.c, as bench_xfer's are.
 *
 *   bench_session [-c CONC] [-k KNOWN] [-n COUNT] [-r ROUNDS] \
 *       [-s SAMPLES] [-S STRACE] [-t SECS] P2PTUI RAWNODE WORKDIR \
 *       handshake|throughput|durable|latency|idle
 *
 * "In memory" is a p2ptui node with "history = false;" (the message
 * store in SQLite's :memory:, nothing on disk: the session layer alone),
 * "on disk" one with "history = true;" (WAL, synchronous=FULL,
 * history.db under its HOME). throughput runs p2ptui in memory; durable
 * and latency run both; handshake and idle keep the default (on disk).
 *
 * handshake   Noise_XX handshakes/s against one headless node over
 *             loopback. CONC (16) client connections at a time, each
 *             bound to the next of the source addresses 127.0.0.2-250
 *             (the node limits handshakes per source address), dial,
 *             run XX as initiator (src/noise.h, framing and payloads of
 *             src/proto.h) with one of 2*CONC static keys that the
 *             node's configuration pins as peers, and count a handshake
 *             once the node's first transport message (its HELLO)
 *             decrypts; then close and start over. Runs SECONDS (5).
 *             Also reports the node's CPU time per handshake. With
 *             -k, KNOWN (0) more pinned peers, listed before those, that
 *             never connect: the cost of a large address book.
 * throughput  COUNT (200000) "/msg B <100 bytes>" lines written to A's
 *             stdin as fast as the pipe takes them; the time until B
 *             has printed COUNT "msg" lines (and then all acks must come
 *             back). The same through two rawnodes. ROUNDS (3) rounds,
 *             alternating; the median counts. Also the peak RSS (VmHWM)
 *             and CPU time per message of both nodes.
 * durable     The same COUNT (100000) messages, counted until A has
 *             printed COUNT "delivered" lines: each stored and committed
 *             by A, then by B, and B's ack stored by A. On disk and in
 *             memory, ROUNDS (3) rounds, alternating; the median counts.
 *             Then the database bytes per message on both sides, live
 *             (history.db + history.db-wal) and after a clean exit
 *             (which checkpoints and removes the WAL). With -S STRACE,
 *             one more untimed round on disk with both nodes under
 *             "STRACE -f -c --seccomp-bpf -e trace=fsync,fdatasync"
 *             (only those calls stop the node) counts their fsyncs.
 * latency     One message at a time: from writing "/msg" to A's stdin
 *             until A prints "delivered" (B's ack), SAMPLES (5000)
 *             samples after 200 for warm-up; p50, p99. The same on disk
 *             and through a rawnode pair, the three pairs running
 *             alongside, alternating samples.
 * idle        A hub with 10 peers (11 processes), all idle: the hub's
 *             wakeups per second over SECONDS (40: two keepalive
 *             periods, so the figure does not depend on where the window
 *             falls), as the delta of voluntary_ctxt_switches +
 *             nonvoluntary_ctxt_switches in /proc/PID/status: a process
 *             asleep in poll() is switched in once per wakeup.
 */
#include <sys/socket.h>
#include <sys/stat.h>
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

#define PIPE_SIZE (1024 * 1024)
#define MSG_LEN 100
#define HS_MAX_CONC 64
#define IDLE_PEERS 10
#define IDLE_KEEPALIVE 20 /* p2ptui's default, in seconds */

static const char *rawnode_path;

/* Errors are counted (nerror) and shown as they come. */
static void
session_event(struct child *c, const char *line, uint64_t now)
{
	(void)now;
	if (PREFIX(line, "error "))
		fprintf(stderr, "  %s: %s\n", c->name,
		    c->last[(c->nlines - 1) % CHILD_LAST]);
}

/* --- nodes ---------------------------------------------------------------- */

static unsigned long
proc_wakeups(pid_t pid)
{
	return proc_field(pid, "status", "voluntary_ctxt_switches:") +
	    proc_field(pid, "status", "nonvoluntary_ctxt_switches:");
}

/* Bytes of the node's data directory file NAME (0 if there is none). */
static unsigned long long
node_file_size(const struct child *c, const char *file)
{
	char path[4096];
	struct stat sb;

	snprintf(path, sizeof path, "%s/%s/.local/share/p2ptui/%s", workdir,
	    c->name, file);
	if (stat(path, &sb) == -1) {
		if (errno == ENOENT)
			return 0;
		die("%s: %s", path, strerror(errno));
	}
	return (unsigned long long)sb.st_size;
}

/* history.db + history.db-wal */
static unsigned long long
node_db_size(const struct child *c)
{
	return node_file_size(c, "history.db") +
	    node_file_size(c, "history.db-wal");
}

/* fsync + fdatasync calls in the node's strace -c summary; -1 if none. */
static long
node_fsyncs(const struct child *c)
{
	char path[4096], line[512], *tok[8], *p;
	long n = -1;
	int ntok;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s.strace", workdir, c->name);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	/* "% time  seconds  usecs/call  calls  [errors]  syscall" */
	while (fgets(line, sizeof line, f) != NULL) {
		ntok = 0;
		for (p = strtok(line, " \t\n"); p != NULL && ntok < 8;
		     p = strtok(NULL, " \t\n"))
			tok[ntok++] = p;
		if (ntok < 5 ||
		    (strcmp(tok[ntok - 1], "fsync") != 0 &&
		        strcmp(tok[ntok - 1], "fdatasync") != 0))
			continue;
		n = (n < 0 ? 0 : n) + strtol(tok[3], NULL, 10);
	}
	fclose(f);
	return n;
}

enum pair_kind {
	PAIR_MEM, /* p2ptui, history = false */
	PAIR_DISK, /* p2ptui, history = true */
	PAIR_RAW, /* rawnode */
};

static const char *const pair_label[] = {
	[PAIR_MEM] = "p2ptui in memory",
	[PAIR_DISK] = "p2ptui on disk",
	[PAIR_RAW] = "rawnode",
};

/*
 * Two connected nodes, a sending to b: p2ptui, or rawnode (the listening
 * one is a). *name receives what a calls b.
 */
static void
pair_start(const char *what, enum pair_kind kind, struct child **a,
    struct child **b, char *name, size_t namelen)
{
	static int seq;
	const char *conf;
	char *argv[4], cname[32];

	seq++;
	if (kind != PAIR_RAW) {
		conf = kind == PAIR_DISK ? "history = true;\n"
		                         : "history = false;\n";
		snprintf(cname, sizeof cname, "%s%d-%s-a", what, seq,
		    kind == PAIR_DISK ? "disk" : "mem");
		*a = node_start(cname, conf);
		snprintf(cname, sizeof cname, "%s%d-%s-b", what, seq,
		    kind == PAIR_DISK ? "disk" : "mem");
		*b = node_start(cname, conf);
		node_wait_ready(*a);
		node_wait_ready(*b);
		node_introduce(*a, *b);
		snprintf(name, namelen, "%s", (*a)->peer_name);
		return;
	}
	argv[0] = (char *)rawnode_path;
	argv[1] = (char *)"-l";
	argv[2] = (char *)"127.0.0.1:0";
	argv[3] = NULL;
	snprintf(cname, sizeof cname, "%s%d-raw-a", what, seq);
	*a = child_spawn(cname, NULL, argv);
	node_wait_ready(*a);
	argv[1] = (char *)"-c";
	argv[2] = (*a)->addr;
	snprintf(cname, sizeof cname, "%s%d-raw-b", what, seq);
	*b = child_spawn(cname, NULL, argv);
	WAIT_UNTIL((*a)->nonline > 0 && (*b)->nonline > 0, SETUP_MS,
	    "the rawnodes to connect");
	snprintf(name, namelen, "%s", (*a)->peer_name);
}

/* "/msg NAME TEXT\n" with TEXT exactly MSG_LEN printable bytes. */
static size_t
msg_line(char *buf, size_t len, const char *name, unsigned long i)
{
	static const char fill[] =
	    "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	int n;

	n = snprintf(
	    buf, len, "/msg %s %010lu %.*s\n", name, i, MSG_LEN - 11, fill);
	if (n < 0 || (size_t)n >= len)
		die("message line too long");
	return (size_t)n;
}

/* --- handshake ------------------------------------------------------------ */

enum hs_state { HS_CONNECTING, HS_MSG2, HS_HELLO };

struct hs_conn {
	int fd;
	enum hs_state state;
	unsigned gen;
	struct noise_hs *hs;
	struct noise_cipher tx, rx;
	uint8_t in[4096];
	size_t inlen;
};

static struct {
	struct sockaddr_in node;
	uint8_t (*sk)[NOISE_KEYLEN];
	unsigned nsrc;
	unsigned long done, refused, bye, failed;
} hsb;

static void
hs_close(struct hs_conn *h)
{
	if (h->fd != -1)
		close(h->fd);
	h->fd = -1;
	noise_hs_free(h->hs);
	h->hs = NULL;
	noise_cipher_wipe(&h->tx);
	noise_cipher_wipe(&h->rx);
	h->inlen = 0;
}

static void
hs_dial(struct hs_conn *h)
{
	h->fd = bp_dial(&hsb.node, &hsb.nsrc);
	h->state = HS_CONNECTING;
}

static void
hs_restart(struct hs_conn *h)
{
	hs_close(h);
	h->gen++;
	hs_dial(h);
}

/* One frame from the node; -1 when the connection is finished. */
static int
hs_frame(struct hs_conn *h, const uint8_t *frame, size_t len)
{
	uint8_t plain[PROTO_FRAME_MAX];
	struct proto_msg m;
	const char *why;

	if (h->state == HS_MSG2) {
		if (bp_msg3(h->fd, h->hs, frame, len, &h->tx, &h->rx) == -1) {
			hsb.failed++;
			return -1;
		}
		h->state = HS_HELLO;
		return 0;
	}
	if (noise_cipher_decrypt(&h->rx, NULL, 0, frame, len, plain) == -1 ||
	    proto_decode(plain, len - NOISE_TAGLEN, PROTO_TEXT_MAX, &m, &why) ==
	        -1) {
		hsb.failed++;
		return -1;
	}
	if (m.type == PROTO_HELLO)
		hsb.done++;
	else if (m.type == PROTO_BYE)
		hsb.bye++;
	else
		hsb.failed++;
	return -1;
}

static void
hs_event(struct hs_conn *h, int revents, int slot)
{
	const uint8_t *frame;
	socklen_t elen = sizeof(int);
	size_t len;
	ssize_t n;
	int err = 0, r;

	if (h->state == HS_CONNECTING) {
		if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &elen) ==
		        -1 ||
		    err != 0) {
			hsb.refused++;
			hs_restart(h);
			return;
		}
		/* Alternate two keys per slot: the previous connection with a
		 * key is surely closed at the node before the key returns. */
		h->hs = bp_msg1(h->fd, hsb.sk[2 * slot + (h->gen & 1)]);
		if (h->hs == NULL) {
			hsb.refused++;
			hs_restart(h);
			return;
		}
		h->state = HS_MSG2;
		return;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	n = read(h->fd, h->in + h->inlen, sizeof h->in - h->inlen);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n <= 0) {
		/* Refused before message 2 (limits), or closed later. */
		if (h->state == HS_MSG2)
			hsb.refused++;
		else
			hsb.failed++;
		hs_restart(h);
		return;
	}
	h->inlen += (size_t)n;
	while ((r = proto_frame_next(h->in, h->inlen, &frame, &len)) == 1) {
		if (hs_frame(h, frame, len) == -1) {
			hs_restart(h);
			return;
		}
		memmove(h->in, h->in + 2 + len, h->inlen - 2 - len);
		h->inlen -= 2 + len;
	}
	if (r == -1) {
		hsb.failed++;
		hs_restart(h);
	}
}

static void
bench_handshake(int conc, double secs, size_t known)
{
	struct pollfd pfd[2 * MAX_CHILDREN + HS_MAX_CONC];
	struct hs_conn conns[HS_MAX_CONC];
	struct noise_hs *tmp;
	struct child *node;
	char fp[IDENT_FP_LEN + 1], *conf, *p, *cause;
	uint64_t t0, tend, t1;
	double cpu0, cpu1;
	size_t n, i, nkeys = 2 * (size_t)conc;
	const char *pre = known > 0 ? "hsk" : "hs";

	if (conc < 1 || conc > HS_MAX_CONC)
		die("concurrency must be 1 to %d", HS_MAX_CONC);
	/* Client keys, pinned in the node's configuration after KNOWN
	 * others that never connect (listed first, so a walk over the
	 * peers would pass them all). */
	if ((hsb.sk = calloc(nkeys, sizeof *hsb.sk)) == NULL ||
	    (conf = malloc((nkeys + known) * 100 + 32)) == NULL)
		die("out of memory");
	p = conf + sprintf(conf, "peers = (\n");
	for (i = 0; i < known; i++) {
		uint8_t pk[NOISE_KEYLEN];

		ident_random(pk, sizeof pk);
		ident_fingerprint(pk, fp);
		p += sprintf(
		    p, "  { name = \"k%zu\"; key = \"%s\"; },\n", i, fp);
	}
	for (i = 0; i < nkeys; i++) {
		ident_random(hsb.sk[i], NOISE_KEYLEN);
		tmp = noise_hs_create(
		    PROTO_NOISE, NOISE_INITIATOR, NULL, 0, &cause);
		if (tmp == NULL)
			die("noise: %s", cause);
		noise_hs_set_s(tmp, hsb.sk[i]);
		ident_fingerprint(noise_hs_local_static(tmp), fp);
		noise_hs_free(tmp);
		p += sprintf(p, "  { name = \"hs%zu\"; key = \"%s\"; }%s\n", i,
		    fp, i + 1 < nkeys ? "," : "");
	}
	sprintf(p, ");\n");
	node = node_start("hsnode", conf);
	free(conf);
	node_wait_ready(node);
	bp_node_addr(node->addr, &hsb.node);

	fprintf(stderr,
	    "handshake: %d connections at a time for %.0f s, %zu more peers "
	    "known\n",
	    conc, secs, known);
	cpu0 = proc_cpu(node->pid);
	t0 = now_ns();
	tend = t0 + (uint64_t)(secs * 1e9);
	for (i = 0; i < (size_t)conc; i++) {
		memset(&conns[i], 0, sizeof conns[i]);
		conns[i].fd = -1;
		hs_dial(&conns[i]);
	}
	while (now_ns() < tend) {
		n = children_pollfds(pfd);
		for (i = 0; i < (size_t)conc; i++) {
			pfd[n + i].fd = conns[i].fd;
			pfd[n + i].events =
			    conns[i].state == HS_CONNECTING ? POLLOUT : POLLIN;
			pfd[n + i].revents = 0;
		}
		if (poll(pfd, (nfds_t)(n + (size_t)conc), ms_left(tend)) ==
		        -1 &&
		    errno != EINTR)
			die("poll: %s", strerror(errno));
		children_service(pfd, n);
		for (i = 0; i < (size_t)conc; i++) {
			if (pfd[n + i].revents != 0)
				hs_event(&conns[i], pfd[n + i].revents, (int)i);
		}
	}
	t1 = now_ns();
	cpu1 = proc_cpu(node->pid);
	for (i = 0; i < (size_t)conc; i++)
		hs_close(&conns[i]);
	if (hsb.done == 0)
		die("no handshake completed");
	/* With known peers: hsk_..., beside the plain run's hs_... */
	printf("RESULT %s_conc %d\n", pre, conc);
	printf("RESULT %s_known %zu\n", pre, known);
	printf("RESULT %s_per_s %.0f\n", pre,
	    (double)hsb.done * 1e9 / (double)(t1 - t0));
	printf("RESULT %s_done %lu\n", pre, hsb.done);
	printf("RESULT %s_refused %lu\n", pre, hsb.refused);
	printf("RESULT %s_bye %lu\n", pre, hsb.bye);
	printf("RESULT %s_failed %lu\n", pre, hsb.failed);
	printf("RESULT %s_node_cpu_us %.1f\n", pre,
	    (cpu1 - cpu0) * 1e6 / (double)hsb.done);
	printf("RESULT %s_node_cpu_share %.2f\n", pre,
	    (cpu1 - cpu0) * 1e9 / (double)(t1 - t0));
	children_stop();
	free(hsb.sk);
}

/* --- throughput ----------------------------------------------------------- */

struct tput {
	double msg_per_s, secs, cpu_a, cpu_b; /* CPU: us per message */
	unsigned long hwm_a, hwm_b; /* KiB */
};

static void
tput_run(int raw, unsigned long count, struct tput *r)
{
	struct child *a, *b;
	char name[64], line[256];
	unsigned long queued = 0;
	uint64_t t0, dl;

	pair_start(
	    "tput", raw ? PAIR_RAW : PAIR_MEM, &a, &b, name, sizeof name);
	t0 = now_ns();
	dl = t0 + 120000000000ULL;
	while (b->nmsg < count) {
		/* Keep the pipe to A full. */
		while (queued < count && a->wlen - a->woff < 256 * 1024) {
			child_send(
			    a, line, msg_line(line, sizeof line, name, queued));
			queued++;
		}
		if (now_ns() >= dl)
			die("timed out: %lu of %lu messages arrived", b->nmsg,
			    count);
		pump(ms_left(dl));
	}
	r->secs = (double)(b->t_msg - t0) / 1e9;
	r->msg_per_s = (double)count / r->secs;
	WAIT_UNTIL(a->ndelivered >= count, 60000, "%lu acks (have %lu)", count,
	    a->ndelivered);
	if (b->nmsg != count || a->nsent != count)
		die("%lu sent, %lu received, expected %lu", a->nsent, b->nmsg,
		    count);
	r->hwm_a = proc_field(a->pid, "status", "VmHWM:");
	r->hwm_b = proc_field(b->pid, "status", "VmHWM:");
	children_stop();
	/* Whole lifetimes (wait4): start-up is noise next to the run. */
	r->cpu_a = a->cpu * 1e6 / (double)count;
	r->cpu_b = b->cpu * 1e6 / (double)count;
}

static int
cmp_tput(const void *x, const void *y)
{
	double a = ((const struct tput *)x)->msg_per_s;
	double b = ((const struct tput *)y)->msg_per_s;

	return a < b ? -1 : a > b;
}

/* Rounds alternate rawnode and p2ptui; the median round of each counts,
 * the peak RSS is the largest seen. */
static void
bench_throughput(unsigned long count, int rounds)
{
	struct tput r[2][9], *m;
	unsigned long hwm_a, hwm_b;
	int i, raw;

	if (rounds < 1 || rounds > 9)
		die("rounds must be 1 to 9");
	for (i = 0; i < rounds; i++) {
		for (raw = 1; raw >= 0; raw--) {
			fprintf(stderr,
			    "throughput (%s, round %d of %d): %lu "
			    "messages of %d bytes\n",
			    raw ? "rawnode" : "p2ptui", i + 1, rounds, count,
			    MSG_LEN);
			tput_run(raw, count, &r[raw][i]);
		}
	}
	for (raw = 1; raw >= 0; raw--) {
		hwm_a = hwm_b = 0;
		for (i = 0; i < rounds; i++) {
			if (r[raw][i].hwm_a > hwm_a)
				hwm_a = r[raw][i].hwm_a;
			if (r[raw][i].hwm_b > hwm_b)
				hwm_b = r[raw][i].hwm_b;
		}
		qsort(r[raw], (size_t)rounds, sizeof r[raw][0], cmp_tput);
		m = &r[raw][rounds / 2];
		printf("RESULT tput_%s_msg_per_s %.0f\n", raw ? "raw" : "p2p",
		    m->msg_per_s);
		printf("RESULT tput_%s_min_msg_per_s %.0f\n",
		    raw ? "raw" : "p2p", r[raw][0].msg_per_s);
		printf("RESULT tput_%s_max_msg_per_s %.0f\n",
		    raw ? "raw" : "p2p", r[raw][rounds - 1].msg_per_s);
		printf(
		    "RESULT tput_%s_secs %.3f\n", raw ? "raw" : "p2p", m->secs);
		printf("RESULT tput_%s_cpu_us_a %.2f\n", raw ? "raw" : "p2p",
		    m->cpu_a);
		printf("RESULT tput_%s_cpu_us_b %.2f\n", raw ? "raw" : "p2p",
		    m->cpu_b);
		printf("RESULT tput_%s_hwm_kb_a %lu\n", raw ? "raw" : "p2p",
		    hwm_a);
		printf("RESULT tput_%s_hwm_kb_b %lu\n", raw ? "raw" : "p2p",
		    hwm_b);
	}
	printf("RESULT tput_count %lu\n", count);
	printf("RESULT tput_rounds %d\n", rounds);
}

/* --- durable throughput -------------------------------------------------- */

struct dur {
	double msg_per_s, secs, recv_secs, cpu_a, cpu_b; /* CPU: us/message */
	unsigned long long live_a, live_b; /* history.db + -wal, bytes */
	unsigned long long exit_a, exit_b; /* the same after a clean exit */
	unsigned long long wr_a, wr_b; /* bytes written to storage */
	long fsync_a, fsync_b; /* with strace_path */
};

/* COUNT messages until A has printed COUNT "delivered" lines. */
static void
dur_run(enum pair_kind kind, unsigned long count, struct dur *r)
{
	struct child *a, *b;
	char name[64], line[256];
	unsigned long queued = 0;
	uint64_t t0, dl;

	memset(r, 0, sizeof *r);
	pair_start("dur", kind, &a, &b, name, sizeof name);
	t0 = now_ns();
	dl = t0 + 300000000000ULL;
	while (a->ndelivered < count) {
		while (queued < count && a->wlen - a->woff < 256 * 1024) {
			child_send(
			    a, line, msg_line(line, sizeof line, name, queued));
			queued++;
		}
		if (now_ns() >= dl)
			die("timed out: %lu of %lu messages delivered",
			    a->ndelivered, count);
		pump(ms_left(dl));
	}
	r->secs = (double)(a->t_delivered - t0) / 1e9;
	r->msg_per_s = (double)count / r->secs;
	/* B's last lines may still be in its pipe. */
	WAIT_UNTIL(b->nmsg >= count, 60000, "%lu messages at %s (have %lu)",
	    count, b->name, b->nmsg);
	r->recv_secs = (double)(b->t_msg - t0) / 1e9;
	if (b->nmsg != count || a->nsent != count || a->ndelivered != count)
		die("%lu sent, %lu received, %lu delivered, expected %lu",
		    a->nsent, b->nmsg, a->ndelivered, count);
	r->live_a = node_db_size(a);
	r->live_b = node_db_size(b);
	/* Page-cache pages dirtied (WAL, checkpoints), whole lifetimes
	 * up to now: the final checkpoint at exit is not in it. */
	r->wr_a = proc_field(a->pid, "io", "write_bytes:");
	r->wr_b = proc_field(b->pid, "io", "write_bytes:");
	if (kind == PAIR_MEM && r->live_a + r->live_b > 0)
		die("history = false, yet there is a history.db");
	children_stop();
	r->cpu_a = a->cpu * 1e6 / (double)count;
	r->cpu_b = b->cpu * 1e6 / (double)count;
	r->exit_a = node_db_size(a);
	r->exit_b = node_db_size(b);
	if (strace_path != NULL) {
		r->fsync_a = node_fsyncs(a);
		r->fsync_b = node_fsyncs(b);
	}
}

static int
cmp_dur(const void *x, const void *y)
{
	double a = ((const struct dur *)x)->msg_per_s;
	double b = ((const struct dur *)y)->msg_per_s;

	return a < b ? -1 : a > b;
}

/* Rounds alternate which goes first; the median round of each counts. */
static void
bench_durable(unsigned long count, int rounds, const char *strace)
{
	static const char *const key[] = {
		[PAIR_MEM] = "mem", [PAIR_DISK] = "disk"
	};
	struct dur r[2][9], *m, t;
	enum pair_kind k;
	int i, j;

	if (rounds < 1 || rounds > 9)
		die("rounds must be 1 to 9");
	for (i = 0; i < rounds; i++) {
		for (j = 0; j < 2; j++) {
			k = (i + j) % 2 == 0 ? PAIR_DISK : PAIR_MEM;
			fprintf(stderr,
			    "durable (%s, round %d of %d): %lu messages of "
			    "%d bytes until delivered\n",
			    pair_label[k], i + 1, rounds, count, MSG_LEN);
			dur_run(k, count, &r[k][i]);
		}
	}
	for (k = PAIR_MEM; k <= PAIR_DISK; k++) {
		qsort(r[k], (size_t)rounds, sizeof r[k][0], cmp_dur);
		m = &r[k][rounds / 2];
		printf("RESULT dur_%s_msg_per_s %.0f\n", key[k], m->msg_per_s);
		printf("RESULT dur_%s_min_msg_per_s %.0f\n", key[k],
		    r[k][0].msg_per_s);
		printf("RESULT dur_%s_max_msg_per_s %.0f\n", key[k],
		    r[k][rounds - 1].msg_per_s);
		printf("RESULT dur_%s_secs %.3f\n", key[k], m->secs);
		printf("RESULT dur_%s_recv_secs %.3f\n", key[k], m->recv_secs);
		printf("RESULT dur_%s_cpu_us_a %.2f\n", key[k], m->cpu_a);
		printf("RESULT dur_%s_cpu_us_b %.2f\n", key[k], m->cpu_b);
	}
	m = &r[PAIR_DISK][rounds / 2];
	printf("RESULT dur_db_live_bytes_a %llu\n", m->live_a);
	printf("RESULT dur_db_live_bytes_b %llu\n", m->live_b);
	printf("RESULT dur_db_exit_bytes_a %llu\n", m->exit_a);
	printf("RESULT dur_db_exit_bytes_b %llu\n", m->exit_b);
	printf("RESULT dur_db_live_per_msg_a %.1f\n",
	    (double)m->live_a / (double)count);
	printf("RESULT dur_db_live_per_msg_b %.1f\n",
	    (double)m->live_b / (double)count);
	printf("RESULT dur_db_exit_per_msg_a %.1f\n",
	    (double)m->exit_a / (double)count);
	printf("RESULT dur_db_exit_per_msg_b %.1f\n",
	    (double)m->exit_b / (double)count);
	printf("RESULT dur_written_per_msg_a %.0f\n",
	    (double)m->wr_a / (double)count);
	printf("RESULT dur_written_per_msg_b %.0f\n",
	    (double)m->wr_b / (double)count);
	printf("RESULT dur_count %lu\n", count);
	printf("RESULT dur_rounds %d\n", rounds);
	if (strace == NULL)
		return;
	fprintf(stderr,
	    "durable (%s under strace, untimed): %lu messages, counting "
	    "fsyncs\n",
	    pair_label[PAIR_DISK], count);
	strace_path = strace;
	dur_run(PAIR_DISK, count, &t);
	strace_path = NULL;
	if (t.fsync_a < 0 || t.fsync_b < 0) {
		fprintf(stderr, "  no fsync counts from strace\n");
		return;
	}
	/* Whole lifetimes: start-up and exit add a handful. */
	printf("RESULT dur_fsync_a %ld\n", t.fsync_a);
	printf("RESULT dur_fsync_b %ld\n", t.fsync_b);
	printf("RESULT dur_fsync_secs %.3f\n", t.secs);
	printf("RESULT dur_fsync_msg_per_s %.0f\n", t.msg_per_s);
	printf("RESULT dur_fsync_per_s_a %.0f\n", (double)t.fsync_a / t.secs);
	printf("RESULT dur_fsync_per_s_b %.0f\n", (double)t.fsync_b / t.secs);
	printf("RESULT dur_fsync_per_kmsg_a %.2f\n",
	    (double)t.fsync_a * 1000 / (double)count);
	printf("RESULT dur_fsync_per_kmsg_b %.2f\n",
	    (double)t.fsync_b * 1000 / (double)count);
}

/* --- latency -------------------------------------------------------------- */

static void
lat_report(const char *k, uint64_t *s, unsigned long n)
{
	uint64_t sum = 0;
	unsigned long i;

	for (i = 0; i < n; i++)
		sum += s[i];
	qsort(s, n, sizeof *s, cmp_u64);
	/* Nearest rank. */
	printf("RESULT lat_%s_p50_us %.1f\n", k,
	    (double)nearest_rank(s, n, 50) / 1e3);
	printf("RESULT lat_%s_p99_us %.1f\n", k,
	    (double)nearest_rank(s, n, 99) / 1e3);
	printf(
	    "RESULT lat_%s_mean_us %.1f\n", k, (double)sum / (double)n / 1e3);
	printf("RESULT lat_%s_max_us %.1f\n", k, (double)s[n - 1] / 1e3);
}

/*
 * The pairs run at once and the samples alternate between them, so that
 * a slower or busier moment of the machine weighs on all alike.
 */
static void
bench_latency(unsigned long samples)
{
	static const char *const key[] = {
		[PAIR_MEM] = "p2p", [PAIR_DISK] = "dur", [PAIR_RAW] = "raw"
	};
	unsigned long i, warm = 200, total = samples + warm;
	struct child *a[3], *b[3];
	char name[3][64], line[256];
	uint64_t *s[3], t0;
	size_t len;
	int k;

	for (k = PAIR_MEM; k <= PAIR_RAW; k++) {
		if ((s[k] = calloc(samples, sizeof *s[k])) == NULL)
			die("out of memory");
		pair_start("lat", (enum pair_kind)k, &a[k], &b[k], name[k],
		    sizeof name[k]);
	}
	fprintf(stderr,
	    "latency: %lu round trips each through p2ptui in memory, "
	    "p2ptui on disk and rawnode, alternating\n",
	    total);
	for (i = 0; i < total; i++) {
		for (k = PAIR_MEM; k <= PAIR_RAW; k++) {
			len = msg_line(line, sizeof line, name[k], i);
			t0 = now_ns();
			child_send(a[k], line, len);
			WAIT_UNTIL(a[k]->ndelivered > i, 5000, "ack %lu", i);
			if (i >= warm)
				s[k][i - warm] = a[k]->t_delivered - t0;
		}
	}
	for (k = PAIR_MEM; k <= PAIR_RAW; k++) {
		lat_report(key[k], s[k], samples);
		free(s[k]);
	}
	children_stop();
}

/* --- idle ----------------------------------------------------------------- */

static void
bench_idle(double secs)
{
	struct child *hub, *leaf[IDLE_PEERS];
	unsigned long h0, h1, l0 = 0, l1 = 0, off0;
	char name[32];
	uint64_t t0, t1, end;
	int i;

	hub = node_start("hub", NULL);
	for (i = 0; i < IDLE_PEERS; i++) {
		snprintf(name, sizeof name, "leaf%d", i);
		leaf[i] = node_start(name, NULL);
	}
	node_wait_ready(hub);
	/*
	 * Peers connect at unrelated times in real life. Introduced back to
	 * back, the ten connections' keepalive timers would fall due within
	 * a few milliseconds of each other and share the hub's wakeups, so
	 * spread the introductions evenly over one keepalive period.
	 */
	fprintf(stderr, "idle: introducing %d peers over %d s\n", IDLE_PEERS,
	    IDLE_KEEPALIVE);
	t0 = now_ns();
	for (i = 0; i < IDLE_PEERS; i++) {
		end = t0 +
		    (uint64_t)i * IDLE_KEEPALIVE * 1000000000ULL / IDLE_PEERS;
		while (now_ns() < end)
			pump(ms_left(end));
		node_wait_ready(leaf[i]);
		node_introduce(hub, leaf[i]);
	}
	/* Let the last introduction settle before counting. */
	pump_for(1000000000ULL);
	off0 = hub->noffline;
	fprintf(stderr, "idle: hub (pid %ld) with %d peers, %.0f s\n",
	    (long)hub->pid, IDLE_PEERS, secs);
	h0 = proc_wakeups(hub->pid);
	for (i = 0; i < IDLE_PEERS; i++)
		l0 += proc_wakeups(leaf[i]->pid);
	t0 = now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	while (now_ns() < end)
		pump(ms_left(end));
	h1 = proc_wakeups(hub->pid);
	for (i = 0; i < IDLE_PEERS; i++)
		l1 += proc_wakeups(leaf[i]->pid);
	t1 = now_ns();
	if (hub->noffline != off0 || hub->nonline != IDLE_PEERS)
		die("a peer went offline while idle");
	printf("RESULT idle_secs %.1f\n", (double)(t1 - t0) / 1e9);
	printf("RESULT idle_hub_wakeups %lu\n", h1 - h0);
	printf("RESULT idle_hub_per_s %.2f\n",
	    (double)(h1 - h0) * 1e9 / (double)(t1 - t0));
	printf("RESULT idle_leaf_per_s %.2f\n",
	    (double)(l1 - l0) * 1e9 / (double)(t1 - t0) / IDLE_PEERS);
	children_stop();
}

/* --- main ----------------------------------------------------------------- */

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
	    "usage: bench_session [-c conc] [-k known] [-n count] [-r rounds] "
	    "[-s samples] [-S strace] [-t secs] p2ptui rawnode workdir "
	    "handshake|throughput|durable|latency|idle\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	unsigned long count = 0, samples = 5000, known = 0;
	double secs = -1;
	int conc = 16, rounds = 3, ch;
	const char *what, *strace = NULL;

	while ((ch = getopt(argc, argv, "c:k:n:r:s:S:t:")) != -1) {
		switch (ch) {
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'c':
			conc = atoi(optarg);
			break;
		case 'k':
			known = strtoul(optarg, NULL, 10);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 10);
			if (count == 0)
				usage();
			break;
		case 's':
			samples = strtoul(optarg, NULL, 10);
			break;
		case 'S':
			strace = optarg;
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
	if (argc != 4 || samples == 0)
		usage();
	p2ptui_path = argv[0];
	rawnode_path = argv[1];
	workdir = argv[2];
	what = argv[3];
	node_conf = "handshake_rate = 1000;\nhandshake_rate_total = 100000;\n"
	            "max_peers = 4096;\n"
	            "max_queue_kb = 1048576;\n";
	child_pipe_size = PIPE_SIZE;
	child_event = session_event;
	bench_init("bench_session");
	if (ident_init() == -1)
		die("libsodium cannot be initialised");

	if (strcmp(what, "handshake") == 0)
		bench_handshake(conc, secs > 0 ? secs : 5, known);
	else if (strcmp(what, "throughput") == 0) {
		bench_throughput(count > 0 ? count : 200000, rounds);
	} else if (strcmp(what, "durable") == 0) {
		bench_durable(count > 0 ? count : 100000, rounds, strace);
	} else if (strcmp(what, "latency") == 0) {
		bench_latency(samples);
	} else if (strcmp(what, "idle") == 0)
		bench_idle(secs > 0 ? secs : 40);
	else
		usage();
	return 0;
}
