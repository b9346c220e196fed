/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the disk side of file transfers (src/xfer_disk.c), in a
 * temporary directory: the tree file a sender hashes its source into
 * gives proofs that verify against the root merkle.c computes; a partial
 * holder's tree, filled only with the proofs of the leaves it has, gives
 * the same proofs back; a .part records, reads back, syncs and moves to
 * a free name; a leaf arriving in pieces is checked against the root.
 */
#include <sys/stat.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "merkle.h"
#include "xfer_disk.h"
#include "xmalloc.h"

#define HL MERKLE_HASHLEN
#define SIZE (5 * (uint64_t)MERKLE_LEAF + 1000) /* 6 leaves, last short */

struct fixture {
	char dir[64];
	char *src;
	uint8_t *data;
	uint8_t root[HL];
};

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	FILE *fp;
	size_t i;

	snprintf(f->dir, sizeof f->dir, "/tmp/test_xfer_disk.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->data = xmalloc(SIZE);
	for (i = 0; i < SIZE; i++)
		f->data[i] = (uint8_t)(i % 251);
	f->src = xasprintf("%s/src.bin", f->dir);
	assert_non_null(fp = fopen(f->src, "wb"));
	assert_int_equal(fwrite(f->data, 1, SIZE, fp), SIZE);
	fclose(fp);
	{
		struct merkle_builder *mb = merkle_builder_create(NULL, NULL);

		assert_int_equal(merkle_builder_update(mb, f->data, SIZE), 0);
		assert_int_equal(merkle_builder_final(mb, f->root, NULL), 0);
		merkle_builder_free(mb);
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char *cmd = xasprintf("rm -rf '%s'", f->dir);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(f->src);
	free(f->data);
	free(f);
	return 0;
}

/* The sender's tree: hashed in small slices, every proof verifies. */
static struct xfer_tree *
hashed_tree(struct fixture *f, int fd)
{
	struct xfer_tree *t;
	uint8_t buf[100000], root[HL];
	enum xfer_hash_result r;
	char *cause = NULL;
	int steps = 0;

	t = xfer_tree_create(f->dir, NULL, SIZE, &cause);
	assert_non_null(t);
	while ((r = xfer_tree_hash(t, fd, buf, sizeof buf, 300000)) ==
	    XFER_HASH_MORE)
		steps++;
	assert_int_equal(r, XFER_HASH_DONE);
	assert_true(steps >= 4); /* 300,000 bytes a slice */
	assert_int_equal(xfer_tree_hashed(t), SIZE);
	xfer_tree_root(t, root);
	assert_memory_equal(root, f->root, HL);
	return t;
}

static void
test_tree(void **state)
{
	struct fixture *f = *state;
	uint8_t proof[MERKLE_DEPTH_MAX][HL], again[MERKLE_DEPTH_MAX][HL];
	const uint64_t have[] = { 1, 4, 5 };
	struct xfer_tree *t, *partial;
	uint64_t size, i;
	int64_t mtime;
	const char *base;
	char *cause = NULL, *path;
	int fd, depth;
	size_t k;

	fd = xfer_source_open(f->src, &size, &mtime, &base, &cause);
	assert_true(fd >= 0);
	assert_int_equal(size, SIZE);
	assert_string_equal(base, "src.bin");
	assert_int_equal(xfer_source_changed(fd, SIZE, mtime), 0);
	assert_int_equal(xfer_source_changed(fd, SIZE - 1, mtime), 1);
	t = hashed_tree(f, fd);
	for (i = 0; i < merkle_leaf_count(SIZE); i++) {
		depth = xfer_tree_proof(t, i, proof);
		assert_int_equal(depth, merkle_proof_len(SIZE, i));
		assert_true(merkle_verify_chunk(f->root, SIZE, i,
		    f->data + i * MERKLE_LEAF, merkle_leaf_len(SIZE, i),
		    (const uint8_t(*)[HL])proof, (size_t)depth));
	}
	/* A partial holder keeps only the proofs of what it has, in a
	 * named tree file, and gets them back after reopening it. */
	path = xasprintf("%s/partial.tree", f->dir);
	partial = xfer_tree_create(NULL, path, SIZE, &cause);
	assert_non_null(partial);
	for (k = 0; k < sizeof have / sizeof have[0]; k++) {
		depth = xfer_tree_proof(t, have[k], proof);
		assert_int_equal(xfer_tree_put_proof(partial, have[k],
		                     (const uint8_t(*)[HL])proof, depth),
		    0);
	}
	assert_int_equal(
	    xfer_tree_put_proof(partial, 0, (const uint8_t(*)[HL])proof,
	        merkle_proof_len(SIZE, 0) + 1),
	    -1);
	xfer_tree_free(partial);
	partial = xfer_tree_create(NULL, path, SIZE, &cause);
	assert_non_null(partial);
	for (k = 0; k < sizeof have / sizeof have[0]; k++) {
		depth = xfer_tree_proof(t, have[k], proof);
		assert_int_equal(
		    xfer_tree_proof(partial, have[k], again), depth);
		assert_memory_equal(proof, again, (size_t)depth * HL);
	}
	xfer_tree_free(partial);
	xfer_tree_free(t);
	free(path);
	/* A source that shrank is noticed. */
	assert_int_equal(truncate(f->src, 1000), 0);
	t = xfer_tree_create(f->dir, NULL, SIZE, &cause);
	{
		uint8_t buf[4096];

		assert_int_equal(xfer_tree_hash(t, fd, buf, sizeof buf, SIZE),
		    XFER_HASH_SHRANK);
		assert_int_equal(xfer_source_read(fd, 0, buf, 1000), 0);
		assert_int_equal(xfer_source_read(fd, 500, buf, 1000), -1);
	}
	xfer_tree_free(t);
	close(fd);
}

/*
 * Proofs of a tree wider than a cached block of nodes, put by a partial
 * holder one leaf at a time and read back between the puts: a block read
 * before a put into it must not give back the nodes as they were.
 */
static void
test_tree_wide(void **state)
{
	struct fixture *f = *state;
	const uint64_t count = 1000, size = count * MERKLE_LEAF;
	uint8_t(*leaves)[HL] = xcalloc(count, HL), *put = xcalloc(1, count);
	uint8_t proof[MERKLE_DEPTH_MAX][HL], again[MERKLE_DEPTH_MAX][HL];
	struct xfer_tree *t;
	char *cause = NULL;
	uint64_t i, j;
	int depth;

	ident_random(leaves, count * HL);
	t = xfer_tree_create(f->dir, NULL, size, &cause);
	assert_non_null(t);
	/* Nothing put yet: no proof, rather than one of zeros. */
	assert_int_equal(xfer_tree_proof(t, count - 1, again), -1);
	for (i = 0; i < count; i++) {
		j = (i * 7) % count; /* all of them, not in order */
		depth = merkle_proof(
		    (const uint8_t(*)[HL])leaves, count, size, j, proof);
		assert_true(depth > 0);
		assert_int_equal(xfer_tree_put_proof(
		                     t, j, (const uint8_t(*)[HL])proof, depth),
		    0);
		assert_int_equal(xfer_tree_proof(t, j, again), depth);
		assert_memory_equal(proof, again, (size_t)depth * HL);
		put[j] = 1;
		if (j > 0 && put[j - 1]) { /* its neighbour, put earlier */
			depth = merkle_proof((const uint8_t(*)[HL])leaves,
			    count, size, j - 1, proof);
			assert_int_equal(
			    xfer_tree_proof(t, j - 1, again), depth);
			assert_memory_equal(proof, again, (size_t)depth * HL);
		}
	}
	for (i = 0; i < count; i++) {
		depth = merkle_proof(
		    (const uint8_t(*)[HL])leaves, count, size, i, proof);
		assert_int_equal(xfer_tree_proof(t, i, again), depth);
		assert_memory_equal(proof, again, (size_t)depth * HL);
	}
	xfer_tree_free(t);
	free(leaves);
	free(put);
}

static void
test_part(void **state)
{
	struct fixture *f = *state;
	struct xfer_part *part, *again;
	char *cause = NULL, *path, *path2, *final;
	uint8_t *buf = xmalloc(MERKLE_LEAF);
	struct stat st;
	uint64_t i;
	int err = 0;

	part = xfer_part_new(SIZE, NULL, 0);
	assert_int_equal(part->count, 6);
	assert_int_equal(
	    xfer_part_create(part, f->dir, "f.bin", &path, &cause), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, SIZE);
	/* A second download of the same name gets its own .part. */
	again = xfer_part_new(SIZE, NULL, 0);
	assert_int_equal(
	    xfer_part_create(again, f->dir, "f.bin", &path2, &cause), 0);
	assert_string_not_equal(path, path2);
	unlink(path2);
	free(path2);
	xfer_part_free(again);

	assert_int_equal(xfer_part_read(part, 2, buf), ENOENT);
	assert_int_equal(
	    xfer_part_write(part, 2, f->data + 2 * MERKLE_LEAF), 0);
	assert_int_equal(
	    xfer_part_write(part, 5, f->data + 5 * MERKLE_LEAF), 0);
	assert_int_equal(part->nhave, 2);
	assert_int_equal(part->bytes, MERKLE_LEAF + 1000);
	assert_true(xfer_part_has(part, 2));
	assert_false(xfer_part_has(part, 3));
	assert_false(xfer_part_has(part, 6));
	assert_int_equal(xfer_part_missing(part, 2), 3);
	assert_int_equal(xfer_part_read(part, 2, buf), 0);
	assert_memory_equal(buf, f->data + 2 * MERKLE_LEAF, MERKLE_LEAF);
	assert_int_equal(xfer_part_sync(part, 0), 1);
	assert_int_equal(xfer_part_sync(part, 0), 0);
	assert_memory_equal(part->have, part->synced, part->havelen);

	/* Resumed from the record: the same leaves, read back. */
	again = xfer_part_new(SIZE, part->have, part->havelen);
	assert_int_equal(again->nhave, 2);
	assert_int_equal(again->bytes, MERKLE_LEAF + 1000);
	assert_int_equal(xfer_part_open(again, path, &cause), 0);
	assert_int_equal(xfer_part_read(again, 5, buf), 0);
	assert_memory_equal(buf, f->data + 5 * MERKLE_LEAF, 1000);
	for (i = 0; i < 6; i++) {
		if (!xfer_part_has(again, i))
			assert_int_equal(xfer_part_write(again, i,
			                     f->data + i * MERKLE_LEAF),
			    0);
	}
	assert_int_equal(again->nhave, again->count);
	assert_int_equal(xfer_part_sync(again, 1), 1);
	xfer_part_close(again);
	xfer_part_free(again);
	xfer_part_free(part);

	/* Finished: the free name, never over an existing file. */
	final = xfer_part_finish(path, "src.bin", &err);
	assert_non_null(final);
	assert_string_not_equal(final, f->src);
	assert_int_equal(access(path, F_OK), -1);
	{
		FILE *fp = fopen(final, "rb");
		uint8_t *got = xmalloc(SIZE);

		assert_non_null(fp);
		assert_int_equal(fread(got, 1, SIZE, fp), SIZE);
		assert_memory_equal(got, f->data, SIZE);
		fclose(fp);
		free(got);
	}
	/* A .part that is gone cannot be opened. */
	part = xfer_part_new(SIZE, NULL, 0);
	assert_int_equal(xfer_part_open(part, path, &cause), -1);
	xfer_part_free(part);
	free(final);
	free(path);
	free(buf);
}

static void
test_leaf(void **state)
{
	struct fixture *f = *state;
	uint8_t proof[MERKLE_DEPTH_MAX][HL];
	uint8_t *buf = xmalloc(MERKLE_LEAF), *bad = xmalloc(MERKLE_LEAF);
	struct xfer_tree *t;
	struct xfer_leaf l;
	const char *why = NULL;
	char *cause = NULL;
	uint64_t size;
	int64_t mtime;
	const char *base;
	int fd, depth;
	const uint8_t *d = f->data + 3 * MERKLE_LEAF;

	fd = xfer_source_open(f->src, &size, &mtime, &base, &cause);
	t = hashed_tree(f, fd);
	depth = xfer_tree_proof(t, 3, proof);

	/* In three pieces, the proof with the first. */
	xfer_leaf_init(&l, SIZE, 3);
	assert_int_equal(
	    xfer_leaf_add(&l, SIZE, 0, d, 100000, proof[0], depth, buf, &why),
	    0);
	assert_int_equal(
	    xfer_leaf_add(&l, SIZE, 5, d, 10, NULL, 0, buf, &why), -1);
	assert_string_equal(why, "file chunk out of order");
	assert_int_equal(xfer_leaf_add(&l, SIZE, 100000, d + 100000, 100000,
	                     NULL, 0, buf, &why),
	    0);
	assert_int_equal(xfer_leaf_add(&l, SIZE, 200000, d + 200000,
	                     MERKLE_LEAF, NULL, 0, buf, &why),
	    -1);
	assert_string_equal(why, "file chunk beyond the end of its piece");
	assert_int_equal(xfer_leaf_add(&l, SIZE, 200000, d + 200000,
	                     MERKLE_LEAF - 200000, NULL, 0, buf, &why),
	    1);
	assert_true(xfer_leaf_verify(&l, f->root, SIZE));
	assert_memory_equal(buf, d, MERKLE_LEAF);

	/* One flipped byte, or a proof of the wrong length: refused. */
	xfer_leaf_init(&l, SIZE, 3);
	memcpy(bad, d, MERKLE_LEAF);
	bad[7] ^= 1;
	assert_int_equal(xfer_leaf_add(&l, SIZE, 0, bad, MERKLE_LEAF, proof[0],
	                     depth, buf, &why),
	    1);
	assert_false(xfer_leaf_verify(&l, f->root, SIZE));
	xfer_leaf_init(&l, SIZE, 3);
	assert_int_equal(xfer_leaf_add(&l, SIZE, 0, d, MERKLE_LEAF, proof[0],
	                     depth - 1, buf, &why),
	    1);
	assert_true(l.bad);
	assert_false(xfer_leaf_verify(&l, f->root, SIZE));
	xfer_tree_free(t);
	close(fd);
	free(buf);
	free(bad);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_tree_wide, setup, teardown),
		cmocka_unit_test_setup_teardown(test_part, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leaf, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
