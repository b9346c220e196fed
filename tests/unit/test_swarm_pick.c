/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the swarm's piece and peer choice (src/swarm_pick.c):
 * random first, rarest first, the endgame and its cancels, the least
 * expected wait, the window of outstanding leaves per holder (sized by
 * its rate, with slow start, so a fast holder known late still gets
 * leaves), dropping a
 * holder that sent a bad leaf, refusals, and the uploader's slots.
 *
 * And a deterministic simulation (fixed seeds): 1 seeder and 4
 * downloaders that start together, a 64 MiB file (256 leaves), every
 * node uploading one leaf at a time at the same rate, HAVE batched once
 * a simulated second. The downloaders must finish, with leaves from
 * each other (the seeder alone sends less than the 4 copies), sooner
 * than the seeder could serve them alone, with endgame cancels, and the
 * same run twice gives the same result.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "swarm_pick.h"

#define LEAF 262144
static const char holders[8] = { 0 };
#define H(i) ((const void *)&holders[i])

/* Ask for everything that may be asked now: the number of requests. */
static size_t
drain(struct swarm_pick *sp, uint64_t now, const void **who, uint64_t *leaf,
    size_t max)
{
	size_t n = 0;
	const void *h;
	uint64_t l;

	while (n < max && swarm_pick_next(sp, now, &h, &l)) {
		who[n] = h;
		leaf[n++] = l;
	}
	return n;
}

static void
test_random_then_rarest(void **state)
{
	uint8_t have[2] = { 0xff, 0x00 }; /* leaves 0-7 of 12 held */
	const void *who[16];
	uint64_t leaf[16];
	struct swarm_pick *sp;
	size_t n;

	(void)state;
	/* A new download: 4 distinct leaves at random, not 0, 1, 2, 3. */
	sp = swarm_pick_create(100 * (uint64_t)LEAF, NULL, 42);
	swarm_pick_all(sp, H(0));
	swarm_pick_all(sp, H(1));
	n = drain(sp, 1, who, leaf, 4);
	assert_int_equal(n, 4);
	assert_true(leaf[0] != leaf[1] && leaf[0] != leaf[2] &&
	    leaf[0] != leaf[3] && leaf[1] != leaf[2] && leaf[1] != leaf[3] &&
	    leaf[2] != leaf[3]);
	assert_false(leaf[0] == 0 && leaf[1] == 1 && leaf[2] == 2);
	swarm_pick_free(sp);

	/* Resumed past the random start: missing 8-11; 11 is held by one
	 * holder, 10 by two, 8 and 9 by three. */
	sp = swarm_pick_create(12 * (uint64_t)LEAF, have, 7);
	swarm_pick_all(sp, H(0));
	swarm_pick_have(sp, H(1), 8);
	swarm_pick_have(sp, H(1), 9);
	swarm_pick_have(sp, H(1), 10);
	swarm_pick_have(sp, H(2), 8);
	swarm_pick_have(sp, H(2), 9);
	assert_int_equal(swarm_pick_held(sp), 8);
	assert_int_equal(swarm_pick_count(sp), 12);
	assert_int_equal(swarm_pick_sources(sp), 3);
	n = drain(sp, 1, who, leaf, 2);
	assert_int_equal(n, 2);
	assert_int_equal(leaf[0], 11);
	assert_ptr_equal(who[0], H(0));
	assert_int_equal(leaf[1], 10);
	/* The least expected wait: H(0) has a leaf outstanding already. */
	assert_ptr_equal(who[1], H(1));
	swarm_pick_free(sp);
}

