/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * LAN discovery beacons: their encoding and the tag that only contacts
 * recognise (doc/PROTOCOL.md section 15).
 *
 *   magic "p2pL" | version 1 | flags | port u16 | window u32 |
 *   nonce[16] | tag[16]                                     44 bytes
 *   public beacons add: key[32] | nick length u8 | nick    <= 109 bytes
 *
 * tag = BLAKE2b-128(key = the sender's static public key,
 *                   "p2ptui lan v1" || the 28 bytes before the tag)
 *
 * A contact recomputes the tag for each key it knows. The nonce is fresh
 * in every beacon, so two beacons of one sender look unrelated to anyone
 * who does not know its key; the window bounds how long a captured
 * beacon can be replayed (which only makes us dial the replayer, whose
 * Noise handshake then fails).
 *
 * The runtime, a feature with no message types (features.c): one UDP
 * socket bound to lan_port on every address, a beacon at start and every
 * 30 s (plus or minus 3 s) to the broadcast address of every interface
 * and to the multicast group, and the beacons heard:
 *
 *   datagram -> budget (LAN_BUDGET a second, then the socket is not read
 *               until the second is over: the kernel drops the rest)
 *            -> exact decode, window within one of ours
 *            -> a contact's tag?  dial SOURCE:PORT as route "lan", at most
 *                                 once per LAN_DIAL_GAP_MS per contact
 *            -> public, a stranger?  tell the user, once per LAN_TELL_MS
 *                                 per key and LAN_TELL_MAX a minute in all
 *
 * Nothing is allocated per datagram, and nothing is ever sent in answer
 * to one. With lan_announce = "off" the state exists but has no socket.
 * The multicast group is joined on the interfaces there at start; one
 * that comes up later is reached by broadcast only (until a restart).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "engine.h"
#include "feature.h"
#include "ident.h"
#include "lan.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "util.h"
#include "xmalloc.h"

static const uint8_t lan_magic[4] = { 'p', '2', 'p', 'L' };
static const char lan_label[] = "p2ptui lan v1";

#define LAN_SIGNED_LEN (LAN_BEACON_LEN - LAN_TAG_LEN)

static void
lan_tag(const uint8_t *raw, const uint8_t key[LAN_KEY_LEN],
    uint8_t tag[LAN_TAG_LEN])
{
	struct ident_part parts[] = {
		{ lan_label, sizeof lan_label - 1 },
		{ raw, LAN_SIGNED_LEN },
	};

	ident_mac(tag, LAN_TAG_LEN, key, LAN_KEY_LEN, parts, 2);
}

size_t
lan_beacon_encode(const uint8_t key[LAN_KEY_LEN], uint8_t flags, uint16_t port,
    uint32_t window, const uint8_t nonce[LAN_NONCE_LEN], const char *nick,
    uint8_t out[LAN_BEACON_MAX])
{
	size_t len = LAN_BEACON_LEN, n;

	memcpy(out, lan_magic, 4);
	out[4] = LAN_VERSION;
	out[5] = flags;
	out[6] = (uint8_t)(port >> 8);
	out[7] = (uint8_t)port;
	out[8] = (uint8_t)(window >> 24);
	out[9] = (uint8_t)(window >> 16);
	out[10] = (uint8_t)(window >> 8);
	out[11] = (uint8_t)window;
	memcpy(out + 12, nonce, LAN_NONCE_LEN);
	lan_tag(out, key, out + LAN_SIGNED_LEN);
	if (flags & LAN_FLAG_PUBLIC) {
		n = nick != NULL ? strlen(nick) : 0;
		if (n > LAN_NICK_MAX) {
			/* Cut before a character, not inside one. */
			n = LAN_NICK_MAX;
			while (n > 0 && ((uint8_t)nick[n] & 0xc0) == 0x80)
				n--;
		}
		memcpy(out + len, key, LAN_KEY_LEN);
		len += LAN_KEY_LEN;
		out[len++] = (uint8_t)n;
		memcpy(out + len, nick, n);
		len += n;
	}
	return len;
}

