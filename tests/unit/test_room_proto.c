/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for src/room_proto.c: every message type round trips,
 * and every malformed form is refused (lengths, counts, orders, ranges,
 * reserved types, trailing bytes); the encoder refuses what the decoder
 * would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"
#include "room_proto.h"
#include "util.h"

static struct room_msg m, got;
static uint8_t wire[70000];
static uint8_t ids[2 * ROOM_HASHLEN], keys[2 * ROOM_WELCOME_KEYLEN];
static uint8_t event[ROOM_EVENT_MAX + 1]; /* the bytes of an EVENT */

static void
base(uint8_t type)
{
	memset(&m, 0, sizeof m);
	m.type = type;
	memset(m.room, 0x33, ROOM_IDLEN);
}

/* Encode m, decode it back, and check the bytes have one form: any
 * byte more or less is refused. */
static size_t
roundtrip(void)
{
	const char *why;
	size_t n = room_proto_encode(&m, wire, sizeof wire);

	assert_int_not_equal(n, 0);
	assert_int_equal(room_proto_decode(wire, n, &got, &why), 0);
	assert_int_equal(got.type, m.type);
	/* An event is the rest of its message: only its bounds count. */
	wire[n] = 0;
	if (m.type != ROOM_MSG_EVENT || n - 1 == ROOM_EVENT_MAX) {
		assert_int_equal(
		    room_proto_decode(wire, n + 1, &got, &why), -1);
		assert_non_null(why);
	}
	if (m.type != ROOM_MSG_EVENT || n - 1 == ROOM_EVENT_MIN)
		assert_int_equal(
		    room_proto_decode(wire, n - 1, &got, &why), -1);
	assert_int_equal(room_proto_decode(wire, n, &got, &why), 0);
	return n;
}

static void
refused(void)
{
	assert_int_equal(room_proto_encode(&m, wire, sizeof wire), 0);
}

static void
test_roundtrips(void **state)
{
	size_t n;

	(void)state;
	base(ROOM_MSG_SYNC);
	assert_int_equal(roundtrip(), 1 + 16 + 2);
	m.nv = 2;
	memset(m.v[0].prefix, 1, 8);
	m.v[0].seq = 5;
	memset(m.v[1].prefix, 2, 8);
	m.v[1].seq = 1;
	assert_int_equal(roundtrip(), 1 + 16 + 2 + 32);
	assert_int_equal(got.nv, 2);
	assert_int_equal(got.v[0].seq, 5);

	base(ROOM_MSG_EVENT);
	m.data = event;
	m.len = ROOM_EVENT_MIN;
	assert_int_equal(roundtrip(), 1 + ROOM_EVENT_MIN);
	m.len = ROOM_EVENT_MAX;
	assert_int_equal(roundtrip(), 1 + ROOM_EVENT_MAX);

	base(ROOM_MSG_WANT);
	m.n = 2;
	m.data = ids;
	assert_int_equal(roundtrip(), 1 + 16 + 1 + 64);
	assert_int_equal(got.n, 2);

	base(ROOM_MSG_JOIN);
	m.mode = ROOM_JOIN_PASSWORD;
	strcpy(m.member.nick, "joe");
	memset(m.y, 7, sizeof m.y);
	assert_int_equal(roundtrip(), 1 + 16 + 1 + 32 + 32 + 1 + 3 + 1 + 32);
	assert_string_equal(got.member.nick, "joe");
	assert_memory_equal(got.y, m.y, 32);
	m.mode = ROOM_JOIN_INVITED;
	assert_int_equal(roundtrip(), 1 + 16 + 1 + 32 + 32 + 1 + 3 + 1);

	base(ROOM_MSG_CHALLENGE);
	assert_int_equal(roundtrip(), 1 + 16 + 32 + 64);
	base(ROOM_MSG_CONFIRM);
	assert_int_equal(roundtrip(), 1 + 16 + 64);

	base(ROOM_MSG_WELCOME);
	m.n = 2;
	memset(keys, 0, sizeof keys);
	keys[3] = 0;
	keys[ROOM_WELCOME_KEYLEN + 3] = 1;
	m.data = keys;
	m.nmembers = 2;
	strcpy(m.members[1].nick, "second");
	m.members[1].addrlen = 18;
	m.members[1].addr[1] = 1;
	m.nv = 1;
	m.v[0].seq = 9;
	n = roundtrip();
	assert_int_equal(n, 1 + 16 + 2 + 72 + 2 + 66 + (66 + 6 + 18) + 2 + 16);
	assert_int_equal(got.nmembers, 2);
	assert_string_equal(got.members[1].nick, "second");
	assert_int_equal(got.members[1].addrlen, 18);
	assert_int_equal(got.n, 2);

	base(ROOM_MSG_DENIED);
	m.reason = ROOM_DENIED_LIMIT;
	assert_int_equal(roundtrip(), 1 + 16 + 1);
	base(ROOM_MSG_KEY);
	m.epoch = 3;
	memset(m.key, 9, sizeof m.key);
	assert_int_equal(roundtrip(), 1 + 16 + 4 + 32);
	assert_int_equal(got.epoch, 3);
	base(ROOM_MSG_KEY_WANT);
	m.epoch = ROOM_EPOCHS_MAX - 1;
	assert_int_equal(roundtrip(), 1 + 16 + 4);
	base(ROOM_MSG_MEMBER);
	assert_int_equal(roundtrip(), 1 + 16 + 32);
	base(ROOM_MSG_INVITE);
	strcpy(m.name, "home");
	assert_int_equal(roundtrip(), 1 + 16 + 1 + 4);
	assert_string_equal(got.name, "home");
	base(ROOM_MSG_DIGEST);
	assert_int_equal(roundtrip(), 1 + 16 + 32);
}

