/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Noise handshake engine and transport ciphers, suite
 * 25519_ChaChaPoly_BLAKE2b, following revision 34 of the Noise Protocol
 * Framework specification.
 *
 * This file owns struct noise_hs: the symmetric state (ck, h and the
 * handshake cipher), the local and remote keys, the psks and the token
 * program. The program is built from the protocol name: the pattern
 * table below, written in the notation of the specification, is parsed
 * into token lists and the psk modifiers insert psk tokens (psk0 at the
 * front of the first message, pskN at the end of message N).
 * noise_hs_write() and noise_hs_read() interpret the tokens of the
 * current message; nothing is specific to one pattern.
 *
 * State machine:
 *
 *	INIT ---start---> RUNNING ---last message---> SPLIT ---split---> DONE
 *	  |                  |                          |
 *	  +------------------+--- any error ------------+-----> FAILED
 *
 * INIT: keys may be set. RUNNING: messages alternate between initiator
 * and responder (one-way patterns: a single initiator message); the
 * action is WRITE or READ by turn, also in INIT, but write and read fail
 * there. SPLIT: the handshake is complete and noise_hs_split() may be
 * called once; DONE still reports NOISE_ACTION_SPLIT. FAILED is terminal
 * and wipes all secrets; it is reached by any error, including calling
 * things in the wrong state.
 *
 * The whole structure lives in sodium_malloc() memory (guarded, locked)
 * and is wiped when freed; temporaries on the stack (DH outputs, HKDF and
 * HMAC intermediates) are wiped with sodium_memzero() before returning.
 * sodium_malloc() costs about ten system calls (mmap, mprotect, mlock),
 * more than the rest of a handshake's bookkeeping, so freed states,
 * wiped, go to a small per-process pool and are reused.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "noise.h"
#include "xmalloc.h"

#define NOISE_DHLEN 32
#define NOISE_BLOCKLEN 128 /* BLAKE2b block length, for HMAC */
#define NOISE_MAX_NAME 255
#define NOISE_MAX_MSGS 3 /* in a fundamental pattern */
#define NOISE_MAX_TOKENS 8 /* per message, psks included */

enum noise_token {
	NOISE_TOK_E = 1,
	NOISE_TOK_S,
	NOISE_TOK_EE,
	NOISE_TOK_ES,
	NOISE_TOK_SE,
	NOISE_TOK_SS,
	NOISE_TOK_PSK,
};

enum noise_state {
	NOISE_STATE_INIT,
	NOISE_STATE_RUNNING,
	NOISE_STATE_SPLIT,
	NOISE_STATE_DONE,
	NOISE_STATE_FAILED,
};

/*
 * The fundamental patterns (section 7.4 and 7.5 of the specification).
 * Pre-messages are "s" or empty; messages alternate starting with the
 * initiator.
 */
struct noise_pattern {
	const char *name;
	const char *pre_i;
	const char *pre_r;
	const char *msgs[NOISE_MAX_MSGS];
};

static const struct noise_pattern noise_patterns[] = {
	{ "N", "", "s", { "e, es", NULL, NULL } },
	{ "K", "s", "s", { "e, es, ss", NULL, NULL } },
	{ "X", "", "s", { "e, es, s, ss", NULL, NULL } },
	{ "NN", "", "", { "e", "e, ee", NULL } },
	{ "NK", "", "s", { "e, es", "e, ee", NULL } },
	{ "NX", "", "", { "e", "e, ee, s, es", NULL } },
	{ "XN", "", "", { "e", "e, ee", "s, se" } },
	{ "XK", "", "s", { "e, es", "e, ee", "s, se" } },
	{ "XX", "", "", { "e", "e, ee, s, es", "s, se" } },
	{ "KN", "s", "", { "e", "e, ee, se", NULL } },
	{ "KK", "s", "s", { "e, es, ss", "e, ee, se", NULL } },
	{ "KX", "s", "", { "e", "e, ee, se, s, es", NULL } },
	{ "IN", "", "", { "e, s", "e, ee, se", NULL } },
	{ "IK", "", "s", { "e, es, s, ss", "e, ee, se", NULL } },
	{ "IX", "", "", { "e, s", "e, ee, se, s, es", NULL } },
};

struct noise_hs {
	/* Secrets. */
	uint8_t ck[NOISE_HASHLEN];
	struct noise_cipher cs;
	uint8_t s_sk[NOISE_DHLEN];
	uint8_t e_sk[NOISE_DHLEN];
	uint8_t psks[NOISE_MAX_PSKS][NOISE_KEYLEN];

	/* Public values. */
	uint8_t h[NOISE_HASHLEN];
	uint8_t s_pk[NOISE_DHLEN];
	uint8_t e_pk[NOISE_DHLEN];
	uint8_t rs[NOISE_DHLEN];
	uint8_t re[NOISE_DHLEN];
	int has_s;
	int has_e; /* set, or generated */
	int e_sent;
	int has_rs;
	int has_re;
	int bad_key; /* a set_* key was unusable */
	size_t npsks;
	size_t psk_next;

