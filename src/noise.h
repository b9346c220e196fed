/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Noise protocol framework, suite 25519_ChaChaPoly_BLAKE2b, on libsodium.
 * A token interpreter: any fundamental pattern (N K X NN NK NX XN XK XX KN
 * KK KX IN IK IX) with any psk modifiers ("XXpsk0+psk3").
 *
 * Usage: noise_hs_create(), set the keys the pattern needs (s, rs, psks;
 * e only for test vectors), noise_hs_start(), then noise_hs_write() /
 * noise_hs_read() as noise_hs_action() says, until it says
 * NOISE_ACTION_SPLIT; then noise_hs_split() gives the transport ciphers.
 * All secrets live in sodium_malloc() memory and are wiped on free.
 */
#ifndef P2PTUI_NOISE_H
#define P2PTUI_NOISE_H

#include <stddef.h>
#include <stdint.h>

#define NOISE_KEYLEN 32
#define NOISE_HASHLEN 64
#define NOISE_TAGLEN 16
#define NOISE_MAX_MSG 65535
#define NOISE_MAX_PSKS 4

enum noise_role { NOISE_INITIATOR, NOISE_RESPONDER };
enum noise_action {
	NOISE_ACTION_WRITE,
	NOISE_ACTION_READ,
	NOISE_ACTION_SPLIT,
	NOISE_ACTION_FAILED,
};

/* A transport cipher state (one direction). */
struct noise_cipher {
	uint8_t k[NOISE_KEYLEN];
	uint64_t n;
	uint64_t rekey_interval; /* 0: never; else rekey every this many */
	int has_key;
};

struct noise_hs;

/*
 * Create a handshake for protocol_name ("Noise_XX_25519_ChaChaPoly_BLAKE2b").
 * NULL with *cause set (caller frees) for an unsupported name.
 */
struct noise_hs *noise_hs_create(const char *protocol_name,
    enum noise_role role, const uint8_t *prologue, size_t prologue_len,
    char **cause);
void noise_hs_free(struct noise_hs *);

/* Local static private key; the public key is derived. */
void noise_hs_set_s(struct noise_hs *, const uint8_t sk[NOISE_KEYLEN]);
/* Fixed local ephemeral private key (test vectors only). */
void noise_hs_set_e(struct noise_hs *, const uint8_t sk[NOISE_KEYLEN]);
/* Remote static public key known in advance (K, IK, NK, ...). */
void noise_hs_set_rs(struct noise_hs *, const uint8_t pk[NOISE_KEYLEN]);
/* Pre-shared keys, in the order of the psk tokens; -1 if too many. */
int noise_hs_add_psk(struct noise_hs *, const uint8_t psk[NOISE_KEYLEN]);

/* Check that the keys the pattern needs are set and process the
 * pre-messages. -1 with *cause if something is missing. */
int noise_hs_start(struct noise_hs *, char **cause);

enum noise_action noise_hs_action(const struct noise_hs *);

/*
 * Write the next handshake message with payload into out (capacity cap);
 * *outlen receives its length. -1 on error (wrong turn, too long,
 * DH failure): the handshake is then FAILED.
 */
int noise_hs_write(struct noise_hs *, const uint8_t *payload, size_t len,
    uint8_t *out, size_t cap, size_t *outlen);
/*
 * Read a handshake message; the decrypted payload goes to payload
 * (capacity cap), its length to *paylen. -1 on any failure (short,
 * bad tag, low-order point, too long): the handshake is then FAILED.
 */
int noise_hs_read(struct noise_hs *, const uint8_t *msg, size_t len,
    uint8_t *payload, size_t cap, size_t *paylen);

/* The handshake hash h (valid after the last message: the session id). */
void noise_hs_hash(const struct noise_hs *, uint8_t out[NOISE_HASHLEN]);
/* The remote static public key, or NULL if not (yet) known or FAILED. */
const uint8_t *noise_hs_remote_static(const struct noise_hs *);
/* The local static public key, or NULL if none. */
const uint8_t *noise_hs_local_static(const struct noise_hs *);

/*
 * Split into transport ciphers: tx for sending, rx for receiving (already
 * swapped for the responder). Only in state SPLIT. Both get
 * rekey_interval 0; the caller may set it.
 */
int noise_hs_split(
    struct noise_hs *, struct noise_cipher *tx, struct noise_cipher *rx);

/*
 * Transport encryption: out receives len + NOISE_TAGLEN bytes. -1 if the
 * nonce is exhausted (never wraps). Rekeys after every rekey_interval
 * messages if set.
 */
int noise_cipher_encrypt(struct noise_cipher *, const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t len, uint8_t *out);
/* out receives len - NOISE_TAGLEN bytes; -1 on a bad tag or short input
 * (the nonce is not advanced on failure). */
int noise_cipher_decrypt(struct noise_cipher *, const uint8_t *ad, size_t adlen,
    const uint8_t *in, size_t len, uint8_t *out);
/* REKEY() from the Noise specification. */
void noise_cipher_rekey(struct noise_cipher *);
void noise_cipher_wipe(struct noise_cipher *);

#endif
