/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * LAN discovery beacons: their encoding and the tag that only contacts
 * recognise (doc/PROTOCOL.md section 15).
 *
 *   magic "p2pL" | version 1 | flags | port u16 | window u32 |
 *   nonce[16] | tag[16]                                     44 bytes
 *   public beacons add: key[32] | nick length u8 | nick    <= 109 bytes
 *
 * tag = BLAKE2b-128(key = the sender's static public key,
 *                   "p2ptui lan v1" || the 28 bytes before the tag)
 *
 * A contact recomputes the tag for each key it knows. The nonce is fresh
 * in every beacon, so two beacons of one sender look unrelated to anyone
 * who does not know its key; the window bounds how long a captured
 * beacon can be replayed (which only makes us dial the replayer, whose
 * Noise handshake then fails).
 */
#include <string.h>

#include "ident.h"
#include "lan.h"
#include "util.h"

static const uint8_t lan_magic[4] = { 'p', '2', 'p', 'L' };
static const char lan_label[] = "p2ptui lan v1";

#define LAN_SIGNED_LEN (LAN_BEACON_LEN - LAN_TAG_LEN)

static void
lan_tag(const uint8_t *raw, const uint8_t key[LAN_KEY_LEN],
    uint8_t tag[LAN_TAG_LEN])
{
	struct ident_part parts[] = {
		{ lan_label, sizeof lan_label - 1 },
		{ raw, LAN_SIGNED_LEN },
	};

	ident_mac(tag, LAN_TAG_LEN, key, LAN_KEY_LEN, parts, 2);
}

size_t
lan_beacon_encode(const uint8_t key[LAN_KEY_LEN], uint8_t flags, uint16_t port,
    uint32_t window, const uint8_t nonce[LAN_NONCE_LEN], const char *nick,
    uint8_t out[LAN_BEACON_MAX])
{
	size_t len = LAN_BEACON_LEN, n;

	memcpy(out, lan_magic, 4);
	out[4] = LAN_VERSION;
	out[5] = flags;
	out[6] = (uint8_t)(port >> 8);
	out[7] = (uint8_t)port;
	out[8] = (uint8_t)(window >> 24);
	out[9] = (uint8_t)(window >> 16);
	out[10] = (uint8_t)(window >> 8);
	out[11] = (uint8_t)window;
	memcpy(out + 12, nonce, LAN_NONCE_LEN);
	lan_tag(out, key, out + LAN_SIGNED_LEN);
	if (flags & LAN_FLAG_PUBLIC) {
		n = nick != NULL ? strlen(nick) : 0;
		if (n > LAN_NICK_MAX)
			n = LAN_NICK_MAX;
		memcpy(out + len, key, LAN_KEY_LEN);
		len += LAN_KEY_LEN;
		out[len++] = (uint8_t)n;
		memcpy(out + len, nick, n);
		len += n;
	}
	return len;
}

int
lan_beacon_decode(const uint8_t *buf, size_t len, struct lan_beacon *b)
{
	size_t n;

	if (len < LAN_BEACON_LEN || memcmp(buf, lan_magic, 4) != 0 ||
	    buf[4] != LAN_VERSION || (buf[5] & ~LAN_FLAG_PUBLIC) != 0)
		return -1;
	memset(b, 0, sizeof *b);
	b->flags = buf[5];
	b->port = (uint16_t)(buf[6] << 8 | buf[7]);
	b->window = (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 |
	    (uint32_t)buf[10] << 8 | buf[11];
	memcpy(b->nonce, buf + 12, LAN_NONCE_LEN);
	memcpy(b->tag, buf + LAN_SIGNED_LEN, LAN_TAG_LEN);
	if (b->port == 0)
		return -1;
	if (!(b->flags & LAN_FLAG_PUBLIC))
		return len == LAN_BEACON_LEN ? 0 : -1;
	if (len < LAN_BEACON_LEN + LAN_KEY_LEN + 1)
		return -1;
	memcpy(b->key, buf + LAN_BEACON_LEN, LAN_KEY_LEN);
	n = buf[LAN_BEACON_LEN + LAN_KEY_LEN];
	if (n > LAN_NICK_MAX || len != LAN_BEACON_LEN + LAN_KEY_LEN + 1 + n ||
	    !util_utf8_printable(buf + LAN_BEACON_LEN + LAN_KEY_LEN + 1, n))
		return -1;
	memcpy(b->nick, buf + LAN_BEACON_LEN + LAN_KEY_LEN + 1, n);
	b->nick[n] = '\0';
	/* The key a public beacon names must be the one its tag is from. */
	if (!lan_beacon_from(buf, b->key))
		return -1;
	return 0;
}

int
lan_beacon_from(const uint8_t *raw, const uint8_t key[LAN_KEY_LEN])
{
	uint8_t tag[LAN_TAG_LEN];

	lan_tag(raw, key, tag);
	return ident_mem_equal(tag, raw + LAN_SIGNED_LEN, LAN_TAG_LEN);
}
