/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the wire format (src/proto.c): frames, the handshake
 * payload and every message type. Round trips alone would not see a
 * byte-order mistake made the same way on both sides, so the exact bytes
 * of each type are checked too. Inputs to the decoder are exactly sized
 * heap copies, so an over-read shows up under AddressSanitizer. The file
 * messages' known answers are those of doc/PROTOCOL.md section 13.5.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "merkle.h"
#include "proto.h"

#define BIG (PROTO_FILE_CHUNK_HDR + PROTO_FILE_LEAF + 64)
#define CHAT_HDR (1 + PROTO_ID_LEN + 16)
#define OFFER_HDR (1 + PROTO_XFER_ID_LEN + 8 + PROTO_FILE_HASHLEN)
/* Leaves of the largest file: 2^62 / 2^18. */
#define LEAVES_MAX (PROTO_FILE_SIZE_MAX / PROTO_FILE_LEAF)

static uint8_t encbuf[BIG];

/* Decode len bytes of p from an exactly sized copy. */
static int
decode_copy(const uint8_t *p, size_t len, size_t max_text, struct proto_msg *m,
    uint8_t **copyp, const char **why)
{
	uint8_t *copy = malloc(len != 0 ? len : 1);
	int r;

	assert_non_null(copy);
	if (len != 0)
		memcpy(copy, p, len);
	*why = NULL;
	r = proto_decode(copy, len, max_text, m, why);
	if (r == -1)
		assert_non_null(*why);
	/* A chat message points into the buffer: keep it if asked. */
	if (copyp != NULL)
		*copyp = copy;
	else
		free(copy);
	return r;
}

static void
assert_msg_equal(const struct proto_msg *a, const struct proto_msg *b)
{
	unsigned i;

	assert_int_equal(a->type, b->type);
	switch (a->type) {
	case PROTO_HELLO:
		assert_int_equal(a->u.hello.version, b->u.hello.version);
		assert_int_equal(a->u.hello.caps, b->u.hello.caps);
		assert_string_equal(a->u.hello.nick, b->u.hello.nick);
		assert_int_equal(a->u.hello.nlisten, b->u.hello.nlisten);
		for (i = 0; i < a->u.hello.nlisten; i++) {
			assert_int_equal(a->u.hello.listen[i].family,
			    b->u.hello.listen[i].family);
			assert_int_equal(a->u.hello.listen[i].port,
			    b->u.hello.listen[i].port);
			/* Unused address bytes are zero on both sides. */
			assert_memory_equal(a->u.hello.listen[i].addr,
			    b->u.hello.listen[i].addr, 16);
		}
		break;
	case PROTO_NICK:
		assert_string_equal(a->u.nick, b->u.nick);
		break;
	case PROTO_PING:
	case PROTO_PONG:
		assert_true(a->u.token == b->u.token);
		break;
	case PROTO_BYE:
		assert_int_equal(a->u.reason, b->u.reason);
		break;
	case PROTO_CHAT:
		assert_memory_equal(a->u.chat.id, b->u.chat.id, PROTO_ID_LEN);
		assert_true(a->u.chat.seq == b->u.chat.seq);
		assert_true(a->u.chat.time_ms == b->u.chat.time_ms);
		assert_int_equal(a->u.chat.len, b->u.chat.len);
		assert_memory_equal(
		    a->u.chat.text, b->u.chat.text, a->u.chat.len);
		break;
	case PROTO_ACK:
		assert_memory_equal(a->u.ack.id, b->u.ack.id, PROTO_ID_LEN);
		break;
	case PROTO_FILE_OFFER:
		assert_memory_equal(
		    a->u.file.id, b->u.file.id, PROTO_XFER_ID_LEN);
		assert_true(a->u.file.size == b->u.file.size);
		assert_memory_equal(
		    a->u.file.root, b->u.file.root, PROTO_FILE_HASHLEN);
		assert_int_equal(a->u.file.namelen, b->u.file.namelen);
		assert_memory_equal(
		    a->u.file.name, b->u.file.name, a->u.file.namelen);
		break;
	case PROTO_FILE_ACCEPT:
		assert_memory_equal(
		    a->u.file.id, b->u.file.id, PROTO_XFER_ID_LEN);
		assert_true(a->u.file.have == b->u.file.have);
		break;
	case PROTO_FILE_CANCEL:
		assert_memory_equal(
		    a->u.file.id, b->u.file.id, PROTO_XFER_ID_LEN);
		assert_int_equal(a->u.file.reason, b->u.file.reason);
		break;
	case PROTO_FILE_REQUEST:
		assert_memory_equal(
		    a->u.file.id, b->u.file.id, PROTO_XFER_ID_LEN);
		assert_true(a->u.file.index == b->u.file.index);
		break;
	case PROTO_FILE_CHUNK:
		assert_memory_equal(
		    a->u.file.id, b->u.file.id, PROTO_XFER_ID_LEN);
		assert_true(a->u.file.index == b->u.file.index);
		assert_int_equal(a->u.file.offset, b->u.file.offset);
		assert_int_equal(a->u.file.nproof, b->u.file.nproof);
		if (a->u.file.nproof != 0)
			assert_memory_equal(a->u.file.proof, b->u.file.proof,
			    (size_t)a->u.file.nproof * PROTO_FILE_HASHLEN);
		assert_int_equal(a->u.file.datalen, b->u.file.datalen);
		assert_memory_equal(
		    a->u.file.data, b->u.file.data, a->u.file.datalen);
		break;
	case PROTO_FILE_DONE:
		assert_memory_equal(
		    a->u.file.id, b->u.file.id, PROTO_XFER_ID_LEN);
		break;
	default:
		fail_msg("unexpected type 0x%02x", a->type);
	}
}

/* Encode m, check it fits exactly, decode it back and compare. */
static size_t
round_trip(const struct proto_msg *m, size_t max_text)
{
	struct proto_msg back;
	const char *why;
	uint8_t *copy;
	size_t n;

	memset(encbuf, 0xee, sizeof encbuf);
	n = proto_encode(m, encbuf, sizeof encbuf);
	assert_true(n > 0);
	assert_int_equal(encbuf[n], 0xee);
	assert_int_equal(encbuf[0], m->type);
	/* Exactly n bytes of room is enough; one less is not. */
	assert_int_equal(proto_encode(m, encbuf + 1, n), n);
	assert_int_equal(proto_encode(m, encbuf + 1, n - 1), 0);
	memset(encbuf, 0xee, sizeof encbuf);
	assert_int_equal(proto_encode(m, encbuf, n), n);

	if (decode_copy(encbuf, n, max_text, &back, &copy, &why) != 0)
		fail_msg("type 0x%02x: %s", m->type, why);
	assert_msg_equal(m, &back);
	if (m->type == PROTO_CHAT)
		assert_ptr_equal(back.u.chat.text, copy + CHAT_HDR);
	/* Names, proofs and data point into the decoded buffer. */
	if (m->type == PROTO_FILE_OFFER)
		assert_ptr_equal(back.u.file.name, (char *)copy + OFFER_HDR);
	if (m->type == PROTO_FILE_CHUNK) {
		assert_ptr_equal(
		    back.u.file.proof, copy + PROTO_FILE_CHUNK_HDR);
		assert_ptr_equal(back.u.file.data,
		    copy + PROTO_FILE_CHUNK_HDR +
		        (size_t)back.u.file.nproof * PROTO_FILE_HASHLEN);
		assert_ptr_equal(
		    back.u.file.data + back.u.file.datalen, copy + n);
	}
	free(copy);
	return n;
}

