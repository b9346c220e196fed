/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * benchpeer: the client side of a p2ptui session as bench_session and
 * bench_scale play it against a headless node: dial from one of many
 * loopback source addresses (the node limits handshakes per source
 * address), and run Noise_XX as initiator (src/noise.h, the framing and
 * payloads of src/proto.h). Handshake messages are small and go out with
 * one send() each, which a fresh socket always takes whole.
 */
#ifndef BENCHPEER_H
#define BENCHPEER_H

#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include "noise.h"

/* The node's "ready" address ("127.0.0.1:PORT") as a socket address. */
void bp_node_addr(const char *addr, struct sockaddr_in *sa);
/*
 * A non-blocking connect() to the node from the next source address in
 * 127.0.0.2-250 (*nsrc counts them); the descriptor, or die().
 */
int bp_dial(const struct sockaddr_in *node, unsigned *nsrc);
/* One frame with msg; -1 if the socket did not take it whole. */
int bp_send_frame(int fd, const uint8_t *msg, size_t len);
/*
 * Connected: start XX as initiator with static key sk and send message
 * 1. NULL (nothing to free) if the send failed.
 */
struct noise_hs *bp_msg1(int fd, const uint8_t sk[NOISE_KEYLEN]);
/*
 * Message 2 in frame: check it and its payload, send message 3 with ours
 * and split into tx and rx (rekeying as p2ptui does). -1 on any failure;
 * hs is the caller's to free either way.
 */
int bp_msg3(int fd, struct noise_hs *hs, const uint8_t *frame, size_t len,
    struct noise_cipher *tx, struct noise_cipher *rx);

#endif
