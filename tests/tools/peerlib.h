/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * peerlib: the transport of the minimal p2ptui clients in tests/tools
 * (flipcheat, filepeer). One connection per process: dial a node
 * (numeric IPv4), run Noise_XX as initiator with a fresh key, send
 * HELLO, then send and receive protocol messages, each wait with a
 * deadline. Every error is fatal: die() prints it and exits 1.
 */
#ifndef PEERLIB_H
#define PEERLIB_H

#include <stddef.h>
#include <stdint.h>

#include "ident.h"
#include "noise.h"
#include "proto.h"

/*
 * Each tool defines these: its name, before die()'s messages, and how
 * long each wait lasts.
 */
extern const char peer_prog[];
extern const int peer_wait_ms;

/* The session, once handshake() has returned. */
extern uint8_t peer_sid[NOISE_HASHLEN];
extern uint8_t peer_own[IDENT_KEYLEN], peer_theirs[IDENT_KEYLEN];

/*
 * If not 0, the deadline (now_ms()) of every wait instead of
 * peer_wait_ms from its start; reaching it means the node did not close
 * the connection.
 */
extern uint64_t peer_until;

/* "PROG: message" on stderr, exit 1. */
void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...);
/* A line on stdout, flushed at once. */
void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...);
/* Monotonic milliseconds. */
uint64_t now_ms(void);
/* n bytes as 2n hex digits and a NUL into out. */
void hex(const uint8_t *p, size_t n, char *out);

/* A started Noise_XX initiator with a fresh static key. */
struct noise_hs *peer_hs_fresh(void);

/* Connect to HOST:PORT. */
void dial(const char *where);
/*
 * Noise_XX as initiator with a fresh key, print "fingerprint FP" (ours),
 * then send HELLO with nick; the node's HELLO is the caller's to wait
 * for.
 */
void handshake(const char *nick);

/*
 * Encrypt and send m. If the node reset the connection, sending stops
 * and the next wait sees the connection closed.
 */
void send_msg(const struct proto_msg *m);
/* Keep what send_msg sends until flush_batch() sends it in one write. */
void begin_batch(void);
void flush_batch(void);
/*
 * The next message that is not a PING (answered): 1 with *m, 0 if the
 * node closed the connection. The plaintext stays valid until the next
 * call.
 */
int next_msg(struct proto_msg *m);

#endif
