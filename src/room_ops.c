/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the room commands do (room.h): create, join, say, invite, the
 * password, kick, leave, the members, the history and search, and the
 * small queries frontends make. Every change goes through an event of
 * ours (room_write()), so it is stored, shown and sent like any other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cpace.h"
#include "ident.h"
#include "log.h"
#include "room_int.h"
#include "store_room.h"
#include "util.h"
#include "xmalloc.h"

/* --- for the commands --------------------------------------------------------
 */

size_t
room_count(const struct rooms *rs)
{
	return rs->n;
}

struct room *
room_get(const struct rooms *rs, size_t i)
{
	return i < rs->n ? rs->v[i] : NULL;
}

struct room *
room_lookup(const struct rooms *rs, const char *name)
{
	size_t i;

	if (name[0] == '#')
		name++;
	for (i = 0; i < rs->n; i++)
		if (strcmp(rs->v[i]->name, name) == 0)
			return rs->v[i];
	return NULL;
}

const char *
room_name(const struct room *r)
{
	return r->name;
}

const char *
room_topic(const struct room *r)
{
	return r->topic;
}

const uint8_t *
room_id(const struct room *r)
{
	return r->id;
}

int
room_is_creator(const struct room *r)
{
	uint8_t e[ROOM_KEYLEN];

	return room_log_creator(r->log, e) == 0 &&
	    memcmp(e, r->e, ROOM_KEYLEN) == 0;
}

int
room_has_password(const struct room *r)
{
	return (r->flags & ROOM_CREATE_PASSWORD) != 0;
}

unsigned
room_unread(const struct room *r)
{
	return r->unread;
}

void
room_clear_unread(struct room *r)
{
	r->unread = 0;
}

void
room_counts(const struct room *r, size_t *online, size_t *all)
{
	struct room_member_view v;
	struct peer *p;
	size_t i;

	*online = *all = 0;
	for (i = 0; room_log_member(r->log, i, &v) == 0; i++) {
		if (!v.active)
			continue;
		(*all)++;
		if (memcmp(v.info->e, r->e, ROOM_KEYLEN) == 0 ||
		    ((p = engine_find_key(r->rs->eng, v.info->noise)) != NULL &&
		        room_peer_ok(p)))
			(*online)++;
	}
}

struct room *
room_current(const struct rooms *rs)
{
	return rs->current;
}

void
room_set_current(struct rooms *rs, struct room *r)
{
	rs->current = r;
}

static int
room_name_ok(const char *name, char **cause)
{
	size_t len = strlen(name);

	if (len == 0 || len > ROOM_NAME_MAX ||
	    !util_utf8_printable((const uint8_t *)name, len) ||
	    strchr(name, ' ') != NULL || name[0] == '#') {
		*cause = xasprintf("a room name is 1 to %d characters, "
		                   "without spaces or a leading '#'",
		    ROOM_NAME_MAX);
		return -1;
	}
	return 0;
}

int
room_create(struct rooms *rs, const char *name, const char *password,
    struct room **out, char **cause)
{
	uint8_t salt[ROOM_SALTLEN], id[ROOM_IDLEN], pk[ROOM_KEYLEN];
	uint8_t key[ROOM_KEYLEN];
	struct room_body b;
	struct room *r;

	if (room_name_ok(name, cause) == -1)
		return -1;
	if (room_lookup(rs, name) != NULL) {
		*cause = xasprintf("you are already in a room #%s", name);
		return -1;
	}
	ident_random(salt, sizeof salt);
	r = room_new(rs, id, name);
	room_keypair(pk, r->sk, NULL);
	room_id_derive(pk, salt, id);
	memcpy(r->id, id, ROOM_IDLEN);
	memcpy(r->e, pk, ROOM_KEYLEN);
	if (password != NULL) {
		r->flags = ROOM_CREATE_PASSWORD;
		r->prs = ident_secret_alloc(CPACE_PRSLEN);
		if (cpace_prs(
		        password, strlen(password), r->id, r->prs, cause) == -1)
			goto fail;
	}
	r->log = room_log_create(r->id, r->e, &room_log_ops, r);
	if (room_store_new(r, cause) == -1)
		goto fail;
	ident_random(key, sizeof key);
	if (room_log_add_key(r->log, 0, key, cause) == -1)
		goto fail;
	memset(&b, 0, sizeof b);
	b.kind = ROOM_CREATE;
	b.flags = r->flags;
	snprintf(b.name, sizeof b.name, "%s", name);
	memcpy(b.salt, salt, ROOM_SALTLEN);
	room_key_commit(r->id, 0, key, b.commit);
	ident_wipe(key, sizeof key);
	room_my_record(rs, r->e, &b.member);
	if (room_write(r, &b, cause) == -1)
		goto fail;
	rs->current = r;
	room_report_simple(r, ROOM_REP_JOINED, NULL, NULL);
	if (out != NULL)
		*out = r;
	return 0;
fail:
	ident_wipe(key, sizeof key);
	rs->n--;
	room_free(r);
	engine_write_failed(rs->eng);
	return -1;
}

