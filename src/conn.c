/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One connection, from the socket to an authenticated session: dialling
 * (names resolved without blocking), the Noise handshake, framing, the
 * output buffer and its limits, keepalive and BYE. A connection's state
 * machine is drawn in engine_int.h; which peer it belongs to and whether
 * its key is trusted is peer.c's business, what its messages mean past
 * the session family (HELLO, PING, PONG, BYE, NICK) the features'.
 *
 * Invariants:
 * - The initiator checks the responder's key after message 2, before
 *   message 3 reveals its own identity: a pinned-key mismatch is refused
 *   without telling the impostor who we are.
 * - Connections are never freed inside their own callbacks: conn_close()
 *   closes the socket at once and queues the memory for conn_reap().
 * - Nothing from the network is trusted: every frame is bounded by the
 *   2-byte length, every message decoded to the byte by proto.c, and any
 *   violation closes that connection with one notice.
 * - Frames that depend on the open store transaction (ACKs, new
 *   messages) wait on the engine's uncommitted list for the commit hook.
 * - Output queued on an empty buffer in an iteration (a PING, a PONG, a
 *   BYE) is written by the commit hook, at the start of the next
 *   iteration, instead of asking epoll for POLLOUT and waking up once
 *   more only to write it: the fresh list. Connections that also hold
 *   frames for the commit are left to POLLOUT, so that chat keeps
 *   coming in batches (written at once, they made the other side's
 *   transactions smaller and its fsyncs more frequent).
 */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <unistd.h>

#include "conf.h"
#include "engine_int.h"
#include "ident.h"
#include "log.h"
#include "rdv_proto.h"
#include "util.h"
#include "xmalloc.h"

static void conn_keepalive(void *);
static void conn_try_next(struct conn *);

/* --- connections -------------------------------------------------------- */

struct conn *
conn_new(struct engine *eng, int initiator)
{
	struct conn *c = xcalloc(1, sizeof *c);

	c->eng = eng;
	c->serial = ++eng->conn_serial;
	c->route = "direct";
	c->fd = -1;
	c->initiator = initiator;
	buf_init(&c->in);
	buf_init(&c->out);
	LIST_INSERT_HEAD(&eng->conns, c, entry);
	eng->nconns++;
	return c;
}

void
conn_reap(void *arg)
{
	struct engine *eng = arg;
	struct conn *c;

	eng->reap = NULL;
	while ((c = LIST_FIRST(&eng->dead)) != NULL) {
		LIST_REMOVE(c, entry);
		free(c->target);
		free(c->preamble);
		buf_free(&c->in);
		buf_free(&c->out);
		free(c);
	}
}

/* An inbound connection whose key is an unanswered contact request. */
static int
conn_is_request(const struct conn *c)
{
	return !c->initiator && c->peer != NULL &&
	    c->peer->origin == PEER_UNKNOWN;
}

/*
 * Watch for what the connection can do now. Reading stops while more
 * than a little output waits (much less for a contact request): what we
 * read may make us answer, and a peer that sends but does not read must
 * not make us hold its answers.
 */
static void
conn_want_write(struct conn *c)
{
	size_t out = buf_used(&c->out);

	c->paused =
	    out > (conn_is_request(c) ? ENGINE_REQ_QUEUE : ENGINE_READ_PAUSE);
	if (c->watch != NULL)
		loop_watch_set(c->watch,
		    (c->paused ? 0 : POLLIN) | (out > 0 ? POLLOUT : 0));
}

void
conn_timer(struct conn *c, uint64_t ms, loop_timer_cb cb)
{
	if (c->timer != NULL)
		loop_timer_del(c->timer);
	c->timer = loop_timer_add(c->eng->loop, ms, cb, c);
}

/* The connection is gone: detach it from its peer, tell the user. */
static void
conn_detach(struct conn *c, const char *why)
{
	struct peer *p = c->peer;
	int was_online;

	if (p != NULL && p->conn == c) {
		was_online = p->state == PEER_ONLINE;
		p->conn = NULL;
		if (was_online)
			engine_offline(p);
		if (p->origin == PEER_UNKNOWN && p->state == PEER_REQUEST) {
			/* The request stays listed until answered. */
			peer_update(p);
			if (why != NULL)
				engine_notice_fold(c->eng, FOLD_REQUEST, p,
				    FE_INFO,
				    "the contact request of %s is offline "
				    "(%s); /accept %s still works",
				    p->name, why, p->name);
		} else {
			peer_update(p);
			if (was_online && why != NULL)
				engine_notice(c->eng, p, FE_INFO,
				    "%s went offline (%s)", p->name, why);
			peer_schedule(p);
		}
	}
	if (c->want != NULL && c->want->dial == c) {
		c->want->dial = NULL;
		peer_update(c->want);
		if (p == NULL && c->want->conn == NULL)
			peer_schedule(c->want);
	}
	c->peer = NULL;
	c->want = NULL;
}

