/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for src/cpace.c: whole runs between two contexts, wrong
 * passwords, invalid and identity points, tampered tags and associated
 * data, other sid and CI, calls out of turn, the draft's string helper
 * vectors (appendix A), and the room's PRS and CI.
 *
 * The draft's own vectors are checked by tests/cpace_vectors; here the
 * interest is in what must fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpace.h"

#define PW1 "correct horse"
#define PW2 "correct horsf"

/* Encodings that are not ristretto255 points, and the identity. */
static const uint8_t bad_points[][CPACE_POINTLEN] = {
	{ 0 }, /* the identity: decodes, but must be refused */
	{ 1 }, /* negative field element */
	/* p = 2^255 - 19: non-canonical (a second encoding of 0) */
	{ 0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	/* top bit set */
	{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0x80 },
	/* the draft's Y_i1: not a point */
	{ 0x2b, 0x3c, 0x6b, 0x8c, 0x4f, 0x38, 0x00, 0xe7, 0xae, 0xf6, 0x86,
	    0x40, 0x25, 0xb4, 0xed, 0x79, 0xbd, 0x59, 0x91, 0x17, 0xe4, 0x27,
	    0xc4, 0x1b, 0xd4, 0x7d, 0x93, 0xd6, 0x54, 0xb4, 0xa5, 0x1c },
};

/* What one side starts from. */
struct side {
	const char *prs;
	const char *ci;
	const char *sid;
	const char *ad;
};

static const struct side base = { PW1, "ci", "sid-0123456789", "ad" };

/* Tampering hooks between the messages of a run. */
struct run {
	const uint8_t *ya, *yb; /* replace a message */
	const char *ada_seen; /* B sees this ADa instead */
	int flip_tb, flip_ta; /* flip a bit of a tag in transit */
	const uint8_t *scalar_a, *scalar_b; /* fixed scalars */
	uint8_t isk_a[CPACE_ISKLEN], isk_b[CPACE_ISKLEN];
};

enum run_result {
	RUN_OK,
	RUN_RESPOND_FAILED,
	RUN_FINISH_FAILED,
	RUN_CONFIRM_FAILED,
};

static struct cpace *
make(enum cpace_role role, const struct side *s)
{
	struct cpace *c;
	char *cause = NULL;

	c = cpace_create(role, (const uint8_t *)s->prs, strlen(s->prs),
	    (const uint8_t *)s->ci, strlen(s->ci), (const uint8_t *)s->sid,
	    strlen(s->sid), (const uint8_t *)s->ad, strlen(s->ad), &cause);
	assert_non_null(c);
	assert_null(cause);
	return c;
}

/* A whole run; the ISKs are copied into r only if it succeeds. */
static enum run_result
run(const struct side *a_side, const struct side *b_side, struct run *r)
{
	struct cpace *a, *b;
	uint8_t ya[CPACE_POINTLEN], yb[CPACE_POINTLEN];
	uint8_t ta[CPACE_TAGLEN], tb[CPACE_TAGLEN], isk[CPACE_ISKLEN];
	const char *ada;
	char *cause = NULL;
	enum run_result rc = RUN_OK;

	a = make(CPACE_INITIATOR, a_side);
	b = make(CPACE_RESPONDER, b_side);
	if (r->scalar_a != NULL)
		assert_int_equal(cpace_set_scalar(a, r->scalar_a), 0);
	if (r->scalar_b != NULL)
		assert_int_equal(cpace_set_scalar(b, r->scalar_b), 0);
	assert_int_equal(cpace_msg(a, ya), 0);
	assert_int_equal(cpace_msg(b, yb), 0);
	assert_int_not_equal(cpace_isk(a, isk), 0);
	assert_int_not_equal(cpace_isk(b, isk), 0);

	ada = r->ada_seen != NULL ? r->ada_seen : a_side->ad;
	if (cpace_respond(b, r->ya != NULL ? r->ya : ya, (const uint8_t *)ada,
	        strlen(ada), tb, &cause) != 0) {
		assert_non_null(cause);
		rc = RUN_RESPOND_FAILED;
		goto out;
	}
	assert_int_not_equal(cpace_isk(b, isk), 0); /* not before Ta */
	if (r->flip_tb)
		tb[CPACE_TAGLEN - 1] ^= 1;
	if (cpace_finish(a, r->yb != NULL ? r->yb : yb,
	        (const uint8_t *)b_side->ad, strlen(b_side->ad), tb, ta,
	        &cause) != 0) {
		assert_non_null(cause);
		assert_int_not_equal(cpace_isk(a, isk), 0);
		rc = RUN_FINISH_FAILED;
		goto out;
	}
	if (r->flip_ta)
		ta[0] ^= 0x80;
	if (cpace_confirm(b, ta, &cause) != 0) {
		assert_non_null(cause);
		assert_int_not_equal(cpace_isk(b, isk), 0);
		rc = RUN_CONFIRM_FAILED;
		goto out;
	}
	assert_int_equal(cpace_isk(a, r->isk_a), 0);
	assert_int_equal(cpace_isk(b, r->isk_b), 0);
out:
	free(cause);
	cpace_free(a);
	cpace_free(b);
	return rc;
}

static void
test_run(void **state)
{
	struct run r1, r2;

	(void)state;
	memset(&r1, 0, sizeof r1);
	assert_int_equal(run(&base, &base, &r1), RUN_OK);
	assert_memory_equal(r1.isk_a, r1.isk_b, CPACE_ISKLEN);

	/* Fresh scalars: another run, another key. */
	memset(&r2, 0, sizeof r2);
	assert_int_equal(run(&base, &base, &r2), RUN_OK);
	assert_memory_equal(r2.isk_a, r2.isk_b, CPACE_ISKLEN);
	assert_memory_not_equal(r1.isk_a, r2.isk_a, CPACE_ISKLEN);

	/* Empty CI, sid and AD are allowed by the draft. */
	{
		struct side empty = { PW1, "", "", "" };

		memset(&r1, 0, sizeof r1);
		assert_int_equal(run(&empty, &empty, &r1), RUN_OK);
		assert_memory_equal(r1.isk_a, r1.isk_b, CPACE_ISKLEN);
	}
}

static void
test_wrong_password(void **state)
{
	struct side wrong = base;
	struct run r;
	uint8_t g1[CPACE_POINTLEN], g2[CPACE_POINTLEN];

	(void)state;
	wrong.prs = PW2;
	/* The joiner has it wrong: it sees B's tag fail. */
	memset(&r, 0, sizeof r);
	assert_int_equal(run(&wrong, &base, &r), RUN_FINISH_FAILED);
	/* The member has it wrong (or lies): the same. */
	memset(&r, 0, sizeof r);
	assert_int_equal(run(&base, &wrong, &r), RUN_FINISH_FAILED);

	/* The generators differ, so every key after them does. */
	assert_int_equal(cpace_calculate_generator((const uint8_t *)PW1,
	                     strlen(PW1), NULL, 0, NULL, 0, g1, NULL),
	    0);
	assert_int_equal(cpace_calculate_generator((const uint8_t *)PW2,
	                     strlen(PW2), NULL, 0, NULL, 0, g2, NULL),
	    0);
	assert_memory_not_equal(g1, g2, CPACE_POINTLEN);
}

/* A joiner without the password cannot get past B by guessing Ta. */
static void
test_forged_confirm(void **state)
{
	struct cpace *a, *b;
	struct side wrong = base;
	uint8_t ya[CPACE_POINTLEN], tb[CPACE_TAGLEN], ta[CPACE_TAGLEN];
	uint8_t isk[CPACE_ISKLEN];
	char *cause = NULL;

	(void)state;
	wrong.prs = PW2;
	a = make(CPACE_INITIATOR, &wrong);
	b = make(CPACE_RESPONDER, &base);
	assert_int_equal(cpace_msg(a, ya), 0);
	assert_int_equal(
	    cpace_respond(b, ya, (const uint8_t *)"ad", 2, tb, &cause), 0);
	/* The best the attacker has: a tag under its own wrong keys. */
	memcpy(ta, tb, sizeof ta);
	assert_int_equal(cpace_confirm(b, ta, &cause), -1);
	assert_non_null(cause);
	free(cause);
	assert_int_equal(cpace_isk(b, isk), -1);
	/* FAILED is final. */
	assert_int_equal(cpace_confirm(b, ta, NULL), -1);
	cpace_free(a);
	cpace_free(b);
}

static void
test_bad_points(void **state)
{
	struct run r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad_points / sizeof bad_points[0]; i++) {
		memset(&r, 0, sizeof r);
		r.ya = bad_points[i];
		assert_int_equal(run(&base, &base, &r), RUN_RESPOND_FAILED);
		memset(&r, 0, sizeof r);
		r.yb = bad_points[i];
		assert_int_equal(run(&base, &base, &r), RUN_FINISH_FAILED);
	}
}