/* The message in encbuf[0..n) is refused one byte short or long. */
static void
check_exact_length(size_t n, size_t max_text)
{
	struct proto_msg m;
	const char *why;
	size_t k;

	/* Every prefix, including one byte short. */
	for (k = 0; k < n; k++) {
		if (decode_copy(encbuf, k, max_text, &m, NULL, &why) != -1)
			fail_msg("type 0x%02x: %zu of %zu bytes accepted",
			    encbuf[0], k, n);
	}
	encbuf[n] = 0;
	if (decode_copy(encbuf, n + 1, max_text, &m, NULL, &why) != -1)
		fail_msg("type 0x%02x: %zu bytes, one extra, accepted",
		    encbuf[0], n + 1);
	encbuf[n] = 'a';
	assert_int_equal(
	    decode_copy(encbuf, n + 1, max_text, &m, NULL, &why), -1);
}

/*
 * A chat message is as long as its text, so "one byte longer" is only
 * wrong at the limit: encbuf[0..n) holds one whose text is max_text.
 * Everything shorter than a header and one byte of text is refused, and
 * so is one more byte of text.
 */
static void
check_chat_limits(size_t n, size_t max_text)
{
	struct proto_msg m;
	const char *why;
	size_t k;

	assert_int_equal(n, CHAT_HDR + max_text);
	for (k = 0; k <= CHAT_HDR; k++) {
		if (decode_copy(encbuf, k, max_text, &m, NULL, &why) != -1)
			fail_msg("chat: %zu bytes accepted", k);
	}
	assert_int_equal(decode_copy(encbuf, n, max_text, &m, NULL, &why), 0);
	encbuf[n] = 'w';
	if (decode_copy(encbuf, n + 1, max_text, &m, NULL, &why) != -1)
		fail_msg(
		    "chat: text of %zu > %zu accepted", max_text + 1, max_text);
}

static void
test_hello(void **state)
{
	static const char *nicks[] = { "alice", "", "x", "Zo\xc3\xab",
		"\xe6\x97\xa5\xe6\x9c\xac",
		"01234567890123456789012345678901" };
	struct proto_msg m;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof nicks / sizeof nicks[0]; i++) {
		memset(&m, 0, sizeof m);
		m.type = PROTO_HELLO;
		m.u.hello.version = (uint16_t)(i == 0 ? 1 : 0xfffe - i);
		m.u.hello.caps = i == 0 ? 0 : 0xdeadbeefu + (uint32_t)i;
		strcpy(m.u.hello.nick, nicks[i]);
		n = round_trip(&m, 4096);
		assert_int_equal(n, 8 + strlen(nicks[i]));
		check_exact_length(n, 4096);
	}
}

static void
test_hello_bytes(void **state)
{
	static const uint8_t want[] = { 0x01, 0x01, 0x02, 0xde, 0xad, 0xbe,
		0xef, 0x03, 'b', 'o', 'b' };
	struct proto_msg m;

	(void)state;
	memset(&m, 0, sizeof m);
	m.type = PROTO_HELLO;
	m.u.hello.version = 0x0102;
	m.u.hello.caps = 0xdeadbeef;
	strcpy(m.u.hello.nick, "bob");
	assert_int_equal(proto_encode(&m, encbuf, sizeof encbuf), sizeof want);
	assert_memory_equal(encbuf, want, sizeof want);
}

static void
test_hello_bad(void **state)
{
	static const struct {
		const char *nick;
		size_t len;
	} bad[] = {
		{ "a\nb", 3 },
		{ "\x1b[2J", 4 },
		{ "tab\t", 4 },
		{ "del\x7f", 4 },
		{ "nul\0x", 5 },
		{ "\xc2\x9b", 2 },
		{ "\xc3", 1 },
		{ "\xc0\xae", 2 },
		{ "\xed\xa0\x80", 3 },
		{ "\xff", 1 },
		{ "012345678901234567890123456789012", 33 },
	};
	uint8_t msg[8 + 255 + 1];
	struct proto_msg m;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		msg[0] = PROTO_HELLO;
		msg[1] = 0;
		msg[2] = 1;
		memset(msg + 3, 0, 4);
		msg[7] = (uint8_t)bad[i].len;
		memcpy(msg + 8, bad[i].nick, bad[i].len);
		if (decode_copy(msg, 8 + bad[i].len, 4096, &m, NULL, &why) !=
		    -1)
			fail_msg("nick %zu accepted", i);
	}
	/* The longest length byte, and a nick as long as the message. */
	msg[7] = 255;
	memset(msg + 8, 'a', 255);
	assert_int_equal(decode_copy(msg, 8 + 255, 4096, &m, NULL, &why), -1);

	/* Version 0 is never valid. */
	msg[1] = msg[2] = 0;
	msg[7] = 3;
	memcpy(msg + 8, "bob", 3);
	assert_int_equal(decode_copy(msg, 11, 4096, &m, NULL, &why), -1);
	msg[2] = 1;
	assert_int_equal(decode_copy(msg, 11, 4096, &m, NULL, &why), 0);
	assert_string_equal(m.u.hello.nick, "bob");
}

