/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * filepeer: a minimal p2ptui client that sends and receives files
 * honestly or not, for tests/e2e/file_hostile.sh.
 *
 *   filepeer HOST:PORT MODE [ARGS]
 *
 * It dials a node (numeric IPv4), runs Noise_XX as initiator with a
 * fresh key, sends HELLO and waits for the node's HELLO (the test accepts
 * the contact request), then plays MODE. As the sender of PATH:
 *
 *   offer NAME-HEX PATH [NAME-HEX PATH ...]
 *              offer each file under a raw name (hex, so it may hold
 *              '/', control bytes or invalid UTF-8) and serve requests
 *              honestly: "done" for each file the node completes
 *   corrupt PATH
 *              flip a byte of the first answer for leaf 1 (PATH needs 2
 *              or more leaves), then serve honestly: "rerequested 1" when
 *              leaf 1 is asked for again, "done" at the end
 *   alwaysbad PATH
 *              flip a byte of leaf 0 every time: "cancel 5" (bad data)
 *   badorder PATH
 *              answer the first request with a piece at offset 32768,
 *              never sending offset 0 (PATH needs more than 32 KiB):
 *              "closed"
 *   wrongsize PATH
 *              offer a size one byte larger than PATH with the root of
 *              its real content, and serve the claimed lengths (the
 *              missing byte is a zero): the root binds the size, so no
 *              leaf verifies: "cancel 5"
 *
 * and as the receiver of a file the test sends to it with /send:
 *
 *   badindex   accept, then request the leaf just beyond the end: "closed"
 *   flood      accept, then send 18 requests in one write: "closed". (A
 *              request is outstanding at the sender until its leaf is
 *              sent, and p2ptui sends the whole first leaf before it
 *              reads the second request of the batch, so 18 are needed
 *              for a 17th outstanding one; 18 is also enough if it does
 *              not.)
 *
 * Progress goes to stdout, one line per step ("online", "offered ID
 * SIZE", "accept HAVE", "request INDEX", "offer SIZE NAME-HEX", "cancel
 * REASON", "closed", ...), flushed at once. Every wait has a 20-second
 * deadline; exit status 0 if MODE ran to its end as expected (for the
 * modes the node must refuse, that the node closed the connection or
 * cancelled with bad data), 1 otherwise.
 *
 * The transport is that of flipcheat.c.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ident.h"
#include "merkle.h"
#include "noise.h"
#include "proto.h"

#define WAIT_MS 20000
#define PIECE (32 * 1024)
#define FLOOD 18
#define MAX_FILES 32

/* A file we offer. */
struct offer {
	uint8_t id[PROTO_XFER_ID_LEN];
	int fd;
	uint64_t size; /* real */
	uint64_t claimed; /* offered */
	uint8_t root[MERKLE_HASHLEN];
	struct merkle_tree *tree; /* NULL for an empty file */
	uint8_t (*leaves)[MERKLE_HASHLEN];
	uint64_t nleaves, cap;
	int done;
	unsigned leaf1; /* requests for leaf 1 so far */
};

static int fd = -1;
static struct noise_cipher tx, rx;
static uint8_t inbuf[2 * PROTO_FRAME_MAX + 4];
static size_t inlen;
static uint8_t outbuf[FLOOD * 64];
static size_t outlen;
static int batching;
static int gone; /* the node reset the connection while we sent */
static uint64_t until; /* if set, the deadline of every wait */
static struct offer offers[MAX_FILES];
static size_t noffers;
static uint8_t leafbuf[MERKLE_LEAF];

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("filepeer: ", stderr);
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

/* Send what was batched in one write. */
static void
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
	uint64_t deadline = until != 0 ? until : now_ms() + WAIT_MS, now;
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
		if (gone)
			return 0;
		if ((now = now_ms()) >= deadline)
			die(until != 0 ? "the node did not close the connection"
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

static void
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

/*
 * The next message that is not a PING (answered): 1 with *m, 0 if the
 * node closed the connection. The plaintext stays valid until the next
 * call.
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

/*
 * The node must close the connection within WAIT_MS; anything before
 * that is ignored (chunks and requests already in flight, and PINGs,
 * which would otherwise keep an open connection waiting forever).
 */
static int
expect_close(void)
{
	struct proto_msg m;

	until = now_ms() + WAIT_MS;
	while (next_msg(&m) == 1)
		;
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
	uint8_t sk[NOISE_KEYLEN], msg[256], payload[64], own[IDENT_KEYLEN];
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
	memcpy(own, noise_hs_local_static(hs), IDENT_KEYLEN);
	noise_hs_free(hs);
	ident_fingerprint(own, fp);
	say("fingerprint %s", fp);

	memset(&m, 0, sizeof m);
	m.type = PROTO_HELLO;
	m.u.hello.version = PROTO_VERSION;
	snprintf(m.u.hello.nick, sizeof m.u.hello.nick, "filepeer");
	send_msg(&m);
	if (next_msg(&m) == 0 || m.type != PROTO_HELLO)
		die("no HELLO from the node");
	say("online");
}

static void
hex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

/* Decode hex into out (cap bytes); the length. */
static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s), i;
	unsigned v;

	if (n % 2 != 0 || n / 2 > cap)
		die("%s: not hex of at most %zu bytes", s, cap);
	for (i = 0; i < n / 2; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			die("%s: not hex", s);
		out[i] = (uint8_t)v;
	}
	return n / 2;
}

