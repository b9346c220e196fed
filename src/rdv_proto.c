/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Rendezvous message codec. Grammar (integers big-endian; every message
 * is exactly as long as its fields; C = from the client, S = from the
 * server, the wrong direction is malformed):
 *
 *   name        = namelen:u8 (3..32) [a-z0-9._-]{namelen}
 *   name-none   = 0x00 | name
 *   addr        = addrlen:u8 (1..64) printable ASCII, no space
 *   REGISTER    C 0x60 op:u8 (1, 2: name; 3: name-none = none)
 *   NAME        S 0x61 name-none
 *   LOOKUP      C 0x62 name
 *   FOUND       S 0x63 name found:u8 (0, 1) [key[32]: found 1]
 *   SUBSCRIBE   C 0x64 n:u16 (0..1024) key[32 * n]
 *   PRESENCE    S 0x65 key[32] online:u8 (0, 1) name-none
 *   WHO         C 0x66
 *   DIRECTORY   S 0x67 n:u16 (0..1000) name * n
 *   ADDRS       C 0x68 port:u16 n:u8 (0..8) addr * n
 *   CONNECT     C 0x69 key[32]
 *   REQUEST     S 0x6a key[32] name-none
 *   CANDIDATES  S 0x6b key[32] delay:u16 n:u8 (0..10) (kind:u8 (1..3) addr) * n
 *   RELAY       C 0x6c key[32]
 *   RELAY_TOKEN S 0x6d key[32] token[32] initiator:u8 (0, 1)
 *   REFUSED     S 0x6e what:u8 reason:u8 (1..255)
 *
 * 0x6f is reserved (malformed). The encoder decodes what it wrote and
 * refuses it if the decoder would, so each message has one form.
 */
#include <stddef.h>
#include <string.h>

#include "rdv_proto.h"

#define RDV_HELLO_MAGIC "RLY1"

/* Which way each type goes, by type - RDV_PROTO_FIRST; 2: none. */
static const uint8_t rdv_dirs[16] = { RDV_FROM_CLIENT, RDV_FROM_SERVER,
	RDV_FROM_CLIENT, RDV_FROM_SERVER, RDV_FROM_CLIENT, RDV_FROM_SERVER,
	RDV_FROM_CLIENT, RDV_FROM_SERVER, RDV_FROM_CLIENT, RDV_FROM_CLIENT,
	RDV_FROM_SERVER, RDV_FROM_SERVER, RDV_FROM_CLIENT, RDV_FROM_SERVER,
	RDV_FROM_SERVER, 2 };

int
rdv_proto_is(uint8_t type)
{
	return type >= RDV_PROTO_FIRST && type <= RDV_PROTO_LAST;
}

