/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer harness: the message codec fed attacker bytes.
 *
 * The input is a byte stream as it would arrive after decryption: frames
 * are taken off the front with proto_frame_next() until it needs more
 * bytes or finds an empty frame. Each frame body, copied to an exactly
 * sized allocation so that over-reads are seen by AddressSanitizer, is
 * decoded with both text limits in use (4096, the default, and 60000,
 * the largest). A message that decodes must encode back to the very same
 * bytes (the format has one form per message) and decode again to the
 * same message; so must a flip's draw. A limit can only refuse more:
 * what 60000 refuses, 4096 refuses too. A file message's fields are in
 * their ranges and its name, proof and data lie in the body, the name or
 * data at its end. The body also goes through the handshake payload
 * decoder.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const size_t fuzz_limits[] = { 4096, PROTO_TEXT_MAX };
#define FUZZ_NLIMITS (sizeof fuzz_limits / sizeof fuzz_limits[0])

/* The LISTEN fields of two HELLOs. */
static int
fuzz_listen_equal(const struct proto_msg *a, const struct proto_msg *b)
{
	const struct proto_listen *x, *y;
	unsigned i;

	if (a->u.hello.nlisten != b->u.hello.nlisten)
		return 0;
	for (i = 0; i < a->u.hello.nlisten; i++) {
		x = &a->u.hello.listen[i];
		y = &b->u.hello.listen[i];
		if (x->family != y->family || x->port != y->port ||
		    memcmp(x->addr, y->addr, sizeof x->addr) != 0)
			return 0;
	}
	return 1;
}

static int
fuzz_msg_equal(const struct proto_msg *a, const struct proto_msg *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case PROTO_HELLO:
		return a->u.hello.version == b->u.hello.version &&
		    a->u.hello.caps == b->u.hello.caps &&
		    strcmp(a->u.hello.nick, b->u.hello.nick) == 0 &&
		    fuzz_listen_equal(a, b);
	case PROTO_PING:
	case PROTO_PONG:
		return a->u.token == b->u.token;
	case PROTO_BYE:
		return a->u.reason == b->u.reason;
	case PROTO_NICK:
		return strcmp(a->u.nick, b->u.nick) == 0;
	case PROTO_CHAT:
		return memcmp(a->u.chat.id, b->u.chat.id, PROTO_ID_LEN) == 0 &&
		    a->u.chat.seq == b->u.chat.seq &&
		    a->u.chat.time_ms == b->u.chat.time_ms &&
		    a->u.chat.len == b->u.chat.len &&
		    memcmp(a->u.chat.text, b->u.chat.text, a->u.chat.len) == 0;
	case PROTO_ACK:
		return memcmp(a->u.ack.id, b->u.ack.id, PROTO_ID_LEN) == 0;
	case PROTO_FLIP_COMMIT:
	case PROTO_FLIP_RESPONSE:
	case PROTO_FLIP_REVEAL:
		return memcmp(a->u.flip.id, b->u.flip.id, PROTO_FLIP_ID_LEN) ==
		    0 &&
		    memcmp(a->u.flip.value, b->u.flip.value,
		        PROTO_FLIP_VALUE_LEN) == 0 &&
		    a->u.flip.drawlen == b->u.flip.drawlen &&
		    (a->u.flip.drawlen == 0 ||
		        memcmp(a->u.flip.draw, b->u.flip.draw,
		            a->u.flip.drawlen) == 0);
	case PROTO_FILE_OFFER:
		return memcmp(a->u.file.id, b->u.file.id, PROTO_XFER_ID_LEN) ==
		    0 &&
		    a->u.file.size == b->u.file.size &&
		    memcmp(a->u.file.root, b->u.file.root,
		        PROTO_FILE_HASHLEN) == 0 &&
		    a->u.file.namelen == b->u.file.namelen &&
		    memcmp(a->u.file.name, b->u.file.name, a->u.file.namelen) ==
		    0;
	case PROTO_FILE_ACCEPT:
		return memcmp(a->u.file.id, b->u.file.id, PROTO_XFER_ID_LEN) ==
		    0 &&
		    a->u.file.have == b->u.file.have;
	case PROTO_FILE_CANCEL:
		return memcmp(a->u.file.id, b->u.file.id, PROTO_XFER_ID_LEN) ==
		    0 &&
		    a->u.file.reason == b->u.file.reason;
	case PROTO_FILE_REQUEST:
		return memcmp(a->u.file.id, b->u.file.id, PROTO_XFER_ID_LEN) ==
		    0 &&
		    a->u.file.index == b->u.file.index;
	case PROTO_FILE_CHUNK:
		return memcmp(a->u.file.id, b->u.file.id, PROTO_XFER_ID_LEN) ==
		    0 &&
		    a->u.file.index == b->u.file.index &&
		    a->u.file.offset == b->u.file.offset &&
		    a->u.file.nproof == b->u.file.nproof &&
		    (a->u.file.nproof == 0 ||
		        memcmp(a->u.file.proof, b->u.file.proof,
		            (size_t)a->u.file.nproof * PROTO_FILE_HASHLEN) ==
		            0) &&
		    a->u.file.datalen == b->u.file.datalen &&
		    memcmp(a->u.file.data, b->u.file.data, a->u.file.datalen) ==
		    0;
	case PROTO_FILE_DONE:
		return memcmp(a->u.file.id, b->u.file.id, PROTO_XFER_ID_LEN) ==
		    0;
	default:
		return 0;
	}
}

