/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * File transfers: offers, the sender's chunks below the bulk watermark
 * and upload_rate, the record of each transfer and its resume.
 * doc/PROTOCOL.md section 7.8 is the wire side of this file.
 *
 * The sender hashes the file in slices (XFER_HASH_SLICE per loop
 * iteration, so the UI stays responsive) into a tree file, and reads
 * the proof of each leaf it serves back from it, re-checking the
 * source's size and mtime first. A tree file it cannot write or read
 * ends the transfer: no proof rather than a wrong one.
 *
 * This file owns the transfer record and its states (shared with
 * xfer_recv.c through xfer_int.h), the messages in and out, the sender,
 * progress, loading from the store and the user's side; xfer_recv.c is
 * the receiver's half (offers in, /accept, leaves arriving, the .part);
 * xfer_disk.c owns the files (the source, the tree file, the .part and
 * its record of verified leaves, a leaf being assembled), in a form the
 * swarm uses too.
 */
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "engine.h"
#include "feature.h"
#include "ident.h"
#include "log.h"
#include "loop.h"
#include "merkle.h"
#include "store.h"
#include "util.h"
#include "xfer.h"
#include "xfer_disk.h"
#include "xfer_int.h"
#include "xmalloc.h"

_Static_assert(XFER_READ >= MERKLE_LEAF, "a leaf is served from one read");

/* --- helpers -------------------------------------------------------------- */

int64_t
xf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
xf_notice(
    struct xfers *xs, struct xf *xf, enum fe_level level, const char *fmt, ...)
{
	void *arg;
	const struct fe_ops *fe = engine_fe(xs->eng, &arg);
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	fe->notice(arg, xf != NULL ? xf->pub.peer : NULL, level, s);
	free(s);
}

void
xf_report(struct xfers *xs, struct xf *xf, int changed)
{
	void *arg;
	const struct fe_ops *fe = engine_fe(xs->eng, &arg);

	xf->reported = xf->pub.bytes;
	if (fe->xfer != NULL)
		fe->xfer(arg, xf->pub.peer, &xf->pub, changed);
}

int
xf_ended(const struct xf *xf)
{
	return xf->pub.state == XFER_DONE || xf->pub.state == XFER_CANCELLED ||
	    xf->pub.state == XFER_FAILED;
}

/* Write the store's view of xf. */
void
xf_save(struct xfers *xs, struct xf *xf, int add)
{
	struct store_xfer sx;
	char *cause;
	int r;

	memset(&sx, 0, sizeof sx);
	sx.rowid = xf->pub.num;
	memcpy(sx.key, xf->key, sizeof sx.key);
	memcpy(sx.id, xf->id, sizeof sx.id);
	sx.outgoing = xf->pub.outgoing;
	sx.name = xf->pub.name;
	sx.size = xf->pub.size;
	memcpy(sx.root, xf->root, sizeof sx.root);
	sx.path = xf->pub.path;
	sx.mtime_ns = xf->mtime_ns;
	sx.state = xf->stored;
	sx.reason = xf->pub.reason;
	sx.have = xf->part != NULL ? xf->part->have : NULL;
	sx.havelen = xf->part != NULL ? xf->part->havelen : 0;
	sx.created_ms = xf->pub.created_ms;
	sx.ended_ms = xf->pub.ended_ms;
	if (add)
		r = store_xfer_add(engine_store(xs->eng), &sx, &cause);
	else
		r = store_xfer_update(engine_store(xs->eng), &sx, &cause);
	if (r == -1) {
		engine_write_failed(xs->eng);
		xf_notice(xs, xf, FE_ERROR,
		    "cannot save transfer #%" PRId64 ": %s", xf->pub.num,
		    cause);
		free(cause);
		return;
	}
	if (add)
		xf->pub.num = sx.rowid;
}

struct xf *
xf_find(struct xfers *xs, const struct peer *p, const uint8_t *id, int outgoing)
{
	struct xf *xf;

	TAILQ_FOREACH(xf, &xs->list, entry)
	{
		if (xf->pub.peer == p && xf->pub.outgoing == outgoing &&
		    memcmp(xf->id, id, PROTO_XFER_ID_LEN) == 0)
			return xf;
	}
	return NULL;
}

void
xf_drop_window(struct xf *xf)
{
	size_t i;

	for (i = 0; i < xf->nwin; i++) {
		ident_wipe(xf->win[i], sizeof *xf->win[i]);
		free(xf->win[i]);
	}
	xf->nwin = 0;
}

/* The source, or the .part: closed. */
void
xf_close_fd(struct xf *xf)
{
	if (xf->fd != -1)
		close(xf->fd);
	xf->fd = -1;
	if (xf->part != NULL)
		xfer_part_close(xf->part);
}

static void
xf_free_tree(struct xf *xf)
{
	xfer_tree_free(xf->tree);
	xf->tree = NULL;
}

static void
xf_free(struct xf *xf)
{
	xf_close_fd(xf);
	xf_drop_window(xf);
	xf_free_tree(xf);
	xfer_part_free(xf->part);
	free(xf->leafbuf);
	free(xf->pub.path);
	free(xf);
}

