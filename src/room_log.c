/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A room's log: membership, causal delivery, version vectors, heads,
 * epochs (doc/PROTOCOL.md section 14.3). Crypto goes through
 * room_event.c.
 *
 * Every delivered event keeps its causal past as a version vector over
 * local member indices (vv[i] = the highest seq of member i among the
 * event and its ancestors). Because each author's event must have the
 * author's previous event in its past, "event (a, s) is an ancestor of
 * e" is exactly "e.vv[a] >= s", so every rule that speaks of an event's
 * causal past is a few comparisons:
 *
 *   member(x, past)  some ADD of x (or the CREATE) is in past and no
 *                    LEAVE or REMOVE of x is
 *   an event e by a, with P the union of its parents' pasts, is valid
 *   iff member(a, P), P[a] = e.seq - 1, e.lamport = 1 + max parent
 *   lamport, e.epoch = the newest epoch announced in P, its body opens
 *   with that epoch's key and decodes, and the kind's rule holds.
 *
 * Events wait in the pending set (at most ROOM_PENDING_MAX) until their
 * parents are delivered and their epoch key is known. Each remembers
 * (by its 8-byte prefix, in a compact array beside the set) the one
 * parent it waits for, so a delivery retries only the events waiting
 * for it, and a full set of junk costs each later event one short
 * scan, not a try per waiting event; a new key retries them all. Refused ids
 * are remembered (a ring of the last ROOM_PENDING_MAX) so that their
 * descendants are refused too, rather than waiting for ever. Member E keys are
 * unique by their 8-byte prefix (an ADD that would collide is refused), so a
 * version vector can name authors by prefix.
 *
 * Local rule (not a function of the causal past): once a REMOVE of x
 * (cutoff c) or x's LEAVE (cutoff: its seq) is delivered, x's events
 * with a seq above the cutoff are refused on arrival. Events of x made
 * concurrently with its removal and delivered before it stay.
 *
 * What only reads the log (version vectors, sync answers, history,
 * members) is in room_log_query.c; the state both share is in
 * room_log_int.h.
 */
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "room_log.h"
#include "room_log_int.h"
#include "util.h"
#include "xmalloc.h"

/* Results of trying to deliver one event. */
enum { TRY_WAIT, TRY_DELIVERED, TRY_REFUSED, TRY_ERROR };

struct room_log *
room_log_create(const uint8_t room[ROOM_IDLEN], const uint8_t *me,
    const struct room_log_ops *ops, void *arg)
{
	struct room_log *l = xcalloc(1, sizeof *l);

	memcpy(l->room, room, ROOM_IDLEN);
	if (me != NULL) {
		memcpy(l->me, me, ROOM_KEYLEN);
		l->has_me = 1;
	}
	l->ops = ops;
	l->arg = arg;
	l->pend = xcalloc(ROOM_PENDING_MAX, sizeof *l->pend);
	l->pidx = xcalloc(ROOM_PENDING_MAX, sizeof *l->pidx);
	l->refused = xcalloc(ROOM_PENDING_MAX, sizeof *l->refused);
	return l;
}

void
room_log_free(struct room_log *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nmems; i++) {
		free(l->mems[i].adds);
		free(l->mems[i].ends);
		free(l->mems[i].evs);
	}
	for (i = 0; i < l->nevs; i++) {
		free(l->evs[i].vv);
		free(l->evs[i].raw);
	}
	for (i = 0; i < l->npend; i++)
		free(l->pend[i].raw);
	if (l->epochs != NULL)
		ident_wipe(l->epochs, l->nepochs * sizeof *l->epochs);
	free(l->epochs);
	free(l->mems);
	free(l->evs);
	free(l->map);
	free(l->heads);
	free(l->pend);
	free(l->pidx);
	free(l->refused);
	free(l);
}

/* --- lookups ------------------------------------------------------ */

static size_t
room_slot(const uint8_t id[ROOM_HASHLEN], size_t cap)
{
	return (size_t)util_be_get(id, 8) & (cap - 1);
}

long
room_find(const struct room_log *l, const uint8_t id[ROOM_HASHLEN])
{
	size_t i;

	if (l->mapcap == 0)
		return -1;
	for (i = room_slot(id, l->mapcap); l->map[i] != 0;
	     i = (i + 1) & (l->mapcap - 1))
		if (memcmp(l->evs[l->map[i] - 1].id, id, ROOM_HASHLEN) == 0)
			return (long)l->map[i] - 1;
	return -1;
}