/*
 * A file message's fields are in range, and what points into the body
 * stays in it: the name of an offer and the data of a chunk end it, the
 * proof lies between the chunk header and the data.
 */
static void
fuzz_file(const struct proto_msg *m, const uint8_t *body, size_t len)
{
	const uint64_t leaves = PROTO_FILE_SIZE_MAX / PROTO_FILE_LEAF;
	size_t n;

	switch (m->type) {
	case PROTO_FILE_OFFER:
		if (m->u.file.namelen < 1 ||
		    m->u.file.namelen > PROTO_FILE_NAME_MAX ||
		    m->u.file.size > PROTO_FILE_SIZE_MAX ||
		    (const uint8_t *)m->u.file.name < body ||
		    (const uint8_t *)m->u.file.name + m->u.file.namelen !=
		        body + len ||
		    memchr(m->u.file.name, '\0', m->u.file.namelen) != NULL)
			abort();
		break;
	case PROTO_FILE_ACCEPT:
		if (len != 1 + PROTO_XFER_ID_LEN + 8 ||
		    m->u.file.have > PROTO_FILE_SIZE_MAX)
			abort();
		break;
	case PROTO_FILE_CANCEL:
		if (len != 1 + PROTO_XFER_ID_LEN + 1 ||
		    m->u.file.reason > PROTO_CANCEL_MAX)
			abort();
		break;
	case PROTO_FILE_REQUEST:
		if (len != 1 + PROTO_XFER_ID_LEN + 8 ||
		    m->u.file.index >= leaves)
			abort();
		break;
	case PROTO_FILE_CHUNK:
		n = (size_t)m->u.file.nproof * PROTO_FILE_HASHLEN;
		if (m->u.file.index >= leaves ||
		    m->u.file.nproof > PROTO_FILE_PROOF_MAX ||
		    (m->u.file.nproof != 0 && m->u.file.offset != 0) ||
		    m->u.file.datalen < 1 ||
		    (uint64_t)m->u.file.offset + m->u.file.datalen >
		        PROTO_FILE_LEAF ||
		    m->u.file.proof != body + PROTO_FILE_CHUNK_HDR ||
		    m->u.file.data != m->u.file.proof + n ||
		    m->u.file.data + m->u.file.datalen != body + len)
			abort();
		break;
	case PROTO_FILE_DONE:
		if (len != 1 + PROTO_XFER_ID_LEN)
			abort();
		break;
	default:
		abort();
	}
}

/*
 * A flip draw ends the message, decodes to parameters in range, and
 * encodes back to the same bytes (one form per draw).
 */
static void
fuzz_draw(const struct proto_msg *m, const uint8_t *body, size_t len)
{
	struct proto_draw d;
	uint8_t enc[PROTO_DRAW_MAX];
	const char *why = NULL;
	size_t i;

	if (m->u.flip.drawlen == 0 || m->u.flip.drawlen > PROTO_DRAW_MAX ||
	    m->u.flip.draw < body ||
	    m->u.flip.draw + m->u.flip.drawlen != body + len)
		abort();
	if (proto_draw_decode(m->u.flip.draw, m->u.flip.drawlen, &d, &why) != 0)
		abort();
	switch (d.kind) {
	case PROTO_DRAW_COIN:
		break;
	case PROTO_DRAW_DICE:
		if (d.count < 1 || d.count > PROTO_DICE_MAX ||
		    d.sides < PROTO_SIDES_MIN || d.sides > PROTO_SIDES_MAX)
			abort();
		break;
	case PROTO_DRAW_PICK:
		if (d.noptions < PROTO_PICK_MIN || d.noptions > PROTO_PICK_MAX)
			abort();
		for (i = 0; i < d.noptions; i++) {
			if (strlen(d.options[i]) < 1 ||
			    strlen(d.options[i]) > PROTO_OPTION_MAX)
				abort();
		}
		break;
	default:
		abort();
	}
	if (proto_draw_encode(&d, enc, sizeof enc) != m->u.flip.drawlen ||
	    memcmp(enc, m->u.flip.draw, m->u.flip.drawlen) != 0)
		abort();
	if (proto_draw_encode(&d, enc, m->u.flip.drawlen - 1) != 0)
		abort();
}

