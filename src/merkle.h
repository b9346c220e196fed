/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The Merkle tree that names a file's content (DESIGN.md section 8), so
 * that every chunk, from any peer, can be checked on its own against the
 * root of the offer. Pure: no I/O, no allocation beyond one leaf buffer.
 *
 * A file of size bytes is cut into leaves of MERKLE_LEAF bytes, the last
 * one shorter; an empty file has no leaves. With H = BLAKE2b-256:
 *
 *   leaf(i) = H("p2ptui merkle leaf v1" || u64be(i) || data)
 *   node    = H("p2ptui merkle node v1" || left || right)
 *   top     = the single node left after pairing each level left to
 *             right; an odd last node is promoted to the next level
 *             unchanged (the RFC 6962 shape: the left subtree is the
 *             largest power of two strictly below the count)
 *   empty   : top = H("p2ptui merkle empty v1")
 *   root    = H("p2ptui merkle root v1" || u64be(size) || top)
 *
 * The domain strings differ within their first 14 bytes, so none is a
 * prefix of another and no input of one kind can be read as another.
 * The root binds the size, so the leaf count, and with it the shape of
 * the tree and the length of every proof, follows from the root alone:
 * promotion is unambiguous, and a proof of the wrong length is refused.
 * The leaf index is in the leaf hash, so equal chunks at different
 * places cannot be swapped.
 *
 * MERKLE_LEAF is 256 KiB: a 5 GiB file is 20480 leaves (640 KiB of
 * leaf hashes, proofs of 15 hashes), a small file is one leaf whose proof
 * is empty, and the resume record (one bit per leaf) stays small. A leaf
 * is larger than a frame (PROTO_FRAME_MAX), so the transfer sends a leaf
 * as several frames and verifies it once it is whole.
 */
#ifndef P2PTUI_MERKLE_H
#define P2PTUI_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "ident.h"

#define MERKLE_LEAF (256 * 1024)
#define MERKLE_HASHLEN 32
/* Deeper than any tree of uint64_t bytes needs (at most 46 levels). */
#define MERKLE_DEPTH_MAX 64

/* Leaves of a file of size bytes (0 for an empty file). */
uint64_t merkle_leaf_count(uint64_t size);
/* Bytes in leaf index of a file of size bytes; 0 if there is no such leaf. */
size_t merkle_leaf_len(uint64_t size, uint64_t index);
/*
 * Hashes in the proof of leaf index of a file of size bytes; -1 if there
 * is no such leaf.
 */
int merkle_proof_len(uint64_t size, uint64_t index);

/* The hash of leaf index holding len bytes of data. */
void merkle_leaf_hash(
    uint64_t index, const void *data, size_t len, uint8_t out[MERKLE_HASHLEN]);

/*
 * Called with each node of a tree as a builder below works it out,
 * leaves included (level 0): a node as soon as its children are known,
 * the right edge (joined or promoted nodes, up to the top) at the end.
 * Anything but 0 stops the build.
 */
typedef int merkle_node_fn(void *arg, unsigned int level, uint64_t index,
    const uint8_t hash[MERKLE_HASHLEN]);

/*
 * Every node of the tree of count leaves in one array, level by level
 * from the leaves up: level 0 is the count leaf hashes, level k + 1 has
 * ceil(w / 2) nodes for the w of level k (the last one promoted when w
 * is odd), and the last level is the top alone. About 2 * count nodes
 * (64 bytes per leaf, 256 KiB per GiB of file), placed by the count
 * alone: a sender keeps them in a file, written as the builder emits
 * them, and reads a proof back in O(log count) nodes. Where node index
 * of level is in that array; the node must exist.
 */
uint64_t merkle_node_pos(uint64_t count, unsigned int level, uint64_t index);

/* Reads the node at pos of that array into out; -1 if it cannot. */
typedef int merkle_get_fn(void *arg, uint64_t pos, uint8_t out[MERKLE_HASHLEN]);

/*
 * As merkle_proof(), for a tree of count leaves whose array of nodes get
 * reads, one node per hash of the proof; -1 if index is out of range or
 * a read fails.
 */
