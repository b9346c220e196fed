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
 * here independently of the stack in merkle.c, checks the shape for
 * every count up to 33.
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
	merkle_builder_final(b, root, &size);
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

/* Level by level, odd node promoted: the definition, slowly. */
static void
ref_root(const uint8_t (*leaves)[HL], uint64_t count, uint64_t size,
    uint8_t root[HL])
{
	static const char tag_node[] = "p2ptui merkle node v1";
	static const char tag_root[] = "p2ptui merkle root v1";
	uint8_t(*lv)[HL] = malloc(count * HL), be[8];
	uint64_t w = count, i;
	struct ident_part parts[3];
	int k;

	assert_non_null(lv);
	memcpy(lv, leaves, count * HL);
	while (w > 1) {
		for (i = 0; i + 1 < w; i += 2) {
			parts[0] = (struct ident_part){ tag_node, 21 };
			parts[1] = (struct ident_part){ lv[i], HL };
			parts[2] = (struct ident_part){ lv[i + 1], HL };
			ident_hash(lv[i / 2], HL, parts, 3);
		}
		if (w % 2 == 1)
			memcpy(lv[w / 2], lv[w - 1], HL);
		w = (w + 1) / 2;
	}
	for (k = 7; k >= 0; k--)
		be[7 - k] = (uint8_t)(size >> (8 * k));
	parts[0] = (struct ident_part){ tag_root, 21 };
	parts[1] = (struct ident_part){ be, 8 };
	parts[2] = (struct ident_part){ lv[0], HL };
	ident_hash(root, HL, parts, 3);
	free(lv);
}

struct collect {
	uint8_t (*leaves)[HL];
	uint64_t n, max;
};

static void
collect_leaf(void *arg, uint64_t index, const uint8_t *h)
{
	struct collect *c = arg;

	assert_true(index == c->n);
	assert_true(c->n < c->max);
	memcpy(c->leaves[c->n++], h, HL);
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
			merkle_builder_final(b, inc, &size);
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

/* The streaming leaf hash and the whole-tree proofs agree with the
 * one-shot functions, and every tree proof verifies. */
static void
test_tree(void **state)
{
	uint8_t proof[MERKLE_DEPTH_MAX][HL], ref[MERKLE_DEPTH_MAX][HL];
	uint8_t root[HL], h[HL], data[1000];
	struct merkle_leaf_state ls;
	struct merkle_tree *t;
	uint8_t(*leaves)[HL];
	uint64_t count, i, size;
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
		assert_non_null(leaves);
		for (i = 0; i < count; i++)
			merkle_leaf_hash(i, &i, sizeof i, leaves[i]);
		assert_int_equal(merkle_root(leaves, count, size, root), 0);
		for (i = 0; i < count; i++) {
			uint8_t(*copy)[HL] = malloc(count * HL);

			assert_non_null(copy);
			memcpy(copy, leaves, count * HL);
			t = merkle_tree_create(copy, count);
			depth = merkle_tree_proof(t, i, proof);
			assert_int_equal(depth, merkle_proof_len(size, i));
			assert_int_equal(
			    merkle_proof(leaves, count, size, i, ref), depth);
			assert_memory_equal(proof, ref, (size_t)depth * HL);
			assert_true(merkle_verify(root, size, i, leaves[i],
			    (const uint8_t(*)[HL])proof, (size_t)depth));
			assert_int_equal(
			    merkle_tree_proof(t, count, proof), -1);
			merkle_tree_free(t);
		}
		free(leaves);
	}
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
	};

	if (ident_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
