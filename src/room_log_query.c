/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Reading a room's log: what is missing, version vectors, the events
 * beyond a version vector and the whole history in (lamport, id)
 * order, heads, single events, members and MEMBER statements. Nothing
 * here changes the log (room_log.c does).
 */
#include <stdlib.h>
#include <string.h>

#include "room_log.h"
#include "room_log_int.h"
#include "xmalloc.h"

size_t
room_log_missing(
    const struct room_log *l, uint8_t (*ids)[ROOM_HASHLEN], size_t max)
{
	size_t i, j, k, n = 0;
	const uint8_t *id;

	for (i = 0; i < l->npend && n < max; i++) {
		for (j = 0; j < l->pend[i].ev.nparents && n < max; j++) {
			id = l->pend[i].ev.parents[j];
			if (room_find(l, id) >= 0 || room_pend_find(l, id) >= 0)
				continue;
			for (k = 0; k < n; k++)
				if (memcmp(ids[k], id, ROOM_HASHLEN) == 0)
					break;
			if (k == n)
				memcpy(ids[n++], id, ROOM_HASHLEN);
		}
	}
	return n;
}

size_t
room_log_pending(const struct room_log *l)
{
	return l->npend;
}

static int
room_vv_cmp(const void *a, const void *b)
{
	return memcmp(((const struct room_vv *)a)->prefix,
	    ((const struct room_vv *)b)->prefix, ROOM_PREFIXLEN);
}

size_t
room_log_vv(const struct room_log *l, struct room_vv *v, size_t max)
{
	struct room_vv *all = xcalloc(l->nmems + 1, sizeof *all);
	size_t i, n = 0;

	for (i = 0; i < l->nmems; i++) {
		if (l->mems[i].seq == 0)
			continue;
		memcpy(all[n].prefix, l->mems[i].info.e, ROOM_PREFIXLEN);
		all[n++].seq = l->mems[i].seq;
	}
	qsort(all, n, sizeof *all, room_vv_cmp);
	if (n > max)
		n = max;
	memcpy(v, all, n * sizeof *v);
	free(all);
	return n;
}

/* The log room_order_cmp() sorts indexes of (qsort has no argument). */
static const struct room_log *room_order_log;

static int
room_order_cmp(const void *a, const void *b)
{
	const struct room_ev *x = &room_order_log->evs[*(const uint32_t *)a];
	const struct room_ev *y = &room_order_log->evs[*(const uint32_t *)b];

	if (x->lamport != y->lamport)
		return x->lamport < y->lamport ? -1 : 1;
	return memcmp(x->id, y->id, ROOM_HASHLEN);
}

/* Events of member i above from[i] (NULL: all), in (lamport, id)
 * order, to cb. */
static int
room_walk(
    const struct room_log *l, const uint64_t *from, room_log_cb cb, void *arg)
{
	uint32_t *idx = xreallocarray(NULL, l->nevs + 1, sizeof *idx);
	struct room_event ev;
	const struct room_ev *e;
	const char *why;
	size_t i, n = 0;
	int r = 0;

	for (i = 0; i < l->nevs; i++)
		if (from == NULL || l->evs[i].seq > from[l->evs[i].author])
			idx[n++] = (uint32_t)i;
	room_order_log = l;
	qsort(idx, n, sizeof *idx, room_order_cmp);
	for (i = 0; i < n && r == 0; i++) {
		e = &l->evs[idx[i]];
		if (room_event_decode(e->raw, e->len, &ev, &why) == -1)
			continue; /* cannot happen: it was decoded before */
		r = cb(arg, e->raw, e->len, &ev);
	}
	free(idx);
	return r;
}

int
room_log_since(const struct room_log *l, const struct room_vv *v, size_t n,
    room_log_cb cb, void *arg)
{
	uint64_t *from = xcalloc(l->nmems + 1, sizeof *from);
	size_t i, j;
	int r;

	for (i = 0; i < l->nmems; i++)
		for (j = 0; j < n; j++)
			if (memcmp(v[j].prefix, l->mems[i].info.e,
			        ROOM_PREFIXLEN) == 0)
				from[i] = v[j].seq;
	r = room_walk(l, from, cb, arg);
	free(from);
	return r;
}

int
room_log_history(const struct room_log *l, room_log_cb cb, void *arg)
{
	return room_walk(l, NULL, cb, arg);
}

size_t
room_log_heads(
    const struct room_log *l, uint8_t (*ids)[ROOM_HASHLEN], size_t max)
{
	size_t i;

	for (i = 0; i < l->nheads && i < max; i++)
		memcpy(ids[i], l->evs[l->heads[i]].id, ROOM_HASHLEN);
	return l->nheads;
}

size_t
room_log_count(const struct room_log *l)
{
	return l->nevs;
}

int
room_log_has(const struct room_log *l, const uint8_t id[ROOM_HASHLEN])
{
	return room_find(l, id) >= 0;
}

int
room_log_member(const struct room_log *l, size_t i, struct room_member_view *v)
{
	const struct room_mem *m;

	if (i >= l->nmems)
		return -1;
	m = &l->mems[i];
	v->info = &m->info;
	v->active = !m->ended;
	v->creator = l->created && i == l->creator;
	v->flagged = m->flagged;
	v->seq = m->seq;
	return 0;
}

int
room_log_get(const struct room_log *l, const uint8_t id[ROOM_HASHLEN],
    const uint8_t **raw, size_t *len)
{
	long i = room_find(l, id);

	if (i < 0)
		return -1;
	*raw = l->evs[i].raw;
	*len = l->evs[i].len;
	return 0;
}

int
room_log_check_member(const struct room_log *l,
    const uint8_t noise[ROOM_KEYLEN], const uint8_t e[ROOM_KEYLEN])
{
	const struct room_member_info *m;
	int found = 0;
	size_t i;

	for (i = 0; i < l->nmems; i++) {
		m = &l->mems[i].info;
		if (memcmp(m->e, e, ROOM_KEYLEN) == 0) {
			if (memcmp(m->noise, noise, ROOM_KEYLEN) != 0)
				return -1;
			found = 1;
		} else if (memcmp(m->noise, noise, ROOM_KEYLEN) == 0 &&
		    !l->mems[i].ended)
			return -1;
	}
	return found;
}

void
room_log_room(const struct room_log *l, uint8_t room[ROOM_IDLEN])
{
	memcpy(room, l->room, ROOM_IDLEN);
}

int
room_log_creator(const struct room_log *l, uint8_t e[ROOM_KEYLEN])
{
	if (!l->created)
		return -1;
	memcpy(e, l->mems[l->creator].info.e, ROOM_KEYLEN);
	return 0;
}

const char *
room_log_name(const struct room_log *l, uint8_t *flags)
{
	if (!l->created)
		return NULL;
	if (flags != NULL)
		*flags = l->flags;
	return l->name;
}
