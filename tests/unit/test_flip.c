/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for coin flips, dice and picks (src/flip.c) and their
 * messages (src/proto.c).
 *
 * The pure parts are checked against values from an independent
 * implementation of doc/PROTOCOL.md section 7.7 (Python's hashlib), the
 * range reduction exhaustively over small word sizes. The state machine
 * runs between two sides, alice and bob, with this file standing in for
 * the engine: engine_send_msg() encodes the message and queues it for the
 * other side, and pump() decodes and delivers the queue the way the
 * engine (conn.c) does. (So the test links no engine files: flip.o must
 * need nothing from them beyond the functions stubbed here.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "feature.h"
#include "flip.h"
#include "ident.h"
#include "loop.h"
#include "proto.h"
#include "xmalloc.h"

/* --- helpers ------------------------------------------------------------ */

static void
unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	unsigned v;

	assert_int_equal(strlen(s), 2 * n);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void
fill(uint8_t *p, size_t n, uint8_t first)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

/* Decode len bytes of p from an exactly sized heap copy (for ASan). */
static int
decode_copy(const uint8_t *p, size_t len, struct proto_msg *m, uint8_t **copyp)
{
	uint8_t *copy = malloc(len != 0 ? len : 1);
	const char *why = NULL;
	int r;

	assert_non_null(copy);
	memcpy(copy, p, len);
	r = proto_decode(copy, len, PROTO_TEXT_MAX, m, &why);
	if (r == -1)
		assert_non_null(why);
	if (copyp != NULL)
		*copyp = copy;
	else
		free(copy);
	return r;
}

/* --- the fake engine: two sides, messages queued between them ---------- */

#define QMAX 4096

struct engine {
	int side;
};

struct event {
	uint8_t id[PROTO_FLIP_ID_LEN];
	enum flip_state state;
	enum flip_end end;
	int local;
	uint16_t result[PROTO_DICE_MAX];
	unsigned sum;
};

struct side {
	struct engine eng;
	struct flips *flips;
	struct peer peer; /* the other side, as this side knows it */
	uint8_t key[IDENT_KEYLEN];
	uint8_t sid[FLIP_SID_LEN];
	int online;
	struct side *other;
	/* Messages this side sent, not yet delivered. */
	uint8_t *q[QMAX];
	size_t qlen[QMAX], nq;
	struct event *ev;
	size_t nev;
	int fail_send; /* engine_send_msg fails, closing the "connection" */
	int errors; /* protocol errors flip_handle reported */
};

static struct side sides[2];
static struct loop *loop;
static struct side *alice = &sides[0], *bob = &sides[1];

static void
fe_flip(void *arg, struct peer *p, const struct flip *fl)
{
	struct side *s = arg;
	struct event *e;

	assert_ptr_equal(p, &s->peer);
	assert_ptr_equal(fl->peer, &s->peer);
	s->ev = xreallocarray(s->ev, s->nev + 1, sizeof *s->ev);
	e = &s->ev[s->nev++];
	memcpy(e->id, fl->id, sizeof e->id);
	e->state = fl->state;
	e->end = fl->end;
	e->local = fl->local;
	memcpy(e->result, fl->result, sizeof e->result);
	e->sum = fl->sum;
}

static void
fe_notice(void *arg, struct peer *p, enum fe_level level, const char *text)
{
	(void)arg;
	(void)p;
	(void)level;
	(void)text;
}

static const struct fe_ops test_fe = {
	.notice = fe_notice,
	.flip = fe_flip,
};

int
engine_send_msg(
    struct engine *eng, struct peer *p, const struct proto_msg *m, char **cause)
{
	struct side *s = &sides[eng->side];
	uint8_t buf[PROTO_PLAIN_MAX];
	size_t n;

	assert_ptr_equal(p, &s->peer);
	if (!s->online) {
		*cause = xstrdup("offline");
		return -1;
	}
	if (s->fail_send) {
		/* As conn_send() failing does: the connection closes. */
		s->online = 0;
		s->peer.state = PEER_OFFLINE;
		flip_peer_down(s->flips, &s->peer);
		*cause = xstrdup("the connection failed");
		return -1;
	}
	n = proto_encode(m, buf, sizeof buf);
	assert_true(n > 0);
	assert_true(s->nq < QMAX);
	s->q[s->nq] = xmalloc(n);
	memcpy(s->q[s->nq], buf, n);
	s->qlen[s->nq++] = n;
	return 0;
}

const uint8_t *
engine_session_id(const struct peer *p)
{
	struct side *s = p == &alice->peer ? alice : bob;

	return s->online ? s->sid : NULL;
}

const uint8_t *
engine_own_key(const struct engine *eng)
{
	return sides[eng->side].key;
}

struct loop *
engine_loop(const struct engine *eng)
{
	(void)eng;
	return loop;
}

const struct fe_ops *
engine_fe(const struct engine *eng, void **arg)
{
	*arg = &sides[eng->side];
	return &test_fe;
}

const char *
peer_state_name(enum peer_state state)
{
	return state == PEER_ONLINE ? "online" : "offline";
}

/* flip_of() is not used here: the engine's table is not linked. */
void *
engine_feature(const struct engine *eng, const struct feature *f)
{
	(void)eng;
	(void)f;
	return NULL;
}

static int
setup(void **state)
{
	int i;

	(void)state;
	memset(sides, 0, sizeof sides);
	loop = loop_create();
	for (i = 0; i < 2; i++) {
		struct side *s = &sides[i];

		s->eng.side = i;
		s->other = &sides[1 - i];
		s->flips = flip_create(&s->eng);
		ident_random(s->key, sizeof s->key);
		s->online = 1;
		s->peer.state = PEER_ONLINE;
		s->peer.has_key = 1;
		snprintf(s->peer.name, sizeof s->peer.name, "%s",
		    i == 0 ? "bob" : "alice");
	}
	fill(alice->sid, FLIP_SID_LEN, 7);
	memcpy(bob->sid, alice->sid, FLIP_SID_LEN);
	memcpy(alice->peer.key, bob->key, IDENT_KEYLEN);
	memcpy(bob->peer.key, alice->key, IDENT_KEYLEN);
	return 0;
}

static void
drop_queue(struct side *s)
{
	size_t i;

	for (i = 0; i < s->nq; i++)
		free(s->q[i]);
	s->nq = 0;
}

static int
teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		flip_free(sides[i].flips);
		drop_queue(&sides[i]);
		free(sides[i].ev);
	}
	loop_free(loop);
	return 0;
}

