/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the event loop (src/loop.c). Nothing here sleeps and
 * hopes: every wait is loop_once() bounded by a deadline, and the tests
 * that use loop_run() are guarded by alarm().
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"

#define DEADLINE_MS 5000

/* Run iterations until *counter reaches want; fail after DEADLINE_MS. */
static void
run_until(struct loop *loop, const int *counter, int want)
{
	uint64_t end = loop_now_ms() + DEADLINE_MS, now;

	while (*counter < want) {
		now = loop_now_ms();
		if (now >= end)
			fail_msg("deadline passed: counter %d, want %d",
			    *counter, want);
		assert_int_equal(loop_once(loop, (int)(end - now)), 0);
	}
}

static void
make_pipe(int p[2])
{
	assert_int_equal(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
}

static void
close_pipe(int p[2])
{
	close(p[0]);
	close(p[1]);
}

static void
put_byte(int fd)
{
	assert_int_equal(write(fd, "x", 1), 1);
}

/* Timers. */

struct trec {
	struct loop *loop;
	int order[512];
	uint64_t at[512];
	int n;
};

struct tnode {
	struct trec *rec;
	int id;
	struct loop_timer *timer;
	struct loop_timer *victim; /* deleted by this one's callback */
	int rearm; /* add another 0 ms timer */
	int self_del; /* loop_timer_del on itself */
};

static void
tnode_cb(void *arg)
{
	struct tnode *tn = arg;
	struct trec *r = tn->rec;

	assert_true(r->n < (int)(sizeof r->order / sizeof r->order[0]));
	r->order[r->n] = tn->id;
	r->at[r->n] = loop_now_ms();
	r->n++;
	if (tn->victim != NULL)
		loop_timer_del(tn->victim);
	if (tn->self_del)
		loop_timer_del(tn->timer); /* must be a harmless no-op */
	tn->timer = NULL;
	if (tn->rearm > 0) {
		tn->rearm--;
		tn->timer = loop_timer_add(r->loop, 0, tnode_cb, tn);
	}
}

static void
test_timer_due_order(void **state)
{
	struct trec rec = { 0 };
	struct tnode n30 = { &rec, 30, NULL, NULL, 0, 0 };
	struct tnode n10 = { &rec, 10, NULL, NULL, 0, 0 };
	struct tnode n20 = { &rec, 20, NULL, NULL, 0, 0 };
	uint64_t start;
	int i;

	(void)state;
	rec.loop = loop_create();
	start = loop_now_ms();
	n30.timer = loop_timer_add(rec.loop, 30, tnode_cb, &n30);
	n10.timer = loop_timer_add(rec.loop, 10, tnode_cb, &n10);
	n20.timer = loop_timer_add(rec.loop, 20, tnode_cb, &n20);

	run_until(rec.loop, &rec.n, 3);
	assert_int_equal(rec.order[0], 10);
	assert_int_equal(rec.order[1], 20);
	assert_int_equal(rec.order[2], 30);
	/* Never early: id is also the delay in ms. */
	for (i = 0; i < 3; i++)
		assert_true(rec.at[i] - start >= (uint64_t)rec.order[i]);
	loop_free(rec.loop);
}

static void
test_timer_equal_due_insertion_order(void **state)
{
	struct trec rec = { 0 };
	struct tnode nodes[128];
	int i;

	(void)state;
	rec.loop = loop_create();
	memset(nodes, 0, sizeof nodes);
	/* Two groups, added interleaved: all of 0..63 before any of 64.. */
	for (i = 0; i < 64; i++) {
		nodes[64 + i].rec = &rec;
		nodes[64 + i].id = 64 + i;
		nodes[64 + i].timer =
		    loop_timer_add(rec.loop, 15, tnode_cb, &nodes[64 + i]);
		nodes[i].rec = &rec;
		nodes[i].id = i;
		nodes[i].timer =
		    loop_timer_add(rec.loop, 0, tnode_cb, &nodes[i]);
	}
	run_until(rec.loop, &rec.n, 128);
	for (i = 0; i < 128; i++)
		assert_int_equal(rec.order[i], i);
	loop_free(rec.loop);
}

/* Many timers, some cancelled: exercises removal from inside the heap. */
static void
test_timer_heap_with_cancel(void **state)
{
	struct trec rec = { 0 };
	struct tnode *nodes;
	int i, n = 400, live = 0, prev, cur;
	unsigned int seed = 12345;

	(void)state;
	rec.loop = loop_create();
	nodes = calloc((size_t)n, sizeof *nodes);
	assert_non_null(nodes);
	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		nodes[i].rec = &rec;
		/* Delays 5 ms apart, so adding them all cannot reorder. */
		nodes[i].id = (int)((seed >> 16) % 8) * 1000 + i;
		nodes[i].timer = loop_timer_add(rec.loop,
		    (uint64_t)(nodes[i].id / 1000) * 5, tnode_cb, &nodes[i]);
	}
	for (i = 0; i < n; i++) {
		if (i % 3 == 0) {
			loop_timer_del(nodes[i].timer);
			nodes[i].timer = NULL;
		} else
			live++;
	}
	run_until(rec.loop, &rec.n, live);
	/* A bounded extra wait: a cancelled timer would show up here. */
	assert_int_equal(loop_once(rec.loop, 50), 0);
	assert_int_equal(rec.n, live);
	prev = -1;
	for (i = 0; i < rec.n; i++) {
		cur = rec.order[i];
		assert_true((cur % 1000) % 3 != 0);
		/* (delay, insertion index) must be increasing. */
		assert_true(cur > prev);
		prev = cur;
	}
	free(nodes);
	loop_free(rec.loop);
}

