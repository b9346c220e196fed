/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Room message codec. Grammar (integers big-endian; every message is
 * exactly as long as its fields; room = room[16]):
 *
 *   vv        = n:u16 (0..256) n * (prefix[8] seq:u64)
 *               prefixes strictly increasing, seq >= 1
 *   member    = e[32] noise[32] nicklen:u8 nick (0..32) addrlen:u8 addr
 *   SYNC      = 0x40 room vv
 *   EVENT     = 0x41 event                  (79+40+64 .. 65000 bytes)
 *   WANT      = 0x42 room n:u8 (1..64) ids[32 * n]
 *   JOIN      = 0x43 room mode:u8 member [Ya[32]: mode 1 only]
 *   CHALLENGE = 0x44 room Yb[32] Tb[64]
 *   CONFIRM   = 0x45 room Ta[64]
 *   WELCOME   = 0x46 room nkeys:u16 (1..256) nkeys * (epoch:u32
 *               key[32]) (epochs strictly increasing) nmembers:u16
 *               (1..256) nmembers * member vv
 *   DENIED    = 0x47 room reason:u8 (1..6)
 *   KEY       = 0x48 room epoch:u32 key[32]
 *   KEY_WANT  = 0x49 room epoch:u32
 *   MEMBER    = 0x4a room e[32]
 *   INVITE    = 0x4b room namelen:u8 name (1..32, printable)
 *   DIGEST    = 0x4c room digest[32]
 *
 * The encoder decodes what it wrote and refuses it if the decoder
 * would, so each message has one form. Types 0x4e-0x4f are reserved.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "room_proto.h"
#include "util.h"
#include "xmalloc.h"

#define ROOM_VV_LABEL "p2ptui room vv v1"
#define ROOM_VV_ENTRY (ROOM_PREFIXLEN + 8)

int
room_proto_is(uint8_t type)
{
	return type >= ROOM_PROTO_FIRST && type <= ROOM_PROTO_LAST;
}

static int
room_vv_decode(const uint8_t *p, size_t len, size_t *off, struct room_msg *m)
{
	size_t i, n;

	if (len - *off < 2)
		return -1;
	n = util_be_get(p + *off, 2);
	*off += 2;
	if (n > ROOM_MEMBERS_MAX || len - *off < n * ROOM_VV_ENTRY)
		return -1;
	for (i = 0; i < n; i++, *off += ROOM_VV_ENTRY) {
		memcpy(m->v[i].prefix, p + *off, ROOM_PREFIXLEN);
		m->v[i].seq = util_be_get(p + *off + ROOM_PREFIXLEN, 8);
		if (m->v[i].seq < 1 || m->v[i].seq >= ROOM_SEQ_MAX ||
		    (i > 0 &&
		        memcmp(m->v[i - 1].prefix, m->v[i].prefix,
		            ROOM_PREFIXLEN) >= 0))
			return -1;
	}
	m->nv = (uint16_t)n;
	return 0;
}

static int
room_vv_encode(
    uint8_t *out, size_t cap, size_t *off, const struct room_vv *v, size_t n)
{
	uint8_t num[8];
	size_t i;

	util_be_put(num, n, 2);
	if (n > ROOM_MEMBERS_MAX || room_put(out, cap, off, num, 2) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		util_be_put(num, v[i].seq, 8);
		if (room_put(out, cap, off, v[i].prefix, ROOM_PREFIXLEN) ==
		        -1 ||
		    room_put(out, cap, off, num, 8) == -1)
			return -1;
	}
	return 0;
}

/* A fixed-size field of n bytes at *off into dst. */
static int
room_take(const uint8_t *p, size_t len, size_t *off, void *dst, size_t n)
{
	if (len - *off < n)
		return -1;
	memcpy(dst, p + *off, n);
	*off += n;
	return 0;
}

/* WELCOME after the room: keys, members, vv. */
static const char *
room_welcome_decode(
    const uint8_t *p, size_t len, size_t *off, struct room_msg *m)
{
	size_t i, n;

	if (len - *off < 2)
		return "short room welcome";
	n = util_be_get(p + *off, 2);
	*off += 2;
	if (n < 1 || n > ROOM_EPOCHS_MAX ||
	    len - *off < n * ROOM_WELCOME_KEYLEN)
		return "bad room welcome keys";
	m->data = p + *off;
	m->n = (uint16_t)n;
	for (i = 1; i < n; i++)
		if (util_be_get(m->data + i * ROOM_WELCOME_KEYLEN, 4) <=
		    util_be_get(m->data + (i - 1) * ROOM_WELCOME_KEYLEN, 4))
			return "room welcome epochs not in order";
	if (util_be_get(m->data + (n - 1) * ROOM_WELCOME_KEYLEN, 4) >=
	    ROOM_EPOCHS_MAX)
		return "room welcome epoch out of range";
	*off += n * ROOM_WELCOME_KEYLEN;
	m->len = n * ROOM_WELCOME_KEYLEN;
	if (len - *off < 2)
		return "short room welcome";
	n = util_be_get(p + *off, 2);
	*off += 2;
	if (n < 1 || n > ROOM_MEMBERS_MAX)
		return "bad room welcome members";
	for (i = 0; i < n; i++)
		if (room_member_decode(p, len, off, 1, &m->members[i]) == -1)
			return "bad room welcome member";
	m->nmembers = (uint16_t)n;
	if (room_vv_decode(p, len, off, m) == -1)
		return "bad room version vector";
	return NULL;
}

