/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Piece and peer choice for a swarm download, and an uploader's slots
 * (swarm_pick.h). State per leaf: held, the requests outstanding (at
 * most SWARM_PICK_COPIES, each with its holder and when it was made) and
 * how many usable holders have it; per holder: its bitmap, whether it
 * was dropped, its outstanding leaves and bytes, its measured rate.
 *
 * Invariants: a leaf has at most one request per holder; nout and
 * outbytes of a holder are the sum over its outstanding requests; avail
 * of a leaf counts the holders not dropped whose bitmap has it; a second
 * request of a leaf is made only in the endgame, when no missing leaf
 * is without a request.
 *
 * Choosing costs O(leaves + holders) per request, which for the files
 * the swarm is for (a 5 GiB file is 20,480 leaves) is well below the cost
 * of hashing the leaf; the memory is about 40 bytes per leaf plus a bit
 * per leaf per holder. The caller must refuse files it has no room for
 * before it makes a picker, since the leaf count comes from the network.
 */
#include <stdlib.h>
#include <string.h>

#include "swarm_pick.h"
#include "xmalloc.h"

#define SP_LEAF (256 * 1024)

struct sp_leaf {
	uint64_t at[SWARM_PICK_COPIES]; /* when each request was made */
	int32_t who[SWARM_PICK_COPIES]; /* holder of each; -1 if none */
	uint16_t avail; /* usable holders with it */
	uint8_t held;
	uint8_t nreq;
};

struct sp_holder {
	const void *id;
	uint8_t *bits; /* leaves it has, as far as we know */
	int dropped; /* sent a bad leaf */
	size_t nout; /* leaves asked of it, outstanding */
	uint64_t outbytes;
	double rate; /* bytes per second; 0 until measured */
	size_t window; /* leaves it may have outstanding */
	uint64_t last_ms; /* its last leaf arrived */
	uint64_t busy_until; /* said busy: not asked before */
};

struct swarm_pick {
	uint64_t size, count, nheld, nasked; /* nasked: leaves with a request */
	struct sp_leaf *leaf;
	struct sp_holder *h;
	size_t nh;
	uint64_t rng;
};

/* xorshift64*: repeatable with a seed, and good enough for choosing. */
static uint64_t
sp_random(struct swarm_pick *sp, uint64_t n)
{
	sp->rng ^= sp->rng >> 12;
	sp->rng ^= sp->rng << 25;
	sp->rng ^= sp->rng >> 27;
	return (sp->rng * UINT64_C(2685821657736338717)) % n;
}

static size_t
sp_len(const struct swarm_pick *sp, uint64_t i)
{
	return i + 1 < sp->count ? SP_LEAF : (size_t)(sp->size - i * SP_LEAF);
}

static int
sp_bit(const uint8_t *bits, uint64_t i)
{
	return (bits[i / 8] >> (i % 8)) & 1;
}

struct swarm_pick *
swarm_pick_create(uint64_t size, const uint8_t *have, uint64_t seed)
{
	struct swarm_pick *sp = xcalloc(1, sizeof *sp);
	uint64_t i;

	sp->size = size;
	sp->count = size / SP_LEAF + (size % SP_LEAF != 0);
	sp->leaf = xcalloc((size_t)sp->count + 1, sizeof *sp->leaf);
	for (i = 0; i < sp->count; i++) {
		sp->leaf[i].who[0] = sp->leaf[i].who[1] = -1;
		if (have != NULL && sp_bit(have, i)) {
			sp->leaf[i].held = 1;
			sp->nheld++;
		}
	}
	sp->rng = seed != 0 ? seed : UINT64_C(0x9e3779b97f4a7c15);
	return sp;
}

void
swarm_pick_free(struct swarm_pick *sp)
{
	size_t i;

	if (sp == NULL)
		return;
	for (i = 0; i < sp->nh; i++)
		free(sp->h[i].bits);
	free(sp->h);
	free(sp->leaf);
	free(sp);
}

/* The holder named id, or -1. */
static int32_t
sp_find(const struct swarm_pick *sp, const void *id)
{
	size_t i;

	for (i = 0; i < sp->nh; i++) {
		if (sp->h[i].id == id)
			return (int32_t)i;
	}
	return -1;
}

