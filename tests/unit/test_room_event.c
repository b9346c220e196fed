/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for src/room_event.c: round trips of every kind, every
 * rejection of the header and the bodies, forged signatures, wrong
 * keys, sealing secrets at rest, and the worked examples of
 * doc/PROTOCOL.md section 14.8, which must appear there byte for byte
 * (ROOM_DOC_PRINT=1 prints them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "room_event.h"
#include "room_proto.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static uint8_t room[ROOM_IDLEN], salt[ROOM_SALTLEN], key[ROOM_KEYLEN],
    pk[ROOM_KEYLEN], sk[ROOM_SKLEN], pk2[ROOM_KEYLEN], sk2[ROOM_SKLEN];

static void
fill(uint8_t *p, size_t n, uint8_t start)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(start + i);
}

static int
setup(void **state)
{
	uint8_t seed[32];

	(void)state;
	fill(key, sizeof key, 0x40);
	fill(seed, sizeof seed, 0x00);
	room_keypair(pk, sk, seed);
	fill(salt, sizeof salt, 0xa0);
	room_id_derive(pk, salt, room);
	fill(seed, sizeof seed, 0x20);
	room_keypair(pk2, sk2, seed);
	return 0;
}

/* A header for a MSG after one parent. */
static void
header(struct room_event *ev, uint8_t kind)
{
	memset(ev, 0, sizeof *ev);
	ev->kind = kind;
	memcpy(ev->room, room, ROOM_IDLEN);
	memcpy(ev->author, pk, ROOM_KEYLEN);
	ev->time_ms = 1700000000000;
	if (kind == ROOM_CREATE) {
		ev->seq = ev->lamport = 1;
		return;
	}
	ev->seq = 2;
	ev->lamport = 2;
	ev->nparents = 1;
	memset(ev->parents[0], 0xaa, ROOM_HASHLEN);
}

static size_t
make(struct room_event *ev, const uint8_t *plain, size_t n, uint8_t *out)
{
	size_t len =
	    room_event_encode(ev, plain, n, key, sk, NULL, out, ROOM_EVENT_MAX);

	assert_int_not_equal(len, 0);
	return len;
}

/* Decode must refuse raw (len bytes) with a reason. */
static void
refuse(const uint8_t *raw, size_t len)
{
	struct room_event ev;
	const char *why = NULL;

	assert_int_equal(room_event_decode(raw, len, &ev, &why), -1);
	assert_non_null(why);
}

static void
test_roundtrip(void **state)
{
	static uint8_t out[ROOM_EVENT_MAX], plain[ROOM_EVENT_MAX];
	struct room_event ev, got;
	struct room_body b, bb;
	const char *why;
	size_t len, n, pn;
	uint8_t kind;

	(void)state;
	for (kind = ROOM_CREATE; kind <= ROOM_KIND_MAX; kind++) {
		memset(&b, 0, sizeof b);
		b.kind = kind;
		strcpy(b.name, "home");
		strcpy(b.member.nick, "bob");
		fill(b.member.e, ROOM_KEYLEN, 1);
		fill(b.member.noise, ROOM_KEYLEN, 2);
		b.member.addrlen = 6;
		memcpy(b.member.addr, "\x1b\x9e\xc0\x00\x02\x07", 6);
		fill(b.commit, ROOM_KEYLEN, 3);
		fill(b.who, ROOM_KEYLEN, 4);
		b.last = 7;
		b.epoch = 1;
		b.text = (const uint8_t *)"hi\nthere";
		b.len = kind == ROOM_TOPIC ? 2 : 8;
		b.size = 12345;
		assert_int_equal(
		    room_body_encode(&b, plain, sizeof plain, &n), 0);
		header(&ev, kind);
		len = make(&ev, plain, n, out);
		assert_int_equal(room_event_decode(out, len, &got, &why), 0);
		assert_memory_equal(got.id, ev.id, ROOM_HASHLEN);
		assert_int_equal(got.kind, kind);
		assert_int_equal(got.seq, ev.seq);
		assert_int_equal(got.time_ms, ev.time_ms);
		assert_int_equal(got.bodylen, n + ROOM_SEALLEN);
		assert_int_equal(
		    room_event_open(&got, out, key, plain + 8192, &pn), 0);
		assert_int_equal(pn, n);
		assert_int_equal(
		    room_body_decode(kind, plain + 8192, pn, &bb, &why), 0);
		if (kind == ROOM_ADD) {
			assert_memory_equal(bb.member.e, b.member.e, 32);
			assert_string_equal(bb.member.nick, "bob");
			assert_int_equal(bb.member.addrlen, 6);
		}
		if (kind == ROOM_CREATE)
			assert_string_equal(bb.name, "home");
		if (kind == ROOM_MSG || kind == ROOM_FILE)
			assert_memory_equal(bb.text, "hi\nthere", 8);
		if (kind == ROOM_FILE)
			assert_int_equal(bb.size, 12345);
		if (kind == ROOM_REMOVE)
			assert_int_equal(bb.last, 7);
		/* Bodies have one form: trailing bytes are refused. */
		plain[n] = 0;
		if (kind != ROOM_MSG && kind != ROOM_TOPIC && kind != ROOM_FILE)
			assert_int_equal(
			    room_body_decode(kind, plain, n + 1, &bb, &why),
			    -1);
	}
}

