/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for rdv_limits.c: a record outlives its users with its
 * buckets, comes back to the next user, is counted per user, and the
 * unused ones are bounded (the oldest is forgotten first).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rdv_limits.h"

static const uint8_t id_a[32] = { 0xa }, id_b[32] = { 0xb }, id_c[32] = { 0xc };

/* A record no longer used keeps what was taken from its buckets. */
static void
test_kept_after_use(void **state)
{
	struct rdv_lims ls;
	struct rdv_lim *l;

	(void)state;
	rdv_lims_init(&ls, 8);
	l = rdv_lim_get(&ls, id_a, sizeof id_a);
	assert_int_equal(l->users, 1);
	l->reg.primed = 1;
	l->reg.tokens = 0.5;
	rdv_lim_put(&ls, l);
	assert_int_equal(ls.nidle, 1);
	assert_ptr_equal(rdv_lim_find(&ls, id_a, sizeof id_a), l);
	l = rdv_lim_get(&ls, id_a, sizeof id_a);
	assert_int_equal(l->users, 1);
	assert_int_equal(ls.nidle, 0);
	assert_true(l->reg.primed && l->reg.tokens == 0.5);
	rdv_lims_free(&ls);
}

/* Two users: unused (kept, idle) only after both have gone. */
static void
test_users_counted(void **state)
{
	struct rdv_lims ls;
	struct rdv_lim *l, *m;

	(void)state;
	rdv_lims_init(&ls, 8);
	l = rdv_lim_get(&ls, id_a, sizeof id_a);
	m = rdv_lim_get(&ls, id_a, sizeof id_a);
	assert_ptr_equal(l, m);
	assert_int_equal(l->users, 2);
	rdv_lim_put(&ls, l);
	assert_int_equal(ls.nidle, 0);
	rdv_lim_put(&ls, m);
	assert_int_equal(ls.nidle, 1);
	rdv_lim_put(&ls, NULL); /* a connection that had none */
	rdv_lims_free(&ls);
}

/* Past max_idle unused records, the one unused longest is forgotten; a
 * record in use never is. Shorter ids (address prefixes) are padded. */
static void
test_idle_bounded(void **state)
{
	struct rdv_lims ls;
	struct rdv_lim *a, *b, *c;

	(void)state;
	rdv_lims_init(&ls, 2);
	a = rdv_lim_get(&ls, id_a, sizeof id_a);
	b = rdv_lim_get(&ls, id_b, 17);
	c = rdv_lim_get(&ls, id_c, sizeof id_c);
	rdv_lim_put(&ls, a);
	rdv_lim_put(&ls, b);
	assert_int_equal(ls.nidle, 2);
	rdv_lim_put(&ls, c);
	assert_int_equal(ls.nidle, 2);
	assert_null(rdv_lim_find(&ls, id_a, sizeof id_a));
	assert_ptr_equal(rdv_lim_find(&ls, id_b, 17), b);
	assert_ptr_equal(rdv_lim_find(&ls, id_c, sizeof id_c), c);
	rdv_lims_free(&ls);
	assert_null(rdv_lim_find(&ls, id_b, 17));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kept_after_use),
		cmocka_unit_test(test_users_counted),
		cmocka_unit_test(test_idle_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