/* The handshake is over, one way or another: free its slot. */
static void
conn_hs_done(struct conn *c)
{
	if (!c->in_hs)
		return;
	TAILQ_REMOVE(&c->eng->handshakes, c, hs_entry);
	c->eng->nhandshakes--;
	c->in_hs = 0;
}

/* The connection no longer counts against max_peers. */
static void
conn_uncount(struct conn *c)
{
	if (c->counted)
		c->eng->nsessions--;
	c->counted = 0;
}

/* Frames that depend on the open transaction were queued on c: it waits
 * for the commit hook before it writes. */
static void
conn_hold(struct conn *c)
{
	c->held = 1;
	if (c->uncommitted)
		return;
	c->uncommitted = 1;
	LIST_INSERT_HEAD(&c->eng->uncommitted, c, uncommitted_entry);
}

/* The transaction c waited for has ended. */
static void
conn_release(struct conn *c)
{
	if (!c->uncommitted)
		return;
	c->uncommitted = 0;
	LIST_REMOVE(c, uncommitted_entry);
}

static void conn_flush(struct conn *);

/* The output buffer was empty and no longer is: see the top. */
static void
conn_fresh(struct conn *c)
{
	if (c->fresh || c->eng->writing)
		return;
	c->fresh = 1;
	c->held = 0;
	LIST_INSERT_HEAD(&c->eng->fresh, c, fresh_entry);
}

static void
conn_unfresh(struct conn *c)
{
	c->held = 0;
	if (!c->fresh)
		return;
	c->fresh = 0;
	LIST_REMOVE(c, fresh_entry);
}

void
conn_commit(struct engine *eng, int failed)
{
	struct conn *c;
	int held;

	while ((c = LIST_FIRST(&eng->uncommitted)) != NULL) {
		conn_release(c);
		if (failed)
			conn_close(c, "cannot save messages");
	}
	/* What the writes make (pumped messages) waits for the next
	 * commit and POLLOUT: the list cannot grow while it is walked. */
	eng->writing = 1;
	while ((c = LIST_FIRST(&eng->fresh)) != NULL) {
		held = c->held;
		conn_unfresh(c);
		if ((c->state == CONN_HANDSHAKE || c->state == CONN_OPEN ||
		        c->state == CONN_CLOSING) &&
		    !held && !c->uncommitted && buf_used(&c->out) > 0)
			conn_flush(c);
	}
	eng->writing = 0;
}

void
conn_close(struct conn *c, const char *why)
{
	struct engine *eng = c->eng;

	if (c->state == CONN_DEAD)
		return;
	log_debug("conn %s closed: %s", c->addr, why != NULL ? why : "");
	c->state = CONN_DEAD;
	conn_release(c);
	conn_unfresh(c);
	engine_upload_forget(c);
	conn_hs_done(c);
	conn_uncount(c);
	if (c->timer != NULL)
		loop_timer_del(c->timer);
	c->timer = NULL;
	if (c->hello_timer != NULL)
		loop_timer_del(c->hello_timer);
	c->hello_timer = NULL;
	if (c->watch != NULL)
		loop_watch_del(c->watch);
	c->watch = NULL;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	net_resolve_cancel(c->resolve);
	c->resolve = NULL;
	noise_hs_free(c->hs);
	c->hs = NULL;
	noise_cipher_wipe(&c->tx);
	noise_cipher_wipe(&c->rx);
	ident_wipe(c->sid, sizeof c->sid);
	conn_detach(c, why);

	LIST_REMOVE(c, entry);
	eng->nconns--;
	LIST_INSERT_HEAD(&eng->dead, c, entry);
	if (eng->reap == NULL)
		eng->reap = loop_timer_add(eng->loop, 0, conn_reap, eng);
	/* A descriptor is free again: listen again if we had stopped. */
	if (eng->accept_timer != NULL) {
		loop_timer_del(eng->accept_timer);
		admit_resume(eng);
	}
}

/* A protocol violation: one notice, then close. */

void
conn_fail(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	if (c->candidate) /* a hint that did not work out: nobody asked */
		log_debug("%s: %s", c->addr, s);
	else if (!c->initiator && (c->peer == NULL || conn_is_request(c)))
		engine_notice_fold(c->eng, FOLD_STRANGER, c->peer, FE_WARN,
		    "%s: %s", c->addr, s);
	else
		engine_notice(c->eng, c->peer != NULL ? c->peer : c->want,
		    FE_WARN, "%s: %s", c->addr[0] != '\0' ? c->addr : c->target,
		    s);
	conn_close(c, s);
	free(s);
}

static void
conn_linger_expired(void *arg)
{
	struct conn *c = arg;

	c->timer = NULL;
	conn_close(c, NULL);
}

