/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Rooms as a feature (DESIGN.md section 9, doc/PROTOCOL.md section 14):
 * types 0x40-0x4f. This file owns the rooms we are in (loaded from the
 * store at create), keeps their logs in step with the other members,
 * and runs joins in both roles.
 *
 * Sessions. Every active member of a room we are in is a peer
 * (engine_member_peer(): a stranger becomes a PEER_MEMBER, whose session
 * carries room traffic only) dialled at the address of its record. On
 * every session with a member, for each shared room: ROOM_SYNC(V) and
 * ROOM_MEMBER(our E). A SYNC received starts an answer: the events
 * beyond its V, in history order, sent by the pump while the
 * connection's output is below ENGINE_BULK_WATERMARK (a cursor, the
 * (lamport, id) of the last one sent, so a big catch-up neither blocks
 * the loop nor queues much). A delivered event goes at once to every
 * online member but the one it came from (ours to all, another's to a
 * few chosen at random: gossip, room_push()); a WANT asks the sender
 * for missing parents; a DIGEST of V every minute makes members whose
 * V differs SYNC again.
 *
 * Joins (room_admit.c; the commands' side is room_ops.c). The joiner
 * looks the room up by name (ROOM_LOOKUP, answered with ROOM_INVITE
 * carrying the id, or DENIED), then runs JOIN mode 1
 * (CPace) with a password or mode 2 if invited; all of it may run on a
 * contact request session (FEATURE_EARLY). An INVITE from a contact
 * that we did not ask for is answered with JOIN mode 2 at once.
 * The member counts failures per joiner (room_join.c) and per room
 * (ROOM_LIMIT_ROOM_FAILURES), admits with an ADD (its address: the
 * joiner's port at the address its session comes from) and a WELCOME.
 *
 * Passwords: members keep PRS (sealed), with the epoch it was set in; a
 * member answers password joins only while that is the newest epoch, so
 * a kick or /room password (both start an epoch) retires every old
 * PRS but the creator's new one.
 */
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cpace.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "room.h"
#include "room_int.h"
#include "room_join.h"
#include "room_log.h"
#include "room_proto.h"
#include "store_room.h"
#include "util.h"
#include "xmalloc.h"

static void room_digest_arm(struct rooms *);
static void room_digest_cb(void *);

int64_t
room_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct rooms *
room_of(const struct engine *eng)
{
	return engine_feature(eng, &room_feature);
}

/* --- small helpers ---------------------------------------------------------
 */

static void
room_report(struct rooms *rs, struct room_report *rep)
{
	if (rs->fe->room != NULL)
		rs->fe->room(rs->fe_arg, rep);
}

void
room_report_simple(struct room *r, enum room_report_kind kind, const char *who,
    const char *what)
{
	struct room_report rep;

	memset(&rep, 0, sizeof rep);
	rep.kind = kind;
	rep.room = r;
	rep.name = r->name;
	rep.id = r->id;
	rep.who = who;
	rep.what = what;
	room_report(r->rs, &rep);
}

void
room_denied_report(
    struct rooms *rs, struct room *r, const char *name, const char *why)
{
	struct room_report rep;

	memset(&rep, 0, sizeof rep);
	rep.kind = ROOM_REP_DENIED;
	rep.room = r;
	rep.name = name;
	rep.what = why;
	room_report(rs, &rep);
}

/* A member's record by E, or NULL. */
const struct room_member_info *
room_member_by_e(const struct room *r, const uint8_t *e, int *active)
{
	struct room_member_view v;
	size_t i;

	for (i = 0; room_log_member(r->log, i, &v) == 0; i++) {
		if (memcmp(v.info->e, e, ROOM_KEYLEN) == 0) {
			if (active != NULL)
				*active = v.active;
			return v.info;
		}
	}
	return NULL;
}

/* An active member's record by Noise key, or NULL. */
const struct room_member_info *
room_member_by_noise(const struct room *r, const uint8_t *noise)
{
	struct room_member_view v;
	size_t i;

	for (i = 0; room_log_member(r->log, i, &v) == 0; i++)
		if (v.active && memcmp(v.info->noise, noise, ROOM_KEYLEN) == 0)
			return v.info;
	return NULL;
}

/* The name shown for a member: its nick, or its E's first bytes. */
const char *
room_who(const struct room_member_info *m, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	if (m != NULL && m->nick[0] != '\0')
		return m->nick;
	for (i = 0; i < 4 && 2 * i + 2 < len; i++) {
		buf[2 * i] = m != NULL ? hex[m->e[i] >> 4] : '?';
		buf[2 * i + 1] = m != NULL ? hex[m->e[i] & 15] : '?';
	}
	buf[2 * i] = '\0';
	return buf;
}

int
room_active(const struct room *r)
{
	int active = 0;

	return room_member_by_e(r, r->e, &active) != NULL && active;
}

/* p shares r with us: both are active members. */
int
room_shared(const struct room *r, const struct peer *p)
{
	return room_active(r) && room_member_by_noise(r, p->key) != NULL;
}

int
room_peer_ok(const struct peer *p)
{
	return p->state == PEER_ONLINE &&
	    (engine_peer_caps(p) & PROTO_CAP_ROOM) != 0;
}

/* "HOST:PORT" of a member record, or 0 if it names no address; a
 * record with only a port is at the address of via, if given. */
static int
room_record_addr(const struct room_member_info *m, const struct peer *via,
    char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN], h[UTIL_HOST_MAX];
	uint16_t port;
	char *cause;

	if (m->addrlen < 2)
		return 0;
	port = (uint16_t)util_be_get(m->addr, 2);
	if (m->addrlen == 6 &&
	    inet_ntop(AF_INET, m->addr + 2, host, sizeof host) != NULL) {
		snprintf(out, len, "%s:%u", host, port);
		return 1;
	}
	if (m->addrlen == 18 &&
	    inet_ntop(AF_INET6, m->addr + 2, host, sizeof host) != NULL) {
		snprintf(out, len, "[%s]:%u", host, port);
		return 1;
	}
	if (m->addrlen != 2 || via == NULL || via->remote_addr[0] == '\0')
		return 0;
	if (util_parse_hostport(via->remote_addr, h, &port, 1, &cause) == -1) {
		free(cause);
		return 0;
	}
	port = (uint16_t)util_be_get(m->addr, 2);
	snprintf(
	    out, len, strchr(h, ':') != NULL ? "[%s]:%u" : "%s:%u", h, port);
	return 1;
}

/* A record with only a port gets the address p's session comes from. */
void
room_record_fill(struct room_member_info *m, const struct peer *p)
{
	char h[UTIL_HOST_MAX], *cause;
	uint16_t port;

	if (m->addrlen != 2 ||
	    util_parse_hostport(p->remote_addr, h, &port, 1, &cause) == -1) {
		if (m->addrlen == 2)
			free(cause);
		return;
	}
	if (inet_pton(AF_INET, h, m->addr + 2) == 1)
		m->addrlen = 6;
	else if (inet_pton(AF_INET6, h, m->addr + 2) == 1)
		m->addrlen = 18;
}

/* Our record: a fresh E's key, our Noise key, nick and port. */
void
room_my_record(
    struct rooms *rs, const uint8_t e[ROOM_KEYLEN], struct room_member_info *m)
{
	const char *nick = engine_nick(rs->eng);

	memset(m, 0, sizeof *m);
	memcpy(m->e, e, ROOM_KEYLEN);
	memcpy(m->noise, engine_own_key(rs->eng), ROOM_KEYLEN);
	snprintf(m->nick, sizeof m->nick, "%s", nick);
	if (strlen(nick) > ROOM_NICK_MAX ||
	    !util_utf8_printable((const uint8_t *)m->nick, strlen(m->nick)))
		m->nick[0] = '\0';
	if (engine_listen_port(rs->eng) != 0) {
		util_be_put(m->addr, engine_listen_port(rs->eng), 2);
		m->addrlen = 2;
	}
}

void
room_send(struct rooms *rs, struct peer *p, const struct room_msg *m)
{
	struct proto_msg pm;
	char *cause;
	size_t n;

	if ((n = room_proto_encode(m, rs->buf, sizeof rs->buf)) == 0)
		fatal("cannot encode room message 0x%02x", m->type);
	memset(&pm, 0, sizeof pm);
	pm.type = rs->buf[0];
	pm.u.raw.data = rs->buf;
	pm.u.raw.len = n;
	if ((p->state == PEER_ONLINE
	            ? engine_send_msg(rs->eng, p, &pm, &cause)
	            : engine_send_early(p, &pm, &cause)) == -1) {
		log_debug("room: %s", cause);
		free(cause);
	}
	ident_wipe(rs->buf, n);
}

struct room_msg *
room_msg_new(struct rooms *rs, uint8_t type, const uint8_t *room)
{
	struct room_msg *m = &rs->msg;

	memset(m, 0, offsetof(struct room_msg, v));
	m->type = type;
	if (room != NULL)
		memcpy(m->room, room, ROOM_IDLEN);
	return m;
}

static void
room_send_event(
    struct rooms *rs, struct peer *p, const uint8_t *raw, size_t len)
{
	struct room_msg *m = room_msg_new(rs, ROOM_MSG_EVENT, NULL);

	m->data = raw;
	m->len = len;
	room_send(rs, p, m);
}

static void
room_send_sync(struct rooms *rs, struct room *r, struct peer *p)
{
	struct room_msg *m = room_msg_new(rs, ROOM_MSG_SYNC, r->id);

	m->nv = (uint16_t)room_log_vv(r->log, m->v, ROOM_MEMBERS_MAX);
	room_send(rs, p, m);
}

struct room_peer *
room_peer(struct peer *p)
{
	void **slot = engine_peer_slot(p, &room_feature);

	if (*slot == NULL)
		*slot = xcalloc(1, sizeof(struct room_peer));
	return *slot;
}

void
room_joining_free(struct room_joining *jg)
{
	if (jg == NULL)
		return;
	room_joiner_free(jg->j);
	if (jg->password != NULL) {
		ident_wipe(jg->password, strlen(jg->password));
		free(jg->password);
	}
	if (jg->sk != NULL)
		ident_secret_free(jg->sk);
	free(jg);
}

static void
room_outs_clear(struct room_peer *rp)
{
	size_t i;

	for (i = 0; i < rp->nouts; i++)
		free(rp->outs[i].v);
	free(rp->outs);
	rp->outs = NULL;
	rp->nouts = 0;
}

static void
room_peer_free(struct room_peer *rp)
{
	if (rp == NULL)
		return;
	room_outs_clear(rp);
	room_joining_free(rp->joining);
	room_responder_free(rp->resp);
	free(rp);
}

/* --- storing and loading ---------------------------------------------------
 */

static int
room_store_key(struct room *r, uint32_t epoch, const uint8_t *key, char **cause)
{
	uint8_t sealed[ROOM_KEYLEN + ROOM_SEALLEN];

	room_seal(r->rs->wrap, "room epoch key", key, ROOM_KEYLEN, sealed);
	return store_room_key_put(
	    r->rs->sr, r->rowid, epoch, sealed, sizeof sealed, cause);
}

static void
room_key_cb(void *arg, uint32_t epoch, const uint8_t key[ROOM_KEYLEN])
{
	struct room *r = arg;
	char *cause;

	if (r->rowid == 0)
		return;
	if (room_store_key(r, epoch, key, &cause) == -1) {
		engine_write_failed(r->rs->eng);
		engine_notice(r->rs->eng, NULL, FE_ERROR, "%s", cause);
		free(cause);
	}
}

/* Seal and store PRS with its epoch (NULL: none). */
int
room_store_prs(struct room *r, char **cause)
{
	uint8_t plain[ROOM_PRS_SEALED], sealed[ROOM_PRS_SEALED + ROOM_SEALLEN];
	int ret;

	if (r->prs == NULL)
		return store_room_set_prs(r->rs->sr, r->rowid, NULL, 0, cause);
	util_be_put(plain, r->prs_epoch, 4);
	memcpy(plain + 4, r->prs, CPACE_PRSLEN);
	room_seal(r->rs->wrap, "room prs", plain, sizeof plain, sealed);
	ident_wipe(plain, sizeof plain);
	ret = store_room_set_prs(
	    r->rs->sr, r->rowid, sealed, sizeof sealed, cause);
	return ret;
}

struct room *
room_new(struct rooms *rs, const uint8_t *id, const char *name)
{
	struct room *r = xcalloc(1, sizeof *r);

	r->rs = rs;
	memcpy(r->id, id, ROOM_IDLEN);
	snprintf(r->name, sizeof r->name, "%s", name);
	r->sk = ident_secret_alloc(ROOM_SKLEN);
	r->fail_t = xcalloc(ROOM_LIMIT_ROOM_FAILURES, sizeof *r->fail_t);
	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof *rs->v);
	rs->v[rs->n++] = r;
	room_digest_arm(rs);
	return r;
}