/*
 * The window a holder's rate earns: what it sends in SWARM_PICK_WINDOW_MS,
 * rounded up, at least 2 and at most SWARM_PICK_OUTSTANDING leaves. A
 * deep queue with a slow holder would leave nothing for a faster one
 * that answers a moment later.
 */
static size_t
sp_window_for(double rate)
{
	double n = rate * SWARM_PICK_WINDOW_MS / 1000.0 / SP_LEAF;

	return n >= SWARM_PICK_OUTSTANDING ? SWARM_PICK_OUTSTANDING
	    : n <= 2                       ? 2
	                                   : (size_t)n + (n > (size_t)n);
}

/* The holder named id, added if new. */
static int32_t
sp_holder(struct swarm_pick *sp, const void *id)
{
	int32_t k = sp_find(sp, id);

	if (k != -1)
		return k;
	sp->h = xreallocarray(sp->h, sp->nh + 1, sizeof *sp->h);
	memset(&sp->h[sp->nh], 0, sizeof sp->h[sp->nh]);
	sp->h[sp->nh].id = id;
	sp->h[sp->nh].window = sp_window_for(SWARM_PICK_RATE_GUESS);
	sp->h[sp->nh].bits = xcalloc(1, (size_t)(sp->count / 8 + 1));
	return (int32_t)sp->nh++;
}

/* Holder k has leaf i now (or no longer, with on 0): keep avail. */
static void
sp_set(struct swarm_pick *sp, int32_t k, uint64_t i, int on)
{
	struct sp_holder *h = &sp->h[k];

	if (i >= sp->count || sp_bit(h->bits, i) == on)
		return;
	h->bits[i / 8] ^= (uint8_t)(1u << (i % 8));
	if (!h->dropped)
		sp->leaf[i].avail =
		    (uint16_t)(sp->leaf[i].avail + (on ? 1 : -1));
}

void
swarm_pick_all(struct swarm_pick *sp, const void *holder)
{
	int32_t k = sp_holder(sp, holder);
	uint64_t i;

	for (i = 0; i < sp->count; i++)
		sp_set(sp, k, i, 1);
}

void
swarm_pick_bits(struct swarm_pick *sp, const void *holder, uint64_t start,
    const uint8_t *bits, size_t nbits)
{
	int32_t k = sp_holder(sp, holder);
	uint64_t i;

	for (i = 0; i < (uint64_t)nbits * 8 && start + i < sp->count; i++)
		sp_set(sp, k, start + i, sp_bit(bits, i));
}

void
swarm_pick_have(struct swarm_pick *sp, const void *holder, uint64_t leaf)
{
	sp_set(sp, sp_holder(sp, holder), leaf, 1);
}

/* Forget request j of leaf i (its holder's counts too). */
static void
sp_unask(struct swarm_pick *sp, uint64_t i, int j)
{
	struct sp_leaf *l = &sp->leaf[i];
	struct sp_holder *h = &sp->h[l->who[j]];

	h->nout--;
	h->outbytes -= sp_len(sp, i);
	if (j == 0) {
		l->who[0] = l->who[1];
		l->at[0] = l->at[1];
	}
	l->who[1] = -1;
	if (--l->nreq == 0)
		sp->nasked--;
}

/* The request of leaf i from holder k, or -1. */
static int
sp_req(const struct swarm_pick *sp, uint64_t i, int32_t k)
{
	int j;

	for (j = 0; j < sp->leaf[i].nreq; j++) {
		if (sp->leaf[i].who[j] == k)
			return j;
	}
	return -1;
}

/* Every request of holder k is void. */
static void
sp_unask_all(struct swarm_pick *sp, int32_t k)
{
	uint64_t i;
	int j;

	for (i = 0; i < sp->count && sp->h[k].nout > 0; i++) {
		if ((j = sp_req(sp, i, k)) != -1)
			sp_unask(sp, i, j);
	}
}

void
swarm_pick_gone(struct swarm_pick *sp, const void *holder)
{
	int32_t k = sp_find(sp, holder);
	uint64_t i;

	if (k == -1)
		return;
	sp_unask_all(sp, k);
	for (i = 0; i < sp->count; i++)
		sp_set(sp, k, i, 0);
}

void
swarm_pick_refused(struct swarm_pick *sp, const void *holder, uint64_t leaf,
    int busy, uint64_t now_ms)
{
	int32_t k = sp_find(sp, holder);
	int j;

	if (k == -1 || leaf >= sp->count)
		return;
	if ((j = sp_req(sp, leaf, k)) != -1)
		sp_unask(sp, leaf, j);
	if (busy)
		sp->h[k].busy_until = now_ms + SWARM_PICK_BUSY_MS;
	else
		sp_set(sp, k, leaf, 0);
}

