/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * CPace (draft-irtf-cfrg-cpace-21), suite CPACE-RISTR255-SHA512, in the
 * initiator-responder setting with the draft's explicit key confirmation:
 * the password join of a room (DESIGN.md section 9). cpace.c says
 * exactly what is computed.
 *
 * Flow (A = the joiner, the initiator; B = a member, the responder):
 *
 *	A: cpace_create(INITIATOR), cpace_msg() -> Ya   JOIN(Ya) ------->
 *	B: cpace_create(RESPONDER), cpace_msg() -> Yb,
 *	   cpace_respond(Ya) -> Tb                <------- CHALLENGE(Yb, Tb)
 *	A: cpace_finish(Yb, Tb) -> Ta             CONFIRM(Ta) ----------->
 *	B: cpace_confirm(Ta)
 *
 * after which cpace_isk() gives both sides the same ISK. Any failure
 * (an invalid or identity point, a wrong tag, a call out of turn) makes
 * the context FAILED for good and wipes its secrets; the only thing left
 * to do with it is cpace_free(). A wrong password shows up as a wrong
 * tag: at A when it checks Tb, at B when it checks Ta.
 */
#ifndef P2PTUI_CPACE_H
#define P2PTUI_CPACE_H

#include <stddef.h>
#include <stdint.h>

#define CPACE_DSI "CPaceRistretto255" /* G.DSI; DSI_ISK adds "_ISK" */
#define CPACE_POINTLEN 32 /* a ristretto255 encoding: g, Ya, Yb, K */
#define CPACE_SCALARLEN 32
#define CPACE_HASHLEN 64 /* SHA-512: generator hash, ISK */
#define CPACE_ISKLEN 64
#define CPACE_TAGLEN 64 /* HMAC-SHA-512: Ta, Tb */
#define CPACE_PRSLEN 32 /* cpace_prs() output */
#define CPACE_MAX_SIDLEN 64 /* the Noise handshake hash is 64 */
#define CPACE_MAX_ADLEN 256

#define CPACE_ROOM_IDLEN 16
#define CPACE_ROOM_KEYLEN 32 /* a Noise static public key */
/* lv_cat("p2ptui room v1", room_id, joiner key, member key) */
#define CPACE_ROOM_CILEN (15 + 17 + 33 + 33)

enum cpace_role { CPACE_INITIATOR, CPACE_RESPONDER };

struct cpace;

/* A string for cpace_lv_cat(). */
struct cpace_str {
	const void *p;
	size_t len;
};

/*
 * Start a run: derive the generator from prs, ci and sid, sample the
 * secret scalar and compute this side's message Y. ad is this side's
 * associated data (ADa for the initiator, ADb for the responder), sent
 * in the clear beside Y; sid at most CPACE_MAX_SIDLEN bytes, ad at most
 * CPACE_MAX_ADLEN. NULL with *cause (caller frees) on bad lengths.
 */
struct cpace *cpace_create(enum cpace_role role, const uint8_t *prs,
    size_t prslen, const uint8_t *ci, size_t cilen, const uint8_t *sid,
    size_t sidlen, const uint8_t *ad, size_t adlen, char **cause);
/* Wipe and free; NULL is a no-op. */
void cpace_free(struct cpace *);

/* Replace the random scalar with y and recompute Y (test vectors only).
 * -1 if y * g is the identity; only before the peer's message. */
int cpace_set_scalar(struct cpace *, const uint8_t y[CPACE_SCALARLEN]);

/* This side's message Y (Ya or Yb); -1 once FAILED. */
int cpace_msg(const struct cpace *, uint8_t y[CPACE_POINTLEN]);

/*
 * Responder: take the initiator's Ya and ADa, derive the ISK and write
 * this side's tag Tb. -1 with *cause (and FAILED) if Ya is not a valid
 * encoding, is the identity, or K is the identity.
 */
int cpace_respond(struct cpace *, const uint8_t ya[CPACE_POINTLEN],
    const uint8_t *ada, size_t adalen, uint8_t tb[CPACE_TAGLEN], char **cause);
/*
 * Initiator: take the responder's Yb, ADb and Tb, derive the ISK, check
 * Tb and write this side's tag Ta. -1 with *cause (and FAILED) on an
 * invalid Yb or a wrong Tb (a wrong password, or tampering).
 */
int cpace_finish(struct cpace *, const uint8_t yb[CPACE_POINTLEN],
    const uint8_t *adb, size_t adblen, const uint8_t tb[CPACE_TAGLEN],
    uint8_t ta[CPACE_TAGLEN], char **cause);
/* Responder: check the initiator's Ta. -1 with *cause (and FAILED) if
 * it is wrong. */
int cpace_confirm(struct cpace *, const uint8_t ta[CPACE_TAGLEN], char **cause);

/* The ISK, only after the peer's tag was checked; -1 otherwise. The
 * draft recommends a KDF over it before use as a key. */
int cpace_isk(const struct cpace *, uint8_t isk[CPACE_ISKLEN]);

/*
 * The PRS of a password room: Argon2id(password, salt from room_id),
 * CPACE_PRSLEN bytes (see cpace.c for the parameters and the salt).
 * -1 with *cause for an empty password or if Argon2id cannot run (its
 * memory could not be allocated).
 */
int cpace_prs(const char *password, size_t len,
    const uint8_t room_id[CPACE_ROOM_IDLEN], uint8_t prs[CPACE_PRSLEN],
    char **cause);
/* CI = lv_cat("p2ptui room v1", room_id, joiner key, member key). */
void cpace_room_ci(const uint8_t room_id[CPACE_ROOM_IDLEN],
    const uint8_t joiner[CPACE_ROOM_KEYLEN],
    const uint8_t member[CPACE_ROOM_KEYLEN], uint8_t ci[CPACE_ROOM_CILEN]);

/*
 * The draft's building blocks, for the test vectors. Functions that
 * produce a string return its full length and write it to out only if
 * it fits in cap.
 */
/* lv_cat(): each part with its LEB128 length before it. */
size_t cpace_lv_cat(
    const struct cpace_str *parts, size_t n, uint8_t *out, size_t cap);
/* generator_string(G.DSI, PRS, CI, sid, H.s_in_bytes). */
size_t cpace_generator_string(const uint8_t *prs, size_t prslen,
    const uint8_t *ci, size_t cilen, const uint8_t *sid, size_t sidlen,
    uint8_t *out, size_t cap);
/* calculate_generator(): g (encoded) and, if hash is not NULL, the
 * SHA-512 of the generator string. -1 if g is the identity. */
int cpace_calculate_generator(const uint8_t *prs, size_t prslen,
    const uint8_t *ci, size_t cilen, const uint8_t *sid, size_t sidlen,
    uint8_t g[CPACE_POINTLEN], uint8_t hash[CPACE_HASHLEN]);
/* scalar_mult_vfy(y, X): -1 (the draft's G.I) if X does not decode or
 * y * X is the identity. */
int cpace_scalar_mult_vfy(uint8_t out[CPACE_POINTLEN],
    const uint8_t y[CPACE_SCALARLEN], const uint8_t x[CPACE_POINTLEN]);
/* transcript_ir(Ya, ADa, Yb, ADb) = lv_cat(Ya, ADa) || lv_cat(Yb, ADb). */
size_t cpace_transcript_ir(const uint8_t ya[CPACE_POINTLEN], const uint8_t *ada,
    size_t adalen, const uint8_t yb[CPACE_POINTLEN], const uint8_t *adb,
    size_t adblen, uint8_t *out, size_t cap);

#endif
