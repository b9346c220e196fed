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
 * WORKDIR/dl, where the raw copy writes too.
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CHILDREN 4
#define CHILD_RBUF (256 * 1024)
#define CHILD_LAST 8
#define CHILD_LAST_LEN 240
#define RAW_BUF (1024 * 1024)
#define SETUP_MS 20000
#define XFER_MS 900000 /* per step of a transfer: hashing, data */
#define PROBE_MAX 100000
#define ID_LEN 64

/* A chat message sent as a probe: written at t_cmd, named by "sent". */
struct probe {
	uint64_t t_cmd, rtt;
	char id[ID_LEN];
};

struct child {
	char name[32];
	pid_t pid;
	int in, out; /* our ends of its stdin and stdout; -1 once closed */
	int stopping;
	char *wq; /* queued for its stdin */
	size_t woff, wlen, wcap;
	char *rbuf; /* a partial line from its stdout */
	size_t rlen;
	char last[CHILD_LAST][CHILD_LAST_LEN];
	unsigned long nlines;

	/* What its events said. */
	char fp[128], addr[64], req_name[64], peer_name[64];
	unsigned long nready, nrequest, nonline;
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

static struct child children[MAX_CHILDREN];
static size_t nchildren;
static const char *p2ptui_path, *workdir;

/* While set, pump() writes a probe to tick_child every tick_ns. */
static struct child *tick_child;
static uint64_t tick_ns, tick_next;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int
ms_left(uint64_t deadline)
{
	uint64_t now = now_ns();

	if (now >= deadline)
		return 0;
	return (int)((deadline - now + 999999) / 1000000);
}

/* --- children ------------------------------------------------------------ */

static void
children_kill(void)
{
	size_t i;

	for (i = 0; i < nchildren; i++) {
		if (children[i].pid > 0)
			kill(children[i].pid, SIGKILL);
	}
}

static void
children_reap(void)
{
	size_t i;

	children_kill();
	for (i = 0; i < nchildren; i++) {
		if (children[i].pid > 0)
			waitpid(children[i].pid, NULL, 0);
		children[i].pid = 0;
	}
}

static void
on_signal(int sig)
{
	children_kill();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
dump_children(void)
{
	struct child *c;
	char path[4096], line[512];
	size_t i, k;
	FILE *f;

	for (i = 0; i < nchildren; i++) {
		c = &children[i];
		fprintf(stderr, "--- %s (pid %ld): %lu lines, last:\n", c->name,
		    (long)c->pid, c->nlines);
		for (k = c->nlines > CHILD_LAST ? c->nlines - CHILD_LAST : 0;
		     k < c->nlines; k++)
			fprintf(stderr, "  %s\n", c->last[k % CHILD_LAST]);
		if (snprintf(path, sizeof path, "%s/%s.err", workdir,
		        c->name) >= (int)sizeof path ||
		    (f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof line, f) != NULL)
			fprintf(stderr, "  stderr: %s", line);
		fclose(f);
	}
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench_xfer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	dump_children();
	exit(1);
}

static void
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		die("fcntl: %s", strerror(errno));
}

/* A headless node NAME with HOME=WORKDIR/NAME (created, configured),
 * stdin and stdout piped to us, stderr to WORKDIR/NAME.err. */
static struct child *
node_start(const char *name)
{
	char home[2048], path[4096];
	struct child *c;
	int in[2], out[2], err;
	pid_t parent = getpid();
	FILE *f;

	if (nchildren == MAX_CHILDREN)
		die("too many children");
	snprintf(home, sizeof home, "%s/%s", workdir, name);
	if (mkdir(home, 0700) == -1)
		die("mkdir %s: %s", home, strerror(errno));
	snprintf(path, sizeof path, "%s/.p2ptui.conf", home);
	if ((f = fopen(path, "w")) == NULL)
		die("%s: %s", path, strerror(errno));
	fprintf(f,
	    "nick = \"%s\";\nlisten = \"127.0.0.1:0\";\n"
	    "download_dir = \"%s/dl\";\n",
	    name, workdir);
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));

	c = &children[nchildren];
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", name);
	c->out_num = c->in_num = -1;
	if ((c->rbuf = malloc(CHILD_RBUF)) == NULL ||
	    (c->pr = calloc(PROBE_MAX, sizeof *c->pr)) == NULL)
		die("out of memory");
	snprintf(path, sizeof path, "%s/%s.err", workdir, name);
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1)
		die("pipe: %s", strerror(errno));
	if ((err = open(
	         path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
		die("%s: %s", path, strerror(errno));
	switch (c->pid = fork()) {
	case -1:
		die("fork: %s", strerror(errno));
	case 0:
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in[0], 0) == -1 || dup2(out[1], 1) == -1 ||
		    dup2(err, 2) == -1)
			_exit(1);
		if (setenv("HOME", home, 1) == -1 ||
		    unsetenv("XDG_DATA_HOME") == -1)
			_exit(1);
		execl(p2ptui_path, p2ptui_path, "--headless", (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", p2ptui_path, strerror(errno));
		_exit(127);
	}
	nchildren++;
	close(in[0]);
	close(out[1]);
	close(err);
	c->in = in[1];
	c->out = out[0];
	set_nonblock(c->in);
	set_nonblock(c->out);
	return c;
}

static void
child_write(struct child *c)
{
	ssize_t n;

	while (c->woff < c->wlen) {
		n = write(c->in, c->wq + c->woff, c->wlen - c->woff);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			die("%s: write: %s", c->name, strerror(errno));
		}
		c->woff += (size_t)n;
	}
	c->woff = c->wlen = 0;
}

static void __attribute__((format(printf, 2, 3)))
child_cmd(struct child *c, const char *fmt, ...)
{
	char line[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line - 1)
		die("command too long");
	line[n++] = '\n';
	if (c->in == -1)
		die("%s: stdin is closed", c->name);
	if (c->wcap - c->wlen < (size_t)n) {
		while (c->wcap - c->wlen < (size_t)n)
			c->wcap = c->wcap == 0 ? 65536 : c->wcap * 2;
		if ((c->wq = realloc(c->wq, c->wcap)) == NULL)
			die("out of memory");
	}
	memcpy(c->wq + c->wlen, line, (size_t)n);
	c->wlen += (size_t)n;
	child_write(c);
}

/* Field n (1-based, space-separated) of line into out. */
static void
field(const char *line, int n, char *out, size_t outlen)
{
	const char *s = line, *e;

	while (--n > 0 && (s = strchr(s, ' ')) != NULL)
		s++;
	if (s == NULL) {
		out[0] = '\0';
		return;
	}
	if ((e = strchr(s, ' ')) == NULL)
		e = s + strlen(s);
	if ((size_t)(e - s) >= outlen)
		e = s + outlen - 1;
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = '\0';
}

#define PREFIX(line, lit) (strncmp(line, lit, sizeof lit - 1) == 0)

/* file PEER NUM DIR STATE BYTES SIZE NAME: count state changes. */
static void
child_file(struct child *c, const char *line, uint64_t now)
{
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
		if (n == c->out_num && strcmp(state, c->out_state) == 0)
			return;
		c->out_num = n;
		snprintf(c->out_state, sizeof c->out_state, "%s", state);
		if (strcmp(state, "offered") == 0) {
			c->nout_offered++;
			c->t_out_offered = now;
		} else if (strcmp(state, "done") == 0)
			c->nout_done++;
	} else {
		if (n == c->in_num && strcmp(state, c->in_state) == 0)
			return;
		c->in_num = n;
		snprintf(c->in_state, sizeof c->in_state, "%s", state);
		if (strcmp(state, "offered") == 0)
			c->nin_offered++;
	}
}

