/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer harness: the file Merkle verifier and file name sanitiser
 * fed attacker bytes.
 *
 * Input: u64be size, u64be index, a leaf hash, then proof hashes (at
 * most MERKLE_DEPTH_MAX + 2 of them, so too deep is tried); whatever
 * is left after a whole number of hashes is a file name. The verifier
 * gets a root and must refuse the forgery unless the proof is the real
 * one: the harness builds a genuine tree over the same leaf and its
 * proof siblings only when the shape allows, and checks that verifying
 * never reads past the proof it was given (an exactly sized copy) and
 * never accepts a root it was not built for.
 *
 * The same hashes, leaf first, are also the leaves of a tree built as
 * the sender builds it: the frontier's nodes go to an array at
 * merkle_node_pos(), as many as it has places, and its root and the
 * proof of leaf index (modulo their count) read back from the array
 * must be merkle_root()'s and merkle_proof()'s, and verify.
 *
 * Shorter inputs are all name. The name part, NUL-terminated, must become a
 * name that is non-empty, printable UTF-8, within UTIL_NAME_MAX bytes, without
 * '/' or a leading '.', and unchanged by a second pass.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "merkle.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

#define HL MERKLE_HASHLEN
#define FUZZ_HASHES_MAX (MERKLE_DEPTH_MAX + 2)

/* The sender's tree file, in memory. */
struct fuzz_tree {
	uint8_t (*node)[HL];
	uint64_t count, cap, emitted;
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (ident_init() != 0)
		abort();
	return 0;
}

