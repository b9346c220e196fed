/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer harness: the LAN beacon decoder fed datagrams from anyone on
 * the network (doc/PROTOCOL.md section 15).
 *
 * The input, copied to an exactly sized allocation so that over-reads are
 * seen by AddressSanitizer, is one datagram. What decodes is exactly 44
 * bytes (contacts) or 77 + n (public), with a port that is not 0, no
 * unknown flag, and a printable, NUL-terminated nick of at most 32
 * bytes; a public one names the key its tag is made with, and encodes
 * back to the very same bytes (the format has one form per beacon).
 *
 * The input's first 32 bytes also serve as a key: a beacon made with it
 * from the input's fields (a public one with the rest as a nick, cut to
 * 32 bytes) must decode, carry the same fields, and be recognised as
 * that key's and no other's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "lan.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (ident_init() != 0)
		abort();
	return 0;
}

/* A decoded beacon's fields are what the format allows. */
static void
fuzz_check_decoded(const uint8_t *buf, size_t len, const struct lan_beacon *b)
{
	uint8_t again[LAN_BEACON_MAX];
	size_t n = strlen(b->nick);

	if (b->port == 0 || (b->flags & ~LAN_FLAG_PUBLIC) != 0 ||
	    n > LAN_NICK_MAX ||
	    !util_utf8_printable((const uint8_t *)b->nick, n))
		abort();
	if (!(b->flags & LAN_FLAG_PUBLIC)) {
		if (len != LAN_BEACON_LEN || n != 0)
			abort();
		return;
	}
	if (len != LAN_BEACON_LEN + LAN_KEY_LEN + 1 + n ||
	    !lan_beacon_from(buf, b->key))
		abort();
	if (lan_beacon_encode(b->key, b->flags, b->port, b->window, b->nonce,
	        b->nick, again) != len ||
	    memcmp(again, buf, len) != 0)
		abort();
}

/* A beacon made from the input's bytes decodes to what went in. */
static void
fuzz_round_trip(const uint8_t *data, size_t size)
{
	uint8_t key[LAN_KEY_LEN], other[LAN_KEY_LEN], nonce[LAN_NONCE_LEN];
	uint8_t raw[LAN_BEACON_MAX];
	char nick[LAN_NICK_MAX + 8];
	struct lan_beacon b;
	uint8_t flags;
	uint16_t port;
	uint32_t window;
	size_t len, n;

	if (size < LAN_KEY_LEN + LAN_NONCE_LEN + 7)
		return;
	memcpy(key, data, LAN_KEY_LEN);
	memcpy(nonce, data + LAN_KEY_LEN, LAN_NONCE_LEN);
	data += LAN_KEY_LEN + LAN_NONCE_LEN;
	size -= LAN_KEY_LEN + LAN_NONCE_LEN;
	flags = data[0] & LAN_FLAG_PUBLIC;
	port = (uint16_t)(data[1] << 8 | data[2]);
	window = (uint32_t)data[3] << 24 | (uint32_t)data[4] << 16 |
	    (uint32_t)data[5] << 8 | data[6];
	data += 7;
	size -= 7;
	/* The nick: the printable prefix of the rest, at most its room. */
	n = size < sizeof nick - 1 ? size : sizeof nick - 1;
	while (n > 0 && !util_utf8_printable(data, n))
		n--;
	memcpy(nick, data, n);
	nick[n] = '\0';
	if (port == 0)
		port = 1;
	len = lan_beacon_encode(key, flags, port, window, nonce, nick, raw);
	if (lan_beacon_decode(raw, len, &b) == -1 || b.flags != flags ||
	    b.port != port || b.window != window ||
	    memcmp(b.nonce, nonce, LAN_NONCE_LEN) != 0 ||
	    !lan_beacon_from(raw, key))
		abort();
	if (flags & LAN_FLAG_PUBLIC) {
		/* The nick, or the longest whole characters of it that fit. */
		n = strlen(b.nick);
		if (memcmp(b.key, key, LAN_KEY_LEN) != 0 ||
		    memcmp(b.nick, nick, n) != 0 ||
		    (strlen(nick) <= LAN_NICK_MAX ? n != strlen(nick)
		                                  : n + 4 <= LAN_NICK_MAX))
			abort();
	}
	memcpy(other, key, LAN_KEY_LEN);
	other[0] ^= 1;
	if (lan_beacon_from(raw, other))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lan_beacon b;
	uint8_t *copy;

	copy = malloc(size > 0 ? size : 1);
	if (copy == NULL)
		abort();
	memcpy(copy, data, size);
	if (lan_beacon_decode(copy, size, &b) == 0)
		fuzz_check_decoded(copy, size, &b);
	free(copy);
	fuzz_round_trip(data, size);
	return 0;
}
