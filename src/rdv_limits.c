/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rendezvous server's limit records (rdv_limits.h). A record is in a
 * tsearch tree by its id while it exists; while nobody uses it, it is
 * also on the idle queue, in the order it fell idle. Expiry needs no
 * timer: each rdv_lim_get() first forgets the records at the head of
 * the queue that have been idle for RDV_LIM_KEEP_MS, and rdv_lim_put()
 * forgets the oldest once more than max_idle are idle. So memory is
 * bounded by the connections open plus max_idle records of each kind,
 * and what a flood of fresh addresses or keys can take from the limits
 * is only the records of the longest idle ones.
 */
#include <search.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "rdv_limits.h"
#include "xmalloc.h"

static int
rdv_lim_cmp(const void *a, const void *b)
{
	return memcmp(((const struct rdv_lim *)a)->id,
	    ((const struct rdv_lim *)b)->id, RDV_LIM_IDLEN);
}

void
rdv_lims_init(struct rdv_lims *ls, size_t max_idle)
{
	memset(ls, 0, sizeof *ls);
	TAILQ_INIT(&ls->idle);
	ls->max_idle = max_idle;
}

static void
rdv_lim_forget(struct rdv_lims *ls, struct rdv_lim *l)
{
	TAILQ_REMOVE(&ls->idle, l, idle);
	ls->nidle--;
	tdelete(l, &ls->tree, rdv_lim_cmp);
	free(l);
}

static void
rdv_lims_expire(struct rdv_lims *ls)
{
	uint64_t now = loop_now_ms();
	struct rdv_lim *l;

	while ((l = TAILQ_FIRST(&ls->idle)) != NULL &&
	    now - l->idle_since >= RDV_LIM_KEEP_MS)
		rdv_lim_forget(ls, l);
}

struct rdv_lim *
rdv_lim_find(struct rdv_lims *ls, const uint8_t *id, size_t len)
{
	struct rdv_lim probe, **slot;

	memset(probe.id, 0, sizeof probe.id);
	memcpy(probe.id, id, len < RDV_LIM_IDLEN ? len : RDV_LIM_IDLEN);
	slot = tfind(&probe, &ls->tree, rdv_lim_cmp);
	return slot != NULL ? *slot : NULL;
}

struct rdv_lim *
rdv_lim_get(struct rdv_lims *ls, const uint8_t *id, size_t len)
{
	struct rdv_lim *l;

	rdv_lims_expire(ls);
	if ((l = rdv_lim_find(ls, id, len)) == NULL) {
		l = xcalloc(1, sizeof *l);
		memcpy(l->id, id, len < RDV_LIM_IDLEN ? len : RDV_LIM_IDLEN);
		if (tsearch(l, &ls->tree, rdv_lim_cmp) == NULL)
			fatal("tsearch: out of memory");
	} else if (l->users == 0) {
		TAILQ_REMOVE(&ls->idle, l, idle);
		ls->nidle--;
	}
	l->users++;
	return l;
}

void
rdv_lim_put(struct rdv_lims *ls, struct rdv_lim *l)
{
	if (l == NULL || --l->users > 0)
		return;
	l->idle_since = loop_now_ms();
	TAILQ_INSERT_TAIL(&ls->idle, l, idle);
	ls->nidle++;
	if (ls->nidle > ls->max_idle)
		rdv_lim_forget(ls, TAILQ_FIRST(&ls->idle));
}

static void
rdv_lim_free_node(void *p)
{
	free(p);
}

void
rdv_lims_free(struct rdv_lims *ls)
{
	tdestroy(ls->tree, rdv_lim_free_node);
	rdv_lims_init(ls, ls->max_idle);
}
