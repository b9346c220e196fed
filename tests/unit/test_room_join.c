/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for src/room_join.c: a password join from JOIN to the
 * member's yes, a wrong password (seen by the joiner in the CHALLENGE,
 * by the member in the CONFIRM), a run abandoned after the CHALLENGE,
 * other sessions and keys, and the failure limit with an injected
 * clock. The PRS is fixed bytes: Argon2id is cpace_prs()'s, tested in
 * test_cpace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "room_join.h"
#include "room_log.h"

#define MIN_MS (60 * 1000)

static const uint8_t room[ROOM_IDLEN] = { 1, 2, 3 };
static uint8_t good[CPACE_PRSLEN] = { 0x70 }, bad[CPACE_PRSLEN] = { 0x71 };
static uint8_t sid[64] = { 0x5a };
static struct room_msg join, challenge, confirm, out;

static void
ctx_init(struct room_join_ctx *c, const uint8_t *prs)
{
	memset(c, 0, sizeof *c);
	memcpy(c->room, room, ROOM_IDLEN);
	c->prs = prs;
	memset(c->joiner, 0xa1, ROOM_KEYLEN);
	memset(c->member, 0xb2, ROOM_KEYLEN);
	c->sid = sid;
	c->sidlen = sizeof sid;
}

static void
me_init(struct room_member_info *me)
{
	memset(me, 0, sizeof *me);
	memset(me->e, 0xe1, ROOM_KEYLEN);
	memset(me->noise, 0xa1, ROOM_KEYLEN);
	strcpy(me->nick, "joiner");
}

enum result { JOINED, JOINER_SAW, MEMBER_SAW, LIMITED };

/* One run: the joiner with pa, the member with pb, at now_ms. */
static enum result
run(const uint8_t *pa, const uint8_t *pb, struct room_limit *limit,
    int64_t now_ms, int tamper_ta)
{
	struct room_join_ctx a, b;
	struct room_member_info me;
	struct room_joiner *j;
	struct room_responder *r;
	uint8_t wire[4096];
	const char *why;
	char *cause = NULL;
	enum result res;
	size_t n;

	ctx_init(&a, pa);
	ctx_init(&b, pb);
	me_init(&me);
	j = room_joiner_create(&a, &me, &join, &cause);
	assert_non_null(j);
	/* Through the codec, as on the wire. */
	n = room_proto_encode(&join, wire, sizeof wire);
	assert_int_not_equal(n, 0);
	assert_int_equal(room_proto_decode(wire, n, &join, &why), 0);

	r = room_responder_create(&b, &join, limit, now_ms, &challenge, &cause);
	if (r == NULL) {
		assert_null(cause);
		assert_int_equal(challenge.type, ROOM_MSG_DENIED);
		assert_int_equal(challenge.reason, ROOM_DENIED_LIMIT);
		room_joiner_free(j);
		return LIMITED;
	}
	assert_string_equal(room_responder_member(r)->nick, "joiner");
	n = room_proto_encode(&challenge, wire, sizeof wire);
	assert_int_equal(room_proto_decode(wire, n, &challenge, &why), 0);
	if (room_joiner_challenge(j, &challenge, &confirm, &cause) == -1) {
		assert_non_null(cause);
		free(cause);
		/* A joiner that knows it guessed wrong sends nothing more. */
		res = JOINER_SAW;
		goto out;
	}
	if (tamper_ta)
		confirm.tag[0] ^= 1;
	n = room_proto_encode(&confirm, wire, sizeof wire);
	assert_int_equal(room_proto_decode(wire, n, &confirm, &why), 0);
	if (room_responder_confirm(r, &confirm, limit, &out) == -1) {
		assert_int_equal(out.type, ROOM_MSG_DENIED);
		assert_int_equal(out.reason, ROOM_DENIED_PASSWORD);
		res = MEMBER_SAW;
		goto out;
	}
	res = JOINED;
out:
	room_joiner_free(j);
	room_responder_free(r);
	return res;
}