	enum noise_role role;
	enum noise_state state;

	/* The token program. */
	int pre_s[2]; /* by role */
	int oneway;
	int psk_mode;
	size_t npsk_tokens;
	size_t nmsgs;
	size_t msg; /* next message */
	size_t ntokens[NOISE_MAX_MSGS];
	uint8_t tokens[NOISE_MAX_MSGS][NOISE_MAX_TOKENS];
};

/* Allocation size: a multiple of 64 so that sodium_malloc() aligns it. */
#define NOISE_HS_SIZE ((sizeof(struct noise_hs) + 63) & ~(size_t)63)

/*
 * Wiped handshake states kept for reuse; more than this many handshakes
 * at once allocate (and later free) the rest.
 */
#define NOISE_POOL_MAX 64

static struct noise_hs *noise_pool[NOISE_POOL_MAX];
static size_t noise_npool;

static const uint8_t noise_empty[1];

static void
noise_set_cause(char **cause, const char *msg, const char *arg)
{
	if (cause == NULL)
		return;
	if (arg != NULL)
		*cause = xasprintf("%s: %s", msg, arg);
	else
		*cause = xasprintf("%s", msg);
}

/* HASH(): BLAKE2b-512 over two concatenated inputs. */
static void
noise_hash(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
    uint8_t out[NOISE_HASHLEN])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, NOISE_HASHLEN);
	if (alen != 0)
		crypto_generichash_update(&st, a, alen);
	if (blen != 0)
		crypto_generichash_update(&st, b, blen);
	crypto_generichash_final(&st, out, NOISE_HASHLEN);
	sodium_memzero(&st, sizeof st);
}

/* HMAC-HASH() per RFC 2104 over data d1 || d2. */
static void
noise_hmac(const uint8_t *key, size_t keylen, const uint8_t *d1, size_t l1,
    const uint8_t *d2, size_t l2, uint8_t out[NOISE_HASHLEN])
{
	crypto_generichash_state st;
	uint8_t kb[NOISE_BLOCKLEN], pad[NOISE_BLOCKLEN];
	uint8_t inner[NOISE_HASHLEN];
	size_t i;

	memset(kb, 0, sizeof kb);
	if (keylen > NOISE_BLOCKLEN)
		noise_hash(key, keylen, NULL, 0, kb);
	else if (keylen != 0)
		memcpy(kb, key, keylen);

	for (i = 0; i < NOISE_BLOCKLEN; i++)
		pad[i] = kb[i] ^ 0x36;
	crypto_generichash_init(&st, NULL, 0, NOISE_HASHLEN);
	crypto_generichash_update(&st, pad, sizeof pad);
	if (l1 != 0)
		crypto_generichash_update(&st, d1, l1);
	if (l2 != 0)
		crypto_generichash_update(&st, d2, l2);
	crypto_generichash_final(&st, inner, sizeof inner);

	for (i = 0; i < NOISE_BLOCKLEN; i++)
		pad[i] = kb[i] ^ 0x5c;
	crypto_generichash_init(&st, NULL, 0, NOISE_HASHLEN);
	crypto_generichash_update(&st, pad, sizeof pad);
	crypto_generichash_update(&st, inner, sizeof inner);
	crypto_generichash_final(&st, out, NOISE_HASHLEN);

	sodium_memzero(&st, sizeof st);
	sodium_memzero(kb, sizeof kb);
	sodium_memzero(pad, sizeof pad);
	sodium_memzero(inner, sizeof inner);
}

/* HKDF() with two or three outputs (o3 may be NULL). */
static void
noise_hkdf(const uint8_t ck[NOISE_HASHLEN], const uint8_t *ikm, size_t ikmlen,
    uint8_t o1[NOISE_HASHLEN], uint8_t o2[NOISE_HASHLEN], uint8_t *o3)
{
	uint8_t tk[NOISE_HASHLEN];
	const uint8_t one = 1, two = 2, three = 3;

	noise_hmac(ck, NOISE_HASHLEN, ikm, ikmlen, NULL, 0, tk);
	noise_hmac(tk, sizeof tk, &one, 1, NULL, 0, o1);
	noise_hmac(tk, sizeof tk, o1, NOISE_HASHLEN, &two, 1, o2);
	if (o3 != NULL)
		noise_hmac(tk, sizeof tk, o2, NOISE_HASHLEN, &three, 1, o3);
	sodium_memzero(tk, sizeof tk);
}

static void
noise_nonce(
    uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES], uint64_t n)
{
	size_t i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

/* ENCRYPT() with the cipher's key and nonce; out gets len + tag. */
static void
noise_aead_seal(const uint8_t k[NOISE_KEYLEN], uint64_t n, const uint8_t *ad,
    size_t adlen, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];

	noise_nonce(nonce, n);
	crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL,
	    in != NULL ? in : noise_empty, len, ad != NULL ? ad : noise_empty,
	    adlen, NULL, nonce, k);
}

