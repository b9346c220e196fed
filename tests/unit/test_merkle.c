/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the file Merkle tree (src/merkle.c).
 *
 * The pinned vectors were computed once with this code and checked
 * independently with coreutils b2sum, hashing the documented input by
 * hand, for example the leaf of "abc" at index 0:
 *   printf 'p2ptui merkle leaf v1\0\0\0\0\0\0\0\0abc' | b2sum -l 256
 * and the five-leaf tree by splitting the file into 256 KiB parts,
 * hashing each leaf, joining ((L0 L1)(L2 L3)) then that with L4
 * (promoted), and the root over "p2ptui merkle root v1" || u64be(size)
 * || top, with xxd -r -p turning hex into bytes.
 *
 * A reference tree built level by level (odd node promoted), written
 * here independently of the frontier in merkle.c, checks the shape for
 * every count up to 33, and every node the frontier emits, at its place
 * in the array a sender keeps in a file, for every count up to 70.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ident.h"
#include "merkle.h"

#define HL MERKLE_HASHLEN
/* Nodes of a tree of n leaves, at most: each level rounds up once. */
#define TREE_CAP(n) (2 * (n) + MERKLE_DEPTH_MAX)

static void
hex(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	unsigned int v;

	assert_int_equal(strlen(s), 2 * n);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void
assert_hash(const uint8_t *h, const char *want)
{
	uint8_t w[HL];

	hex(want, w, HL);
	assert_memory_equal(h, w, HL);
}

/* The test file: byte i is i mod 251 (a prime, so leaves differ). */
static uint8_t *
make_data(size_t n)
{
	uint8_t *d = malloc(n != 0 ? n : 1);
	size_t i;

	assert_non_null(d);
	for (i = 0; i < n; i++)
		d[i] = (uint8_t)(i % 251);
	return d;
}

static void
builder_root(const uint8_t *d, size_t n, uint8_t root[HL])
{
	struct merkle_builder *b = merkle_builder_create(NULL, NULL);
	uint64_t size;

	assert_int_equal(merkle_builder_update(b, d, n), 0);
	assert_int_equal(merkle_builder_final(b, root, &size), 0);
	assert_true(size == n);
	merkle_builder_free(b);
}

static void
test_vectors(void **state)
{
	uint8_t h[HL], *d;
	size_t n = (size_t)MERKLE_LEAF * 4 + 5;

	(void)state;
	merkle_leaf_hash(0, "abc", 3, h);
	assert_hash(h,
	    "a6ea1b1e25752d16d79152f22c5bb66fa9e11fa8b85a9e4f232327206a927076");
	merkle_leaf_hash(5, "abc", 3, h);
	assert_hash(h,
	    "58d97ac5161dac5263099d5499e79313879035280f00d4c9c157a0483af48630");
	builder_root(NULL, 0, h);
	assert_hash(h,
	    "4793f3845fbf8d11c416e4491f21374b3f6a97889ae3d85640df9e62c786b48c");
	assert_int_equal(merkle_root(NULL, 0, 0, h), 0);
	assert_hash(h,
	    "4793f3845fbf8d11c416e4491f21374b3f6a97889ae3d85640df9e62c786b48c");
	builder_root((const uint8_t *)"abc", 3, h);
	assert_hash(h,
	    "4aa6127fe3bb1d854f3a5f187f47ec7d2a999795d76240f55d041f443e93eaa1");
	d = make_data(n);
	builder_root(d, n, h);
	assert_hash(h,
	    "150e4b77ccfef1801fbc394984f42bbb6696e4262d58bd63dbcb320687502ce2");
	free(d);
}

/*
 * Level by level, odd node promoted: the definition, slowly. Every
 * level, one after the other, goes to lv (TREE_CAP(count) hashes), and
 * the number of nodes there to *total; the top is the last one.
 */
static void
ref_levels(const uint8_t (*leaves)[HL], uint64_t count, uint8_t (*lv)[HL],
    uint64_t *total)
{
	static const char tag_node[] = "p2ptui merkle node v1";
	uint64_t w = count, base = 0, i;
	struct ident_part parts[3];

	memcpy(lv, leaves, count * HL);
	while (w > 1) {
		for (i = 0; i + 1 < w; i += 2) {
			parts[0] = (struct ident_part){ tag_node, 21 };
			parts[1] = (struct ident_part){ lv[base + i], HL };
			parts[2] = (struct ident_part){ lv[base + i + 1], HL };
			ident_hash(lv[base + w + i / 2], HL, parts, 3);
		}
		if (w % 2 == 1)
			memcpy(lv[base + w + w / 2], lv[base + w - 1], HL);
		base += w;
		w = (w + 1) / 2;
	}
	*total = base + 1;
}

static void
ref_root(const uint8_t (*leaves)[HL], uint64_t count, uint64_t size,
    uint8_t root[HL])
{
	static const char tag_root[] = "p2ptui merkle root v1";
	uint8_t(*lv)[HL] = malloc(TREE_CAP(count) * HL), be[8];
	struct ident_part parts[3];
	uint64_t total;
	int k;

	assert_non_null(lv);
	ref_levels(leaves, count, lv, &total);
	for (k = 7; k >= 0; k--)
		be[7 - k] = (uint8_t)(size >> (8 * k));
	parts[0] = (struct ident_part){ tag_root, 21 };
	parts[1] = (struct ident_part){ be, 8 };
	parts[2] = (struct ident_part){ lv[total - 1], HL };
	ident_hash(root, HL, parts, 3);
	free(lv);
}

struct collect {
	uint8_t (*leaves)[HL];
	uint64_t n, max;
};

static int
collect_leaf(void *arg, unsigned int level, uint64_t index, const uint8_t *h)
{
	struct collect *c = arg;

	if (level > 0)
		return 0;
	assert_true(index == c->n);
	assert_true(c->n < c->max);
	memcpy(c->leaves[c->n++], h, HL);
	return 0;
}

static void
test_incremental(void **state)
{
	size_t sizes[] = { 0, 1, 100, MERKLE_LEAF - 1, MERKLE_LEAF,
		MERKLE_LEAF + 1, 3 * (size_t)MERKLE_LEAF + 12345 };
	size_t s, n, off, piece, i;
	uint8_t *d, one[HL], inc[HL], ref[HL];
	uint8_t(*leaves)[HL];
	uint64_t count, size;
	struct merkle_builder *b;
	struct collect c;
	int round;

	(void)state;
	srand(7);
	for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		n = sizes[s];
		d = make_data(n);
		count = merkle_leaf_count(n);
		leaves = malloc((count + 1) * HL);
		assert_non_null(leaves);
		for (i = 0; i < count; i++)
			merkle_leaf_hash(i, d + i * MERKLE_LEAF,
			    merkle_leaf_len(n, i), leaves[i]);
		assert_int_equal(merkle_root(leaves, count, n, one), 0);
		if (count > 0) {
			ref_root(leaves, count, n, ref);
			assert_memory_equal(one, ref, HL);
		}
		/* A wrong count is refused. */
		assert_int_equal(merkle_root(leaves, count + 1, n, ref), -1);
		for (round = 0; round < 4; round++) {
			c.leaves = malloc((count + 1) * HL);
			c.n = 0;
			c.max = count;
			b = merkle_builder_create(collect_leaf, &c);
			for (off = 0; off < n; off += piece) {
				if (round == 0)
					piece = 1 + (size_t)rand() % 7;
				else if (round == 1)
					piece = 1 + (size_t)rand() % 100000;
				else if (round == 2)
					piece = MERKLE_LEAF;
				else
					piece = 1 +
					    (size_t)rand() % (3 * MERKLE_LEAF);
				if (piece > n - off)
					piece = n - off;
				assert_int_equal(
				    merkle_builder_update(b, d + off, piece),
				    0);
				/* Empty pieces change nothing. */
				assert_int_equal(
				    merkle_builder_update(b, d, 0), 0);
			}
			assert_int_equal(
			    merkle_builder_final(b, inc, &size), 0);
			merkle_builder_free(b);
			assert_true(size == n);
			assert_memory_equal(inc, one, HL);
			assert_true(c.n == count);
			if (count > 0)
				assert_memory_equal(
				    c.leaves, leaves, count * HL);
			free(c.leaves);
		}
		free(leaves);
		free(d);
	}
	merkle_builder_free(NULL);
}