/* Deliver one message from s's queue to the other side as conn.c does. */
static int
deliver(struct side *s, size_t i)
{
	struct side *to = s->other;
	struct proto_msg m;
	const char *why = NULL;
	uint8_t *copy;
	int r;

	assert_int_equal(decode_copy(s->q[i], s->qlen[i], &m, &copy), 0);
	assert_true(m.type >= PROTO_FLIP_FIRST && m.type <= PROTO_FLIP_LAST);
	r = flip_handle(to->flips, &to->peer, &m, &why);
	if (r == -1) {
		assert_non_null(why);
		to->errors++;
	}
	free(copy);
	return r;
}

/* Deliver everything queued on both sides, in order, until quiet. */
static void
pump(void)
{
	struct side *s;
	uint8_t *q[QMAX];
	size_t qlen[QMAX], n, i;
	int k;

	for (;;) {
		if (alice->nq == 0 && bob->nq == 0)
			return;
		for (k = 0; k < 2; k++) {
			s = &sides[k];
			n = s->nq;
			memcpy(q, s->q, n * sizeof *q);
			memcpy(qlen, s->qlen, n * sizeof *qlen);
			s->nq = 0;
			for (i = 0; i < n; i++) {
				s->q[QMAX - 1] = q[i];
				s->qlen[QMAX - 1] = qlen[i];
				deliver(s, QMAX - 1);
				free(q[i]);
			}
		}
	}
}

/* The last event on s for flip id. */
static const struct event *
last_event(const struct side *s, const uint8_t *id)
{
	size_t i;

	for (i = s->nev; i > 0; i--) {
		if (memcmp(s->ev[i - 1].id, id, PROTO_FLIP_ID_LEN) == 0)
			return &s->ev[i - 1];
	}
	return NULL;
}

static size_t
count_state(const struct side *s, enum flip_state state)
{
	size_t i, n = 0;

	for (i = 0; i < s->nev; i++)
		n += s->ev[i].state == state;
	return n;
}

static void
start(struct side *s, const struct proto_draw *d)
{
	char *cause = NULL;

	if (flip_start(s->flips, &s->peer, d, &cause) != 0)
		fail_msg("flip_start: %s", cause);
}

static struct proto_draw
coin(void)
{
	struct proto_draw d;

	memset(&d, 0, sizeof d);
	d.kind = PROTO_DRAW_COIN;
	return d;
}

static struct proto_draw
dice(unsigned count, unsigned sides_)
{
	struct proto_draw d;

	memset(&d, 0, sizeof d);
	d.kind = PROTO_DRAW_DICE;
	d.count = (uint8_t)count;
	d.sides = (uint16_t)sides_;
	return d;
}

static struct proto_draw
pick3(void)
{
	struct proto_draw d;
	char *cause;

	assert_int_equal(
	    flip_parse_pick("pizza | sushi | tacos", &d, &cause), 0);
	return d;
}

/* The id of s's latest flip (the last one flip_next lists). */
static const struct flip *
latest(const struct side *s)
{
	const struct flip *fl, *last = NULL;

	for (fl = flip_next(s->flips, NULL); fl != NULL;
	     fl = flip_next(s->flips, fl))
		last = fl;
	assert_non_null(last);
	return last;
}

/* --- pure parts --------------------------------------------------------- */

/* Every residue of every modulus gets exactly as many words. */
static void
test_reduce_exhaustive(void **state)
{
	static unsigned hits[1024];
	unsigned bits, x, rejected, i;
	uint32_t n, v, range;

	(void)state;
	for (bits = 1; bits <= 10; bits++) {
		range = 1u << bits;
		for (n = 1; n <= range; n++) {
			memset(hits, 0, sizeof hits);
			rejected = 0;
			for (x = 0; x < range; x++) {
				if (flip_reduce(x, bits, n, &v)) {
					assert_true(v < n);
					assert_int_equal(v, x % n);
					hits[v]++;
				} else
					rejected++;
			}
			for (i = 0; i < n; i++)
				assert_int_equal(hits[i], range / n);
			assert_int_equal(rejected, range % n);
		}
	}
	/* The protocol's 32-bit words at the boundary. */
	assert_int_equal(flip_reduce(0xffffffffu, 32, 2, &v), 1);
	assert_int_equal(v, 1);
	/* 2^32 = 6 * 715827882 + 4: the top 4 words are rejected. */
	assert_int_equal(flip_reduce(0xfffffffbu, 32, 6, &v), 1);
	assert_int_equal(v, 0xfffffffbu % 6);
	for (x = 0xfffffffcu; x != 0; x++)
		assert_int_equal(flip_reduce(x, 32, 6, &v), 0);
	assert_int_equal(flip_reduce(0, 32, 0, &v), 0);
}

struct vector {
	const char *draw;
	const char *commitment;
};

