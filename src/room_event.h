/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Room events (DESIGN.md section 9, doc/PROTOCOL.md section 14): the
 * signed, hash-linked, encrypted entries of a room's log, as pure
 * functions over buffers. One of the crypto files (it owns the use of
 * Ed25519, BLAKE2b and XChaCha20-Poly1305 for rooms).
 *
 *   event = header || body || sig[64]
 *   header = ver:u8 kind:u8 room[16] epoch:u32 author[32] seq:u64
 *            lamport:u64 time:i64 nparents:u8 parents[32 * nparents]
 *   body   = nonce[24] || XChaCha20-Poly1305(epoch key, nonce,
 *            ad = header, plain)
 *   sig    = Ed25519(author, "p2ptui room event v1" || header || body)
 *   id     = BLAKE2b-256("p2ptui room id v1" || event)
 *
 * room_event_decode() checks the structure, the canonical form and the
 * signature; the membership, causal and epoch rules are room_log.c's.
 */
#ifndef P2PTUI_ROOM_EVENT_H
#define P2PTUI_ROOM_EVENT_H

#include <stddef.h>
#include <stdint.h>

#define ROOM_EVENT_VERSION 1
#define ROOM_IDLEN 16 /* a room id */
#define ROOM_SALTLEN 16 /* CREATE's salt for the room id */
#define ROOM_KEYLEN 32 /* E, a Noise key, an epoch key, a commitment */
#define ROOM_SKLEN 64 /* E's secret key (libsodium's form) */
#define ROOM_HASHLEN 32 /* an event id */
#define ROOM_SIGLEN 64
#define ROOM_NONCELEN 24
#define ROOM_MACLEN 16
#define ROOM_SEALLEN (ROOM_NONCELEN + ROOM_MACLEN) /* body overhead */
#define ROOM_PARENTS_MAX 8
#define ROOM_HDR_FIXED 79 /* the header without its parents */
#define ROOM_HDR_MAX (ROOM_HDR_FIXED + ROOM_PARENTS_MAX * ROOM_HASHLEN)
#define ROOM_EVENT_MAX 65000 /* bytes of an encoded event */
#define ROOM_PLAIN_MAX \
	(ROOM_EVENT_MAX - ROOM_HDR_MAX - ROOM_SEALLEN - ROOM_SIGLEN)
#define ROOM_EVENT_MIN (ROOM_HDR_FIXED + ROOM_SEALLEN + ROOM_SIGLEN)
#define ROOM_SEQ_MAX (UINT64_C(1) << 62) /* seq and lamport stay below */
#define ROOM_NAME_MAX 32
#define ROOM_NICK_MAX 32
#define ROOM_TOPIC_MAX 256
#define ROOM_TEXT_MAX 60000
#define ROOM_FILE_NAME_MAX 1024
#define ROOM_FILE_SIZE_MAX (UINT64_C(1) << 62)
#define ROOM_ADDR_MAX 18 /* port:u16 [IPv4[4] | IPv6[16]] */
#define ROOM_CREATE_PASSWORD 0x01 /* CREATE flags: a password room */

enum room_kind {
	ROOM_CREATE = 1,
	ROOM_ADD = 2,
	ROOM_LEAVE = 3,
	ROOM_REMOVE = 4,
	ROOM_REKEY = 5,
	ROOM_MSG = 6,
	ROOM_TOPIC = 7,
	ROOM_FILE = 8,
	ROOM_KIND_MAX = ROOM_FILE,
};

/* A decoded event header; body and sig point into the decoded buffer. */
struct room_event {
	uint8_t kind;
	uint8_t room[ROOM_IDLEN];
	uint32_t epoch;
	uint8_t author[ROOM_KEYLEN];
	uint64_t seq;
	uint64_t lamport;
	int64_t time_ms;
	uint8_t nparents;
	uint8_t parents[ROOM_PARENTS_MAX][ROOM_HASHLEN];
	const uint8_t *body; /* nonce || ciphertext || tag */
	size_t bodylen;
	size_t hdrlen; /* the header's bytes, the AEAD's associated data */
	uint8_t id[ROOM_HASHLEN];
};

/* Who a member is (CREATE: the creator; ADD: the newcomer). */
struct room_member_info {
	uint8_t e[ROOM_KEYLEN]; /* ADD only; CREATE's is the author */
	uint8_t noise[ROOM_KEYLEN];
	char nick[ROOM_NICK_MAX + 1];
	uint8_t addrlen; /* 0, 2, 6 or 18 */
	uint8_t addr[ROOM_ADDR_MAX];
};

/* A decrypted body. Pointers go into the plaintext buffer. */
struct room_body {
	uint8_t kind;
	uint8_t flags; /* CREATE */
	char name[ROOM_NAME_MAX + 1]; /* CREATE */
	uint8_t salt[ROOM_SALTLEN]; /* CREATE */
	uint8_t commit[ROOM_KEYLEN]; /* CREATE: epoch 0; REKEY: new epoch */
	struct room_member_info member; /* CREATE, ADD */
	uint8_t who[ROOM_KEYLEN]; /* REMOVE */
	uint64_t last; /* REMOVE: who's last accepted seq */
	uint32_t epoch; /* REKEY: the new epoch */
	const uint8_t *text; /* MSG, TOPIC; FILE: the name */
	size_t len;
	uint8_t root[ROOM_HASHLEN]; /* FILE */
	uint64_t size; /* FILE */
};