static void
child_line(struct child *c, char *line, size_t len, uint64_t now)
{
	char *slot = c->last[c->nlines++ % CHILD_LAST], id[ID_LEN];
	const char *path;
	size_t i;

	memcpy(slot, line, len < CHILD_LAST_LEN ? len : CHILD_LAST_LEN - 1);
	slot[len < CHILD_LAST_LEN ? len : CHILD_LAST_LEN - 1] = '\0';
	if (PREFIX(line, "file "))
		child_file(c, line, now);
	else if (PREFIX(line, "sent ")) {
		if (c->nnamed == c->npr)
			die("%s: sent what we did not: %s", c->name, line);
		field(line, 3, c->pr[c->nnamed++].id, ID_LEN);
	} else if (PREFIX(line, "delivered ")) {
		field(line, 3, id, sizeof id);
		/* Probes are answered nearly in order: search from the
		 * oldest unanswered. */
		for (i = c->nanswered; i < c->nnamed; i++) {
			if (c->pr[i].rtt == 0 && strcmp(c->pr[i].id, id) == 0)
				break;
		}
		if (i == c->nnamed) {
			for (i = 0; i < c->nnamed; i++) {
				if (c->pr[i].rtt == 0 &&
				    strcmp(c->pr[i].id, id) == 0)
					break;
			}
		}
		if (i == c->nnamed)
			die("%s: delivered what we did not send: %s", c->name,
			    line);
		c->pr[i].rtt = now - c->pr[i].t_cmd;
		while (c->nanswered < c->nnamed && c->pr[c->nanswered].rtt)
			c->nanswered++;
	} else if (PREFIX(line, "saved ")) {
		/* "saved PEER NUM PATH": the path is the rest. */
		for (path = line, i = 0; i < 3 && path != NULL; i++) {
			if ((path = strchr(path, ' ')) != NULL)
				path++;
		}
		if (path == NULL)
			die("%s: bad saved line: %s", c->name, line);
		snprintf(c->saved_path, sizeof c->saved_path, "%s", path);
		c->nsaved++;
		c->t_saved = now;
	} else if (PREFIX(line, "ready ")) {
		field(line, 2, c->fp, sizeof c->fp);
		field(line, 3, c->addr, sizeof c->addr);
		c->nready++;
	} else if (PREFIX(line, "request ")) {
		field(line, 2, c->req_name, sizeof c->req_name);
		c->nrequest++;
	} else if (PREFIX(line, "online ")) {
		field(line, 2, c->peer_name, sizeof c->peer_name);
		c->nonline++;
	} else if (PREFIX(line, "offline ") && !c->stopping)
		die("%s: %s", c->name, line);
	else if (PREFIX(line, "error "))
		die("%s: %s", c->name, line);
}

