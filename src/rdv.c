/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rendezvous client (doc/PROTOCOL.md section 16; DESIGN.md section
 * 11): one Noise session to the p2ptui-rendezvous server of the
 * configuration, as a feature with no message types (like lan.c).
 *
 *   IDLE --(timer)--> RESOLVING --> CONNECTING --> HANDSHAKE --> OPEN
 *     ^                                                           |
 *     +---- (backoff: 1 s doubling to 5 min, plus up to half) ----+
 *
 * Any failure (refused, lost, silent for RDV_SILENT_MS, bad message)
 * goes back to IDLE with the next backoff; a server whose key is not
 * the pinned one is refused loudly and tried again only after the
 * longest backoff. Once OPEN: ADDRS (our listening port and local
 * addresses), SUBSCRIBE (every contact's key, sent again when the
 * contacts change), REGISTER of the configured username if the server
 * says our key has no name, and a PING every RDV_PING_MS.
 *
 * The session is dialled FROM OUR LISTENING PORT (net_connect_from(),
 * the listener being shared: engine.c) when we listen. A NAT in front
 * of us then maps that same port for the server as for anyone, so the
 * address and source port the server observes (a kind 3 candidate, the
 * one it gives our peers) is the NAT's mapping of our listening port:
 * a peer dialling it at the start signal while we dial its own kind 3
 * from our listening port (engine_punch()) makes the two SYNs cross, a
 * TCP simultaneous open through both NATs. Dialled from any other port,
 * the mapping would belong to this session only and a punch would hit
 * a closed door.
 *
 * An introduction (CANDIDATES) waits for its delay, then dials each
 * kind 1 and 2 candidate (engine_dial_candidate(), route "direct") and
 * punches each kind 3 (engine_punch(), route "punched") unless the peer
 * listed that very address itself (no NAT: the direct dial does it); if
 * no session with that key is up RDV_RELAY_MS later, it asks for a
 * relay, and on RELAY_TOKEN engine_relay() dials the server again and
 * runs the peer handshake through it (route "relay").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "engine.h"
#include "feature.h"
#include "ident.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "proto.h"
#include "rdv.h"
#include "rdv_proto.h"
#include "rdv_sess.h"
#include "util.h"
#include "xmalloc.h"

#define RDV_BACKOFF_MIN_MS 1000
#define RDV_BACKOFF_MAX_MS (5 * 60 * 1000)
#define RDV_PING_MS 30000 /* the server drops a client silent 120 s */
#define RDV_SILENT_MS 100000 /* nothing from the server: reconnect */
#define RDV_RELAY_MS 2000 /* after CANDIDATES without a session */
/* A relayed session asks for a new introduction every this many
 * handshake_timeouts: more than the two after which a new session
 * replaces an older one (peer.c, peer_settled()). */
#define RDV_UPGRADE_TIMEOUTS 3
#define RDV_PEND 16 /* introductions in progress */
#define RDV_ASKED 8 /* /lookup and /connect @NAME waiting for FOUND */

enum rdv_state {
	RDV_IDLE,
	RDV_RESOLVING,
	RDV_CONNECTING,
	RDV_HANDSHAKE,
	RDV_OPEN
};

struct rdv;

/* An introduction: where to dial a key, and when to give up on it. */
struct rdv_pend {
	struct rdv *rdv;
	uint8_t key[RDV_KEYLEN];
	int used;
	struct rdv_addr cands[RDV_CANDS_MAX];
	size_t n;
	struct loop_timer *start, *relay;
};

struct rdv {
	struct engine *eng;
	int on; /* a server is configured */
	uint8_t server[RDV_KEYLEN];
	char *address;
	enum rdv_state state;
	int fd;
	struct loop_watch *watch;
	struct net_resolve *resolve;
	struct rdv_sess sess;
	int sess_init;
	struct loop_timer *retry, *ping;
	struct loop_timer *upgrade; /* while a session runs relayed */
	uint64_t backoff_ms;
	uint64_t rx_ms; /* when the server last said anything */
	int was_open; /* the last session got OPEN: say when it is lost */
	char name[RDV_NAME_MAX + 1]; /* ours on the server, "" for none */
	int reg_pending; /* REGISTER sent: its NAME is reported */
	int tried_username;
	uint8_t *subs; /* the keys of the last SUBSCRIBE */
	size_t nsubs;
	struct rdv_pend pend[RDV_PEND];
	/* The names looked up, waiting for FOUND: a FOUND for any other is
	 * not reported (a server may say anything). */
	struct {
		char name[RDV_NAME_MAX + 1]; /* "" for a free slot */
		int connect; /* /connect @NAME: CONNECT once found */
	} asked[RDV_ASKED];
};

static void rdv_dial(void *);
static void rdv_io(int, int, void *);

static struct rdv *
rdv_get(struct engine *eng, char **cause)
{
	struct rdv *rdv = engine_feature(eng, &rdv_feature);

	if (rdv == NULL || !rdv->on) {
		*cause = xstrdup("no rendezvous server is configured "
		                 "(rendezvous in p2ptui.conf(5))");
		return NULL;
	}
	if (rdv->state != RDV_OPEN) {
		*cause = xstrdup("not connected to the rendezvous server yet");
		return NULL;
	}
	return rdv;
}