static void
room_map_insert(uint32_t *map, size_t cap, const uint8_t *id, uint32_t idx)
{
	size_t i;

	for (i = room_slot(id, cap); map[i] != 0; i = (i + 1) & (cap - 1))
		;
	map[i] = idx + 1;
}

/* Index event idx (already in evs); the table stays at most half full. */
static void
room_map_put(struct room_log *l, uint32_t idx)
{
	size_t i, old = l->mapcap;
	uint32_t *om = l->map;

	if (2 * l->nevs > l->mapcap) {
		l->mapcap = old == 0 ? 64 : old * 2;
		l->map = xcalloc(l->mapcap, sizeof *l->map);
		for (i = 0; i < old; i++)
			if (om[i] != 0)
				room_map_insert(l->map, l->mapcap,
				    l->evs[om[i] - 1].id, om[i] - 1);
		free(om);
	}
	room_map_insert(l->map, l->mapcap, l->evs[idx].id, idx);
}

long
room_member_find(const struct room_log *l, const uint8_t e[ROOM_KEYLEN])
{
	size_t i;

	for (i = 0; i < l->nmems; i++)
		if (memcmp(l->mems[i].info.e, e, ROOM_KEYLEN) == 0)
			return (long)i;
	return -1;
}

static uint64_t
room_prefix(const uint8_t *p)
{
	return util_be_get(p, 8);
}

long
room_pend_find(const struct room_log *l, const uint8_t id[ROOM_HASHLEN])
{
	uint64_t k = room_prefix(id);
	size_t i;

	for (i = 0; i < l->npend; i++)
		if (l->pidx[i].id == k &&
		    memcmp(l->pend[i].ev.id, id, ROOM_HASHLEN) == 0)
			return (long)i;
	return -1;
}

/* Take p (and its raw) into the set, waiting for wait. */
static void
room_pend_add(struct room_log *l, const struct room_pend *p, uint64_t wait)
{
	struct room_pidx *x = &l->pidx[l->npend];

	l->pend[l->npend++] = *p;
	x->id = room_prefix(p->ev.id);
	x->wait = wait;
	x->seq = p->ev.seq;
	x->author = room_prefix(p->ev.author);
}

/* Drop entry i; the last takes its place (body points into raw, which
 * moves with it). */
static void
room_pend_del(struct room_log *l, size_t i)
{
	free(l->pend[i].raw);
	l->npend--;
	l->pend[i] = l->pend[l->npend];
	l->pidx[i] = l->pidx[l->npend];
}

static int
room_is_refused(const struct room_log *l, const uint8_t id[ROOM_HASHLEN])
{
	size_t i;

	for (i = 0; i < l->nrefused; i++)
		if (memcmp(l->refused[i], id, ROOM_HASHLEN) == 0)
			return 1;
	return 0;
}

static void
room_refuse(struct room_log *l, const uint8_t id[ROOM_HASHLEN])
{
	memcpy(l->refused[l->refused_next], id, ROOM_HASHLEN);
	l->refused_next = (l->refused_next + 1) % ROOM_PENDING_MAX;
	if (l->nrefused < ROOM_PENDING_MAX)
		l->nrefused++;
}

static struct room_epoch *
room_epoch_get(struct room_log *l, uint32_t epoch)
{
	size_t n = l->nepochs;

	if (epoch >= ROOM_EPOCHS_MAX)
		return NULL;
	if (epoch >= n) {
		l->nepochs = epoch + 1;
		l->epochs =
		    xreallocarray(l->epochs, l->nepochs, sizeof *l->epochs);
		memset(l->epochs + n, 0, (l->nepochs - n) * sizeof *l->epochs);
	}
	return &l->epochs[epoch];
}

static const struct room_epoch *
room_epoch_known(const struct room_log *l, uint32_t epoch)
{
	if (epoch >= l->nepochs || !l->epochs[epoch].has_key)
		return NULL;
	return &l->epochs[epoch];
}

/* --- causal pasts ------------------------------------------------- */

static uint64_t
room_vv_get(const uint64_t *vv, size_t n, uint32_t i)
{
	return i < n ? vv[i] : 0;
}