void
room_free(struct room *r)
{
	if (r == NULL)
		return;
	room_log_free(r->log);
	ident_secret_free(r->sk);
	if (r->prs != NULL)
		ident_secret_free(r->prs);
	free(r->fail_t);
	free(r->files);
	free(r);
}

/* Store r (a new room of ours) with our E and its PRS. */
int
room_store_new(struct room *r, char **cause)
{
	uint8_t sealed[ROOM_SKLEN + ROOM_SEALLEN];
	struct store_room_info info;

	memset(&info, 0, sizeof info);
	memcpy(info.room, r->id, ROOM_IDLEN);
	info.name = r->name;
	info.flags = r->flags;
	memcpy(info.e, r->e, ROOM_KEYLEN);
	room_seal(r->rs->wrap, "room e", r->sk, ROOM_SKLEN, sealed);
	info.e_sk = sealed;
	info.e_sklen = sizeof sealed;
	info.created_ms = room_now_ms();
	if (store_room_add(r->rs->sr, &info, cause) == -1)
		return -1;
	r->rowid = info.rowid;
	return room_store_prs(r, cause);
}

struct room_load {
	struct room *r;
	struct rooms *rs;
};

static int
room_load_key(void *arg, uint32_t epoch, const uint8_t *sealed, size_t len)
{
	struct room *r = arg;
	uint8_t key[ROOM_KEYLEN];
	char *cause;

	if (len != sizeof key + ROOM_SEALLEN ||
	    room_unseal(r->rs->wrap, "room epoch key", sealed, len, key) == -1)
		return 0;
	if (room_log_add_key(r->log, epoch, key, &cause) == -1)
		free(cause);
	ident_wipe(key, sizeof key);
	return 0;
}

