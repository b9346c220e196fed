/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The engine: peers, connections, trust and chat.
 *
 * A connection (struct conn) goes through
 *
 *   RESOLVING -> CONNECTING -> HANDSHAKE -> OPEN -> (closed)     outbound
 *                              HANDSHAKE -> OPEN -> (closed)     inbound
 *
 * and is attached to a peer once the handshake proves its key and the key
 * is trusted. A peer is ONLINE when its attached connection has both sent
 * and received HELLO. An unknown key that connects becomes a REQUEST peer
 * whose connection stays open (answering pings) but gets no HELLO until
 * the user accepts it.
 *
 * Invariants:
 * - A peer has at most one attached connection. When two connections for
 *   one peer are authenticated (both sides dialled at once), the one
 *   whose initiator has the smaller static key wins on both sides; the
 *   other is closed with BYE(duplicate).
 * - The initiator checks the responder's key after message 2, before
 *   message 3 reveals its own identity: a pinned-key mismatch is refused
 *   without telling the impostor who we are.
 * - Connections are never freed inside their own callbacks: conn_close()
 *   closes the socket at once and queues the memory for engine_reap().
 * - Nothing from the network is trusted: every frame is bounded by the
 *   2-byte length, every message decoded to the byte by proto.c, and any
 *   violation closes that connection with one notice.
 */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "engine.h"
#include "flip.h"
#include "ident.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "noise.h"
#include "proto.h"
#include "store.h"
#include "util.h"
#include "xfer.h"
#include "xmalloc.h"

/* Limits on strangers; doc/PROTOCOL.md section 11 explains each. */
#define ENGINE_MAX_HANDSHAKES 32 /* inbound handshakes in progress */
#define ENGINE_HS_PER_SOURCE 4 /* ... from one address (IPv6: one /64) */
#define ENGINE_MSG1_MS 2000 /* for handshake message 1 after the accept */
#define ENGINE_MAX_REQUESTS 32
#define ENGINE_RATE_SLOTS 256 /* addresses and groups rate-limited */
#define ENGINE_GROUP_RATE 4 /* a /24 or /48 gets 4 x handshake_rate */
#define ENGINE_KNOWN_SLOTS 64 /* addresses trusted peers came from */
#define ENGINE_READ_PAUSE (512 * 1024) /* output above which reading stops */
#define ENGINE_REQ_QUEUE (4 * 1024) /* ... for a contact request */
#define ENGINE_REQ_BURST (16 * 1024) /* bytes a request may send at once */
#define ENGINE_REQ_RATE 1024 /* ... and per second after that */
#define ENGINE_IGNORED_BURST (1024 * 1024) /* bytes of extension frames */
#define ENGINE_IGNORED_RATE (64 * 1024) /* ... and per second after that */
#define ENGINE_ACCEPT_PAUSE_MS 1000 /* out of descriptors: listen later */
#define ENGINE_FOLD_MS 10000 /* repeated notices about strangers ... */
#define ENGINE_FOLD_SHOWN 5 /* ... beyond these are counted, not shown */
#define ENGINE_READ_MAX (256 * 1024)
#define ENGINE_BACKOFF_MIN 1
#define ENGINE_BACKOFF_MAX 300
#define ENGINE_CLOSE_LINGER_MS 1000
#define ENGINE_HELLO_WAIT_MS 1000
#define ENGINE_STATE_FILE "peers"
#define ENGINE_DECLINED_FILE "declined"
#define ENGINE_DECLINED_MAX 1024
#define ENGINE_PUMP_WATERMARK (256 * 1024)
#define ENGINE_SAVE_NOTICE_MS 60000 /* a failing store is said this often */
#define ENGINE_PUMP_BATCH 64
#define ENGINE_LIMBO_MAX 4096
#define ENGINE_SHOWN_FILE "shown"
#define ENGINE_SHOWN_LEN 21 /* the rowid in 20 digits, a newline */
#define ENGINE_UNSHOWN_BATCH 256

/* A token bucket: refills at a rate per second up to a burst. */
struct engine_bucket {
	double tokens;
	uint64_t last; /* ms */
};

enum conn_state {
	CONN_RESOLVING,
	CONN_CONNECTING,
	CONN_HANDSHAKE,
	CONN_OPEN,
	CONN_CLOSING, /* BYE queued: close once flushed */
	CONN_DEAD, /* closed, waiting for engine_reap() */
};

struct conn {
	struct engine *eng;
	LIST_ENTRY(conn) entry;
	enum conn_state state;
	int initiator;
	int fd;
	struct loop_watch *watch;
	struct loop_timer *timer; /* handshake deadline, then keepalive */

	char *target; /* outbound: "HOST:PORT" dialled */
	struct peer *want; /* outbound: the peer we meant to reach, or NULL */
	struct net_resolve *resolve;
	struct sockaddr_storage addrs[NET_MAX_ADDRS];
	size_t naddrs, next_addr;
	int last_errno;

	char addr[NET_ADDRSTRLEN]; /* remote address */
	uint8_t src[NET_PREFIXLEN]; /* ... as an address (IPv6: its /64) */
	uint64_t accepted_ms; /* inbound: when accepted */
	uint64_t open_ms; /* when the handshake completed */
	TAILQ_ENTRY(conn) hs_entry; /* inbound, in the handshake */
	int in_hs; /* on eng->handshakes */
	int counted; /* in eng->nsessions */
	int paused; /* not read: too much output waits */
	struct engine_bucket req_budget; /* bytes read as a contact request */
	struct engine_bucket ignored; /* bytes of ignored extension frames */

	struct noise_hs *hs;
	struct noise_cipher tx, rx;
	uint8_t sid[NOISE_HASHLEN];
	uint8_t rkey[IDENT_KEYLEN];
	uint32_t rcaps; /* the capabilities of their handshake payload */

	struct peer *peer; /* attached: authenticated and trusted or request */
	int explicit; /* dialled by the user: report failures */
	int hello_sent, hello_got;
	int inherit_online; /* replaced an online connection of the peer */
	int unanswered; /* no HELLO a while after ours: not accepted */
	uint64_t serial; /* unique per engine, never reused */
	int uncommitted; /* queued ACKs or messages that depend on the
	                    open transaction: on the engine's list */
	LIST_ENTRY(conn) uncommitted_entry;
	struct loop_timer *hello_timer;
	uint64_t last_rx, last_tx;
	struct buf in, out;
};

/* A chat event held back until the transaction that stored it commits,
 * so nothing is shown that a crash could take back. */
enum engine_event_kind { EV_IN, EV_OUT, EV_DELIVERED };
struct engine_event {
	enum engine_event_kind kind;
	struct peer *peer;
	uint8_t id[PROTO_ID_LEN];
	int64_t time_ms;
	char *text;
	size_t len;
	int64_t rowid; /* EV_IN: its place in the store, or 0 */
};

/* A rate-limited source: an address (level 0) or a group (level 1). */
struct rate_slot {
	uint8_t level;
	uint8_t prefix[NET_PREFIXLEN];
	struct engine_bucket b;
};

/* An address a trusted peer's connection came from, and when. */
struct known_source {
	uint8_t prefix[NET_PREFIXLEN];
	uint64_t last;
};

/* Notices about strangers, shown a few at a time and then counted. */
enum engine_fold_kind { FOLD_REQUEST, FOLD_STRANGER, FOLD_KINDS };
struct engine_fold {
	struct engine *eng;
	enum engine_fold_kind kind;
	uint64_t start; /* of the current window */
	unsigned shown, folded;
	struct loop_timer *timer;
};

struct engine {
	struct loop *loop;
	const struct conf *conf;
	const struct ident *id;
	const struct fe_ops *fe;
	void *fe_arg;

	int lfd;
	struct loop_watch *lwatch;
	struct loop_timer *accept_timer; /* listener paused: no descriptors */
	uint64_t accept_warned; /* when that was last reported */
	char listen_addr[NET_ADDRSTRLEN];
	char *state_path;
	char *declined_path;
	char nick[PROTO_NICK_MAX + 1];

	struct peer **peers;
	size_t npeers;
	LIST_HEAD(, conn) conns;
	LIST_HEAD(, conn) dead;
	/* Connections with frames that wait for the commit hook, so the
	 * hook costs what happened, not the number of connections. */
	LIST_HEAD(, conn) uncommitted;
	struct loop_timer *reap;
	size_t nconns;
	size_t nsessions; /* connections past the handshake, not closing */
	TAILQ_HEAD(, conn) handshakes; /* inbound, oldest first */
	size_t nhandshakes;

	uint8_t (*declined)[IDENT_KEYLEN]; /* oldest first, remembered */
	size_t ndeclined;
	struct rate_slot rate[ENGINE_RATE_SLOTS];
	struct engine_bucket global_rate;
	struct known_source known[ENGINE_KNOWN_SLOTS];
	struct engine_fold fold[FOLD_KINDS];
	struct flips *flips;
	struct xfers *xfers; /* from engine_start() on */
	struct store *store;
	int write_failed; /* a store write failed in this iteration */
	uint64_t save_notice_ms; /* when a failed commit was last said */
	uint64_t conn_serial;
	struct engine_event *events; /* shown once their writes commit */
	size_t nevents;
	struct engine_event *limbo; /* held back by a failed write */
	size_t nlimbo;
	/* What the frontend has shown of the received messages: every
	 * one up to rowid shown_upto (recorded in the file shown_fd), and
	 * handed_upto of those given to it since. */
	int shown_state; /* 0 not read yet, 1 shown_fd open, -1 none */
	int shown_fd;
	int64_t shown_upto, handed_upto;

	uint8_t scratch[PROTO_FRAME_MAX];
	uint8_t scratch2[PROTO_FRAME_MAX];
};

static void conn_close(struct conn *, const char *why);
static void conn_io(int, int, void *);
static int conn_send(struct conn *, const struct proto_msg *);
static void peer_schedule(struct peer *);
static void peer_update(struct peer *);
static void engine_pump(struct peer *);
static void engine_receive(
    struct conn *, struct peer *, const struct proto_msg *);
static void engine_acked(
    struct conn *, struct peer *, const struct proto_msg *);
static void engine_known_add(struct engine *, const uint8_t *);

/* --- helpers ----------------------------------------------------------- */

