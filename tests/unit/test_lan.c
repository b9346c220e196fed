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
		cmocka_unit_test(test_rejects),
	};

	if (ident_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