static void
test_join(void **state)
{
	struct room_limit limit;
	int i;

	(void)state;
	room_limit_init(&limit);
	assert_int_equal(run(good, good, &limit, 1000, 0), JOINED);
	/* Success takes its attempt back: many joins are fine. */
	for (i = 0; i < 5; i++)
		assert_int_equal(run(good, good, &limit, 2000 + i, 0), JOINED);
	room_limit_free(&limit);
}

static void
test_wrong_password(void **state)
{
	struct room_limit limit;

	(void)state;
	room_limit_init(&limit);
	assert_int_equal(run(bad, good, &limit, 1000, 0), JOINER_SAW);
	/* A joiner that lies about its tag. */
	assert_int_equal(run(good, good, &limit, 2000, 1), MEMBER_SAW);
	room_limit_free(&limit);
}

static void
test_limit(void **state)
{
	struct room_limit limit;
	uint8_t other[ROOM_KEYLEN];
	int64_t t0 = 1000000;

	(void)state;
	room_limit_init(&limit);
	/* Three wrong guesses (one abandoned after the CHALLENGE, one
	 * refused in the CONFIRM): the fourth run is refused, even with
	 * the right password. */
	assert_int_equal(run(bad, good, &limit, t0, 0), JOINER_SAW);
	assert_int_equal(run(good, good, &limit, t0 + MIN_MS, 1), MEMBER_SAW);
	assert_int_equal(
	    run(bad, good, &limit, t0 + 2 * MIN_MS, 0), JOINER_SAW);
	assert_int_equal(run(good, good, &limit, t0 + 3 * MIN_MS, 0), LIMITED);
	/* Ten minutes after the first failure, one more try. */
	assert_int_equal(
	    run(bad, good, &limit, t0 + 10 * MIN_MS - 1, 0), LIMITED);
	assert_int_equal(
	    run(bad, good, &limit, t0 + 10 * MIN_MS, 0), JOINER_SAW);
	assert_int_equal(run(good, good, &limit, t0 + 10 * MIN_MS, 0), LIMITED);
	assert_int_equal(run(good, good, &limit, t0 + 11 * MIN_MS, 0), JOINED);
	/* The limit is per joiner and per room. */
	memset(other, 0xa2, sizeof other);
	assert_true(room_limit_allowed(&limit, room, other, t0 + 3 * MIN_MS));
	room_limit_fail(&limit, room, other, t0);
	room_limit_fail(&limit, room, other, t0);
	room_limit_fail(&limit, room, other, t0);
	assert_false(room_limit_allowed(&limit, room, other, t0));
	assert_true(room_limit_allowed(
	    &limit, (const uint8_t[ROOM_IDLEN]){ 9 }, other, t0));
	room_limit_forgive(&limit, room, other, t0);
	assert_true(room_limit_allowed(&limit, room, other, t0));
	room_limit_free(&limit);
}

static void
test_limit_table(void **state)
{
	struct room_limit limit;
	uint8_t k[ROOM_KEYLEN];
	unsigned i;

	(void)state;
	room_limit_init(&limit);
	/* The table stays bounded; the stalest joiner makes room. */
	memset(k, 0, sizeof k);
	for (i = 0; i < ROOM_LIMIT_ENTRIES + 10; i++) {
		memcpy(k, &i, sizeof i);
		room_limit_fail(&limit, room, k, 1000 + i);
	}
	assert_int_equal(limit.n, ROOM_LIMIT_ENTRIES);
	room_limit_free(&limit);
}

