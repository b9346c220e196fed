/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for identities (src/ident.c): the text form of keys with its
 * checksum, and the key file (creation, permissions, damage, and the
 * form protected by a passphrase, built here byte by byte from the
 * documented format with libsodium, at the smallest cost). Keys used
 * for the typo tests come from a fixed generator, so the results do not
 * change from run to run. Files live in a private temporary directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "ident.h"

#define B32 "abcdefghijklmnopqrstuvwxyz234567"
#define KEYFILE_LEN 72

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A private directory per test, removed even if the test fails. */
static int
dir_setup(void **state)
{
	const char *base = getenv("TMPDIR");
	char *dir;

	if (base == NULL || *base != '/')
		base = "/tmp";
	if (asprintf(&dir, "%s/p2ptui-ident.XXXXXX", base) == -1 ||
	    mkdtemp(dir) == NULL)
		return -1;
	*state = dir;
	return 0;
}

static int
dir_teardown(void **state)
{
	char *dir = *state;

	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
	return 0;
}

static char *
keyfile_path(const char *dir)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, IDENT_FILE) != -1);
	return p;
}

static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd != -1);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* Read a whole small file; returns its length. */
static size_t
read_file(const char *path, uint8_t *buf, size_t cap)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	assert_true(fd != -1);
	n = read(fd, buf, cap);
	close(fd);
	assert_true(n >= 0);
	return (size_t)n;
}

static size_t
count_entries(const char *path)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

/* A fixed key per seed. */
static void
make_key(uint8_t pk[IDENT_KEYLEN], unsigned int seed)
{
	size_t i;

	for (i = 0; i < IDENT_KEYLEN; i++) {
		seed = seed * 1103515245u + 12345u;
		pk[i] = (uint8_t)(seed >> 16);
	}
}

static int
setup(void **state)
{
	(void)state;
	return ident_init();
}

static void
test_fingerprint_form(void **state)
{
	uint8_t pk[IDENT_KEYLEN], back[IDENT_KEYLEN];
	char fp[IDENT_FP_LEN + 1], fp2[IDENT_FP_LEN + 1];
	char *cause;
	unsigned int seed;
	size_t i;

	(void)state;
	for (seed = 0; seed < 64; seed++) {
		make_key(pk, seed);
		if (seed == 1)
			memset(pk, 0, sizeof pk);
		if (seed == 2)
			memset(pk, 0xff, sizeof pk);
		memset(fp, 'X', sizeof fp);
		ident_fingerprint(pk, fp);
		assert_int_equal(strlen(fp), IDENT_FP_LEN);
		assert_int_equal(IDENT_FP_LEN, 55);
		for (i = 0; i < IDENT_FP_LEN; i++)
			assert_non_null(strchr(B32, fp[i]));
		/* Deterministic. */
		ident_fingerprint(pk, fp2);
		assert_string_equal(fp, fp2);

		cause = NULL;
		memset(back, 0, sizeof back);
		assert_int_equal(ident_parse_key(fp, back, &cause), 0);
		assert_null(cause);
		assert_memory_equal(back, pk, IDENT_KEYLEN);

		/* Uppercase, as a user might copy it, is the same key. */
		for (i = 0; i < IDENT_FP_LEN; i++)
			fp2[i] =
			    (char)(fp[i] >= 'a' ? fp[i] - 'a' + 'A' : fp[i]);
		memset(back, 0, sizeof back);
		assert_int_equal(ident_parse_key(fp2, back, &cause), 0);
		assert_memory_equal(back, pk, IDENT_KEYLEN);
	}
}

/* The fingerprint covers every bit: keys differing in one bit differ. */
static void
test_fingerprint_distinct(void **state)
{
	uint8_t pk[IDENT_KEYLEN];
	char fp[IDENT_FP_LEN + 1], fp2[IDENT_FP_LEN + 1];
	size_t bit;

	(void)state;
	make_key(pk, 99);
	ident_fingerprint(pk, fp);
	for (bit = 0; bit < IDENT_KEYLEN * 8; bit++) {
		pk[bit / 8] ^= (uint8_t)(1 << bit % 8);
		ident_fingerprint(pk, fp2);
		assert_string_not_equal(fp, fp2);
		pk[bit / 8] ^= (uint8_t)(1 << bit % 8);
	}
}

/* Every single-character substitution at every position is refused,
 * and reported as a typo. */
