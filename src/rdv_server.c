/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rendezvous server (rdv_server.h). Every accepted connection is a
 * struct rdv_cl:
 *
 *   FIRST --(frame of 32 bytes: Noise message 1)--> SESSION
 *         --(relay hello with a known token)------> RELAY half
 *         --(anything else, or 10 s)--------------> closed
 *
 * A SESSION whose handshake completed is *online*: in the tree of keys
 * (one session per key; a newer one replaces the older). Presence needs
 * no index of subscribers: A and B are mutual contacts when each one's
 * sorted subscription list holds the other, so a change of A is told by
 * walking A's own list. Sending only appends to buffers and asks for
 * POLLOUT; a connection that fails is marked dead and freed by a
 * zero-delay timer, so no handler ever frees what a caller still uses.
 *
 * Relays, which pair two RELAY halves by their tokens, are rdv_relay.c's;
 * the structures both files use are in rdv_server_int.h.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_rdv.h"
#include "ident.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "rdv_proto.h"
#include "rdv_sess.h"
#include "rdv_server.h"
#include "rdv_server_int.h"
#include "store_rdv.h"
#include "util.h"
#include "xmalloc.h"

/* --- small things ----------------------------------------------------- */

static int
rdv_key_cmp(const void *a, const void *b)
{
	return memcmp(((const struct rdv_cl *)a)->key,
	    ((const struct rdv_cl *)b)->key, RDV_KEYLEN);
}

static int
rdv_raw_cmp(const void *a, const void *b)
{
	return memcmp(a, b, RDV_KEYLEN);
}

/* Refill a bucket of rate per period_ms (burst: rate; starts full). */
void
rdv_refill(struct rdv_bucket *b, double rate, double period_ms)
{
	uint64_t now = loop_now_ms();

	if (!b->primed) {
		b->primed = 1;
		b->tokens = rate;
		b->last = now;
	}
	b->tokens += (double)(now - b->last) * rate / period_ms;
	if (b->tokens > rate)
		b->tokens = rate;
	b->last = now;
}

/* Take n tokens; -1 (taking none) if there are fewer. */
static int
rdv_take(struct rdv_bucket *b, double rate, double period_ms, double n)
{
	rdv_refill(b, rate, period_ms);
	if (b->tokens < n)
		return -1;
	b->tokens -= n;
	return 0;
}

static struct rdv_bucket *
rdv_lim_bucket(struct rdv_lim *l, enum rdv_limit_kind kind)
{
	return kind == RDV_LIMIT_REG   ? &l->reg
	    : kind == RDV_LIMIT_LOOKUP ? &l->lookup
	                               : &l->connect;
}

/* Per key and per address: both must have a token. */
int
rdv_limit(
    struct rdv_cl *c, enum rdv_limit_kind kind, int rate, double period_ms)
{
	struct rdv_bucket *kb, *ab = rdv_lim_bucket(c->src, kind);

	kb = c->klim != NULL ? rdv_lim_bucket(c->klim, kind) : NULL;
	rdv_refill(ab, rate, period_ms);
	if (kb != NULL)
		rdv_refill(kb, rate, period_ms);
	if (ab->tokens < 1 || (kb != NULL && kb->tokens < 1))
		return -1;
	ab->tokens -= 1;
	if (kb != NULL)
		kb->tokens -= 1;
	return 0;
}

struct rdv_cl *
rdv_find(struct rdv_server *srv, const uint8_t *key)
{
	struct rdv_cl probe, **found;

	memcpy(probe.key, key, RDV_KEYLEN);
	found = tfind(&probe, &srv->keys, rdv_key_cmp);
	return found != NULL ? *found : NULL;
}

static int
rdv_subscribed(const struct rdv_cl *c, const uint8_t *key)
{
	return c->nsubs != 0 &&
	    bsearch(key, c->subs, c->nsubs, RDV_KEYLEN, rdv_raw_cmp) != NULL;
}

static int
rdv_mutual(const struct rdv_cl *a, const struct rdv_cl *b)
{
	return rdv_subscribed(a, b->key) && rdv_subscribed(b, a->key);
}