int
rdv_name_valid(const char *s, size_t len)
{
	size_t i;

	if (len < RDV_NAME_MIN || len > RDV_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		        c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
rdv_name_normalise(const char *in, char out[RDV_NAME_MAX + 1], const char **why)
{
	size_t i, len = strlen(in);

	if (len < RDV_NAME_MIN || len > RDV_NAME_MAX) {
		*why = "a username is 3 to 32 characters";
		return -1;
	}
	for (i = 0; i < len; i++)
		out[i] =
		    (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] + 32) : in[i];
	out[len] = '\0';
	if (!rdv_name_valid(out, len)) {
		*why = "a username has only a-z, 0-9, '.', '_' and '-'";
		return -1;
	}
	return 0;
}

/* A reader over one message: every get fails once past the end. */
struct rdv_rd {
	const uint8_t *p;
	size_t len, off;
};

static int
rdv_get(struct rdv_rd *r, void *out, size_t n)
{
	if (r->len - r->off < n)
		return -1;
	if (out != NULL)
		memcpy(out, r->p + r->off, n);
	r->off += n;
	return 0;
}

static int
rdv_get_uint(struct rdv_rd *r, size_t n, uint32_t *v)
{
	uint8_t b[4];
	size_t i;

	if (rdv_get(r, b, n) == -1)
		return -1;
	for (*v = 0, i = 0; i < n; i++)
		*v = (*v << 8) | b[i];
	return 0;
}

/* name (none = 1: name-none) into out. */
static int
rdv_get_name(struct rdv_rd *r, int none, char out[RDV_NAME_MAX + 1])
{
	uint32_t n;

	if (rdv_get_uint(r, 1, &n) == -1)
		return -1;
	if (n == 0 && none) {
		out[0] = '\0';
		return 0;
	}
	if (n > RDV_NAME_MAX || rdv_get(r, out, n) == -1 ||
	    !rdv_name_valid(out, n))
		return -1;
	out[n] = '\0';
	return 0;
}

static int
rdv_get_addr(struct rdv_rd *r, struct rdv_addr *a)
{
	uint32_t n, i;

	if (rdv_get_uint(r, 1, &n) == -1 || n < 1 || n > RDV_ADDR_MAX ||
	    rdv_get(r, a->addr, n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (a->addr[i] <= 0x20 || a->addr[i] >= 0x7f)
			return -1;
	a->addr[n] = '\0';
	return 0;
}

static int
rdv_decode_body(struct rdv_rd *r, struct rdv_msg *m, const char **why)
{
	uint32_t v, i;
	size_t off;
	char name[RDV_NAME_MAX + 1];

	switch (m->type) {
	case RDV_MSG_REGISTER:
		*why = "bad REGISTER";
		if (rdv_get_uint(r, 1, &v) == -1 || v < RDV_OP_REGISTER ||
		    v > RDV_OP_RELEASE)
			return -1;
		m->op = (uint8_t)v;
		if (rdv_get_name(r, 1, m->name) == -1 ||
		    (m->op == RDV_OP_RELEASE) != (m->name[0] == '\0'))
			return -1;
		return 0;
	case RDV_MSG_NAME:
		*why = "bad NAME";
		return rdv_get_name(r, 1, m->name);
	case RDV_MSG_LOOKUP:
		*why = "bad LOOKUP";
		return rdv_get_name(r, 0, m->name);
	case RDV_MSG_FOUND:
		*why = "bad FOUND";
		if (rdv_get_name(r, 0, m->name) == -1 ||
		    rdv_get_uint(r, 1, &v) == -1 || v > 1)
			return -1;
		m->flag = (uint8_t)v;
		return v == 1 ? rdv_get(r, m->key, RDV_KEYLEN) : 0;
	case RDV_MSG_SUBSCRIBE:
		*why = "bad SUBSCRIBE";
		if (rdv_get_uint(r, 2, &v) == -1 || v > RDV_SUBS_MAX)
			return -1;
		m->n = (uint16_t)v;
		m->data = r->p + r->off;
		m->len = (size_t)v * RDV_KEYLEN;
		return rdv_get(r, NULL, m->len);
	case RDV_MSG_PRESENCE:
		*why = "bad PRESENCE";
		if (rdv_get(r, m->key, RDV_KEYLEN) == -1 ||
		    rdv_get_uint(r, 1, &v) == -1 || v > 1)
			return -1;
		m->flag = (uint8_t)v;
		return rdv_get_name(r, 1, m->name);
	case RDV_MSG_WHO:
		return 0;
	case RDV_MSG_DIRECTORY:
		*why = "bad DIRECTORY";
		if (rdv_get_uint(r, 2, &v) == -1 || v > RDV_DIR_MAX)
			return -1;
		m->n = (uint16_t)v;
		m->data = r->p + r->off;
		off = r->off;
		for (i = 0; i < v; i++)
			if (rdv_get_name(r, 0, name) == -1)
				return -1;
		m->len = r->off - off;
		return 0;
	case RDV_MSG_ADDRS:
		*why = "bad ADDRS";
		if (rdv_get_uint(r, 2, &v) == -1)
			return -1;
		m->port = (uint16_t)v;
		if (rdv_get_uint(r, 1, &v) == -1 || v > RDV_ADDRS_MAX)
			return -1;
		m->n = (uint16_t)v;
		for (i = 0; i < v; i++)
			if (rdv_get_addr(r, &m->addrs[i]) == -1)
				return -1;
		return 0;
	case RDV_MSG_CONNECT:
	case RDV_MSG_RELAY:
		*why = "bad key";
		return rdv_get(r, m->key, RDV_KEYLEN);
	case RDV_MSG_REQUEST:
		*why = "bad REQUEST";
		if (rdv_get(r, m->key, RDV_KEYLEN) == -1)
			return -1;
		return rdv_get_name(r, 1, m->name);
	case RDV_MSG_CANDIDATES:
		*why = "bad CANDIDATES";
		if (rdv_get(r, m->key, RDV_KEYLEN) == -1 ||
		    rdv_get_uint(r, 2, &v) == -1)
			return -1;
		m->delay = (uint16_t)v;
		if (rdv_get_uint(r, 1, &v) == -1 || v > RDV_CANDS_MAX)
			return -1;
		m->n = (uint16_t)v;
		for (i = 0; i < v; i++) {
			uint32_t kind;

			if (rdv_get_uint(r, 1, &kind) == -1 ||
			    kind < RDV_CAND_LISTED || kind > RDV_CAND_SOURCE ||
			    rdv_get_addr(r, &m->addrs[i]) == -1)
				return -1;
			m->addrs[i].kind = (uint8_t)kind;
		}
		return 0;
	case RDV_MSG_RELAY_TOKEN:
		*why = "bad RELAY_TOKEN";
		if (rdv_get(r, m->key, RDV_KEYLEN) == -1 ||
		    rdv_get(r, m->token, RDV_TOKENLEN) == -1 ||
		    rdv_get_uint(r, 1, &v) == -1 || v > 1)
			return -1;
		m->flag = (uint8_t)v;
		return 0;
	case RDV_MSG_REFUSED:
		*why = "bad REFUSED";
		if (rdv_get_uint(r, 1, &v) == -1)
			return -1;
		m->what = (uint8_t)v;
		if (rdv_get_uint(r, 1, &v) == -1 || v == 0)
			return -1;
		m->reason = (uint8_t)v;
		return 0;
	}
	*why = "reserved rendezvous type";
	return -1;
}

int
rdv_proto_decode(const uint8_t *p, size_t len, enum rdv_dir dir,
    struct rdv_msg *m, const char **why)
{
	struct rdv_rd r = { p, len, 1 };

	memset(m, 0, offsetof(struct rdv_msg, addrs));
	if (len < 1 || !rdv_proto_is(p[0])) {
		*why = "not a rendezvous message";
		return -1;
	}
	m->type = p[0];
	if (rdv_dirs[m->type - RDV_PROTO_FIRST] != dir) {
		*why = "rendezvous message sent the wrong way";
		return -1;
	}
	if (rdv_decode_body(&r, m, why) == -1)
		return -1;
	if (r.off != len) {
		*why = "trailing bytes";
		return -1;
	}
	return 0;
}

/* A writer: the first overflow sticks. */
struct rdv_wr {
	uint8_t *p;
	size_t cap, off;
	int bad;
};

static void
rdv_put(struct rdv_wr *w, const void *in, size_t n)
{
	if (w->bad || w->cap - w->off < n) {
		w->bad = 1;
		return;
	}
	memcpy(w->p + w->off, in, n);
	w->off += n;
}

static void
rdv_put_uint(struct rdv_wr *w, size_t n, uint32_t v)
{
	uint8_t b[4];
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	rdv_put(w, b, n);
}

static void
rdv_put_str(struct rdv_wr *w, const char *s)
{
	size_t n = strlen(s);

	if (n > 255) {
		w->bad = 1;
		return;
	}
	rdv_put_uint(w, 1, (uint32_t)n);
	rdv_put(w, s, n);
}

size_t
rdv_proto_encode(const struct rdv_msg *m, uint8_t *out, size_t cap)
{
	struct rdv_wr w = { out, cap, 0, 0 };
	struct rdv_msg check;
	const char *why;
	size_t i;
	enum rdv_dir dir;

	if (!rdv_proto_is(m->type) || m->type == RDV_PROTO_LAST)
		return 0;
	dir = (enum rdv_dir)rdv_dirs[m->type - RDV_PROTO_FIRST];
	rdv_put_uint(&w, 1, m->type);
	switch (m->type) {
	case RDV_MSG_REGISTER:
		rdv_put_uint(&w, 1, m->op);
		rdv_put_str(&w, m->name);
		break;
	case RDV_MSG_NAME:
	case RDV_MSG_LOOKUP:
		rdv_put_str(&w, m->name);
		break;
	case RDV_MSG_FOUND:
		rdv_put_str(&w, m->name);
		rdv_put_uint(&w, 1, m->flag);
		if (m->flag)
			rdv_put(&w, m->key, RDV_KEYLEN);
		break;
	case RDV_MSG_SUBSCRIBE:
		rdv_put_uint(&w, 2, m->n);
		rdv_put(&w, m->data, (size_t)m->n * RDV_KEYLEN);
		break;
	case RDV_MSG_PRESENCE:
		rdv_put(&w, m->key, RDV_KEYLEN);
		rdv_put_uint(&w, 1, m->flag);
		rdv_put_str(&w, m->name);
		break;
	case RDV_MSG_WHO:
		break;
	case RDV_MSG_DIRECTORY:
		rdv_put_uint(&w, 2, m->n);
		rdv_put(&w, m->data, m->len);
		break;
	case RDV_MSG_ADDRS:
		rdv_put_uint(&w, 2, m->port);
		rdv_put_uint(&w, 1, m->n);
		for (i = 0; i < m->n && i < RDV_CANDS_MAX; i++)
			rdv_put_str(&w, m->addrs[i].addr);
		break;
	case RDV_MSG_CONNECT:
	case RDV_MSG_RELAY:
		rdv_put(&w, m->key, RDV_KEYLEN);
		break;
	case RDV_MSG_REQUEST:
		rdv_put(&w, m->key, RDV_KEYLEN);
		rdv_put_str(&w, m->name);
		break;
	case RDV_MSG_CANDIDATES:
		rdv_put(&w, m->key, RDV_KEYLEN);
		rdv_put_uint(&w, 2, m->delay);
		rdv_put_uint(&w, 1, m->n);
		for (i = 0; i < m->n && i < RDV_CANDS_MAX; i++) {
			rdv_put_uint(&w, 1, m->addrs[i].kind);
			rdv_put_str(&w, m->addrs[i].addr);
		}
		break;
	case RDV_MSG_RELAY_TOKEN:
		rdv_put(&w, m->key, RDV_KEYLEN);
		rdv_put(&w, m->token, RDV_TOKENLEN);
		rdv_put_uint(&w, 1, m->flag);
		break;
	case RDV_MSG_REFUSED:
		rdv_put_uint(&w, 1, m->what);
		rdv_put_uint(&w, 1, m->reason);
		break;
	}
	if (w.bad || rdv_proto_decode(out, w.off, dir, &check, &why) == -1)
		return 0;
	return w.off;
}

int
rdv_proto_dir_add(uint8_t *buf, size_t cap, size_t *len, const char *name)
{
	size_t n = strlen(name);

	if (!rdv_name_valid(name, n) || cap - *len < n + 1)
		return -1;
	buf[(*len)++] = (uint8_t)n;
	memcpy(buf + *len, name, n);
	*len += n;
	return 0;
}

int
rdv_proto_dir_next(
    const struct rdv_msg *m, size_t *off, char name[RDV_NAME_MAX + 1])
{
	struct rdv_rd r = { m->data, m->len, *off };

	if (*off >= m->len || rdv_get_name(&r, 0, name) == -1)
		return 0;
	*off = r.off;
	return 1;
}

void
rdv_proto_hello(const uint8_t token[RDV_TOKENLEN], uint8_t out[RDV_HELLO_LEN])
{
	out[0] = 0;
	out[1] = RDV_HELLO_LEN - 2;
	memcpy(out + 2, RDV_HELLO_MAGIC, 4);
	memcpy(out + 6, token, RDV_TOKENLEN);
}

int
rdv_proto_hello_parse(const uint8_t *p, size_t len, uint8_t token[RDV_TOKENLEN])
{
	static const uint8_t head[6] = { 0, RDV_HELLO_LEN - 2, 'R', 'L', 'Y',
		'1' };
	size_t n = len < sizeof head ? len : sizeof head;

	if (memcmp(p, head, n) != 0)
		return -1;
	if (len < RDV_HELLO_LEN)
		return 0;
	memcpy(token, p + 6, RDV_TOKENLEN);
	return 1;
}

const char *
rdv_proto_reason_text(uint8_t reason)
{
	static const char *const text[] = {
		NULL,
		"the name belongs to someone else",
		"you already have a name: rename instead",
		"you have no name",
		"too many requests: try later",
		"the server is full",
		"not online",
		"the server keeps no directory",
		"too many relays: try later",
		"not introduced to that key",
	};

	if (reason >= sizeof text / sizeof text[0])
		return NULL;
	return text[reason];
}
