/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Rooms as a feature (DESIGN.md section 9, doc/PROTOCOL.md section 14):
 * the rooms we are in, loaded from the store, their logs (room_log.c)
 * kept in step with the other members over the sessions the engine
 * runs, joins (room_join.c) in both roles, and what the commands need.
 * Frontends hear of rooms through fe_ops.room and a struct room_report.
 */
#ifndef P2PTUI_ROOM_H
#define P2PTUI_ROOM_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "feature.h"
#include "room_event.h"

#define ROOM_DIGEST_MS 60000 /* a digest of V to each member */
#define ROOM_RELAY_FANOUT 3 /* members another's event is relayed to */
/* Failed password joins of a room from all joiners together, within
 * ROOM_LIMIT_WINDOW_MS: many keys buy no more guesses than this. */
#define ROOM_LIMIT_ROOM_FAILURES 30

struct room;
struct rooms;

enum room_report_kind {
	ROOM_REP_JOINED, /* we are in (created, or a WELCOME) */
	ROOM_REP_MSG, /* a message delivered */
	ROOM_REP_MEMBER, /* what: add, leave or remove */
	ROOM_REP_DENIED, /* a join of ours failed: what is the reason */
	ROOM_REP_CHANGED, /* members online, unread count or topic */
	ROOM_REP_FILES, /* the room's files changed (announced, or ours now) */
};

struct room_report {
	enum room_report_kind kind;
	struct room *room; /* NULL for DENIED before the room is known */
	const char *name; /* without '#' */
	const uint8_t *id; /* ROOM_IDLEN bytes, or NULL */
	const char *who; /* MSG: the author; MEMBER: the member */
	const char *what; /* MEMBER: add|leave|remove; DENIED: the reason */
	const char *text; /* MSG */
	size_t len;
	int64_t time_ms;
	int outgoing; /* MSG: ours */
};

/* A line of history. */
struct room_line {
	int64_t time_ms;
	uint64_t lamport;
	const char *who;
	const char *text;
	size_t len;
};
typedef int (*room_line_cb)(void *arg, struct room *, const struct room_line *);

/* A member, for /room members. */
struct room_member_line {
	const char *nick;
	const uint8_t *noise; /* its Noise key */
	const uint8_t *e;
	int active, creator, flagged, online, me;
};
typedef void (*room_member_cb)(void *arg, const struct room_member_line *);

extern const struct feature room_feature;

/* The engine's rooms, or NULL before engine_start(). */
struct rooms *room_of(const struct engine *);

size_t room_count(const struct rooms *);
struct room *room_get(const struct rooms *, size_t);
/* By name, with or without '#'; NULL if none. */
struct room *room_lookup(const struct rooms *, const char *name);
const char *room_name(const struct room *);
const char *room_topic(const struct room *);
const uint8_t *room_id(const struct room *);
/* 1 while we are a member (not left, not removed). */
int room_active(const struct room *);
int room_is_creator(const struct room *);
int room_has_password(const struct room *);
unsigned room_unread(const struct room *);
void room_clear_unread(struct room *);
/* Active members, and how many of them are online (us included). */
void room_counts(const struct room *, size_t *online, size_t *all);

/* The room commands use without a #NAME (headless: the last created,
 * joined or named; the TUI: the room in view). */
struct room *room_current(const struct rooms *);
void room_set_current(struct rooms *, struct room *);

int room_create(struct rooms *, const char *name, const char *password,
    struct room **, char **cause);
/* Join through p (a peer), or through the address hostport. */
int room_join(struct rooms *, struct peer *, const char *hostport,
    const char *name, const char *password, char **cause);
int room_say(
    struct rooms *, struct room *, const char *text, size_t len, char **cause);
/* Set the room's topic (empty: clear it); any member may. */
int room_set_topic(
    struct rooms *, struct room *, const char *text, size_t len, char **cause);
int room_invite(struct rooms *, struct room *, struct peer *, char **cause);
int room_set_password(
    struct rooms *, struct room *, const char *password, char **cause);
int room_kick(struct rooms *, struct room *, const char *who,
    const char *password, char **cause);
int room_leave(struct rooms *, struct room *, char **cause);
void room_members(struct rooms *, struct room *, room_member_cb, void *arg);
/* The newest limit lines of history, oldest first, in history order. */
int room_history(struct rooms *, struct room *, size_t limit, room_line_cb,
    void *arg, char **cause);
/* Messages containing text in any room, at most limit. */
int room_search(struct rooms *, const char *text, size_t limit, room_line_cb,
    void *arg, char **cause);

/* A file announced in a room (room_files.c), for /files. */
struct room_file_line {
	const char *room; /* without '#' */
	const char *who; /* who announced it: "alice, bob and 2 more" */
	const char *name;
	uint64_t size;
	const uint8_t *root; /* ROOM_HASHLEN bytes */
};
typedef void (*room_file_cb)(void *arg, const struct room_file_line *);
/* Announce a file to r (a FILE event): its name, size and Merkle root. */
int room_share(struct rooms *, struct room *, const char *name, uint64_t size,
    const uint8_t *root, char **cause);
/* The files announced in r (NULL: every room we are in), oldest first. */
void room_files(struct rooms *, struct room *, room_file_cb, void *arg);

#endif
