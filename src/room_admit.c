/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Joining rooms, both roles, over room_join.c's pure functions
 * (doc/PROTOCOL.md section 14.6): the member answers LOOKUP, JOIN and
 * CONFIRM, counts failures per joiner (room_join.c) and per room
 * (ROOM_LIMIT_ROOM_FAILURES), and admits with an ADD and a WELCOME; the
 * joiner looks the room up, runs CPace or an invited join, and makes
 * the room from the WELCOME. A /join to an address waits here for its
 * session (room_pending_start()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpace.h"
#include "ident.h"
#include "log.h"
#include "room_int.h"
#include "store_room.h"
#include "util.h"
#include "xmalloc.h"

/* --- joins -----------------------------------------------------------------
 */

/* The room's own cap on failures from all joiners together. */
static int
room_cap_allowed(struct room *r, int64_t now)
{
	size_t i, n = 0;

	for (i = 0; i < ROOM_LIMIT_ROOM_FAILURES; i++)
		if (r->fail_t[i] != 0 &&
		    now - r->fail_t[i] < ROOM_LIMIT_WINDOW_MS)
			n++;
	return n < ROOM_LIMIT_ROOM_FAILURES;
}

static void
room_cap_fail(struct room *r, int64_t now)
{
	size_t i, old = 0;

	for (i = 1; i < ROOM_LIMIT_ROOM_FAILURES; i++)
		if (r->fail_t[i] < r->fail_t[old])
			old = i;
	r->fail_t[old] = now;
}

static void
room_cap_forgive(struct room *r, int64_t at)
{
	size_t i;

	for (i = 0; i < ROOM_LIMIT_ROOM_FAILURES; i++)
		if (r->fail_t[i] == at) {
			r->fail_t[i] = 0;
			return;
		}
}

static void
room_send_denied(
    struct rooms *rs, struct peer *p, const uint8_t *room, uint8_t reason)
{
	struct room_msg *m = room_msg_new(rs, ROOM_MSG_DENIED, room);

	m->reason = reason;
	room_send(rs, p, m);
}

int
room_is_invited(struct rooms *rs, const struct room *r, const struct peer *p)
{
	size_t i;

	for (i = 0; i < rs->ninvited; i++)
		if (memcmp(rs->invited[i].room, r->id, ROOM_IDLEN) == 0 &&
		    memcmp(rs->invited[i].key, p->key, ROOM_KEYLEN) == 0)
			return 1;
	return 0;
}

/* Admit p with record m: ADD it, then WELCOME. */
static void
room_admit(struct rooms *rs, struct room *r, struct peer *p,
    const struct room_member_info *rec)
{
	static uint8_t keys[ROOM_EPOCHS_MAX * ROOM_WELCOME_KEYLEN];
	struct room_member_info m = *rec;
	struct room_body b;
	char *cause;

	if (room_member_by_noise(r, p->key) == NULL) {
		memset(&b, 0, sizeof b);
		b.kind = ROOM_ADD;
		room_record_fill(&m, p);
		b.member = m;
		if (room_write(r, &b, &cause) == -1) {
			engine_notice(rs->eng, NULL, FE_ERROR,
			    "#%s: cannot admit %s: %s", r->name, p->name,
			    cause);
			free(cause);
			room_send_denied(rs, p, r->id, ROOM_DENIED_FULL);
			return;
		}
	}
	if (room_welcome_build(r->log, keys, &rs->msg2) == 0)
		room_send(rs, p, &rs->msg2);
	ident_wipe(keys, sizeof keys);
}

static int
room_ctx(struct rooms *rs, const uint8_t *room, const uint8_t *prs,
    struct peer *p, int joiner, struct room_join_ctx *ctx)
{
	const uint8_t *sid = engine_session_id(p);

	if (sid == NULL)
		return -1;
	memset(ctx, 0, sizeof *ctx);
	memcpy(ctx->room, room, ROOM_IDLEN);
	ctx->prs = prs;
	memcpy(ctx->joiner, joiner ? engine_own_key(rs->eng) : p->key,
	    ROOM_KEYLEN);
	memcpy(ctx->member, joiner ? p->key : engine_own_key(rs->eng),
	    ROOM_KEYLEN);
	ctx->sid = sid;
	ctx->sidlen = ROOM_SIDLEN;
	return 0;
}

/* Member side: LOOKUP, JOIN, CONFIRM. */
void
room_member_side(struct rooms *rs, struct peer *p, const struct room_msg *m)
{
	struct room_peer *rp = room_peer(p);
	struct room *r = NULL;
	struct room_join_ctx ctx;
	int64_t now = room_now_ms();
	char *cause;
	size_t i;

	if (m->type == ROOM_MSG_LOOKUP)
		r = room_lookup(rs, m->name);
	else
		for (i = 0; i < rs->n; i++)
			if (memcmp(rs->v[i]->id, m->room, ROOM_IDLEN) == 0)
				r = rs->v[i];
	if (r == NULL || !room_active(r)) {
		room_send_denied(rs, p,
		    m->type == ROOM_MSG_LOOKUP ? NULL : m->room,
		    ROOM_DENIED_UNKNOWN);
		return;
	}
	if (m->type == ROOM_MSG_LOOKUP) {
		if (r->prs == NULL && !room_is_invited(rs, r, p)) {
			room_send_denied(rs, p, r->id, ROOM_DENIED_INVITE);
			return;
		}
		m = room_msg_new(rs, ROOM_MSG_INVITE, r->id);
		snprintf(rs->msg.name, sizeof rs->msg.name, "%s", r->name);
		room_send(rs, p, m);
		return;
	}
	if (m->type == ROOM_MSG_JOIN && m->mode == ROOM_JOIN_INVITED) {
		if (!room_is_invited(rs, r, p) ||
		    memcmp(m->member.noise, p->key, ROOM_KEYLEN) != 0) {
			engine_notice(rs->eng, NULL, FE_WARN,
			    "#%s: refused %s: not invited", r->name, p->name);
			room_send_denied(rs, p, r->id, ROOM_DENIED_INVITE);
			return;
		}
		room_admit(rs, r, p, &m->member);
		return;
	}
	if (m->type == ROOM_MSG_JOIN) {
		if (r->prs == NULL || r->prs_epoch != room_log_epoch(r->log)) {
			room_send_denied(rs, p, r->id, ROOM_DENIED_INVITE);
			return;
		}
		/* A run the joiner abandoned was counted: a new one may
		 * start. */
		room_responder_free(rp->resp);
		rp->resp = NULL;
		if (!room_cap_allowed(r, now) ||
		    room_ctx(rs, r->id, r->prs, p, 0, &ctx) == -1) {
			room_send_denied(rs, p, r->id, ROOM_DENIED_LIMIT);
			engine_notice(rs->eng, NULL, FE_WARN,
			    "#%s: refused a join by %s: too many failed "
			    "joins of this room",
			    r->name, p->name);
			return;
		}
		rp->resp = room_responder_create(
		    &ctx, m, &rs->limit, now, &rs->msg2, &cause);
		if (rp->resp == NULL && cause != NULL) {
			engine_notice(rs->eng, NULL, FE_WARN, "#%s: %s: %s",
			    r->name, p->name, cause);
			free(cause);
			return;
		}
		room_send(rs, p, &rs->msg2);
		if (rp->resp == NULL) {
			engine_notice(rs->eng, NULL, FE_WARN,
			    "#%s: refused a join by %s: %d failed attempts "
			    "in 10 minutes",
			    r->name, p->name, ROOM_LIMIT_FAILURES);
			return;
		}
		room_cap_fail(r, now);
		rp->resp_room = r;
		rp->resp_serial = engine_conn_serial(p);
		return;
	}
	/* CONFIRM */
	if (rp->resp == NULL || rp->resp_room != r ||
	    rp->resp_serial != engine_conn_serial(p))
		return;
	if (room_responder_confirm(rp->resp, m, &rs->limit, &rs->msg2) == -1) {
		room_send(rs, p, &rs->msg2);
		engine_notice(rs->eng, NULL, FE_WARN,
		    "#%s: %s tried a wrong password", r->name, p->name);
	} else {
		room_cap_forgive(r, room_responder_at(rp->resp));
		room_admit(rs, r, p, room_responder_member(rp->resp));
	}
	room_responder_free(rp->resp);
	rp->resp = NULL;
}

static void
room_join_failed(struct rooms *rs, struct room_peer *rp, const char *why)
{
	room_denied_report(rs, NULL, rp->joining->name, why);
	room_joining_free(rp->joining);
	rp->joining = NULL;
}

/* Joiner side: INVITE (an answer, or an invitation), CHALLENGE,
 * WELCOME, DENIED. */
void
room_joiner_side(struct rooms *rs, struct peer *p, const struct room_msg *m)
{
	struct room_peer *rp = room_peer(p);
	struct room_joining *jg = rp->joining;
	struct room_join_ctx ctx;
	struct room_msg *out;
	uint8_t prs[CPACE_PRSLEN];
	struct room *r;
	char *cause;
	size_t i;

	if (m->type == ROOM_MSG_INVITE && jg == NULL) {
		/* An invitation from a contact: accept it at once. */
		if (p->origin != PEER_CONFIG && p->origin != PEER_LEARNED)
			return;
		for (i = 0; i < rs->n; i++)
			if (memcmp(rs->v[i]->id, m->room, ROOM_IDLEN) == 0)
				return;
		if (room_lookup(rs, m->name) != NULL)
			return;
		engine_notice(rs->eng, p, FE_INFO,
		    "%s invites you to #%s: joining", p->name, m->name);
		jg = rp->joining = xcalloc(1, sizeof *jg);
		snprintf(jg->name, sizeof jg->name, "%s", m->name);
	}
	if (jg == NULL)
		return;
	if (m->type == ROOM_MSG_DENIED) {
		if (jg->looked && memcmp(m->room, jg->room, ROOM_IDLEN) != 0)
			return;
		room_join_failed(rs, rp, room_proto_denied_text(m->reason));
		return;
	}
	if (m->type == ROOM_MSG_INVITE && !jg->looked) {
		if (strcmp(m->name, jg->name) != 0)
			return;
		memcpy(jg->room, m->room, ROOM_IDLEN);
		jg->looked = 1;
		jg->sk = ident_secret_alloc(ROOM_SKLEN);
		room_keypair(jg->pk, jg->sk, NULL);
		room_my_record(rs, jg->pk, &jg->me);
		if (jg->password == NULL) {
			out = room_msg_new(rs, ROOM_MSG_JOIN, jg->room);
			out->mode = ROOM_JOIN_INVITED;
			out->member = jg->me;
			room_send(rs, p, out);
			return;
		}
		if (cpace_prs(jg->password, strlen(jg->password), jg->room, prs,
		        &cause) == -1 ||
		    room_ctx(rs, jg->room, prs, p, 1, &ctx) == -1 ||
		    (jg->j = room_joiner_create(
		         &ctx, &jg->me, &rs->msg2, &cause)) == NULL) {
			ident_wipe(prs, sizeof prs);
			room_join_failed(rs, rp, "cannot start the join");
			return;
		}
		ident_wipe(prs, sizeof prs);
		room_send(rs, p, &rs->msg2);
		return;
	}
	if (!jg->looked || memcmp(m->room, jg->room, ROOM_IDLEN) != 0)
		return;
	if (m->type == ROOM_MSG_CHALLENGE && jg->j != NULL) {
		if (room_joiner_challenge(jg->j, m, &rs->msg2, &cause) == -1) {
			free(cause);
			room_join_failed(rs, rp,
			    room_proto_denied_text(ROOM_DENIED_PASSWORD));
			return;
		}
		room_send(rs, p, &rs->msg2);
		return;
	}
	if (m->type != ROOM_MSG_WELCOME)
		return;
	r = room_new(rs, jg->room, jg->name);
	memcpy(r->e, jg->pk, ROOM_KEYLEN);
	memcpy(r->sk, jg->sk, ROOM_SKLEN);
	r->log = room_log_create(r->id, r->e, &room_log_ops, r);
	if (jg->password != NULL) {
		r->flags = ROOM_CREATE_PASSWORD;
		r->prs = ident_secret_alloc(CPACE_PRSLEN);
		if (cpace_prs(jg->password, strlen(jg->password), r->id, r->prs,
		        &cause) == -1) {
			free(cause);
			ident_secret_free(r->prs);
			r->prs = NULL;
		}
	}
	if (room_store_new(r, &cause) == -1) {
		engine_write_failed(rs->eng);
		engine_notice(rs->eng, NULL, FE_ERROR, "%s", cause);
		free(cause);
	}
	if (jg->j != NULL) {
		if (room_joiner_welcome(jg->j, m, r->log, &cause) == -1) {
			engine_notice(
			    rs->eng, NULL, FE_ERROR, "#%s: %s", r->name, cause);
			free(cause);
		}
	} else {
		for (i = 0; i < m->n; i++) {
			const uint8_t *k = m->data + i * ROOM_WELCOME_KEYLEN;

			if (room_log_add_key(r->log,
			        (uint32_t)util_be_get(k, 4), k + 4,
			        &cause) == -1)
				free(cause);
		}
	}
	memcpy(r->via, p->key, ROOM_KEYLEN);
	r->via_set = 1;
	room_joining_free(jg);
	rp->joining = NULL;
	rs->current = r;
	room_report_simple(r, ROOM_REP_JOINED, NULL, NULL);
	room_after(rs);
	/* Everything else comes with the sync. */
	room_start_peer(rs, r, p);
}

/* A /join waiting for its session: p's came up. */
void
room_pending_start(struct rooms *rs, struct peer *p)
{
	const char *target = engine_conn_target(p);
	struct room_peer *rp;
	struct room_msg *m;
	size_t i;

	for (i = 0; i < rs->npending; i++) {
		if (target == NULL ||
		    strcmp(rs->pending[i].hostport, target) != 0)
			continue;
		rp = room_peer(p);
		room_joining_free(rp->joining);
		rp->joining = xcalloc(1, sizeof *rp->joining);
		snprintf(rp->joining->name, sizeof rp->joining->name, "%s",
		    rs->pending[i].name);
		rp->joining->password = rs->pending[i].password;
		free(rs->pending[i].hostport);
		rs->pending[i] = rs->pending[--rs->npending];
		m = room_msg_new(rs, ROOM_MSG_LOOKUP, NULL);
		snprintf(
		    rs->msg.name, sizeof rs->msg.name, "%s", rp->joining->name);
		room_send(rs, p, m);
		return;
	}
}