/* Is member m a member in the past vv? */
static int
room_member_in(
    const struct room_log *l, uint32_t m, const uint64_t *vv, size_t n)
{
	const struct room_mem *x = &l->mems[m];
	size_t i;
	int added = 0;

	for (i = 0; i < x->nadds && !added; i++)
		added = room_vv_get(vv, n, x->adds[i].author) >= x->adds[i].seq;
	for (i = 0; i < x->nends && added; i++)
		if (room_vv_get(vv, n, x->ends[i].author) >= x->ends[i].seq)
			return 0;
	return added;
}

static void
room_ref_add(struct room_ref **refs, size_t *n, uint32_t author, uint64_t seq)
{
	*refs = xreallocarray(*refs, *n + 1, sizeof **refs);
	(*refs)[*n].author = author;
	(*refs)[*n].seq = seq;
	(*n)++;
}

static size_t
room_active(const struct room_log *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->nmems; i++)
		n += !l->mems[i].ended;
	return n;
}

/* --- delivery ----------------------------------------------------- */

/* What validation learnt, for the commit. */
struct room_check {
	uint64_t *vv; /* the union of the parents' pasts */
	size_t nvv;
	uint32_t epoch_max;
	long author;
	long who; /* ADD: the member already known, or -1; REMOVE */
	struct room_body body;
	uint8_t *plain;
};

/* Open the body with its epoch's key and decode it. */
static int
room_open(const struct room_log *l, const struct room_pend *p,
    struct room_check *c, const char **why)
{
	const struct room_epoch *ep = room_epoch_known(l, p->ev.epoch);
	size_t n;

	c->plain = xmalloc(p->ev.bodylen);
	if (room_event_open(&p->ev, p->raw, ep->key, c->plain, &n) == -1) {
		*why = "room event does not open with its epoch key";
		return -1;
	}
	return room_body_decode(p->ev.kind, c->plain, n, &c->body, why);
}

/*
 * The rules for the first event. The room id binds the creator's key,
 * so a CREATE that decodes here is the creator's: if it does not open,
 * the epoch 0 key we were given is wrong; drop it and wait for another.
 */
static int
room_check_create(struct room_log *l, const struct room_pend *p,
    struct room_check *c, const char **why)
{
	uint8_t commit[ROOM_KEYLEN], id[ROOM_IDLEN];

	if (l->created) {
		*why = "a second room create";
		return TRY_REFUSED;
	}
	if (room_epoch_known(l, 0) == NULL) {
		*why = "waiting for the room key";
		return TRY_WAIT;
	}
	if (room_open(l, p, c, why) == -1) {
		if (c->body.kind == ROOM_CREATE)
			return TRY_REFUSED; /* opened, but malformed */
		ident_wipe(l->epochs[0].key, ROOM_KEYLEN);
		l->epochs[0].has_key = 0;
		*why = "the room key does not open the create";
		return TRY_WAIT;
	}
	room_id_derive(p->ev.author, c->body.salt, id);
	if (memcmp(id, l->room, ROOM_IDLEN) != 0) {
		*why = "the room id is not its creator's";
		return TRY_REFUSED;
	}
	room_key_commit(l->room, 0, l->epochs[0].key, commit);
	if (!ident_mem_equal(commit, c->body.commit, ROOM_KEYLEN)) {
		*why = "the room key does not match its create";
		return TRY_REFUSED;
	}
	c->author = -1;
	return TRY_DELIVERED;
}

/* The rules of each kind, once the body is open. */
static int
room_check_kind(struct room_log *l, const struct room_pend *p,
    struct room_check *c, const char **why)
{
	const struct room_body *b = &c->body;
	size_t i;

