/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * flipcheat: a minimal p2ptui client that plays coin flips honestly or
 * not, for tests/e2e/flip_cheat.sh.
 *
 *   flipcheat HOST:PORT MODE
 *
 * It dials a node (numeric IPv4), runs Noise_XX as initiator with a
 * fresh key (src/noise.h), sends HELLO and waits for the node's HELLO
 * (the test accepts the contact request), then plays MODE:
 *
 *   honest     start a 2d6 roll and play it correctly: "result SUM V1,V2"
 *   badreveal  start a 2d6 roll and reveal another a than committed to,
 *              then check with a PING that the node kept the connection
 *   vanish     start a coin flip, and close the connection after the
 *              node's RESPONSE, never revealing
 *   respond    wait for the node's flip and answer it correctly:
 *              "result ..." once the reveal checks out
 *   badecho    wait for the node's flip and answer it for another draw
 *   unknown    reveal a flip that never started
 *   duplicate  commit twice with one flip id
 *   flood      commit to more flips than the node keeps in progress
 *
 * Progress goes to stdout, one line per step ("online", "commit ID",
 * "response", "pong", "closed", "result ..."), flushed at once. Every
 * wait has a 10-second deadline; exit status 0 if MODE ran to its end
 * (for the modes the node must refuse, that the node closed the
 * connection), 1 otherwise. The transport is peerlib.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "flip.h"
#include "ident.h"
#include "peerlib.h"
#include "proto.h"

const char peer_prog[] = "flipcheat";
const int peer_wait_ms = 10000;

/* The next message, which must be of type t. */
static void
expect(struct proto_msg *m, uint8_t t)
{
	if (next_msg(m) == 0)
		die("the node closed the connection, waiting for 0x%02x", t);
	if (m->type != t)
		die("got type 0x%02x, waiting for 0x%02x", m->type, t);
}

/* The node must close the connection now, not send anything else. */
static int
expect_close(void)
{
	struct proto_msg m;

	while (next_msg(&m) == 1) {
		if (m.type != PROTO_FLIP_RESPONSE && m.type != PROTO_PONG)
			die("got type 0x%02x, waiting for the close", m.type);
	}
	say("closed");
	return 0;
}

/* Send a COMMIT for a new flip of ours; its id and a are returned. */
static void
commit(const struct proto_draw *d, uint8_t id[PROTO_FLIP_ID_LEN],
    uint8_t a[PROTO_FLIP_VALUE_LEN])
{
	uint8_t draw[PROTO_DRAW_MAX];
	struct proto_msg m;
	char idhex[2 * PROTO_FLIP_ID_LEN + 1];
	size_t n = proto_draw_encode(d, draw, sizeof draw);

	memset(&m, 0, sizeof m);
	m.type = PROTO_FLIP_COMMIT;
	memcpy(m.u.flip.id, id, PROTO_FLIP_ID_LEN);
	flip_commitment(
	    peer_sid, id, peer_own, peer_theirs, draw, n, a, m.u.flip.value);
	m.u.flip.draw = draw;
	m.u.flip.drawlen = n;
	send_msg(&m);
	hex(id, PROTO_FLIP_ID_LEN, idhex);
	say("commit %s", idhex);
}

static void
reveal(const uint8_t *id, const uint8_t *a)
{
	struct proto_msg m;

	memset(&m, 0, sizeof m);
	m.type = PROTO_FLIP_REVEAL;
	memcpy(m.u.flip.id, id, PROTO_FLIP_ID_LEN);
	memcpy(m.u.flip.value, a, PROTO_FLIP_VALUE_LEN);
	send_msg(&m);
}

static void
print_result(const struct flip *fl)
{
	char line[1024];
	size_t off;
	unsigned i;

	switch (fl->draw.kind) {
	case PROTO_DRAW_COIN:
		say("result %s", fl->result[0] == 0 ? "heads" : "tails");
		break;
	case PROTO_DRAW_DICE:
		off = (size_t)snprintf(line, sizeof line, "%u ", fl->sum);
		for (i = 0; i < fl->draw.count && off < sizeof line; i++)
			off += (size_t)snprintf(line + off, sizeof line - off,
			    i == 0 ? "%u" : ",%u", fl->result[i]);
		say("result %s", line);
		break;
	case PROTO_DRAW_PICK:
		say("result %u %s", fl->result[0] + 1,
		    fl->draw.options[fl->result[0]]);
		break;
	}
}