/* From an independent implementation of PROTOCOL.md 7.7 (Python). */
static void
test_vectors(void **state)
{
	static const struct vector v[] = {
		{ "01",
		    "a4529e962b7b5b007e152a25b41caed37cc6c776e4324a98a0e9342f"
		    "ffaed318" },
		{ "02020006",
		    "f37f70bf64d2e02731ceeb908a45dff16629730d3e39b562394bcce6"
		    "4d0efda0" },
		{ "03030570697a7a61057375736869057461636f73",
		    "dfa3cb1a0ae1ab69d3ca811f9f5ee2f122117e02f4befb92f43d5680"
		    "b5f5be2b" },
		{ "026403e8",
		    "9555a04c8943117c2e9ca8ea407a003e59c2db6092ab56eeb49ae8c7"
		    "69763ccc" },
	};
	uint8_t ka[IDENT_KEYLEN], kb[IDENT_KEYLEN], draw[64], want[32], got[32];
	struct flip fl;
	const char *why;
	size_t i, n;

	(void)state;
	unhex("d89e3bad79437dbed9f843418304f460ff05c7fe81fe4a9577a804cb9367"
	      "ff66",
	    ka, sizeof ka);
	unhex("392d174a38b3b1beafaf1fe824870841c5fa531bc6eafdb6402c12466448"
	      "8c1c",
	    kb, sizeof kb);
	memset(&fl, 0, sizeof fl);
	fill(fl.sid, sizeof fl.sid, 0);
	fill(fl.id, sizeof fl.id, 0x40);
	fill(fl.a, sizeof fl.a, 0x80);
	fill(fl.b, sizeof fl.b, 0xa0);
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		n = strlen(v[i].draw) / 2;
		unhex(v[i].draw, draw, n);
		unhex(v[i].commitment, want, sizeof want);
		flip_commitment(fl.sid, fl.id, ka, kb, draw, n, fl.a, got);
		assert_memory_equal(got, want, sizeof want);
		/* Any other input gives another commitment. */
		flip_commitment(fl.sid, fl.id, kb, ka, draw, n, fl.a, got);
		assert_memory_not_equal(got, want, sizeof want);
		assert_int_equal(proto_draw_decode(draw, n, &fl.draw, &why), 0);
		flip_outcome(&fl, ka, kb);
		switch (i) {
		case 0:
			assert_int_equal(fl.result[0], 0); /* heads */
			break;
		case 1:
			assert_int_equal(fl.result[0], 2);
			assert_int_equal(fl.result[1], 5);
			assert_int_equal(fl.sum, 7);
			break;
		case 2:
			assert_int_equal(fl.result[0], 0); /* pizza */
			break;
		case 3:
			assert_int_equal(fl.result[0], 375);
			assert_int_equal(fl.result[1], 606);
			assert_int_equal(fl.result[98], 792);
			assert_int_equal(fl.result[99], 555);
			assert_int_equal(fl.sum, 45193);
			break;
		}
	}
	/* Another b: 0x03 repeated gives tails, tacos... per the reference. */
	memset(fl.b, 3, sizeof fl.b);
	unhex("01", draw, 1);
	proto_draw_decode(draw, 1, &fl.draw, &why);
	flip_outcome(&fl, ka, kb);
	assert_int_equal(fl.result[0], 1);
	fl.draw = dice(3, 20);
	flip_outcome(&fl, ka, kb);
	assert_int_equal(fl.result[0], 20);
	assert_int_equal(fl.result[1], 18);
	assert_int_equal(fl.result[2], 14);
}

/*
 * The whole derivation is uniform: 60000 d6 and 20000 coins from
 * distinct contributions pass a chi-square test. (Deterministic: the
 * inputs are fixed, so this cannot flake; it catches a biased mapping.)
 */
static void
test_outcome_distribution(void **state)
{
	unsigned faces[6] = { 0 }, coins[2] = { 0 }, i;
	uint8_t ka[IDENT_KEYLEN] = { 1 }, kb[IDENT_KEYLEN] = { 2 };
	struct flip fl;
	double chi = 0, e;

	(void)state;
	memset(&fl, 0, sizeof fl);
	for (i = 0; i < 20000; i++) {
		memcpy(fl.b, &i, sizeof i);
		fl.draw = dice(3, 6);
		flip_outcome(&fl, ka, kb);
		faces[fl.result[0] - 1]++;
		faces[fl.result[1] - 1]++;
		faces[fl.result[2] - 1]++;
		assert_int_equal(
		    fl.sum, fl.result[0] + fl.result[1] + fl.result[2]);
		fl.draw = coin();
		flip_outcome(&fl, ka, kb);
		coins[fl.result[0]]++;
	}
	e = 60000.0 / 6;
	for (i = 0; i < 6; i++)
		chi += (faces[i] - e) * (faces[i] - e) / e;
	assert_true(chi < 20.5); /* 5 degrees of freedom, p = 0.001 */
	e = 10000;
	chi = (coins[0] - e) * (coins[0] - e) / e +
	    (coins[1] - e) * (coins[1] - e) / e;
	assert_true(chi < 10.83); /* 1 degree of freedom, p = 0.001 */
}