int
lan_beacon_decode(const uint8_t *buf, size_t len, struct lan_beacon *b)
{
	size_t n;

	if (len < LAN_BEACON_LEN || memcmp(buf, lan_magic, 4) != 0 ||
	    buf[4] != LAN_VERSION || (buf[5] & ~LAN_FLAG_PUBLIC) != 0)
		return -1;
	memset(b, 0, sizeof *b);
	b->flags = buf[5];
	b->port = (uint16_t)(buf[6] << 8 | buf[7]);
	b->window = (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 |
	    (uint32_t)buf[10] << 8 | buf[11];
	memcpy(b->nonce, buf + 12, LAN_NONCE_LEN);
	memcpy(b->tag, buf + LAN_SIGNED_LEN, LAN_TAG_LEN);
	if (b->port == 0)
		return -1;
	if (!(b->flags & LAN_FLAG_PUBLIC))
		return len == LAN_BEACON_LEN ? 0 : -1;
	if (len < LAN_BEACON_LEN + LAN_KEY_LEN + 1)
		return -1;
	memcpy(b->key, buf + LAN_BEACON_LEN, LAN_KEY_LEN);
	n = buf[LAN_BEACON_LEN + LAN_KEY_LEN];
	if (n > LAN_NICK_MAX || len != LAN_BEACON_LEN + LAN_KEY_LEN + 1 + n ||
	    !util_utf8_printable(buf + LAN_BEACON_LEN + LAN_KEY_LEN + 1, n))
		return -1;
	memcpy(b->nick, buf + LAN_BEACON_LEN + LAN_KEY_LEN + 1, n);
	b->nick[n] = '\0';
	/* The key a public beacon names must be the one its tag is from. */
	if (!lan_beacon_from(buf, b->key))
		return -1;
	return 0;
}

int
lan_beacon_from(const uint8_t *raw, const uint8_t key[LAN_KEY_LEN])
{
	uint8_t tag[LAN_TAG_LEN];

	lan_tag(raw, key, tag);
	return ident_mem_equal(tag, raw + LAN_SIGNED_LEN, LAN_TAG_LEN);
}

/* --- the beacon socket ---------------------------------------------------- */

#define LAN_INTERVAL_MS 27000 /* to the next beacon, plus the jitter */
#define LAN_JITTER_MS 6000
#define LAN_BUDGET 100 /* datagrams read a second, from all senders */
#define LAN_RCVBUF 16384 /* what waits while we do not read */
#define LAN_DIAL_GAP_MS 30000 /* between LAN dials of one contact */
#define LAN_SEEN 64 /* keys remembered: last dial, or last told */
#define LAN_TELL_MS (10 * 60 * 1000) /* a stranger's beacon, told again */
#define LAN_TELL_MAX 10 /* strangers told a minute, all keys together */

struct lan_seen {
	uint8_t key[LAN_KEY_LEN];
	uint64_t at_ms; /* 0: free */
};

struct lan {
	struct engine *eng;
	int fd; /* -1: off, or the socket failed */
	int public; /* announce key and nick */
	uint16_t udp_port;
	struct loop_watch *watch;
	struct loop_timer *timer; /* the next beacon */
	struct loop_timer *resume; /* reading again after the budget */
	uint64_t budget_ms; /* start of the current second */
	unsigned budget; /* datagrams read in it */
	uint64_t tell_ms; /* start of the current minute of telling */
	unsigned told_n; /* strangers told in it */
	struct lan_seen dialled[LAN_SEEN]; /* contacts dialled lately */
	struct lan_seen told[LAN_SEEN]; /* strangers told lately */
};

static void lan_read(int, int, void *);

static uint32_t
lan_window(void)
{
	return (uint32_t)((uint64_t)time(NULL) / LAN_WINDOW_S);
}

/*
 * Was key recorded in the table within the last gap_ms? If not, record
 * it now (in a free or the oldest slot) and say so: 0.
 */
static int
lan_recent(struct lan_seen *t, const uint8_t *key, uint64_t gap_ms)
{
	uint64_t now = loop_now_ms();
	size_t i, old = 0;

	for (i = 0; i < LAN_SEEN; i++) {
		if (t[i].at_ms != 0 &&
		    memcmp(t[i].key, key, LAN_KEY_LEN) == 0) {
			if (now - t[i].at_ms < gap_ms)
				return 1;
			t[i].at_ms = now;
			return 0;
		}
		if (t[i].at_ms < t[old].at_ms)
			old = i;
	}
	memcpy(t[old].key, key, LAN_KEY_LEN);
	t[old].at_ms = now;
	return 0;
}

static void
lan_send_to(struct lan *lan, const uint8_t *raw, size_t len, in_addr_t to)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(lan->udp_port);
	sin.sin_addr.s_addr = to;
	if (sendto(lan->fd, raw, len, 0, (struct sockaddr *)&sin, sizeof sin) ==
	    -1)
		log_debug("lan: sendto: %s", strerror(errno));
}

/* One beacon to the broadcast address of every IPv4 interface that is up
 * and not loopback, and to the multicast group on each that does
 * multicast; then the next one. */