static uint64_t
fuzz_u64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
fuzz_name(const uint8_t *p, size_t len)
{
	char *name, out[UTIL_NAME_MAX + 1], again[UTIL_NAME_MAX + 1];
	size_t n;

	if ((name = malloc(len + 1)) == NULL)
		abort();
	memcpy(name, p, len);
	name[len] = '\0';
	if (util_safe_name(name, out, sizeof out) != 0)
		abort();
	n = strlen(out);
	if (n == 0 || n > UTIL_NAME_MAX || out[0] == '.' ||
	    strchr(out, '/') != NULL ||
	    !util_utf8_printable((const uint8_t *)out, n) ||
	    strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		abort();
	if (util_safe_name(out, again, sizeof again) != 0 ||
	    strcmp(out, again) != 0)
		abort();
	/* A small buffer bounds the result as well. */
	if (util_safe_name(name, again, 8) != 0 || strlen(again) > 7 ||
	    again[0] == '.')
		abort();
	free(name);
}

/*
 * A genuine tree whose leaf index is leaf and whose other nodes are the
 * attacker's proof hashes: only possible when the proof has the length
 * the shape needs. Its root must accept; any other root must not.
 */
static void
fuzz_verify(uint64_t size, uint64_t index, const uint8_t *leaf,
    const uint8_t (*proof)[HL], size_t depth)
{
	uint8_t root[HL], leaves[2][HL];
	int want = merkle_proof_len(size, index);

	memset(root, 0, sizeof root);
	if (merkle_verify(root, size, index, leaf, proof, depth))
		abort(); /* a zero root is no image of BLAKE2b we will meet */
	if (want < 0 || (size_t)want != depth)
		return;
	/* With one or two leaves the tree can be rebuilt here in full. */
	if (merkle_leaf_count(size) == 1) {
		if (merkle_root((const uint8_t(*)[HL])leaf, 1, size, root) !=
		        0 ||
		    !merkle_verify(root, size, 0, leaf, proof, 0))
			abort();
	} else if (merkle_leaf_count(size) == 2) {
		memcpy(leaves[index], leaf, HL);
		memcpy(leaves[1 - index], proof[0], HL);
		if (merkle_root((const uint8_t(*)[HL])leaves, 2, size, root) !=
		        0 ||
		    !merkle_verify(root, size, index, leaf, proof, 1) ||
		    (index == 0 && memcmp(leaf, proof[0], HL) != 0 &&
		        merkle_verify(root, size, 1, leaf, proof, 1)))
			abort();
		/* The other size with two leaves names another root. */
		if (merkle_verify(root, size ^ 1, index, leaf, proof, 1))
			abort();
	}
}

static int
fuzz_put(void *arg, unsigned int level, uint64_t index, const uint8_t *h)
{
	struct fuzz_tree *t = arg;
	uint64_t pos = merkle_node_pos(t->count, level, index);

	if (pos >= t->cap)
		abort();
	memcpy(t->node[pos], h, HL);
	t->emitted++;
	return 0;
}

static int
fuzz_get(void *arg, uint64_t pos, uint8_t out[HL])
{
	const struct fuzz_tree *t = arg;

	if (pos >= t->cap)
		abort();
	memcpy(out, t->node[pos], HL);
	return 0;
}

/* The count hashes at leaves as a file of a last leaf of tail bytes. */
static void
fuzz_tree(
    const uint8_t (*leaves)[HL], uint64_t count, uint64_t tail, uint64_t index)
{
	uint8_t root[HL], want[HL], proof[MERKLE_DEPTH_MAX][HL];
	uint8_t ref[MERKLE_DEPTH_MAX][HL];
	uint64_t size = (count - 1) * MERKLE_LEAF + 1 + tail % MERKLE_LEAF;
	struct merkle_frontier f;
	struct fuzz_tree t;
	uint64_t i, top;
	unsigned int levels = 1;
	int depth;

	/* The top is the last place: the array is that and no larger. */
	for (i = count; i > 1; i = i / 2 + i % 2)
		levels++;
	top = merkle_node_pos(count, levels - 1, 0);
	t.count = count;
	t.cap = top + 1;
	t.emitted = 0;
	if ((t.node = malloc(t.cap * HL)) == NULL)
		abort();
	merkle_frontier_init(&f, fuzz_put, &t);
	for (i = 0; i < count; i++) {
		if (merkle_frontier_add(&f, leaves[i]) != 0)
			abort();
	}
	if (merkle_frontier_root(&f, size, root) != 0 || t.emitted != t.cap ||
	    merkle_root(leaves, count, size, want) != 0 ||
	    memcmp(root, want, HL) != 0)
		abort();
	index %= count;
	depth = merkle_proof_get(count, index, fuzz_get, &t, proof);
	if (depth != merkle_proof_len(size, index) ||
	    merkle_proof(leaves, count, size, index, ref) != depth ||
	    memcmp(proof, ref, (size_t)depth * HL) != 0 ||
	    !merkle_verify(root, size, index, leaves[index],
	        (const uint8_t(*)[HL])proof, (size_t)depth) ||
	    merkle_proof_get(count, count, fuzz_get, &t, proof) != -1)
		abort();
	free(t.node);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t(*proof)[HL];
	uint64_t fsize, index;
	size_t nhash, rest;

	if (size < 16 + HL) {
		fuzz_name(data, size);
		return 0;
	}
	fsize = fuzz_u64(data);
	index = fuzz_u64(data + 8);
	rest = size - 16 - HL;
	nhash = rest / HL;
	if (nhash > FUZZ_HASHES_MAX)
		nhash = FUZZ_HASHES_MAX;
	/* Exactly sized, so an over-read of the proof is seen. */
	if ((proof = malloc(nhash != 0 ? nhash * HL : 1)) == NULL)
		abort();
	memcpy(proof, data + 16 + HL, nhash * HL);
	fuzz_verify(
	    fsize, index, data + 16, (const uint8_t(*)[HL])proof, nhash);
	fuzz_tree((const uint8_t(*)[HL])(data + 16), 1 + nhash, fsize, index);
	free(proof);
	fuzz_name(data + 16 + HL + nhash * HL, rest - nhash * HL);
	return 0;
}
