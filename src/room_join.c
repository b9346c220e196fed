/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The password join's messages over cpace.c, and the failure limit.
 *
 * CPace inputs: sid = the Noise handshake hash; CI = cpace_room_ci(room,
 * joiner Noise key, member Noise key); PRS = the room's hardened
 * password (cpace_prs); ADa = the JOIN's member record as encoded in
 * the JOIN (e noise nicklen nick addrlen addr); ADb = empty.
 *
 * The limit keeps, per (room, joiner), the times of its last three
 * failures; a joiner with three inside the window is refused. The table
 * holds ROOM_LIMIT_ENTRIES pairs; when full, the pair whose newest
 * failure is oldest makes room.
 */
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "room_join.h"
#include "util.h"
#include "xmalloc.h"

#define ROOM_MEMBER_RECORD_MAX \
	(2 * ROOM_KEYLEN + 2 + ROOM_NICK_MAX + ROOM_ADDR_MAX)

struct room_joiner {
	struct cpace *cp;
	uint8_t room[ROOM_IDLEN];
	int confirmed; /* our CONFIRM is out: a WELCOME may come */
};

struct room_responder {
	struct cpace *cp;
	uint8_t room[ROOM_IDLEN];
	uint8_t joiner[ROOM_KEYLEN];
	int64_t at_ms; /* when the failure was counted */
	struct room_member_info member;
};

void
room_limit_init(struct room_limit *l)
{
	l->e = NULL;
	l->n = 0;
}

void
room_limit_free(struct room_limit *l)
{
	free(l->e);
	room_limit_init(l);
}

static struct room_limit_entry *
room_limit_find(struct room_limit *l, const uint8_t room[ROOM_IDLEN],
    const uint8_t joiner[ROOM_KEYLEN], int create)
{
	struct room_limit_entry *e, *victim = NULL;
	int64_t newest, vnewest = 0;
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		e = &l->e[i];
		if (memcmp(e->room, room, ROOM_IDLEN) == 0 &&
		    memcmp(e->joiner, joiner, ROOM_KEYLEN) == 0)
			return e;
	}
	if (!create)
		return NULL;
	if (l->n < ROOM_LIMIT_ENTRIES) {
		l->e = xreallocarray(l->e, l->n + 1, sizeof *l->e);
		victim = &l->e[l->n++];
	} else {
		for (i = 0; i < l->n; i++) {
			for (newest = 0, j = 0; j < ROOM_LIMIT_FAILURES; j++)
				if (l->e[i].t[j] > newest)
					newest = l->e[i].t[j];
			if (victim == NULL || newest < vnewest) {
				victim = &l->e[i];
				vnewest = newest;
			}
		}
	}
	memset(victim, 0, sizeof *victim);
	memcpy(victim->room, room, ROOM_IDLEN);
	memcpy(victim->joiner, joiner, ROOM_KEYLEN);
	return victim;
}

int
room_limit_allowed(struct room_limit *l, const uint8_t room[ROOM_IDLEN],
    const uint8_t joiner[ROOM_KEYLEN], int64_t now_ms)
{
	struct room_limit_entry *e = room_limit_find(l, room, joiner, 0);
	size_t i, n = 0;

	if (e == NULL)
		return 1;
	for (i = 0; i < ROOM_LIMIT_FAILURES; i++)
		if (e->t[i] != 0 && now_ms - e->t[i] < ROOM_LIMIT_WINDOW_MS)
			n++;
	return n < ROOM_LIMIT_FAILURES;
}

void
room_limit_fail(struct room_limit *l, const uint8_t room[ROOM_IDLEN],
    const uint8_t joiner[ROOM_KEYLEN], int64_t now_ms)
{
	struct room_limit_entry *e = room_limit_find(l, room, joiner, 1);
	size_t i, oldest = 0;

	for (i = 1; i < ROOM_LIMIT_FAILURES; i++)
		if (e->t[i] < e->t[oldest])
			oldest = i;
	e->t[oldest] = now_ms;
}