static int
room_load_event(void *arg, const struct store_room_event *e)
{
	struct room *r = arg;
	enum room_rx rx;
	const char *why;
	char *cause;

	if (room_log_receive(r->log, e->raw, e->len, 1, &rx, &why, &cause) ==
	    -1)
		free(cause);
	if (e->kind == ROOM_FILE)
		room_file_load(r, e->raw, e->len);
	if (e->kind == ROOM_TOPIC && e->text != NULL)
		snprintf(r->topic, sizeof r->topic, "%.*s", (int)e->textlen,
		    e->text);
	return 0;
}

static int
room_load_member(
    void *arg, const struct room_member_info *m, int active, int flagged)
{
	struct room *r = arg;
	char addr[UTIL_HOST_MAX + 8];

	(void)flagged;
	if (!active || !room_active(r) || memcmp(m->e, r->e, ROOM_KEYLEN) == 0)
		return 0;
	engine_member_peer(r->rs->eng, m->noise, m->nick,
	    room_record_addr(m, NULL, addr, sizeof addr) ? addr : NULL);
	return 0;
}

static int
room_load(void *arg, const struct store_room_info *info)
{
	struct rooms *rs = arg;
	struct room *r = room_new(rs, info->room, info->name);
	uint8_t prs[ROOM_PRS_SEALED];
	char *cause;

	r->rowid = info->rowid;
	r->flags = info->flags;
	memcpy(r->e, info->e, ROOM_KEYLEN);
	if (info->e_sklen != ROOM_SKLEN + ROOM_SEALLEN ||
	    room_unseal(rs->wrap, "room e", info->e_sk, info->e_sklen, r->sk) ==
	        -1)
		engine_notice(rs->eng, NULL, FE_ERROR,
		    "room #%s: its key does not open with this identity",
		    r->name);
	if (info->prs != NULL && info->prslen == sizeof prs + ROOM_SEALLEN &&
	    room_unseal(rs->wrap, "room prs", info->prs, info->prslen, prs) ==
	        0) {
		r->prs = ident_secret_alloc(CPACE_PRSLEN);
		r->prs_epoch = (uint32_t)util_be_get(prs, 4);
		memcpy(r->prs, prs + 4, CPACE_PRSLEN);
		ident_wipe(prs, sizeof prs);
	}
	r->log = room_log_create(r->id, r->e, &room_log_ops, r);
	if (store_room_keys(rs->sr, r->rowid, room_load_key, r, &cause) == -1 ||
	    store_room_events(rs->sr, r->rowid, room_load_event, r, &cause) ==
	        -1) {
		engine_notice(
		    rs->eng, NULL, FE_ERROR, "room #%s: %s", r->name, cause);
		free(cause);
	}
	if (store_room_members(rs->sr, r->rowid, room_load_member, r, &cause) ==
	    -1) {
		engine_notice(
		    rs->eng, NULL, FE_ERROR, "room #%s: %s", r->name, cause);
		free(cause);
	}
	return 0;
}

