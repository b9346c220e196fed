/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * hostile: the attacks of issue 12 on a node's connection limits, for
 * tests/e2e/hostile_*.sh. Many connections at once, from chosen source
 * addresses in 127.0.0.0/8 (Linux routes all of it to the loopback), one
 * process:
 *
 *   hostile HOST:PORT MODE SECONDS SRC...
 *
 *   dribble N    keep N connections open, each having sent 5 of the 32
 *                bytes of handshake message 1; one the node closes is
 *                opened again 20 ms later. Prints "dribble opened X".
 *   requests N   N contact requests (fresh keys, full handshake and
 *                HELLO), each then sends PINGs as fast as the node takes
 *                them and never reads. Prints "requests N" once all are
 *                up, "closed X" at the end (how many the node closed).
 *   extflood     one contact request streaming ignored extension frames
 *                (type 0x80, 65000 bytes): "closed after BYTES" when the
 *                node closes it, exit 1 if it has not after SECONDS.
 *   accepted     as extflood, but first print "online" and wait for the
 *                node's HELLO (the test accepts the request).
 *   pingflood    as accepted, then PINGs without reading the PONGs:
 *                "still open after BYTES" at the end, or "closed after
 *                BYTES" and exit 1 if the node closes the connection.
 *   idle         one contact request that answers PINGs and waits:
 *                "closed after MS" when the node closes it, exit 1 if it
 *                has not after SECONDS.
 *   rotate       full handshakes with fresh keys, one after another,
 *                each from the next SRC in turn. Prints "rotate completed
 *                X refused Y".
 *
 * SRC addresses are used in turn for new connections. Everything runs
 * for SECONDS (each wait has that deadline); exit status 0 unless a
 * step failed. Each connection has its own socket and cipher states, so
 * only peerlib.c's helpers are shared, not its one connection.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ident.h"
#include "noise.h"
#include "peerlib.h"
#include "proto.h"

#define HOSTILE_MAX 256

struct hconn {
	int fd;
	uint64_t reopen; /* dribble: when to open again, or 0 */
	struct noise_cipher tx, rx;
};

const char peer_prog[] = "hostile";
const int peer_wait_ms = 20000;

static struct sockaddr_in target;
static char **srcs;
static int nsrcs, next_src;
static uint64_t deadline;

/* A blocking connection to the node from the next source address. */
static int
open_conn(void)
{
	struct sockaddr_in sin;
	int fd;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, srcs[next_src], &sin.sin_addr) != 1)
		die("%s: not an IPv4 address", srcs[next_src]);
	next_src = (next_src + 1) % nsrcs;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1)
		die("bind: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&target, sizeof target) == -1)
		die("connect: %s", strerror(errno));
	return fd;
}

static int
send_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && (errno == EINTR || errno == EAGAIN)) {
			/* Not read (SO_SNDTIMEO): wait on, to the deadline. */
			if (now_ms() >= deadline)
				die("the node neither reads nor closes");
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read one frame into buf (blocking, until the deadline): its length,
 * or -1 if the node closed the connection or time ran out. */
static int
read_frame(int fd, uint8_t *buf)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0, want = 2;
	uint64_t now;
	ssize_t n;

	while (got < want) {
		if ((now = now_ms()) >= deadline)
			return -1;
		if (poll(&pfd, 1, (int)(deadline - now)) == -1 &&
		    errno != EINTR)
			die("poll: %s", strerror(errno));
		n = read(fd, buf + got, want - got);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return -1;
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("read: %s", strerror(errno));
		}
		got += (size_t)n;
		if (got == 2 && want == 2) {
			want = 2 + ((size_t)buf[0] << 8 | buf[1]);
			if (want == 2)
				die("empty frame");
		}
	}
	memmove(buf, buf + 2, want - 2);
	return (int)(want - 2);
}

static int
send_frame(int fd, const uint8_t *body, size_t len)
{
	uint8_t hdr[2];

	proto_frame_header(hdr, len);
	if (send_all(fd, hdr, 2) == -1)
		return -1;
	return send_all(fd, body, len);
}

