/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The disk side of a file named by its Merkle root (merkle.h), shared by
 * the 1:1 transfer (xfer.c) and the swarm: no engine, no peers, no
 * store; files and descriptors only.
 *
 * - the source: a file as it was when offered, a change noticed.
 * - struct xfer_tree: every node of a file's hash tree in a file of its
 *   own, for proofs. The sender fills it by hashing its source
 *   (xfer_tree_hash); a partial holder fills it with the proof of each
 *   leaf it verified (xfer_tree_put_proof). Either reads a proof back
 *   (xfer_tree_proof) to serve a leaf.
 * - struct xfer_part: a download's .part file and its record of
 *   verified leaves (a bitmap): written only with verified leaves,
 *   recorded only once fdatasync()ed, moved to its final name when whole.
 * - struct xfer_leaf: one leaf arriving in pieces, hashed on the way and
 *   checked against the root with the proof of its first piece.
 */
#ifndef P2PTUI_XFER_DISK_H
#define P2PTUI_XFER_DISK_H

#include <stddef.h>
#include <stdint.h>

#include "merkle.h"

/* --- the source ----------------------------------------------------------- */

/*
 * Open a file to offer or share: a regular file of at most
 * PROTO_FILE_SIZE_MAX bytes whose last path component is a usable name
 * (*base points into path). Its descriptor, size and mtime; -1 with cause.
 */
int xfer_source_open(const char *path, uint64_t *size, int64_t *mtime_ns,
    const char **base, char **cause);
/* 1 if the source at fd is no longer size bytes with that mtime. */
int xfer_source_changed(int fd, uint64_t size, int64_t mtime_ns);
/* Read exactly n bytes at off: 0; -1 with errno if unreadable, with
 * errno 0 if the source is shorter. */
int xfer_source_read(int fd, uint64_t off, uint8_t *buf, size_t n);

/* --- the tree ------------------------------------------------------------- */

struct xfer_tree;

/*
 * A tree file for a file of size bytes: anonymous in dir (gone with its
 * descriptor) if path is NULL, else the file path, kept and reused (a
 * partial holder's proofs survive a restart). NULL with cause.
 */
struct xfer_tree *xfer_tree_create(
    const char *dir, const char *path, uint64_t size, char **cause);
void xfer_tree_free(struct xfer_tree *);
/* The errno value of the write or read that failed. */
int xfer_tree_error(const struct xfer_tree *);

enum xfer_hash_result {
	XFER_HASH_MORE, /* call again */
	XFER_HASH_DONE, /* all size bytes hashed: xfer_tree_root() */
	XFER_HASH_READ, /* the source cannot be read: errno */
	XFER_HASH_SHRANK, /* the source is shorter than size */
	XFER_HASH_TREE, /* the tree file cannot be written: tree error */
};
/*
 * Hash up to slice more bytes of the source fd (never past size) with
 * buf (buflen bytes) to read into, writing the nodes to the tree.
 */
enum xfer_hash_result xfer_tree_hash(
    struct xfer_tree *, int fd, uint8_t *buf, size_t buflen, size_t slice);
/* Bytes hashed so far. */
uint64_t xfer_tree_hashed(const struct xfer_tree *);
/* The root, once xfer_tree_hash() said XFER_HASH_DONE. */
void xfer_tree_root(const struct xfer_tree *, uint8_t root[MERKLE_HASHLEN]);

/* The proof of leaf index: its depth, or -1 (tree error set). */
int xfer_tree_proof(struct xfer_tree *, uint64_t index,
    uint8_t proof[MERKLE_DEPTH_MAX][MERKLE_HASHLEN]);
/*
 * Keep the proof (depth hashes, already verified) of leaf index, so
 * that xfer_tree_proof() can give it back; -1 (tree error set).
 */
int xfer_tree_put_proof(struct xfer_tree *, uint64_t index,
    const uint8_t (*proof)[MERKLE_HASHLEN], int depth);

/* --- the .part ------------------------------------------------------------ */

