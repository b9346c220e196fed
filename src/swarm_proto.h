/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The swarm messages, types 0x50-0x5f (doc/PROTOCOL.md section 17), as
 * pure functions over buffers, apart from proto.c: a message here is the
 * plaintext of one transport frame, type byte first. A swarm names a
 * file by its Merkle root (merkle.h), as announced in a room's FILE
 * event; a CHUNK is the 1:1 FILE_CHUNK keyed by the root instead of a
 * transfer id, so each leaf verifies on its own with its proof.
 */
#ifndef P2PTUI_SWARM_PROTO_H
#define P2PTUI_SWARM_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define SWARM_PROTO_FIRST 0x50
#define SWARM_PROTO_LAST 0x5f
#define SWARM_CAP 0x00000008u /* capability bit 3 (PROTOCOL.md 4) */

#define SWARM_ROOTLEN 32
#define SWARM_HASHLEN 32 /* each proof hash */
#define SWARM_LEAF (256 * 1024) /* = MERKLE_LEAF */
#define SWARM_SIZE_MAX (UINT64_C(1) << 62) /* = PROTO_FILE_SIZE_MAX */
#define SWARM_LEAVES_MAX (SWARM_SIZE_MAX / SWARM_LEAF) /* 2^44 */
#define SWARM_PROOF_MAX 64 /* hashes in one proof */
#define SWARM_HAVE_MAX 1024 /* leaves in one HAVE */
#define SWARM_MAP_BYTES_MAX 8192 /* bitfield bytes in one MAP */
#define SWARM_MSG_MAX 65519 /* = PROTO_PLAIN_MAX: one frame */
/* A CHUNK's header: type, root, index, offset, nproof. */
#define SWARM_CHUNK_HDR (1 + SWARM_ROOTLEN + 8 + 4 + 1)

enum swarm_msg_type {
	SWARM_MSG_WANT = 0x50,
	SWARM_MSG_MAP = 0x51,
	SWARM_MSG_HAVE = 0x52,
	SWARM_MSG_REQUEST = 0x53,
	SWARM_MSG_CHUNK = 0x54,
	SWARM_MSG_CANCEL = 0x55,
};

enum swarm_map_kind {
	SWARM_MAP_NONE = 0, /* a member that holds no verified leaf */
	SWARM_MAP_ALL = 1, /* every leaf */
	SWARM_MAP_BITS = 2, /* the leaves of a bitfield, from start */
};

enum swarm_cancel_reason {
	SWARM_CANCEL_WITHDRAWN = 0, /* downloader: no longer wanted */
	SWARM_CANCEL_BUSY = 1, /* uploader: serving its 8 downloaders */
	SWARM_CANCEL_MISSING = 2, /* uploader: does not hold that leaf */
	SWARM_CANCEL_MAX = SWARM_CANCEL_MISSING,
};

struct swarm_msg {
	uint8_t type;
	uint8_t root[SWARM_ROOTLEN];
	/* MAP: size of the file, kind; BITS: start (a multiple of 8 below
	 * the leaf count), bits (nbits bytes, into the decoded buffer):
	 * leaf start + 8j + k is bit k (1 << k) of byte j. */
	uint64_t size;
	uint8_t kind;
	uint64_t start;
	const uint8_t *bits;
	size_t nbits;
	/* REQUEST, CHUNK, CANCEL */
	uint64_t index;
	/* CHUNK: as FILE_CHUNK (proof and data into the decoded buffer) */
	uint32_t offset;
	uint8_t nproof;
	const uint8_t *proof;
	const uint8_t *data;
	size_t datalen;
	uint8_t reason; /* CANCEL */
	/* HAVE: n leaves, strictly increasing, each below 2^44; last, as
	 * the decoder clears only what comes before it. */
	uint16_t n;
	uint64_t have[SWARM_HAVE_MAX];
};

/* 1 if type is one of the swarm's (0x50-0x5f). */
int swarm_proto_is(uint8_t type);
/*
 * Decode one message (len bytes, type first) into m. -1 with *why (a
 * static string) if it is malformed or of a reserved type (0x56-0x5f).
 */
int swarm_proto_decode(
    const uint8_t *, size_t len, struct swarm_msg *m, const char **why);
/*
 * Encode m into out (cap bytes): the length, or 0 if it does not fit or
 * the decoder would refuse it, so that each message has one form.
 */
size_t swarm_proto_encode(const struct swarm_msg *m, uint8_t *out, size_t cap);
/* Leaves of a file of size bytes. */
uint64_t swarm_proto_leaves(uint64_t size);

#endif