static void
test_refused(void **state)
{
	const char *why;
	uint8_t t;

	(void)state;
	/* Reserved and foreign types. */
	for (t = 0x4e; t <= 0x4f; t++) {
		wire[0] = t;
		memset(wire + 1, 0, 16);
		assert_int_equal(room_proto_decode(wire, 17, &got, &why), -1);
		base(t);
		refused();
	}
	wire[0] = 0x10;
	assert_int_equal(room_proto_decode(wire, 17, &got, &why), -1);
	assert_int_equal(room_proto_decode(wire, 0, &got, &why), -1);
	assert_false(room_proto_is(0x3f));
	assert_true(room_proto_is(0x40));
	assert_true(room_proto_is(0x4f));
	assert_false(room_proto_is(0x50));

	/* Version vectors: seq 0, prefixes out of order or repeated, too
	 * many entries. */
	base(ROOM_MSG_SYNC);
	m.nv = 1;
	refused();
	m.v[0].seq = ROOM_SEQ_MAX;
	refused();
	m.nv = 2;
	m.v[0].seq = m.v[1].seq = 1;
	refused();
	memset(m.v[0].prefix, 2, 8);
	memset(m.v[1].prefix, 1, 8);
	refused();
	m.nv = ROOM_MEMBERS_MAX + 1;
	refused();
	wire[0] = ROOM_MSG_SYNC;
	wire[17] = 0x01;
	wire[18] = 0x01; /* 257 entries */
	assert_int_equal(room_proto_decode(wire, 19, &got, &why), -1);

	/* Events: too short, too long. */
	base(ROOM_MSG_EVENT);
	m.data = event;
	m.len = ROOM_EVENT_MIN - 1;
	refused();
	m.len = ROOM_EVENT_MAX + 1;
	refused();

	/* WANT of 0 or 65 ids. */
	base(ROOM_MSG_WANT);
	m.data = ids;
	refused();
	m.n = ROOM_WANT_MAX + 1;
	refused();

	/* JOIN: modes 0 and 3, a bad address, a long nick. */
	base(ROOM_MSG_JOIN);
	refused();
	m.mode = 3;
	refused();
	m.mode = ROOM_JOIN_INVITED;
	m.member.addrlen = 4;
	refused();
	m.member.addrlen = 0;
	memset(m.member.nick, 'a', ROOM_NICK_MAX + 1);
	refused();
	m.member.nick[0] = '\x01';
	m.member.nick[1] = '\0';
	refused();

	/* WELCOME: no keys, epochs out of order or too high, no members. */
	base(ROOM_MSG_WELCOME);
	m.data = keys;
	m.nmembers = 1;
	refused();
	m.n = 2;
	memset(keys, 0, sizeof keys);
	refused(); /* two epoch 0 */
	keys[ROOM_WELCOME_KEYLEN + 2] = 1; /* epoch 256 */
	refused();
	keys[ROOM_WELCOME_KEYLEN + 2] = 0;
	keys[ROOM_WELCOME_KEYLEN + 3] = 1;
	assert_int_not_equal(room_proto_encode(&m, wire, sizeof wire), 0);
	m.nmembers = 0;
	refused();

	/* DENIED reasons 0 and 7; KEY epochs beyond the last; INVITE
	 * names empty or long. */
	base(ROOM_MSG_DENIED);
	refused();
	m.reason = ROOM_DENIED_MAX + 1;
	refused();
	base(ROOM_MSG_KEY);
	m.epoch = ROOM_EPOCHS_MAX;
	refused();
	base(ROOM_MSG_INVITE);
	refused();
	memset(m.name, 'n', ROOM_NAME_MAX + 1);
	refused();

	/* No room for it. */
	base(ROOM_MSG_DIGEST);
	assert_int_equal(room_proto_encode(&m, wire, 20), 0);
	assert_string_equal(room_proto_denied_text(1), "wrong password");
	assert_string_equal(room_proto_denied_text(0), "unknown reason");
}

