/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The file Merkle tree (see merkle.h for the construction).
 *
 * Two ways to the same tree. The builder and merkle_root() fold leaves
 * into a stack of perfect subtrees, one per set bit of the leaf count,
 * like a binary counter, and at the end join them from the smallest up;
 * that is the level-by-level tree with odd nodes promoted, in O(log n)
 * memory. Proofs and the verifier walk the levels: at a level of width
 * w the node at pos has a sibling unless pos is the last and even
 * (promoted). Every length is checked before it is used; nothing here
 * trusts a size, index or proof.
 */
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

/* One perfect subtree per level at most, plus the one being pushed. */
#define MERKLE_STACK (MERKLE_DEPTH_MAX + 1)

struct merkle_stack {
	uint8_t hash[MERKLE_STACK][MERKLE_HASHLEN];
	uint8_t height[MERKLE_STACK];
	size_t n;
};

struct merkle_builder {
	uint8_t *buf; /* MERKLE_LEAF bytes: the leaf being filled */
	size_t buflen;
	uint64_t size;
	uint64_t nleaves;
	struct merkle_stack st;
	void (*leaf_cb)(void *, uint64_t, const uint8_t *);
	void *arg;
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

/* Push a leaf hash; join equal subtrees as a binary counter carries. */
static void
merkle_stack_push(struct merkle_stack *st, const uint8_t h[MERKLE_HASHLEN])
{
	if (st->n >= MERKLE_STACK)
		fatal("merkle: stack overflow");
	memcpy(st->hash[st->n], h, MERKLE_HASHLEN);
	st->height[st->n] = 0;
	st->n++;
	while (st->n >= 2 && st->height[st->n - 1] == st->height[st->n - 2]) {
		merkle_node(st->hash[st->n - 2], st->hash[st->n - 1],
		    st->hash[st->n - 2]);
		st->height[st->n - 2]++;
		st->n--;
	}
}

/* Join what is left, smallest first (the promoted right edge). */
static void
merkle_stack_fold(const struct merkle_stack *st, uint8_t out[MERKLE_HASHLEN])
{
	size_t k;

	if (st->n == 0)
		fatal("merkle: fold of nothing");
	memcpy(out, st->hash[st->n - 1], MERKLE_HASHLEN);
	for (k = st->n - 1; k > 0; k--)
		merkle_node(st->hash[k - 1], out, out);
}

/* The node over leaves [lo, hi) of a level-aligned range. */
static void
merkle_subtree(const uint8_t (*leaves)[MERKLE_HASHLEN], uint64_t lo,
    uint64_t hi, uint8_t out[MERKLE_HASHLEN])
{
	struct merkle_stack st;
	uint64_t i;

	st.n = 0;
	for (i = lo; i < hi; i++)
		merkle_stack_push(&st, leaves[i]);
	merkle_stack_fold(&st, out);
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

struct merkle_tree {
	uint8_t (*level[MERKLE_DEPTH_MAX])[MERKLE_HASHLEN];
	uint64_t width[MERKLE_DEPTH_MAX];
	int nlevels;
};

struct merkle_tree *
merkle_tree_create(uint8_t (*leaves)[MERKLE_HASHLEN], uint64_t count)
{
	struct merkle_tree *t = xcalloc(1, sizeof *t);
	uint64_t w, nw, j;

	t->level[0] = leaves;
	t->width[0] = count;
	t->nlevels = 1;
	for (w = count; w > 1; w = nw) {
		const uint8_t(*below)[MERKLE_HASHLEN] =
		    (const void *)t->level[t->nlevels - 1];
		uint8_t(*lvl)[MERKLE_HASHLEN];

		if (t->nlevels >= MERKLE_DEPTH_MAX)
			fatal("merkle: tree too deep");
		nw = w / 2 + w % 2;
		lvl = xreallocarray(NULL, nw, MERKLE_HASHLEN);
		for (j = 0; j < nw; j++) {
			if (2 * j + 1 < w)
				merkle_node(
				    below[2 * j], below[2 * j + 1], lvl[j]);
			else /* promoted */
				memcpy(lvl[j], below[2 * j], MERKLE_HASHLEN);
		}
		t->level[t->nlevels] = lvl;
		t->width[t->nlevels] = nw;
		t->nlevels++;
	}
	return t;
}

void
merkle_tree_free(struct merkle_tree *t)
{
	int i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nlevels; i++)
		free(t->level[i]);
	free(t);
}

int
merkle_tree_proof(const struct merkle_tree *t, uint64_t index,
    uint8_t proof[MERKLE_DEPTH_MAX][MERKLE_HASHLEN])
{
	uint64_t pos = index, sib;
	int level, depth = 0;

	if (index >= t->width[0])
		return -1;
	for (level = 0; level < t->nlevels - 1; level++, pos /= 2) {
		if (pos % 2 == 1)
			sib = pos - 1;
		else if (pos + 1 < t->width[level])
			sib = pos + 1;
		else
			continue; /* promoted: no sibling at this level */
		memcpy(proof[depth++], t->level[level][sib], MERKLE_HASHLEN);
	}
	return depth;
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
	uint8_t top[MERKLE_HASHLEN];

	if (count != merkle_leaf_count(size))
		return -1;
	if (count == 0) {
		merkle_finish_root(size, NULL, root);
		return 0;
	}
	merkle_subtree(leaves, 0, count, top);
	merkle_finish_root(size, top, root);
	return 0;
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
		if (pos % 2 == 1)
			sib = pos - 1;
		else if (pos + 1 < w)
			sib = pos + 1;
		else
			continue; /* promoted: no sibling at this level */
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
merkle_builder_create(
    void (*leaf_cb)(void *, uint64_t, const uint8_t *), void *arg)
{
	struct merkle_builder *b = xcalloc(1, sizeof *b);

	b->buf = xmalloc(MERKLE_LEAF);
	b->leaf_cb = leaf_cb;
	b->arg = arg;
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

static void
merkle_builder_leaf(struct merkle_builder *b, const void *data, size_t len)
{
	uint8_t h[MERKLE_HASHLEN];

	merkle_leaf_hash(b->nleaves, data, len, h);
	if (b->leaf_cb != NULL)
		b->leaf_cb(b->arg, b->nleaves, h);
	merkle_stack_push(&b->st, h);
	b->nleaves++;
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
			merkle_builder_leaf(b, p, MERKLE_LEAF);
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
			merkle_builder_leaf(b, b->buf, MERKLE_LEAF);
			b->buflen = 0;
		}
	}
	return 0;
}

void
merkle_builder_final(
    struct merkle_builder *b, uint8_t root[MERKLE_HASHLEN], uint64_t *size)
{
	uint8_t top[MERKLE_HASHLEN];

	if (b->buflen > 0) {
		merkle_builder_leaf(b, b->buf, b->buflen);
		b->buflen = 0;
	}
	if (b->nleaves == 0)
		merkle_finish_root(b->size, NULL, root);
	else {
		merkle_stack_fold(&b->st, top);
		merkle_finish_root(b->size, top, root);
	}
	if (size != NULL)
		*size = b->size;
}
