/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The message store: SQLite in the data directory (history.db, WAL mode),
 * the only owner of <sqlite3.h>. Conversations are keyed by the peer's
 * public key. Writes join one transaction that store_commit() ends, once
 * per loop iteration.
 */
#ifndef P2PTUI_STORE_H
#define P2PTUI_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_FILE "history.db"
#define STORE_KEYLEN 32
#define STORE_IDLEN 16

enum store_state {
	STORE_PENDING = 0, /* ours, not yet acknowledged */
	STORE_DELIVERED = 1, /* ours, acknowledged */
	STORE_RECEIVED = 2, /* theirs */
};

struct store_msg {
	int64_t rowid; /* position in the history, increasing */
	uint8_t id[STORE_IDLEN];
	enum store_state state;
	uint64_t seq; /* the sender's per-peer sequence number */
	int64_t sent_ms; /* the sender's clock */
	int64_t recv_ms; /* our clock when stored */
	const char *text;
	size_t len;
};

struct store;

/* Called for each message; a non-zero return stops the walk. */
typedef int (*store_cb)(
    void *arg, const uint8_t key[STORE_KEYLEN], const struct store_msg *);

/*
 * Open (creating or migrating) dir/history.db, or with dir NULL a store
 * in memory only. A damaged or newer database is refused with a cause
 * that says how to recover; nothing is ever started empty in its place.
 */
struct store *store_open(const char *dir, char **cause);
/* Commit what is pending and close. */
void store_close(struct store *);

/* End the current transaction, if any. -1 with *cause (rolled back). */
int store_commit(struct store *, char **cause);
/* 1 while a transaction has uncommitted writes. */
int store_dirty(const struct store *);

/* Store our new message: assigns the next sequence number. */
int store_add_outgoing(struct store *, const uint8_t key[STORE_KEYLEN],
    struct store_msg *, char **cause);
/* Store a received message; *inserted is 0 for a duplicate id. */
int store_add_incoming(struct store *, const uint8_t key[STORE_KEYLEN],
    struct store_msg *, int *inserted, char **cause);
/* Mark ours delivered; *changed is 0 if it was not pending. */
int store_mark_delivered(struct store *, const uint8_t key[STORE_KEYLEN],
    const uint8_t id[STORE_IDLEN], int *changed, char **cause);

/* The state of message id with key: 1 and *state if stored, 0 if not,
 * -1 with *cause if it cannot be read. */
int store_lookup(struct store *, const uint8_t key[STORE_KEYLEN],
    const uint8_t id[STORE_IDLEN], enum store_state *, char **cause);

/* Pending messages to key after rowid, oldest first, at most limit. */
int store_pending(struct store *, const uint8_t key[STORE_KEYLEN],
    int64_t after, size_t limit, store_cb, void *arg, char **cause);
/* History with key before rowid (0: from the newest), newest first. */
int store_history(struct store *, const uint8_t key[STORE_KEYLEN],
    int64_t before, size_t limit, store_cb, void *arg, char **cause);
/* Messages containing text (case-insensitive for ASCII), with key or
 * with anyone if key is NULL, newest first. */
int store_search(struct store *, const uint8_t *key, const char *text,
    size_t limit, store_cb, void *arg, char **cause);
/* Received messages (from anyone) after rowid, oldest first, at most
 * limit. */
int store_received_after(struct store *, int64_t after, size_t limit, store_cb,
    void *arg, char **cause);
/* The rowid of the newest message, 0 if none. */
int store_last_rowid(struct store *, int64_t *rowid, char **cause);
/* Delete the history with key, and its ended transfers (unfinished ones
 * stay); *count receives how many messages. */
int store_forget(struct store *, const uint8_t key[STORE_KEYLEN],
    int64_t *count, char **cause);
/* How many messages with key (state < 0: any state). */
int store_count(struct store *, const uint8_t key[STORE_KEYLEN], int state,
    int64_t *count, char **cause);

/*
 * File transfers, both ways (xfer.c). One row per transfer, keyed by
 * (peer key, transfer id, direction); rowid is the local number the user
 * sees (#N) and is never reused.
 */
enum store_xfer_state {
	STORE_XFER_OFFERED = 0, /* out: waiting for an answer; in: for us */
	STORE_XFER_ACTIVE = 1, /* accepted, not complete */
	STORE_XFER_DONE = 2, /* complete and verified */
	STORE_XFER_CANCELLED = 3, /* by either side (reason says which) */
	STORE_XFER_FAILED = 4, /* an error ended it (reason says which) */
};

struct store_xfer {
	int64_t rowid; /* set by store_xfer_add() */
	uint8_t key[STORE_KEYLEN]; /* the peer */
	uint8_t id[STORE_IDLEN];
	int outgoing;
	const char *name; /* out: as offered; in: sanitised (NULL kept) */
	uint64_t size; /* below 2^63: stored as a signed integer */
	uint8_t root[32];
	/* out: the source file; in: the .part, then the final file (NULL
	 * kept). */
	const char *path;
	int64_t mtime_ns; /* out: the source's mtime when hashed */
	enum store_xfer_state state;
	int reason; /* a PROTO_CANCEL_* once cancelled or failed, else -1 */
	/* in: one bit per leaf, leaf i in byte i / 8, bit i % 8 (LSB
	 * first): verified and on disk. NULL, 0 when none. */
	const uint8_t *have;
	size_t havelen;
	int64_t created_ms, ended_ms; /* ended_ms 0 while not ended */
};

/* Called for each transfer; a non-zero return stops the walk. */
typedef int (*store_xfer_cb)(void *arg, const struct store_xfer *);

/* Add a transfer; sets x->rowid. -1 with *cause (also if a transfer with
 * the same key, id and direction exists: the transaction goes on). */
int store_xfer_add(struct store *, struct store_xfer *, char **cause);
/* Update state, reason, path, have, ended_ms, root and mtime_ns of
 * x->rowid (an outgoing root is known only once the file is hashed); -1 with
 * *cause if there is no such row. */
int store_xfer_update(struct store *, const struct store_xfer *, char **cause);
/* Delete transfer rowid (its number is not reused: AUTOINCREMENT). */
int store_xfer_delete(struct store *, int64_t rowid, char **cause);
/* Transfers not ended (OFFERED, ACTIVE) in rowid order; then, if recent
 * > 0, the newest recent ended ones, oldest first. Pointers are valid
 * only during the callback, which may use the store (rows are read
 * before the first call). */
int store_xfer_list(
    struct store *, size_t recent, store_xfer_cb, void *arg, char **cause);

/* The transfer with key, id and direction, if any, to cb (at most one
 * call). */
int store_xfer_find(struct store *, const uint8_t key[STORE_KEYLEN],
    const uint8_t id[STORE_IDLEN], int outgoing, store_xfer_cb, void *arg,
    char **cause);

#endif