	c->who = -1;
	switch (p->ev.kind) {
	case ROOM_ADD:
		c->who = room_member_find(l, b->member.e);
		if (c->who >= 0) {
			if (l->mems[c->who].ended) {
				*why = "a removed member added again";
				return -1;
			}
			return 0; /* a concurrent second ADD */
		}
		for (i = 0; i < l->nmems; i++)
			if (memcmp(l->mems[i].info.e, b->member.e,
			        ROOM_PREFIXLEN) == 0) {
				*why = "a member key prefix collides";
				return -1;
			}
		if (l->nmems >= ROOM_KEYS_MAX ||
		    room_active(l) >= ROOM_MEMBERS_MAX) {
			*why = "the room is full";
			return -1;
		}
		return 0;
	case ROOM_LEAVE:
		if ((uint32_t)c->author == l->creator) {
			*why = "the creator cannot leave";
			return -1;
		}
		return 0;
	case ROOM_REMOVE:
		if ((uint32_t)c->author != l->creator) {
			*why = "only the creator may remove";
			return -1;
		}
		c->who = room_member_find(l, b->who);
		if (c->who < 0 || (uint32_t)c->who == l->creator ||
		    !room_member_in(l, (uint32_t)c->who, c->vv, c->nvv) ||
		    room_vv_get(c->vv, c->nvv, (uint32_t)c->who) != b->last) {
			*why = "bad room remove";
			return -1;
		}
		return 0;
	case ROOM_REKEY:
		if ((uint32_t)c->author != l->creator) {
			*why = "only the creator may rekey";
			return -1;
		}
		if (b->epoch != p->ev.epoch + 1 ||
		    b->epoch >= ROOM_EPOCHS_MAX) {
			*why = "bad room rekey epoch";
			return -1;
		}
		return 0;
	case ROOM_CREATE:
		*why = "a second room create";
		return -1;
	default:
		return 0;
	}
}

/* Everything but the kind: parents, author, counters, epoch. */
static int
room_check(struct room_log *l, const struct room_pend *p, struct room_check *c,
    const char **why)
{
	const struct room_ev *pe;
	uint64_t lamport = 0;
	size_t i, j;
	long k;

	c->epoch_max = 0;
	for (i = 0; i < p->ev.nparents; i++) {
		pe = &l->evs[room_find(l, p->ev.parents[i])];
		if (pe->lamport > lamport)
			lamport = pe->lamport;
		if (pe->epoch_max > c->epoch_max)
			c->epoch_max = pe->epoch_max;
		if (pe->nvv > c->nvv) {
			c->vv = xreallocarray(c->vv, pe->nvv, sizeof *c->vv);
			memset(c->vv + c->nvv, 0,
			    (pe->nvv - c->nvv) * sizeof *c->vv);
			c->nvv = pe->nvv;
		}
		for (j = 0; j < pe->nvv; j++)
			if (pe->vv[j] > c->vv[j])
				c->vv[j] = pe->vv[j];
	}
	if (p->ev.lamport != lamport + 1) {
		*why = "bad room event lamport";
		return TRY_REFUSED;
	}
	if (p->ev.epoch != c->epoch_max) {
		*why = "room event not in the newest epoch of its past";
		return TRY_REFUSED;
	}
	if ((k = room_member_find(l, p->ev.author)) < 0 ||
	    !room_member_in(l, (uint32_t)k, c->vv, c->nvv)) {
		*why = "room event author is not a member";
		return TRY_REFUSED;
	}
	c->author = k;
	if (room_vv_get(c->vv, c->nvv, (uint32_t)k) != p->ev.seq - 1 ||
	    l->mems[k].seq != p->ev.seq - 1) {
		*why = "room event is not its author's next";
		return TRY_REFUSED;
	}
	if (room_epoch_known(l, p->ev.epoch) == NULL) {
		*why = "waiting for the room key";
		return TRY_WAIT;
	}
	if (room_open(l, p, c, why) == -1 ||
	    room_check_kind(l, p, c, why) == -1)
		return TRY_REFUSED;
	return TRY_DELIVERED;
}

static uint32_t
room_member_new(
    struct room_log *l, const struct room_member_info *info, const uint8_t *e)
{
	struct room_mem *m;

	l->mems = xreallocarray(l->mems, l->nmems + 1, sizeof *l->mems);
	m = &l->mems[l->nmems];
	memset(m, 0, sizeof *m);
	m->info = *info;
	if (e != NULL)
		memcpy(m->info.e, e, ROOM_KEYLEN);
	return (uint32_t)l->nmems++;
}