static void
test_timer_del_other_same_iteration(void **state)
{
	struct trec rec = { 0 };
	struct tnode a = { &rec, 1, NULL, NULL, 0, 0 };
	struct tnode b = { &rec, 2, NULL, NULL, 0, 0 };
	struct tnode c = { &rec, 3, NULL, NULL, 0, 0 };

	(void)state;
	rec.loop = loop_create();
	/* All due before the loop looks: one timer pass sees all three. */
	a.timer = loop_timer_add(rec.loop, 0, tnode_cb, &a);
	b.timer = loop_timer_add(rec.loop, 0, tnode_cb, &b);
	c.timer = loop_timer_add(rec.loop, 0, tnode_cb, &c);
	a.victim = b.timer;

	assert_int_equal(loop_once(rec.loop, 0), 0);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.order[0], 1);
	assert_int_equal(rec.order[1], 3);
	assert_int_equal(loop_once(rec.loop, 20), 0);
	assert_int_equal(rec.n, 2);
	loop_free(rec.loop);
}

static void
test_timer_del_self_and_pending(void **state)
{
	struct trec rec = { 0 };
	struct tnode self = { &rec, 1, NULL, NULL, 0, 1 };
	struct tnode gone = { &rec, 2, NULL, NULL, 0, 0 };
	struct tnode left = { &rec, 3, NULL, NULL, 0, 0 };

	(void)state;
	rec.loop = loop_create();
	self.timer = loop_timer_add(rec.loop, 0, tnode_cb, &self);
	gone.timer = loop_timer_add(rec.loop, 1, tnode_cb, &gone);
	loop_timer_del(gone.timer);
	loop_timer_del(NULL);
	run_until(rec.loop, &rec.n, 1);
	assert_int_equal(rec.order[0], 1);
	assert_int_equal(loop_once(rec.loop, 20), 0);
	assert_int_equal(rec.n, 1);
	/* Left pending: loop_free must free it (valgrind/ASan check). */
	left.timer = loop_timer_add(rec.loop, 60000, tnode_cb, &left);
	loop_free(rec.loop);
	assert_int_equal(rec.n, 1);
}

static int starve_fd_calls;

static void
starve_fd_cb(int fd, int revents, void *arg)
{
	(void)fd;
	(void)arg;
	assert_true(revents & POLLIN);
	starve_fd_calls++;
}

static void
test_timer_zero_from_callback_next_iteration(void **state)
{
	struct trec rec = { 0 };
	struct tnode tn = { &rec, 7, NULL, NULL, 1000000, 0 };
	struct loop_watch *w;
	int p[2], i;

	(void)state;
	rec.loop = loop_create();
	make_pipe(p);
	put_byte(p[1]);
	starve_fd_calls = 0;
	w = loop_watch_add(rec.loop, p[0], POLLIN, starve_fd_cb, NULL);
	tn.timer = loop_timer_add(rec.loop, 0, tnode_cb, &tn);

	/* A self re-arming 0 ms timer fires exactly once per iteration. */
	for (i = 1; i <= 5; i++) {
		assert_int_equal(loop_once(rec.loop, 1000), 0);
		assert_int_equal(rec.n, i);
		assert_int_equal(starve_fd_calls, i);
	}
	tn.rearm = 0;
	loop_timer_del(tn.timer);
	loop_watch_del(w);
	close_pipe(p);
	loop_free(rec.loop);
}

static void
test_poll_timeout_capped(void **state)
{
	struct loop *loop;
	struct trec rec = { 0 };
	struct tnode far = { &rec, 1, NULL, NULL, 0, 0 };
	uint64_t start, took;

	(void)state;
	loop = loop_create();
	rec.loop = loop;
	far.timer = loop_timer_add(loop, 60000, tnode_cb, &far);

	start = loop_now_ms();
	assert_int_equal(loop_once(loop, 0), 0);
	assert_true(loop_now_ms() - start < 1000);

	start = loop_now_ms();
	assert_int_equal(loop_once(loop, 30), 0);
	took = loop_now_ms() - start;
	assert_true(took >= 30);
	assert_true(took < 5000);
	assert_int_equal(rec.n, 0);
	assert_int_equal(loop_wakeups(loop), 2);
	loop_free(loop);
}

static int idle_fired;

static void
idle_cb(void *arg)
{
	(void)arg;
	idle_fired++;
}

static void
test_idle_wakeups(void **state)
{
	struct loop *loop;
	uint64_t start;

	(void)state;
	loop = loop_create();
	idle_fired = 0;
	start = loop_now_ms();
	loop_timer_add(loop, 200, idle_cb, NULL);
	run_until(loop, &idle_fired, 1);
	assert_true(loop_now_ms() - start >= 200);
	/* One poll() that sleeps until the timer; allow one spare. */
	assert_true(loop_wakeups(loop) >= 1);
	assert_true(loop_wakeups(loop) <= 2);
	loop_free(loop);
}

/*
 * Coarse timers that fall due within a few milliseconds of each other
 * share their wakeups; none fires early, none later than a sixteenth of
 * its delay after it was due (plus the scheduler's slack). 64 exact
 * timers one millisecond apart would need up to 64 wakeups.
 */
