/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Room events: encoding, decoding, signatures, ids, sealed bodies and
 * the per-kind body formats (doc/PROTOCOL.md section 14.2). Integers
 * big-endian.
 *
 *   header   = ver:u8 (1) kind:u8 (1..8) room[16] epoch:u32 author[32]
 *              seq:u64 lamport:u64 time:i64 nparents:u8
 *              parents[32 * nparents]
 *   CREATE   : nparents 0, seq 1, lamport 1, epoch 0
 *   others   : nparents 1..8, parents in strictly increasing byte order
 *              (no duplicates, one order), seq >= 1, lamport >= 2
 *   seq, lamport below 2^62
 *   body     = nonce[24] ciphertext tag[16]     (at least 40 bytes)
 *   event    = header body sig[64], at most 65000 bytes
 *
 * Bodies, once opened (addr: 0, 2, 6 or 18 bytes: port:u16 (not 0)
 * then nothing, an IPv4 or an IPv6 address; text fields printable
 * UTF-8, MSG text also line feeds):
 *
 *   CREATE = flags:u8 (bit 0: password; others 0) namelen:u8 name
 *            (1..32) salt[16] commit[32] noise[32] nicklen:u8 nick
 *            (0..32) addrlen:u8 addr
 *   ADD    = e[32] noise[32] nicklen:u8 nick addrlen:u8 addr
 *   LEAVE  = (empty)
 *   REMOVE = e[32] last:u64
 *   REKEY  = epoch:u32 commit[32]
 *   MSG    = text (1..60000)
 *   TOPIC  = text (0..256)
 *   FILE   = root[32] size:u64 (<= 2^62) name (1..1024, no NUL)
 *
 * The encoder refuses whatever the decoder would refuse, so an event
 * and a body have one form each.
 */
#include <string.h>

#include "ident.h"
#include "log.h"
#include "room_event.h"
#include "util.h"

#define ROOM_SIG_LABEL "p2ptui room event v1"
#define ROOM_ID_LABEL "p2ptui room id v1"
#define ROOM_COMMIT_LABEL "p2ptui room key v1"
#define ROOM_ROOMID_LABEL "p2ptui room name v1"
#define ROOM_WRAP_LABEL "p2ptui room wrap v1"
#define ROOM_LABEL(s) (const uint8_t *)(s), (sizeof(s) - 1)

/* Offsets in the header. */
#define OFF_KIND 1
#define OFF_ROOM 2
#define OFF_EPOCH 18
#define OFF_AUTHOR 22
#define OFF_SEQ 54
#define OFF_LAMPORT 62
#define OFF_TIME 70
#define OFF_NPARENTS 78

static void
room_init(void)
{
	if (ident_init() == -1)
		fatal("libsodium cannot start");
}

/* The header rules both ways: NULL if canonical, else why not. */
static const char *
room_header_check(const struct room_event *ev)
{
	unsigned i;

	if (ev->kind < ROOM_CREATE || ev->kind > ROOM_KIND_MAX)
		return "unknown room event kind";
	if (ev->seq >= ROOM_SEQ_MAX || ev->lamport >= ROOM_SEQ_MAX)
		return "room event counter out of range";
	if (ev->kind == ROOM_CREATE) {
		if (ev->nparents != 0 || ev->seq != 1 || ev->lamport != 1 ||
		    ev->epoch != 0)
			return "bad room create header";
		return NULL;
	}
	if (ev->nparents < 1 || ev->nparents > ROOM_PARENTS_MAX)
		return "bad number of room event parents";
	if (ev->seq < 1 || ev->lamport < 2)
		return "room event counter out of range";
	for (i = 1; i < ev->nparents; i++)
		if (memcmp(ev->parents[i - 1], ev->parents[i], ROOM_HASHLEN) >=
		    0)
			return "room event parents not in order";
	return NULL;
}

/* BLAKE2b (no key) of label || a || b || c into out (outlen bytes); b
 * and c may be NULL. */
