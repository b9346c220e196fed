/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Room files from every member (DESIGN.md section 10, doc/PROTOCOL.md
 * section 17): an engine feature module owning types 0x50-0x5f. A file
 * is named by its Merkle root; every member holding any of it serves
 * the leaves it verified, to members of a room where it was announced.
 */
#ifndef P2PTUI_SWARM_H
#define P2PTUI_SWARM_H

#include <stddef.h>
#include <stdint.h>

struct engine;
struct feature;
struct peer;
struct swarms;

/* A download, for frontends (fe_ops.swarm) and /transfers. */
struct swarm_report {
	int64_t num; /* the local number (#N), never reused */
	const char *name;
	const char *path; /* the .part, then the saved file */
	const char *state; /* "active", "waiting" (no source), "done" */
	uint64_t size, bytes; /* bytes verified */
	size_t sources; /* holders now useful */
	double rate; /* bytes per second lately, while downloading */
	const uint8_t *root; /* SWARM_ROOTLEN bytes */
	uint64_t uploaded; /* bytes of it we served */
	int done;
};
typedef void (*swarm_report_cb)(void *arg, const struct swarm_report *);

/* The hashing of a shared file ended: root is its Merkle root, or NULL
 * with error (static text). arg is the caller's, for it to free. */
typedef void (*swarm_shared_cb)(void *arg, const char *name, uint64_t size,
    const uint8_t *root, const char *error);
/*
 * Share the file at path (absolute): hashed in slices, then kept in the
 * data directory's list so that it is served after a restart; cb is
 * called once, when the root is known (or it failed, or at exit).
 */
int swarm_share(struct swarms *, const char *path, swarm_shared_cb cb,
    void *arg, char **cause);
/*
 * Download root (announced in a room of ours with size and name) into
 * download_dir, from every member holding any of it; *num its number.
 */
int swarm_download(struct swarms *, const uint8_t *root, uint64_t size,
    const char *name, int64_t *num, char **cause);
/* Bytes we hold verified of root; -1 if we neither hold nor fetch it. */
int64_t swarm_held(const struct swarms *, const uint8_t *root);
/* Every download and shared file, by number. */
void swarm_list(const struct swarms *, swarm_report_cb, void *arg);
/* A member known to hold some of a file we fetch (its MAP and HAVEs):
 * how much, and whether it sent bad data. */
struct swarm_holder {
	struct peer *peer;
	uint64_t bytes;
	int dropped;
};
typedef void (*swarm_holder_cb)(void *arg, const struct swarm_holder *);
/* Every holder of root we know of, while we download it. */
void swarm_holders(
    const struct swarms *, const uint8_t *root, swarm_holder_cb cb, void *arg);
/* What we hold or fetch of root, in *r (valid until the loop runs on);
 * -1 if nothing. */
int swarm_report_of(
    const struct swarms *, const uint8_t *root, struct swarm_report *r);

extern const struct feature swarm_feature;
struct swarms *swarm_of(const struct engine *);

#endif
