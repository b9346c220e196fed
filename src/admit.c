/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Admission: the listener and the limits on strangers before they are
 * authenticated (doc/PROTOCOL.md section 11). Token buckets per address
 * (IPv6: /64), per group (/24, /48) and in total, with addresses trusted
 * peers came from exempt from the group and total rates; a bounded table
 * of inbound handshakes where the oldest gives way; and a listener that
 * pauses instead of spinning when descriptors run out.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "conf.h"
#include "engine_int.h"
#include "log.h"

/*
 * Take n tokens from b, which refills at rate per second up to burst
 * (a fresh bucket, last == 0, starts full): 1, or 0 if there are not
 * that many (and none are taken).
 */
void
admit_bucket_fill(
    struct admit_bucket *b, double rate, double burst, uint64_t now)
{
	if (b->last == 0)
		b->tokens = burst;
	else
		b->tokens += (double)(now - b->last) * rate / 1000.0;
	if (b->tokens > burst)
		b->tokens = burst;
	b->last = now;
}

int
admit_bucket_take(
    struct admit_bucket *b, double rate, double burst, double n, uint64_t now)
{
	admit_bucket_fill(b, rate, burst, now);
	if (b->tokens < n)
		return 0;
	b->tokens -= n;
	return 1;
}

/* --- listening ---------------------------------------------------------- */

/*
 * Addresses (IPv6: /64s) that trusted peers' connections came from or
 * went to in this run: they skip the group and global rates below, so a
 * flood from rotating addresses does not keep known peers out.
 */
void
admit_known_add(struct engine *eng, const uint8_t *src)
{
	struct known_source *k, *oldest = &eng->known[0];
	size_t i;

	for (i = 0; i < ENGINE_KNOWN_SLOTS; i++) {
		k = &eng->known[i];
		if (memcmp(k->prefix, src, NET_PREFIXLEN) == 0) {
			oldest = k;
			break;
		}
		if (k->last < oldest->last)
			oldest = k;
	}
	memcpy(oldest->prefix, src, NET_PREFIXLEN);
	oldest->last = loop_now_ms();
}

static int
admit_known(const struct engine *eng, const uint8_t *src)
{
	size_t i;

	for (i = 0; i < ENGINE_KNOWN_SLOTS; i++) {
		if (eng->known[i].last != 0 &&
		    memcmp(eng->known[i].prefix, src, NET_PREFIXLEN) == 0)
			return 1;
	}
	return 0;
}

/* The rate slot of an address (level 0) or group (1), the least recently
 * used one given over if it has none. */
static struct admit_bucket *
admit_rate_slot(struct engine *eng, uint8_t level, const uint8_t *prefix)
{
	struct rate_slot *slot, *oldest = &eng->rate[0];
	size_t i;

	for (i = 0; i < ENGINE_RATE_SLOTS; i++) {
		slot = &eng->rate[i];
		if (slot->b.last != 0 && slot->level == level &&
		    memcmp(slot->prefix, prefix, NET_PREFIXLEN) == 0)
			return &slot->b;
		if (slot->b.last < oldest->b.last)
			oldest = slot;
	}
	oldest->level = level;
	memcpy(oldest->prefix, prefix, NET_PREFIXLEN);
	oldest->b.last = 0; /* full */
	return &oldest->b;
}

/*
 * Token buckets for new connections: handshake_rate per second from one
 * address (IPv6: /64), ENGINE_GROUP_RATE times that from its /24 (IPv6:
 * /48), handshake_rate_total from everywhere; bursts up to the rate.
 * A connection takes a token from each, or from none: NULL, or why not.
 */
static const char *
admit_rate_ok(struct engine *eng, const uint8_t *src, const uint8_t *group)
{
	struct admit_bucket *a, *g, *all = &eng->global_rate;
	uint64_t now = loop_now_ms();
	double rate = eng->conf->handshake_rate,
	       grate = rate * ENGINE_GROUP_RATE,
	       total = eng->conf->handshake_rate_total;
	int known = admit_known(eng, src);

	a = admit_rate_slot(eng, 0, src);
	if (!admit_bucket_take(a, rate, rate, 1, now))
		return "too many connections from this address";
	if (known)
		return NULL;
	g = admit_rate_slot(eng, 1, group);
	if (!admit_bucket_take(g, grate, grate, 1, now)) {
		a->tokens += 1;
		return "too many connections from this network";
	}
	if (!admit_bucket_take(all, total, total, 1, now)) {
		a->tokens += 1;
		g->tokens += 1;
		return "too many connections from everywhere";
	}
	return NULL;
}