/* Send BYE and close once it is written (or after a short linger). */
void
conn_bye(struct conn *c, uint8_t reason, const char *why)
{
	struct proto_msg m;

	if (c->state == CONN_OPEN) {
		memset(&m, 0, sizeof m);
		m.type = PROTO_BYE;
		m.u.reason = reason;
		if (conn_send(c, &m) == -1)
			return; /* closed: it was not reading */
		conn_detach(c, why);
		conn_uncount(c);
		/* Written after the next commit, like everything else: an
		 * acknowledgement queued before the BYE must not leave
		 * before what it acknowledges is stored. */
		c->state = CONN_CLOSING;
		conn_timer(c, ENGINE_CLOSE_LINGER_MS, conn_linger_expired);
		conn_want_write(c);
		return;
	}
	conn_close(c, why);
}

/* Queue a handshake message as a frame. */
static int
conn_queue_frame(struct conn *c, const uint8_t *frame, size_t len)
{
	uint8_t hdr[2];
	size_t limit = (size_t)c->eng->conf->max_queue_kb * 1024;

	if (buf_used(&c->out) == 0)
		conn_fresh(c);
	proto_frame_header(hdr, len);
	buf_append(&c->out, hdr, 2);
	buf_append(&c->out, frame, len);
	c->last_tx = loop_now_ms();
	if (buf_used(&c->out) > limit) {
		conn_fail(c,
		    "more than %d KiB queued: the peer is not "
		    "reading",
		    c->eng->conf->max_queue_kb);
		return -1;
	}
	conn_want_write(c);
	return 0;
}

/*
 * Encrypt and queue one message. -1 if the connection is not open or was
 * just closed (nonces exhausted, or the peer stopped reading): the caller
 * must not touch it further except to read its state.
 */
int
conn_send(struct conn *c, const struct proto_msg *m)
{
	struct engine *eng = c->eng;
	uint8_t *out;
	size_t n;

	if (c->state != CONN_OPEN)
		return -1;
	n = proto_encode(m, eng->scratch, PROTO_PLAIN_MAX);
	if (n == 0)
		fatal("cannot encode message type %u", m->type);
	if (buf_used(&c->out) == 0)
		conn_fresh(c);
	out = buf_reserve(&c->out, 2 + n + NOISE_TAGLEN);
	if (noise_cipher_encrypt(&c->tx, NULL, 0, eng->scratch, n, out + 2) ==
	    -1) {
		conn_fail(c, "nonces exhausted");
		return -1;
	}
	proto_frame_header(out, n + NOISE_TAGLEN);
	buf_commit(&c->out, 2 + n + NOISE_TAGLEN);
	ident_wipe(eng->scratch, n);
	c->last_tx = loop_now_ms();
	if (buf_used(&c->out) > (size_t)eng->conf->max_queue_kb * 1024) {
		conn_fail(c,
		    "more than %d KiB queued: the peer is not "
		    "reading",
		    eng->conf->max_queue_kb);
		return -1;
	}
	conn_want_write(c);
	return 0;
}

/* Their HELLO is late: they have not accepted us (yet). */
static void
conn_hello_overdue(void *arg)
{
	struct conn *c = arg;

	c->hello_timer = NULL;
	c->unanswered = 1;
	if (c->peer != NULL)
		peer_update(c->peer);
}

/*
 * The address we listen on, for a HELLO: only the port if we listen on
 * a wildcard address (the peer pairs it with the address it sees us at).
 */
static void
conn_hello_listen(const struct engine *eng, struct proto_msg *m)
{
	static const uint8_t zero[16];
	struct proto_listen *l = &m->u.hello.listen[0];
	char host[UTIL_HOST_MAX], *why;
	uint16_t port;

	/* A port the router maps to ours: first, so a peer that sees us at
	 * that address dials the mapped port. */
	if (eng->mapped_port != 0) {
		memset(l, 0, sizeof *l);
		l->family = 4;
		memcpy(l->addr, eng->mapped_addr, 4);
		l->port = eng->mapped_port;
		m->u.hello.nlisten = 1;
		l++;
	}
	if (util_parse_hostport(eng->listen_addr, host, &port, 1, &why) == -1) {
		free(why);
		return;
	}
	if (port == 0)
		return;
	memset(l, 0, sizeof *l);
	l->port = port;
	if (inet_pton(AF_INET, host, l->addr) == 1)
		l->family = 4;
	else if (inet_pton(AF_INET6, host, l->addr) == 1)
		l->family = 6;
	if (memcmp(l->addr, zero, sizeof zero) == 0)
		l->family = 0;
	m->u.hello.nlisten++;
}

void
engine_set_mapped(struct engine *eng, const char *hostport)
{
	char host[UTIL_HOST_MAX], *why;
	uint16_t port;

	eng->mapped_port = 0;
	if (hostport == NULL)
		return;
	if (util_parse_hostport(hostport, host, &port, 0, &why) == -1) {
		free(why);
		return;
	}
	if (inet_pton(AF_INET, host, eng->mapped_addr) == 1)
		eng->mapped_port = port;
}