/* One encryption, advancing n; no rekey. The reserved nonce fails. */
static int
noise_cipher_seal(struct noise_cipher *c, const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t len, uint8_t *out)
{
	if (c->n == UINT64_MAX)
		return -1;
	noise_aead_seal(c->k, c->n, ad, adlen, in, len, out);
	c->n++;
	return 0;
}

/* One decryption (len includes the tag); n advances only on success. */
static int
noise_cipher_open(struct noise_cipher *c, const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];
	uint8_t dummy[1];

	if (c->n == UINT64_MAX || len < NOISE_TAGLEN)
		return -1;
	noise_nonce(nonce, c->n);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(
	        len == NOISE_TAGLEN ? dummy : out, NULL, NULL, in, len,
	        ad != NULL ? ad : noise_empty, adlen, nonce, c->k) != 0)
		return -1;
	c->n++;
	return 0;
}

void
noise_cipher_rekey(struct noise_cipher *c)
{
	uint8_t zeros[NOISE_KEYLEN], tmp[NOISE_KEYLEN + NOISE_TAGLEN];

	memset(zeros, 0, sizeof zeros);
	noise_aead_seal(c->k, UINT64_MAX, NULL, 0, zeros, sizeof zeros, tmp);
	memcpy(c->k, tmp, NOISE_KEYLEN);
	sodium_memzero(tmp, sizeof tmp);
}

static void
noise_cipher_step(struct noise_cipher *c)
{
	if (c->rekey_interval != 0 && c->n % c->rekey_interval == 0)
		noise_cipher_rekey(c);
}

int
noise_cipher_encrypt(struct noise_cipher *c, const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t len, uint8_t *out)
{
	if (!c->has_key || len > NOISE_MAX_MSG - NOISE_TAGLEN)
		return -1;
	if (out == NULL || (in == NULL && len != 0))
		return -1;
	if (noise_cipher_seal(c, ad, adlen, in, len, out) != 0)
		return -1;
	noise_cipher_step(c);
	return 0;
}

int
noise_cipher_decrypt(struct noise_cipher *c, const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t len, uint8_t *out)
{
	if (!c->has_key || len < NOISE_TAGLEN || len > NOISE_MAX_MSG)
		return -1;
	if (in == NULL || (out == NULL && len != NOISE_TAGLEN))
		return -1;
	if (noise_cipher_open(c, ad, adlen, in, len, out) != 0)
		return -1;
	noise_cipher_step(c);
	return 0;
}

void
noise_cipher_wipe(struct noise_cipher *c)
{
	sodium_memzero(c, sizeof *c);
}

/*
 * The encodings of the points of order 1, 2, 4 and 8 (on the curve and its
 * twist), the top bit cleared as X25519 clears it: 0, 1, the two points of
 * order 8, p - 1, p and p + 1. They are exactly the keys for which X25519
 * gives all zeros whatever the (clamped, so multiple of 8) scalar;
 * test_noise checks this against crypto_scalarmult().
 */