static void
test_parse_dice(void **state)
{
	static const char *bad[] = { "0d6", "101d6", "2d1", "2d1001", "2d0",
		"99999999999999d6", "1d99999999999999" };
	static const char *notdice[] = { "d", "2d", "x2d6", "2d6x", "-1d6",
		"2 d6", "", "dd6", "2d-6", "2x6", "alice" };
	struct proto_draw d;
	char *cause;
	size_t i;

	(void)state;
	assert_int_equal(flip_parse_dice("d6", &d, &cause), 0);
	assert_int_equal(d.kind, PROTO_DRAW_DICE);
	assert_int_equal(d.count, 1);
	assert_int_equal(d.sides, 6);
	assert_int_equal(flip_parse_dice("2D20", &d, &cause), 0);
	assert_int_equal(d.count, 2);
	assert_int_equal(d.sides, 20);
	assert_int_equal(flip_parse_dice("100d1000", &d, &cause), 0);
	assert_int_equal(d.count, 100);
	assert_int_equal(d.sides, 1000);
	assert_int_equal(flip_parse_dice("001d002", &d, &cause), 0);
	assert_int_equal(d.count, 1);
	assert_int_equal(d.sides, 2);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_true(flip_is_dice(bad[i]));
		cause = NULL;
		assert_int_equal(flip_parse_dice(bad[i], &d, &cause), -1);
		assert_non_null(cause);
		free(cause);
	}
	for (i = 0; i < sizeof notdice / sizeof notdice[0]; i++) {
		assert_false(flip_is_dice(notdice[i]));
		cause = NULL;
		assert_int_equal(flip_parse_dice(notdice[i], &d, &cause), -1);
		assert_non_null(cause);
		free(cause);
	}
}

static void
test_parse_pick(void **state)
{
	static const char *bad[] = { "pizza", "a || b", "a | b |", "| a | b",
		"a | \t | b", "a | b\x01", "a | \xc3", "a | b\x7f", "" };
	struct proto_draw d;
	char text[4096], *cause, *p;
	int i;

	(void)state;
	assert_int_equal(flip_parse_pick("pizza|sushi", &d, &cause), 0);
	assert_int_equal(d.kind, PROTO_DRAW_PICK);
	assert_int_equal(d.noptions, 2);
	assert_string_equal(d.options[0], "pizza");
	assert_string_equal(d.options[1], "sushi");
	assert_int_equal(
	    flip_parse_pick(
	        " \tfried rice |  sushi roll\t| é 你好 ", &d, &cause),
	    0);
	assert_int_equal(d.noptions, 3);
	assert_string_equal(d.options[0], "fried rice");
	assert_string_equal(d.options[1], "sushi roll");
	assert_string_equal(d.options[2], "é 你好");
	for (i = 0; i < (int)(sizeof bad / sizeof bad[0]); i++) {
		cause = NULL;
		if (flip_parse_pick(bad[i], &d, &cause) != -1)
			fail_msg("accepted '%s'", bad[i]);
		assert_non_null(cause);
		free(cause);
	}
	/* 32 options of 64 bytes: the most; one more of either is too much. */
	p = text;
	for (i = 0; i < PROTO_PICK_MAX; i++)
		p += sprintf(p, "%s%02d%062d", i == 0 ? "" : "|", i, 0);
	assert_int_equal(flip_parse_pick(text, &d, &cause), 0);
	assert_int_equal(d.noptions, PROTO_PICK_MAX);
	assert_int_equal(strlen(d.options[31]), PROTO_OPTION_MAX);
	strcpy(p, "|x");
	assert_int_equal(flip_parse_pick(text, &d, &cause), -1);
	free(cause);
	assert_int_equal(
	    flip_parse_pick("a | "
	                    "0123456789012345678901234567890123456789012345678"
	                    "901234567890123x",
	        &d, &cause),
	    -1);
	free(cause);
}

/* --- the messages --------------------------------------------------------- */

static void
test_proto_bytes(void **state)
{
	uint8_t enc[256], draw[64];
	struct proto_msg m, back;
	struct proto_draw d;
	uint8_t *copy;
	size_t n;

	(void)state;
	/* COMMIT, 2d6. */
	d = dice(2, 6);
	assert_int_equal(proto_draw_encode(&d, draw, sizeof draw), 4);
	memset(&m, 0, sizeof m);
	m.type = PROTO_FLIP_COMMIT;
	fill(m.u.flip.id, PROTO_FLIP_ID_LEN, 0x40);
	memset(m.u.flip.value, 0xcc, PROTO_FLIP_VALUE_LEN);
	m.u.flip.draw = draw;
	m.u.flip.drawlen = 4;
	n = proto_encode(&m, enc, sizeof enc);
	assert_int_equal(n, 1 + 16 + 32 + 4);
	assert_int_equal(enc[0], 0x20);
	assert_int_equal(enc[1], 0x40);
	assert_int_equal(enc[17], 0xcc);
	assert_int_equal(enc[49], 0x02);
	assert_int_equal(enc[50], 0x02);
	assert_int_equal(enc[51], 0x00);
	assert_int_equal(enc[52], 0x06);
	assert_int_equal(proto_encode(&m, enc, n - 1), 0);
	assert_int_equal(decode_copy(enc, n, &back, &copy), 0);
	assert_int_equal(back.type, PROTO_FLIP_COMMIT);
	assert_memory_equal(back.u.flip.id, m.u.flip.id, PROTO_FLIP_ID_LEN);
	assert_memory_equal(
	    back.u.flip.value, m.u.flip.value, PROTO_FLIP_VALUE_LEN);
	assert_int_equal(back.u.flip.drawlen, 4);
	assert_memory_equal(back.u.flip.draw, draw, 4);
	free(copy);

	/* RESPONSE, pick. */
	d = pick3();
	n = proto_draw_encode(&d, draw, sizeof draw);
	assert_int_equal(n, 20);
	m.type = PROTO_FLIP_RESPONSE;
	m.u.flip.draw = draw;
	m.u.flip.drawlen = n;
	n = proto_encode(&m, enc, sizeof enc);
	assert_int_equal(n, 1 + 16 + 32 + 20);
	assert_int_equal(enc[0], 0x21);
	assert_memory_equal(
	    enc + 49, "\x03\x03\x05pizza\x05sushi\x05tacos", 20);
	assert_int_equal(decode_copy(enc, n, &back, NULL), 0);

	/* REVEAL: no draw. */
	m.type = PROTO_FLIP_REVEAL;
	n = proto_encode(&m, enc, sizeof enc);
	assert_int_equal(n, 49);
	assert_int_equal(enc[0], 0x22);
	assert_int_equal(decode_copy(enc, n, &back, NULL), 0);
	assert_null(back.u.flip.draw);
	assert_int_equal(decode_copy(enc, n - 1, &back, NULL), -1);
	enc[n] = 0;
	assert_int_equal(decode_copy(enc, n + 1, &back, NULL), -1);

	/* The coin draw, and an invalid draw cannot be encoded. */
	d = coin();
	assert_int_equal(proto_draw_encode(&d, draw, sizeof draw), 1);
	assert_int_equal(draw[0], 1);
	d = dice(0, 6);
	assert_int_equal(proto_draw_encode(&d, draw, sizeof draw), 0);
	m.type = PROTO_FLIP_COMMIT;
	draw[0] = 9;
	m.u.flip.drawlen = 1;
	assert_int_equal(proto_encode(&m, enc, sizeof enc), 0);
}

