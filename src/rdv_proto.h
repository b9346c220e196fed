/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rendezvous messages, types 0x60-0x6f (doc/PROTOCOL.md section 16),
 * as pure functions over buffers: a message here is the plaintext of one
 * transport frame of a server session, type byte first. Shared by the
 * server (rdv_server*.c) and the client in p2ptui (rdv.c).
 */
#ifndef P2PTUI_RDV_PROTO_H
#define P2PTUI_RDV_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define RDV_PROTO_FIRST 0x60
#define RDV_PROTO_LAST 0x6f
#define RDV_KEYLEN 32
#define RDV_TOKENLEN 32
#define RDV_NAME_MIN 3
#define RDV_NAME_MAX 32
#define RDV_ADDR_MAX 64 /* bytes of one "HOST:PORT" */
#define RDV_ADDRS_MAX 8 /* addresses in ADDRS */
#define RDV_CANDS_MAX 10 /* candidates in CANDIDATES */
#define RDV_SUBS_MAX 1024 /* keys in SUBSCRIBE */
#define RDV_DIR_MAX 1000 /* names in DIRECTORY */
#define RDV_HELLO_LEN 38 /* the relay hello, length bytes included */
#define RDV_PROLOGUE "p2ptui-rdv/1 Noise_XX_25519_ChaChaPoly_BLAKE2b"

enum rdv_msg_type {
	RDV_MSG_REGISTER = 0x60,
	RDV_MSG_NAME = 0x61,
	RDV_MSG_LOOKUP = 0x62,
	RDV_MSG_FOUND = 0x63,
	RDV_MSG_SUBSCRIBE = 0x64,
	RDV_MSG_PRESENCE = 0x65,
	RDV_MSG_WHO = 0x66,
	RDV_MSG_DIRECTORY = 0x67,
	RDV_MSG_ADDRS = 0x68,
	RDV_MSG_CONNECT = 0x69,
	RDV_MSG_REQUEST = 0x6a,
	RDV_MSG_CANDIDATES = 0x6b,
	RDV_MSG_RELAY = 0x6c,
	RDV_MSG_RELAY_TOKEN = 0x6d,
	RDV_MSG_REFUSED = 0x6e,
};

/* Who sent a message: each type goes one way only. */
enum rdv_dir { RDV_FROM_CLIENT, RDV_FROM_SERVER };

enum rdv_op { RDV_OP_REGISTER = 1, RDV_OP_RENAME = 2, RDV_OP_RELEASE = 3 };

enum rdv_cand_kind {
	RDV_CAND_LISTED = 1, /* from the other's ADDRS */
	RDV_CAND_OBSERVED = 2, /* observed host, ADDRS port */
	RDV_CAND_SOURCE = 3, /* observed host and source port */
};

enum rdv_reason {
	RDV_REFUSED_TAKEN = 1,
	RDV_REFUSED_NAMED = 2,
	RDV_REFUSED_UNNAMED = 3,
	RDV_REFUSED_LIMIT = 4,
	RDV_REFUSED_FULL = 5,
	RDV_REFUSED_OFFLINE = 6,
	RDV_REFUSED_NODIR = 7,
	RDV_REFUSED_RELAYS = 8,
	RDV_REFUSED_STRANGER = 9,
};

struct rdv_addr {
	uint8_t kind; /* CANDIDATES: enum rdv_cand_kind; ADDRS: 0 */
	char addr[RDV_ADDR_MAX + 1];
};

struct rdv_msg {
	uint8_t type;
	uint8_t op; /* REGISTER */
	char name[RDV_NAME_MAX + 1]; /* "" for none */
	uint8_t flag; /* FOUND: found; PRESENCE: online; RELAY_TOKEN:
	                 initiator */
	uint8_t key[RDV_KEYLEN];
	uint8_t token[RDV_TOKENLEN];
	uint16_t port; /* ADDRS */
	uint16_t delay; /* CANDIDATES, ms */
	uint8_t what, reason; /* REFUSED */
	uint16_t n; /* SUBSCRIBE, DIRECTORY, ADDRS, CANDIDATES */
	/* SUBSCRIBE: n keys (into the decoded buffer). DIRECTORY: the
	 * names (into the decoded buffer; rdv_proto_dir_next()). */
	const uint8_t *data;
	size_t len;
	struct rdv_addr addrs[RDV_CANDS_MAX]; /* ADDRS, CANDIDATES */
};

/* 1 if type is a rendezvous message. */
int rdv_proto_is(uint8_t type);
/*
 * Decode one message of exactly len bytes (type byte first) sent in
 * direction dir. -1 with *why (static) if malformed.
 */
int rdv_proto_decode(const uint8_t *, size_t len, enum rdv_dir,
    struct rdv_msg *, const char **why);
/*
 * Encode; the length, or 0 if invalid or it does not fit. For
 * DIRECTORY, data/len are the names already encoded (namelen name ...)
 * and n their number: rdv_proto_dir_add() builds them.
 */
size_t rdv_proto_encode(const struct rdv_msg *, uint8_t *out, size_t cap);
/* Append name to a DIRECTORY list of len bytes in buf (capacity cap);
 * -1 if it does not fit or the name is invalid. */
int rdv_proto_dir_add(uint8_t *buf, size_t cap, size_t *len, const char *name);
/* The next name of a decoded DIRECTORY from *off (start at 0); 0 at the
 * end. */
int rdv_proto_dir_next(
    const struct rdv_msg *, size_t *off, char name[RDV_NAME_MAX + 1]);

/* 1 if s (len bytes) is a valid username as on the wire. */
int rdv_name_valid(const char *s, size_t len);
/* What the user typed, lower-cased into out; -1 with *cause (static)
 * if it cannot be a username. */
int rdv_name_normalise(
    const char *in, char out[RDV_NAME_MAX + 1], const char **why);

/* The relay hello frame (RDV_HELLO_LEN bytes) for token. */
void rdv_proto_hello(
    const uint8_t token[RDV_TOKENLEN], uint8_t out[RDV_HELLO_LEN]);
/* The first len bytes of a connection: 1 if they are a complete relay
 * hello (token copied out), 0 if they may still become one, -1 if they
 * cannot. */
int rdv_proto_hello_parse(
    const uint8_t *, size_t len, uint8_t token[RDV_TOKENLEN]);
/* Text for a REFUSED reason (static; NULL if unknown). */
const char *rdv_proto_reason_text(uint8_t reason);

#endif