struct rdv_slot *
rdv_slot_find(struct rdv_slot *slots, const uint8_t *key, uint64_t max_age)
{
	uint64_t now = loop_now_ms();
	size_t i;

	for (i = 0; i < RDV_SLOTS; i++)
		if (slots[i].ms != 0 && now - slots[i].ms <= max_age &&
		    memcmp(slots[i].key, key, RDV_KEYLEN) == 0)
			return &slots[i];
	return NULL;
}

/* Remember key in slots, replacing the oldest. */
static void
rdv_slot_put(struct rdv_slot *slots, const uint8_t *key)
{
	struct rdv_slot *s = &slots[0];
	size_t i;

	for (i = 0; i < RDV_SLOTS; i++) {
		if (memcmp(slots[i].key, key, RDV_KEYLEN) == 0) {
			s = &slots[i];
			break;
		}
		if (slots[i].ms < s->ms)
			s = &slots[i];
	}
	memcpy(s->key, key, RDV_KEYLEN);
	s->ms = loop_now_ms();
}

/* --- output ------------------------------------------------------------- */

static struct buf *
rdv_outbuf(struct rdv_cl *c)
{
	return c->kind == RDV_SESSION ? &c->sess.out : &c->out;
}

static void
rdv_want(struct rdv_cl *c)
{
	int ev = POLLIN;

	if (c->dead)
		return;
	if (c->kind == RDV_RELAY) {
		if (c->relay != NULL)
			rdv_relay_update(c->relay);
		return;
	}
	if (buf_used(rdv_outbuf(c)) != 0)
		ev |= POLLOUT;
	loop_watch_set(c->watch, ev);
}

void
rdv_send(struct rdv_cl *c, const struct rdv_msg *m)
{
	struct rdv_server *srv = c->srv;
	size_t n;

	if (c->dead || c->kind != RDV_SESSION)
		return;
	if ((n = rdv_proto_encode(m, srv->msgbuf, sizeof srv->msgbuf)) == 0)
		fatal("rdv: cannot encode type 0x%02x", m->type);
	if (rdv_sess_send(&c->sess, srv->msgbuf, n) == -1) {
		rdv_cl_kill(c, "cannot encrypt");
		return;
	}
	rdv_want(c);
}

void
rdv_refuse(struct rdv_cl *c, uint8_t what, uint8_t reason)
{
	struct rdv_msg m;

	memset(&m, 0, sizeof m);
	m.type = RDV_MSG_REFUSED;
	m.what = what;
	m.reason = reason;
	rdv_send(c, &m);
}

/* --- presence ----------------------------------------------------------- */

static void
rdv_presence(struct rdv_cl *to, const struct rdv_cl *about, int online)
{
	struct rdv_msg m;

	memset(&m, 0, sizeof m);
	m.type = RDV_MSG_PRESENCE;
	memcpy(m.key, about->key, RDV_KEYLEN);
	m.flag = (uint8_t)online;
	strcpy(m.name, about->name);
	rdv_send(to, &m);
}

/* Tell c's online mutual contacts that c is (still) online or not. */
static void
rdv_presence_all(struct rdv_cl *c, int online)
{
	struct rdv_cl *o;
	size_t i;

	for (i = 0; i < c->nsubs; i++) {
		o = rdv_find(c->srv, c->subs + i * RDV_KEYLEN);
		if (o != NULL && o != c && rdv_subscribed(o, c->key))
			rdv_presence(o, c, online);
	}
}

/* --- the life of a connection ------------------------------------------ */

static void
rdv_reap(void *arg)
{
	struct rdv_server *srv = arg;
	struct rdv_cl *c;

	srv->reap = NULL;
	while ((c = LIST_FIRST(&srv->dead)) != NULL) {
		LIST_REMOVE(c, dead_entry);
		if (c->has_sess)
			rdv_sess_clear(&c->sess);
		buf_free(&c->in);
		buf_free(&c->out);
		free(c->subs);
		free(c);
	}
}