static void
child_read(struct child *c, uint64_t now)
{
	char *start, *nl, *end;
	ssize_t n;

	n = read(c->out, c->rbuf + c->rlen, CHILD_RBUF - c->rlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close(c->out);
		c->out = -1;
		if (!c->stopping)
			die("%s exited unexpectedly", c->name);
		return;
	}
	c->rlen += (size_t)n;
	start = c->rbuf;
	end = c->rbuf + c->rlen;
	while ((nl = memchr(start, '\n', (size_t)(end - start))) != NULL) {
		*nl = '\0';
		child_line(c, start, (size_t)(nl - start), now);
		start = nl + 1;
	}
	c->rlen = (size_t)(end - start);
	if (c->rlen == CHILD_RBUF)
		die("%s: line too long", c->name);
	memmove(c->rbuf, start, c->rlen);
}

/* Write one chat probe: "/msg PEER probe N". */
static void
probe_send(struct child *c)
{
	if (c->npr == PROBE_MAX)
		die("too many probes");
	c->pr[c->npr].t_cmd = now_ns();
	c->pr[c->npr].rtt = 0;
	child_cmd(c, "/msg %s probe %zu", c->peer_name, c->npr);
	c->npr++;
}

/* One poll over the children, at most timeout_ms; probes fall due. */
static void
pump(int timeout_ms)
{
	struct pollfd pfd[2 * MAX_CHILDREN];
	struct child *map[2 * MAX_CHILDREN];
	struct child *c;
	uint64_t now;
	size_t i, n = 0;

	for (i = 0; i < nchildren; i++) {
		c = &children[i];
		if (c->out != -1) {
			pfd[n].fd = c->out;
			pfd[n].events = POLLIN;
			map[n++] = c;
		}
		if (c->in != -1 && c->woff < c->wlen) {
			pfd[n].fd = c->in;
			pfd[n].events = POLLOUT;
			map[n++] = c;
		}
	}
	if (tick_child != NULL) {
		now = now_ns();
		if (tick_next <= now)
			timeout_ms = 0;
		else if ((tick_next - now) / 1000000 < (uint64_t)timeout_ms)
			timeout_ms = (int)((tick_next - now) / 1000000);
	}
	if (poll(pfd, (nfds_t)n, timeout_ms) == -1) {
		if (errno == EINTR)
			return;
		die("poll: %s", strerror(errno));
	}
	now = now_ns();
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (pfd[i].fd == map[i]->out)
			child_read(map[i], now);
		else if (pfd[i].fd == map[i]->in)
			child_write(map[i]);
	}
	if (tick_child != NULL && now_ns() >= tick_next) {
		probe_send(tick_child);
		/* A steady cadence, but no burst after a stall. */
		tick_next += tick_ns;
		if (tick_next < now_ns())
			tick_next = now_ns() + tick_ns;
	}
}

/* Pump until expr holds, or fail after ms milliseconds. */
#define WAIT_UNTIL(expr, ms, ...) \
	do { \
		uint64_t dl_ = now_ns() + (uint64_t)(ms)*1000000ULL; \
		while (!(expr)) { \
			if (now_ns() >= dl_) \
				die("timed out waiting for " __VA_ARGS__); \
			pump(ms_left(dl_)); \
		} \
	} while (0)