/* Forget the oldest ended transfers beyond XFER_KEEP. */
void
xf_trim(struct xfers *xs)
{
	struct xf *xf, *next;

	for (xf = TAILQ_FIRST(&xs->list); xf != NULL && xs->nended > XFER_KEEP;
	     xf = next) {
		next = TAILQ_NEXT(xf, entry);
		if (!xf_ended(xf))
			continue;
		TAILQ_REMOVE(&xs->list, xf, entry);
		xs->nended--;
		xf_free(xf);
	}
}

struct xf *
xf_new(struct xfers *xs, struct peer *p, int outgoing)
{
	struct xf *xf = xcalloc(1, sizeof *xf);

	xf->fd = -1;
	xf->pub.peer = p;
	xf->pub.outgoing = outgoing;
	xf->pub.reason = -1;
	memcpy(xf->key, p->key, IDENT_KEYLEN);
	TAILQ_INSERT_TAIL(&xs->list, xf, entry);
	return xf;
}

/* End a transfer: state, reason, the store, the frontend. */
void
xf_end(struct xfers *xs, struct xf *xf, enum xfer_state state, int reason,
    int by_peer)
{
	if (xf_ended(xf))
		return;
	if (xs->buf_num == xf->pub.num)
		xs->buf_num = -1;
	xf->pub.state = state;
	xf->pub.reason = reason;
	xf->pub.by_peer = by_peer;
	xf->pub.stalled = 0;
	xf->pub.ended_ms = xf_now_ms();
	xf->pub.rate = 0;
	xf->stored = state == XFER_DONE ? STORE_XFER_DONE
	    : state == XFER_CANCELLED   ? STORE_XFER_CANCELLED
	                                : STORE_XFER_FAILED;
	xf->nreq = 0;
	xf->due = 0;
	xf_drop_window(xf);
	xf_free_tree(xf);
	xf_close_fd(xf);
	xfer_part_free(xf->part);
	free(xf->leafbuf);
	xf->part = NULL;
	xf->leafbuf = NULL;
	xs->nended++;
	xf_save(xs, xf, 0);
	xf_report(xs, xf, 1);
}

/*
 * We end it (cancel, error): tell the peer now or on its next connection.
 * An incoming .part is deleted unless a write error ended it (the user
 * may want what is there).
 */
void
xf_abort(struct xfers *xs, struct xf *xf, enum xfer_state state, int reason)
{
	if (!xf->pub.outgoing && xf->pub.path != NULL &&
	    xf->stored == STORE_XFER_ACTIVE && reason != PROTO_CANCEL_ERROR) {
		if (unlink(xf->pub.path) == -1 && errno != ENOENT)
			xf_notice(xs, xf, FE_WARN, "cannot delete %s: %s",
			    xf->pub.path, strerror(errno));
		free(xf->pub.path);
		xf->pub.path = NULL;
	}
	xf_end(xs, xf, state, reason, 0);
	xf->due = DUE_CANCEL;
	xf_pump_one(xs, xf);
}

/* --- the sender: hashing and the tree ------------------------------------- */

/* A write or read of the tree file failed (tree_err): no proof to give. */
static void
xf_tree_failed(struct xfers *xs, struct xf *xf, const char *verb)
{
	xf_notice(xs, xf, FE_ERROR,
	    "cannot %s the hashes of %s (#%" PRId64 ") in %s: %s. "
	    "Transfer stopped",
	    verb, xf->pub.name, xf->pub.num, engine_conf(xs->eng)->data_dir,
	    strerror(xfer_tree_error(xf->tree)));
	xf_abort(xs, xf, XFER_FAILED, PROTO_CANCEL_ERROR);
}

/* The file is gone or different from what we offered. */
static void
xf_changed(struct xfers *xs, struct xf *xf, const char *what)
{
	xf_notice(xs, xf, FE_ERROR,
	    "%s (#%" PRId64 ") %s since it was offered: transfer stopped",
	    xf->pub.name, xf->pub.num, what);
	xf_abort(xs, xf, XFER_FAILED, PROTO_CANCEL_CHANGED);
}

/* Is the source still what we hashed? */
static int
xf_source_ok(struct xfers *xs, struct xf *xf)
{
	if (xfer_source_changed(xf->fd, xf->pub.size, xf->mtime_ns)) {
		xf_changed(xs, xf, "changed");
		return 0;
	}
	return 1;
}

static void xf_hash_arm(struct xfers *);