/* --- delivery ---------------------------------------------------------------
 */

/*
 * Send a delivered event on: ours to every online member; another's to
 * at most ROOM_RELAY_FANOUT online members chosen at random, not the
 * one it came from nor its author (gossip: the author pushed it to the
 * members it meets, and each copy travels on a few times, so it reaches
 * members the author does not meet at O(fanout) copies per member).
 */
static void
room_push(
    struct room *r, const struct room_event *ev, const uint8_t *raw, size_t len)
{
	struct rooms *rs = r->rs;
	const struct room_member_info *author;
	struct peer *p, *ap = NULL, **to;
	int own = memcmp(ev->author, r->e, ROOM_KEYLEN) == 0;
	size_t i, k, n = 0;

	if ((author = room_member_by_e(r, ev->author, NULL)) != NULL)
		ap = engine_find_key(rs->eng, author->noise);
	to = xreallocarray(NULL, engine_npeers(rs->eng) + 1, sizeof *to);
	for (i = 0; i < engine_npeers(rs->eng); i++) {
		p = engine_peer(rs->eng, i);
		if (p == rs->source || p == ap || !room_peer_ok(p) ||
		    !room_shared(r, p))
			continue;
		to[n++] = p;
	}
	for (i = 0; i < n && (own || i < ROOM_RELAY_FANOUT); i++) {
		if (!own) {
			k = i + ident_uniform((uint32_t)(n - i));
			p = to[k];
			to[k] = to[i];
			to[i] = p;
		}
		room_send_event(rs, to[i], raw, len);
	}
	free(to);
}

/* What changes with membership: peers to dial, peers to forget. */
static void
room_member_changed(
    struct room *r, const struct room_member_info *m, int active)
{
	struct rooms *rs = r->rs;
	char addr[UTIL_HOST_MAX + 8];
	struct peer *p;
	size_t i;
	char *cause;

	if (store_room_member_put(rs->sr, r->rowid, m, active, 0, &cause) ==
	    -1) {
		engine_write_failed(rs->eng);
		engine_notice(rs->eng, NULL, FE_ERROR, "%s", cause);
		free(cause);
	}
	if (memcmp(m->e, r->e, ROOM_KEYLEN) == 0)
		return;
	if (active && !room_active(r))
		return; /* we are not in yet: room_meet_all() */
	if (active) {
		p = engine_member_peer(rs->eng, m->noise, m->nick,
		    room_record_addr(m, rs->source, addr, sizeof addr) ? addr
		                                                       : NULL);
		if (p != NULL && room_peer_ok(p))
			room_send_sync(rs, r, p);
		return;
	}
	if ((p = engine_find_key(rs->eng, m->noise)) == NULL)
		return;
	for (i = 0; i < rs->n; i++)
		if (room_shared(rs->v[i], p))
			return;
	engine_member_gone(p);
}

/* What a delivery changes beyond the store, once the log has folded
 * the event in (room_after()). */
struct room_done {
	struct room *r;
	uint8_t *raw;
	size_t len;
	struct room_body b;
	uint8_t *text;
};