static void engine_notice(struct engine *eng, struct peer *p,
    enum fe_level level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
engine_notice(struct engine *eng, struct peer *p, enum fe_level level,
    const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	log_debug("notice: %s", s);
	eng->fe->notice(eng->fe_arg, p, level, s);
	free(s);
}

/*
 * Take n tokens from b, which refills at rate per second up to burst
 * (a fresh bucket, last == 0, starts full): 1, or 0 if there are not
 * that many (and none are taken).
 */
static int
engine_bucket_take(
    struct engine_bucket *b, double rate, double burst, double n, uint64_t now)
{
	if (b->last == 0)
		b->tokens = burst;
	else
		b->tokens += (double)(now - b->last) * rate / 1000.0;
	if (b->tokens > burst)
		b->tokens = burst;
	b->last = now;
	if (b->tokens < n)
		return 0;
	b->tokens -= n;
	return 1;
}

static void
engine_fold_expired(void *arg)
{
	struct engine_fold *f = arg;
	int secs = ENGINE_FOLD_MS / 1000;

	f->timer = NULL;
	if (f->kind == FOLD_REQUEST)
		engine_notice(f->eng, NULL, FE_INFO,
		    "%u more notices about contact requests in the last %d "
		    "seconds (/peers lists the requests)",
		    f->folded, secs);
	else
		engine_notice(f->eng, NULL, FE_WARN,
		    "%u more warnings about unknown connections in the last "
		    "%d seconds (-v logs them)",
		    f->folded, secs);
	f->folded = 0;
}

/*
 * A notice about a stranger (a contact request, an unauthenticated
 * connection): a flood of them from rotating addresses must not bury
 * everything else, so of each kind only ENGINE_FOLD_SHOWN are shown in
 * ENGINE_FOLD_MS, and the rest become one line with their count at the
 * end of that window.
 */
static void engine_notice_fold(struct engine *, enum engine_fold_kind,
    struct peer *, enum fe_level, const char *, ...)
    __attribute__((format(printf, 5, 6)));

static void
engine_notice_fold(struct engine *eng, enum engine_fold_kind kind,
    struct peer *p, enum fe_level level, const char *fmt, ...)
{
	struct engine_fold *f = &eng->fold[kind];
	uint64_t now = loop_now_ms();
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	if (f->timer == NULL && now - f->start >= ENGINE_FOLD_MS) {
		f->start = now;
		f->shown = 0;
	}
	if (f->shown < ENGINE_FOLD_SHOWN) {
		f->shown++;
		engine_notice(eng, p, level, "%s", s);
	} else {
		log_debug("notice (folded): %s", s);
		f->folded++;
		if (f->timer == NULL)
			f->timer = loop_timer_add(eng->loop,
			    f->start + ENGINE_FOLD_MS - now,
			    engine_fold_expired, f);
	}
	free(s);
}

const char *
peer_state_name(enum peer_state state)
{
	switch (state) {
	case PEER_OFFLINE:
		return "offline";
	case PEER_CONNECTING:
		return "connecting";
	case PEER_WAITING:
		return "waiting";
	case PEER_REQUEST:
		return "request";
	case PEER_ONLINE:
		return "online";
	}
	return "?";
}

const char *
peer_state_text(const struct peer *p)
{
	if (p->state == PEER_REQUEST && p->conn == NULL)
		return "request (offline)";
	if (p->state == PEER_OFFLINE && p->declined_us)
		return "offline (declined)";
	if (p->state == PEER_OFFLINE && p->disconnected)
		return "offline (disconnected)";
	return peer_state_name(p->state);
}

static struct peer *
engine_peer_by_key(const struct engine *eng, const uint8_t *key)
{
	size_t i;

	for (i = 0; i < eng->npeers; i++) {
		if (eng->peers[i]->has_key &&
		    ident_key_equal(eng->peers[i]->key, key))
			return eng->peers[i];
	}
	return NULL;
}

static struct peer *
engine_peer_by_name(const struct engine *eng, const char *name)
{
	size_t i;

	for (i = 0; i < eng->npeers; i++) {
		if (strcmp(eng->peers[i]->name, name) == 0)
			return eng->peers[i];
	}
	return NULL;
}

static struct peer *
peer_add(struct engine *eng, const char *name, enum peer_origin origin)
{
	struct peer *p = xcalloc(1, sizeof *p);

	p->eng = eng;
	snprintf(p->name, sizeof p->name, "%s", name);
	p->origin = origin;
	p->backoff = ENGINE_BACKOFF_MIN;
	eng->peers =
	    xreallocarray(eng->peers, eng->npeers + 1, sizeof *eng->peers);
	eng->peers[eng->npeers++] = p;
	return p;
}

static void
peer_free(struct peer *p)
{
	if (p->retry != NULL)
		loop_timer_del(p->retry);
	free(p->address);
	free(p);
}

static void
peer_remove(struct engine *eng, struct peer *p)
{
	size_t i, k;

	for (i = 0; i < eng->npeers; i++) {
		if (eng->peers[i] == p)
			break;
	}
	if (i == eng->npeers)
		return;
	for (k = 0; k < eng->nevents; k++) {
		if (eng->events[k].peer == p)
			eng->events[k].peer = NULL;
	}
	for (k = 0; k < eng->nlimbo; k++) {
		if (eng->limbo[k].peer == p)
			eng->limbo[k].peer = NULL;
	}
	eng->fe->peer_removed(eng->fe_arg, p); /* while it is still listed */
	memmove(&eng->peers[i], &eng->peers[i + 1],
	    (eng->npeers - i - 1) * sizeof *eng->peers);
	eng->npeers--;
	peer_free(p);
}

/* --- learned state ------------------------------------------------------ */

/*
 * The state file (data_dir/peers) holds what the program learned: keys
 * the user accepted and keys learned for configured peers that had none.
 * One line a peer: "FINGERPRINT NAME AUTOCONNECT ADDRESS [FLAGS [NICK]]"
 * ('-' for no address or no flags). FLAGS: 'h' the address came from the
 * peer's HELLO (later ones update it), 'd' the peer declined our contact
 * request (not dialled automatically). NICK, the rest of the line, is
 * the nick of its last HELLO. Rewritten atomically (temporary file,
 * fsync, rename).
 */
/* Write a file of the data directory atomically (temporary file, fsync,
 * rename) with the contents fill() writes; -1 after telling the user. */
static int
engine_write_file(
    struct engine *eng, const char *path, void (*fill)(struct engine *, FILE *))
{
	char *tmp;
	FILE *f;
	int fd, ok;

	tmp = xasprintf("%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || (f = fdopen(fd, "w")) == NULL) {
		engine_notice(eng, NULL, FE_ERROR, "cannot write %s: %s", tmp,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		free(tmp);
		return -1;
	}
	fill(eng, f);
	ok = fflush(f) == 0 && fsync(fd) == 0 && !ferror(f);
	fclose(f);
	if (!ok || rename(tmp, path) == -1) {
		engine_notice(eng, NULL, FE_ERROR, "cannot write %s: %s", path,
		    strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

static void
engine_write_peers(struct engine *eng, FILE *f)
{
	char fp[IDENT_FP_LEN + 1];
	struct peer *p;
	size_t i;

	fprintf(f,
	    "# p2ptui learned peers: written by p2ptui, do not "
	    "edit while it runs\n");
	for (i = 0; i < eng->npeers; i++) {
		p = eng->peers[i];
		if (!p->has_key || p->origin == PEER_UNKNOWN)
			continue;
		if (p->origin == PEER_CONFIG &&
		    conf_find_peer(eng->conf, p->name)->has_key)
			continue;
		ident_fingerprint(p->key, fp);
		fprintf(f, "%s %s %d %s %s%s%s%s", fp, p->name, p->autoconnect,
		    p->address != NULL ? p->address : "-",
		    p->addr_learned ? "h" : "", p->declined_us ? "d" : "",
		    !p->addr_learned && !p->declined_us ? "-" : "",
		    p->nick[0] != '\0' ? " " : "");
		if (p->nick[0] != '\0')
			fputs(p->nick, f);
		fputc('\n', f);
	}
}

static int
engine_save(struct engine *eng)
{
	return engine_write_file(eng, eng->state_path, engine_write_peers);
}

/* The optional end of a state line: " FLAGS[ NICK]\n". */
static int
engine_state_rest(const char *s, char flags[8], char nick[PROTO_NICK_MAX + 1])
{
	size_t n;

	flags[0] = nick[0] = '\0';
	n = strcspn(s, "\n");
	if (n == 0)
		return 0;
	if (*s != ' ' || (n = strcspn(++s, " \n")) == 0 || n >= 8 ||
	    strspn(s, "-hd") < n)
		return -1;
	memcpy(flags, s, n);
	flags[n] = '\0';
	s += n;
	if (*s != ' ')
		return *s == '\n' || *s == '\0' ? 0 : -1;
	n = strcspn(++s, "\n");
	if (n > PROTO_NICK_MAX || !util_utf8_printable((const uint8_t *)s, n))
		return -1;
	memcpy(nick, s, n);
	nick[n] = '\0';
	return 0;
}

static int
engine_load_state(struct engine *eng, char **cause)
{
	char line[512], fpbuf[128], name[128], addr[300], host[UTIL_HOST_MAX],
	    flags[8], nick[PROTO_NICK_MAX + 1];
	uint8_t key[IDENT_KEYLEN];
	struct conf_peer *cp;
	struct peer *p;
	char *why;
	uint16_t port;
	int lineno = 0, autoc, off;
	FILE *f;

	if ((f = fopen(eng->state_path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		*cause = xasprintf(
		    "cannot read %s: %s", eng->state_path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		off = 0;
		why = NULL;
		if (sscanf(line, "%127s %127s %d %299s%n", fpbuf, name, &autoc,
		        addr, &off) != 4 ||
		    engine_state_rest(line + off, flags, nick) == -1 ||
		    (autoc != 0 && autoc != 1) ||
		    ident_parse_key(fpbuf, key, &why) == -1 ||
		    conf_valid_name(name) == -1 ||
		    (strcmp(addr, "-") != 0 &&
		        util_parse_hostport(addr, host, &port, 0, &why) ==
		            -1)) {
			*cause = xasprintf("%s:%d: malformed line (move the "
			                   "file away to forget learned peers)",
			    eng->state_path, lineno);
			free(why);
			fclose(f);
			return -1;
		}
		cp = conf_find_peer(eng->conf, name);
		if (cp != NULL && cp->has_key)
			continue; /* the configuration pins it */
		if (engine_peer_by_key(eng, key) != NULL)
			continue;
		if ((p = engine_peer_by_name(eng, name)) == NULL) {
			p = peer_add(eng, name, PEER_LEARNED);
			p->autoconnect = autoc;
			if (strcmp(addr, "-") != 0)
				p->address = xstrdup(addr);
			p->addr_learned = strchr(flags, 'h') != NULL;
			p->declined_us = p->refused =
			    strchr(flags, 'd') != NULL;
		}
		snprintf(p->nick, sizeof p->nick, "%s", nick);
		memcpy(p->key, key, IDENT_KEYLEN);
		p->has_key = 1;
	}
	fclose(f);
	return 0;
}

/*
 * The keys whose contact requests the user declined (data_dir/declined),
 * one fingerprint a line, oldest first, at most ENGINE_DECLINED_MAX:
 * they stay declined across restarts. Rewritten atomically.
 */
static void
engine_write_declined(struct engine *eng, FILE *f)
{
	char fp[IDENT_FP_LEN + 1];
	size_t i;

	fprintf(f, "# p2ptui declined contact requests: one key a line\n");
	for (i = 0; i < eng->ndeclined; i++) {
		ident_fingerprint(eng->declined[i], fp);
		fprintf(f, "%s\n", fp);
	}
}

static int
engine_save_declined(struct engine *eng)
{
	return engine_write_file(
	    eng, eng->declined_path, engine_write_declined);
}

static void
engine_add_declined(struct engine *eng, const uint8_t *key)
{
	if (eng->ndeclined == ENGINE_DECLINED_MAX) {
		memmove(eng->declined[0], eng->declined[1],
		    (eng->ndeclined - 1) * sizeof *eng->declined);
		eng->ndeclined--;
	}
	eng->declined = xreallocarray(
	    eng->declined, eng->ndeclined + 1, sizeof *eng->declined);
	memcpy(eng->declined[eng->ndeclined++], key, IDENT_KEYLEN);
}

/* We dialled the key ourselves: it is declined no longer. */
static void
engine_undecline(struct engine *eng, const uint8_t *key)
{
	size_t i;

	for (i = 0; i < eng->ndeclined; i++) {
		if (ident_key_equal(eng->declined[i], key)) {
			memmove(eng->declined[i], eng->declined[i + 1],
			    (eng->ndeclined - i - 1) * sizeof *eng->declined);
			eng->ndeclined--;
			engine_save_declined(eng);
			return;
		}
	}
}

static int
engine_load_declined(struct engine *eng, char **cause)
{
	char line[256], *why;
	uint8_t key[IDENT_KEYLEN];
	int lineno = 0;
	FILE *f;

	if ((f = fopen(eng->declined_path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		*cause = xasprintf(
		    "cannot read %s: %s", eng->declined_path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (ident_parse_key(line, key, &why) == -1) {
			free(why);
			*cause = xasprintf("%s:%d: malformed line (delete it "
			                   "to let that key ask again)",
			    eng->declined_path, lineno);
			fclose(f);
			return -1;
		}
		engine_add_declined(eng, key);
	}
	fclose(f);
	return 0;
}

/* --- connections -------------------------------------------------------- */

static struct conn *
conn_new(struct engine *eng, int initiator)
{
	struct conn *c = xcalloc(1, sizeof *c);

	c->eng = eng;
	c->serial = ++eng->conn_serial;
	c->fd = -1;
	c->initiator = initiator;
	buf_init(&c->in);
	buf_init(&c->out);
	LIST_INSERT_HEAD(&eng->conns, c, entry);
	eng->nconns++;
	return c;
}

static void
engine_reap(void *arg)
{
	struct engine *eng = arg;
	struct conn *c;

	eng->reap = NULL;
	while ((c = LIST_FIRST(&eng->dead)) != NULL) {
		LIST_REMOVE(c, entry);
		free(c->target);
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

static void
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
		if (was_online) {
			flip_peer_down(c->eng->flips, p);
			if (c->eng->xfers != NULL)
				xfer_peer_down(c->eng->xfers, p);
		}
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

static void engine_accept_resume(void *);

static void
conn_close(struct conn *c, const char *why)
{
	struct engine *eng = c->eng;

	if (c->state == CONN_DEAD)
		return;
	log_debug("conn %s closed: %s", c->addr, why != NULL ? why : "");
	c->state = CONN_DEAD;
	conn_release(c);
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
		eng->reap = loop_timer_add(eng->loop, 0, engine_reap, eng);
	/* A descriptor is free again: listen again if we had stopped. */
	if (eng->accept_timer != NULL) {
		loop_timer_del(eng->accept_timer);
		engine_accept_resume(eng);
	}
}

/* A protocol violation: one notice, then close. */
static void conn_fail(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
conn_fail(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	if (!c->initiator && (c->peer == NULL || conn_is_request(c)))
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
static void
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
static int
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
engine_hello_listen(const struct engine *eng, struct proto_msg *m)
{
	static const uint8_t zero[16];
	struct proto_listen *l = &m->u.hello.listen[0];
	char host[UTIL_HOST_MAX], *why;
	uint16_t port;

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
	m->u.hello.nlisten = 1;
}

static void
conn_send_hello(struct conn *c)
{
	struct proto_msg m;

	memset(&m, 0, sizeof m);
	m.type = PROTO_HELLO;
	m.u.hello.version = PROTO_VERSION;
	m.u.hello.caps = PROTO_CAPS;
	snprintf(m.u.hello.nick, sizeof m.u.hello.nick, "%s", c->eng->nick);
	if (c->rcaps & PROTO_CAP_PEER)
		engine_hello_listen(c->eng, &m);
	if (conn_send(c, &m) == -1)
		return;
	c->hello_sent = 1;
	if (!c->hello_got && c->hello_timer == NULL)
		c->hello_timer = loop_timer_add(
		    c->eng->loop, ENGINE_HELLO_WAIT_MS, conn_hello_overdue, c);
}

static void conn_keepalive(void *);

/*
 * Arm the next keepalive check, delay_ms from now plus up to a quarter
 * interval of jitter: the two ends drift apart, and as a PING received
 * re-arms the receiver, an idle connection costs one PING and one PONG
 * per interval, sent by whichever end's timer fires first.
 */
static void
conn_keepalive_arm(struct conn *c, uint64_t delay_ms)
{
	const struct conf *conf = c->eng->conf;
	uint64_t ka = (uint64_t)conf->keepalive * 1000, now = loop_now_ms();
	uint64_t end = c->open_ms + (uint64_t)conf->request_timeout * 1000;

	delay_ms += ident_uniform((uint32_t)(ka / 4) + 1);
	/* An unanswered contact request is also checked when it is due. */
	if (conn_is_request(c) && end < now + delay_ms)
		delay_ms = end > now ? end - now : 0;
	conn_timer(c, delay_ms, conn_keepalive);
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

static void
conn_handshake_expired(void *arg)
{
	struct conn *c = arg;

	c->timer = NULL;
	conn_fail(c, "handshake timed out");
}

/* --- peers: state and reconnection --------------------------------------- */

static enum peer_state
peer_compute_state(const struct peer *p)
{
	if (p->conn != NULL) {
		if (p->origin == PEER_UNKNOWN && !p->conn->initiator)
			return PEER_REQUEST;
		if (p->conn->hello_sent &&
		    (p->conn->hello_got || p->conn->inherit_online))
			return PEER_ONLINE;
		if (p->conn->unanswered)
			return PEER_WAITING;
		return PEER_CONNECTING;
	}
	if (p->origin == PEER_UNKNOWN && p->state == PEER_REQUEST)
		return PEER_REQUEST;
	if (p->dial != NULL)
		return PEER_CONNECTING;
	return PEER_OFFLINE;
}

/* Recompute the state and tell the frontend if anything changed. */
static void
peer_update(struct peer *p)
{
	enum peer_state s = peer_compute_state(p), old = p->state;
	const char *addr = p->conn != NULL ? p->conn->addr : "";

	if (s == p->state && strcmp(addr, p->remote_addr) == 0)
		return;
	if (s == PEER_ONLINE)
		p->backoff = ENGINE_BACKOFF_MIN;
	p->state = s;
	snprintf(p->remote_addr, sizeof p->remote_addr, "%s", addr);
	p->eng->fe->peer_changed(p->eng->fe_arg, p);
	if (s == PEER_WAITING)
		p->was_waiting = 1;
	if (s == PEER_OFFLINE)
		p->quiet_online = 0;
	/* Coming online is announced as going offline is, once. */
	if (s == PEER_ONLINE && old != PEER_ONLINE) {
		/* After /accept, "accepted NAME" said it. */
		if (p->quiet_online)
			log_debug("%s online after accept", p->name);
		else if (p->was_waiting)
			engine_notice(p->eng, p, FE_INFO,
			    "%s accepted your contact request: online",
			    p->name);
		else /* in its view only when back, after "went offline" */
			engine_notice(p->eng, p->been_online ? p : NULL,
			    FE_INFO, "%s is online (%s)", p->name, addr);
		p->quiet_online = p->was_waiting = 0;
		p->been_online = 1;
		/* A disconnect or decline is over (a key mismatch at its
		 * address is not: that refusal stays until /connect). */
		if (p->disconnected || p->declined_us)
			p->refused = 0;
		p->disconnected = 0;
		if (p->declined_us) {
			p->declined_us = 0;
			engine_save(p->eng);
		}
	}
	if (s == PEER_ONLINE)
		engine_pump(p);
}

static void conn_dial(struct engine *, struct peer *, const char *, int);

static void
peer_retry(void *arg)
{
	struct peer *p = arg;

	p->retry = NULL;
	if (p->conn == NULL && p->dial == NULL && p->address != NULL &&
	    !p->refused)
		conn_dial(p->eng, p, p->address, 0);
}

/* Schedule the next autoconnect attempt, with exponential backoff. */
static void
peer_schedule(struct peer *p)
{
	uint64_t ms;

	if (!p->autoconnect || p->refused || p->address == NULL ||
	    p->conn != NULL || p->dial != NULL || p->retry != NULL)
		return;
	/* Jitter of +-25% keeps two restarted peers from dialling in step. */
	ms = (uint64_t)p->backoff * 1000;
	ms = ms * 3 / 4 + ident_uniform((uint32_t)(ms / 2) + 1);
	p->retry = loop_timer_add(p->eng->loop, ms, peer_retry, p);
	if (p->backoff < ENGINE_BACKOFF_MAX)
		p->backoff = p->backoff * 2 > ENGINE_BACKOFF_MAX
		    ? ENGINE_BACKOFF_MAX
		    : p->backoff * 2;
}

/* The key of whoever dialled this connection. */
static const uint8_t *
conn_initiator_key(const struct conn *c)
{
	return c->initiator ? c->eng->id->pk : c->rkey;
}

/*
 * Was old authenticated too long before c to be racing it? Two
 * connections race when both sides dial at once; each was dialled
 * before the other was authenticated, so they authenticate within
 * handshake_timeout of each other (plus the transit time). A peer that
 * dials while we hold an older session has lost that session (a
 * half-open connection after a sleep, a network change, a crash).
 */
static int
conn_settled(const struct conn *old, const struct conn *c)
{
	uint64_t race = 2 * (uint64_t)c->eng->conf->handshake_timeout * 1000;

	return old->state == CONN_OPEN && c->open_ms - old->open_ms >= race;
}

/*
 * Make c the connection of p. If p already has one, c replaces it if it
 * is settled (above); otherwise keep the one whose initiator's key is
 * smaller (both sides decide alike). 0 if c won.
 */
static int
conn_attach(struct conn *c, struct peer *p)
{
	struct conn *old = p->conn;

	if (old != NULL && old != c) {
		if (!conn_settled(old, c) &&
		    memcmp(conn_initiator_key(old), conn_initiator_key(c),
		        IDENT_KEYLEN) <= 0) {
			conn_bye(c, PROTO_BYE_DUPLICATE, "duplicate");
			/* A request we just chose to trust by dialling it:
			 * the surviving connection owes them our HELLO. */
			if (p->origin != PEER_UNKNOWN && !old->hello_sent)
				conn_send_hello(old);
			peer_update(p);
			return -1;
		}
		/* The peer stays online across the switch: the winner's
		 * HELLO is on its way, in order before any chat. */
		c->inherit_online = p->state == PEER_ONLINE;
		/* Flips are bound to the old session: they cannot finish. */
		if (c->inherit_online) {
			flip_peer_down(c->eng->flips, p);
			if (c->eng->xfers != NULL)
				xfer_peer_down(c->eng->xfers, p);
		}
		old->peer = NULL;
		p->conn = NULL;
		conn_bye(old, PROTO_BYE_DUPLICATE, "duplicate");
	}
	p->conn = c;
	c->peer = p;
	if (p->retry != NULL) {
		loop_timer_del(p->retry);
		p->retry = NULL;
	}
	return 0;
}

/* --- the handshake -------------------------------------------------------- */

static int
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
	conn_hs_done(c);
	c->counted = 1;
	c->eng->nsessions++;
	conn_keepalive_arm(c, (uint64_t)c->eng->conf->keepalive * 1000);
	return 0;
}

/*
 * Initiator, after message 2: is this the key we meant to reach? Returns
 * the peer to attach, or NULL after closing the connection.
 */
static struct peer *
conn_check_responder(struct conn *c)
{
	struct engine *eng = c->eng;
	struct peer *p = c->want, *other;
	char want[IDENT_FP_LEN + 1], got[IDENT_FP_LEN + 1], *fix;
	struct conf_peer *cp;

	if (ident_key_equal(c->rkey, eng->id->pk)) {
		conn_fail(c, "that is this p2ptui's own address");
		if (p != NULL)
			p->refused = 1;
		return NULL;
	}
	if (p != NULL && p->has_key) {
		if (ident_key_equal(p->key, c->rkey))
			return p;
		ident_fingerprint(p->key, want);
		ident_fingerprint(c->rkey, got);
		memcpy(p->seen_key, c->rkey, IDENT_KEYLEN);
		p->has_seen_key = 1;
		p->refused = 1;
		cp = p->origin == PEER_CONFIG
		    ? conf_find_peer(eng->conf, p->name)
		    : NULL;
		if (cp != NULL && cp->has_key)
			fix = xasprintf("change its key in %s:%d",
			    eng->conf->path, cp->line);
		else
			fix = xasprintf("run /trust %s", p->name);
		engine_notice(eng, p, FE_ERROR,
		    "KEY MISMATCH: %s at %s "
		    "presented key %s but key %s is pinned. This may be an "
		    "attack; the connection was refused. If %s really has a "
		    "new key, %s.",
		    p->name, c->addr, got, want, p->name, fix);
		free(fix);
		conn_close(c, "key mismatch");
		return NULL;
	}
	if (p != NULL) {
		/* A configured peer without a key: trust on first use,
		 * unless the key is already somebody else's. */
		if ((other = engine_peer_by_key(eng, c->rkey)) != NULL) {
			engine_notice(eng, p, FE_ERROR,
			    "%s at %s presented "
			    "the key of %s: refused",
			    p->name, c->addr, other->name);
			p->refused = 1;
			conn_close(c, "key of another peer");
			return NULL;
		}
		memcpy(p->key, c->rkey, IDENT_KEYLEN);
		p->has_key = 1;
		ident_fingerprint(p->key, got);
		engine_notice(eng, p, FE_INFO,
		    "learned %s's key %s; it is "
		    "pinned from now on",
		    p->name, got);
		engine_save(eng);
		return p;
	}
	/* A /connect to an address: we chose to dial it, so trust it. */
	engine_undecline(eng, c->rkey);
	if ((other = engine_peer_by_key(eng, c->rkey)) != NULL) {
		if (other->origin == PEER_UNKNOWN)
			other->origin = PEER_LEARNED;
		if (other->origin == PEER_LEARNED) {
			free(other->address);
			other->address = xstrdup(c->target);
			other->addr_learned = 0;
			other->autoconnect = 1;
			other->refused = other->declined_us = 0;
			engine_save(eng);
		}
		return other;
	}
	ident_short(c->rkey, want);
	p = peer_add(eng, want, PEER_LEARNED);
	memcpy(p->key, c->rkey, IDENT_KEYLEN);
	p->has_key = 1;
	p->address = xstrdup(c->target);
	p->autoconnect = 1;
	ident_fingerprint(p->key, got);
	engine_notice(eng, p, FE_INFO, "new peer %s at %s, key %s", p->name,
	    c->target, got);
	engine_save(eng);
	eng->fe->peer_changed(eng->fe_arg, p);
	return p;
}

static int
engine_is_declined(const struct engine *eng, const uint8_t *key)
{
	size_t i;

	for (i = 0; i < eng->ndeclined; i++) {
		if (ident_key_equal(eng->declined[i], key))
			return 1;
	}
	return 0;
}

/*
 * Unanswered contact requests are bounded: a new one evicts the oldest
 * whose connection is gone, or is refused if all are still connected.
 */
static int
engine_make_room(struct engine *eng)
{
	struct peer *oldest = NULL;
	size_t i, n = 0;

	for (i = 0; i < eng->npeers; i++) {
		if (eng->peers[i]->origin != PEER_UNKNOWN)
			continue;
		n++;
		if (oldest == NULL && eng->peers[i]->conn == NULL)
			oldest = eng->peers[i];
	}
	if (n < ENGINE_MAX_REQUESTS)
		return 0;
	if (oldest == NULL)
		return -1;
	peer_remove(eng, oldest);
	return 0;
}

/* Responder, after message 3: a known key, or a contact request. */
static void
conn_check_initiator(struct conn *c)
{
	struct engine *eng = c->eng;
	char fp[IDENT_FP_LEN + 1], name[IDENT_SHORT_LEN + 1];
	struct peer *p;

	if (ident_key_equal(c->rkey, eng->id->pk)) {
		conn_fail(c, "a connection from ourselves");
		return;
	}
	p = engine_peer_by_key(eng, c->rkey);
	/* max_peers counts sessions; one that replaces its peer's own
	 * connection does not add to them. */
	if (eng->nsessions > (size_t)eng->conf->max_peers &&
	    (p == NULL || p->conn == NULL)) {
		if (p == NULL)
			ident_short(c->rkey, name);
		engine_notice_fold(eng, FOLD_STRANGER, p, FE_WARN,
		    "refused %s at %s: %d connections are open (max_peers)",
		    p != NULL ? p->name : name, c->addr, eng->conf->max_peers);
		conn_bye(c,
		    (c->rcaps & PROTO_CAP_PEER) ? PROTO_BYE_FULL
		                                : PROTO_BYE_BUSY,
		    "too many connections");
		return;
	}
	if (p != NULL && p->origin != PEER_UNKNOWN) {
		engine_known_add(eng, c->src);
		if (conn_attach(c, p) == 0) {
			conn_send_hello(c);
			peer_update(p);
		}
		return;
	}
	if (engine_is_declined(eng, c->rkey)) {
		conn_bye(c, PROTO_BYE_DECLINED, "declined");
		return;
	}
	if (p == NULL && engine_make_room(eng) == -1) {
		conn_bye(c, PROTO_BYE_BUSY, "too many contact requests");
		return;
	}
	if (p == NULL) {
		ident_short(c->rkey, name);
		p = peer_add(eng, name, PEER_UNKNOWN);
		memcpy(p->key, c->rkey, IDENT_KEYLEN);
		p->has_key = 1;
	}
	if (conn_attach(c, p) == -1)
		return;
	conn_keepalive_arm(c, (uint64_t)eng->conf->keepalive * 1000);
	ident_fingerprint(p->key, fp);
	peer_update(p);
	engine_notice_fold(eng, FOLD_REQUEST, p, FE_INFO,
	    "contact request from %s at %s: "
	    "/accept %s or /decline %s",
	    fp, c->addr, p->name, p->name);
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
		if ((p = conn_check_responder(c)) == NULL)
			return;
		engine_known_add(c->eng, c->src);
		if (conn_hs_write(c, 1) == -1 || conn_hs_split(c) == -1)
			return;
		if (c->want != NULL && c->want->dial == c)
			c->want->dial = NULL;
		if (conn_attach(c, p) == -1)
			return;
		conn_send_hello(c);
		peer_update(p);
		return;
	}
	if (conn_hs_split(c) == -1)
		return;
	conn_check_initiator(c);
}

/* --- messages ----------------------------------------------------------- */

/*
 * The peer announced a nick, in HELLO or NICK; 1 if it changed. Not
 * saved here: a peer may send NICK as often as it likes, and each save
 * is an fsync. peer_hello() saves it, once a connection.
 */
static int
peer_set_nick(struct peer *p, const char *nick)
{
	if (strcmp(p->nick, nick) == 0)
		return 0;
	if (p->nick[0] != '\0' && nick[0] != '\0')
		engine_notice(
		    p->eng, p, FE_INFO, "%s is now known as %s", p->name, nick);
	snprintf(p->nick, sizeof p->nick, "%s", nick);
	p->eng->fe->peer_changed(p->eng->fe_arg, p);
	return 1;
}

/*
 * The address to dial p back at, from the LISTEN fields of its HELLO on
 * c: the port of the first one that names no address or the address c
 * comes from, at that address. A LISTEN naming another address is
 * skipped: a peer must not make us dial a host it does not connect
 * from (a third party's, or one on our own network). 0 if none.
 */
static int
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

/*
 * HELLO on p's connection c: its nick, and where it listens. A learned
 * peer or a request without an address typed by the user is dialled
 * there from now on (remembered, and updated by later HELLOs).
 */
static void
peer_hello(struct peer *p, struct conn *c, const struct proto_msg *m)
{
	char addr[UTIL_HOST_MAX + 8];
	int save = peer_set_nick(p, m->u.hello.nick);

	if (p->origin == PEER_CONFIG ||
	    (p->address != NULL && !p->addr_learned) ||
	    !conn_listen_addr(c, m, addr, sizeof addr) ||
	    (p->address != NULL && strcmp(p->address, addr) == 0)) {
		if (save && p->origin == PEER_LEARNED)
			engine_save(p->eng);
		return;
	}
	free(p->address);
	p->address = xstrdup(addr);
	p->addr_learned = 1;
	p->autoconnect = 1;
	log_debug("%s listens on %s", p->name, addr);
	if (p->origin == PEER_LEARNED)
		engine_save(p->eng);
	p->eng->fe->peer_changed(p->eng->fe_arg, p);
}

/*
 * BYE on p's own connection. 1 if it told the user that p went offline
 * (so the connection closes without another notice).
 */
static int
peer_bye(struct peer *p, uint8_t reason)
{
	switch (reason) {
	case PROTO_BYE_DECLINED:
		p->refused = 1;
		engine_notice(p->eng, p, FE_WARN,
		    "%s declined the contact request", p->name);
		/* Remembered: not dialled again until /connect. */
		if (p->origin == PEER_LEARNED && !p->declined_us) {
			p->declined_us = 1;
			engine_save(p->eng);
		}
		return 0;
	case PROTO_BYE_DISCONNECTED:
		/* They chose to go: no redial until /connect or a restart. */
		p->refused = p->disconnected = 1;
		if (p->state != PEER_ONLINE)
			return 0;
		engine_notice(p->eng, p, FE_INFO,
		    "%s disconnected (/connect %s dials again)", p->name,
		    p->name);
		return 1;
	case PROTO_BYE_QUIT:
		if (p->state != PEER_ONLINE)
			return 0;
		engine_notice(p->eng, p, FE_INFO, "%s quit", p->name);
		return 1;
	default:
		return 0;
	}
}

static void
conn_handle(struct conn *c, const struct proto_msg *m)
{
	struct engine *eng = c->eng;
	struct peer *p = c->peer;
	struct proto_msg r;
	const char *why;

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
	case PROTO_CHAT:
		if (p == NULL || p->state != PEER_ONLINE) {
			conn_fail(c, "chat before hello");
			return;
		}
		engine_receive(c, p, m);
		return;
	case PROTO_ACK:
		if (p == NULL || p->state != PEER_ONLINE) {
			conn_fail(c, "ack before hello");
			return;
		}
		engine_acked(c, p, m);
		return;
	default:
		if (m->type >= PROTO_FLIP_FIRST && m->type <= PROTO_FLIP_LAST) {
			if (p == NULL || p->state != PEER_ONLINE)
				conn_fail(c, "flip before hello");
			else if (flip_handle(eng->flips, p, m, &why) == -1)
				conn_fail(c, "%s", why);
			return;
		}
		if (m->type >= PROTO_FILE_FIRST && m->type <= PROTO_FILE_LAST) {
			if (p == NULL || p->state != PEER_ONLINE)
				conn_fail(c, "file message before hello");
			else if (xfer_handle(eng->xfers, p, m, &why) == -1)
				conn_fail(c, "%s", why);
			return;
		}
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
	    !engine_bucket_take(&c->ignored, ENGINE_IGNORED_RATE,
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
	    !engine_bucket_take(&c->req_budget, ENGINE_REQ_RATE,
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
	if (c->peer != NULL && c->peer->conn == c && c->peer->pump_more &&
	    buf_used(&c->out) < ENGINE_PUMP_WATERMARK / 2)
		engine_pump(c->peer);
	if (c->peer != NULL && c->peer->conn == c &&
	    c->peer->state == PEER_ONLINE && c->eng->xfers != NULL &&
	    buf_used(&c->out) < ENGINE_BULK_WATERMARK)
		xfer_pump(c->eng->xfers, c->peer);
	conn_want_write(c);
}

static void conn_try_next(struct conn *);

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
	conn_hs_write(c, 0);
}

static void
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
		if ((c->fd = net_connect(sa, len)) == -1) {
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

static void
conn_dial(struct engine *eng, struct peer *p, const char *target, int explicit)
{
	char host[UTIL_HOST_MAX], *cause;
	struct conn *c;
	uint16_t port;

	if (util_parse_hostport(target, host, &port, 0, &cause) == -1) {
		engine_notice(eng, p, FE_ERROR, "%s", cause);
		free(cause);
		return;
	}
	c = conn_new(eng, 1);
	c->target = xstrdup(target);
	c->explicit = explicit;
	c->want = p;
	c->state = CONN_RESOLVING;
	if (p != NULL) {
		p->dial = c;
		peer_update(p);
	}
	log_debug("dialling %s", target);
	c->resolve = net_resolve(eng->loop, host, port, conn_resolved, c);
}

/* --- durable chat ----------------------------------------------------------
 */

static int64_t
engine_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
engine_event(struct engine *eng, enum engine_event_kind kind, struct peer *p,
    const uint8_t *id, int64_t time_ms, const char *text, size_t len)
{
	struct engine_event *ev;

	eng->events =
	    xreallocarray(eng->events, eng->nevents + 1, sizeof *eng->events);
	ev = &eng->events[eng->nevents++];
	ev->kind = kind;
	ev->peer = p;
	memcpy(ev->id, id, PROTO_ID_LEN);
	ev->time_ms = time_ms;
	ev->text = text != NULL ? xstrndup(text, len) : NULL;
	ev->len = len;
	ev->rowid = 0;
}

static void
engine_event_free(struct engine_event *ev)
{
	free(ev->text);
}

/* Take the limbo event for id with p, if any, into *out. */
static int
engine_limbo_take(struct engine *eng, struct peer *p, const uint8_t *id,
    enum engine_event_kind kind, struct engine_event *out)
{
	size_t i;

	for (i = 0; i < eng->nlimbo; i++) {
		if (eng->limbo[i].peer == p && eng->limbo[i].kind == kind &&
		    memcmp(eng->limbo[i].id, id, PROTO_ID_LEN) == 0) {
			*out = eng->limbo[i];
			memmove(&eng->limbo[i], &eng->limbo[i + 1],
			    (eng->nlimbo - i - 1) * sizeof *eng->limbo);
			eng->nlimbo--;
			return 1;
		}
	}
	return 0;
}

static void
engine_event_show(struct engine *eng, const struct engine_event *ev)
{
	if (ev->kind == EV_IN && ev->rowid > eng->handed_upto)
		eng->handed_upto = ev->rowid;
	if (ev->kind == EV_DELIVERED)
		eng->fe->delivered(eng->fe_arg, ev->peer, ev->id);
	else
		eng->fe->message(eng->fe_arg, ev->peer, ev->kind == EV_OUT,
		    ev->id, ev->time_ms, ev->text, ev->len);
}

/*
 * Show the held-back events. After a failed write the fate of the
 * transaction is not certain: SQLite may roll back more than one
 * statement, and a failed COMMIT may still reach the disk and show up
 * later. So the events of a failed iteration go to limbo instead: a
 * received message is shown when its sender sends it again and the store
 * turns out to have it already (a fresh copy is shown as usual); our own
 * messages and acknowledgements are checked at the next good commit.
 */
static void
engine_events_flush(struct engine *eng, int show, int failed)
{
	struct engine_event *ev, kept;
	enum store_state state;
	char *cause;
	size_t i;
	int r;

	if (show && !failed) {
		/* Limbo of our own side: the store knows by now. */
		for (i = 0; i < eng->nlimbo;) {
			ev = &eng->limbo[i];
			if (ev->kind == EV_IN || ev->peer == NULL) {
				i++;
				continue;
			}
			r = store_lookup(
			    eng->store, ev->peer->key, ev->id, &state, &cause);
			if (r == -1)
				free(cause);
			else if (r == 1 &&
			    (ev->kind == EV_OUT || state == STORE_DELIVERED))
				engine_event_show(eng, ev);
			kept = *ev;
			memmove(ev, ev + 1,
			    (eng->nlimbo - i - 1) * sizeof *eng->limbo);
			eng->nlimbo--;
			engine_event_free(&kept);
		}
	}
	for (i = 0; i < eng->nevents; i++) {
		ev = &eng->events[i];
		if (!show || ev->peer == NULL) {
			engine_event_free(ev);
			continue;
		}
		if (!failed) {
			engine_event_show(eng, ev);
			engine_event_free(ev);
			continue;
		}
		if (eng->nlimbo == ENGINE_LIMBO_MAX) {
			engine_event_free(&eng->limbo[0]);
			memmove(&eng->limbo[0], &eng->limbo[1],
			    (eng->nlimbo - 1) * sizeof *eng->limbo);
			eng->nlimbo--;
		}
		eng->limbo = xreallocarray(
		    eng->limbo, eng->nlimbo + 1, sizeof *eng->limbo);
		eng->limbo[eng->nlimbo++] = *ev;
	}
	free(eng->events);
	eng->events = NULL;
	eng->nevents = 0;
}

static int
engine_pump_one(void *arg, const uint8_t *key, const struct store_msg *sm)
{
	struct peer *p = arg;
	struct proto_msg m;
	char *flat = NULL;
	size_t i;
	int r;

	(void)key;
	memset(&m, 0, sizeof m);
	m.type = PROTO_CHAT;
	memcpy(m.u.chat.id, sm->id, PROTO_ID_LEN);
	m.u.chat.seq = sm->seq;
	m.u.chat.time_ms = sm->sent_ms;
	m.u.chat.text = (const uint8_t *)sm->text;
	m.u.chat.len = sm->len;
	/* A peer without the text capability closes the connection on a
	 * line feed: it gets spaces instead, the same at every resend. */
	if (!(p->conn->rcaps & PROTO_CAP_TEXT) &&
	    memchr(sm->text, '\n', sm->len) != NULL) {
		flat = xmalloc(sm->len);
		for (i = 0; i < sm->len; i++)
			flat[i] = sm->text[i] == '\n' ? ' ' : sm->text[i];
		m.u.chat.text = (const uint8_t *)flat;
	}
	r = conn_send(p->conn, &m);
	free(flat);
	if (r == -1)
		return 1;
	conn_hold(p->conn);
	p->sent_upto = sm->rowid;
	p->pump_sent++;
	return 0;
}

/*
 * Send the peer's pending messages, oldest first, while its output
 * buffer has room; the rest wait for conn_flush() to drain it. New
 * messages join the same queue, so nothing overtakes a resent one.
 */
static void
engine_pump(struct peer *p)
{
	struct engine *eng = p->eng;
	char *cause;

	/* A new connection resends everything not acknowledged. */
	if (p->conn != NULL && p->conn->serial != p->pump_serial) {
		p->pump_serial = p->conn->serial;
		p->sent_upto = 0;
	}
	p->pump_more = 0;
	while (p->state == PEER_ONLINE && p->conn != NULL &&
	    p->conn->state == CONN_OPEN) {
		if (buf_used(&p->conn->out) >= ENGINE_PUMP_WATERMARK) {
			p->pump_more = 1;
			return;
		}
		p->pump_sent = 0;
		if (store_pending(eng->store, p->key, p->sent_upto,
		        ENGINE_PUMP_BATCH, engine_pump_one, p, &cause) == -1) {
			engine_notice(eng, p, FE_ERROR, "%s", cause);
			free(cause);
			return;
		}
		/* A short batch was the end of the queue. */
		if (p->pump_sent < ENGINE_PUMP_BATCH)
			break;
	}
	/* Files only after chat, and only below their watermark. */
	if (p->state == PEER_ONLINE && eng->xfers != NULL && !p->pump_more)
		xfer_pump(eng->xfers, p);
}

static void
engine_receive(struct conn *c, struct peer *p, const struct proto_msg *m)
{
	struct engine *eng = c->eng;
	struct engine_event held;
	struct store_msg sm;
	struct proto_msg r;
	char *cause;
	int inserted;

	memset(&sm, 0, sizeof sm);
	memcpy(sm.id, m->u.chat.id, STORE_IDLEN);
	sm.seq = m->u.chat.seq;
	sm.sent_ms = m->u.chat.time_ms;
	sm.recv_ms = engine_now_ms();
	sm.text = (const char *)m->u.chat.text;
	sm.len = m->u.chat.len;
	if (store_add_incoming(eng->store, p->key, &sm, &inserted, &cause) ==
	    -1) {
		eng->write_failed = 1;
		/* No ACK: the sender keeps it and tries again later. */
		engine_notice(eng, p, FE_ERROR,
		    "cannot store a message from "
		    "%s: %s",
		    p->name, cause);
		free(cause);
		conn_close(c, "cannot store messages");
		return;
	}
	if (engine_limbo_take(eng, p, m->u.chat.id, EV_IN, &held)) {
		/* Held back by a failed commit: shown now if that commit
		 * reached the disk after all; a fresh copy is shown below. */
		if (!inserted)
			engine_event(eng, EV_IN, p, held.id, held.time_ms,
			    held.text, held.len);
		engine_event_free(&held);
	}
	if (inserted) {
		engine_event(eng, EV_IN, p, m->u.chat.id, m->u.chat.time_ms,
		    (const char *)m->u.chat.text, m->u.chat.len);
		eng->events[eng->nevents - 1].rowid = sm.rowid;
	}
	/* Duplicates are acknowledged again: the first ACK was lost. */
	memset(&r, 0, sizeof r);
	r.type = PROTO_ACK;
	memcpy(r.u.ack.id, m->u.chat.id, PROTO_ID_LEN);
	if (conn_send(c, &r) == 0)
		conn_hold(c);
}

static void
engine_acked(struct conn *c, struct peer *p, const struct proto_msg *m)
{
	struct engine *eng = c->eng;
	char *cause;
	int changed;

	if (store_mark_delivered(
	        eng->store, p->key, m->u.ack.id, &changed, &cause) == -1) {
		eng->write_failed = 1;
		engine_notice(eng, p, FE_ERROR, "%s", cause);
		free(cause);
		return;
	}
	if (changed)
		engine_event(eng, EV_DELIVERED, p, m->u.ack.id, 0, NULL, 0);
}

/*
 * Read the record of what was shown, or start one at the newest stored
 * message (a store older than the record has nothing to catch up on).
 * Without a history on disk there is nothing to record.
 */
static void
engine_shown_open(struct engine *eng)
{
	char buf[ENGINE_SHOWN_LEN + 1], *path, *end, *cause;
	int64_t upto;
	long long v;
	ssize_t n;

	if (eng->shown_state != 0)
		return;
	eng->shown_state = -1;
	if (!eng->conf->history)
		return;
	path = xasprintf("%s/%s", eng->conf->data_dir, ENGINE_SHOWN_FILE);
	eng->shown_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (eng->shown_fd == -1) {
		engine_notice(eng, NULL, FE_WARN,
		    "%s: %s: messages stored just before a crash may not be "
		    "shown",
		    path, strerror(errno));
		free(path);
		return;
	}
	free(path);
	eng->shown_state = 1;
	n = pread(eng->shown_fd, buf, ENGINE_SHOWN_LEN, 0);
	if (n == ENGINE_SHOWN_LEN && buf[ENGINE_SHOWN_LEN - 1] == '\n') {
		buf[ENGINE_SHOWN_LEN - 1] = '\0';
		errno = 0;
		v = strtoll(buf, &end, 10);
		if (errno == 0 && *end == '\0' && v >= 0) {
			eng->shown_upto = v;
			if (eng->handed_upto < v)
				eng->handed_upto = v;
			return;
		}
	}
	if (store_last_rowid(eng->store, &eng->shown_upto, &cause) == -1) {
		engine_notice(eng, NULL, FE_WARN, "%s", cause);
		free(cause);
	}
	if (eng->handed_upto < eng->shown_upto)
		eng->handed_upto = eng->shown_upto;
	upto = eng->shown_upto;
	eng->shown_upto = -1; /* written now */
	engine_shown(eng, upto);
}

int64_t
engine_handed(const struct engine *eng)
{
	return eng->handed_upto;
}

void
engine_shown(struct engine *eng, int64_t upto)
{
	char buf[ENGINE_SHOWN_LEN + 1];

	engine_shown_open(eng);
	if (eng->shown_state != 1 || upto <= eng->shown_upto)
		return;
	/* No fsync: this guards against a crash of the process, after
	 * which the kernel still writes the page; the output it vouches
	 * for is not synced either. */
	snprintf(buf, sizeof buf, "%020lld\n", (long long)upto);
	if (pwrite(eng->shown_fd, buf, ENGINE_SHOWN_LEN, 0) !=
	    ENGINE_SHOWN_LEN) {
		log_debug("engine: cannot record what was shown: %s",
		    strerror(errno));
		return;
	}
	eng->shown_upto = upto;
}

/*
 * The commit hook: end this iteration's transaction. If that or any write
 * of this iteration failed, nothing that depends on it may reach the
 * network: the connections with such frames queued (ACKs, new messages)
 * are dropped unsent and the peers resend later; and only what the store
 * really has is shown.
 */
static void
engine_commit(void *arg)
{
	struct engine *eng = arg;
	struct conn *c;
	uint64_t now = loop_now_ms();
	char *cause;
	int failed = eng->write_failed;

	eng->write_failed = 0;
	if (store_dirty(eng->store) && store_commit(eng->store, &cause) == -1) {
		/* A full disk fails every resend: say so once a minute. */
		if (eng->save_notice_ms == 0 ||
		    now - eng->save_notice_ms >= ENGINE_SAVE_NOTICE_MS) {
			engine_notice(eng, NULL, FE_ERROR,
			    "cannot save messages: %s. Nothing unsaved was "
			    "acknowledged: the senders will send it again; "
			    "what you typed just now was not sent",
			    cause);
			eng->save_notice_ms = now;
		}
		free(cause);
		failed = 1;
	}
	engine_events_flush(eng, 1, failed);
	while ((c = LIST_FIRST(&eng->uncommitted)) != NULL) {
		conn_release(c);
		if (failed)
			conn_close(c, "cannot save messages");
	}
}

/* --- listening ---------------------------------------------------------- */

/*
 * Addresses (IPv6: /64s) that trusted peers' connections came from or
 * went to in this run: they skip the group and global rates below, so a
 * flood from rotating addresses does not keep known peers out.
 */
static void
engine_known_add(struct engine *eng, const uint8_t *src)
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
engine_known(const struct engine *eng, const uint8_t *src)
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
static struct engine_bucket *
engine_rate_slot(struct engine *eng, uint8_t level, const uint8_t *prefix)
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
engine_rate_ok(struct engine *eng, const uint8_t *src, const uint8_t *group)
{
	struct engine_bucket *a, *g, *all = &eng->global_rate;
	uint64_t now = loop_now_ms();
	double rate = eng->conf->handshake_rate,
	       grate = rate * ENGINE_GROUP_RATE,
	       total = eng->conf->handshake_rate_total;
	int known = engine_known(eng, src);

	a = engine_rate_slot(eng, 0, src);
	if (!engine_bucket_take(a, rate, rate, 1, now))
		return "too many connections from this address";
	if (known)
		return NULL;
	g = engine_rate_slot(eng, 1, group);
	if (!engine_bucket_take(g, grate, grate, 1, now)) {
		a->tokens += 1;
		return "too many connections from this network";
	}
	if (!engine_bucket_take(all, total, total, 1, now)) {
		a->tokens += 1;
		g->tokens += 1;
		return "too many connections from everywhere";
	}
	return NULL;
}

/* Inbound handshakes in progress from the address src. */
static size_t
engine_source_handshakes(const struct engine *eng, const uint8_t *src)
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

static void
engine_accept_resume(void *arg)
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
engine_accept_pause(struct engine *eng, int err)
{
	uint64_t now = loop_now_ms();

	loop_watch_set(eng->lwatch, 0);
	if (eng->accept_timer == NULL)
		eng->accept_timer = loop_timer_add(eng->loop,
		    ENGINE_ACCEPT_PAUSE_MS, engine_accept_resume, eng);
	if (eng->accept_warned == 0 || now - eng->accept_warned >= 600 * 1000) {
		eng->accept_warned = now;
		engine_notice(eng, NULL, FE_WARN,
		    "cannot accept connections: %s; new ones wait until a "
		    "connection closes (raise the limit with ulimit -n)",
		    strerror(err));
	}
	log_debug("accept: %s: listener paused", strerror(err));
}

static void
engine_accept_cb(int fd, int revents, void *arg)
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
				engine_accept_pause(eng, errno);
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
		else if (engine_source_handshakes(eng, src) >=
		    ENGINE_HS_PER_SOURCE)
			refuse = "too many handshakes from this address";
		else
			refuse = engine_rate_ok(eng, src, group);
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

/* --- the public interface ------------------------------------------------ */

struct engine *
engine_create(struct loop *loop, const struct conf *conf,
    const struct ident *id, const struct fe_ops *fe, void *fe_arg, char **cause)
{
	struct engine *eng = xcalloc(1, sizeof *eng);
	const struct conf_peer *cp;
	struct peer *p;
	size_t i;

	eng->loop = loop;
	eng->conf = conf;
	eng->id = id;
	eng->fe = fe;
	eng->fe_arg = fe_arg;
	eng->lfd = -1;
	LIST_INIT(&eng->conns);
	LIST_INIT(&eng->uncommitted);
	LIST_INIT(&eng->dead);
	TAILQ_INIT(&eng->handshakes);
	for (i = 0; i < FOLD_KINDS; i++) {
		eng->fold[i].eng = eng;
		eng->fold[i].kind = (enum engine_fold_kind)i;
	}
	eng->state_path = xasprintf("%s/%s", conf->data_dir, ENGINE_STATE_FILE);
	eng->declined_path =
	    xasprintf("%s/%s", conf->data_dir, ENGINE_DECLINED_FILE);
	snprintf(eng->nick, sizeof eng->nick, "%s", conf->nick);
	eng->flips = flip_create(eng);
	eng->store = store_open(conf->history ? conf->data_dir : NULL, cause);
	if (eng->store == NULL) {
		engine_free(eng);
		return NULL;
	}
	loop_set_commit_hook(loop, engine_commit, eng);
	for (i = 0; i < conf->npeers; i++) {
		cp = &conf->peers[i];
		p = peer_add(eng, cp->name, PEER_CONFIG);
		if (cp->has_key) {
			memcpy(p->key, cp->key, IDENT_KEYLEN);
			p->has_key = 1;
		}
		if (cp->address != NULL)
			p->address = xstrdup(cp->address);
		p->autoconnect = cp->autoconnect;
	}
	if (engine_load_state(eng, cause) == -1 ||
	    engine_load_declined(eng, cause) == -1) {
		engine_free(eng);
		return NULL;
	}
	return eng;
}

int
engine_start(struct engine *eng, char **cause)
{
	size_t i;

	eng->lfd = net_listen(eng->conf->listen, eng->listen_addr, cause);
	if (eng->lfd == -1)
		return -1;
	eng->lwatch =
	    loop_watch_add(eng->loop, eng->lfd, POLLIN, engine_accept_cb, eng);
	eng->fe->ready(eng->fe_arg, eng->listen_addr);
	for (i = 0; i < eng->npeers; i++)
		eng->fe->peer_changed(eng->fe_arg, eng->peers[i]);
	eng->xfers = xfer_create(eng);
	for (i = 0; i < eng->npeers; i++) {
		if (eng->peers[i]->autoconnect && !eng->peers[i]->refused &&
		    eng->peers[i]->address != NULL)
			conn_dial(
			    eng, eng->peers[i], eng->peers[i]->address, 0);
	}
	return 0;
}

void
engine_shutdown(struct engine *eng, int max_ms)
{
	struct conn *c, *next;
	uint64_t deadline = loop_now_ms() + (uint64_t)max_ms;
	uint64_t now;

	if (eng->lwatch != NULL)
		loop_watch_del(eng->lwatch);
	eng->lwatch = NULL;
	for (c = LIST_FIRST(&eng->conns); c != NULL; c = next) {
		next = LIST_NEXT(c, entry);
		if (c->state == CONN_OPEN)
			conn_bye(c, PROTO_BYE_QUIT, NULL);
		else if (c->state != CONN_CLOSING)
			conn_close(c, NULL);
	}
	while (!LIST_EMPTY(&eng->conns) && (now = loop_now_ms()) < deadline)
		loop_once(eng->loop, (int)(deadline - now));
}

void
engine_free(struct engine *eng)
{
	struct conn *c;
	size_t i;

	if (eng == NULL)
		return;
	/* Say bye where we can; a blocked socket just gets closed. */
	while ((c = LIST_FIRST(&eng->conns)) != NULL) {
		if (c->state == CONN_OPEN) {
			conn_bye(c, PROTO_BYE_QUIT, NULL);
			if (c->state != CONN_DEAD)
				conn_close(c, NULL);
		} else
			conn_close(c, NULL);
	}
	if (eng->reap != NULL)
		loop_timer_del(eng->reap);
	engine_reap(eng);
	if (eng->accept_timer != NULL)
		loop_timer_del(eng->accept_timer);
	for (i = 0; i < FOLD_KINDS; i++) {
		if (eng->fold[i].timer != NULL)
			loop_timer_del(eng->fold[i].timer);
	}
	if (eng->lwatch != NULL)
		loop_watch_del(eng->lwatch);
	if (eng->lfd != -1)
		close(eng->lfd);
	flip_free(eng->flips);
	if (eng->xfers != NULL)
		xfer_free(eng->xfers);
	if (eng->store != NULL) {
		engine_commit(eng);
		loop_set_commit_hook(eng->loop, NULL, NULL);
		store_close(eng->store);
	}
	engine_events_flush(eng, 0, 0);
	for (i = 0; i < eng->nlimbo; i++)
		engine_event_free(&eng->limbo[i]);
	free(eng->limbo);
	for (i = 0; i < eng->npeers; i++)
		peer_free(eng->peers[i]);
	free(eng->peers);
	free(eng->declined);
	free(eng->state_path);
	free(eng->declined_path);
	if (eng->shown_state == 1)
		close(eng->shown_fd);
	ident_wipe(eng->scratch, sizeof eng->scratch);
	ident_wipe(eng->scratch2, sizeof eng->scratch2);
	free(eng);
}

size_t
engine_npeers(const struct engine *eng)
{
	return eng->npeers;
}

struct peer *
engine_peer(const struct engine *eng, size_t i)
{
	return i < eng->npeers ? eng->peers[i] : NULL;
}

struct peer *
engine_find_peer(const struct engine *eng, const char *s)
{
	char fp[IDENT_FP_LEN + 1];
	struct peer *found = NULL;
	size_t i, len = strlen(s);

	if ((found = engine_peer_by_name(eng, s)) != NULL)
		return found;
	if (len < 4)
		return NULL;
	for (i = 0; i < eng->npeers; i++) {
		if (!eng->peers[i]->has_key)
			continue;
		ident_fingerprint(eng->peers[i]->key, fp);
		if (strncmp(fp, s, len) == 0) {
			if (found != NULL)
				return NULL; /* ambiguous */
			found = eng->peers[i];
		}
	}
	return found;
}

/* An explicit /connect lifts an earlier refusal. */
static void
peer_lift(struct peer *p)
{
	p->refused = p->disconnected = 0;
	p->backoff = ENGINE_BACKOFF_MIN;
	if (p->retry != NULL) {
		loop_timer_del(p->retry);
		p->retry = NULL;
	}
	if (p->declined_us) {
		p->declined_us = 0;
		engine_save(p->eng);
	}
}

int
engine_connect(struct engine *eng, const char *target, char **cause)
{
	char host[UTIL_HOST_MAX];
	struct peer *p = NULL;
	uint16_t port;
	size_t i;

	if (util_parse_hostport(target, host, &port, 0, cause) == -1)
		return -1;
	for (i = 0; i < eng->npeers; i++) {
		if (eng->peers[i]->address != NULL &&
		    strcmp(eng->peers[i]->address, target) == 0)
			p = eng->peers[i];
	}
	if (p != NULL) {
		if (p->conn != NULL || p->dial != NULL) {
			*cause = xasprintf("%s is already %s", p->name,
			    peer_state_name(p->state));
			return -1;
		}
		peer_lift(p);
	}
	conn_dial(eng, p, target, 1);
	return 0;
}

int
engine_connect_peer(struct engine *eng, struct peer *p, char **cause)
{
	if (p->conn != NULL || p->dial != NULL) {
		*cause =
		    xasprintf("%s is already %s", p->name, peer_state_text(p));
		return -1;
	}
	if (p->origin == PEER_UNKNOWN) {
		*cause = xasprintf(
		    "%s is a contact request: /accept %s", p->name, p->name);
		return -1;
	}
	if (p->address == NULL) {
		*cause = xasprintf("no address is known for %s: /connect "
		                   "HOST:PORT",
		    p->name);
		return -1;
	}
	peer_lift(p);
	conn_dial(eng, p, p->address, 1);
	return 0;
}

int
engine_accept(struct engine *eng, struct peer *p, char **cause)
{
	if (p->origin != PEER_UNKNOWN || p->state != PEER_REQUEST) {
		*cause = xasprintf("%s is not a contact request", p->name);
		return -1;
	}
	p->origin = PEER_LEARNED;
	/* Dialled back where its HELLO said it listens, if it did. */
	p->autoconnect = 1;
	engine_save(eng);
	if (p->conn != NULL && p->conn->state == CONN_OPEN) {
		engine_notice(eng, p, FE_INFO, "accepted %s: online", p->name);
		p->quiet_online = 1;
		conn_send_hello(p->conn);
	} else if (p->address != NULL) {
		engine_notice(eng, p, FE_INFO,
		    "accepted %s: its request's connection has gone; "
		    "dialling it at %s",
		    p->name, p->address);
		conn_dial(eng, p, p->address, 1);
	} else
		engine_notice(eng, p, FE_INFO,
		    "accepted %s: its request's connection has gone; it "
		    "comes online when it connects again",
		    p->name);
	peer_update(p);
	return 0;
}

int
engine_decline(struct engine *eng, struct peer *p, char **cause)
{
	if (p->origin != PEER_UNKNOWN || p->state != PEER_REQUEST) {
		*cause = xasprintf("%s is not a contact request", p->name);
		return -1;
	}
	engine_add_declined(eng, p->key);
	engine_save_declined(eng);
	engine_notice(eng, NULL, FE_INFO, "declined %s", p->name);
	if (p->conn != NULL) {
		p->conn->peer = NULL;
		conn_bye(p->conn, PROTO_BYE_DECLINED, NULL);
		p->conn = NULL;
	}
	peer_remove(eng, p);
	return 0;
}

int
engine_trust(struct engine *eng, struct peer *p, char **cause)
{
	char fp[IDENT_FP_LEN + 1];
	struct conf_peer *cp;

	if (!p->has_seen_key) {
		*cause =
		    xasprintf("%s has not presented a different key", p->name);
		return -1;
	}
	if (p->origin == PEER_CONFIG &&
	    (cp = conf_find_peer(eng->conf, p->name)) != NULL && cp->has_key) {
		*cause = xasprintf("%s's key is pinned in %s:%d: change it "
		                   "there and restart",
		    p->name, eng->conf->path, cp->line);
		return -1;
	}
	memcpy(p->key, p->seen_key, IDENT_KEYLEN);
	p->has_seen_key = 0;
	p->refused = 0;
	p->backoff = ENGINE_BACKOFF_MIN;
	ident_fingerprint(p->key, fp);
	engine_notice(
	    eng, p, FE_INFO, "%s is now trusted with key %s", p->name, fp);
	engine_save(eng);
	if (p->address != NULL && p->conn == NULL && p->dial == NULL)
		conn_dial(eng, p, p->address, 1);
	return 0;
}

int
engine_rename(
    struct engine *eng, struct peer *p, const char *name, char **cause)
{
	struct conf_peer *cp;
	char old[sizeof p->name];

	if (p->origin == PEER_CONFIG &&
	    (cp = conf_find_peer(eng->conf, p->name)) != NULL) {
		*cause = xasprintf("%s is named in %s:%d: rename it there and "
		                   "restart (p2ptui never rewrites that file)",
		    p->name, eng->conf->path, cp->line);
		return -1;
	}
	if (p->origin == PEER_UNKNOWN) {
		*cause = xasprintf("%s is not accepted yet: /accept %s first",
		    p->name, p->name);
		return -1;
	}
	if (conf_valid_name(name) == -1) {
		*cause = xasprintf("a name is 1 to %d letters, digits, '.', "
		                   "'_' or '-'",
		    CONF_NAME_MAX);
		return -1;
	}
	if (strcmp(p->name, name) == 0)
		return 0;
	if (engine_peer_by_name(eng, name) != NULL ||
	    conf_find_peer(eng->conf, name) != NULL) {
		*cause = xasprintf("the name %s is taken", name);
		return -1;
	}
	snprintf(old, sizeof old, "%s", p->name);
	snprintf(p->name, sizeof p->name, "%s", name);
	if (engine_save(eng) == -1) {
		snprintf(p->name, sizeof p->name, "%s", old);
		*cause = xasprintf("cannot remember the new name of %s", old);
		return -1;
	}
	engine_notice(eng, p, FE_INFO, "%s is now named %s", old, p->name);
	eng->fe->peer_changed(eng->fe_arg, p);
	return 0;
}

const char *
engine_nick(const struct engine *eng)
{
	return eng->nick;
}

int
engine_set_nick(
    struct engine *eng, const char *nick, size_t *told, char **cause)
{
	struct proto_msg m;
	struct peer *p;
	size_t i, n = strlen(nick);

	*told = 0;
	if (n == 0 || n > PROTO_NICK_MAX) {
		*cause = xasprintf("a nick is 1 to %d bytes (this one has %zu)",
		    PROTO_NICK_MAX, n);
		return -1;
	}
	if (!util_utf8_printable((const uint8_t *)nick, n)) {
		*cause = xstrdup("a nick must be UTF-8 without control "
		                 "characters");
		return -1;
	}
	snprintf(eng->nick, sizeof eng->nick, "%s", nick);
	memset(&m, 0, sizeof m);
	m.type = PROTO_NICK;
	snprintf(m.u.nick, sizeof m.u.nick, "%s", nick);
	for (i = 0; i < eng->npeers; i++) {
		p = eng->peers[i];
		/* The others see it in the HELLO of their next connection. */
		if (p->state == PEER_ONLINE && p->conn != NULL &&
		    (p->conn->rcaps & PROTO_CAP_PEER) &&
		    conn_send(p->conn, &m) == 0)
			(*told)++;
	}
	return 0;
}

int
engine_disconnect(struct engine *eng, struct peer *p, char **cause)
{
	if (p->conn == NULL && p->dial == NULL) {
		*cause = xasprintf("%s is not connected", p->name);
		return -1;
	}
	p->refused = p->disconnected = 1; /* until the next /connect */
	if (p->dial != NULL)
		conn_close(p->dial, NULL);
	if (p->conn != NULL) {
		/* Peers that know BYE(disconnected) do not dial back. */
		conn_bye(p->conn,
		    (p->conn->rcaps & PROTO_CAP_PEER) ? PROTO_BYE_DISCONNECTED
		                                      : PROTO_BYE_QUIT,
		    NULL);
	}
	engine_notice(eng, p, FE_INFO,
	    "disconnected from %s: not dialled again until /connect %s",
	    p->name, p->name);
	peer_update(p);
	return 0;
}

int
engine_send(struct engine *eng, struct peer *p, const char *text, size_t len,
    uint8_t *idp, char **cause)
{
	struct store_msg sm;
	int i;

	if (len == 0 || len > (size_t)eng->conf->max_message) {
		*cause = xasprintf(
		    "a message must be 1 to %d bytes", eng->conf->max_message);
		return -1;
	}
	if (!util_utf8_text((const uint8_t *)text, len)) {
		*cause = xstrdup("a message must be UTF-8 without control "
		                 "characters other than newlines");
		return -1;
	}
	if (p->origin == PEER_UNKNOWN) {
		*cause = xasprintf("%s has not been accepted: /accept %s "
		                   "first",
		    p->name, p->name);
		return -1;
	}
	if (!p->has_key) {
		*cause = xasprintf("%s's key is not known yet: messages can "
		                   "be queued once it has been online",
		    p->name);
		return -1;
	}
	/* Stored first (committed before anything reaches the socket),
	 * then sent by the pump now or whenever the peer is next online. */
	/* Time-ordered ids: stored ids then append to the index on both
	 * sides instead of landing on random pages (see PROTOCOL.md). */
	memset(&sm, 0, sizeof sm);
	sm.sent_ms = sm.recv_ms = engine_now_ms();
	for (i = 0; i < 8; i++)
		sm.id[i] = (uint8_t)((uint64_t)sm.sent_ms >> (56 - 8 * i));
	ident_random(sm.id + 8, STORE_IDLEN - 8);
	sm.text = text;
	sm.len = len;
	if (store_add_outgoing(eng->store, p->key, &sm, cause) == -1) {
		eng->write_failed = 1;
		return -1;
	}
	if (idp != NULL)
		memcpy(idp, sm.id, STORE_IDLEN);
	engine_event(eng, EV_OUT, p, sm.id, sm.sent_ms, text, len);
	engine_pump(p);
	return 0;
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

const uint8_t *
engine_session_id(const struct peer *p)
{
	if (p->conn == NULL || p->conn->state != CONN_OPEN)
		return NULL;
	return p->conn->sid;
}

const uint8_t *
engine_own_key(const struct engine *eng)
{
	return eng->id->pk;
}

struct loop *
engine_loop(const struct engine *eng)
{
	return eng->loop;
}

const struct fe_ops *
engine_fe(const struct engine *eng, void **arg)
{
	*arg = eng->fe_arg;
	return eng->fe;
}

struct flips *
engine_flips(const struct engine *eng)
{
	return eng->flips;
}

struct xfers *
engine_xfers(const struct engine *eng)
{
	return eng->xfers;
}

const struct conf *
engine_conf(const struct engine *eng)
{
	return eng->conf;
}

struct store *
engine_store(const struct engine *eng)
{
	return eng->store;
}

void
engine_write_failed(struct engine *eng)
{
	eng->write_failed = 1;
}

struct peer *
engine_find_key(const struct engine *eng, const uint8_t *key)
{
	return engine_peer_by_key(eng, key);
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

struct engine_walk {
	struct engine *eng;
	struct peer *p;
	engine_line_cb cb;
	void *arg;
};

static int
engine_walk_one(void *arg, const uint8_t *key, const struct store_msg *sm)
{
	struct engine_walk *w = arg;
	struct engine_line l;
	struct peer *p = w->p;

	if (p == NULL && (p = engine_peer_by_key(w->eng, key)) == NULL)
		return 0; /* a conversation with a peer no longer listed */
	memset(&l, 0, sizeof l);
	l.rowid = sm->rowid;
	l.id = sm->id;
	l.outgoing = sm->state != STORE_RECEIVED;
	l.delivered = sm->state == STORE_DELIVERED;
	l.sent_ms = sm->sent_ms;
	l.recv_ms = sm->recv_ms;
	l.text = sm->text;
	l.len = sm->len;
	return w->cb(w->arg, p, &l);
}

struct engine_unshown {
	struct engine_walk w;
	size_t n;
};

static int
engine_unshown_one(void *arg, const uint8_t *key, const struct store_msg *sm)
{
	struct engine_unshown *u = arg;

	u->n++;
	u->w.eng->handed_upto = sm->rowid;
	return u->w.cb != NULL ? engine_walk_one(&u->w, key, sm) : 0;
}

int
engine_unshown(struct engine *eng, engine_line_cb cb, void *arg, char **cause)
{
	struct engine_unshown u = { { eng, NULL, cb, arg }, 0 };

	engine_shown_open(eng);
	if (eng->shown_state != 1)
		return 0;
	do {
		u.n = 0;
		if (store_received_after(eng->store, eng->handed_upto,
		        ENGINE_UNSHOWN_BATCH, engine_unshown_one, &u,
		        cause) == -1)
			return -1;
	} while (u.n == ENGINE_UNSHOWN_BATCH);
	return 0;
}

int
engine_history(struct engine *eng, struct peer *p, int64_t before, size_t limit,
    engine_line_cb cb, void *arg, char **cause)
{
	struct engine_walk w = { eng, p, cb, arg };

	if (!p->has_key)
		return 0;
	return store_history(
	    eng->store, p->key, before, limit, engine_walk_one, &w, cause);
}

int
engine_search(struct engine *eng, struct peer *p, const char *text,
    size_t limit, engine_line_cb cb, void *arg, char **cause)
{
	struct engine_walk w = { eng, p, cb, arg };

	if (p != NULL && !p->has_key)
		return 0;
	return store_search(eng->store, p != NULL ? p->key : NULL, text, limit,
	    engine_walk_one, &w, cause);
}

int
engine_count(struct engine *eng, struct peer *p, int64_t *total,
    int64_t *pending, char **cause)
{
	*total = *pending = 0;
	if (!p->has_key)
		return 0;
	if (store_count(eng->store, p->key, -1, total, cause) == -1 ||
	    store_count(eng->store, p->key, STORE_PENDING, pending, cause) ==
	        -1)
		return -1;
	return 0;
}

int
engine_forget(struct engine *eng, struct peer *p, int64_t *count, char **cause)
{
	*count = 0;
	if (!p->has_key)
		return 0;
	if (store_forget(eng->store, p->key, count, cause) == -1)
		return -1;
	p->sent_upto = 0;
	return 0;
}