/* HELLO with the addresses the sender listens on (PROTO_CAP_PEER). */
static void
test_hello_listen(void **state)
{
	/* The example of doc/PROTOCOL.md 13.1: nick "bob", port 7070 of
	 * a wildcard listener, and 192.0.2.7:7071. */
	static const uint8_t want[] = { 0x01, 0x00, 0x01, 0x00, 0x00, 0x00,
		0x01, 0x03, 'b', 'o', 'b', 0x01, 0x02, 0x1b, 0x9e, 0x01, 0x06,
		0x1b, 0x9f, 192, 0, 2, 7 };
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct proto_msg m, back;
	const char *why;
	uint8_t msg[512];
	size_t n, i;

	(void)state;
	memset(&m, 0, sizeof m);
	m.type = PROTO_HELLO;
	m.u.hello.version = 1;
	m.u.hello.caps = PROTO_CAP_PEER; /* as in the example */
	strcpy(m.u.hello.nick, "bob");
	m.u.hello.nlisten = 2;
	m.u.hello.listen[0].port = 7070;
	m.u.hello.listen[1].family = 4;
	m.u.hello.listen[1].port = 7071;
	memcpy(m.u.hello.listen[1].addr, "\xc0\x00\x02\x07", 4);
	assert_int_equal(round_trip(&m, 4096), sizeof want);
	assert_memory_equal(encbuf, want, sizeof want);

	/* Up to four, of each family. */
	m.u.hello.nlisten = 4;
	m.u.hello.listen[2].family = 6;
	m.u.hello.listen[2].port = 65535;
	memcpy(m.u.hello.listen[2].addr, v6, 16);
	m.u.hello.listen[3].port = 1;
	assert_int_equal(round_trip(&m, 4096), 11 + 4 + 8 + 20 + 4);
	m.u.hello.nlisten = 5;
	assert_int_equal(proto_encode(&m, encbuf, sizeof encbuf), 0);

	/* The encoder refuses what the decoder would: port 0, 0.0.0.0. */
	m.u.hello.nlisten = 1;
	m.u.hello.listen[0].port = 0;
	assert_int_equal(proto_encode(&m, encbuf, sizeof encbuf), 0);
	m.u.hello.listen[0] = m.u.hello.listen[1];
	memset(m.u.hello.listen[0].addr, 0, 4);
	assert_int_equal(proto_encode(&m, encbuf, sizeof encbuf), 0);

	/* Fields of unknown tags are skipped, whatever their length. */
	memcpy(msg, want, sizeof want);
	n = sizeof want;
	msg[n++] = 0x7f;
	msg[n++] = 0;
	msg[n++] = 0xff;
	msg[n++] = 200;
	memset(msg + n, 0xab, 200);
	n += 200;
	assert_int_equal(decode_copy(msg, n, 4096, &back, NULL, &why), 0);
	assert_int_equal(back.u.hello.nlisten, 2);
	assert_int_equal(back.u.hello.listen[1].port, 7071);

	/* A field cut short, one byte of a field, bad LISTEN values. */
	assert_int_equal(decode_copy(msg, n - 1, 4096, &back, NULL, &why), -1);
	assert_int_equal(
	    decode_copy(msg, sizeof want + 1, 4096, &back, NULL, &why), -1);
	for (i = 0; i < 256; i++) {
		memcpy(msg, want, 11);
		msg[11] = PROTO_HELLO_LISTEN;
		msg[12] = (uint8_t)i;
		memset(msg + 13, 1, i);
		if (decode_copy(msg, 13 + i, 4096, &back, NULL, &why) !=
		    (i == 2 || i == 6 || i == 18 ? 0 : -1))
			fail_msg("listen length %zu", i);
	}
	msg[12] = 2;
	msg[13] = msg[14] = 0; /* port 0 */
	assert_int_equal(decode_copy(msg, 15, 4096, &back, NULL, &why), -1);
	msg[12] = 18;
	msg[13] = 0x1b;
	msg[14] = 0x9e;
	memset(msg + 15, 0, 16); /* :: */
	assert_int_equal(decode_copy(msg, 31, 4096, &back, NULL, &why), -1);
	msg[30] = 1; /* ::1 */
	assert_int_equal(decode_copy(msg, 31, 4096, &back, NULL, &why), 0);
	assert_int_equal(back.u.hello.listen[0].family, 6);

	/* At most 4 LISTEN fields and 16 fields in all. */
	for (i = 0; i < 5; i++) {
		msg[11 + 4 * i] = PROTO_HELLO_LISTEN;
		msg[12 + 4 * i] = 2;
		msg[13 + 4 * i] = 0x1b;
		msg[14 + 4 * i] = 0x9e;
	}
	assert_int_equal(decode_copy(msg, 11 + 16, 4096, &back, NULL, &why), 0);
	assert_int_equal(back.u.hello.nlisten, 4);
	assert_int_equal(
	    decode_copy(msg, 11 + 20, 4096, &back, NULL, &why), -1);
	for (i = 0; i < 17; i++) {
		msg[11 + 2 * i] = 0x42;
		msg[12 + 2 * i] = 0;
	}
	assert_int_equal(decode_copy(msg, 11 + 32, 4096, &back, NULL, &why), 0);
	assert_int_equal(
	    decode_copy(msg, 11 + 34, 4096, &back, NULL, &why), -1);
}

static void
test_nick(void **state)
{
	static const uint8_t want[] = { 0x05, 0x05, 'B', 'o', 'b', 'b', 'y' };
	static const char *nicks[] = { "Bobby", "", "\xe6\x97\xa5",
		"01234567890123456789012345678901" };
	struct proto_msg m;
	const char *why;
	uint8_t msg[40];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof nicks / sizeof nicks[0]; i++) {
		memset(&m, 0, sizeof m);
		m.type = PROTO_NICK;
		strcpy(m.u.nick, nicks[i]);
		n = round_trip(&m, 4096);
		assert_int_equal(n, 2 + strlen(nicks[i]));
		check_exact_length(n, 4096);
	}
	strcpy(m.u.nick, "Bobby");
	assert_int_equal(proto_encode(&m, encbuf, sizeof encbuf), sizeof want);
	assert_memory_equal(encbuf, want, sizeof want);
	/* 33 bytes, a control character, no length byte. */
	msg[0] = PROTO_NICK;
	msg[1] = 33;
	memset(msg + 2, 'a', 33);
	assert_int_equal(decode_copy(msg, 35, 4096, &m, NULL, &why), -1);
	msg[1] = 3;
	memcpy(msg + 2, "a\nb", 3);
	assert_int_equal(decode_copy(msg, 5, 4096, &m, NULL, &why), -1);
	assert_int_equal(decode_copy(msg, 1, 4096, &m, NULL, &why), -1);
}

static void
test_ping_pong(void **state)

{
	static const uint64_t tokens[] = { 0, 1, 0x0102030405060708ull,
		UINT64_MAX, 0x8000000000000000ull };
	static const uint8_t want[] = { 0x02, 0x01, 0x02, 0x03, 0x04, 0x05,
		0x06, 0x07, 0x08 };
	struct proto_msg m;
	size_t i, n;
	int t;

	(void)state;
	for (t = PROTO_PING; t <= PROTO_PONG; t++) {
		for (i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
			memset(&m, 0, sizeof m);
			m.type = (uint8_t)t;
			m.u.token = tokens[i];
			n = round_trip(&m, 4096);
			assert_int_equal(n, 9);
			check_exact_length(n, 4096);
		}
	}
	memset(&m, 0, sizeof m);
	m.type = PROTO_PING;
	m.u.token = 0x0102030405060708ull;
	assert_int_equal(proto_encode(&m, encbuf, sizeof encbuf), 9);
	assert_memory_equal(encbuf, want, sizeof want);
	m.type = PROTO_PONG;
	assert_int_equal(proto_encode(&m, encbuf, sizeof encbuf), 9);
	assert_int_equal(encbuf[0], 0x03);
}

static void
test_bye(void **state)
{
	struct proto_msg m;
	const char *why;
	uint8_t msg[2];
	size_t n;
	int r;

	(void)state;
	for (r = 0; r <= PROTO_BYE_MAX; r++) {
		memset(&m, 0, sizeof m);
		m.type = PROTO_BYE;
		m.u.reason = (uint8_t)r;
		n = round_trip(&m, 4096);
		assert_int_equal(n, 2);
		assert_int_equal(encbuf[0], 0x04);
		assert_int_equal(encbuf[1], r);
		check_exact_length(n, 4096);
		assert_string_not_equal(proto_bye_text((uint8_t)r), "unknown");
	}
	msg[0] = PROTO_BYE;
	for (r = PROTO_BYE_MAX + 1; r <= 255; r++) {
		msg[1] = (uint8_t)r;
		if (decode_copy(msg, 2, 4096, &m, NULL, &why) != -1)
			fail_msg("bye reason %d accepted", r);
		assert_string_equal(proto_bye_text((uint8_t)r), "unknown");
	}
	assert_string_equal(proto_bye_text(PROTO_BYE_QUIT), "quit");
	assert_string_equal(proto_bye_text(PROTO_BYE_TIMEOUT), "timeout");
	assert_string_equal(
	    proto_bye_text(PROTO_BYE_DISCONNECTED), "disconnected");
}

