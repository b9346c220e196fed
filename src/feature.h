/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The feature interface (DESIGN.md section 3). A feature (chat, flip,
 * xfer, ...) owns a range of message types and exports one descriptor;
 * the engine keeps a table of them (features.c) and calls the hooks in
 * table order. The engine never names a feature's functions, and a
 * feature reaches the engine only through engine.h.
 *
 * Every hook but create may be NULL. A feature's state exists from
 * engine_start() (after the frontend has heard of the listener and the
 * peers) until engine_free(); before that engine_feature() is NULL.
 */
#ifndef P2PTUI_FEATURE_H
#define P2PTUI_FEATURE_H

#include <stddef.h>
#include <stdint.h>

struct engine;
struct peer;
struct proto_msg;

/*
 * FEATURE_MEMBER: its messages are allowed on a room-only session (a
 * PEER_MEMBER peer); every other feature's close such a session.
 * FEATURE_EARLY: its messages reach it on an authenticated session that
 * is not online yet (a contact request, or waiting for one), and it
 * checks the peer's state itself; opened() is called for such sessions.
 */
#define FEATURE_MEMBER 0x1u
#define FEATURE_EARLY 0x2u

struct feature {
	const char *name; /* "chat": notices say "chat message before hello" */
	/* Message types it owns, inclusive; none if lo > hi (lan). */
	uint8_t type_lo, type_hi;
	unsigned flags; /* FEATURE_* */
	/* The state; NULL with *cause fails engine_start(). */
	void *(*create)(struct engine *, char **cause);
	/* Free the state; called before the store is committed and closed
	 * for the last time, so what it writes is kept. */
	void (*free)(void *state);
	/* A message in [type_lo, type_hi] from p, which is online; -1 with
	 * *why (a static string) closes the connection. */
	int (*message)(void *state, struct peer *, const struct proto_msg *,
	    const char **why);
	/* p's session is up: it came online, or a new connection took over
	 * (after offline() for the old one). engine_pump() follows. */
	void (*online)(void *state, struct peer *);
	/* p's session is gone, or was replaced by a new connection: what
	 * was bound to it cannot finish. */
	void (*offline)(void *state, struct peer *);
	/*
	 * p is online and its output buffer may have room (it drained, the
	 * session came up, a feature has something new): send what fits.
	 * Nonzero if this feature still has data waiting for room; in
	 * engine_pump() the features after it then wait (chat before files).
	 */
	int (*pump)(void *state, struct peer *);
	/* After the iteration's store commit; failed if that or a write of
	 * the iteration failed (nothing that depends on it went out). */
	void (*commit)(void *state, int failed);
	/* FEATURE_EARLY: p has a new authenticated session that is not
	 * online (yet): we dialled it and wait for its HELLO. */
	void (*opened)(void *state, struct peer *);
	/* p is about to be freed (a declined contact request). */
	void (*removed)(void *state, struct peer *);
};

/* features.c: the table, in dispatch order. */
extern const struct feature *const features[];
extern const size_t nfeatures;

/* A feature's state, or NULL before engine_start(). */
void *engine_feature(const struct engine *, const struct feature *);

#endif
