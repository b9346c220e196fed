/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Message codec. Grammar (integers big-endian; see doc/PROTOCOL.md):
 *
 *   frame     = len:u16 body[len]            (len >= 1)
 *   hs-payload= version:u16 caps:u32         (exactly 6 bytes)
 *   message   = type:u8 fields
 *   HELLO     = 0x01 version:u16 caps:u32 nicklen:u8 nick[nicklen]
 *               *(tag:u8 len:u8 value[len])      (at most 16 fields)
 *   LISTEN    = tag 0x01: port:u16 [ipv4[4] | ipv6[16]]   (at most 4)
 *   PING/PONG = 0x02/0x03 token:u64
 *   BYE       = 0x04 reason:u8
 *   NICK      = 0x05 nicklen:u8 nick[nicklen]
 *   CHAT      = 0x10 id[16] seq:u64 time:i64 text[rest]  (1..max bytes)
 *   ACK       = 0x11 id[16]
 *   FLIP_COMMIT   = 0x20 id[16] commitment[32] draw
 *   FLIP_RESPONSE = 0x21 id[16] b[32] draw
 *   FLIP_REVEAL   = 0x22 id[16] a[32]
 *   FILE_OFFER    = 0x30 id[16] size:u64 root[32] name[rest]
 *   FILE_ACCEPT   = 0x31 id[16] have:u64
 *   FILE_CANCEL   = 0x32 id[16] reason:u8
 *   FILE_REQUEST  = 0x33 id[16] index:u64
 *   FILE_CHUNK    = 0x34 id[16] index:u64 offset:u32 nproof:u8
 *                        proof[nproof * 32] data[rest]
 *   FILE_DONE     = 0x35 id[16]
 *   draw      = 0x01                                  coin
 *             | 0x02 count:u8 sides:u16               dice
 *             | 0x03 n:u8 n * (len:u8 option[len])    pick
 *   action    = CHAT whose text starts with "/me "    (a convention)
 *
 * Every message must be exactly as long as its fields; nick, text and
 * options are UTF-8 without control characters, but for line feeds
 * (U+000A) in chat text. HELLO fields of unknown tags are skipped; a
 * LISTEN has a port of 1 or more and a specific address (not 0.0.0.0 or
 * ::), or none. A draw has one encoding:
 * 1 <= count <= 100, 2 <= sides <= 1000, 2 <= n <= 32, 1 <= len <= 64.
 * Files: a name is 1 to 1024 bytes without NUL (any other byte: the
 * receiver sanitises it); size and have are at most 2^62; a leaf index
 * is below 2^44, the leaves of the largest file; reason <= 5. A chunk
 * has 1 or more bytes of data that stay within the 256 KiB leaf, at most
 * 64 proof hashes and none unless offset is 0, and fits in one frame.
 * The encoder refuses whatever the decoder would refuse, so every
 * message has one form. This module never allocates.
 */
#include <string.h>

#include "proto.h"
#include "util.h"

/* Leaves of the largest file: every leaf index is below this (2^44). */
#define FILE_LEAVES_MAX (PROTO_FILE_SIZE_MAX / PROTO_FILE_LEAF)
/* A chunk's fields after the type: id, index, offset, proof count. */
#define FILE_CHUNK_FIELDS (PROTO_FILE_CHUNK_HDR - 1)
#define FILE_OFFER_FIELDS (PROTO_XFER_ID_LEN + 8 + PROTO_FILE_HASHLEN)

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

int
proto_frame_next(
    const uint8_t *data, size_t avail, const uint8_t **body, size_t *len)
{
	size_t n;

	if (avail < 2)
		return 0;
	n = get16(data);
	if (n == 0)
		return -1;
	if (avail - 2 < n)
		return 0;
	*body = data + 2;
	*len = n;
	return 1;
}

void
proto_frame_header(uint8_t hdr[2], size_t len)
{
	put16(hdr, (uint16_t)len);
}

void
proto_hs_payload_encode(uint8_t out[PROTO_HS_PAYLOAD_LEN])
{
	put16(out, PROTO_VERSION);
	put32(out + 2, PROTO_CAPS);
}