/* The largest WELCOME (256 epochs, 256 members with the longest nicks
 * and addresses, 256 entries of V) fits in one transport message. */
static void
test_welcome_fits(void **state)
{
	static uint8_t k[ROOM_EPOCHS_MAX * ROOM_WELCOME_KEYLEN];
	size_t i, n;

	(void)state;
	base(ROOM_MSG_WELCOME);
	for (i = 0; i < ROOM_EPOCHS_MAX; i++)
		util_be_put(k + i * ROOM_WELCOME_KEYLEN, i, 4);
	m.data = k;
	m.n = ROOM_EPOCHS_MAX;
	m.nmembers = m.nv = ROOM_MEMBERS_MAX;
	for (i = 0; i < ROOM_MEMBERS_MAX; i++) {
		memset(m.members[i].nick, 'n', ROOM_NICK_MAX);
		m.members[i].addrlen = ROOM_ADDR_MAX;
		m.members[i].addr[0] = 1;
		util_be_put(m.v[i].prefix, i, ROOM_PREFIXLEN);
		m.v[i].seq = 1;
	}
	n = room_proto_encode(&m, wire, sizeof wire);
	assert_int_equal(n, 43031);
	assert_true(n <= PROTO_PLAIN_MAX);
}

static void
test_digest(void **state)
{
	struct room_vv v[2];
	uint8_t a[ROOM_HASHLEN], b[ROOM_HASHLEN];

	(void)state;
	memset(v, 0, sizeof v);
	v[0].seq = 1;
	room_proto_digest(v, 1, a);
	v[0].seq = 2;
	room_proto_digest(v, 1, b);
	assert_memory_not_equal(a, b, ROOM_HASHLEN);
	room_proto_digest(v, 0, a);
	room_proto_digest(v, 2, b);
	assert_memory_not_equal(a, b, ROOM_HASHLEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrips),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_welcome_fits),
		cmocka_unit_test(test_digest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
