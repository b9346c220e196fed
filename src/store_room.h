/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Rooms in the message store (history.db): rooms, their delivered
 * events in delivery order, equivocation proofs, epoch keys and
 * members. Secrets (our E's secret key, epoch keys, the hardened
 * password) arrive here already sealed (room_seal()); the password
 * itself is never stored. Writes join store.c's transaction.
 */
#ifndef P2PTUI_STORE_ROOM_H
#define P2PTUI_STORE_ROOM_H

#include <stddef.h>
#include <stdint.h>

#include "room_event.h"
#include "room_log.h"
#include "store.h"

struct store_room;

/* A room as stored; pointers valid during a callback only. */
struct store_room_info {
	int64_t rowid; /* set by store_room_add() */
	uint8_t room[ROOM_IDLEN];
	const char *name;
	uint8_t flags;
	uint8_t e[ROOM_KEYLEN]; /* ours */
	const uint8_t *e_sk; /* sealed */
	size_t e_sklen;
	const uint8_t *prs; /* sealed; NULL: no password (or not ours) */
	size_t prslen;
	int64_t created_ms;
};

/* An event as stored (text: MSG and TOPIC, NULL otherwise). */
struct store_room_event {
	int64_t rowid; /* delivery order */
	const uint8_t *raw;
	size_t len;
	uint64_t lamport;
	uint8_t kind;
	int64_t time_ms;
	const char *text;
	size_t textlen;
};

typedef int (*store_room_cb)(void *arg, const struct store_room_info *);
typedef int (*store_room_event_cb)(void *arg, const struct store_room_event *);
typedef int (*store_room_key_cb)(
    void *arg, uint32_t epoch, const uint8_t *sealed, size_t len);

/* The room tables (created on first use) and their statements. */
struct store_room *store_room_open(struct store *, char **cause);
void store_room_close(struct store_room *);

/* Add a room; sets r->rowid. -1 with *cause (also if it exists). */
int store_room_add(struct store_room *, struct store_room_info *, char **cause);
/* Replace the sealed PRS (NULL: none). */
int store_room_set_prs(struct store_room *, int64_t room, const uint8_t *prs,
    size_t len, char **cause);
/* Every room, in the order they were added. */
int store_room_list(
    struct store_room *, store_room_cb, void *arg, char **cause);

/*
 * Store a delivered event (ev decoded from raw; b its opened body).
 * *inserted is 0 if its id, or its (author, seq), is already there.
 */
int store_room_event_add(struct store_room *, int64_t room,
    const struct room_event *ev, const uint8_t *raw, size_t len,
    const struct room_body *b, int *inserted, char **cause);
/* Events in delivery order (to load a room_log). */
int store_room_events(struct store_room *, int64_t room, store_room_event_cb,
    void *arg, char **cause);
/* The newest limit events in (lamport, id) order, oldest first. */
int store_room_history(struct store_room *, int64_t room, size_t limit,
    store_room_event_cb, void *arg, char **cause);
/* Events beyond v (n entries, as room_log_since()), in (lamport, id)
 * order. */
int store_room_since(struct store_room *, int64_t room, const struct room_vv *v,
    size_t n, store_room_event_cb, void *arg, char **cause);
/* How many events. */
int store_room_count(
    struct store_room *, int64_t room, int64_t *count, char **cause);

/* An equivocation proof (the second event for its author and seq). */
int store_room_proof(struct store_room *, int64_t room,
    const struct room_event *, const uint8_t *raw, size_t len, char **cause);
int store_room_proofs(struct store_room *, int64_t room, store_room_event_cb,
    void *arg, char **cause);

/* A sealed epoch key (replacing any for that epoch), and all of them. */
int store_room_key_put(struct store_room *, int64_t room, uint32_t epoch,
    const uint8_t *sealed, size_t len, char **cause);
int store_room_keys(struct store_room *, int64_t room, store_room_key_cb,
    void *arg, char **cause);

/*
 * Members, as last folded from the log (the log is the truth; this is
 * what the engine shows before the log is loaded, and addresses to
 * dial): one row per E, replaced on every change.
 */
typedef int (*store_room_member_cb)(
    void *arg, const struct room_member_info *, int active, int flagged);
int store_room_member_put(struct store_room *, int64_t room,
    const struct room_member_info *, int active, int flagged, char **cause);
int store_room_members(struct store_room *, int64_t room, store_room_member_cb,
    void *arg, char **cause);

#endif
