/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench_noise: Noise_XX handshakes per second in one process, no I/O.
 *
 * Each iteration does what two p2ptui peers do with src/noise.h: create an
 * initiator and a responder for PROTO_NOISE with PROTO_PROLOGUE and their
 * static keys, run the three messages with p2ptui's payloads (empty, then
 * proto_hs_payload_encode() twice), split both sides, check that the
 * transport keys agree, free. One thread plays both roles, so one
 * "handshake" here costs the CPU of both ends: a responder alone needs
 * about half of it.
 *
 * For scale it also times the libsodium primitive all of this rests on,
 * X25519 (crypto_scalarmult and crypto_scalarmult_base), so a handshake
 * can be read as "so many scalar multiplications".
 *
 *   bench_noise [SECONDS]      (default 2 for the handshakes)
 *
 * Output: "RESULT key value" lines on stdout (see bench/run.sh).
 */
#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "noise.h"
#include "proto.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void __attribute__((noreturn)) fail(const char *what)
{
	fprintf(stderr, "bench_noise: %s\n", what);
	exit(1);
}

static struct noise_hs *
hs_new(enum noise_role role, const uint8_t *sk)
{
	struct noise_hs *hs;
	char *cause;

	hs = noise_hs_create(PROTO_NOISE, role, (const uint8_t *)PROTO_PROLOGUE,
	    strlen(PROTO_PROLOGUE), &cause);
	if (hs == NULL)
		fail(cause);
	noise_hs_set_s(hs, sk);
	if (noise_hs_start(hs, &cause) == -1)
		fail(cause);
	return hs;
}

/* One XX handshake between two fresh states, as p2ptui runs it. */
static void
handshake(const uint8_t *isk, const uint8_t *rsk)
{
	struct noise_hs *i, *r;
	struct noise_cipher itx, irx, rtx, rrx;
	uint8_t payload[PROTO_HS_PAYLOAD_LEN], msg[256], got[64];
	size_t len, plen;

	proto_hs_payload_encode(payload);
	i = hs_new(NOISE_INITIATOR, isk);
	r = hs_new(NOISE_RESPONDER, rsk);
	if (noise_hs_write(i, NULL, 0, msg, sizeof msg, &len) == -1 ||
	    noise_hs_read(r, msg, len, got, sizeof got, &plen) == -1)
		fail("message 1");
	if (noise_hs_write(r, payload, sizeof payload, msg, sizeof msg, &len) ==
	        -1 ||
	    noise_hs_read(i, msg, len, got, sizeof got, &plen) == -1 ||
	    plen != sizeof payload)
		fail("message 2");
	if (noise_hs_write(i, payload, sizeof payload, msg, sizeof msg, &len) ==
	        -1 ||
	    noise_hs_read(r, msg, len, got, sizeof got, &plen) == -1 ||
	    plen != sizeof payload)
		fail("message 3");
	if (noise_hs_split(i, &itx, &irx) == -1 ||
	    noise_hs_split(r, &rtx, &rrx) == -1)
		fail("split");
	if (memcmp(itx.k, rrx.k, sizeof itx.k) != 0 ||
	    memcmp(irx.k, rtx.k, sizeof irx.k) != 0)
		fail("transport keys differ");
	noise_hs_free(i);
	noise_hs_free(r);
	noise_cipher_wipe(&itx);
	noise_cipher_wipe(&irx);
	noise_cipher_wipe(&rtx);
	noise_cipher_wipe(&rrx);
}

/* Microseconds per call of X25519 (base != 0: with the base point). */
static double
x25519_us(int base)
{
	uint8_t sk[32], pk[32], out[32];
	double t0, t;
	unsigned long n = 0, k;

	randombytes_buf(sk, sizeof sk);
	crypto_scalarmult_base(pk, sk);
	t0 = now_s();
	do {
		for (k = 0; k < 200; k++) {
			if (base)
				crypto_scalarmult_base(out, sk);
			else if (crypto_scalarmult(out, sk, pk) != 0)
				fail("x25519");
			sk[0] ^= out[0];
		}
		n += k;
	} while ((t = now_s() - t0) < 0.3);
	return t * 1e6 / (double)n;
}

int
main(int argc, char **argv)
{
	uint8_t isk[NOISE_KEYLEN], rsk[NOISE_KEYLEN];
	double secs = argc > 1 ? atof(argv[1]) : 2.0, t0, t;
	unsigned long n = 0, k;

	if (sodium_init() < 0)
		fail("sodium_init");
	randombytes_buf(isk, sizeof isk);
	randombytes_buf(rsk, sizeof rsk);
	for (k = 0; k < 50; k++)
		handshake(isk, rsk); /* warm up */
	t0 = now_s();
	do {
		for (k = 0; k < 50; k++)
			handshake(isk, rsk);
		n += k;
	} while ((t = now_s() - t0) < secs);
	printf("RESULT noise_hs_per_s %.0f\n", (double)n / t);
	printf("RESULT noise_hs_us %.1f\n", t * 1e6 / (double)n);
	printf("RESULT x25519_us %.1f\n", x25519_us(0));
	printf("RESULT x25519_base_us %.1f\n", x25519_us(1));
	return 0;
}