/* A line for the headless frontend. */
static void __attribute__((format(printf, 2, 3)))
rdv_event(struct rdv *rdv, const char *fmt, ...)
{
	const struct fe_ops *fe;
	void *arg;
	va_list ap;
	char *line;

	fe = engine_fe(rdv->eng, &arg);
	if (fe->event == NULL)
		return;
	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	fe->event(arg, line);
	free(line);
}

static void
rdv_changed(struct rdv *rdv, struct peer *p)
{
	const struct fe_ops *fe;
	void *arg;

	fe = engine_fe(rdv->eng, &arg);
	fe->peer_changed(arg, p);
}

static void
rdv_watch(struct rdv *rdv)
{
	int ev = POLLIN;

	if (rdv->watch == NULL)
		return;
	if (rdv->state == RDV_CONNECTING || buf_used(&rdv->sess.out) != 0)
		ev |= POLLOUT;
	loop_watch_set(rdv->watch, ev);
}

static void
rdv_send(struct rdv *rdv, const struct rdv_msg *m)
{
	static uint8_t b[PROTO_FRAME_MAX];
	size_t n = rdv_proto_encode(m, b, sizeof b);

	if (rdv->state != RDV_OPEN)
		return;
	if (n == 0 || rdv_sess_send(&rdv->sess, b, n) == -1) {
		log_debug("rdv: cannot send type 0x%02x", m->type);
		return;
	}
	rdv_watch(rdv);
}

static void
rdv_pend_clear(struct rdv_pend *pd)
{
	if (pd->start != NULL)
		loop_timer_del(pd->start);
	if (pd->relay != NULL)
		loop_timer_del(pd->relay);
	memset(pd, 0, sizeof *pd);
}

/* Close the session; retry after the backoff (or at once at start). */
static void
rdv_close(struct rdv *rdv, const char *why, uint64_t delay_ms)
{
	struct peer *p;
	size_t i;

	if (rdv->resolve != NULL)
		net_resolve_cancel(rdv->resolve);
	rdv->resolve = NULL;
	if (rdv->watch != NULL)
		loop_watch_del(rdv->watch);
	rdv->watch = NULL;
	if (rdv->fd != -1)
		close(rdv->fd);
	rdv->fd = -1;
	if (rdv->sess_init)
		rdv_sess_clear(&rdv->sess);
	rdv->sess_init = 0;
	if (rdv->ping != NULL)
		loop_timer_del(rdv->ping);
	rdv->ping = NULL;
	if (rdv->retry != NULL)
		loop_timer_del(rdv->retry);
	rdv->retry = NULL;
	for (i = 0; i < RDV_PEND; i++)
		rdv_pend_clear(&rdv->pend[i]);
	free(rdv->subs);
	rdv->subs = NULL;
	rdv->nsubs = 0;
	rdv->reg_pending = 0;
	rdv->state = RDV_IDLE;
	if (why != NULL) {
		if (rdv->was_open)
			engine_notice(rdv->eng, NULL, FE_WARN,
			    "rendezvous server %s: %s; trying again",
			    rdv->address, why);
		else
			log_debug("rdv: %s: %s", rdv->address, why);
	}
	rdv->was_open = 0;
	if (!rdv->on)
		return;
	/* What the server said about presence is stale now. */
	for (i = 0; i < engine_npeers(rdv->eng); i++) {
		p = engine_peer(rdv->eng, i);
		if (p->rdv_online) {
			p->rdv_online = 0;
			rdv_changed(rdv, p);
		}
	}
	if (delay_ms == 0) {
		delay_ms = rdv->backoff_ms +
		    ident_uniform((uint32_t)rdv->backoff_ms / 2 + 1);
		rdv->backoff_ms *= 2;
		if (rdv->backoff_ms > RDV_BACKOFF_MAX_MS)
			rdv->backoff_ms = RDV_BACKOFF_MAX_MS;
	}
	rdv->retry = loop_timer_add_coarse(
	    engine_loop(rdv->eng), delay_ms, rdv_dial, rdv);
}

/* The contacts' keys, as SUBSCRIBE wants them; again only if changed. */
static void
rdv_subscribe(struct rdv *rdv, int force)
{
	struct rdv_msg m;
	struct peer *p;
	uint8_t *keys;
	size_t i, k, n = 0;

	if (rdv->state != RDV_OPEN)
		return;
	keys = xreallocarray(NULL, engine_npeers(rdv->eng) + 1, RDV_KEYLEN);
	for (i = 0; i < engine_npeers(rdv->eng) && n < RDV_SUBS_MAX; i++) {
		p = engine_peer(rdv->eng, i);
		if (!p->has_key ||
		    (p->origin != PEER_CONFIG && p->origin != PEER_LEARNED) ||
		    ident_key_equal(p->key, engine_own_key(rdv->eng)))
			continue;
		for (k = 0; k < n; k++) {
			if (ident_key_equal(keys + k * RDV_KEYLEN, p->key))
				break;
		}
		if (k == n)
			memcpy(keys + n++ * RDV_KEYLEN, p->key, RDV_KEYLEN);
	}
	if (!force && n == rdv->nsubs &&
	    (n == 0 || memcmp(keys, rdv->subs, n * RDV_KEYLEN) == 0)) {
		free(keys);
		return;
	}
	free(rdv->subs);
	rdv->subs = keys;
	rdv->nsubs = n;
	memset(&m, 0, sizeof m);
	m.type = RDV_MSG_SUBSCRIBE;
	m.n = (uint16_t)n;
	m.data = keys;
	rdv_send(rdv, &m);
}

