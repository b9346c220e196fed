/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fair coin flips, dice and picks with a peer: commit-reveal bound to the
 * session (DESIGN.md section 7, doc/PROTOCOL.md section 7.7). Message
 * types 0x20-0x2f; 0x20-0x22 are defined.
 *
 * The side that starts a flip (the initiator, A) draws 32 random bytes a
 * and sends COMMIT with H(session id, flip id, A's key, B's key, draw,
 * a); B answers with RESPONSE carrying its own random b; A sends REVEAL
 * with a. Both check the commitment and derive the result from H(a, b,
 * context). Neither side can bias it: B chooses b knowing only the
 * commitment, A is bound by it. A can still refuse to reveal once it
 * knows the result; B then sees the flip abandoned ("did not reveal").
 */
#ifndef P2PTUI_FLIP_H
#define P2PTUI_FLIP_H

#include <stddef.h>
#include <stdint.h>

#include "ident.h"
#include "proto.h"

struct engine;
struct feature;
struct flips;
struct peer;

#define PROTO_FLIP_FIRST 0x20
#define PROTO_FLIP_LAST 0x2f

#define FLIP_SID_LEN 64 /* the session id: the Noise handshake hash */
#define FLIP_TIMEOUT_MS 30000 /* a flip waiting longer is abandoned */
/* Flips in progress with one peer: started by us, and by the peer. */
#define FLIP_MAX_STARTED 64
#define FLIP_MAX_ACCEPTED 128
#define FLIP_KEEP 100 /* finished flips kept for inspection */

enum flip_state {
	FLIP_PENDING,
	FLIP_DONE, /* resolved and verified */
	FLIP_CHEATED, /* the reveal did not match the commitment */
	FLIP_ABANDONED,
};

/* Why a flip was abandoned. */
enum flip_end {
	FLIP_END_NONE,
	FLIP_END_NO_RESPONSE, /* we started it; the peer never answered */
	FLIP_END_NO_REVEAL, /* the peer started it and never revealed */
	FLIP_END_DISCONNECTED, /* the connection closed or was replaced */
};

/*
 * One flip, read-only for frontends. Values that are not known yet are
 * zero with their has_ flag 0: a while we wait for the reveal (or, on
 * our own side, until we revealed it), b until the response.
 */
struct flip {
	struct peer *peer; /* never removed while flips refer to it */
	char peer_name[64]; /* its name when the flip started */
	uint8_t peer_key[IDENT_KEYLEN];
	uint8_t id[PROTO_FLIP_ID_LEN];
	int local; /* 1: we started it (we are A) */
	struct proto_draw draw;
	enum flip_state state;
	enum flip_end end;
	/*
	 * FLIP_DONE: coin: result[0] 0 heads, 1 tails; dice: result[0..
	 * count-1] the dice (1..sides) and sum their sum; pick:
	 * result[0] the index of the option chosen (from 0).
	 */
	uint16_t result[PROTO_DICE_MAX];
	unsigned sum;
	uint8_t sid[FLIP_SID_LEN];
	uint8_t commitment[PROTO_FLIP_VALUE_LEN];
	uint8_t a[PROTO_FLIP_VALUE_LEN]; /* as revealed (even if wrong) */
	uint8_t b[PROTO_FLIP_VALUE_LEN];
	int has_a, has_b;
	int64_t started_ms, ended_ms; /* wall clock, ms since the epoch */
};

struct flips *flip_create(struct engine *);
/* Free every flip and cancel their timers (no events). */
void flip_free(struct flips *);
/* The timeout for flips started from now on (tests). */
void flip_set_timeout(struct flips *, unsigned ms);

/*
 * Start a flip with online peer p. -1 with *cause if p is not online,
 * already has FLIP_MAX_STARTED flips we started in progress, or the
 * draw is invalid; the frontend hears of it through fe_ops.flip.
 */
int flip_start(
    struct flips *, struct peer *, const struct proto_draw *, char **cause);

/* A message of a flip type from p; -1 with *why on a protocol error. */
int flip_handle(
    struct flips *, struct peer *, const struct proto_msg *, const char **why);
/* p's connection is gone: its flips in progress are abandoned. */
void flip_peer_down(struct flips *, struct peer *);

/* Every flip known (in progress, then the last FLIP_KEEP finished), in
 * the order they started: NULL for the first, NULL after the last. */
const struct flip *flip_next(const struct flips *, const struct flip *);
/*
 * The flip whose hex id starts with prefix (at least 4 hex digits);
 * NULL if none, or if several match (*ambiguous set).
 */
const struct flip *flip_find(
    const struct flips *, const char *prefix, int *ambiguous);

/* One line describing a flip's state or result, for frontends. */
void flip_describe(const struct flip *, char *buf, size_t len);
/* The draw in short: "coin", "2d6", "pick:3". */
void flip_draw_name(const struct proto_draw *, char *buf, size_t len);
const char *flip_state_name(enum flip_state);
/* "no-response", "no-reveal", "disconnected", or "" */
const char *flip_end_name(enum flip_end);

/*
 * Command syntax. flip_is_dice: 1 if word has the form [N]dM (digits,
 * 'd' or 'D', digits). flip_parse_dice: such a word into a draw, -1 with
 * *cause if malformed or out of range. flip_parse_pick: options
 * separated by '|' (blanks around them trimmed) into a draw, -1 with
 * *cause unless there are 2 to 32, each 1 to 64 bytes of printable
 * UTF-8.
 */
int flip_is_dice(const char *word);
int flip_parse_dice(const char *word, struct proto_draw *, char **cause);
int flip_parse_pick(const char *text, struct proto_draw *, char **cause);

/*
 * The protocol's pure parts. Keys are the initiator's (A) first. draw is
 * the encoded draw.
 */
void flip_commitment(const uint8_t sid[FLIP_SID_LEN],
    const uint8_t id[PROTO_FLIP_ID_LEN], const uint8_t key_a[IDENT_KEYLEN],
    const uint8_t key_b[IDENT_KEYLEN], const uint8_t *draw, size_t drawlen,
    const uint8_t a[PROTO_FLIP_VALUE_LEN], uint8_t out[PROTO_FLIP_VALUE_LEN]);
/* Fill fl->result and fl->sum from fl's sid, id, keys, draw, a and b. */
void flip_outcome(struct flip *, const uint8_t key_a[IDENT_KEYLEN],
    const uint8_t key_b[IDENT_KEYLEN]);
/*
 * Range reduction without bias: x is a uniform bits-bit value (bits <=
 * 32; the protocol uses 32). 1 with *v = x mod n if x is below the
 * largest multiple of n that fits, else 0: draw another x.
 */
int flip_reduce(uint32_t x, unsigned bits, uint32_t n, uint32_t *v);

/* The feature (feature.h), and its state in an engine (NULL before
 * engine_start()): how frontends and commands reach it. */
extern const struct feature flip_feature;
struct flips *flip_of(const struct engine *);

#endif
