/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rendezvous server's relays (doc/PROTOCOL.md section 16.4): RELAY
 * from a session of an introduction gives each side a one-time token;
 * each side dials again and starts with the relay hello; the two halves
 * are paired by their tokens and bytes copied between them, each
 * direction through a token bucket (relay_rate). Reading stops while the
 * other side's output is full or the bucket is empty, so a relay holds
 * at most RDV_RELAY_BUF bytes per direction; a relay not paired in
 * RDV_PAIR_MS, or idle for relay_idle, ends.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "conf_rdv.h"
#include "ident.h"
#include "loop.h"
#include "rdv_server_int.h"
#include "xmalloc.h"

static void rdv_relay_timer(void *);

void
rdv_relay_free(struct rdv_relay *r)
{
	struct rdv_server *srv = r->srv;
	int i;

	for (i = 0; i < 2; i++)
		if (r->half[i] != NULL) {
			r->half[i]->relay = NULL;
			rdv_cl_kill(r->half[i], "relay ends");
		}
	if (r->timer != NULL)
		loop_timer_del(r->timer);
	LIST_REMOVE(r, entry);
	srv->nrelays--;
	ident_wipe(r->tokens, sizeof r->tokens);
	free(r);
}

static struct rdv_relay *
rdv_relay_of_pair(struct rdv_server *srv, const uint8_t *a, const uint8_t *b)
{
	struct rdv_relay *r;

	LIST_FOREACH(r, &srv->relays, entry)
	if ((memcmp(r->keys[0], a, RDV_KEYLEN) == 0 &&
	        memcmp(r->keys[1], b, RDV_KEYLEN) == 0) ||
	    (memcmp(r->keys[0], b, RDV_KEYLEN) == 0 &&
	        memcmp(r->keys[1], a, RDV_KEYLEN) == 0))
		return r;
	return NULL;
}

static void
rdv_relay_timer(void *arg)
{
	struct rdv_relay *r = arg;
	uint64_t now = loop_now_ms();
	uint64_t idle = (uint64_t)r->srv->conf->relay_idle * 1000;

	r->timer = NULL;
	if (!r->paired) {
		if (now - r->created >= RDV_PAIR_MS) {
			rdv_relay_free(r);
			return;
		}
		r->timer = loop_timer_add(r->srv->loop,
		    RDV_PAIR_MS - (now - r->created), rdv_relay_timer, r);
		return;
	}
	if (now - r->last >= idle) {
		rdv_relay_free(r);
		return;
	}
	/* Also the throttle: see whether the buckets allow reading. */
	rdv_relay_update(r);
	if (r->timer == NULL)
		r->timer = loop_timer_add_coarse(
		    r->srv->loop, idle - (now - r->last), rdv_relay_timer, r);
}

void
rdv_do_relay(struct rdv_cl *c, const struct rdv_msg *m)
{
	struct rdv_server *srv = c->srv;
	struct rdv_relay *r;
	struct rdv_cl *t;
	struct rdv_msg tm;
	int i;

	if (rdv_limit(c, RDV_LIMIT_CONNECT, srv->conf->connect_rate,
	        60.0 * 1000) == -1) {
		rdv_refuse(c, m->type, RDV_REFUSED_LIMIT);
		return;
	}
	if (rdv_slot_find(c->intro, m->key, RDV_INTRO_MS) == NULL) {
		rdv_refuse(c, m->type, RDV_REFUSED_STRANGER);
		return;
	}
	if (rdv_relay_of_pair(srv, c->key, m->key) != NULL)
		return;
	if ((t = rdv_find(srv, m->key)) == NULL) {
		rdv_refuse(c, m->type, RDV_REFUSED_OFFLINE);
		return;
	}
	if (srv->nrelays >= (size_t)srv->conf->max_relays) {
		rdv_refuse(c, m->type, RDV_REFUSED_RELAYS);
		return;
	}
	r = xcalloc(1, sizeof *r);
	r->srv = srv;
	memcpy(r->keys[0], c->key, RDV_KEYLEN);
	memcpy(r->keys[1], t->key, RDV_KEYLEN);
	ident_random(r->tokens, sizeof r->tokens);
	r->created = r->last = loop_now_ms();
	r->timer = loop_timer_add(srv->loop, RDV_PAIR_MS, rdv_relay_timer, r);
	LIST_INSERT_HEAD(&srv->relays, r, entry);
	srv->nrelays++;
	for (i = 0; i < 2; i++) {
		memset(&tm, 0, sizeof tm);
		tm.type = RDV_MSG_RELAY_TOKEN;
		memcpy(tm.key, r->keys[!i], RDV_KEYLEN);
		memcpy(tm.token, r->tokens[i], RDV_TOKENLEN);
		tm.flag = i == 0;
		rdv_send(i == 0 ? c : t, &tm);
	}
	ident_wipe(&tm, sizeof tm);
}

