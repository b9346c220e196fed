/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * CPace, draft-irtf-cfrg-cpace-21, suite CPACE-RISTR255-SHA512, in the
 * initiator-responder setting, plus the draft's key confirmation
 * (section 10.4) and the PRS and CI of a password room (DESIGN.md
 * section 9). Built only from libsodium: SHA-512, the ristretto255
 * one-way map and scalar multiplication, HMAC-SHA-512, Argon2id.
 *
 * This file owns struct cpace: the secret scalar, the generator, the
 * ISK, the MAC key and the peer's expected tag, all in sodium_malloc()
 * memory, each wiped once no longer needed, and all on failure and on
 * free; temporaries (hash and HMAC states, K, the PRS-derived hash) are
 * wiped before each function returns.
 *
 * Notation: || concatenates; leb128(n) is n in unsigned LEB128 (7 bits a
 * byte, least significant first, bit 7 set while more follow);
 * prepend_len(s) = leb128(len(s)) || s; lv_cat(a, b, ...) =
 * prepend_len(a) || prepend_len(b) || ...; H = SHA-512.
 *
 *   DSI     = "CPaceRistretto255"; DSI_ISK = DSI || "_ISK"
 *   zpad    = 128 - 1 - len(prepend_len(DSI)) - len(prepend_len(PRS))
 *             zero bytes (none if that is negative; 128 is SHA-512's
 *             block, so DSI, PRS and the padding fill the first one)
 *   gen_str = lv_cat(DSI, PRS, zpad, CI, sid)
 *   g       = ristretto255_from_hash(H(gen_str))   (RFC 9496 one-way map)
 *   y       = a uniform scalar in [1, L-1]       (sample_scalar)
 *   Y       = y * g
 *   K       = scalar_mult_vfy(y, Y_peer): abort if Y_peer does not
 *             decode (non-canonical, not a point) or K is the identity
 *   ISK     = H(lv_cat(DSI_ISK, sid, K) || transcript_ir)
 *   transcript_ir = lv_cat(Ya, ADa) || lv_cat(Yb, ADb)
 *   mac_key = H("CPaceMac" || sid || ISK)
 *   Ta      = HMAC-SHA-512(mac_key, lv_cat(Ya, ADa))
 *   Tb      = HMAC-SHA-512(mac_key, lv_cat(Yb, ADb))
 *
 * The tags are what the draft's section 10.4 defines: each party MACs
 * the message it sent; the whole transcript is already in ISK and so in
 * mac_key. Tags are compared with sodium_memcmp(). K is never exposed
 * (section 10.3), and the ISK only once the peer's tag has been checked.
 *
 * scalar_mult_vfy is crypto_scalarmult_ristretto255(), which fails both
 * for an encoding that does not decode and for an identity result (its
 * point check alone accepts the identity encoding, all zeros); the
 * result is also checked for zero here, so the guard does not rest on
 * that one function. The same check covers y * g when computing Y.
 * Messages equal to our own are refused too (no honest peer sends one).
 *
 * Room inputs (the joiner is A, a member is B):
 *   sid = the Noise handshake hash of the session (64 bytes)
 *   CI  = lv_cat("p2ptui room v1", room_id, joiner's Noise static key,
 *         member's Noise static key)                   (cpace_room_ci)
 *   PRS = Argon2id v1.3 (crypto_pwhash ALG_ARGON2ID13) of the
 *         password: 3 passes (CPACE_PRS_OPSLIMIT), 128 MiB
 *         (CPACE_PRS_MEMLIMIT), 1 lane, 32 bytes         (cpace_prs)
 *   salt = BLAKE2b with a 16-byte output (crypto_generichash, no key)
 *          of "p2ptui room prs v1" || room_id
 * The password is used as the bytes given (no RFC 8265 preparation).
 *
 * State machine:
 *
 *	STARTED --respond (B)--> RESPONDED --confirm (B)--> DONE
 *	STARTED --finish (A)-------------------------------> DONE
 *	any state --an error, or a call out of turn--------> FAILED
 *
 * FAILED is terminal and holds no secrets.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cpace.h"
#include "log.h"
#include "xmalloc.h"

#define CPACE_S_IN_BYTES 128 /* SHA-512 input block */
#define CPACE_LEB_MAX 10 /* LEB128 of a 64-bit length */

/*
 * Argon2id cost of the PRS: 3 passes over 128 MiB, about 0.15 to 0.3 s
 * on the development machine (a 2-core VM, libsodium 1.0.18). Changing
 * either changes every room's PRS: it is part of the protocol.
 */
#define CPACE_PRS_OPSLIMIT 3ULL
#define CPACE_PRS_MEMLIMIT ((size_t)128 << 20)

static const uint8_t cpace_dsi[] = CPACE_DSI;
static const uint8_t cpace_dsi_isk[] = CPACE_DSI "_ISK";
static const uint8_t cpace_mac_label[] = "CPaceMac";
static const uint8_t cpace_ci_label[] = "p2ptui room v1";
static const uint8_t cpace_salt_label[] = "p2ptui room prs v1";
#define CPACE_LABEL(s) (s), (sizeof(s) - 1)

enum cpace_state {
	CPACE_STATE_STARTED,
	CPACE_STATE_RESPONDED,
	CPACE_STATE_DONE,
	CPACE_STATE_FAILED,
};

struct cpace {
	/* Secrets. */
	uint8_t y[CPACE_SCALARLEN];
	uint8_t g[CPACE_POINTLEN]; /* from the PRS: allows offline guesses */
	uint8_t isk[CPACE_ISKLEN];
	uint8_t mac_key[CPACE_HASHLEN];
	uint8_t peer_tag[CPACE_TAGLEN]; /* the tag the peer must send */

	/* Public values. */
	uint8_t own_y[CPACE_POINTLEN];
	uint8_t sid[CPACE_MAX_SIDLEN];
	size_t sidlen;
	uint8_t ad[CPACE_MAX_ADLEN];
	size_t adlen;
	enum cpace_role role;
	enum cpace_state state;
};

/* Allocation size: a multiple of 64 so that sodium_malloc() aligns it. */
#define CPACE_SIZE ((sizeof(struct cpace) + 63) & ~(size_t)63)

/*
 * Where a string built by lv_cat goes: into a SHA-512 state, into a
 * buffer, or both. The buffer only receives what fits; len counts all.
 */
struct cpace_sink {
	crypto_hash_sha512_state *st;
	uint8_t *out;
	size_t cap;
	size_t len;
};

static void
cpace_put(struct cpace_sink *s, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (s->st != NULL)
		crypto_hash_sha512_update(s->st, p, n);
	if (s->out != NULL && s->len <= s->cap && n <= s->cap - s->len)
		memcpy(s->out + s->len, p, n);
	s->len += n;
}

static size_t
cpace_leb128(size_t n, uint8_t out[CPACE_LEB_MAX])
{
	size_t i = 0;

	do {
		out[i] = (uint8_t)(n & 0x7f);
		n >>= 7;
		if (n != 0)
			out[i] |= 0x80;
		i++;
	} while (n != 0);
	return i;
}

/* prepend_len(): the LEB128 length, then the string. */
static void
cpace_prepend_len(struct cpace_sink *s, const void *p, size_t n)
{
	uint8_t leb[CPACE_LEB_MAX];

	cpace_put(s, leb, cpace_leb128(n, leb));
	cpace_put(s, p, n);
}

size_t
cpace_lv_cat(const struct cpace_str *parts, size_t n, uint8_t *out, size_t cap)
{
	struct cpace_sink s = { NULL, out, cap, 0 };
	size_t i;

	for (i = 0; i < n; i++)
		cpace_prepend_len(&s, parts[i].p, parts[i].len);
	return s.len;
}

static void
cpace_gen_str(struct cpace_sink *s, const uint8_t *prs, size_t prslen,
    const uint8_t *ci, size_t cilen, const uint8_t *sid, size_t sidlen)
{
	static const uint8_t zeros[CPACE_S_IN_BYTES];
	uint8_t leb[CPACE_LEB_MAX];
	size_t fixed, zlen;

	/* The zpad's own length byte, DSI with its length, PRS's length. */
	fixed = 1 + 1 + (sizeof cpace_dsi - 1) + cpace_leb128(prslen, leb);
	zlen = prslen < CPACE_S_IN_BYTES - fixed
	    ? CPACE_S_IN_BYTES - fixed - prslen
	    : 0;
	cpace_prepend_len(s, CPACE_LABEL(cpace_dsi));
	cpace_prepend_len(s, prs, prslen);
	cpace_prepend_len(s, zeros, zlen);
	cpace_prepend_len(s, ci, cilen);
	cpace_prepend_len(s, sid, sidlen);
}

size_t
cpace_generator_string(const uint8_t *prs, size_t prslen, const uint8_t *ci,
    size_t cilen, const uint8_t *sid, size_t sidlen, uint8_t *out, size_t cap)
{
	struct cpace_sink s = { NULL, out, cap, 0 };

	cpace_gen_str(&s, prs, prslen, ci, cilen, sid, sidlen);
	return s.len;
}

int
cpace_calculate_generator(const uint8_t *prs, size_t prslen, const uint8_t *ci,
    size_t cilen, const uint8_t *sid, size_t sidlen, uint8_t g[CPACE_POINTLEN],
    uint8_t hash[CPACE_HASHLEN])
{
	crypto_hash_sha512_state st;
	struct cpace_sink s = { &st, NULL, 0, 0 };
	uint8_t h[CPACE_HASHLEN];
	int rc = 0;

	crypto_hash_sha512_init(&st);
	cpace_gen_str(&s, prs, prslen, ci, cilen, sid, sidlen);
	crypto_hash_sha512_final(&st, h);
	crypto_core_ristretto255_from_hash(g, h);
	if (sodium_is_zero(g, CPACE_POINTLEN))
		rc = -1;
	if (hash != NULL)
		memcpy(hash, h, sizeof h);
	sodium_memzero(&st, sizeof st);
	sodium_memzero(h, sizeof h);
	return rc;
}

int
cpace_scalar_mult_vfy(uint8_t out[CPACE_POINTLEN],
    const uint8_t y[CPACE_SCALARLEN], const uint8_t x[CPACE_POINTLEN])
{
	if (crypto_scalarmult_ristretto255(out, y, x) != 0 ||
	    sodium_is_zero(out, CPACE_POINTLEN)) {
		sodium_memzero(out, CPACE_POINTLEN); /* G.I */
		return -1;
	}
	return 0;
}

static void
cpace_transcript(struct cpace_sink *s, const uint8_t ya[CPACE_POINTLEN],
    const uint8_t *ada, size_t adalen, const uint8_t yb[CPACE_POINTLEN],
    const uint8_t *adb, size_t adblen)
{
	cpace_prepend_len(s, ya, CPACE_POINTLEN);
	cpace_prepend_len(s, ada, adalen);
	cpace_prepend_len(s, yb, CPACE_POINTLEN);
	cpace_prepend_len(s, adb, adblen);
}

size_t
cpace_transcript_ir(const uint8_t ya[CPACE_POINTLEN], const uint8_t *ada,
    size_t adalen, const uint8_t yb[CPACE_POINTLEN], const uint8_t *adb,
    size_t adblen, uint8_t *out, size_t cap)
{
	struct cpace_sink s = { NULL, out, cap, 0 };

	cpace_transcript(&s, ya, ada, adalen, yb, adb, adblen);
	return s.len;
}

static void
cpace_set_cause(char **cause, const char *msg)
{
	if (cause != NULL)
		*cause = xstrdup(msg);
}

/* Enter DONE: only the ISK is still needed. */
static int
cpace_done(struct cpace *c)
{
	sodium_memzero(c->mac_key, sizeof c->mac_key);
	sodium_memzero(c->peer_tag, sizeof c->peer_tag);
	c->state = CPACE_STATE_DONE;
	return 0;
}

/* Enter FAILED: nothing secret stays behind. */
static int
cpace_fail(struct cpace *c, char **cause, const char *msg)
{
	sodium_memzero(c->y, sizeof c->y);
	sodium_memzero(c->g, sizeof c->g);
	sodium_memzero(c->isk, sizeof c->isk);
	sodium_memzero(c->mac_key, sizeof c->mac_key);
	sodium_memzero(c->peer_tag, sizeof c->peer_tag);
	c->state = CPACE_STATE_FAILED;
	cpace_set_cause(cause, msg);
	return -1;
}

struct cpace *
cpace_create(enum cpace_role role, const uint8_t *prs, size_t prslen,
    const uint8_t *ci, size_t cilen, const uint8_t *sid, size_t sidlen,
    const uint8_t *ad, size_t adlen, char **cause)
{
	struct cpace *c;

	if (cause != NULL)
		*cause = NULL;
	if (sodium_init() < 0)
		fatal("sodium_init failed");
	if ((role != CPACE_INITIATOR && role != CPACE_RESPONDER) ||
	    (prs == NULL && prslen != 0) || (ci == NULL && cilen != 0) ||
	    (sid == NULL && sidlen != 0) || (ad == NULL && adlen != 0)) {
		cpace_set_cause(cause, "invalid arguments");
		return NULL;
	}
	if (sidlen > CPACE_MAX_SIDLEN || adlen > CPACE_MAX_ADLEN) {
		cpace_set_cause(
		    cause, "session id or associated data too long");
		return NULL;
	}

	if ((c = sodium_malloc(CPACE_SIZE)) == NULL)
		fatal("out of memory allocating CPace state");
	memset(c, 0, CPACE_SIZE);
	c->role = role;
	c->state = CPACE_STATE_STARTED;
	if (sidlen != 0)
		memcpy(c->sid, sid, sidlen);
	c->sidlen = sidlen;
	if (adlen != 0)
		memcpy(c->ad, ad, adlen);
	c->adlen = adlen;

	crypto_core_ristretto255_scalar_random(c->y);
	if (cpace_calculate_generator(
	        prs, prslen, ci, cilen, sid, sidlen, c->g, NULL) != 0 ||
	    cpace_scalar_mult_vfy(c->own_y, c->y, c->g) != 0) {
		/* Only if SHA-512 hit a preimage of the identity. */
		cpace_set_cause(cause, "the generator is the identity");
		cpace_free(c);
		return NULL;
	}
	return c;
}

void
cpace_free(struct cpace *c)
{
	if (c == NULL)
		return;
	sodium_memzero(c, CPACE_SIZE);
	sodium_free(c);
}

int
cpace_set_scalar(struct cpace *c, const uint8_t y[CPACE_SCALARLEN])
{
	if (c->state != CPACE_STATE_STARTED)
		return cpace_fail(c, NULL, "out of turn");
	memcpy(c->y, y, sizeof c->y);
	if (cpace_scalar_mult_vfy(c->own_y, c->y, c->g) != 0)
		return cpace_fail(c, NULL, "y * g is the identity");
	return 0;
}

int
cpace_msg(const struct cpace *c, uint8_t y[CPACE_POINTLEN])
{
	if (c->state == CPACE_STATE_FAILED)
		return -1;
	memcpy(y, c->own_y, CPACE_POINTLEN);
	return 0;
}

/* HMAC-SHA-512(mac_key, lv_cat(Y, AD)). */
static void
cpace_tag(const struct cpace *c, const uint8_t y[CPACE_POINTLEN],
    const uint8_t *ad, size_t adlen, uint8_t tag[CPACE_TAGLEN])
{
	crypto_auth_hmacsha512_state st;
	uint8_t msg[2 * CPACE_LEB_MAX + CPACE_POINTLEN + CPACE_MAX_ADLEN];
	struct cpace_str parts[2] = { { y, CPACE_POINTLEN }, { ad, adlen } };
	size_t len;

	len = cpace_lv_cat(parts, 2, msg, sizeof msg);
	if (len > sizeof msg)
		fatal("cpace: tag input too long");
	crypto_auth_hmacsha512_init(&st, c->mac_key, sizeof c->mac_key);
	crypto_auth_hmacsha512_update(&st, msg, len);
	crypto_auth_hmacsha512_final(&st, tag);
	sodium_memzero(&st, sizeof st);
}

/*
 * K from the peer's message, then ISK, mac_key, the peer's expected tag
 * and our own tag. The scalar and the generator are not needed after
 * this and are wiped.
 */
static int
cpace_derive(struct cpace *c, const uint8_t peer_y[CPACE_POINTLEN],
    const uint8_t *peer_ad, size_t peer_adlen, uint8_t own_tag[CPACE_TAGLEN],
    char **cause)
{
	crypto_hash_sha512_state st;
	struct cpace_sink s = { &st, NULL, 0, 0 };
	uint8_t k[CPACE_POINTLEN];
	const uint8_t *ya, *ada, *yb, *adb;
	size_t adalen, adblen;

	if (peer_ad == NULL && peer_adlen != 0)
		return cpace_fail(c, cause, "invalid arguments");
	if (peer_adlen > CPACE_MAX_ADLEN)
		return cpace_fail(c, cause, "associated data too long");
	if (sodium_memcmp(peer_y, c->own_y, CPACE_POINTLEN) == 0)
		return cpace_fail(c, cause, "the peer sent our own message");
	if (cpace_scalar_mult_vfy(k, c->y, peer_y) != 0)
		return cpace_fail(c, cause, "invalid point from the peer");
	sodium_memzero(c->y, sizeof c->y);
	sodium_memzero(c->g, sizeof c->g);

	if (c->role == CPACE_INITIATOR) {
		ya = c->own_y;
		ada = c->ad;
		adalen = c->adlen;
		yb = peer_y;
		adb = peer_ad;
		adblen = peer_adlen;
	} else {
		ya = peer_y;
		ada = peer_ad;
		adalen = peer_adlen;
		yb = c->own_y;
		adb = c->ad;
		adblen = c->adlen;
	}
	crypto_hash_sha512_init(&st);
	cpace_prepend_len(&s, CPACE_LABEL(cpace_dsi_isk));
	cpace_prepend_len(&s, c->sid, c->sidlen);
	cpace_prepend_len(&s, k, sizeof k);
	cpace_transcript(&s, ya, ada, adalen, yb, adb, adblen);
	crypto_hash_sha512_final(&st, c->isk);

	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, CPACE_LABEL(cpace_mac_label));
	crypto_hash_sha512_update(&st, c->sid, c->sidlen);
	crypto_hash_sha512_update(&st, c->isk, sizeof c->isk);
	crypto_hash_sha512_final(&st, c->mac_key);
	sodium_memzero(&st, sizeof st);
	sodium_memzero(k, sizeof k);

	cpace_tag(c, peer_y, peer_ad, peer_adlen, c->peer_tag);
	cpace_tag(c, c->own_y, c->ad, c->adlen, own_tag);
	return 0;
}