static void
make_chat(struct proto_msg *m, const void *text, size_t len)
{
	size_t i;

	memset(m, 0, sizeof *m);
	m->type = PROTO_CHAT;
	for (i = 0; i < PROTO_ID_LEN; i++)
		m->u.chat.id[i] = (uint8_t)(0xa0 + i);
	m->u.chat.seq = 0x1112131415161718ull;
	m->u.chat.time_ms = -2;
	m->u.chat.text = text;
	m->u.chat.len = len;
}

static void
test_chat(void **state)
{
	static const char *texts[] = { "hi", "x",
		"caf\xc3\xa9 \xf0\x9f\x98\x80", "  leading and trailing  " };
	static const int64_t times[] = { 0, -1, INT64_MIN, INT64_MAX,
		1700000000123 };
	struct proto_msg m;
	uint8_t *big;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		make_chat(&m, texts[i], strlen(texts[i]));
		m.u.chat.time_ms = times[i];
		m.u.chat.seq = i == 0 ? UINT64_MAX : i;
		n = round_trip(&m, 4096);
		assert_int_equal(n, CHAT_HDR + strlen(texts[i]));
		/* With the limit at this text's length. */
		check_chat_limits(n, strlen(texts[i]));
	}
	make_chat(&m, "t", 1);
	m.u.chat.time_ms = times[4];
	round_trip(&m, 4096);

	/* Exactly max_text, for both limits in use, and one byte more. */
	big = malloc(PROTO_TEXT_MAX + 1);
	assert_non_null(big);
	memset(big, 'w', PROTO_TEXT_MAX + 1);
	make_chat(&m, big, 4096);
	n = round_trip(&m, 4096);
	check_chat_limits(n, 4096);
	make_chat(&m, big, PROTO_TEXT_MAX);
	n = round_trip(&m, PROTO_TEXT_MAX);
	check_chat_limits(n, PROTO_TEXT_MAX);
	/* PROTO_TEXT_MAX bounds even a generous max_text. */
	encbuf[n] = 'w';
	{
		struct proto_msg back;
		const char *why;

		assert_int_equal(
		    decode_copy(encbuf, n + 1, 100000, &back, NULL, &why), -1);
	}
	/* And the encoder will not produce it. */
	make_chat(&m, big, PROTO_TEXT_MAX + 1);
	assert_int_equal(proto_encode(&m, encbuf, sizeof encbuf), 0);
	free(big);
}

static void
test_chat_bytes(void **state)
{
	static const uint8_t want[] = { 0x10, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4,
		0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae,
		0xaf, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 'o', 'k' };
	struct proto_msg m;

	(void)state;
	make_chat(&m, "ok", 2);
	assert_int_equal(proto_encode(&m, encbuf, sizeof encbuf), sizeof want);
	assert_memory_equal(encbuf, want, sizeof want);
}

static void
test_chat_bad(void **state)
{
	static const struct {
		const char *text;
		size_t len;
	} bad[] = {
		{ "line\r\nbreak", 11 },
		{ "\r", 1 },
		{ "tab\t", 4 },
		{ "\x1b]0;title\x07", 10 },
		{ "nul\0", 4 },
		{ "\x7f", 1 },
		{ "\xc2\x85", 2 },
		{ "\xe2\x82", 2 },
		{ "ok\xf0\x9f\x98", 5 },
		{ "\xf4\x90\x80\x80", 4 },
		{ "\xed\xb0\x80", 3 },
		{ "\xe0\x80\xaf", 3 },
	};
	struct proto_msg m;
	const char *why;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		make_chat(&m, bad[i].text, bad[i].len);
		n = proto_encode(&m, encbuf, sizeof encbuf);
		assert_int_equal(n, CHAT_HDR + bad[i].len);
		if (decode_copy(encbuf, n, 4096, &m, NULL, &why) != -1)
			fail_msg("chat text %zu accepted", i);
	}
	/* Line feeds, and only they, are allowed: anywhere, even alone. */
	make_chat(&m, "two\nlines", 9);
	n = proto_encode(&m, encbuf, sizeof encbuf);
	assert_int_equal(decode_copy(encbuf, n, 4096, &m, NULL, &why), 0);
	make_chat(&m, "\n", 1);
	n = proto_encode(&m, encbuf, sizeof encbuf);
	assert_int_equal(decode_copy(encbuf, n, 4096, &m, NULL, &why), 0);
	/* Over max_text by one, with a small limit. */
	make_chat(&m, "0123456789a", 11);
	n = proto_encode(&m, encbuf, sizeof encbuf);
	assert_int_equal(decode_copy(encbuf, n, 11, &m, NULL, &why), 0);
	assert_int_equal(decode_copy(encbuf, n, 10, &m, NULL, &why), -1);
	/* An empty text is not a message. */
	make_chat(&m, "", 0);
	encbuf[CHAT_HDR] = 0xee;
	n = proto_encode(&m, encbuf, sizeof encbuf);
	if (n != 0) {
		assert_int_equal(n, CHAT_HDR);
		assert_int_equal(
		    decode_copy(encbuf, n, 4096, &m, NULL, &why), -1);
	}
}

static void
test_ack(void **state)
{
	struct proto_msg m;
	size_t i, n;

	(void)state;
	memset(&m, 0, sizeof m);
	m.type = PROTO_ACK;
	for (i = 0; i < PROTO_ID_LEN; i++)
		m.u.ack.id[i] = (uint8_t)(255 - i * 3);
	n = round_trip(&m, 4096);
	assert_int_equal(n, 1 + PROTO_ID_LEN);
	assert_int_equal(encbuf[0], 0x11);
	assert_memory_equal(encbuf + 1, m.u.ack.id, PROTO_ID_LEN);
	check_exact_length(n, 4096);
}

/* A file message of type t with a recognisable id, everything else 0. */
static void
make_file(struct proto_msg *m, uint8_t t)
{
	size_t i;

	memset(m, 0, sizeof *m);
	m->type = t;
	for (i = 0; i < PROTO_XFER_ID_LEN; i++)
		m->u.file.id[i] = (uint8_t)(0xc0 + i);
}

static void
put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The len bytes in encbuf are refused by the decoder. */
static void
check_refused(size_t len, const char *what)
{
	struct proto_msg m;
	const char *why;

	if (decode_copy(encbuf, len, 4096, &m, NULL, &why) != -1)
		fail_msg("%s: accepted", what);
}

/* The encoder refuses m, however much room it has. */
static void
check_unencodable(const struct proto_msg *m, const char *what)
{
	static uint8_t out[BIG];

	if (proto_encode(m, out, sizeof out) != 0)
		fail_msg("%s: encoded", what);
}

/* Every prefix of encbuf[0..n) shorter than min + 1 bytes is refused. */
static void
check_prefixes(size_t min, const char *what)
{
	size_t k;

	for (k = 0; k <= min; k++) {
		if (k == 0)
			continue; /* "empty message": not a file message */
		check_refused(k, what);
	}
}