/*
 * Our listening port and where it listens: the address it is bound to,
 * or for a wildcard the up IPv4 addresses of our interfaces.
 */
static void
rdv_addrs(struct rdv *rdv)
{
	const char *bound = engine_listen_addr(rdv->eng);
	struct ifaddrs *ifa, *i;
	char host[NET_ADDRSTRLEN];
	struct rdv_msg m;

	memset(&m, 0, sizeof m);
	m.type = RDV_MSG_ADDRS;
	m.port = engine_listen_port(rdv->eng);
	if (m.port != 0 && strncmp(bound, "0.0.0.0:", 8) != 0 &&
	    strncmp(bound, "[::]:", 5) != 0) {
		snprintf(
		    m.addrs[m.n++].addr, sizeof m.addrs[0].addr, "%s", bound);
	} else if (m.port != 0 && getifaddrs(&ifa) == 0) {
		for (i = ifa; i != NULL && m.n < RDV_ADDRS_MAX;
		     i = i->ifa_next) {
			if (i->ifa_addr == NULL ||
			    i->ifa_addr->sa_family != AF_INET ||
			    !(i->ifa_flags & IFF_UP) ||
			    (i->ifa_flags & IFF_LOOPBACK))
				continue;
			net_addr_host(i->ifa_addr, host);
			if (strlen(host) + 6 >= sizeof m.addrs[0].addr)
				continue;
			snprintf(m.addrs[m.n++].addr, sizeof m.addrs[0].addr,
			    "%.*s:%u", RDV_ADDR_MAX - 6, host, m.port);
		}
		freeifaddrs(ifa);
	}
	rdv_send(rdv, &m);
}

static void
rdv_ping(void *arg)
{
	struct rdv *rdv = arg;
	uint8_t ping[9];

	rdv->ping = NULL;
	if (loop_now_ms() - rdv->rx_ms >= RDV_SILENT_MS) {
		rdv_close(rdv, "the server is silent", 0);
		return;
	}
	memset(ping, 0, sizeof ping);
	ping[0] = PROTO_PING;
	ident_random(ping + 1, 8);
	if (rdv_sess_send(&rdv->sess, ping, sizeof ping) == 0)
		rdv_watch(rdv);
	rdv->ping = loop_timer_add_coarse(
	    engine_loop(rdv->eng), RDV_PING_MS, rdv_ping, rdv);
}

static const char *
rdv_what(uint8_t type)
{
	switch (type) {
	case RDV_MSG_REGISTER:
		return "REGISTER";
	case RDV_MSG_LOOKUP:
		return "LOOKUP";
	case RDV_MSG_SUBSCRIBE:
		return "SUBSCRIBE";
	case RDV_MSG_WHO:
		return "WHO";
	case RDV_MSG_CONNECT:
		return "CONNECT";
	case RDV_MSG_RELAY:
		return "RELAY";
	default:
		return "a request";
	}
}

static void
rdv_refused(struct rdv *rdv, const struct rdv_msg *m)
{
	const char *text = rdv_proto_reason_text(m->reason);
	char num[16];

	if (text == NULL) {
		snprintf(num, sizeof num, "reason %u", m->reason);
		text = num;
	}
	if (m->what == RDV_MSG_REGISTER)
		rdv->reg_pending = 0;
	if (m->what == RDV_MSG_WHO && m->reason == RDV_REFUSED_NODIR) {
		engine_notice(rdv->eng, NULL, FE_INFO,
		    "the rendezvous server keeps no public directory");
		return;
	}
	engine_notice(rdv->eng, NULL, FE_ERROR,
	    "the rendezvous server refused %s: %s", rdv_what(m->what), text);
	if (m->reason == RDV_REFUSED_FULL)
		rdv_close(rdv, "the server is full", 0);
}

static void
rdv_name(struct rdv *rdv, const struct rdv_msg *m)
{
	struct rdv_msg r;
	const char *why;

	snprintf(rdv->name, sizeof rdv->name, "%s", m->name);
	if (m->name[0] != '\0') {
		if (rdv->reg_pending) {
			rdv_event(rdv, "registered %s", m->name);
			engine_notice(rdv->eng, NULL, FE_INFO,
			    "registered as %s on the rendezvous server",
			    m->name);
		}
		rdv->reg_pending = 0;
		return;
	}
	rdv->reg_pending = 0;
	if (rdv->tried_username ||
	    engine_conf(rdv->eng)->rdv_username[0] == '\0')
		return;
	rdv->tried_username = 1;
	memset(&r, 0, sizeof r);
	if (rdv_name_normalise(
	        engine_conf(rdv->eng)->rdv_username, r.name, &why) == -1) {
		engine_notice(rdv->eng, NULL, FE_ERROR,
		    "rendezvous username '%s': %s",
		    engine_conf(rdv->eng)->rdv_username, why);
		return;
	}
	r.type = RDV_MSG_REGISTER;
	r.op = RDV_OP_REGISTER;
	rdv->reg_pending = 1;
	rdv_send(rdv, &r);
}