static const uint8_t noise_low_order[][NOISE_DHLEN] = {
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
#define NOISE_NLOW (sizeof noise_low_order / sizeof noise_low_order[0])

/*
 * A public key is usable if a DH with it does not give all zeros, that is
 * if it is none of the encodings above. Checked as soon as a key is read,
 * without an X25519 of its own (it cost one per received key); the DH
 * that uses the key still checks its result (noise_dh_token()).
 */
static int
noise_key_ok(const uint8_t pk[NOISE_DHLEN])
{
	uint8_t diff[NOISE_NLOW] = { 0 }, k;
	size_t i, j;

	for (j = 0; j < NOISE_DHLEN; j++) {
		k = j == NOISE_DHLEN - 1 ? pk[j] & 0x7f : pk[j];
		for (i = 0; i < NOISE_NLOW; i++)
			diff[i] |= k ^ noise_low_order[i][j];
	}
	for (i = 0; i < NOISE_NLOW; i++) {
		if (diff[i] == 0)
			return 0;
	}
	return 1;
}

static void
noise_mix_hash(struct noise_hs *hs, const uint8_t *data, size_t len)
{
	noise_hash(hs->h, sizeof hs->h, data, len, hs->h);
}

static void
noise_mix_key(struct noise_hs *hs, const uint8_t *ikm, size_t len)
{
	uint8_t o1[NOISE_HASHLEN], o2[NOISE_HASHLEN];

	noise_hkdf(hs->ck, ikm, len, o1, o2, NULL);
	memcpy(hs->ck, o1, sizeof hs->ck);
	memcpy(hs->cs.k, o2, NOISE_KEYLEN);
	hs->cs.n = 0;
	hs->cs.has_key = 1;
	sodium_memzero(o1, sizeof o1);
	sodium_memzero(o2, sizeof o2);
}

static void
noise_mix_key_and_hash(struct noise_hs *hs, const uint8_t *ikm, size_t len)
{
	uint8_t o1[NOISE_HASHLEN], o2[NOISE_HASHLEN], o3[NOISE_HASHLEN];

	noise_hkdf(hs->ck, ikm, len, o1, o2, o3);
	memcpy(hs->ck, o1, sizeof hs->ck);
	noise_mix_hash(hs, o2, sizeof o2);
	memcpy(hs->cs.k, o3, NOISE_KEYLEN);
	hs->cs.n = 0;
	hs->cs.has_key = 1;
	sodium_memzero(o1, sizeof o1);
	sodium_memzero(o2, sizeof o2);
	sodium_memzero(o3, sizeof o3);
}

/* EncryptAndHash(): out gets len (+ tag if keyed) bytes. */
static int
noise_encrypt_and_hash(struct noise_hs *hs, const uint8_t *in, size_t len,
    uint8_t *out, size_t *outlen)
{
	if (hs->cs.has_key) {
		if (noise_cipher_seal(
		        &hs->cs, hs->h, sizeof hs->h, in, len, out) != 0)
			return -1;
		*outlen = len + NOISE_TAGLEN;
	} else {
		if (len != 0)
			memmove(out, in, len);
		*outlen = len;
	}
	noise_mix_hash(hs, out, *outlen);
	return 0;
}

/*
 * DecryptAndHash(): out gets len (- tag if keyed) bytes. The new h is
 * computed before decrypting so that in-place decryption works.
 */
static int
noise_decrypt_and_hash(
    struct noise_hs *hs, const uint8_t *in, size_t len, uint8_t *out)
{
	uint8_t nh[NOISE_HASHLEN];

	noise_hash(hs->h, sizeof hs->h, in, len, nh);
	if (hs->cs.has_key) {
		if (noise_cipher_open(
		        &hs->cs, hs->h, sizeof hs->h, in, len, out) != 0)
			return -1;
	} else if (len != 0)
		memmove(out, in, len);
	memcpy(hs->h, nh, sizeof hs->h);
	return 0;
}

/* Perform one of ee, es, se, ss: MixKey(DH(...)). */
static int
noise_dh_token(struct noise_hs *hs, int tok)
{
	const uint8_t *sk, *pk;
	uint8_t dh[NOISE_DHLEN];
	int have, initiator = hs->role == NOISE_INITIATOR;

	switch (tok) {
	case NOISE_TOK_EE:
		sk = hs->e_sk;
		pk = hs->re;
		have = hs->has_e && hs->has_re;
		break;
	case NOISE_TOK_ES:
		if (initiator) {
			sk = hs->e_sk;
			pk = hs->rs;
			have = hs->has_e && hs->has_rs;
		} else {
			sk = hs->s_sk;
			pk = hs->re;
			have = hs->has_s && hs->has_re;
		}
		break;
	case NOISE_TOK_SE:
		if (initiator) {
			sk = hs->s_sk;
			pk = hs->re;
			have = hs->has_s && hs->has_re;
		} else {
			sk = hs->e_sk;
			pk = hs->rs;
			have = hs->has_e && hs->has_rs;
		}
		break;
	case NOISE_TOK_SS:
		sk = hs->s_sk;
		pk = hs->rs;
		have = hs->has_s && hs->has_rs;
		break;
	default:
		return -1;
	}
	if (!have)
		return -1;
	if (crypto_scalarmult(dh, sk, pk) != 0) {
		sodium_memzero(dh, sizeof dh);
		return -1;
	}
	noise_mix_key(hs, dh, sizeof dh);
	sodium_memzero(dh, sizeof dh);
	return 0;
}

static int
noise_psk_token(struct noise_hs *hs)
{
	if (hs->psk_next >= hs->npsks)
		return -1;
	noise_mix_key_and_hash(hs, hs->psks[hs->psk_next], NOISE_KEYLEN);
	hs->psk_next++;
	return 0;
}

/* Wipe every secret and enter FAILED. */
static void
noise_hs_fail(struct noise_hs *hs)
{
	sodium_memzero(hs->ck, sizeof hs->ck);
	sodium_memzero(&hs->cs, sizeof hs->cs);
	sodium_memzero(hs->s_sk, sizeof hs->s_sk);
	sodium_memzero(hs->e_sk, sizeof hs->e_sk);
	sodium_memzero(hs->psks, sizeof hs->psks);
	hs->has_e = 0;
	hs->npsks = 0;
	hs->state = NOISE_STATE_FAILED;
}

/* Who sends message idx. */
static enum noise_role
noise_hs_sender(const struct noise_hs *hs, size_t idx)
{
	if (hs->oneway || idx % 2 == 0)
		return NOISE_INITIATOR;
	return NOISE_RESPONDER;
}

/* Message done: move on, and after the last drop what split needs not. */
static void
noise_hs_advance(struct noise_hs *hs)
{
	hs->msg++;
	if (hs->msg < hs->nmsgs)
		return;
	sodium_memzero(&hs->cs, sizeof hs->cs);
	sodium_memzero(hs->s_sk, sizeof hs->s_sk);
	sodium_memzero(hs->e_sk, sizeof hs->e_sk);
	sodium_memzero(hs->psks, sizeof hs->psks);
	hs->state = NOISE_STATE_SPLIT;
}

/* Bytes message idx adds around its payload, from the current state. */
static size_t
noise_hs_overhead(const struct noise_hs *hs, size_t idx)
{
	size_t i, n = 0;
	int keyed = hs->cs.has_key;

	for (i = 0; i < hs->ntokens[idx]; i++) {
		switch (hs->tokens[idx][i]) {
		case NOISE_TOK_E:
			n += NOISE_DHLEN;
			if (hs->psk_mode)
				keyed = 1;
			break;
		case NOISE_TOK_S:
			n += NOISE_DHLEN + (keyed ? NOISE_TAGLEN : 0);
			break;
		default:
			keyed = 1;
			break;
		}
	}
	return n + (keyed ? NOISE_TAGLEN : 0);
}

/* Parse a token list from the pattern table ("e, ee, s"). */
static void
noise_parse_tokens(const char *s, uint8_t *out, size_t *n)
{
	static const struct {
		const char *name;
		uint8_t tok;
	} map[] = {
		{ "e", NOISE_TOK_E },
		{ "s", NOISE_TOK_S },
		{ "ee", NOISE_TOK_EE },
		{ "es", NOISE_TOK_ES },
		{ "se", NOISE_TOK_SE },
		{ "ss", NOISE_TOK_SS },
		{ "psk", NOISE_TOK_PSK },
	};
	size_t len, i;

	*n = 0;
	while (*s != '\0') {
		while (*s == ' ' || *s == ',')
			s++;
		if (*s == '\0')
			break;
		len = strcspn(s, ", ");
		for (i = 0; i < sizeof map / sizeof map[0]; i++) {
			if (strlen(map[i].name) == len &&
			    strncmp(map[i].name, s, len) == 0)
				break;
		}
		if (i == sizeof map / sizeof map[0] || *n == NOISE_MAX_TOKENS)
			fatal("noise: bad pattern table entry \"%s\"", s);
		out[(*n)++] = map[i].tok;
		s += len;
	}
}

/* Parse the psk modifiers ("psk0+psk2") into the token program. */
static int
noise_parse_modifiers(struct noise_hs *hs, const char *mods, char **cause)
{
	char *copy, *cp, *m;
	unsigned int seen = 0, num;
	size_t idx;
	int rc = -1;

	cp = copy = xstrdup(mods);
	while ((m = strsep(&cp, "+")) != NULL) {
		if (strncmp(m, "psk", 3) != 0 || m[3] == '\0' ||
		    strlen(m + 3) > 2 ||
		    strspn(m + 3, "0123456789") != strlen(m + 3) ||
		    (m[3] == '0' && m[4] != '\0')) {
			noise_set_cause(cause, "unsupported pattern modifier",
			    *m == '\0' ? "(empty)" : m);
			goto out;
		}
		num = (unsigned int)atoi(m + 3);
		if (num > hs->nmsgs) {
			noise_set_cause(cause,
			    "psk modifier beyond the last "
			    "message",
			    m);
			goto out;
		}
		if (seen & (1U << num)) {
			noise_set_cause(cause, "duplicate pattern modifier", m);
			goto out;
		}
		seen |= 1U << num;

		if (num == 0) {
			idx = 0;
			memmove(
			    hs->tokens[0] + 1, hs->tokens[0], hs->ntokens[0]);
			hs->tokens[0][0] = NOISE_TOK_PSK;
		} else {
			idx = num - 1;
			hs->tokens[idx][hs->ntokens[idx]] = NOISE_TOK_PSK;
		}
		hs->ntokens[idx]++;
		if (hs->ntokens[idx] > NOISE_MAX_TOKENS)
			fatal("noise: too many tokens");
		hs->npsk_tokens++;
	}
	hs->psk_mode = 1;
	rc = 0;
out:
	free(copy);
	return rc;
}

/* Parse the protocol name into the token program. */
static int
noise_parse_name(struct noise_hs *hs, const char *name, char **cause)
{
	const struct noise_pattern *p = NULL;
	char *copy, *cp, *field[6];
	size_t nfields = 0, baselen, i;
	int rc = -1;

	if (strlen(name) > NOISE_MAX_NAME) {
		noise_set_cause(cause, "protocol name too long", NULL);
		return -1;
	}
	cp = copy = xstrdup(name);
	while (nfields < 6 && (field[nfields] = strsep(&cp, "_")) != NULL)
		nfields++;
	if (nfields != 5 || strcmp(field[0], "Noise") != 0) {
		noise_set_cause(cause, "not a Noise protocol name", name);
		goto out;
	}
	if (strcmp(field[2], "25519") != 0) {
		noise_set_cause(cause, "unsupported DH function", field[2]);
		goto out;
	}
	if (strcmp(field[3], "ChaChaPoly") != 0) {
		noise_set_cause(cause, "unsupported cipher", field[3]);
		goto out;
	}
	if (strcmp(field[4], "BLAKE2b") != 0) {
		noise_set_cause(cause, "unsupported hash", field[4]);
		goto out;
	}

	baselen = strspn(field[1], "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
	for (i = 0; i < sizeof noise_patterns / sizeof noise_patterns[0]; i++) {
		if (strlen(noise_patterns[i].name) == baselen &&
		    strncmp(noise_patterns[i].name, field[1], baselen) == 0) {
			p = &noise_patterns[i];
			break;
		}
	}
	if (p == NULL) {
		field[1][baselen] = '\0';
		noise_set_cause(cause, "unsupported handshake pattern",
		    baselen == 0 ? "(empty)" : field[1]);
		goto out;
	}

	hs->pre_s[NOISE_INITIATOR] = strcmp(p->pre_i, "s") == 0;
	hs->pre_s[NOISE_RESPONDER] = strcmp(p->pre_r, "s") == 0;
	for (i = 0; i < NOISE_MAX_MSGS && p->msgs[i] != NULL; i++)
		noise_parse_tokens(p->msgs[i], hs->tokens[i], &hs->ntokens[i]);
	hs->nmsgs = i;
	hs->oneway = hs->nmsgs == 1;

	if (field[1][baselen] != '\0' &&
	    noise_parse_modifiers(hs, field[1] + baselen, cause) != 0)
		goto out;
	rc = 0;
out:
	free(copy);
	return rc;
}

struct noise_hs *
noise_hs_create(const char *protocol_name, enum noise_role role,
    const uint8_t *prologue, size_t prologue_len, char **cause)
{
	struct noise_hs *hs;
	size_t len;

	if (cause != NULL)
		*cause = NULL;
	if (sodium_init() < 0)
		fatal("sodium_init failed");
	if (protocol_name == NULL ||
	    (role != NOISE_INITIATOR && role != NOISE_RESPONDER) ||
	    (prologue == NULL && prologue_len != 0)) {
		noise_set_cause(cause, "invalid arguments", NULL);
		return NULL;
	}

	if (noise_npool > 0)
		hs = noise_pool[--noise_npool]; /* wiped when freed */
	else if ((hs = sodium_malloc(NOISE_HS_SIZE)) == NULL)
		fatal("out of memory allocating handshake state");
	memset(hs, 0, NOISE_HS_SIZE);
	hs->role = role;
	hs->state = NOISE_STATE_INIT;
	if (noise_parse_name(hs, protocol_name, cause) != 0) {
		noise_hs_free(hs);
		return NULL;
	}

	/* InitializeSymmetric() and MixHash(prologue). */
	len = strlen(protocol_name);
	if (len <= NOISE_HASHLEN)
		memcpy(hs->h, protocol_name, len);
	else
		noise_hash((const uint8_t *)protocol_name, len, NULL, 0, hs->h);
	memcpy(hs->ck, hs->h, sizeof hs->ck);
	noise_mix_hash(hs, prologue, prologue_len);
	return hs;
}

void
noise_hs_free(struct noise_hs *hs)
{
	if (hs == NULL)
		return;
	sodium_memzero(hs, NOISE_HS_SIZE);
	if (noise_npool < NOISE_POOL_MAX)
		noise_pool[noise_npool++] = hs;
	else
		sodium_free(hs);
}

/* Install a local key pair (s or e), deriving its public half. */
static void
noise_hs_set_pair(struct noise_hs *hs, const uint8_t *sk, uint8_t *dst_sk,
    uint8_t *dst_pk, int *has)
{
	if (hs->state != NOISE_STATE_INIT) {
		noise_hs_fail(hs);
		return;
	}
	memcpy(dst_sk, sk, NOISE_DHLEN);
	if (crypto_scalarmult_base(dst_pk, dst_sk) != 0)
		hs->bad_key = 1;
	*has = 1;
}

void
noise_hs_set_s(struct noise_hs *hs, const uint8_t sk[NOISE_KEYLEN])
{
	noise_hs_set_pair(hs, sk, hs->s_sk, hs->s_pk, &hs->has_s);
}

void
noise_hs_set_e(struct noise_hs *hs, const uint8_t sk[NOISE_KEYLEN])
{
	noise_hs_set_pair(hs, sk, hs->e_sk, hs->e_pk, &hs->has_e);
}

void
noise_hs_set_rs(struct noise_hs *hs, const uint8_t pk[NOISE_KEYLEN])
{
	if (hs->state != NOISE_STATE_INIT) {
		noise_hs_fail(hs);
		return;
	}
	memcpy(hs->rs, pk, NOISE_DHLEN);
	hs->has_rs = 1;
}

int
noise_hs_add_psk(struct noise_hs *hs, const uint8_t psk[NOISE_KEYLEN])
{
	if (hs->state != NOISE_STATE_INIT) {
		noise_hs_fail(hs);
		return -1;
	}
	if (hs->npsks >= hs->npsk_tokens || hs->npsks >= NOISE_MAX_PSKS)
		return -1;
	memcpy(hs->psks[hs->npsks++], psk, NOISE_KEYLEN);
	return 0;
}

/* Does this side use its static key anywhere in the pattern? */
static int
noise_hs_needs_s(const struct noise_hs *hs)
{
	enum noise_role me = hs->role;
	size_t i, j;
	int tok;

	if (hs->pre_s[me])
		return 1;
	for (i = 0; i < hs->nmsgs; i++) {
		for (j = 0; j < hs->ntokens[i]; j++) {
			tok = hs->tokens[i][j];
			if (tok == NOISE_TOK_SS)
				return 1;
			if (tok == NOISE_TOK_S && noise_hs_sender(hs, i) == me)
				return 1;
			if (tok == NOISE_TOK_SE && me == NOISE_INITIATOR)
				return 1;
			if (tok == NOISE_TOK_ES && me == NOISE_RESPONDER)
				return 1;
		}
	}
	return 0;
}

int
noise_hs_start(struct noise_hs *hs, char **cause)
{
	enum noise_role me = hs->role;
	enum noise_role peer =
	    me == NOISE_INITIATOR ? NOISE_RESPONDER : NOISE_INITIATOR;

	if (cause != NULL)
		*cause = NULL;
	if (hs->state != NOISE_STATE_INIT) {
		noise_set_cause(cause, "handshake already started", NULL);
		goto fail;
	}
	if (hs->bad_key) {
		noise_set_cause(cause, "invalid local key", NULL);
		goto fail;
	}
	if (noise_hs_needs_s(hs) && !hs->has_s) {
		noise_set_cause(cause, "local static key required", NULL);
		goto fail;
	}
	if (hs->pre_s[peer] && !hs->has_rs) {
		noise_set_cause(cause, "remote static key required", NULL);
		goto fail;
	}
	if (!hs->pre_s[peer] && hs->has_rs) {
		noise_set_cause(cause,
		    "remote static key is not known in "
		    "advance in this pattern",
		    NULL);
		goto fail;
	}
	if (hs->has_rs && !noise_key_ok(hs->rs)) {
		noise_set_cause(cause, "invalid remote static key", NULL);
		goto fail;
	}
	if (hs->npsks != hs->npsk_tokens) {
		if (cause != NULL) {
			*cause = xasprintf("pattern needs %zu psks, %zu given",
			    hs->npsk_tokens, hs->npsks);
		}
		goto fail;
	}

	/* Pre-messages: the initiator's first, then the responder's. */
	if (hs->pre_s[NOISE_INITIATOR])
		noise_mix_hash(
		    hs, me == NOISE_INITIATOR ? hs->s_pk : hs->rs, NOISE_DHLEN);
	if (hs->pre_s[NOISE_RESPONDER])
		noise_mix_hash(
		    hs, me == NOISE_RESPONDER ? hs->s_pk : hs->rs, NOISE_DHLEN);
	hs->state = NOISE_STATE_RUNNING;
	return 0;

fail:
	noise_hs_fail(hs);
	return -1;
}

enum noise_action
noise_hs_action(const struct noise_hs *hs)
{
	switch (hs->state) {
	case NOISE_STATE_INIT:
	case NOISE_STATE_RUNNING:
		if (noise_hs_sender(hs, hs->msg) == hs->role)
			return NOISE_ACTION_WRITE;
		return NOISE_ACTION_READ;
	case NOISE_STATE_SPLIT:
	case NOISE_STATE_DONE:
		return NOISE_ACTION_SPLIT;
	case NOISE_STATE_FAILED:
		break;
	}
	return NOISE_ACTION_FAILED;
}

int
noise_hs_write(struct noise_hs *hs, const uint8_t *payload, size_t len,
    uint8_t *out, size_t cap, size_t *outlen)
{
	const uint8_t *tokens;
	size_t i, n, need, pos = 0;

	if (outlen != NULL)
		*outlen = 0;
	if (hs->state != NOISE_STATE_RUNNING ||
	    noise_hs_sender(hs, hs->msg) != hs->role)
		goto fail;
	if (outlen == NULL || out == NULL || (payload == NULL && len != 0))
		goto fail;
	need = noise_hs_overhead(hs, hs->msg);
	if (len > NOISE_MAX_MSG - need || len + need > cap)
		goto fail;

	tokens = hs->tokens[hs->msg];
	for (i = 0; i < hs->ntokens[hs->msg]; i++) {
		switch (tokens[i]) {
		case NOISE_TOK_E:
			if (hs->e_sent)
				goto fail;
			if (!hs->has_e) {
				randombytes_buf(hs->e_sk, sizeof hs->e_sk);
				if (crypto_scalarmult_base(
				        hs->e_pk, hs->e_sk) != 0)
					goto fail;
				hs->has_e = 1;
			}
			hs->e_sent = 1;
			memcpy(out + pos, hs->e_pk, NOISE_DHLEN);
			pos += NOISE_DHLEN;
			noise_mix_hash(hs, hs->e_pk, NOISE_DHLEN);
			if (hs->psk_mode)
				noise_mix_key(hs, hs->e_pk, NOISE_DHLEN);
			break;
		case NOISE_TOK_S:
			if (!hs->has_s)
				goto fail;
			if (noise_encrypt_and_hash(
			        hs, hs->s_pk, NOISE_DHLEN, out + pos, &n) != 0)
				goto fail;
			pos += n;
			break;
		case NOISE_TOK_PSK:
			if (noise_psk_token(hs) != 0)
				goto fail;
			break;
		default:
			if (noise_dh_token(hs, tokens[i]) != 0)
				goto fail;
			break;
		}
	}
	if (noise_encrypt_and_hash(hs, payload, len, out + pos, &n) != 0)
		goto fail;
	pos += n;
	if (pos != len + need)
		fatal("noise: message length mismatch");
	*outlen = pos;
	noise_hs_advance(hs);
	return 0;

fail:
	noise_hs_fail(hs);
	return -1;
}

int
noise_hs_read(struct noise_hs *hs, const uint8_t *msg, size_t len,
    uint8_t *payload, size_t cap, size_t *paylen)
{
	const uint8_t *tokens;
	uint8_t rs[NOISE_DHLEN];
	size_t i, n, plen, pos = 0;

	if (paylen != NULL)
		*paylen = 0;
	if (hs->state != NOISE_STATE_RUNNING ||
	    noise_hs_sender(hs, hs->msg) == hs->role)
		goto fail;
	if (paylen == NULL || (msg == NULL && len != 0))
		goto fail;
	if (len > NOISE_MAX_MSG || len < noise_hs_overhead(hs, hs->msg))
		goto fail;

	tokens = hs->tokens[hs->msg];
	for (i = 0; i < hs->ntokens[hs->msg]; i++) {
		switch (tokens[i]) {
		case NOISE_TOK_E:
			if (hs->has_re || len - pos < NOISE_DHLEN)
				goto fail;
			memcpy(hs->re, msg + pos, NOISE_DHLEN);
			pos += NOISE_DHLEN;
			if (!noise_key_ok(hs->re))
				goto fail;
			hs->has_re = 1;
			noise_mix_hash(hs, hs->re, NOISE_DHLEN);
			if (hs->psk_mode)
				noise_mix_key(hs, hs->re, NOISE_DHLEN);
			break;
		case NOISE_TOK_S:
			n = NOISE_DHLEN + (hs->cs.has_key ? NOISE_TAGLEN : 0);
			if (hs->has_rs || len - pos < n)
				goto fail;
			if (noise_decrypt_and_hash(hs, msg + pos, n, rs) != 0)
				goto fail;
			pos += n;
			if (!noise_key_ok(rs))
				goto fail;
			memcpy(hs->rs, rs, NOISE_DHLEN);
			hs->has_rs = 1;
			break;
		case NOISE_TOK_PSK:
			if (noise_psk_token(hs) != 0)
				goto fail;
			break;
		default:
			if (noise_dh_token(hs, tokens[i]) != 0)
				goto fail;
			break;
		}
	}

	n = len - pos;
	if (hs->cs.has_key) {
		if (n < NOISE_TAGLEN)
			goto fail;
		plen = n - NOISE_TAGLEN;
	} else
		plen = n;
	if (plen > cap || (payload == NULL && plen != 0))
		goto fail;
	if (noise_decrypt_and_hash(
	        hs, n != 0 ? msg + pos : noise_empty, n, payload) != 0)
		goto fail;
	*paylen = plen;
	noise_hs_advance(hs);
	return 0;

fail:
	noise_hs_fail(hs);
	return -1;
}

void
noise_hs_hash(const struct noise_hs *hs, uint8_t out[NOISE_HASHLEN])
{
	memcpy(out, hs->h, NOISE_HASHLEN);
}

const uint8_t *
noise_hs_remote_static(const struct noise_hs *hs)
{
	/* After a failure rs may be unauthenticated: do not offer it. */
	if (hs->state == NOISE_STATE_FAILED || !hs->has_rs)
		return NULL;
	return hs->rs;
}

const uint8_t *
noise_hs_local_static(const struct noise_hs *hs)
{
	return hs->has_s ? hs->s_pk : NULL;
}

int
noise_hs_split(
    struct noise_hs *hs, struct noise_cipher *tx, struct noise_cipher *rx)
{
	uint8_t o1[NOISE_HASHLEN], o2[NOISE_HASHLEN];
	struct noise_cipher *c1, *c2;

	if (tx == NULL || rx == NULL || tx == rx)
		return -1;
	sodium_memzero(tx, sizeof *tx);
	sodium_memzero(rx, sizeof *rx);
	if (hs->state != NOISE_STATE_SPLIT) {
		noise_hs_fail(hs);
		return -1;
	}

	noise_hkdf(hs->ck, NULL, 0, o1, o2, NULL);
	if (hs->role == NOISE_INITIATOR) {
		c1 = tx;
		c2 = rx;
	} else {
		c1 = rx;
		c2 = tx;
	}
	memcpy(c1->k, o1, NOISE_KEYLEN);
	c1->has_key = 1;
	/* One-way patterns use only c1, from initiator to responder. */
	if (!hs->oneway) {
		memcpy(c2->k, o2, NOISE_KEYLEN);
		c2->has_key = 1;
	}
	sodium_memzero(o1, sizeof o1);
	sodium_memzero(o2, sizeof o2);
	sodium_memzero(hs->ck, sizeof hs->ck);
	hs->state = NOISE_STATE_DONE;
	return 0;
}