static void
leaf_cb(void *arg, uint64_t index, const uint8_t *hash)
{
	struct offer *o = arg;

	(void)index;
	if (o->nleaves == o->cap) {
		o->cap = o->cap == 0 ? 64 : o->cap * 2;
		o->leaves = realloc(o->leaves, o->cap * MERKLE_HASHLEN);
		if (o->leaves == NULL)
			die("out of memory");
	}
	memcpy(o->leaves[o->nleaves++], hash, MERKLE_HASHLEN);
}

/* Hash the file at path and offer it under the raw name. */
static void
offer_file(const uint8_t *name, size_t namelen, const char *path, int extra)
{
	struct offer *o;
	struct merkle_builder *mb;
	struct proto_msg m;
	char idhex[2 * PROTO_XFER_ID_LEN + 1];
	ssize_t n;

	if (noffers == MAX_FILES)
		die("too many files");
	o = &offers[noffers++];
	if ((o->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		die("%s: %s", path, strerror(errno));
	mb = merkle_builder_create(leaf_cb, o);
	while ((n = read(o->fd, leafbuf, sizeof leafbuf)) > 0)
		merkle_builder_update(mb, leafbuf, (size_t)n);
	if (n == -1)
		die("%s: %s", path, strerror(errno));
	merkle_builder_final(mb, o->root, &o->size);
	merkle_builder_free(mb);
	if (o->nleaves > 0)
		o->tree = merkle_tree_create(o->leaves, o->nleaves);
	o->claimed = o->size + (uint64_t)extra;
	ident_random(o->id, sizeof o->id);

	memset(&m, 0, sizeof m);
	m.type = PROTO_FILE_OFFER;
	memcpy(m.u.file.id, o->id, sizeof o->id);
	m.u.file.size = o->claimed;
	memcpy(m.u.file.root, o->root, sizeof o->root);
	m.u.file.name = (const char *)name;
	m.u.file.namelen = namelen;
	send_msg(&m);
	hex(o->id, sizeof o->id, idhex);
	say("offered %s %" PRIu64, idhex, o->claimed);
}

static struct offer *
find_offer(const uint8_t *id)
{
	size_t i;

	for (i = 0; i < noffers; i++) {
		if (memcmp(offers[i].id, id, PROTO_XFER_ID_LEN) == 0)
			return &offers[i];
	}
	die("a message for a transfer we never offered");
}

/*
 * Send leaf index of o as the claimed size has it, in pieces from offset
 * start (to the end, or only one piece if start is not 0); flip a byte of
 * it if corrupt.
 */
static void
serve(struct offer *o, uint64_t index, size_t start, int corrupt)
{
	uint8_t proof[MERKLE_DEPTH_MAX][MERKLE_HASHLEN];
	size_t len = merkle_leaf_len(o->claimed, index), off, n;
	struct proto_msg m;
	int depth = 0;
	ssize_t r;

	if (len == 0)
		die("request for leaf %" PRIu64 " beyond the end", index);
	if (start >= len)
		die("leaf %" PRIu64 " has no piece at offset %zu", index,
		    start);
	memset(leafbuf, 0, len);
	r = pread(o->fd, leafbuf, len, (off_t)(index * MERKLE_LEAF));
	if (r == -1)
		die("read: %s", strerror(errno));
	if (o->tree != NULL &&
	    (depth = merkle_tree_proof(o->tree, index, proof)) == -1)
		depth = 0;
	if (corrupt)
		leafbuf[len / 2] ^= 0x01;
	for (off = start; off < len; off += n) {
		n = len - off < PIECE ? len - off : PIECE;
		memset(&m, 0, sizeof m);
		m.type = PROTO_FILE_CHUNK;
		memcpy(m.u.file.id, o->id, sizeof o->id);
		m.u.file.index = index;
		m.u.file.offset = (uint32_t)off;
		if (off == 0) {
			m.u.file.nproof = (uint8_t)depth;
			m.u.file.proof = proof[0];
		}
		m.u.file.data = leafbuf + off;
		m.u.file.datalen = n;
		send_msg(&m);
		if (start != 0)
			break;
	}
}

/* The sender's modes: serve requests until every file is done. */
static int
play_sender(const char *mode)
{
	struct proto_msg m;
	struct offer *o;
	size_t ndone = 0;
	int bad, first = 1;

	while (ndone < noffers) {
		if (next_msg(&m) == 0) {
			say("closed");
			if (strcmp(mode, "badorder") == 0)
				return 0;
			die("the node closed the connection");
		}
		switch (m.type) {
		case PROTO_FILE_ACCEPT:
			find_offer(m.u.file.id);
			say("accept %" PRIu64, m.u.file.have);
			break;
		case PROTO_FILE_REQUEST:
			o = find_offer(m.u.file.id);
			say("request %" PRIu64, m.u.file.index);
			if (strcmp(mode, "badorder") == 0 && first) {
				/* Offset 0 never comes. */
				serve(o, m.u.file.index, PIECE, 0);
				return expect_close();
			}
			bad = 0;
			if (m.u.file.index == 1 && ++o->leaf1 == 2)
				say("rerequested 1");
			if (strcmp(mode, "corrupt") == 0)
				bad = m.u.file.index == 1 && o->leaf1 == 1;
			if (strcmp(mode, "alwaysbad") == 0)
				bad = m.u.file.index == 0;
			serve(o, m.u.file.index, 0, bad);
			first = 0;
			break;
		case PROTO_FILE_DONE:
			o = find_offer(m.u.file.id);
			if (!o->done) {
				o->done = 1;
				ndone++;
				say("done");
			}
			break;
		case PROTO_FILE_CANCEL:
			find_offer(m.u.file.id);
			say("cancel %u", m.u.file.reason);
			if ((strcmp(mode, "alwaysbad") == 0 ||
			        strcmp(mode, "wrongsize") == 0) &&
			    m.u.file.reason == PROTO_CANCEL_BAD_DATA)
				return 0;
			die("cancelled with reason %u", m.u.file.reason);
		default:
			break; /* chat, pongs: not our business */
		}
	}
	return 0;
}

/* The receiver's modes: the node offers us a file. */
static int
play_receiver(const char *mode)
{
	char namehex[2 * PROTO_FILE_NAME_MAX + 1];
	uint8_t id[PROTO_XFER_ID_LEN];
	struct proto_msg m;
	uint64_t size, count, i;

	do {
		if (next_msg(&m) == 0)
			die("the node closed the connection before offering");
	} while (m.type != PROTO_FILE_OFFER);
	memcpy(id, m.u.file.id, sizeof id);
	size = m.u.file.size;
	hex((const uint8_t *)m.u.file.name, m.u.file.namelen, namehex);
	say("offer %" PRIu64 " %s", size, namehex);
	count = merkle_leaf_count(size);

	memset(&m, 0, sizeof m);
	m.type = PROTO_FILE_ACCEPT;
	memcpy(m.u.file.id, id, sizeof id);
	send_msg(&m);
	memset(&m, 0, sizeof m);
	m.type = PROTO_FILE_REQUEST;
	memcpy(m.u.file.id, id, sizeof id);
	if (strcmp(mode, "badindex") == 0) {
		m.u.file.index = count;
		send_msg(&m);
		say("request %" PRIu64, count);
		return expect_close();
	}
	if (count == 0)
		die("flood needs a file that is not empty");
	batching = 1;
	for (i = 0; i < FLOOD; i++) {
		m.u.file.index = i % count;
		send_msg(&m);
	}
	flush_batch();
	say("requests %d", FLOOD);
	return expect_close();
}

int
main(int argc, char **argv)
{
	uint8_t name[PROTO_FILE_NAME_MAX];
	const char *mode;
	size_t len;
	int i;

	if (argc < 3)
		die("usage: filepeer HOST:PORT MODE [ARGS]");
	mode = argv[2];
	if (ident_init() == -1)
		die("cannot initialise libsodium");
	if (strcmp(mode, "offer") == 0) {
		if (argc < 5 || (argc - 3) % 2 != 0)
			die("usage: filepeer HOST:PORT offer NAME-HEX PATH ...");
	} else if (strcmp(mode, "corrupt") == 0 ||
	    strcmp(mode, "alwaysbad") == 0 || strcmp(mode, "badorder") == 0 ||
	    strcmp(mode, "wrongsize") == 0) {
		if (argc != 4)
			die("usage: filepeer HOST:PORT %s PATH", mode);
	} else if (strcmp(mode, "badindex") == 0 ||
	    strcmp(mode, "flood") == 0) {
		if (argc != 3)
			die("usage: filepeer HOST:PORT %s", mode);
	} else
		die("unknown mode %s", mode);

	dial(argv[1]);
	handshake();
	if (strcmp(mode, "badindex") == 0 || strcmp(mode, "flood") == 0)
		return play_receiver(mode);
	if (strcmp(mode, "offer") == 0) {
		for (i = 3; i + 1 < argc; i += 2) {
			len = unhex(argv[i], name, sizeof name);
			offer_file(name, len, argv[i + 1], 0);
		}
	} else {
		/* The name is the file's own. */
		const char *base = strrchr(argv[3], '/');

		base = base != NULL ? base + 1 : argv[3];
		offer_file((const uint8_t *)base, strlen(base), argv[3],
		    strcmp(mode, "wrongsize") == 0);
	}
	return play_sender(mode);
}