void
conn_send_hello(struct conn *c)
{
	struct proto_msg m;

	memset(&m, 0, sizeof m);
	m.type = PROTO_HELLO;
	m.u.hello.version = PROTO_VERSION;
	m.u.hello.caps = PROTO_CAPS;
	snprintf(m.u.hello.nick, sizeof m.u.hello.nick, "%s", c->eng->nick);
	if (c->rcaps & PROTO_CAP_PEER)
		conn_hello_listen(c->eng, &m);
	if (conn_send(c, &m) == -1)
		return;
	c->hello_sent = 1;
	if (!c->hello_got && c->hello_timer == NULL)
		c->hello_timer = loop_timer_add(
		    c->eng->loop, ENGINE_HELLO_WAIT_MS, conn_hello_overdue, c);
}

/*
 * Arm the next keepalive check, delay_ms from now plus up to a quarter
 * interval of jitter: the two ends drift apart, and as a PING received
 * re-arms the receiver, an idle connection costs one PING and one PONG
 * per interval, sent by whichever end's timer fires first. The timer is
 * coarse (up to about a second late): the checks of many connections
 * then fall due together, one wakeup for all of them.
 */
void
conn_keepalive_arm(struct conn *c, uint64_t delay_ms)
{
	const struct conf *conf = c->eng->conf;
	uint64_t ka = (uint64_t)conf->keepalive * 1000, now = loop_now_ms();
	uint64_t end = c->open_ms + (uint64_t)conf->request_timeout * 1000;

	delay_ms += ident_uniform((uint32_t)(ka / 4) + 1);
	/* An unanswered contact request is also checked when it is due. */
	if (conn_is_request(c) && end < now + delay_ms)
		delay_ms = end > now ? end - now : 0;
	if (c->timer != NULL)
		loop_timer_del(c->timer);
	c->timer =
	    loop_timer_add_coarse(c->eng->loop, delay_ms, conn_keepalive, c);
}

static void
conn_keepalive(void *arg)
{
	struct conn *c = arg;
	struct engine *eng = c->eng;
	uint64_t now = loop_now_ms(),
	         ka = (uint64_t)eng->conf->keepalive * 1000,
	         idle = now - c->last_rx;
	struct proto_msg m;

	c->timer = NULL;
	if (idle >= 3 * ka) {
		conn_fail(
		    c, "no answer for %d seconds", 3 * eng->conf->keepalive);
		return;
	}
	if (conn_is_request(c) &&
	    now - c->open_ms >= (uint64_t)eng->conf->request_timeout * 1000) {
		/* The request stays listed; the connection does not wait
		 * longer for the user (the peer dials again later). */
		conn_close(c, "contact request unanswered");
		return;
	}
	if (idle < ka) {
		/* Heard from them recently: check again an interval after. */
		conn_keepalive_arm(c, ka - idle);
		return;
	}
	memset(&m, 0, sizeof m);
	m.type = PROTO_PING;
	ident_random(&m.u.token, sizeof m.u.token);
	if (conn_send(c, &m) == -1)
		return;
	conn_keepalive_arm(c, ka);
}

void
conn_handshake_expired(void *arg)
{
	struct conn *c = arg;

	c->timer = NULL;
	conn_fail(c, "handshake timed out");
}

/* --- the handshake -------------------------------------------------------- */

int
conn_hs_start(struct conn *c)
{
	char *cause;

	c->hs = noise_hs_create(PROTO_NOISE,
	    c->initiator ? NOISE_INITIATOR : NOISE_RESPONDER,
	    (const uint8_t *)PROTO_PROLOGUE, strlen(PROTO_PROLOGUE), &cause);
	if (c->hs == NULL)
		fatal("noise: %s", cause);
	noise_hs_set_s(c->hs, c->eng->id->sk);
	if (noise_hs_start(c->hs, &cause) == -1)
		fatal("noise: %s", cause);
	c->state = CONN_HANDSHAKE;
	return 0;
}

/* Write the next handshake message with our version payload. */
static int
conn_hs_write(struct conn *c, int with_payload)
{
	uint8_t payload[PROTO_HS_PAYLOAD_LEN], msg[256];
	size_t len;

	proto_hs_payload_encode(payload);
	if (noise_hs_write(c->hs, payload, with_payload ? sizeof payload : 0,
	        msg, sizeof msg, &len) == -1) {
		conn_fail(c, "handshake failed");
		return -1;
	}
	return conn_queue_frame(c, msg, len);
}

/* Handshake done: derive the transport, start keepalives. */
static int
conn_hs_split(struct conn *c)
{
	if (noise_hs_split(c->hs, &c->tx, &c->rx) == -1) {
		conn_fail(c, "handshake failed");
		return -1;
	}
	c->tx.rekey_interval = c->rx.rekey_interval = PROTO_REKEY_INTERVAL;
	noise_hs_hash(c->hs, c->sid);
	noise_hs_free(c->hs);
	c->hs = NULL;
	c->state = CONN_OPEN;
	c->open_ms = loop_now_ms();
	/* Dialled in from beyond our networks while the router maps our
	 * port: through the mapping (a NAT lets nothing else in). */
	if (!c->initiator && c->eng->mapped_port != 0 &&
	    !net_peer_on_link(c->fd))
		c->route = "mapped";
	conn_hs_done(c);
	c->counted = 1;
	c->eng->nsessions++;
	conn_keepalive_arm(c, (uint64_t)c->eng->conf->keepalive * 1000);
	return 0;
}

