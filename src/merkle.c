/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The file Merkle tree (see merkle.h for the construction).
 *
 * Two ways to the same tree. The frontier (under the builder and
 * merkle_root()) keeps the pending left node of each level, one per set
 * bit of the leaf count, and a leaf carries up like a binary counter,
 * each carry a node whose two children are known: every node of a
 * level whose nodes all cover whole powers of two comes out so, in
 * order. At the end only the right edge is left, the last node of each
 * level above the lowest set bit of the count, joined with the pending
 * node of its level or promoted. That is the level-by-level tree with
 * odd nodes promoted, in O(log n) memory. Proofs and the verifier walk
 * the levels: at a level of width w the node at pos has a sibling
 * unless pos is the last and even (promoted). Every length is checked
 * before it is used; nothing here trusts a size, index or proof.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "log.h"
#include "merkle.h"
#include "proto.h"
#include "xmalloc.h"

_Static_assert(MERKLE_LEAF == PROTO_FILE_LEAF, "leaf sizes differ");
_Static_assert(MERKLE_HASHLEN == PROTO_FILE_HASHLEN, "hash sizes differ");

static const char merkle_tag_leaf[] = "p2ptui merkle leaf v1";
static const char merkle_tag_node[] = "p2ptui merkle node v1";
static const char merkle_tag_root[] = "p2ptui merkle root v1";
static const char merkle_tag_empty[] = "p2ptui merkle empty v1";

struct merkle_builder {
	uint8_t *buf; /* MERKLE_LEAF bytes: the leaf being filled */
	size_t buflen;
	uint64_t size;
	struct merkle_frontier fr;
};