/* ev with the body "x", into out (ROOM_EVENT_MAX bytes). */
static size_t
encode_x(struct room_event *ev, uint8_t *out)
{
	return room_event_encode(
	    ev, (const uint8_t *)"x", 1, key, sk, NULL, out, ROOM_EVENT_MAX);
}

static void
test_header_rules(void **state)
{
	static uint8_t out[ROOM_EVENT_MAX];
	struct room_event ev;
	size_t len;
	unsigned i;

	(void)state;
	header(&ev, ROOM_MSG);
	len = make(&ev, (const uint8_t *)"x", 1, out);

	/* Truncated, or with a byte more: the signature or a length. */
	for (i = 0; i < len; i += 7)
		refuse(out, i);
	refuse(out, len - 1);
	out[len] = 0;
	refuse(out, len + 1);
	/* Every byte of the event is covered by the signature. */
	for (i = 0; i < len; i++) {
		out[i] ^= 0x01;
		refuse(out, len);
		out[i] ^= 0x01;
	}

	/* The encoder refuses what the decoder would. */
	header(&ev, ROOM_MSG);
	ev.kind = 0;
	assert_int_equal(encode_x(&ev, out), 0);
	ev.kind = ROOM_KIND_MAX + 1;
	assert_int_equal(encode_x(&ev, out), 0);
	header(&ev, ROOM_MSG);
	ev.nparents = 0;
	assert_int_equal(encode_x(&ev, out), 0);
	ev.nparents = ROOM_PARENTS_MAX + 1;
	assert_int_equal(encode_x(&ev, out), 0);
	header(&ev, ROOM_MSG);
	ev.nparents = 2; /* two equal parents */
	memset(ev.parents[1], 0xaa, ROOM_HASHLEN);
	assert_int_equal(encode_x(&ev, out), 0);
	memset(ev.parents[1], 0x01, ROOM_HASHLEN); /* out of order */
	assert_int_equal(encode_x(&ev, out), 0);
	memset(ev.parents[1], 0xbb, ROOM_HASHLEN); /* in order: fine */
	assert_int_not_equal(encode_x(&ev, out), 0);
	header(&ev, ROOM_MSG);
	ev.seq = 0;
	assert_int_equal(encode_x(&ev, out), 0);
	header(&ev, ROOM_MSG);
	ev.lamport = 1;
	assert_int_equal(encode_x(&ev, out), 0);
	header(&ev, ROOM_MSG);
	ev.seq = ROOM_SEQ_MAX;
	assert_int_equal(encode_x(&ev, out), 0);
	header(&ev, ROOM_CREATE);
	ev.epoch = 1;
	assert_int_equal(encode_x(&ev, out), 0);
	header(&ev, ROOM_CREATE);
	ev.nparents = 1;
	assert_int_equal(encode_x(&ev, out), 0);
	header(&ev, ROOM_CREATE);
	ev.seq = 2;
	assert_int_equal(encode_x(&ev, out), 0);
	/* Too long for an event, or for cap. */
	header(&ev, ROOM_MSG);
	assert_int_equal(room_event_encode(&ev, out, ROOM_PLAIN_MAX + 1, key,
	                     sk, NULL, out, sizeof out),
	    0);
	assert_int_equal(room_event_encode(&ev, (const uint8_t *)"x", 1, key,
	                     sk, NULL, out, ROOM_EVENT_MIN),
	    0);
}

