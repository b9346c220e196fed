/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rendezvous session's framing and crypto (rdv_sess.h). The
 * handshake payloads are those of a peer session (version 1,
 * capabilities 0 here); only the prologue differs, so a peer and a
 * server never complete a handshake with each other.
 */
#include <string.h>

#include "log.h"
#include "proto.h"
#include "rdv_proto.h"
#include "rdv_sess.h"

static void
rdv_sess_frame(struct rdv_sess *s, const uint8_t *p, size_t len)
{
	uint8_t hdr[2];

	proto_frame_header(hdr, len);
	buf_append(&s->out, hdr, 2);
	buf_append(&s->out, p, len);
}

static int
rdv_sess_hs_write(struct rdv_sess *s, int with_payload)
{
	uint8_t payload[PROTO_HS_PAYLOAD_LEN], msg[256];
	size_t len;

	memset(payload, 0, sizeof payload);
	payload[1] = 1; /* version 1, capabilities 0 */
	if (noise_hs_write(s->hs, payload, with_payload ? sizeof payload : 0,
	        msg, sizeof msg, &len) == -1)
		return -1;
	rdv_sess_frame(s, msg, len);
	return 0;
}

void
rdv_sess_init(struct rdv_sess *s, int initiator, const uint8_t *sk)
{
	char *cause;

	memset(s, 0, sizeof *s);
	buf_init(&s->in);
	buf_init(&s->out);
	s->initiator = initiator;
	s->hs = noise_hs_create(PROTO_NOISE,
	    initiator ? NOISE_INITIATOR : NOISE_RESPONDER,
	    (const uint8_t *)RDV_PROLOGUE, strlen(RDV_PROLOGUE), &cause);
	if (s->hs == NULL)
		fatal("noise: %s", cause);
	noise_hs_set_s(s->hs, sk);
	if (noise_hs_start(s->hs, &cause) == -1)
		fatal("noise: %s", cause);
	s->state = RDV_SESS_HANDSHAKE;
	if (initiator && rdv_sess_hs_write(s, 0) == -1)
		fatal("noise: cannot write message 1");
}

void
rdv_sess_clear(struct rdv_sess *s)
{
	noise_hs_free(s->hs);
	s->hs = NULL;
	noise_cipher_wipe(&s->tx);
	noise_cipher_wipe(&s->rx);
	buf_free(&s->in);
	buf_free(&s->out);
}

static int
rdv_sess_fail(struct rdv_sess *s, const char **why, const char *text)
{
	s->state = RDV_SESS_FAILED;
	*why = text;
	return -1;
}

/* One handshake frame; 2 when the session is open. */
static int
rdv_sess_hs_frame(
    struct rdv_sess *s, const uint8_t *frame, size_t len, const char **why)
{
	uint8_t payload[64];
	const uint8_t *rs;
	uint16_t version;
	uint32_t caps;
	size_t plen;

	if (noise_hs_action(s->hs) != NOISE_ACTION_READ ||
	    noise_hs_read(s->hs, frame, len, payload, sizeof payload, &plen) ==
	        -1)
		return rdv_sess_fail(s, why, "handshake failed");
	if (!s->initiator && noise_hs_action(s->hs) == NOISE_ACTION_WRITE) {
		if (plen != 0)
			return rdv_sess_fail(
			    s, why, "handshake message 1 has a payload");
		if (rdv_sess_hs_write(s, 1) == -1)
			return rdv_sess_fail(s, why, "handshake failed");
		return 0;
	}
	if (proto_hs_payload_decode(payload, plen, &version, &caps) == -1)
		return rdv_sess_fail(s, why, "bad handshake payload");
	if ((rs = noise_hs_remote_static(s->hs)) == NULL)
		fatal("noise: no remote static after XX");
	memcpy(s->rkey, rs, NOISE_KEYLEN);
	if (s->initiator && rdv_sess_hs_write(s, 1) == -1)
		return rdv_sess_fail(s, why, "handshake failed");
	if (noise_hs_split(s->hs, &s->tx, &s->rx) == -1)
		return rdv_sess_fail(s, why, "handshake failed");
	s->tx.rekey_interval = s->rx.rekey_interval = PROTO_REKEY_INTERVAL;
	noise_hs_free(s->hs);
	s->hs = NULL;
	s->state = RDV_SESS_OPEN;
	return 2;
}

int
rdv_sess_next(struct rdv_sess *s, uint8_t *scratch, size_t cap,
    const uint8_t **msg, size_t *len, const char **why)
{
	const uint8_t *body;
	size_t blen;
	int r;

	for (;;) {
		if (s->state == RDV_SESS_FAILED)
			return rdv_sess_fail(s, why, "session failed");
		r = proto_frame_next(
		    buf_head(&s->in), buf_used(&s->in), &body, &blen);
		if (r == 0)
			return 0;
		if (r == -1)
			return rdv_sess_fail(s, why, "empty frame");
		if (s->state == RDV_SESS_HANDSHAKE) {
			r = rdv_sess_hs_frame(s, body, blen, why);
			buf_consume(&s->in, 2 + blen);
			if (r != 0)
				return r;
			continue;
		}
		if (blen <= NOISE_TAGLEN || blen - NOISE_TAGLEN > cap ||
		    noise_cipher_decrypt(
		        &s->rx, NULL, 0, body, blen, scratch) == -1)
			return rdv_sess_fail(s, why, "bad frame");
		buf_consume(&s->in, 2 + blen);
		*msg = scratch;
		*len = blen - NOISE_TAGLEN;
		return 1;
	}
}

int
rdv_sess_send(struct rdv_sess *s, const uint8_t *msg, size_t len)
{
	uint8_t hdr[2], *out;

	if (s->state != RDV_SESS_OPEN || len == 0 || len > PROTO_PLAIN_MAX)
		return -1;
	proto_frame_header(hdr, len + NOISE_TAGLEN);
	buf_append(&s->out, hdr, 2);
	out = buf_reserve(&s->out, len + NOISE_TAGLEN);
	if (noise_cipher_encrypt(&s->tx, NULL, 0, msg, len, out) == -1) {
		s->state = RDV_SESS_FAILED;
		return -1;
	}
	buf_commit(&s->out, len + NOISE_TAGLEN);
	return 0;
}
