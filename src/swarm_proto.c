/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Swarm message codec. Grammar (integers big-endian; every message is
 * exactly as long as its fields, and at most 65519 bytes; root[32]):
 *
 *   WANT    = 0x50 root
 *   MAP     = 0x51 root size:u64 kind:u8 (0 none, 1 all)
 *           | 0x51 root size:u64 0x02 start:u64 bits[1..8192]
 *   HAVE    = 0x52 root n:u16 (1..1024) n * index:u64
 *   REQUEST = 0x53 root index:u64
 *   CHUNK   = 0x54 root index:u64 offset:u32 nproof:u8 (0..64)
 *                  proof[32 * nproof] data[1..]
 *   CANCEL  = 0x55 root index:u64 reason:u8 (0..2)
 *
 * size <= 2^62; every index is below 2^44 (the leaves of the largest
 * file); HAVE's indices strictly increase. A MAP bitfield covers leaves
 * start to start + 8 * len(bits) - 1, bit k (1 << k) of byte j for leaf
 * start + 8j + k: start is a multiple of 8 below the leaf count of
 * size, the bitfield ends at or before the byte of the last leaf, and
 * bits past the last leaf are 0. A CHUNK carries a proof only at offset
 * 0 and its data stays within the 256 KiB leaf. Types 0x56-0x5f are
 * reserved (malformed until defined). The encoder refuses whatever the
 * decoder would, so every message has one form. Nothing is allocated.
 */
#include <string.h>

#include "swarm_proto.h"
#include "util.h"

#define SWARM_HDR (1 + SWARM_ROOTLEN)
#define SWARM_MAP_HDR (SWARM_HDR + 8 + 1)

int
swarm_proto_is(uint8_t type)
{
	return type >= SWARM_PROTO_FIRST && type <= SWARM_PROTO_LAST;
}

uint64_t
swarm_proto_leaves(uint64_t size)
{
	return size / SWARM_LEAF + (size % SWARM_LEAF != 0);
}

/* The bitfield of a MAP: where it starts, and that it stays in the file. */
static const char *
swarm_map_check(const struct swarm_msg *m)
{
	uint64_t count = swarm_proto_leaves(m->size), bytes = (count + 7) / 8;

	if (m->start % 8 != 0 || m->start >= count)
		return "swarm map starts at a wrong leaf";
	if (m->nbits < 1 || m->nbits > SWARM_MAP_BYTES_MAX ||
	    m->nbits > bytes - m->start / 8)
		return "swarm map bitfield of a wrong length";
	if (m->start / 8 + m->nbits == bytes && count % 8 != 0 &&
	    (m->bits[m->nbits - 1] >> (count % 8)) != 0)
		return "swarm map names leaves past the end";
	return NULL;
}

/* The fields of a CHUNK after its header. */
static const char *
swarm_chunk_check(const struct swarm_msg *m)
{
	if (m->nproof > SWARM_PROOF_MAX)
		return "swarm proof too long";
	if (m->offset != 0 && m->nproof != 0)
		return "swarm proof in a piece past the start of its leaf";
	if (m->datalen < 1 || m->offset >= SWARM_LEAF ||
	    m->datalen > SWARM_LEAF - m->offset)
		return "swarm chunk beyond its leaf";
	return NULL;
}

/* The decoder's field checks, shared with the encoder; NULL if valid. */
static const char *
swarm_check(const struct swarm_msg *m)
{
	uint16_t i;

	switch (m->type) {
	case SWARM_MSG_WANT:
		return NULL;
	case SWARM_MSG_MAP:
		if (m->size > SWARM_SIZE_MAX)
			return "swarm file size out of range";
		if (m->kind > SWARM_MAP_BITS)
			return "unknown swarm map kind";
		return m->kind == SWARM_MAP_BITS ? swarm_map_check(m) : NULL;
	case SWARM_MSG_HAVE:
		if (m->n < 1 || m->n > SWARM_HAVE_MAX)
			return "swarm have of a wrong count";
		for (i = 0; i < m->n; i++) {
			if (m->have[i] >= SWARM_LEAVES_MAX ||
			    (i > 0 && m->have[i] <= m->have[i - 1]))
				return "swarm have not increasing or out of "
				       "range";
		}
		return NULL;
	case SWARM_MSG_REQUEST:
	case SWARM_MSG_CHUNK:
	case SWARM_MSG_CANCEL:
		if (m->index >= SWARM_LEAVES_MAX)
			return "swarm leaf index out of range";
		if (m->type == SWARM_MSG_CANCEL && m->reason > SWARM_CANCEL_MAX)
			return "unknown swarm cancel reason";
		return m->type == SWARM_MSG_CHUNK ? swarm_chunk_check(m) : NULL;
	default:
		return "reserved swarm message type";
	}
}