/* Fields the decoder refuses before it looks at the signature. */
static void
test_structure(void **state)
{
	static uint8_t out[ROOM_EVENT_MAX];
	struct room_event ev;
	size_t len;

	(void)state;
	header(&ev, ROOM_MSG);
	len = make(&ev, (const uint8_t *)"x", 1, out);
	out[0] = 2; /* version */
	refuse(out, len);
	out[0] = 1;
	out[78] = 9; /* nparents beyond 8 */
	refuse(out, len);
	out[78] = 0; /* a MSG without parents */
	refuse(out, len);
}

static void
test_forgery(void **state)
{
	static uint8_t out[ROOM_EVENT_MAX];
	struct room_event ev, got;
	const char *why;
	size_t len;

	(void)state;
	/* Signed by another key than the author's. */
	header(&ev, ROOM_MSG);
	len = room_event_encode(
	    &ev, (const uint8_t *)"x", 1, key, sk2, NULL, out, sizeof out);
	assert_int_not_equal(len, 0);
	refuse(out, len);
	/* The other key's own event verifies, as its author. */
	memcpy(ev.author, pk2, ROOM_KEYLEN);
	len = room_event_encode(
	    &ev, (const uint8_t *)"x", 1, key, sk2, NULL, out, sizeof out);
	assert_int_equal(room_event_decode(out, len, &got, &why), 0);
	/* A zero signature, an all-zero author. */
	memset(out + len - ROOM_SIGLEN, 0, ROOM_SIGLEN);
	refuse(out, len);
	/* Parsing (for what this node stored itself) skips only that. */
	assert_int_equal(room_event_parse(out, len, &got, &why), 0);
	out[0] = 2;
	assert_int_equal(room_event_parse(out, len, &got, &why), -1);
	out[0] = 1;
	memset(out + 22, 0, ROOM_KEYLEN);
	refuse(out, len);
}