/* Every proof of every tree of 1 to 33 leaves, and forgeries of each. */
static void
test_proofs(void **state)
{
	uint8_t leaves[33][HL], root[HL], ref[HL], bad[HL];
	uint8_t proof[MERKLE_DEPTH_MAX][HL];
	uint64_t count, i, size;
	int depth, k, last;

	(void)state;
	for (i = 0; i < 33; i++)
		merkle_leaf_hash(i, &i, sizeof i, leaves[i]);
	for (count = 1; count <= 33; count++) {
		for (last = 0; last < 2; last++) {
			/* Last leaf short, or full. */
			size = count * MERKLE_LEAF - (last ? 0 : 17);
			assert_int_equal(
			    merkle_root(leaves, count, size, root), 0);
			ref_root(leaves, count, size, ref);
			assert_memory_equal(root, ref, HL);
			for (i = 0; i < count; i++) {
				depth =
				    merkle_proof(leaves, count, size, i, proof);
				assert_int_equal(
				    depth, merkle_proof_len(size, i));
				assert_true(depth <= 6);
				assert_true(merkle_verify(root, size, i,
				    leaves[i], proof, (size_t)depth));
				/* Another leaf, another place, no proof. */
				assert_false(merkle_verify(root, size, i,
				    leaves[(i + 1) % 33], proof,
				    (size_t)depth));
				if (i + 1 < count)
					assert_false(merkle_verify(root, size,
					    i + 1, leaves[i], proof,
					    (size_t)depth));
				assert_false(merkle_verify(root, size, count,
				    leaves[i], proof, (size_t)depth));
				/* Another size, root or depth. */
				assert_false(merkle_verify(root, size + 1, i,
				    leaves[i], proof, (size_t)depth));
				assert_false(merkle_verify(root, size - 1, i,
				    leaves[i], proof, (size_t)depth));
				memcpy(bad, root, HL);
				bad[HL - 1] ^= 1;
				assert_false(merkle_verify(bad, size, i,
				    leaves[i], proof, (size_t)depth));
				assert_false(merkle_verify(root, size, i,
				    leaves[i], proof, (size_t)depth + 1));
				if (depth > 0)
					assert_false(merkle_verify(root, size,
					    i, leaves[i], proof,
					    (size_t)depth - 1));
				assert_false(merkle_verify(root, size, i,
				    leaves[i], proof, MERKLE_DEPTH_MAX + 1));
				/* Any flipped bit of the leaf or proof. */
				memcpy(bad, leaves[i], HL);
				bad[i % HL] ^= 0x80;
				assert_false(merkle_verify(
				    root, size, i, bad, proof, (size_t)depth));
				for (k = 0; k < depth; k++) {
					proof[k][k % HL] ^= 1;
					assert_false(merkle_verify(root, size,
					    i, leaves[i], proof,
					    (size_t)depth));
					proof[k][k % HL] ^= 1;
				}
			}
			assert_int_equal(
			    merkle_proof(leaves, count, size, count, proof),
			    -1);
			assert_int_equal(
			    merkle_proof(leaves, count - 1, size, 0, proof),
			    -1);
		}
	}
}