static void
room_hash(uint8_t *out, size_t outlen, const char *label, const void *a,
    size_t alen, const void *b, size_t blen, const void *c, size_t clen)
{
	struct ident_part parts[] = {
		{ label, strlen(label) },
		{ a, alen },
		{ b, b != NULL ? blen : 0 },
		{ c, c != NULL ? clen : 0 },
	};

	ident_hash(out, outlen, parts, 4);
}
void
room_event_hash(const uint8_t *p, size_t len, uint8_t id[ROOM_HASHLEN])
{
	room_hash(id, ROOM_HASHLEN, ROOM_ID_LABEL, p, len, NULL, 0, NULL, 0);
}

int
room_event_parse(
    const uint8_t *p, size_t len, struct room_event *ev, const char **why)
{
	unsigned i;

	room_init();
	memset(ev, 0, sizeof *ev);
	if (len < ROOM_EVENT_MIN || len > ROOM_EVENT_MAX) {
		*why = "bad room event length";
		return -1;
	}
	if (p[0] != ROOM_EVENT_VERSION) {
		*why = "unknown room event version";
		return -1;
	}
	ev->kind = p[OFF_KIND];
	memcpy(ev->room, p + OFF_ROOM, ROOM_IDLEN);
	ev->epoch = (uint32_t)util_be_get(p + OFF_EPOCH, 4);
	memcpy(ev->author, p + OFF_AUTHOR, ROOM_KEYLEN);
	ev->seq = util_be_get(p + OFF_SEQ, 8);
	ev->lamport = util_be_get(p + OFF_LAMPORT, 8);
	ev->time_ms = (int64_t)util_be_get(p + OFF_TIME, 8);
	ev->nparents = p[OFF_NPARENTS];
	if (ev->nparents > ROOM_PARENTS_MAX) {
		*why = "bad number of room event parents";
		return -1;
	}
	ev->hdrlen = ROOM_HDR_FIXED + (size_t)ev->nparents * ROOM_HASHLEN;
	if (len < ev->hdrlen + ROOM_SEALLEN + ROOM_SIGLEN) {
		*why = "short room event";
		return -1;
	}
	for (i = 0; i < ev->nparents; i++)
		memcpy(ev->parents[i], p + ROOM_HDR_FIXED + i * ROOM_HASHLEN,
		    ROOM_HASHLEN);
	if ((*why = room_header_check(ev)) != NULL)
		return -1;
	ev->body = p + ev->hdrlen;
	ev->bodylen = len - ev->hdrlen - ROOM_SIGLEN;
	room_event_hash(p, len, ev->id);
	return 0;
}

int
room_event_decode(
    const uint8_t *p, size_t len, struct room_event *ev, const char **why)
{
	if (room_event_parse(p, len, ev, why) == -1)
		return -1;
	if (ident_sign_verify(p + len - ROOM_SIGLEN, ev->author,
	        ROOM_LABEL(ROOM_SIG_LABEL), p, len - ROOM_SIGLEN) == -1) {
		*why = "bad room event signature";
		return -1;
	}
	return 0;
}

size_t
room_event_encode(struct room_event *ev, const uint8_t *plain, size_t plainlen,
    const uint8_t key[ROOM_KEYLEN], const uint8_t sk[ROOM_SKLEN],
    const uint8_t *nonce, uint8_t *out, size_t cap)
{
	size_t hdrlen, len, i;

	room_init();
	if (room_header_check(ev) != NULL || plainlen > ROOM_PLAIN_MAX)
		return 0;
	hdrlen = ROOM_HDR_FIXED + (size_t)ev->nparents * ROOM_HASHLEN;
	len = hdrlen + ROOM_SEALLEN + plainlen + ROOM_SIGLEN;
	if (len > cap || len > ROOM_EVENT_MAX)
		return 0;
	out[0] = ROOM_EVENT_VERSION;
	out[OFF_KIND] = ev->kind;
	memcpy(out + OFF_ROOM, ev->room, ROOM_IDLEN);
	util_be_put(out + OFF_EPOCH, ev->epoch, 4);
	memcpy(out + OFF_AUTHOR, ev->author, ROOM_KEYLEN);
	util_be_put(out + OFF_SEQ, ev->seq, 8);
	util_be_put(out + OFF_LAMPORT, ev->lamport, 8);
	util_be_put(out + OFF_TIME, (uint64_t)ev->time_ms, 8);
	out[OFF_NPARENTS] = ev->nparents;
	for (i = 0; i < ev->nparents; i++)
		memcpy(out + ROOM_HDR_FIXED + i * ROOM_HASHLEN, ev->parents[i],
		    ROOM_HASHLEN);
	if (nonce != NULL)
		memcpy(out + hdrlen, nonce, ROOM_NONCELEN);
	else
		ident_random(out + hdrlen, ROOM_NONCELEN);
	ident_aead_seal(out + hdrlen + ROOM_NONCELEN, plain, plainlen, out,
	    hdrlen, out + hdrlen, key);
	ident_sign(out + len - ROOM_SIGLEN, sk, ROOM_LABEL(ROOM_SIG_LABEL), out,
	    len - ROOM_SIGLEN);
	ev->hdrlen = hdrlen;
	ev->body = out + hdrlen;
	ev->bodylen = ROOM_SEALLEN + plainlen;
	room_event_hash(out, len, ev->id);
	return len;
}