/* May holder k be asked for leaf i now? */
static int
sp_usable(const struct swarm_pick *sp, int32_t k, uint64_t i, uint64_t now)
{
	const struct sp_holder *h = &sp->h[k];

	return !h->dropped && h->nout < h->window && h->busy_until <= now &&
	    sp_bit(h->bits, i) && sp_req(sp, i, k) == -1;
}

/* The usable holder of leaf i with the least expected wait, or -1. */
static int32_t
sp_best(const struct swarm_pick *sp, uint64_t i, uint64_t now)
{
	double wait, best = 0;
	int32_t k, found = -1;

	for (k = 0; k < (int32_t)sp->nh; k++) {
		if (!sp_usable(sp, k, i, now))
			continue;
		wait = (double)(sp->h[k].outbytes + sp_len(sp, i)) /
		    (sp->h[k].rate > 0 ? sp->h[k].rate : SWARM_PICK_RATE_GUESS);
		if (found == -1 || wait < best) {
			found = k;
			best = wait;
		}
	}
	return found;
}

/* May some holder be asked for leaf i now? */
static int
sp_askable(const struct swarm_pick *sp, uint64_t i, uint64_t now)
{
	int32_t k;

	for (k = 0; k < (int32_t)sp->nh; k++) {
		if (sp_usable(sp, k, i, now))
			return 1;
	}
	return 0;
}

/*
 * The leaf to ask for next outside the endgame: at random among those
 * without a request while fewer than SWARM_PICK_RANDOM are held or
 * asked for, else the rarest (ties at random); count if none.
 */
static uint64_t
sp_choose(struct swarm_pick *sp, uint64_t now)
{
	int random = sp->nheld + sp->nasked < SWARM_PICK_RANDOM;
	uint64_t i, found = sp->count, ties = 0;
	const struct sp_leaf *l;

	for (i = 0; i < sp->count; i++) {
		l = &sp->leaf[i];
		if (l->held || l->nreq > 0 || l->avail == 0 ||
		    (found < sp->count && !random &&
		        l->avail > sp->leaf[found].avail) ||
		    !sp_askable(sp, i, now))
			continue;
		if (found == sp->count ||
		    (!random && l->avail < sp->leaf[found].avail))
			ties = 0;
		/* Reservoir sampling: each candidate equally likely. */
		if (sp_random(sp, ++ties) == 0)
			found = i;
	}
	return found;
}

/* Endgame: the leaf asked of one holder the longest, that another holder
 * could send too; count if none. */
static uint64_t
sp_endgame(const struct swarm_pick *sp, uint64_t now)
{
	uint64_t i, found = sp->count;
	const struct sp_leaf *l;

	for (i = 0; i < sp->count; i++) {
		l = &sp->leaf[i];
		if (l->held || l->nreq == 0 || l->nreq >= SWARM_PICK_COPIES ||
		    (found < sp->count && l->at[0] >= sp->leaf[found].at[0]))
			continue;
		if (sp_askable(sp, i, now))
			found = i;
	}
	return found;
}

int
swarm_pick_next(
    struct swarm_pick *sp, uint64_t now_ms, const void **holder, uint64_t *leaf)
{
	struct sp_leaf *l;
	uint64_t i;
	int32_t k;

	if (sp->nheld == sp->count)
		return 0;
	/* The endgame starts once no missing leaf is without a request. */
	if (sp->nheld + sp->nasked < sp->count)
		i = sp_choose(sp, now_ms);
	else
		i = sp_endgame(sp, now_ms);
	if (i == sp->count || (k = sp_best(sp, i, now_ms)) == -1)
		return 0;
	l = &sp->leaf[i];
	if (l->nreq++ == 0)
		sp->nasked++;
	l->who[l->nreq - 1] = k;
	l->at[l->nreq - 1] = now_ms;
	sp->h[k].nout++;
	sp->h[k].outbytes += sp_len(sp, i);
	*holder = sp->h[k].id;
	*leaf = i;
	return 1;
}

