/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * LAN discovery (DESIGN.md section 13, doc/PROTOCOL.md section 15): UDP
 * beacons that only contacts recognise, sent on broadcast and multicast
 * at start and every 30 seconds. A recognised beacon only adds a
 * candidate address for that contact; Noise authenticates the session
 * as always. Beacons are never answered.
 */
#ifndef P2PTUI_LAN_H
#define P2PTUI_LAN_H

#include <stddef.h>
#include <stdint.h>

#include "feature.h"

#define LAN_PORT 47077 /* default UDP port of the beacons */
#define LAN_GROUP "239.255.70.77" /* the IPv4 multicast group */
#define LAN_VERSION 1
#define LAN_FLAG_PUBLIC 0x01
#define LAN_WINDOW_S 600 /* seconds per time window */
#define LAN_NONCE_LEN 16
#define LAN_TAG_LEN 16
#define LAN_KEY_LEN 32
#define LAN_NICK_MAX 32
#define LAN_BEACON_LEN 44 /* a contacts-only beacon */
#define LAN_BEACON_MAX (LAN_BEACON_LEN + LAN_KEY_LEN + 1 + LAN_NICK_MAX)

/* A decoded beacon. */
struct lan_beacon {
	uint8_t flags;
	uint16_t port; /* the sender's TCP listening port */
	uint32_t window; /* unix seconds / LAN_WINDOW_S */
	uint8_t nonce[LAN_NONCE_LEN];
	uint8_t tag[LAN_TAG_LEN];
	uint8_t key[LAN_KEY_LEN]; /* public beacons only */
	char nick[LAN_NICK_MAX + 1]; /* public beacons only, "" if none */
};

/*
 * Encode a beacon for the owner of key into out; the nick (public
 * beacons only, at most LAN_NICK_MAX bytes) may be NULL. Returns its
 * length.
 */
size_t lan_beacon_encode(const uint8_t key[LAN_KEY_LEN], uint8_t flags,
    uint16_t port, uint32_t window, const uint8_t nonce[LAN_NONCE_LEN],
    const char *nick, uint8_t out[LAN_BEACON_MAX]);
/* Decode exactly len bytes; -1 if they are not a version 1 beacon. */
int lan_beacon_decode(const uint8_t *, size_t len, struct lan_beacon *);
/* Was the beacon (its first LAN_BEACON_LEN bytes raw) sent by the owner
 * of key? Constant time in the tag. */
int lan_beacon_from(const uint8_t *raw, const uint8_t key[LAN_KEY_LEN]);

/* The runtime: beacons sent and heard (features.c). */
extern const struct feature lan_feature;

#endif
