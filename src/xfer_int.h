/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the files of the file transfer feature share, and nothing else
 * includes: xfer.c (the transfer record, its states and messages, the
 * sender, the user's side) and xfer_recv.c (the receiver: offers in,
 * requests, leaves arriving, the .part, completion). The files
 * themselves are xfer_disk.c's.
 */
#ifndef P2PTUI_XFER_INT_H
#define P2PTUI_XFER_INT_H

#include <sys/queue.h>

#include <stdint.h>

#include "engine.h"
#include "ident.h"
#include "merkle.h"
#include "proto.h"
#include "store.h"
#include "util.h"
#include "xfer.h"
#include "xfer_disk.h"

#define XFER_PIECE (60 * 1024) /* data bytes per CHUNK we send */
#define XFER_REQ_MAX 16 /* requests a peer may have outstanding */
/* Leaves we request at once per transfer: all that PROTOCOL.md allows
 * (XFER_REQ_MAX). With 8 the link went idle whenever either node waited
 * for a CPU: 222 MB/s against 315 with 16 on a loaded 2-core machine. */
#define XFER_WINDOW XFER_REQ_MAX
/* Requests sent together once a leaf is in: a write and a wakeup of
 * the sender per MiB instead of per leaf. */
#define XFER_REQ_BATCH 4
#define XFER_HASH_SLICE (4 * 1024 * 1024) /* hashed per loop iteration */
#define XFER_READ (1024 * 1024)
#define XFER_SYNC_BYTES (64ULL * 1024 * 1024)
#define XFER_SYNC_MS 2000
#define XFER_KICK_BYTES (8 * 1024 * 1024) /* start writeback this often */
#define XFER_TICK_MS 1000 /* progress reports and rates */
#define XFER_RETRY_MS 30000 /* after a full disk */
#define XFER_BAD_MAX 3 /* failed leaves per connection before giving up */
#define XFER_KEEP 50 /* ended transfers kept for /transfers */
#define XFER_OFFERS_MAX 32 /* undecided offers per peer */
/* New offers a peer may make: a burst, then this many a minute. */
#define XFER_OFFER_BURST 32
#define XFER_OFFER_RATE 20
#define XFER_OFFER_SLOTS 16 /* peers whose offer rate is tracked */

/* Control messages due on the peer's connection. */
enum {
	DUE_OFFER = 1,
	DUE_ACCEPT = 2,
	DUE_CANCEL = 4,
	DUE_DONE = 8,
};

struct xf {
	struct xfer pub; /* first: a struct xfer * is its struct xf * */
	TAILQ_ENTRY(xf) entry;
	uint8_t key[IDENT_KEYLEN];
	uint8_t id[PROTO_XFER_ID_LEN];
	uint8_t root[MERKLE_HASHLEN];
	int has_root; /* out: known (offered before, or hashed) */
	enum store_xfer_state stored; /* what the store says */
	int fd;
	int64_t mtime_ns; /* out: of the source when hashed */
	uint64_t serial; /* the connection the state below belongs to */
	unsigned due;

	/* out */
	struct xfer_tree *tree; /* while hashing and serving */
	uint64_t reqs[XFER_REQ_MAX]; /* a ring of requested leaves */
	size_t rhead, nreq;
	size_t serve_off; /* into the leaf at the head of reqs */
	uint64_t peer_have; /* bytes the peer said it had */

	/* in, once accepted (the .part's descriptor is its own) */
	struct xfer_part *part;
	uint8_t *leafbuf; /* the leaf arriving, until it is verified */
	uint64_t scan; /* no missing leaf below this */
	struct xfer_leaf *win[XFER_WINDOW];
	size_t nwin;
	int bad;
	uint64_t synced_ms;

	struct util_rate rate; /* pub.bytes at the ticks, per state */
	uint64_t reported; /* bytes at the last progress report */
};

TAILQ_HEAD(xf_list, xf);

struct xfers {
	struct engine *eng;
	struct xf_list list; /* in number order */
	size_t nended;
	struct loop_timer *hash_timer;
	struct loop_timer *tick;
	struct loop_timer *retry;
	uint8_t *buf; /* XFER_READ bytes for hashing and serving */
	/* What buf holds for serving: bytes [buf_from, buf_to) of leaf
	 * buf_leaf of the source of transfer buf_num (-1: nothing). */
	int64_t buf_num;
	uint64_t buf_leaf;
	size_t buf_from, buf_to;
	uint64_t flood_ms; /* when we last warned of too many offers */
	struct xf_bucket { /* offers a peer may still make, LRU */
		uint8_t key[IDENT_KEYLEN];
		double tokens;
		uint64_t last_ms; /* 0: a free slot */
		uint64_t warned_ms; /* when we last said it was too fast */
	} offer_rate[XFER_OFFER_SLOTS];
};

/* xfer.c */
int64_t xf_now_ms(void);
void xf_notice(struct xfers *, struct xf *, enum fe_level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Tell the frontends of xf (changed: its state). */
void xf_report(struct xfers *, struct xf *, int changed);
int xf_ended(const struct xf *);
/* Write the store's view of xf (add: a new row). */
void xf_save(struct xfers *, struct xf *, int add);
struct xf *xf_find(
    struct xfers *, const struct peer *, const uint8_t *id, int outgoing);
struct xf *xf_new(struct xfers *, struct peer *, int outgoing);
struct xf *xf_of(struct xfers *, const struct xfer *);
/* Forget the oldest ended transfers beyond XFER_KEEP. */
void xf_trim(struct xfers *);
/* End a transfer: state, reason, the store, the frontend. */
void xf_end(
    struct xfers *, struct xf *, enum xfer_state, int reason, int by_peer);
/* We end it: the peer is told now or on its next connection. */
void xf_abort(struct xfers *, struct xf *, enum xfer_state, int reason);
void xf_pump_one(struct xfers *, struct xf *);
void xf_tick_arm(struct xfers *);
void xf_close_fd(struct xf *);
void xf_drop_window(struct xf *);
/* CANCEL for an id we keep nothing about. */
void xf_cancel_id(struct xfers *, struct peer *, const uint8_t *id, int reason);

/* xfer_recv.c */
/* Record the verified leaves: only after their data is on disk. */
void xf_sync(struct xfers *, struct xf *);
/* Leaves still missing and not requested: request them; -1 if the
 * connection failed. */
int xf_request(struct xfers *, struct xf *);
/* A CHUNK of an active incoming transfer; -1 with why to close. */
int xf_chunk(
    struct xfers *, struct xf *, const struct proto_msg *, const char **why);
/* Start the .part for an accepted offer, from nothing. */
int xf_open_part(struct xfers *, struct xf *, char **cause);
/* An OFFER; *why set if it is invalid. */
void xf_offer(
    struct xfers *, struct peer *, const struct proto_msg *, const char **why);

#endif