void
rdv_cl_kill(struct rdv_cl *c, const char *why)
{
	struct rdv_server *srv = c->srv;
	struct rdv_relay *r;

	if (c->dead)
		return;
	log_debug("rdv: %s:%u: %s", c->host, c->sport, why);
	c->dead = 1;
	if (c->online) {
		tdelete(c, &srv->keys, rdv_key_cmp);
		c->online = 0;
		srv->nclients--;
		rdv_presence_all(c, 0);
	}
	if ((r = c->relay) != NULL) {
		r->half[c->side] = NULL;
		c->relay = NULL;
		/* The other half gets what is already on its way. */
		if (r->paired && r->half[!c->side] != NULL &&
		    buf_used(&r->half[!c->side]->out) != 0)
			rdv_relay_update(r);
		else
			rdv_relay_free(r);
	}
	loop_watch_del(c->watch);
	c->watch = NULL;
	if (c->timer != NULL)
		loop_timer_del(c->timer);
	c->timer = NULL;
	close(c->fd);
	c->fd = -1;
	srv->nconns--;
	rdv_lim_put(&srv->klims, c->klim);
	c->klim = NULL;
	rdv_lim_put(&srv->srcs, c->src);
	c->src = NULL;
	LIST_REMOVE(c, entry);
	LIST_INSERT_HEAD(&srv->dead, c, dead_entry);
	if (srv->reap == NULL)
		srv->reap = loop_timer_add(srv->loop, 0, rdv_reap, srv);
}

static void
rdv_idle(void *arg)
{
	struct rdv_cl *c = arg;
	uint64_t idle = loop_now_ms() - c->last_rx;

	c->timer = NULL;
	if (c->kind != RDV_SESSION || c->has_sess == 0 ||
	    c->sess.state != RDV_SESS_OPEN) {
		rdv_cl_kill(c, "too slow to start");
		return;
	}
	if (idle >= RDV_IDLE_MS) {
		rdv_cl_kill(c, "idle");
		return;
	}
	c->timer = loop_timer_add_coarse(
	    c->srv->loop, RDV_IDLE_MS - idle, rdv_idle, c);
}

/* --- requests ----------------------------------------------------------- */

static void
rdv_send_name(struct rdv_cl *c)
{
	struct rdv_msg m;

	memset(&m, 0, sizeof m);
	m.type = RDV_MSG_NAME;
	strcpy(m.name, c->name);
	rdv_send(c, &m);
}

static void
rdv_do_register(struct rdv_cl *c, const struct rdv_msg *m)
{
	int r;

	if (rdv_limit(c, RDV_LIMIT_REG, c->srv->conf->register_rate,
	        3600.0 * 1000) == -1) {
		rdv_refuse(c, m->type, RDV_REFUSED_LIMIT);
		return;
	}
	if (m->op == RDV_OP_REGISTER && c->name[0] != '\0' &&
	    strcmp(c->name, m->name) != 0) {
		rdv_refuse(c, m->type, RDV_REFUSED_NAMED);
		return;
	}
	if (m->op != RDV_OP_REGISTER && c->name[0] == '\0') {
		rdv_refuse(c, m->type, RDV_REFUSED_UNNAMED);
		return;
	}
	r = store_rdv_set(
	    c->srv->store, c->key, m->op == RDV_OP_RELEASE ? NULL : m->name);
	if (r == 1) {
		rdv_refuse(c, m->type, RDV_REFUSED_TAKEN);
		return;
	}
	if (r == -1) {
		rdv_refuse(c, m->type, RDV_REFUSED_LIMIT);
		return;
	}
	strcpy(c->name, m->op == RDV_OP_RELEASE ? "" : m->name);
	rdv_send_name(c);
	rdv_presence_all(c, 1);
}

static void
rdv_do_lookup(struct rdv_cl *c, const struct rdv_msg *m)
{
	struct rdv_msg r;
	int found;

	if (rdv_limit(c, RDV_LIMIT_LOOKUP, c->srv->conf->lookup_rate,
	        60.0 * 1000) == -1) {
		rdv_refuse(c, m->type, RDV_REFUSED_LIMIT);
		return;
	}
	memset(&r, 0, sizeof r);
	r.type = RDV_MSG_FOUND;
	strcpy(r.name, m->name);
	found = store_rdv_key(c->srv->store, m->name, r.key);
	r.flag = found == 1;
	rdv_send(c, &r);
}

