/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench_xfer: file transfer between two real headless p2ptui nodes over
 * loopback, and a raw TCP copy of the same file as the baseline. One
 * single-threaded driver multiplexes the nodes' stdin/stdout pipes with
 * poll(2) and timestamps each event line as it arrives (CLOCK_MONOTONIC);
 * every wait has a deadline, and a timeout or an "error" event fails the
 * run with the nodes' last output. Results go to stdout as "RESULT key
 * value" lines (bench/bench_xfer.sh prints the report), progress to
 * stderr. The nodes keep the default configuration (history = true: chat
 * is stored with fsync) but for a loopback listener and download_dir =
 * WORKDIR/dl, where the raw copy writes too. The nodes are driven with
 * bench/benchlib.c, as bench_session's are.
 *
 *   bench_xfer [-c CHATROUNDS] [-i MS] [-n SAMPLES] [-r ROUNDS] \
 *       P2PTUI WORKDIR FILE full|once
 *
 * full   A sends FILE to B. Idle RSS of both once online; chat round
 *        trips without a transfer (SAMPLES (250) "/msg" every MS (20) ms
 *        from A, then from B: from writing the command until that node
 *        prints "delivered" for it); one untimed transfer and raw copy
 *        (the page cache behaves differently on first touch); ROUNDS (3)
 *        rounds of a raw copy then a transfer, the median of each
 *        counting; CHATROUNDS (1) transfers with A sending a "/msg" every
 *        MS ms while the data flows, and as many with B doing so; then
 *        the peak RSS (VmHWM) of both, before they exit.
 * once   One transfer between a fresh pair (for a big, sparse FILE): its
 *        times and the peak RSS of both.
 *
 * A transfer: "/send" at A until A reports it "offered" (the sender
 * hashes the whole file first: the hashing time), then "/accept #N" at B
 * until B prints "saved" (the complete, verified file: the transfer
 * time), then until A reports it "done"; the saved file is removed. The
 * raw copy forks: the child preads FILE in RAW_BUF blocks and writes them
 * to a loopback TCP socket, the parent reads them and pwrites them to a
 * file in WORKDIR/dl, fdatasync()s it and closes it; the time is from the
 * fork to the close.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchlib.h"

#define RAW_BUF (1024 * 1024)
#define XFER_MS 900000 /* per step of a transfer: hashing, data */
#define PROBE_MAX 100000
#define ID_LEN 64

/* A chat message sent as a probe: written at t_cmd, named by "sent". */
struct probe {
	uint64_t t_cmd, rtt;
	char id[ID_LEN];
};

/* What a node's events said beyond struct child: children[i]'s is
 * xnodes[i]. */
struct xnode {
	/* Transfers: the last state seen in each direction. */
	long long out_num, in_num;
	char out_state[16], in_state[16];
	unsigned long nout_offered, nout_done, nin_offered, nsaved;
	uint64_t t_out_offered, t_saved;
	char saved_path[4096];

	/* Chat probes: written, named by "sent", answered by "delivered". */
	struct probe *pr;
	size_t npr, nnamed, nanswered;
};

static struct xnode xnodes[MAX_CHILDREN];
#define X(c) (&xnodes[(c)-children])

/* While set, pump() writes a probe to tick_child every tick_ns. */
static struct child *tick_child;
static uint64_t tick_ns;

/* --- nodes ---------------------------------------------------------------- */

/* file PEER NUM DIR STATE BYTES SIZE NAME: count state changes. */
static void
xnode_file(struct child *c, const char *line, uint64_t now)
{
	struct xnode *x = X(c);
	char num[32], dir[8], state[16];
	long long n;
	int out;

	field(line, 3, num, sizeof num);
	field(line, 4, dir, sizeof dir);
	field(line, 5, state, sizeof state);
	n = strtoll(num, NULL, 10);
	out = strcmp(dir, "out") == 0;
	if (strcmp(state, "failed") == 0 || strcmp(state, "cancelled") == 0)
		die("%s: %s", c->name, line);
	if (out) {
		if (n == x->out_num && strcmp(state, x->out_state) == 0)
			return;
		x->out_num = n;
		snprintf(x->out_state, sizeof x->out_state, "%s", state);
		if (strcmp(state, "offered") == 0) {
			x->nout_offered++;
			x->t_out_offered = now;
		} else if (strcmp(state, "done") == 0)
			x->nout_done++;
	} else {
		if (n == x->in_num && strcmp(state, x->in_state) == 0)
			return;
		x->in_num = n;
		snprintf(x->in_state, sizeof x->in_state, "%s", state);
		if (strcmp(state, "offered") == 0)
			x->nin_offered++;
	}
}