static void
lan_beacon(void *arg)
{
	struct lan *lan = arg;
	uint8_t raw[LAN_BEACON_MAX], nonce[LAN_NONCE_LEN];
	struct ifaddrs *ifa, *i;
	struct in_addr group, ifaddr;
	in_addr_t bcast;
	uint16_t port;
	size_t len;

	lan->timer = loop_timer_add_coarse(engine_loop(lan->eng),
	    LAN_INTERVAL_MS + ident_uniform(LAN_JITTER_MS + 1), lan_beacon,
	    lan);
	if ((port = engine_listen_port(lan->eng)) == 0)
		return;
	ident_random(nonce, sizeof nonce);
	len = lan_beacon_encode(engine_own_key(lan->eng),
	    lan->public ? LAN_FLAG_PUBLIC : 0, port, lan_window(), nonce,
	    engine_nick(lan->eng), raw);
	if (getifaddrs(&ifa) == -1) {
		log_debug("lan: getifaddrs: %s", strerror(errno));
		return;
	}
	inet_pton(AF_INET, LAN_GROUP, &group);
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
			continue;
		/* An address without a broadcast address has 0.0.0.0:
		 * that would be this host. */
		if ((i->ifa_flags & IFF_BROADCAST) &&
		    i->ifa_broadaddr != NULL &&
		    (bcast = ((struct sockaddr_in *)(void *)i->ifa_broadaddr)
		                 ->sin_addr.s_addr) != htonl(INADDR_ANY))
			lan_send_to(lan, raw, len, bcast);
		if (i->ifa_flags & IFF_MULTICAST) {
			ifaddr = ((struct sockaddr_in *)(void *)i->ifa_addr)
			             ->sin_addr;
			if (setsockopt(lan->fd, IPPROTO_IP, IP_MULTICAST_IF,
			        &ifaddr, sizeof ifaddr) == 0)
				lan_send_to(lan, raw, len, group.s_addr);
		}
	}
	freeifaddrs(ifa);
}

/* A beacon from contact p, which came from host: a candidate address. */
static void
lan_contact(struct lan *lan, struct peer *p, const char *host, uint16_t port)
{
	char where[NET_ADDRSTRLEN + 8], *cause;

	if (p->conn != NULL || p->refused || p->disconnected ||
	    lan_recent(lan->dialled, p->key, LAN_DIAL_GAP_MS))
		return;
	snprintf(where, sizeof where, "%s:%u", host, port);
	log_debug("lan: %s may be at %s", p->name, where);
	if (engine_dial_candidate(lan->eng, p, where, "lan", &cause) == -1) {
		log_debug("lan: %s", cause);
		free(cause);
	}
}

/* A public beacon from a stranger: tell the user, now and then. */
static void
lan_stranger(struct lan *lan, const struct lan_beacon *b, const char *host)
{
	char fp[IDENT_SHORT_LEN + 1];
	uint64_t now = loop_now_ms();
	int nick = b->nick[0] != '\0';

	if (ident_key_equal(b->key, engine_own_key(lan->eng)) ||
	    engine_find_key(lan->eng, b->key) != NULL)
		return;
	if (now - lan->tell_ms >= 60000) {
		lan->tell_ms = now;
		lan->told_n = 0;
	}
	/* Many keys cannot make many notices: the table forgets, this not. */
	if (lan->told_n >= LAN_TELL_MAX ||
	    lan_recent(lan->told, b->key, LAN_TELL_MS))
		return;
	lan->told_n++;
	ident_short(b->key, fp);
	engine_notice(lan->eng, NULL, FE_INFO,
	    "%s%s%s is on the LAN: /connect %s:%u", nick ? b->nick : fp,
	    nick ? " " : "", nick ? fp : "", host, b->port);
}

static void
lan_datagram(struct lan *lan, const uint8_t *raw, size_t len,
    const struct sockaddr_storage *from, uint32_t window)
{
	char host[NET_ADDRSTRLEN];
	struct lan_beacon b;
	struct peer *p;
	size_t i;

	if (from->ss_family != AF_INET ||
	    lan_beacon_decode(raw, len, &b) == -1 ||
	    (b.window != window && b.window + 1 != window &&
	        b.window != window + 1))
		return;
	net_addr_host((const struct sockaddr *)from, host);
	for (i = 0; i < engine_npeers(lan->eng); i++) {
		p = engine_peer(lan->eng, i);
		if (p->has_key && p->origin != PEER_UNKNOWN &&
		    lan_beacon_from(raw, p->key)) {
			lan_contact(lan, p, host, b.port);
			return;
		}
	}
	if (b.flags & LAN_FLAG_PUBLIC)
		lan_stranger(lan, &b, host);
}

/* The budget's second is over: read again. */
static void
lan_resume(void *arg)
{
	struct lan *lan = arg;

	lan->resume = NULL;
	loop_watch_set(lan->watch, POLLIN);
}

