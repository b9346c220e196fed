/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Identity: the key file and the text form of keys; and the libsodium
 * primitives other modules compose (hashes, Ed25519 signatures,
 * XChaCha20-Poly1305), so that only the crypto files include sodium.h.
 *
 * Key file (IDENT_FILE in the data directory, mode 0600), one of two
 * forms told apart by their magic and size:
 *
 *   unprotected, 72 bytes:
 *     "p2ptuik1" | X25519 secret key (32) | Ed25519 seed (32)
 *   protected by a passphrase, 172 bytes:
 *     "p2ptuie1" | opslimit u32 BE | memlimit u64 BE (bytes) | salt (16)
 *     | nonce (24) | X25519 public key (32)      -- the header, 92 bytes
 *     | XChaCha20-Poly1305-IETF(key, nonce, ad = header,
 *         X25519 secret key | Ed25519 seed) (64 + 16 tag)
 *   where key = Argon2id v1.3 (crypto_pwhash, 32 bytes) of the
 *   passphrase with salt, opslimit and memlimit.
 *
 * Public keys are derived on load; a protected file's public key is
 * also in its header, so the fingerprint is known without the
 * passphrase, and checked against the derived one. A new file is
 * written to a temporary name and synced, then link()ed into place (two
 * first starts cannot overwrite each other) or rename()d over the old
 * one (changing the passphrase): a crash never leaves a half-written
 * identity, or none.
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
#define IDENT_MAGIC_ENC "p2ptuie1"
#define IDENT_MAGICLEN 8
#define IDENT_SECRETLEN (2 * IDENT_KEYLEN) /* X25519 sk | Ed25519 seed */
#define IDENT_FILELEN (IDENT_MAGICLEN + IDENT_SECRETLEN)
/* The protected form: offsets of the header's fields. */
#define IDENT_OFF_OPS IDENT_MAGICLEN
#define IDENT_OFF_MEM (IDENT_OFF_OPS + 4)
#define IDENT_OFF_SALT (IDENT_OFF_MEM + 8)
#define IDENT_OFF_NONCE (IDENT_OFF_SALT + crypto_pwhash_SALTBYTES)
#define IDENT_OFF_PK \
	(IDENT_OFF_NONCE + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
#define IDENT_HDRLEN (IDENT_OFF_PK + IDENT_KEYLEN)
#define IDENT_ENCLEN \
	(IDENT_HDRLEN + IDENT_SECRETLEN + \
	    crypto_aead_xchacha20poly1305_ietf_ABYTES)
#define IDENT_CKLEN 2
#define IDENT_POOL_LEN 4096
#define IDENT_POOL_MAX 16

static uint8_t ident_pool[IDENT_POOL_LEN];
static size_t ident_pool_pos = IDENT_POOL_LEN; /* bytes before it used */

_Static_assert(IDENT_HDRLEN == 92 && IDENT_ENCLEN == 172,
    "the key file format is documented with these sizes");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == 32,
    "a 32-byte key from the passphrase");

int
ident_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