int
room_join(struct rooms *rs, struct peer *p, const char *hostport,
    const char *name, const char *password, char **cause)
{
	struct room_peer *rp;
	struct room_pending *pd;
	struct room_msg *m;
	size_t i;

	if (name[0] == '#')
		name++;
	if (room_name_ok(name, cause) == -1)
		return -1;
	if (room_lookup(rs, name) != NULL) {
		*cause = xasprintf("you are already in a room #%s", name);
		return -1;
	}
	if (p == NULL) {
		/* A session to that address already up: use it. */
		for (i = 0; i < engine_npeers(rs->eng); i++) {
			struct peer *q = engine_peer(rs->eng, i);
			const char *t = engine_conn_target(q);

			if ((t != NULL && strcmp(t, hostport) == 0) ||
			    (q->state == PEER_ONLINE && q->address != NULL &&
			        strcmp(q->address, hostport) == 0))
				p = q;
		}
	}
	if (p != NULL && engine_session_id(p) != NULL) {
		rp = room_peer(p);
		room_joining_free(rp->joining);
		rp->joining = xcalloc(1, sizeof *rp->joining);
		snprintf(
		    rp->joining->name, sizeof rp->joining->name, "%s", name);
		if (password != NULL)
			rp->joining->password = xstrdup(password);
		m = room_msg_new(rs, ROOM_MSG_LOOKUP, NULL);
		snprintf(rs->msg.name, sizeof rs->msg.name, "%s", name);
		room_send(rs, p, m);
		return 0;
	}
	if (p != NULL) {
		if (p->address == NULL) {
			*cause = xasprintf("%s is %s and its address is not "
			                   "known",
			    p->name, peer_state_text(p));
			return -1;
		}
		hostport = p->address;
		if (engine_connect_peer(rs->eng, p, cause) == -1)
			return -1;
	} else if (engine_connect_member(rs->eng, hostport, cause) == -1)
		return -1;
	rs->pending = xreallocarray(rs->pending, rs->npending + 1, sizeof *pd);
	pd = &rs->pending[rs->npending++];
	memset(pd, 0, sizeof *pd);
	pd->hostport = xstrdup(hostport);
	snprintf(pd->name, sizeof pd->name, "%s", name);
	if (password != NULL)
		pd->password = xstrdup(password);
	return 0;
}

/* A text event of kind: a message, or the topic. */
static int
room_say_kind(struct room *r, uint8_t kind, const char *text, size_t len,
    size_t max, const char *what, char **cause)
{
	struct room_body b;

	if (len > max || (len == 0 && kind == ROOM_MSG) ||
	    !util_utf8_text((const uint8_t *)text, len)) {
		*cause = xasprintf("%s is %s to %zu bytes of text", what,
		    kind == ROOM_MSG ? "1" : "0", max);
		return -1;
	}
	if (!room_active(r)) {
		*cause = xasprintf("you are not a member of #%s", r->name);
		return -1;
	}
	memset(&b, 0, sizeof b);
	b.kind = kind;
	b.text = (const uint8_t *)text;
	b.len = len;
	return room_write(r, &b, cause);
}

int
room_say(struct rooms *rs, struct room *r, const char *text, size_t len,
    char **cause)
{
	(void)rs;
	return room_say_kind(
	    r, ROOM_MSG, text, len, ROOM_TEXT_MAX, "a room message", cause);
}

int
room_set_topic(struct rooms *rs, struct room *r, const char *text, size_t len,
    char **cause)
{
	(void)rs;
	return room_say_kind(
	    r, ROOM_TOPIC, text, len, ROOM_TOPIC_MAX, "a topic", cause);
}

