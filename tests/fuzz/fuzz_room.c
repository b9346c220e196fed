/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer harness for rooms. The first byte chooses what the rest is:
 *
 *   0x00: a script for a room's log. The creator C has made a room and
 *         added X; S is a stranger. Each step is op:u8 then bytes:
 *         op % 4 == 0: an event built from the bytes (kind, author,
 *         seq, lamport, epoch, parents picked among earlier events,
 *         body), sealed and signed by its author, given to the log;
 *         1: an epoch key, right or wrong; 2: an earlier event again;
 *         3: C or X writes a message. The log must deliver parents
 *         first and exactly once, keep the pending set bounded and
 *         never crash.
 *   else: attacker bytes as one room message (room_proto_decode),
 *         which must re-encode to the very same bytes if it decodes,
 *         as an event (room_event_decode), and as each kind's body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "room_log.h"
#include "room_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_EVENTS 64

static uint8_t fuzz_room_id[ROOM_IDLEN]; /* C's, with a zero salt */
static uint8_t fuzz_pk[3][ROOM_KEYLEN], fuzz_sk[3][ROOM_SKLEN];
static uint8_t fuzz_keys[3][ROOM_KEYLEN] = { { 1 }, { 2 }, { 3 } };
static uint8_t *fuzz_raw[FUZZ_EVENTS + 2];
static size_t fuzz_len[FUZZ_EVENTS + 2], fuzz_n;
static uint8_t fuzz_out[ROOM_EVENT_MAX];
static struct room_log *fuzz_log;
static size_t fuzz_delivered;

static int
fuzz_deliver(void *arg, const struct room_event *ev, const uint8_t *raw,
    size_t len, const struct room_body *b, char **cause)
{
	size_t i;

	(void)arg;
	(void)raw;
	(void)len;
	(void)cause;
	if (b->kind != ev->kind || room_log_has(fuzz_log, ev->id))
		abort();
	for (i = 0; i < ev->nparents; i++)
		if (!room_log_has(fuzz_log, ev->parents[i]))
			abort();
	fuzz_delivered++;
	return 0;
}

static const struct room_log_ops fuzz_ops = { fuzz_deliver, NULL, NULL };

static void
fuzz_keep(const uint8_t *raw, size_t len)
{
	if (fuzz_n == FUZZ_EVENTS + 2)
		return;
	if ((fuzz_raw[fuzz_n] = malloc(len)) == NULL)
		abort();
	memcpy(fuzz_raw[fuzz_n], raw, len);
	fuzz_len[fuzz_n++] = len;
}

static void
fuzz_receive(const uint8_t *raw, size_t len)
{
	enum room_rx rx;
	const char *why;
	char *cause = NULL;

	if (room_log_receive(fuzz_log, raw, len, 0, &rx, &why, &cause) != 0)
		abort();
	if (room_log_pending(fuzz_log) > ROOM_PENDING_MAX)
		abort();
}

static void
fuzz_write(int who, const struct room_body *b)
{
	char *cause = NULL;
	size_t len;

	if (room_log_write(fuzz_log, b, 0, fuzz_sk[who], fuzz_out,
	        sizeof fuzz_out, &len, &cause) == 0)
		fuzz_keep(fuzz_out, len);
	free(cause);
}

/* C creates the room and adds X. */
static void
fuzz_start(void)
{
	struct room_body b;
	uint8_t seed[32];
	char *cause = NULL;
	int i;

	for (i = 0; i < 3; i++) {
		memset(seed, 0x30 + i, sizeof seed);
		room_keypair(fuzz_pk[i], fuzz_sk[i], seed);
	}
	memset(&b, 0, sizeof b);
	room_id_derive(fuzz_pk[0], b.salt, fuzz_room_id);
	fuzz_log = room_log_create(fuzz_room_id, fuzz_pk[0], &fuzz_ops, NULL);
	if (room_log_add_key(fuzz_log, 0, fuzz_keys[0], &cause) != 0)
		abort();
	memset(&b, 0, sizeof b);
	b.kind = ROOM_CREATE;
	strcpy(b.name, "fuzz");
	fuzz_write(0, &b);
	b.kind = ROOM_ADD;
	memcpy(b.member.e, fuzz_pk[1], ROOM_KEYLEN);
	fuzz_write(0, &b);
	if (fuzz_n != 2)
		abort();
}

static int
fuzz_id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, ROOM_HASHLEN);
}