static void
xf_hashed(struct xfers *xs, struct xf *xf)
{
	uint8_t root[MERKLE_HASHLEN];
	int first = !xf->has_root;

	xfer_tree_root(xf->tree, root);
	if (!xf_source_ok(xs, xf))
		return;
	if (!first && memcmp(root, xf->root, MERKLE_HASHLEN) != 0) {
		xf_changed(xs, xf, "changed");
		return;
	}
	memcpy(xf->root, root, MERKLE_HASHLEN);
	xf->has_root = 1;
	xf->pub.bytes = xf->stored == STORE_XFER_ACTIVE ? xf->peer_have : 0;
	xf->pub.state =
	    xf->stored == STORE_XFER_ACTIVE ? XFER_ACTIVE : XFER_OFFERED;
	if (first)
		xf_save(xs, xf, 0);
	xf->due |= DUE_OFFER;
	xf->pub.unsent =
	    xf->pub.state == XFER_OFFERED && xf->pub.peer->state != PEER_ONLINE;
	xf_report(xs, xf, 1);
	xf_pump_one(xs, xf);
}

/* Hash the next slice of the first transfer still hashing. */
static void
xf_hash_step(void *arg)
{
	struct xfers *xs = arg;
	struct xf *xf;
	enum xfer_hash_result r;

	xs->hash_timer = NULL;
	TAILQ_FOREACH(xf, &xs->list, entry)
	{
		if (xf->pub.state == XFER_HASHING)
			break;
	}
	if (xf == NULL)
		return;
	xs->buf_num = -1; /* the buffer is the hashing's now */
	r = xfer_tree_hash(
	    xf->tree, xf->fd, xs->buf, XFER_READ, XFER_HASH_SLICE);
	xf->pub.bytes = xfer_tree_hashed(xf->tree);
	switch (r) {
	case XFER_HASH_MORE:
		break;
	case XFER_HASH_DONE:
		xf_hashed(xs, xf);
		break;
	case XFER_HASH_READ:
		xf_notice(xs, xf, FE_ERROR, "cannot read %s: %s", xf->pub.path,
		    strerror(errno));
		xf_changed(xs, xf, "is unreadable");
		break;
	case XFER_HASH_SHRANK:
		xf_changed(xs, xf, "shrank");
		break;
	case XFER_HASH_TREE:
		xf_tree_failed(xs, xf, "write");
		break;
	}
	xf_hash_arm(xs);
}

static void
xf_hash_arm(struct xfers *xs)
{
	struct xf *xf;

	if (xs->hash_timer != NULL)
		return;
	TAILQ_FOREACH(xf, &xs->list, entry)
	{
		if (xf->pub.state == XFER_HASHING) {
			xs->hash_timer = loop_timer_add(
			    engine_loop(xs->eng), 0, xf_hash_step, xs);
			xf_tick_arm(xs);
			return;
		}
	}
}

/*
 * Start (again) hashing an outgoing transfer's open source into a new
 * tree file; -1 with cause if there can be none.
 */
static int
xf_hash_start(struct xfers *xs, struct xf *xf, char **cause)
{
	xf_free_tree(xf);
	if ((xf->tree = xfer_tree_create(engine_conf(xs->eng)->data_dir, NULL,
	         xf->pub.size, cause)) == NULL)
		return -1;
	xf->pub.state = XFER_HASHING;
	xf->pub.bytes = 0;
	xf_hash_arm(xs);
	return 0;
}

/*
 * Have the next n bytes of leaf index (len bytes) of xf's source in
 * xs->buf at serve_off: 0, or -1 with errno (0: shorter). The whole leaf
 * is read at its first piece (one pread instead of five) unless another
 * transfer was served from the buffer since xf last was: pieces of
 * transfers served in turn are read one by one, not a leaf each time.
 */
static int
xf_serve_read(
    struct xfers *xs, struct xf *xf, uint64_t index, size_t len, size_t n)
{
	size_t off = xf->serve_off, want = n;
	int mine = xs->buf_num == xf->pub.num;

	/* A leaf's first piece is always read: its check of the source
	 * (xf_source_ok()) is for what is sent. */
	if (off > 0 && mine && xs->buf_leaf == index && xs->buf_from <= off &&
	    off + n <= xs->buf_to)
		return 0;
	if (off == 0 && mine)
		want = len;
	xs->buf_num = -1;
	if (xfer_source_read(
	        xf->fd, index * MERKLE_LEAF + off, xs->buf + off, want) == -1)
		return -1;
	xs->buf_num = xf->pub.num;
	xs->buf_leaf = index;
	xs->buf_from = off;
	xs->buf_to = off + want;
	return 0;
}