int
cpace_respond(struct cpace *c, const uint8_t ya[CPACE_POINTLEN],
    const uint8_t *ada, size_t adalen, uint8_t tb[CPACE_TAGLEN], char **cause)
{
	if (cause != NULL)
		*cause = NULL;
	if (c->role != CPACE_RESPONDER || c->state != CPACE_STATE_STARTED)
		return cpace_fail(c, cause, "CPace message out of turn");
	if (cpace_derive(c, ya, ada, adalen, tb, cause) != 0)
		return -1;
	c->state = CPACE_STATE_RESPONDED;
	return 0;
}

int
cpace_finish(struct cpace *c, const uint8_t yb[CPACE_POINTLEN],
    const uint8_t *adb, size_t adblen, const uint8_t tb[CPACE_TAGLEN],
    uint8_t ta[CPACE_TAGLEN], char **cause)
{
	if (cause != NULL)
		*cause = NULL;
	if (c->role != CPACE_INITIATOR || c->state != CPACE_STATE_STARTED)
		return cpace_fail(c, cause, "CPace message out of turn");
	if (cpace_derive(c, yb, adb, adblen, ta, cause) != 0)
		return -1;
	if (sodium_memcmp(tb, c->peer_tag, CPACE_TAGLEN) != 0) {
		sodium_memzero(ta, CPACE_TAGLEN);
		return cpace_fail(c, cause, "wrong password (the tag differs)");
	}
	return cpace_done(c);
}