static void
test_typo_rejected(void **state)
{
	uint8_t pk[IDENT_KEYLEN], back[IDENT_KEYLEN];
	char fp[IDENT_FP_LEN + 1], typo[IDENT_FP_LEN + 1], *cause;
	unsigned int seed;
	size_t pos, k;

	(void)state;
	for (seed = 1000; seed < 1004; seed++) {
		make_key(pk, seed);
		ident_fingerprint(pk, fp);
		for (pos = 0; pos < IDENT_FP_LEN; pos++) {
			for (k = 0; k < 32; k++) {
				if (B32[k] == fp[pos])
					continue;
				memcpy(typo, fp, sizeof typo);
				typo[pos] = B32[k];
				cause = NULL;
				if (ident_parse_key(typo, back, &cause) != -1)
					fail_msg("seed %u: '%c' at %zu "
					         "accepted",
					    seed, B32[k], pos);
				assert_non_null(cause);
				if (strstr(cause, "mistyped") == NULL)
					fail_msg("'%c' at %zu: cause '%s'",
					    B32[k], pos, cause);
				free(cause);
			}
		}
	}
}

/* Two adjacent characters swapped: the other common typo. */
static void
test_transposition_rejected(void **state)
{
	uint8_t pk[IDENT_KEYLEN], back[IDENT_KEYLEN];
	char fp[IDENT_FP_LEN + 1], typo[IDENT_FP_LEN + 1], *cause;
	size_t pos;

	(void)state;
	make_key(pk, 2024);
	ident_fingerprint(pk, fp);
	for (pos = 0; pos + 1 < IDENT_FP_LEN; pos++) {
		if (fp[pos] == fp[pos + 1])
			continue;
		memcpy(typo, fp, sizeof typo);
		typo[pos] = fp[pos + 1];
		typo[pos + 1] = fp[pos];
		cause = NULL;
		if (ident_parse_key(typo, back, &cause) != -1)
			fail_msg("swap at %zu accepted", pos);
		free(cause);
	}
}

static void
test_parse_malformed(void **state)
{
	static const char bad[] = { '0', '1', '8', '9', '=', ' ', '-', '\n',
		'\x7f', '\x80' };
	uint8_t pk[IDENT_KEYLEN], back[IDENT_KEYLEN];
	char fp[IDENT_FP_LEN + 1], s[IDENT_FP_LEN + 8], *cause;
	size_t pos, k;

	(void)state;
	make_key(pk, 7);
	ident_fingerprint(pk, fp);

	/* Lengths. */
	cause = NULL;
	assert_int_equal(ident_parse_key("", back, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "55"));
	free(cause);
	memcpy(s, fp, IDENT_FP_LEN - 1);
	s[IDENT_FP_LEN - 1] = '\0';
	assert_int_equal(ident_parse_key(s, back, &cause), -1);
	assert_non_null(strstr(cause, "55"));
	free(cause);
	memcpy(s, fp, IDENT_FP_LEN);
	strcpy(s + IDENT_FP_LEN, "a");
	assert_int_equal(ident_parse_key(s, back, &cause), -1);
	free(cause);
	snprintf(s, sizeof s, " %s", fp);
	assert_int_equal(ident_parse_key(s, back, &cause), -1);
	free(cause);
	snprintf(s, sizeof s, "%s\n", fp);
	assert_int_equal(ident_parse_key(s, back, &cause), -1);
	free(cause);

	/* Characters outside the alphabet, anywhere. */
	for (pos = 0; pos < IDENT_FP_LEN; pos++) {
		for (k = 0; k < sizeof bad; k++) {
			memcpy(s, fp, IDENT_FP_LEN + 1);
			s[pos] = bad[k];
			cause = NULL;
			assert_int_equal(ident_parse_key(s, back, &cause), -1);
			assert_non_null(cause);
			assert_non_null(strstr(cause, "a-z"));
			free(cause);
		}
	}
}

static void
test_short(void **state)
{
	uint8_t pk[IDENT_KEYLEN];
	char fp[IDENT_FP_LEN + 1], sh[IDENT_SHORT_LEN + 2];
	unsigned int seed;

	(void)state;
	for (seed = 0; seed < 16; seed++) {
		make_key(pk, seed);
		ident_fingerprint(pk, fp);
		memset(sh, 'X', sizeof sh);
		ident_short(pk, sh);
		assert_int_equal(strlen(sh), IDENT_SHORT_LEN);
		assert_memory_equal(sh, fp, IDENT_SHORT_LEN);
		assert_int_equal(sh[IDENT_SHORT_LEN + 1], 'X');
	}
}

