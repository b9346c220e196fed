/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * File transfers, the receiver's half (xfer_int.h): offers that arrive
 * (bounded: XFER_OFFERS_MAX undecided, a burst and XFER_OFFER_RATE a
 * minute per peer), /accept, the pull of leaves, their verification
 * and the .part, full disks, and the move to the final name.
 *
 * The receiver requests up to XFER_WINDOW leaves at a time (16, all
 * that PROTOCOL.md allows; XFER_REQ_BATCH more once that many are in),
 * which arrive one after the other; it gathers the pieces of each in
 * one leaf buffer, hashing on the way, and writes the leaf to the .part
 * (and counts it) only once its proof checks out. Every XFER_SYNC_BYTES
 * or XFER_SYNC_MS it fdatasync()s the .part and only then records the
 * verified leaves in the store, so the record never names data that a
 * crash could take back.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "loop.h"
#include "xfer_int.h"
#include "xmalloc.h"

static void xf_sync_failed(struct xfers *, struct xf *, int);
static void xf_complete(struct xfers *, struct xf *);

/* Record the verified leaves: only after their data is on disk. */
void
xf_sync(struct xfers *xs, struct xf *xf)
{
	int r;

	if (xf->pub.outgoing || xf->part == NULL)
		return;
	if ((r = xfer_part_sync(xf->part, 0)) == -1) {
		xf_sync_failed(xs, xf, errno);
		return;
	}
	if (r == 0)
		return;
	xf->synced_ms = loop_now_ms();
	xf_save(xs, xf, 0);
}

/* Leaves still missing and not requested: request them. */
int
xf_request(struct xfers *xs, struct xf *xf)
{
	uint64_t count = merkle_leaf_count(xf->pub.size), i;
	struct xfer_leaf *l;
	struct proto_msg m;
	char *cause;
	size_t k;

	/* While leaves are on their way, wait until a batch of requests
	 * fits the window. */
	if (xf->nwin > 0 && XFER_WINDOW - xf->nwin < XFER_REQ_BATCH)
		return 0;
	while (xf->nwin < XFER_WINDOW && xf->scan < count) {
		i = xf->scan;
		if (xfer_part_has(xf->part, i)) {
			xf->scan++;
			continue;
		}
		for (k = 0; k < xf->nwin; k++) {
			if (xf->win[k]->index == i)
				break;
		}
		if (k < xf->nwin) {
			xf->scan++;
			continue;
		}
		memset(&m, 0, sizeof m);
		m.type = PROTO_FILE_REQUEST;
		memcpy(m.u.file.id, xf->id, PROTO_XFER_ID_LEN);
		m.u.file.index = i;
		if (engine_send_msg(xs->eng, xf->pub.peer, &m, &cause) == -1) {
			free(cause);
			return -1;
		}
		l = xmalloc(sizeof *l);
		xfer_leaf_init(l, xf->pub.size, i);
		xf->win[xf->nwin++] = l;
		xf->scan++;
	}
	return 0;
}

/* Go on after a full disk: at the retry timer, or when the user asks. */
static void
xf_unstall(struct xfers *xs, struct xf *xf)
{
	xf->pub.stalled = 0;
	xf->pub.error[0] = '\0';
	xf_report(xs, xf, 0);
	xf_pump_one(xs, xf);
}

static void
xf_retry(void *arg)
{
	struct xfers *xs = arg;
	struct xf *xf;

	xs->retry = NULL;
	/* Pumping frees no transfer (only xf_trim() does). */
	TAILQ_FOREACH(xf, &xs->list, entry)
	{
		if (xf->pub.stalled)
			xf_unstall(xs, xf);
	}
}

/*
 * The .part cannot be written: keep it. A full disk waits for the retry;
 * anything else stops the transfer. The leaves already asked for are
 * drained unwritten, so the chunks on their way still arrive in order.
 */