/* Encrypt the plaintext p and send it as a frame. */
static int
send_plain(struct hconn *h, const uint8_t *p, size_t n)
{
	static uint8_t frame[PROTO_FRAME_MAX];

	if (noise_cipher_encrypt(&h->tx, NULL, 0, p, n, frame) == -1)
		die("nonces exhausted");
	return send_frame(h->fd, frame, n + NOISE_TAGLEN);
}

/* Noise_XX as initiator with a fresh key, then HELLO: 0, or -1 if the
 * node closed the connection first. */
static int
hs_run(struct hconn *h)
{
	uint8_t msg[PROTO_FRAME_MAX], payload[64], plain[128];
	struct noise_hs *hs;
	struct proto_msg m;
	size_t len, plen;
	int r;

	hs = peer_hs_fresh();
	if (noise_hs_write(hs, NULL, 0, msg, sizeof msg, &len) == -1)
		die("noise: message 1");
	if (send_frame(h->fd, msg, len) == -1 ||
	    (r = read_frame(h->fd, msg)) == -1) {
		noise_hs_free(hs);
		return -1;
	}
	if (noise_hs_read(hs, msg, (size_t)r, payload, sizeof payload, &plen) ==
	    -1)
		die("noise: bad message 2");
	proto_hs_payload_encode(payload);
	if (noise_hs_write(
	        hs, payload, PROTO_HS_PAYLOAD_LEN, msg, sizeof msg, &len) == -1)
		die("noise: message 3");
	if (send_frame(h->fd, msg, len) == -1 ||
	    noise_hs_split(hs, &h->tx, &h->rx) == -1) {
		noise_hs_free(hs);
		return -1;
	}
	h->tx.rekey_interval = h->rx.rekey_interval = PROTO_REKEY_INTERVAL;
	noise_hs_free(hs);
	memset(&m, 0, sizeof m);
	m.type = PROTO_HELLO;
	m.u.hello.version = PROTO_VERSION;
	snprintf(m.u.hello.nick, sizeof m.u.hello.nick, "hostile");
	len = proto_encode(&m, plain, sizeof plain);
	return send_plain(h, plain, len);
}

static void
mode_dribble(int n)
{
	static struct hconn h[HOSTILE_MAX];
	struct pollfd pfd[HOSTILE_MAX];
	uint8_t part[5] = { 0, 32, 1, 2, 3 }, junk[256];
	unsigned long opened = 0;
	uint64_t now;
	int i;

	for (i = 0; i < n; i++)
		h[i].reopen = 1;
	while ((now = now_ms()) < deadline) {
		for (i = 0; i < n; i++) {
			if (h[i].reopen == 0 || h[i].reopen > now)
				continue;
			h[i].fd = open_conn();
			h[i].reopen = 0;
			opened++;
			if (send_all(h[i].fd, part, sizeof part) == -1) {
				close(h[i].fd);
				h[i].reopen = now + 20;
			}
		}
		for (i = 0; i < n; i++) {
			pfd[i].fd = h[i].reopen == 0 ? h[i].fd : -1;
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n, 20) == -1 && errno != EINTR)
			die("poll: %s", strerror(errno));
		for (i = 0; i < n; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			if (read(h[i].fd, junk, sizeof junk) <= 0) {
				close(h[i].fd);
				h[i].reopen = now_ms() + 20;
			}
		}
	}
	printf("dribble opened %lu\n", opened);
}

/* A connection that completed the handshake, or die trying for long. */
static void
open_request(struct hconn *h)
{
	for (;;) {
		h->fd = open_conn();
		if (hs_run(h) == 0)
			break;
		close(h->fd);
		if (now_ms() >= deadline)
			die("no handshake completed in time");
		poll(NULL, 0, 50); /* refused by a rate: come back soon */
	}
	fcntl(h->fd, F_SETFL, fcntl(h->fd, F_GETFL) | O_NONBLOCK);
}