/* Send the next piece of the leaf at the head of xf's requests. */
static int
xf_serve_piece(struct xfers *xs, struct xf *xf)
{
	uint8_t proof[MERKLE_DEPTH_MAX][MERKLE_HASHLEN];
	uint64_t index = xf->reqs[xf->rhead];
	size_t len = merkle_leaf_len(xf->pub.size, index), n;
	struct proto_msg m;
	char *cause;
	int depth;

	if (xf->serve_off == 0 && !xf_source_ok(xs, xf))
		return -1;
	n = len - xf->serve_off;
	if (n > XFER_PIECE)
		n = XFER_PIECE;
	if (xf_serve_read(xs, xf, index, len, n) == -1) {
		xf_changed(xs, xf, errno != 0 ? "is unreadable" : "shrank");
		return -1;
	}
	memset(&m, 0, sizeof m);
	m.type = PROTO_FILE_CHUNK;
	memcpy(m.u.file.id, xf->id, PROTO_XFER_ID_LEN);
	m.u.file.index = index;
	m.u.file.offset = (uint32_t)xf->serve_off;
	if (xf->serve_off == 0) {
		if ((depth = xfer_tree_proof(xf->tree, index, proof)) == -1) {
			xf_tree_failed(xs, xf, "read");
			return -1;
		}
		m.u.file.nproof = (uint8_t)depth;
		m.u.file.proof = proof[0];
	}
	m.u.file.data = xs->buf + xf->serve_off;
	m.u.file.datalen = n;
	if (engine_send_msg(xs->eng, xf->pub.peer, &m, &cause) == -1) {
		free(cause);
		return -1;
	}
	engine_upload_spent(xf->pub.peer, n);
	xf->serve_off += n;
	xf->pub.bytes += n;
	if (xf->pub.bytes > xf->pub.size)
		xf->pub.bytes = xf->pub.size;
	if (xf->serve_off == len) {
		xf->serve_off = 0;
		xf->rhead = (xf->rhead + 1) % XFER_REQ_MAX;
		xf->nreq--;
	}
	return 0;
}

/* --- the receiver --------------------------------------------------------- */

/* --- sending control messages and data ------------------------------------ */

static int
xf_send_ctl(struct xfers *xs, struct xf *xf, uint8_t type)
{
	struct proto_msg m;
	char *cause;

	memset(&m, 0, sizeof m);
	m.type = type;
	memcpy(m.u.file.id, xf->id, PROTO_XFER_ID_LEN);
	switch (type) {
	case PROTO_FILE_OFFER:
		m.u.file.size = xf->pub.size;
		memcpy(m.u.file.root, xf->root, MERKLE_HASHLEN);
		m.u.file.name = xf->pub.name;
		m.u.file.namelen = strlen(xf->pub.name);
		break;
	case PROTO_FILE_ACCEPT:
		m.u.file.have = xf->pub.bytes;
		break;
	case PROTO_FILE_CANCEL:
		/* A completed transfer is unknown to further requests. */
		m.u.file.reason =
		    (uint8_t)(xf->pub.state == XFER_DONE ? PROTO_CANCEL_UNKNOWN
		            : xf->pub.reason >= 0        ? xf->pub.reason
		                                         : PROTO_CANCEL_USER);
		break;
	}
	if (engine_send_msg(xs->eng, xf->pub.peer, &m, &cause) == -1) {
		free(cause);
		return -1;
	}
	return 0;
}

/* The peer has a new connection: what belonged to the old one is void. */
static void
xf_new_conn(struct xf *xf, uint64_t serial)
{
	xf->serial = serial;
	xf->nreq = 0;
	xf->rhead = 0;
	xf->serve_off = 0;
	xf->bad = 0;
	xf_drop_window(xf);
	if (xf->part != NULL)
		xf->scan = xfer_part_missing(xf->part, 0);
	if (xf->pub.outgoing && xf->has_root &&
	    (xf->pub.state == XFER_OFFERED || xf->pub.state == XFER_ACTIVE))
		xf->due |= DUE_OFFER;
	/* Requests on a connection follow an ACCEPT on it. */
	if (!xf->pub.outgoing && xf->pub.state == XFER_ACTIVE)
		xf->due |= DUE_ACCEPT;
	/* Ended by us: say so (the peer ignores it if it knows). */
	if (xf->pub.outgoing && !xf->pub.by_peer &&
	    (xf->pub.state == XFER_CANCELLED || xf->pub.state == XFER_FAILED))
		xf->due |= DUE_CANCEL;
}

/* Control messages and requests of one transfer; -1 if the connection
 * failed. */
static int
xf_control(struct xfers *xs, struct xf *xf)
{
	static const struct {
		unsigned due;
		uint8_t type;
	} order[] = {
		{ DUE_OFFER, PROTO_FILE_OFFER },
		{ DUE_ACCEPT, PROTO_FILE_ACCEPT },
		{ DUE_CANCEL, PROTO_FILE_CANCEL },
		{ DUE_DONE, PROTO_FILE_DONE },
	};
	uint64_t serial = engine_conn_serial(xf->pub.peer);
	size_t i;

	if (xf->serial != serial)
		xf_new_conn(xf, serial);
	for (i = 0; i < sizeof order / sizeof order[0]; i++) {
		if (!(xf->due & order[i].due))
			continue;
		xf->due &= ~order[i].due;
		if (xf_send_ctl(xs, xf, order[i].type) == -1)
			return -1;
		/* "will offer when bob is online" said before: now it is. */
		if (order[i].due == DUE_OFFER && xf->pub.unsent) {
			xf->pub.unsent = 0;
			if (xf->pub.state == XFER_OFFERED)
				xf_report(xs, xf, 1);
		}
	}
	if (!xf->pub.outgoing && xf->pub.state == XFER_ACTIVE &&
	    !xf->pub.stalled && xf_request(xs, xf) == -1)
		return -1;
	return 0;
}