static void
xf_write_failed(struct xfers *xs, struct xf *xf, int err)
{
	size_t k;

	for (k = 0; k < xf->nwin; k++)
		xf->win[k]->discard = 1;
	xf->scan = xfer_part_missing(xf->part, 0);
	if (err == ENOSPC || err == EDQUOT) {
		xf->pub.stalled = 1;
		snprintf(xf->pub.error, sizeof xf->pub.error,
		    "disk full: %s is kept; trying again every %d s",
		    xf->pub.path, XFER_RETRY_MS / 1000);
		xf_notice(xs, xf, FE_ERROR,
		    "cannot save %s (#%" PRId64 "): the disk is full. %s is "
		    "kept with what arrived so far; trying again in %d s "
		    "(free some space and /accept #%" PRId64 " to go on now, "
		    "or /cancel #%" PRId64 ")",
		    xf->pub.name, xf->pub.num, xf->pub.path,
		    XFER_RETRY_MS / 1000, xf->pub.num, xf->pub.num);
		xf_report(xs, xf, 0);
		if (xs->retry == NULL)
			xs->retry = loop_timer_add(
			    engine_loop(xs->eng), XFER_RETRY_MS, xf_retry, xs);
		return;
	}
	xf_notice(xs, xf, FE_ERROR,
	    "cannot write %s: %s. Transfer #%" PRId64 " stopped; the .part "
	    "is kept",
	    xf->pub.path, strerror(err), xf->pub.num);
	xf_abort(xs, xf, XFER_FAILED, PROTO_CANCEL_ERROR);
}

/*
 * An fdatasync() of the .part failed: the leaves written since the last
 * one that succeeded count as missing again (xfer_part_sync()).
 */
static void
xf_sync_failed(struct xfers *xs, struct xf *xf, int err)
{
	xf->pub.bytes = xf->part->bytes;
	xf_write_failed(xs, xf, err);
}

/* A whole leaf arrived: write and count it if its proof checks out. */
static void
xf_leaf_done(struct xfers *xs, struct xf *xf, size_t k)
{
	struct xfer_leaf *l = xf->win[k];
	int ok, err;

	/* Keep the rest in request order. */
	memmove(&xf->win[k], &xf->win[k + 1],
	    (xf->nwin - k - 1) * sizeof xf->win[0]);
	xf->nwin--;
	if (l->discard) {
		if (l->index < xf->scan)
			xf->scan = l->index;
		ident_wipe(l, sizeof *l);
		free(l);
		if (!xf->pub.stalled)
			xf_request(xs, xf);
		return;
	}
	ok = xfer_leaf_verify(l, xf->root, xf->pub.size);
	if (ok &&
	    (err = xfer_part_write(xf->part, l->index, xf->leafbuf)) != 0) {
		free(l);
		xf_write_failed(xs, xf, err);
		return;
	}
	if (ok)
		xf->pub.bytes = xf->part->bytes;
	else {
		if (l->index < xf->scan)
			xf->scan = l->index;
		xf->bad++;
		log_debug("xfer #%" PRId64 ": leaf %" PRIu64 " failed",
		    xf->pub.num, l->index);
	}
	free(l);
	if (!ok && xf->bad >= XFER_BAD_MAX) {
		xf_notice(xs, xf, FE_ERROR,
		    "%s sent data for %s (#%" PRId64 ") that failed "
		    "verification %d times: transfer stopped",
		    xf->pub.peer->name, xf->pub.name, xf->pub.num, xf->bad);
		xf_abort(xs, xf, XFER_FAILED, PROTO_CANCEL_BAD_DATA);
		return;
	}
	if (!ok)
		xf_notice(xs, xf, FE_WARN,
		    "a piece of %s (#%" PRId64 ") from %s failed verification: "
		    "discarded, asking again",
		    xf->pub.name, xf->pub.num, xf->pub.peer->name);
	if (xf->part->nhave == xf->part->count) {
		xf_complete(xs, xf);
		return;
	}
	if (xf->part->unsynced >= XFER_SYNC_BYTES)
		xf_sync(xs, xf);
	else /* the fdatasync() then does not hold up the loop for long */
		xfer_part_kick(xf->part, XFER_KICK_BYTES);
	xf_request(xs, xf);
}