/* The identity of a secret: X25519 secret key | Ed25519 seed. */
static struct ident *
ident_from_secret(const uint8_t *secret)
{
	struct ident *id = xcalloc(1, sizeof *id);

	id->sk = sodium_malloc(IDENT_KEYLEN);
	id->sign_sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (id->sk == NULL || id->sign_sk == NULL) {
		ident_free(id);
		return NULL;
	}
	memcpy(id->sk, secret, IDENT_KEYLEN);
	crypto_scalarmult_base(id->pk, id->sk);
	crypto_sign_seed_keypair(
	    id->sign_pk, id->sign_sk, secret + IDENT_KEYLEN);
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

struct ident *
ident_generate(void)
{
	struct ident *id;
	uint8_t *secret;

	if ((secret = sodium_malloc(IDENT_SECRETLEN)) == NULL)
		return NULL;
	randombytes_buf(secret, IDENT_SECRETLEN);
	id = ident_from_secret(secret);
	sodium_free(secret);
	return id;
}

void *
ident_secret_alloc(size_t n)
{
	return sodium_malloc(n);
}

void
ident_secret_free(void *p)
{
	sodium_free(p);
}

int
ident_cost_parse(const char *name, struct ident_cost *cost)
{
	if (strcmp(name, "interactive") == 0) {
		cost->ops = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
		cost->mem = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
	} else if (strcmp(name, "moderate") == 0) {
		cost->ops = crypto_pwhash_argon2id_OPSLIMIT_MODERATE;
		cost->mem = crypto_pwhash_argon2id_MEMLIMIT_MODERATE;
	} else if (strcmp(name, "sensitive") == 0) {
		cost->ops = crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE;
		cost->mem = crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE;
	} else
		return -1;
	return 0;
}

/* A cost we write and accept: libsodium's minimum up to our maximum. */
static int
ident_cost_valid(const struct ident_cost *cost)
{
	return cost->ops >= crypto_pwhash_argon2id_OPSLIMIT_MIN &&
	    cost->ops <= IDENT_OPS_MAX &&
	    cost->mem >= crypto_pwhash_argon2id_MEMLIMIT_MIN &&
	    cost->mem <= IDENT_MEM_MAX && cost->mem % 1024 == 0;
}

/* The key that pass and the header's salt and cost give; -1 if the
 * memory cannot be had. */
static int
ident_pass_key(uint8_t *key, const uint8_t *hdr, const char *pass, size_t len)
{
	return crypto_pwhash(key, crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
	    pass, len, hdr + IDENT_OFF_SALT,
	    util_be_get(hdr + IDENT_OFF_OPS, 4),
	    (size_t)util_be_get(hdr + IDENT_OFF_MEM, 8),
	    crypto_pwhash_ALG_ARGON2ID13);
}

/*
 * The bytes of id's key file, in *filep (sodium_malloc; caller frees)
 * and *lenp: protected by pass if len > 0.
 */
static int
ident_encode(const struct ident *id, const char *pass, size_t len,
    const struct ident_cost *cost, uint8_t **filep, size_t *lenp, char **cause)
{
	uint8_t *file, *secret = NULL, *key = NULL;
	int ret = -1;

	if (len > IDENT_PASS_MAX) {
		*cause = xasprintf(
		    "a passphrase is at most %d bytes", IDENT_PASS_MAX);
		return -1;
	}
	if (len > 0 && !ident_cost_valid(cost)) {
		*cause = xstrdup("passphrase cost out of range");
		return -1;
	}
	if ((file = sodium_malloc(IDENT_ENCLEN)) == NULL ||
	    (secret = sodium_malloc(IDENT_SECRETLEN)) == NULL ||
	    (key = sodium_malloc(
	         crypto_aead_xchacha20poly1305_ietf_KEYBYTES)) == NULL) {
		*cause = xstrdup("out of secure memory");
		goto out;
	}
	memcpy(secret, id->sk, IDENT_KEYLEN);
	crypto_sign_ed25519_sk_to_seed(secret + IDENT_KEYLEN, id->sign_sk);
	if (len == 0) {
		memcpy(file, IDENT_MAGIC, IDENT_MAGICLEN);
		memcpy(file + IDENT_MAGICLEN, secret, IDENT_SECRETLEN);
		*lenp = IDENT_FILELEN;
		ret = 0;
		goto out;
	}
	memcpy(file, IDENT_MAGIC_ENC, IDENT_MAGICLEN);
	util_be_put(file + IDENT_OFF_OPS, cost->ops, 4);
	util_be_put(file + IDENT_OFF_MEM, cost->mem, 8);
	randombytes_buf(file + IDENT_OFF_SALT, crypto_pwhash_SALTBYTES);
	randombytes_buf(file + IDENT_OFF_NONCE,
	    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	memcpy(file + IDENT_OFF_PK, id->pk, IDENT_KEYLEN);
	if (ident_pass_key(key, file, pass, len) != 0) {
		*cause = xasprintf("not enough memory for the passphrase "
		                   "hash (%llu MiB)",
		    (unsigned long long)(cost->mem >> 20));
		goto out;
	}
	crypto_aead_xchacha20poly1305_ietf_encrypt(file + IDENT_HDRLEN, NULL,
	    secret, IDENT_SECRETLEN, file, IDENT_HDRLEN, NULL,
	    file + IDENT_OFF_NONCE, key);
	*lenp = IDENT_ENCLEN;
	ret = 0;
out:
	sodium_free(key);
	sodium_free(secret);
	if (ret == 0)
		*filep = file;
	else
		sodium_free(file);
	return ret;
}

#define IDENT_TMP_FLAGS (O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW)

/*
 * Put len bytes at path (in dir) through a synced temporary file:
 * rename()d over what is there with replace, else link()ed, which fails
 * if the file exists: then 1 and nothing is written. 0 when written.
 */
static int
ident_write(const char *dir, const char *path, const uint8_t *file, size_t len,
    int replace, char **cause)
{
	char *tmp;
	int fd, ret = -1;

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
	errno = 0;
	if (write(fd, file, len) != (ssize_t)len || fsync(fd) == -1) {
		*cause = xasprintf(
		    "cannot write %s: %s", tmp, strerror(errno ? errno : EIO));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (replace) {
		if (rename(tmp, path) == -1) {
			*cause = xasprintf(
			    "cannot replace %s: %s", path, strerror(errno));
			unlink(tmp);
			goto out;
		}
		ret = 0;
	} else {
		/* link() fails if another process got there first. */
		ret = link(tmp, path) == -1 ? errno : 0;
		unlink(tmp);
		if (ret != 0 && ret != EEXIST) {
			*cause = xasprintf(
			    "cannot create %s: %s", path, strerror(ret));
			ret = -1;
			goto out;
		}
		ret = ret == EEXIST;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
out:
	free(tmp);
	return ret;
}

int
ident_save(const char *dir, const struct ident *id, const char *pass,
    size_t len, const struct ident_cost *cost, int replace, char **cause)
{
	uint8_t *file;
	size_t n;
	char *path;
	int ret;

	if (ident_encode(id, pass, len, cost, &file, &n, cause) == -1)
		return -1;
	path = xasprintf("%s/%s", dir, IDENT_FILE);
	ret = ident_write(dir, path, file, n, replace, cause);
	if (ret == 1) {
		*cause =
		    xasprintf("%s appeared meanwhile: nothing written", path);
		ret = -1;
	}
	sodium_free(file);
	free(path);
	return ret;
}

/* A new unprotected identity at path, unless another process made one
 * first: theirs wins. */
static int
ident_create(const char *dir, const char *path, char **cause)
{
	struct ident *id;
	uint8_t *file;
	size_t n;
	int ret;

	if ((id = ident_generate()) == NULL) {
		*cause = xstrdup("out of secure memory");
		return -1;
	}
	ret = ident_encode(id, NULL, 0, NULL, &file, &n, cause);
	ident_free(id);
	if (ret == -1)
		return -1;
	ret = ident_write(dir, path, file, n, 0, cause);
	sodium_free(file);
	return ret == -1 ? -1 : 0;
}

struct ident_file {
	char *path;
	uint8_t *bytes; /* sodium_malloc, IDENT_ENCLEN + 1 */
	size_t len; /* IDENT_FILELEN or IDENT_ENCLEN */
};

void
ident_file_free(struct ident_file *f)
{
	if (f == NULL)
		return;
	sodium_free(f->bytes);
	free(f->path);
	free(f);
}

const char *
ident_file_path(const struct ident_file *f)
{
	return f->path;
}

static int
ident_file_check(struct ident_file *f, int fd, char **cause)
{
	struct ident_cost cost;
	struct stat sb;
	ssize_t n;

	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		*cause = xasprintf("%s: not a regular file", f->path);
		return -1;
	}
	if (sb.st_uid != geteuid()) {
		*cause = xasprintf("%s: owned by another user (uid %ld)",
		    f->path, (long)sb.st_uid);
		return -1;
	}
	if ((sb.st_mode & 077) != 0) {
		*cause = xasprintf(
		    "%s: permissions %04o are too open; the "
		    "secret key must be readable only by you (chmod 600 %s)",
		    f->path, (unsigned)(sb.st_mode & 07777), f->path);
		return -1;
	}
	if ((f->bytes = sodium_malloc(IDENT_ENCLEN + 1)) == NULL) {
		*cause = xstrdup("out of secure memory");
		return -1;
	}
	f->len = 0;
	while (f->len < IDENT_ENCLEN + 1) {
		n = read(fd, f->bytes + f->len, IDENT_ENCLEN + 1 - f->len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = xasprintf("%s: not a p2ptui key file (%s)",
			    f->path, strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		f->len += (size_t)n;
	}
	if (f->len == IDENT_FILELEN &&
	    memcmp(f->bytes, IDENT_MAGIC, IDENT_MAGICLEN) == 0)
		return 0;
	if (f->len != IDENT_ENCLEN ||
	    memcmp(f->bytes, IDENT_MAGIC_ENC, IDENT_MAGICLEN) != 0) {
		*cause = xasprintf(
		    "%s: not a p2ptui key file (wrong size or magic)", f->path);
		return -1;
	}
	ident_file_locked(f, &cost);
	if (!ident_cost_valid(&cost)) {
		*cause = xasprintf("%s: passphrase cost out of range "
		                   "(opslimit %lu, memlimit %llu)",
		    f->path, (unsigned long)cost.ops,
		    (unsigned long long)cost.mem);
		return -1;
	}
	return 0;
}

struct ident_file *
ident_open(const char *dir, int create, int *created, char **cause)
{
	struct ident_file *f = xcalloc(1, sizeof *f);
	int fd;

	*created = 0;
	f->path = xasprintf("%s/%s", dir, IDENT_FILE);
	fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 && errno == ENOENT && create) {
		if (ident_create(dir, f->path, cause) == -1) {
			ident_file_free(f);
			return NULL;
		}
		*created = 1;
		fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	}
	if (fd == -1) {
		*cause =
		    xasprintf("cannot open %s: %s", f->path, strerror(errno));
		ident_file_free(f);
		return NULL;
	}
	if (ident_file_check(f, fd, cause) == -1) {
		ident_file_free(f);
		f = NULL;
	}
	close(fd);
	return f;
}

int
ident_file_locked(const struct ident_file *f, struct ident_cost *cost)
{
	if (f->len != IDENT_ENCLEN)
		return 0;
	if (cost != NULL) {
		cost->ops = (uint32_t)util_be_get(f->bytes + IDENT_OFF_OPS, 4);
		cost->mem = util_be_get(f->bytes + IDENT_OFF_MEM, 8);
	}
	return 1;
}

void
ident_file_pk(const struct ident_file *f, uint8_t pk[IDENT_KEYLEN])
{
	if (ident_file_locked(f, NULL))
		memcpy(pk, f->bytes + IDENT_OFF_PK, IDENT_KEYLEN);
	else
		crypto_scalarmult_base(pk, f->bytes + IDENT_MAGICLEN);
}

int
ident_unlock(const struct ident_file *f, const char *pass, size_t len,
    struct ident **idp, char **cause)
{
	uint8_t *key = NULL, *secret = NULL;
	int ret = -1;

	*idp = NULL;
	if (!ident_file_locked(f, NULL)) {
		if ((*idp = ident_from_secret(f->bytes + IDENT_MAGICLEN)) ==
		    NULL) {
			*cause = xstrdup("out of secure memory");
			return -1;
		}
		return 0;
	}
	if (len > IDENT_PASS_MAX) {
		*cause = xasprintf("%s: wrong passphrase (longer than %d "
		                   "bytes)",
		    f->path, IDENT_PASS_MAX);
		return IDENT_BADPASS;
	}
	if ((key = sodium_malloc(
	         crypto_aead_xchacha20poly1305_ietf_KEYBYTES)) == NULL ||
	    (secret = sodium_malloc(IDENT_SECRETLEN)) == NULL) {
		*cause = xstrdup("out of secure memory");
		goto out;
	}
	if (ident_pass_key(key, f->bytes, pass, len) != 0) {
		*cause = xasprintf("%s: not enough memory for the passphrase "
		                   "hash (%llu MiB)",
		    f->path,
		    (unsigned long long)(util_be_get(
		                             f->bytes + IDENT_OFF_MEM, 8) >>
		        20));
		goto out;
	}
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(secret, NULL, NULL,
	        f->bytes + IDENT_HDRLEN, IDENT_ENCLEN - IDENT_HDRLEN, f->bytes,
	        IDENT_HDRLEN, f->bytes + IDENT_OFF_NONCE, key) != 0) {
		*cause = xasprintf("%s: wrong passphrase", f->path);
		ret = IDENT_BADPASS;
		goto out;
	}
	if ((*idp = ident_from_secret(secret)) == NULL) {
		*cause = xstrdup("out of secure memory");
		goto out;
	}
	/* Only a passphrase holder could make this file: still, the
	 * fingerprint shown without it must be the one in use. */
	if (!ident_key_equal((*idp)->pk, f->bytes + IDENT_OFF_PK)) {
		*cause = xasprintf("%s: the public key in the header does "
		                   "not match the secret key",
		    f->path);
		ident_free(*idp);
		*idp = NULL;
		goto out;
	}
	ret = 0;
out:
	sodium_free(secret);
	sodium_free(key);
	return ret;
}

struct ident *
ident_load(const char *dir, int create, int *created, char **cause)
{
	struct ident_file *f;
	struct ident *id = NULL;

	if ((f = ident_open(dir, create, created, cause)) == NULL)
		return NULL;
	if (ident_file_locked(f, NULL))
		*cause = xasprintf(
		    "%s is protected by a passphrase", ident_file_path(f));
	else
		ident_unlock(f, NULL, 0, &id, cause);
	ident_file_free(f);
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
	ident_mac(out, outlen, NULL, 0, parts, nparts);
}

void
ident_mac(void *out, size_t outlen, const uint8_t *key, size_t keylen,
    const struct ident_part *parts, size_t nparts)
{
	crypto_generichash_state st;
	size_t i;

	if (outlen < IDENT_HASH_MIN || outlen > IDENT_HASH_MAX ||
	    keylen > IDENT_HASH_MAX)
		fatal("ident_mac: bad length %zu or key %zu", outlen, keylen);
	crypto_generichash_init(&st, key, keylen, outlen);
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

_Static_assert(crypto_sign_PUBLICKEYBYTES == IDENT_SIGN_PKLEN &&
        crypto_sign_SECRETKEYBYTES == IDENT_SIGN_SKLEN &&
        crypto_sign_BYTES == IDENT_SIGLEN && crypto_sign_SEEDBYTES == 32,
    "Ed25519 sizes");
_Static_assert(
    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == IDENT_AEAD_NONCELEN &&
        crypto_aead_xchacha20poly1305_ietf_ABYTES == IDENT_AEAD_TAGLEN,
    "XChaCha20-Poly1305 sizes");

void
ident_sign_keypair(uint8_t pk[IDENT_SIGN_PKLEN], uint8_t sk[IDENT_SIGN_SKLEN],
    const uint8_t *seed)
{
	if (seed != NULL)
		crypto_sign_seed_keypair(pk, sk, seed);
	else
		crypto_sign_keypair(pk, sk);
}

/* The streaming state over label || msg. */
static void
ident_sign_input(crypto_sign_state *st, const void *label, size_t labellen,
    const void *msg, size_t len)
{
	crypto_sign_init(st);
	crypto_sign_update(st, label, labellen);
	crypto_sign_update(st, msg, len);
}

void
ident_sign(uint8_t sig[IDENT_SIGLEN], const uint8_t sk[IDENT_SIGN_SKLEN],
    const void *label, size_t labellen, const void *msg, size_t len)
{
	crypto_sign_state st;

	ident_sign_input(&st, label, labellen, msg, len);
	crypto_sign_final_create(&st, sig, NULL, sk);
	sodium_memzero(&st, sizeof st);
}

int
ident_sign_verify(const uint8_t sig[IDENT_SIGLEN],
    const uint8_t pk[IDENT_SIGN_PKLEN], const void *label, size_t labellen,
    const void *msg, size_t len)
{
	crypto_sign_state st;

	ident_sign_input(&st, label, labellen, msg, len);
	return crypto_sign_final_verify(&st, sig, pk) == 0 ? 0 : -1;
}

void
ident_aead_seal(uint8_t *out, const void *in, size_t len, const void *ad,
    size_t adlen, const uint8_t nonce[IDENT_AEAD_NONCELEN],
    const uint8_t key[IDENT_AEAD_KEYLEN])
{
	crypto_aead_xchacha20poly1305_ietf_encrypt(
	    out, NULL, in, len, ad, adlen, NULL, nonce, key);
}

int
ident_aead_open(uint8_t *out, const uint8_t *in, size_t clen, const void *ad,
    size_t adlen, const uint8_t nonce[IDENT_AEAD_NONCELEN],
    const uint8_t key[IDENT_AEAD_KEYLEN])
{
	return crypto_aead_xchacha20poly1305_ietf_decrypt(
	           out, NULL, NULL, in, clen, ad, adlen, nonce, key) == 0
	    ? 0
	    : -1;
}
