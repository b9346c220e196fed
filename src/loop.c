/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The event loop: one thread, one epoll(7) set, in the manner of redis
 * ae.c and tmux. An iteration is: commit and before-sleep hooks, pending
 * event-mask changes, epoll_wait, fd callbacks, due timers. Work per
 * wakeup is proportional to what happened (the ready descriptors, the due
 * timers), never to the number of watchers.
 *
 * What it owns:
 *  - The watchers. Each is registered in the epoll set with its own
 *    address as the event's data, so a reported event leads straight to
 *    its watcher. All of them are also in the array watches (watches[i]
 *    ->idx == i) only so that loop_free() can find them; adding and
 *    removing is O(1) (the last slot moves into a removed one's place).
 *  - The event mask the kernel has (kevents) apart from the one wanted
 *    (events): loop_watch_set() only queues the watcher in changes, and
 *    the loop makes one epoll_ctl(MOD) per watcher whose mask really
 *    differs just before it sleeps. An output buffer that fills and
 *    drains within one iteration costs no system call.
 *  - Descriptors epoll refuses (EPERM: regular files, /dev/null), which
 *    poll(2) reports as always ready: they live in the array ready and
 *    are handed what they ask for on every iteration, and the loop does
 *    not sleep while one of them asks for something.
 *  - A second watcher of a descriptor that is already in the set
 *    (EEXIST) is registered through a private duplicate (kfd), closed
 *    with the watcher.
 *  - The pending timers, in a binary min-heap ordered by (due, seq). seq is
 *    the insertion counter, so timers due at the same nanosecond fire in
 *    the order they were added. The heap's slots hold the keys beside the
 *    timer pointer, so that sifting through ten thousand keepalive timers
 *    compares without following a pointer per comparison.
 *  - Coarse timers (loop_timer_add_coarse) have their due time rounded up
 *    to a grid of a power-of-two number of nanoseconds, at most a
 *    sixteenth of their delay and at most LOOP_COARSE_NS: such timers
 *    that fall due close together (one per connection, each with some
 *    jitter) fire in one wakeup instead of one wakeup each.
 *  - The signal self-pipe and the sigactions it replaced.
 *
 * Invariants:
 *  - A watcher is deleted before its descriptor is closed (the kernel
 *    keys the set by descriptor: a closed and reused number would
 *    otherwise take the old registration's place).
 *  - A deleted watcher leaves the epoll set at once, but its memory lives
 *    on until the end of the dispatch pass if one is running: the events
 *    epoll_wait returned may still point at it (the classic epoll
 *    use-after-free). Such dead watchers are skipped and reaped after the
 *    pass; outside dispatch a deletion frees at once.
 *  - The ready array is walked by index during dispatch; its slots do not
 *    move then (deletions wait for the reap), and watchers appended by a
 *    callback lie beyond the count being walked, so a watcher added by a
 *    callback never sees revents of this pass.
 *  - heap[i].t->idx == i for every pending timer. A timer whose callback is
 *    running has already left the heap (idx == LOOP_UNLINKED); the loop
 *    frees it when the callback returns, and loop_timer_del() on it is a
 *    no-op.
 *  - No pointer into watches, ready, changes or heap is held across a
 *    callback: callbacks may add (and so reallocate) and delete anything.
 *  - Callbacks must not call loop_once(), loop_run() or loop_free().
 */
#include <sys/epoll.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "xmalloc.h"

#define LOOP_NS_PER_MS 1000000ULL
#define LOOP_UNLINKED SIZE_MAX
#define LOOP_MAX_EVENTS 256 /* per epoll_wait; the rest come next time */
#define LOOP_COARSE_NS (1ULL << 30) /* the coarsest grid, about 1.07 s */

/* An array of watchers, each knowing its slot (by offset of the index). */
struct loop_warray {
	struct loop_watch **v;
	size_t n;
	size_t cap;
};

struct loop_watch {
	struct loop *loop;
	int fd;
	int kfd; /* what the epoll set knows: fd, or a duplicate of it */
	int events; /* wanted */
	int kevents; /* registered in the kernel */
	loop_fd_cb cb;
	void *arg;
	size_t idx; /* in watches */
	size_t chg; /* in changes, or LOOP_UNLINKED */
	size_t rdy; /* in ready (not in the epoll set), or LOOP_UNLINKED */
	int dead;
	struct loop_watch *next_dead;
};

struct loop_timer {
	struct loop *loop;
	size_t idx;
	loop_timer_cb cb;
	void *arg;
};

/* A heap slot: the timer's key, and the timer. */
struct loop_slot {
	uint64_t due; /* CLOCK_MONOTONIC, nanoseconds */
	uint64_t seq;
	struct loop_timer *t;
};

struct loop_sig {
	int signo;
	loop_signal_cb cb;
	void *arg;
	struct sigaction old;
};

struct loop {
	int epfd;
	struct epoll_event events[LOOP_MAX_EVENTS];
	struct loop_warray watches;
	struct loop_warray changes;
	struct loop_warray ready;
	int dispatching;
	struct loop_watch *dead;

	struct loop_slot *heap;
	size_t ntimer;
	size_t timercap;
	uint64_t timerseq;

	struct loop_sig *sigs;
	size_t nsig;
	int sigpipe[2];

	loop_hook_cb commit;
	void *commit_arg;
	loop_hook_cb before_sleep;
	void *before_sleep_arg;

	int in_once;
	int running;
	int stop;
	uint64_t wakeups;
};

/*
 * The handler has no argument to find its loop with, hence a global; it
 * is also why only one loop may own signals at a time.
 */
static volatile sig_atomic_t loop_sig_fd = -1;
static struct loop *loop_sig_owner;

static void loop_watch_free(struct loop_watch *);

static uint64_t
loop_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		fatal("clock_gettime(CLOCK_MONOTONIC): %s", strerror(errno));
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t
loop_now_ms(void)
{
	return loop_now_ns() / LOOP_NS_PER_MS;
}

struct loop *
loop_create(void)
{
	struct loop *loop;

	loop = xcalloc(1, sizeof *loop);
	loop->sigpipe[0] = loop->sigpipe[1] = -1;
	if ((loop->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1: %s", strerror(errno));
	return loop;
}

void
loop_free(struct loop *loop)
{
	size_t i;

	if (loop == NULL)
		return;
	if (loop->in_once)
		fatal("loop_free called from a loop callback");

	/*
	 * Put the old handlers back before closing the pipe, so that no
	 * handler of ours can write to a closed, or worse reused, fd.
	 */
	for (i = loop->nsig; i > 0; i--)
		sigaction(
		    loop->sigs[i - 1].signo, &loop->sigs[i - 1].old, NULL);
	free(loop->sigs);
	if (loop_sig_owner == loop) {
		loop_sig_fd = -1;
		loop_sig_owner = NULL;
	}
	if (loop->sigpipe[0] != -1) {
		close(loop->sigpipe[0]);
		close(loop->sigpipe[1]);
	}

	for (i = 0; i < loop->watches.n; i++)
		loop_watch_free(loop->watches.v[i]);
	free(loop->watches.v);
	free(loop->changes.v);
	free(loop->ready.v);
	close(loop->epfd);

	for (i = 0; i < loop->ntimer; i++)
		free(loop->heap[i].t);
	free(loop->heap);

	free(loop);
}

/* Watchers. */

static void
loop_warray_add(struct loop_warray *a, struct loop_watch *w, size_t *idx)
{
	size_t cap;

	if (a->n == a->cap) {
		cap = a->cap == 0 ? 16 : a->cap * 2;
		a->v = xreallocarray(a->v, cap, sizeof *a->v);
		a->cap = cap;
	}
	*idx = a->n;
	a->v[a->n++] = w;
}

/*
 * Take the watcher at *idx out of a, where off is the offset of that
 * index in struct loop_watch; the last slot moves into its place.
 */
static void
loop_warray_del(struct loop_warray *a, size_t *idx, size_t off)
{
	size_t i = *idx, last = --a->n;

	if (i != last) {
		a->v[i] = a->v[last];
		*(size_t *)(void *)((char *)a->v[i] + off) = i;
	}
	*idx = LOOP_UNLINKED;
}

static uint32_t
loop_epoll_mask(int events)
{
	uint32_t m = 0;

	if (events & POLLIN)
		m |= EPOLLIN;
	if (events & POLLOUT)
		m |= EPOLLOUT;
	if (events & POLLPRI)
		m |= EPOLLPRI;
	return m;
}

static int
loop_poll_mask(uint32_t m)
{
	int revents = 0;

	if (m & EPOLLIN)
		revents |= POLLIN;
	if (m & EPOLLOUT)
		revents |= POLLOUT;
	if (m & EPOLLPRI)
		revents |= POLLPRI;
	if (m & EPOLLERR)
		revents |= POLLERR;
	if (m & EPOLLHUP)
		revents |= POLLHUP;
	return revents;
}

static int
loop_epoll_ctl(struct loop *loop, int op, struct loop_watch *w, int events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof ev);
	ev.events = loop_epoll_mask(events);
	ev.data.ptr = w;
	return epoll_ctl(loop->epfd, op, w->kfd, &ev);
}

struct loop_watch *
loop_watch_add(struct loop *loop, int fd, int events, loop_fd_cb cb, void *arg)
{
	struct loop_watch *w;
	int err;

	if (fd < 0 || cb == NULL)
		fatal("loop_watch_add: bad watcher (fd %d)", fd);

	w = xcalloc(1, sizeof *w);
	w->loop = loop;
	w->fd = w->kfd = fd;
	w->events = w->kevents = events;
	w->cb = cb;
	w->arg = arg;
	w->chg = w->rdy = LOOP_UNLINKED;

	err = 0;
	if (loop_epoll_ctl(loop, EPOLL_CTL_ADD, w, events) == -1)
		err = errno;
	if (err == EEXIST) {
		/* Watched twice: the set holds one entry per descriptor. */
		if ((w->kfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
			fatal("loop_watch_add: dup fd %d: %s", fd,
			    strerror(errno));
		err = 0;
		if (loop_epoll_ctl(loop, EPOLL_CTL_ADD, w, events) == -1)
			err = errno;
	}
	if (err == EPERM)
		loop_warray_add(&loop->ready, w, &w->rdy);
	else if (err != 0)
		fatal("epoll_ctl(ADD, fd %d): %s", fd, strerror(err));
	loop_warray_add(&loop->watches, w, &w->idx);
	return w;
}

void
loop_watch_set(struct loop_watch *w, int events)
{
	if (w->dead)
		fatal("loop_watch_set on a deleted watcher (fd %d)", w->fd);
	w->events = events;
	if (w->chg == LOOP_UNLINKED && w->rdy == LOOP_UNLINKED)
		loop_warray_add(&w->loop->changes, w, &w->chg);
}

/* Tell the kernel the masks that changed since the last time. */
static void
loop_watch_flush(struct loop *loop)
{
	struct loop_watch *w;

	while (loop->changes.n > 0) {
		w = loop->changes.v[loop->changes.n - 1];
		loop->changes.n--;
		w->chg = LOOP_UNLINKED;
		if (w->events == w->kevents)
			continue;
		if (loop_epoll_ctl(loop, EPOLL_CTL_MOD, w, w->events) == -1)
			fatal("epoll_ctl(MOD, fd %d): %s", w->fd,
			    strerror(errno));
		w->kevents = w->events;
	}
}

static void
loop_watch_free(struct loop_watch *w)
{
	if (w->kfd != w->fd)
		close(w->kfd);
	free(w);
}

/* Take w out of the arrays. */
static void
loop_watch_unlink(struct loop *loop, struct loop_watch *w)
{
	loop_warray_del(
	    &loop->watches, &w->idx, offsetof(struct loop_watch, idx));
	if (w->chg != LOOP_UNLINKED)
		loop_warray_del(
		    &loop->changes, &w->chg, offsetof(struct loop_watch, chg));
	if (w->rdy != LOOP_UNLINKED)
		loop_warray_del(
		    &loop->ready, &w->rdy, offsetof(struct loop_watch, rdy));
}

void
loop_watch_del(struct loop_watch *w)
{
	struct loop *loop;

	if (w == NULL)
		return;
	if (w->dead)
		fatal("loop_watch_del: watcher deleted twice (fd %d)", w->fd);
	loop = w->loop;

	/* Out of the set now, so that the fd may be closed and reused. */
	if (w->rdy == LOOP_UNLINKED)
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->kfd, NULL);
	if (!loop->dispatching) {
		loop_watch_unlink(loop, w);
		loop_watch_free(w);
		return;
	}

	/*
	 * The events of this pass may still point at w, and the ready array
	 * is walked by index: keep the memory and the slot, and make the
	 * dispatch skip it.
	 */
	w->dead = 1;
	w->next_dead = loop->dead;
	loop->dead = w;
}

static void
loop_watch_reap(struct loop *loop)
{
	struct loop_watch *w;

	while ((w = loop->dead) != NULL) {
		loop->dead = w->next_dead;
		loop_watch_unlink(loop, w);
		loop_watch_free(w);
	}
}

static void
loop_watch_call(struct loop_watch *w, int revents)
{
	if (w->dead)
		return;
	/*
	 * An earlier callback of this pass may have stopped watching for
	 * POLLOUT (its buffer drained): do not report it anyway. Errors
	 * and hangups are always reported, as poll() does.
	 */
	revents &= w->events | POLLERR | POLLHUP;
	if (revents != 0)
		w->cb(w->fd, revents, w->arg);
}

static void
loop_dispatch_fds(struct loop *loop, int n)
{
	size_t i, nready = loop->ready.n;
	int j;

	loop->dispatching = 1;
	for (j = 0; j < n; j++)
		loop_watch_call(loop->events[j].data.ptr,
		    loop_poll_mask(loop->events[j].events));
	for (i = 0; i < nready; i++)
		loop_watch_call(loop->ready.v[i], POLLIN | POLLOUT);
	loop->dispatching = 0;
	loop_watch_reap(loop);
}

/* Does a descriptor epoll cannot watch ask for something? */
static int
loop_ready_wanted(const struct loop *loop)
{
	size_t i;

	for (i = 0; i < loop->ready.n; i++) {
		if (loop->ready.v[i]->events & (POLLIN | POLLOUT))
			return 1;
	}
	return 0;
}

/* Timers. */

static int
loop_slot_before(const struct loop_slot *a, const struct loop_slot *b)
{
	if (a->due != b->due)
		return a->due < b->due;
	return a->seq < b->seq;
}

static void
loop_heap_put(struct loop *loop, size_t i, const struct loop_slot *slot)
{
	loop->heap[i] = *slot;
	slot->t->idx = i;
}

static void
loop_heap_up(struct loop *loop, size_t i)
{
	struct loop_slot slot = loop->heap[i];
	size_t parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (!loop_slot_before(&slot, &loop->heap[parent]))
			break;
		loop_heap_put(loop, i, &loop->heap[parent]);
		i = parent;
	}
	loop_heap_put(loop, i, &slot);
}

static void
loop_heap_down(struct loop *loop, size_t i)
{
	struct loop_slot slot = loop->heap[i];
	size_t child, n = loop->ntimer;

	for (;;) {
		child = 2 * i + 1;
		if (child >= n)
			break;
		if (child + 1 < n &&
		    loop_slot_before(
		        &loop->heap[child + 1], &loop->heap[child]))
			child++;
		if (!loop_slot_before(&loop->heap[child], &slot))
			break;
		loop_heap_put(loop, i, &loop->heap[child]);
		i = child;
	}
	loop_heap_put(loop, i, &slot);
}

static void
loop_heap_remove(struct loop *loop, size_t i)
{
	struct loop_slot last;

	loop->heap[i].t->idx = LOOP_UNLINKED;
	last = loop->heap[--loop->ntimer];
	if (i == loop->ntimer)
		return;
	loop_heap_put(loop, i, &last);
	if (i > 0 && loop_slot_before(&last, &loop->heap[(i - 1) / 2]))
		loop_heap_up(loop, i);
	else
		loop_heap_down(loop, i);
}

/* Add a timer due at now + ms, its due time rounded up to a multiple of
 * grid nanoseconds (a power of two; 1: exact). */
static struct loop_timer *
loop_timer_add_grid(
    struct loop *loop, uint64_t ms, uint64_t grid, loop_timer_cb cb, void *arg)
{
	struct loop_timer *t;
	struct loop_slot *slot;
	uint64_t now, due;
	size_t cap;

	if (cb == NULL)
		fatal("loop_timer_add: no callback");

	if (loop->ntimer == loop->timercap) {
		cap = loop->timercap == 0 ? 16 : loop->timercap * 2;
		loop->heap = xreallocarray(loop->heap, cap, sizeof *loop->heap);
		loop->timercap = cap;
	}

	/*
	 * Read the clock now rather than using a time cached by the loop:
	 * loop_run_timers() relies on a timer added during its pass never
	 * being due before the moment the pass started.
	 */
	now = loop_now_ns();
	t = xcalloc(1, sizeof *t);
	t->loop = loop;
	t->cb = cb;
	t->arg = arg;
	if (ms > (UINT64_MAX - now - grid) / LOOP_NS_PER_MS)
		due = UINT64_MAX;
	else
		due = (now + ms * LOOP_NS_PER_MS + grid - 1) & ~(grid - 1);

	slot = &loop->heap[loop->ntimer++];
	slot->due = due;
	slot->seq = loop->timerseq++;
	slot->t = t;
	loop_heap_up(loop, loop->ntimer - 1);
	return t;
}

struct loop_timer *
loop_timer_add(struct loop *loop, uint64_t ms, loop_timer_cb cb, void *arg)
{
	return loop_timer_add_grid(loop, ms, 1, cb, arg);
}

struct loop_timer *
loop_timer_add_coarse(
    struct loop *loop, uint64_t ms, loop_timer_cb cb, void *arg)
{
	uint64_t grid = LOOP_COARSE_NS;

	/* The largest power of two not above a sixteenth of the delay. */
	if (ms < LOOP_COARSE_NS)
		while (grid > 1 && grid > ms * (LOOP_NS_PER_MS / 16))
			grid >>= 1;
	return loop_timer_add_grid(loop, ms, grid, cb, arg);
}

void
loop_timer_del(struct loop_timer *t)
{
	if (t == NULL)
		return;
	/* Firing right now: the loop frees it when its callback returns. */
	if (t->idx == LOOP_UNLINKED)
		return;
	loop_heap_remove(t->loop, t->idx);
	free(t);
}

/*
 * Fire the timers that were due when the pass began and that existed by
 * then. A timer a callback adds (even with 0 ms) waits for the next
 * iteration, so a timer that keeps re-arming itself cannot keep the loop
 * from polling. Each timer is unlinked before its callback runs, so the
 * callback may delete any other timer, which then does not fire.
 */
static void
loop_run_timers(struct loop *loop)
{
	struct loop_timer *t;
	uint64_t now, limit;

	if (loop->ntimer == 0)
		return;
	now = loop_now_ns();
	limit = loop->timerseq;
	while (loop->ntimer > 0) {
		if (loop->heap[0].due > now || loop->heap[0].seq >= limit)
			break;
		t = loop->heap[0].t;
		loop_heap_remove(loop, 0);
		t->cb(t->arg);
		free(t);
	}
}

/*
 * Milliseconds epoll_wait() may sleep. Rounded up: rounding down would wake us
 * just before the next timer is due, to find nothing to do and poll again
 * with a zero timeout, spinning until the clock catches up.
 */
static int
loop_poll_timeout(struct loop *loop, int max_ms)
{
	uint64_t now, due, diff, ms;

	if (max_ms < 0)
		max_ms = -1;
	if (loop->running && loop->stop)
		return 0; /* the hook asked to stop: do not block */
	if (loop_ready_wanted(loop))
		return 0;
	if (loop->ntimer == 0)
		return max_ms;

	now = loop_now_ns();
	due = loop->heap[0].due;
	if (due <= now)
		return 0;
	diff = due - now;
	ms = diff / LOOP_NS_PER_MS + (diff % LOOP_NS_PER_MS != 0);
	if (ms > INT_MAX)
		ms = INT_MAX;
	if (max_ms >= 0 && (uint64_t)max_ms < ms)
		ms = (uint64_t)max_ms;
	return (int)ms;
}

/* Signals. */

static void
loop_signal_handler(int signo)
{
	int saved_errno = errno;
	unsigned char byte = (unsigned char)signo;
	ssize_t n;

	/*
	 * Nothing can be done about a failed write here. A full pipe means
	 * 64 KiB of signals are already waiting for the loop, which will
	 * wake up anyway.
	 */
	n = write(loop_sig_fd, &byte, 1);
	(void)n;
	errno = saved_errno;
}

static void
loop_signal_deliver(struct loop *loop, int signo)
{
	size_t i;

	/* Looked up afresh each time: a callback may register signals. */
	for (i = 0; i < loop->nsig; i++) {
		if (loop->sigs[i].signo == signo) {
			loop->sigs[i].cb(signo, loop->sigs[i].arg);
			return;
		}
	}
}

static void
loop_signal_read(int fd, int revents, void *arg)
{
	struct loop *loop = arg;
	unsigned char buf[256];
	ssize_t n, i;

	(void)revents;
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1)
			fatal("signal pipe: %s", strerror(errno));
		if (n == 0)
			fatal("signal pipe: unexpected end of file");
		for (i = 0; i < n; i++)
			loop_signal_deliver(loop, buf[i]);
		if ((size_t)n < sizeof buf)
			return;
	}
}

int
loop_signal(struct loop *loop, int signo, loop_signal_cb cb, void *arg)
{
	struct sigaction sa;
	struct loop_sig *s;
	size_t i;

	/* The handler passes the number on as one byte. */
	if (signo <= 0 || signo >= NSIG || signo > UCHAR_MAX || cb == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (loop_sig_owner != NULL && loop_sig_owner != loop) {
		errno = EBUSY;
		return -1;
	}

	for (i = 0; i < loop->nsig; i++) {
		if (loop->sigs[i].signo == signo) {
			/* Keep the original old action for loop_free(). */
			loop->sigs[i].cb = cb;
			loop->sigs[i].arg = arg;
			return 0;
		}
	}

	if (loop->sigpipe[0] == -1) {
		if (pipe2(loop->sigpipe, O_NONBLOCK | O_CLOEXEC) == -1)
			return -1;
		loop_sig_fd = loop->sigpipe[1];
		loop_sig_owner = loop;
		loop_watch_add(
		    loop, loop->sigpipe[0], POLLIN, loop_signal_read, loop);
	}

	loop->sigs =
	    xreallocarray(loop->sigs, loop->nsig + 1, sizeof *loop->sigs);
	s = &loop->sigs[loop->nsig];

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = loop_signal_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(signo, &sa, &s->old) == -1)
		return -1;
	s->signo = signo;
	s->cb = cb;
	s->arg = arg;
	loop->nsig++;
	return 0;
}

/* Running. */

void
loop_set_commit_hook(struct loop *loop, loop_hook_cb cb, void *arg)
{
	loop->commit = cb;
	loop->commit_arg = arg;
}

void
loop_set_before_sleep(struct loop *loop, loop_hook_cb cb, void *arg)
{
	loop->before_sleep = cb;
	loop->before_sleep_arg = arg;
}

int
loop_once(struct loop *loop, int max_ms)
{
	int n, timeout;

	if (loop->in_once)
		fatal("loop_once called from a loop callback");
	loop->in_once = 1;

	if (loop->commit != NULL)
		loop->commit(loop->commit_arg);
	if (loop->before_sleep != NULL)
		loop->before_sleep(loop->before_sleep_arg);

	/* After the hooks: they may add timers or change watchers. */
	loop_watch_flush(loop);
	timeout = loop_poll_timeout(loop, max_ms);
	n = epoll_wait(loop->epfd, loop->events, LOOP_MAX_EVENTS, timeout);
	loop->wakeups++;
	if (n == -1) {
		if (errno != EINTR) {
			loop->in_once = 0;
			return -1;
		}
		n = 0;
	}

	loop_dispatch_fds(loop, n);
	loop_run_timers(loop);

	loop->in_once = 0;
	return 0;
}

int
loop_run(struct loop *loop)
{
	int rv = 0;

	loop->stop = 0;
	loop->running = 1;
	while (!loop->stop) {
		if (loop_once(loop, -1) == -1) {
			rv = -1;
			break;
		}
	}
	loop->running = 0;
	loop->stop = 0;
	return rv;
}

void
loop_stop(struct loop *loop)
{
	loop->stop = 1;
}

uint64_t
loop_wakeups(const struct loop *loop)
{
	return loop->wakeups;
}