static void
test_verify_chunk(void **state)
{
	size_t n = 2 * (size_t)MERKLE_LEAF + 10;
	uint8_t *d = make_data(n), leaves[3][HL], root[HL];
	uint8_t proof[MERKLE_DEPTH_MAX][HL];
	int depth;

	(void)state;
	merkle_leaf_hash(0, d, MERKLE_LEAF, leaves[0]);
	merkle_leaf_hash(1, d + MERKLE_LEAF, MERKLE_LEAF, leaves[1]);
	merkle_leaf_hash(2, d + 2 * MERKLE_LEAF, 10, leaves[2]);
	builder_root(d, n, root);
	depth = merkle_proof(leaves, 3, n, 2, proof);
	assert_int_equal(depth, 1); /* promoted once, then joined */
	assert_true(
	    merkle_verify_chunk(root, n, 2, d + 2 * MERKLE_LEAF, 10, proof, 1));
	assert_false(
	    merkle_verify_chunk(root, n, 2, d + 2 * MERKLE_LEAF, 9, proof, 1));
	assert_false(
	    merkle_verify_chunk(root, n, 2, d + 2 * MERKLE_LEAF, 0, proof, 1));
	d[2 * MERKLE_LEAF + 3] ^= 1;
	assert_false(
	    merkle_verify_chunk(root, n, 2, d + 2 * MERKLE_LEAF, 10, proof, 1));
	depth = merkle_proof(leaves, 3, n, 0, proof);
	assert_int_equal(depth, 2);
	assert_true(merkle_verify_chunk(root, n, 0, d, MERKLE_LEAF, proof, 2));
	free(d);
}