int
room_invite(struct rooms *rs, struct room *r, struct peer *p, char **cause)
{
	struct room_msg *m;

	if (!room_active(r)) {
		*cause = xasprintf("you are not a member of #%s", r->name);
		return -1;
	}
	if (p->origin != PEER_CONFIG && p->origin != PEER_LEARNED) {
		*cause = xasprintf("%s is not a contact", p->name);
		return -1;
	}
	if (!room_peer_ok(p)) {
		*cause = xasprintf("%s is not online (or does not speak "
		                   "rooms)",
		    p->name);
		return -1;
	}
	if (!room_is_invited(rs, r, p)) {
		rs->invited = xreallocarray(
		    rs->invited, rs->ninvited + 1, sizeof *rs->invited);
		memcpy(rs->invited[rs->ninvited].room, r->id, ROOM_IDLEN);
		memcpy(rs->invited[rs->ninvited++].key, p->key, ROOM_KEYLEN);
	}
	m = room_msg_new(rs, ROOM_MSG_INVITE, r->id);
	snprintf(rs->msg.name, sizeof rs->msg.name, "%s", r->name);
	room_send(rs, p, m);
	return 0;
}

/* A new epoch (the creator): REKEY, then KEY to every online member. */
static int
room_rekey(struct rooms *rs, struct room *r, char **cause)
{
	uint8_t key[ROOM_KEYLEN];
	struct room_body b;
	struct room_msg *m;
	struct peer *p;
	uint32_t epoch = room_log_epoch(r->log) + 1;
	size_t i;

	if (epoch >= ROOM_EPOCHS_MAX) {
		*cause = xstrdup("the room has used all its epochs");
		return -1;
	}
	ident_random(key, sizeof key);
	memset(&b, 0, sizeof b);
	b.kind = ROOM_REKEY;
	b.epoch = epoch;
	room_key_commit(r->id, epoch, key, b.commit);
	if (room_log_add_key(r->log, epoch, key, cause) == -1 ||
	    room_write(r, &b, cause) == -1) {
		ident_wipe(key, sizeof key);
		return -1;
	}
	for (i = 0; i < engine_npeers(rs->eng); i++) {
		p = engine_peer(rs->eng, i);
		if (!room_peer_ok(p) || !room_shared(r, p))
			continue;
		m = room_msg_new(rs, ROOM_MSG_KEY, r->id);
		m->epoch = epoch;
		memcpy(m->key, key, ROOM_KEYLEN);
		room_send(rs, p, m);
		ident_wipe(m->key, ROOM_KEYLEN);
	}
	ident_wipe(key, sizeof key);
	return 0;
}

static int
room_new_prs(struct room *r, const char *password, char **cause)
{
	uint8_t *prs = ident_secret_alloc(CPACE_PRSLEN);

	if (cpace_prs(password, strlen(password), r->id, prs, cause) == -1) {
		ident_secret_free(prs);
		return -1;
	}
	if (r->prs != NULL)
		ident_secret_free(r->prs);
	r->prs = prs;
	r->prs_epoch = room_log_epoch(r->log);
	return room_store_prs(r, cause);
}

int
room_set_password(
    struct rooms *rs, struct room *r, const char *password, char **cause)
{
	if (!room_is_creator(r) || !room_active(r)) {
		*cause = xasprintf("only the creator of #%s may change its "
		                   "password",
		    r->name);
		return -1;
	}
	if (!room_has_password(r)) {
		*cause = xasprintf("#%s has no password: it admits only "
		                   "invited contacts",
		    r->name);
		return -1;
	}
	/* A new epoch retires every member's old PRS (file comment). */
	if (room_rekey(rs, r, cause) == -1)
		return -1;
	return room_new_prs(r, password, cause);
}