int
xf_chunk(struct xfers *xs, struct xf *xf, const struct proto_msg *m,
    const char **why)
{
	struct xfer_leaf *l = NULL;
	size_t k;
	int r;

	for (k = 0; k < xf->nwin; k++) {
		if (xf->win[k]->index == m->u.file.index) {
			l = xf->win[k];
			break;
		}
	}
	if (l == NULL)
		return 0; /* not asked for (any more) */
	/* Leaves come in the order we asked for them, so one leaf buffer
	 * (k is 0: one leaf arrives at a time) holds the one arriving. */
	if (k != 0) {
		*why = "file chunk out of order";
		return -1;
	}
	if (xf->leafbuf == NULL)
		xf->leafbuf = xmalloc(MERKLE_LEAF);
	if ((r = xfer_leaf_add(l, xf->pub.size, m->u.file.offset,
	         m->u.file.data, m->u.file.datalen, m->u.file.proof,
	         m->u.file.nproof, xf->leafbuf, why)) == -1)
		return -1;
	if (r == 1)
		xf_leaf_done(xs, xf, k);
	return 0;
}

static void
xf_complete(struct xfers *xs, struct xf *xf)
{
	struct proto_msg m;
	char *final, *cause;
	int err = 0;

	if (xfer_part_sync(xf->part, 1) == -1) {
		xf_sync_failed(xs, xf, errno);
		return;
	}
	xf_close_fd(xf);
	if ((final = xfer_part_finish(xf->pub.path, xf->pub.name, &err)) ==
	    NULL) {
		xf_notice(xs, xf, FE_ERROR,
		    "%s (#%" PRId64 ") is complete and verified, but cannot "
		    "be renamed: %s; it stays in %s",
		    xf->pub.name, xf->pub.num, strerror(err), xf->pub.path);
		xf_end(xs, xf, XFER_FAILED, PROTO_CANCEL_ERROR, 0);
		return;
	}
	free(xf->pub.path);
	xf->pub.path = final;
	xf->pub.bytes = xf->pub.size;
	xf_end(xs, xf, XFER_DONE, -1, 0);
	memset(&m, 0, sizeof m);
	m.type = PROTO_FILE_DONE;
	memcpy(m.u.file.id, xf->id, PROTO_XFER_ID_LEN);
	if (engine_send_msg(xs->eng, xf->pub.peer, &m, &cause) == -1)
		free(cause); /* the next OFFER is answered with DONE */
}

/* Start the .part for an accepted offer, from nothing. */
int
xf_open_part(struct xfers *xs, struct xf *xf, char **cause)
{
	char *path;

	if (xf->part == NULL)
		xf->part = xfer_part_new(xf->pub.size, NULL, 0);
	if (xfer_part_create(xf->part, engine_conf(xs->eng)->download_dir,
	        xf->pub.name, &path, cause) == -1)
		return -1;
	free(xf->pub.path);
	xf->pub.path = path;
	xf->pub.bytes = 0;
	return 0;
}

static int
xf_stored_cb(void *arg, const struct store_xfer *sx)
{
	struct proto_msg *r = arg;

	/* Unfinished but not loaded (its peer was unknown at start):
	 * left alone, not offered twice. */
	if (sx->state < STORE_XFER_DONE) {
		r->type = PROTO_FILE_OFFER;
		return 0;
	}
	r->type =
	    sx->state == STORE_XFER_DONE ? PROTO_FILE_DONE : PROTO_FILE_CANCEL;
	r->u.file.reason =
	    (uint8_t)(sx->reason >= 0 ? sx->reason : PROTO_CANCEL_USER);
	return 0;
}

/*
 * An offer we no longer keep in memory (ended long ago, trimmed): the
 * store still knows how it ended, so it is answered, not shown as new.
 * 1 if it was such an offer.
 */
