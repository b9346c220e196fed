/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rdvevil: a hostile rendezvous server for tests/e2e/rdv_hostile.sh,
 * to show that p2ptui treats what its server says as hostile too
 * (doc/PROTOCOL.md section 16): bounded, refused, never a crash.
 *
 *   rdvevil
 *
 * Listens on two ports of 127.0.0.1 and prints "listen PORT TRAPPORT FP"
 * (FP: its key, to pin). Each client connection that completes the
 * handshake gets the next scenario; "closed N" when the client closes
 * connection N, which is how it refuses:
 *
 *   1  a flood once the client's first message is in: 100 REQUESTs from
 *      fresh keys (names evil000...), 20 CANDIDATES for fresh keys
 *      pointing at the trap port, 20 RELAY_TOKENs and 20 PRESENCEs for
 *      fresh keys, a FOUND nobody asked for; then a message of type
 *      0x6f, which no version has
 *   2  a frame of 200 random bytes where a message should be
 *   3  a frame of 10 bytes, too short to hold even the AEAD tag
 *   4  and later: nothing, the connection held open
 *
 * A connection to the trap port prints "trap" (the client dialled an
 * address the server gave for a key it never asked for); one to the
 * main port that starts as a relay splice ("RLY1") prints "splice".
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ident.h"
#include "net.h"
#include "peerlib.h"
#include "proto.h"
#include "rdv_proto.h"
#include "rdv_sess.h"

#define EVIL_CONNS 8

struct evil_conn {
	int fd;
	int n; /* its number, from 1 */
	int first; /* the client's first message was answered */
	struct rdv_sess sess;
};

static struct evil_conn conns[EVIL_CONNS];
static uint8_t sk[32];
static int nconns;
static uint16_t trap_port;

const char peer_prog[] = "rdvevil";
const int peer_wait_ms = 0; /* it never waits */

static int
listener(uint16_t *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int s;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(s, 16) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) == -1)
		die("listen: %s", strerror(errno));
	*port = ntohs(sin.sin_port);
	return s;
}

static void
flush(struct evil_conn *c)
{
	while (buf_used(&c->sess.out) != 0)
		if (net_write(c->fd, &c->sess.out) == -1 && errno != EAGAIN)
			break;
}

static void
evil_send(struct evil_conn *c, const struct rdv_msg *m)
{
	static uint8_t b[PROTO_FRAME_MAX];
	size_t n = rdv_proto_encode(m, b, sizeof b);

	if (n == 0 || rdv_sess_send(&c->sess, b, n) == -1)
		die("cannot send type 0x%02x", m->type);
}

/* A message of a type and fresh key. */
static void
send_fresh(struct evil_conn *c, uint8_t type, int i)
{
	struct rdv_msg m;

	memset(&m, 0, sizeof m);
	m.type = type;
	ident_random(m.key, sizeof m.key);
	switch (type) {
	case RDV_MSG_REQUEST:
		snprintf(m.name, sizeof m.name, "evil%03d", i);
		break;
	case RDV_MSG_CANDIDATES:
		m.delay = 0;
		m.n = 1;
		m.addrs[0].kind = 1;
		snprintf(m.addrs[0].addr, sizeof m.addrs[0].addr,
		    "127.0.0.1:%u", (unsigned)trap_port);
		break;
	case RDV_MSG_RELAY_TOKEN:
		ident_random(m.token, sizeof m.token);
		m.flag = 1;
		break;
	case RDV_MSG_PRESENCE:
		m.flag = 1;
		break;
	case RDV_MSG_FOUND:
		m.flag = 1;
		snprintf(m.name, sizeof m.name, "nobodyasked");
		break;
	}
	evil_send(c, &m);
}

static void
flood(struct evil_conn *c)
{
	uint8_t bad[] = { 0x6f, 0x00 };
	int i;

	for (i = 0; i < 100; i++)
		send_fresh(c, RDV_MSG_REQUEST, i);
	for (i = 0; i < 20; i++) {
		send_fresh(c, RDV_MSG_CANDIDATES, i);
		send_fresh(c, RDV_MSG_RELAY_TOKEN, i);
		send_fresh(c, RDV_MSG_PRESENCE, i);
	}
	send_fresh(c, RDV_MSG_FOUND, 0);
	if (rdv_sess_send(&c->sess, bad, sizeof bad) == -1)
		die("cannot send the bad type");
}

