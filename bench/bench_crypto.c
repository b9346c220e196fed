/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench_crypto: the limit a file transfer is measured against, one core's
 * ChaCha20-Poly1305 plus BLAKE2b. Every byte a receiver saves has been
 * decrypted once (the Noise transport, src/noise.h) and hashed once into
 * its Merkle leaf (src/merkle.h); nothing else it does is cryptography.
 * This times exactly those two passes, through the same functions, over
 * pieces of XFER_PIECE bytes in leaves of MERKLE_LEAF, in one thread with
 * no I/O. It seals (the sender's pass), which costs what opening does.
 *
 *   bench_crypto [SECONDS]      (default 2)
 *
 * Output: "RESULT xfer_crypto_mb_per_s N" (MB = 10^6 bytes) on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ident.h"
#include "merkle.h"
#include "noise.h"

#define PIECE (60 * 1024) /* xfer.c's XFER_PIECE */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static uint8_t plain[PIECE], sealed[PIECE + NOISE_TAGLEN];
	struct noise_cipher tx;
	struct merkle_leaf_state ls;
	uint8_t leaf[MERKLE_HASHLEN];
	double secs = argc > 1 ? atof(argv[1]) : 2, t0, t;
	uint64_t bytes = 0, index = 0;
	size_t in_leaf = 0;

	/* As p2ptui does: without it, libsodium keeps its portable code. */
	if (ident_init() == -1) {
		fprintf(
		    stderr, "bench_crypto: libsodium cannot be initialised\n");
		return 1;
	}
	memset(&tx, 0, sizeof tx);
	memset(tx.k, 0x5a, sizeof tx.k);
	tx.has_key = 1;
	memset(plain, 0xa5, sizeof plain);
	merkle_leaf_begin(&ls, index);
	t0 = now_s();
	do {
		if (noise_cipher_encrypt(&tx, NULL, 0, plain, PIECE, sealed) ==
		    -1) {
			fprintf(stderr, "bench_crypto: cipher failed\n");
			return 1;
		}
		merkle_leaf_update(&ls, plain, PIECE);
		if ((in_leaf += PIECE) >= MERKLE_LEAF) {
			merkle_leaf_end(&ls, leaf);
			merkle_leaf_begin(&ls, ++index);
			in_leaf = 0;
		}
		bytes += PIECE;
	} while ((t = now_s() - t0) < secs);
	printf("RESULT xfer_crypto_mb_per_s %.0f\n", (double)bytes / 1e6 / t);
	return 0;
}
