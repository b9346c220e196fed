/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The disk side of files named by a Merkle root, for xfer.c and the
 * swarm (xfer_disk.h): the tree file, the .part with its record of
 * verified leaves, and a leaf arriving in pieces. No engine, no store:
 * callers decide when to record and what to tell the user.
 *
 * The tree file: the sender hashes its source in slices (so the loop
 * stays responsive) and writes every node, as the hashing works it out,
 * to its place (merkle_node_pos()): 64 bytes per 256 KiB leaf, 256 KiB
 * per GiB, on disk, so its memory is the same whatever the file size.
 * The nodes of a level come out in order, so each level gathers a run
 * of up to XFER_TREE_RUN of them and writes it at once (about 140
 * writes per GiB instead of 8,000). A proof is read back through a
 * small cache of blocks of XFER_TREE_BLOCK nodes: the proofs of
 * neighbouring leaves share all but their lowest nodes, and those lie
 * side by side, so serving a GiB reads a few hundred blocks instead
 * of 16,000 nodes one by one. A partial holder writes the verified proof
 * of each leaf it has to the same places instead, which is all it needs
 * to read the proofs of those leaves back; a write drops the cached
 * blocks it touches. A tree file that cannot be written or read gives
 * no proof rather than a wrong one.
 *
 * The .part: a leaf is written only once verified, and the record of
 * verified leaves (have) is handed out for storing only after an
 * fdatasync() of the .part succeeded (synced), so the record never
 * names data that a crash could take back. When an fdatasync() fails,
 * the leaves since the last good one count as missing again.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"
#include "util.h"
#include "xfer_disk.h"
#include "xmalloc.h"

/* Blocks of XFER_TREE_BLOCK nodes read back for proofs and kept, by
 * block number modulo a prime: a proof takes one node of each level,
 * and levels start at offsets that a power of two would fold onto the
 * same slot (levels 0 and 1 of 4096 leaves evicted each other). */
#define XFER_TREE_CACHE 61
#define XFER_TREE_BLOCK 32
#define XFER_TREE_RUN 64 /* nodes of a level written at once */

struct xfer_tree {
	int fd;
	int err; /* errno of the failed write or read */
	uint64_t size, count, hashed;
	struct merkle_builder *mb; /* while hashing */
	uint8_t root[MERKLE_HASHLEN];
	struct xfer_tree_block { /* by block number mod the cache size */
		uint64_t blk1; /* block number + 1; 0 if none */
		size_t n; /* nodes read (fewer at the end of the file) */
		uint8_t hash[XFER_TREE_BLOCK][MERKLE_HASHLEN];
	} * cache;
	struct xfer_tree_run { /* a level's nodes not written yet */
		uint64_t pos; /* of the first; the others follow it */
		size_t n;
		uint8_t hash[XFER_TREE_RUN][MERKLE_HASHLEN];
	} * *runs; /* MERKLE_DEPTH_MAX of them, each made when needed */
	/* xfer_tree_put_proof(): the proof being written */
	const uint8_t (*put)[MERKLE_HASHLEN];
	int nput;
};

/* --- the source ----------------------------------------------------------- */

static int64_t
xfer_mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

int
xfer_source_open(const char *path, uint64_t *size, int64_t *mtime_ns,
    const char **basep, char **cause)
{
	struct stat st;
	const char *base;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		*cause = xasprintf("%s is not a regular file", path);
	else if ((uint64_t)st.st_size > PROTO_FILE_SIZE_MAX)
		*cause = xasprintf("%s is too large", path);
	else {
		base = strrchr(path, '/');
		base = base != NULL ? base + 1 : path;
		if (*base != '\0' && strlen(base) <= PROTO_FILE_NAME_MAX) {
			*size = (uint64_t)st.st_size;
			*mtime_ns = xfer_mtime_ns(&st);
			*basep = base;
			return fd;
		}
		*cause = xasprintf("%s: no usable file name", path);
	}
	close(fd);
	return -1;
}

int
xfer_source_changed(int fd, uint64_t size, int64_t mtime_ns)
{
	struct stat st;

	return fstat(fd, &st) == -1 || (uint64_t)st.st_size != size ||
	    xfer_mtime_ns(&st) != mtime_ns;
}

