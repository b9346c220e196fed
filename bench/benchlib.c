/* SPDX-License-Identifier: GPL-3.0-or-later */
/* benchlib: headless nodes driven over pipes; see benchlib.h. */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

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

#include "benchlib.h"

#define CHILD_RBUF (256 * 1024)

struct child children[MAX_CHILDREN];
size_t nchildren;
const char *bench_prog = "bench", *workdir, *p2ptui_path;
const char *node_conf, *strace_path;
int child_pipe_size;
int children_stop_ms = 5000;
void (*child_event)(struct child *, const char *, uint64_t);
void (*pump_tick)(void);
uint64_t tick_next;
int pump_extra_fd = -1;
void (*pump_extra)(void);

uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int
ms_left(uint64_t deadline)
{
	uint64_t now = now_ns();

	if (now >= deadline)
		return 0;
	return (int)((deadline - now + 999999) / 1000000);
}

/* --- children ------------------------------------------------------------ */

/* Kill every child still running; from exit or a signal handler. */
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

void
bench_init(const char *prog)
{
	bench_prog = prog;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	atexit(children_reap);
	setvbuf(stdout, NULL, _IOLBF, 0);
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

void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", bench_prog);
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

struct child *
child_spawn(const char *name, const char *home, char *const argv[])
{
	struct child *c;
	char path[4096];
	int in[2], out[2], err;
	pid_t parent = getpid();

	if (nchildren == MAX_CHILDREN)
		die("too many children");
	c = &children[nchildren];
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", name);
	if ((c->rbuf = malloc(CHILD_RBUF)) == NULL)
		die("out of memory");
	snprintf(path, sizeof path, "%s/%s.err", workdir, name);
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1)
		die("pipe: %s", strerror(errno));
	if (child_pipe_size != 0) {
		fcntl(in[1], F_SETPIPE_SZ, child_pipe_size);
		fcntl(out[1], F_SETPIPE_SZ, child_pipe_size);
	}
	if ((err = open(
	         path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1)
		die("%s: %s", path, strerror(errno));
	switch (c->pid = fork()) {
	case -1:
		die("fork: %s", strerror(errno));
	case 0:
		/* Never outlive the driver, however it ends. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in[0], 0) == -1 || dup2(out[1], 1) == -1 ||
		    dup2(err, 2) == -1)
			_exit(1);
		/* Its data directory under HOME, whatever ours is. */
		if (home != NULL &&
		    (setenv("HOME", home, 1) == -1 ||
		        unsetenv("XDG_DATA_HOME") == -1))
			_exit(1);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
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

void
child_send(struct child *c, const char *data, size_t len)
{
	if (c->in == -1)
		die("%s: stdin is closed", c->name);
	if (c->woff > 0 && c->wcap - c->wlen < len) {
		memmove(c->wq, c->wq + c->woff, c->wlen - c->woff);
		c->wlen -= c->woff;
		c->woff = 0;
	}
	if (c->wcap - c->wlen < len) {
		while (c->wcap - c->wlen < len)
			c->wcap = c->wcap == 0 ? 65536 : c->wcap * 2;
		if ((c->wq = realloc(c->wq, c->wcap)) == NULL)
			die("out of memory");
	}
	memcpy(c->wq + c->wlen, data, len);
	c->wlen += len;
	child_write(c);
}

void
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
	child_send(c, line, (size_t)n);
}

void
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

static void
child_line(struct child *c, char *line, size_t len, uint64_t now)
{
	char *slot = c->last[c->nlines++ % CHILD_LAST];

	if (len >= CHILD_LAST_LEN)
		len = CHILD_LAST_LEN - 1;
	memcpy(slot, line, len);
	slot[len] = '\0';
	switch (line[0]) {
	case 'm':
		if (PREFIX(line, "msg ")) {
			c->nmsg++;
			c->t_msg = now;
		}
		break;
	case 's':
		if (PREFIX(line, "sent "))
			c->nsent++;
		break;
	case 'd':
		if (PREFIX(line, "delivered ")) {
			c->ndelivered++;
			c->t_delivered = now;
		}
		break;
	case 'r':
		if (PREFIX(line, "ready ")) {
			field(line, 2, c->fp, sizeof c->fp);
			field(line, 3, c->addr, sizeof c->addr);
			c->nready++;
		} else if (PREFIX(line, "request ")) {
			field(line, 2, c->req_name, sizeof c->req_name);
			c->nrequest++;
		}
		break;
	case 'o':
		if (PREFIX(line, "online ")) {
			field(line, 2, c->peer_name, sizeof c->peer_name);
			c->nonline++;
		} else if (PREFIX(line, "offline "))
			c->noffline++;
		break;
	case 'w':
		if (PREFIX(line, "waiting "))
			c->nwaiting++;
		else if (PREFIX(line, "warn "))
			c->nwarn++;
		break;
	case 'e':
		if (PREFIX(line, "error "))
			c->nerror++;
		break;
	}
	if (child_event != NULL)
		child_event(c, line, now);
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

/* Whose fd pfd[i] of children_pollfds() is. */
static struct child *pmap[2 * MAX_CHILDREN];

size_t
children_pollfds(struct pollfd *pfd)
{
	struct child *c;
	size_t i, n = 0;

	for (i = 0; i < nchildren; i++) {
		c = &children[i];
		if (c->out != -1) {
			pfd[n].fd = c->out;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			pmap[n++] = c;
		}
		if (c->in != -1 && c->woff < c->wlen) {
			pfd[n].fd = c->in;
			pfd[n].events = POLLOUT;
			pfd[n].revents = 0;
			pmap[n++] = c;
		}
	}
	return n;
}

void
children_service(const struct pollfd *pfd, size_t n)
{
	uint64_t now = now_ns();
	size_t i;

	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (pfd[i].fd == pmap[i]->out)
			child_read(pmap[i], now);
		else if (pfd[i].fd == pmap[i]->in) {
			if (pfd[i].revents & POLLERR)
				die("%s: its stdin is broken", pmap[i]->name);
			child_write(pmap[i]);
		}
	}
}

void
pump(int timeout_ms)
{
	struct pollfd pfd[2 * MAX_CHILDREN + 1];
	size_t n = children_pollfds(pfd);
	uint64_t now;
	int extra = pump_extra_fd != -1;

	if (pump_tick != NULL) {
		now = now_ns();
		if (tick_next <= now)
			timeout_ms = 0;
		else if ((tick_next - now) / 1000000 < (uint64_t)timeout_ms)
			timeout_ms = (int)((tick_next - now) / 1000000);
	}
	if (extra) {
		pfd[n].fd = pump_extra_fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
	}
	if (poll(pfd, (nfds_t)n + (nfds_t)extra, timeout_ms) == -1) {
		if (errno == EINTR)
			return;
		die("poll: %s", strerror(errno));
	}
	children_service(pfd, n);
	if (extra && pfd[n].revents != 0)
		pump_extra();
	if (pump_tick != NULL && now_ns() >= tick_next)
		pump_tick();
}

void
pump_for(uint64_t ns)
{
	uint64_t end = now_ns() + ns;

	while (now_ns() < end)
		pump(ms_left(end));
}

void
children_stop(void)
{
	uint64_t dl = now_ns() + (uint64_t)children_stop_ms * 1000000ULL;
	struct rusage ru;
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
		    wait4(children[i].pid, &status, 0, &ru) ==
		        children[i].pid) {
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				fprintf(stderr, "  %s exited with status %d\n",
				    children[i].name, status);
			children[i].cpu = (double)ru.ru_utime.tv_sec +
			    (double)ru.ru_utime.tv_usec / 1e6 +
			    (double)ru.ru_stime.tv_sec +
			    (double)ru.ru_stime.tv_usec / 1e6;
		}
		children[i].pid = 0;
		free(children[i].wq);
		free(children[i].rbuf);
	}
	nchildren = 0;
}

/* --- /proc ---------------------------------------------------------------- */

unsigned long
proc_field(pid_t pid, const char *file, const char *key)
{
	char path[64], line[256];
	unsigned long v = 0;
	size_t klen = strlen(key);
	FILE *f;

	snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid, file);
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

double
proc_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ns;
	unsigned long ut, st;
	FILE *f;

	/* Nanoseconds on a CPU (the nodes are single-threaded), where the
	 * kernel keeps them: a tick is 10 ms, 10% of an idle hub's CPU in
	 * 10 s. */
	snprintf(path, sizeof path, "/proc/%ld/schedstat", (long)pid);
	if ((f = fopen(path, "r")) != NULL) {
		if (fscanf(f, "%llu", &ns) == 1 && ns > 0) {
			fclose(f);
			return (double)ns / 1e9;
		}
		fclose(f);
	}
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	if (fgets(buf, sizeof buf, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	/* After "pid (comm) ": state is field 3, utime 14, stime 15. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	        &ut, &st) != 2)
		die("%s: cannot parse", path);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* --- nodes ---------------------------------------------------------------- */

/* A HOME for a node, with a configuration listening on loopback. */
static char *
node_home(const char *name, const char *extra)
{
	char *home, path[4096];
	FILE *f;

	if (asprintf(&home, "%s/%s", workdir, name) == -1)
		die("out of memory");
	/* Always a fresh identity with no learned peers. */
	if (mkdir(home, 0700) == -1)
		die("mkdir %s: %s", home, strerror(errno));
	snprintf(path, sizeof path, "%s/.p2ptui.conf", home);
	if ((f = fopen(path, "w")) == NULL)
		die("%s: %s", path, strerror(errno));
	fprintf(f, "nick = \"%s\";\nlisten = \"127.0.0.1:0\";\n%s%s", name,
	    node_conf != NULL ? node_conf : "", extra != NULL ? extra : "");
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
	return home;
}

/* Under strace_path if set: its summary goes to WORKDIR/NAME.strace. */
struct child *
node_start(const char *name, const char *extra)
{
	char *argv[] = { (char *)p2ptui_path, (char *)"--headless", NULL };
	char *sargv[] = { (char *)strace_path, (char *)"-f", (char *)"-c",
		(char *)"--seccomp-bpf", (char *)"-e",
		(char *)"trace=fsync,fdatasync", (char *)"-o", NULL,
		(char *)p2ptui_path, (char *)"--headless", NULL };
	char *home = node_home(name, extra), path[4096];
	struct child *c;

	if (strace_path != NULL) {
		snprintf(path, sizeof path, "%s/%s.strace", workdir, name);
		sargv[7] = path;
		c = child_spawn(name, home, sargv);
	} else
		c = child_spawn(name, home, argv);
	free(home);
	return c;
}

void
node_wait_ready(struct child *c)
{
	WAIT_UNTIL(c->nready > 0, SETUP_MS, "%s to be ready", c->name);
}

void
node_introduce(struct child *a, struct child *b)
{
	unsigned long ra = a->nrequest, oa = a->nonline, ob = b->nonline;

	child_cmd(b, "/connect %s", a->addr);
	WAIT_UNTIL(
	    a->nrequest > ra, SETUP_MS, "%s's request at %s", b->name, a->name);
	child_cmd(a, "/accept %s", a->req_name);
	WAIT_UNTIL(a->nonline > oa && b->nonline > ob, SETUP_MS,
	    "%s and %s online", a->name, b->name);
}

/* --- figures -------------------------------------------------------------- */

int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

uint64_t
nearest_rank(const uint64_t *s, size_t n, unsigned pct)
{
	return s[(n * pct + 99) / 100 - 1];
}