/* An event from script bytes at p (n available); how many it used. */
static size_t
fuzz_craft(const uint8_t *p, size_t n)
{
	struct room_event ev;
	size_t i, len, blen;
	int who;

	if (n < 8)
		return n;
	memset(&ev, 0, sizeof ev);
	ev.kind = p[0] % (ROOM_KIND_MAX + 1);
	who = p[1] % 3;
	memcpy(ev.room, fuzz_room_id, ROOM_IDLEN);
	memcpy(ev.author, fuzz_pk[who], ROOM_KEYLEN);
	ev.seq = p[2];
	ev.lamport = p[3];
	ev.epoch = p[4] % 3;
	ev.nparents = (uint8_t)(p[5] % 4);
	blen = p[6] % 64;
	for (i = 0; i < ev.nparents; i++) {
		struct room_event pe;
		const char *why;
		size_t k = (p[7] + i * (p[7] >> 4 | 1)) % fuzz_n;

		if (room_event_decode(fuzz_raw[k], fuzz_len[k], &pe, &why) != 0)
			abort(); /* everything kept was encoded here */
		memcpy(ev.parents[i], pe.id, ROOM_HASHLEN);
	}
	/* The encoder refuses parents out of order: sort them. */
	qsort(ev.parents, ev.nparents, ROOM_HASHLEN, fuzz_id_cmp);
	if (blen > n - 8)
		blen = n - 8;
	len = room_event_encode(&ev, p + 8, blen, fuzz_keys[ev.epoch],
	    fuzz_sk[who], NULL, fuzz_out, sizeof fuzz_out);
	if (len != 0) {
		fuzz_keep(fuzz_out, len);
		fuzz_receive(fuzz_out, len);
	}
	return 8 + blen;
}

static void
fuzz_script(const uint8_t *p, size_t n)
{
	struct room_body b;
	char *cause = NULL;
	size_t used;
	uint8_t op;

	fuzz_n = 0;
	fuzz_delivered = 0;
	fuzz_start();
	while (n > 1) {
		op = p[0];
		p++;
		n--;
		switch (op % 4) {
		case 0:
			used = fuzz_craft(p, n);
			break;
		case 1:
			(void)room_log_add_key(fuzz_log, p[0] % 3,
			    fuzz_keys[(p[0] >> 2) % 3], &cause);
			free(cause);
			cause = NULL;
			used = 1;
			break;
		case 2:
			fuzz_receive(
			    fuzz_raw[p[0] % fuzz_n], fuzz_len[p[0] % fuzz_n]);
			used = 1;
			break;
		default:
			memset(&b, 0, sizeof b);
			b.kind = ROOM_MSG;
			b.text = (const uint8_t *)"m";
			b.len = 1;
			fuzz_write(p[0] % 2, &b);
			used = 1;
			break;
		}
		p += used;
		n -= used;
	}
	if (fuzz_delivered != room_log_count(fuzz_log))
		abort();
	room_log_free(fuzz_log);
	while (fuzz_n > 0)
		free(fuzz_raw[--fuzz_n]);
}

static void
fuzz_bytes(const uint8_t *data, size_t size)
{
	static struct room_msg m;
	struct room_event ev;
	struct room_body b;
	const char *why;
	uint8_t *copy, *enc;
	size_t n;
	uint8_t kind;

	/* An exactly sized copy, so that over-reads are seen. */
	if ((copy = malloc(size)) == NULL || (enc = malloc(size)) == NULL)
		abort();
	memcpy(copy, data, size);
	if (room_proto_decode(copy, size, &m, &why) == 0) {
		n = room_proto_encode(&m, enc, size);
		if (n != size || memcmp(enc, copy, size) != 0)
			abort();
		if (room_proto_encode(&m, enc, size - 1) != 0)
			abort();
		if (m.type == ROOM_MSG_EVENT &&
		    room_event_decode(m.data, m.len, &ev, &why) == 0 &&
		    (ev.hdrlen + ev.bodylen + ROOM_SIGLEN != m.len))
			abort();
	} else if (why == NULL)
		abort();
	(void)room_event_decode(copy, size, &ev, &why);
	for (kind = 0; kind <= ROOM_KIND_MAX + 1; kind++)
		if (room_body_decode(kind, copy + 1, size - 1, &b, &why) == 0) {
			/* One form: the same bytes back. */
			if (room_body_encode(&b, enc, size - 1, &n) != 0 ||
			    n != size - 1 || memcmp(enc, copy + 1, n) != 0)
				abort();
		}
	free(enc);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] == 0)
		fuzz_script(data + 1, size - 1);
	else
		fuzz_bytes(data, size);
	return 0;
}