/* The contact whose local name is name, with a key (pinned or learned). */
static struct peer *
rdv_named(struct rdv *rdv, const char *name)
{
	struct peer *p;
	size_t i;

	for (i = 0; i < engine_npeers(rdv->eng); i++) {
		p = engine_peer(rdv->eng, i);
		if (p->has_key && strcmp(p->name, name) == 0 &&
		    (p->origin == PEER_CONFIG || p->origin == PEER_LEARNED))
			return p;
	}
	return NULL;
}

/* The contact (pinned or learned) with key: what the server may talk
 * about; anything it says of another key is ignored. */
static struct peer *
rdv_contact(struct rdv *rdv, const uint8_t *key)
{
	struct peer *p = engine_find_key(rdv->eng, key);

	return p != NULL &&
	        (p->origin == PEER_CONFIG || p->origin == PEER_LEARNED)
	    ? p
	    : NULL;
}

static void
rdv_send_connect(struct rdv *rdv, const uint8_t *key)
{
	struct rdv_msg m;

	memset(&m, 0, sizeof m);
	m.type = RDV_MSG_CONNECT;
	memcpy(m.key, key, RDV_KEYLEN);
	rdv_send(rdv, &m);
}

/*
 * We want to talk to key (named name on the server, or NULL): a
 * contact from now on, as the user asked for it by name or agreed to
 * its request, so that both sides dial each other as contacts (keys
 * checked, holes punched, relayed if need be); then CONNECT.
 */
static void
rdv_agree(struct rdv *rdv, const uint8_t *key, const char *name)
{
	struct peer *p = rdv_contact(rdv, key);
	char fp[IDENT_FP_LEN + 1];

	if (p == NULL) {
		if ((p = engine_add_contact(rdv->eng, key, name)) == NULL)
			return;
		ident_fingerprint(key, fp);
		engine_notice(rdv->eng, p, FE_INFO, "%s (%s) is a contact now",
		    p->name, fp);
		rdv_subscribe(rdv, 0);
	}
	engine_notice(rdv->eng, p, FE_INFO,
	    "asking the rendezvous server to introduce %s", p->name);
	rdv_send_connect(rdv, key);
}

static void
rdv_found(struct rdv *rdv, const struct rdv_msg *m)
{
	char fp[IDENT_FP_LEN + 1], pinned[IDENT_FP_LEN + 1];
	struct peer *p;
	int i, want = -1, asked = 0;

	for (i = 0; i < RDV_ASKED && !asked; i++) {
		if (strcmp(rdv->asked[i].name, m->name) == 0) {
			asked = 1;
			want = rdv->asked[i].connect ? i : -1;
			rdv->asked[i].name[0] = '\0';
		}
	}
	if (!asked) {
		log_debug("rdv: FOUND for %s, which we did not look up: "
		          "ignored",
		    m->name);
		return;
	}
	if (!m->flag) {
		rdv_event(rdv, "lookup %s none", m->name);
		engine_notice(rdv->eng, NULL, want != -1 ? FE_ERROR : FE_INFO,
		    "no user %s on the rendezvous server", m->name);
		return;
	}
	ident_fingerprint(m->key, fp);
	/* A name we know means the key we know: the server is not trusted
	 * to say otherwise. */
	if ((p = rdv_named(rdv, m->name)) != NULL &&
	    !ident_key_equal(p->key, m->key)) {
		ident_fingerprint(p->key, pinned);
		engine_notice(rdv->eng, p, FE_ERROR,
		    "KEY MISMATCH: the rendezvous server says %s is %s, but "
		    "%s is %s (%s); refused",
		    m->name, fp, p->name, pinned,
		    p->origin == PEER_CONFIG ? "pinned" : "learned");
		return;
	}
	rdv_event(rdv, "lookup %s %s", m->name, fp);
	/* The event is for scripts; a notice for people (the terminal). */
	if (want == -1) {
		engine_notice(
		    rdv->eng, NULL, FE_INFO, "%s has the key %s", m->name, fp);
		return;
	}
	if (ident_key_equal(m->key, engine_own_key(rdv->eng))) {
		engine_notice(rdv->eng, NULL, FE_ERROR, "%s is you", m->name);
		return;
	}
	rdv_agree(rdv, m->key, m->name);
}