/* The length a message of m's type and counts must have; 0 if unknown. */
static size_t
swarm_len(const struct swarm_msg *m)
{
	switch (m->type) {
	case SWARM_MSG_WANT:
		return SWARM_HDR;
	case SWARM_MSG_MAP:
		return SWARM_MAP_HDR +
		    (m->kind == SWARM_MAP_BITS ? 8 + m->nbits : 0);
	case SWARM_MSG_HAVE:
		return SWARM_HDR + 2 + (size_t)m->n * 8;
	case SWARM_MSG_REQUEST:
		return SWARM_HDR + 8;
	case SWARM_MSG_CHUNK:
		return SWARM_CHUNK_HDR + (size_t)m->nproof * SWARM_HASHLEN +
		    m->datalen;
	case SWARM_MSG_CANCEL:
		return SWARM_HDR + 8 + 1;
	default:
		return 0;
	}
}

int
swarm_proto_decode(
    const uint8_t *p, size_t len, struct swarm_msg *m, const char **why)
{
	size_t i;

	memset(m, 0, offsetof(struct swarm_msg, have));
	*why = "swarm message of a wrong length";
	if (len < SWARM_HDR || len > SWARM_MSG_MAX)
		return -1;
	m->type = p[0];
	memcpy(m->root, p + 1, SWARM_ROOTLEN);
	switch (m->type) {
	case SWARM_MSG_MAP:
		if (len < SWARM_MAP_HDR)
			return -1;
		m->size = util_be_get(p + SWARM_HDR, 8);
		m->kind = p[SWARM_HDR + 8];
		if (m->kind == SWARM_MAP_BITS) {
			if (len < SWARM_MAP_HDR + 8)
				return -1;
			m->start = util_be_get(p + SWARM_MAP_HDR, 8);
			m->bits = p + SWARM_MAP_HDR + 8;
			m->nbits = len - SWARM_MAP_HDR - 8;
		}
		break;
	case SWARM_MSG_HAVE:
		if (len < SWARM_HDR + 2)
			return -1;
		m->n = (uint16_t)util_be_get(p + SWARM_HDR, 2);
		if (m->n < 1 || m->n > SWARM_HAVE_MAX) {
			*why = "swarm have of a wrong count";
			return -1;
		}
		if (len != swarm_len(m))
			return -1;
		for (i = 0; i < m->n; i++)
			m->have[i] = util_be_get(p + SWARM_HDR + 2 + 8 * i, 8);
		break;
	case SWARM_MSG_REQUEST:
	case SWARM_MSG_CANCEL:
		if (len < SWARM_HDR + 8)
			return -1;
		m->index = util_be_get(p + SWARM_HDR, 8);
		if (m->type == SWARM_MSG_CANCEL && len == SWARM_HDR + 9)
			m->reason = p[SWARM_HDR + 8];
		break;
	case SWARM_MSG_CHUNK:
		if (len < SWARM_CHUNK_HDR)
			return -1;
		m->index = util_be_get(p + SWARM_HDR, 8);
		m->offset = (uint32_t)util_be_get(p + SWARM_HDR + 8, 4);
		m->nproof = p[SWARM_HDR + 12];
		if ((size_t)m->nproof * SWARM_HASHLEN > len - SWARM_CHUNK_HDR)
			return -1;
		m->proof = p + SWARM_CHUNK_HDR;
		m->data = m->proof + (size_t)m->nproof * SWARM_HASHLEN;
		m->datalen =
		    len - SWARM_CHUNK_HDR - (size_t)m->nproof * SWARM_HASHLEN;
		break;
	default:
		break;
	}
	if ((*why = swarm_check(m)) != NULL)
		return -1;
	if (len != swarm_len(m)) {
		*why = "swarm message of a wrong length";
		return -1;
	}
	*why = NULL;
	return 0;
}

size_t
swarm_proto_encode(const struct swarm_msg *m, uint8_t *out, size_t cap)
{
	size_t len = swarm_len(m), i;
	uint8_t *p = out + SWARM_HDR;

	if (swarm_check(m) != NULL || len == 0 || len > SWARM_MSG_MAX ||
	    len > cap)
		return 0;
	out[0] = m->type;
	memcpy(out + 1, m->root, SWARM_ROOTLEN);
	switch (m->type) {
	case SWARM_MSG_MAP:
		util_be_put(p, m->size, 8);
		p[8] = m->kind;
		if (m->kind == SWARM_MAP_BITS) {
			util_be_put(p + 9, m->start, 8);
			memcpy(p + 17, m->bits, m->nbits);
		}
		break;
	case SWARM_MSG_HAVE:
		util_be_put(p, m->n, 2);
		for (i = 0; i < m->n; i++)
			util_be_put(p + 2 + 8 * i, m->have[i], 8);
		break;
	case SWARM_MSG_REQUEST:
	case SWARM_MSG_CANCEL:
		util_be_put(p, m->index, 8);
		if (m->type == SWARM_MSG_CANCEL)
			p[8] = m->reason;
		break;
	case SWARM_MSG_CHUNK:
		util_be_put(p, m->index, 8);
		util_be_put(p + 8, m->offset, 4);
		p[12] = m->nproof;
		memcpy(p + 13, m->proof, (size_t)m->nproof * SWARM_HASHLEN);
		memcpy(p + 13 + (size_t)m->nproof * SWARM_HASHLEN, m->data,
		    m->datalen);
		break;
	default:
		break;
	}
	return len;
}