/* Apply a validated event to the state. */
static void
room_commit(struct room_log *l, struct room_pend *p, struct room_check *c)
{
	const struct room_body *b = &c->body;
	struct room_ev *e;
	struct room_mem *m;
	struct room_epoch *ep;
	uint32_t idx = (uint32_t)l->nevs, a;
	size_t i, j;

	if (p->ev.kind == ROOM_CREATE) {
		a = room_member_new(l, &b->member, p->ev.author);
		room_ref_add(&l->mems[a].adds, &l->mems[a].nadds, a, 1);
		l->created = 1;
		l->creator = a;
		memcpy(l->name, b->name, sizeof l->name);
		l->flags = b->flags;
		l->epochs[0].has_commit = 1;
		memcpy(l->epochs[0].commit, b->commit, ROOM_KEYLEN);
	} else
		a = (uint32_t)c->author;
	if (p->ev.kind == ROOM_ADD) {
		if (c->who < 0)
			c->who = room_member_new(l, &b->member, NULL);
		m = &l->mems[c->who];
		room_ref_add(&m->adds, &m->nadds, a, p->ev.seq);
	}

	if (l->nevs == l->capevs) {
		l->capevs = l->capevs == 0 ? 64 : l->capevs * 2;
		l->evs = xreallocarray(l->evs, l->capevs, sizeof *l->evs);
	}
	e = &l->evs[l->nevs++];
	memcpy(e->id, p->ev.id, ROOM_HASHLEN);
	e->author = a;
	e->seq = p->ev.seq;
	e->lamport = p->ev.lamport;
	e->epoch_max = c->epoch_max;
	e->nvv = c->nvv > a ? c->nvv : a + 1;
	e->vv = xcalloc(e->nvv, sizeof *e->vv);
	if (c->nvv != 0)
		memcpy(e->vv, c->vv, c->nvv * sizeof *e->vv);
	e->vv[a] = p->ev.seq;
	e->raw = p->raw;
	e->len = p->len;
	p->raw = NULL;
	room_map_put(l, idx);

	m = &l->mems[a];
	if (m->seq == m->capevs) {
		m->capevs = m->capevs == 0 ? 16 : m->capevs * 2;
		m->evs = xreallocarray(m->evs, m->capevs, sizeof *m->evs);
	}
	m->evs[m->seq++] = idx;

	/* Heads: the parents stop being heads, the event is one. */
	for (i = 0; i < p->ev.nparents; i++)
		for (j = 0; j < l->nheads; j++)
			if (memcmp(l->evs[l->heads[j]].id, p->ev.parents[i],
			        ROOM_HASHLEN) == 0) {
				l->heads[j] = l->heads[--l->nheads];
				break;
			}
	if (l->nheads == l->capheads) {
		l->capheads = l->capheads == 0 ? 8 : l->capheads * 2;
		l->heads =
		    xreallocarray(l->heads, l->capheads, sizeof *l->heads);
	}
	l->heads[l->nheads++] = idx;

	switch (p->ev.kind) {
	case ROOM_LEAVE:
	case ROOM_REMOVE:
		m = &l->mems[p->ev.kind == ROOM_LEAVE ? a : (uint32_t)c->who];
		room_ref_add(&m->ends, &m->nends, a, p->ev.seq);
		if (!m->ended || m->end_epoch > p->ev.epoch) {
			m->cutoff =
			    p->ev.kind == ROOM_LEAVE ? p->ev.seq : b->last;
			m->end_epoch = p->ev.epoch;
		}
		m->ended = 1;
		break;
	case ROOM_REKEY:
		ep = room_epoch_get(l, b->epoch);
		ep->has_commit = 1;
		memcpy(ep->commit, b->commit, ROOM_KEYLEN);
		if (ep->has_key) {
			uint8_t k[ROOM_KEYLEN];

			room_key_commit(l->room, b->epoch, ep->key, k);
			if (!ident_mem_equal(k, ep->commit, ROOM_KEYLEN)) {
				ident_wipe(ep->key, sizeof ep->key);
				ep->has_key = 0;
			}
		}
		e->epoch_max = b->epoch;
		break;
	default:
		break;
	}
	if (e->epoch_max > l->epoch_max)
		l->epoch_max = e->epoch_max;
}

/* Try to deliver p: its parents must all be delivered. If it must
 * wait, *wait is the prefix of what for (0: a key). */
