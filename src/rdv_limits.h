/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rendezvous server's limit records (rdv_limits.c): the token buckets
 * of one key, or of one source address prefix, kept after the last
 * session or connection that used them has gone, so that reconnecting
 * does not fill them again (PROTOCOL.md 16.5).
 */
#ifndef P2PTUI_RDV_LIMITS_H
#define P2PTUI_RDV_LIMITS_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#define RDV_LIM_IDLEN 32 /* a key, or an address prefix padded with zeros */
/* An unused record is kept this long: the longest period of a limit
 * (REGISTER's hour), after which its buckets would be full again. */
#define RDV_LIM_KEEP_MS (3600ULL * 1000)

struct rdv_bucket {
	double tokens;
	uint64_t last;
	int primed;
};

struct rdv_lim {
	uint8_t id[RDV_LIM_IDLEN];
	unsigned users; /* sessions or connections holding it */
	uint64_t idle_since; /* when users fell to 0 */
	TAILQ_ENTRY(rdv_lim) idle; /* while unused, oldest first */
	struct rdv_bucket accept, reg, lookup, connect;
};

/* The records of one kind (keys, or addresses). */
struct rdv_lims {
	void *tree; /* tsearch tree by id */
	TAILQ_HEAD(, rdv_lim) idle;
	size_t nidle;
	size_t max_idle; /* past it the oldest unused one is forgotten */
};

void rdv_lims_init(struct rdv_lims *, size_t max_idle);
void rdv_lims_free(struct rdv_lims *);
/* The record of id (len bytes, at most RDV_LIM_IDLEN), kept or new (its
 * buckets full), now used once more. Forgets the unused records older
 * than RDV_LIM_KEEP_MS first. */
struct rdv_lim *rdv_lim_get(struct rdv_lims *, const uint8_t *id, size_t len);
/* The record of id if there is one, used or not; NULL otherwise. */
struct rdv_lim *rdv_lim_find(struct rdv_lims *, const uint8_t *id, size_t len);
/* One user fewer; at none it is kept (unused) for RDV_LIM_KEEP_MS. */
void rdv_lim_put(struct rdv_lims *, struct rdv_lim *);

#endif