static void
rdv_presence(struct rdv *rdv, const struct rdv_msg *m)
{
	struct peer *p = rdv_contact(rdv, m->key);

	if (p == NULL)
		return;
	/* Told on each change only (the server may repeat itself). */
	if (p->rdv_online != m->flag) {
		p->rdv_online = m->flag;
		rdv_changed(rdv, p);
		rdv_event(rdv, "presence %s %s", p->name,
		    m->flag ? "online" : "offline");
	}
	/* A contact out of reach otherwise: one side (the lower key) asks
	 * for an introduction; for mutual contacts it is immediate. */
	if (m->flag && p->conn == NULL && !p->refused && !p->disconnected &&
	    memcmp(engine_own_key(rdv->eng), p->key, RDV_KEYLEN) < 0)
		rdv_send_connect(rdv, p->key);
}

/*
 * Someone asks to talk (their /connect @OURNAME): a contact request
 * like one that connects, answered with /accept (rdv_accepted()) or
 * /decline; a contact is agreed to at once.
 */
static void
rdv_request(struct rdv *rdv, const struct rdv_msg *m)
{
	struct peer *p = engine_find_key(rdv->eng, m->key);
	char fp[IDENT_FP_LEN + 1];

	if (rdv_contact(rdv, m->key) != NULL) {
		rdv_send_connect(rdv, m->key);
		return;
	}
	if (p != NULL && p->origin == PEER_MEMBER) {
		/* Its peer carries room traffic: no request replaces it. */
		ident_fingerprint(m->key, fp);
		engine_notice(rdv->eng, p, FE_INFO,
		    "%s, a room member, asks through the rendezvous server to "
		    "be a contact: /connect @%s to agree",
		    p->name, m->name[0] != '\0' ? m->name : fp);
		return;
	}
	if (engine_add_request(rdv->eng, m->key,
	        m->name[0] != '\0' ? m->name : NULL,
	        "the rendezvous server") == NULL)
		log_debug("rdv: a REQUEST not shown (declined, a member, or "
		          "too many requests)");
}

static void
rdv_relay(void *arg)
{
	struct rdv_pend *pd = arg;
	struct peer *p = rdv_contact(pd->rdv, pd->key);
	struct rdv_msg m;

	pd->relay = NULL;
	pd->used = 0; /* the introduction is over either way */
	if (p == NULL || p->state == PEER_ONLINE)
		return;
	log_debug("rdv: no session with %s yet: asking for a relay", p->name);
	memset(&m, 0, sizeof m);
	m.type = RDV_MSG_RELAY;
	memcpy(m.key, pd->key, RDV_KEYLEN);
	rdv_send(pd->rdv, &m);
}

/* Is addr among the addresses the peer listed itself (kind 1)? */
static int
rdv_listed(const struct rdv_pend *pd, const char *addr)
{
	size_t i;

	for (i = 0; i < pd->n; i++) {
		if (pd->cands[i].kind == RDV_CAND_LISTED &&
		    strcmp(pd->cands[i].addr, addr) == 0)
			return 1;
	}
	return 0;
}

/* The start signal: dial every candidate at once. */
static void
rdv_start(void *arg)
{
	struct rdv_pend *pd = arg;
	struct rdv *rdv = pd->rdv;
	struct peer *p = rdv_contact(rdv, pd->key);
	char *cause;
	size_t i;
	int r;

	pd->start = NULL;
	pd->relay =
	    loop_timer_add(engine_loop(rdv->eng), RDV_RELAY_MS, rdv_relay, pd);
	if (p == NULL)
		return; /* not a contact (both sides make one first) */
	for (i = 0; i < pd->n; i++) {
		if (pd->cands[i].kind == RDV_CAND_SOURCE) {
			/* Seen where it says it listens: no NAT, dial it. */
			if (engine_listen_port(rdv->eng) == 0 ||
			    rdv_listed(pd, pd->cands[i].addr))
				continue;
			r = engine_punch(
			    rdv->eng, p, pd->cands[i].addr, &cause);
		} else
			r = engine_dial_candidate(
			    rdv->eng, p, pd->cands[i].addr, "direct", &cause);
		if (r == -1) {
			log_debug("rdv: %s: %s", pd->cands[i].addr, cause);
			free(cause);
		}
	}
}

static void
rdv_candidates(struct rdv *rdv, const struct rdv_msg *m)
{
	struct rdv_pend *pd = NULL;
	size_t i;

	for (i = 0; i < RDV_PEND; i++) {
		if (rdv->pend[i].used &&
		    ident_key_equal(rdv->pend[i].key, m->key)) {
			pd = &rdv->pend[i];
			break;
		}
		if (pd == NULL && !rdv->pend[i].used)
			pd = &rdv->pend[i];
	}
	if (pd == NULL) {
		log_debug("rdv: too many introductions at once");
		return;
	}
	rdv_pend_clear(pd);
	pd->used = 1;
	pd->rdv = rdv;
	memcpy(pd->key, m->key, RDV_KEYLEN);
	pd->n = m->n;
	memcpy(pd->cands, m->addrs, m->n * sizeof m->addrs[0]);
	pd->start =
	    loop_timer_add(engine_loop(rdv->eng), m->delay, rdv_start, pd);
}