/* The lines benchlib does not follow; offline (unless stopping) and
 * error fail the run. */
static void
xnode_event(struct child *c, const char *line, uint64_t now)
{
	struct xnode *x = X(c);
	char id[ID_LEN];
	const char *path;
	size_t i;

	if (PREFIX(line, "file "))
		xnode_file(c, line, now);
	else if (PREFIX(line, "sent ")) {
		if (x->nnamed == x->npr)
			die("%s: sent what we did not: %s", c->name, line);
		field(line, 3, x->pr[x->nnamed++].id, ID_LEN);
	} else if (PREFIX(line, "delivered ")) {
		field(line, 3, id, sizeof id);
		/* Probes are answered nearly in order: search from the
		 * oldest unanswered. */
		for (i = x->nanswered; i < x->nnamed; i++) {
			if (x->pr[i].rtt == 0 && strcmp(x->pr[i].id, id) == 0)
				break;
		}
		if (i == x->nnamed) {
			for (i = 0; i < x->nnamed; i++) {
				if (x->pr[i].rtt == 0 &&
				    strcmp(x->pr[i].id, id) == 0)
					break;
			}
		}
		if (i == x->nnamed)
			die("%s: delivered what we did not send: %s", c->name,
			    line);
		x->pr[i].rtt = now - x->pr[i].t_cmd;
		while (x->nanswered < x->nnamed && x->pr[x->nanswered].rtt)
			x->nanswered++;
	} else if (PREFIX(line, "saved ")) {
		/* "saved PEER NUM PATH": the path is the rest. */
		for (path = line, i = 0; i < 3 && path != NULL; i++) {
			if ((path = strchr(path, ' ')) != NULL)
				path++;
		}
		if (path == NULL)
			die("%s: bad saved line: %s", c->name, line);
		snprintf(x->saved_path, sizeof x->saved_path, "%s", path);
		x->nsaved++;
		x->t_saved = now;
	} else if (PREFIX(line, "offline ") && !c->stopping)
		die("%s: %s", c->name, line);
	else if (PREFIX(line, "error "))
		die("%s: %s", c->name, line);
}

/* Write one chat probe: "/msg PEER probe N". */
static void
probe_send(struct child *c)
{
	struct xnode *x = X(c);

	if (x->npr == PROBE_MAX)
		die("too many probes");
	x->pr[x->npr].t_cmd = now_ns();
	x->pr[x->npr].rtt = 0;
	child_cmd(c, "/msg %s probe %zu", c->peer_name, x->npr);
	x->npr++;
}

static void
tick(void)
{
	probe_send(tick_child);
	/* A steady cadence, but no burst after a stall. */
	tick_next += tick_ns;
	if (tick_next < now_ns())
		tick_next = now_ns() + tick_ns;
}

/* From now on a probe from c every tick_ns; NULL stops them. */
static void
tick_start(struct child *c)
{
	tick_child = c;
	tick_next = now_ns() + tick_ns;
	pump_tick = c != NULL ? tick : NULL;
}

/* Two nodes online with each other; a will send to b. */
static void
pair_start(const char *tag, struct child **a, struct child **b)
{
	struct child **c[2] = { a, b };
	struct xnode *x;
	char name[32];
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof name, "%s-%c", tag, 'a' + i);
		*c[i] = node_start(name, NULL);
		x = X(*c[i]);
		memset(x, 0, sizeof *x);
		x->out_num = x->in_num = -1;
		if ((x->pr = calloc(PROBE_MAX, sizeof *x->pr)) == NULL)
			die("out of memory");
	}
	node_wait_ready(*a);
	node_wait_ready(*b);
	node_introduce(*a, *b);
}

/* The nodes quit. */
static void
pair_stop(void)
{
	size_t i;

	children_stop();
	for (i = 0; i < MAX_CHILDREN; i++) {
		free(xnodes[i].pr);
		xnodes[i].pr = NULL;
	}
}

/* --- transfers ------------------------------------------------------------ */

struct xround {
	double hash_s, xfer_s, cpu_a, cpu_b; /* seconds */
};

/* One transfer of file from a to b; with prober set, it sends a chat
 * probe every tick_ns while the data flows (accept to saved). */