static void
test_timer_coarse_shared_wakeups(void **state)
{
	static struct tnode nodes[64];
	struct trec rec = { 0 };
	uint64_t start, w0;
	int i, ms;

	(void)state;
	rec.loop = loop_create();
	start = loop_now_ms();
	for (i = 0; i < 64; i++) {
		nodes[i] = (struct tnode){ &rec, i, NULL, NULL, 0, 0 };
		/* 320 to 383 ms: a grid of 2^24 ns (16.8 ms), 5 points. */
		nodes[i].timer = loop_timer_add_coarse(
		    rec.loop, 320 + i, tnode_cb, &nodes[i]);
	}
	w0 = loop_wakeups(rec.loop);
	run_until(rec.loop, &rec.n, 64);
	assert_true(loop_wakeups(rec.loop) - w0 <= 6);
	for (i = 0; i < 64; i++) {
		ms = 320 + rec.order[i];
		assert_true(rec.at[i] - start >= (uint64_t)ms);
		assert_true(
		    rec.at[i] - start <= (uint64_t)(ms + ms / 16 + 500));
		/* Due together: in the order they were added. */
		if (i > 0 && rec.at[i] == rec.at[i - 1])
			assert_true(rec.order[i] > rec.order[i - 1]);
	}
	/* A short coarse timer is exact to the millisecond's grid. */
	rec.n = 0;
	start = loop_now_ms();
	nodes[0].timer =
	    loop_timer_add_coarse(rec.loop, 0, tnode_cb, &nodes[0]);
	nodes[1].timer =
	    loop_timer_add_coarse(rec.loop, 5, tnode_cb, &nodes[1]);
	run_until(rec.loop, &rec.n, 2);
	assert_int_equal(rec.order[0], 0);
	assert_true(rec.at[1] - start >= 5);
	loop_free(rec.loop);
}

/* Watchers. */

struct wrec {
	struct loop *loop;
	struct loop_watch *w[4];
	int fds[4];
	int calls[4];
	int revents[4];
	int added; /* index of a watcher replaced */
	struct loop_watch *late; /* its replacement */
	int mode;
};

struct warg {
	struct wrec *rec;
	int id;
};

static int late_calls, late_fd;

static void
late_cb(int fd, int revents, void *arg)
{
	(void)arg;
	assert_int_equal(fd, late_fd);
	assert_true(revents & POLLIN);
	late_calls++;
}

static void
wrec_cb(int fd, int revents, void *arg)
{
	struct warg *wa = arg;
	struct wrec *r = wa->rec;
	int me = wa->id, other = 1 - wa->id;

	assert_int_equal(fd, r->fds[me]);
	r->calls[me]++;
	r->revents[me] = revents;
	switch (r->mode) {
	case 1: /* delete the other one */
		if (r->w[other] != NULL) {
			loop_watch_del(r->w[other]);
			r->w[other] = NULL;
		}
		break;
	case 2: /* delete myself */
		loop_watch_del(r->w[me]);
		r->w[me] = NULL;
		break;
	case 3: /* replace the other one by a new watcher, same fd */
		if (r->w[other] != NULL && r->added == -1) {
			loop_watch_del(r->w[other]);
			r->w[other] = NULL;
			r->added = other;
			late_fd = r->fds[other];
			r->late = loop_watch_add(
			    r->loop, late_fd, POLLIN, late_cb, NULL);
		}
		break;
	case 4: /* output drained: stop watching POLLOUT on both */
		if (r->w[other] != NULL)
			loop_watch_set(r->w[other], 0);
		loop_watch_set(r->w[me], 0);
		break;
	}
}

static void
test_watch_readable_and_hup(void **state)
{
	struct wrec rec = { 0 };
	struct warg a = { &rec, 0 };
	int p[2];

	(void)state;
	rec.loop = loop_create();
	make_pipe(p);
	rec.fds[0] = p[0];
	rec.w[0] = loop_watch_add(rec.loop, p[0], POLLIN, wrec_cb, &a);

	assert_int_equal(loop_once(rec.loop, 0), 0);
	assert_int_equal(rec.calls[0], 0);
	put_byte(p[1]);
	assert_int_equal(loop_once(rec.loop, 1000), 0);
	assert_int_equal(rec.calls[0], 1);
	assert_true(rec.revents[0] & POLLIN);

	/* Hangup is reported even when not asked for. */
	loop_watch_set(rec.w[0], 0);
	close(p[1]);
	assert_int_equal(loop_once(rec.loop, 1000), 0);
	assert_int_equal(rec.calls[0], 2);
	assert_true(rec.revents[0] & POLLHUP);
	assert_false(rec.revents[0] & POLLIN);

	loop_watch_del(rec.w[0]);
	close(p[0]);
	loop_free(rec.loop);
}

static void
test_watch_del_other_same_iteration(void **state)
{
	struct wrec rec = { 0 };
	struct warg a = { &rec, 0 }, b = { &rec, 1 };
	int p[2], q[2], survivor;

	(void)state;
	rec.loop = loop_create();
	rec.mode = 1;
	make_pipe(p);
	make_pipe(q);
	put_byte(p[1]);
	put_byte(q[1]);
	rec.fds[0] = p[0];
	rec.fds[1] = q[0];
	rec.w[0] = loop_watch_add(rec.loop, p[0], POLLIN, wrec_cb, &a);
	rec.w[1] = loop_watch_add(rec.loop, q[0], POLLIN, wrec_cb, &b);

	/* Both readable: whichever runs first deletes the other. */
	assert_int_equal(loop_once(rec.loop, 1000), 0);
	assert_int_equal(rec.calls[0] + rec.calls[1], 1);
	survivor = rec.calls[0] == 1 ? 0 : 1;
	assert_non_null(rec.w[survivor]);
	assert_null(rec.w[1 - survivor]);

	/* Both fds are still readable; only the survivor is watched. */
	assert_int_equal(loop_once(rec.loop, 1000), 0);
	assert_int_equal(rec.calls[survivor], 2);
	assert_int_equal(rec.calls[1 - survivor], 0);

	loop_watch_del(rec.w[survivor]);
	close_pipe(p);
	close_pipe(q);
	loop_free(rec.loop);
}