static void
test_proto_bad(void **state)
{
	static const struct {
		const char *hex; /* the draw */
	} bad[] = {
		{ "" }, /* no draw */
		{ "00" }, /* unknown kinds */
		{ "04" }, { "ff" }, { "0100" }, /* coin with a parameter */
		{ "020206" }, /* short dice */
		{ "0202000600" }, /* long dice */
		{ "02000006" }, /* 0 dice */
		{ "02650006" }, /* 101 dice */
		{ "02010001" }, /* 1 side */
		{ "020103e9" }, /* 1001 sides */
		{ "03" }, /* pick without options */
		{ "0301016101" }, /* 1 option */
		{ "0321" }, /* 33 options */
		{ "03020161" }, /* missing second option */
		{ "030201610162ff" }, /* trailing byte */
		{ "0302016100" }, /* empty option */
		{ "030201610101" }, /* control character */
		{ "0302016101c3" }, /* broken UTF-8 */
		{ "0302016141" }, /* option longer than the rest */
	};
	uint8_t msg[1 + 16 + 32 + 64];
	struct proto_msg m;
	size_t i, n;
	int t;

	(void)state;
	memset(msg, 0x11, sizeof msg);
	for (t = PROTO_FLIP_COMMIT; t <= PROTO_FLIP_RESPONSE; t++) {
		msg[0] = (uint8_t)t;
		for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			n = strlen(bad[i].hex) / 2;
			unhex(bad[i].hex, msg + 49, n);
			if (decode_copy(msg, 49 + n, &m, NULL) != -1)
				fail_msg("type 0x%02x draw %s accepted", t,
				    bad[i].hex);
		}
		/* Shorter than id and value. */
		for (n = 1; n < 50; n++)
			assert_int_equal(decode_copy(msg, n, &m, NULL), -1);
	}
	/* The largest pick: 32 options of 64 bytes. */
	{
		uint8_t big[1 + 16 + 32 + PROTO_DRAW_MAX], *p;

		memset(big, 0x22, sizeof big);
		big[0] = PROTO_FLIP_COMMIT;
		p = big + 49;
		*p++ = 3;
		*p++ = PROTO_PICK_MAX;
		for (i = 0; i < PROTO_PICK_MAX; i++) {
			*p++ = PROTO_OPTION_MAX;
			memset(p, 'a' + (int)i % 26, PROTO_OPTION_MAX);
			p += PROTO_OPTION_MAX;
		}
		assert_int_equal((size_t)(p - big), sizeof big);
		assert_int_equal(decode_copy(big, sizeof big, &m, NULL), 0);
		assert_int_equal(m.u.flip.drawlen, PROTO_DRAW_MAX);
	}
	/* The other types of the flip range are not defined. */
	for (t = 0x23; t <= PROTO_FLIP_LAST; t++) {
		msg[0] = (uint8_t)t;
		for (n = 1; n < sizeof msg; n++)
			assert_int_equal(decode_copy(msg, n, &m, NULL), -1);
	}
}

/* --- the exchange -----------------------------------------------------------
 */

static void
test_exchange(void **state)
{
	struct proto_draw d[3] = { coin(), dice(3, 20), pick3() };
	const struct event *ea, *eb;
	const struct flip *fl;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		start(alice, &d[i]);
		fl = latest(alice);
		assert_int_equal(fl->state, FLIP_PENDING);
		assert_true(fl->local);
		assert_false(fl->has_a); /* not revealed yet */
		assert_false(fl->has_b);
		assert_int_equal(alice->nq, 1);
		pump();
		fl = latest(alice);
		ea = last_event(alice, fl->id);
		eb = last_event(bob, fl->id);
		assert_non_null(ea);
		assert_non_null(eb);
		assert_int_equal(ea->state, FLIP_DONE);
		assert_int_equal(eb->state, FLIP_DONE);
		assert_true(ea->local);
		assert_false(eb->local);
		assert_memory_equal(ea->result, eb->result, sizeof ea->result);
		assert_int_equal(ea->sum, eb->sum);
		assert_true(fl->has_a && fl->has_b);
	}
	/* pending, then done, for each flip on each side. */
	assert_int_equal(alice->nev, 6);
	assert_int_equal(bob->nev, 6);
	assert_int_equal(count_state(bob, FLIP_PENDING), 3);
	assert_int_equal(alice->errors + bob->errors, 0);
	/* Both sides hold the same record. */
	fl = latest(bob);
	assert_memory_equal(fl->commitment, latest(alice)->commitment, 32);
	assert_memory_equal(fl->a, latest(alice)->a, 32);
	assert_memory_equal(fl->b, latest(alice)->b, 32);
	assert_string_equal(fl->draw.options[2], "tacos");
}