int
room_kick(struct rooms *rs, struct room *r, const char *who,
    const char *password, char **cause)
{
	struct room_member_view v;
	const struct room_member_info *m = NULL;
	struct room_body b;
	struct peer *p = engine_find_peer(rs->eng, who);
	size_t i;

	if (!room_is_creator(r) || !room_active(r)) {
		*cause = xasprintf(
		    "only the creator of #%s may remove members", r->name);
		return -1;
	}
	if (room_has_password(r) && password == NULL) {
		*cause = xasprintf("#%s has a password, which the member "
		                   "knows: give a new one",
		    r->name);
		return -1;
	}
	for (i = 0; room_log_member(r->log, i, &v) == 0 && m == NULL; i++) {
		if (!v.active || memcmp(v.info->e, r->e, ROOM_KEYLEN) == 0)
			continue;
		if (strcmp(v.info->nick, who) == 0 ||
		    (p != NULL &&
		        memcmp(v.info->noise, p->key, ROOM_KEYLEN) == 0))
			m = v.info;
	}
	if (m == NULL) {
		*cause = xasprintf("no member '%s' in #%s", who, r->name);
		return -1;
	}
	memset(&b, 0, sizeof b);
	b.kind = ROOM_REMOVE;
	memcpy(b.who, m->e, ROOM_KEYLEN);
	for (i = 0; room_log_member(r->log, i, &v) == 0; i++)
		if (memcmp(v.info->e, m->e, ROOM_KEYLEN) == 0)
			b.last = v.seq;
	if (room_write(r, &b, cause) == -1 || room_rekey(rs, r, cause) == -1)
		return -1;
	if (password != NULL)
		return room_new_prs(r, password, cause);
	return 0;
}

int
room_leave(struct rooms *rs, struct room *r, char **cause)
{
	struct room_body b;

	(void)rs;
	if (!room_active(r)) {
		*cause = xasprintf("you are not a member of #%s", r->name);
		return -1;
	}
	if (room_is_creator(r)) {
		*cause = xasprintf("the creator cannot leave #%s", r->name);
		return -1;
	}
	memset(&b, 0, sizeof b);
	b.kind = ROOM_LEAVE;
	return room_write(r, &b, cause);
}

void
room_members(struct rooms *rs, struct room *r, room_member_cb cb, void *arg)
{
	struct room_member_view v;
	struct room_member_line l;
	struct peer *p;
	size_t i;

	for (i = 0; room_log_member(r->log, i, &v) == 0; i++) {
		memset(&l, 0, sizeof l);
		l.nick = v.info->nick;
		l.noise = v.info->noise;
		l.e = v.info->e;
		l.active = v.active;
		l.creator = v.creator;
		l.flagged = v.flagged;
		l.me = memcmp(v.info->e, r->e, ROOM_KEYLEN) == 0;
		l.online = l.me ||
		    ((p = engine_find_key(rs->eng, v.info->noise)) != NULL &&
		        room_peer_ok(p));
		cb(arg, &l);
	}
}

struct room_hist {
	struct room *r;
	room_line_cb cb;
	void *arg;
	const char *match;
};

static int
room_contains(const char *s, size_t len, const char *what)
{
	size_t n = strlen(what), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (strncasecmp(s + i, what, n) == 0)
			return 1;
	return 0;
}

static int
room_hist_cb(void *arg, const struct store_room_event *e)
{
	struct room_hist *h = arg;
	struct room_event ev;
	struct room_line l;
	const char *why;
	char who[16];

	if (e->kind != ROOM_MSG || e->text == NULL ||
	    room_event_parse(e->raw, e->len, &ev, &why) == -1)
		return 0;
	if (h->match != NULL && !room_contains(e->text, e->textlen, h->match))
		return 0;
	memset(&l, 0, sizeof l);
	l.time_ms = e->time_ms;
	l.lamport = e->lamport;
	l.who =
	    room_who(room_member_by_e(h->r, ev.author, NULL), who, sizeof who);
	l.text = e->text;
	l.len = e->textlen;
	return h->cb(h->arg, h->r, &l);
}

int
room_history(struct rooms *rs, struct room *r, size_t limit, room_line_cb cb,
    void *arg, char **cause)
{
	struct room_hist h = { r, cb, arg, NULL };

	return store_room_history(
	    rs->sr, r->rowid, limit, room_hist_cb, &h, cause);
}

int
room_search(struct rooms *rs, const char *text, size_t limit, room_line_cb cb,
    void *arg, char **cause)
{
	struct room_hist h = { NULL, cb, arg, text };
	size_t i;

	for (i = 0; i < rs->n; i++) {
		h.r = rs->v[i];
		if (store_room_history(rs->sr, rs->v[i]->rowid, limit,
		        room_hist_cb, &h, cause) == -1)
			return -1;
	}
	return 0;
}