static int
room_try(struct room_log *l, struct room_pend *p, uint64_t *wait,
    const char **why, char **cause)
{
	struct room_check c;
	size_t i;
	int r;

	*wait = 0;
	for (i = 0; i < p->ev.nparents; i++) {
		if (room_is_refused(l, p->ev.parents[i])) {
			*why = "room event descends from a refused event";
			return TRY_REFUSED;
		}
		if (room_find(l, p->ev.parents[i]) < 0) {
			*wait = room_prefix(p->ev.parents[i]);
			*why = "waiting for its parents";
			return TRY_WAIT;
		}
	}
	memset(&c, 0, sizeof c);
	if (p->ev.kind == ROOM_CREATE)
		r = room_check_create(l, p, &c, why);
	else
		r = room_check(l, p, &c, why);
	if (r == TRY_DELIVERED && !l->loading &&
	    l->ops->deliver(l->arg, &p->ev, p->raw, p->len, &c.body, cause) ==
	        -1)
		r = TRY_ERROR;
	if (r == TRY_DELIVERED)
		room_commit(l, p, &c);
	free(c.vv);
	if (c.plain != NULL) {
		ident_wipe(c.plain, p->ev.bodylen);
		free(c.plain);
	}
	return r;
}

/*
 * After event id was delivered or refused, retry what waits for it,
 * then for what that delivered or refused, and so on; with id NULL (a
 * new key), retry everything once first.
 */
static int
room_drain(struct room_log *l, const uint8_t *id, char **cause)
{
	uint64_t *q = NULL, d = 0, wait;
	size_t nq = 0, i;
	const char *why;
	int t, all = id == NULL, err = 0;

	if (id != NULL) {
		q = xreallocarray(NULL, 1, sizeof *q);
		q[nq++] = room_prefix(id);
	}
	while (!err && (all || nq > 0)) {
		if (!all)
			d = q[--nq];
		for (i = 0; i < l->npend && !err; i++) {
			if (!all && l->pidx[i].wait != d)
				continue;
			t = room_try(l, &l->pend[i], &wait, &why, cause);
			if (t == TRY_ERROR)
				err = 1;
			if (t == TRY_WAIT)
				l->pidx[i].wait = wait;
			if (t != TRY_DELIVERED && t != TRY_REFUSED)
				continue;
			if (t == TRY_REFUSED)
				room_refuse(l, l->pend[i].ev.id);
			q = xreallocarray(q, nq + 1, sizeof *q);
			q[nq++] = l->pidx[i].id;
			room_pend_del(l, i--);
		}
		all = 0;
	}
	free(q);
	return err ? -1 : 0;
}

/* Is e a second event for an (author, seq) already taken? The first
 * event's id, or NULL. */
static const uint8_t *
room_taken(const struct room_log *l, const struct room_event *ev)
{
	long m = room_member_find(l, ev->author);
	size_t i;

	if (m >= 0 && ev->seq <= l->mems[m].seq)
		return l->evs[l->mems[m].evs[ev->seq - 1]].id;
	for (i = 0; i < l->npend; i++)
		if (l->pidx[i].seq == ev->seq &&
		    l->pidx[i].author == room_prefix(ev->author) &&
		    memcmp(l->pend[i].ev.author, ev->author, ROOM_KEYLEN) == 0)
			return l->pend[i].ev.id;
	return NULL;
}

int
room_log_receive(struct room_log *l, const uint8_t *raw, size_t len, int load,
    enum room_rx *rx, const char **why, char **cause)
{
	struct room_pend p;
	uint64_t wait;
	const uint8_t *first;
	long m;
	int r;

	*cause = NULL;
	*why = NULL;
	*rx = ROOM_RX_REFUSED;
	/* A copy of what we hold costs a hash, not a signature check. */
	if (len >= ROOM_EVENT_MIN && len <= ROOM_EVENT_MAX) {
		room_event_hash(raw, len, p.ev.id);
		if (room_find(l, p.ev.id) >= 0 ||
		    room_pend_find(l, p.ev.id) >= 0) {
			*rx = ROOM_RX_DUPLICATE;
			return 0;
		}
	}
	if ((load ? room_event_parse(raw, len, &p.ev, why)
	          : room_event_decode(raw, len, &p.ev, why)) == -1)
		return 0;
	if (memcmp(p.ev.room, l->room, ROOM_IDLEN) != 0) {
		*why = "room event for another room";
		return 0;
	}
	if (room_find(l, p.ev.id) >= 0 || room_pend_find(l, p.ev.id) >= 0) {
		*rx = ROOM_RX_DUPLICATE;
		return 0;
	}
	if (room_is_refused(l, p.ev.id)) {
		*why = "room event refused before";
		return 0;
	}
	if ((first = room_taken(l, &p.ev)) != NULL) {
		if ((m = room_member_find(l, p.ev.author)) >= 0)
			l->mems[m].flagged = 1;
		if (l->ops->equivocation != NULL)
			l->ops->equivocation(l->arg, &p.ev, raw, len, first);
		*rx = ROOM_RX_EQUIVOCATION;
		*why = "two room events with one author and seq";
		return 0;
	}
	m = room_member_find(l, p.ev.author);
	if (m >= 0 && l->mems[m].ended && p.ev.seq > l->mems[m].cutoff) {
		*why = "room event after its author left or was removed";
		return 0;
	}