static void
test_compare_and_random(void **state)
{
	uint8_t a[IDENT_KEYLEN], b[IDENT_KEYLEN];
	uint32_t v;
	int i, seen[7] = { 0 };

	(void)state;
	make_key(a, 1);
	memcpy(b, a, sizeof b);
	assert_true(ident_key_equal(a, b));
	assert_true(ident_mem_equal(a, b, sizeof a));
	b[IDENT_KEYLEN - 1] ^= 1;
	assert_false(ident_key_equal(a, b));
	assert_false(ident_mem_equal(a, b, sizeof a));
	assert_true(ident_mem_equal(a, b, sizeof a - 1));
	for (i = 0; i < 1000; i++) {
		v = ident_uniform(7);
		assert_true(v < 7);
		seen[v] = 1;
	}
	for (i = 0; i < 7; i++)
		assert_true(seen[i]);
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	ident_random(a, sizeof a);
	ident_random(b, sizeof b);
	assert_memory_not_equal(a, b, sizeof a);
	ident_wipe(a, sizeof a);
	memset(b, 0, sizeof b);
	assert_memory_equal(a, b, sizeof a);
	assert_true(ident_table_hash("abc", 3) == ident_table_hash("abc", 3));
	assert_true(ident_table_hash("abc", 3) != ident_table_hash("abd", 3));
	assert_int_equal(ident_uniform(0), 0);
	assert_int_equal(ident_uniform(1), 0);
	for (i = 0; i < 100; i++)
		assert_true(ident_uniform(0x80000001u) < 0x80000001u);
}

/* Small draws come from a pool: across many refills, never a repeat. */
static void
test_random_pool(void **state)
{
	static uint8_t ids[1200][8];
	uint8_t odd[3];
	int i, j;

	(void)state;
	for (i = 0; i < 1200; i++) {
		ident_random(ids[i], sizeof ids[i]);
		if (i % 7 == 0)
			ident_random(odd, sizeof odd); /* misalign the pool */
	}
	for (i = 0; i < 1200; i++)
		for (j = i + 1; j < 1200; j++)
			assert_memory_not_equal(ids[i], ids[j], sizeof ids[i]);
}

/* The public keys of id are the ones its secrets give. */
static void
check_consistent(const struct ident *id)
{
	uint8_t pk[IDENT_KEYLEN];

	assert_non_null(id);
	assert_non_null(id->sk);
	assert_non_null(id->sign_sk);
	assert_int_equal(crypto_scalarmult_base(pk, id->sk), 0);
	assert_memory_equal(pk, id->pk, IDENT_KEYLEN);
	/* An Ed25519 secret key is seed || public key. */
	assert_memory_equal(id->sign_sk + 32, id->sign_pk, IDENT_KEYLEN);
}