void
xf_pump_one(struct xfers *xs, struct xf *xf)
{
	if (xf->pub.peer->state == PEER_ONLINE)
		xfer_pump(xs, xf->pub.peer);
}

void
xfer_pump(struct xfers *xs, struct peer *p)
{
	struct xf *xf, *next;
	int progress;

	if (engine_queued(p) == SIZE_MAX)
		return;
	xf_tick_arm(xs);
	for (xf = TAILQ_FIRST(&xs->list); xf != NULL; xf = next) {
		next = TAILQ_NEXT(xf, entry);
		if (xf->pub.peer != p ||
		    (xf_ended(xf) && xf->due == 0 &&
		        xf->serial == engine_conn_serial(p)))
			continue;
		if (xf_control(xs, xf) == -1)
			return;
	}
	/* Chunks, one piece per transfer in turn, below the watermark. */
	do {
		progress = 0;
		TAILQ_FOREACH(xf, &xs->list, entry)
		{
			if (xf->pub.peer != p || !xf->pub.outgoing ||
			    xf->pub.state != XFER_ACTIVE || xf->nreq == 0)
				continue;
			if (engine_queued(p) >= ENGINE_BULK_WATERMARK)
				return;
			/* upload_rate: the engine pumps again in time. */
			if (!engine_upload_ok(p))
				return;
			if (xf_serve_piece(xs, xf) == -1)
				return; /* the list may have changed */
			progress = 1;
		}
	} while (progress);
}

/* --- messages from the peer ----------------------------------------------- */

/* CANCEL for an id we keep nothing about. */
void
xf_cancel_id(struct xfers *xs, struct peer *p, const uint8_t *id, int reason)
{
	struct proto_msg r;
	char *cause;

	memset(&r, 0, sizeof r);
	r.type = PROTO_FILE_CANCEL;
	memcpy(r.u.file.id, id, PROTO_XFER_ID_LEN);
	r.u.file.reason = (uint8_t)reason;
	if (engine_send_msg(xs->eng, p, &r, &cause) == -1)
		free(cause);
}

/* The peer accepted our offer. */
static void
xf_accepted(struct xfers *xs, struct xf *xf)
{
	if (xf->pub.state != XFER_OFFERED)
		return;
	xf->pub.state = XFER_ACTIVE;
	xf->stored = STORE_XFER_ACTIVE;
	xf_save(xs, xf, 0);
	xf_report(xs, xf, 1);
	xf_tick_arm(xs);
}

static int
xf_request_in(struct xfers *xs, struct xf *xf, const struct proto_msg *m,
    const char **why)
{
	if (xf == NULL || xf_ended(xf)) {
		/* Answer once per request; it says why it is over. */
		if (xf != NULL)
			xf->due |= DUE_CANCEL;
		return 0;
	}
	if (m->u.file.index >= merkle_leaf_count(xf->pub.size)) {
		*why = "request for a piece beyond the end of the file";
		return -1;
	}
	if (xf->nreq >= XFER_REQ_MAX) {
		*why = "too many file requests at once";
		return -1;
	}
	if (xf->serial != engine_conn_serial(xf->pub.peer))
		xf_new_conn(xf, engine_conn_serial(xf->pub.peer));
	xf->reqs[(xf->rhead + xf->nreq) % XFER_REQ_MAX] = m->u.file.index;
	xf->nreq++;
	/* A request is an acceptance (the ACCEPT came first). */
	xf_accepted(xs, xf);
	return 0;
}