static int
room_deliver(void *arg, const struct room_event *ev, const uint8_t *raw,
    size_t len, const struct room_body *b, char **cause)
{
	struct room *r = arg;
	struct rooms *rs = r->rs;
	struct room_done *d;
	int inserted;

	if (store_room_event_add(
	        rs->sr, r->rowid, ev, raw, len, b, &inserted, cause) == -1) {
		engine_write_failed(rs->eng);
		return -1;
	}
	rs->done = xreallocarray(rs->done, rs->ndone + 1, sizeof *rs->done);
	d = &rs->done[rs->ndone++];
	d->r = r;
	d->raw = xmalloc(len);
	memcpy(d->raw, raw, len);
	d->len = len;
	d->b = *b;
	d->text = NULL;
	if (b->text != NULL) {
		d->text = xmalloc(b->len + 1);
		memcpy(d->text, b->text, b->len);
		d->b.text = d->text;
	}
	return 0;
}

/* Our own ADD is delivered: every member so far is one to meet. */
static void
room_meet_all(struct room *r)
{
	struct room_member_view v;
	size_t i;

	r->via_set = 0;
	for (i = 0; room_log_member(r->log, i, &v) == 0; i++)
		if (v.active && memcmp(v.info->e, r->e, ROOM_KEYLEN) != 0)
			room_member_changed(r, v.info, 1);
}

/* We were removed: nobody shares this room with us now. */
static void
room_forget_peers(struct room *r)
{
	struct room_member_view v;
	size_t i;

	for (i = 0; room_log_member(r->log, i, &v) == 0; i++)
		if (memcmp(v.info->e, r->e, ROOM_KEYLEN) != 0)
			room_member_changed(r, v.info, 0);
}

static void
room_after_one(struct rooms *rs, struct room_done *d)
{
	struct room *r = d->r;
	const struct room_body *b = &d->b;
	const struct room_member_info *m;
	struct room_report rep;
	struct room_event ev;
	const char *why;
	char who[16];
	int own, me;

	if (room_event_parse(d->raw, d->len, &ev, &why) == -1)
		return;
	own = memcmp(ev.author, r->e, ROOM_KEYLEN) == 0;
	m = room_member_by_e(r, ev.author, NULL);
	switch (b->kind) {
	case ROOM_CREATE:
		if (m != NULL)
			room_member_changed(r, m, 1);
		break;
	case ROOM_ADD:
		me = memcmp(b->member.e, r->e, ROOM_KEYLEN) == 0;
		if (me)
			room_meet_all(r); /* we are in: meet the others */
		room_member_changed(r, &b->member, 1);
		room_report_simple(r, ROOM_REP_MEMBER,
		    room_who(&b->member, who, sizeof who), "add");
		/* The files announced before our ADD (a catch-up sends
		 * them first) are listed from now on. */
		if (me && r->nfiles > 0)
			room_report_simple(r, ROOM_REP_FILES, NULL, NULL);
		break;
	case ROOM_LEAVE:
		room_report_simple(
		    r, ROOM_REP_MEMBER, room_who(m, who, sizeof who), "leave");
		if (m != NULL)
			room_member_changed(r, m, 0);
		if (own)
			room_forget_peers(r);
		break;
	case ROOM_REMOVE:
		m = room_member_by_e(r, b->who, NULL);
		room_report_simple(
		    r, ROOM_REP_MEMBER, room_who(m, who, sizeof who), "remove");
		if (m != NULL)
			room_member_changed(r, m, 0);
		if (memcmp(b->who, r->e, ROOM_KEYLEN) == 0)
			room_forget_peers(r);
		break;
	case ROOM_TOPIC:
		snprintf(r->topic, sizeof r->topic, "%.*s", (int)b->len,
		    (const char *)b->text);
		engine_notice(rs->eng, NULL, FE_INFO,
		    "#%s: %s %s the topic%s%s", r->name,
		    room_who(m, who, sizeof who),
		    b->len != 0 ? "set" : "cleared", b->len != 0 ? ": " : "",
		    r->topic);
		room_report_simple(r, ROOM_REP_CHANGED, NULL, NULL);
		break;
	case ROOM_FILE:
		room_file_add(r, b, room_who(m, who, sizeof who));
		room_report_simple(r, ROOM_REP_FILES, NULL, NULL);
		break;
	case ROOM_MSG:
		memset(&rep, 0, sizeof rep);
		rep.kind = ROOM_REP_MSG;
		rep.room = r;
		rep.name = r->name;
		rep.id = r->id;
		rep.who = room_who(m, who, sizeof who);
		rep.text = (const char *)b->text;
		rep.len = b->len;
		rep.time_ms = ev.time_ms;
		rep.outgoing = own;
		if (!own)
			r->unread++;
		room_report(rs, &rep);
		break;
	default:
		break;
	}
	room_push(r, &ev, d->raw, d->len);
}

/* Deal with what the log delivered (source: where it came from). */
void
room_after(struct rooms *rs)
{
	size_t i;

	for (i = 0; i < rs->ndone; i++) {
		room_after_one(rs, &rs->done[i]);
		free(rs->done[i].raw);
		free(rs->done[i].text);
	}
	rs->ndone = 0;
	rs->source = NULL;
}