static void
conn_handshake_frame(struct conn *c, const uint8_t *frame, size_t len)
{
	uint8_t payload[64];
	const uint8_t *rs;
	struct peer *p;
	uint64_t deadline, now;
	uint16_t version;
	uint32_t caps;
	size_t plen;

	if (noise_hs_action(c->hs) != NOISE_ACTION_READ) {
		conn_fail(c, "unexpected handshake message");
		return;
	}
	if (noise_hs_read(c->hs, frame, len, payload, sizeof payload, &plen) ==
	    -1) {
		conn_fail(c, "handshake failed (bad message)");
		return;
	}
	if (!c->initiator && noise_hs_action(c->hs) == NOISE_ACTION_WRITE) {
		/* Message 1 carries no payload. */
		if (plen != 0) {
			conn_fail(c, "handshake message 1 has a payload");
			return;
		}
		/* Message 1 came in time: the rest of handshake_timeout. */
		deadline = c->accepted_ms +
		    (uint64_t)c->eng->conf->handshake_timeout * 1000;
		now = loop_now_ms();
		conn_timer(c, deadline > now ? deadline - now : 0,
		    conn_handshake_expired);
		conn_hs_write(c, 1);
		return;
	}
	if (proto_hs_payload_decode(payload, plen, &version, &caps) == -1) {
		conn_fail(c, "bad handshake payload");
		return;
	}
	if ((rs = noise_hs_remote_static(c->hs)) == NULL)
		fatal("noise: no remote static after XX");
	memcpy(c->rkey, rs, IDENT_KEYLEN);
	c->rcaps = caps;
	if (c->initiator) {
		/* Check the key before message 3 reveals who we are. */
		if ((p = peer_check_responder(c)) == NULL)
			return;
		admit_known_add(c->eng, c->src);
		if (conn_hs_write(c, 1) == -1 || conn_hs_split(c) == -1)
			return;
		if (c->want != NULL && c->want->dial == c)
			c->want->dial = NULL;
		if (peer_attach(c, p) == -1)
			return;
		conn_send_hello(c);
		peer_update(p);
		if (p->conn == c && p->state != PEER_ONLINE)
			engine_opened(p);
		return;
	}
	if (c->candidate && !ident_key_equal(c->rkey, c->want->key)) {
		log_debug("%s is not at %s", c->want->name, c->addr);
		conn_close(c, NULL);
		return;
	}
	if (conn_hs_split(c) == -1)
		return;
	peer_check_initiator(c);
}

/* --- the session's messages ---------------------------------------------- */

/*
 * The address to dial p back at, from the LISTEN fields of its HELLO on
 * c: the port of the first one that names no address or the address c
 * comes from, at that address. A LISTEN naming another address is
 * skipped: a peer must not make us dial a host it does not connect
 * from (a third party's, or one on our own network). 0 if none.
 */
int
conn_listen_addr(
    const struct conn *c, const struct proto_msg *m, char *out, size_t len)
{
	const struct proto_listen *l;
	char seen[UTIL_HOST_MAX], *why;
	uint8_t bin[16];
	uint16_t port;
	int family = 0;
	unsigned i;

	if (util_parse_hostport(c->addr, seen, &port, 1, &why) == -1) {
		free(why);
		return 0;
	}
	/* A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d. */
	if (strncasecmp(seen, "::ffff:", 7) == 0 && strchr(seen, '.') != NULL)
		memmove(seen, seen + 7, strlen(seen + 7) + 1);
	if (inet_pton(AF_INET, seen, bin) == 1)
		family = 4;
	else if (inet_pton(AF_INET6, seen, bin) == 1)
		family = 6;
	for (i = 0; i < m->u.hello.nlisten; i++) {
		l = &m->u.hello.listen[i];
		if (l->family != 0 &&
		    (l->family != family ||
		        memcmp(l->addr, bin, family == 4 ? 4 : 16) != 0))
			continue;
		snprintf(out, len,
		    strchr(seen, ':') != NULL ? "[%s]:%u" : "%s:%u", seen,
		    l->port);
		return 1;
	}
	return 0;
}