static int
xf_offer_ended(struct xfers *xs, struct peer *p, const uint8_t *id)
{
	struct proto_msg r;
	char *cause;

	memset(&r, 0, sizeof r);
	if (store_xfer_find(engine_store(xs->eng), p->key, id, 0, xf_stored_cb,
	        &r, &cause) == -1) {
		log_debug("xfer: %s", cause);
		free(cause);
		return 0;
	}
	if (r.type == 0)
		return 0;
	if (r.type == PROTO_FILE_OFFER)
		return 1;
	memcpy(r.u.file.id, id, PROTO_XFER_ID_LEN);
	if (engine_send_msg(xs->eng, p, &r, &cause) == -1)
		free(cause);
	return 1;
}

/* Decline an offer beyond XFER_OFFERS_MAX undecided ones. */
static void
xf_refuse(struct xfers *xs, struct peer *p, const uint8_t *id)
{
	uint64_t now = loop_now_ms();

	xf_cancel_id(xs, p, id, PROTO_CANCEL_DECLINED);
	if (xs->flood_ms == 0 || now - xs->flood_ms >= 60000) {
		xs->flood_ms = now;
		xf_notice(xs, NULL, FE_WARN,
		    "%s offers more than %d files at once: declining the "
		    "rest until you answer some (/transfers)",
		    p->name, XFER_OFFERS_MAX);
	}
}

/*
 * Take a token from p's bucket of offers. If it is empty, decline the
 * offer (saying so at most once a minute) and return 0.
 */
static int
xf_offer_rate_ok(struct xfers *xs, struct peer *p, const uint8_t *id)
{
	uint64_t now = loop_now_ms();
	struct xf_bucket *b, *oldest = &xs->offer_rate[0];
	size_t i;

	for (i = 0; i < XFER_OFFER_SLOTS; i++) {
		b = &xs->offer_rate[i];
		if (b->last_ms != 0 &&
		    memcmp(b->key, p->key, IDENT_KEYLEN) == 0)
			break;
		if (b->last_ms < oldest->last_ms)
			oldest = b;
	}
	if (i == XFER_OFFER_SLOTS) {
		b = oldest;
		memset(b, 0, sizeof *b);
		memcpy(b->key, p->key, IDENT_KEYLEN);
		b->tokens = XFER_OFFER_BURST;
	} else {
		b->tokens +=
		    (double)(now - b->last_ms) * XFER_OFFER_RATE / 60000.0;
		if (b->tokens > XFER_OFFER_BURST)
			b->tokens = XFER_OFFER_BURST;
	}
	b->last_ms = now != 0 ? now : 1;
	if (b->tokens >= 1) {
		b->tokens -= 1;
		return 1;
	}
	xf_cancel_id(xs, p, id, PROTO_CANCEL_DECLINED);
	if (b->warned_ms == 0 || now - b->warned_ms >= 60000) {
		b->warned_ms = now != 0 ? now : 1;
		xf_notice(xs, NULL, FE_WARN,
		    "%s offers files faster than %d a minute: declining the "
		    "rest for now",
		    p->name, XFER_OFFER_RATE);
	}
	return 0;
}

