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
 * connection), 1 otherwise.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flip.h"
#include "ident.h"
#include "noise.h"
#include "proto.h"

#define WAIT_MS 10000

static int fd = -1;
static struct noise_cipher tx, rx;
static uint8_t sid[NOISE_HASHLEN], own[IDENT_KEYLEN], theirs[IDENT_KEYLEN];
static uint8_t inbuf[2 * PROTO_FRAME_MAX + 4];
static size_t inlen;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("flipcheat: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
send_frame(const uint8_t *body, size_t len)
{
	uint8_t hdr[2];

	proto_frame_header(hdr, len);
	if (send(fd, hdr, 2, MSG_NOSIGNAL) != 2 ||
	    send(fd, body, len, MSG_NOSIGNAL) != (ssize_t)len)
		die("send: %s", strerror(errno));
}

/*
 * The next frame, waiting until the deadline: 1 with *body and *len
 * (valid until the next call), 0 at end of file.
 */
static int
next_frame(const uint8_t **body, size_t *len)
{
	static size_t consumed;
	uint64_t deadline = now_ms() + WAIT_MS, now;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int r;

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
		if ((now = now_ms()) >= deadline)
			die("timed out waiting for the node");
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

static void
send_msg(const struct proto_msg *m)
{
	uint8_t plain[PROTO_PLAIN_MAX], frame[PROTO_FRAME_MAX];
	size_t n = proto_encode(m, plain, sizeof plain);

	if (n == 0)
		die("cannot encode type 0x%02x", m->type);
	if (noise_cipher_encrypt(&tx, NULL, 0, plain, n, frame) == -1)
		die("nonces exhausted");
	send_frame(frame, n + NOISE_TAGLEN);
}

/*
 * The next message that is not a PING (answered) or a PONG when
 * want_pong is 0: 1 with *m, 0 if the node closed the connection. The
 * plaintext stays valid until the next call.
 */
static int
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

static void
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

/* Noise_XX as initiator, then HELLO both ways. */
static void
handshake(void)
{
	uint8_t sk[NOISE_KEYLEN], msg[256], payload[64];
	const uint8_t *frame;
	struct noise_hs *hs;
	struct proto_msg m;
	uint16_t version;
	uint32_t caps;
	char *cause, fp[IDENT_FP_LEN + 1];
	size_t len, plen;

	hs = noise_hs_create(PROTO_NOISE, NOISE_INITIATOR,
	    (const uint8_t *)PROTO_PROLOGUE, strlen(PROTO_PROLOGUE), &cause);
	if (hs == NULL)
		die("noise: %s", cause);
	ident_random(sk, sizeof sk);
	noise_hs_set_s(hs, sk);
	ident_wipe(sk, sizeof sk);
	if (noise_hs_start(hs, &cause) == -1)
		die("noise: %s", cause);
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
	if (noise_hs_write(
	        hs, payload, PROTO_HS_PAYLOAD_LEN, msg, sizeof msg, &len) == -1)
		die("noise: message 3");
	send_frame(msg, len);
	if (noise_hs_split(hs, &tx, &rx) == -1)
		die("noise: split");
	tx.rekey_interval = rx.rekey_interval = PROTO_REKEY_INTERVAL;
	noise_hs_hash(hs, sid);
	memcpy(own, noise_hs_local_static(hs), IDENT_KEYLEN);
	memcpy(theirs, noise_hs_remote_static(hs), IDENT_KEYLEN);
	noise_hs_free(hs);
	ident_fingerprint(own, fp);
	say("fingerprint %s", fp);

	memset(&m, 0, sizeof m);
	m.type = PROTO_HELLO;
	m.u.hello.version = PROTO_VERSION;
	snprintf(m.u.hello.nick, sizeof m.u.hello.nick, "cheater");
	send_msg(&m);
	expect(&m, PROTO_HELLO);
	say("online");
}

static void
hex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
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
	flip_commitment(sid, id, own, theirs, draw, n, a, m.u.flip.value);
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
	memcpy(fl.sid, sid, sizeof fl.sid);
	fl.draw = d;
	if (strcmp(mode, "honest") == 0) {
		reveal(fl.id, fl.a);
		flip_outcome(&fl, own, theirs);
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
	memcpy(fl.sid, sid, sizeof fl.sid);
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
	flip_commitment(sid, fl.id, theirs, own, draw, n, fl.a, expect_c);
	if (memcmp(expect_c, fl.commitment, sizeof expect_c) != 0)
		die("the node's reveal does not match its commitment");
	flip_outcome(&fl, theirs, own);
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
	const char *mode;

	if (argc != 3)
		die("usage: flipcheat HOST:PORT MODE");
	mode = argv[2];
	if (ident_init() == -1)
		die("cannot initialise libsodium");
	dial(argv[1]);
	handshake();
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
