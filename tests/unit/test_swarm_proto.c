/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the swarm message codec (src/swarm_proto.c): the worked
 * example of doc/PROTOCOL.md section 17.6 byte for byte (the file of
 * 524289 zero bytes of section 13.5, whose leaf 2 verifies with the
 * CHUNK's proof), every message round trip, and each way a message can
 * be malformed, which the encoder refuses too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "merkle.h"
#include "swarm_proto.h"

#define ROOT "c0d1f8fd14c6b1c4dcf19f752bb695ec15bc579728220d9e9ca211d225774a71"
#define NODE01 \
	"196af434ed2ff88c9548786aea61e37c51974f4f1c2b767f7b60619979b11f8a"
#define SIZE 524289 /* 2 * 262144 + 1 */

static struct swarm_msg m, d;
static uint8_t out[SWARM_MSG_MAX + 16];

static size_t
hex(const char *s, uint8_t *o)
{
	size_t n = 0;
	unsigned int v;

	for (; *s != '\0'; s++) {
		if (*s == ' ')
			continue;
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		o[n++] = (uint8_t)v;
		s++;
	}
	return n;
}

/* m encodes to want (hex), which decodes back to the same fields. */
static void
check(const char *want)
{
	static uint8_t w[256]; /* d points into it afterwards */
	size_t n = hex(want, w), len;
	const char *why;

	len = swarm_proto_encode(&m, out, sizeof out);
	assert_int_equal(len, n);
	assert_memory_equal(out, w, n);
	assert_int_equal(swarm_proto_decode(w, n, &d, &why), 0);
	assert_null(why);
	assert_int_equal(d.type, m.type);
	assert_memory_equal(d.root, m.root, SWARM_ROOTLEN);
	assert_int_equal(d.index, m.index);
	assert_int_equal(d.size, m.size);
	assert_int_equal(d.kind, m.kind);
	assert_int_equal(d.n, m.n);
}

static void
reset(uint8_t type)
{
	memset(&m, 0, sizeof m);
	m.type = type;
	hex(ROOT, m.root);
}

static void
test_example(void **state)
{
	uint8_t proof[1][MERKLE_HASHLEN], zero[1] = { 0 };
	const uint8_t bits[] = { 0x05 };
	const char *why;

	(void)state;
	reset(SWARM_MSG_WANT);
	check("50" ROOT);
	reset(SWARM_MSG_MAP);
	m.size = SIZE;
	m.kind = SWARM_MAP_ALL;
	check("51" ROOT "0000000000080001 01");
	m.kind = SWARM_MAP_BITS;
	m.bits = bits;
	m.nbits = 1;
	check("51" ROOT "0000000000080001 02 0000000000000000 05");
	m.kind = SWARM_MAP_NONE;
	m.bits = NULL;
	m.nbits = 0;
	check("51" ROOT "0000000000080001 00");
	reset(SWARM_MSG_HAVE);
	m.n = 1;
	m.have[0] = 1;
	check("52" ROOT "0001 0000000000000001");
	reset(SWARM_MSG_REQUEST);
	m.index = 2;
	check("53" ROOT "0000000000000002");
	reset(SWARM_MSG_CHUNK);
	m.index = 2;
	hex(NODE01, proof[0]);
	m.nproof = 1;
	m.proof = proof[0];
	m.data = zero;
	m.datalen = 1;
	check("54" ROOT "0000000000000002 00000000 01" NODE01 "00");
	assert_int_equal(d.datalen, 1);
	assert_int_equal(d.nproof, 1);
	/* The leaf verifies with the CHUNK alone. */
	assert_true(merkle_verify_chunk(m.root, SIZE, d.index, d.data,
	    d.datalen, (const uint8_t(*)[MERKLE_HASHLEN])d.proof, d.nproof));
	reset(SWARM_MSG_CANCEL);
	m.index = 2;
	m.reason = SWARM_CANCEL_WITHDRAWN;
	check("55" ROOT "0000000000000002 00");
	m.reason = SWARM_CANCEL_BUSY;
	check("55" ROOT "0000000000000002 01");
	(void)why;
}

/* hex does not decode, for the reason want (a part of *why). */
static void
bad(const char *h, const char *want)
{
	uint8_t w[512];
	size_t n = hex(h, w);
	const char *why = NULL;

	if (swarm_proto_decode(w, n, &d, &why) != -1)
		fail_msg("decoded: %s", h);
	assert_non_null(why);
	if (strstr(why, want) == NULL)
		fail_msg("'%s' for %s, want '%s'", why, h, want);
}

static void
test_malformed(void **state)
{
	(void)state;
	bad("50", "wrong length");
	bad("50" ROOT "00", "wrong length");
	bad("56" ROOT, "reserved");
	bad("5f" ROOT, "reserved");
	bad("10" ROOT, "reserved");
	/* MAP */
	bad("51" ROOT "0000000000080001", "wrong length");
	bad("51" ROOT "0000000000080001 03", "kind");
	bad("51" ROOT "4000000000000001 01", "size");
	bad("51" ROOT "0000000000080001 01 00", "wrong length");
	bad("51" ROOT "0000000000080001 02 0000000000000000", "length");
	bad("51" ROOT "0000000000080001 02 0000000000000000 0d",
	    "past the end"); /* leaf 3 of 3 */
	bad("51" ROOT "0000000000080001 02 0000000000000000 0500",
	    "wrong length"); /* a byte past the last leaf's */
	bad("51" ROOT "0000000000080001 02 0000000000000008 01",
	    "wrong leaf"); /* start at or past the count */
	bad("51" ROOT "0000000001000000 02 0000000000000004 01",
	    "wrong leaf"); /* start not a multiple of 8 */
	/* HAVE */
	bad("52" ROOT "0000", "count");
	bad("52" ROOT "0401", "count");
	bad("52" ROOT "0001", "wrong length");
	bad("52" ROOT "0002 0000000000000002 0000000000000002",
	    "not increasing");
	bad("52" ROOT "0001 0000100000000000", "out of range");
	/* REQUEST, CANCEL */
	bad("53" ROOT "0000100000000000", "out of range");
	bad("53" ROOT "00000000000000", "wrong length");
	bad("55" ROOT "0000000000000002", "wrong length");
	bad("55" ROOT "0000000000000002 03", "reason");
	/* CHUNK */
	bad("54" ROOT "0000000000000002 00000000 00", "beyond");
	bad("54" ROOT "0000000000000002 00000000 01 00", "wrong length");
	bad("54" ROOT "0000000000000002 00000000 41 00", "wrong length");
	bad("54" ROOT "0000000000000002 00000001 01" NODE01 "00",
	    "proof in a piece");
	bad("54" ROOT "0000000000000002 00040000 00 00", "beyond");
	bad("54" ROOT "0000100000000000 00000000 00 00", "out of range");
}

static void
test_limits(void **state)
{
	static uint8_t buf[SWARM_MSG_MAX + 1], bits[SWARM_MAP_BYTES_MAX + 1];
	const char *why;
	size_t i;

	(void)state;
	/* A whole leaf's worth of HAVE, and one more. */
	reset(SWARM_MSG_HAVE);
	m.n = SWARM_HAVE_MAX;
	for (i = 0; i < SWARM_HAVE_MAX; i++)
		m.have[i] = 3 * i;
	assert_int_equal(swarm_proto_encode(&m, out, sizeof out),
	    1 + 32 + 2 + 8 * SWARM_HAVE_MAX);
	assert_int_equal(
	    swarm_proto_decode(out, 1 + 32 + 2 + 8 * SWARM_HAVE_MAX, &d, &why),
	    0);
	assert_int_equal(d.have[SWARM_HAVE_MAX - 1], 3 * (SWARM_HAVE_MAX - 1));
	m.n = SWARM_HAVE_MAX + 1;
	assert_int_equal(swarm_proto_encode(&m, out, sizeof out), 0);

	/* The largest bitfield, from leaf 8; one byte more is refused. */
	reset(SWARM_MSG_MAP);
	m.size = SWARM_SIZE_MAX;
	m.kind = SWARM_MAP_BITS;
	m.start = 8;
	m.bits = bits;
	memset(bits, 0xff, sizeof bits);
	m.nbits = SWARM_MAP_BYTES_MAX;
	assert_int_not_equal(swarm_proto_encode(&m, out, sizeof out), 0);
	m.nbits++;
	assert_int_equal(swarm_proto_encode(&m, out, sizeof out), 0);
	/* A file of 9 leaves: the second byte has one bit. */
	m.size = 9 * 262144;
	m.start = 8;
	m.nbits = 1;
	bits[0] = 1;
	assert_int_not_equal(swarm_proto_encode(&m, out, sizeof out), 0);
	bits[0] = 3;
	assert_int_equal(swarm_proto_encode(&m, out, sizeof out), 0);

	/* A CHUNK fills a frame: 60 KiB with 64 proof hashes fit. */
	reset(SWARM_MSG_CHUNK);
	m.nproof = SWARM_PROOF_MAX;
	m.proof = buf;
	m.data = buf;
	m.datalen = SWARM_MSG_MAX - SWARM_CHUNK_HDR - 64 * 32;
	assert_true(m.datalen >= 60 * 1024);
	assert_int_equal(
	    swarm_proto_encode(&m, out, sizeof out), SWARM_MSG_MAX);
	assert_int_equal(swarm_proto_decode(out, SWARM_MSG_MAX, &d, &why), 0);
	m.datalen++;
	assert_int_equal(swarm_proto_encode(&m, out, sizeof out), 0);
	m.datalen--;
	assert_int_equal(swarm_proto_encode(&m, out, SWARM_MSG_MAX - 1), 0);
	memset(buf, 0, sizeof buf);
	buf[0] = SWARM_MSG_CHUNK;
	assert_int_equal(swarm_proto_decode(buf, sizeof buf, &d, &why), -1);

	assert_true(swarm_proto_is(0x50));
	assert_true(swarm_proto_is(0x5f));
	assert_false(swarm_proto_is(0x4f));
	assert_false(swarm_proto_is(0x60));
	assert_int_equal(swarm_proto_leaves(0), 0);
	assert_int_equal(swarm_proto_leaves(1), 1);
	assert_int_equal(swarm_proto_leaves(262144), 1);
	assert_int_equal(swarm_proto_leaves(SIZE), 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