/* Decode one frame body under one limit; abort on a broken invariant. */
static int
fuzz_decode(const uint8_t *body, size_t len, size_t max_text)
{
	struct proto_msg m, again;
	const char *why = NULL;
	uint8_t *enc;
	size_t n;

	if (proto_decode(body, len, max_text, &m, &why) != 0) {
		if (why == NULL)
			abort();
		return -1;
	}
	if (m.type == 0) {
		/* An extension: ignored, but only for types >= 0x80. */
		if (len == 0 || body[0] < PROTO_EXTENSION)
			abort();
		return 0;
	}
	if (m.type != body[0])
		abort();
	if (m.type == PROTO_CHAT &&
	    (m.u.chat.len == 0 || m.u.chat.len > max_text ||
	        m.u.chat.text < body ||
	        m.u.chat.text + m.u.chat.len != body + len))
		abort();
	if (m.type == PROTO_HELLO &&
	    (strlen(m.u.hello.nick) > PROTO_NICK_MAX ||
	        m.u.hello.nlisten > PROTO_LISTEN_MAX))
		abort();
	if (m.type == PROTO_NICK && strlen(m.u.nick) > PROTO_NICK_MAX)
		abort();
	/* Fields of unknown tags are skipped: what is left encodes to a
	 * shorter HELLO that decodes to the same message. */
	if (m.type == PROTO_HELLO && m.u.hello.nskipped > 0) {
		if ((enc = malloc(len)) == NULL)
			abort();
		n = proto_encode(&m, enc, len);
		if (n == 0 || n >= len ||
		    proto_decode(enc, n, max_text, &again, &why) != 0 ||
		    !fuzz_msg_equal(&m, &again) || again.u.hello.nskipped != 0)
			abort();
		free(enc);
		return 0;
	}
	if (m.type == PROTO_FLIP_COMMIT || m.type == PROTO_FLIP_RESPONSE)
		fuzz_draw(&m, body, len);
	if (m.type == PROTO_FLIP_REVEAL &&
	    (m.u.flip.draw != NULL || m.u.flip.drawlen != 0))
		abort();
	if (m.type >= PROTO_FILE_FIRST && m.type <= PROTO_FILE_LAST)
		fuzz_file(&m, body, len);

	/* Re-encode into an exactly sized buffer: the same bytes. */
	if ((enc = malloc(len)) == NULL)
		abort();
	n = proto_encode(&m, enc, len);
	if (n != len || memcmp(enc, body, len) != 0)
		abort();
	/* One byte less room is refused, not overrun. */
	if (proto_encode(&m, enc, len - 1) != 0)
		abort();
	if (proto_decode(enc, n, max_text, &again, &why) != 0 ||
	    !fuzz_msg_equal(&m, &again))
		abort();
	free(enc);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *body;
	uint8_t *copy;
	size_t off = 0, len, i;
	uint16_t version;
	uint32_t caps;
	int r, res[FUZZ_NLIMITS];

	while (
	    (r = proto_frame_next(data + off, size - off, &body, &len)) == 1) {
		if (body != data + off + 2 || len == 0 ||
		    len > PROTO_FRAME_MAX || len > size - off - 2)
			abort();
		if ((copy = malloc(len)) == NULL)
			abort();
		memcpy(copy, body, len);
		for (i = 0; i < FUZZ_NLIMITS; i++)
			res[i] = fuzz_decode(copy, len, fuzz_limits[i]);
		if (res[0] == 0 && res[1] != 0)
			abort();
		if (proto_hs_payload_decode(copy, len, &version, &caps) == 0 &&
		    (len != PROTO_HS_PAYLOAD_LEN || version == 0))
			abort();
		free(copy);
		off += 2 + len;
	}
	if (r == 0 && size - off >= 2 &&
	    ((size_t)data[off] << 8 | data[off + 1]) <= size - off - 2)
		abort(); /* "need more" although the frame is complete */
	if (r == -1 && (data[off] != 0 || data[off + 1] != 0))
		abort();
	return 0;
}