int
proto_hs_payload_decode(
    const uint8_t *p, size_t len, uint16_t *version, uint32_t *caps)
{
	if (len != PROTO_HS_PAYLOAD_LEN)
		return -1;
	*version = get16(p);
	*caps = get32(p + 2);
	return *version == 0 ? -1 : 0;
}

/*
 * The rules of a file message beyond its length, shared by the decoder
 * and the encoder so that neither accepts what the other refuses: NULL
 * if m is valid, else why not.
 */
static const char *
proto_file_check(const struct proto_msg *m)
{
	switch (m->type) {
	case PROTO_FILE_OFFER:
		if (m->u.file.namelen == 0)
			return "empty file name";
		if (m->u.file.namelen > PROTO_FILE_NAME_MAX)
			return "file name too long";
		if (memchr(m->u.file.name, '\0', m->u.file.namelen) != NULL)
			return "NUL in file name";
		if (m->u.file.size > PROTO_FILE_SIZE_MAX)
			return "file too large";
		return NULL;
	case PROTO_FILE_ACCEPT:
		if (m->u.file.have > PROTO_FILE_SIZE_MAX)
			return "file accept beyond the largest file";
		return NULL;
	case PROTO_FILE_CANCEL:
		if (m->u.file.reason > PROTO_CANCEL_MAX)
			return "bad file cancel reason";
		return NULL;
	case PROTO_FILE_REQUEST:
		if (m->u.file.index >= FILE_LEAVES_MAX)
			return "file leaf index out of range";
		return NULL;
	case PROTO_FILE_CHUNK:
		if (m->u.file.index >= FILE_LEAVES_MAX)
			return "file leaf index out of range";
		if (m->u.file.nproof > PROTO_FILE_PROOF_MAX)
			return "file proof too long";
		if (m->u.file.nproof != 0 && m->u.file.offset != 0)
			return "file proof in a chunk not at offset 0";
		if (m->u.file.datalen == 0)
			return "empty file chunk";
		if (m->u.file.datalen > PROTO_FILE_LEAF ||
		    m->u.file.offset > PROTO_FILE_LEAF - m->u.file.datalen)
			return "file chunk beyond its leaf";
		if (PROTO_FILE_CHUNK_HDR +
		        (size_t)m->u.file.nproof * PROTO_FILE_HASHLEN +
		        m->u.file.datalen >
		    PROTO_PLAIN_MAX)
			return "file chunk too long";
		return NULL;
	default:
		return NULL;
	}
}

/* Copy a nick of n bytes into out; -1 if it is too long or not
 * printable UTF-8. */
