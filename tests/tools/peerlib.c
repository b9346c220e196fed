/* SPDX-License-Identifier: GPL-3.0-or-later */
/* peerlib: see peerlib.h. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "peerlib.h"

uint8_t peer_sid[NOISE_HASHLEN];
uint8_t peer_own[IDENT_KEYLEN], peer_theirs[IDENT_KEYLEN];
uint64_t peer_until;

static int fd = -1;
static struct noise_cipher tx, rx;
static uint8_t inbuf[2 * PROTO_FRAME_MAX + 4];
static size_t inlen;
static uint8_t outbuf[2048];
static size_t outlen;
static int batching;
static int gone; /* the node reset the connection while we sent */

void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", peer_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

void
say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
hex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

static void
send_all(const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0 && !gone) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EPIPE || errno == ECONNRESET)) {
			/* Seen by the next read: the node closed. */
			gone = 1;
			return;
		}
		if (n <= 0)
			die("send: %s", strerror(errno));
		p += n;
		len -= (size_t)n;
	}
}

static void
send_frame(const uint8_t *body, size_t len)
{
	uint8_t hdr[2];

	proto_frame_header(hdr, len);
	if (batching) {
		if (outlen + 2 + len > sizeof outbuf)
			die("batch too large");
		memcpy(outbuf + outlen, hdr, 2);
		memcpy(outbuf + outlen + 2, body, len);
		outlen += 2 + len;
		return;
	}
	send_all(hdr, 2);
	send_all(body, len);
}

void
begin_batch(void)
{
	batching = 1;
}

void
flush_batch(void)
{
	batching = 0;
	send_all(outbuf, outlen);
	outlen = 0;
}

/*
 * The next frame, waiting until the deadline: 1 with *body and *len
 * (valid until the next call), 0 at end of file.
 */
static int
next_frame(const uint8_t **body, size_t *len)
{
	static size_t consumed;
	uint64_t deadline, now;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int r;

	deadline =
	    peer_until != 0 ? peer_until : now_ms() + (uint64_t)peer_wait_ms;
	memmove(inbuf, inbuf + consumed, inlen - consumed);
	inlen -= consumed;
	consumed = 0;
	for (;;) {
		r = proto_frame_next(inbuf, inlen, body, len);
		if (r == -1)
			die("empty frame");
		if (r == 1) {
			consumed = 2 + *len;
			return 1;
		}
		if (gone)
			return 0;
		if ((now = now_ms()) >= deadline)
			die(peer_until != 0
			        ? "the node did not close the connection"
			        : "timed out waiting for the node");
		if (poll(&pfd, 1, (int)(deadline - now)) == -1 &&
		    errno != EINTR)
			die("poll: %s", strerror(errno));
		n = read(fd, inbuf + inlen, sizeof inbuf - inlen);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			return 0;
		if (n == -1 && errno != EINTR && errno != EAGAIN)
			die("read: %s", strerror(errno));
		if (n > 0)
			inlen += (size_t)n;
	}
}

void
send_msg(const struct proto_msg *m)
{
	static uint8_t plain[PROTO_PLAIN_MAX], frame[PROTO_FRAME_MAX];
	size_t n = proto_encode(m, plain, sizeof plain);

	if (n == 0)
		die("cannot encode type 0x%02x", m->type);
	if (noise_cipher_encrypt(&tx, NULL, 0, plain, n, frame) == -1)
		die("nonces exhausted");
	send_frame(frame, n + NOISE_TAGLEN);
}

int
next_msg(struct proto_msg *m)
{
	static uint8_t plain[PROTO_FRAME_MAX];
	struct proto_msg pong;
	const uint8_t *frame;
	const char *why;
	size_t len;

	for (;;) {
		if (next_frame(&frame, &len) == 0)
			return 0;
		if (len < NOISE_TAGLEN ||
		    noise_cipher_decrypt(&rx, NULL, 0, frame, len, plain) == -1)
			die("frame failed authentication");
		if (proto_decode(plain, len - NOISE_TAGLEN, PROTO_TEXT_MAX, m,
		        &why) == -1)
			die("bad message from the node: %s", why);
		if (m->type == PROTO_PING) {
			memset(&pong, 0, sizeof pong);
			pong.type = PROTO_PONG;
			pong.u.token = m->u.token;
			send_msg(&pong);
			continue;
		}
		if (m->type == PROTO_BYE)
			return 0;
		return 1;
	}
}

void
dial(const char *where)
{
	struct sockaddr_in sin;
	char host[64], *colon;

	snprintf(host, sizeof host, "%s", where);
	if ((colon = strrchr(host, ':')) == NULL)
		die("%s: not HOST:PORT", where);
	*colon = '\0';
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		die("%s: not a numeric IPv4 address", host);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1)
		die("connect %s: %s", where, strerror(errno));
}

struct noise_hs *
peer_hs_fresh(void)
{
	uint8_t sk[NOISE_KEYLEN];
	struct noise_hs *hs;
	char *cause;

	hs = noise_hs_create(PROTO_NOISE, NOISE_INITIATOR,
	    (const uint8_t *)PROTO_PROLOGUE, strlen(PROTO_PROLOGUE), &cause);
	if (hs == NULL)
		die("noise: %s", cause);
	ident_random(sk, sizeof sk);
	noise_hs_set_s(hs, sk);
	ident_wipe(sk, sizeof sk);
	if (noise_hs_start(hs, &cause) == -1)
		die("noise: %s", cause);
	return hs;
}

void
handshake(const char *nick)
{
	uint8_t msg[256], payload[64];
	const uint8_t *frame;
	struct noise_hs *hs;
	struct proto_msg m;
	uint16_t version;
	uint32_t caps;
	char fp[IDENT_FP_LEN + 1];
	size_t len, plen;

	hs = peer_hs_fresh();
	if (noise_hs_write(hs, NULL, 0, msg, sizeof msg, &len) == -1)
		die("noise: message 1");
	send_frame(msg, len);
	if (next_frame(&frame, &len) == 0)
		die("closed during the handshake");
	if (noise_hs_read(hs, frame, len, payload, sizeof payload, &plen) ==
	        -1 ||
	    proto_hs_payload_decode(payload, plen, &version, &caps) == -1)
		die("noise: bad message 2");
	proto_hs_payload_encode(payload);
	/* Line feeds in chat are beyond us: the node must not send them. */
	payload[5] &= (uint8_t)~PROTO_CAP_TEXT;
	if (noise_hs_write(
	        hs, payload, PROTO_HS_PAYLOAD_LEN, msg, sizeof msg, &len) == -1)
		die("noise: message 3");
	send_frame(msg, len);
	if (noise_hs_split(hs, &tx, &rx) == -1)
		die("noise: split");
	tx.rekey_interval = rx.rekey_interval = PROTO_REKEY_INTERVAL;
	noise_hs_hash(hs, peer_sid);
	memcpy(peer_own, noise_hs_local_static(hs), IDENT_KEYLEN);
	memcpy(peer_theirs, noise_hs_remote_static(hs), IDENT_KEYLEN);
	noise_hs_free(hs);
	ident_fingerprint(peer_own, fp);
	say("fingerprint %s", fp);

	memset(&m, 0, sizeof m);
	m.type = PROTO_HELLO;
	m.u.hello.version = PROTO_VERSION;
	snprintf(m.u.hello.nick, sizeof m.u.hello.nick, "%s", nick);
	send_msg(&m);
}