int
xfer_handle(struct xfers *xs, struct peer *p, const struct proto_msg *m,
    const char **why)
{
	struct xf *xf;
	char *cause;
	int undecided;

	*why = NULL;
	switch (m->type) {
	case PROTO_FILE_OFFER:
		xf_offer(xs, p, m, why);
		break;
	case PROTO_FILE_ACCEPT:
		xf = xf_find(xs, p, m->u.file.id, 1);
		if (xf == NULL) {
			/* Not ours: say so. */
			xf_cancel_id(xs, p, m->u.file.id, PROTO_CANCEL_UNKNOWN);
			return 0;
		}
		if (xf_ended(xf)) {
			xf->due |= DUE_CANCEL;
			break;
		}
		xf->peer_have = m->u.file.have < xf->pub.size ? m->u.file.have
		                                              : xf->pub.size;
		if (xf->pub.state == XFER_HASHING) {
			/* Served once the file is hashed again. */
			if (xf->stored != STORE_XFER_ACTIVE) {
				xf->stored = STORE_XFER_ACTIVE;
				xf_save(xs, xf, 0);
			}
			break;
		}
		xf->pub.bytes = xf->peer_have;
		if (xf->pub.state == XFER_ACTIVE) {
			/* Again, on a new connection: what it has is news. */
			if (xf->pub.bytes != xf->reported)
				xf_report(xs, xf, 0);
		} else
			xf_accepted(xs, xf);
		break;
	case PROTO_FILE_REQUEST:
		xf = xf_find(xs, p, m->u.file.id, 1);
		if (xf == NULL) {
			/* Not ours: say so. */
			xf_cancel_id(xs, p, m->u.file.id, PROTO_CANCEL_UNKNOWN);
			return 0;
		}
		if (xf_request_in(xs, xf, m, why) == -1)
			return -1;
		break;
	case PROTO_FILE_CHUNK:
		xf = xf_find(xs, p, m->u.file.id, 0);
		if (xf == NULL || xf->pub.state != XFER_ACTIVE)
			return 0;
		if (xf_chunk(xs, xf, m, why) == -1)
			return -1;
		return 0;
	case PROTO_FILE_DONE:
		xf = xf_find(xs, p, m->u.file.id, 1);
		if (xf == NULL || xf_ended(xf))
			return 0;
		xf->pub.bytes = xf->pub.size;
		xf_end(xs, xf, XFER_DONE, -1, 1);
		return 0;
	case PROTO_FILE_CANCEL:
		/* Either direction: ours or theirs with this id. */
		xf = xf_find(xs, p, m->u.file.id, 1);
		if (xf == NULL || xf_ended(xf))
			xf = xf_find(xs, p, m->u.file.id, 0);
		if (xf == NULL || xf_ended(xf))
			return 0;
		if (!xf->pub.outgoing && xf->pub.path != NULL &&
		    xf->stored == STORE_XFER_ACTIVE) {
			xf_close_fd(xf);
			(void)unlink(xf->pub.path);
			free(xf->pub.path);
			xf->pub.path = NULL;
		}
		undecided = !xf->pub.outgoing && xf->pub.state == XFER_OFFERED;
		/* The report of the new state is the one line the user
		 * sees about it: it names the peer and the reason. */
		xf_end(xs, xf, XFER_CANCELLED, m->u.file.reason, 1);
		/* Nothing was decided, nothing to keep: offer-then-cancel
		 * pairs must not grow the store. */
		if (undecided &&
		    store_xfer_delete(
		        engine_store(xs->eng), xf->pub.num, &cause) == -1) {
			engine_write_failed(xs->eng);
			xf_notice(xs, xf, FE_ERROR, "%s", cause);
			free(cause);
		}
		return 0;
	default:
		*why = "unexpected file message";
		return -1;
	}
	if (*why != NULL)
		return -1;
	xfer_pump(xs, p);
	return 0;
}

void
xfer_peer_down(struct xfers *xs, struct peer *p)
{
	struct xf *xf;

	TAILQ_FOREACH(xf, &xs->list, entry)
	{
		if (xf->pub.peer != p)
			continue;
		xf->serial = 0;
		xf->nreq = 0;
		xf->serve_off = 0;
		xf->due = 0;
		xf_drop_window(xf);
		if (xf->pub.state == XFER_ACTIVE) {
			xf_sync(xs, xf);
			xf->pub.rate = 0;
			xf->rate.ms = 0;
			xf_report(xs, xf, 0);
		}
	}
}

/* --- progress ------------------------------------------------------------- */

static void
xf_tick(void *arg)
{
	struct xfers *xs = arg;
	uint64_t now = loop_now_ms();
	struct xf *xf;

	xs->tick = NULL;
	TAILQ_FOREACH(xf, &xs->list, entry)
	{
		if (xf->pub.state != XFER_ACTIVE &&
		    xf->pub.state != XFER_HASHING)
			continue;
		/* Hashing counts up to the size, then sending starts
		 * again from what the peer has: each state its own rate. */
		xf->pub.rate = util_rate_sample(
		    &xf->rate, (int)xf->pub.state, xf->pub.bytes, now);
		if (!xf->pub.outgoing && xf->part != NULL &&
		    xf->part->unsynced > 0 &&
		    now - xf->synced_ms >= XFER_SYNC_MS)
			xf_sync(xs, xf);
		if (xf->pub.bytes != xf->reported || xf->pub.rate > 0)
			xf_report(xs, xf, 0);
	}
	xf_tick_arm(xs);
}

/* Tick only while something moves: an idle p2ptui stays asleep. */
void
xf_tick_arm(struct xfers *xs)
{
	struct xf *xf;

	if (xs->tick != NULL)
		return;
	TAILQ_FOREACH(xf, &xs->list, entry)
	{
		if (xf->pub.state == XFER_HASHING ||
		    (xf->pub.state == XFER_ACTIVE &&
		        xf->pub.peer->state == PEER_ONLINE)) {
			xs->tick = loop_timer_add(
			    engine_loop(xs->eng), XFER_TICK_MS, xf_tick, xs);
			return;
		}
	}
}

/* --- the user's side ------------------------------------------------------ */

struct xf *
xf_of(struct xfers *xs, const struct xfer *x)
{
	struct xf *xf;

	TAILQ_FOREACH(xf, &xs->list, entry)
	{
		if (&xf->pub == x)
			return xf;
	}
	return NULL;
}