static int
proto_nick(const uint8_t *p, size_t n, char out[PROTO_NICK_MAX + 1])
{
	if (n > PROTO_NICK_MAX || !util_utf8_printable(p, n))
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* A LISTEN address is valid: a port, and no wildcard address. */
static int
proto_listen_ok(const struct proto_listen *l)
{
	static const uint8_t zero[16];

	if (l->port == 0)
		return 0;
	if (l->family == 4)
		return memcmp(l->addr, zero, 4) != 0;
	if (l->family == 6)
		return memcmp(l->addr, zero, 16) != 0;
	return l->family == 0;
}

/* The fields after a HELLO's nick (len bytes at p): NULL or why not. */
static const char *
proto_hello_fields(const uint8_t *p, size_t len, struct proto_msg *m)
{
	struct proto_listen *l;
	size_t n, nfields = 0;

	while (len > 0) {
		if (len < 2 || len < 2 + (size_t)p[1])
			return "bad hello field length";
		if (++nfields > PROTO_HELLO_FIELDS_MAX)
			return "too many hello fields";
		n = p[1];
		if (p[0] == PROTO_HELLO_LISTEN) {
			if (m->u.hello.nlisten == PROTO_LISTEN_MAX)
				return "too many listen addresses";
			if (n != 2 && n != 6 && n != 18)
				return "bad listen address length";
			l = &m->u.hello.listen[m->u.hello.nlisten++];
			l->port = get16(p + 2);
			l->family = n == 2 ? 0 : n == 6 ? 4 : 6;
			memcpy(l->addr, p + 4, n - 2);
			if (!proto_listen_ok(l))
				return "bad listen address";
		} else
			m->u.hello.nskipped++;
		p += 2 + n;
		len -= 2 + n;
	}
	return NULL;
}

int
proto_decode(const uint8_t *p, size_t len, size_t max_text, struct proto_msg *m,
    const char **why)
{
	size_t n;

	memset(m, 0, sizeof *m);
	if (len == 0) {
		*why = "empty message";
		return -1;
	}
	m->type = p[0];
	p++;
	len--;
	switch (m->type) {
	case PROTO_HELLO:
		if (len < 7 || len < 7 + (size_t)p[6]) {
			*why = "bad hello length";
			return -1;
		}
		m->u.hello.version = get16(p);
		m->u.hello.caps = get32(p + 2);
		n = p[6];
		if (proto_nick(p + 7, n, m->u.hello.nick) == -1) {
			*why = "bad nick";
			return -1;
		}
		if (m->u.hello.version == 0) {
			*why = "bad version";
			return -1;
		}
		if ((*why = proto_hello_fields(p + 7 + n, len - 7 - n, m)) !=
		    NULL)
			return -1;
		return 0;
	case PROTO_NICK:
		if (len < 1 || len != 1 + (size_t)p[0]) {
			*why = "bad nick length";
			return -1;
		}
		if (proto_nick(p + 1, p[0], m->u.nick) == -1) {
			*why = "bad nick";
			return -1;
		}
		return 0;
	case PROTO_PING:
	case PROTO_PONG:
		if (len != 8) {
			*why = "bad ping length";
			return -1;
		}
		m->u.token = get64(p);
		return 0;
	case PROTO_BYE:
		if (len != 1 || p[0] > PROTO_BYE_MAX) {
			*why = "bad bye";
			return -1;
		}
		m->u.reason = p[0];
		return 0;
	case PROTO_CHAT:
		if (len < PROTO_ID_LEN + 16 + 1) {
			*why = "short chat message";
			return -1;
		}
		memcpy(m->u.chat.id, p, PROTO_ID_LEN);
		m->u.chat.seq = get64(p + PROTO_ID_LEN);
		m->u.chat.time_ms = (int64_t)get64(p + PROTO_ID_LEN + 8);
		m->u.chat.text = p + PROTO_ID_LEN + 16;
		m->u.chat.len = len - PROTO_ID_LEN - 16;
		if (m->u.chat.len > max_text ||
		    m->u.chat.len > PROTO_TEXT_MAX) {
			*why = "chat message too long";
			return -1;
		}
		if (!util_utf8_text(m->u.chat.text, m->u.chat.len)) {
			*why = "chat text is not printable UTF-8 and newlines";
			return -1;
		}
		return 0;
	case PROTO_ACK:
		if (len != PROTO_ID_LEN) {
			*why = "bad ack length";
			return -1;
		}
		memcpy(m->u.ack.id, p, PROTO_ID_LEN);
		return 0;
	case PROTO_FLIP_COMMIT:
	case PROTO_FLIP_RESPONSE:
		if (len < PROTO_FLIP_ID_LEN + PROTO_FLIP_VALUE_LEN + 1) {
			*why = "short flip message";
			return -1;
		}
		memcpy(m->u.flip.id, p, PROTO_FLIP_ID_LEN);
		memcpy(m->u.flip.value, p + PROTO_FLIP_ID_LEN,
		    PROTO_FLIP_VALUE_LEN);
		m->u.flip.draw = p + PROTO_FLIP_ID_LEN + PROTO_FLIP_VALUE_LEN;
		m->u.flip.drawlen =
		    len - PROTO_FLIP_ID_LEN - PROTO_FLIP_VALUE_LEN;
		return proto_draw_decode(
		    m->u.flip.draw, m->u.flip.drawlen, NULL, why);
	case PROTO_FLIP_REVEAL:
		if (len != PROTO_FLIP_ID_LEN + PROTO_FLIP_VALUE_LEN) {
			*why = "bad flip reveal length";
			return -1;
		}
		memcpy(m->u.flip.id, p, PROTO_FLIP_ID_LEN);
		memcpy(m->u.flip.value, p + PROTO_FLIP_ID_LEN,
		    PROTO_FLIP_VALUE_LEN);
		return 0;
	case PROTO_FILE_OFFER:
		if (len < FILE_OFFER_FIELDS) {
			*why = "short file offer";
			return -1;
		}
		memcpy(m->u.file.id, p, PROTO_XFER_ID_LEN);
		m->u.file.size = get64(p + PROTO_XFER_ID_LEN);
		memcpy(m->u.file.root, p + PROTO_XFER_ID_LEN + 8,
		    PROTO_FILE_HASHLEN);
		m->u.file.name = (const char *)p + FILE_OFFER_FIELDS;
		m->u.file.namelen = len - FILE_OFFER_FIELDS;
		break;
	case PROTO_FILE_ACCEPT:
	case PROTO_FILE_REQUEST:
		if (len != PROTO_XFER_ID_LEN + 8) {
			*why = m->type == PROTO_FILE_ACCEPT
			    ? "bad file accept length"
			    : "bad file request length";
			return -1;
		}
		memcpy(m->u.file.id, p, PROTO_XFER_ID_LEN);
		if (m->type == PROTO_FILE_ACCEPT)
			m->u.file.have = get64(p + PROTO_XFER_ID_LEN);
		else
			m->u.file.index = get64(p + PROTO_XFER_ID_LEN);
		break;
	case PROTO_FILE_CANCEL:
		if (len != PROTO_XFER_ID_LEN + 1) {
			*why = "bad file cancel length";
			return -1;
		}
		memcpy(m->u.file.id, p, PROTO_XFER_ID_LEN);
		m->u.file.reason = p[PROTO_XFER_ID_LEN];
		break;
	case PROTO_FILE_CHUNK:
		if (len < FILE_CHUNK_FIELDS) {
			*why = "short file chunk";
			return -1;
		}
		memcpy(m->u.file.id, p, PROTO_XFER_ID_LEN);
		m->u.file.index = get64(p + PROTO_XFER_ID_LEN);
		m->u.file.offset = get32(p + PROTO_XFER_ID_LEN + 8);
		m->u.file.nproof = p[PROTO_XFER_ID_LEN + 12];
		n = (size_t)m->u.file.nproof * PROTO_FILE_HASHLEN;
		if (len - FILE_CHUNK_FIELDS < n) {
			*why = "short file chunk proof";
			return -1;
		}
		m->u.file.proof = p + FILE_CHUNK_FIELDS;
		m->u.file.data = p + FILE_CHUNK_FIELDS + n;
		m->u.file.datalen = len - FILE_CHUNK_FIELDS - n;
		break;
	case PROTO_FILE_DONE:
		if (len != PROTO_XFER_ID_LEN) {
			*why = "bad file done length";
			return -1;
		}
		memcpy(m->u.file.id, p, PROTO_XFER_ID_LEN);
		return 0;
	default:
		if (m->type >= PROTO_EXTENSION) {
			m->type = 0;
			return 0;
		}
		if ((m->type >= PROTO_ROOM_FIRST &&
		        m->type <= PROTO_ROOM_LAST) ||
		    (m->type >= PROTO_SWARM_FIRST &&
		        m->type <= PROTO_SWARM_LAST)) {
			m->u.raw.data = p - 1;
			m->u.raw.len = len + 1;
			return 0;
		}
		*why = "unknown message type";
		return -1;
	}
	if ((*why = proto_file_check(m)) != NULL)
		return -1;
	return 0;
}

size_t
proto_encode(const struct proto_msg *m, uint8_t *out, size_t cap)
{
	const struct proto_listen *l;
	const char *why;
	size_t n, k;
	unsigned i;

	switch (m->type) {
	case PROTO_HELLO:
		n = strlen(m->u.hello.nick);
		if (n > PROTO_NICK_MAX || cap < 8 + n ||
		    m->u.hello.nlisten > PROTO_LISTEN_MAX)
			return 0;
		out[0] = m->type;
		put16(out + 1, m->u.hello.version);
		put32(out + 3, m->u.hello.caps);
		out[7] = (uint8_t)n;
		memcpy(out + 8, m->u.hello.nick, n);
		n += 8;
		for (i = 0; i < m->u.hello.nlisten; i++) {
			l = &m->u.hello.listen[i];
			k = l->family == 0 ? 2 : l->family == 4 ? 6 : 18;
			if (!proto_listen_ok(l) || cap < n + 2 + k)
				return 0;
			out[n] = PROTO_HELLO_LISTEN;
			out[n + 1] = (uint8_t)k;
			put16(out + n + 2, l->port);
			memcpy(out + n + 4, l->addr, k - 2);
			n += 2 + k;
		}
		return n;
	case PROTO_NICK:
		n = strlen(m->u.nick);
		if (n > PROTO_NICK_MAX || cap < 2 + n)
			return 0;
		out[0] = m->type;
		out[1] = (uint8_t)n;
		memcpy(out + 2, m->u.nick, n);
		return 2 + n;
	case PROTO_PING:
	case PROTO_PONG:
		if (cap < 9)
			return 0;
		out[0] = m->type;
		put64(out + 1, m->u.token);
		return 9;
	case PROTO_BYE:
		if (cap < 2)
			return 0;
		out[0] = m->type;
		out[1] = m->u.reason;
		return 2;
	case PROTO_CHAT:
		n = 1 + PROTO_ID_LEN + 16 + m->u.chat.len;
		if (m->u.chat.len == 0 || m->u.chat.len > PROTO_TEXT_MAX ||
		    cap < n)
			return 0;
		out[0] = m->type;
		memcpy(out + 1, m->u.chat.id, PROTO_ID_LEN);
		put64(out + 1 + PROTO_ID_LEN, m->u.chat.seq);
		put64(out + 1 + PROTO_ID_LEN + 8, (uint64_t)m->u.chat.time_ms);
		memcpy(
		    out + 1 + PROTO_ID_LEN + 16, m->u.chat.text, m->u.chat.len);
		return n;
	case PROTO_ACK:
		if (cap < 1 + PROTO_ID_LEN)
			return 0;
		out[0] = m->type;
		memcpy(out + 1, m->u.ack.id, PROTO_ID_LEN);
		return 1 + PROTO_ID_LEN;
	case PROTO_FLIP_COMMIT:
	case PROTO_FLIP_RESPONSE:
	case PROTO_FLIP_REVEAL:
		n = 1 + PROTO_FLIP_ID_LEN + PROTO_FLIP_VALUE_LEN;
		if (m->type != PROTO_FLIP_REVEAL) {
			if (m->u.flip.draw == NULL ||
			    proto_draw_decode(m->u.flip.draw, m->u.flip.drawlen,
			        NULL, &why) == -1)
				return 0;
			n += m->u.flip.drawlen;
		}
		if (cap < n)
			return 0;
		out[0] = m->type;
		memcpy(out + 1, m->u.flip.id, PROTO_FLIP_ID_LEN);
		memcpy(out + 1 + PROTO_FLIP_ID_LEN, m->u.flip.value,
		    PROTO_FLIP_VALUE_LEN);
		if (m->type != PROTO_FLIP_REVEAL)
			memcpy(
			    out + 1 + PROTO_FLIP_ID_LEN + PROTO_FLIP_VALUE_LEN,
			    m->u.flip.draw, m->u.flip.drawlen);
		return n;
	case PROTO_FILE_OFFER:
		if (m->u.file.name == NULL || proto_file_check(m) != NULL)
			return 0;
		n = 1 + FILE_OFFER_FIELDS + m->u.file.namelen;
		if (cap < n)
			return 0;
		out[0] = m->type;
		memcpy(out + 1, m->u.file.id, PROTO_XFER_ID_LEN);
		put64(out + 1 + PROTO_XFER_ID_LEN, m->u.file.size);
		memcpy(out + 1 + PROTO_XFER_ID_LEN + 8, m->u.file.root,
		    PROTO_FILE_HASHLEN);
		memcpy(out + 1 + FILE_OFFER_FIELDS, m->u.file.name,
		    m->u.file.namelen);
		return n;
	case PROTO_FILE_ACCEPT:
	case PROTO_FILE_REQUEST:
		if (proto_file_check(m) != NULL ||
		    cap < 1 + PROTO_XFER_ID_LEN + 8)
			return 0;
		out[0] = m->type;
		memcpy(out + 1, m->u.file.id, PROTO_XFER_ID_LEN);
		put64(out + 1 + PROTO_XFER_ID_LEN,
		    m->type == PROTO_FILE_ACCEPT ? m->u.file.have
		                                 : m->u.file.index);
		return 1 + PROTO_XFER_ID_LEN + 8;
	case PROTO_FILE_CANCEL:
		if (proto_file_check(m) != NULL ||
		    cap < 1 + PROTO_XFER_ID_LEN + 1)
			return 0;
		out[0] = m->type;
		memcpy(out + 1, m->u.file.id, PROTO_XFER_ID_LEN);
		out[1 + PROTO_XFER_ID_LEN] = m->u.file.reason;
		return 1 + PROTO_XFER_ID_LEN + 1;
	case PROTO_FILE_CHUNK:
		if ((m->u.file.nproof != 0 && m->u.file.proof == NULL) ||
		    m->u.file.data == NULL || proto_file_check(m) != NULL)
			return 0;
		n = (size_t)m->u.file.nproof * PROTO_FILE_HASHLEN;
		if (cap < PROTO_FILE_CHUNK_HDR + n + m->u.file.datalen)
			return 0;
		out[0] = m->type;
		memcpy(out + 1, m->u.file.id, PROTO_XFER_ID_LEN);
		put64(out + 1 + PROTO_XFER_ID_LEN, m->u.file.index);
		put32(out + 1 + PROTO_XFER_ID_LEN + 8, m->u.file.offset);
		out[1 + PROTO_XFER_ID_LEN + 12] = m->u.file.nproof;
		if (n != 0)
			memcpy(out + PROTO_FILE_CHUNK_HDR, m->u.file.proof, n);
		memcpy(out + PROTO_FILE_CHUNK_HDR + n, m->u.file.data,
		    m->u.file.datalen);
		return PROTO_FILE_CHUNK_HDR + n + m->u.file.datalen;
	case PROTO_FILE_DONE:
		if (cap < 1 + PROTO_XFER_ID_LEN)
			return 0;
		out[0] = m->type;
		memcpy(out + 1, m->u.file.id, PROTO_XFER_ID_LEN);
		return 1 + PROTO_XFER_ID_LEN;
	default:
		if (((m->type >= PROTO_ROOM_FIRST &&
		         m->type <= PROTO_ROOM_LAST) ||
		        (m->type >= PROTO_SWARM_FIRST &&
		            m->type <= PROTO_SWARM_LAST)) &&
		    m->u.raw.len >= 1 && m->u.raw.len <= cap &&
		    m->u.raw.data[0] == m->type) {
			memcpy(out, m->u.raw.data, m->u.raw.len);
			return m->u.raw.len;
		}
		return 0;
	}
}

int
proto_draw_decode(
    const uint8_t *p, size_t len, struct proto_draw *d, const char **why)
{
	struct proto_draw scratch;
	size_t off, n, i;

	if (d == NULL)
		d = &scratch;
	memset(d, 0, sizeof *d);
	if (len == 0) {
		*why = "empty flip draw";
		return -1;
	}
	d->kind = p[0];
	switch (d->kind) {
	case PROTO_DRAW_COIN:
		if (len != 1) {
			*why = "bad coin draw length";
			return -1;
		}
		return 0;
	case PROTO_DRAW_DICE:
		if (len != 4) {
			*why = "bad dice draw length";
			return -1;
		}
		d->count = p[1];
		d->sides = get16(p + 2);
		if (d->count < 1 || d->count > PROTO_DICE_MAX ||
		    d->sides < PROTO_SIDES_MIN || d->sides > PROTO_SIDES_MAX) {
			*why = "dice out of range";
			return -1;
		}
		return 0;
	case PROTO_DRAW_PICK:
		if (len < 2 || p[1] < PROTO_PICK_MIN || p[1] > PROTO_PICK_MAX) {
			*why = "bad number of pick options";
			return -1;
		}
		d->noptions = p[1];
		off = 2;
		for (i = 0; i < d->noptions; i++) {
			if (off >= len) {
				*why = "short pick draw";
				return -1;
			}
			n = p[off++];
			if (n < 1 || n > PROTO_OPTION_MAX || n > len - off) {
				*why = "bad pick option length";
				return -1;
			}
			if (!util_utf8_printable(p + off, n)) {
				*why = "pick option is not printable UTF-8";
				return -1;
			}
			memcpy(d->options[i], p + off, n);
			d->options[i][n] = '\0';
			off += n;
		}
		if (off != len) {
			*why = "bad pick draw length";
			return -1;
		}
		return 0;
	default:
		*why = "unknown flip kind";
		return -1;
	}
}

size_t
proto_draw_encode(const struct proto_draw *d, uint8_t *out, size_t cap)
{
	size_t off, n, i;

	switch (d->kind) {
	case PROTO_DRAW_COIN:
		if (cap < 1)
			return 0;
		out[0] = d->kind;
		return 1;
	case PROTO_DRAW_DICE:
		if (cap < 4 || d->count < 1 || d->count > PROTO_DICE_MAX ||
		    d->sides < PROTO_SIDES_MIN || d->sides > PROTO_SIDES_MAX)
			return 0;
		out[0] = d->kind;
		out[1] = d->count;
		put16(out + 2, d->sides);
		return 4;
	case PROTO_DRAW_PICK:
		if (cap < 2 || d->noptions < PROTO_PICK_MIN ||
		    d->noptions > PROTO_PICK_MAX)
			return 0;
		out[0] = d->kind;
		out[1] = d->noptions;
		off = 2;
		for (i = 0; i < d->noptions; i++) {
			n = strnlen(d->options[i], PROTO_OPTION_MAX + 1);
			if (n < 1 || n > PROTO_OPTION_MAX ||
			    cap - off < 1 + n ||
			    !util_utf8_printable(
			        (const uint8_t *)d->options[i], n))
				return 0;
			out[off++] = (uint8_t)n;
			memcpy(out + off, d->options[i], n);
			off += n;
		}
		return off;
	default:
		return 0;
	}
}

size_t
proto_action(const uint8_t *text, size_t len)
{
	return len >= PROTO_ACTION_LEN &&
	        memcmp(text, PROTO_ACTION, PROTO_ACTION_LEN) == 0
	    ? PROTO_ACTION_LEN
	    : 0;
}

const char *
proto_cancel_text(uint8_t reason)
{
	static const char *texts[] = {
		[PROTO_CANCEL_USER] = "cancelled",
		[PROTO_CANCEL_DECLINED] = "declined",
		[PROTO_CANCEL_ERROR] = "error",
		[PROTO_CANCEL_CHANGED] = "file changed",
		[PROTO_CANCEL_UNKNOWN] = "unknown transfer",
		[PROTO_CANCEL_BAD_DATA] = "bad data",
	};

	return reason <= PROTO_CANCEL_MAX ? texts[reason] : "unknown reason";
}

const char *
proto_bye_text(uint8_t reason)
{
	static const char *texts[] = {
		[PROTO_BYE_QUIT] = "quit",
		[PROTO_BYE_DECLINED] = "declined",
		[PROTO_BYE_DUPLICATE] = "duplicate connection",
		[PROTO_BYE_ERROR] = "protocol error",
		[PROTO_BYE_BUSY] = "busy",
		[PROTO_BYE_TIMEOUT] = "timeout",
		[PROTO_BYE_DISCONNECTED] = "disconnected",
		[PROTO_BYE_FULL] = "too many connections",
	};

	return reason <= PROTO_BYE_MAX ? texts[reason] : "unknown";
}
