/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A room's log in memory: the state machine of DESIGN.md section 9 and
 * doc/PROTOCOL.md section 14.3, with no sockets and no SQLite. Events
 * go in through room_log_receive(); what is delivered goes out, in
 * causal order and exactly once, through the ops given at creation
 * (the engine stores, then shows; tests keep a list).
 */
#ifndef P2PTUI_ROOM_LOG_H
#define P2PTUI_ROOM_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "room_event.h"

#define ROOM_PENDING_MAX 4096 /* events waiting, per room */
#define ROOM_MEMBERS_MAX 256 /* members at one time */
#define ROOM_KEYS_MAX 1024 /* member keys over a room's life */
#define ROOM_EPOCHS_MAX 256 /* epochs over a room's life (255 rekeys) */
#define ROOM_PREFIXLEN 8 /* of E, in a version vector */

/* What the log asks of its storage (and frontend). */
struct room_log_ops {
	/* An event is delivered: store it (raw, with its opened body),
	 * then show it. -1 with *cause stops the delivery (it stays
	 * undelivered: the next copy tries again). */
	int (*deliver)(void *arg, const struct room_event *, const uint8_t *raw,
	    size_t len, const struct room_body *, char **cause);
	/* A second event for an (author, seq) already taken: raw is the
	 * proof, the first event's id is first. */
	void (*equivocation)(void *arg, const struct room_event *,
	    const uint8_t *raw, size_t len, const uint8_t first[ROOM_HASHLEN]);
	/* An epoch key became known (checked against its commitment if
	 * that is known). May be NULL. */
	void (*key)(void *arg, uint32_t epoch, const uint8_t key[ROOM_KEYLEN]);
};

/* What room_log_receive() did with an event. */
enum room_rx {
	ROOM_RX_DELIVERED, /* delivered (and maybe others after it) */
	ROOM_RX_PENDING, /* waits for parents, an author or a key */
	ROOM_RX_DUPLICATE, /* already delivered or waiting: a no-op */
	ROOM_RX_EQUIVOCATION, /* (author, seq) taken by another event */
	ROOM_RX_REFUSED, /* malformed, forged or against the rules */
	ROOM_RX_FULL, /* the pending set is full: dropped */
};

/* One entry of a version vector: V[author] = highest delivered seq. */
struct room_vv {
	uint8_t prefix[ROOM_PREFIXLEN];
	uint64_t seq;
};

/* A member as the log knows it. */
struct room_member_view {
	const struct room_member_info *info; /* e is always set */
	int active; /* added and not left or removed */
	int creator;
	int flagged; /* equivocated */
	uint64_t seq; /* V[e] */
};

struct room_log;

/*
 * A log for room (not yet created: its CREATE comes through
 * room_log_receive() like any event). me: our E, or NULL for a reader.
 */
struct room_log *room_log_create(const uint8_t room[ROOM_IDLEN],
    const uint8_t *me, const struct room_log_ops *, void *arg);
/* Free, wiping the keys; NULL is a no-op. */
void room_log_free(struct room_log *);

/*
 * Take an event from the network (or, with load set, from storage at
 * start: its signature is not checked again and deliver is not
 * called). *why (static) says why it was refused or is waiting. -1
 * with *cause only if deliver failed.
 */
int room_log_receive(struct room_log *, const uint8_t *raw, size_t len,
    int load, enum room_rx *, const char **why, char **cause);

/*
 * Write our own event: parents from the heads, the next seq, lamport
 * and the newest epoch; sealed, signed with sk (our E's), then received
 * (so delivered). The raw event in out (cap bytes, ROOM_EVENT_MAX
 * suffices) and its length in *len. -1 with *cause if we are not a
 * member, lack the epoch key, or the body is invalid.
 */
int room_log_write(struct room_log *, const struct room_body *, int64_t time_ms,
    const uint8_t sk[ROOM_SKLEN], uint8_t *out, size_t cap, size_t *len,
    char **cause);

/*
 * An epoch key (from WELCOME or KEY). -1 with *cause if its commitment
 * is known and does not match. Events waiting for it are delivered.
 */
int room_log_add_key(struct room_log *, uint32_t epoch,
    const uint8_t key[ROOM_KEYLEN], char **cause);
/* The key of epoch, if known: 0, else -1. */
int room_log_key(
    const struct room_log *, uint32_t epoch, uint8_t key[ROOM_KEYLEN]);
/* The newest epoch announced by a delivered event (0 before any). */
uint32_t room_log_epoch(const struct room_log *);
/*
 * May the member with key e be given the key of epoch? Only an active
 * member, and never a removed one for an epoch after its removal.
 */
int room_log_key_allowed(
    const struct room_log *, const uint8_t e[ROOM_KEYLEN], uint32_t epoch);

/* Ids of parents that are neither delivered nor waiting, at most max
 * (for WANT). */
size_t room_log_missing(
    const struct room_log *, uint8_t (*ids)[ROOM_HASHLEN], size_t max);
/* How many events wait. */
size_t room_log_pending(const struct room_log *);

/* The version vector, sorted by prefix; returns its length (at most
 * max entries written). */
size_t room_log_vv(const struct room_log *, struct room_vv *, size_t max);
/*
 * The delivered events beyond v (n entries; authors not in it: all
 * their events), in (lamport, id) order, to cb until it returns
 * non-zero.
 */
typedef int (*room_log_cb)(
    void *arg, const uint8_t *raw, size_t len, const struct room_event *);
int room_log_since(const struct room_log *, const struct room_vv *v, size_t n,
    room_log_cb, void *arg);
/* Every delivered event in history order, (lamport, id). */
int room_log_history(const struct room_log *, room_log_cb, void *arg);

/* The heads (delivered events without delivered children). */
size_t room_log_heads(
    const struct room_log *, uint8_t (*ids)[ROOM_HASHLEN], size_t max);
/* Delivered events. */
size_t room_log_count(const struct room_log *);
/* 1 if an event is delivered. */
int room_log_has(const struct room_log *, const uint8_t id[ROOM_HASHLEN]);
/* A delivered event's bytes (to answer WANT): 0, or -1 if not here. */
int room_log_get(const struct room_log *, const uint8_t id[ROOM_HASHLEN],
    const uint8_t **raw, size_t *len);
/*
 * A MEMBER statement: the peer with Noise key noise says its E is e.
 * 1 if a member's record binds them, 0 if neither is a member's, -1 if
 * they contradict a record (e is bound to another Noise key or noise
 * to another E): an alarm for the user.
 */
int room_log_check_member(const struct room_log *,
    const uint8_t noise[ROOM_KEYLEN], const uint8_t e[ROOM_KEYLEN]);

/* Members in the order they were first added; -1 past the end. */
int room_log_member(
    const struct room_log *, size_t i, struct room_member_view *);
/* The room's id. */
void room_log_room(const struct room_log *, uint8_t room[ROOM_IDLEN]);
/* The creator's E; -1 before CREATE is delivered. */
int room_log_creator(const struct room_log *, uint8_t e[ROOM_KEYLEN]);
/* The room's name and flags from CREATE; NULL before. */
const char *room_log_name(const struct room_log *, uint8_t *flags);

#endif