static void
merkle_u64be(uint8_t out[8], uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

static void
merkle_node(const uint8_t left[MERKLE_HASHLEN],
    const uint8_t right[MERKLE_HASHLEN], uint8_t out[MERKLE_HASHLEN])
{
	struct ident_part parts[3] = {
		{ merkle_tag_node, sizeof merkle_tag_node - 1 },
		{ left, MERKLE_HASHLEN },
		{ right, MERKLE_HASHLEN },
	};

	ident_hash(out, MERKLE_HASHLEN, parts, 3);
}

static void
merkle_finish_root(uint64_t size, const uint8_t top[MERKLE_HASHLEN],
    uint8_t root[MERKLE_HASHLEN])
{
	uint8_t be[8], empty[MERKLE_HASHLEN];
	struct ident_part ep = { merkle_tag_empty,
		sizeof merkle_tag_empty - 1 };
	struct ident_part parts[3] = {
		{ merkle_tag_root, sizeof merkle_tag_root - 1 },
		{ be, sizeof be },
		{ top, MERKLE_HASHLEN },
	};

	if (top == NULL) {
		ident_hash(empty, sizeof empty, &ep, 1);
		parts[2].p = empty;
	}
	merkle_u64be(be, size);
	ident_hash(root, MERKLE_HASHLEN, parts, 3);
}

/* The sibling of node pos at a level of width w; 0 if it is promoted. */
static int
merkle_sibling(uint64_t pos, uint64_t w, uint64_t *sib)
{
	if (pos % 2 == 1)
		*sib = pos - 1;
	else if (pos + 1 < w)
		*sib = pos + 1;
	else
		return 0;
	return 1;
}

/* Give a node to the frontier's node function, if it has one. */
static int
merkle_emit(const struct merkle_frontier *f, unsigned int level, uint64_t index,
    const uint8_t h[MERKLE_HASHLEN])
{
	if (f->node == NULL || f->node(f->arg, level, index, h) == 0)
		return 0;
	return -1;
}

/* Emit the right edge; the top of the leaves added (at least one). */
static int
merkle_frontier_top(struct merkle_frontier *f, uint8_t top[MERKLE_HASHLEN])
{
	uint64_t w = f->count;
	unsigned int k = 0;

	if (w == 0)
		fatal("merkle: top of nothing");
	/*
	 * Up to the lowest set bit of the count, every level ends in a
	 * whole node, emitted already; the one pending there is the last
	 * of its level, and the right edge starts from it.
	 */
	for (; w % 2 == 0; w /= 2)
		k++;
	memcpy(top, f->left[k], MERKLE_HASHLEN);
	for (; w > 1; w = w / 2 + w % 2) {
		/* Even width: the last node has its left one pending. */
		if (w % 2 == 0)
			merkle_node(f->left[k], top, top);
		k++;
		if (merkle_emit(f, k, (w + 1) / 2 - 1, top) == -1)
			return -1;
	}
	return 0;
}

/* The node over leaves [lo, hi) of a level-aligned range. */
static void
merkle_subtree(const uint8_t (*leaves)[MERKLE_HASHLEN], uint64_t lo,
    uint64_t hi, uint8_t out[MERKLE_HASHLEN])
{
	struct merkle_frontier f;
	uint64_t i;

	merkle_frontier_init(&f, NULL, NULL);
	for (i = lo; i < hi; i++)
		(void)merkle_frontier_add(&f, leaves[i]);
	(void)merkle_frontier_top(&f, out);
}

uint64_t
merkle_leaf_count(uint64_t size)
{
	return size / MERKLE_LEAF + (size % MERKLE_LEAF != 0);
}

size_t
merkle_leaf_len(uint64_t size, uint64_t index)
{
	uint64_t count = merkle_leaf_count(size);

	if (index >= count)
		return 0;
	if (index < count - 1 || size % MERKLE_LEAF == 0)
		return MERKLE_LEAF;
	return (size_t)(size % MERKLE_LEAF);
}

int
merkle_proof_len(uint64_t size, uint64_t index)
{
	uint64_t w = merkle_leaf_count(size), pos = index;
	int depth = 0;

	if (index >= w)
		return -1;
	for (; w > 1; w = w / 2 + w % 2, pos /= 2) {
		if (pos % 2 == 1 || pos + 1 < w)
			depth++;
	}
	return depth;
}

void
merkle_leaf_hash(
    uint64_t index, const void *data, size_t len, uint8_t out[MERKLE_HASHLEN])
{
	uint8_t be[8];
	struct ident_part parts[3] = {
		{ merkle_tag_leaf, sizeof merkle_tag_leaf - 1 },
		{ be, sizeof be },
		{ data, len },
	};

	merkle_u64be(be, index);
	ident_hash(out, MERKLE_HASHLEN, parts, 3);
}

uint64_t
merkle_node_pos(uint64_t count, unsigned int level, uint64_t index)
{
	uint64_t w = count, base = 0;
	unsigned int k;

	for (k = 0; k < level; k++) {
		if (w <= 1)
			fatal("merkle: no level %u in a tree of %" PRIu64
			      " leaves",
			    level, count);
		base += w;
		w = w / 2 + w % 2;
	}
	if (index >= w)
		fatal("merkle: no node %" PRIu64 " at level %u of %" PRIu64
		      " leaves",
		    index, level, count);
	return base + index;
}

int
merkle_proof_get(uint64_t count, uint64_t index, merkle_get_fn *get, void *arg,
    uint8_t proof[MERKLE_DEPTH_MAX][MERKLE_HASHLEN])
{
	uint64_t w = count, pos = index, base = 0, sib;
	int depth = 0;

	if (index >= count)
		return -1;
	/* Halving a uint64_t reaches 1 within MERKLE_DEPTH_MAX levels. */
	for (; w > 1; base += w, w = w / 2 + w % 2, pos /= 2) {
		if (!merkle_sibling(pos, w, &sib))
			continue;
		if (get(arg, base + sib, proof[depth]) == -1)
			return -1;
		depth++;
	}
	return depth;
}

void
merkle_frontier_init(struct merkle_frontier *f, merkle_node_fn *node, void *arg)
{
	f->count = 0;
	f->node = node;
	f->arg = arg;
}

int
merkle_frontier_add(
    struct merkle_frontier *f, const uint8_t leaf[MERKLE_HASHLEN])
{
	uint8_t h[MERKLE_HASHLEN];
	uint64_t c = f->count;
	unsigned int k = 0;

	if (merkle_emit(f, 0, c, leaf) == -1)
		return -1;
	memcpy(h, leaf, MERKLE_HASHLEN);
	/* A right child (odd index) joins its pending left sibling. */
	for (; c % 2 == 1; c /= 2) {
		merkle_node(f->left[k], h, h);
		k++;
		if (merkle_emit(f, k, c / 2, h) == -1)
			return -1;
	}
	memcpy(f->left[k], h, MERKLE_HASHLEN);
	f->count++;
	return 0;
}

int
merkle_frontier_root(
    struct merkle_frontier *f, uint64_t size, uint8_t root[MERKLE_HASHLEN])
{
	uint8_t top[MERKLE_HASHLEN];

	if (f->count != merkle_leaf_count(size))
		return -1;
	if (f->count == 0) {
		merkle_finish_root(size, NULL, root);
		return 0;
	}
	if (merkle_frontier_top(f, top) == -1)
		return -1;
	merkle_finish_root(size, top, root);
	return 0;
}

void
merkle_leaf_begin(struct merkle_leaf_state *ls, uint64_t index)
{
	uint8_t be[8];

	merkle_u64be(be, index);
	ident_hash_init(&ls->h, MERKLE_HASHLEN);
	ident_hash_update(&ls->h, merkle_tag_leaf, sizeof merkle_tag_leaf - 1);
	ident_hash_update(&ls->h, be, sizeof be);
}

void
merkle_leaf_update(struct merkle_leaf_state *ls, const void *data, size_t len)
{
	ident_hash_update(&ls->h, data, len);
}

void
merkle_leaf_end(struct merkle_leaf_state *ls, uint8_t out[MERKLE_HASHLEN])
{
	ident_hash_final(&ls->h, out);
}

int
merkle_root(const uint8_t (*leaves)[MERKLE_HASHLEN], uint64_t count,
    uint64_t size, uint8_t root[MERKLE_HASHLEN])
{
	struct merkle_frontier f;
	uint64_t i;

	if (count != merkle_leaf_count(size))
		return -1;
	merkle_frontier_init(&f, NULL, NULL);
	for (i = 0; i < count; i++)
		(void)merkle_frontier_add(&f, leaves[i]);
	return merkle_frontier_root(&f, size, root);
}

int
merkle_proof(const uint8_t (*leaves)[MERKLE_HASHLEN], uint64_t count,
    uint64_t size, uint64_t index,
    uint8_t proof[MERKLE_DEPTH_MAX][MERKLE_HASHLEN])
{
	uint64_t w = count, pos = index, sib, lo, hi;
	unsigned int level = 0;
	int depth = 0;

	if (count != merkle_leaf_count(size) || index >= count)
		return -1;
	for (; w > 1; w = w / 2 + w % 2, pos /= 2, level++) {
		if (!merkle_sibling(pos, w, &sib))
			continue;
		lo = sib << level;
		hi = (sib + 1) << level;
		if (hi > count)
			hi = count;
		if (depth >= MERKLE_DEPTH_MAX)
			fatal("merkle: proof too deep");
		merkle_subtree(leaves, lo, hi, proof[depth++]);
	}
	return depth;
}

int
merkle_verify(const uint8_t root[MERKLE_HASHLEN], uint64_t size, uint64_t index,
    const uint8_t leaf_hash[MERKLE_HASHLEN],
    const uint8_t (*proof)[MERKLE_HASHLEN], size_t depth)
{
	uint8_t h[MERKLE_HASHLEN], want[MERKLE_HASHLEN];
	uint64_t w = merkle_leaf_count(size), pos = index;
	size_t k = 0;

	if (index >= w || depth > MERKLE_DEPTH_MAX)
		return 0;
	memcpy(h, leaf_hash, MERKLE_HASHLEN);
	for (; w > 1; w = w / 2 + w % 2, pos /= 2) {
		if (pos % 2 == 0 && pos + 1 >= w)
			continue;
		if (k >= depth)
			return 0;
		if (pos % 2 == 1)
			merkle_node(proof[k], h, h);
		else
			merkle_node(h, proof[k], h);
		k++;
	}
	if (k != depth)
		return 0;
	merkle_finish_root(size, h, want);
	return memcmp(want, root, MERKLE_HASHLEN) == 0;
}

int
merkle_verify_chunk(const uint8_t root[MERKLE_HASHLEN], uint64_t size,
    uint64_t index, const void *data, size_t len,
    const uint8_t (*proof)[MERKLE_HASHLEN], size_t depth)
{
	uint8_t h[MERKLE_HASHLEN];

	if (len == 0 || len != merkle_leaf_len(size, index))
		return 0;
	merkle_leaf_hash(index, data, len, h);
	return merkle_verify(root, size, index, h, proof, depth);
}

struct merkle_builder *
merkle_builder_create(merkle_node_fn *node, void *arg)
{
	struct merkle_builder *b = xcalloc(1, sizeof *b);

	b->buf = xmalloc(MERKLE_LEAF);
	merkle_frontier_init(&b->fr, node, arg);
	return b;
}

void
merkle_builder_free(struct merkle_builder *b)
{
	if (b == NULL)
		return;
	free(b->buf);
	free(b);
}

static int
merkle_builder_leaf(struct merkle_builder *b, const void *data, size_t len)
{
	uint8_t h[MERKLE_HASHLEN];

	merkle_leaf_hash(b->fr.count, data, len, h);
	return merkle_frontier_add(&b->fr, h);
}

int
merkle_builder_update(struct merkle_builder *b, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t n;

	if (len > UINT64_MAX - b->size)
		return -1;
	b->size += len;
	while (len > 0) {
		if (b->buflen == 0 && len >= MERKLE_LEAF) {
			/* A whole leaf in place: no copy. */
			if (merkle_builder_leaf(b, p, MERKLE_LEAF) == -1)
				return -1;
			p += MERKLE_LEAF;
			len -= MERKLE_LEAF;
			continue;
		}
		n = MERKLE_LEAF - b->buflen;
		if (n > len)
			n = len;
		memcpy(b->buf + b->buflen, p, n);
		b->buflen += n;
		p += n;
		len -= n;
		if (b->buflen == MERKLE_LEAF) {
			if (merkle_builder_leaf(b, b->buf, MERKLE_LEAF) == -1)
				return -1;
			b->buflen = 0;
		}
	}
	return 0;
}

int
merkle_builder_final(
    struct merkle_builder *b, uint8_t root[MERKLE_HASHLEN], uint64_t *size)
{
	if (b->buflen > 0) {
		if (merkle_builder_leaf(b, b->buf, b->buflen) == -1)
			return -1;
		b->buflen = 0;
	}
	if (size != NULL)
		*size = b->size;
	return merkle_frontier_root(&b->fr, b->size, root);
}
