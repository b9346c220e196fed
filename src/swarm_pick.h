/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The swarm's choices (DESIGN.md section 10, doc/PROTOCOL.md section
 * 17.4), pure: no engine, no I/O, time passed in. For one download (one
 * root), which leaf to ask for next and from which holder; for one
 * uploader, which downloaders it serves.
 *
 * Pieces: SWARM_PICK_RANDOM random leaves first (something to trade
 * soon), then rarest first (the fewest holders; ties at random), and
 * once every missing leaf is asked for, the endgame: a leaf asked of one
 * holder is asked of a second, and the first verified copy cancels the
 * other. Holders: the least expected wait, (bytes outstanding + the
 * leaf) / measured rate, each asked for at most what it sends in
 * SWARM_PICK_WINDOW_MS (4 leaves at the 1 MiB/s guess; between 2 and
 * SWARM_PICK_OUTSTANDING; at most doubling per leaf delivered). A
 * holder that sent a bad leaf is dropped for this root.
 *
 * Holders are named by an opaque pointer (the engine's peer); the
 * module never dereferences it.
 */
#ifndef P2PTUI_SWARM_PICK_H
#define P2PTUI_SWARM_PICK_H

#include <stddef.h>
#include <stdint.h>

#define SWARM_PICK_RANDOM 4 /* random leaves before rarest first */
#define SWARM_PICK_OUTSTANDING 16 /* leaves asked of one holder at once */
#define SWARM_PICK_WINDOW_MS 1000 /* ... or what it sends in this time */
#define SWARM_PICK_COPIES 2 /* requests of one leaf at most (endgame) */
#define SWARM_PICK_BUSY_MS 5000 /* a holder that said busy rests */
#define SWARM_PICK_RATE_GUESS (1024.0 * 1024.0) /* B/s before a measure */
#define SWARM_UPLOAD_SLOTS 8 /* downloaders one uploader serves */
#define SWARM_UPLOAD_IDLE_MS 10000 /* a slot without requests is freed */

struct swarm_pick;

/*
 * A download of a file of size bytes; have (a bitmap, one bit per leaf,
 * bit i % 8 of byte i / 8, as the .part's record) the leaves already
 * verified, or NULL. seed makes the random choices repeatable.
 */
struct swarm_pick *swarm_pick_create(
    uint64_t size, const uint8_t *have, uint64_t seed);
void swarm_pick_free(struct swarm_pick *);

/*
 * What a holder has: all of it, or the bitfield of a MAP (nbits bytes
 * from leaf start), or one more leaf (HAVE). A holder is added the first
 * time it is named; a dropped one stays dropped.
 */
void swarm_pick_all(struct swarm_pick *, const void *holder);
void swarm_pick_bits(struct swarm_pick *, const void *holder, uint64_t start,
    const uint8_t *bits, size_t nbits);
void swarm_pick_have(struct swarm_pick *, const void *holder, uint64_t leaf);
/* The holder is gone (offline): what it was asked is free again. */
void swarm_pick_gone(struct swarm_pick *, const void *holder);
/* It refused (CANCEL busy or missing) leaf: asked elsewhere; a busy one
 * rests SWARM_PICK_BUSY_MS, a missing leaf is not asked of it again. */
void swarm_pick_refused(struct swarm_pick *, const void *holder, uint64_t leaf,
    int busy, uint64_t now_ms);

/*
 * The next request: 1 with *holder and *leaf (now outstanding), 0 if
 * nothing more may be asked now. Call until 0 after anything changed.
 */
int swarm_pick_next(
    struct swarm_pick *, uint64_t now_ms, const void **holder, uint64_t *leaf);
/*
 * Leaf arrived from holder and verified: measures the holder's rate,
 * and puts in cancel (up to max) the other holders it is still asked of
 * (send them CANCEL); their number. 0 and nothing else if it was not
 * outstanding from holder or is already held (a late endgame copy).
 */
size_t swarm_pick_got(struct swarm_pick *, const void *holder, uint64_t leaf,
    uint64_t now_ms, const void **cancel, size_t max);
/* Leaf from holder failed verification: holder is dropped for this root
 * (its requests free again); 1 the first time (report it). */
int swarm_pick_bad(struct swarm_pick *, const void *holder, uint64_t leaf);

/* Leaves held, leaves in the file, holders now useful (not dropped,
 * holding a leaf we miss): the "sources" of the progress line. */
uint64_t swarm_pick_held(const struct swarm_pick *);
uint64_t swarm_pick_count(const struct swarm_pick *);
size_t swarm_pick_sources(const struct swarm_pick *);
/* 1 if holder was dropped (sent a bad leaf). */
int swarm_pick_dropped(const struct swarm_pick *, const void *holder);
/* The i-th holder ever seen, how many leaves it announced and whether it
 * was dropped; 0 past the last. A holder that went has no leaves. */
int swarm_pick_holder(const struct swarm_pick *, size_t i, const void **holder,
    uint64_t *leaves, int *dropped);

/* An uploader's downloaders: at most SWARM_UPLOAD_SLOTS at once. */
struct swarm_slots {
	const void *peer[SWARM_UPLOAD_SLOTS];
	uint64_t last_ms[SWARM_UPLOAD_SLOTS]; /* its last request */
};
/* A request from peer at now: 1 to serve it, 0 to refuse it (busy). */
int swarm_slots_admit(struct swarm_slots *, const void *peer, uint64_t now);
/* peer is gone or done: its slot is free. */
void swarm_slots_release(struct swarm_slots *, const void *peer);

#endif