static int
room_is_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	while (n-- > 0)
		acc |= *p++;
	return acc == 0;
}

int
room_proto_decode(
    const uint8_t *p, size_t len, struct room_msg *m, const char **why)
{
	size_t off = 1 + ROOM_IDLEN;

	memset(m, 0, offsetof(struct room_msg, v));
	*why = NULL;
	if (len < 1 || !room_proto_is(p[0])) {
		*why = "not a room message";
		return -1;
	}
	m->type = p[0];
	if (m->type == ROOM_MSG_EVENT) {
		if (len - 1 < ROOM_EVENT_MIN || len - 1 > ROOM_EVENT_MAX) {
			*why = "bad room event length";
			return -1;
		}
		m->data = p + 1;
		m->len = len - 1;
		return 0;
	}
	if (len < off) {
		*why = "short room message";
		return -1;
	}
	memcpy(m->room, p + 1, ROOM_IDLEN);
	switch (m->type) {
	case ROOM_MSG_SYNC:
		if (room_vv_decode(p, len, &off, m) == -1)
			*why = "bad room version vector";
		break;
	case ROOM_MSG_WANT:
		if (len - off < 1 || p[off] < 1 || p[off] > ROOM_WANT_MAX ||
		    len - off - 1 != (size_t)p[off] * ROOM_HASHLEN) {
			*why = "bad room want";
			return -1;
		}
		m->n = p[off];
		m->data = p + off + 1;
		m->len = len - off - 1;
		off = len;
		break;
	case ROOM_MSG_JOIN:
		if (len - off < 1 ||
		    (p[off] != ROOM_JOIN_PASSWORD &&
		        p[off] != ROOM_JOIN_INVITED)) {
			*why = "bad room join mode";
			return -1;
		}
		m->mode = p[off++];
		if (room_member_decode(p, len, &off, 1, &m->member) == -1 ||
		    (m->mode == ROOM_JOIN_PASSWORD &&
		        room_take(p, len, &off, m->y, CPACE_POINTLEN) == -1))
			*why = "bad room join";
		break;
	case ROOM_MSG_CHALLENGE:
		if (room_take(p, len, &off, m->y, CPACE_POINTLEN) == -1 ||
		    room_take(p, len, &off, m->tag, CPACE_TAGLEN) == -1)
			*why = "short room challenge";
		break;
	case ROOM_MSG_CONFIRM:
		if (room_take(p, len, &off, m->tag, CPACE_TAGLEN) == -1)
			*why = "short room confirm";
		break;
	case ROOM_MSG_WELCOME:
		*why = room_welcome_decode(p, len, &off, m);
		break;
	case ROOM_MSG_DENIED:
		if (room_take(p, len, &off, &m->reason, 1) == -1 ||
		    m->reason < 1 || m->reason > ROOM_DENIED_MAX)
			*why = "bad room denied reason";
		break;
	case ROOM_MSG_KEY:
	case ROOM_MSG_KEY_WANT:
		if (len - off < 4) {
			*why = "short room key message";
			return -1;
		}
		m->epoch = (uint32_t)util_be_get(p + off, 4);
		off += 4;
		if (m->epoch >= ROOM_EPOCHS_MAX ||
		    (m->type == ROOM_MSG_KEY &&
		        room_take(p, len, &off, m->key, ROOM_KEYLEN) == -1))
			*why = "bad room key message";
		break;
	case ROOM_MSG_MEMBER:
		if (room_take(p, len, &off, m->key, ROOM_KEYLEN) == -1)
			*why = "short room member";
		break;
	case ROOM_MSG_INVITE:
	case ROOM_MSG_LOOKUP:
		if (room_get_str(p, len, &off, 1, ROOM_NAME_MAX, m->name) == -1)
			*why = "bad room invite";
		else if (m->type == ROOM_MSG_LOOKUP &&
		    !room_is_zero(m->room, ROOM_IDLEN))
			*why = "room lookup with a room id";
		break;
	case ROOM_MSG_DIGEST:
		if (room_take(p, len, &off, m->digest, ROOM_HASHLEN) == -1)
			*why = "short room digest";
		break;
	default:
		*why = "reserved room message type";
		return -1;
	}
	if (*why == NULL && off != len)
		*why = "trailing bytes in a room message";
	return *why != NULL ? -1 : 0;
}

