/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The user's identity (long-term keys in the data directory) and the text
 * form of public keys. With noise.c and cpace.c, the only owners of
 * <sodium.h>.
 *
 * A fingerprint is base32(public key || 2-byte checksum): 55 characters,
 * so a mistyped key in the configuration is reported as a typo instead of
 * looking like somebody else's key. The short form is its first 8
 * characters, for tight spaces.
 */
#ifndef P2PTUI_IDENT_H
#define P2PTUI_IDENT_H

#include <stddef.h>
#include <stdint.h>

#define IDENT_KEYLEN 32
#define IDENT_FP_LEN 55
#define IDENT_SHORT_LEN 8
#define IDENT_FILE "identity.key"

struct ident {
	uint8_t pk[IDENT_KEYLEN]; /* X25519 public key (Noise static) */
	uint8_t *sk; /* X25519 secret key, sodium_malloc */
	uint8_t sign_pk[IDENT_KEYLEN]; /* Ed25519 public key */
	uint8_t *sign_sk; /* Ed25519 secret key (64), sodium_malloc */
};

/* Initialise the crypto library; -1 if it cannot be used. */
int ident_init(void);

/*
 * Load the identity from dir/identity.key; if it does not exist and
 * create is set, make one (written atomically, mode 0600) and set
 * *created. A key file others can read is refused, as ssh does, and so
 * is one protected by a passphrase (see ident_open()).
 * NULL with *cause (caller frees) on failure.
 */
struct ident *ident_load(
    const char *dir, int create, int *created, char **cause);
void ident_free(struct ident *);

/*
 * Passphrase protection of the key file. The cost of the passphrase
 * hash (Argon2id) is chosen when a passphrase is set and stored in the
 * file; opening uses the stored cost, within these bounds, so a crafted
 * file cannot make us allocate or compute without limit.
 */
#define IDENT_PASS_MAX 1024 /* bytes of a passphrase */
#define IDENT_OPS_MAX 16
#define IDENT_MEM_MAX (1024ULL * 1024 * 1024)
struct ident_cost {
	uint32_t ops; /* Argon2id passes (crypto_pwhash opslimit) */
	uint64_t mem; /* bytes of memory (memlimit), a multiple of 1024 */
};
/* "interactive", "moderate" or "sensitive" (libsodium's levels); -1 if
 * the name is none of them. */
int ident_cost_parse(const char *name, struct ident_cost *);

/* A key file read and checked, possibly still locked by a passphrase. */
struct ident_file;
/*
 * Read dir/identity.key, creating an unprotected one as ident_load()
 * does if create is set. Nothing is decrypted yet. NULL with *cause
 * (caller frees) on failure.
 */
struct ident_file *ident_open(
    const char *dir, int create, int *created, char **cause);
void ident_file_free(struct ident_file *);
/* The file's path, for messages. */
const char *ident_file_path(const struct ident_file *);
/* 1 if the key file needs a passphrase; then *cost is its cost. */
int ident_file_locked(const struct ident_file *, struct ident_cost *cost);
/* The X25519 public key, which a locked file keeps in the clear. */
void ident_file_pk(const struct ident_file *, uint8_t pk[IDENT_KEYLEN]);
#define IDENT_BADPASS -2
/*
 * The identity in the file: pass (len bytes) decrypts a locked file and
 * is ignored otherwise. 0 and *idp on success; IDENT_BADPASS if the
 * passphrase is wrong (or the file was altered); -1 on other errors.
 * Both failures set *cause (caller frees).
 */
int ident_unlock(const struct ident_file *, const char *pass, size_t len,
    struct ident **idp, char **cause);
/* A new identity, in memory only. */
struct ident *ident_generate(void);
/*
 * Write id to dir/identity.key, protected by pass (len bytes) with cost
 * if len > 0, unprotected if len is 0. With replace, the file takes the
 * place of the existing one atomically; without, it is created only if
 * there is none (-1 if one appeared). Either way no moment passes
 * without a complete key file, and the secret reaches the disk only in
 * the form asked for.
 */
int ident_save(const char *dir, const struct ident *, const char *pass,
    size_t len, const struct ident_cost *, int replace, char **cause);

/* Memory for secrets (passphrases): locked, guarded, wiped when freed.
 * NULL if the system refuses it. */
void *ident_secret_alloc(size_t);
void ident_secret_free(void *);