static void
room_equivocation(void *arg, const struct room_event *ev, const uint8_t *raw,
    size_t len, const uint8_t first[ROOM_HASHLEN])
{
	struct room *r = arg;
	const struct room_member_info *m =
	    room_member_by_e(r, ev->author, NULL);
	char who[16], *cause;

	(void)first;
	if (store_room_proof(r->rs->sr, r->rowid, ev, raw, len, &cause) == -1) {
		engine_notice(r->rs->eng, NULL, FE_ERROR, "%s", cause);
		free(cause);
	}
	engine_notice(r->rs->eng, NULL, FE_WARN,
	    "#%s: %s wrote two different events with one sequence number "
	    "(%llu): the second is kept as proof and ignored",
	    r->name, room_who(m, who, sizeof who), (unsigned long long)ev->seq);
}

const struct room_log_ops room_log_ops = {
	.deliver = room_deliver,
	.equivocation = room_equivocation,
	.key = room_key_cb,
};

/* Write an event of ours (it is delivered, stored and pushed). */
int
room_write(struct room *r, const struct room_body *b, char **cause)
{
	struct rooms *rs = r->rs;
	size_t len;
	int ret;

	rs->source = NULL;
	ret = room_log_write(r->log, b, room_now_ms(), r->sk, rs->ev,
	    sizeof rs->ev, &len, cause);
	ident_wipe(rs->ev, sizeof rs->ev);
	room_after(rs);
	return ret;
}

/* --- sync -------------------------------------------------------------------
 */

/* The peer's SYNC: answer it from the pump. */
static void
room_sync_start(
    struct rooms *rs, struct room *r, struct peer *p, const struct room_msg *m)
{
	struct room_peer *rp = room_peer(p);
	struct room_out *o = NULL;
	size_t i;

	if (rp->serial != engine_conn_serial(p)) {
		room_outs_clear(rp);
		rp->serial = engine_conn_serial(p);
	}
	for (i = 0; i < rp->nouts; i++)
		if (rp->outs[i].r == r)
			o = &rp->outs[i];
	if (o == NULL) {
		rp->outs = xreallocarray(rp->outs, rp->nouts + 1, sizeof *o);
		o = &rp->outs[rp->nouts++];
		memset(o, 0, sizeof *o);
		o->r = r;
	}
	free(o->v);
	o->v = xreallocarray(NULL, m->nv + 1, sizeof *o->v);
	memcpy(o->v, m->v, m->nv * sizeof *o->v);
	o->nv = m->nv;
	o->lamport = 0;
	o->more = 1;
	(void)rs;
}

struct room_walk {
	struct rooms *rs;
	struct peer *p;
	struct room_out *o;
	int full;
};

static int
room_walk_send(
    void *arg, const uint8_t *raw, size_t len, const struct room_event *ev)
{
	struct room_walk *w = arg;
	struct room_out *o = w->o;

	if (o->lamport != 0 &&
	    (ev->lamport < o->lamport ||
	        (ev->lamport == o->lamport &&
	            memcmp(ev->id, o->id, ROOM_HASHLEN) <= 0)))
		return 0;
	if (engine_queued(w->p) >= ENGINE_BULK_WATERMARK) {
		w->full = 1;
		return 1;
	}
	room_send_event(w->rs, w->p, raw, len);
	o->lamport = ev->lamport;
	memcpy(o->id, ev->id, ROOM_HASHLEN);
	return 0;
}

static int
room_pump(void *state, struct peer *p)
{
	struct rooms *rs = state;
	struct room_peer *rp = *engine_peer_slot(p, &room_feature);
	struct room_walk w;
	size_t i;
	int more = 0;

	if (rp == NULL || rp->serial != engine_conn_serial(p))
		return 0;
	for (i = 0; i < rp->nouts; i++) {
		if (!rp->outs[i].more)
			continue;
		memset(&w, 0, sizeof w);
		w.rs = rs;
		w.p = p;
		w.o = &rp->outs[i];
		room_log_since(
		    rp->outs[i].r->log, w.o->v, w.o->nv, room_walk_send, &w);
		if (w.full) {
			more = 1;
			break;
		}
		rp->outs[i].more = 0;
	}
	return more;
}

/* An event from p waits: ask p for what is missing, a few ids at a
 * time (an event asks for no more than it has parents, so a flood of
 * orphans costs its sender as much as us). */
static void
room_want_missing(struct rooms *rs, struct room *r, struct peer *p)
{
	struct room_msg *m;
	uint8_t ids[ROOM_PARENTS_MAX][ROOM_HASHLEN], key[ROOM_KEYLEN];
	size_t n;

	if (room_log_pending(r->log) == 0)
		return;
	if ((n = room_log_missing(r->log, ids, ROOM_PARENTS_MAX)) > 0) {
		m = room_msg_new(rs, ROOM_MSG_WANT, r->id);
		m->n = (uint16_t)n;
		m->data = &ids[0][0];
		room_send(rs, p, m);
	}
	if (room_log_key(r->log, room_log_epoch(r->log), key) == -1) {
		m = room_msg_new(rs, ROOM_MSG_KEY_WANT, r->id);
		m->epoch = room_log_epoch(r->log);
		room_send(rs, p, m);
	}
	ident_wipe(key, sizeof key);
}

static void
room_receive_event(
    struct rooms *rs, struct peer *p, const uint8_t *raw, size_t len)
{
	struct room *r = NULL;
	enum room_rx rx;
	const char *why;
	char *cause;
	size_t i;