static int
rdv_do_subscribe(struct rdv_cl *c, const struct rdv_msg *m)
{
	uint8_t *subs = NULL, *old = c->subs;
	size_t i, n = m->n, nold = c->nsubs;
	struct rdv_cl *o;
	const uint8_t *k;

	if (n != 0) {
		subs = xreallocarray(NULL, n, RDV_KEYLEN);
		memcpy(subs, m->data, n * RDV_KEYLEN);
		qsort(subs, n, RDV_KEYLEN, rdv_raw_cmp);
		for (i = 0; i < n; i++)
			if ((i > 0 &&
			        memcmp(subs + (i - 1) * RDV_KEYLEN,
			            subs + i * RDV_KEYLEN, RDV_KEYLEN) == 0) ||
			    memcmp(subs + i * RDV_KEYLEN, c->key, RDV_KEYLEN) ==
			        0) {
				free(subs);
				return -1;
			}
	}
	/* Those no longer mutual hear that c is gone, and c of them. */
	for (i = 0; i < nold; i++) {
		k = old + i * RDV_KEYLEN;
		if (bsearch(k, subs, n, RDV_KEYLEN, rdv_raw_cmp) != NULL)
			continue;
		if ((o = rdv_find(c->srv, k)) != NULL && o != c &&
		    rdv_subscribed(o, c->key)) {
			rdv_presence(o, c, 0);
			rdv_presence(c, o, 0);
		}
	}
	c->subs = subs;
	c->nsubs = n;
	for (i = 0; i < n; i++) {
		k = subs + i * RDV_KEYLEN;
		if (nold != 0 &&
		    bsearch(k, old, nold, RDV_KEYLEN, rdv_raw_cmp) != NULL)
			continue;
		if ((o = rdv_find(c->srv, k)) != NULL && o != c &&
		    rdv_subscribed(o, c->key)) {
			rdv_presence(o, c, 1);
			rdv_presence(c, o, 1);
		}
	}
	free(old);
	return 0;
}

/* Collect the names online into a DIRECTORY (twalk has no argument). */
static struct {
	const char *names[RDV_DIR_MAX];
	size_t n;
} rdv_walk;

static void
rdv_walk_cb(const void *node, VISIT which, int depth)
{
	const struct rdv_cl *c = *(struct rdv_cl *const *)node;

	(void)depth;
	if ((which == postorder || which == leaf) && c->name[0] != '\0' &&
	    rdv_walk.n < RDV_DIR_MAX)
		rdv_walk.names[rdv_walk.n++] = c->name;
}

static int
rdv_str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
rdv_do_who(struct rdv_cl *c, const struct rdv_msg *m)
{
	struct rdv_server *srv = c->srv;
	struct rdv_msg r;
	size_t i, len = 0;

	if (!srv->conf->directory) {
		rdv_refuse(c, m->type, RDV_REFUSED_NODIR);
		return;
	}
	if (rdv_limit(c, RDV_LIMIT_LOOKUP, srv->conf->lookup_rate,
	        60.0 * 1000) == -1) {
		rdv_refuse(c, m->type, RDV_REFUSED_LIMIT);
		return;
	}
	rdv_walk.n = 0;
	twalk(srv->keys, rdv_walk_cb);
	qsort(
	    rdv_walk.names, rdv_walk.n, sizeof rdv_walk.names[0], rdv_str_cmp);
	for (i = 0; i < rdv_walk.n; i++)
		if (rdv_proto_dir_add(srv->scratch, sizeof srv->scratch, &len,
		        rdv_walk.names[i]) == -1)
			break;
	memset(&r, 0, sizeof r);
	r.type = RDV_MSG_DIRECTORY;
	r.n = (uint16_t)i;
	r.data = srv->scratch;
	r.len = len;
	rdv_send(c, &r);
}

static void
rdv_cand(struct rdv_msg *m, uint8_t kind, const char *host, unsigned port)
{
	struct rdv_addr *a = &m->addrs[m->n++];

	a->kind = kind;
	snprintf(a->addr, sizeof a->addr,
	    strchr(host, ':') != NULL ? "[%s]:%u" : "%s:%u", host, port);
}

