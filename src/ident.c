/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Identity: the key file and the text form of keys.
 *
 * Key file (IDENT_FILE in the data directory, mode 0600, 72 bytes):
 *   "p2ptuik1" | X25519 secret key (32) | Ed25519 seed (32)
 * Public keys are derived on load. The file is written to a temporary
 * name, synced, then link()ed into place, so a crash never leaves a
 * half-written identity and two first starts cannot overwrite each other.
 *
 * Random numbers: small draws (message ids, ping tokens, keepalive
 * jitter: up to IDENT_POOL_MAX bytes) come from a pool that one
 * randombytes_buf() call (one getrandom(2)) fills IDENT_POOL_LEN bytes at
 * a time, instead of one system call each. Every byte handed out is
 * wiped from the pool at once, so it only holds bytes nobody has seen.
 * Larger draws (keys, flip values) bypass it. The process forks only
 * for net.c's resolver child, which never draws.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ident.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define IDENT_MAGIC "p2ptuik1"
#define IDENT_MAGICLEN 8
#define IDENT_FILELEN (IDENT_MAGICLEN + 2 * IDENT_KEYLEN)
#define IDENT_CKLEN 2
#define IDENT_POOL_LEN 4096
#define IDENT_POOL_MAX 16

static uint8_t ident_pool[IDENT_POOL_LEN];
static size_t ident_pool_pos = IDENT_POOL_LEN; /* bytes before it used */

int
ident_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

static struct ident *
ident_from_bytes(const uint8_t *file)
{
	struct ident *id = xcalloc(1, sizeof *id);

	id->sk = sodium_malloc(IDENT_KEYLEN);
	id->sign_sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (id->sk == NULL || id->sign_sk == NULL) {
		ident_free(id);
		return NULL;
	}
	memcpy(id->sk, file + IDENT_MAGICLEN, IDENT_KEYLEN);
	crypto_scalarmult_base(id->pk, id->sk);
	crypto_sign_seed_keypair(
	    id->sign_pk, id->sign_sk, file + IDENT_MAGICLEN + IDENT_KEYLEN);
	return id;
}

void
ident_free(struct ident *id)
{
	if (id == NULL)
		return;
	sodium_free(id->sk); /* wipes */
	sodium_free(id->sign_sk);
	free(id);
}

#define IDENT_TMP_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW)