static void
test_bad_inputs(void **state)
{
	struct room_join_ctx a, b;
	struct room_member_info me;
	struct room_joiner *j;
	struct room_limit limit;
	char *cause = NULL;

	(void)state;
	room_limit_init(&limit);
	ctx_init(&a, good);
	ctx_init(&b, good);
	me_init(&me);
	/* Another session id: the run fails at the joiner. */
	j = room_joiner_create(&a, &me, &join, &cause);
	assert_non_null(j);
	b.sid = (const uint8_t *)"another session";
	b.sidlen = 15;
	{
		struct room_responder *r = room_responder_create(
		    &b, &join, &limit, 5, &challenge, &cause);

		assert_non_null(r);
		assert_int_equal(
		    room_joiner_challenge(j, &challenge, &confirm, &cause), -1);
		free(cause);
		room_responder_free(r);
	}
	room_joiner_free(j);

	/* An identity Ya, a JOIN for another room, an invited JOIN. */
	ctx_init(&b, good);
	j = room_joiner_create(&a, &me, &join, &cause);
	memset(join.y, 0, sizeof join.y);
	assert_null(room_responder_create(&b, &join, &limit, 5, &out, &cause));
	assert_non_null(cause);
	free(cause);
	join.room[0] ^= 1;
	assert_null(room_responder_create(&b, &join, &limit, 5, &out, &cause));
	free(cause);
	join.room[0] ^= 1;
	join.mode = ROOM_JOIN_INVITED;
	assert_null(room_responder_create(&b, &join, &limit, 5, &out, &cause));
	free(cause);
	join.mode = ROOM_JOIN_PASSWORD;
	memset(join.member.noise, 0xa2, ROOM_KEYLEN); /* not the session's */
	assert_null(room_responder_create(&b, &join, &limit, 5, &out, &cause));
	assert_non_null(strstr(cause, "Noise key"));
	free(cause);
	/* A CHALLENGE for another room. */
	challenge.type = ROOM_MSG_CHALLENGE;
	memset(challenge.room, 0, ROOM_IDLEN);
	assert_int_equal(
	    room_joiner_challenge(j, &challenge, &confirm, &cause), -1);
	free(cause);
	room_joiner_free(j);
	/* An invalid member record. */
	me.addrlen = 3;
	assert_null(room_joiner_create(&a, &me, &join, &cause));
	free(cause);
	room_limit_free(&limit);
}

static int
no_deliver(void *arg, const struct room_event *ev, const uint8_t *raw,
    size_t len, const struct room_body *b, char **cause)
{
	(void)ev;
	(void)raw;
	(void)len;
	(void)b;
	(void)cause;
	(*(int *)arg)++;
	return 0;
}

static const struct room_log_ops log_ops = { no_deliver, NULL, NULL };

/* Write b at log; -1 if it was refused. */
static int
write_at(struct room_log *log, const struct room_body *b, const uint8_t *sk)
{
	static uint8_t ev[ROOM_EVENT_MAX];
	char *cause = NULL;
	size_t len;
	int r = room_log_write(log, b, 1, sk, ev, sizeof ev, &len, &cause);

	free(cause);
	return r;
}

static int
sync_cb(void *arg, const uint8_t *raw, size_t len, const struct room_event *ev)
{
	enum room_rx rx;
	const char *why;
	char *cause;

	(void)ev;
	assert_int_equal(
	    room_log_receive(arg, raw, len, 0, &rx, &why, &cause), 0);
	assert_int_equal(rx, ROOM_RX_DELIVERED);
	return 0;
}

/* From JOIN to the joiner writing in the room: the member's log makes
 * the WELCOME, the joiner's log takes its keys and syncs. */