int
room_event_open(const struct room_event *ev, const uint8_t *raw,
    const uint8_t key[ROOM_KEYLEN], uint8_t *plain, size_t *plainlen)
{
	if (ev->bodylen < ROOM_SEALLEN ||
	    ident_aead_open(plain, ev->body + ROOM_NONCELEN,
	        ev->bodylen - ROOM_NONCELEN, raw, ev->hdrlen, ev->body,
	        key) == -1)
		return -1;
	*plainlen = ev->bodylen - ROOM_SEALLEN;
	return 0;
}

/* A member address: 0, 2, 6 or 18 bytes, and a port if any. */
static int
room_addr_ok(const uint8_t *p, size_t n)
{
	if (n == 0)
		return 1;
	if (n != 2 && n != 6 && n != 18)
		return 0;
	return util_be_get(p, 2) != 0;
}

int
room_get_str(const uint8_t *p, size_t len, size_t *off, size_t min, size_t max,
    char *out)
{
	size_t n;

	if (*off >= len)
		return -1;
	n = p[(*off)++];
	if (n < min || n > max || n > len - *off ||
	    !util_utf8_printable(p + *off, n))
		return -1;
	memcpy(out, p + *off, n);
	out[n] = '\0';
	*off += n;
	return 0;
}

int
room_member_decode(const uint8_t *p, size_t len, size_t *off, int with_e,
    struct room_member_info *m)
{
	size_t n;

	memset(m, 0, sizeof *m);
	if (with_e) {
		if (len - *off < ROOM_KEYLEN)
			return -1;
		memcpy(m->e, p + *off, ROOM_KEYLEN);
		*off += ROOM_KEYLEN;
	}
	if (len - *off < ROOM_KEYLEN)
		return -1;
	memcpy(m->noise, p + *off, ROOM_KEYLEN);
	*off += ROOM_KEYLEN;
	if (room_get_str(p, len, off, 0, ROOM_NICK_MAX, m->nick) == -1 ||
	    *off >= len)
		return -1;
	n = p[(*off)++];
	if (n > len - *off || !room_addr_ok(p + *off, n))
		return -1;
	m->addrlen = (uint8_t)n;
	memcpy(m->addr, p + *off, n);
	*off += n;
	return 0;
}

int
room_body_decode(uint8_t kind, const uint8_t *p, size_t len,
    struct room_body *b, const char **why)
{
	size_t off = 0;