	p.raw = xmalloc(len);
	memcpy(p.raw, raw, len);
	p.len = len;
	p.ev.body = p.raw + p.ev.hdrlen;
	l->loading = load;
	r = room_try(l, &p, &wait, why, cause);
	if (r == TRY_WAIT && l->npend == ROOM_PENDING_MAX) {
		*rx = ROOM_RX_FULL;
		*why = "too many room events waiting";
	} else if (r == TRY_WAIT) {
		room_pend_add(l, &p, wait);
		*rx = ROOM_RX_PENDING;
		p.raw = NULL;
	} else if (r == TRY_REFUSED)
		room_refuse(l, p.ev.id);
	free(p.raw);
	if (r == TRY_DELIVERED) {
		*rx = ROOM_RX_DELIVERED;
		*why = NULL;
	}
	/* What waited for it may go now (or be refused with it). */
	if ((r == TRY_DELIVERED || r == TRY_REFUSED) &&
	    room_drain(l, p.ev.id, cause) == -1)
		r = TRY_ERROR;
	l->loading = 0;
	return r == TRY_ERROR ? -1 : 0;
}

/* --- writing ------------------------------------------------------ */

/* Heads in the order they are taken as parents: first one that has our
 * last event in its past, then one from the newest epoch, then by
 * lamport, newest first. */
static const struct room_log *room_sort_log;

static int
room_head_cmp(const void *a, const void *b)
{
	const struct room_ev *x = &room_sort_log->evs[*(const uint32_t *)a];
	const struct room_ev *y = &room_sort_log->evs[*(const uint32_t *)b];

	if (x->epoch_max != y->epoch_max)
		return x->epoch_max > y->epoch_max ? -1 : 1;
	if (x->lamport != y->lamport)
		return x->lamport > y->lamport ? -1 : 1;
	return memcmp(x->id, y->id, ROOM_HASHLEN);
}

static int
room_id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, ROOM_HASHLEN);
}

/* Choose the parents of our next event (author a). */
static void
room_parents(struct room_log *l, uint32_t a, struct room_event *ev)
{
	uint32_t *h = xreallocarray(NULL, l->nheads, sizeof *h), t;
	uint64_t mine = l->mems[a].seq;
	size_t i, n;

	memcpy(h, l->heads, l->nheads * sizeof *h);
	room_sort_log = l;
	qsort(h, l->nheads, sizeof *h, room_head_cmp);
	for (i = 0; i < l->nheads && mine != 0; i++) {
		if (room_vv_get(l->evs[h[i]].vv, l->evs[h[i]].nvv, a) == mine) {
			t = h[i];
			memmove(h + 1, h, i * sizeof *h);
			h[0] = t;
			break;
		}
	}
	n = l->nheads < ROOM_PARENTS_MAX ? l->nheads : ROOM_PARENTS_MAX;
	for (i = 0; i < n; i++)
		memcpy(ev->parents[i], l->evs[h[i]].id, ROOM_HASHLEN);
	qsort(ev->parents, n, ROOM_HASHLEN, room_id_cmp);
	ev->nparents = (uint8_t)n;
	free(h);
}