int
xfer_source_read(int fd, uint64_t off, uint8_t *buf, size_t n)
{
	ssize_t r;

	do
		r = pread(fd, buf, n, (off_t)off);
	while (r == -1 && errno == EINTR);
	if (r == (ssize_t)n)
		return 0;
	if (r != -1)
		errno = 0;
	return -1;
}

/* --- the tree ------------------------------------------------------------- */

struct xfer_tree *
xfer_tree_create(const char *dir, const char *path, uint64_t size, char **cause)
{
	struct xfer_tree *t;
	char *tmp;
	int fd, err;

	if (path != NULL)
		fd =
		    open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	else {
		fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd == -1 &&
		    (errno == EOPNOTSUPP || errno == EISDIR ||
		        errno == EINVAL)) {
			/* No O_TMPFILE on this file system (or kernel). */
			tmp = xasprintf("%s/tree.XXXXXX", dir);
			if ((fd = mkostemp(tmp, O_CLOEXEC)) != -1)
				(void)unlink(tmp);
			err = errno;
			free(tmp);
			errno = err;
		}
	}
	if (fd == -1) {
		if (path != NULL)
			*cause = xasprintf(
			    "cannot open %s: %s", path, strerror(errno));
		else
			*cause = xasprintf("cannot create a temporary file "
			                   "in %s: %s",
			    dir, strerror(errno));
		return NULL;
	}
	t = xcalloc(1, sizeof *t);
	t->fd = fd;
	t->size = size;
	t->count = merkle_leaf_count(size);
	return t;
}

static void
xfer_tree_runs_free(struct xfer_tree *t)
{
	int i;

	if (t->runs == NULL)
		return;
	for (i = 0; i < MERKLE_DEPTH_MAX; i++)
		free(t->runs[i]);
	free(t->runs);
	t->runs = NULL;
}

void
xfer_tree_free(struct xfer_tree *t)
{
	if (t == NULL)
		return;
	merkle_builder_free(t->mb);
	xfer_tree_runs_free(t);
	if (t->fd != -1)
		close(t->fd);
	free(t->cache);
	free(t);
}

int
xfer_tree_error(const struct xfer_tree *t)
{
	return t->err;
}

uint64_t
xfer_tree_hashed(const struct xfer_tree *t)
{
	return t->hashed;
}

void
xfer_tree_root(const struct xfer_tree *t, uint8_t root[MERKLE_HASHLEN])
{
	memcpy(root, t->root, MERKLE_HASHLEN);
}

/* Forget the cached blocks that nodes [pos, pos + n) lie in. */
static void
xfer_tree_uncache(struct xfer_tree *t, uint64_t pos, size_t n)
{
	uint64_t b;

	if (t->cache == NULL || n == 0)
		return;
	for (b = pos / XFER_TREE_BLOCK; b <= (pos + n - 1) / XFER_TREE_BLOCK;
	     b++) {
		if (t->cache[b % XFER_TREE_CACHE].blk1 == b + 1)
			t->cache[b % XFER_TREE_CACHE].blk1 = 0;
	}
}

/* Write in, or read into out, n nodes from pos; -1 with err set. */
static int
xfer_tree_io(struct xfer_tree *t, uint64_t pos, size_t n, const uint8_t *in,
    uint8_t *out)
{
	off_t off = (off_t)(pos * MERKLE_HASHLEN);
	size_t len = n * MERKLE_HASHLEN;
	ssize_t r;

	if (in != NULL)
		xfer_tree_uncache(t, pos, n);
	do
		r = in != NULL ? pwrite(t->fd, in, len, off)
		               : pread(t->fd, out, len, off);
	while (r == -1 && errno == EINTR);
	if (r == (ssize_t)len)
		return 0;
	/* Short: a full disk, or a file that lost its end. */
	t->err = r == -1 ? errno : in != NULL ? ENOSPC : EIO;
	return -1;
}

