/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * benchlib: what bench_session and bench_xfer share to drive headless
 * p2ptui nodes (and rawnodes) from one single-threaded process. Each
 * child's stdin and stdout are pipes to us, multiplexed with poll(2) by
 * pump(); every stdout line is timestamped as it arrives
 * (CLOCK_MONOTONIC), the last few are kept for a failure's dump, and the
 * usual events are counted in struct child. Every wait is for a
 * condition with a deadline (WAIT_UNTIL); a timeout fails the run with
 * die(), which shows the children's last output and stderr
 * (WORKDIR/NAME.err).
 */
#ifndef BENCHLIB_H
#define BENCHLIB_H

#include <sys/types.h>

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MAX_CHILDREN 72 /* bench_room: 64 members and two more */
#define CHILD_LAST 8
#define CHILD_LAST_LEN 240
#define SETUP_MS 20000

struct child {
	char name[32];
	pid_t pid;
	int in; /* our end of its stdin; -1 once closed */
	int out; /* our end of its stdout; -1 at end of file */
	int stopping;
	char *wq; /* queued for its stdin */
	size_t woff, wlen, wcap;
	char *rbuf; /* a partial line from its stdout */
	size_t rlen;
	char last[CHILD_LAST][CHILD_LAST_LEN];
	unsigned long nlines;

	/* What its events said. */
	char fp[128], addr[64];
	char req_name[64]; /* from the last "request" */
	char peer_name[64]; /* from the last "online" */
	unsigned long nready, nrequest, nonline, noffline, nwaiting;
	unsigned long nmsg, nsent, ndelivered, nwarn, nerror;
	uint64_t t_msg, t_delivered; /* when the last one was read */
	double cpu; /* user + system seconds, once reaped by children_stop */
};

extern struct child children[MAX_CHILDREN];
extern size_t nchildren;

/* Set by the program: its name for die(), WORKDIR, the p2ptui binary. */
extern const char *bench_prog, *workdir, *p2ptui_path;
/* Lines for every node's configuration after nick and listen, or NULL. */
extern const char *node_conf;
/* If set, node_start() runs p2ptui under strace counting fsyncs. */
extern const char *strace_path;
/* If not 0, the size of the pipes to and from each child (may fail). */
extern int child_pipe_size;
/* How long children_stop() waits for the children to exit. */
extern int children_stop_ms;
/* If set, called for each line a child prints, after the counting. */
extern void (*child_event)(struct child *c, const char *line, uint64_t now);
/* While set, pump() calls it once now_ns() reaches tick_next (and polls
 * no longer than until then); it moves tick_next on. */
extern void (*pump_tick)(void);
extern uint64_t tick_next;
/* If not -1, pump() also polls this descriptor (an epoll set of the
 * program's own sockets, say) and calls pump_extra() when it is readable. */
extern int pump_extra_fd;
extern void (*pump_extra)(void);

#define PREFIX(line, lit) (strncmp(line, lit, sizeof lit - 1) == 0)

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

/* Signals, atexit, line-buffered stdout: once, first thing in main. */
void bench_init(const char *prog);
uint64_t now_ns(void);
int ms_left(uint64_t deadline);
void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...);

/* Start argv with HOME=home (if not NULL), stdin and stdout piped to us,
 * stderr to WORKDIR/NAME.err. */
struct child *child_spawn(
    const char *name, const char *home, char *const argv[]);
/* Queue bytes for the child's stdin and write what the pipe takes. */
void child_send(struct child *c, const char *data, size_t len);
void __attribute__((format(printf, 2, 3)))
child_cmd(struct child *c, const char *fmt, ...);
/* Field n (1-based, space-separated) of line into out. */
void field(const char *line, int n, char *out, size_t outlen);

/*
 * The children's part of a poll set: stdout always, stdin while
 * something is queued for it; then read and write what poll found.
 */
size_t children_pollfds(struct pollfd *pfd);
void children_service(const struct pollfd *pfd, size_t n);
/* One poll over the children, at most timeout_ms. */
void pump(int timeout_ms);
void pump_for(uint64_t ns);
/*
 * Close every child's stdin (nodes quit), wait for them, reap. Their
 * struct child stays readable (for cpu) until the next child_spawn().
 */
void children_stop(void);

/* A number from /proc/PID/FILE: status ("VmHWM:"), io ("write_bytes:"). */
unsigned long proc_field(pid_t pid, const char *file, const char *key);
/* CPU seconds of a single-threaded process: from /proc/PID/schedstat
 * (nanoseconds), else user + system from /proc/PID/stat (ticks). */
double proc_cpu(pid_t pid);

/* A headless node NAME with HOME=WORKDIR/NAME, a fresh identity and a
 * configuration listening on loopback, plus node_conf and extra. */
struct child *node_start(const char *name, const char *extra);
void node_wait_ready(struct child *c);
/* b dials a, a accepts the request; both online. */
void node_introduce(struct child *a, struct child *b);

int cmp_u64(const void *x, const void *y);
/* The nearest-rank pct percentile of n sorted values. */
uint64_t nearest_rank(const uint64_t *s, size_t n, unsigned pct);

#endif