void
room_limit_forgive(struct room_limit *l, const uint8_t room[ROOM_IDLEN],
    const uint8_t joiner[ROOM_KEYLEN], int64_t at_ms)
{
	struct room_limit_entry *e = room_limit_find(l, room, joiner, 0);
	size_t i;

	for (i = 0; e != NULL && i < ROOM_LIMIT_FAILURES; i++)
		if (e->t[i] == at_ms) {
			e->t[i] = 0;
			return;
		}
}

/* The member record as ADa. */
static size_t
room_join_ad(
    const struct room_member_info *m, uint8_t ad[ROOM_MEMBER_RECORD_MAX])
{
	size_t off = 0;

	if (room_member_encode(ad, ROOM_MEMBER_RECORD_MAX, &off, 1, m) == -1)
		return 0;
	return off;
}

static struct cpace *
room_join_cpace(const struct room_join_ctx *ctx, enum cpace_role role,
    const uint8_t *ad, size_t adlen, char **cause)
{
	uint8_t ci[CPACE_ROOM_CILEN];

	cpace_room_ci(ctx->room, ctx->joiner, ctx->member, ci);
	return cpace_create(role, ctx->prs, CPACE_PRSLEN, ci, sizeof ci,
	    ctx->sid, ctx->sidlen, ad, adlen, cause);
}

struct room_joiner *
room_joiner_create(const struct room_join_ctx *ctx,
    const struct room_member_info *me, struct room_msg *join, char **cause)
{
	struct room_joiner *j;
	uint8_t ad[ROOM_MEMBER_RECORD_MAX];
	size_t adlen;

	*cause = NULL;
	if ((adlen = room_join_ad(me, ad)) == 0) {
		*cause = xstrdup("invalid member record");
		return NULL;
	}
	j = xcalloc(1, sizeof *j);
	memcpy(j->room, ctx->room, ROOM_IDLEN);
	if ((j->cp = room_join_cpace(ctx, CPACE_INITIATOR, ad, adlen, cause)) ==
	    NULL) {
		free(j);
		return NULL;
	}
	memset(join, 0, offsetof(struct room_msg, v));
	join->type = ROOM_MSG_JOIN;
	memcpy(join->room, ctx->room, ROOM_IDLEN);
	join->mode = ROOM_JOIN_PASSWORD;
	join->member = *me;
	cpace_msg(j->cp, join->y);
	return j;
}

int
room_joiner_challenge(struct room_joiner *j, const struct room_msg *m,
    struct room_msg *confirm, char **cause)
{
	*cause = NULL;
	if (m->type != ROOM_MSG_CHALLENGE ||
	    memcmp(m->room, j->room, ROOM_IDLEN) != 0) {
		*cause = xstrdup("unexpected room message");
		return -1;
	}
	memset(confirm, 0, offsetof(struct room_msg, v));
	confirm->type = ROOM_MSG_CONFIRM;
	memcpy(confirm->room, j->room, ROOM_IDLEN);
	if (cpace_finish(j->cp, m->y, NULL, 0, m->tag, confirm->tag, cause) ==
	    -1)
		return -1;
	j->confirmed = 1;
	return 0;
}

int
room_joiner_welcome(struct room_joiner *j, const struct room_msg *m,
    struct room_log *log, char **cause)
{
	const uint8_t *k;
	uint16_t i;

	*cause = NULL;
	if (!j->confirmed || m->type != ROOM_MSG_WELCOME ||
	    memcmp(m->room, j->room, ROOM_IDLEN) != 0) {
		*cause = xstrdup("unexpected room welcome");
		return -1;
	}
	for (i = 0; i < m->n; i++) {
		k = m->data + (size_t)i * ROOM_WELCOME_KEYLEN;
		if (room_log_add_key(
		        log, (uint32_t)util_be_get(k, 4), k + 4, cause) == -1)
			return -1;
	}
	return 0;
}

void
room_joiner_free(struct room_joiner *j)
{
	if (j == NULL)
		return;
	cpace_free(j->cp);
	free(j);
}