static void
test_file_offer(void **state)
{
	static const uint64_t sizes[] = { 0, 1, 5, PROTO_FILE_LEAF,
		UINT64_C(5) << 30, PROTO_FILE_SIZE_MAX };
	static const size_t lens[] = { 1, 5, 200, PROTO_FILE_NAME_MAX };
	static const size_t nuls[] = { 0, 2, 4 };
	char name[PROTO_FILE_NAME_MAX + 1];
	struct proto_msg m;
	size_t i, j, n;

	(void)state;
	/* Every byte but NUL is allowed: the receiver sanitises. */
	for (i = 0; i < sizeof name; i++)
		name[i] = (char)(i % 255 + 1);
	memcpy(name, "../a\n\x1b\xff/.", 9);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		for (j = 0; j < sizeof lens / sizeof lens[0]; j++) {
			make_file(&m, PROTO_FILE_OFFER);
			m.u.file.size = sizes[i];
			memset(
			    m.u.file.root, (int)(0x10 + i), PROTO_FILE_HASHLEN);
			m.u.file.root[PROTO_FILE_HASHLEN - 1] = 0xee;
			m.u.file.name = name;
			m.u.file.namelen = lens[j];
			n = round_trip(&m, 4096);
			assert_int_equal(n, OFFER_HDR + lens[j]);
			/* Up to the empty name, everything is refused. */
			check_prefixes(OFFER_HDR, "offer prefix");
		}
	}

	/* A 1024-byte name, and one byte more. */
	make_file(&m, PROTO_FILE_OFFER);
	m.u.file.size = UINT64_C(5) << 30;
	m.u.file.name = name;
	m.u.file.namelen = PROTO_FILE_NAME_MAX;
	n = round_trip(&m, 4096);
	assert_int_equal(n, OFFER_HDR + PROTO_FILE_NAME_MAX);
	encbuf[n] = 'x';
	check_refused(n + 1, "name of 1025 bytes");
	m.u.file.namelen = PROTO_FILE_NAME_MAX + 1;
	check_unencodable(&m, "name of 1025 bytes");

	/* An empty name, or none. */
	m.u.file.namelen = 0;
	check_unencodable(&m, "empty name");
	m.u.file.name = NULL;
	m.u.file.namelen = 5;
	check_unencodable(&m, "NULL name");

	/* A NUL anywhere in the name. */
	for (i = 0; i < sizeof nuls / sizeof nuls[0]; i++) {
		make_file(&m, PROTO_FILE_OFFER);
		m.u.file.name = "a.txt";
		m.u.file.namelen = 5;
		n = proto_encode(&m, encbuf, sizeof encbuf);
		assert_int_equal(n, OFFER_HDR + 5);
		encbuf[OFFER_HDR + nuls[i]] = 0;
		check_refused(n, "NUL in name");
		m.u.file.name = (const char *)encbuf + OFFER_HDR;
		check_unencodable(&m, "NUL in name");
	}

	/* Sizes beyond 2^62. */
	make_file(&m, PROTO_FILE_OFFER);
	m.u.file.name = "a";
	m.u.file.namelen = 1;
	n = proto_encode(&m, encbuf, sizeof encbuf);
	assert_int_equal(n, OFFER_HDR + 1);
	put64(encbuf + 1 + PROTO_XFER_ID_LEN, PROTO_FILE_SIZE_MAX + 1);
	check_refused(n, "size 2^62 + 1");
	put64(encbuf + 1 + PROTO_XFER_ID_LEN, UINT64_MAX);
	check_refused(n, "size 2^64 - 1");
	m.u.file.size = PROTO_FILE_SIZE_MAX + 1;
	check_unencodable(&m, "size 2^62 + 1");
	m.u.file.size = UINT64_MAX;
	check_unencodable(&m, "size 2^64 - 1");
}

static void
test_file_accept_request(void **state)
{
	static const uint64_t haves[] = { 0, 1, 5, UINT64_C(5) << 30,
		PROTO_FILE_SIZE_MAX };
	static const uint64_t indexes[] = { 0, 1, 20479, LEAVES_MAX - 1 };
	struct proto_msg m;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof haves / sizeof haves[0]; i++) {
		make_file(&m, PROTO_FILE_ACCEPT);
		m.u.file.have = haves[i];
		n = round_trip(&m, 4096);
		assert_int_equal(n, 1 + PROTO_XFER_ID_LEN + 8);
		check_exact_length(n, 4096);
	}
	put64(encbuf + 1 + PROTO_XFER_ID_LEN, PROTO_FILE_SIZE_MAX + 1);
	check_refused(n, "have 2^62 + 1");
	put64(encbuf + 1 + PROTO_XFER_ID_LEN, UINT64_MAX);
	check_refused(n, "have 2^64 - 1");
	m.u.file.have = PROTO_FILE_SIZE_MAX + 1;
	check_unencodable(&m, "have 2^62 + 1");

	for (i = 0; i < sizeof indexes / sizeof indexes[0]; i++) {
		make_file(&m, PROTO_FILE_REQUEST);
		m.u.file.index = indexes[i];
		n = round_trip(&m, 4096);
		assert_int_equal(n, 1 + PROTO_XFER_ID_LEN + 8);
		check_exact_length(n, 4096);
	}
	/* The largest file has 2^44 leaves: no index reaches 2^44. */
	put64(encbuf + 1 + PROTO_XFER_ID_LEN, LEAVES_MAX);
	check_refused(n, "request index 2^44");
	put64(encbuf + 1 + PROTO_XFER_ID_LEN, UINT64_MAX);
	check_refused(n, "request index 2^64 - 1");
	m.u.file.index = LEAVES_MAX;
	check_unencodable(&m, "request index 2^44");
	m.u.file.index = UINT64_MAX;
	check_unencodable(&m, "request index 2^64 - 1");
}

static void
test_file_cancel_done(void **state)
{
	static const char *texts[] = { "cancelled", "declined", "error",
		"file changed", "unknown transfer", "bad data" };
	struct proto_msg m;
	size_t n;
	int r;

	(void)state;
	assert_int_equal(sizeof texts / sizeof texts[0], PROTO_CANCEL_MAX + 1);
	for (r = 0; r <= PROTO_CANCEL_MAX; r++) {
		make_file(&m, PROTO_FILE_CANCEL);
		m.u.file.reason = (uint8_t)r;
		n = round_trip(&m, 4096);
		assert_int_equal(n, 1 + PROTO_XFER_ID_LEN + 1);
		assert_int_equal(encbuf[n - 1], r);
		check_exact_length(n, 4096);
		assert_string_equal(proto_cancel_text((uint8_t)r), texts[r]);
	}
	n = proto_encode(&m, encbuf, sizeof encbuf);
	for (r = PROTO_CANCEL_MAX + 1; r <= 255; r++) {
		encbuf[n - 1] = (uint8_t)r;
		check_refused(n, "cancel reason");
		m.u.file.reason = (uint8_t)r;
		check_unencodable(&m, "cancel reason");
		assert_string_equal(
		    proto_cancel_text((uint8_t)r), "unknown reason");
	}

	make_file(&m, PROTO_FILE_DONE);
	n = round_trip(&m, 4096);
	assert_int_equal(n, 1 + PROTO_XFER_ID_LEN);
	assert_int_equal(encbuf[0], 0x35);
	assert_memory_equal(encbuf + 1, m.u.file.id, PROTO_XFER_ID_LEN);
	check_exact_length(n, 4096);
}

static void
make_chunk(struct proto_msg *m, uint64_t index, uint32_t offset,
    const uint8_t *proof, uint8_t nproof, const uint8_t *data, size_t len)
{
	make_file(m, PROTO_FILE_CHUNK);
	m->u.file.index = index;
	m->u.file.offset = offset;
	m->u.file.proof = proof;
	m->u.file.nproof = nproof;
	m->u.file.data = data;
	m->u.file.datalen = len;
}