/* Both sides start the most flips at once: none mixes with another. */
static void
test_concurrent(void **state)
{
	struct proto_draw d;
	const struct event *ea, *eb;
	char *cause = NULL;
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < FLIP_MAX_STARTED; i++) {
		for (k = 0; k < 2; k++) {
			d = i % 3 == 0 ? coin()
			    : i % 3 == 1
			    ? dice((unsigned)(1 + i % 5), (unsigned)(2 + i))
			    : pick3();
			start(&sides[k], &d);
		}
	}
	d = coin();
	assert_int_equal(
	    flip_start(alice->flips, &alice->peer, &d, &cause), -1);
	assert_non_null(cause);
	free(cause);
	pump();
	assert_int_equal(count_state(alice, FLIP_DONE), 2 * FLIP_MAX_STARTED);
	assert_int_equal(count_state(bob, FLIP_DONE), 2 * FLIP_MAX_STARTED);
	for (i = 0; i < alice->nev; i++) {
		if (alice->ev[i].state != FLIP_DONE)
			continue;
		ea = &alice->ev[i];
		eb = last_event(bob, ea->id);
		assert_non_null(eb);
		assert_int_equal(eb->state, FLIP_DONE);
		assert_int_equal(ea->local, !eb->local);
		assert_memory_equal(ea->result, eb->result, sizeof ea->result);
	}
	assert_int_equal(alice->errors + bob->errors, 0);
	/* Now there is room again. */
	start(alice, &d);
}

static void craft(
    struct side *, uint8_t, const uint8_t *, const struct proto_draw *);
static int deliver_last(struct side *);

/* A reveal that does not match the commitment is cheating. */
static void
test_cheat(void **state)
{
	struct proto_draw d = dice(2, 6);
	const struct flip *fl;
	const struct event *e;

	(void)state;
	start(alice, &d);
	deliver(alice, 0); /* COMMIT */
	drop_queue(alice);
	deliver(bob, 0); /* RESPONSE */
	drop_queue(bob);
	assert_int_equal(alice->nq, 1);
	assert_int_equal(alice->q[0][0], PROTO_FLIP_REVEAL);
	alice->q[0][1 + 16 + 5] ^= 1; /* one bit of a */
	deliver(alice, 0);
	drop_queue(alice);
	fl = latest(bob);
	e = last_event(bob, fl->id);
	assert_non_null(e);
	assert_int_equal(e->state, FLIP_CHEATED);
	assert_int_equal(fl->state, FLIP_CHEATED);
	assert_true(fl->has_a); /* the evidence is kept */
	assert_int_equal(bob->errors, 0);
	/* The honest reveal, too late: the flip is over. */
	craft(alice, PROTO_FLIP_REVEAL, fl->id, NULL);
	memcpy(alice->q[0] + 1 + 16, latest(alice)->a, 32);
	assert_int_equal(deliver_last(alice), -1);
}

/* Build a message from alice to bob by hand. */
static void
craft(
    struct side *s, uint8_t type, const uint8_t *id, const struct proto_draw *d)
{
	uint8_t draw[PROTO_DRAW_MAX], buf[PROTO_PLAIN_MAX];
	struct proto_msg m;
	size_t n;

	memset(&m, 0, sizeof m);
	m.type = type;
	memcpy(m.u.flip.id, id, PROTO_FLIP_ID_LEN);
	memset(m.u.flip.value, 0x5a, PROTO_FLIP_VALUE_LEN);
	if (d != NULL) {
		m.u.flip.draw = draw;
		m.u.flip.drawlen = proto_draw_encode(d, draw, sizeof draw);
	}
	n = proto_encode(&m, buf, sizeof buf);
	assert_true(n > 0);
	s->q[s->nq] = xmalloc(n);
	memcpy(s->q[s->nq], buf, n);
	s->qlen[s->nq++] = n;
}

/* Deliver s's last queued message; its result. */
static int
deliver_last(struct side *s)
{
	int r = deliver(s, s->nq - 1);

	free(s->q[--s->nq]);
	return r;
}

static void
test_protocol_errors(void **state)
{
	struct proto_draw c = coin(), d6 = dice(1, 6), d8 = dice(1, 6);
	uint8_t id[PROTO_FLIP_ID_LEN], id2[PROTO_FLIP_ID_LEN];
	const struct flip *fl;
	int i;

	(void)state;
	memset(id, 1, sizeof id);
	/* Responses and reveals for flips nobody started. */
	craft(alice, PROTO_FLIP_RESPONSE, id, &c);
	assert_int_equal(deliver_last(alice), -1);
	craft(alice, PROTO_FLIP_REVEAL, id, NULL);
	assert_int_equal(deliver_last(alice), -1);

	/* A COMMIT, then the same id again. */
	craft(alice, PROTO_FLIP_COMMIT, id, &c);
	assert_int_equal(deliver_last(alice), 0);
	craft(alice, PROTO_FLIP_COMMIT, id, &d6);
	assert_int_equal(deliver_last(alice), -1);
	/* Bob answered it; a RESPONSE to bob for alice's own flip. */
	craft(alice, PROTO_FLIP_RESPONSE, id, &c);
	assert_int_equal(deliver_last(alice), -1);
	/* A wrong reveal: cheating, not a protocol error. */
	craft(alice, PROTO_FLIP_REVEAL, id, NULL);
	assert_int_equal(deliver_last(alice), 0);
	assert_int_equal(last_event(bob, id)->state, FLIP_CHEATED);
	/* Revealing it again: it is over. */
	craft(alice, PROTO_FLIP_REVEAL, id, NULL);
	assert_int_equal(deliver_last(alice), -1);
	/* The id of a finished flip cannot start another one. */
	craft(alice, PROTO_FLIP_COMMIT, id, &c);
	assert_int_equal(deliver_last(alice), -1);

	/* Bob's own flip: alice echoes another draw. */
	drop_queue(bob);
	start(bob, &d6);
	fl = latest(bob);
	memcpy(id2, fl->id, sizeof id2);
	d8.sides = 8;
	craft(alice, PROTO_FLIP_RESPONSE, id2, &d8);
	assert_int_equal(deliver_last(alice), -1);
	/* ... or reveals for it. */
	craft(alice, PROTO_FLIP_REVEAL, id2, NULL);
	assert_int_equal(deliver_last(alice), -1);
	/* The right echo completes it. */
	craft(alice, PROTO_FLIP_RESPONSE, id2, &d6);
	assert_int_equal(deliver_last(alice), 0);
	assert_int_equal(last_event(bob, id2)->state, FLIP_DONE);
	/* ... once. */
	craft(alice, PROTO_FLIP_RESPONSE, id2, &d6);
	assert_int_equal(deliver_last(alice), -1);

	/* At most FLIP_MAX_ACCEPTED of alice's flips in progress at bob. */
	for (i = 0; i < FLIP_MAX_ACCEPTED; i++) {
		memset(id, 0, sizeof id);
		memcpy(id, &i, sizeof i);
		id[15] = 0x77;
		craft(alice, PROTO_FLIP_COMMIT, id, &c);
		assert_int_equal(deliver_last(alice), 0);
	}
	id[14] = 0x77;
	craft(alice, PROTO_FLIP_COMMIT, id, &c);
	assert_int_equal(deliver_last(alice), -1);
}