static void
test_load_create(void **state)
{
	struct ident *id, *id2;
	struct stat sb;
	const char *dir;
	char *path, *cause = NULL;
	uint8_t file[KEYFILE_LEN + 8];
	int created = -1;

	(void)state;
	dir = *state;
	path = keyfile_path(dir);

	id = ident_load(dir, 1, &created, &cause);
	if (id == NULL)
		fail_msg("ident_load: %s", cause);
	assert_int_equal(created, 1);
	check_consistent(id);

	assert_int_equal(lstat(path, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_size, KEYFILE_LEN);
	assert_int_equal(read_file(path, file, sizeof file), KEYFILE_LEN);
	assert_memory_equal(file, "p2ptuik1", 8);
	assert_memory_equal(file + 8, id->sk, IDENT_KEYLEN);
	/* No temporary file left behind. */
	assert_int_equal(count_entries(dir), 1);

	/* Again: the same keys, not created. */
	created = -1;
	id2 = ident_load(dir, 1, &created, &cause);
	if (id2 == NULL)
		fail_msg("ident_load again: %s", cause);
	assert_int_equal(created, 0);
	assert_memory_equal(id2->pk, id->pk, IDENT_KEYLEN);
	assert_memory_equal(id2->sk, id->sk, IDENT_KEYLEN);
	assert_memory_equal(id2->sign_pk, id->sign_pk, IDENT_KEYLEN);
	assert_memory_equal(id2->sign_sk, id->sign_sk, 64);
	ident_free(id2);
	/* And without create. */
	id2 = ident_load(dir, 0, &created, &cause);
	assert_non_null(id2);
	assert_int_equal(created, 0);
	assert_memory_equal(id2->pk, id->pk, IDENT_KEYLEN);
	ident_free(id2);
	ident_free(id);
	ident_free(NULL);

	free(path);
}

/* The key file is the secret: its bytes decide the keys. */
static void
test_load_known_file(void **state)
{
	struct ident *id;
	const char *dir;
	char *path, *cause = NULL;
	uint8_t file[KEYFILE_LEN], pk[IDENT_KEYLEN], spk[IDENT_KEYLEN];
	uint8_t ssk[64];
	int created;

	(void)state;
	dir = *state;
	path = keyfile_path(dir);
	memcpy(file, "p2ptuik1", 8);
	make_key(file + 8, 5);
	make_key(file + 40, 6);
	write_file(path, file, sizeof file, 0600);

	id = ident_load(dir, 1, &created, &cause);
	assert_non_null(id);
	assert_int_equal(created, 0);
	assert_memory_equal(id->sk, file + 8, IDENT_KEYLEN);
	assert_int_equal(crypto_scalarmult_base(pk, file + 8), 0);
	assert_memory_equal(id->pk, pk, IDENT_KEYLEN);
	assert_int_equal(crypto_sign_seed_keypair(spk, ssk, file + 40), 0);
	assert_memory_equal(id->sign_pk, spk, IDENT_KEYLEN);
	assert_memory_equal(id->sign_sk, ssk, 64);
	/* A read-only key file is fine. */
	assert_int_equal(chmod(path, 0400), 0);
	ident_free(id);
	id = ident_load(dir, 0, &created, &cause);
	assert_non_null(id);
	assert_memory_equal(id->pk, pk, IDENT_KEYLEN);
	ident_free(id);
	free(path);
}

static void
test_two_identities_differ(void **state)
{
	struct ident *a, *b;
	char *d1, *d2, *cause = NULL;
	int created;

	(void)state;
	assert_true(asprintf(&d1, "%s/one", (char *)*state) != -1);
	assert_true(asprintf(&d2, "%s/two", (char *)*state) != -1);
	assert_int_equal(mkdir(d1, 0700), 0);
	assert_int_equal(mkdir(d2, 0700), 0);
	a = ident_load(d1, 1, &created, &cause);
	b = ident_load(d2, 1, &created, &cause);
	assert_non_null(a);
	assert_non_null(b);
	assert_memory_not_equal(a->pk, b->pk, IDENT_KEYLEN);
	assert_memory_not_equal(a->sign_pk, b->sign_pk, IDENT_KEYLEN);
	ident_free(a);
	ident_free(b);
	free(d1);
	free(d2);
}

static void
test_load_missing(void **state)
{
	struct ident *id;
	struct stat sb;
	const char *dir;
	char *path, *sub, *cause = NULL;
	int created = -1;

	(void)state;
	dir = *state;
	path = keyfile_path(dir);
	/* Without create a missing file is an error, and stays missing. */
	id = ident_load(dir, 0, &created, &cause);
	assert_null(id);
	assert_int_equal(created, 0);
	assert_non_null(cause);
	assert_non_null(strstr(cause, path));
	free(cause);
	assert_int_equal(lstat(path, &sb), -1);
	assert_int_equal(errno, ENOENT);

	/* A directory that does not exist. */
	assert_true(asprintf(&sub, "%s/nonexistent", dir) != -1);
	cause = NULL;
	id = ident_load(sub, 1, &created, &cause);
	assert_null(id);
	assert_int_equal(created, 0);
	assert_non_null(cause);
	free(cause);
	free(sub);
	free(path);
}

/* A key file others can read is refused, whatever its content. */
static void
test_load_open_permissions(void **state)
{
	static const mode_t modes[] = { 0644, 0640, 0604, 0660, 0606, 0610,
		0601, 0777 };
	struct ident *id;
	const char *dir;
	char *path, *cause;
	uint8_t file[KEYFILE_LEN], after[KEYFILE_LEN + 8];
	size_t i;
	int created;

	(void)state;
	dir = *state;
	path = keyfile_path(dir);
	memcpy(file, "p2ptuik1", 8);
	make_key(file + 8, 1);
	make_key(file + 40, 2);
	for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		write_file(path, file, sizeof file, modes[i]);
		cause = NULL;
		id = ident_load(dir, 1, &created, &cause);
		if (id != NULL)
			fail_msg("mode %04o accepted", (unsigned)modes[i]);
		assert_non_null(cause);
		if (strstr(cause, "chmod 600") == NULL)
			fail_msg(
			    "mode %04o: cause '%s'", (unsigned)modes[i], cause);
		assert_non_null(strstr(cause, path));
		free(cause);
		/* Refused, not repaired or replaced. */
		assert_int_equal(
		    read_file(path, after, sizeof after), KEYFILE_LEN);
		assert_memory_equal(after, file, KEYFILE_LEN);
	}
	free(path);
}

