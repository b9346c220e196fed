/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Inside the swarm feature: swarm.c (downloads, the list on disk, the
 * hooks) and swarm_serve.c (answering WANT and REQUEST, the pump that
 * sends CHUNKs, the batched HAVEs). The sw_ prefix is theirs alone.
 */
#ifndef P2PTUI_SWARM_INT_H
#define P2PTUI_SWARM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "merkle.h"
#include "swarm.h"
#include "swarm_pick.h"
#include "swarm_proto.h"
#include "xfer_disk.h"

#define SW_PIECE (60 * 1024) /* data bytes per CHUNK we send */
#define SW_OUT_MAX (4 * SWARM_PICK_OUTSTANDING) /* live and withdrawn */
#define SW_TICK_MS 1000
#define SW_HASH_SLICE (4 * 1024 * 1024)
#define SW_READ (1024 * 1024)

struct sw_file {
	int64_t num;
	uint8_t root[SWARM_ROOTLEN];
	char hex[2 * SWARM_ROOTLEN + 1];
	uint64_t size, count;
	char name[256];
	char *path; /* seed: the source; download: the .part */
	int seed;
	int fd; /* seed: the source */
	int64_t mtime_ns; /* seed */
	struct xfer_tree *tree;
	struct xfer_part *part; /* download */
	struct swarm_pick *pick; /* download */
	uint64_t *fresh; /* verified since the last HAVEs */
	size_t nfresh;
	uint64_t uploaded;
	double rate; /* bytes verified per second, smoothed each tick */
	uint64_t rate_bytes; /* sw_bytes() at the last tick */
	int changed; /* report at the next tick */
	/* sharing: hashing, then cb */
	int hashing;
	swarm_shared_cb cb;
	void *cbarg;
};

struct sw_req {
	struct sw_file *f;
	uint64_t index;
	int withdrawn;
};

struct sw_peer {
	uint64_t serial;
	/* Requests we made of it, in order: the CHUNKs follow them. */
	struct sw_req out[SW_OUT_MAX];
	size_t nout;
	struct xfer_leaf leaf; /* out[0]'s, while it arrives */
	int leaf_on;
	uint8_t *leafbuf;
	/* Requests it made of us, in order; in_off bytes of in[0] sent. */
	struct sw_req in[SWARM_PICK_OUTSTANDING];
	size_t nin;
	uint32_t in_off;
	uint8_t *inbuf;
	uint8_t proof[MERKLE_DEPTH_MAX][MERKLE_HASHLEN];
	int depth;
	/* Roots it sent WANT for on this session: it hears our HAVEs. */
	uint8_t (*wanted)[SWARM_ROOTLEN];
	size_t nwanted;
};

struct swarms {
	struct engine *eng;
	struct sw_file **v;
	size_t n;
	int64_t next_num;
	char *dir; /* data_dir/swarm */
	struct swarm_slots slots;
	struct loop_timer *tick, *hash_timer;
	uint8_t *buf; /* SWARM_MSG_MAX, for encoding */
	uint8_t *readbuf; /* SW_READ, for hashing */
	struct swarm_msg msg; /* decoded (big: kept here) */
};

/* swarm.c */
int sw_peer_ok(struct peer *);
/* p's state for its current session (a new session starts afresh). */
struct sw_peer *sw_peer(struct peer *);
void sw_send(struct swarms *, struct peer *, const struct swarm_msg *);
void sw_send_simple(struct swarms *, struct peer *, uint8_t type,
    const struct sw_file *, uint64_t index, uint8_t reason);
/* The file with this root (not one being hashed), or NULL. */
struct sw_file *sw_find(const struct swarms *, const uint8_t *root);
int sw_holds(const struct sw_file *, uint64_t index);
void sw_out_remove(struct sw_peer *, size_t k);
/* Ask holders for what the picker chooses. */
void sw_request(struct swarms *, struct sw_file *);

/* swarm_serve.c */
/* Answer p's WANT: the MAPs of what we hold. */
void sw_send_map(struct swarms *, struct peer *, const uint8_t *root);
/* p wants root: it hears our HAVEs for it on this session. */
void sw_wanted(struct sw_peer *, const uint8_t *root);
/* p's REQUEST: queued for the pump, or refused (CANCEL). */
int sw_request_in(
    struct swarms *, struct peer *, const struct swarm_msg *, const char **why);
/* p's CANCEL: a request of its withdrawn, or one of ours refused. */
void sw_cancel_in(struct swarms *, struct peer *, const struct swarm_msg *);
/* The feature's pump: CHUNKs of p's requests, in order. */
int sw_pump(void *state, struct peer *);
/* The HAVEs of f's new leaves to the peers that asked for it. */
void sw_send_haves(struct swarms *, struct sw_file *);

#endif