int merkle_proof_get(uint64_t count, uint64_t index, merkle_get_fn *get,
    void *arg, uint8_t proof[MERKLE_DEPTH_MAX][MERKLE_HASHLEN]);

/*
 * The tree of leaf hashes added in order, in O(depth) memory whatever
 * the count: the pending left node of each level, like the carries of a
 * binary counter. The fields are private.
 */
struct merkle_frontier {
	uint8_t left[MERKLE_DEPTH_MAX][MERKLE_HASHLEN];
	uint64_t count;
	merkle_node_fn *node;
	void *arg;
};
/* Empty; every node goes to node(arg, ...) if node is set. */
void merkle_frontier_init(struct merkle_frontier *, merkle_node_fn *, void *);
/* Add the next leaf hash; -1 if node failed (the frontier is then spent). */
int merkle_frontier_add(
    struct merkle_frontier *, const uint8_t leaf[MERKLE_HASHLEN]);
/*
 * Emit the right edge and make the root of the file of size bytes; the
 * frontier is then spent. -1 if node failed, or if the leaves added are
 * not merkle_leaf_count(size).
 */
int merkle_frontier_root(
    struct merkle_frontier *, uint64_t size, uint8_t root[MERKLE_HASHLEN]);

/* The same hash over a leaf's data fed in pieces, as it arrives. */
struct merkle_leaf_state {
	struct ident_hash_state h;
};
void merkle_leaf_begin(struct merkle_leaf_state *, uint64_t index);
void merkle_leaf_update(struct merkle_leaf_state *, const void *, size_t);
void merkle_leaf_end(struct merkle_leaf_state *, uint8_t out[MERKLE_HASHLEN]);

/*
 * The root of a file of size bytes from all its leaf hashes; -1 if
 * count is not merkle_leaf_count(size).
 */
int merkle_root(const uint8_t (*leaves)[MERKLE_HASHLEN], uint64_t count,
    uint64_t size, uint8_t root[MERKLE_HASHLEN]);

/*
 * The proof of leaf index (the sibling path, bottom up, promoted levels
 * skipped) from all the leaf hashes of a file of size bytes. Writes
 * merkle_proof_len() hashes to proof and returns their number; -1 if
 * count does not match size or index is out of range.
 */
int merkle_proof(const uint8_t (*leaves)[MERKLE_HASHLEN], uint64_t count,
    uint64_t size, uint64_t index,
    uint8_t proof[MERKLE_DEPTH_MAX][MERKLE_HASHLEN]);

/*
 * 1 if leaf_hash is leaf index of the file of size bytes named by root,
 * with the depth hashes of proof; 0 otherwise. Needs nothing else, so a
 * chunk from an untrusted peer is checked on its own. Not constant-time:
 * everything it compares is public.
 */
int merkle_verify(const uint8_t root[MERKLE_HASHLEN], uint64_t size,
    uint64_t index, const uint8_t leaf_hash[MERKLE_HASHLEN],
    const uint8_t (*proof)[MERKLE_HASHLEN], size_t depth);
/* As merkle_verify(), from the chunk itself, whose length is checked. */
int merkle_verify_chunk(const uint8_t root[MERKLE_HASHLEN], uint64_t size,
    uint64_t index, const void *data, size_t len,
    const uint8_t (*proof)[MERKLE_HASHLEN], size_t depth);

/*
 * The root of a stream of bytes fed in pieces of any size: one leaf
 * buffer and a frontier, whatever the file size. If node is set it is
 * given every node of the tree (merkle_node_fn), for the sender, who
 * keeps them to answer proof requests.
 */
struct merkle_builder;
struct merkle_builder *merkle_builder_create(merkle_node_fn *, void *);
void merkle_builder_free(struct merkle_builder *);
/*
 * Add len bytes; -1 if the total would not fit in a uint64_t or node
 * failed (the builder is then spent).
 */
int merkle_builder_update(struct merkle_builder *, const void *, size_t);
/*
 * The root and size of everything added; the builder is then spent. -1
 * if node failed.
 */
int merkle_builder_final(
    struct merkle_builder *, uint8_t root[MERKLE_HASHLEN], uint64_t *size);

#endif
