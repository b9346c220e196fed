/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The room messages, types 0x40-0x4f (doc/PROTOCOL.md section 14.5),
 * as pure functions over buffers, apart from proto.c: a message here is
 * the plaintext of one transport frame, type byte first. Events travel
 * whole inside ROOM_EVENT; room_event.c decodes them.
 */
#ifndef P2PTUI_ROOM_PROTO_H
#define P2PTUI_ROOM_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "cpace.h"
#include "room_event.h"
#include "room_log.h"

#define ROOM_PROTO_FIRST 0x40
#define ROOM_PROTO_LAST 0x4f
#define ROOM_WANT_MAX 64 /* ids in one WANT */

enum room_msg_type {
	ROOM_MSG_SYNC = 0x40,
	ROOM_MSG_EVENT = 0x41,
	ROOM_MSG_WANT = 0x42,
	ROOM_MSG_JOIN = 0x43,
	ROOM_MSG_CHALLENGE = 0x44,
	ROOM_MSG_CONFIRM = 0x45,
	ROOM_MSG_WELCOME = 0x46,
	ROOM_MSG_DENIED = 0x47,
	ROOM_MSG_KEY = 0x48,
	ROOM_MSG_KEY_WANT = 0x49,
	ROOM_MSG_MEMBER = 0x4a,
	ROOM_MSG_INVITE = 0x4b,
	ROOM_MSG_DIGEST = 0x4c,
	ROOM_MSG_LOOKUP = 0x4d, /* room all zero, name: which id? */
};

enum room_join_mode {
	ROOM_JOIN_PASSWORD = 1, /* CPace follows: Ya in the JOIN */
	ROOM_JOIN_INVITED = 2, /* a member invited us: no Ya */
};

enum room_denied {
	ROOM_DENIED_PASSWORD = 1, /* wrong password */
	ROOM_DENIED_LIMIT = 2, /* too many failures: try later */
	ROOM_DENIED_UNKNOWN = 3, /* no such room here */
	ROOM_DENIED_INVITE = 4, /* invite-only, and no invitation */
	ROOM_DENIED_FULL = 5, /* the room has ROOM_MEMBERS_MAX members */
	ROOM_DENIED_BUSY = 6, /* another join runs on this session */
	ROOM_DENIED_MAX = ROOM_DENIED_BUSY,
};

/* One epoch key in a WELCOME: epoch:u32 key[32]. */
#define ROOM_WELCOME_KEYLEN (4 + ROOM_KEYLEN)

struct room_msg {
	uint8_t type;
	uint8_t room[ROOM_IDLEN];
	/* EVENT: the event's bytes (into the decoded buffer). WANT: n ids
	 * of ROOM_HASHLEN bytes. WELCOME: n keys of ROOM_WELCOME_KEYLEN
	 * bytes, epochs strictly increasing. */
	const uint8_t *data;
	size_t len;
	uint16_t n;
	/* JOIN */
	uint8_t mode;
	struct room_member_info member;
	uint8_t y[CPACE_POINTLEN]; /* JOIN: Ya; CHALLENGE: Yb */
	uint8_t tag[CPACE_TAGLEN]; /* CHALLENGE: Tb; CONFIRM: Ta */
	uint8_t reason; /* DENIED */
	uint32_t epoch; /* KEY, KEY_WANT */
	uint8_t key[ROOM_KEYLEN]; /* KEY; MEMBER: E */
	char name[ROOM_NAME_MAX + 1]; /* INVITE */
	uint8_t digest[ROOM_HASHLEN]; /* DIGEST */
	uint16_t nv, nmembers;
	/* Large, last (the decoder clears only what comes before). */
	/* SYNC, WELCOME: a version vector, prefixes strictly increasing. */
	struct room_vv v[ROOM_MEMBERS_MAX];
	/* WELCOME */
	struct room_member_info members[ROOM_MEMBERS_MAX];
};

/* 1 if type is a room message. */
int room_proto_is(uint8_t type);
/*
 * Decode one room message of exactly len bytes (type byte first). -1
 * with *why (static) if malformed; an event inside ROOM_EVENT is only
 * checked for its length here.
 */
int room_proto_decode(
    const uint8_t *, size_t len, struct room_msg *, const char **why);
/* Encode; the length, or 0 if invalid or it does not fit. */
size_t room_proto_encode(const struct room_msg *, uint8_t *out, size_t cap);
/* The digest of a version vector (DIGEST). */
void room_proto_digest(
    const struct room_vv *, size_t n, uint8_t out[ROOM_HASHLEN]);
/* Text for a DENIED reason. */
const char *room_proto_denied_text(uint8_t reason);

#endif