static int
room_encode_fields(
    const struct room_msg *m, uint8_t *out, size_t cap, size_t *off)
{
	uint8_t num[4];
	size_t i;

	if (room_put(out, cap, off, &m->type, 1) == -1)
		return -1;
	if (m->type == ROOM_MSG_EVENT)
		return m->data == NULL
		    ? -1
		    : room_put(out, cap, off, m->data, m->len);
	if (room_put(out, cap, off, m->room, ROOM_IDLEN) == -1)
		return -1;
	switch (m->type) {
	case ROOM_MSG_SYNC:
		return room_vv_encode(out, cap, off, m->v, m->nv);
	case ROOM_MSG_WANT:
		num[0] = (uint8_t)m->n;
		return m->data == NULL || m->n > ROOM_WANT_MAX ||
		        room_put(out, cap, off, num, 1) == -1
		    ? -1
		    : room_put(
		          out, cap, off, m->data, (size_t)m->n * ROOM_HASHLEN);
	case ROOM_MSG_JOIN:
		return room_put(out, cap, off, &m->mode, 1) == -1 ||
		        room_member_encode(out, cap, off, 1, &m->member) ==
		            -1 ||
		        (m->mode == ROOM_JOIN_PASSWORD &&
		            room_put(out, cap, off, m->y, CPACE_POINTLEN) == -1)
		    ? -1
		    : 0;
	case ROOM_MSG_CHALLENGE:
		return room_put(out, cap, off, m->y, CPACE_POINTLEN) == -1
		    ? -1
		    : room_put(out, cap, off, m->tag, CPACE_TAGLEN);
	case ROOM_MSG_CONFIRM:
		return room_put(out, cap, off, m->tag, CPACE_TAGLEN);
	case ROOM_MSG_WELCOME:
		util_be_put(num, m->n, 2);
		if (m->data == NULL || m->n > ROOM_EPOCHS_MAX ||
		    room_put(out, cap, off, num, 2) == -1 ||
		    room_put(out, cap, off, m->data,
		        (size_t)m->n * ROOM_WELCOME_KEYLEN) == -1)
			return -1;
		util_be_put(num, m->nmembers, 2);
		if (m->nmembers > ROOM_MEMBERS_MAX ||
		    room_put(out, cap, off, num, 2) == -1)
			return -1;
		for (i = 0; i < m->nmembers; i++)
			if (room_member_encode(
			        out, cap, off, 1, &m->members[i]) == -1)
				return -1;
		return room_vv_encode(out, cap, off, m->v, m->nv);
	case ROOM_MSG_DENIED:
		return room_put(out, cap, off, &m->reason, 1);
	case ROOM_MSG_KEY:
	case ROOM_MSG_KEY_WANT:
		util_be_put(num, m->epoch, 4);
		return room_put(out, cap, off, num, 4) == -1 ||
		        (m->type == ROOM_MSG_KEY &&
		            room_put(out, cap, off, m->key, ROOM_KEYLEN) == -1)
		    ? -1
		    : 0;
	case ROOM_MSG_MEMBER:
		return room_put(out, cap, off, m->key, ROOM_KEYLEN);
	case ROOM_MSG_INVITE:
	case ROOM_MSG_LOOKUP:
		return strnlen(m->name, sizeof m->name) > ROOM_NAME_MAX
		    ? -1
		    : room_put_str(out, cap, off, m->name);
	case ROOM_MSG_DIGEST:
		return room_put(out, cap, off, m->digest, ROOM_HASHLEN);
	default:
		return -1;
	}
}

size_t
room_proto_encode(const struct room_msg *m, uint8_t *out, size_t cap)
{
	struct room_msg *check;
	const char *why;
	size_t off = 0;
	int rc;

	if (room_encode_fields(m, out, cap, &off) == -1)
		return 0;
	check = xmalloc(sizeof *check);
	rc = room_proto_decode(out, off, check, &why);
	free(check);
	return rc == -1 ? 0 : off;
}

void
room_proto_digest(const struct room_vv *v, size_t n, uint8_t out[ROOM_HASHLEN])
{
	struct ident_hash_state st;
	uint8_t num[8];
	size_t i;

	ident_hash_init(&st, ROOM_HASHLEN);
	ident_hash_update(&st, ROOM_VV_LABEL, sizeof ROOM_VV_LABEL - 1);
	util_be_put(num, n, 2);
	ident_hash_update(&st, num, 2);
	for (i = 0; i < n; i++) {
		util_be_put(num, v[i].seq, 8);
		ident_hash_update(&st, v[i].prefix, ROOM_PREFIXLEN);
		ident_hash_update(&st, num, 8);
	}
	ident_hash_final(&st, out);
}

const char *
room_proto_denied_text(uint8_t reason)
{
	static const char *texts[] = {
		[ROOM_DENIED_PASSWORD] = "wrong password",
		[ROOM_DENIED_LIMIT] = "too many attempts",
		[ROOM_DENIED_UNKNOWN] = "no such room",
		[ROOM_DENIED_INVITE] = "not invited",
		[ROOM_DENIED_FULL] = "room full",
		[ROOM_DENIED_BUSY] = "busy",
	};

	return reason >= 1 && reason <= ROOM_DENIED_MAX ? texts[reason]
	                                                : "unknown reason";
}