void
xf_offer(struct xfers *xs, struct peer *p, const struct proto_msg *m,
    const char **why)
{
	const struct conf_peer *cp;
	char name[PROTO_FILE_NAME_MAX + 1];
	struct xf *xf, *o;
	size_t pending = 0;
	char *cause;

	memcpy(name, m->u.file.name, m->u.file.namelen);
	name[m->u.file.namelen] = '\0';
	xf = xf_find(xs, p, m->u.file.id, 0);
	if (xf != NULL) {
		char safe[sizeof xf->pub.name];

		util_safe_name(name, safe, sizeof safe);
		if (xf->pub.size != m->u.file.size ||
		    memcmp(xf->root, m->u.file.root, MERKLE_HASHLEN) != 0 ||
		    strcmp(xf->pub.name, safe) != 0) {
			*why = "a file offer changed";
			return;
		}
		if (xf->pub.state == XFER_ACTIVE)
			xf->due |= DUE_ACCEPT;
		else if (xf->pub.state == XFER_DONE)
			xf->due |= DUE_DONE;
		else if (xf->pub.state != XFER_OFFERED)
			xf->due |= DUE_CANCEL;
		return;
	}
	if (xf_offer_ended(xs, p, m->u.file.id))
		return;
	xf_trim(xs);
	TAILQ_FOREACH(o, &xs->list, entry)
	{
		if (o->pub.peer == p && !o->pub.outgoing &&
		    o->pub.state == XFER_OFFERED)
			pending++;
	}
	if (pending >= XFER_OFFERS_MAX) {
		/* Refused without a trace in the store or in memory, so a
		 * flood of offers costs nothing; the user hears of it at most
		 * once a minute. */
		xf_refuse(xs, p, m->u.file.id);
		return;
	}
	/* Offers, even withdrawn at once, cost the user lines: a peer
	 * makes at most XFER_OFFER_RATE a minute after a burst. */
	if (!xf_offer_rate_ok(xs, p, m->u.file.id))
		return;
	xf = xf_new(xs, p, 0);
	memcpy(xf->id, m->u.file.id, PROTO_XFER_ID_LEN);
	memcpy(xf->root, m->u.file.root, MERKLE_HASHLEN);
	xf->has_root = 1;
	util_safe_name(name, xf->pub.name, sizeof xf->pub.name);
	xf->pub.size = m->u.file.size;
	xf->pub.state = XFER_OFFERED;
	xf->stored = STORE_XFER_OFFERED;
	xf->pub.created_ms = xf_now_ms();
	xf->pub.rate = 0;
	xf_save(xs, xf, 1);
	cp = p->origin == PEER_CONFIG
	    ? conf_find_peer(engine_conf(xs->eng), p->name)
	    : NULL;
	/* Auto-accepted: straight to active, no "/accept it" line. */
	if (cp != NULL && cp->auto_accept) {
		if (xfer_accept(xs, &xf->pub, &cause) == 0)
			return;
		xf_report(xs, xf, 1);
		xf_notice(xs, xf, FE_ERROR, "cannot accept %s: %s",
		    xf->pub.name, cause);
		free(cause);
		return;
	}
	xf_report(xs, xf, 1);
}

int
xfer_accept(struct xfers *xs, const struct xfer *x, char **cause)
{
	struct xf *xf = xf_of(xs, x);
	uint8_t empty[MERKLE_HASHLEN];

	if (xf != NULL && xf->pub.stalled) {
		xf_unstall(xs, xf);
		return 0;
	}
	if (xf == NULL || xf->pub.outgoing || xf->pub.state != XFER_OFFERED) {
		*cause = xasprintf("#%" PRId64 " is not an offer waiting for "
		                   "an answer",
		    x->num);
		return -1;
	}
	if (xf_open_part(xs, xf, cause) == -1)
		return -1;
	xf->scan = 0;
	xf->pub.state = XFER_ACTIVE;
	xf->stored = STORE_XFER_ACTIVE;
	xf->synced_ms = loop_now_ms();
	xf_save(xs, xf, 0);
	xf_report(xs, xf, 1);
	xf->due |= DUE_ACCEPT;
	if (xf->pub.size == 0) {
		/* Nothing to fetch, but the root must still be right. */
		merkle_root(NULL, 0, 0, empty);
		xf_pump_one(xs, xf); /* ACCEPT, then DONE or CANCEL */
		if (memcmp(empty, xf->root, MERKLE_HASHLEN) != 0) {
			xf_notice(xs, xf, FE_ERROR,
			    "%s offered %s as an empty file with a wrong root",
			    xf->pub.peer->name, xf->pub.name);
			xf_abort(xs, xf, XFER_FAILED, PROTO_CANCEL_BAD_DATA);
		} else
			xf_complete(xs, xf);
		return 0;
	}
	xf_tick_arm(xs);
	xf_pump_one(xs, xf);
	return 0;
}