static void
xfer_once(struct child *a, struct child *b, const char *file,
    struct child *prober, struct xround *r)
{
	struct xnode *xa = X(a), *xb = X(b);
	unsigned long offered = xa->nout_offered, incoming = xb->nin_offered;
	unsigned long saved = xb->nsaved, done = xa->nout_done;
	double ca, cb;
	uint64_t t0;

	t0 = now_ns();
	child_cmd(a, "/send %s '%s'", a->peer_name, file);
	WAIT_UNTIL(
	    xa->nout_offered > offered, XFER_MS, "the offer at %s", a->name);
	r->hash_s = (double)(xa->t_out_offered - t0) / 1e9;
	WAIT_UNTIL(
	    xb->nin_offered > incoming, SETUP_MS, "the offer at %s", b->name);
	ca = proc_cpu(a->pid);
	cb = proc_cpu(b->pid);
	t0 = now_ns();
	child_cmd(b, "/accept #%lld", xb->in_num);
	if (prober != NULL)
		tick_start(prober);
	WAIT_UNTIL(
	    xb->nsaved > saved, XFER_MS, "the file saved at %s", b->name);
	tick_start(NULL);
	r->xfer_s = (double)(xb->t_saved - t0) / 1e9;
	r->cpu_a = proc_cpu(a->pid) - ca;
	r->cpu_b = proc_cpu(b->pid) - cb;
	WAIT_UNTIL(xa->nout_done > done, SETUP_MS, "done at %s", a->name);
	if (prober != NULL)
		WAIT_UNTIL(X(prober)->nanswered == X(prober)->npr, SETUP_MS,
		    "%zu probes answered (have %zu)", X(prober)->npr,
		    X(prober)->nanswered);
	if (unlink(xb->saved_path) == -1)
		die("%s: %s", xb->saved_path, strerror(errno));
}

/* The raw copy: seconds from the fork to the fdatasync()ed close. */
static double
raw_copy(const char *file, const char *dst)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof sa;
	uint64_t t0, t1;
	off_t off = 0;
	ssize_t n, w;
	char *buf;
	int lfd, s, fd, out, status;
	pid_t pid;

	if ((buf = malloc(RAW_BUF)) == NULL)
		die("out of memory");
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
	    listen(lfd, 1) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen) == -1)
		die("raw: listen: %s", strerror(errno));
	t0 = now_ns();
	switch (pid = fork()) {
	case -1:
		die("fork: %s", strerror(errno));
	case 0:
		close(lfd);
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    connect(s, (struct sockaddr *)&sa, sizeof sa) == -1 ||
		    (fd = open(file, O_RDONLY)) == -1)
			_exit(1);
		while ((n = pread(fd, buf, RAW_BUF, off)) > 0) {
			off += n;
			for (w = 0; w < n;) {
				ssize_t k = write(s, buf + w, (size_t)(n - w));

				if (k == -1 && errno != EINTR)
					_exit(1);
				w += k > 0 ? k : 0;
			}
		}
		_exit(n == 0 ? 0 : 1);
	}
	if ((s = accept(lfd, NULL, NULL)) == -1)
		die("raw: accept: %s", strerror(errno));
	close(lfd);
	if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) ==
	    -1)
		die("%s: %s", dst, strerror(errno));
	while ((n = read(s, buf, RAW_BUF)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			die("raw: read: %s", strerror(errno));
		}
		for (w = 0; w < n;) {
			ssize_t k = pwrite(out, buf + w, (size_t)(n - w), off);

			if (k == -1)
				die("%s: %s", dst, strerror(errno));
			w += k;
			off += k;
		}
	}
	if (fdatasync(out) == -1 || close(out) == -1)
		die("%s: %s", dst, strerror(errno));
	t1 = now_ns();
	close(s);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		die("raw: the sending side failed");
	if (unlink(dst) == -1)
		die("%s: %s", dst, strerror(errno));
	free(buf);
	return (double)(t1 - t0) / 1e9;
}

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* Median of n values (sorts them). */
static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return v[n / 2];
}