static void
test_welcome(void **state)
{
	static uint8_t keys[ROOM_EPOCHS_MAX * ROOM_WELCOME_KEYLEN];
	static struct room_msg welcome;
	static const uint8_t salt[ROOM_SALTLEN] = { 4 };
	uint8_t cpk[ROOM_KEYLEN], csk[ROOM_SKLEN], key0[ROOM_KEYLEN] = { 9 };
	uint8_t wire[8192];
	struct room_member_info me;
	struct room_join_ctx a, b;
	struct room_log *clog, *jlog;
	struct room_joiner *j;
	struct room_responder *r;
	struct room_limit limit;
	struct room_body body;
	struct room_vv v[4];
	const char *why;
	char *cause = NULL;
	int cn = 0, jn = 0;
	size_t n;

	(void)state;
	room_limit_init(&limit);
	room_keypair(cpk, csk, NULL);
	clog = room_log_create(room, cpk, &log_ops, &cn);
	assert_int_equal(room_welcome_build(clog, keys, &welcome), -1);
	room_log_free(clog);

	/* The creator's room, with a message. */
	memset(&body, 0, sizeof body);
	body.kind = ROOM_CREATE;
	strcpy(body.name, "r");
	memcpy(body.salt, salt, ROOM_SALTLEN);
	{
		uint8_t id[ROOM_IDLEN];

		room_id_derive(cpk, salt, id);
		clog = room_log_create(id, cpk, &log_ops, &cn);
		ctx_init(&a, good);
		ctx_init(&b, good);
		memcpy(a.room, id, ROOM_IDLEN);
		memcpy(b.room, id, ROOM_IDLEN);
	}
	assert_int_equal(room_log_add_key(clog, 0, key0, &cause), 0);
	assert_int_equal(write_at(clog, &body, csk), 0);
	body.kind = ROOM_MSG;
	body.text = (const uint8_t *)"before you came";
	body.len = 15;
	assert_int_equal(write_at(clog, &body, csk), 0);

	/* The joiner's run; a WELCOME before its CONFIRM is refused. */
	me_init(&me);
	room_keypair(me.e, keys, NULL); /* keys: scratch for its secret */
	jlog = room_log_create(a.room, me.e, &log_ops, &jn);
	j = room_joiner_create(&a, &me, &join, &cause);
	assert_non_null(j);
	r = room_responder_create(&b, &join, &limit, 5, &challenge, &cause);
	assert_non_null(r);
	assert_int_equal(room_welcome_build(clog, wire, &welcome), 0);
	assert_int_equal(room_joiner_welcome(j, &welcome, jlog, &cause), -1);
	free(cause);
	{
		uint8_t jsk[ROOM_SKLEN];

		memcpy(jsk, keys, ROOM_SKLEN);
		assert_int_equal(
		    room_joiner_challenge(j, &challenge, &confirm, &cause), 0);
		assert_int_equal(
		    room_responder_confirm(r, &confirm, &limit, &out), 0);

		/* Admitted: the member writes its ADD, then the WELCOME. */
		memset(&body, 0, sizeof body);
		body.kind = ROOM_ADD;
		body.member = *room_responder_member(r);
		assert_int_equal(write_at(clog, &body, csk), 0);
		assert_int_equal(room_welcome_build(clog, keys, &welcome), 0);
		assert_int_equal(welcome.n, 1);
		assert_int_equal(welcome.nmembers, 2);
		n = room_proto_encode(&welcome, wire, sizeof wire);
		assert_int_not_equal(n, 0);
		assert_int_equal(room_proto_decode(wire, n, &welcome, &why), 0);
		assert_int_equal(
		    room_joiner_welcome(j, &welcome, jlog, &cause), 0);

		/* The joiner syncs from nothing and may write. */
		n = room_log_vv(jlog, v, 4);
		assert_int_equal(n, 0);
		room_log_since(clog, v, n, sync_cb, jlog);
		assert_int_equal(jn, 3);
		body.kind = ROOM_MSG;
		body.text = (const uint8_t *)"hello";
		body.len = 5;
		assert_int_equal(write_at(jlog, &body, jsk), 0);
		memset(jsk, 0, sizeof jsk);
	}
	room_joiner_free(j);
	room_responder_free(r);
	room_log_free(clog);
	room_log_free(jlog);
	room_limit_free(&limit);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_limit_table),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_welcome),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