static void
rdv_token(struct rdv *rdv, const struct rdv_msg *m)
{
	struct peer *p = rdv_contact(rdv, m->key);
	char *cause;

	if (p == NULL || p->state == PEER_ONLINE)
		return;
	if (engine_relay(
	        rdv->eng, p, rdv->address, m->token, m->flag, &cause) == -1) {
		log_debug("rdv: relay: %s", cause);
		free(cause);
	}
}

static void
rdv_directory(struct rdv *rdv, const struct rdv_msg *m)
{
	char name[RDV_NAME_MAX + 1], *list = xstrdup("");
	size_t off = 0;
	char *s;

	while (rdv_proto_dir_next(m, &off, name)) {
		s = xasprintf("%s%s%s", list, list[0] != '\0' ? " " : "", name);
		free(list);
		list = s;
	}
	engine_notice(rdv->eng, NULL, FE_INFO, "directory: %u online%s%s", m->n,
	    m->n != 0 ? ": " : "", list);
	free(list);
}

static int
rdv_message(struct rdv *rdv, const uint8_t *p, size_t len)
{
	static struct rdv_msg m;
	uint8_t pong[9];
	const char *why;

	if (len == 9 && p[0] == PROTO_PONG)
		return 0;
	if (len == 9 && p[0] == PROTO_PING) {
		memcpy(pong, p, sizeof pong);
		pong[0] = PROTO_PONG;
		if (rdv_sess_send(&rdv->sess, pong, sizeof pong) == 0)
			rdv_watch(rdv);
		return 0;
	}
	if (rdv_proto_decode(p, len, RDV_FROM_SERVER, &m, &why) == -1) {
		rdv_close(rdv, why, 0);
		return -1;
	}
	switch (m.type) {
	case RDV_MSG_NAME:
		rdv_name(rdv, &m);
		break;
	case RDV_MSG_FOUND:
		rdv_found(rdv, &m);
		break;
	case RDV_MSG_PRESENCE:
		rdv_presence(rdv, &m);
		break;
	case RDV_MSG_DIRECTORY:
		rdv_directory(rdv, &m);
		break;
	case RDV_MSG_REQUEST:
		rdv_request(rdv, &m);
		break;
	case RDV_MSG_CANDIDATES:
		rdv_candidates(rdv, &m);
		break;
	case RDV_MSG_RELAY_TOKEN:
		rdv_token(rdv, &m);
		break;
	case RDV_MSG_REFUSED:
		rdv_refused(rdv, &m);
		break;
	}
	return rdv->state == RDV_OPEN ? 0 : -1;
}

static void
rdv_opened(struct rdv *rdv)
{
	char fp[IDENT_FP_LEN + 1], pinned[IDENT_FP_LEN + 1];

	if (!ident_key_equal(rdv->sess.rkey, rdv->server)) {
		ident_fingerprint(rdv->sess.rkey, fp);
		ident_fingerprint(rdv->server, pinned);
		engine_notice(rdv->eng, NULL, FE_ERROR,
		    "KEY MISMATCH: the rendezvous server at %s presented key "
		    "%s, not the pinned %s; refused (next try in 5 minutes)",
		    rdv->address, fp, pinned);
		rdv_close(rdv, NULL, RDV_BACKOFF_MAX_MS);
		return;
	}
	log_debug("rdv: connected to %s", rdv->address);
	if (rdv->ping != NULL)
		loop_timer_del(rdv->ping);
	rdv->state = RDV_OPEN;
	rdv->was_open = 1;
	rdv->backoff_ms = RDV_BACKOFF_MIN_MS;
	rdv_addrs(rdv);
	rdv_subscribe(rdv, 1);
	rdv->ping = loop_timer_add_coarse(
	    engine_loop(rdv->eng), RDV_PING_MS, rdv_ping, rdv);
}

static void
rdv_input(struct rdv *rdv)
{
	static uint8_t scratch[PROTO_FRAME_MAX];
	const uint8_t *msg;
	const char *why;
	size_t len;
	ssize_t n;
	int r;

	n = net_read(rdv->fd, &rdv->sess.in, 65536);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		rdv_close(
		    rdv, n == 0 ? "connection closed" : strerror(errno), 0);
		return;
	}
	rdv->rx_ms = loop_now_ms();
	while ((r = rdv_sess_next(&rdv->sess, scratch, sizeof scratch, &msg,
	            &len, &why)) != 0) {
		if (r == -1) {
			rdv_close(rdv, why, 0);
			return;
		}
		if (r == 2) {
			rdv_opened(rdv);
			if (rdv->state != RDV_OPEN)
				return;
		} else if (rdv_message(rdv, msg, len) == -1)
			return;
	}
}