static void
test_scalar_mult_vfy(void **state)
{
	static const uint8_t zero[CPACE_POINTLEN];
	uint8_t y[CPACE_SCALARLEN], g[CPACE_POINTLEN], out[CPACE_POINTLEN];
	size_t i;

	(void)state;
	memset(y, 0, sizeof y);
	y[0] = 7;
	assert_int_equal(cpace_calculate_generator((const uint8_t *)PW1,
	                     strlen(PW1), NULL, 0, NULL, 0, g, NULL),
	    0);
	assert_int_equal(cpace_scalar_mult_vfy(out, y, g), 0);
	for (i = 0; i < sizeof bad_points / sizeof bad_points[0]; i++) {
		memset(out, 0x55, sizeof out);
		assert_int_equal(
		    cpace_scalar_mult_vfy(out, y, bad_points[i]), -1);
		assert_memory_equal(out, zero, sizeof out);
	}
	/* A zero scalar makes the identity from a good point. */
	memset(y, 0, sizeof y);
	assert_int_equal(cpace_scalar_mult_vfy(out, y, g), -1);
	/* So does the group order L. */
	{
		static const uint8_t order[CPACE_SCALARLEN] = { 0xed, 0xd3,
			0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
			0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			0, 0, 0, 0, 0, 0, 0x10 };

		assert_int_equal(cpace_scalar_mult_vfy(out, order, g), -1);
	}
}