static void
test_outstanding_cap(void **state)
{
	const void *who[64];
	uint64_t leaf[64], first;
	struct swarm_pick *sp;
	const void *cancel[2];

	(void)state;
	sp = swarm_pick_create(40 * (uint64_t)LEAF, NULL, 1);
	swarm_pick_all(sp, H(0));
	/* Unmeasured: what the 1 MiB/s guess sends in the window. */
	assert_int_equal(drain(sp, 1, who, leaf, 64), 4);
	/* One arrives in 9 ms (29 MB/s, enough for the cap): slow start,
	 * the window only doubles, to 8. */
	first = leaf[3];
	assert_int_equal(swarm_pick_got(sp, H(0), first, 10, cancel, 2), 0);
	assert_int_equal(swarm_pick_held(sp), 1);
	assert_int_equal(drain(sp, 20, who, leaf, 64), 8 - 3);
	/* Another: 16, the cap. */
	assert_int_equal(swarm_pick_got(sp, H(0), leaf[0], 25, cancel, 2), 0);
	assert_int_equal(
	    drain(sp, 30, who, leaf, 64), SWARM_PICK_OUTSTANDING - 7);
	/* One more arrives: one more may be asked. */
	assert_int_equal(swarm_pick_got(sp, H(0), leaf[0], 35, cancel, 2), 0);
	assert_int_equal(drain(sp, 40, who, leaf, 64), 1);
	/* Already held, or not asked of it: ignored. */
	assert_int_equal(swarm_pick_got(sp, H(0), first, 70, cancel, 2) +
	        swarm_pick_got(sp, H(1), leaf[0], 70, cancel, 2),
	    0);
	assert_int_equal(swarm_pick_held(sp), 3);
	swarm_pick_free(sp);
}

static void
test_rate(void **state)
{
	const void *who[64] = { 0 }, *cancel[2];
	uint64_t leaf[64] = { 0 };
	struct swarm_pick *sp;
	size_t n, i, fast = 0;

	(void)state;
	sp = swarm_pick_create(200 * (uint64_t)LEAF, NULL, 3);
	swarm_pick_all(sp, H(0));
	swarm_pick_all(sp, H(1));
	n = drain(sp, 1000, who, leaf, 2);
	assert_int_equal(n, 2);
	/* One leaf each: H(0) in 10 ms (26 MB/s), H(1) in 2 s. */
	for (i = 0; i < 2; i++)
		swarm_pick_got(sp, who[i], leaf[i],
		    who[i] == H(0) ? 1010 : 3000, cancel, 2);
	/* H(0) is 200 times faster: 8 of its leaves (80 ms; its window
	 * after one leaf, slow start) are still a shorter wait than one of
	 * H(1)'s (2 s), so it gets its 8 first; then, with its window
	 * full, H(1) gets the next. */
	n = drain(sp, 3000, who, leaf, 8 + 1);
	assert_int_equal(n, 8 + 1);
	for (i = 0; i < 8; i++)
		fast += who[i] == H(0);
	assert_int_equal(fast, 8);
	assert_ptr_equal(who[8], H(1));
	swarm_pick_free(sp);
}

static void
test_late_fast_holder(void **state)
{
	const void *who[16], *cancel[2];
	uint64_t leaf[16];
	struct swarm_pick *sp;
	size_t n, i, slow;

	(void)state;
	/* 16 leaves, two holders known first (swarm_bad.sh: the MAPs
	 * arrive in any order). Each is asked for what it sends in a
	 * second, not for the whole file, so a third that answers a moment
	 * later still has leaves to send. */
	sp = swarm_pick_create(16 * (uint64_t)LEAF, NULL, 11);
	swarm_pick_all(sp, H(0));
	swarm_pick_all(sp, H(1));
	assert_int_equal(drain(sp, 1, who, leaf, 16), 8);
	swarm_pick_all(sp, H(2));
	assert_int_equal(drain(sp, 2, who, leaf, 16), 4);
	for (i = 0; i < 4; i++)
		assert_ptr_equal(who[i], H(2));
	/* H(2) delivers one in 5 ms: its window doubles to 8, for the 4
	 * leaves nobody was asked for and, the endgame, a second copy of
	 * one of the slow ones' leaves. */
	assert_int_equal(swarm_pick_got(sp, H(2), leaf[0], 7, cancel, 2), 0);
	n = drain(sp, 8, who, leaf, 16);
	assert_int_equal(n, 5);
	for (i = 0, slow = 0; i < n; i++)
		slow += who[i] != H(2);
	assert_int_equal(slow, 0);
	swarm_pick_free(sp);
}