static void
rdv_io(int fd, int revents, void *arg)
{
	struct rdv *rdv = arg;
	int err;

	(void)fd;
	if (rdv->state == RDV_CONNECTING) {
		if ((err = net_connect_error(rdv->fd)) != 0) {
			rdv_close(rdv, strerror(err), 0);
			return;
		}
		rdv->state = RDV_HANDSHAKE;
		rdv->rx_ms = loop_now_ms();
	}
	if (revents & (POLLIN | POLLHUP | POLLERR)) {
		rdv_input(rdv);
		if (rdv->state == RDV_IDLE)
			return;
	}
	if (buf_used(&rdv->sess.out) != 0 &&
	    net_write(rdv->fd, &rdv->sess.out) == -1 && errno != EAGAIN &&
	    errno != EINTR) {
		rdv_close(rdv, strerror(errno), 0);
		return;
	}
	rdv_watch(rdv);
}

static void
rdv_hs_timeout(void *arg)
{
	struct rdv *rdv = arg;

	rdv->ping = NULL;
	if (rdv->state != RDV_OPEN)
		rdv_close(rdv, "no answer from the server", 0);
}

static void
rdv_resolved(
    void *arg, const struct sockaddr_storage *addrs, size_t n, const char *err)
{
	struct rdv *rdv = arg;
	const struct sockaddr *sa = (const struct sockaddr *)&addrs[0];
	uint16_t port = engine_listen_port(rdv->eng);
	socklen_t len;

	rdv->resolve = NULL;
	if (n == 0) {
		rdv_close(rdv, err, 0);
		return;
	}
	len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	                                : sizeof(struct sockaddr_in);
	/* From the listening port (see the top); any port if that fails
	 * (the last session to the server from it in TIME_WAIT). */
	rdv->fd = port != 0 ? net_connect_from(sa, len, port) : -1;
	if (rdv->fd == -1)
		rdv->fd = net_connect(sa, len);
	if (rdv->fd == -1) {
		rdv_close(rdv, strerror(errno), 0);
		return;
	}
	rdv_sess_init(&rdv->sess, 1, engine_ident(rdv->eng)->sk);
	rdv->sess_init = 1;
	rdv->state = RDV_CONNECTING;
	rdv->watch = loop_watch_add(
	    engine_loop(rdv->eng), rdv->fd, POLLOUT, rdv_io, rdv);
	/* The handshake must finish: a silent server is tried again. */
	rdv->rx_ms = loop_now_ms();
	rdv->ping = loop_timer_add_coarse(engine_loop(rdv->eng),
	    (uint64_t)engine_conf(rdv->eng)->handshake_timeout * 1000,
	    rdv_hs_timeout, rdv);
}

static void
rdv_dial(void *arg)
{
	struct rdv *rdv = arg;
	char host[UTIL_HOST_MAX], *cause;
	uint16_t port;

	rdv->retry = NULL;
	if (util_parse_hostport(rdv->address, host, &port, 0, &cause) == -1) {
		engine_notice(
		    rdv->eng, NULL, FE_ERROR, "rendezvous: %s", cause);
		free(cause);
		return;
	}
	rdv->state = RDV_RESOLVING;
	rdv->resolve =
	    net_resolve(engine_loop(rdv->eng), host, port, rdv_resolved, rdv);
}

static void rdv_free(void *);

static void *
rdv_create(struct engine *eng, char **cause)
{
	const struct conf *conf = engine_conf(eng);
	struct rdv *rdv;

	rdv = xcalloc(1, sizeof *rdv);
	rdv->eng = eng;
	rdv->fd = -1;
	if (!conf->rdv)
		return rdv;
	if (ident_parse_key(conf->rdv_key, rdv->server, cause) == -1) {
		char *why = *cause;

		*cause = xasprintf("rendezvous key: %s", why);
		free(why);
		free(rdv);
		return NULL;
	}
	rdv->on = 1;
	rdv->address = xstrdup(conf->rdv_address);
	rdv->backoff_ms = RDV_BACKOFF_MIN_MS;
	rdv->retry = loop_timer_add(engine_loop(eng), 0, rdv_dial, rdv);
	return rdv;
}

static void
rdv_free(void *arg)
{
	struct rdv *rdv = arg;

	if (rdv == NULL)
		return;
	rdv->on = 0;
	rdv_close(rdv, NULL, 0);
	if (rdv->upgrade != NULL)
		loop_timer_del(rdv->upgrade);
	free(rdv->address);
	free(rdv);
}

static int
rdv_relayed(const struct rdv *rdv, const struct peer *p)
{
	const char *route = engine_peer_route(p);

	return route != NULL && strcmp(route, "relay") == 0 &&
	    memcmp(engine_own_key(rdv->eng), p->key, RDV_KEYLEN) < 0;
}

static void rdv_upgrade(void *);

static void
rdv_upgrade_arm(struct rdv *rdv)
{
	rdv->upgrade = loop_timer_add_coarse(engine_loop(rdv->eng),
	    RDV_UPGRADE_TIMEOUTS *
	        (uint64_t)engine_conf(rdv->eng)->handshake_timeout * 1000,
	    rdv_upgrade, rdv);
}

/*
 * Relayed sessions keep trying to go direct: the lower key asks the
 * server to introduce the two again, their candidates are dialled past
 * the relayed session, and a direct one that completes replaces it (the
 * chat layer's acks and resends lose and duplicate nothing).
 */
