/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * LAN beacons: the encoding to the byte, the tag only the owner's
 * contacts recognise, and every rejection of the decoder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ident.h"
#include "lan.h"

static const uint8_t key_a[LAN_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
static const uint8_t key_b[LAN_KEY_LEN] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
static const uint8_t nonce[LAN_NONCE_LEN] = { 0xaa, 0xbb, 0xcc };

static void
test_contacts_beacon(void **state)
{
	uint8_t raw[LAN_BEACON_MAX];
	struct lan_beacon b;
	size_t len;

	(void)state;
	len = lan_beacon_encode(key_a, 0, 7070, 2947000, nonce, "ignored", raw);
	assert_int_equal(len, LAN_BEACON_LEN);
	assert_memory_equal(raw, "p2pL\x01\x00\x1b\x9e\x00\x2c\xf7\xb8", 12);
	assert_memory_equal(raw + 12, nonce, LAN_NONCE_LEN);
	assert_int_equal(lan_beacon_decode(raw, len, &b), 0);
	assert_int_equal(b.flags, 0);
	assert_int_equal(b.port, 7070);
	assert_int_equal(b.window, 2947000);
	assert_string_equal(b.nick, "");
	assert_true(lan_beacon_from(raw, key_a));
	assert_false(lan_beacon_from(raw, key_b));
	/* Any change to the signed bytes breaks the tag. */
	raw[7] ^= 1;
	assert_false(lan_beacon_from(raw, key_a));
}

static void
test_public_beacon(void **state)
{
	uint8_t raw[LAN_BEACON_MAX];
	struct lan_beacon b;
	size_t len;

	(void)state;
	len = lan_beacon_encode(
	    key_a, LAN_FLAG_PUBLIC, 7070, 1, nonce, "alice", raw);
	assert_int_equal(len, LAN_BEACON_LEN + LAN_KEY_LEN + 1 + 5);
	assert_int_equal(lan_beacon_decode(raw, len, &b), 0);
	assert_memory_equal(b.key, key_a, LAN_KEY_LEN);
	assert_string_equal(b.nick, "alice");
	/* The key must be the one the tag is from. */
	memcpy(raw + LAN_BEACON_LEN, key_b, LAN_KEY_LEN);
	assert_int_equal(lan_beacon_decode(raw, len, &b), -1);
}

/* The worked example of doc/PROTOCOL.md section 15, byte for byte. */
static void
test_doc_example(void **state)
{
	static const uint8_t want[] = { 0x70, 0x32, 0x70, 0x4c, 0x01, 0x01,
		0x1b, 0x9e, 0x00, 0x2c, 0xf7, 0xb8, 0xa0, 0xa1, 0xa2, 0xa3,
		0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad,
		0xae, 0xaf, 0xe0, 0xaa, 0x87, 0xa8, 0xa3, 0xd2, 0xb8, 0x4a,
		0xb1, 0xec, 0x4f, 0xe0, 0x84, 0x4d, 0x99, 0x5e };
	static const uint8_t tag[] = { 0x37, 0xb4, 0x8e, 0x4a, 0x05, 0x80, 0x20,
		0xdd, 0x23, 0x3e, 0x65, 0x47, 0x10, 0xe5, 0xa4, 0xec };
	uint8_t key[LAN_KEY_LEN], n[LAN_NONCE_LEN], raw[LAN_BEACON_MAX];
	size_t i, len;

	(void)state;
	for (i = 0; i < LAN_KEY_LEN; i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < LAN_NONCE_LEN; i++)
		n[i] = (uint8_t)(0xa0 + i);
	len = lan_beacon_encode(key, 0, 7070, 2947000, n, NULL, raw);
	assert_int_equal(len, LAN_BEACON_LEN);
	assert_memory_equal(raw + 28, tag, sizeof tag);
	len = lan_beacon_encode(
	    key, LAN_FLAG_PUBLIC, 7070, 2947000, n, "alice", raw);
	assert_int_equal(len, LAN_BEACON_LEN + LAN_KEY_LEN + 1 + 5);
	assert_memory_equal(raw, want, sizeof want);
	assert_memory_equal(raw + LAN_BEACON_LEN, key, LAN_KEY_LEN);
	assert_memory_equal(raw + LAN_BEACON_LEN + LAN_KEY_LEN, "\005alice", 6);
}

static void
test_rejects(void **state)
{
	uint8_t raw[LAN_BEACON_MAX + 1], bad[LAN_BEACON_MAX + 1];
	struct lan_beacon b;
	size_t len, i;

	(void)state;
	len = lan_beacon_encode(
	    key_a, LAN_FLAG_PUBLIC, 7070, 1, nonce, "bob", raw);
	/* Every shorter prefix and one byte more. */
	for (i = 0; i < len; i++)
		assert_int_equal(lan_beacon_decode(raw, i, &b), -1);
	raw[len] = 0;
	assert_int_equal(lan_beacon_decode(raw, len + 1, &b), -1);
	/* Magic, version, unknown flags, port 0, nick length, control
	 * characters in the nick. */
	static const struct {
		size_t at;
		uint8_t value;
	} edits[] = { { 0, 'P' }, { 4, 2 }, { 5, 0x03 }, { 6, 0 },
		{ LAN_BEACON_LEN + LAN_KEY_LEN, 4 },
		{ LAN_BEACON_LEN + LAN_KEY_LEN, 33 },
		{ LAN_BEACON_LEN + LAN_KEY_LEN + 1, '\n' } };
	for (i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		memcpy(bad, raw, len);
		bad[edits[i].at] = edits[i].value;
		if (edits[i].at == 6)
			bad[7] = 0;
		assert_int_equal(lan_beacon_decode(bad, len, &b), -1);
	}
	/* A contacts beacon with anything after it. */
	len = lan_beacon_encode(key_a, 0, 7070, 1, nonce, NULL, raw);
	assert_int_equal(lan_beacon_decode(raw, len + 1, &b), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_contacts_beacon),
		cmocka_unit_test(test_public_beacon),
		cmocka_unit_test(test_doc_example),
		cmocka_unit_test(test_rejects),
	};

	if (ident_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
