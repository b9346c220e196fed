/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for src/noise.c: round trips, tampering, turn order, bad
 * public keys, nonce exhaustion, rekeying, psk modifiers, protocol name
 * parsing and size limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "noise.h"

#define XX "Noise_XX_25519_ChaChaPoly_BLAKE2b"

static uint8_t msgbuf[NOISE_MAX_MSG + 64];
static uint8_t paybuf[NOISE_MAX_MSG + 64];

/* Low-order (or equivalent non-canonical) X25519 public keys. */
static const uint8_t low_order[][NOISE_KEYLEN] = {
	{ 0 },
	{ 1 },
	{ 0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
	    0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
	    0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00 },
	{ 0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1,
	    0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c,
	    0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57 },
	{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	{ 0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	{ 0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
};

struct keys {
	uint8_t is[NOISE_KEYLEN], ip[NOISE_KEYLEN]; /* initiator */
	uint8_t rs[NOISE_KEYLEN], rp[NOISE_KEYLEN]; /* responder */
	uint8_t psk[NOISE_MAX_PSKS][NOISE_KEYLEN];
};

struct pair {
	struct noise_hs *i, *r;
	struct noise_cipher itx, irx, rtx, rrx;
};

static void
keys_make(struct keys *k)
{
	size_t n;

	randombytes_buf(k->is, sizeof k->is);
	randombytes_buf(k->rs, sizeof k->rs);
	crypto_scalarmult_base(k->ip, k->is);
	crypto_scalarmult_base(k->rp, k->rs);
	for (n = 0; n < NOISE_MAX_PSKS; n++)
		randombytes_buf(k->psk[n], sizeof k->psk[n]);
}

/*
 * Create and start one side. i_pre/r_pre: whether the initiator's or the
 * responder's static is a pre-message (so the other side gets rs).
 */
static struct noise_hs *
side_make(const char *name, enum noise_role role, const struct keys *k,
    int i_pre, int r_pre, size_t npsks)
{
	struct noise_hs *hs;
	char *cause = NULL;
	size_t n;

	hs =
	    noise_hs_create(name, role, (const uint8_t *)"prologue", 8, &cause);
	if (hs == NULL)
		fail_msg("create %s: %s", name, cause);
	if (role == NOISE_INITIATOR) {
		noise_hs_set_s(hs, k->is);
		if (r_pre)
			noise_hs_set_rs(hs, k->rp);
	} else {
		noise_hs_set_s(hs, k->rs);
		if (i_pre)
			noise_hs_set_rs(hs, k->ip);
	}
	for (n = 0; n < npsks; n++)
		assert_int_equal(noise_hs_add_psk(hs, k->psk[n]), 0);
	if (noise_hs_start(hs, &cause) != 0)
		fail_msg("start %s: %s", name, cause);
	return hs;
}

/* Run the handshake to the end with small payloads; 0 on success. */
static int
handshake(struct noise_hs *i, struct noise_hs *r)
{
	struct noise_hs *snd, *rcv;
	char text[32];
	size_t n, m, round;

	for (round = 0; round < 8; round++) {
		if (noise_hs_action(i) == NOISE_ACTION_SPLIT &&
		    noise_hs_action(r) == NOISE_ACTION_SPLIT)
			return 0;
		if (noise_hs_action(i) == NOISE_ACTION_WRITE) {
			snd = i;
			rcv = r;
		} else {
			snd = r;
			rcv = i;
		}
		if (noise_hs_action(snd) != NOISE_ACTION_WRITE ||
		    noise_hs_action(rcv) != NOISE_ACTION_READ)
			return -1;
		snprintf(text, sizeof text, "payload %zu", round);
		if (noise_hs_write(snd, (const uint8_t *)text, strlen(text),
		        msgbuf, sizeof msgbuf, &n) != 0)
			return -1;
		if (noise_hs_read(rcv, msgbuf, n, paybuf, sizeof paybuf, &m) !=
		    0)
			return -1;
		if (m != strlen(text) || memcmp(paybuf, text, m) != 0)
			return -1;
	}
	return -1;
}

static void
pair_make(struct pair *p, const char *name, const struct keys *k, int i_pre,
    int r_pre, size_t npsks)
{
	memset(p, 0, sizeof *p);
	p->i = side_make(name, NOISE_INITIATOR, k, i_pre, r_pre, npsks);
	p->r = side_make(name, NOISE_RESPONDER, k, i_pre, r_pre, npsks);
}

static void
pair_split(struct pair *p)
{
	assert_int_equal(noise_hs_split(p->i, &p->itx, &p->irx), 0);
	assert_int_equal(noise_hs_split(p->r, &p->rtx, &p->rrx), 0);
}

static void
pair_free(struct pair *p)
{
	noise_hs_free(p->i);
	noise_hs_free(p->r);
	noise_cipher_wipe(&p->itx);
	noise_cipher_wipe(&p->irx);
	noise_cipher_wipe(&p->rtx);
	noise_cipher_wipe(&p->rrx);
}

/* Send one transport message tx -> rx; 0 if it arrived intact. */
static int
transport(struct noise_cipher *tx, struct noise_cipher *rx, const char *text)
{
	uint8_t ct[256], pt[256];
	size_t len = strlen(text);

	if (noise_cipher_encrypt(tx, NULL, 0, (const uint8_t *)text, len, ct) !=
	    0)
		return -1;
	if (noise_cipher_decrypt(rx, NULL, 0, ct, len + NOISE_TAGLEN, pt) != 0)
		return -1;
	return memcmp(pt, text, len) == 0 ? 0 : -1;
}

static void
test_xx_roundtrip(void **state)
{
	struct keys k;
	struct pair p;
	uint8_t hi[NOISE_HASHLEN], hr[NOISE_HASHLEN];
	const uint8_t *rs;

	(void)state;
	keys_make(&k);
	pair_make(&p, XX, &k, 0, 0, 0);
	assert_null(noise_hs_remote_static(p.i));
	assert_null(noise_hs_remote_static(p.r));
	assert_int_equal(noise_hs_action(p.i), NOISE_ACTION_WRITE);
	assert_int_equal(noise_hs_action(p.r), NOISE_ACTION_READ);
	assert_int_equal(handshake(p.i, p.r), 0);

	noise_hs_hash(p.i, hi);
	noise_hs_hash(p.r, hr);
	assert_memory_equal(hi, hr, NOISE_HASHLEN);
	assert_non_null(rs = noise_hs_remote_static(p.i));
	assert_memory_equal(rs, k.rp, NOISE_KEYLEN);
	assert_non_null(rs = noise_hs_remote_static(p.r));
	assert_memory_equal(rs, k.ip, NOISE_KEYLEN);
	assert_memory_equal(noise_hs_local_static(p.i), k.ip, NOISE_KEYLEN);
	assert_memory_equal(noise_hs_local_static(p.r), k.rp, NOISE_KEYLEN);

	pair_split(&p);
	assert_int_equal(transport(&p.itx, &p.rrx, "hello responder"), 0);
	assert_int_equal(transport(&p.rtx, &p.irx, "hello initiator"), 0);
	assert_int_equal(transport(&p.itx, &p.rrx, "again"), 0);
	assert_int_equal(transport(&p.rtx, &p.irx, ""), 0);
	/* Directions use different keys. */
	assert_int_not_equal(transport(&p.itx, &p.irx, "wrong way"), 0);
	/* Splitting twice is refused. */
	assert_int_equal(noise_hs_split(p.i, &p.itx, &p.irx), -1);
	pair_free(&p);
}

/* Every fundamental pattern, and some psk variants, round trip. */
static void
test_all_patterns(void **state)
{
	static const struct {
		const char *pattern;
		int i_pre, r_pre;
		size_t npsks;
	} t[] = {
		{ "N", 0, 1, 0 },
		{ "K", 1, 1, 0 },
		{ "X", 0, 1, 0 },
		{ "NN", 0, 0, 0 },
		{ "NK", 0, 1, 0 },
		{ "NX", 0, 0, 0 },
		{ "XN", 0, 0, 0 },
		{ "XK", 0, 1, 0 },
		{ "XX", 0, 0, 0 },
		{ "KN", 1, 0, 0 },
		{ "KK", 1, 1, 0 },
		{ "KX", 1, 0, 0 },
		{ "IN", 0, 0, 0 },
		{ "IK", 0, 1, 0 },
		{ "IX", 0, 0, 0 },
		{ "Npsk0+psk1", 0, 1, 2 },
		{ "IKpsk1+psk2", 0, 1, 2 },
		{ "XXpsk0+psk1+psk2+psk3", 0, 0, 4 },
		{ "KXpsk2", 1, 0, 1 },
	};
	char name[128];
	struct keys k;
	struct pair p;
	uint8_t hi[NOISE_HASHLEN], hr[NOISE_HASHLEN], ct[64];
	size_t n;
	int oneway;

	(void)state;
	for (n = 0; n < sizeof t / sizeof t[0]; n++) {
		snprintf(name, sizeof name, "Noise_%s_25519_ChaChaPoly_BLAKE2b",
		    t[n].pattern);
		keys_make(&k);
		pair_make(&p, name, &k, t[n].i_pre, t[n].r_pre, t[n].npsks);
		if (handshake(p.i, p.r) != 0)
			fail_msg("%s: handshake failed", name);
		noise_hs_hash(p.i, hi);
		noise_hs_hash(p.r, hr);
		assert_memory_equal(hi, hr, NOISE_HASHLEN);
		pair_split(&p);
		oneway = strlen(t[n].pattern) == 1 || t[n].pattern[1] == 'p';
		assert_int_equal(transport(&p.itx, &p.rrx, "i to r"), 0);
		if (oneway) {
			/* Only c1 exists: the responder cannot send. */
			assert_int_equal(noise_cipher_encrypt(&p.rtx, NULL, 0,
			                     (const uint8_t *)"x", 1, ct),
			    -1);
		} else
			assert_int_equal(
			    transport(&p.rtx, &p.irx, "r to i"), 0);
		pair_free(&p);
	}
}

static void
test_tampered(void **state)
{
	struct keys k;
	struct pair p;
	size_t n, m, pos;

	(void)state;
	keys_make(&k);
	/* Every byte of message 2 is authenticated (e through h). */
	for (pos = 0; pos < 32 + 48 + 16; pos += 7) {
		pair_make(&p, XX, &k, 0, 0, 0);
		assert_int_equal(
		    noise_hs_write(p.i, NULL, 0, msgbuf, sizeof msgbuf, &n), 0);
		assert_int_equal(
		    noise_hs_read(p.r, msgbuf, n, paybuf, sizeof paybuf, &m),
		    0);
		assert_int_equal(
		    noise_hs_write(p.r, NULL, 0, msgbuf, sizeof msgbuf, &n), 0);
		assert_int_equal(n, 32 + 48 + 16);
		msgbuf[pos] ^= 0x01;
		assert_int_equal(
		    noise_hs_read(p.i, msgbuf, n, paybuf, sizeof paybuf, &m),
		    -1);
		assert_int_equal(noise_hs_action(p.i), NOISE_ACTION_FAILED);
		assert_null(noise_hs_remote_static(p.i));
		/* FAILED is terminal. */
		assert_int_equal(
		    noise_hs_write(p.i, NULL, 0, msgbuf, sizeof msgbuf, &n),
		    -1);
		assert_int_equal(
		    noise_hs_read(p.i, msgbuf, n, paybuf, sizeof paybuf, &m),
		    -1);
		assert_int_equal(noise_hs_split(p.i, &p.itx, &p.irx), -1);
		pair_free(&p);
	}

	/* A tampered first message shows up in message 2. */
	pair_make(&p, XX, &k, 0, 0, 0);
	assert_int_equal(noise_hs_write(p.i, (const uint8_t *)"abc", 3, msgbuf,
	                     sizeof msgbuf, &n),
	    0);
	msgbuf[33] ^= 0x80;
	assert_int_equal(
	    noise_hs_read(p.r, msgbuf, n, paybuf, sizeof paybuf, &m), 0);
	assert_int_equal(
	    noise_hs_write(p.r, NULL, 0, msgbuf, sizeof msgbuf, &n), 0);
	assert_int_equal(
	    noise_hs_read(p.i, msgbuf, n, paybuf, sizeof paybuf, &m), -1);
	assert_int_equal(noise_hs_action(p.i), NOISE_ACTION_FAILED);
	pair_free(&p);
}

static void
test_short_and_long_messages(void **state)
{
	struct keys k;
	struct pair p;
	uint8_t msg2[256];
	size_t n, m, len;

	(void)state;
	keys_make(&k);
	for (len = 0; len < 32 + 48 + 16; len++) {
		pair_make(&p, XX, &k, 0, 0, 0);
		assert_int_equal(
		    noise_hs_write(p.i, NULL, 0, msgbuf, sizeof msgbuf, &n), 0);
		assert_int_equal(
		    noise_hs_read(p.r, msgbuf, n, paybuf, sizeof paybuf, &m),
		    0);
		assert_int_equal(
		    noise_hs_write(p.r, NULL, 0, msg2, sizeof msg2, &n), 0);
		assert_int_equal(
		    noise_hs_read(p.i, msg2, len, paybuf, sizeof paybuf, &m),
		    -1);
		assert_int_equal(noise_hs_action(p.i), NOISE_ACTION_FAILED);
		pair_free(&p);
	}

	/* Message 1 of XX shorter than an ephemeral key. */
	pair_make(&p, XX, &k, 0, 0, 0);
	assert_int_equal(
	    noise_hs_read(p.r, msgbuf, 31, paybuf, sizeof paybuf, &m), -1);
	assert_int_equal(noise_hs_action(p.r), NOISE_ACTION_FAILED);
	pair_free(&p);

	/* Longer than NOISE_MAX_MSG. */
	pair_make(&p, XX, &k, 0, 0, 0);
	assert_int_equal(
	    noise_hs_write(p.i, NULL, 0, msgbuf, sizeof msgbuf, &n), 0);
	memset(msgbuf + n, 0, sizeof msgbuf - n);
	assert_int_equal(noise_hs_read(p.r, msgbuf, NOISE_MAX_MSG + 1, paybuf,
	                     sizeof paybuf, &m),
	    -1);
	pair_free(&p);

	/* Payload larger than the reader's capacity. */
	pair_make(&p, XX, &k, 0, 0, 0);
	assert_int_equal(noise_hs_write(p.i, (const uint8_t *)"12345", 5,
	                     msgbuf, sizeof msgbuf, &n),
	    0);
	assert_int_equal(noise_hs_read(p.r, msgbuf, n, paybuf, 4, &m), -1);
	assert_int_equal(noise_hs_action(p.r), NOISE_ACTION_FAILED);
	pair_free(&p);

	/* Trailing garbage after an encrypted payload breaks the tag. */
	pair_make(&p, XX, &k, 0, 0, 0);
	assert_int_equal(
	    noise_hs_write(p.i, NULL, 0, msgbuf, sizeof msgbuf, &n), 0);
	assert_int_equal(
	    noise_hs_read(p.r, msgbuf, n, paybuf, sizeof paybuf, &m), 0);
	assert_int_equal(
	    noise_hs_write(p.r, NULL, 0, msg2, sizeof msg2, &n), 0);
	msg2[n] = 0;
	assert_int_equal(
	    noise_hs_read(p.i, msg2, n + 1, paybuf, sizeof paybuf, &m), -1);
	pair_free(&p);
}

static void
test_too_long_payload(void **state)
{
	struct keys k;
	struct pair p;
	struct noise_cipher c;
	size_t n, m, max = NOISE_MAX_MSG - 32; /* XX message 1 */

	(void)state;
	keys_make(&k);
	memset(paybuf, 'x', sizeof paybuf);

	pair_make(&p, XX, &k, 0, 0, 0);
	assert_int_equal(
	    noise_hs_write(p.i, paybuf, max + 1, msgbuf, sizeof msgbuf, &n),
	    -1);
	assert_int_equal(noise_hs_action(p.i), NOISE_ACTION_FAILED);
	pair_free(&p);

	/* Output capacity one short. */
	pair_make(&p, XX, &k, 0, 0, 0);
	assert_int_equal(
	    noise_hs_write(p.i, paybuf, 10, msgbuf, 32 + 9, &n), -1);
	pair_free(&p);

	/* The largest payload fits exactly. */
	pair_make(&p, XX, &k, 0, 0, 0);
	assert_int_equal(
	    noise_hs_write(p.i, paybuf, max, msgbuf, NOISE_MAX_MSG, &n), 0);
	assert_int_equal(n, NOISE_MAX_MSG);
	assert_int_equal(
	    noise_hs_read(p.r, msgbuf, n, paybuf, sizeof paybuf, &m), 0);
	assert_int_equal(m, max);
	/* Message 2 carries 32 + 48 + 16 bytes around the payload. */
	assert_int_equal(noise_hs_write(p.r, paybuf, NOISE_MAX_MSG - 95, msgbuf,
	                     sizeof msgbuf, &n),
	    -1);
	pair_free(&p);

	/* Transport: 65535 bytes including the tag at most. */
	memset(&c, 0, sizeof c);
	c.has_key = 1;
	assert_int_equal(noise_cipher_encrypt(&c, NULL, 0, paybuf,
	                     NOISE_MAX_MSG - NOISE_TAGLEN + 1, msgbuf),
	    -1);
	assert_int_equal(noise_cipher_encrypt(&c, NULL, 0, paybuf,
	                     NOISE_MAX_MSG - NOISE_TAGLEN, msgbuf),
	    0);
	memset(&c, 0, sizeof c);
	c.has_key = 1;
	assert_int_equal(
	    noise_cipher_decrypt(&c, NULL, 0, msgbuf, NOISE_MAX_MSG, paybuf),
	    0);
	assert_int_equal(noise_cipher_decrypt(
	                     &c, NULL, 0, msgbuf, NOISE_MAX_MSG + 1, paybuf),
	    -1);
	assert_int_equal(
	    noise_cipher_decrypt(&c, NULL, 0, msgbuf, NOISE_TAGLEN - 1, paybuf),
	    -1);
	/* A cipher without a key never sends plaintext. */
	c.has_key = 0;
	assert_int_equal(
	    noise_cipher_encrypt(&c, NULL, 0, paybuf, 1, msgbuf), -1);
	noise_cipher_wipe(&c);
}

static void
test_out_of_turn(void **state)
{
	struct keys k;
	struct pair p;
	struct noise_hs *hs;
	size_t n, m;

	(void)state;
	keys_make(&k);

	pair_make(&p, XX, &k, 0, 0, 0);
	assert_int_equal(
	    noise_hs_write(p.r, NULL, 0, msgbuf, sizeof msgbuf, &n), -1);
	assert_int_equal(noise_hs_action(p.r), NOISE_ACTION_FAILED);
	assert_int_equal(
	    noise_hs_read(p.i, msgbuf, 48, paybuf, sizeof paybuf, &m), -1);
	assert_int_equal(noise_hs_action(p.i), NOISE_ACTION_FAILED);
	pair_free(&p);

	/* Writing twice in a row. */
	pair_make(&p, XX, &k, 0, 0, 0);
	assert_int_equal(
	    noise_hs_write(p.i, NULL, 0, msgbuf, sizeof msgbuf, &n), 0);
	assert_int_equal(noise_hs_action(p.i), NOISE_ACTION_READ);
	assert_int_equal(
	    noise_hs_write(p.i, NULL, 0, msgbuf, sizeof msgbuf, &n), -1);
	assert_int_equal(noise_hs_action(p.i), NOISE_ACTION_FAILED);
	pair_free(&p);

	/* Before start; and splitting before the end. */
	hs = noise_hs_create(XX, NOISE_INITIATOR, NULL, 0, NULL);
	assert_non_null(hs);
	assert_int_equal(
	    noise_hs_write(hs, NULL, 0, msgbuf, sizeof msgbuf, &n), -1);
	noise_hs_free(hs);
	pair_make(&p, XX, &k, 0, 0, 0);
	assert_int_equal(noise_hs_split(p.i, &p.itx, &p.irx), -1);
	assert_int_equal(p.itx.has_key, 0);
	pair_free(&p);

	/* After the end. */
	pair_make(&p, "Noise_NN_25519_ChaChaPoly_BLAKE2b", &k, 0, 0, 0);
	assert_int_equal(handshake(p.i, p.r), 0);
	assert_int_equal(
	    noise_hs_write(p.i, NULL, 0, msgbuf, sizeof msgbuf, &n), -1);
	pair_free(&p);
}

static void
test_low_order(void **state)
{
	struct keys k;
	struct pair p;
	struct noise_hs *hs;
	char *cause;
	size_t j, n, m;

	(void)state;
	keys_make(&k);
	for (j = 0; j < sizeof low_order / sizeof low_order[0]; j++) {
		/* As the initiator's ephemeral in message 1. */
		pair_make(&p, XX, &k, 0, 0, 0);
		memcpy(msgbuf, low_order[j], NOISE_KEYLEN);
		assert_int_equal(noise_hs_read(p.r, msgbuf, NOISE_KEYLEN,
		                     paybuf, sizeof paybuf, &m),
		    -1);
		assert_int_equal(noise_hs_action(p.r), NOISE_ACTION_FAILED);
		pair_free(&p);

		/* As the responder's ephemeral in message 2. */
		pair_make(&p, XX, &k, 0, 0, 0);
		assert_int_equal(
		    noise_hs_write(p.i, NULL, 0, msgbuf, sizeof msgbuf, &n), 0);
		assert_int_equal(
		    noise_hs_read(p.r, msgbuf, n, paybuf, sizeof paybuf, &m),
		    0);
		assert_int_equal(
		    noise_hs_write(p.r, NULL, 0, msgbuf, sizeof msgbuf, &n), 0);
		memcpy(msgbuf, low_order[j], NOISE_KEYLEN);
		assert_int_equal(
		    noise_hs_read(p.i, msgbuf, n, paybuf, sizeof paybuf, &m),
		    -1);
		assert_int_equal(noise_hs_action(p.i), NOISE_ACTION_FAILED);
		pair_free(&p);

		/* As a known remote static. */
		hs = noise_hs_create("Noise_NK_25519_ChaChaPoly_BLAKE2b",
		    NOISE_INITIATOR, NULL, 0, NULL);
		assert_non_null(hs);
		noise_hs_set_rs(hs, low_order[j]);
		assert_int_equal(noise_hs_start(hs, &cause), -1);
		assert_non_null(cause);
		free(cause);
		assert_int_equal(noise_hs_action(hs), NOISE_ACTION_FAILED);
		noise_hs_free(hs);
	}
}

/* Does noise refuse pk (as a known remote static, checked at start)? */
static int
noise_refuses(const uint8_t pk[NOISE_KEYLEN])
{
	struct noise_hs *hs;
	char *cause;
	int r;

	hs = noise_hs_create("Noise_NK_25519_ChaChaPoly_BLAKE2b",
	    NOISE_INITIATOR, NULL, 0, NULL);
	assert_non_null(hs);
	noise_hs_set_rs(hs, pk);
	r = noise_hs_start(hs, &cause);
	free(cause);
	noise_hs_free(hs);
	return r == -1;
}

/* Does X25519 with pk give all zeros (libsodium's DH failure)? */
static int
x25519_refuses(const uint8_t pk[NOISE_KEYLEN])
{
	static const uint8_t one[NOISE_KEYLEN] = { 1 };
	uint8_t out[NOISE_KEYLEN];

	return crypto_scalarmult(out, one, pk) != 0;
}

/*
 * noise.c checks received keys against a list, without an X25519 of its
 * own: it must refuse exactly the keys for which X25519 fails. The low-
 * order keys with the top bit set and changed in one bit, and random ones.
 */
static void
test_low_order_same_as_x25519(void **state)
{
	uint8_t pk[NOISE_KEYLEN];
	size_t j, b;
	int i, refused = 0;

	(void)state;
	for (j = 0; j < sizeof low_order / sizeof low_order[0]; j++) {
		for (b = 0; b <= 8 * NOISE_KEYLEN; b++) {
			memcpy(pk, low_order[j], NOISE_KEYLEN);
			if (b < 8 * NOISE_KEYLEN)
				pk[b / 8] ^= (uint8_t)(1 << (b % 8));
			assert_int_equal(noise_refuses(pk), x25519_refuses(pk));
			refused += noise_refuses(pk);
		}
	}
	/* At least each key as is and with its (ignored) top bit flipped. */
	assert_true(
	    refused >= 2 * (int)(sizeof low_order / sizeof low_order[0]));
	for (i = 0; i < 200; i++) {
		randombytes_buf(pk, sizeof pk);
		assert_int_equal(noise_refuses(pk), x25519_refuses(pk));
	}
}

static void
test_nonce_exhaustion(void **state)
{
	struct keys k;
	struct pair p;
	uint8_t ct[64], pt[64];
	uint64_t n;

	(void)state;
	keys_make(&k);
	pair_make(&p, "Noise_NN_25519_ChaChaPoly_BLAKE2b", &k, 0, 0, 0);
	assert_int_equal(handshake(p.i, p.r), 0);
	pair_split(&p);

	p.itx.n = UINT64_MAX - 1;
	p.rrx.n = UINT64_MAX - 1;
	assert_int_equal(noise_cipher_encrypt(
	                     &p.itx, NULL, 0, (const uint8_t *)"last", 4, ct),
	    0);
	assert_true(p.itx.n == UINT64_MAX);
	assert_int_equal(noise_cipher_encrypt(&p.itx, NULL, 0,
	                     (const uint8_t *)"more", 4, ct + 32),
	    -1);
	assert_true(p.itx.n == UINT64_MAX);

	/* A bad tag does not advance the receiver. */
	ct[0] ^= 1;
	assert_int_equal(noise_cipher_decrypt(&p.rrx, NULL, 0, ct, 20, pt), -1);
	assert_true(p.rrx.n == UINT64_MAX - 1);
	ct[0] ^= 1;
	/* Wrong associated data fails too. */
	assert_int_equal(
	    noise_cipher_decrypt(&p.rrx, (const uint8_t *)"ad", 2, ct, 20, pt),
	    -1);
	assert_int_equal(noise_cipher_decrypt(&p.rrx, NULL, 0, ct, 20, pt), 0);
	assert_memory_equal(pt, "last", 4);
	assert_true(p.rrx.n == UINT64_MAX);
	assert_int_equal(noise_cipher_decrypt(&p.rrx, NULL, 0, ct, 20, pt), -1);

	/* Out-of-order or replayed messages fail without advancing. */
	p.rtx.n = 0;
	assert_int_equal(
	    noise_cipher_encrypt(&p.rtx, NULL, 0, (const uint8_t *)"a", 1, ct),
	    0);
	assert_int_equal(noise_cipher_encrypt(
	                     &p.rtx, NULL, 0, (const uint8_t *)"b", 1, ct + 32),
	    0);
	assert_int_equal(
	    noise_cipher_decrypt(&p.irx, NULL, 0, ct + 32, 17, pt), -1);
	n = p.irx.n;
	assert_true(n == 0);
	assert_int_equal(noise_cipher_decrypt(&p.irx, NULL, 0, ct, 17, pt), 0);
	assert_int_equal(noise_cipher_decrypt(&p.irx, NULL, 0, ct, 17, pt), -1);
	assert_int_equal(
	    noise_cipher_decrypt(&p.irx, NULL, 0, ct + 32, 17, pt), 0);
	assert_int_equal(pt[0], 'b');
	pair_free(&p);
}

static void
test_rekey(void **state)
{
	struct keys k;
	struct pair p;
	struct noise_cipher a, b;
	char text[32];
	uint8_t ct[64], pt[64];
	int i, bad;

	(void)state;
	keys_make(&k);
	pair_make(&p, XX, &k, 0, 0, 0);
	assert_int_equal(handshake(p.i, p.r), 0);
	pair_split(&p);
	p.itx.rekey_interval = p.rrx.rekey_interval = 3;
	p.rtx.rekey_interval = p.irx.rekey_interval = 3;
	memcpy(&a, &p.itx, sizeof a);
	for (i = 0; i < 10; i++) {
		snprintf(text, sizeof text, "message %d", i);
		assert_int_equal(transport(&p.itx, &p.rrx, text), 0);
		assert_int_equal(transport(&p.rtx, &p.irx, text), 0);
	}
	/* The key did change, and by REKEY() every third message. */
	assert_memory_not_equal(a.k, p.itx.k, NOISE_KEYLEN);
	noise_cipher_rekey(&a);
	noise_cipher_rekey(&a);
	noise_cipher_rekey(&a);
	assert_memory_equal(a.k, p.itx.k, NOISE_KEYLEN);

	/* Different intervals (3 and 4) agree until n = 15. */
	memcpy(&a, &p.itx, sizeof a);
	memcpy(&b, &p.rrx, sizeof b);
	a.rekey_interval = 3;
	b.rekey_interval = 4;
	bad = -1;
	for (i = 0; i < 8; i++) {
		assert_int_equal(noise_cipher_encrypt(&a, NULL, 0,
		                     (const uint8_t *)"msg", 3, ct),
		    0);
		if (noise_cipher_decrypt(
		        &b, NULL, 0, ct, 3 + NOISE_TAGLEN, pt) != 0) {
			bad = i;
			break;
		}
	}
	/* From n = 10: both rekey at 12, then only one at 15. */
	assert_int_equal(bad, 5);

	/* A rekey on one side only breaks decryption. */
	assert_int_equal(transport(&p.itx, &p.rrx, "before"), 0);
	noise_cipher_rekey(&p.itx);
	assert_int_not_equal(transport(&p.itx, &p.rrx, "after"), 0);
	noise_cipher_wipe(&a);
	noise_cipher_wipe(&b);
	pair_free(&p);
}

static void
test_psk(void **state)
{
	static const char *names[] = {
		"Noise_XXpsk0+psk3_25519_ChaChaPoly_BLAKE2b",
		"Noise_NNpsk0+psk2_25519_ChaChaPoly_BLAKE2b",
		"Noise_NNpsk2+psk0_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk1+psk2_25519_ChaChaPoly_BLAKE2b",
	};
	struct keys k;
	struct pair p;
	struct noise_hs *hs;
	char *cause;
	size_t j;

	(void)state;
	for (j = 0; j < sizeof names / sizeof names[0]; j++) {
		keys_make(&k);
		pair_make(&p, names[j], &k, 0, 0, 2);
		assert_int_equal(handshake(p.i, p.r), 0);
		pair_split(&p);
		assert_int_equal(transport(&p.itx, &p.rrx, "psk"), 0);
		assert_int_equal(transport(&p.rtx, &p.irx, "psk"), 0);
		pair_free(&p);

		/* The second psk differs: the handshake fails. */
		keys_make(&k);
		memset(&p, 0, sizeof p);
		p.i = side_make(names[j], NOISE_INITIATOR, &k, 0, 0, 2);
		k.psk[1][0] ^= 1;
		p.r = side_make(names[j], NOISE_RESPONDER, &k, 0, 0, 2);
		assert_int_not_equal(handshake(p.i, p.r), 0);
		pair_free(&p);
	}

	/* Too many psks; too few at start. */
	keys_make(&k);
	hs = noise_hs_create(names[0], NOISE_INITIATOR, NULL, 0, NULL);
	assert_non_null(hs);
	noise_hs_set_s(hs, k.is);
	assert_int_equal(noise_hs_add_psk(hs, k.psk[0]), 0);
	assert_int_equal(noise_hs_start(hs, &cause), -1);
	assert_non_null(cause);
	free(cause);
	noise_hs_free(hs);
	hs = noise_hs_create(names[0], NOISE_INITIATOR, NULL, 0, NULL);
	assert_int_equal(noise_hs_add_psk(hs, k.psk[0]), 0);
	assert_int_equal(noise_hs_add_psk(hs, k.psk[1]), 0);
	assert_int_equal(noise_hs_add_psk(hs, k.psk[2]), -1);
	noise_hs_free(hs);
	hs = noise_hs_create(XX, NOISE_INITIATOR, NULL, 0, NULL);
	assert_int_equal(noise_hs_add_psk(hs, k.psk[0]), -1);
	noise_hs_free(hs);
}

static void
test_missing_keys(void **state)
{
	static const struct {
		const char *name;
		enum noise_role role;
		int s, rs;
	} t[] = {
		{ XX, NOISE_INITIATOR, 0, 0 },
		{ XX, NOISE_RESPONDER, 0, 0 },
		{ XX, NOISE_INITIATOR, 1, 1 }, /* rs not a pre-message */
		{ "Noise_IK_25519_ChaChaPoly_BLAKE2b", NOISE_INITIATOR, 1, 0 },
		{ "Noise_NK_25519_ChaChaPoly_BLAKE2b", NOISE_RESPONDER, 0, 0 },
		{ "Noise_KN_25519_ChaChaPoly_BLAKE2b", NOISE_RESPONDER, 0, 0 },
		{ "Noise_NN_25519_ChaChaPoly_BLAKE2b", NOISE_RESPONDER, 0, 1 },
		{ "Noise_N_25519_ChaChaPoly_BLAKE2b", NOISE_INITIATOR, 0, 0 },
	};
	struct keys k;
	struct noise_hs *hs;
	char *cause;
	size_t j;

	(void)state;
	keys_make(&k);
	for (j = 0; j < sizeof t / sizeof t[0]; j++) {
		hs = noise_hs_create(t[j].name, t[j].role, NULL, 0, NULL);
		assert_non_null(hs);
		if (t[j].s)
			noise_hs_set_s(hs, k.is);
		if (t[j].rs)
			noise_hs_set_rs(hs, k.rp);
		cause = NULL;
		if (noise_hs_start(hs, &cause) != -1)
			fail_msg("%s: start accepted (case %zu)", t[j].name, j);
		assert_non_null(cause);
		free(cause);
		assert_int_equal(noise_hs_action(hs), NOISE_ACTION_FAILED);
		noise_hs_free(hs);
	}

	/* NN needs no keys at all; a static is ignored. */
	hs = noise_hs_create("Noise_NN_25519_ChaChaPoly_BLAKE2b",
	    NOISE_RESPONDER, NULL, 0, NULL);
	noise_hs_set_s(hs, k.rs);
	assert_int_equal(noise_hs_start(hs, NULL), 0);
	assert_int_equal(noise_hs_action(hs), NOISE_ACTION_READ);
	/* Starting twice, or setting keys after the start, is refused. */
	assert_int_equal(noise_hs_start(hs, &cause), -1);
	assert_non_null(cause);
	free(cause);
	assert_int_equal(noise_hs_action(hs), NOISE_ACTION_FAILED);
	noise_hs_free(hs);
	hs = noise_hs_create(XX, NOISE_RESPONDER, NULL, 0, NULL);
	noise_hs_set_s(hs, k.rs);
	assert_int_equal(noise_hs_start(hs, NULL), 0);
	noise_hs_set_e(hs, k.is);
	assert_int_equal(noise_hs_action(hs), NOISE_ACTION_FAILED);
	noise_hs_free(hs);
}

static void
test_names(void **state)
{
	static const char *bad[] = {
		"Noise_XX_448_ChaChaPoly_BLAKE2b",
		"Noise_XX_25519_AESGCM_BLAKE2b",
		"Noise_XX_25519_ChaChaPoly_SHA256",
		"Noise_XX_25519_ChaChaPoly_BLAKE2s",
		"Noise_QQ_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk9_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk4_25519_ChaChaPoly_BLAKE2b",
		"Noise_NNpsk3_25519_ChaChaPoly_BLAKE2b",
		"Noise_Npsk2_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk00_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk01_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk-1_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk0+_25519_ChaChaPoly_BLAKE2b",
		"Noise_XX+psk0_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXpsk0+psk0_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXfallback_25519_ChaChaPoly_BLAKE2b",
		"Noise_XXfallback+psk0_25519_ChaChaPoly_BLAKE2b",
		"Noise_X1X1_25519_ChaChaPoly_BLAKE2b",
		"Noise_xx_25519_ChaChaPoly_BLAKE2b",
		"Noise__25519_ChaChaPoly_BLAKE2b",
		"Noise_XX_25519_ChaChaPoly_BLAKE2b_",
		"Noise_XX_25519_ChaChaPoly",
		"Noise_XX_25519+Kyber1024_ChaChaPoly_BLAKE2b",
		"NoisePSK_XX_25519_ChaChaPoly_BLAKE2b",
		"noise_XX_25519_ChaChaPoly_BLAKE2b",
		"Noise_XX_25519_ChaChaPoly_BLAKE2b\n",
		"",
	};
	struct noise_hs *hs;
	char *cause, longname[400];
	size_t j;

	(void)state;
	for (j = 0; j < sizeof bad / sizeof bad[0]; j++) {
		cause = NULL;
		hs = noise_hs_create(bad[j], NOISE_INITIATOR, NULL, 0, &cause);
		if (hs != NULL)
			fail_msg("accepted \"%s\"", bad[j]);
		assert_non_null(cause);
		assert_true(strlen(cause) > 0);
		free(cause);
	}
	memset(longname, 'A', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	memcpy(longname, "Noise_XX", 8);
	assert_null(noise_hs_create(longname, NOISE_INITIATOR, NULL, 0, NULL));

	/* And a good one, with cause untouched but cleared. */
	cause = (char *)1;
	hs = noise_hs_create("Noise_IXpsk2_25519_ChaChaPoly_BLAKE2b",
	    NOISE_RESPONDER, NULL, 0, &cause);
	assert_non_null(hs);
	assert_null(cause);
	noise_hs_free(hs);
}

static void
test_free_null(void **state)
{
	(void)state;
	noise_hs_free(NULL);
	assert_true(sodium_init() >= 0);
}

static int
setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xx_roundtrip),
		cmocka_unit_test(test_all_patterns),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_short_and_long_messages),
		cmocka_unit_test(test_too_long_payload),
		cmocka_unit_test(test_out_of_turn),
		cmocka_unit_test(test_low_order),
		cmocka_unit_test(test_low_order_same_as_x25519),
		cmocka_unit_test(test_nonce_exhaustion),
		cmocka_unit_test(test_rekey),
		cmocka_unit_test(test_psk),
		cmocka_unit_test(test_missing_keys),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_free_null),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