/* Round trips of c's probes from first on: RESULT xfer_chat_KEY_*. */
static void
chat_report(const char *key, const struct child *c, size_t first)
{
	size_t i, n = X(c)->npr - first;
	uint64_t *s;

	if (n == 0)
		die("no probes for %s", key);
	if ((s = malloc(n * sizeof *s)) == NULL)
		die("out of memory");
	for (i = 0; i < n; i++)
		s[i] = X(c)->pr[first + i].rtt;
	qsort(s, n, sizeof *s, cmp_u64);
	/* Nearest rank. */
	printf("RESULT xfer_chat_%s_n %zu\n", key, n);
	printf("RESULT xfer_chat_%s_p50_ms %.2f\n", key,
	    (double)nearest_rank(s, n, 50) / 1e6);
	printf("RESULT xfer_chat_%s_p99_ms %.2f\n", key,
	    (double)nearest_rank(s, n, 99) / 1e6);
	printf(
	    "RESULT xfer_chat_%s_max_ms %.2f\n", key, (double)s[n - 1] / 1e6);
	free(s);
}

/* SAMPLES probes from c, one every tick, no transfer: RESULT
 * xfer_chat_idle_KEY_*. */
static void
chat_idle(const char *key, struct child *c, unsigned long samples)
{
	size_t first = X(c)->npr;
	char k[32];

	tick_start(c);
	WAIT_UNTIL(X(c)->npr - first >= samples, samples * 1000,
	    "%lu probes written", samples);
	tick_start(NULL);
	WAIT_UNTIL(X(c)->nanswered == X(c)->npr, SETUP_MS, "probes answered");
	snprintf(k, sizeof k, "idle_%s", key);
	chat_report(k, c, first);
}

/* CHATROUNDS transfers of file from a to b, prober sending probes while
 * the data flows: RESULT xfer_chat_busy_KEY_*. */
static void
chat_busy(const char *key, struct child *prober, struct child *a,
    struct child *b, const char *file, double mb, int chatrounds)
{
	size_t first = X(prober)->npr;
	struct xround r;
	char k[32];
	int i;

	for (i = 0; i < chatrounds; i++) {
		fprintf(stderr, "xfer: transfer %d of %d with chat from %s\n",
		    i + 1, chatrounds, prober->name);
		xfer_once(a, b, file, prober, &r);
		printf("RESULT xfer_chat_busy_%s_mb_per_s %.0f\n", key,
		    mb / r.xfer_s);
	}
	snprintf(k, sizeof k, "busy_%s", key);
	chat_report(k, prober, first);
}

static void
report_rss(const char *key, const struct child *a, const struct child *b)
{
	printf("RESULT xfer_%s_rss_kb_a %lu\n", key,
	    proc_field(a->pid, "status", "VmRSS:"));
	printf("RESULT xfer_%s_rss_kb_b %lu\n", key,
	    proc_field(b->pid, "status", "VmRSS:"));
	printf("RESULT xfer_%s_hwm_kb_a %lu\n", key,
	    proc_field(a->pid, "status", "VmHWM:"));
	printf("RESULT xfer_%s_hwm_kb_b %lu\n", key,
	    proc_field(b->pid, "status", "VmHWM:"));
}