static void
conn_handle(struct conn *c, const struct proto_msg *m)
{
	struct engine *eng = c->eng;
	struct peer *p = c->peer;
	struct proto_msg r;

	switch (m->type) {
	case 0:
		return; /* an unknown extension */
	case PROTO_PING:
		memset(&r, 0, sizeof r);
		r.type = PROTO_PONG;
		r.u.token = m->u.token;
		if (conn_send(c, &r) == 0)
			conn_keepalive_arm(
			    c, (uint64_t)eng->conf->keepalive * 1000);
		return;
	case PROTO_PONG:
		return;
	case PROTO_BYE:
		if (p != NULL && p->conn == c && peer_bye(p, m->u.reason)) {
			conn_close(c, NULL); /* peer_bye() told the user */
			return;
		}
		if (m->u.reason == PROTO_BYE_FULL)
			engine_notice(eng, p, FE_WARN,
			    "%s refused the connection: it has too many "
			    "connections (max_peers)",
			    c->addr);
		conn_close(c, proto_bye_text(m->u.reason));
		return;
	case PROTO_HELLO:
		if (c->hello_got) {
			conn_fail(c, "second hello");
			return;
		}
		c->hello_got = 1;
		c->unanswered = 0;
		if (c->hello_timer != NULL)
			loop_timer_del(c->hello_timer);
		c->hello_timer = NULL;
		if (p != NULL) {
			peer_hello(p, c, m);
			peer_update(p);
		}
		return;
	case PROTO_NICK:
		if (p == NULL || p->state != PEER_ONLINE) {
			conn_fail(c, "nick before hello");
			return;
		}
		peer_set_nick(p, m->u.nick);
		return;
	default:
		/* The features' types (feature.h). */
		if (!engine_dispatch(c, m))
			conn_fail(c, "unexpected message type 0x%02x", m->type);
		return;
	}
}

static void
conn_open_frame(struct conn *c, const uint8_t *frame, size_t len)
{
	struct engine *eng = c->eng;
	struct proto_msg m;
	const char *why;
	size_t n;

	if (len < NOISE_TAGLEN ||
	    noise_cipher_decrypt(&c->rx, NULL, 0, frame, len, eng->scratch2) ==
	        -1) {
		conn_fail(c, "frame failed authentication");
		return;
	}
	n = len - NOISE_TAGLEN;
	/* max_message limits what we send; what we accept is the
	 * protocol's bound, so peers with other settings interoperate. */
	if (proto_decode(eng->scratch2, n, PROTO_TEXT_MAX, &m, &why) == -1) {
		ident_wipe(eng->scratch2, n);
		conn_fail(c, "%s", why);
		return;
	}
	/* Extensions are ignored, but not in unbounded amounts. */
	if (m.type == 0 &&
	    !admit_bucket_take(&c->ignored, ENGINE_IGNORED_RATE,
	        ENGINE_IGNORED_BURST, (double)len, loop_now_ms())) {
		ident_wipe(eng->scratch2, n);
		conn_fail(c, "too many ignored extension messages");
		return;
	}
	conn_handle(c, &m);
	ident_wipe(eng->scratch2, n);
}

/* Handle the complete frames read, while output has room. */
static void
conn_process(struct conn *c)
{
	const uint8_t *frame;
	size_t len;
	int r;

	while ((c->state == CONN_HANDSHAKE || c->state == CONN_OPEN) &&
	    !c->paused) {
		r = proto_frame_next(
		    buf_head(&c->in), buf_used(&c->in), &frame, &len);
		if (r == 0)
			break;
		if (r == -1) {
			conn_fail(c, "empty frame");
			return;
		}
		if (c->state == CONN_HANDSHAKE)
			conn_handshake_frame(c, frame, len);
		else
			conn_open_frame(c, frame, len);
		if (c->state == CONN_DEAD)
			return;
		buf_consume(&c->in, 2 + len);
	}
	if (c->state == CONN_CLOSING)
		buf_consume(&c->in, buf_used(&c->in));
}

static void
conn_read(struct conn *c)
{
	ssize_t n;

	/* Strangers get small reads: a buffer each is all they cost. */
	n = net_read(c->fd, &c->in,
	    c->state == CONN_HANDSHAKE || conn_is_request(c) ? ENGINE_REQ_BURST
	                                                     : ENGINE_READ_MAX);
	if (n == 0) {
		if (buf_used(&c->in) > 0 && c->state != CONN_CLOSING)
			conn_fail(c,
			    "connection closed in the middle of a "
			    "frame");
		else
			conn_close(c, "connection closed");
		return;
	}
	if (n == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			conn_close(c, strerror(errno));
		return;
	}
	c->last_rx = loop_now_ms();
	/* A contact request gets a small budget: a key costs nothing. */
	if (conn_is_request(c) &&
	    !admit_bucket_take(&c->req_budget, ENGINE_REQ_RATE,
	        ENGINE_REQ_BURST, (double)n, c->last_rx)) {
		conn_fail(c, "sent more than a contact request may");
		return;
	}
	conn_process(c);
}