static void
test_file_chunk(void **state)
{
	/* Room left for data in one message with n proof hashes. */
#define ROOM(n) \
	(PROTO_PLAIN_MAX - PROTO_FILE_CHUNK_HDR - (n)*PROTO_FILE_HASHLEN)
	static const struct {
		uint64_t index;
		uint32_t offset;
		uint8_t nproof;
		size_t len;
	} ok[] = {
		{ 0, 0, 0, 1 },
		{ 0, 0, 0, 5 },
		{ 0, 0, 0, ROOM(0) },
		{ 20479, 0, 15, ROOM(15) }, /* 5 GiB: proofs of 15 */
		{ 20479, 0, 15, 32768 },
		{ 7, 32768, 0, 32768 },
		{ 7, PROTO_FILE_LEAF - 32768, 0, 32768 },
		{ 7, PROTO_FILE_LEAF - 1, 0, 1 },
		{ LEAVES_MAX - 1, 0, 44, 32768 },
		{ LEAVES_MAX - 1, 0, PROTO_FILE_PROOF_MAX, ROOM(64) },
	};
	uint8_t *proof, *data;
	struct proto_msg m;
	size_t i, n, hdr;

	(void)state;
	proof = malloc(256 * PROTO_FILE_HASHLEN);
	data = malloc(PROTO_FILE_LEAF + 1);
	assert_non_null(proof);
	assert_non_null(data);
	for (i = 0; i < 256 * PROTO_FILE_HASHLEN; i++)
		proof[i] = (uint8_t)(i * 7 + 3);
	for (i = 0; i < PROTO_FILE_LEAF + 1; i++)
		data[i] = (uint8_t)(i * 13 + i / 256);

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		make_chunk(&m, ok[i].index, ok[i].offset, proof, ok[i].nproof,
		    data, ok[i].len);
		n = round_trip(&m, 4096);
		hdr = PROTO_FILE_CHUNK_HDR +
		    (size_t)ok[i].nproof * PROTO_FILE_HASHLEN;
		assert_int_equal(n, hdr + ok[i].len);
		assert_true(n <= PROTO_PLAIN_MAX);
		/* Without a byte of data it is refused. */
		check_prefixes(hdr, "chunk prefix");
	}

	/*
	 * The largest chunk, a full proof and data sized to fit, is one
	 * frame exactly; a byte more is refused both ways. A 32 KiB piece
	 * with the longest proof fits with room to spare.
	 */
	assert_true(PROTO_FILE_CHUNK_HDR +
	        PROTO_FILE_PROOF_MAX * PROTO_FILE_HASHLEN + 32768 <
	    PROTO_PLAIN_MAX);
	make_chunk(&m, 0, 0, proof, PROTO_FILE_PROOF_MAX, data, ROOM(64));
	n = proto_encode(&m, encbuf, sizeof encbuf);
	assert_int_equal(n, PROTO_PLAIN_MAX);
	encbuf[n] = 0x55;
	check_refused(n + 1, "chunk longer than a frame");
	m.u.file.datalen++;
	check_unencodable(&m, "chunk longer than a frame");
	make_chunk(&m, 0, 0, proof, 0, data, ROOM(0) + 1);
	check_unencodable(&m, "chunk longer than a frame");
	make_chunk(&m, 0, 0, proof, 0, data, PROTO_FILE_LEAF + 1);
	check_unencodable(&m, "chunk longer than its leaf");

	/* Too many proof hashes: 65 (with data after them), and 255. */
	make_chunk(&m, 0, 0, proof, PROTO_FILE_PROOF_MAX, data, 100);
	n = proto_encode(&m, encbuf, sizeof encbuf);
	assert_true(n > 0);
	encbuf[PROTO_FILE_CHUNK_HDR - 1] = PROTO_FILE_PROOF_MAX + 1;
	check_refused(n, "65 proof hashes");
	encbuf[PROTO_FILE_CHUNK_HDR - 1] = 255;
	check_refused(n, "255 proof hashes, too few bytes");
	m.u.file.nproof = PROTO_FILE_PROOF_MAX + 1;
	check_unencodable(&m, "65 proof hashes");
	m.u.file.nproof = 255;
	check_unencodable(&m, "255 proof hashes");

	/* A proof is only in the piece at offset 0. */
	make_chunk(&m, 3, 0, proof, 1, data, 10);
	n = proto_encode(&m, encbuf, sizeof encbuf);
	assert_true(n > 0);
	put32(encbuf + 1 + PROTO_XFER_ID_LEN + 8, 1);
	check_refused(n, "proof at offset 1");
	put32(encbuf + 1 + PROTO_XFER_ID_LEN + 8, 32768);
	check_refused(n, "proof at offset 32768");
	m.u.file.offset = 1;
	check_unencodable(&m, "proof at offset 1");

	/* No data: none after the header, none after the proof. */
	make_chunk(&m, 0, 0, proof, 0, data, 0);
	check_unencodable(&m, "empty chunk");
	make_chunk(&m, 0, 0, proof, 2, data, 0);
	check_unencodable(&m, "empty chunk with a proof");
	make_chunk(&m, 0, 0, proof, 2, data, 1);
	n = proto_encode(&m, encbuf, sizeof encbuf);
	assert_int_equal(n, PROTO_FILE_CHUNK_HDR + 2 * PROTO_FILE_HASHLEN + 1);
	check_refused(n - 1, "empty chunk with a proof");
	make_chunk(&m, 0, 0, NULL, 0, NULL, 1);
	check_unencodable(&m, "NULL data");
	make_chunk(&m, 0, 0, NULL, 1, data, 1);
	check_unencodable(&m, "NULL proof");

	/* Data beyond the end of the leaf, also where offset wraps. */
	make_chunk(&m, 0, PROTO_FILE_LEAF - 11, proof, 0, data, 11);
	n = proto_encode(&m, encbuf, sizeof encbuf);
	assert_true(n > 0);
	put32(encbuf + 1 + PROTO_XFER_ID_LEN + 8, PROTO_FILE_LEAF - 10);
	check_refused(n, "chunk beyond its leaf");
	put32(encbuf + 1 + PROTO_XFER_ID_LEN + 8, PROTO_FILE_LEAF);
	check_refused(n, "chunk at the end of its leaf");
	put32(encbuf + 1 + PROTO_XFER_ID_LEN + 8, UINT32_MAX);
	check_refused(n, "chunk at offset 2^32 - 1");
	put32(encbuf + 1 + PROTO_XFER_ID_LEN + 8, UINT32_MAX - 5);
	check_refused(n, "chunk wrapping around 2^32");
	m.u.file.offset = PROTO_FILE_LEAF - 10;
	check_unencodable(&m, "chunk beyond its leaf");
	m.u.file.offset = UINT32_MAX;
	check_unencodable(&m, "chunk at offset 2^32 - 1");
	make_chunk(&m, 0, 1, proof, 0, data, PROTO_FILE_LEAF);
	check_unencodable(&m, "a whole leaf at offset 1");

	/* Leaf indexes of no file. */
	make_chunk(&m, 0, 0, proof, 0, data, 1);
	n = proto_encode(&m, encbuf, sizeof encbuf);
	assert_true(n > 0);
	put64(encbuf + 1 + PROTO_XFER_ID_LEN, LEAVES_MAX);
	check_refused(n, "chunk index 2^44");
	put64(encbuf + 1 + PROTO_XFER_ID_LEN, UINT64_MAX);
	check_refused(n, "chunk index 2^64 - 1");
	m.u.file.index = LEAVES_MAX;
	check_unencodable(&m, "chunk index 2^44");
	m.u.file.index = UINT64_MAX;
	check_unencodable(&m, "chunk index 2^64 - 1");

	free(proof);
	free(data);