static void
test_endgame(void **state)
{
	const void *who[8], *cancel[2];
	uint64_t leaf[8];
	struct swarm_pick *sp;
	size_t n;

	(void)state;
	sp = swarm_pick_create(3 * (uint64_t)LEAF, NULL, 5);
	swarm_pick_all(sp, H(0));
	n = drain(sp, 1, who, leaf, 8);
	assert_int_equal(n, 3); /* every leaf asked of H(0) */
	/* A second holder: the endgame asks it for the same leaves, the
	 * longest outstanding first, each at most twice. */
	swarm_pick_all(sp, H(1));
	n = drain(sp, 2, who, leaf, 8);
	assert_int_equal(n, 3);
	assert_ptr_equal(who[0], H(1));
	/* H(1)'s copy comes first: H(0) is to be cancelled. */
	assert_int_equal(swarm_pick_got(sp, H(1), leaf[0], 10, cancel, 2), 1);
	assert_ptr_equal(cancel[0], H(0));
	/* ... and H(0)'s late copy is no news. */
	assert_int_equal(swarm_pick_got(sp, H(0), leaf[0], 11, cancel, 2), 0);
	assert_int_equal(swarm_pick_held(sp), 1);
	assert_int_equal(drain(sp, 12, who, leaf, 8), 0);
	swarm_pick_free(sp);
}

static void
test_bad_and_refused(void **state)
{
	const void *who[40], *cancel[2];
	uint64_t leaf[40], l;
	struct swarm_pick *sp;
	size_t n, i;

	(void)state;
	sp = swarm_pick_create(40 * (uint64_t)LEAF, NULL, 9);
	swarm_pick_all(sp, H(0));
	swarm_pick_all(sp, H(1));
	n = drain(sp, 1, who, leaf, 40);
	assert_int_equal(n, 2 * 4); /* unmeasured: 4 each */
	/* H(1) sends a bad leaf: dropped, its leaves go to H(0) later. */
	for (i = 0; who[i] != H(1); i++)
		;
	assert_int_equal(swarm_pick_bad(sp, H(1), leaf[i]), 1);
	assert_int_equal(swarm_pick_bad(sp, H(1), leaf[i]), 0);
	assert_true(swarm_pick_dropped(sp, H(1)));
	assert_false(swarm_pick_dropped(sp, H(0)));
	assert_int_equal(swarm_pick_sources(sp), 1);
	assert_int_equal(swarm_pick_got(sp, H(1), leaf[i], 2, cancel, 2), 0);
	assert_int_equal(drain(sp, 3, who, leaf, 40), 0); /* H(0) is full */
	for (l = 0; l < 40; l++)
		swarm_pick_have(sp, H(1), l); /* no use: dropped */
	assert_int_equal(drain(sp, 3, who, leaf, 40), 0);

	/* H(0) is busy: it rests SWARM_PICK_BUSY_MS; H(2) has leaf 0 only,
	 * says it lacks it after all: not asked again. */
	swarm_pick_gone(sp, H(0));
	swarm_pick_all(sp, H(0));
	swarm_pick_refused(sp, H(0), 0, 1, 100);
	assert_int_equal(drain(sp, 200, who, leaf, 40), 0);
	swarm_pick_have(sp, H(2), 0);
	assert_int_equal(drain(sp, 200, who, leaf, 40), 1);
	assert_ptr_equal(who[0], H(2));
	swarm_pick_refused(sp, H(2), leaf[0], 0, 300);
	assert_int_equal(drain(sp, 300, who, leaf, 40), 0);
	n = drain(sp, 100 + SWARM_PICK_BUSY_MS, who, leaf, 40);
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++)
		assert_ptr_equal(who[i], H(0));
	swarm_pick_free(sp);
}