/* --- relays ------------------------------------------------------------- */

/* 1 if half i may read now; *throttled if only its bucket stops it. */
static int
rdv_half_can_read(struct rdv_relay *r, int i, int *throttled)
{
	struct rdv_cl *o = r->half[!i];

	if (!r->paired)
		return buf_used(&r->half[i]->in) < RDV_RELAY_BUF;
	if (o == NULL || buf_used(&o->out) >= RDV_RELAY_BUF)
		return 0;
	rdv_refill(&r->rate[i], r->srv->conf->relay_rate, 1000);
	if (r->rate[i].tokens >= 1)
		return 1;
	*throttled = 1;
	return 0;
}

void
rdv_relay_update(struct rdv_relay *r)
{
	struct rdv_cl *h;
	int i, ev, throttled = 0;

	for (i = 0; i < 2; i++) {
		if ((h = r->half[i]) == NULL || h->dead)
			continue;
		if (r->paired && r->half[!i] == NULL &&
		    buf_used(&h->out) == 0) {
			/* The other side is gone and all is written. */
			rdv_relay_free(r);
			return;
		}
		ev = buf_used(&h->out) != 0 ? POLLOUT : 0;
		if (rdv_half_can_read(r, i, &throttled))
			ev |= POLLIN;
		loop_watch_set(h->watch, ev);
	}
	if (throttled && r->timer != NULL) {
		loop_timer_del(r->timer);
		r->timer = NULL;
	}
	if (throttled)
		r->timer = loop_timer_add(r->srv->loop, 20, rdv_relay_timer, r);
}

void
rdv_relay_read(struct rdv_cl *c)
{
	struct rdv_relay *r = c->relay;
	struct rdv_cl *o = r->half[!c->side];
	size_t max = RDV_READ_MAX;
	ssize_t n;

	if (o == NULL) {
		/* Not paired yet: hold it. */
		n = net_read(c->fd, &c->in, max);
	} else {
		if (r->rate[c->side].tokens < (double)max)
			max = (size_t)r->rate[c->side].tokens;
		if (max == 0) {
			rdv_relay_update(r);
			return;
		}
		n = net_read(c->fd, &o->out, max);
		if (n > 0) {
			r->rate[c->side].tokens -= (double)n;
			r->last = loop_now_ms();
		}
	}
	if (n == 0 || (n == -1 && errno != EAGAIN)) {
		rdv_cl_kill(c, n == 0 ? "relay half closed" : strerror(errno));
		return;
	}
	rdv_relay_update(r);
}

/* The first frame was a relay hello: pair it. */
void
rdv_become_relay(struct rdv_cl *c, const uint8_t token[RDV_TOKENLEN])
{
	struct rdv_server *srv = c->srv;
	struct rdv_relay *r;
	struct rdv_cl *o;
	int i;

	LIST_FOREACH(r, &srv->relays, entry)
	for (i = 0; i < 2; i++)
		if (r->half[i] == NULL &&
		    ident_mem_equal(r->tokens[i], token, RDV_TOKENLEN)) {
			ident_random(r->tokens[i], RDV_TOKENLEN); /* once */
			c->kind = RDV_RELAY;
			c->relay = r;
			c->side = i;
			r->half[i] = c;
			buf_consume(&c->in, RDV_HELLO_LEN);
			if (c->timer != NULL)
				loop_timer_del(c->timer);
			c->timer = NULL;
			if ((o = r->half[!i]) != NULL) {
				/* Paired: what each held goes across. */
				buf_append(&o->out, buf_head(&c->in),
				    buf_used(&c->in));
				buf_consume(&c->in, buf_used(&c->in));
				buf_append(&c->out, buf_head(&o->in),
				    buf_used(&o->in));
				buf_consume(&o->in, buf_used(&o->in));
				r->last = loop_now_ms();
				r->paired = 1;
				if (r->timer != NULL)
					loop_timer_del(r->timer);
				r->timer = NULL;
				rdv_relay_timer(r);
				return;
			}
			rdv_relay_update(r);
			return;
		}
	rdv_cl_kill(c, "unknown relay token");
}