/* Run the loop until s has n events in state, or a deadline. */
static void
wait_events(struct side *s, enum flip_state state, size_t n)
{
	uint64_t deadline = loop_now_ms() + 5000;

	while (count_state(s, state) < n) {
		assert_true(loop_now_ms() < deadline);
		loop_once(loop, 20);
	}
}

static void
test_timeout(void **state)
{
	struct proto_draw c = coin();
	const struct flip *fa, *fb;
	size_t nev;

	(void)state;
	flip_set_timeout(alice->flips, 50);
	flip_set_timeout(bob->flips, 80);
	start(alice, &c);
	deliver(alice, 0); /* bob answers, alice never hears it */
	drop_queue(alice);
	wait_events(alice, FLIP_ABANDONED, 1);
	fa = latest(alice);
	assert_int_equal(fa->end, FLIP_END_NO_RESPONSE);
	wait_events(bob, FLIP_ABANDONED, 1);
	fb = latest(bob);
	assert_int_equal(fb->end, FLIP_END_NO_REVEAL);
	/* The late response is ignored, not an error. */
	nev = alice->nev;
	assert_int_equal(bob->nq, 1);
	assert_int_equal(deliver(bob, 0), 0);
	drop_queue(bob);
	assert_int_equal(alice->nev, nev);
	assert_int_equal(alice->nq, 0);
	/* A reveal too late is ignored too. */
	craft(alice, PROTO_FLIP_REVEAL, fb->id, NULL);
	assert_int_equal(deliver_last(alice), 0);
	assert_int_equal(latest(bob)->state, FLIP_ABANDONED);
}

static void
test_peer_down(void **state)
{
	struct proto_draw c = coin();
	const struct flip *fl;
	char *cause = NULL;

	(void)state;
	start(alice, &c);
	start(alice, &c);
	pump();
	start(alice, &c);
	deliver(alice, 0);
	drop_queue(alice);
	flip_peer_down(alice->flips, &alice->peer);
	flip_peer_down(bob->flips, &bob->peer);
	fl = latest(alice);
	assert_int_equal(fl->state, FLIP_ABANDONED);
	assert_int_equal(fl->end, FLIP_END_DISCONNECTED);
	assert_int_equal(latest(bob)->end, FLIP_END_DISCONNECTED);
	assert_int_equal(count_state(alice, FLIP_DONE), 2);
	/* Offline: nothing starts. */
	alice->online = 0;
	alice->peer.state = PEER_OFFLINE;
	assert_int_equal(
	    flip_start(alice->flips, &alice->peer, &c, &cause), -1);
	assert_non_null(cause);
	free(cause);
}

/* A flip made on another connection ends when the session changes. */
static void
test_session_change(void **state)
{
	struct proto_draw c = coin();
	const struct flip *fl;

	(void)state;
	start(alice, &c);
	drop_queue(alice);
	alice->sid[0] ^= 1;
	bob->sid[0] ^= 1;
	start(alice, &c);
	pump();
	fl = flip_next(alice->flips, NULL);
	assert_int_equal(fl->state, FLIP_ABANDONED);
	assert_int_equal(fl->end, FLIP_END_DISCONNECTED);
	assert_int_equal(latest(alice)->state, FLIP_DONE);
	assert_int_equal(latest(bob)->state, FLIP_DONE);
}

/* A send that closes the connection from inside flip code. */
static void
test_send_fails(void **state)
{
	struct proto_draw c = coin();
	char *cause = NULL;

	(void)state;
	/* The COMMIT cannot go: no flip at all. */
	start(alice, &c);
	alice->fail_send = 1;
	assert_int_equal(
	    flip_start(alice->flips, &alice->peer, &c, &cause), -1);
	assert_non_null(cause);
	free(cause);
	assert_int_equal(alice->nev, 2); /* the first one: pending, abandoned */
	assert_int_equal(latest(alice)->end, FLIP_END_DISCONNECTED);
	drop_queue(alice);

	/* Bob's RESPONSE cannot go: his flip is abandoned, no error. */
	alice->fail_send = 0;
	alice->online = 1;
	alice->peer.state = PEER_ONLINE;
	start(alice, &c);
	bob->fail_send = 1;
	assert_int_equal(deliver(alice, 0), 0);
	drop_queue(alice);
	assert_int_equal(latest(bob)->state, FLIP_ABANDONED);

	/* Alice's REVEAL cannot go: abandoned on her side too. */
	bob->fail_send = 0;
	bob->online = 1;
	bob->peer.state = PEER_ONLINE;
	start(alice, &c);
	deliver(alice, 0);
	drop_queue(alice);
	alice->fail_send = 1;
	assert_int_equal(deliver(bob, 0), 0);
	drop_queue(bob);
	assert_int_equal(latest(alice)->state, FLIP_ABANDONED);
	assert_int_equal(latest(alice)->end, FLIP_END_DISCONNECTED);
	assert_int_equal(alice->errors + bob->errors, 0);
}