static void
test_open(void **state)
{
	static uint8_t out[ROOM_EVENT_MAX], plain[ROOM_EVENT_MAX];
	uint8_t other[ROOM_KEYLEN];
	struct room_event ev, got;
	const char *why;
	size_t len, n;

	(void)state;
	header(&ev, ROOM_MSG);
	len = make(&ev, (const uint8_t *)"secret", 6, out);
	assert_int_equal(room_event_decode(out, len, &got, &why), 0);
	memcpy(other, key, sizeof other);
	other[0] ^= 1;
	assert_int_equal(room_event_open(&got, out, other, plain, &n), -1);
	assert_int_equal(room_event_open(&got, out, key, plain, &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(plain, "secret", 6);
	/* The ciphertext does not contain the text. */
	assert_null(memmem(out, len, "secret", 6));
}

static void
test_bodies(void **state)
{
	static const struct {
		uint8_t kind;
		const char *hex;
	} bad[] = {
		{ ROOM_CREATE, "" },
		{ ROOM_CREATE, "02" }, /* unknown flag */
		{ ROOM_CREATE, "0000" }, /* empty name */
		{ ROOM_CREATE, "000141" }, /* no commit */
		{ ROOM_ADD, "00" },
		{ ROOM_LEAVE, "00" },
		{ ROOM_REMOVE, "00" },
		{ ROOM_REKEY, "00000001" },
		{ ROOM_MSG, "" },
		{ ROOM_MSG, "0d" }, /* CR */
		{ ROOM_MSG, "ff" }, /* not UTF-8 */
		{ ROOM_TOPIC, "0a" }, /* a line feed in a topic */
		{ ROOM_FILE, "00" },
		{ 0, "" },
		{ 9, "" },
	};
	uint8_t buf[256], plain[256];
	struct room_body b;
	const char *why;
	size_t i, j, n;
	unsigned v;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		n = strlen(bad[i].hex) / 2;
		for (j = 0; j < n; j++) {
			sscanf(bad[i].hex + 2 * j, "%2x", &v);
			buf[j] = (uint8_t)v;
		}
		assert_int_equal(
		    room_body_decode(bad[i].kind, buf, n, &b, &why), -1);
		assert_non_null(why);
	}

	/* ADD: addresses of 0, 2, 6 and 18 bytes, and no other; port 0
	 * refused. A nick of 33 bytes refused. */
	memset(&b, 0, sizeof b);
	b.kind = ROOM_ADD;
	for (j = 0; j <= ROOM_ADDR_MAX; j++) {
		b.member.addrlen = (uint8_t)j;
		memset(b.member.addr, 1, sizeof b.member.addr);
		assert_int_equal(room_body_encode(&b, plain, sizeof plain, &n),
		    j == 0 || j == 2 || j == 6 || j == 18 ? 0 : -1);
	}
	b.member.addrlen = 2;
	memset(b.member.addr, 0, 2);
	assert_int_equal(room_body_encode(&b, plain, sizeof plain, &n), -1);
	b.member.addrlen = 0;
	memset(b.member.nick, 'a', ROOM_NICK_MAX);
	assert_int_equal(room_body_encode(&b, plain, sizeof plain, &n), 0);
	assert_int_equal(n, 32 + 32 + 1 + 32 + 1);
	plain[64] = 33;
	assert_int_equal(room_body_decode(ROOM_ADD, plain, n, &b, &why), -1);
	/* Too small a buffer. */
	assert_int_equal(room_body_encode(&b, plain, 40, &n), -1);

	/* REMOVE and FILE ranges. */
	memset(&b, 0, sizeof b);
	b.kind = ROOM_REMOVE;
	b.last = ROOM_SEQ_MAX;
	assert_int_equal(room_body_encode(&b, plain, sizeof plain, &n), -1);
	b.kind = ROOM_FILE;
	b.text = (const uint8_t *)"a\0b";
	b.len = 3;
	assert_int_equal(room_body_encode(&b, plain, sizeof plain, &n), -1);
	b.len = 1;
	b.size = ROOM_FILE_SIZE_MAX + 1;
	assert_int_equal(room_body_encode(&b, plain, sizeof plain, &n), -1);
	b.size = ROOM_FILE_SIZE_MAX;
	assert_int_equal(room_body_encode(&b, plain, sizeof plain, &n), 0);
	b.len = 0;
	assert_int_equal(room_body_encode(&b, plain, sizeof plain, &n), -1);
	/* TOPIC: empty is allowed (clears it), 257 bytes are not. */
	b.kind = ROOM_TOPIC;
	b.text = (const uint8_t *)"";
	b.len = 0;
	assert_int_equal(room_body_encode(&b, plain, sizeof plain, &n), 0);
	assert_int_equal(n, 0);
	memset(buf, 'a', sizeof buf);
	b.text = buf;
	b.len = ROOM_TOPIC_MAX + 1;
	assert_int_equal(room_body_encode(&b, plain, sizeof plain, &n), -1);
}

static void
test_seal(void **state)
{
	uint8_t wrap[ROOM_KEYLEN], other[ROOM_KEYLEN], out[ROOM_KEYLEN];
	uint8_t sealed[ROOM_KEYLEN + ROOM_SEALLEN];
	uint8_t ident[32];

	(void)state;
	memset(ident, 7, sizeof ident);
	room_wrap_key(ident, sizeof ident, wrap);
	ident[0] = 8;
	room_wrap_key(ident, sizeof ident, other);
	assert_memory_not_equal(wrap, other, ROOM_KEYLEN);
	room_seal(wrap, "epoch key", key, ROOM_KEYLEN, sealed);
	assert_int_equal(
	    room_unseal(wrap, "epoch key", sealed, sizeof sealed, out), 0);
	assert_memory_equal(out, key, ROOM_KEYLEN);
	assert_int_equal(
	    room_unseal(other, "epoch key", sealed, sizeof sealed, out), -1);
	assert_int_equal(
	    room_unseal(wrap, "prs", sealed, sizeof sealed, out), -1);
	assert_int_equal(room_unseal(wrap, "epoch key", sealed, 10, out), -1);
}

/* --- the worked examples of doc/PROTOCOL.md ------------------------ */

static char *doc;

static void
hex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* The example must be in the document (whitespace ignored there). */
static void
in_doc(const char *what, const uint8_t *p, size_t n)
{
	char *h = malloc(2 * n + 1);

	assert_non_null(h);
	hex(p, n, h);
	if (getenv("ROOM_DOC_PRINT") != NULL)
		printf("%s (%zu bytes):\n%s\n", what, n, h);
	else if (strstr(doc, h) == NULL)
		fail_msg("doc/PROTOCOL.md lacks the example %s: %s", what, h);
	free(h);
}

static void
load_doc(void)
{
	FILE *f;
	const char *dir = getenv("top_srcdir");
	char path[4096];
	size_t n = 0, w = 0, i;
	int c;

	snprintf(path, sizeof path, "%s/doc/PROTOCOL.md",
	    dir != NULL ? dir : TOP_SRCDIR);
	f = fopen(path, "r");
	assert_non_null(f);
	doc = malloc(1 << 20);
	assert_non_null(doc);
	while ((c = fgetc(f)) != EOF && n < (1 << 20) - 1)
		doc[n++] = (char)c;
	fclose(f);
	/* Drop whitespace, so long examples may wrap. */
	for (i = 0; i < n; i++)
		if (doc[i] != ' ' && doc[i] != '\n' && doc[i] != '\t')
			doc[w++] = doc[i];
	doc[w] = '\0';
}

static void
test_doc_examples(void **state)
{
	static uint8_t create[ROOM_EVENT_MAX], msg[ROOM_EVENT_MAX], plain[1024],
	    wire[4096];
	uint8_t nonce[ROOM_NONCELEN], noise[ROOM_KEYLEN];
	struct room_event ev, c;
	struct room_body b;
	struct room_msg m;
	const char *why;
	size_t clen, mlen, n;

	(void)state;
	load_doc();
	fill(noise, sizeof noise, 0x80);

	/* CREATE of "home" by alice, epoch 0 key 40..5f, nonce 60..77. */
	memset(&b, 0, sizeof b);
	b.kind = ROOM_CREATE;
	b.flags = ROOM_CREATE_PASSWORD;
	strcpy(b.name, "home");
	memcpy(b.salt, salt, ROOM_SALTLEN);
	room_key_commit(room, 0, key, b.commit);
	memcpy(b.member.noise, noise, ROOM_KEYLEN);
	strcpy(b.member.nick, "alice");
	b.member.addrlen = 2;
	memcpy(b.member.addr, "\x1b\x9e", 2);
	assert_int_equal(room_body_encode(&b, plain, sizeof plain, &n), 0);
	in_doc("room id", room, ROOM_IDLEN);
	in_doc("epoch 0 commitment", b.commit, ROOM_KEYLEN);
	in_doc("CREATE body", plain, n);
	header(&ev, ROOM_CREATE);
	fill(nonce, sizeof nonce, 0x60);
	clen = room_event_encode(
	    &ev, plain, n, key, sk, nonce, create, sizeof create);
	assert_int_not_equal(clen, 0);
	in_doc("author E", pk, ROOM_KEYLEN);
	in_doc("CREATE event", create, clen);
	in_doc("CREATE id", ev.id, ROOM_HASHLEN);

	/* MSG "hi" after it, nonce 78..8f, one second later. */
	memset(&b, 0, sizeof b);
	b.kind = ROOM_MSG;
	b.text = (const uint8_t *)"hi";
	b.len = 2;
	assert_int_equal(room_body_encode(&b, plain, sizeof plain, &n), 0);
	assert_int_equal(room_event_decode(create, clen, &c, &why), 0);
	header(&ev, ROOM_MSG);
	memcpy(ev.parents[0], c.id, ROOM_HASHLEN);
	ev.time_ms += 1000;
	fill(nonce, sizeof nonce, 0x78);
	mlen =
	    room_event_encode(&ev, plain, n, key, sk, nonce, msg, sizeof msg);
	assert_int_not_equal(mlen, 0);
	in_doc("MSG event", msg, mlen);
	in_doc("MSG id", ev.id, ROOM_HASHLEN);

	/* SYNC with V = {alice: 2}, then DIGEST of it. */
	memset(&m, 0, offsetof(struct room_msg, v));
	m.type = ROOM_MSG_SYNC;
	memcpy(m.room, room, ROOM_IDLEN);
	m.nv = 1;
	memcpy(m.v[0].prefix, pk, ROOM_PREFIXLEN);
	m.v[0].seq = 2;
	n = room_proto_encode(&m, wire, sizeof wire);
	assert_int_not_equal(n, 0);
	in_doc("SYNC", wire, n);
	m.type = ROOM_MSG_DIGEST;
	room_proto_digest(m.v, m.nv, m.digest);
	n = room_proto_encode(&m, wire, sizeof wire);
	in_doc("DIGEST", wire, n);
	/* WANT for the MSG, KEY_WANT for epoch 1, DENIED(password). */
	m.type = ROOM_MSG_WANT;
	m.n = 1;
	m.data = ev.id;
	n = room_proto_encode(&m, wire, sizeof wire);
	in_doc("WANT", wire, n);
	m.type = ROOM_MSG_KEY_WANT;
	m.epoch = 1;
	n = room_proto_encode(&m, wire, sizeof wire);
	in_doc("KEY_WANT", wire, n);
	m.type = ROOM_MSG_DENIED;
	m.reason = ROOM_DENIED_PASSWORD;
	n = room_proto_encode(&m, wire, sizeof wire);
	in_doc("DENIED", wire, n);
	free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_header_rules),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_forgery),
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_seal),
		cmocka_unit_test(test_doc_examples),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