int
room_welcome_build(
    const struct room_log *log, uint8_t *keys, struct room_msg *out)
{
	struct room_member_view v;
	uint8_t key[ROOM_KEYLEN];
	uint32_t e;
	size_t i;

	if (room_log_name(log, NULL) == NULL)
		return -1;
	memset(out, 0, offsetof(struct room_msg, v));
	out->type = ROOM_MSG_WELCOME;
	room_log_room(log, out->room);
	for (e = 0; e < ROOM_EPOCHS_MAX; e++) {
		if (room_log_key(log, e, key) == -1)
			continue;
		util_be_put(keys + (size_t)out->n * ROOM_WELCOME_KEYLEN, e, 4);
		memcpy(keys + (size_t)out->n * ROOM_WELCOME_KEYLEN + 4, key,
		    ROOM_KEYLEN);
		out->n++;
	}
	ident_wipe(key, sizeof key);
	out->data = keys;
	out->len = (size_t)out->n * ROOM_WELCOME_KEYLEN;
	for (i = 0; room_log_member(log, i, &v) == 0; i++)
		if (v.active && out->nmembers < ROOM_MEMBERS_MAX)
			out->members[out->nmembers++] = *v.info;
	out->nv = (uint16_t)room_log_vv(log, out->v, ROOM_MEMBERS_MAX);
	return 0;
}

static void
room_denied(struct room_msg *out, const uint8_t room[ROOM_IDLEN], uint8_t why)
{
	memset(out, 0, offsetof(struct room_msg, v));
	out->type = ROOM_MSG_DENIED;
	memcpy(out->room, room, ROOM_IDLEN);
	out->reason = why;
}

struct room_responder *
room_responder_create(const struct room_join_ctx *ctx,
    const struct room_msg *join, struct room_limit *limit, int64_t now_ms,
    struct room_msg *out, char **cause)
{
	struct room_responder *r;
	uint8_t ad[ROOM_MEMBER_RECORD_MAX];
	size_t adlen;

	*cause = NULL;
	if (join->type != ROOM_MSG_JOIN || join->mode != ROOM_JOIN_PASSWORD ||
	    memcmp(join->room, ctx->room, ROOM_IDLEN) != 0 ||
	    (adlen = room_join_ad(&join->member, ad)) == 0) {
		*cause = xstrdup("not a password join for this room");
		return NULL;
	}
	if (memcmp(join->member.noise, ctx->joiner, ROOM_KEYLEN) != 0) {
		*cause = xstrdup("the join names another Noise key");
		return NULL;
	}
	if (!room_limit_allowed(limit, ctx->room, ctx->joiner, now_ms)) {
		room_denied(out, ctx->room, ROOM_DENIED_LIMIT);
		return NULL;
	}
	r = xcalloc(1, sizeof *r);
	memcpy(r->room, ctx->room, ROOM_IDLEN);
	memcpy(r->joiner, ctx->joiner, ROOM_KEYLEN);
	r->member = join->member;
	r->at_ms = now_ms;
	if ((r->cp = room_join_cpace(ctx, CPACE_RESPONDER, NULL, 0, cause)) ==
	    NULL) {
		free(r);
		return NULL;
	}
	memset(out, 0, offsetof(struct room_msg, v));
	out->type = ROOM_MSG_CHALLENGE;
	memcpy(out->room, ctx->room, ROOM_IDLEN);
	cpace_msg(r->cp, out->y);
	if (cpace_respond(r->cp, join->y, ad, adlen, out->tag, cause) == -1) {
		room_responder_free(r);
		return NULL;
	}
	/* Tb lets the joiner test its guess: count it now. */
	room_limit_fail(limit, ctx->room, ctx->joiner, now_ms);
	return r;
}

int
room_responder_confirm(struct room_responder *r, const struct room_msg *m,
    struct room_limit *limit, struct room_msg *out)
{
	char *cause = NULL;

	if (m->type != ROOM_MSG_CONFIRM ||
	    memcmp(m->room, r->room, ROOM_IDLEN) != 0 ||
	    cpace_confirm(r->cp, m->tag, &cause) == -1) {
		free(cause);
		room_denied(out, r->room, ROOM_DENIED_PASSWORD);
		return -1;
	}
	room_limit_forgive(limit, r->room, r->joiner, r->at_ms);
	return 0;
}

const struct room_member_info *
room_responder_member(const struct room_responder *r)
{
	return &r->member;
}

int64_t
room_responder_at(const struct room_responder *r)
{
	return r->at_ms;
}

void
room_responder_free(struct room_responder *r)
{
	if (r == NULL)
		return;
	cpace_free(r->cp);
	free(r);
}