#undef ROOM
}

/* Decode a hex string into out; its length in bytes. */
static size_t
unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;
	unsigned int b;

	for (; hex[0] != '\0'; hex += 2) {
		assert_true(sscanf(hex, "%2x", &b) == 1);
		out[n++] = (uint8_t)b;
	}
	return n;
}

/*
 * The worked example of doc/PROTOCOL.md section 13.5: "a.txt" holding
 * "hello", from the Merkle tree to the bytes of its OFFER and CHUNK.
 */
static void
test_file_bytes(void **state)
{
	static const char leaf_hex[] = "0fe878533b179ea1a48baef2f7bf2a77"
	                               "dda413fc4e5f895721d403798b5bbad1";
	static const char root_hex[] = "1c36e0a1b8500297237e637a0d2355b7"
	                               "1885de894e5a0686dd3c6c947c25f629";
	static const char offer_hex[] =
	    "30"
	    "000102030405060708090a0b0c0d0e0f"
	    "0000000000000005"
	    "1c36e0a1b8500297237e637a0d2355b71885de894e5a0686dd3c6c947c25f629"
	    "612e747874";
	static const char chunk_hex[] = "34"
	                                "000102030405060708090a0b0c0d0e0f"
	                                "0000000000000000"
	                                "00000000"
	                                "00"
	                                "68656c6c6f";
	static const char chunk2_hex[] =
	    "34"
	    "000102030405060708090a0b0c0d0e0f"
	    "0000000000000002"
	    "00000000"
	    "01"
	    "196af434ed2ff88c9548786aea61e37c51974f4f1c2b767f7b60619979b11f8a"
	    "00";
	static const char root2_hex[] = "c0d1f8fd14c6b1c4dcf19f752bb695ec"
	                                "15bc579728220d9e9ca211d225774a71";
	uint8_t leaf[MERKLE_HASHLEN], root[MERKLE_HASHLEN], want[128], *copy;
	struct proto_msg m;
	const char *why;
	size_t i, n;

	(void)state;
	merkle_leaf_hash(0, "hello", 5, leaf);
	assert_int_equal(unhex(leaf_hex, want), MERKLE_HASHLEN);
	assert_memory_equal(leaf, want, MERKLE_HASHLEN);
	assert_int_equal(
	    merkle_root((const uint8_t(*)[MERKLE_HASHLEN])leaf, 1, 5, root), 0);
	assert_int_equal(unhex(root_hex, want), MERKLE_HASHLEN);
	assert_memory_equal(root, want, MERKLE_HASHLEN);
	assert_true(merkle_verify_chunk(root, 5, 0, "hello", 5, NULL, 0));

	make_file(&m, PROTO_FILE_OFFER);
	for (i = 0; i < PROTO_XFER_ID_LEN; i++)
		m.u.file.id[i] = (uint8_t)i;
	m.u.file.size = 5;
	memcpy(m.u.file.root, root, PROTO_FILE_HASHLEN);
	m.u.file.name = "a.txt";
	m.u.file.namelen = 5;
	n = unhex(offer_hex, want);
	assert_int_equal(n, 62);
	assert_int_equal(proto_encode(&m, encbuf, sizeof encbuf), n);
	assert_memory_equal(encbuf, want, n);
	round_trip(&m, 4096);

	m.type = PROTO_FILE_CHUNK;
	m.u.file.index = 0;
	m.u.file.offset = 0;
	m.u.file.proof = NULL;
	m.u.file.nproof = 0;
	m.u.file.data = (const uint8_t *)"hello";
	m.u.file.datalen = 5;
	n = unhex(chunk_hex, want);
	assert_int_equal(n, 35);
	assert_int_equal(proto_encode(&m, encbuf, sizeof encbuf), n);
	assert_memory_equal(encbuf, want, n);
	round_trip(&m, 4096);

	/*
	 * 2 * 256 KiB + 1 zero bytes: three leaves, the last promoted at
	 * the first level, so its proof is the one node over leaves 0 and 1.
	 */
	n = unhex(chunk2_hex, want);
	assert_int_equal(n, 63);
	/* The copy stays: m points into it until it is encoded again. */
	assert_int_equal(decode_copy(want, n, 4096, &m, &copy, &why), 0);
	assert_int_equal(m.type, PROTO_FILE_CHUNK);
	assert_true(m.u.file.index == 2);
	assert_int_equal(m.u.file.offset, 0);
	assert_int_equal(m.u.file.nproof, 1);
	assert_int_equal(m.u.file.datalen, 1);
	assert_int_equal(unhex(root2_hex, root), MERKLE_HASHLEN);
	assert_int_equal(merkle_proof_len(2 * MERKLE_LEAF + 1, 2), 1);
	/* The decoded proof and data verify against the root. */
	assert_true(merkle_verify_chunk(root, 2 * MERKLE_LEAF + 1, 2,
	    m.u.file.data, m.u.file.datalen,
	    (const uint8_t(*)[MERKLE_HASHLEN])m.u.file.proof, m.u.file.nproof));
	assert_false(merkle_verify_chunk(root, 2 * MERKLE_LEAF + 1, 2,
	    m.u.file.data, m.u.file.datalen,
	    (const uint8_t(*)[MERKLE_HASHLEN])m.u.file.proof, 0));
	assert_int_equal(proto_encode(&m, encbuf, sizeof encbuf), n);
	assert_memory_equal(encbuf, want, n);
	free(copy);
}

static void
test_unknown_types(void **state)
{
	uint8_t msg[64];
	struct proto_msg m;
	const char *why;
	size_t len;
	int t;

	(void)state;
	memset(msg, 0, sizeof msg);
	for (t = 0; t < 256; t++) {
		msg[0] = (uint8_t)t;
		if (t == PROTO_HELLO || t == PROTO_PING || t == PROTO_PONG ||
		    t == PROTO_BYE || t == PROTO_NICK || t == PROTO_CHAT ||
		    t == PROTO_ACK || t == PROTO_FLIP_COMMIT ||
		    t == PROTO_FLIP_RESPONSE || t == PROTO_FLIP_REVEAL ||
		    (t >= PROTO_FILE_OFFER && t <= PROTO_FILE_DONE))
			continue; /* known: test_proto and test_flip cover them
			           */
		for (len = 1; len < sizeof msg; len += 7) {
			int r = decode_copy(msg, len, 4096, &m, NULL, &why);

			/* Rooms and the swarm pass whole, for
			 * room_proto.c and swarm_proto.c. */
			if ((t >= PROTO_ROOM_FIRST && t <= PROTO_ROOM_LAST) ||
			    (t >= PROTO_SWARM_FIRST && t <= PROTO_SWARM_LAST)) {
				if (r != 0 || m.type != t || m.u.raw.len != len)
					fail_msg(
					    "room type 0x%02x not passed", t);
				continue;
			}

			if (t < PROTO_EXTENSION && r != -1)
				fail_msg("type 0x%02x accepted", t);
			if (t >= PROTO_EXTENSION && (r != 0 || m.type != 0))
				fail_msg("extension 0x%02x: %d type %u", t, r,
				    m.type);
		}
	}
	/* Nothing at all is not a message. */
	assert_int_equal(decode_copy(msg, 0, 4096, &m, NULL, &why), -1);
	/* Types the encoder does not know. */
	memset(&m, 0, sizeof m);
	assert_int_equal(proto_encode(&m, encbuf, sizeof encbuf), 0);
	m.type = 0x80;
	assert_int_equal(proto_encode(&m, encbuf, sizeof encbuf), 0);
	m.type = 0x06;
	assert_int_equal(proto_encode(&m, encbuf, sizeof encbuf), 0);
}