/* Tell to where about may be dialled. */
static void
rdv_candidates(struct rdv_cl *to, struct rdv_cl *about)
{
	struct rdv_msg m;
	size_t i;

	memset(&m, 0, sizeof m);
	m.type = RDV_MSG_CANDIDATES;
	memcpy(m.key, about->key, RDV_KEYLEN);
	m.delay = 100;
	if (about->port != 0)
		rdv_cand(&m, RDV_CAND_OBSERVED, about->host, about->port);
	for (i = 0; i < about->naddrs; i++) {
		m.addrs[m.n] = about->addrs[i];
		m.addrs[m.n++].kind = RDV_CAND_LISTED;
	}
	rdv_cand(&m, RDV_CAND_SOURCE, about->host, about->sport);
	rdv_slot_put(to->intro, about->key);
	rdv_send(to, &m);
}

static void
rdv_do_connect(struct rdv_cl *c, const struct rdv_msg *m)
{
	struct rdv_cl *t;
	struct rdv_slot *s;
	struct rdv_msg r;

	if (rdv_limit(c, RDV_LIMIT_CONNECT, c->srv->conf->connect_rate,
	        60.0 * 1000) == -1) {
		rdv_refuse(c, m->type, RDV_REFUSED_LIMIT);
		return;
	}
	if ((t = rdv_find(c->srv, m->key)) == NULL || t == c) {
		rdv_refuse(c, m->type, RDV_REFUSED_OFFLINE);
		return;
	}
	s = rdv_slot_find(t->pending, c->key, RDV_PENDING_MS);
	if (s != NULL || rdv_mutual(c, t)) {
		if (s != NULL)
			s->ms = 0;
		rdv_candidates(c, t);
		rdv_candidates(t, c);
		return;
	}
	rdv_slot_put(c->pending, t->key);
	memset(&r, 0, sizeof r);
	r.type = RDV_MSG_REQUEST;
	memcpy(r.key, c->key, RDV_KEYLEN);
	strcpy(r.name, c->name);
	rdv_send(t, &r);
}

/* One message from an open session; -1 closes it. */
static int
rdv_message(struct rdv_cl *c, const uint8_t *p, size_t len, const char **why)
{
	static struct rdv_msg m;
	uint8_t pong[9];

	if (len == 9 && p[0] == PROTO_PING) {
		memcpy(pong, p, 9);
		pong[0] = PROTO_PONG;
		if (rdv_sess_send(&c->sess, pong, sizeof pong) == -1)
			return -1;
		rdv_want(c);
		return 0;
	}
	if (len == 9 && p[0] == PROTO_PONG)
		return 0;
	if (len == 2 && p[0] == PROTO_BYE) {
		*why = "bye";
		return -1;
	}
	if (rdv_proto_decode(p, len, RDV_FROM_CLIENT, &m, why) == -1)
		return -1;
	switch (m.type) {
	case RDV_MSG_REGISTER:
		rdv_do_register(c, &m);
		break;
	case RDV_MSG_LOOKUP:
		rdv_do_lookup(c, &m);
		break;
	case RDV_MSG_SUBSCRIBE:
		if (rdv_do_subscribe(c, &m) == -1) {
			*why = "bad SUBSCRIBE (a key twice, or its own)";
			return -1;
		}
		break;
	case RDV_MSG_WHO:
		rdv_do_who(c, &m);
		break;
	case RDV_MSG_ADDRS:
		c->port = m.port;
		c->naddrs = m.n;
		memcpy(c->addrs, m.addrs, m.n * sizeof m.addrs[0]);
		break;
	case RDV_MSG_CONNECT:
		rdv_do_connect(c, &m);
		break;
	case RDV_MSG_RELAY:
		rdv_do_relay(c, &m);
		break;
	}
	return 0;
}

/* The handshake just completed: c is online. */
static void
rdv_login(struct rdv_cl *c)
{
	struct rdv_server *srv = c->srv;
	struct rdv_cl *old, **slot;

	memcpy(c->key, c->sess.rkey, RDV_KEYLEN);
	if ((old = rdv_find(srv, c->key)) != NULL)
		rdv_cl_kill(old, "replaced by a new session");
	if (srv->nclients >= (size_t)srv->conf->max_clients) {
		rdv_refuse(c, 0, RDV_REFUSED_FULL);
		(void)net_write(c->fd, &c->sess.out);
		rdv_cl_kill(c, "server full");
		return;
	}
	slot = tsearch(c, &srv->keys, rdv_key_cmp);
	if (slot == NULL)
		fatal("tsearch: out of memory");
	c->online = 1;
	srv->nclients++;
	c->klim = rdv_lim_get(&srv->klims, c->key, RDV_KEYLEN);
	if (store_rdv_name(srv->store, c->key, c->name) != 1)
		c->name[0] = '\0';
	rdv_send_name(c);
	if (c->timer != NULL)
		loop_timer_del(c->timer);
	c->timer = loop_timer_add_coarse(srv->loop, RDV_IDLE_MS, rdv_idle, c);
}