static void
test_slots(void **state)
{
	struct swarm_slots s;
	size_t i;

	(void)state;
	memset(&s, 0, sizeof s);
	for (i = 0; i < SWARM_UPLOAD_SLOTS; i++)
		assert_true(swarm_slots_admit(&s, H(i), 1000 + i));
	assert_false(swarm_slots_admit(&s, &s, 2000));
	assert_true(swarm_slots_admit(&s, H(3), 2000)); /* already in */
	swarm_slots_release(&s, H(3));
	assert_true(swarm_slots_admit(&s, &s, 2001));
	assert_false(swarm_slots_admit(&s, H(3), 2002));
	/* A slot idle for SWARM_UPLOAD_IDLE_MS is free again. */
	assert_true(swarm_slots_admit(&s, H(3), 1000 + SWARM_UPLOAD_IDLE_MS));
}

/* --- the simulation ------------------------------------------------------- */

#define SIM_NODES 5 /* 0 seeds, 1-4 download */
#define SIM_LEAVES 256 /* 64 MiB */
#define SIM_UP (64 * 1024) /* bytes each node uploads per tick (10 ms) */
#define SIM_TICKS 20000
#define SIM_HAVE_TICKS 100 /* HAVE batched once a second */

struct sim_job {
	int to;
	uint64_t leaf;
	size_t left;
};

struct sim_result {
	int done_tick[SIM_NODES];
	uint64_t from[SIM_NODES][SIM_NODES]; /* leaves d got from u */
	uint64_t sent[SIM_NODES]; /* bytes each node uploaded */
	size_t cancels, late;
};

struct sim {
	struct swarm_pick *sp[SIM_NODES];
	struct swarm_slots slots[SIM_NODES];
	struct sim_job queue[SIM_NODES][SIM_NODES * SWARM_PICK_OUTSTANDING * 2];
	size_t nq[SIM_NODES];
	uint64_t pending[SIM_NODES][SIM_LEAVES]; /* HAVEs not sent yet */
	size_t npending[SIM_NODES];
};

static int
sim_node(const void *h)
{
	return (int)((const char *)h - holders);
}

/* Drop d's request of leaf from u's queue, unless it is being sent. */
static void
sim_cancel(struct sim *s, int u, int d, uint64_t leaf)
{
	size_t i;

	for (i = 0; i < s->nq[u]; i++) {
		if (s->queue[u][i].to == d && s->queue[u][i].leaf == leaf &&
		    (i > 0 || s->queue[u][i].left == LEAF)) {
			memmove(&s->queue[u][i], &s->queue[u][i + 1],
			    (s->nq[u] - i - 1) * sizeof s->queue[u][0]);
			s->nq[u]--;
			return;
		}
	}
}