static int
ident_create(const char *dir, const char *path, char **cause)
{
	uint8_t *file;
	char *tmp;
	int fd, ret = -1;

	if ((file = sodium_malloc(IDENT_FILELEN)) == NULL) {
		*cause = xstrdup("out of secure memory");
		return -1;
	}
	memcpy(file, IDENT_MAGIC, IDENT_MAGICLEN);
	randombytes_buf(file + IDENT_MAGICLEN, 2 * IDENT_KEYLEN);

	tmp = xasprintf("%s/.%s.%ld", dir, IDENT_FILE, (long)getpid());
	/*
	 * A new file only: never write the secret through a link, hard or
	 * symbolic, into a file someone else may read. What is there is a
	 * stale temporary file (a crash of an earlier process with this
	 * pid): remove it (unlink never follows a link) and try once more.
	 */
	fd = open(tmp, IDENT_TMP_FLAGS, 0600);
	if (fd == -1 && errno == EEXIST && unlink(tmp) == 0)
		fd = open(tmp, IDENT_TMP_FLAGS, 0600);
	if (fd == -1) {
		*cause =
		    xasprintf("cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write(fd, file, IDENT_FILELEN) != IDENT_FILELEN ||
	    fsync(fd) == -1) {
		*cause = xasprintf(
		    "cannot write %s: %s", tmp, strerror(errno ? errno : EIO));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	/* link() fails if another process got there first: theirs wins. */
	if (link(tmp, path) == -1 && errno != EEXIST) {
		*cause =
		    xasprintf("cannot create %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	unlink(tmp);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
	ret = 0;
out:
	sodium_free(file);
	free(tmp);
	return ret;
}

struct ident *
ident_load(const char *dir, int create, int *created, char **cause)
{
	struct ident *id = NULL;
	struct stat sb;
	uint8_t *file;
	char *path = xasprintf("%s/%s", dir, IDENT_FILE);
	ssize_t n;
	int fd;

	*created = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 && errno == ENOENT && create) {
		if (ident_create(dir, path, cause) == -1) {
			free(path);
			return NULL;
		}
		*created = 1;
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd == -1) {
		*cause = xasprintf("cannot open %s: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		*cause = xasprintf("%s: not a regular file", path);
		goto fail;
	}
	if (sb.st_uid != geteuid()) {
		*cause = xasprintf("%s: owned by another user (uid %ld)", path,
		    (long)sb.st_uid);
		goto fail;
	}
	if ((sb.st_mode & 077) != 0) {
		*cause = xasprintf(
		    "%s: permissions %04o are too open; the "
		    "secret key must be readable only by you (chmod 600 %s)",
		    path, (unsigned)(sb.st_mode & 07777), path);
		goto fail;
	}
	if ((file = sodium_malloc(IDENT_FILELEN + 1)) == NULL) {
		*cause = xstrdup("out of secure memory");
		goto fail;
	}
	n = read(fd, file, IDENT_FILELEN + 1);
	if (n != IDENT_FILELEN ||
	    memcmp(file, IDENT_MAGIC, IDENT_MAGICLEN) != 0) {
		*cause = xasprintf("%s: not a p2ptui key file (%s)", path,
		    n == -1 ? strerror(errno) : "wrong size or magic");
		sodium_free(file);
		goto fail;
	}
	if ((id = ident_from_bytes(file)) == NULL)
		*cause = xstrdup("out of secure memory");
	sodium_free(file);
fail:
	close(fd);
	free(path);
	return id;
}

static void
ident_checksum(const uint8_t pk[IDENT_KEYLEN], uint8_t ck[IDENT_CKLEN])
{
	static const uint8_t personal[] = "p2ptui fingerprint v1";
	uint8_t h[crypto_generichash_BYTES_MIN];
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, sizeof h);
	crypto_generichash_update(&st, personal, sizeof personal - 1);
	crypto_generichash_update(&st, pk, IDENT_KEYLEN);
	crypto_generichash_final(&st, h, sizeof h);
	memcpy(ck, h, IDENT_CKLEN);
}

void
ident_fingerprint(const uint8_t pk[IDENT_KEYLEN], char out[IDENT_FP_LEN + 1])
{
	uint8_t raw[IDENT_KEYLEN + IDENT_CKLEN];

	memcpy(raw, pk, IDENT_KEYLEN);
	ident_checksum(pk, raw + IDENT_KEYLEN);
	util_base32_encode(raw, sizeof raw, out);
}

void
ident_short(const uint8_t pk[IDENT_KEYLEN], char out[IDENT_SHORT_LEN + 1])
{
	char fp[IDENT_FP_LEN + 1];

	ident_fingerprint(pk, fp);
	memcpy(out, fp, IDENT_SHORT_LEN);
	out[IDENT_SHORT_LEN] = '\0';
}

int
ident_parse_key(const char *text, uint8_t pk[IDENT_KEYLEN], char **cause)
{
	uint8_t raw[IDENT_KEYLEN + IDENT_CKLEN], ck[IDENT_CKLEN];

	if (strlen(text) != IDENT_FP_LEN) {
		*cause = xasprintf("a key is %d characters long, not %zu",
		    IDENT_FP_LEN, strlen(text));
		return -1;
	}
	if (strspn(text,
	        "abcdefghijklmnopqrstuvwxyz"
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != IDENT_FP_LEN) {
		*cause = xstrdup("a key uses only the letters a-z and the "
		                 "digits 2-7");
		return -1;
	}
	/* Valid letters but not canonical: the last one is mistyped. */
	if (util_base32_decode(text, raw, sizeof raw) == -1) {
		*cause = xstrdup("the key's checksum does not match: is it "
		                 "mistyped?");
		return -1;
	}
	ident_checksum(raw, ck);
	if (memcmp(ck, raw + IDENT_KEYLEN, IDENT_CKLEN) != 0) {
		*cause = xstrdup("the key's checksum does not match: is it "
		                 "mistyped?");
		return -1;
	}
	memcpy(pk, raw, IDENT_KEYLEN);
	return 0;
}

int
ident_key_equal(const uint8_t a[IDENT_KEYLEN], const uint8_t b[IDENT_KEYLEN])
{
	return sodium_memcmp(a, b, IDENT_KEYLEN) == 0;
}

int
ident_mem_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

void
ident_random(void *p, size_t n)
{
	if (n > IDENT_POOL_MAX) {
		randombytes_buf(p, n);
		return;
	}
	if (IDENT_POOL_LEN - ident_pool_pos < n) {
		randombytes_buf(ident_pool, IDENT_POOL_LEN);
		ident_pool_pos = 0;
	}
	memcpy(p, ident_pool + ident_pool_pos, n);
	sodium_memzero(ident_pool + ident_pool_pos, n);
	ident_pool_pos += n;
}

uint32_t
ident_uniform(uint32_t upper)
{
	uint32_t r, min;

	if (upper < 2)
		return 0;
	/* As randombytes_uniform(): reject the values below 2^32 mod
	 * upper, so that every result is equally likely. */
	min = (uint32_t)(-upper % upper);
	do
		ident_random(&r, sizeof r);
	while (r < min);
	return r % upper;
}

uint64_t
ident_table_hash(const void *p, size_t n)
{
	static uint8_t key[crypto_shorthash_siphash24_KEYBYTES];
	static int keyed;
	uint8_t out[crypto_shorthash_siphash24_BYTES];
	uint64_t h = 0;
	size_t i;

	if (!keyed) {
		randombytes_buf(key, sizeof key);
		keyed = 1;
	}
	crypto_shorthash_siphash24(out, p, n, key);
	for (i = 0; i < sizeof out; i++)
		h = h << 8 | out[i];
	return h;
}

void
ident_wipe(void *p, size_t n)
{
	sodium_memzero(p, n);
}

void
ident_hash(
    void *out, size_t outlen, const struct ident_part *parts, size_t nparts)
{
	crypto_generichash_state st;
	size_t i;

	if (outlen < IDENT_HASH_MIN || outlen > IDENT_HASH_MAX)
		fatal("ident_hash: bad length %zu", outlen);
	crypto_generichash_init(&st, NULL, 0, outlen);
	for (i = 0; i < nparts; i++)
		crypto_generichash_update(&st, parts[i].p, parts[i].len);
	crypto_generichash_final(&st, out, outlen);
	sodium_memzero(&st, sizeof st);
}

_Static_assert(sizeof(crypto_generichash_state) <=
        sizeof(((struct ident_hash_state *)0)->opaque),
    "ident_hash_state too small");
_Static_assert(
    _Alignof(crypto_generichash_state) <= 64, "ident_hash_state under-aligned");

void
ident_hash_init(struct ident_hash_state *hs, size_t outlen)
{
	if (outlen < IDENT_HASH_MIN || outlen > IDENT_HASH_MAX)
		fatal("ident_hash_init: bad length %zu", outlen);
	hs->outlen = outlen;
	crypto_generichash_init(
	    (crypto_generichash_state *)(void *)hs->opaque, NULL, 0, outlen);
}

void
ident_hash_update(struct ident_hash_state *hs, const void *p, size_t len)
{
	crypto_generichash_update(
	    (crypto_generichash_state *)(void *)hs->opaque, p, len);
}

void
ident_hash_final(struct ident_hash_state *hs, void *out)
{
	crypto_generichash_final(
	    (crypto_generichash_state *)(void *)hs->opaque, out, hs->outlen);
	sodium_memzero(hs->opaque, sizeof hs->opaque);
}
