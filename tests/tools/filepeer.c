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
 *   forgeonce PATH
 *              answer the first request with leaf 0 with a byte flipped,
 *              "forged", then nothing more until the node closes the
 *              connection: "closed"
 *   badorder PATH
 *              answer the first request with a piece at offset 32768,
 *              never sending offset 0 (PATH needs more than 32 KiB):
 *              "closed"
 *   offerflood PATH
 *              offer PATH 40 times at once: the node keeps 32 offers
 *              undecided and declines the rest: "declined 8"
 *   offercancel PATH
 *              offer PATH and withdraw the offer at once, 200 times with
 *              new ids: once the node's allowance of offers is used up
 *              it declines them; "declined 100" after 100 declines
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
 * and as a peer without the text capability (no line feeds in chat,
 * which peerlib never announces):
 *
 *   recvchat   acknowledge the first CHAT and print "chat TEXT-HEX"
 *
 * Progress goes to stdout, one line per step ("online", "offered ID
 * SIZE", "accept HAVE", "request INDEX", "offer SIZE NAME-HEX", "cancel
 * REASON", "closed", ...), flushed at once. Every wait has a 20-second
 * deadline; exit status 0 if MODE ran to its end as expected (for the
 * modes the node must refuse, that the node closed the connection or
 * cancelled with bad data), 1 otherwise.
 *
 * The transport is peerlib.c, shared with flipcheat.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ident.h"
#include "merkle.h"
#include "peerlib.h"
#include "proto.h"

#define PIECE (32 * 1024)
#define FLOOD 18
#define MAX_FILES 48
#define FLOOD_OFFERS 40 /* the node keeps 32 undecided */
#define CANCEL_PAIRS 200 /* offercancel: offers, each withdrawn */
#define CANCEL_DECLINED 100 /* declines it waits for */

/* A file we offer. */
struct offer {
	uint8_t id[PROTO_XFER_ID_LEN];
	int fd;
	uint64_t size; /* real */
	uint64_t claimed; /* offered */
	uint8_t root[MERKLE_HASHLEN];
	uint8_t (*leaves)[MERKLE_HASHLEN]; /* for merkle_proof() */
	uint64_t nleaves, cap;
	int done;
	unsigned leaf1; /* requests for leaf 1 so far */
};

const char peer_prog[] = "filepeer";
const int peer_wait_ms = 20000;

static struct offer offers[MAX_FILES];
static size_t noffers;
static uint8_t leafbuf[MERKLE_LEAF];

/*
 * The node must close the connection within peer_wait_ms; anything before
 * that is ignored (chunks and requests already in flight, and PINGs,
 * which would otherwise keep an open connection waiting forever).
 */
static int
expect_close(void)
{
	struct proto_msg m;

	peer_until = now_ms() + (uint64_t)peer_wait_ms;
	while (next_msg(&m) == 1)
		;
	say("closed");
	return 0;
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

/* Keeps the leaf hashes; the other nodes are worked out again. */
static int
node_cb(void *arg, unsigned int level, uint64_t index, const uint8_t *hash)
{
	struct offer *o = arg;

	(void)index;
	if (level != 0)
		return 0;
	if (o->nleaves == o->cap) {
		o->cap = o->cap == 0 ? 64 : o->cap * 2;
		o->leaves = realloc(o->leaves, o->cap * MERKLE_HASHLEN);
		if (o->leaves == NULL)
			die("out of memory");
	}
	memcpy(o->leaves[o->nleaves++], hash, MERKLE_HASHLEN);
	return 0;
}

static void
send_offer(const struct offer *o, const uint8_t *name, size_t namelen)
{
	struct proto_msg m;

	memset(&m, 0, sizeof m);
	m.type = PROTO_FILE_OFFER;
	memcpy(m.u.file.id, o->id, sizeof o->id);
	m.u.file.size = o->claimed;
	memcpy(m.u.file.root, o->root, sizeof o->root);
	m.u.file.name = (const char *)name;
	m.u.file.namelen = namelen;
	send_msg(&m);
}

/* Hash the file at path and offer it under the raw name. */
static void
offer_file(const uint8_t *name, size_t namelen, const char *path, int extra)
{
	struct offer *o;
	struct merkle_builder *mb;
	char idhex[2 * PROTO_XFER_ID_LEN + 1];
	ssize_t n;

	if (noffers == MAX_FILES)
		die("too many files");
	o = &offers[noffers++];
	if ((o->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		die("%s: %s", path, strerror(errno));
	mb = merkle_builder_create(node_cb, o);
	while ((n = read(o->fd, leafbuf, sizeof leafbuf)) > 0)
		merkle_builder_update(mb, leafbuf, (size_t)n);
	if (n == -1)
		die("%s: %s", path, strerror(errno));
	if (merkle_builder_final(mb, o->root, &o->size) == -1)
		die("%s: cannot hash it", path);
	merkle_builder_free(mb);
	o->claimed = o->size + (uint64_t)extra;
	ident_random(o->id, sizeof o->id);

	send_offer(o, name, namelen);
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
	/* No proof beyond the real size (wrongsize). */
	if ((depth = merkle_proof((const uint8_t(*)[MERKLE_HASHLEN])o->leaves,
	         o->nleaves, o->size, index, proof)) == -1)
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
	int bad, first = 1, declined = 0;

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
			if (strcmp(mode, "forgeonce") == 0) {
				serve(o, 0, 0, 1);
				say("forged");
				return expect_close();
			}
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
			if (strcmp(mode, "offerflood") == 0 &&
			    m.u.file.reason == PROTO_CANCEL_DECLINED) {
				if (++declined == FLOOD_OFFERS - 32) {
					say("declined %d", declined);
					return 0;
				}
				break;
			}
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

/* offercancel: offer o's file under new ids, withdrawing each at once,
 * then count the node's declines. */
static int
play_offercancel(struct offer *o, const char *name)
{
	struct proto_msg m;
	int i, declined = 0;

	for (i = 0; i < CANCEL_PAIRS; i++) {
		ident_random(o->id, sizeof o->id);
		send_offer(o, (const uint8_t *)name, strlen(name));
		memset(&m, 0, sizeof m);
		m.type = PROTO_FILE_CANCEL;
		memcpy(m.u.file.id, o->id, sizeof o->id);
		m.u.file.reason = PROTO_CANCEL_USER;
		send_msg(&m);
	}
	while (declined < CANCEL_DECLINED) {
		if (next_msg(&m) == 0)
			die("the node closed the connection");
		if (m.type == PROTO_FILE_CANCEL &&
		    m.u.file.reason == PROTO_CANCEL_DECLINED)
			declined++;
	}
	say("declined %d", declined);
	return 0;
}

/* recvchat: the first CHAT's text, as the node sent it. */
static int
play_recvchat(void)
{
	static char text[2 * PROTO_TEXT_MAX + 1];
	uint8_t id[PROTO_ID_LEN];
	struct proto_msg m;

	do {
		if (next_msg(&m) == 0)
			die("the node closed the connection");
	} while (m.type != PROTO_CHAT);
	hex(m.u.chat.text, m.u.chat.len, text);
	say("chat %s", text);
	memcpy(id, m.u.chat.id, sizeof id);
	memset(&m, 0, sizeof m);
	m.type = PROTO_ACK;
	memcpy(m.u.ack.id, id, sizeof id);
	send_msg(&m);
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
	begin_batch();
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
	struct proto_msg m;
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
	    strcmp(mode, "forgeonce") == 0 || strcmp(mode, "wrongsize") == 0 ||
	    strcmp(mode, "offerflood") == 0 ||
	    strcmp(mode, "offercancel") == 0) {
		if (argc != 4)
			die("usage: filepeer HOST:PORT %s PATH", mode);
	} else if (strcmp(mode, "badindex") == 0 ||
	    strcmp(mode, "flood") == 0 || strcmp(mode, "recvchat") == 0) {
		if (argc != 3)
			die("usage: filepeer HOST:PORT %s", mode);
	} else
		die("unknown mode %s", mode);

	dial(argv[1]);
	handshake("filepeer");
	if (next_msg(&m) == 0 || m.type != PROTO_HELLO)
		die("no HELLO from the node");
	say("online");
	if (strcmp(mode, "badindex") == 0 || strcmp(mode, "flood") == 0)
		return play_receiver(mode);
	if (strcmp(mode, "recvchat") == 0)
		return play_recvchat();
	if (strcmp(mode, "offer") == 0) {
		for (i = 3; i + 1 < argc; i += 2) {
			len = unhex(argv[i], name, sizeof name);
			offer_file(name, len, argv[i + 1], 0);
		}
	} else {
		/* The name is the file's own. */
		const char *base = strrchr(argv[3], '/');

		base = base != NULL ? base + 1 : argv[3];
		for (i = 0;
		     i < (strcmp(mode, "offerflood") == 0 ? FLOOD_OFFERS : 1);
		     i++)
			offer_file((const uint8_t *)base, strlen(base), argv[3],
			    strcmp(mode, "wrongsize") == 0);
		if (strcmp(mode, "offercancel") == 0)
			return play_offercancel(&offers[0], base);
	}
	return play_sender(mode);
}