/* Write a level's run of nodes out; -1 with err set. */
static int
xfer_tree_run_write(struct xfer_tree *t, struct xfer_tree_run *run)
{
	size_t n = run->n;

	run->n = 0;
	return n == 0 ? 0 : xfer_tree_io(t, run->pos, n, run->hash[0], NULL);
}

/* Write every run out (-1 if one failed), then drop them. */
static int
xfer_tree_runs_flush(struct xfer_tree *t)
{
	int r = 0, i;

	if (t->runs == NULL)
		return 0;
	for (i = 0; i < MERKLE_DEPTH_MAX; i++) {
		if (t->runs[i] != NULL && r == 0)
			r = xfer_tree_run_write(t, t->runs[i]);
	}
	xfer_tree_runs_free(t);
	return r;
}

/* A node of the tree, as the builder works it out, to its level's run
 * (written out once full, or when the next node does not follow). */
static int
xfer_tree_node(void *arg, unsigned int level, uint64_t index,
    const uint8_t hash[MERKLE_HASHLEN])
{
	struct xfer_tree *t = arg;
	struct xfer_tree_run *run;
	uint64_t pos;

	pos = merkle_node_pos(t->count, level, index);
	if (level >= MERKLE_DEPTH_MAX)
		return xfer_tree_io(t, pos, 1, hash, NULL);
	if (t->runs == NULL)
		t->runs = xcalloc(MERKLE_DEPTH_MAX, sizeof *t->runs);
	if ((run = t->runs[level]) == NULL)
		run = t->runs[level] = xcalloc(1, sizeof *run);
	if (run->n > 0 &&
	    (run->n == XFER_TREE_RUN || pos != run->pos + run->n) &&
	    xfer_tree_run_write(t, run) == -1)
		return -1;
	if (run->n == 0)
		run->pos = pos;
	memcpy(run->hash[run->n++], hash, MERKLE_HASHLEN);
	return 0;
}

/* The last slice is hashed: the root, and every node on disk. */
static enum xfer_hash_result
xfer_tree_hash_end(struct xfer_tree *t)
{
	int r;

	r = merkle_builder_final(t->mb, t->root, NULL);
	merkle_builder_free(t->mb);
	t->mb = NULL;
	if (xfer_tree_runs_flush(t) == -1)
		r = -1;
	return r == -1 ? XFER_HASH_TREE : XFER_HASH_DONE;
}

enum xfer_hash_result
xfer_tree_hash(
    struct xfer_tree *t, int fd, uint8_t *buf, size_t buflen, size_t slice)
{
	size_t done = 0, want;
	ssize_t n;

	if (t->hashed == 0 && t->mb == NULL)
		t->mb = merkle_builder_create(xfer_tree_node, t);
	while (done < slice && t->hashed < t->size) {
		/* Not past the size offered: a file that grew is changed. */
		want = t->size - t->hashed < buflen
		    ? (size_t)(t->size - t->hashed)
		    : buflen;
		n = pread(fd, buf, want, (off_t)t->hashed);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? XFER_HASH_SHRANK : XFER_HASH_READ;
		if (merkle_builder_update(t->mb, buf, (size_t)n) == -1)
			return XFER_HASH_TREE;
		t->hashed += (uint64_t)n;
		done += (size_t)n;
	}
	return t->hashed >= t->size ? xfer_tree_hash_end(t) : XFER_HASH_MORE;
}

/* Read the block of nodes holding pos into b: -1 with err set if pos
 * is not in the file. A tree file may end before the block does. */
static int
xfer_tree_block_read(
    struct xfer_tree *t, uint64_t pos, struct xfer_tree_block *b)
{
	uint64_t blk = pos / XFER_TREE_BLOCK;
	off_t off = (off_t)(blk * XFER_TREE_BLOCK * MERKLE_HASHLEN);
	ssize_t r;

	b->blk1 = 0;
	do
		r = pread(t->fd, b->hash, sizeof b->hash, off);
	while (r == -1 && errno == EINTR);
	if (r == -1) {
		t->err = errno;
		return -1;
	}
	b->n = (size_t)r / MERKLE_HASHLEN;
	if (pos - blk * XFER_TREE_BLOCK >= b->n) {
		t->err = EIO; /* a file that lost its end */
		return -1;
	}
	b->blk1 = blk + 1;
	return 0;
}