/* Finished flips are kept, up to FLIP_KEEP, and found by id prefix. */
static void
test_keep_find(void **state)
{
	struct proto_draw c = coin();
	const struct flip *fl, *first = NULL;
	char hex[33], buf[512];
	uint8_t firstid[PROTO_FLIP_ID_LEN];
	int i, n, ambiguous;

	(void)state;
	for (i = 0; i < FLIP_KEEP + 10; i++) {
		start(alice, &c);
		pump();
		if (i == 0)
			memcpy(firstid, latest(alice)->id, sizeof firstid);
	}
	start(alice, &c); /* one in progress */
	n = 0;
	for (fl = flip_next(alice->flips, NULL); fl != NULL;
	     fl = flip_next(alice->flips, fl)) {
		if (first == NULL)
			first = fl;
		n++;
	}
	assert_int_equal(n, FLIP_KEEP + 1);
	assert_memory_not_equal(first->id, firstid, sizeof firstid);
	assert_int_equal(latest(alice)->state, FLIP_PENDING);
	fl = latest(alice);
	for (i = 0; i < 16; i++)
		sprintf(hex + 2 * i, "%02x", fl->id[i]);
	assert_ptr_equal(flip_find(alice->flips, hex, &ambiguous), fl);
	hex[8] = '\0';
	assert_ptr_equal(flip_find(alice->flips, hex, &ambiguous), fl);
	hex[3] = '\0';
	assert_null(flip_find(alice->flips, hex, &ambiguous)); /* too short */
	assert_null(flip_find(alice->flips, "zzzz", &ambiguous));
	assert_false(ambiguous);
	flip_describe(fl, buf, sizeof buf);
	assert_string_equal(
	    buf, "coin flip with bob (you started): waiting for bob");
	flip_describe(first, buf, sizeof buf);
	assert_non_null(strstr(buf, ", verified"));
}

static void
test_describe(void **state)
{
	struct flip fl;
	char buf[256], small[12];
	int i;

	(void)state;
	memset(&fl, 0, sizeof fl);
	strcpy(fl.peer_name, "bob");
	fl.draw = dice(3, 6);
	fl.state = FLIP_DONE;
	fl.result[0] = 1;
	fl.result[1] = 2;
	fl.result[2] = 6;
	fl.sum = 9;
	flip_describe(&fl, buf, sizeof buf);
	assert_string_equal(
	    buf, "roll of 3d6 with bob (bob started): 9 (1 + 2 + 6), verified");
	flip_describe(&fl, small, sizeof small);
	assert_string_equal(small, "roll of 3d6");
	fl.local = 1;
	fl.draw = pick3();
	fl.result[0] = 2;
	flip_describe(&fl, buf, sizeof buf);
	assert_string_equal(buf,
	    "pick from pizza | sushi | tacos with bob (you started): tacos, "
	    "verified");
	fl.state = FLIP_CHEATED;
	fl.local = 0;
	fl.draw = coin();
	flip_describe(&fl, buf, sizeof buf);
	assert_string_equal(buf,
	    "coin flip with bob (bob started): CHEATING: bob's reveal does "
	    "not match its commitment; no result");
	fl.state = FLIP_ABANDONED;
	fl.end = FLIP_END_NO_REVEAL;
	flip_describe(&fl, buf, sizeof buf);
	assert_string_equal(buf,
	    "coin flip with bob (bob started): abandoned: bob did not reveal "
	    "in time");
	flip_draw_name(&fl.draw, buf, sizeof buf);
	assert_string_equal(buf, "coin");
	/* Long draws stay short: the result is never cut off. */
	fl.state = FLIP_DONE;
	fl.draw = dice(100, 6);
	fl.sum = 350;
	flip_describe(&fl, buf, sizeof buf);
	assert_string_equal(
	    buf, "roll of 100d6 with bob (bob started): 350, verified");
	memset(&fl.draw, 0, sizeof fl.draw);
	fl.draw.kind = PROTO_DRAW_PICK;
	fl.draw.noptions = PROTO_PICK_MAX;
	for (i = 0; i < PROTO_PICK_MAX; i++)
		memset(fl.draw.options[i], 'a' + i % 26, PROTO_OPTION_MAX);
	fl.result[0] = 27;
	flip_describe(&fl, buf, sizeof buf);
	assert_string_equal(buf,
	    "pick from 32 options with bob (bob started): "
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, "
	    "verified");
	fl.draw = pick3();
	flip_draw_name(&fl.draw, buf, sizeof buf);
	assert_string_equal(buf, "pick:3");
	assert_string_equal(flip_end_name(FLIP_END_NO_RESPONSE), "no-response");
	assert_string_equal(flip_state_name(FLIP_CHEATED), "cheated");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reduce_exhaustive),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_outcome_distribution),
		cmocka_unit_test(test_parse_dice),
		cmocka_unit_test(test_parse_pick),
		cmocka_unit_test(test_proto_bytes),
		cmocka_unit_test(test_proto_bad),
		cmocka_unit_test(test_describe),
		cmocka_unit_test_setup_teardown(test_exchange, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cheat, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_protocol_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_peer_down, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_session_change, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_send_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_keep_find, setup, teardown),
	};

	if (ident_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