/* The scenario of connection n, once the client has spoken. */
static void
scenario(struct evil_conn *c)
{
	uint8_t frame[202];

	switch (c->n) {
	case 1:
		flood(c);
		break;
	case 2:
		frame[0] = 0;
		frame[1] = 200;
		ident_random(frame + 2, 200);
		buf_append(&c->sess.out, frame, sizeof frame);
		break;
	case 3:
		frame[0] = 0;
		frame[1] = 10; /* shorter than the AEAD tag */
		ident_random(frame + 2, 10);
		buf_append(&c->sess.out, frame, 12);
		break;
	}
	flush(c);
}

static void
conn_close(struct evil_conn *c)
{
	say("closed %d", c->n);
	close(c->fd);
	rdv_sess_clear(&c->sess);
	c->fd = -1;
}

static void
conn_input(struct evil_conn *c)
{
	static uint8_t scratch[PROTO_FRAME_MAX];
	const uint8_t *msg;
	const char *why;
	size_t len;
	ssize_t n;
	int r;

	n = net_read(c->fd, &c->sess.in, 65536);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return;
	}
	if (c->sess.state == RDV_SESS_HANDSHAKE && buf_used(&c->sess.in) >= 6 &&
	    memcmp(buf_head(&c->sess.in) + 2, "RLY1", 4) == 0) {
		say("splice");
		conn_close(c);
		return;
	}
	while ((r = rdv_sess_next(&c->sess, scratch, sizeof scratch, &msg, &len,
	            &why)) != 0) {
		if (r == -1) {
			fprintf(
			    stderr, "rdvevil: connection %d: %s\n", c->n, why);
			conn_close(c);
			return;
		}
		if (r == 1 && !c->first) {
			c->first = 1;
			scenario(c);
		}
	}
	flush(c);
}

static void
accept_one(int lfd)
{
	struct evil_conn *c = NULL;
	int fd, i;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	for (i = 0; i < EVIL_CONNS && c == NULL; i++)
		if (conns[i].fd == -1)
			c = &conns[i];
	if (c == NULL) {
		close(fd);
		return;
	}
	memset(c, 0, sizeof *c);
	c->fd = fd;
	c->n = ++nconns;
	rdv_sess_init(&c->sess, 0, sk);
}

int
main(void)
{
	struct pollfd pfd[2 + EVIL_CONNS];
	struct ident *id;
	char fp[IDENT_FP_LEN + 1];
	uint16_t port;
	int lfd, tfd, i, n;

	signal(SIGPIPE, SIG_IGN);
	if (ident_init() == -1)
		die("no libsodium");
	id = ident_generate();
	memcpy(sk, id->sk, sizeof sk);
	ident_free(id);
	rdv_sess_init(&conns[0].sess, 0, sk); /* for the public key */
	ident_fingerprint(noise_hs_local_static(conns[0].sess.hs), fp);
	rdv_sess_clear(&conns[0].sess);
	lfd = listener(&port);
	tfd = listener(&trap_port);
	for (i = 0; i < EVIL_CONNS; i++)
		conns[i].fd = -1;
	say("listen %u %u %s", (unsigned)port, (unsigned)trap_port, fp);
	for (;;) {
		pfd[0].fd = lfd;
		pfd[1].fd = tfd;
		pfd[0].events = pfd[1].events = POLLIN;
		for (i = 0; i < EVIL_CONNS; i++) {
			pfd[2 + i].fd = conns[i].fd;
			pfd[2 + i].events = POLLIN;
		}
		if ((n = poll(pfd, 2 + EVIL_CONNS, -1)) == -1 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (pfd[0].revents & POLLIN)
			accept_one(lfd);
		if (pfd[1].revents & POLLIN) {
			if ((n = accept(tfd, NULL, NULL)) != -1)
				close(n);
			say("trap");
		}
		for (i = 0; i < EVIL_CONNS; i++)
			if (conns[i].fd != -1 &&
			    (pfd[2 + i].revents & (POLLIN | POLLHUP | POLLERR)))
				conn_input(&conns[i]);
	}
}