static void
conn_flush(struct conn *c)
{
	if (net_write(c->fd, &c->out) == -1 && errno != EAGAIN &&
	    errno != EWOULDBLOCK) {
		conn_close(c, strerror(errno));
		return;
	}
	if (c->state == CONN_CLOSING && buf_used(&c->out) == 0) {
		conn_close(c, NULL);
		return;
	}
	/* Output has drained: handle what was read but held back. */
	if (c->paused) {
		conn_want_write(c);
		if (!c->paused && buf_used(&c->in) > 0) {
			conn_process(c);
			if (c->state == CONN_DEAD)
				return;
		}
	}
	/* Room for what the features hold back (chat first, then files). */
	if (c->peer != NULL && c->peer->conn == c)
		engine_drained(c->peer);
	conn_want_write(c);
}

static void
conn_connected(struct conn *c)
{
	int err = net_connect_error(c->fd);

	if (err != 0) {
		c->last_errno = err;
		loop_watch_del(c->watch);
		c->watch = NULL;
		close(c->fd);
		c->fd = -1;
		conn_try_next(c);
		return;
	}
	conn_hs_start(c);
	if (c->preamble != NULL) { /* the relay hello, in the clear */
		buf_append(&c->out, c->preamble, c->preamble_len);
		conn_want_write(c);
	}
	if (c->initiator)
		conn_hs_write(c, 0);
	else /* a punch where we answer: message 1 is theirs */
		c->accepted_ms = loop_now_ms();
}

void
conn_io(int fd, int revents, void *arg)
{
	struct conn *c = arg;

	(void)fd;
	if (c->state == CONN_CONNECTING) {
		conn_connected(c);
		return;
	}
	if (c->paused && (revents & (POLLHUP | POLLERR))) {
		/* Not reading, and what waits can no longer be sent. */
		conn_close(c, "connection lost");
		return;
	}
	if (!c->paused && (revents & (POLLIN | POLLHUP | POLLERR)))
		conn_read(c);
	/* Frames that depend on the open transaction (ACKs just queued by
	 * the read above) wait for the commit hook: POLLOUT stays armed,
	 * so the next poll() writes them right after the commit. */
	if (c->state != CONN_DEAD && (revents & POLLOUT) && !c->uncommitted)
		conn_flush(c);
}

/* --- dialling ----------------------------------------------------------- */

/* Automatic retries fail quietly: the peer list shows the state. */
static void
conn_dial_failed(struct conn *c, const char *why)
{
	if (c->explicit)
		engine_notice(c->eng, c->want, FE_ERROR,
		    "cannot connect to %s: %s", c->target, why);
	else
		log_debug("cannot connect to %s: %s", c->target, why);
	conn_close(c, NULL);
}

static void
conn_try_next(struct conn *c)
{
	struct sockaddr *sa;
	socklen_t len;

	while (c->next_addr < c->naddrs) {
		sa = (struct sockaddr *)&c->addrs[c->next_addr++];
		len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
		                                : sizeof(struct sockaddr_in);
		net_addr_str(sa, c->addr);
		net_addr_prefix(sa, 32, 64, c->src);
		if ((c->fd = net_connect_from(sa, len, c->bind_port)) == -1) {
			c->last_errno = errno;
			continue;
		}
		c->state = CONN_CONNECTING;
		c->watch =
		    loop_watch_add(c->eng->loop, c->fd, POLLOUT, conn_io, c);
		return;
	}
	conn_dial_failed(
	    c, strerror(c->last_errno ? c->last_errno : ECONNREFUSED));
}

static void
conn_resolved(
    void *arg, const struct sockaddr_storage *addrs, size_t n, const char *err)
{
	struct conn *c = arg;

	c->resolve = NULL;
	if (n == 0) {
		conn_dial_failed(c, err);
		return;
	}
	memcpy(c->addrs, addrs, n * sizeof *addrs);
	c->naddrs = n;
	c->next_addr = 0;
	conn_timer(c, (uint64_t)c->eng->conf->handshake_timeout * 1000,
	    conn_handshake_expired);
	conn_try_next(c);
}

static struct conn *
conn_dial_start(struct engine *eng, struct peer *p, const char *target,
    int initiator, char **cause)
{
	char host[UTIL_HOST_MAX];
	struct conn *c;
	uint16_t port;

	if (util_parse_hostport(target, host, &port, 0, cause) == -1)
		return NULL;
	c = conn_new(eng, initiator);
	c->target = xstrdup(target);
	c->want = p;
	c->state = CONN_RESOLVING;
	log_debug("dialling %s", target);
	c->resolve = net_resolve(eng->loop, host, port, conn_resolved, c);
	return c;
}

void
conn_dial(struct engine *eng, struct peer *p, const char *target, int explicit)
{
	char *cause;
	struct conn *c;

	if ((c = conn_dial_start(eng, p, target, 1, &cause)) == NULL) {
		engine_notice(eng, p, FE_ERROR, "%s", cause);
		free(cause);
		return;
	}
	c->explicit = explicit;
	if (p != NULL) {
		p->dial = c;
		peer_update(p);
	}
}