static void
test_watch_del_self(void **state)
{
	struct wrec rec = { 0 };
	struct warg a = { &rec, 0 };
	int p[2], i;

	(void)state;
	rec.loop = loop_create();
	rec.mode = 2;
	make_pipe(p);
	put_byte(p[1]);
	rec.fds[0] = p[0];
	rec.w[0] = loop_watch_add(rec.loop, p[0], POLLIN, wrec_cb, &a);
	for (i = 0; i < 3; i++)
		assert_int_equal(loop_once(rec.loop, 10), 0);
	assert_int_equal(rec.calls[0], 1);
	assert_null(rec.w[0]);
	close_pipe(p);
	loop_free(rec.loop);
}

/*
 * A callback deletes the other watcher, whose revents are pending in this
 * pass, and watches the same fd anew: the new watcher must not be handed
 * the old one's revents in this pass, only get its own in the next.
 */
static void
test_watch_added_in_dispatch_gets_no_stale_revents(void **state)
{
	struct wrec rec = { 0 };
	struct warg a = { &rec, 0 }, b = { &rec, 1 };
	int p[2], q[2], first;

	(void)state;
	rec.loop = loop_create();
	rec.mode = 3;
	rec.added = -1;
	late_calls = 0;
	make_pipe(p);
	make_pipe(q);
	put_byte(p[1]);
	put_byte(q[1]);
	rec.fds[0] = p[0];
	rec.fds[1] = q[0];
	rec.w[0] = loop_watch_add(rec.loop, p[0], POLLIN, wrec_cb, &a);
	rec.w[1] = loop_watch_add(rec.loop, q[0], POLLIN, wrec_cb, &b);

	assert_int_equal(loop_once(rec.loop, 1000), 0);
	assert_int_equal(rec.calls[0] + rec.calls[1], 1);
	first = rec.calls[0] == 1 ? 0 : 1;
	assert_int_equal(rec.added, 1 - first);
	assert_non_null(rec.late);
	assert_int_equal(late_calls, 0);

	assert_int_equal(loop_once(rec.loop, 1000), 0);
	assert_int_equal(late_calls, 1);
	assert_int_equal(rec.calls[first], 2);
	assert_int_equal(rec.calls[1 - first], 0);

	loop_watch_del(rec.late);
	loop_watch_del(rec.w[first]);
	close_pipe(p);
	close_pipe(q);
	loop_free(rec.loop);
}

struct adder {
	struct loop *loop;
	struct loop_watch *self;
	struct loop_watch *added;
	int fd;
	int calls;
};

static void
adder_cb(int fd, int revents, void *arg)
{
	struct adder *ad = arg;

	(void)fd;
	(void)revents;
	ad->calls++;
	if (ad->added == NULL) {
		/* Same fd as the one whose revents are being dispatched. */
		loop_watch_del(ad->self);
		ad->self = NULL;
		ad->added =
		    loop_watch_add(ad->loop, ad->fd, POLLIN, late_cb, NULL);
	}
}

static void
test_watch_add_during_dispatch(void **state)
{
	struct adder ad = { 0 };
	int p[2];

	(void)state;
	ad.loop = loop_create();
	make_pipe(p);
	put_byte(p[1]);
	ad.fd = late_fd = p[0];
	late_calls = 0;
	ad.self = loop_watch_add(ad.loop, p[0], POLLIN, adder_cb, &ad);

	assert_int_equal(loop_once(ad.loop, 1000), 0);
	assert_int_equal(ad.calls, 1);
	assert_non_null(ad.added);
	assert_int_equal(late_calls, 0); /* not in the same pass */
	assert_int_equal(loop_once(ad.loop, 1000), 0);
	assert_int_equal(late_calls, 1);
	assert_int_equal(ad.calls, 1);

	loop_watch_del(ad.added);
	close_pipe(p);
	loop_free(ad.loop);
}