int
cpace_confirm(struct cpace *c, const uint8_t ta[CPACE_TAGLEN], char **cause)
{
	if (cause != NULL)
		*cause = NULL;
	if (c->role != CPACE_RESPONDER || c->state != CPACE_STATE_RESPONDED)
		return cpace_fail(c, cause, "CPace message out of turn");
	if (sodium_memcmp(ta, c->peer_tag, CPACE_TAGLEN) != 0)
		return cpace_fail(c, cause, "wrong password (the tag differs)");
	return cpace_done(c);
}

int
cpace_isk(const struct cpace *c, uint8_t isk[CPACE_ISKLEN])
{
	if (c->state != CPACE_STATE_DONE)
		return -1;
	memcpy(isk, c->isk, CPACE_ISKLEN);
	return 0;
}

int
cpace_prs(const char *password, size_t len,
    const uint8_t room_id[CPACE_ROOM_IDLEN], uint8_t prs[CPACE_PRSLEN],
    char **cause)
{
	crypto_generichash_state st;
	uint8_t salt[crypto_pwhash_SALTBYTES];
	int rc;

	if (cause != NULL)
		*cause = NULL;
	if (sodium_init() < 0)
		fatal("sodium_init failed");
	if (len == 0) {
		cpace_set_cause(cause, "empty password");
		return -1;
	}
	crypto_generichash_init(&st, NULL, 0, sizeof salt);
	crypto_generichash_update(&st, CPACE_LABEL(cpace_salt_label));
	crypto_generichash_update(&st, room_id, CPACE_ROOM_IDLEN);
	crypto_generichash_final(&st, salt, sizeof salt);
	rc = crypto_pwhash(prs, CPACE_PRSLEN, password, len, salt,
	    CPACE_PRS_OPSLIMIT, CPACE_PRS_MEMLIMIT,
	    crypto_pwhash_ALG_ARGON2ID13);
	if (rc != 0) {
		sodium_memzero(prs, CPACE_PRSLEN);
		cpace_set_cause(cause, "Argon2id failed (out of memory?)");
		return -1;
	}
	return 0;
}

void
cpace_room_ci(const uint8_t room_id[CPACE_ROOM_IDLEN],
    const uint8_t joiner[CPACE_ROOM_KEYLEN],
    const uint8_t member[CPACE_ROOM_KEYLEN], uint8_t ci[CPACE_ROOM_CILEN])
{
	const struct cpace_str parts[4] = {
		{ CPACE_LABEL(cpace_ci_label) },
		{ room_id, CPACE_ROOM_IDLEN },
		{ joiner, CPACE_ROOM_KEYLEN },
		{ member, CPACE_ROOM_KEYLEN },
	};

	if (cpace_lv_cat(parts, 4, ci, CPACE_ROOM_CILEN) != CPACE_ROOM_CILEN)
		fatal("cpace: CPACE_ROOM_CILEN is wrong");
}