static void
lan_read(int fd, int revents, void *arg)
{
	struct lan *lan = arg;
	uint8_t raw[LAN_BEACON_MAX + 1]; /* one more: too long is seen */
	struct sockaddr_storage from;
	socklen_t fromlen;
	uint64_t now = loop_now_ms();
	uint32_t window = lan_window();
	ssize_t n;

	(void)revents;
	if (now - lan->budget_ms >= 1000) {
		lan->budget_ms = now;
		lan->budget = 0;
	}
	while (lan->budget < LAN_BUDGET) {
		fromlen = sizeof from;
		n = recvfrom(fd, raw, sizeof raw, MSG_TRUNC,
		    (struct sockaddr *)&from, &fromlen);
		if (n == -1)
			return;
		lan->budget++;
		if ((size_t)n <= sizeof raw)
			lan_datagram(lan, raw, (size_t)n, &from, window);
	}
	/* A flood: stop reading until the second is over. */
	log_debug("lan: over %d datagrams a second, not reading", LAN_BUDGET);
	loop_watch_set(lan->watch, 0);
	lan->resume = loop_timer_add(engine_loop(lan->eng),
	    lan->budget_ms + 1000 - now, lan_resume, lan);
}

static int
lan_socket(struct lan *lan, char **cause)
{
	struct sockaddr_in sin;
	struct ip_mreq mreq;
	struct ifaddrs *ifa, *i;
	int one = 1, ttl = 1, rcvbuf = LAN_RCVBUF;

	lan->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lan->fd == -1) {
		*cause = xasprintf("socket: %s", strerror(errno));
		return -1;
	}
	/* Several p2ptui on one machine all hear the beacons. */
	setsockopt(lan->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	setsockopt(lan->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
	setsockopt(lan->fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
	setsockopt(lan->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	setsockopt(lan->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(lan->udp_port);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(lan->fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		*cause = xasprintf(
		    "UDP port %u: %s", lan->udp_port, strerror(errno));
		return -1;
	}
	if (getifaddrs(&ifa) == 0) {
		inet_pton(AF_INET, LAN_GROUP, &mreq.imr_multiaddr);
		for (i = ifa; i != NULL; i = i->ifa_next) {
			if (i->ifa_addr == NULL ||
			    i->ifa_addr->sa_family != AF_INET ||
			    !(i->ifa_flags & IFF_MULTICAST))
				continue;
			mreq.imr_interface =
			    ((struct sockaddr_in *)(void *)i->ifa_addr)
			        ->sin_addr;
			setsockopt(lan->fd, IPPROTO_IP, IP_ADD_MEMBERSHIP,
			    &mreq, sizeof mreq);
		}
		freeifaddrs(ifa);
	}
	return 0;
}

static void lan_free(void *);

/* Never NULL: without a socket (off, or it failed) the state is idle. */
static void *
lan_create(struct engine *eng, char **cause)
{
	const struct conf *conf = engine_conf(eng);
	struct lan *lan;
	char *why;

	(void)cause;
	lan = xcalloc(1, sizeof *lan);
	lan->eng = eng;
	lan->fd = -1;
	if (strcmp(conf->lan_announce, "off") == 0)
		return lan;
	lan->public = strcmp(conf->lan_announce, "public") == 0;
	lan->udp_port = (uint16_t)conf->lan_port;
	if (lan_socket(lan, &why) == -1) {
		/* Chat goes on without it. */
		engine_notice(eng, NULL, FE_WARN, "no LAN discovery: %s", why);
		free(why);
		if (lan->fd != -1)
			close(lan->fd);
		lan->fd = -1;
		return lan;
	}
	lan->watch =
	    loop_watch_add(engine_loop(eng), lan->fd, POLLIN, lan_read, lan);
	/* The first beacon at once: the engine listens already. */
	lan->timer = loop_timer_add(engine_loop(eng), 0, lan_beacon, lan);
	return lan;
}

static void
lan_free(void *arg)
{
	struct lan *lan = arg;

	if (lan == NULL)
		return;
	if (lan->timer != NULL)
		loop_timer_del(lan->timer);
	if (lan->resume != NULL)
		loop_timer_del(lan->resume);
	if (lan->watch != NULL)
		loop_watch_del(lan->watch);
	if (lan->fd != -1)
		close(lan->fd);
	free(lan);
}

/* No message types of its own (lo > hi): it only finds addresses. */
const struct feature lan_feature = {
	.name = "lan",
	.type_lo = 1,
	.type_hi = 0,
	.create = lan_create,
	.free = lan_free,
};
