/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * roomcheat: a hostile room member, for tests/e2e/room_hostile.sh.
 *
 *   roomcheat [-j] HOST:PORT NAME PASSWORD
 *
 * It dials a node (numeric IPv4) with a fresh key, joins the room NAME
 * with PASSWORD as any joiner does (LOOKUP, JOIN, CHALLENGE, CONFIRM,
 * WELCOME, then a SYNC for the log), and once its own ADD is in its log
 * sends, one after the other:
 *
 *   honest     a valid MSG "honest hello"
 *   forged     a copy of it with one byte of the body changed (the
 *              signature no longer matches)
 *   replayed   the honest event again
 *   equivocal  another MSG "other text" with the honest one's seq
 *   flood      5,000 valid MSGs whose parent nobody has
 *
 * then a PING, and prints "alive" when the PONG comes (the node kept
 * the session). Progress goes to stdout, one line per step ("joined",
 * "sent honest", ...). Every wait has a 20-second deadline; exit 0 if it
 * got to "alive". The transport is peerlib.c.
 *
 * With -j it is an honest joiner that takes its time: it waits 20 ms
 * before its CONFIRM (a member far away, or busy), exits after "joined"
 * and sends nothing else (tests/e2e/room_cap.sh).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpace.h"
#include "ident.h"
#include "peerlib.h"
#include "proto.h"
#include "room_event.h"
#include "room_join.h"
#include "room_log.h"
#include "room_proto.h"

const char peer_prog[] = "roomcheat";
const int peer_wait_ms = 20000;

#define FLOOD 5000

static uint8_t buf[PROTO_PLAIN_MAX];
static struct room_msg msg, in;

static void
send_room(const struct room_msg *m)
{
	struct proto_msg pm;
	size_t n = room_proto_encode(m, buf, sizeof buf);

	if (n == 0)
		die("cannot encode room message 0x%02x", m->type);
	memset(&pm, 0, sizeof pm);
	pm.type = buf[0];
	pm.u.raw.data = buf;
	pm.u.raw.len = n;
	send_msg(&pm);
}

static void
send_event(const uint8_t *raw, size_t len)
{
	memset(&msg, 0, offsetof(struct room_msg, v));
	msg.type = ROOM_MSG_EVENT;
	msg.data = raw;
	msg.len = len;
	send_room(&msg);
}

/* The next room message of type t (others are skipped). */
static void
expect_room(uint8_t t, struct room_log *log)
{
	struct proto_msg m;
	const char *why;
	enum room_rx rx;
	char *cause;

	for (;;) {
		if (next_msg(&m) == 0)
			die("the node closed the connection, waiting for "
			    "0x%02x",
			    t);
		if (m.type < PROTO_ROOM_FIRST || m.type > PROTO_ROOM_LAST)
			continue;
		if (room_proto_decode(m.u.raw.data, m.u.raw.len, &in, &why) ==
		    -1)
			die("bad room message: %s", why);
		if (in.type == ROOM_MSG_DENIED)
			die("denied: %s", room_proto_denied_text(in.reason));
		if (in.type == ROOM_MSG_EVENT && log != NULL &&
		    room_log_receive(
		        log, in.data, in.len, 0, &rx, &why, &cause) == -1)
			die("%s", cause);
		if (in.type == t)
			return;
	}
}

static int
deliver(void *arg, const struct room_event *ev, const uint8_t *raw, size_t len,
    const struct room_body *b, char **cause)
{
	(void)arg;
	(void)ev;
	(void)raw;
	(void)len;
	(void)b;
	(void)cause;
	return 0;
}

static const struct room_log_ops ops = { .deliver = deliver };