/* Damaged files are refused, never replaced by a new identity. */
static void
test_load_damaged(void **state)
{
	struct ident *id;
	const char *dir;
	char *path, *cause;
	uint8_t file[KEYFILE_LEN + 1], after[KEYFILE_LEN + 8];
	size_t lens[] = { 0, 1, 8, 40, KEYFILE_LEN - 1, KEYFILE_LEN + 1 };
	size_t i, n;
	int created;

	(void)state;
	dir = *state;
	path = keyfile_path(dir);
	memcpy(file, "p2ptuik1", 8);
	make_key(file + 8, 3);
	make_key(file + 40, 4);
	file[KEYFILE_LEN] = 0;
	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		write_file(path, file, lens[i], 0600);
		cause = NULL;
		created = -1;
		id = ident_load(dir, 1, &created, &cause);
		if (id != NULL)
			fail_msg("%zu-byte file accepted", lens[i]);
		assert_int_equal(created, 0);
		assert_non_null(cause);
		assert_non_null(strstr(cause, path));
		free(cause);
		n = read_file(path, after, sizeof after);
		assert_int_equal(n, lens[i]);
		assert_memory_equal(after, file, n);
	}
	/* The right size, the wrong magic (an older format, or garbage). */
	for (i = 0; i < 8; i++) {
		memcpy(file, "p2ptuik1", 8);
		file[i] ^= 0x20;
		write_file(path, file, KEYFILE_LEN, 0600);
		cause = NULL;
		id = ident_load(dir, 1, &created, &cause);
		assert_null(id);
		assert_non_null(cause);
		free(cause);
	}
	free(path);
}

/* Not a regular file: a directory, or a symlink to a good key file. */
static void
test_load_not_regular(void **state)
{
	struct ident *id;
	const char *dir;
	char *path, *target, *cause;
	uint8_t file[KEYFILE_LEN];
	int created;

	(void)state;
	dir = *state;
	path = keyfile_path(dir);
	assert_int_equal(mkdir(path, 0700), 0);
	cause = NULL;
	id = ident_load(dir, 1, &created, &cause);
	assert_null(id);
	assert_non_null(cause);
	free(cause);
	assert_int_equal(rmdir(path), 0);

	assert_true(asprintf(&target, "%s/elsewhere.key", dir) != -1);
	memcpy(file, "p2ptuik1", 8);
	make_key(file + 8, 8);
	make_key(file + 40, 9);
	write_file(target, file, sizeof file, 0600);
	assert_int_equal(symlink(target, path), 0);
	cause = NULL;
	id = ident_load(dir, 1, &created, &cause);
	assert_null(id);
	assert_non_null(cause);
	free(cause);
	free(target);
	free(path);
}

/*
 * A stale temporary key file, hard-linked to a file another user may
 * read or a symbolic link, is replaced, never written through.
 */
static void
test_load_stale_temp(void **state)
{
	struct ident *id;
	struct stat sb;
	const char *dir;
	char *tmp, *victim, *cause = NULL;
	uint8_t buf[KEYFILE_LEN];
	int created;

	dir = *state;
	assert_true(asprintf(&tmp, "%s/.%s.%ld", dir, IDENT_FILE,
	                (long)getpid()) != -1);
	assert_true(asprintf(&victim, "%s/victim", dir) != -1);
	write_file(victim, (const uint8_t *)"public", 6, 0644);
	assert_int_equal(link(victim, tmp), 0);
	id = ident_load(dir, 1, &created, &cause);
	if (id == NULL)
		fail_msg("ident_load: %s", cause);
	assert_int_equal(created, 1);
	assert_int_equal(read_file(victim, buf, sizeof buf), 6);
	assert_memory_equal(buf, "public", 6);
	assert_int_equal(lstat(tmp, &sb), -1);
	ident_free(id);

	/* A symbolic link where the temporary file goes. */
	assert_int_equal(unlink(victim), 0);
	free(tmp);
	tmp = keyfile_path(dir);
	assert_int_equal(unlink(tmp), 0);
	free(tmp);
	assert_true(asprintf(&tmp, "%s/.%s.%ld", dir, IDENT_FILE,
	                (long)getpid()) != -1);
	assert_int_equal(symlink(victim, tmp), 0);
	id = ident_load(dir, 1, &created, &cause);
	if (id == NULL)
		fail_msg("ident_load over a symlink: %s", cause);
	assert_int_equal(lstat(victim, &sb), -1); /* not created through it */
	assert_int_equal(lstat(tmp, &sb), -1);
	ident_free(id);
	free(tmp);
	free(victim);
}

