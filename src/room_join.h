/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Joining a password room (DESIGN.md section 9, doc/PROTOCOL.md section
 * 14.6): JOIN -> CHALLENGE -> CONFIRM -> WELCOME on top of cpace.c, as
 * pure functions over messages, and the limit on failed joins, with
 * the clock given by the caller.
 *
 *	joiner (A)                         member (B)
 *	room_joiner_create()  JOIN(Ya) -->  room_responder_create()
 *	room_joiner_challenge() <-- CHALLENGE(Yb, Tb)   (or DENIED)
 *	                     CONFIRM(Ta) -->  room_responder_confirm()
 *	                      <-- WELCOME   (or DENIED(password))
 *
 * ADa is the JOIN's member record (E, Noise key, nick, address), so the
 * confirmation binds them; ADb is empty. A run the member answered with
 * a CHALLENGE counts as a failure until its CONFIRM checks: the joiner
 * can test its one guess against Tb alone, so a run it abandons is a
 * guess too.
 */
#ifndef P2PTUI_ROOM_JOIN_H
#define P2PTUI_ROOM_JOIN_H

#include <stddef.h>
#include <stdint.h>

#include "cpace.h"
#include "room_proto.h"

#define ROOM_LIMIT_FAILURES 3 /* per joiner per room per window */
#define ROOM_LIMIT_WINDOW_MS (10 * 60 * 1000)
#define ROOM_LIMIT_ENTRIES 1024 /* joiners remembered */

/* Failed joins per (room, joiner Noise key) in a sliding window. */
struct room_limit_entry {
	uint8_t room[ROOM_IDLEN];
	uint8_t joiner[ROOM_KEYLEN];
	int64_t t[ROOM_LIMIT_FAILURES]; /* failure times; 0: none */
};
struct room_limit {
	struct room_limit_entry *e;
	size_t n;
};

void room_limit_init(struct room_limit *);
void room_limit_free(struct room_limit *);
/* 1 if joiner may try room at now_ms (fewer than 3 failures in the
 * window). */
int room_limit_allowed(struct room_limit *, const uint8_t room[ROOM_IDLEN],
    const uint8_t joiner[ROOM_KEYLEN], int64_t now_ms);
/* Count a failure at now_ms (now_ms > 0). */
void room_limit_fail(struct room_limit *, const uint8_t room[ROOM_IDLEN],
    const uint8_t joiner[ROOM_KEYLEN], int64_t now_ms);
/* Take back the failure counted at at_ms (the run succeeded). */
void room_limit_forgive(struct room_limit *, const uint8_t room[ROOM_IDLEN],
    const uint8_t joiner[ROOM_KEYLEN], int64_t at_ms);

/* The inputs of one run on one Noise session. */
struct room_join_ctx {
	uint8_t room[ROOM_IDLEN];
	const uint8_t *prs; /* CPACE_PRSLEN bytes */
	uint8_t joiner[ROOM_KEYLEN]; /* the joiner's Noise static key */
	uint8_t member[ROOM_KEYLEN]; /* the member's Noise static key */
	const uint8_t *sid; /* the Noise handshake hash */
	size_t sidlen;
};

struct room_joiner;
struct room_responder;

/* Start a run: the JOIN to send in *join. NULL with *cause. */
struct room_joiner *room_joiner_create(const struct room_join_ctx *,
    const struct room_member_info *me, struct room_msg *join, char **cause);
/* The CHALLENGE: the CONFIRM to send, or -1 with *cause (a wrong
 * password or tampering: the run is over). */
int room_joiner_challenge(struct room_joiner *, const struct room_msg *,
    struct room_msg *confirm, char **cause);
/*
 * The WELCOME, accepted only after our CONFIRM went out, for our room:
 * its keys go into log (each checked against its commitment once that
 * is known). -1 with *cause.
 */
int room_joiner_welcome(struct room_joiner *, const struct room_msg *,
    struct room_log *, char **cause);
void room_joiner_free(struct room_joiner *);

/*
 * A JOIN arrived (ctx->joiner from the session, not from the message;
 * the JOIN's member record must name it): a context with a CHALLENGE
 * in *out and a failure counted, or NULL with a DENIED in *out (the
 * limit is reached) or with *cause (a bad JOIN).
 */
struct room_responder *room_responder_create(const struct room_join_ctx *,
    const struct room_msg *join, struct room_limit *, int64_t now_ms,
    struct room_msg *out, char **cause);
/* The CONFIRM: 0 if the password matched (the failure is taken back;
 * send WELCOME), else -1 with DENIED(password) in *out. */
int room_responder_confirm(struct room_responder *, const struct room_msg *,
    struct room_limit *, struct room_msg *out);
/* The joiner's member record from its JOIN. */
const struct room_member_info *room_responder_member(
    const struct room_responder *);
/* When the run was counted as a failure (room_responder_create's now_ms). */
int64_t room_responder_at(const struct room_responder *);
void room_responder_free(struct room_responder *);

/*
 * Member side, once a joiner is admitted (its CONFIRM checked, or it
 * was invited): the WELCOME. Every epoch key the log holds (a newcomer
 * may read the whole history) goes into keys, which needs
 * ROOM_EPOCHS_MAX * ROOM_WELCOME_KEYLEN bytes and which out->data points
 * to (wipe it once sent); then the active members and the log's V.
 * -1 if the room has no CREATE yet.
 */
int room_welcome_build(
    const struct room_log *, uint8_t *keys, struct room_msg *out);

#endif