static void
rdv_session_input(struct rdv_cl *c)
{
	const uint8_t *msg;
	const char *why = "closed";
	size_t len;
	int r;

	while (!c->dead && c->fd != -1) {
		r = rdv_sess_next(&c->sess, c->srv->scratch,
		    sizeof c->srv->scratch, &msg, &len, &why);
		if (r == 0)
			break;
		if (r == -1 ||
		    (r == 1 && rdv_message(c, msg, len, &why) == -1)) {
			rdv_cl_kill(c, why);
			return;
		}
		if (r == 2)
			rdv_login(c);
	}
	rdv_want(c);
}

/* --- the socket ------------------------------------------------------- */

static void
rdv_first_input(struct rdv_cl *c)
{
	uint8_t token[RDV_TOKENLEN];
	const uint8_t *h = buf_head(&c->in);
	int r;

	if (buf_used(&c->in) < 2)
		return;
	if (h[0] == 0 && h[1] == 32) {
		c->kind = RDV_SESSION;
		rdv_sess_init(&c->sess, 0, c->srv->id->sk);
		c->has_sess = 1;
		buf_append(&c->sess.in, h, buf_used(&c->in));
		buf_consume(&c->in, buf_used(&c->in));
		rdv_session_input(c);
		return;
	}
	r = rdv_proto_hello_parse(h, buf_used(&c->in), token);
	if (r == -1)
		rdv_cl_kill(c, "neither a handshake nor a relay hello");
	else if (r == 1)
		rdv_become_relay(c, token);
	ident_wipe(token, sizeof token);
}