static void
mode_requests(int n)
{
	static struct hconn h[HOSTILE_MAX];
	struct pollfd pfd[HOSTILE_MAX];
	uint8_t plain[16], frame[64], hdr[2];
	struct proto_msg m;
	size_t len;
	uint64_t now;
	int i, closed = 0;
	ssize_t w;

	for (i = 0; i < n; i++)
		open_request(&h[i]);
	printf("requests %d\n", n);
	fflush(stdout);
	memset(&m, 0, sizeof m);
	m.type = PROTO_PING;
	len = proto_encode(&m, plain, sizeof plain);
	while ((now = now_ms()) < deadline) {
		for (i = 0; i < n; i++) {
			pfd[i].fd = h[i].fd;
			pfd[i].events = POLLOUT;
		}
		if (poll(pfd, (nfds_t)n, (int)(deadline - now)) == -1 &&
		    errno != EINTR)
			die("poll: %s", strerror(errno));
		for (i = 0; i < n; i++) {
			if (h[i].fd == -1 || !(pfd[i].revents & POLLOUT))
				continue;
			if (pfd[i].revents & (POLLERR | POLLHUP)) {
				close(h[i].fd);
				h[i].fd = -1;
				closed++;
				continue;
			}
			/* PINGs until the socket is full; never read. */
			for (;;) {
				noise_cipher_encrypt(
				    &h[i].tx, NULL, 0, plain, len, frame + 2);
				proto_frame_header(hdr, len + NOISE_TAGLEN);
				memcpy(frame, hdr, 2);
				w = send(h[i].fd, frame, 2 + len + NOISE_TAGLEN,
				    MSG_NOSIGNAL);
				if (w == -1 && errno == EAGAIN)
					break;
				if (w <= 0) {
					close(h[i].fd);
					h[i].fd = -1;
					closed++;
					break;
				}
				/* A short write breaks the framing: the node
				 * closes; that is counted like any close. */
				if ((size_t)w < 2 + len + NOISE_TAGLEN)
					break;
			}
		}
	}
	printf("closed %d\n", closed);
}

/* The node's next message, PINGs answered: 1 with *m, 0 once closed. */
static int
next_msg_of(struct hconn *h, struct proto_msg *m)
{
	static uint8_t buf[PROTO_FRAME_MAX];
	uint8_t plain[16];
	struct proto_msg pong;
	const char *why;
	size_t len;
	int r;

	for (;;) {
		if ((r = read_frame(h->fd, buf)) == -1)
			return 0;
		if (r < NOISE_TAGLEN ||
		    noise_cipher_decrypt(
		        &h->rx, NULL, 0, buf, (size_t)r, buf) == -1 ||
		    proto_decode(buf, (size_t)r - NOISE_TAGLEN, PROTO_TEXT_MAX,
		        m, &why) == -1)
			die("bad frame from the node");
		if (m->type != PROTO_PING)
			return 1;
		memset(&pong, 0, sizeof pong);
		pong.type = PROTO_PONG;
		pong.u.token = m->u.token;
		len = proto_encode(&pong, plain, sizeof plain);
		if (send_plain(h, plain, len) == -1)
			return 0;
	}
}

/* A contact request the test accepts: "online", then the node's HELLO. */
static void
open_accepted(struct hconn *h)
{
	struct proto_msg m;

	open_request(h);
	fcntl(h->fd, F_SETFL, fcntl(h->fd, F_GETFL) & ~O_NONBLOCK);
	printf("online\n");
	do {
		if (next_msg_of(h, &m) == 0)
			die("closed before HELLO");
	} while (m.type != PROTO_HELLO);
}