/* We start a 2d6 roll (or a coin flip) and play it as mode says. */
static int
play_initiator(const char *mode)
{
	struct proto_draw d;
	struct proto_msg m;
	struct flip fl;
	uint8_t a[PROTO_FLIP_VALUE_LEN];

	memset(&d, 0, sizeof d);
	d.kind = PROTO_DRAW_DICE;
	d.count = 2;
	d.sides = 6;
	if (strcmp(mode, "vanish") == 0) {
		memset(&d, 0, sizeof d);
		d.kind = PROTO_DRAW_COIN;
	}
	memset(&fl, 0, sizeof fl);
	ident_random(fl.id, sizeof fl.id);
	ident_random(fl.a, sizeof fl.a);
	commit(&d, fl.id, fl.a);
	expect(&m, PROTO_FLIP_RESPONSE);
	say("response");
	if (memcmp(m.u.flip.id, fl.id, PROTO_FLIP_ID_LEN) != 0)
		die("response for another flip");
	if (strcmp(mode, "vanish") == 0)
		return 0;
	memcpy(fl.b, m.u.flip.value, PROTO_FLIP_VALUE_LEN);
	memcpy(fl.sid, peer_sid, sizeof fl.sid);
	fl.draw = d;
	if (strcmp(mode, "honest") == 0) {
		reveal(fl.id, fl.a);
		flip_outcome(&fl, peer_own, peer_theirs);
		print_result(&fl);
	} else {
		memcpy(a, fl.a, sizeof a);
		a[0] ^= 0x80;
		reveal(fl.id, a);
	}
	/* The node keeps the connection: a PING comes back. */
	memset(&m, 0, sizeof m);
	m.type = PROTO_PING;
	m.u.token = 42;
	send_msg(&m);
	expect(&m, PROTO_PONG);
	say("pong");
	return 0;
}

/* The node starts a flip (the test runs /roll): answer it. */
static int
play_responder(const char *mode)
{
	uint8_t draw[PROTO_DRAW_MAX], expect_c[PROTO_FLIP_VALUE_LEN];
	struct proto_msg m, r;
	struct flip fl;
	const char *why;
	size_t n;

	expect(&m, PROTO_FLIP_COMMIT);
	memset(&fl, 0, sizeof fl);
	memcpy(fl.id, m.u.flip.id, sizeof fl.id);
	memcpy(fl.sid, peer_sid, sizeof fl.sid);
	memcpy(fl.commitment, m.u.flip.value, sizeof fl.commitment);
	if (proto_draw_decode(
	        m.u.flip.draw, m.u.flip.drawlen, &fl.draw, &why) == -1)
		die("bad draw: %s", why);
	ident_random(fl.b, sizeof fl.b);
	memset(&r, 0, sizeof r);
	r.type = PROTO_FLIP_RESPONSE;
	memcpy(r.u.flip.id, fl.id, sizeof fl.id);
	memcpy(r.u.flip.value, fl.b, sizeof fl.b);
	n = proto_draw_encode(&fl.draw, draw, sizeof draw);
	if (strcmp(mode, "badecho") == 0) {
		/* Another draw: one side more, or another kind. */
		if (fl.draw.kind == PROTO_DRAW_DICE)
			draw[3]++;
		else {
			draw[0] = PROTO_DRAW_DICE;
			draw[1] = 1;
			draw[2] = 0;
			draw[3] = 6;
			n = 4;
		}
	}
	r.u.flip.draw = draw;
	r.u.flip.drawlen = n;
	send_msg(&r);
	if (strcmp(mode, "badecho") == 0)
		return expect_close();
	expect(&m, PROTO_FLIP_REVEAL);
	memcpy(fl.a, m.u.flip.value, sizeof fl.a);
	n = proto_draw_encode(&fl.draw, draw, sizeof draw);
	flip_commitment(
	    peer_sid, fl.id, peer_theirs, peer_own, draw, n, fl.a, expect_c);
	if (memcmp(expect_c, fl.commitment, sizeof expect_c) != 0)
		die("the node's reveal does not match its commitment");
	flip_outcome(&fl, peer_theirs, peer_own);
	print_result(&fl);
	return 0;
}

/* Messages the node must refuse by closing the connection. */
static int
play_refused(const char *mode)
{
	uint8_t id[PROTO_FLIP_ID_LEN], a[PROTO_FLIP_VALUE_LEN];
	struct proto_draw d;
	int i;

	memset(&d, 0, sizeof d);
	d.kind = PROTO_DRAW_COIN;
	ident_random(id, sizeof id);
	ident_random(a, sizeof a);
	if (strcmp(mode, "unknown") == 0)
		reveal(id, a);
	else if (strcmp(mode, "duplicate") == 0) {
		commit(&d, id, a);
		commit(&d, id, a);
	} else {
		for (i = 0; i <= FLIP_MAX_ACCEPTED; i++) {
			id[0] = (uint8_t)i;
			commit(&d, id, a);
		}
	}
	return expect_close();
}

int
main(int argc, char **argv)
{
	struct proto_msg m;
	const char *mode;

	if (argc != 3)
		die("usage: flipcheat HOST:PORT MODE");
	mode = argv[2];
	if (ident_init() == -1)
		die("cannot initialise libsodium");
	dial(argv[1]);
	handshake("cheater");
	expect(&m, PROTO_HELLO);
	say("online");
	if (strcmp(mode, "honest") == 0 || strcmp(mode, "badreveal") == 0 ||
	    strcmp(mode, "vanish") == 0)
		return play_initiator(mode);
	if (strcmp(mode, "respond") == 0 || strcmp(mode, "badecho") == 0)
		return play_responder(mode);
	if (strcmp(mode, "unknown") == 0 || strcmp(mode, "duplicate") == 0 ||
	    strcmp(mode, "flood") == 0)
		return play_refused(mode);
	die("unknown mode %s", mode);
}
