/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The inside of struct room_log, shared by room_log.c (which changes
 * it) and room_log_query.c (which only reads it). Nothing else
 * includes this.
 */
#ifndef P2PTUI_ROOM_LOG_INT_H
#define P2PTUI_ROOM_LOG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "room_log.h"

/* An event (author, seq): a position in a causal past. */
struct room_ref {
	uint32_t author;
	uint64_t seq;
};

struct room_mem {
	struct room_member_info info;
	struct room_ref *adds, *ends;
	size_t nadds, nends;
	int ended; /* a LEAVE or REMOVE of it is delivered */
	uint64_t cutoff; /* once ended: its last accepted seq */
	uint32_t end_epoch; /* once ended: the last epoch it may read */
	int flagged;
	uint64_t seq; /* V */
	uint32_t *evs; /* event index of each seq, from 1 */
	size_t capevs;
};

struct room_ev {
	uint8_t id[ROOM_HASHLEN];
	uint32_t author;
	uint64_t seq, lamport;
	uint32_t epoch_max; /* the newest epoch announced in its past */
	uint64_t *vv;
	size_t nvv;
	uint8_t *raw;
	size_t len;
};

struct room_pend {
	uint8_t *raw;
	size_t len;
	struct room_event ev;
};

/* The prefixes a scan of the pending set compares (wait 0: a key). */
struct room_pidx {
	uint64_t id, wait, seq, author;
};

struct room_epoch {
	uint8_t key[ROOM_KEYLEN];
	uint8_t commit[ROOM_KEYLEN];
	int has_key, has_commit;
};

struct room_log {
	uint8_t room[ROOM_IDLEN];
	uint8_t me[ROOM_KEYLEN];
	int has_me;
	const struct room_log_ops *ops;
	void *arg;

	struct room_mem *mems;
	size_t nmems;
	struct room_ev *evs;
	size_t nevs, capevs;
	uint32_t *map; /* open addressing by id: event index + 1 */
	size_t mapcap;
	uint32_t *heads;
	size_t nheads, capheads;
	struct room_pend *pend;
	struct room_pidx *pidx;
	size_t npend;
	uint8_t (*refused)[ROOM_HASHLEN];
	size_t nrefused, refused_next;
	struct room_epoch *epochs;
	size_t nepochs;
	uint32_t epoch_max;

	int created;
	uint32_t creator;
	char name[ROOM_NAME_MAX + 1];
	uint8_t flags;
	int loading;
};

/* The index of a delivered event, or -1. */
long room_find(const struct room_log *, const uint8_t id[ROOM_HASHLEN]);
/* The index of a member by its E, or -1. */
long room_member_find(const struct room_log *, const uint8_t e[ROOM_KEYLEN]);
/* The index of a pending event, or -1. */
long room_pend_find(const struct room_log *, const uint8_t id[ROOM_HASHLEN]);

#endif
