/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A server session of the rendezvous protocol (doc/PROTOCOL.md section
 * 16.1): Noise XX with the "p2ptui-rdv/1" prologue over the frames of
 * section 3, then encrypted messages. Only bytes and buffers: the
 * caller owns the socket and the loop, reads into in and writes out.
 * Used by the server (rdv_server.c), its test and benchmark clients,
 * and the client in p2ptui (rdv.c).
 *
 *   HANDSHAKE --(message 2 or 3 read)--> OPEN --(error)--> FAILED
 */
#ifndef P2PTUI_RDV_SESS_H
#define P2PTUI_RDV_SESS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "noise.h"

enum rdv_sess_state { RDV_SESS_HANDSHAKE, RDV_SESS_OPEN, RDV_SESS_FAILED };

struct rdv_sess {
	enum rdv_sess_state state;
	int initiator;
	struct noise_hs *hs;
	struct noise_cipher tx, rx;
	uint8_t rkey[NOISE_KEYLEN]; /* the other side's static key, once
	                               known */
	struct buf in, out;
};

/* Start a session with our static secret key sk; the initiator queues
 * message 1 at once. */
void rdv_sess_init(struct rdv_sess *, int initiator, const uint8_t *sk);
/* Wipe and free (not the struct itself). */
void rdv_sess_clear(struct rdv_sess *);
/*
 * Take the next thing from in: 1 with a message (*msg, *len point into
 * scratch, cap bytes at least PROTO_FRAME_MAX), 2 when the handshake
 * has just completed (rkey is set; the initiator has queued message 3),
 * 0 if more bytes are needed, -1 with *why (static) on any failure.
 */
int rdv_sess_next(struct rdv_sess *, uint8_t *scratch, size_t cap,
    const uint8_t **msg, size_t *len, const char **why);
/* Encrypt and queue one message; -1 if the session is not open. */
int rdv_sess_send(struct rdv_sess *, const uint8_t *msg, size_t len);

#endif