/* The cheapest cost: the tests are about the format, not Argon2id. */
static const struct ident_cost cheap = { 1, 8192 };
#define ENC_LEN 172
#define HDR_LEN 92

static void
put_be(uint8_t *p, uint64_t v, size_t n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

/*
 * A protected key file made from the format description alone: secret
 * is the X25519 secret key and the Ed25519 seed.
 */
static void
make_protected(uint8_t file[ENC_LEN], const uint8_t secret[64],
    const char *pass, uint32_t ops, uint64_t mem)
{
	uint8_t key[32];
	unsigned long long clen;

	memcpy(file, "p2ptuie1", 8);
	put_be(file + 8, ops, 4);
	put_be(file + 12, mem, 8);
	make_key(file + 20, 40); /* salt 16 (and 16 more, overwritten) */
	make_key(file + 36, 41); /* nonce 24 */
	assert_int_equal(crypto_scalarmult_base(file + 60, secret), 0);
	assert_int_equal(
	    crypto_pwhash(key, sizeof key, pass, strlen(pass), file + 20, ops,
	        (size_t)mem, crypto_pwhash_ALG_ARGON2ID13),
	    0);
	assert_int_equal(
	    crypto_aead_xchacha20poly1305_ietf_encrypt(file + HDR_LEN, &clen,
	        secret, 64, file, HDR_LEN, NULL, file + 36, key),
	    0);
	assert_int_equal(clen, ENC_LEN - HDR_LEN);
}

/* A file written from the documented format opens with its passphrase
 * and shows its public key without it. */
static void
test_pass_known_file(void **state)
{
	struct ident_file *f;
	struct ident_cost cost;
	struct ident *id;
	const char *dir = *state;
	char *path, *cause = NULL;
	uint8_t secret[64], file[ENC_LEN], pk[IDENT_KEYLEN];
	uint8_t spk[IDENT_KEYLEN], ssk[64];
	int created;

	path = keyfile_path(dir);
	make_key(secret, 11);
	make_key(secret + 32, 12);
	make_protected(file, secret, "open sesame", 2, 16384);
	write_file(path, file, sizeof file, 0600);

	f = ident_open(dir, 1, &created, &cause);
	if (f == NULL)
		fail_msg("ident_open: %s", cause);
	assert_int_equal(created, 0);
	assert_int_equal(ident_file_locked(f, &cost), 1);
	assert_int_equal(cost.ops, 2);
	assert_int_equal(cost.mem, 16384);
	ident_file_pk(f, pk);
	assert_memory_equal(pk, file + 60, IDENT_KEYLEN);
	assert_int_equal(ident_unlock(f, "open sesame", 11, &id, &cause), 0);
	assert_memory_equal(id->sk, secret, IDENT_KEYLEN);
	assert_memory_equal(id->pk, pk, IDENT_KEYLEN);
	assert_int_equal(crypto_sign_seed_keypair(spk, ssk, secret + 32), 0);
	assert_memory_equal(id->sign_pk, spk, IDENT_KEYLEN);
	assert_memory_equal(id->sign_sk, ssk, 64);
	ident_free(id);
	ident_file_free(f);

	/* ident_load() does not guess: a locked file is an error. */
	id = ident_load(dir, 1, &created, &cause);
	assert_null(id);
	assert_non_null(strstr(cause, "protected by a passphrase"));
	free(cause);
	free(path);
}

/* Set, open, change and remove a passphrase; the keys stay the same. */
static void
test_pass_round_trip(void **state)
{
	struct ident_file *f;
	struct ident_cost cost;
	struct ident *id, *back;
	struct stat sb;
	const char *dir = *state;
	char *path, *cause = NULL;
	uint8_t file[ENC_LEN + 8], pk[IDENT_KEYLEN];
	int created;

	path = keyfile_path(dir);
	id = ident_generate();
	assert_non_null(id);
	assert_int_equal(
	    ident_save(dir, id, "hunter2", 7, &cheap, 0, &cause), 0);
	assert_int_equal(lstat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(read_file(path, file, sizeof file), ENC_LEN);
	assert_memory_equal(file, "p2ptuie1", 8);
	assert_memory_equal(file + 60, id->pk, IDENT_KEYLEN);
	/* Nowhere in the file in the clear. */
	assert_null(memmem(file, ENC_LEN, id->sk, IDENT_KEYLEN));
	assert_null(memmem(file, ENC_LEN, id->sign_sk, 32));
	assert_int_equal(count_entries(dir), 1);
	/* Without replace, an existing file stays. */
	assert_int_equal(
	    ident_save(dir, id, "other", 5, &cheap, 0, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;

	f = ident_open(dir, 0, &created, &cause);
	assert_non_null(f);
	assert_int_equal(ident_file_locked(f, &cost), 1);
	assert_int_equal(cost.ops, cheap.ops);
	assert_int_equal(cost.mem, cheap.mem);
	ident_file_pk(f, pk);
	assert_memory_equal(pk, id->pk, IDENT_KEYLEN);
	assert_int_equal(ident_unlock(f, "hunter2", 7, &back, &cause), 0);
	assert_memory_equal(back->sk, id->sk, IDENT_KEYLEN);
	assert_memory_equal(back->sign_sk, id->sign_sk, 64);
	ident_free(back);
	ident_file_free(f);

	/* Changed: a new salt and nonce, the old passphrase no longer. */
	assert_int_equal(
	    ident_save(dir, id, "correct horse", 13, &cheap, 1, &cause), 0);
	f = ident_open(dir, 0, &created, &cause);
	assert_non_null(f);
	assert_int_equal(
	    ident_unlock(f, "hunter2", 7, &back, &cause), IDENT_BADPASS);
	assert_null(back);
	free(cause);
	cause = NULL;
	assert_int_equal(
	    ident_unlock(f, "correct horse", 13, &back, &cause), 0);
	assert_memory_equal(back->sk, id->sk, IDENT_KEYLEN);
	ident_free(back);
	ident_file_free(f);
	assert_int_equal(count_entries(dir), 1);

	/* Removed: the unprotected form, which ident_load() reads. */
	assert_int_equal(ident_save(dir, id, NULL, 0, NULL, 1, &cause), 0);
	assert_int_equal(read_file(path, file, sizeof file), KEYFILE_LEN);
	assert_memory_equal(file, "p2ptuik1", 8);
	back = ident_load(dir, 0, &created, &cause);
	assert_non_null(back);
	assert_memory_equal(back->pk, id->pk, IDENT_KEYLEN);
	assert_memory_equal(back->sign_sk, id->sign_sk, 64);
	ident_free(back);
	f = ident_open(dir, 0, &created, &cause);
	assert_int_equal(ident_file_locked(f, NULL), 0);
	ident_file_pk(f, pk);
	assert_memory_equal(pk, id->pk, IDENT_KEYLEN);
	ident_file_free(f);
	ident_free(id);
	free(path);
}

/* Wrong passphrases fail, and leave the file as it was. */
static void
test_pass_wrong(void **state)
{
	static const char *wrong[] = { "", "hunter", "hunter22", "Hunter2",
		"hunter2\n" };
	struct ident_file *f;
	struct ident *id, *back;
	const char *dir = *state;
	char *path, *cause;
	uint8_t before[ENC_LEN], after[ENC_LEN + 8];
	char big[IDENT_PASS_MAX + 2];
	size_t i;
	int created;

	path = keyfile_path(dir);
	id = ident_generate();
	cause = NULL;
	assert_int_equal(
	    ident_save(dir, id, "hunter2", 7, &cheap, 0, &cause), 0);
	assert_int_equal(read_file(path, before, sizeof before), ENC_LEN);
	f = ident_open(dir, 0, &created, &cause);
	assert_non_null(f);
	for (i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
		cause = NULL;
		assert_int_equal(
		    ident_unlock(f, wrong[i], strlen(wrong[i]), &back, &cause),
		    IDENT_BADPASS);
		assert_null(back);
		assert_non_null(strstr(cause, "wrong passphrase"));
		free(cause);
	}
	memset(big, 'a', sizeof big);
	cause = NULL;
	assert_int_equal(
	    ident_unlock(f, big, sizeof big, &back, &cause), IDENT_BADPASS);
	free(cause);
	cause = NULL;
	/* Too long a passphrase is refused when setting one too. */
	assert_int_equal(
	    ident_save(dir, id, big, sizeof big, &cheap, 1, &cause), -1);
	free(cause);
	ident_file_free(f);
	assert_int_equal(read_file(path, after, sizeof after), ENC_LEN);
	assert_memory_equal(after, before, ENC_LEN);
	assert_int_equal(count_entries(dir), 1);
	ident_free(id);
	free(path);
}

/*
 * Every byte of a protected file matters: one changed bit anywhere is
 * refused when opening (magic, cost) or unlocking, never a wrong key.
 */
static void
test_pass_tampered(void **state)
{
	struct ident_file *f;
	struct ident *id, *back;
	const char *dir = *state;
	char *path, *cause;
	uint8_t good[ENC_LEN], file[ENC_LEN];
	size_t i;
	int created, ret;

	path = keyfile_path(dir);
	id = ident_generate();
	cause = NULL;
	assert_int_equal(ident_save(dir, id, "pw", 2, &cheap, 0, &cause), 0);
	assert_int_equal(read_file(path, good, sizeof good), ENC_LEN);
	for (i = 0; i < ENC_LEN; i++) {
		memcpy(file, good, ENC_LEN);
		/* These changes keep the cost in range (3 passes, 9 KiB):
		 * the AEAD sees them, as part of the header. */
		file[i] ^= i == 11 ? 0x02 : i == 18 ? 0x04 : 0x80;
		write_file(path, file, ENC_LEN, 0600);
		cause = NULL;
		f = ident_open(dir, 0, &created, &cause);
		if (f == NULL) {
			assert_true(i < 20 && i != 11 && i != 18);
			free(cause);
			continue;
		}
		back = NULL;
		ret = ident_unlock(f, "pw", 2, &back, &cause);
		if (ret == 0)
			fail_msg("byte %zu changed, still unlocked", i);
		assert_null(back);
		free(cause);
		ident_file_free(f);
	}
	ident_free(id);
	free(path);
}

/* The stored cost is bounded before anything is allocated for it. */
static void
test_pass_cost_bounds(void **state)
{
	static const struct {
		uint32_t ops;
		uint64_t mem;
	} bad[] = {
		{ 0, 8192 },
		{ 17, 8192 },
		{ 0xffffffff, 8192 },
		{ 1, 4096 },
		{ 1, 8192 + 512 },
		{ 1, 2ULL << 30 },
		{ 1, 100ULL << 30 },
		{ 1, UINT64_MAX },
	};
	struct ident_cost cost;
	struct ident_file *f;
	struct ident *id;
	const char *dir = *state;
	char *path, *cause;
	uint8_t secret[64], file[ENC_LEN];
	size_t i;
	int created;

	path = keyfile_path(dir);
	make_key(secret, 21);
	make_key(secret + 32, 22);
	make_protected(file, secret, "pw", 1, 8192);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		put_be(file + 8, bad[i].ops, 4);
		put_be(file + 12, bad[i].mem, 8);
		write_file(path, file, sizeof file, 0600);
		cause = NULL;
		f = ident_open(dir, 0, &created, &cause);
		if (f != NULL)
			fail_msg("cost %lu/%llu accepted",
			    (unsigned long)bad[i].ops,
			    (unsigned long long)bad[i].mem);
		assert_non_null(strstr(cause, "out of range"));
		free(cause);
	}
	/* Setting one is bounded the same way. */
	id = ident_generate();
	cost.ops = 1;
	cost.mem = 2ULL << 30;
	cause = NULL;
	assert_int_equal(ident_save(dir, id, "pw", 2, &cost, 1, &cause), -1);
	free(cause);
	ident_free(id);
	/* The named levels are libsodium's, within the bounds. */
	assert_int_equal(ident_cost_parse("interactive", &cost), 0);
	assert_int_equal(cost.ops, 2);
	assert_int_equal(cost.mem, 64ULL << 20);
	assert_int_equal(ident_cost_parse("moderate", &cost), 0);
	assert_int_equal(cost.ops, 3);
	assert_int_equal(cost.mem, 256ULL << 20);
	assert_int_equal(ident_cost_parse("sensitive", &cost), 0);
	assert_int_equal(cost.ops, 4);
	assert_int_equal(cost.mem, 1ULL << 30);
	assert_int_equal(ident_cost_parse("fast", &cost), -1);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fingerprint_form),
		cmocka_unit_test(test_fingerprint_distinct),
		cmocka_unit_test(test_typo_rejected),
		cmocka_unit_test(test_transposition_rejected),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_compare_and_random),
		cmocka_unit_test(test_random_pool),
		cmocka_unit_test_setup_teardown(
		    test_load_create, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(
		    test_load_known_file, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(
		    test_two_identities_differ, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(
		    test_load_missing, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(
		    test_load_open_permissions, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(
		    test_load_damaged, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(
		    test_load_not_regular, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(
		    test_load_stale_temp, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(
		    test_pass_known_file, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(
		    test_pass_round_trip, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(
		    test_pass_wrong, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(
		    test_pass_tampered, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(
		    test_pass_cost_bounds, dir_setup, dir_teardown),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