size_t
swarm_pick_got(struct swarm_pick *sp, const void *holder, uint64_t leaf,
    uint64_t now_ms, const void **cancel, size_t max)
{
	int32_t k = sp_find(sp, holder);
	struct sp_holder *h;
	uint64_t start, dt;
	double sample;
	size_t n = 0;
	int j;

	if (k == -1 || leaf >= sp->count || sp->leaf[leaf].held ||
	    (j = sp_req(sp, leaf, k)) == -1)
		return 0;
	h = &sp->h[k];
	/* Its leaves arrive one after the other: this one took from its
	 * request or the holder's previous leaf, whichever came later. */
	start = sp->leaf[leaf].at[j] > h->last_ms ? sp->leaf[leaf].at[j]
	                                          : h->last_ms;
	dt = now_ms > start ? now_ms - start : 1;
	sample = (double)sp_len(sp, leaf) * 1000.0 / (double)dt;
	h->rate = h->rate > 0 ? 0.7 * h->rate + 0.3 * sample : sample;
	h->last_ms = now_ms;
	/* Slow start: the window at most doubles per leaf, as a first
	 * leaf sent from an upload limit's burst measures nothing. */
	h->window = sp_window_for(h->rate) < 2 * h->window
	    ? sp_window_for(h->rate)
	    : 2 * h->window;
	sp_unask(sp, leaf, j);
	while (sp->leaf[leaf].nreq > 0) {
		if (n < max)
			cancel[n++] = sp->h[sp->leaf[leaf].who[0]].id;
		sp_unask(sp, leaf, 0);
	}
	sp->leaf[leaf].held = 1;
	sp->nheld++;
	return n;
}

int
swarm_pick_bad(struct swarm_pick *sp, const void *holder, uint64_t leaf)
{
	int32_t k = sp_holder(sp, holder);
	uint64_t i;

	(void)leaf; /* whichever leaf: the holder is not trusted again */
	if (sp->h[k].dropped)
		return 0;
	sp_unask_all(sp, k);
	for (i = 0; i < sp->count; i++) {
		if (sp_bit(sp->h[k].bits, i))
			sp->leaf[i].avail--;
	}
	sp->h[k].dropped = 1;
	return 1;
}

uint64_t
swarm_pick_held(const struct swarm_pick *sp)
{
	return sp->nheld;
}

uint64_t
swarm_pick_count(const struct swarm_pick *sp)
{
	return sp->count;
}

size_t
swarm_pick_sources(const struct swarm_pick *sp)
{
	size_t k, n = 0;
	uint64_t i;

	for (k = 0; k < sp->nh; k++) {
		for (i = 0; i < sp->count && !sp->h[k].dropped; i++) {
			if (!sp->leaf[i].held && sp_bit(sp->h[k].bits, i)) {
				n++;
				break;
			}
		}
	}
	return n;
}

int
swarm_pick_dropped(const struct swarm_pick *sp, const void *holder)
{
	int32_t k = sp_find(sp, holder);

	return k != -1 && sp->h[k].dropped;
}

int
swarm_pick_holder(const struct swarm_pick *sp, size_t i, const void **holder,
    uint64_t *leaves, int *dropped)
{
	uint64_t l;

	if (i >= sp->nh)
		return 0;
	*holder = sp->h[i].id;
	*dropped = sp->h[i].dropped;
	for (*leaves = 0, l = 0; l < sp->count; l++)
		*leaves += (uint64_t)sp_bit(sp->h[i].bits, l);
	return 1;
}

int
swarm_slots_admit(struct swarm_slots *s, const void *peer, uint64_t now)
{
	size_t i, free = SWARM_UPLOAD_SLOTS;

	for (i = 0; i < SWARM_UPLOAD_SLOTS; i++) {
		if (s->peer[i] == peer) {
			s->last_ms[i] = now;
			return 1;
		}
		if (free == SWARM_UPLOAD_SLOTS &&
		    (s->peer[i] == NULL ||
		        now - s->last_ms[i] >= SWARM_UPLOAD_IDLE_MS))
			free = i;
	}
	if (free == SWARM_UPLOAD_SLOTS)
		return 0;
	s->peer[free] = peer;
	s->last_ms[free] = now;
	return 1;
}

void
swarm_slots_release(struct swarm_slots *s, const void *peer)
{
	size_t i;

	for (i = 0; i < SWARM_UPLOAD_SLOTS; i++) {
		if (s->peer[i] == peer)
			s->peer[i] = NULL;
	}
}