static void
rdv_cl_io(int fd, int revents, void *arg)
{
	struct rdv_cl *c = arg;
	struct buf *out;
	ssize_t n;

	if (revents & POLLOUT) {
		out = rdv_outbuf(c);
		if (net_write(fd, out) == -1 && errno != EAGAIN) {
			rdv_cl_kill(c, strerror(errno));
			return;
		}
		if (c->kind == RDV_RELAY) {
			if (c->relay != NULL)
				rdv_relay_update(c->relay);
		} else
			rdv_want(c);
	}
	if (c->dead || !(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	if (c->kind == RDV_RELAY) {
		rdv_relay_read(c);
		return;
	}
	n = net_read(
	    fd, c->kind == RDV_SESSION ? &c->sess.in : &c->in, RDV_READ_MAX);
	if (n == 0 || (n == -1 && errno != EAGAIN)) {
		rdv_cl_kill(c, n == 0 ? "closed" : strerror(errno));
		return;
	}
	if (n < 0)
		return;
	c->last_rx = loop_now_ms();
	if (c->kind == RDV_FIRST)
		rdv_first_input(c);
	else
		rdv_session_input(c);
	if (!c->dead && c->kind == RDV_SESSION &&
	    (buf_used(&c->sess.out) > RDV_OUT_MAX ||
	        buf_used(&c->sess.in) > 2 * PROTO_FRAME_MAX))
		rdv_cl_kill(c, "not reading");
}

static void
rdv_accept_resume(void *arg)
{
	struct rdv_server *srv = arg;

	srv->accept_timer = NULL;
	loop_watch_set(srv->lwatch, POLLIN);
}

static void
rdv_accept(int lfd, int revents, void *arg)
{
	struct rdv_server *srv = arg;
	struct sockaddr_storage ss;
	socklen_t len;
	uint8_t prefix[NET_PREFIXLEN];
	struct rdv_lim *src;
	struct rdv_cl *c;
	char addr[NET_ADDRSTRLEN];
	int fd, i;

	(void)revents;
	for (i = 0; i < 64; i++) {
		if ((fd = net_accept(lfd, &ss, &len)) == -1) {
			if (errno == EMFILE || errno == ENFILE) {
				/* Level-triggered: do not spin on it. */
				loop_watch_set(srv->lwatch, 0);
				srv->accept_timer = loop_timer_add(
				    srv->loop, 1000, rdv_accept_resume, srv);
			}
			return;
		}
		if (srv->nconns >= RDV_MAX_CONNS(srv->conf)) {
			close(fd);
			continue;
		}
		net_addr_prefix((struct sockaddr *)&ss, 32, 64, prefix);
		/* Counting this one: kept or new (buckets full). */
		src = rdv_lim_get(&srv->srcs, prefix, sizeof prefix);
		if (src->users > (unsigned)srv->conf->max_per_address ||
		    rdv_take(&src->accept, srv->conf->accept_rate, 1000, 1) ==
		        -1) {
			rdv_lim_put(&srv->srcs, src);
			close(fd);
			continue;
		}
		srv->nconns++;
		c = xcalloc(1, sizeof *c);
		c->srv = srv;
		c->fd = fd;
		c->src = src;
		c->kind = RDV_FIRST;
		buf_init(&c->in);
		buf_init(&c->out);
		net_addr_host((struct sockaddr *)&ss, c->host);
		if (strncmp(c->host, "::ffff:", 7) == 0 &&
		    strchr(c->host, '.') != NULL)
			memmove(c->host, c->host + 7, strlen(c->host + 7) + 1);
		net_addr_str((struct sockaddr *)&ss, addr);
		c->sport = ss.ss_family == AF_INET
		    ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
		    : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		c->last_rx = loop_now_ms();
		LIST_INSERT_HEAD(&srv->cls, c, entry);
		c->watch = loop_watch_add(srv->loop, fd, POLLIN, rdv_cl_io, c);
		c->timer = loop_timer_add(srv->loop, RDV_FIRST_MS, rdv_idle, c);
		log_debug("rdv: accepted %s", addr);
	}
}

/* --- the server --------------------------------------------------------- */

struct rdv_server *
rdv_server_create(struct loop *loop, const struct rdv_conf *conf,
    const struct ident *id, char bound[NET_ADDRSTRLEN], char **cause)
{
	struct rdv_server *srv = xcalloc(1, sizeof *srv);
	char *path;

	srv->loop = loop;
	srv->conf = conf;
	srv->id = id;
	srv->lfd = -1;
	LIST_INIT(&srv->cls);
	LIST_INIT(&srv->dead);
	LIST_INIT(&srv->relays);
	rdv_lims_init(&srv->srcs, (size_t)conf->max_clients);
	rdv_lims_init(&srv->klims, (size_t)conf->max_clients);
	path = xasprintf("%s/accounts.db", conf->data_dir);
	srv->store = store_rdv_open(path, cause);
	free(path);
	if (srv->store == NULL ||
	    (srv->lfd = net_listen(conf->listen, 0, bound, cause)) == -1) {
		rdv_server_free(srv);
		return NULL;
	}
	srv->lwatch = loop_watch_add(loop, srv->lfd, POLLIN, rdv_accept, srv);
	return srv;
}

static void
rdv_noop_free(void *p)
{
	(void)p;
}

void
rdv_server_free(struct rdv_server *srv)
{
	struct rdv_cl *c;

	if (srv == NULL)
		return;
	while ((c = LIST_FIRST(&srv->cls)) != NULL)
		rdv_cl_kill(c, "server stops");
	while (!LIST_EMPTY(&srv->relays))
		rdv_relay_free(LIST_FIRST(&srv->relays));
	if (srv->reap != NULL)
		loop_timer_del(srv->reap);
	if (srv->accept_timer != NULL)
		loop_timer_del(srv->accept_timer);
	rdv_reap(srv);
	tdestroy(srv->keys, rdv_noop_free);
	rdv_lims_free(&srv->srcs);
	rdv_lims_free(&srv->klims);
	if (srv->lwatch != NULL)
		loop_watch_del(srv->lwatch);
	if (srv->lfd != -1)
		close(srv->lfd);
	store_rdv_close(srv->store);
	free(srv);
}

size_t
rdv_server_nclients(const struct rdv_server *srv)
{
	return srv->nclients;
}

size_t
rdv_server_nrelays(const struct rdv_server *srv)
{
	return srv->nrelays;
}