static void
pump_for(uint64_t ns)
{
	uint64_t end = now_ns() + ns;

	while (now_ns() < end)
		pump(ms_left(end));
}

/* Close the children's stdin (nodes quit), wait for them, reap. */
static void
children_stop(void)
{
	uint64_t dl = now_ns() + 10000000000ULL;
	size_t i, open;
	int status;

	for (i = 0; i < nchildren; i++) {
		children[i].stopping = 1;
		if (children[i].in != -1)
			close(children[i].in);
		children[i].in = -1;
	}
	for (;;) {
		for (open = 0, i = 0; i < nchildren; i++)
			open += children[i].out != -1;
		if (open == 0 || now_ns() >= dl)
			break;
		pump(ms_left(dl));
	}
	for (i = 0; i < nchildren; i++) {
		if (children[i].out != -1) {
			fprintf(stderr, "  %s did not exit: killed\n",
			    children[i].name);
			kill(children[i].pid, SIGKILL);
			close(children[i].out);
		}
		if (children[i].pid > 0 &&
		    waitpid(children[i].pid, &status, 0) == children[i].pid &&
		    (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
			fprintf(stderr, "  %s exited with status %d\n",
			    children[i].name, status);
		children[i].pid = 0;
		free(children[i].wq);
		free(children[i].rbuf);
		free(children[i].pr);
	}
	nchildren = 0;
}

/* A number from /proc/PID/status, "VmHWM:" for instance (KiB). */
static unsigned long
proc_status(pid_t pid, const char *key)
{
	char path[64], line[256];
	unsigned long v = 0;
	size_t klen = strlen(key);
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, key, klen) == 0) {
			v = strtoul(line + klen, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* User + system CPU seconds from /proc/PID/stat. */
static double
proc_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	if (fgets(buf, sizeof buf, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	        &ut, &st) != 2)
		die("%s: cannot parse", path);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Two nodes online with each other; a will send to b. */
static void
pair_start(const char *tag, struct child **a, struct child **b)
{
	char name[32];

	snprintf(name, sizeof name, "%s-a", tag);
	*a = node_start(name);
	snprintf(name, sizeof name, "%s-b", tag);
	*b = node_start(name);
	WAIT_UNTIL((*a)->nready > 0 && (*b)->nready > 0, SETUP_MS,
	    "the nodes to be ready");
	child_cmd(*b, "/connect %s", (*a)->addr);
	WAIT_UNTIL((*a)->nrequest > 0, SETUP_MS, "the contact request");
	child_cmd(*a, "/accept %s", (*a)->req_name);
	WAIT_UNTIL((*a)->nonline > 0 && (*b)->nonline > 0, SETUP_MS,
	    "the nodes to be online");
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
	unsigned long offered = a->nout_offered, incoming = b->nin_offered;
	unsigned long saved = b->nsaved, done = a->nout_done;
	double ca, cb;
	uint64_t t0;

	t0 = now_ns();
	child_cmd(a, "/send %s '%s'", a->peer_name, file);
	WAIT_UNTIL(
	    a->nout_offered > offered, XFER_MS, "the offer at %s", a->name);
	r->hash_s = (double)(a->t_out_offered - t0) / 1e9;
	WAIT_UNTIL(
	    b->nin_offered > incoming, SETUP_MS, "the offer at %s", b->name);
	ca = proc_cpu(a->pid);
	cb = proc_cpu(b->pid);
	t0 = now_ns();
	child_cmd(b, "/accept #%lld", b->in_num);
	if (prober != NULL) {
		tick_child = prober;
		tick_next = now_ns() + tick_ns;
	}
	WAIT_UNTIL(b->nsaved > saved, XFER_MS, "the file saved at %s", b->name);
	tick_child = NULL;
	r->xfer_s = (double)(b->t_saved - t0) / 1e9;
	r->cpu_a = proc_cpu(a->pid) - ca;
	r->cpu_b = proc_cpu(b->pid) - cb;
	WAIT_UNTIL(a->nout_done > done, SETUP_MS, "done at %s", a->name);
	if (prober != NULL)
		WAIT_UNTIL(prober->nanswered == prober->npr, SETUP_MS,
		    "%zu probes answered (have %zu)", prober->npr,
		    prober->nanswered);
	if (unlink(b->saved_path) == -1)
		die("%s: %s", b->saved_path, strerror(errno));
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

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* Median of n values (sorts them). */
static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return v[n / 2];
}

/* Round trips of c's probes from first on: RESULT chat_KEY_*. */
static void
chat_report(const char *key, const struct child *c, size_t first)
{
	size_t i, n = c->npr - first;
	uint64_t *s;

	if (n == 0)
		die("no probes for %s", key);
	if ((s = malloc(n * sizeof *s)) == NULL)
		die("out of memory");
	for (i = 0; i < n; i++)
		s[i] = c->pr[first + i].rtt;
	qsort(s, n, sizeof *s, cmp_u64);
	/* Nearest rank. */
	printf("RESULT xfer_chat_%s_n %zu\n", key, n);
	printf("RESULT xfer_chat_%s_p50_ms %.2f\n", key,
	    (double)s[(n * 50 + 99) / 100 - 1] / 1e6);
	printf("RESULT xfer_chat_%s_p99_ms %.2f\n", key,
	    (double)s[(n * 99 + 99) / 100 - 1] / 1e6);
	printf(
	    "RESULT xfer_chat_%s_max_ms %.2f\n", key, (double)s[n - 1] / 1e6);
	free(s);
}

/* SAMPLES probes from c, one every tick, no transfer. */
static void
chat_idle(struct child *c, unsigned long samples)
{
	size_t first = c->npr;

	tick_child = c;
	tick_next = now_ns() + tick_ns;
	WAIT_UNTIL(c->npr - first >= samples, samples * 1000,
	    "%lu probes written", samples);
	tick_child = NULL;
	WAIT_UNTIL(c->nanswered == c->npr, SETUP_MS, "probes answered");
}

static void
report_rss(const char *key, const struct child *a, const struct child *b)
{
	printf("RESULT xfer_%s_rss_kb_a %lu\n", key,
	    proc_status(a->pid, "VmRSS:"));
	printf("RESULT xfer_%s_rss_kb_b %lu\n", key,
	    proc_status(b->pid, "VmRSS:"));
	printf("RESULT xfer_%s_hwm_kb_a %lu\n", key,
	    proc_status(a->pid, "VmHWM:"));
	printf("RESULT xfer_%s_hwm_kb_b %lu\n", key,
	    proc_status(b->pid, "VmHWM:"));
}

static void
bench_full(const char *file, double mb, int rounds, int chatrounds,
    unsigned long samples)
{
	struct xround r[9], warm, c;
	double p2p[9], raw[9], hash[9], cpu_a[9], cpu_b[9], secs[9];
	char dst[4096];
	struct child *a, *b;
	size_t first;
	int i;

	snprintf(dst, sizeof dst, "%s/dl/raw.out", workdir);
	pair_start("full", &a, &b);
	pump_for(500000000ULL);
	report_rss("idle", a, b);

	fprintf(stderr,
	    "xfer: chat without a transfer, %lu probes from %s,"
	    " then from %s\n",
	    samples, a->name, b->name);
	first = a->npr;
	chat_idle(a, samples);
	chat_report("idle_a", a, first);
	first = b->npr;
	chat_idle(b, samples);
	chat_report("idle_b", b, first);

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

	first = a->npr;
	for (i = 0; i < chatrounds; i++) {
		fprintf(stderr, "xfer: transfer %d of %d with chat from %s\n",
		    i + 1, chatrounds, a->name);
		xfer_once(a, b, file, a, &c);
		printf(
		    "RESULT xfer_chat_busy_a_mb_per_s %.0f\n", mb / c.xfer_s);
	}
	chat_report("busy_a", a, first);
	first = b->npr;
	for (i = 0; i < chatrounds; i++) {
		fprintf(stderr, "xfer: transfer %d of %d with chat from %s\n",
		    i + 1, chatrounds, b->name);
		xfer_once(a, b, file, b, &c);
		printf(
		    "RESULT xfer_chat_busy_b_mb_per_s %.0f\n", mb / c.xfer_s);
	}
	chat_report("busy_b", b, first);
	report_rss("end", a, b);
	children_stop();
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
	printf(
	    "RESULT xfer_once_hwm_kb_a %lu\n", proc_status(a->pid, "VmHWM:"));
	printf(
	    "RESULT xfer_once_hwm_kb_b %lu\n", proc_status(b->pid, "VmHWM:"));
	children_stop();
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
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	atexit(children_reap);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (strcmp(argv[3], "full") == 0)
		bench_full(file, mb, rounds, chatrounds, samples);
	else if (strcmp(argv[3], "once") == 0)
		bench_once(file, mb);
	else
		usage();
	return 0;
}
