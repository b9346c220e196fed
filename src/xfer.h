/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * File transfers (DESIGN.md section 8, doc/PROTOCOL.md section 7.8): an
 * engine feature module like flip.c. The sender names a file by the root
 * of its Merkle tree (merkle.h); the receiver pulls leaves with REQUEST,
 * each CHUNK of a leaf carries its proof, and the receiver verifies each
 * leaf before recording it, so any leaf could come from any peer.
 *
 * Everything that must survive a restart is in the store: the offer, the
 * state, the .part path and the record of verified leaves, which is only
 * written after the .part data it names has been fdatasync()ed.
 */
#ifndef P2PTUI_XFER_H
#define P2PTUI_XFER_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct engine;
struct feature;
struct peer;
struct xfers;

enum xfer_state {
	XFER_HASHING, /* out: computing the root before offering */
	XFER_OFFERED, /* out: offered, no answer yet; in: waiting for us */
	XFER_ACTIVE, /* accepted: chunks flow while the peer is online */
	XFER_DONE, /* in: verified and saved; out: the peer has it all */
	XFER_CANCELLED, /* by either side; reason says why */
	XFER_FAILED, /* an error ended it; reason and error say why */
};

/* What frontends may read about a transfer. */
struct xfer {
	int64_t num; /* the local number the user types (#N), never reused */
	struct peer *peer;
	int outgoing;
	char name[256]; /* sanitised: safe to show and to create */
	char *path; /* out: the source; in: the .part, then the saved file */
	uint64_t size;
	uint64_t bytes; /* in: verified; out: known to be at the peer or
	                   sent; out while hashing: hashed */
	double rate; /* bytes per second, smoothed; 0 if idle */
	enum xfer_state state;
	int reason; /* a PROTO_CANCEL_* once cancelled or failed, else -1 */
	int by_peer; /* the peer ended it (not us) */
	char error[160]; /* the last problem, "" if none (e.g. disk full:
	                    the .part is kept and the transfer waits) */
	int stalled; /* in: waiting after a full disk; xfer_accept goes on */
	int unsent; /* out, offered: reported while the peer was offline,
	               so not made yet; reported again once it is */
	int64_t created_ms, ended_ms;
};

/*
 * Create the module: loads unfinished transfers from the store (outgoing
 * ones are hashed again, to notice a changed file) and reports them. It
 * does not fail: a transfer that cannot be resumed is marked failed and
 * reported.
 */
struct xfers *xfer_create(struct engine *);
/* Write what is verified so far (fdatasync and record) and free all. */
void xfer_free(struct xfers *);

/* Offer the file at path (absolute, so that a restart started elsewhere
 * finds it again) to p, who need not be online. */
int xfer_send(struct xfers *, struct peer *, const char *path,
    const struct xfer **out, char **cause);
/* Accept an incoming offer: saved in the configured download_dir. Or,
 * for a transfer stalled by a full disk, try again now. */
int xfer_accept(struct xfers *, const struct xfer *, char **cause);
/* Decline an incoming offer, or cancel any transfer that has not ended;
 * an incoming .part is deleted. */
int xfer_cancel(struct xfers *, const struct xfer *, char **cause);

/* The engine's hooks. A message of the file family from an online peer:
 * -1 with *why to close the connection. */
int xfer_handle(
    struct xfers *, struct peer *, const struct proto_msg *, const char **why);
/* p's connection is gone or was replaced: requests in flight are void. */
void xfer_peer_down(struct xfers *, struct peer *);
/*
 * p is online and its output buffer has room: send what is due (offers,
 * answers, requests, chunks) while it stays below the watermark. Cheap
 * when p has no transfers; notices a new connection by itself.
 */
void xfer_pump(struct xfers *, struct peer *);

/* Transfers in number order: unfinished, and the recent ended ones. */
const struct xfer *xfer_next(const struct xfers *, const struct xfer *);
/* By number; NULL if there is none. */
const struct xfer *xfer_find(const struct xfers *, int64_t num);
/* The newest incoming offer from p still waiting for us, or NULL. */
const struct xfer *xfer_pending_offer(const struct xfers *, struct peer *);

const char *xfer_state_name(enum xfer_state);

/* The feature (feature.h), and its state in an engine (NULL before
 * engine_start()): how frontends and commands reach it. */
extern const struct feature xfer_feature;
struct xfers *xfer_of(const struct engine *);

#endif
