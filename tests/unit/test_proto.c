/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the wire format (src/proto.c): frames, the handshake
 * payload and every message type. Round trips alone would not see a
 * byte-order mistake made the same way on both sides, so the exact bytes
 * of each type are checked too. Inputs to the decoder are exactly sized
 * heap copies, so an over-read shows up under AddressSanitizer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

#define BIG (1 + PROTO_ID_LEN + 16 + PROTO_TEXT_MAX + 64)
#define CHAT_HDR (1 + PROTO_ID_LEN + 16)

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
	assert_int_equal(a->type, b->type);
	switch (a->type) {
	case PROTO_HELLO:
		assert_int_equal(a->u.hello.version, b->u.hello.version);
		assert_int_equal(a->u.hello.caps, b->u.hello.caps);
		assert_string_equal(a->u.hello.nick, b->u.hello.nick);
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
		{ "line\nbreak", 10 },
		{ "\r", 1 },
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
		    t == PROTO_BYE || t == PROTO_CHAT || t == PROTO_ACK ||
		    t == PROTO_FLIP_COMMIT || t == PROTO_FLIP_RESPONSE ||
		    t == PROTO_FLIP_REVEAL)
			continue; /* known: test_proto and test_flip cover them
			           */
		for (len = 1; len < sizeof msg; len += 7) {
			int r = decode_copy(msg, len, 4096, &m, NULL, &why);

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
	m.type = 0x05;
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
	static const uint8_t want[] = { 0x00, PROTO_VERSION, 0, 0, 0, 0 };
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
	assert_int_equal(caps, 0);

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
		cmocka_unit_test(test_ping_pong),
		cmocka_unit_test(test_bye),
		cmocka_unit_test(test_chat),
		cmocka_unit_test(test_chat_bytes),
		cmocka_unit_test(test_chat_bad),
		cmocka_unit_test(test_ack),
		cmocka_unit_test(test_unknown_types),
		cmocka_unit_test(test_frame_next),
		cmocka_unit_test(test_frame_stream),
		cmocka_unit_test(test_hs_payload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