int
main(int argc, char **argv)
{
	static uint8_t honest[ROOM_EVENT_MAX], ev2[ROOM_EVENT_MAX];
	struct room_member_info me;
	struct room_join_ctx ctx;
	struct room_joiner *j;
	struct room_log *log;
	struct room_event ev;
	struct room_body b;
	struct proto_msg pm;
	uint8_t pk[ROOM_KEYLEN], sk[ROOM_SKLEN], prs[CPACE_PRSLEN];
	uint8_t room[ROOM_IDLEN], key[ROOM_KEYLEN], plain[64];
	const char *why;
	char *cause;
	size_t hlen, len, plen, i;
	int join_only = argc == 5 && strcmp(argv[1], "-j") == 0;

	argv += join_only;
	argc -= join_only;
	if (argc != 4)
		die("usage: roomcheat [-j] HOST:PORT NAME PASSWORD");
	if (ident_init() == -1)
		die("libsodium");
	dial(argv[1]);
	handshake("mallory");

	memset(&msg, 0, offsetof(struct room_msg, v));
	msg.type = ROOM_MSG_LOOKUP;
	snprintf(msg.name, sizeof msg.name, "%s", argv[2]);
	send_room(&msg);
	expect_room(ROOM_MSG_INVITE, NULL);
	memcpy(room, in.room, ROOM_IDLEN);

	room_keypair(pk, sk, NULL);
	memset(&me, 0, sizeof me);
	memcpy(me.e, pk, ROOM_KEYLEN);
	memcpy(me.noise, peer_own, ROOM_KEYLEN);
	snprintf(me.nick, sizeof me.nick, "mallory");
	if (cpace_prs(argv[3], strlen(argv[3]), room, prs, &cause) == -1)
		die("%s", cause);
	memset(&ctx, 0, sizeof ctx);
	memcpy(ctx.room, room, ROOM_IDLEN);
	ctx.prs = prs;
	memcpy(ctx.joiner, peer_own, ROOM_KEYLEN);
	memcpy(ctx.member, peer_theirs, ROOM_KEYLEN);
	ctx.sid = peer_sid;
	ctx.sidlen = NOISE_HASHLEN;
	if ((j = room_joiner_create(&ctx, &me, &msg, &cause)) == NULL)
		die("%s", cause);
	send_room(&msg);
	expect_room(ROOM_MSG_CHALLENGE, NULL);
	if (room_joiner_challenge(j, &in, &msg, &cause) == -1)
		die("%s", cause);
	if (join_only)
		nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	send_room(&msg);
	expect_room(ROOM_MSG_WELCOME, NULL);
	log = room_log_create(room, pk, &ops, NULL);
	if (room_joiner_welcome(j, &in, log, &cause) == -1)
		die("%s", cause);
	room_joiner_free(j);
	memset(&msg, 0, offsetof(struct room_msg, v));
	msg.type = ROOM_MSG_SYNC;
	memcpy(msg.room, room, ROOM_IDLEN);
	send_room(&msg);
	while (room_log_check_member(log, peer_own, pk) != 1)
		expect_room(ROOM_MSG_EVENT, log);
	say("joined");
	if (join_only) {
		ident_wipe(sk, sizeof sk);
		room_log_free(log);
		return 0;
	}

	memset(&b, 0, sizeof b);
	b.kind = ROOM_MSG;
	b.text = (const uint8_t *)"honest hello";
	b.len = strlen("honest hello");
	if (room_log_write(log, &b, 1700000000000, sk, honest, sizeof honest,
	        &hlen, &cause) == -1)
		die("%s", cause);
	send_event(honest, hlen);
	say("sent honest");

	memcpy(ev2, honest, hlen);
	ev2[hlen - ROOM_SIGLEN - 1] ^= 1;
	send_event(ev2, hlen);
	say("sent forged");

	send_event(honest, hlen);
	say("sent replayed");

	/* The same header (seq, parents) around another text. */
	if (room_event_decode(honest, hlen, &ev, &why) == -1)
		die("%s", why);
	if (room_log_key(log, ev.epoch, key) == -1)
		die("no key");
	b.text = (const uint8_t *)"other text";
	b.len = strlen("other text");
	if (room_body_encode(&b, plain, sizeof plain, &plen) == -1 ||
	    (len = room_event_encode(
	         &ev, plain, plen, key, sk, NULL, ev2, sizeof ev2)) == 0)
		die("cannot encode");
	send_event(ev2, len);
	say("sent equivocal");

	/* Orphans: valid, signed, but their parent is nobody's. */
	for (i = 0; i < FLOOD; i++) {
		ev.seq += 1;
		ev.nparents = 1;
		ident_random(ev.parents[0], ROOM_HASHLEN);
		if ((len = room_event_encode(&ev, plain, plen, key, sk, NULL,
		         ev2, sizeof ev2)) == 0)
			die("cannot encode");
		send_event(ev2, len);
	}
	say("sent flood");

	memset(&pm, 0, sizeof pm);
	pm.type = PROTO_PING;
	pm.u.token = 42;
	send_msg(&pm);
	for (;;) {
		if (next_msg(&pm) == 0)
			die("the node closed the connection");
		if (pm.type == PROTO_PONG && pm.u.token == 42)
			break;
	}
	say("alive");
	ident_wipe(sk, sizeof sk);
	ident_wipe(key, sizeof key);
	room_log_free(log);
	return 0;
}