int
xfer_send(struct xfers *xs, struct peer *p, const char *path,
    const struct xfer **out, char **cause)
{
	const char *base;
	uint64_t size;
	int64_t mtime_ns;
	struct xf *xf;
	int fd;

	if (!p->has_key) {
		*cause = xasprintf("%s has no key yet: connect first", p->name);
		return -1;
	}
	if ((fd = xfer_source_open(path, &size, &mtime_ns, &base, cause)) == -1)
		return -1;
	xf = xf_new(xs, p, 1);
	xf->fd = fd;
	ident_random(xf->id, sizeof xf->id);
	/* We offer (and show) the safe form of the name: the receiver
	 * sanitises it anyway, and then it compares equal to ours. */
	util_safe_name(base, xf->pub.name, sizeof xf->pub.name);
	xf->pub.path = xstrdup(path);
	xf->pub.size = size;
	xf->mtime_ns = mtime_ns;
	xf->stored = STORE_XFER_OFFERED;
	xf->pub.created_ms = xf_now_ms();
	if (xf_hash_start(xs, xf, cause) == -1) {
		TAILQ_REMOVE(&xs->list, xf, entry);
		xf_free(xf);
		return -1;
	}
	xf_save(xs, xf, 1);
	xf_report(xs, xf, 1);
	if (out != NULL)
		*out = &xf->pub;
	return 0;
}

int
xfer_cancel(struct xfers *xs, const struct xfer *x, char **cause)
{
	struct xf *xf = xf_of(xs, x);

	if (xf == NULL || xf_ended(xf)) {
		*cause = xasprintf("#%" PRId64 " has already ended", x->num);
		return -1;
	}
	xf_abort(xs, xf, XFER_CANCELLED,
	    !xf->pub.outgoing && xf->pub.state == XFER_OFFERED
	        ? PROTO_CANCEL_DECLINED
	        : PROTO_CANCEL_USER);
	xf_trim(xs);
	return 0;
}

/* --- loading and the module ----------------------------------------------- */

static int
xf_load_one(void *arg, const struct store_xfer *sx)
{
	struct xfers *xs = arg;
	struct peer *p = engine_find_key(xs->eng, sx->key);
	struct xf *xf;
	uint64_t i;
	int r;
	char *cause;

	if (p == NULL)
		return 0; /* a peer no longer known: left in the store */
	xf = xf_new(xs, p, sx->outgoing);
	xf->pub.num = sx->rowid;
	memcpy(xf->id, sx->id, sizeof xf->id);
	memcpy(xf->root, sx->root, sizeof xf->root);
	snprintf(xf->pub.name, sizeof xf->pub.name, "%s", sx->name);
	xf->pub.size = sx->size;
	xf->pub.path = sx->path != NULL ? xstrdup(sx->path) : NULL;
	xf->mtime_ns = sx->mtime_ns;
	xf->stored = sx->state;
	xf->pub.reason = sx->reason;
	xf->pub.created_ms = sx->created_ms;
	xf->pub.ended_ms = sx->ended_ms;
	switch (sx->state) {
	case STORE_XFER_DONE:
		xf->pub.state = XFER_DONE;
		xf->pub.bytes = xf->pub.size;
		xs->nended++;
		return 0;
	case STORE_XFER_CANCELLED:
	case STORE_XFER_FAILED:
		xf->pub.state = sx->state == STORE_XFER_CANCELLED
		    ? XFER_CANCELLED
		    : XFER_FAILED;
		/* Whoever ended it, the peer learns it when it asks. */
		xf->pub.by_peer = 1;
		xs->nended++;
		return 0;
	default:
		break;
	}
	xf->has_root = 0;
	for (i = 0; i < MERKLE_HASHLEN; i++)
		xf->has_root |= xf->root[i];
	if (sx->outgoing) {
		/* Hash it again: it must be what we offered. */
		xf->fd = open(sx->path, O_RDONLY | O_CLOEXEC);
		if (xf->fd == -1 ||
		    xfer_source_changed(xf->fd, sx->size, sx->mtime_ns)) {
			xf->pub.state = XFER_OFFERED;
			xf_changed(
			    xs, xf, xf->fd == -1 ? "is gone" : "changed");
			return 0;
		}
		if (xf_hash_start(xs, xf, &cause) == -1) {
			xf_notice(xs, xf, FE_ERROR,
			    "cannot resume %s (#%" PRId64 "): %s", xf->pub.name,
			    xf->pub.num, cause);
			free(cause);
			xf_abort(xs, xf, XFER_FAILED, PROTO_CANCEL_ERROR);
		}
		return 0;
	}
	xf->pub.state =
	    sx->state == STORE_XFER_ACTIVE ? XFER_ACTIVE : XFER_OFFERED;
	if (sx->state != STORE_XFER_ACTIVE)
		return 0;
	xf->part = xfer_part_new(sx->size, sx->have, sx->havelen);
	r = sx->path != NULL ? xfer_part_open(xf->part, sx->path, &cause) : -1;
	if (r == -1) {
		/* The .part is gone: start again from nothing. */
		xf_notice(xs, xf, FE_WARN,
		    "%s of %s (#%" PRId64 ") is gone: starting again",
		    sx->path != NULL ? sx->path : "the .part", xf->pub.name,
		    xf->pub.num);
		if (xf_open_part(xs, xf, &cause) == -1) {
			xf_notice(xs, xf, FE_ERROR, "%s", cause);
			free(cause);
			xf_end(xs, xf, XFER_FAILED, PROTO_CANCEL_ERROR, 0);
			xf->pub.by_peer = 1; /* the next offer says it */
			return 0;
		}
		xf_save(xs, xf, 0);
	} else if (r == 1) {
		xf_notice(xs, xf, FE_ERROR, "%s", cause);
		free(cause);
	}
	xf->pub.bytes = xf->part->bytes;
	xf->synced_ms = loop_now_ms();
	return 0;
}

