/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer harness: a Noise_XX responder fed attacker bytes.
 *
 * The input is a sequence of chunks, each a 2-byte big-endian length and
 * that many bytes (a length beyond the end takes what is left). Chunk 1
 * is handshake message 1; the responder then writes message 2; chunk 2
 * is message 3; every further chunk is a transport frame, decrypted and,
 * if authentic, echoed back encrypted. The responder's static and
 * ephemeral keys are fixed so that message 2 is reproducible and a seed
 * holding a complete valid session can reach the transport code.
 * Chunks are copied to exactly sized allocations so that over-reads are
 * seen by AddressSanitizer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "noise.h"

#define FUZZ_PROTOCOL "Noise_XX_25519_ChaChaPoly_BLAKE2b"
#define FUZZ_PROLOGUE "p2ptui fuzz"
#define FUZZ_REPLY "fuzz reply"
#define FUZZ_REKEY 3

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t fuzz_resp_s[NOISE_KEYLEN] = {
	0x52,
	0x45,
	0x53,
	0x50,
	0x4f,
	0x4e,
	0x44,
	0x45,
	0x52,
	0x2d,
	0x53,
	0x54,
	0x41,
	0x54,
	0x49,
	0x43,
	0x2d,
	0x4b,
	0x45,
	0x59,
	0x2d,
	0x46,
	0x4f,
	0x52,
	0x2d,
	0x46,
	0x55,
	0x5a,
	0x5a,
	0x49,
	0x4e,
	0x47,
};
static const uint8_t fuzz_resp_e[NOISE_KEYLEN] = {
	0x65,
	0x70,
	0x68,
	0x65,
	0x6d,
	0x65,
	0x72,
	0x61,
	0x6c,
	0x2d,
	0x6b,
	0x65,
	0x79,
	0x2d,
	0x66,
	0x6f,
	0x72,
	0x2d,
	0x66,
	0x75,
	0x7a,
	0x7a,
	0x69,
	0x6e,
	0x67,
	0x2d,
	0x6f,
	0x6e,
	0x6c,
	0x79,
	0x21,
	0x21,
};

/* Next chunk as an exactly sized copy (caller frees); NULL at the end. */
static uint8_t *
fuzz_chunk(const uint8_t **data, size_t *size, size_t *len)
{
	uint8_t *chunk;
	size_t n;

	if (*size < 2)
		return NULL;
	n = (size_t)(*data)[0] << 8 | (*data)[1];
	*data += 2;
	*size -= 2;
	if (n > *size)
		n = *size;
	if ((chunk = malloc(n != 0 ? n : 1)) == NULL)
		abort();
	if (n != 0)
		memcpy(chunk, *data, n);
	*data += n;
	*size -= n;
	*len = n;
	return chunk;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct noise_hs *hs;
	struct noise_cipher tx, rx;
	uint8_t *chunk, *buf, *out;
	size_t len, n, m;
	uint64_t before;

	if (sodium_init() < 0)
		abort();
	memset(&tx, 0, sizeof tx);
	memset(&rx, 0, sizeof rx);
	if ((buf = malloc(NOISE_MAX_MSG)) == NULL ||
	    (out = malloc(NOISE_MAX_MSG)) == NULL)
		abort();

	hs = noise_hs_create(FUZZ_PROTOCOL, NOISE_RESPONDER,
	    (const uint8_t *)FUZZ_PROLOGUE, strlen(FUZZ_PROLOGUE), NULL);
	if (hs == NULL)
		abort();
	noise_hs_set_s(hs, fuzz_resp_s);
	noise_hs_set_e(hs, fuzz_resp_e);
	if (noise_hs_start(hs, NULL) != 0)
		abort();

	/* Message 1. */
	if ((chunk = fuzz_chunk(&data, &size, &len)) == NULL)
		goto out;
	if (noise_hs_read(hs, chunk, len, buf, NOISE_MAX_MSG, &m) != 0) {
		free(chunk);
		if (noise_hs_action(hs) != NOISE_ACTION_FAILED)
			abort();
		goto out;
	}
	free(chunk);
	if (m > len || noise_hs_action(hs) != NOISE_ACTION_WRITE)
		abort();

	/* Message 2. */
	if (noise_hs_write(hs, (const uint8_t *)FUZZ_REPLY, strlen(FUZZ_REPLY),
	        out, NOISE_MAX_MSG, &n) != 0)
		abort();

	/* Message 3. */
	if ((chunk = fuzz_chunk(&data, &size, &len)) == NULL)
		goto out;
	if (noise_hs_read(hs, chunk, len, buf, NOISE_MAX_MSG, &m) != 0) {
		free(chunk);
		if (noise_hs_action(hs) != NOISE_ACTION_FAILED ||
		    noise_hs_remote_static(hs) != NULL)
			abort();
		goto out;
	}
	free(chunk);
	if (noise_hs_action(hs) != NOISE_ACTION_SPLIT ||
	    noise_hs_remote_static(hs) == NULL)
		abort();
	if (noise_hs_split(hs, &tx, &rx) != 0)
		abort();
	tx.rekey_interval = rx.rekey_interval = FUZZ_REKEY;

	/* Transport frames. */
	while ((chunk = fuzz_chunk(&data, &size, &len)) != NULL) {
		before = rx.n;
		if (noise_cipher_decrypt(&rx, NULL, 0, chunk, len, buf) != 0) {
			if (rx.n != before)
				abort();
		} else {
			if (len < NOISE_TAGLEN || rx.n != before + 1)
				abort();
			if (noise_cipher_encrypt(&tx, NULL, 0, buf,
			        len - NOISE_TAGLEN, out) != 0)
				abort();
		}
		free(chunk);
	}

out:
	noise_hs_free(hs);
	noise_cipher_wipe(&tx);
	noise_cipher_wipe(&rx);
	free(buf);
	free(out);
	return 0;
}