static void
bench_full(const char *file, double mb, int rounds, int chatrounds,
    unsigned long samples)
{
	struct xround r[9], warm;
	double p2p[9], raw[9], hash[9], cpu_a[9], cpu_b[9], secs[9];
	char dst[4096];
	struct child *a, *b;
	int i;

	snprintf(dst, sizeof dst, "%s/dl/raw.out", workdir);
	pair_start("full", &a, &b);
	pump_for(500000000ULL);
	report_rss("idle", a, b);

	fprintf(stderr,
	    "xfer: chat without a transfer, %lu probes from %s,"
	    " then from %s\n",
	    samples, a->name, b->name);
	chat_idle("a", a, samples);
	chat_idle("b", b, samples);

	fprintf(stderr,
	    "xfer: warm-up: one transfer and one raw copy of %.0f "
	    "MB\n",
	    mb);
	xfer_once(a, b, file, NULL, &warm);
	printf("RESULT xfer_warm_p2p_mb_per_s %.0f\n", mb / warm.xfer_s);
	printf("RESULT xfer_warm_hash_s %.3f\n", warm.hash_s);
	printf(
	    "RESULT xfer_warm_raw_mb_per_s %.0f\n", mb / raw_copy(file, dst));

	for (i = 0; i < rounds; i++) {
		fprintf(stderr, "xfer: round %d of %d: raw copy, transfer\n",
		    i + 1, rounds);
		raw[i] = mb / raw_copy(file, dst);
		xfer_once(a, b, file, NULL, &r[i]);
		p2p[i] = mb / r[i].xfer_s;
		secs[i] = r[i].xfer_s;
		hash[i] = r[i].hash_s;
		cpu_a[i] = r[i].cpu_a / r[i].xfer_s;
		cpu_b[i] = r[i].cpu_b / r[i].xfer_s;
		fprintf(stderr,
		    "  raw %.0f MB/s, p2ptui %.0f MB/s, hashing "
		    "%.2f s\n",
		    raw[i], p2p[i], hash[i]);
	}
	printf("RESULT xfer_mb %.1f\n", mb);
	printf("RESULT xfer_rounds %d\n", rounds);
	/* median() sorts: the extremes after it. */
	printf("RESULT xfer_p2p_mb_per_s %.0f\n", median(p2p, rounds));
	printf("RESULT xfer_p2p_min_mb_per_s %.0f\n", p2p[0]);
	printf("RESULT xfer_p2p_max_mb_per_s %.0f\n", p2p[rounds - 1]);
	printf("RESULT xfer_p2p_secs %.3f\n", median(secs, rounds));
	printf("RESULT xfer_raw_mb_per_s %.0f\n", median(raw, rounds));
	printf("RESULT xfer_raw_min_mb_per_s %.0f\n", raw[0]);
	printf("RESULT xfer_raw_max_mb_per_s %.0f\n", raw[rounds - 1]);
	printf("RESULT xfer_hash_s %.3f\n", median(hash, rounds));
	printf("RESULT xfer_hash_mb_per_s %.0f\n", mb / hash[rounds / 2]);
	printf("RESULT xfer_cpu_share_a %.2f\n", median(cpu_a, rounds));
	printf("RESULT xfer_cpu_share_b %.2f\n", median(cpu_b, rounds));

	chat_busy("a", a, a, b, file, mb, chatrounds);
	chat_busy("b", b, a, b, file, mb, chatrounds);
	report_rss("end", a, b);
	pair_stop();
}

static void
bench_once(const char *file, double mb)
{
	struct child *a, *b;
	struct xround r;

	pair_start("once", &a, &b);
	fprintf(stderr, "xfer: one transfer of %.0f MB\n", mb);
	xfer_once(a, b, file, NULL, &r);
	printf("RESULT xfer_once_mb %.1f\n", mb);
	printf("RESULT xfer_once_mb_per_s %.0f\n", mb / r.xfer_s);
	printf("RESULT xfer_once_hash_s %.3f\n", r.hash_s);
	printf("RESULT xfer_once_hwm_kb_a %lu\n",
	    proc_field(a->pid, "status", "VmHWM:"));
	printf("RESULT xfer_once_hwm_kb_b %lu\n",
	    proc_field(b->pid, "status", "VmHWM:"));
	pair_stop();
}

static void __attribute__((noreturn)) usage(void)
{
	fprintf(stderr,
	    "usage: bench_xfer [-c chatrounds] [-i ms] [-n samples] "
	    "[-r rounds] p2ptui workdir file full|once\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	unsigned long samples = 250;
	int rounds = 3, chatrounds = 1, ch;
	double ms = 20, mb;
	char dl[4096];
	struct stat sb;
	const char *file;
	char *conf;

	bench_init("bench_xfer");
	while ((ch = getopt(argc, argv, "c:i:n:r:")) != -1) {
		switch (ch) {
		case 'c':
			chatrounds = atoi(optarg);
			break;
		case 'i':
			ms = atof(optarg);
			break;
		case 'n':
			samples = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 4 || rounds < 1 || rounds > 9 || chatrounds < 1 ||
	    samples == 0 || samples > PROBE_MAX / 4 || ms <= 0)
		usage();
	p2ptui_path = argv[0];
	workdir = argv[1];
	file = argv[2];
	tick_ns = (uint64_t)(ms * 1e6);
	if (stat(file, &sb) == -1)
		die("%s: %s", file, strerror(errno));
	mb = (double)sb.st_size / 1e6;
	snprintf(dl, sizeof dl, "%s/dl", workdir);
	if (mkdir(dl, 0700) == -1 && errno != EEXIST)
		die("mkdir %s: %s", dl, strerror(errno));
	if (asprintf(&conf, "download_dir = \"%s\";\n", dl) == -1)
		die("out of memory");
	node_conf = conf;
	children_stop_ms = 10000;
	child_event = xnode_event;

	if (strcmp(argv[3], "full") == 0)
		bench_full(file, mb, rounds, chatrounds, samples);
	else if (strcmp(argv[3], "once") == 0)
		bench_once(file, mb);
	else
		usage();
	return 0;
}