/* A node of the tree back, for a proof. */
static int
xfer_tree_get(void *arg, uint64_t pos, uint8_t out[MERKLE_HASHLEN])
{
	struct xfer_tree *t = arg;
	uint64_t blk = pos / XFER_TREE_BLOCK;
	struct xfer_tree_block *b;

	if (t->cache == NULL)
		t->cache = xcalloc(XFER_TREE_CACHE, sizeof *t->cache);
	b = &t->cache[blk % XFER_TREE_CACHE];
	if ((b->blk1 != blk + 1 || pos - blk * XFER_TREE_BLOCK >= b->n) &&
	    xfer_tree_block_read(t, pos, b) == -1)
		return -1;
	memcpy(out, b->hash[pos - blk * XFER_TREE_BLOCK], MERKLE_HASHLEN);
	return 0;
}

int
xfer_tree_proof(struct xfer_tree *t, uint64_t index,
    uint8_t proof[MERKLE_DEPTH_MAX][MERKLE_HASHLEN])
{
	return merkle_proof_get(t->count, index, xfer_tree_get, t, proof);
}

/*
 * merkle_proof_get() asks for the places of a proof's hashes bottom up,
 * in the order of the proof: write the next hash there instead.
 */
static int
xfer_tree_put(void *arg, uint64_t pos, uint8_t out[MERKLE_HASHLEN])
{
	struct xfer_tree *t = arg;
	const uint8_t *hash = t->put[t->nput++];

	if (xfer_tree_io(t, pos, 1, hash, NULL) == -1)
		return -1;
	memcpy(out, hash, MERKLE_HASHLEN);
	return 0;
}

int
xfer_tree_put_proof(struct xfer_tree *t, uint64_t index,
    const uint8_t (*proof)[MERKLE_HASHLEN], int depth)
{
	uint8_t scratch[MERKLE_DEPTH_MAX][MERKLE_HASHLEN];

	if (merkle_proof_len(t->size, index) != depth) {
		t->err = EINVAL;
		return -1;
	}
	t->put = proof;
	t->nput = 0;
	return merkle_proof_get(t->count, index, xfer_tree_put, t, scratch) ==
	        -1
	    ? -1
	    : 0;
}

/* --- the .part ------------------------------------------------------------ */

static int
xfer_part_bit(const uint8_t *have, uint64_t i)
{
	return (have[i / 8] >> (i % 8)) & 1;
}

/* Count the verified leaves and their bytes from the bitmap. */
static void
xfer_part_count(struct xfer_part *part)
{
	uint64_t i;

	part->nhave = 0;
	part->bytes = 0;
	for (i = 0; i < part->count; i++) {
		if (xfer_part_bit(part->have, i)) {
			part->nhave++;
			part->bytes += merkle_leaf_len(part->size, i);
		}
	}
}

struct xfer_part *
xfer_part_new(uint64_t size, const uint8_t *have, size_t havelen)
{
	struct xfer_part *part = xcalloc(1, sizeof *part);

	part->fd = -1;
	part->size = size;
	part->count = merkle_leaf_count(size);
	part->havelen = (size_t)(part->count / 8 + 1);
	part->have = xcalloc(1, part->havelen);
	part->synced = xcalloc(1, part->havelen);
	if (have != NULL) {
		memcpy(part->have, have,
		    havelen < part->havelen ? havelen : part->havelen);
		/* The record names only leaves that were on disk. */
		memcpy(part->synced, part->have, part->havelen);
		xfer_part_count(part);
	}
	return part;
}

void
xfer_part_close(struct xfer_part *part)
{
	if (part->fd != -1)
		close(part->fd);
	part->fd = -1;
}

void
xfer_part_free(struct xfer_part *part)
{
	if (part == NULL)
		return;
	xfer_part_close(part);
	free(part->have);
	free(part->synced);
	free(part);
}