	memset(b, 0, sizeof *b);
	b->kind = kind;
	*why = NULL;
	switch (kind) {
	case ROOM_CREATE:
		if (len < 1 || (p[0] & ~ROOM_CREATE_PASSWORD) != 0) {
			*why = "bad room create flags";
			return -1;
		}
		b->flags = p[0];
		off = 1;
		if (room_get_str(p, len, &off, 1, ROOM_NAME_MAX, b->name) ==
		        -1 ||
		    len - off < ROOM_SALTLEN + ROOM_KEYLEN) {
			*why = "bad room name";
			return -1;
		}
		memcpy(b->salt, p + off, ROOM_SALTLEN);
		off += ROOM_SALTLEN;
		memcpy(b->commit, p + off, ROOM_KEYLEN);
		off += ROOM_KEYLEN;
		if (room_member_decode(p, len, &off, 0, &b->member) == -1)
			*why = "bad room creator";
		break;
	case ROOM_ADD:
		if (room_member_decode(p, len, &off, 1, &b->member) == -1)
			*why = "bad room add";
		break;
	case ROOM_LEAVE:
		break;
	case ROOM_REMOVE:
		if (len != ROOM_KEYLEN + 8) {
			*why = "bad room remove length";
			return -1;
		}
		memcpy(b->who, p, ROOM_KEYLEN);
		b->last = util_be_get(p + ROOM_KEYLEN, 8);
		if (b->last >= ROOM_SEQ_MAX)
			*why = "room remove counter out of range";
		off = len;
		break;
	case ROOM_REKEY:
		if (len != 4 + ROOM_KEYLEN) {
			*why = "bad room rekey length";
			return -1;
		}
		b->epoch = (uint32_t)util_be_get(p, 4);
		memcpy(b->commit, p + 4, ROOM_KEYLEN);
		off = len;
		break;
	case ROOM_MSG:
	case ROOM_TOPIC:
		b->text = p;
		b->len = len;
		off = len;
		if (kind == ROOM_MSG
		        ? len < 1 || len > ROOM_TEXT_MAX ||
		            !util_utf8_text(p, len)
		        : len > ROOM_TOPIC_MAX || !util_utf8_printable(p, len))
			*why = "bad room text";
		break;
	case ROOM_FILE:
		if (len < ROOM_HASHLEN + 8 + 1 ||
		    len > ROOM_HASHLEN + 8 + ROOM_FILE_NAME_MAX) {
			*why = "bad room file length";
			return -1;
		}
		memcpy(b->root, p, ROOM_HASHLEN);
		b->size = util_be_get(p + ROOM_HASHLEN, 8);
		b->text = p + ROOM_HASHLEN + 8;
		b->len = len - ROOM_HASHLEN - 8;
		if (b->size > ROOM_FILE_SIZE_MAX ||
		    memchr(b->text, '\0', b->len) != NULL)
			*why = "bad room file";
		off = len;
		break;
	default:
		*why = "unknown room event kind";
		return -1;
	}
	if (*why == NULL && off != len)
		*why = "trailing bytes in a room event body";
	return *why != NULL ? -1 : 0;
}

/* Append n bytes at *off if they fit. */
int
room_put(uint8_t *out, size_t cap, size_t *off, const void *p, size_t n)
{
	if (n > cap - *off)
		return -1;
	if (n != 0)
		memcpy(out + *off, p, n);
	*off += n;
	return 0;
}

int
room_put_str(uint8_t *out, size_t cap, size_t *off, const char *s)
{
	uint8_t n = (uint8_t)strlen(s);

	return room_put(out, cap, off, &n, 1) == -1 ||
	        room_put(out, cap, off, s, n) == -1
	    ? -1
	    : 0;
}

int
room_member_encode(uint8_t *out, size_t cap, size_t *off, int with_e,
    const struct room_member_info *m)
{
	if (strnlen(m->nick, sizeof m->nick) > ROOM_NICK_MAX ||
	    m->addrlen > ROOM_ADDR_MAX || !room_addr_ok(m->addr, m->addrlen))
		return -1;
	return (with_e && room_put(out, cap, off, m->e, ROOM_KEYLEN) == -1) ||
	        room_put(out, cap, off, m->noise, ROOM_KEYLEN) == -1 ||
	        room_put_str(out, cap, off, m->nick) == -1 ||
	        room_put(out, cap, off, &m->addrlen, 1) == -1 ||
	        room_put(out, cap, off, m->addr, m->addrlen) == -1
	    ? -1
	    : 0;
}