/* A peer that sends our own message back (a reflection) is refused. */
static void
test_reflection(void **state)
{
	struct cpace *b;
	uint8_t yb[CPACE_POINTLEN], tb[CPACE_TAGLEN];
	char *cause = NULL;

	(void)state;
	b = make(CPACE_RESPONDER, &base);
	assert_int_equal(cpace_msg(b, yb), 0);
	assert_int_equal(
	    cpace_respond(b, yb, (const uint8_t *)"ad", 2, tb, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cpace_free(b);
}

static void
test_tampering(void **state)
{
	struct run r;

	(void)state;
	memset(&r, 0, sizeof r);
	r.flip_tb = 1;
	assert_int_equal(run(&base, &base, &r), RUN_FINISH_FAILED);
	memset(&r, 0, sizeof r);
	r.flip_ta = 1;
	assert_int_equal(run(&base, &base, &r), RUN_CONFIRM_FAILED);
	/* ADa changed on the way: the transcripts differ. */
	memset(&r, 0, sizeof r);
	r.ada_seen = "ae";
	assert_int_equal(run(&base, &base, &r), RUN_FINISH_FAILED);
}

static void
test_sid_ci(void **state)
{
	static const uint8_t ya[CPACE_SCALARLEN] = { 3 },
	                     yb[CPACE_SCALARLEN] = { 5 };
	struct side other_sid = base, other_ci = base;
	struct run r0, r;

	(void)state;
	other_sid.sid = "sid-0123456788";
	other_ci.ci = "cj";

	/* The sides disagree: no key. */
	memset(&r, 0, sizeof r);
	assert_int_equal(run(&base, &other_sid, &r), RUN_FINISH_FAILED);
	memset(&r, 0, sizeof r);
	assert_int_equal(run(&other_ci, &base, &r), RUN_FINISH_FAILED);

	/* Same scalars, other sid or CI on both sides: another key. */
	memset(&r0, 0, sizeof r0);
	r0.scalar_a = ya;
	r0.scalar_b = yb;
	assert_int_equal(run(&base, &base, &r0), RUN_OK);
	memset(&r, 0, sizeof r);
	r.scalar_a = ya;
	r.scalar_b = yb;
	assert_int_equal(run(&base, &base, &r), RUN_OK);
	assert_memory_equal(r0.isk_a, r.isk_a, CPACE_ISKLEN); /* same inputs */
	assert_int_equal(run(&other_sid, &other_sid, &r), RUN_OK);
	assert_memory_equal(r.isk_a, r.isk_b, CPACE_ISKLEN);
	assert_memory_not_equal(r0.isk_a, r.isk_a, CPACE_ISKLEN);
	assert_int_equal(run(&other_ci, &other_ci, &r), RUN_OK);
	assert_memory_equal(r.isk_a, r.isk_b, CPACE_ISKLEN);
	assert_memory_not_equal(r0.isk_a, r.isk_a, CPACE_ISKLEN);
}

static void
test_out_of_turn(void **state)
{
	struct cpace *a, *b;
	uint8_t y[CPACE_POINTLEN], t[CPACE_TAGLEN], t2[CPACE_TAGLEN];
	uint8_t scalar[CPACE_SCALARLEN] = { 9 };
	char *cause = NULL;

	(void)state;
	memset(t, 0, sizeof t);
	/* The initiator cannot respond, the responder cannot finish. */
	a = make(CPACE_INITIATOR, &base);
	b = make(CPACE_RESPONDER, &base);
	assert_int_equal(cpace_msg(b, y), 0);
	assert_int_equal(cpace_respond(a, y, NULL, 0, t, &cause), -1);
	free(cause);
	assert_int_equal(cpace_msg(a, y), -1); /* FAILED */
	assert_int_equal(cpace_set_scalar(a, scalar), -1);
	assert_int_equal(cpace_finish(b, y, NULL, 0, t, t2, NULL), -1);
	cpace_free(a);
	cpace_free(b);

	/* Confirm before respond; respond twice. */
	b = make(CPACE_RESPONDER, &base);
	assert_int_equal(cpace_confirm(b, t, NULL), -1);
	cpace_free(b);
	a = make(CPACE_INITIATOR, &base);
	b = make(CPACE_RESPONDER, &base);
	assert_int_equal(cpace_msg(a, y), 0);
	assert_int_equal(
	    cpace_respond(b, y, (const uint8_t *)"ad", 2, t, NULL), 0);
	assert_int_equal(cpace_set_scalar(b, scalar), -1);
	assert_int_equal(
	    cpace_respond(b, y, (const uint8_t *)"ad", 2, t, NULL), -1);
	cpace_free(a);
	cpace_free(b);
	cpace_free(NULL);
}

static void
test_limits(void **state)
{
	uint8_t big[512], y[CPACE_POINTLEN], t[CPACE_TAGLEN];
	struct cpace *a, *b;
	char *cause = NULL;

	(void)state;
	memset(big, 'x', sizeof big);
	assert_null(cpace_create(CPACE_INITIATOR, big, 8, NULL, 0, big,
	    CPACE_MAX_SIDLEN + 1, NULL, 0, &cause));
	assert_non_null(cause);
	free(cause);
	assert_null(cpace_create(CPACE_INITIATOR, big, 8, NULL, 0, NULL, 0, big,
	    CPACE_MAX_ADLEN + 1, &cause));
	assert_non_null(cause);
	free(cause);
	assert_null(cpace_create(
	    CPACE_INITIATOR, NULL, 8, NULL, 0, NULL, 0, NULL, 0, &cause));
	assert_non_null(cause);
	free(cause);

	/* The longest allowed values work; a longer peer AD does not. */
	a = cpace_create(CPACE_INITIATOR, big, sizeof big, big, 300, big,
	    CPACE_MAX_SIDLEN, big, CPACE_MAX_ADLEN, NULL);
	b = cpace_create(CPACE_RESPONDER, big, sizeof big, big, 300, big,
	    CPACE_MAX_SIDLEN, big, CPACE_MAX_ADLEN, NULL);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(cpace_msg(a, y), 0);
	assert_int_equal(
	    cpace_respond(b, y, big, CPACE_MAX_ADLEN + 1, t, &cause), -1);
	free(cause);
	cpace_free(b);
	b = cpace_create(CPACE_RESPONDER, big, sizeof big, big, 300, big,
	    CPACE_MAX_SIDLEN, big, CPACE_MAX_ADLEN, NULL);
	assert_int_equal(cpace_respond(b, y, big, CPACE_MAX_ADLEN, t, NULL), 0);
	cpace_free(a);
	cpace_free(b);
}

/* The draft's appendix A.1.2, A.1.4, A.3.5. */
static void
test_strings(void **state)
{
	static const uint8_t lv[] = { 0x04, '1', '2', '3', '4', 0x01, '5', 0x00,
		0x03, '6', '7', '8' };
	static const uint8_t tr[] = { 0x03, '1', '2', '3', 0x06, 'P', 'a', 'r',
		't', 'y', 'A', 0x03, '2', '3', '4', 0x06, 'P', 'a', 'r', 't',
		'y', 'B' };
	uint8_t range[300], out[400], y1[CPACE_POINTLEN], y2[CPACE_POINTLEN];
	struct cpace_str parts[4] = { { "1234", 4 }, { "5", 1 }, { "", 0 },
		{ "678", 3 } };
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof range; i++)
		range[i] = (uint8_t)i;
	assert_int_equal(cpace_lv_cat(parts, 4, out, sizeof out), sizeof lv);
	assert_memory_equal(out, lv, sizeof lv);
	assert_int_equal(cpace_lv_cat(parts + 2, 1, out, sizeof out), 1);
	assert_int_equal(out[0], 0);

	/* prepend_len(bytes(range(127))) and (range(128)). */
	parts[0].p = range;
	parts[0].len = 127;
	assert_int_equal(cpace_lv_cat(parts, 1, out, sizeof out), 128);
	assert_int_equal(out[0], 0x7f);
	assert_memory_equal(out + 1, range, 127);
	parts[0].len = 128;
	assert_int_equal(cpace_lv_cat(parts, 1, out, sizeof out), 130);
	assert_int_equal(out[0], 0x80);
	assert_int_equal(out[1], 0x01);
	assert_memory_equal(out + 2, range, 128);
	/* 300 = 0b10_0101100: 0xac 0x02. */
	parts[0].len = 300;
	assert_int_equal(cpace_lv_cat(parts, 1, out, sizeof out), 302);
	assert_int_equal(out[0], 0xac);
	assert_int_equal(out[1], 0x02);

	/* Too small a buffer: the length is still right. */
	assert_int_equal(cpace_lv_cat(parts, 1, out, 10), 302);

	/* transcript_ir with 3-byte "points" as in the draft: our points are
	 * 32 bytes, so check the layout with the same shape. */
	memset(y1, '1', sizeof y1);
	memset(y2, '2', sizeof y2);
	n = cpace_transcript_ir(y1, (const uint8_t *)"PartyA", 6, y2,
	    (const uint8_t *)"PartyB", 6, out, sizeof out);
	assert_int_equal(n, 2 * (1 + CPACE_POINTLEN + 1 + 6));
	assert_int_equal(out[0], CPACE_POINTLEN);
	assert_memory_equal(out + 1, y1, CPACE_POINTLEN);
	assert_memory_equal(out + 1 + CPACE_POINTLEN, tr + 4, 7);
	assert_int_equal(out[40], CPACE_POINTLEN);
	assert_memory_equal(out + 41, y2, CPACE_POINTLEN);
	assert_memory_equal(out + 41 + CPACE_POINTLEN, tr + 15, 7);

	/* The generator string pads a short PRS to one SHA-512 block... */
	n = cpace_generator_string(
	    (const uint8_t *)"pw", 2, NULL, 0, NULL, 0, out, sizeof out);
	assert_int_equal(n, 128 + 2);
	/* ...and a long one not at all. */
	n = cpace_generator_string(
	    range, 200, NULL, 0, NULL, 0, out, sizeof out);
	assert_int_equal(n, 18 + 2 + 200 + 1 + 1 + 1);
}

static void
test_room(void **state)
{
	uint8_t room[CPACE_ROOM_IDLEN], room2[CPACE_ROOM_IDLEN];
	uint8_t j[CPACE_ROOM_KEYLEN], m[CPACE_ROOM_KEYLEN];
	uint8_t ci[CPACE_ROOM_CILEN], p1[CPACE_PRSLEN], p2[CPACE_PRSLEN];
	char *cause = NULL;

	(void)state;
	memset(room, 0x11, sizeof room);
	memset(room2, 0x11, sizeof room2);
	room2[15] = 0x12;
	memset(j, 0xaa, sizeof j);
	memset(m, 0xbb, sizeof m);

	cpace_room_ci(room, j, m, ci);
	assert_int_equal(ci[0], 14);
	assert_memory_equal(ci + 1, "p2ptui room v1", 14);
	assert_int_equal(ci[15], CPACE_ROOM_IDLEN);
	assert_memory_equal(ci + 16, room, CPACE_ROOM_IDLEN);
	assert_int_equal(ci[32], CPACE_ROOM_KEYLEN);
	assert_memory_equal(ci + 33, j, CPACE_ROOM_KEYLEN);
	assert_int_equal(ci[65], CPACE_ROOM_KEYLEN);
	assert_memory_equal(ci + 66, m, CPACE_ROOM_KEYLEN);

	assert_int_equal(cpace_prs("", 0, room, p1, &cause), -1);
	assert_non_null(cause);
	free(cause);
	/* Deterministic, and bound to the room and the password. */
	assert_int_equal(cpace_prs(PW1, strlen(PW1), room, p1, &cause), 0);
	assert_null(cause);
	assert_int_equal(cpace_prs(PW1, strlen(PW1), room2, p2, NULL), 0);
	assert_memory_not_equal(p1, p2, CPACE_PRSLEN);
	assert_int_equal(cpace_prs(PW2, strlen(PW2), room, p2, NULL), 0);
	assert_memory_not_equal(p1, p2, CPACE_PRSLEN);
	assert_int_equal(cpace_prs(PW1, strlen(PW1), room, p2, NULL), 0);
	assert_memory_equal(p1, p2, CPACE_PRSLEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_forged_confirm),
		cmocka_unit_test(test_bad_points),
		cmocka_unit_test(test_scalar_mult_vfy),
		cmocka_unit_test(test_reflection),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_sid_ci),
		cmocka_unit_test(test_out_of_turn),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