static void
test_frame_next(void **state)
{
	uint8_t *data;
	const uint8_t *body;
	size_t len, n;

	(void)state;
	data = malloc(2 + PROTO_FRAME_MAX + 3);
	assert_non_null(data);
	body = NULL;
	len = 12345;
	assert_int_equal(proto_frame_next(data, 0, &body, &len), 0);
	data[0] = 0x00;
	assert_int_equal(proto_frame_next(data, 1, &body, &len), 0);
	data[0] = 0xff;
	assert_int_equal(proto_frame_next(data, 1, &body, &len), 0);
	/* Untouched while incomplete. */
	assert_null(body);
	assert_int_equal(len, 12345);

	/* A zero-length frame is never valid. */
	data[0] = data[1] = 0;
	assert_int_equal(proto_frame_next(data, 2, &body, &len), -1);
	assert_int_equal(proto_frame_next(data, 10, &body, &len), -1);

	/* 0x0105 = 261 bytes, big-endian. */
	proto_frame_header(data, 261);
	assert_int_equal(data[0], 0x01);
	assert_int_equal(data[1], 0x05);
	for (n = 0; n < 261 + 3; n++)
		data[2 + n] = (uint8_t)n;
	for (n = 2; n < 2 + 261; n++)
		assert_int_equal(proto_frame_next(data, n, &body, &len), 0);
	assert_int_equal(proto_frame_next(data, 2 + 261, &body, &len), 1);
	assert_ptr_equal(body, data + 2);
	assert_int_equal(len, 261);
	/* More after it belongs to the next frame. */
	body = NULL;
	assert_int_equal(proto_frame_next(data, 2 + 261 + 3, &body, &len), 1);
	assert_ptr_equal(body, data + 2);
	assert_int_equal(len, 261);

	/* Smallest and largest. */
	proto_frame_header(data, 1);
	assert_int_equal(data[0], 0);
	assert_int_equal(data[1], 1);
	assert_int_equal(proto_frame_next(data, 2, &body, &len), 0);
	assert_int_equal(proto_frame_next(data, 3, &body, &len), 1);
	assert_int_equal(len, 1);
	proto_frame_header(data, PROTO_FRAME_MAX);
	assert_int_equal(data[0], 0xff);
	assert_int_equal(data[1], 0xff);
	assert_int_equal(
	    proto_frame_next(data, 1 + PROTO_FRAME_MAX, &body, &len), 0);
	assert_int_equal(
	    proto_frame_next(data, 2 + PROTO_FRAME_MAX, &body, &len), 1);
	assert_int_equal(len, PROTO_FRAME_MAX);
	free(data);
}

/* A stream of frames split at every point comes out the same. */
static void
test_frame_stream(void **state)
{
	uint8_t stream[64], *p;
	const uint8_t *body;
	size_t sizes[] = { 1, 5, 2, 17 }, i, off, avail, len, got;
	int r;

	(void)state;
	p = stream;
	for (i = 0; i < 4; i++) {
		proto_frame_header(p, sizes[i]);
		memset(p + 2, (int)('a' + i), sizes[i]);
		p += 2 + sizes[i];
	}
	for (avail = 0; avail <= (size_t)(p - stream); avail++) {
		off = 0;
		got = 0;
		while ((r = proto_frame_next(
		            stream + off, avail - off, &body, &len)) == 1) {
			assert_int_equal(len, sizes[got]);
			assert_int_equal(body[0], 'a' + got);
			assert_int_equal(body[len - 1], 'a' + got);
			off += 2 + len;
			got++;
		}
		assert_int_equal(r, 0);
		/* Exactly the frames that are complete within avail. */
		for (i = 0, len = 0; i < 4 && len + 2 + sizes[i] <= avail; i++)
			len += 2 + sizes[i];
		assert_int_equal(got, i);
		assert_int_equal(off, len);
	}
}

static void
test_hs_payload(void **state)
{
	static const uint8_t want[] = { 0x00, PROTO_VERSION, 0, 0, 0,
		PROTO_CAP_PEER | PROTO_CAP_TEXT | PROTO_CAP_ROOM |
		    PROTO_CAP_SWARM };
	uint8_t p[PROTO_HS_PAYLOAD_LEN + 1], *copy;
	uint16_t version;
	uint32_t caps;
	size_t len;

	(void)state;
	memset(p, 0xee, sizeof p);
	proto_hs_payload_encode(p);
	assert_memory_equal(p, want, sizeof want);
	assert_int_equal(p[PROTO_HS_PAYLOAD_LEN], 0xee);
	assert_int_equal(proto_hs_payload_decode(p, 6, &version, &caps), 0);
	assert_int_equal(version, PROTO_VERSION);
	assert_int_equal(caps, PROTO_CAPS);

	/* Exactly 6 bytes. */
	for (len = 0; len <= sizeof p; len++) {
		if (len == PROTO_HS_PAYLOAD_LEN)
			continue;
		copy = malloc(len != 0 ? len : 1);
		assert_non_null(copy);
		memcpy(copy, p, len);
		assert_int_equal(
		    proto_hs_payload_decode(copy, len, &version, &caps), -1);
		free(copy);
	}
	/* Version 0 is refused; later versions and capabilities pass. */
	p[0] = p[1] = 0;
	assert_int_equal(proto_hs_payload_decode(p, 6, &version, &caps), -1);
	p[0] = 0x12;
	p[1] = 0x34;
	p[2] = 0x89;
	p[3] = 0xab;
	p[4] = 0xcd;
	p[5] = 0xef;
	assert_int_equal(proto_hs_payload_decode(p, 6, &version, &caps), 0);
	assert_int_equal(version, 0x1234);
	assert_int_equal(caps, 0x89abcdefu);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_hello_bytes),
		cmocka_unit_test(test_hello_bad),
		cmocka_unit_test(test_hello_listen),
		cmocka_unit_test(test_nick),
		cmocka_unit_test(test_ping_pong),
		cmocka_unit_test(test_bye),
		cmocka_unit_test(test_chat),
		cmocka_unit_test(test_chat_bytes),
		cmocka_unit_test(test_chat_bad),
		cmocka_unit_test(test_ack),
		cmocka_unit_test(test_file_offer),
		cmocka_unit_test(test_file_accept_request),
		cmocka_unit_test(test_file_cancel_done),
		cmocka_unit_test(test_file_chunk),
		cmocka_unit_test(test_file_bytes),
		cmocka_unit_test(test_unknown_types),
		cmocka_unit_test(test_frame_next),
		cmocka_unit_test(test_frame_stream),
		cmocka_unit_test(test_hs_payload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