/* Inbound handshakes in progress from the address src. */
static size_t
admit_source_handshakes(const struct engine *eng, const uint8_t *src)
{
	const struct conn *c;
	size_t n = 0;

	TAILQ_FOREACH(c, &eng->handshakes, hs_entry)
	{
		if (memcmp(c->src, src, NET_PREFIXLEN) == 0)
			n++;
	}
	return n;
}

void
admit_resume(void *arg)
{
	struct engine *eng = arg;

	eng->accept_timer = NULL;
	if (eng->lwatch != NULL)
		loop_watch_set(eng->lwatch, POLLIN);
}

/*
 * Out of descriptors: the pending connection stays queued and the
 * listener readable, so stop watching it (or the loop would spin) until
 * a connection closes or a moment has passed.
 */
static void
admit_pause(struct engine *eng, int err)
{
	uint64_t now = loop_now_ms();

	loop_watch_set(eng->lwatch, 0);
	if (eng->accept_timer == NULL)
		eng->accept_timer = loop_timer_add(
		    eng->loop, ENGINE_ACCEPT_PAUSE_MS, admit_resume, eng);
	if (eng->accept_warned == 0 || now - eng->accept_warned >= 600 * 1000) {
		eng->accept_warned = now;
		engine_notice(eng, NULL, FE_WARN,
		    "cannot accept connections: %s; new ones wait until a "
		    "connection closes (raise the limit with ulimit -n)",
		    strerror(err));
	}
	log_debug("accept: %s: listener paused", strerror(err));
}

void
admit_accept_cb(int fd, int revents, void *arg)
{
	struct engine *eng = arg;
	struct sockaddr_storage ss;
	uint8_t src[NET_PREFIXLEN], group[NET_PREFIXLEN];
	char addr[NET_ADDRSTRLEN];
	socklen_t len;
	struct conn *c;
	const char *refuse;
	uint64_t ms;
	int cfd, i;

	(void)revents;
	for (i = 0; i < 64; i++) {
		if ((cfd = net_accept(fd, &ss, &len)) == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				admit_pause(eng, errno);
			else if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != ECONNABORTED && errno != EINTR)
				log_debug("accept: %s", strerror(errno));
			return;
		}
		net_addr_str((struct sockaddr *)&ss, addr);
		net_addr_prefix((struct sockaddr *)&ss, 32, 64, src);
		net_addr_prefix((struct sockaddr *)&ss, 24, 48, group);
		refuse = NULL;
		/* Sessions beyond max_peers are told so after the handshake;
		 * this bounds the descriptors. */
		if (eng->nconns >=
		    (size_t)eng->conf->max_peers + ENGINE_MAX_HANDSHAKES)
			refuse = "too many connections";
		else if (admit_source_handshakes(eng, src) >=
		    ENGINE_HS_PER_SOURCE)
			refuse = "too many handshakes from this address";
		else
			refuse = admit_rate_ok(eng, src, group);
		if (refuse != NULL) {
			log_debug("refused %s: %s", addr, refuse);
			close(cfd);
			continue;
		}
		/* A full table gives way: the oldest handshake is dropped,
		 * not the newcomer, so stalled ones cannot keep others out. */
		if (eng->nhandshakes >= ENGINE_MAX_HANDSHAKES)
			conn_close(TAILQ_FIRST(&eng->handshakes),
			    "handshake table full: the oldest gave way");
		c = conn_new(eng, 0);
		c->fd = cfd;
		snprintf(c->addr, sizeof c->addr, "%s", addr);
		memcpy(c->src, src, NET_PREFIXLEN);
		c->last_rx = c->last_tx = c->accepted_ms = loop_now_ms();
		TAILQ_INSERT_TAIL(&eng->handshakes, c, hs_entry);
		c->in_hs = 1;
		eng->nhandshakes++;
		conn_hs_start(c);
		c->watch = loop_watch_add(eng->loop, cfd, POLLIN, conn_io, c);
		ms = (uint64_t)eng->conf->handshake_timeout * 1000;
		conn_timer(c, ms < ENGINE_MSG1_MS ? ms : ENGINE_MSG1_MS,
		    conn_handshake_expired);
		log_debug("accepted %s", addr);
	}
}