	if (len < 2 + ROOM_IDLEN)
		return;
	for (i = 0; i < rs->n; i++)
		if (memcmp(rs->v[i]->id, raw + 2, ROOM_IDLEN) == 0)
			r = rs->v[i];
	if (r == NULL ||
	    (!room_shared(r, p) &&
	        !(r->via_set && ident_key_equal(r->via, p->key))))
		return; /* not a room we share: not ours to judge */
	rs->source = p;
	if (room_log_receive(r->log, raw, len, 0, &rx, &why, &cause) == -1) {
		engine_notice(
		    rs->eng, NULL, FE_ERROR, "#%s: %s", r->name, cause);
		free(cause);
	}
	room_after(rs);
	if (rx == ROOM_RX_REFUSED)
		engine_notice(rs->eng, NULL, FE_WARN,
		    "#%s: refused an event from %s: %s", r->name, p->name,
		    why != NULL ? why : "invalid");
	else if (rx == ROOM_RX_FULL && !r->full_said) {
		r->full_said = 1;
		engine_notice(rs->eng, NULL, FE_WARN,
		    "#%s: %zu events from %s wait for events nobody sent: "
		    "dropping more",
		    r->name, room_log_pending(r->log), p->name);
	}
	if (rx == ROOM_RX_PENDING)
		room_want_missing(rs, r, p);
}

/* --- the session ------------------------------------------------------------
 */

void
room_start_peer(struct rooms *rs, struct room *r, struct peer *p)
{
	struct room_msg *m;

	room_send_sync(rs, r, p);
	m = room_msg_new(rs, ROOM_MSG_MEMBER, r->id);
	memcpy(m->key, r->e, ROOM_KEYLEN);
	room_send(rs, p, m);
}

static void
room_online(void *state, struct peer *p)
{
	struct rooms *rs = state;
	size_t i;

	if (!room_peer_ok(p))
		return;
	for (i = 0; i < rs->n; i++) {
		if (room_shared(rs->v[i], p)) {
			room_start_peer(rs, rs->v[i], p);
			room_report_simple(
			    rs->v[i], ROOM_REP_CHANGED, NULL, NULL);
		}
	}
	room_pending_start(rs, p);
}

static void
room_offline(void *state, struct peer *p)
{
	struct rooms *rs = state;
	struct room_peer *rp = *engine_peer_slot(p, &room_feature);
	size_t i;

	if (rp != NULL) {
		room_outs_clear(rp);
		room_responder_free(rp->resp);
		rp->resp = NULL;
	}
	for (i = 0; i < rs->n; i++)
		if (room_shared(rs->v[i], p))
			room_report_simple(
			    rs->v[i], ROOM_REP_CHANGED, NULL, NULL);
}

static void
room_removed(void *state, struct peer *p)
{
	void **slot = engine_peer_slot(p, &room_feature);

	(void)state;
	room_peer_free(*slot);
	*slot = NULL;
}

/* The digests go out once a minute while we are in a room; a node in
 * none has no timer of ours. */
static void
room_digest_arm(struct rooms *rs)
{
	if (rs->digest == NULL && rs->n > 0)
		rs->digest = loop_timer_add_coarse(
		    engine_loop(rs->eng), ROOM_DIGEST_MS, room_digest_cb, rs);
}

static void
room_digest_cb(void *arg)
{
	struct rooms *rs = arg;
	struct room_vv v[ROOM_MEMBERS_MAX];
	struct room_msg *m;
	struct peer *p;
	size_t i, k, n;

	rs->digest = NULL;
	room_digest_arm(rs);
	for (i = 0; i < rs->n; i++) {
		if (!room_active(rs->v[i]))
			continue;
		n = room_log_vv(rs->v[i]->log, v, ROOM_MEMBERS_MAX);
		for (k = 0; k < engine_npeers(rs->eng); k++) {
			p = engine_peer(rs->eng, k);
			if (!room_peer_ok(p) || !room_shared(rs->v[i], p))
				continue;
			m = room_msg_new(rs, ROOM_MSG_DIGEST, rs->v[i]->id);
			room_proto_digest(v, n, m->digest);
			room_send(rs, p, m);
		}
	}
}

static void
room_opened(void *state, struct peer *p)
{
	room_pending_start(state, p);
}