static void
test_watch_set_pollout(void **state)
{
	struct wrec rec = { 0 };
	struct warg a = { &rec, 0 }, b = { &rec, 1 };
	int p[2], q[2], i;

	(void)state;
	rec.loop = loop_create();
	make_pipe(p);
	make_pipe(q);
	rec.fds[0] = p[1];
	rec.fds[1] = q[1];
	rec.w[0] = loop_watch_add(rec.loop, p[1], 0, wrec_cb, &a);

	/* An empty pipe is writable, but nobody asked. */
	assert_int_equal(loop_once(rec.loop, 0), 0);
	assert_int_equal(rec.calls[0], 0);

	loop_watch_set(rec.w[0], POLLOUT);
	assert_int_equal(loop_once(rec.loop, 1000), 0);
	assert_int_equal(rec.calls[0], 1);
	assert_int_equal(rec.revents[0], POLLOUT);
	assert_int_equal(loop_once(rec.loop, 1000), 0);
	assert_int_equal(rec.calls[0], 2);

	loop_watch_set(rec.w[0], 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(loop_once(rec.loop, 0), 0);
	assert_int_equal(rec.calls[0], 2);

	/*
	 * Two writable fds; the first callback turns POLLOUT off on both
	 * (as a drained output buffer would): the second is not told about
	 * POLLOUT it no longer wants, though poll() had reported it.
	 */
	rec.mode = 4;
	rec.calls[0] = 0;
	loop_watch_set(rec.w[0], POLLOUT);
	rec.w[1] = loop_watch_add(rec.loop, q[1], POLLOUT, wrec_cb, &b);
	assert_int_equal(loop_once(rec.loop, 1000), 0);
	assert_int_equal(rec.calls[0] + rec.calls[1], 1);
	for (i = 0; i < 3; i++)
		assert_int_equal(loop_once(rec.loop, 0), 0);
	assert_int_equal(rec.calls[0] + rec.calls[1], 1);

	loop_watch_del(rec.w[0]);
	loop_watch_del(rec.w[1]);
	close_pipe(p);
	close_pipe(q);
	loop_free(rec.loop);
}

#define NMANY 100

struct many {
	struct loop_watch *w;
	int p[2];
	int calls;
	int del_in_cb;
};

static void
many_cb(int fd, int revents, void *arg)
{
	struct many *m = arg;
	char c;

	assert_int_equal(fd, m->p[0]);
	assert_true(revents & POLLIN);
	assert_int_equal(read(fd, &c, 1), 1);
	m->calls++;
	if (m->del_in_cb) {
		loop_watch_del(m->w);
		m->w = NULL;
	}
}

/* Growth and the swap-on-delete bookkeeping keep fd, cb and arg together. */
static void
test_watch_many(void **state)
{
	struct loop *loop;
	struct many *m;
	int i;

	(void)state;
	loop = loop_create();
	m = calloc(NMANY, sizeof *m);
	assert_non_null(m);
	for (i = 0; i < NMANY; i++) {
		make_pipe(m[i].p);
		m[i].w =
		    loop_watch_add(loop, m[i].p[0], POLLIN, many_cb, &m[i]);
	}
	for (i = 0; i < NMANY; i += 2) {
		loop_watch_del(m[i].w);
		m[i].w = NULL;
	}
	for (i = 0; i < NMANY; i++) {
		put_byte(m[i].p[1]);
		m[i].del_in_cb = i % 3 == 0;
	}
	assert_int_equal(loop_once(loop, 1000), 0);
	for (i = 0; i < NMANY; i++)
		assert_int_equal(m[i].calls, i % 2 == 0 ? 0 : 1);

	/* Again, after the reap of those deleted in their callbacks. */
	for (i = 0; i < NMANY; i++) {
		m[i].del_in_cb = 0;
		if (i % 2 == 1)
			put_byte(m[i].p[1]);
	}
	assert_int_equal(loop_once(loop, 1000), 0);
	for (i = 0; i < NMANY; i++) {
		if (i % 2 == 0)
			assert_int_equal(m[i].calls, 0);
		else
			assert_int_equal(m[i].calls, i % 3 == 0 ? 1 : 2);
	}

	/* Watchers left in place are freed by loop_free. */
	loop_free(loop);
	for (i = 0; i < NMANY; i++)
		close_pipe(m[i].p);
	free(m);
}

/* Signals. */

struct srec {
	int count;
	int last;
	void *arg;
};

static void
srec_cb(int signo, void *arg)
{
	struct srec *s = arg;

	s->count++;
	s->last = signo;
	s->arg = arg;
}

static volatile sig_atomic_t old_handler_calls;

static void
old_handler(int signo)
{
	(void)signo;
	old_handler_calls++;
}

static void
test_signal_delivery(void **state)
{
	struct loop *loop, *other;
	struct srec s1 = { 0 }, s2 = { 0 }, so = { 0 };
	struct sigaction sa, cur, saved1, saved2;

	(void)state;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = old_handler;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &saved1), 0);
	sa.sa_handler = SIG_DFL;
	assert_int_equal(sigaction(SIGUSR2, &sa, &saved2), 0);
	old_handler_calls = 0;

	loop = loop_create();
	assert_int_equal(loop_signal(loop, SIGUSR1, srec_cb, &s1), 0);
	assert_int_equal(loop_signal(loop, SIGUSR2, srec_cb, &s2), 0);
	assert_int_equal(loop_signal(loop, 0, srec_cb, &s1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(loop_signal(loop, SIGKILL, srec_cb, &s1), -1);

	/* The handler preserves errno. */
	errno = ERANGE;
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(s1.count, 0); /* only in the loop */
	run_until(loop, &s1.count, 1);
	assert_int_equal(s1.last, SIGUSR1);
	assert_ptr_equal(s1.arg, &s1);
	assert_int_equal(s2.count, 0);

	assert_int_equal(kill(getpid(), SIGUSR2), 0);
	run_until(loop, &s2.count, 1);
	assert_int_equal(s2.last, SIGUSR2);
	assert_ptr_equal(s2.arg, &s2);
	assert_int_equal(s1.count, 1);

	/* Several pending at once, each delivered. */
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(raise(SIGUSR2), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	run_until(loop, &s1.count, 3);
	run_until(loop, &s2.count, 2);
	assert_int_equal(old_handler_calls, 0);

	/* Only one loop can own the signal pipe. */
	other = loop_create();
	assert_int_equal(loop_signal(other, SIGUSR1, srec_cb, &so), -1);
	assert_int_equal(errno, EBUSY);
	loop_free(other);

	loop_free(loop);
	assert_int_equal(sigaction(SIGUSR1, NULL, &cur), 0);
	assert_ptr_equal(cur.sa_handler, old_handler);
	assert_int_equal(sigaction(SIGUSR2, NULL, &cur), 0);
	assert_ptr_equal(cur.sa_handler, SIG_DFL);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(old_handler_calls, 1);

	/* With the first loop gone, another may take signals. */
	other = loop_create();
	assert_int_equal(loop_signal(other, SIGUSR1, srec_cb, &so), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	run_until(other, &so.count, 1);
	assert_int_equal(so.last, SIGUSR1);
	loop_free(other);

	assert_int_equal(sigaction(SIGUSR1, &saved1, NULL), 0);
	assert_int_equal(sigaction(SIGUSR2, &saved2, NULL), 0);
}

/* A signal interrupting poll() (EINTR) is not an error. */
static void
test_signal_interrupts_poll(void **state)
{
	struct loop *loop;
	struct srec s = { 0 };
	struct itimerval it;
	uint64_t start;

	(void)state;
	loop = loop_create();
	assert_int_equal(loop_signal(loop, SIGALRM, srec_cb, &s), 0);
	memset(&it, 0, sizeof it);
	it.it_value.tv_usec = 50000;
	start = loop_now_ms();
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	run_until(loop, &s.count, 1);
	assert_int_equal(s.last, SIGALRM);
	assert_true(loop_now_ms() - start < DEADLINE_MS);
	loop_free(loop);
	signal(SIGALRM, SIG_DFL);
}

/* Stopping, the hook, errors. */

struct stopper {
	struct loop *loop;
	int left;
	int fired;
};

static void
stopper_timer_cb(void *arg)
{
	struct stopper *st = arg;

	st->fired++;
	if (--st->left == 0)
		loop_stop(st->loop);
	else
		loop_timer_add(st->loop, 1, stopper_timer_cb, st);
}

static void
stopper_fd_cb(int fd, int revents, void *arg)
{
	struct stopper *st = arg;

	(void)fd;
	(void)revents;
	st->fired++;
	loop_stop(st->loop);
}

static void
stopper_hook(void *arg)
{
	struct stopper *st = arg;

	st->fired++;
	loop_stop(st->loop);
}

static void
test_stop_ends_run(void **state)
{
	struct stopper st = { 0 };
	struct loop_watch *w;
	int p[2];

	(void)state;
	alarm(20); /* a broken loop_stop fails, not hangs */
	st.loop = loop_create();

	st.left = 5;
	loop_timer_add(st.loop, 1, stopper_timer_cb, &st);
	assert_int_equal(loop_run(st.loop), 0);
	assert_int_equal(st.fired, 5);

	/* From an fd callback, with no timers: poll(-1) must not be reentered.
	 */
	make_pipe(p);
	put_byte(p[1]);
	st.fired = 0;
	w = loop_watch_add(st.loop, p[0], POLLIN, stopper_fd_cb, &st);
	assert_int_equal(loop_run(st.loop), 0);
	assert_int_equal(st.fired, 1);
	loop_watch_del(w);

	/* From the hook: poll() must not block forever on nothing. */
	st.fired = 0;
	loop_set_before_sleep(st.loop, stopper_hook, &st);
	assert_int_equal(loop_run(st.loop), 0);
	assert_int_equal(st.fired, 1);

	alarm(0);
	close_pipe(p);
	loop_free(st.loop);
}

struct hook {
	int calls;
	int wfd;
	int rcalls;
};

static void
hook_cb(void *arg)
{
	struct hook *h = arg;

	if (h->calls++ == 0)
		put_byte(h->wfd);
}

static void
hook_read_cb(int fd, int revents, void *arg)
{
	struct hook *h = arg;
	char c;

	(void)revents;
	assert_int_equal(read(fd, &c, 1), 1);
	h->rcalls++;
}

static void
test_before_sleep_hook(void **state)
{
	struct loop *loop;
	struct loop_watch *w;
	struct hook h = { 0 };
	uint64_t start;
	int p[2], i;

	(void)state;
	loop = loop_create();
	make_pipe(p);
	h.wfd = p[1];
	w = loop_watch_add(loop, p[0], POLLIN, hook_read_cb, &h);
	loop_set_before_sleep(loop, hook_cb, &h);

	/* Before poll(): what the hook writes wakes this very poll(). */
	start = loop_now_ms();
	assert_int_equal(loop_once(loop, 3000), 0);
	assert_true(loop_now_ms() - start < 2000);
	assert_int_equal(h.calls, 1);
	assert_int_equal(h.rcalls, 1);

	for (i = 0; i < 5; i++)
		assert_int_equal(loop_once(loop, 0), 0);
	assert_int_equal(h.calls, 6);
	assert_int_equal(loop_wakeups(loop), 6);

	loop_set_before_sleep(loop, NULL, NULL);
	assert_int_equal(loop_once(loop, 0), 0);
	assert_int_equal(h.calls, 6);

	loop_watch_del(w);
	close_pipe(p);
	loop_free(loop);
}

static void
noop_fd_cb(int fd, int revents, void *arg)
{
	(void)fd;
	(void)revents;
	(void)arg;
}

/*
 * epoll_wait() failing ends loop_run. Its only real failure is a broken
 * epoll descriptor (a stray close() elsewhere): the loop's epoll fd is
 * the lowest free number when loop_create() runs, so close that.
 */
static void
test_run_poll_error(void **state)
{
	struct loop *loop;
	char path[64], link[64];
	ssize_t n;
	int epfd, rv, err;

	(void)state;
	assert_true((epfd = dup(0)) >= 0);
	close(epfd);
	loop = loop_create();
	snprintf(path, sizeof path, "/proc/self/fd/%d", epfd);
	n = readlink(path, link, sizeof link - 1);
	if (n <= 0) {
		loop_free(loop);
		skip();
	}
	link[n] = '\0';
	assert_string_equal(link, "anon_inode:[eventpoll]");
	loop_watch_add(loop, 0, 0, noop_fd_cb, NULL);
	close(epfd);
	alarm(20);
	errno = 0;
	rv = loop_run(loop);
	err = errno;
	alarm(0);
	loop_free(loop);
	assert_int_equal(rv, -1);
	assert_int_equal(err, EBADF);
}

/* Raise the soft descriptor limit to at least want, or skip. */
static void
need_fds(rlim_t want)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur >= want)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		skip();
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		skip();
}

#define NBIG 2000

static int big_calls, big_last;

static void
big_cb(int fd, int revents, void *arg)
{
	char c;

	(void)arg;
	assert_int_equal(revents, POLLIN);
	assert_int_equal(read(fd, &c, 1), 1);
	big_calls++;
	big_last = fd;
}

/*
 * Thousands of watchers, one of them ready: one callback, for it. Then
 * half of them deleted and the rest still delivered, each once.
 */
static void
test_watch_thousands(void **state)
{
	struct loop *loop;
	struct loop_watch **w;
	int(*p)[2], i, k;

	(void)state;
	need_fds(2 * NBIG + 64);
	loop = loop_create();
	w = calloc(NBIG, sizeof *w);
	p = calloc(NBIG, sizeof *p);
	assert_non_null(w);
	assert_non_null(p);
	for (i = 0; i < NBIG; i++) {
		make_pipe(p[i]);
		w[i] = loop_watch_add(loop, p[i][0], POLLIN, big_cb, NULL);
	}
	for (k = 0; k < 3; k++) {
		i = (k * 997 + 13) % NBIG;
		big_calls = 0;
		put_byte(p[i][1]);
		assert_int_equal(loop_once(loop, 1000), 0);
		assert_int_equal(big_calls, 1);
		assert_int_equal(big_last, p[i][0]);
	}
	for (i = 0; i < NBIG; i += 2) {
		loop_watch_del(w[i]);
		close_pipe(p[i]);
	}
	big_calls = 0;
	for (i = 1; i < NBIG; i += 2)
		put_byte(p[i][1]);
	run_until(loop, &big_calls, NBIG / 2);
	assert_int_equal(loop_once(loop, 0), 0);
	assert_int_equal(big_calls, NBIG / 2);
	for (i = 1; i < NBIG; i += 2) {
		loop_watch_del(w[i]);
		close_pipe(p[i]);
	}
	loop_free(loop);
	free(w);
	free(p);
}

/*
 * Removing a watcher whose descriptor is ready in the same wakeup, closing
 * that descriptor and watching a new one that reuses its number: the
 * pending event must reach neither the freed watcher (a use-after-free
 * the sanitizers and valgrind would see) nor the newcomer.
 */
struct reuse {
	struct loop *loop;
	struct loop_watch *w[2];
	int p[2][2];
	int calls[2];
	int q[2]; /* the newcomer's pipe */
	struct loop_watch *nw;
	int ncalls;
};

static void
reuse_new_cb(int fd, int revents, void *arg)
{
	struct reuse *r = arg;

	assert_int_equal(fd, r->q[0]);
	assert_true(revents & POLLIN);
	r->ncalls++;
}

static void
reuse_cb(int fd, int revents, void *arg)
{
	struct reuse *r = arg;
	int me = fd == r->p[0][0] ? 0 : 1, other = 1 - me, oldfd;

	assert_true(revents & POLLIN);
	r->calls[me]++;
	if (r->w[other] == NULL)
		return;
	loop_watch_del(r->w[other]);
	r->w[other] = NULL;
	oldfd = r->p[other][0];
	/* The new pipe's read end takes the number just closed. */
	make_pipe(r->q);
	close_pipe(r->p[other]);
	assert_int_equal(dup3(r->q[0], oldfd, O_CLOEXEC), oldfd);
	close(r->q[0]);
	r->q[0] = oldfd;
	r->nw = loop_watch_add(r->loop, r->q[0], POLLIN, reuse_new_cb, r);
	put_byte(r->q[1]);
}

static void
test_watch_del_ready_fd_reused(void **state)
{
	struct reuse r;
	int first;

	(void)state;
	memset(&r, 0, sizeof r);
	r.loop = loop_create();
	make_pipe(r.p[0]);
	make_pipe(r.p[1]);
	put_byte(r.p[0][1]);
	put_byte(r.p[1][1]);
	r.w[0] = loop_watch_add(r.loop, r.p[0][0], POLLIN, reuse_cb, &r);
	r.w[1] = loop_watch_add(r.loop, r.p[1][0], POLLIN, reuse_cb, &r);

	assert_int_equal(loop_once(r.loop, 1000), 0);
	assert_int_equal(r.calls[0] + r.calls[1], 1);
	first = r.calls[0] == 1 ? 0 : 1;
	assert_int_equal(r.ncalls, 0); /* not in the pass that removed */
	assert_int_equal(loop_once(r.loop, 1000), 0);
	assert_int_equal(r.ncalls, 1);
	assert_int_equal(r.calls[first], 2);
	assert_int_equal(r.calls[1 - first], 0);

	loop_watch_del(r.nw);
	loop_watch_del(r.w[first]);
	close_pipe(r.q);
	close_pipe(r.p[first]);
	loop_free(r.loop);
}

/*
 * Masks changed from callbacks: A, readable, turns POLLOUT on for B and
 * stops watching itself; B turns POLLOUT off again and on and off within
 * one callback, which must leave it off.
 */
struct flip_w {
	struct loop_watch *a, *b;
	int acalls, bcalls, brevents;
};

static void
flipw_a(int fd, int revents, void *arg)
{
	struct flip_w *f = arg;

	(void)fd;
	assert_int_equal(revents, POLLIN);
	f->acalls++;
	loop_watch_set(f->b, POLLOUT);
	loop_watch_set(f->a, 0);
}

static void
flipw_b(int fd, int revents, void *arg)
{
	struct flip_w *f = arg;

	(void)fd;
	f->bcalls++;
	f->brevents = revents;
	loop_watch_set(f->b, 0);
	loop_watch_set(f->b, POLLOUT);
	loop_watch_set(f->b, 0);
}

static void
test_watch_set_from_callbacks(void **state)
{
	struct loop *loop;
	struct flip_w f = { 0 };
	int p[2], q[2], i;

	(void)state;
	loop = loop_create();
	make_pipe(p);
	make_pipe(q);
	put_byte(p[1]);
	f.a = loop_watch_add(loop, p[0], POLLIN, flipw_a, &f);
	f.b = loop_watch_add(loop, q[1], 0, flipw_b, &f);

	assert_int_equal(loop_once(loop, 1000), 0);
	assert_int_equal(f.acalls, 1);
	assert_int_equal(f.bcalls, 0);
	assert_int_equal(loop_once(loop, 1000), 0);
	assert_int_equal(f.bcalls, 1);
	assert_int_equal(f.brevents, POLLOUT);
	/* p[0] is still readable and q[1] writable, but nobody asks. */
	for (i = 0; i < 3; i++)
		assert_int_equal(loop_once(loop, 0), 0);
	assert_int_equal(f.acalls, 1);
	assert_int_equal(f.bcalls, 1);

	/* On again from outside a callback. */
	loop_watch_set(f.a, POLLIN);
	assert_int_equal(loop_once(loop, 1000), 0);
	assert_int_equal(f.acalls, 2);

	loop_watch_del(f.a);
	loop_watch_del(f.b);
	close_pipe(p);
	close_pipe(q);
	loop_free(loop);
}

/*
 * Descriptors epoll cannot watch (a regular file, /dev/null) are always
 * ready, as poll() says; the loop does not sleep while they ask.
 */
static int file_calls, file_revents;

static void
file_cb(int fd, int revents, void *arg)
{
	(void)fd;
	(void)arg;
	file_calls++;
	file_revents = revents;
}

static void
test_watch_regular_file(void **state)
{
	struct loop *loop;
	struct loop_watch *w, *d;
	char path[] = "/tmp/test_loop.XXXXXX";
	uint64_t start;
	int fd, dn;

	(void)state;
	loop = loop_create();
	assert_true((fd = mkstemp(path)) >= 0);
	unlink(path);
	assert_true((dn = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
	file_calls = 0;
	w = loop_watch_add(loop, fd, POLLIN, file_cb, NULL);
	start = loop_now_ms();
	assert_int_equal(loop_once(loop, 5000), 0);
	assert_true(loop_now_ms() - start < 2500);
	assert_int_equal(file_calls, 1);
	assert_int_equal(file_revents, POLLIN);
	loop_watch_set(w, POLLIN | POLLOUT);
	assert_int_equal(loop_once(loop, 5000), 0);
	assert_int_equal(file_revents, POLLIN | POLLOUT);

	/* Asking for nothing, it lets the loop sleep. */
	loop_watch_set(w, 0);
	d = loop_watch_add(loop, dn, 0, file_cb, NULL);
	start = loop_now_ms();
	assert_int_equal(loop_once(loop, 30), 0);
	assert_true(loop_now_ms() - start >= 30);
	assert_int_equal(file_calls, 2);
	loop_watch_set(d, POLLIN);
	assert_int_equal(loop_once(loop, 5000), 0);
	assert_int_equal(file_calls, 3);

	loop_watch_del(d);
	close(dn);
	/* Deleted in the loop's keeping (loop_free). */
	loop_free(loop);
	close(fd);
}

/* One descriptor, two watchers: both hear of it, each on its own. */
static int twice_calls[2];

static void
twice_cb(int fd, int revents, void *arg)
{
	(void)fd;
	assert_true(revents & POLLIN);
	twice_calls[*(int *)arg]++;
}

static void
test_watch_same_fd_twice(void **state)
{
	struct loop *loop;
	struct loop_watch *w0, *w1;
	int p[2], id0 = 0, id1 = 1;

	(void)state;
	loop = loop_create();
	make_pipe(p);
	twice_calls[0] = twice_calls[1] = 0;
	w0 = loop_watch_add(loop, p[0], POLLIN, twice_cb, &id0);
	w1 = loop_watch_add(loop, p[0], POLLIN, twice_cb, &id1);
	put_byte(p[1]);
	assert_int_equal(loop_once(loop, 1000), 0);
	assert_int_equal(twice_calls[0], 1);
	assert_int_equal(twice_calls[1], 1);
	loop_watch_del(w0);
	assert_int_equal(loop_once(loop, 1000), 0);
	assert_int_equal(twice_calls[0], 1);
	assert_int_equal(twice_calls[1], 2);
	loop_watch_set(w1, 0);
	assert_int_equal(loop_once(loop, 0), 0);
	assert_int_equal(twice_calls[1], 2);
	loop_watch_del(w1);
	close_pipe(p);
	loop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_due_order),
		cmocka_unit_test(test_timer_equal_due_insertion_order),
		cmocka_unit_test(test_timer_heap_with_cancel),
		cmocka_unit_test(test_timer_del_other_same_iteration),
		cmocka_unit_test(test_timer_del_self_and_pending),
		cmocka_unit_test(test_timer_zero_from_callback_next_iteration),
		cmocka_unit_test(test_poll_timeout_capped),
		cmocka_unit_test(test_idle_wakeups),
		cmocka_unit_test(test_timer_coarse_shared_wakeups),
		cmocka_unit_test(test_watch_readable_and_hup),
		cmocka_unit_test(test_watch_del_other_same_iteration),
		cmocka_unit_test(test_watch_del_self),
		cmocka_unit_test(
		    test_watch_added_in_dispatch_gets_no_stale_revents),
		cmocka_unit_test(test_watch_add_during_dispatch),
		cmocka_unit_test(test_watch_set_pollout),
		cmocka_unit_test(test_watch_many),
		cmocka_unit_test(test_signal_delivery),
		cmocka_unit_test(test_signal_interrupts_poll),
		cmocka_unit_test(test_stop_ends_run),
		cmocka_unit_test(test_before_sleep_hook),
		cmocka_unit_test(test_run_poll_error),
		cmocka_unit_test(test_watch_thousands),
		cmocka_unit_test(test_watch_del_ready_fd_reused),
		cmocka_unit_test(test_watch_set_from_callbacks),
		cmocka_unit_test(test_watch_regular_file),
		cmocka_unit_test(test_watch_same_fd_twice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