static void
sim_run(uint64_t seed, struct sim_result *r)
{
	struct sim *s = calloc(1, sizeof *s);
	const void *h, *cancel[SIM_NODES];
	uint64_t leaf, now, held;
	size_t budget, n, i, c;
	int t, d, u, e, left = SIM_NODES - 1;
	struct sim_job *j;

	assert_non_null(s);
	memset(r, 0, sizeof *r);
	for (d = 1; d < SIM_NODES; d++) {
		s->sp[d] = swarm_pick_create(
		    SIM_LEAVES * (uint64_t)LEAF, NULL, seed + d);
		swarm_pick_all(s->sp[d], H(0));
	}
	for (t = 1; t < SIM_TICKS && left > 0; t++) {
		now = (uint64_t)t * 10;
		/* Downloaders ask; uploaders queue what they admit. */
		for (d = 1; d < SIM_NODES; d++) {
			while (r->done_tick[d] == 0 &&
			    swarm_pick_next(s->sp[d], now, &h, &leaf)) {
				u = sim_node(h);
				if (!swarm_slots_admit(
				        &s->slots[u], H(d), now)) {
					swarm_pick_refused(
					    s->sp[d], h, leaf, 1, now);
					continue;
				}
				j = &s->queue[u][s->nq[u]++];
				j->to = d;
				j->leaf = leaf;
				j->left = LEAF;
			}
		}
		/* Each uploader sends SIM_UP bytes, a leaf at a time. */
		for (u = 0; u < SIM_NODES; u++) {
			for (budget = SIM_UP; budget > 0 && s->nq[u] > 0;) {
				j = &s->queue[u][0];
				n = j->left < budget ? j->left : budget;
				j->left -= n;
				budget -= n;
				r->sent[u] += n;
				if (j->left > 0)
					break;
				d = j->to;
				leaf = j->leaf;
				memmove(&s->queue[u][0], &s->queue[u][1],
				    (s->nq[u] - 1) * sizeof s->queue[u][0]);
				s->nq[u]--;
				held = swarm_pick_held(s->sp[d]);
				c = swarm_pick_got(s->sp[d], H(u), leaf, now,
				    cancel, SIM_NODES);
				if (swarm_pick_held(s->sp[d]) == held) {
					r->late++; /* a copy already held */
					continue;
				}
				r->from[d][u]++;
				s->pending[d][s->npending[d]++] = leaf;
				for (i = 0; i < c; i++) {
					sim_cancel(
					    s, sim_node(cancel[i]), d, leaf);
					r->cancels++;
				}
				if (swarm_pick_held(s->sp[d]) == SIM_LEAVES &&
				    r->done_tick[d] == 0) {
					r->done_tick[d] = t;
					left--;
				}
			}
		}
		if (t % SIM_HAVE_TICKS != 0)
			continue;
		/* HAVE, batched: each downloader tells the others. */
		for (d = 1; d < SIM_NODES; d++) {
			for (i = 0; i < s->npending[d]; i++) {
				for (e = 1; e < SIM_NODES; e++) {
					if (e != d && r->done_tick[e] == 0)
						swarm_pick_have(s->sp[e], H(d),
						    s->pending[d][i]);
				}
			}
			s->npending[d] = 0;
		}
	}
	for (d = 1; d < SIM_NODES; d++)
		swarm_pick_free(s->sp[d]);
	free(s);
}

static void
test_simulation(void **state)
{
	struct sim_result r, again;
	uint64_t peers = 0, seeder = 0;
	int d, u, last = 0;

	(void)state;
	sim_run(2026, &r);
	for (d = 1; d < SIM_NODES; d++) {
		assert_int_not_equal(r.done_tick[d], 0);
		if (r.done_tick[d] > last)
			last = r.done_tick[d];
		seeder += r.from[d][0];
		for (u = 1; u < SIM_NODES; u++)
			peers += r.from[d][u];
	}
	print_message("swarm: all 4 done by %d.%02d s (the seeder alone: "
	              "%d s); %llu leaves from the seeder, %llu from other "
	              "downloaders; %zu endgame cancels, %zu late copies\n",
	    last / 100, last % 100, 4 * SIM_LEAVES * LEAF / SIM_UP / 100,
	    (unsigned long long)seeder, (unsigned long long)peers, r.cancels,
	    r.late);
	/* Each downloader got every leaf once, some from each other. */
	assert_int_equal(seeder + peers, 4 * SIM_LEAVES);
	assert_true(peers >= SIM_LEAVES);
	assert_true(r.sent[0] < 4 * (uint64_t)SIM_LEAVES * LEAF);
	/* Faster than the seeder alone: 4 copies at its rate. */
	assert_true(last < 4 * SIM_LEAVES * LEAF / SIM_UP * 6 / 10);
	assert_true(r.cancels > 0);
	/* The same seeds, the same run. */
	sim_run(2026, &again);
	assert_memory_equal(&r, &again, sizeof r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_then_rarest),
		cmocka_unit_test(test_outstanding_cap),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_late_fast_holder),
		cmocka_unit_test(test_endgame),
		cmocka_unit_test(test_bad_and_refused),
		cmocka_unit_test(test_slots),
		cmocka_unit_test(test_simulation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