static void
mode_extflood(int accepted)
{
	static uint8_t plain[65000];
	struct timeval tv = { 0, 200 * 1000 };
	unsigned long long sent = 0;
	struct hconn h;

	if (accepted)
		open_accepted(&h);
	else {
		open_request(&h);
		fcntl(h.fd, F_SETFL, fcntl(h.fd, F_GETFL) & ~O_NONBLOCK);
	}
	/* The node may stop reading (that blocks us) or close. */
	setsockopt(h.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	memset(plain, 0, sizeof plain);
	plain[0] = 0x80;
	while (now_ms() < deadline) {
		if (send_plain(&h, plain, sizeof plain) == -1) {
			printf("closed after %llu\n", sent);
			return;
		}
		sent += sizeof plain;
	}
	die("not closed after %llu bytes", sent);
}

/* An unanswered contact request that behaves: how long the node keeps
 * it. */
static void
mode_idle(void)
{
	struct proto_msg m;
	struct hconn h;
	uint64_t t0;

	open_request(&h);
	fcntl(h.fd, F_SETFL, fcntl(h.fd, F_GETFL) & ~O_NONBLOCK);
	t0 = now_ms();
	while (next_msg_of(&h, &m) == 1)
		;
	if (now_ms() >= deadline)
		die("not closed");
	printf("closed after %llu ms\n", (unsigned long long)(now_ms() - t0));
}

/* An accepted peer that sends PINGs and never reads the PONGs: the
 * node should stop reading it, not queue megabytes or close it. */
static void
mode_pingflood(void)
{
	struct pollfd pfd;
	struct proto_msg m;
	unsigned long long sent = 0;
	uint8_t plain[16], frame[64];
	size_t len, flen = 0, off = 0;
	struct hconn h;
	uint64_t now;
	ssize_t w;

	open_accepted(&h);
	fcntl(h.fd, F_SETFL, fcntl(h.fd, F_GETFL) | O_NONBLOCK);
	memset(&m, 0, sizeof m);
	m.type = PROTO_PING;
	len = proto_encode(&m, plain, sizeof plain);
	while ((now = now_ms()) < deadline) {
		if (off == flen) {
			noise_cipher_encrypt(
			    &h.tx, NULL, 0, plain, len, frame + 2);
			flen = 2 + len + NOISE_TAGLEN;
			proto_frame_header(frame, flen - 2);
			off = 0;
		}
		w = send(h.fd, frame + off, flen - off, MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
			sent += (unsigned long long)w;
			continue;
		}
		if (w == -1 && errno == EAGAIN) {
			/* Not read: wait for room, or the node's close. */
			pfd.fd = h.fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, (int)(deadline - now)) == 0 ||
			    !(pfd.revents & (POLLERR | POLLHUP)))
				continue;
		}
		printf("closed after %llu\n", sent);
		exit(1);
	}
	printf("still open after %llu\n", sent);
}

static void
mode_rotate(void)
{
	struct hconn h;
	unsigned long done = 0, refused = 0;

	while (now_ms() < deadline) {
		h.fd = open_conn();
		if (hs_run(&h) == 0)
			done++;
		else
			refused++;
		close(h.fd);
	}
	printf("rotate completed %lu refused %lu\n", done, refused);
}

int
main(int argc, char **argv)
{
	char host[64], *colon;
	const char *mode;
	int n = 0, args;

	if (argc < 5)
		die("usage: hostile HOST:PORT MODE [N] SECONDS SRC...");
	snprintf(host, sizeof host, "%s", argv[1]);
	if ((colon = strrchr(host, ':')) == NULL)
		die("%s: not HOST:PORT", argv[1]);
	*colon = '\0';
	memset(&target, 0, sizeof target);
	target.sin_family = AF_INET;
	target.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &target.sin_addr) != 1)
		die("%s: not a numeric IPv4 address", host);
	mode = argv[2];
	args = 3;
	if (strcmp(mode, "dribble") == 0 || strcmp(mode, "requests") == 0) {
		n = atoi(argv[args++]);
		if (n < 1 || n > HOSTILE_MAX)
			die("N must be 1 to %d", HOSTILE_MAX);
	}
	if (argc < args + 2)
		die("missing SECONDS or SRC");
	deadline = now_ms() + (uint64_t)atoi(argv[args++]) * 1000;
	srcs = argv + args;
	nsrcs = argc - args;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "dribble") == 0)
		mode_dribble(n);
	else if (strcmp(mode, "requests") == 0)
		mode_requests(n);
	else if (strcmp(mode, "extflood") == 0)
		mode_extflood(0);
	else if (strcmp(mode, "accepted") == 0)
		mode_extflood(1);
	else if (strcmp(mode, "rotate") == 0)
		mode_rotate();
	else if (strcmp(mode, "idle") == 0)
		mode_idle();
	else if (strcmp(mode, "pingflood") == 0)
		mode_pingflood();
	else
		die("unknown mode %s", mode);
	return 0;
}