/*
 * The sender's tree file, in memory: each node the frontier emits at its
 * place, each read of a proof from there. A call fails when fail_at
 * calls have been made (never if it is negative).
 */
struct tree_file {
	uint8_t (*node)[HL];
	uint8_t *seen;
	uint64_t count, cap;
	long calls, fail_at;
};

static int
tree_put(void *arg, unsigned int level, uint64_t index, const uint8_t *h)
{
	struct tree_file *t = arg;
	uint64_t pos = merkle_node_pos(t->count, level, index);

	if (t->calls++ == t->fail_at)
		return -1;
	assert_true(pos < t->cap);
	assert_false(t->seen[pos]); /* each node once */
	t->seen[pos] = 1;
	memcpy(t->node[pos], h, HL);
	return 0;
}

static int
tree_get(void *arg, uint64_t pos, uint8_t out[HL])
{
	struct tree_file *t = arg;

	if (t->calls++ == t->fail_at)
		return -1;
	assert_true(pos < t->cap && t->seen[pos]);
	memcpy(out, t->node[pos], HL);
	return 0;
}

/* Every node a node of the tree emitted as soon as it can be known? */
static void
assert_emitted(const struct tree_file *t, uint64_t added)
{
	uint64_t w = t->count, base = 0, j;
	unsigned int level = 0;

	for (;; base += w, w = w / 2 + w % 2, level++) {
		for (j = 0; j < w; j++) {
			/* Whole (2^level leaves), all added: emitted. */
			if ((j + 1) << level <= added)
				assert_true(t->seen[base + j]);
			else
				assert_false(t->seen[base + j]);
		}
		if (w == 1)
			break;
	}
}

static void
tree_build(struct tree_file *t, const uint8_t (*leaves)[HL], uint64_t count,
    uint64_t size, uint8_t root[HL])
{
	struct merkle_frontier f;
	uint64_t i;

	t->count = count;
	t->cap = TREE_CAP(count);
	t->calls = 0;
	t->fail_at = -1;
	t->node = calloc(t->cap, HL);
	t->seen = calloc(t->cap, 1);
	assert_non_null(t->node);
	assert_non_null(t->seen);
	merkle_frontier_init(&f, tree_put, t);
	for (i = 0; i < count; i++) {
		assert_int_equal(merkle_frontier_add(&f, leaves[i]), 0);
		assert_emitted(t, i + 1);
	}
	assert_int_equal(merkle_frontier_root(&f, size, root), 0);
}

/*
 * The frontier's nodes, at their places, are the reference tree's; proofs
 * read back from them are merkle_proof()'s; the root is merkle_root()'s.
 */