/* Has p a session, or one on the way, that is not relayed? A relayed one
 * is dialled past: a direct session replaces it (peer_attach()). */
static int
conn_direct(const struct peer *p)
{
	return p->conn != NULL && strcmp(p->conn->route, "relay") != 0;
}

int
engine_dial_candidate(struct engine *eng, struct peer *p, const char *hostport,
    const char *route, char **cause)
{
	struct conn *c;

	if (!p->has_key) {
		*cause = xasprintf("%s has no key yet", p->name);
		return -1;
	}
	if (conn_direct(p))
		return 0;
	if ((c = conn_dial_start(eng, p, hostport, 1, cause)) == NULL)
		return -1;
	c->candidate = 1;
	c->route = route;
	return 0;
}

int
engine_punch(
    struct engine *eng, struct peer *p, const char *hostport, char **cause)
{
	struct conn *c;
	uint16_t port;

	if (!p->has_key) {
		*cause = xasprintf("%s has no key yet", p->name);
		return -1;
	}
	if ((port = engine_listen_port(eng)) == 0) {
		*cause = xasprintf("not listening: nothing to punch from");
		return -1;
	}
	if (conn_direct(p))
		return 0;
	/* Both sides connect(); if the SYNs cross, neither accepted, so
	 * the keys say who speaks first. */
	if ((c = conn_dial_start(eng, p, hostport,
	         memcmp(eng->id->pk, p->key, IDENT_KEYLEN) < 0, cause)) == NULL)
		return -1;
	c->candidate = 1;
	c->bind_port = port;
	c->route = "punched";
	return 0;
}

int
engine_relay(struct engine *eng, struct peer *p, const char *hostport,
    const uint8_t token[32], int initiator, char **cause)
{
	struct conn *c;

	if (!p->has_key) {
		*cause = xasprintf("%s has no key yet", p->name);
		return -1;
	}
	if ((c = conn_dial_start(eng, p, hostport, initiator, cause)) == NULL)
		return -1;
	c->candidate = 1;
	c->route = "relay";
	c->preamble_len = RDV_HELLO_LEN;
	c->preamble = xmalloc(RDV_HELLO_LEN);
	rdv_proto_hello(token, c->preamble);
	return 0;
}

int
engine_connect_member(struct engine *eng, const char *hostport, char **cause)
{
	struct conn *c;

	if ((c = conn_dial_start(eng, NULL, hostport, 1, cause)) == NULL)
		return -1;
	c->explicit = 1;
	c->member = 1;
	return 0;
}

const char *
engine_peer_route(const struct peer *p)
{
	if (p->conn == NULL || p->conn->state != CONN_OPEN)
		return NULL;
	return p->conn->route;
}

const char *
engine_listen_addr(const struct engine *eng)
{
	return eng->listen_addr;
}

uint16_t
engine_listen_port(const struct engine *eng)
{
	char host[UTIL_HOST_MAX], *why;
	uint16_t port;

	if (eng->lfd == -1)
		return 0;
	if (util_parse_hostport(eng->listen_addr, host, &port, 1, &why) == -1) {
		free(why);
		return 0;
	}
	return port;
}

int
engine_send_msg(
    struct engine *eng, struct peer *p, const struct proto_msg *m, char **cause)
{
	(void)eng;
	if (p->state != PEER_ONLINE || p->conn == NULL) {
		*cause =
		    xasprintf("%s is %s", p->name, peer_state_name(p->state));
		return -1;
	}
	if (conn_send(p->conn, m) == -1) {
		*cause = xasprintf("the connection to %s failed", p->name);
		return -1;
	}
	return 0;
}

int
engine_send_early(struct peer *p, const struct proto_msg *m, char **cause)
{
	if (p->conn == NULL || conn_send(p->conn, m) == -1) {
		*cause = xasprintf("%s is not connected", p->name);
		return -1;
	}
	return 0;
}

const char *
engine_conn_target(const struct peer *p)
{
	return p->conn != NULL && p->conn->initiator ? p->conn->target : NULL;
}

void
engine_hold(struct peer *p)
{
	if (p->conn != NULL)
		conn_hold(p->conn);
}

void
engine_drop(struct peer *p, const char *why)
{
	if (p->conn != NULL)
		conn_close(p->conn, why);
}

uint32_t
engine_peer_caps(const struct peer *p)
{
	return p->conn != NULL ? p->conn->rcaps : 0;
}

const uint8_t *
engine_session_id(const struct peer *p)
{
	if (p->conn == NULL || p->conn->state != CONN_OPEN)
		return NULL;
	return p->conn->sid;
}

size_t
engine_queued(const struct peer *p)
{
	if (p->state != PEER_ONLINE || p->conn == NULL ||
	    p->conn->state != CONN_OPEN)
		return SIZE_MAX;
	return buf_used(&p->conn->out);
}

uint64_t
engine_conn_serial(const struct peer *p)
{
	return p->conn != NULL ? p->conn->serial : 0;
}