static int
room_message(
    void *state, struct peer *p, const struct proto_msg *pm, const char **why)
{
	struct rooms *rs = state;
	struct room_msg *m = &rs->in;
	struct room *r = NULL;
	struct room_msg *out;
	uint8_t key[ROOM_KEYLEN];
	const uint8_t *raw;
	const struct room_member_info *who;
	size_t i, len;
	char *cause;
	int member;

	if (!(engine_peer_caps(p) & PROTO_CAP_ROOM)) {
		*why = "room message without the room capability";
		return -1;
	}
	if (room_proto_decode(pm->u.raw.data, pm->u.raw.len, m, why) == -1)
		return -1;
	switch (m->type) {
	case ROOM_MSG_LOOKUP:
	case ROOM_MSG_JOIN:
	case ROOM_MSG_CONFIRM:
		room_member_side(rs, p, m);
		return 0;
	case ROOM_MSG_INVITE:
	case ROOM_MSG_CHALLENGE:
	case ROOM_MSG_WELCOME:
	case ROOM_MSG_DENIED:
		room_joiner_side(rs, p, m);
		return 0;
	default:
		break;
	}
	/* The rest only between members, online. */
	if (p->state != PEER_ONLINE) {
		*why = "room message before hello";
		return -1;
	}
	if (m->type == ROOM_MSG_EVENT) {
		room_receive_event(rs, p, m->data, m->len);
		return 0;
	}
	for (i = 0; i < rs->n; i++)
		if (memcmp(rs->v[i]->id, m->room, ROOM_IDLEN) == 0)
			r = rs->v[i];
	if (r == NULL || !room_shared(r, p))
		return 0;
	switch (m->type) {
	case ROOM_MSG_SYNC:
		room_sync_start(rs, r, p, m);
		engine_pump(p);
		break;
	case ROOM_MSG_WANT:
		for (i = 0; i < m->n; i++)
			if (room_log_get(r->log, m->data + i * ROOM_HASHLEN,
			        &raw, &len) == 0)
				room_send_event(rs, p, raw, len);
		break;
	case ROOM_MSG_KEY_WANT:
		who = room_member_by_noise(r, p->key);
		if (who == NULL ||
		    !room_log_key_allowed(r->log, who->e, m->epoch) ||
		    room_log_key(r->log, m->epoch, key) == -1)
			break;
		out = room_msg_new(rs, ROOM_MSG_KEY, r->id);
		out->epoch = m->epoch;
		memcpy(out->key, key, ROOM_KEYLEN);
		ident_wipe(key, sizeof key);
		room_send(rs, p, out);
		ident_wipe(out->key, ROOM_KEYLEN);
		break;
	case ROOM_MSG_KEY:
		if (room_log_key(r->log, m->epoch, key) == 0)
			break;
		rs->source = p;
		if (room_log_add_key(r->log, m->epoch, m->key, &cause) == -1) {
			engine_notice(
			    rs->eng, NULL, FE_WARN, "#%s: %s", r->name, cause);
			free(cause);
		}
		room_after(rs);
		ident_wipe(m->key, ROOM_KEYLEN);
		break;
	case ROOM_MSG_MEMBER:
		member = room_log_check_member(r->log, p->key, m->key);
		if (member == -1)
			engine_notice(rs->eng, p, FE_ERROR,
			    "#%s: %s states a room key that its member "
			    "record does not bind: this may be an attack",
			    r->name, p->name);
		break;
	case ROOM_MSG_DIGEST: {
		struct room_vv v[ROOM_MEMBERS_MAX];
		uint8_t d[ROOM_HASHLEN];

		room_proto_digest(
		    v, room_log_vv(r->log, v, ROOM_MEMBERS_MAX), d);
		if (memcmp(d, m->digest, ROOM_HASHLEN) != 0)
			room_send_sync(rs, r, p);
		break;
	}
	default:
		break;
	}
	ident_wipe(key, sizeof key);
	return 0;
}

/* --- the feature ------------------------------------------------------------
 */

static void *
room_create_state(struct engine *eng, char **cause)
{
	struct rooms *rs = xcalloc(1, sizeof *rs);
	const struct ident *id = engine_ident(eng);

	rs->eng = eng;
	rs->fe = engine_fe(eng, &rs->fe_arg);
	if ((rs->sr = store_room_open(engine_store(eng), cause)) == NULL) {
		free(rs);
		return NULL;
	}
	room_wrap_key(id->sk, IDENT_KEYLEN, rs->wrap);
	room_limit_init(&rs->limit);
	if (store_room_list(rs->sr, room_load, rs, cause) == -1) {
		store_room_close(rs->sr);
		ident_wipe(rs->wrap, sizeof rs->wrap);
		free(rs);
		return NULL;
	}
	if (rs->n > 0)
		rs->current = rs->v[rs->n - 1];
	room_files_register(rs);
	return rs;
}

static void
room_free_state(void *state)
{
	struct rooms *rs = state;
	size_t i;

	if (rs == NULL)
		return;
	engine_set_files(rs->eng, NULL, NULL);
	if (rs->digest != NULL)
		loop_timer_del(rs->digest);
	for (i = 0; i < engine_npeers(rs->eng); i++)
		room_removed(rs, engine_peer(rs->eng, i));
	for (i = 0; i < rs->n; i++)
		room_free(rs->v[i]);
	free(rs->v);
	for (i = 0; i < rs->npending; i++) {
		free(rs->pending[i].hostport);
		if (rs->pending[i].password != NULL) {
			ident_wipe(rs->pending[i].password,
			    strlen(rs->pending[i].password));
			free(rs->pending[i].password);
		}
	}
	free(rs->pending);
	free(rs->invited);
	free(rs->done);
	room_limit_free(&rs->limit);
	store_room_close(rs->sr);
	ident_wipe(rs->wrap, sizeof rs->wrap);
	ident_wipe(rs->buf, sizeof rs->buf);
	free(rs);
}

const struct feature room_feature = {
	.name = "room",
	.type_lo = PROTO_ROOM_FIRST,
	.type_hi = PROTO_ROOM_LAST,
	.flags = FEATURE_MEMBER | FEATURE_EARLY,
	.create = room_create_state,
	.free = room_free_state,
	.message = room_message,
	.online = room_online,
	.offline = room_offline,
	.pump = room_pump,
	.opened = room_opened,
	.removed = room_removed,
};