static void
test_tree(void **state)
{
	uint8_t proof[MERKLE_DEPTH_MAX][HL], ref[MERKLE_DEPTH_MAX][HL];
	uint8_t root[HL], froot[HL], h[HL], data[1000];
	struct merkle_leaf_state ls;
	struct tree_file t;
	uint8_t(*leaves)[HL], (*lv)[HL];
	uint64_t count, i, size, total, pos;
	int depth;
	size_t k;

	(void)state;
	for (k = 0; k < sizeof data; k++)
		data[k] = (uint8_t)(k * 7 + 3);
	merkle_leaf_hash(9, data, sizeof data, root);
	merkle_leaf_begin(&ls, 9);
	for (k = 0; k < sizeof data; k += 333)
		merkle_leaf_update(&ls, data + k,
		    sizeof data - k < 333 ? sizeof data - k : 333);
	merkle_leaf_end(&ls, h);
	assert_memory_equal(h, root, HL);

	for (count = 1; count <= 70; count++) {
		size = (count - 1) * (uint64_t)MERKLE_LEAF + 17;
		leaves = malloc(count * HL);
		lv = malloc(TREE_CAP(count) * HL);
		assert_non_null(leaves);
		assert_non_null(lv);
		for (i = 0; i < count; i++)
			merkle_leaf_hash(i, &i, sizeof i, leaves[i]);
		assert_int_equal(merkle_root(leaves, count, size, root), 0);
		tree_build(&t, leaves, count, size, froot);
		assert_memory_equal(froot, root, HL);
		/* Every node, nothing more, the top last. */
		ref_levels(leaves, count, lv, &total);
		for (pos = 0; pos < t.cap; pos++)
			assert_int_equal(t.seen[pos], pos < total);
		assert_memory_equal(t.node, lv, total * HL);
		for (i = 0; i < count; i++) {
			depth = merkle_proof_get(count, i, tree_get, &t, proof);
			assert_int_equal(depth, merkle_proof_len(size, i));
			assert_int_equal(
			    merkle_proof(leaves, count, size, i, ref), depth);
			assert_memory_equal(proof, ref, (size_t)depth * HL);
			assert_true(merkle_verify(root, size, i, leaves[i],
			    (const uint8_t(*)[HL])proof, (size_t)depth));
			/* A read that fails, wherever it comes: -1. */
			for (t.fail_at = 0; t.fail_at < depth; t.fail_at++) {
				t.calls = 0;
				assert_int_equal(merkle_proof_get(count, i,
				                     tree_get, &t, proof),
				    -1);
			}
			t.fail_at = -1;
		}
		assert_int_equal(
		    merkle_proof_get(count, count, tree_get, &t, proof), -1);
		free(t.node);
		free(t.seen);
		free(lv);
		free(leaves);
	}
}

/* A node function that fails stops the frontier and the builder at once. */
static void
test_tree_fails(void **state)
{
	uint8_t leaves[21][HL], root[HL];
	uint8_t *d = make_data(3 * (size_t)MERKLE_LEAF);
	struct merkle_frontier f;
	struct merkle_builder *b;
	struct tree_file t;
	long nodes, at;
	uint64_t i;
	int r;

	(void)state;
	for (i = 0; i < 21; i++)
		merkle_leaf_hash(i, &i, sizeof i, leaves[i]);
	tree_build(&t, leaves, 21, 21 * (uint64_t)MERKLE_LEAF, root);
	nodes = t.calls;
	for (at = 0; at < nodes; at++) {
		t.calls = 0;
		t.fail_at = at;
		memset(t.seen, 0, t.cap);
		merkle_frontier_init(&f, tree_put, &t);
		for (i = 0, r = 0; i < 21 && r == 0; i++)
			r = merkle_frontier_add(&f, leaves[i]);
		if (r == 0)
			r = merkle_frontier_root(
			    &f, 21 * (uint64_t)MERKLE_LEAF, root);
		assert_int_equal(r, -1);
		assert_int_equal(t.calls, at + 1);
	}
	/* Not the leaves of that size. */
	merkle_frontier_init(&f, NULL, NULL);
	assert_int_equal(merkle_frontier_add(&f, leaves[0]), 0);
	assert_int_equal(merkle_frontier_root(&f, MERKLE_LEAF + 1, root), -1);

	/* The builder: its first leaf, or the last at the end. */
	t.calls = 0;
	t.fail_at = 0;
	t.count = 3;
	b = merkle_builder_create(tree_put, &t);
	assert_int_equal(merkle_builder_update(b, d, MERKLE_LEAF), -1);
	merkle_builder_free(b);
	t.calls = 0;
	t.fail_at = 4; /* leaf 0, leaf 1, their node, leaf 2, [its edge] */
	memset(t.seen, 0, t.cap);
	b = merkle_builder_create(tree_put, &t);
	assert_int_equal(
	    merkle_builder_update(b, d, 3 * (size_t)MERKLE_LEAF - 1), 0);
	assert_int_equal(merkle_builder_final(b, root, NULL), -1);
	merkle_builder_free(b);
	free(t.node);
	free(t.seen);
	free(d);
}