int
room_body_encode(
    const struct room_body *b, uint8_t *out, size_t cap, size_t *len)
{
	struct room_body check;
	const char *why;
	uint8_t num[8];
	size_t off = 0;
	int rc = 0;

	if (strnlen(b->name, sizeof b->name) > ROOM_NAME_MAX)
		return -1;
	switch (b->kind) {
	case ROOM_CREATE:
		rc = room_put(out, cap, &off, &b->flags, 1) == -1 ||
		        room_put_str(out, cap, &off, b->name) == -1 ||
		        room_put(out, cap, &off, b->salt, ROOM_SALTLEN) == -1 ||
		        room_put(out, cap, &off, b->commit, ROOM_KEYLEN) ==
		            -1 ||
		        room_member_encode(out, cap, &off, 0, &b->member) == -1
		    ? -1
		    : 0;
		break;
	case ROOM_ADD:
		rc = room_member_encode(out, cap, &off, 1, &b->member);
		break;
	case ROOM_LEAVE:
		break;
	case ROOM_REMOVE:
		util_be_put(num, b->last, 8);
		rc = room_put(out, cap, &off, b->who, ROOM_KEYLEN) == -1 ||
		        room_put(out, cap, &off, num, 8) == -1
		    ? -1
		    : 0;
		break;
	case ROOM_REKEY:
		util_be_put(num, b->epoch, 4);
		rc = room_put(out, cap, &off, num, 4) == -1 ||
		        room_put(out, cap, &off, b->commit, ROOM_KEYLEN) == -1
		    ? -1
		    : 0;
		break;
	case ROOM_MSG:
	case ROOM_TOPIC:
		if (b->text == NULL && b->len != 0)
			return -1;
		rc = room_put(out, cap, &off, b->text, b->len);
		break;
	case ROOM_FILE:
		if (b->text == NULL)
			return -1;
		util_be_put(num, b->size, 8);
		rc = room_put(out, cap, &off, b->root, ROOM_HASHLEN) == -1 ||
		        room_put(out, cap, &off, num, 8) == -1 ||
		        room_put(out, cap, &off, b->text, b->len) == -1
		    ? -1
		    : 0;
		break;
	default:
		return -1;
	}
	/* One form: what the decoder refuses is not written. */
	if (rc == -1 || room_body_decode(b->kind, out, off, &check, &why) == -1)
		return -1;
	*len = off;
	return 0;
}

void
room_keypair(
    uint8_t pk[ROOM_KEYLEN], uint8_t sk[ROOM_SKLEN], const uint8_t *seed)
{
	room_init();
	ident_sign_keypair(pk, sk, seed);
}

void
room_id_derive(const uint8_t e[ROOM_KEYLEN], const uint8_t salt[ROOM_SALTLEN],
    uint8_t room[ROOM_IDLEN])
{
	room_hash(room, ROOM_IDLEN, ROOM_ROOMID_LABEL, e, ROOM_KEYLEN, salt,
	    ROOM_SALTLEN, NULL, 0);
}

void
room_key_commit(const uint8_t room[ROOM_IDLEN], uint32_t epoch,
    const uint8_t key[ROOM_KEYLEN], uint8_t out[ROOM_KEYLEN])
{
	uint8_t num[4];

	util_be_put(num, epoch, 4);
	room_hash(out, ROOM_KEYLEN, ROOM_COMMIT_LABEL, room, ROOM_IDLEN, num, 4,
	    key, ROOM_KEYLEN);
}

void
room_wrap_key(
    const uint8_t *ident_secret, size_t len, uint8_t wrap[ROOM_KEYLEN])
{
	struct ident_part label = { ROOM_LABEL(ROOM_WRAP_LABEL) };

	room_init();
	ident_mac(wrap, ROOM_KEYLEN, ident_secret, len, &label, 1);
}

void
room_seal(const uint8_t wrap[ROOM_KEYLEN], const char *label,
    const uint8_t *secret, size_t len, uint8_t *out)
{
	room_init();
	ident_random(out, ROOM_NONCELEN);
	ident_aead_seal(
	    out + ROOM_NONCELEN, secret, len, label, strlen(label), out, wrap);
}

int
room_unseal(const uint8_t wrap[ROOM_KEYLEN], const char *label,
    const uint8_t *in, size_t inlen, uint8_t *out)
{
	room_init();
	if (inlen < ROOM_SEALLEN)
		return -1;
	return ident_aead_open(out, in + ROOM_NONCELEN, inlen - ROOM_NONCELEN,
	    label, strlen(label), in, wrap);
}
