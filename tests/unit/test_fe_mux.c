/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the fan-out of engine reports (src/fe_mux.c): every
 * report reaches every attached frontend, in the order attached, with
 * its own argument; an op a frontend leaves NULL is skipped for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fe_mux.h"

/* What each frontend saw, one letter per report, and whose arg. */
struct rec {
	char seen[32];
	size_t n;
};
static char order[64];
static size_t norder;

static void
note(void *arg, char c)
{
	struct rec *r = arg;

	r->seen[r->n++] = c;
	order[norder++] = c;
}

static void
r_ready(void *arg, const char *addr)
{
	assert_string_equal(addr, "127.0.0.1:1");
	note(arg, 'r');
}

static void
r_changed(void *arg, struct peer *p)
{
	(void)p;
	note(arg, 'c');
}

static void
r_removed(void *arg, struct peer *p)
{
	(void)p;
	note(arg, 'x');
}

static void
r_message(void *arg, struct peer *p, int outgoing, const uint8_t id[16],
    int64_t time_ms, const char *text, size_t len)
{
	(void)p;
	(void)id;
	assert_int_equal(outgoing, 1);
	assert_int_equal(time_ms, 42);
	assert_memory_equal(text, "hi", len);
	note(arg, 'm');
}

static void
r_delivered(void *arg, struct peer *p, const uint8_t id[16])
{
	(void)p;
	(void)id;
	note(arg, 'd');
}

static void
r_notice(void *arg, struct peer *p, enum fe_level level, const char *text)
{
	(void)p;
	assert_int_equal(level, FE_WARN);
	assert_string_equal(text, "careful");
	note(arg, 'n');
}

static void
r_flip(void *arg, struct peer *p, const struct flip *fl)
{
	(void)p;
	(void)fl;
	note(arg, 'f');
}

static void
r_xfer(void *arg, struct peer *p, const struct xfer *x, int changed)
{
	(void)p;
	(void)x;
	assert_int_equal(changed, 1);
	note(arg, 't');
}

static const struct fe_ops full = {
	.ready = r_ready,
	.peer_changed = r_changed,
	.peer_removed = r_removed,
	.message = r_message,
	.delivered = r_delivered,
	.notice = r_notice,
	.flip = r_flip,
	.xfer = r_xfer,
};
/* A frontend that only cares about messages. */
static const struct fe_ops sparse = {
	.message = r_message,
};

static void
test_fan_out(void **state)
{
	struct fe_mux *m = fe_mux_create();
	struct rec a, b, c;
	uint8_t id[16] = { 0 };

	(void)state;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	memset(&c, 0, sizeof c);
	norder = 0;
	fe_mux_add(m, &full, &a);
	fe_mux_add(m, &sparse, &b);
	fe_mux_add(m, &full, &c);
	fe_mux_ops.ready(m, "127.0.0.1:1");
	fe_mux_ops.peer_changed(m, NULL);
	fe_mux_ops.message(m, NULL, 1, id, 42, "hi", 2);
	fe_mux_ops.delivered(m, NULL, id);
	fe_mux_ops.notice(m, NULL, FE_WARN, "careful");
	fe_mux_ops.flip(m, NULL, NULL);
	fe_mux_ops.xfer(m, NULL, NULL, 1);
	fe_mux_ops.peer_removed(m, NULL);
	a.seen[a.n] = b.seen[b.n] = c.seen[c.n] = order[norder] = '\0';
	assert_string_equal(a.seen, "rcmdnftx");
	assert_string_equal(b.seen, "m");
	assert_string_equal(c.seen, "rcmdnftx");
	/* Each report reaches every frontend before the next report. */
	assert_string_equal(order, "rrccmmmddnnffttxx");
	fe_mux_free(m);
	fe_mux_free(NULL);
}

static void
test_level_names(void **state)
{
	(void)state;
	assert_string_equal(fe_level_name(FE_INFO), "info");
	assert_string_equal(fe_level_name(FE_WARN), "warn");
	assert_string_equal(fe_level_name(FE_ERROR), "error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fan_out),
		cmocka_unit_test(test_level_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