static void
test_counts(void **state)
{
	const uint64_t five_gib = 5ULL << 30;
	uint8_t root[HL], leaf[HL], proof[MERKLE_DEPTH_MAX][HL];

	(void)state;
	assert_true(merkle_leaf_count(0) == 0);
	assert_true(merkle_leaf_count(1) == 1);
	assert_true(merkle_leaf_count(MERKLE_LEAF - 1) == 1);
	assert_true(merkle_leaf_count(MERKLE_LEAF) == 1);
	assert_true(merkle_leaf_count(MERKLE_LEAF + 1) == 2);
	assert_true(merkle_leaf_count(five_gib) == 20480);
	assert_true(merkle_leaf_count(five_gib + 1) == 20481);
	assert_true(merkle_leaf_count(UINT64_MAX) == 1ULL << 46);

	assert_int_equal(merkle_leaf_len(0, 0), 0);
	assert_int_equal(merkle_leaf_len(1, 0), 1);
	assert_int_equal(merkle_leaf_len(MERKLE_LEAF, 0), MERKLE_LEAF);
	assert_int_equal(merkle_leaf_len(MERKLE_LEAF, 1), 0);
	assert_int_equal(merkle_leaf_len(MERKLE_LEAF + 1, 0), MERKLE_LEAF);
	assert_int_equal(merkle_leaf_len(MERKLE_LEAF + 1, 1), 1);
	assert_int_equal(merkle_leaf_len(five_gib, 20479), MERKLE_LEAF);
	assert_int_equal(merkle_leaf_len(five_gib, 20480), 0);
	assert_int_equal(
	    merkle_leaf_len(UINT64_MAX, (1ULL << 46) - 1), MERKLE_LEAF - 1);

	/* 20480 = 16384 + 4096: 15 levels, the tail leaf 12 + 1. */
	assert_int_equal(merkle_proof_len(0, 0), -1);
	assert_int_equal(merkle_proof_len(1, 0), 0);
	assert_int_equal(merkle_proof_len(five_gib, 0), 15);
	assert_int_equal(merkle_proof_len(five_gib, 16383), 15);
	assert_int_equal(merkle_proof_len(five_gib, 20479), 13);
	assert_int_equal(merkle_proof_len(five_gib, 20480), -1);
	assert_int_equal(merkle_proof_len(UINT64_MAX, 0), 46);
	assert_int_equal(merkle_proof_len(UINT64_MAX, (1ULL << 46) - 1), 46);
	assert_int_equal(merkle_proof_len(UINT64_MAX, 1ULL << 46), -1);

	/* Junk against a huge tree: refused, quickly, nothing read past. */
	memset(leaf, 0x5a, sizeof leaf);
	memset(proof, 0xa5, sizeof proof);
	memset(root, 0, sizeof root);
	assert_false(merkle_verify(root, five_gib, 20479, leaf, proof, 13));
	assert_false(merkle_verify(root, five_gib, 20480, leaf, proof, 13));
	assert_false(
	    merkle_verify(root, UINT64_MAX, UINT64_MAX, leaf, proof, 46));
	assert_false(merkle_verify(root, UINT64_MAX, 0, leaf, proof, 46));
	/* An empty file has no leaf to prove. */
	assert_false(merkle_verify(root, 0, 0, leaf, proof, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_proofs),
		cmocka_unit_test(test_verify_chunk),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_tree_fails),
	};

	if (ident_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