/* The fingerprint of pk: IDENT_FP_LEN characters plus a NUL. */
void ident_fingerprint(
    const uint8_t pk[IDENT_KEYLEN], char out[IDENT_FP_LEN + 1]);
/* The short form: IDENT_SHORT_LEN characters plus a NUL. */
void ident_short(const uint8_t pk[IDENT_KEYLEN], char out[IDENT_SHORT_LEN + 1]);
/* Parse a fingerprint; -1 with *cause (caller frees) if malformed. */
int ident_parse_key(const char *text, uint8_t pk[IDENT_KEYLEN], char **cause);

/* Constant-time comparison of two public keys: 1 if equal. */
int ident_key_equal(
    const uint8_t a[IDENT_KEYLEN], const uint8_t b[IDENT_KEYLEN]);
/* Constant-time comparison of n bytes: 1 if equal. */
int ident_mem_equal(const void *, const void *, size_t n);
/* Cryptographically secure random bytes. */
void ident_random(void *, size_t);
/*
 * A 64-bit hash of n bytes for hash tables, keyed with a random key of
 * this process (SipHash-2-4), so that no peer can choose keys or names
 * that collide in them.
 */
uint64_t ident_table_hash(const void *, size_t n);
/* A uniform random number in [0, upper). */
uint32_t ident_uniform(uint32_t upper);
/* Wipe memory in a way the compiler keeps. */
void ident_wipe(void *, size_t);

/* One piece of the input of ident_hash(). */
struct ident_part {
	const void *p;
	size_t len;
};
#define IDENT_HASH_MIN 16
#define IDENT_HASH_MAX 64
/*
 * BLAKE2b without a key, of outlen bytes (IDENT_HASH_MIN to
 * IDENT_HASH_MAX), over the parts concatenated in order.
 */
void ident_hash(
    void *out, size_t outlen, const struct ident_part *, size_t nparts);
/* The same keyed with key (0 to IDENT_HASH_MAX bytes; none if 0). */
void ident_mac(void *out, size_t outlen, const uint8_t *key, size_t keylen,
    const struct ident_part *, size_t nparts);

/* The same hash over input fed in pieces (libsodium's state, opaque). */
struct ident_hash_state {
	_Alignas(64) unsigned char opaque[384];
	size_t outlen;
};
void ident_hash_init(struct ident_hash_state *, size_t outlen);
void ident_hash_update(struct ident_hash_state *, const void *, size_t);
/* Writes the outlen bytes given to ident_hash_init() and wipes the
 * state. */
void ident_hash_final(struct ident_hash_state *, void *out);

/* Ed25519 (rooms' events): a key pair, from a 32-byte seed or fresh
 * (seed NULL), and signatures of label || msg in libsodium's streaming
 * form (Ed25519ph); verify is 0 if sig is pk's. */
#define IDENT_SIGN_PKLEN 32
#define IDENT_SIGN_SKLEN 64
#define IDENT_SIGLEN 64
void ident_sign_keypair(uint8_t pk[IDENT_SIGN_PKLEN],
    uint8_t sk[IDENT_SIGN_SKLEN], const uint8_t *seed);
void ident_sign(uint8_t sig[IDENT_SIGLEN], const uint8_t sk[IDENT_SIGN_SKLEN],
    const void *label, size_t labellen, const void *msg, size_t len);
int ident_sign_verify(const uint8_t sig[IDENT_SIGLEN],
    const uint8_t pk[IDENT_SIGN_PKLEN], const void *label, size_t labellen,
    const void *msg, size_t len);

/* XChaCha20-Poly1305: seal len bytes into out (len + IDENT_AEAD_TAGLEN
 * bytes); open clen bytes into out, -1 if they are not authentic. */
#define IDENT_AEAD_KEYLEN 32
#define IDENT_AEAD_NONCELEN 24
#define IDENT_AEAD_TAGLEN 16
void ident_aead_seal(uint8_t *out, const void *in, size_t len, const void *ad,
    size_t adlen, const uint8_t nonce[IDENT_AEAD_NONCELEN],
    const uint8_t key[IDENT_AEAD_KEYLEN]);
int ident_aead_open(uint8_t *out, const uint8_t *in, size_t clen,
    const void *ad, size_t adlen, const uint8_t nonce[IDENT_AEAD_NONCELEN],
    const uint8_t key[IDENT_AEAD_KEYLEN]);

#endif