/*
 * Decode and authenticate an event of exactly len bytes: every length,
 * the canonical form and the signature; the id is computed. -1 with
 * *why (static) otherwise.
 */
int room_event_decode(
    const uint8_t *, size_t len, struct room_event *, const char **why);
/* The same without the signature check, for events this node checked
 * before it stored them (loading the store at start). */
int room_event_parse(
    const uint8_t *, size_t len, struct room_event *, const char **why);
/*
 * Encode the event ev describes (all header fields but body, bodylen,
 * hdrlen, id) with plain as its body: seal it under key with nonce
 * (NULL: random), sign it with sk, set ev->id. The length written, or 0
 * if the header is not canonical or it does not fit in cap or
 * ROOM_EVENT_MAX.
 */
size_t room_event_encode(struct room_event *ev, const uint8_t *plain,
    size_t plainlen, const uint8_t key[ROOM_KEYLEN],
    const uint8_t sk[ROOM_SKLEN], const uint8_t *nonce, uint8_t *out,
    size_t cap);
/* The id of an event's bytes, without any check (so a copy already
 * held is known before its signature is checked again). */
void room_event_hash(const uint8_t *, size_t len, uint8_t id[ROOM_HASHLEN]);
/*
 * Decrypt the body of a decoded event (raw: the event's bytes) into
 * plain (at least ev->bodylen - ROOM_SEALLEN bytes), its length in
 * *plainlen; -1 if key does not open it.
 */
int room_event_open(const struct room_event *, const uint8_t *raw,
    const uint8_t key[ROOM_KEYLEN], uint8_t *plain, size_t *plainlen);

/*
 * Decode a body of the given kind (exactly len bytes; pointers into p).
 * -1 with *why if malformed.
 */
int room_body_decode(uint8_t kind, const uint8_t *p, size_t len,
    struct room_body *, const char **why);
/* Encode a body, its length in *len; -1 if invalid or it does not fit. */
int room_body_encode(
    const struct room_body *, uint8_t *out, size_t cap, size_t *len);

/*
 * Pieces shared with room_proto.c. A member record: [e[32]] noise[32]
 * nicklen:u8 nick addrlen:u8 addr, at *off (advanced); -1 if malformed
 * or it does not fit.
 */
int room_member_decode(const uint8_t *, size_t len, size_t *off, int with_e,
    struct room_member_info *);
int room_member_encode(uint8_t *out, size_t cap, size_t *off, int with_e,
    const struct room_member_info *);
/* len:u8 then a printable string of min to max bytes, copied to out
 * (max + 1 bytes). */
int room_get_str(const uint8_t *, size_t len, size_t *off, size_t min,
    size_t max, char *out);
int room_put_str(uint8_t *out, size_t cap, size_t *off, const char *);
/* Append n bytes at *off if they fit. */
int room_put(uint8_t *out, size_t cap, size_t *off, const void *, size_t n);

/* A new E key pair; from seed if not NULL (tests, examples). */
void room_keypair(
    uint8_t pk[ROOM_KEYLEN], uint8_t sk[ROOM_SKLEN], const uint8_t *seed);
/* The id of a room created by e with salt: BLAKE2b-128("p2ptui room
 * name v1" || e || salt). No other key can write its CREATE. */
void room_id_derive(const uint8_t e[ROOM_KEYLEN],
    const uint8_t salt[ROOM_SALTLEN], uint8_t room[ROOM_IDLEN]);
/* The commitment to an epoch key: BLAKE2b-256("p2ptui room key v1" ||
 * room || epoch:u32 || key). */
void room_key_commit(const uint8_t room[ROOM_IDLEN], uint32_t epoch,
    const uint8_t key[ROOM_KEYLEN], uint8_t out[ROOM_KEYLEN]);

/*
 * Secrets at rest (epoch keys, E's secret key, a PRS): sealed under a
 * key the caller derives from the identity, so a copied history.db
 * alone gives none of them. Sealed form: nonce[24] || XChaCha20-
 * Poly1305(wrap, nonce, ad = label, secret); ROOM_SEALLEN bytes longer.
 */
void room_wrap_key(
    const uint8_t *ident_secret, size_t len, uint8_t wrap[ROOM_KEYLEN]);
void room_seal(const uint8_t wrap[ROOM_KEYLEN], const char *label,
    const uint8_t *secret, size_t len, uint8_t *out);
/* -1 if out was not sealed with wrap and label. */
int room_unseal(const uint8_t wrap[ROOM_KEYLEN], const char *label,
    const uint8_t *in, size_t inlen, uint8_t *out);

#endif