struct xfers *
xfer_create(struct engine *eng)
{
	struct xfers *xs = xcalloc(1, sizeof *xs);
	struct xf *xf;
	char *cause;

	xs->eng = eng;
	TAILQ_INIT(&xs->list);
	xs->buf = xmalloc(XFER_READ);
	xs->buf_num = -1;
	if (store_xfer_list(
	        engine_store(eng), XFER_KEEP, xf_load_one, xs, &cause) == -1) {
		xf_notice(
		    xs, NULL, FE_ERROR, "cannot read transfers: %s", cause);
		free(cause);
	}
	TAILQ_FOREACH(xf, &xs->list, entry)
	{
		if (!xf_ended(xf))
			xf_report(xs, xf, 1);
	}
	xf_tick_arm(xs);
	return xs;
}

void
xfer_free(struct xfers *xs)
{
	struct xf *xf;

	if (xs == NULL)
		return;
	while ((xf = TAILQ_FIRST(&xs->list)) != NULL) {
		TAILQ_REMOVE(&xs->list, xf, entry);
		if (xf->pub.state == XFER_ACTIVE &&
		    !engine_conf(xs->eng)->history && !xf->pub.outgoing &&
		    xf->pub.path != NULL) {
			/* history = false keeps no record, so the .part could
			 * never be resumed: leave no trace of it either. */
			xf_close_fd(xf);
			(void)unlink(xf->pub.path);
		} else if (xf->pub.state == XFER_ACTIVE)
			xf_sync(xs, xf);
		xf_free(xf);
	}
	if (xs->hash_timer != NULL)
		loop_timer_del(xs->hash_timer);
	if (xs->tick != NULL)
		loop_timer_del(xs->tick);
	if (xs->retry != NULL)
		loop_timer_del(xs->retry);
	free(xs->buf);
	free(xs);
}

const struct xfer *
xfer_next(const struct xfers *xs, const struct xfer *x)
{
	/* pub is the first member of struct xf. */
	const struct xf *xf = x == NULL
	    ? TAILQ_FIRST(&xs->list)
	    : TAILQ_NEXT((const struct xf *)x, entry);

	return xf != NULL ? &xf->pub : NULL;
}

const struct xfer *
xfer_find(const struct xfers *xs, int64_t num)
{
	const struct xf *xf;

	TAILQ_FOREACH(xf, &xs->list, entry)
	{
		if (xf->pub.num == num)
			return &xf->pub;
	}
	return NULL;
}

const struct xfer *
xfer_pending_offer(const struct xfers *xs, struct peer *p)
{
	const struct xf *xf, *found = NULL;

	TAILQ_FOREACH(xf, &xs->list, entry)
	{
		if (xf->pub.peer == p && !xf->pub.outgoing &&
		    xf->pub.state == XFER_OFFERED)
			found = xf;
	}
	return found != NULL ? &found->pub : NULL;
}

const char *
xfer_state_name(enum xfer_state s)
{
	switch (s) {
	case XFER_HASHING:
		return "hashing";
	case XFER_OFFERED:
		return "offered";
	case XFER_ACTIVE:
		return "active";
	case XFER_DONE:
		return "done";
	case XFER_CANCELLED:
		return "cancelled";
	case XFER_FAILED:
		return "failed";
	}
	return "?";
}

/* --- the feature ------------------------------------------------------------
 */

static void *
xfer_feature_create(struct engine *eng, char **cause)
{
	(void)cause;
	return xfer_create(eng);
}

static void
xfer_feature_free(void *state)
{
	xfer_free(state);
}

static int
xfer_feature_message(
    void *state, struct peer *p, const struct proto_msg *m, const char **why)
{
	return xfer_handle(state, p, m, why);
}

static void
xfer_feature_offline(void *state, struct peer *p)
{
	xfer_peer_down(state, p);
}

static int
xfer_feature_pump(void *state, struct peer *p)
{
	xfer_pump(state, p);
	return 0;
}

const struct feature xfer_feature = {
	.name = "file",
	.type_lo = PROTO_FILE_FIRST,
	.type_hi = PROTO_FILE_LAST,
	.create = xfer_feature_create,
	.free = xfer_feature_free,
	.message = xfer_feature_message,
	.offline = xfer_feature_offline,
	.pump = xfer_feature_pump,
};

struct xfers *
xfer_of(const struct engine *eng)
{
	return engine_feature(eng, &xfer_feature);
}