/* The fields are read-only outside xfer_disk.c. */
struct xfer_part {
	int fd; /* -1 until created or opened, and once closed */
	uint64_t size, count; /* bytes and leaves of the file */
	uint8_t *have; /* verified leaves, one bit each */
	uint8_t *synced; /* have, as of the last fdatasync() that succeeded */
	size_t havelen; /* bytes of each bitmap */
	uint64_t nhave; /* leaves verified */
	uint64_t bytes; /* and their bytes */
	uint64_t unsynced; /* verified bytes not yet recorded */
	uint64_t kicked; /* unsynced when writeback was last started */
};

/* Nothing verified, no file yet; have, if set (havelen bytes), is the
 * record of a download resumed. */
struct xfer_part *xfer_part_new(
    uint64_t size, const uint8_t *have, size_t havelen);
/* Close and free (the file stays). */
void xfer_part_free(struct xfer_part *);
/*
 * A new "name.part" (the first free "name (N).part") in dir, its space
 * reserved: 0 and *path (to free), or -1 with cause. Starts from nothing.
 */
int xfer_part_create(struct xfer_part *, const char *dir, const char *name,
    char **path, char **cause);
/*
 * Open the existing .part at path; -1 (errno) if it is gone or not a
 * regular file. A wrong size is fixed; 1 with cause if that failed.
 */
int xfer_part_open(struct xfer_part *, const char *path, char **cause);
void xfer_part_close(struct xfer_part *);

int xfer_part_has(const struct xfer_part *, uint64_t index);
/* The first leaf at or after from not verified (count if none). */
uint64_t xfer_part_missing(const struct xfer_part *, uint64_t from);
/* Write leaf index, verified, from data, and count it: 0, or errno. */
int xfer_part_write(struct xfer_part *, uint64_t index, const uint8_t *data);
/* Read verified leaf index into data (to serve it): 0, or errno. */
int xfer_part_read(struct xfer_part *, uint64_t index, uint8_t *data);
/*
 * fdatasync() the .part, so that have may be recorded: 1 if there were
 * unrecorded leaves (record have now), 0 if none; -1 (errno) if it
 * failed, and then the leaves since the last sync count as missing
 * again (Linux may have dropped their pages, and a later fdatasync()
 * succeeds without writing them). With force, even if nothing is new.
 */
int xfer_part_sync(struct xfer_part *, int force);
/* Start writing back every so many bytes, without waiting, so that the
 * fdatasync() that records them has little left to do. */
void xfer_part_kick(struct xfer_part *, uint64_t every);
/* The part is complete and closed: move path to the first free name in
 * its directory, never replacing a file. The new path, or NULL and *err. */
char *xfer_part_finish(const char *path, const char *name, int *err);

/* --- a leaf arriving ------------------------------------------------------ */

struct xfer_leaf {
	uint64_t index;
	size_t len, got;
	int bad; /* failed already (wrong proof length, ...): drain it */
	int discard; /* asked for before a write failed: drain it, uncounted */
	struct merkle_leaf_state hs;
	uint8_t proof[MERKLE_DEPTH_MAX][MERKLE_HASHLEN];
	int depth;
};

/* Leaf index of a file of size bytes, nothing arrived yet. */
void xfer_leaf_init(struct xfer_leaf *, uint64_t size, uint64_t index);
/*
 * The piece at offset (nproof proof hashes in the first): its data is
 * gathered in buf (a leaf's worth) unless the leaf is bad or discarded.
 * 1 once the leaf is whole, 0 if more is to come; -1 with why if the
 * piece does not follow or does not fit (a protocol error).
 */
int xfer_leaf_add(struct xfer_leaf *, uint64_t size, uint64_t offset,
    const uint8_t *data, size_t len, const uint8_t *proof, int nproof,
    uint8_t *buf, const char **why);
/* A whole leaf: 1 if it is leaf index of the file named by root. */
int xfer_leaf_verify(
    struct xfer_leaf *, const uint8_t root[MERKLE_HASHLEN], uint64_t size);

#endif