/* Fsync the directory, so a new name in it survives a crash. */
static void
xfer_sync_dir(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd;

	if (slash != NULL) {
		*slash = '\0';
		if ((fd = open(dir[0] != '\0' ? dir : "/",
		         O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
			(void)fsync(fd);
			close(fd);
		}
	}
	free(dir);
}

/* Give up on a new .part: -1 with cause. */
static int
xfer_part_undo(int fd, char *path, char *cause, char **causep)
{
	close(fd);
	unlink(path);
	free(path);
	*causep = cause;
	return -1;
}

int
xfer_part_create(struct xfer_part *part, const char *dir, const char *name,
    char **pathp, char **cause)
{
	struct statvfs sv;
	char *part_name, *path = NULL;
	int fd = -1, tries, r;

	if (util_mkdir_p(dir, 0700) == -1) {
		*cause =
		    xasprintf("cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (statvfs(dir, &sv) == 0 &&
	    (uint64_t)sv.f_bavail * sv.f_frsize < part->size) {
		*cause = xasprintf("%s does not fit in %s (%" PRIu64
		                   " bytes free, %" PRIu64 " needed)",
		    name, dir, (uint64_t)sv.f_bavail * sv.f_frsize, part->size);
		return -1;
	}
	part_name = xasprintf("%s.part", name);
	for (tries = 0; tries < 100; tries++) {
		if ((path = util_unique_path(dir, part_name)) == NULL)
			break;
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			break;
		free(path);
		path = NULL;
	}
	if (fd == -1) {
		*cause = xasprintf("cannot create %s in %s: %s", part_name, dir,
		    strerror(errno));
		free(part_name);
		free(path);
		return -1;
	}
	free(part_name);
	/* Reserve the space now: a full disk is found before, not after. */
	if (part->size > 0 &&
	    (r = posix_fallocate(fd, 0, (off_t)part->size)) != 0 &&
	    r != EOPNOTSUPP && r != EINVAL)
		return xfer_part_undo(fd, path,
		    xasprintf("cannot reserve %" PRIu64 " bytes for %s: %s",
		        part->size, path, strerror(r)),
		    cause);
	if (ftruncate(fd, (off_t)part->size) == -1)
		return xfer_part_undo(fd, path,
		    xasprintf("cannot size %s: %s", path, strerror(errno)),
		    cause);
	xfer_sync_dir(path);
	xfer_part_close(part);
	part->fd = fd;
	memset(part->have, 0, part->havelen);
	memset(part->synced, 0, part->havelen);
	part->nhave = part->bytes = part->unsynced = part->kicked = 0;
	*pathp = path;
	return 0;
}

int
xfer_part_open(struct xfer_part *part, const char *path, char **cause)
{
	struct stat st;
	int err;

	xfer_part_close(part);
	part->fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (part->fd == -1)
		return -1;
	if (fstat(part->fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		err = errno;
		xfer_part_close(part);
		errno = err != 0 ? err : EINVAL;
		return -1;
	}
	if ((uint64_t)st.st_size != part->size &&
	    ftruncate(part->fd, (off_t)part->size) == -1) {
		*cause = xasprintf("cannot size %s: %s", path, strerror(errno));
		return 1;
	}
	return 0;
}

int
xfer_part_has(const struct xfer_part *part, uint64_t index)
{
	return index < part->count && xfer_part_bit(part->have, index);
}

uint64_t
xfer_part_missing(const struct xfer_part *part, uint64_t from)
{
	while (from < part->count && xfer_part_bit(part->have, from))
		from++;
	return from;
}

/* Write in, or read into out, all of leaf index: 0, or errno. */
static int
xfer_part_io(
    struct xfer_part *part, uint64_t index, const uint8_t *in, uint8_t *out)
{
	size_t len = merkle_leaf_len(part->size, index), done = 0;
	off_t off;
	ssize_t r;

	while (done < len) {
		off = (off_t)(index * MERKLE_LEAF + done);
		r = in != NULL ? pwrite(part->fd, in + done, len - done, off)
		               : pread(part->fd, out + done, len - done, off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return r == -1 ? errno : in != NULL ? ENOSPC : EIO;
		done += (size_t)r;
	}
	return 0;
}

int
xfer_part_write(struct xfer_part *part, uint64_t index, const uint8_t *data)
{
	int err;

	if ((err = xfer_part_io(part, index, data, NULL)) != 0)
		return err;
	if (!xfer_part_bit(part->have, index)) {
		part->have[index / 8] |= (uint8_t)(1u << (index % 8));
		part->nhave++;
		part->bytes += merkle_leaf_len(part->size, index);
		part->unsynced += merkle_leaf_len(part->size, index);
	}
	return 0;
}

int
xfer_part_read(struct xfer_part *part, uint64_t index, uint8_t *data)
{
	if (!xfer_part_has(part, index))
		return ENOENT;
	return xfer_part_io(part, index, NULL, data);
}

int
xfer_part_sync(struct xfer_part *part, int force)
{
	if (part->fd == -1 || (part->unsynced == 0 && !force))
		return 0;
	if (fdatasync(part->fd) == -1) {
		memcpy(part->have, part->synced, part->havelen);
		xfer_part_count(part);
		part->unsynced = 0;
		part->kicked = 0;
		return -1;
	}
	memcpy(part->synced, part->have, part->havelen);
	force = part->unsynced != 0;
	part->unsynced = 0;
	part->kicked = 0;
	return force;
}

void
xfer_part_kick(struct xfer_part *part, uint64_t every)
{
	if (part->fd == -1 || part->unsynced - part->kicked < every)
		return;
	part->kicked = part->unsynced;
	(void)sync_file_range(part->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

char *
xfer_part_finish(const char *path, const char *name, int *err)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/'), *final;
	int tries;

	if (slash != NULL)
		*slash = '\0';
	for (tries = 0; tries < 100; tries++) {
		if ((final = util_unique_path(dir, name)) == NULL)
			break;
		if (renameat2(
		        AT_FDCWD, path, AT_FDCWD, final, RENAME_NOREPLACE) == 0)
			goto done;
		*err = errno;
		if (errno == EINVAL) {
			/* No RENAME_NOREPLACE here: link() never replaces. */
			if (link(path, final) == 0) {
				(void)unlink(path);
				goto done;
			}
			*err = errno;
		}
		free(final);
		if (*err != EEXIST)
			break;
	}
	if (tries == 100)
		*err = EEXIST;
	else if (final == NULL)
		*err = errno;
	free(dir);
	return NULL;
done:
	free(dir);
	xfer_sync_dir(final);
	return final;
}

/* --- a leaf arriving ------------------------------------------------------ */

void
xfer_leaf_init(struct xfer_leaf *l, uint64_t size, uint64_t index)
{
	memset(l, 0, sizeof *l);
	l->index = index;
	l->len = merkle_leaf_len(size, index);
}

int
xfer_leaf_add(struct xfer_leaf *l, uint64_t size, uint64_t offset,
    const uint8_t *data, size_t len, const uint8_t *proof, int nproof,
    uint8_t *buf, const char **why)
{
	if (offset != l->got) {
		*why = "file chunk out of order";
		return -1;
	}
	if (len > l->len - l->got) {
		*why = "file chunk beyond the end of its piece";
		return -1;
	}
	if (l->got == 0 && !l->discard) {
		l->depth = merkle_proof_len(size, l->index);
		if (nproof != l->depth)
			l->bad = 1;
		else
			memcpy(
			    l->proof, proof, (size_t)l->depth * MERKLE_HASHLEN);
		merkle_leaf_begin(&l->hs, l->index);
	}
	if (!l->bad && !l->discard) {
		/* Held until the whole leaf checks out, so nothing
		 * unverified is written. */
		memcpy(buf + l->got, data, len);
		merkle_leaf_update(&l->hs, data, len);
	}
	l->got += len;
	return l->got == l->len;
}

int
xfer_leaf_verify(
    struct xfer_leaf *l, const uint8_t root[MERKLE_HASHLEN], uint64_t size)
{
	uint8_t h[MERKLE_HASHLEN];

	if (l->bad || l->discard)
		return 0;
	merkle_leaf_end(&l->hs, h);
	return merkle_verify(root, size, l->index, h,
	    (const uint8_t(*)[MERKLE_HASHLEN])l->proof, (size_t)l->depth);
}