int
room_log_write(struct room_log *l, const struct room_body *body,
    int64_t time_ms, const uint8_t sk[ROOM_SKLEN], uint8_t *out, size_t cap,
    size_t *len, char **cause)
{
	struct room_event ev;
	struct room_body b = *body;
	const struct room_epoch *ep;
	uint8_t *plain;
	size_t n, i;
	uint64_t lamport = 0;
	enum room_rx rx;
	const char *why;
	long a = -1;

	*cause = NULL;
	memset(&ev, 0, sizeof ev);
	if (!l->has_me) {
		*cause = xstrdup("no room key of our own");
		return -1;
	}
	if (b.kind == ROOM_CREATE) {
		ev.seq = ev.lamport = 1;
		if (l->created) {
			*cause = xstrdup("the room exists");
			return -1;
		}
	} else {
		if (!l->created || (a = room_member_find(l, l->me)) < 0 ||
		    l->mems[a].ended) {
			*cause = xstrdup("we are not a member of the room");
			return -1;
		}
		room_parents(l, (uint32_t)a, &ev);
		for (i = 0; i < ev.nparents; i++) {
			const struct room_ev *pe =
			    &l->evs[room_find(l, ev.parents[i])];

			if (pe->lamport > lamport)
				lamport = pe->lamport;
			if (pe->epoch_max > ev.epoch)
				ev.epoch = pe->epoch_max;
		}
		ev.seq = l->mems[a].seq + 1;
		ev.lamport = lamport + 1;
	}
	if ((ep = room_epoch_known(l, ev.epoch)) == NULL) {
		*cause = xasprintf("no key for room epoch %u", ev.epoch);
		return -1;
	}
	if (b.kind == ROOM_CREATE)
		room_key_commit(l->room, 0, ep->key, b.commit);
	else if (b.kind == ROOM_REKEY) {
		const struct room_epoch *next = room_epoch_known(l, b.epoch);

		if (next == NULL) {
			*cause = xstrdup("add the new room key first");
			return -1;
		}
		room_key_commit(l->room, b.epoch, next->key, b.commit);
	}
	ev.kind = b.kind;
	memcpy(ev.room, l->room, ROOM_IDLEN);
	memcpy(ev.author, l->me, ROOM_KEYLEN);
	ev.time_ms = time_ms;
	plain = xmalloc(ROOM_PLAIN_MAX);
	if (room_body_encode(&b, plain, ROOM_PLAIN_MAX, &n) == -1) {
		free(plain);
		*cause = xstrdup("invalid room event");
		return -1;
	}
	*len = room_event_encode(&ev, plain, n, ep->key, sk, NULL, out, cap);
	ident_wipe(plain, n);
	free(plain);
	if (*len == 0) {
		*cause = xstrdup("room event too long");
		return -1;
	}
	if (room_log_receive(l, out, *len, 0, &rx, &why, cause) == -1)
		return -1;
	if (rx != ROOM_RX_DELIVERED) {
		*cause = xasprintf("our room event was not delivered: %s",
		    why != NULL ? why : "?");
		return -1;
	}
	return 0;
}

/* --- keys --------------------------------------------------------- */

int
room_log_add_key(struct room_log *l, uint32_t epoch,
    const uint8_t key[ROOM_KEYLEN], char **cause)
{
	struct room_epoch *ep;
	uint8_t commit[ROOM_KEYLEN];

	*cause = NULL;
	if ((ep = room_epoch_get(l, epoch)) == NULL) {
		*cause = xasprintf("room epoch %u out of range", epoch);
		return -1;
	}
	if (ep->has_commit) {
		room_key_commit(l->room, epoch, key, commit);
		if (!ident_mem_equal(commit, ep->commit, ROOM_KEYLEN)) {
			*cause = xasprintf(
			    "the key for room epoch %u does not match", epoch);
			return -1;
		}
	}
	if (ep->has_key && ident_mem_equal(ep->key, key, ROOM_KEYLEN))
		return 0;
	memcpy(ep->key, key, ROOM_KEYLEN);
	ep->has_key = 1;
	if (l->ops->key != NULL)
		l->ops->key(l->arg, epoch, key);
	return room_drain(l, NULL, cause);
}

int
room_log_key(const struct room_log *l, uint32_t epoch, uint8_t key[ROOM_KEYLEN])
{
	const struct room_epoch *ep = room_epoch_known(l, epoch);

	if (ep == NULL)
		return -1;
	memcpy(key, ep->key, ROOM_KEYLEN);
	return 0;
}

uint32_t
room_log_epoch(const struct room_log *l)
{
	return l->epoch_max;
}

int
room_log_key_allowed(
    const struct room_log *l, const uint8_t e[ROOM_KEYLEN], uint32_t epoch)
{
	long m = room_member_find(l, e);

	if (m < 0)
		return 0;
	if (l->mems[m].ended)
		return epoch <= l->mems[m].end_epoch;
	return 1;
}