static void
rdv_upgrade(void *arg)
{
	struct rdv *rdv = arg;
	struct peer *p;
	size_t i, n = 0;

	rdv->upgrade = NULL;
	for (i = 0; i < engine_npeers(rdv->eng); i++) {
		p = engine_peer(rdv->eng, i);
		if (!rdv_relayed(rdv, p))
			continue;
		n++;
		if (rdv->state == RDV_OPEN) {
			log_debug(
			    "rdv: %s is relayed: trying direct again", p->name);
			rdv_send_connect(rdv, p->key);
		}
	}
	if (n != 0)
		rdv_upgrade_arm(rdv);
}

/* A contact came online (maybe a new one): the set may have changed. */
static void
rdv_peer_online(void *arg, struct peer *p)
{
	struct rdv *rdv = arg;

	rdv_subscribe(rdv, 0);
	if (rdv->upgrade == NULL && rdv_relayed(rdv, p))
		rdv_upgrade_arm(rdv);
}

static void
rdv_peer_removed(void *arg, struct peer *p)
{
	struct rdv *rdv = arg;

	(void)p;
	rdv_subscribe(rdv, 0);
}

/* REGISTER or LOOKUP of what the user typed; a LOOKUP is remembered,
 * with connect for /connect @NAME. */
static int
rdv_send_name(struct engine *eng, const char *name, uint8_t type, int connect,
    char **cause)
{
	struct rdv *rdv;
	struct rdv_msg m;
	const char *why;
	int i;

	if ((rdv = rdv_get(eng, cause)) == NULL)
		return -1;
	memset(&m, 0, sizeof m);
	if (rdv_name_normalise(name, m.name, &why) == -1) {
		*cause = xasprintf("'%s': %s", name, why);
		return -1;
	}
	m.type = type;
	if (type == RDV_MSG_REGISTER) {
		m.op = rdv->name[0] != '\0' ? RDV_OP_RENAME : RDV_OP_REGISTER;
		rdv->reg_pending = 1;
	} else {
		/* A free slot, or the last one. */
		for (i = 0; i < RDV_ASKED - 1 && rdv->asked[i].name[0] != '\0';
		     i++)
			;
		snprintf(rdv->asked[i].name, sizeof rdv->asked[i].name, "%s",
		    m.name);
		rdv->asked[i].connect = connect;
	}
	rdv_send(rdv, &m);
	return 0;
}

int
rdv_register(struct engine *eng, const char *name, char **cause)
{
	return rdv_send_name(eng, name, RDV_MSG_REGISTER, 0, cause);
}

int
rdv_lookup(struct engine *eng, const char *name, char **cause)
{
	return rdv_send_name(eng, name, RDV_MSG_LOOKUP, 0, cause);
}

int
rdv_connect(struct engine *eng, const char *name, char **cause)
{
	struct rdv *rdv;
	uint8_t key[RDV_KEYLEN];
	char *why = NULL;

	if ((rdv = rdv_get(eng, cause)) == NULL)
		return -1;
	/* @FINGERPRINT: a REQUEST from someone without a name. */
	if (strlen(name) > RDV_NAME_MAX) {
		if (ident_parse_key(name, key, &why) == 0) {
			rdv_agree(rdv, key, NULL);
			return 0;
		}
		free(why); /* too long for a name: that error says it */
	}
	return rdv_send_name(eng, name, RDV_MSG_LOOKUP, 1, cause);
}

void
rdv_accepted(struct engine *eng, struct peer *p)
{
	struct rdv *rdv = engine_feature(eng, &rdv_feature);

	if (rdv == NULL || !rdv->on || !p->rdv_request || !p->has_key)
		return;
	p->rdv_request = 0;
	rdv_subscribe(rdv, 0);
	if (rdv->state != RDV_OPEN) {
		engine_notice(eng, p, FE_INFO,
		    "the rendezvous server introduces %s once it is back",
		    p->name);
		return;
	}
	rdv_agree(rdv, p->key, NULL);
}

int
rdv_who(struct engine *eng, char **cause)
{
	struct rdv *rdv;
	struct rdv_msg m;
	struct peer *p;
	char *list = xstrdup(""), *s;
	size_t i;

	if ((rdv = rdv_get(eng, cause)) == NULL) {
		free(list);
		return -1;
	}
	for (i = 0; i < engine_npeers(eng); i++) {
		p = engine_peer(eng, i);
		if (!p->rdv_online)
			continue;
		s = xasprintf(
		    "%s%s%s", list, list[0] != '\0' ? " " : "", p->name);
		free(list);
		list = s;
	}
	engine_notice(eng, NULL, FE_INFO, "contacts online: %s",
	    list[0] != '\0' ? list : "none");
	free(list);
	memset(&m, 0, sizeof m);
	m.type = RDV_MSG_WHO;
	rdv_send(rdv, &m);
	return 0;
}

/* No message types of its own (lo > hi): it talks to a server. */
const struct feature rdv_feature = {
	.name = "rdv",
	.type_lo = 1,
	.type_hi = 0,
	.create = rdv_create,
	.free = rdv_free,
	.online = rdv_peer_online,
	.removed = rdv_peer_removed,
};
