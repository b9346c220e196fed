/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * swarmpeer: a contact that is in none of the node's rooms, for
 * tests/e2e/swarm_nonmember.sh.
 *
 *   swarmpeer HOST:PORT ROOT-HEX
 *
 * It dials a node with a fresh key (the test accepts the contact
 * request), waits for its HELLO ("online"), then asks for the room
 * file ROOT as a member would: SWARM_WANT, and SWARM_REQUEST for leaf 0.
 * Then a PING: everything the node sends before the PONG is printed
 * ("got 0xTT"); "nothing" if no swarm message came, and the session
 * stayed up. The transport is peerlib.c; every wait has a 20-second
 * deadline.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peerlib.h"
#include "proto.h"
#include "swarm_proto.h"

const char peer_prog[] = "swarmpeer";
const int peer_wait_ms = 20000;

static uint8_t buf[SWARM_MSG_MAX];

static void
send_swarm(const struct swarm_msg *m)
{
	struct proto_msg pm;
	size_t n = swarm_proto_encode(m, buf, sizeof buf);

	if (n == 0)
		die("cannot encode swarm message 0x%02x", m->type);
	memset(&pm, 0, sizeof pm);
	pm.type = buf[0];
	pm.u.raw.data = buf;
	pm.u.raw.len = n;
	send_msg(&pm);
}

int
main(int argc, char **argv)
{
	static struct swarm_msg sm;
	struct proto_msg m;
	unsigned v;
	size_t i;
	int swarm = 0;

	if (argc != 3 || strlen(argv[2]) != 2 * SWARM_ROOTLEN)
		die("usage: swarmpeer HOST:PORT ROOT-HEX");
	for (i = 0; i < SWARM_ROOTLEN; i++) {
		if (sscanf(argv[2] + 2 * i, "%2x", &v) != 1)
			die("bad root");
		sm.root[i] = (uint8_t)v;
	}
	dial(argv[1]);
	handshake("swarmpeer");
	if (next_msg(&m) == 0 || m.type != PROTO_HELLO)
		die("no HELLO from the node");
	say("online");
	sm.type = SWARM_MSG_WANT;
	send_swarm(&sm);
	sm.type = SWARM_MSG_REQUEST;
	sm.index = 0;
	send_swarm(&sm);
	say("asked");
	memset(&m, 0, sizeof m);
	m.type = PROTO_PING;
	send_msg(&m);
	for (;;) {
		if (next_msg(&m) == 0)
			die("the node closed the connection");
		if (m.type == PROTO_PONG)
			break;
		say("got 0x%02x", m.type);
		swarm |=
		    m.type >= SWARM_PROTO_FIRST && m.type <= SWARM_PROTO_LAST;
	}
	if (!swarm)
		say("nothing");
	return 0;
}
