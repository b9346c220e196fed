/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Peers and trust: pinned (configuration), learned and declined keys
 * (the state files "peers" and "declined" in the data directory), contact
 * requests, reconnection with backoff, the peer's state and nick, and the
 * user's peer commands (engine_connect, engine_accept, ...).
 *
 * A peer is ONLINE when its attached connection has both sent and
 * received HELLO. An unknown key that connects becomes a REQUEST peer
 * whose connection stays open (answering pings) but gets no HELLO until
 * the user accepts it.
 *
 * Invariants:
 * - A peer has at most one attached connection. When two connections for
 *   one peer are authenticated (both sides dialled at once), the one
 *   whose initiator has the smaller static key wins on both sides; the
 *   other is closed with BYE(duplicate).
 * - Unanswered contact requests are bounded (ENGINE_MAX_REQUESTS), and
 *   so are remembered declined keys (ENGINE_DECLINED_MAX).
 * - eng->bykey holds every peer with has_key under its key, eng->byname
 *   every peer under its name: a key or a name changes only through
 *   peer_set_key() and peer_set_name(). Two peers may share a key or a
 *   name; a lookup then returns the one listed first, as a walk over
 *   eng->peers would.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "engine_int.h"
#include "ident.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

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
		return p->rdv_request ? "request (via server)"
		                      : "request (offline)";
	if (p->state == PEER_OFFLINE && p->declined_us)
		return "offline (declined)";
	if (p->state == PEER_OFFLINE && p->disconnected)
		return "offline (disconnected)";
	/* No session, but the rendezvous server says it is there (rdv.c). */
	if (p->state == PEER_OFFLINE && p->rdv_online)
		return "online via server";
	return peer_state_name(p->state);
}

/* --- the indexes by key and by name ------------------------------------- */

#define PEER_BY_KEY 0
#define PEER_BY_NAME 1

static uint64_t
peer_hash(int by, const void *k)
{
	return by == PEER_BY_KEY ? ident_table_hash(k, IDENT_KEYLEN)
	                         : ident_table_hash(k, strlen(k));
}

static int
peer_matches(int by, const struct peer *p, const void *k)
{
	return by == PEER_BY_KEY ? ident_key_equal(p->key, k)
	                         : strcmp(p->name, k) == 0;
}

static const void *
peer_index_key(int by, const struct peer *p)
{
	return by == PEER_BY_KEY ? (const void *)p->key : p->name;
}

static struct peer_index *
peer_index(struct engine *eng, int by)
{
	return by == PEER_BY_KEY ? &eng->bykey : &eng->byname;
}

static void
peer_index_put(struct peer_index *ix, int by, struct peer *p)
{
	size_t i = peer_hash(by, peer_index_key(by, p)) & (ix->cap - 1);

	while (ix->slot[i] != NULL)
		i = (i + 1) & (ix->cap - 1);
	ix->slot[i] = p;
	ix->n++;
}

static void
peer_index_add(struct engine *eng, int by, struct peer *p)
{
	struct peer_index *ix = peer_index(eng, by);
	struct peer **old = ix->slot;
	size_t i, oldcap = ix->cap;

	if ((ix->n + 1) * 2 > ix->cap) {
		ix->cap = oldcap == 0 ? 64 : oldcap * 2;
		ix->slot = xcalloc(ix->cap, sizeof *ix->slot);
		ix->n = 0;
		for (i = 0; i < oldcap; i++) {
			if (old[i] != NULL)
				peer_index_put(ix, by, old[i]);
		}
		free(old);
	}
	peer_index_put(ix, by, p);
}

/* Take p out; the entries after it in its run move back (no tombstones). */
static void
peer_index_del(struct engine *eng, int by, struct peer *p)
{
	struct peer_index *ix = peer_index(eng, by);
	size_t i, j, h, mask = ix->cap - 1;

	if (ix->cap == 0)
		return;
	i = peer_hash(by, peer_index_key(by, p)) & mask;
	while (ix->slot[i] != p) {
		if (ix->slot[i] == NULL)
			return;
		i = (i + 1) & mask;
	}
	for (j = (i + 1) & mask; ix->slot[j] != NULL; j = (j + 1) & mask) {
		h = peer_hash(by, peer_index_key(by, ix->slot[j])) & mask;
		/* Move it back unless its home lies cyclically in (i, j]. */
		if (((j - h) & mask) >= ((j - i) & mask)) {
			ix->slot[i] = ix->slot[j];
			i = j;
		}
	}
	ix->slot[i] = NULL;
	ix->n--;
}

/* The first listed of two or more peers that match. */
static struct peer *
peer_first(const struct engine *eng, struct peer *a, struct peer *b)
{
	size_t i;

	for (i = 0; i < eng->npeers; i++) {
		if (eng->peers[i] == a || eng->peers[i] == b)
			return eng->peers[i];
	}
	return a;
}

static struct peer *
peer_lookup(const struct engine *eng, int by, const void *k)
{
	const struct peer_index *ix =
	    by == PEER_BY_KEY ? &eng->bykey : &eng->byname;
	struct peer *found = NULL;
	size_t i, mask = ix->cap - 1;

	if (ix->cap == 0)
		return NULL;
	for (i = peer_hash(by, k) & mask; ix->slot[i] != NULL;
	     i = (i + 1) & mask) {
		if (!peer_matches(by, ix->slot[i], k))
			continue;
		found = found == NULL ? ix->slot[i]
		                      : peer_first(eng, found, ix->slot[i]);
	}
	return found;
}

static void
peer_index_free(struct peer_index *ix)
{
	free(ix->slot);
	memset(ix, 0, sizeof *ix);
}

/* Give p the key k (indexed). */
static void
peer_set_key(struct peer *p, const uint8_t *k)
{
	if (p->has_key)
		peer_index_del(p->eng, PEER_BY_KEY, p);
	memcpy(p->key, k, IDENT_KEYLEN);
	p->has_key = 1;
	peer_index_add(p->eng, PEER_BY_KEY, p);
}

/* Give p the name (indexed). */
static void
peer_set_name(struct peer *p, const char *name)
{
	peer_index_del(p->eng, PEER_BY_NAME, p);
	snprintf(p->name, sizeof p->name, "%s", name);
	peer_index_add(p->eng, PEER_BY_NAME, p);
}

struct peer *
peer_by_key(const struct engine *eng, const uint8_t *key)
{
	return peer_lookup(eng, PEER_BY_KEY, key);
}

static struct peer *
peer_by_name(const struct engine *eng, const char *name)
{
	return peer_lookup(eng, PEER_BY_NAME, name);
}

static struct peer *
peer_add(struct engine *eng, const char *name, enum peer_origin origin)
{
	struct peer *p = xcalloc(1, sizeof *p);

	p->eng = eng;
	p->origin = origin;
	p->backoff = ENGINE_BACKOFF_MIN;
	eng->peers =
	    xreallocarray(eng->peers, eng->npeers + 1, sizeof *eng->peers);
	eng->peers[eng->npeers++] = p;
	peer_set_name(p, name);
	return p;
}

static void
peer_free(struct peer *p)
{
	if (p->retry != NULL)
		loop_timer_del(p->retry);
	free(p->address);
	free(p->fdata);
	free(p);
}

static void
peer_remove(struct engine *eng, struct peer *p)
{
	size_t i;

	for (i = 0; i < eng->npeers; i++) {
		if (eng->peers[i] == p)
			break;
	}
	if (i == eng->npeers)
		return;
	engine_removed(p);
	eng->fe->peer_removed(eng->fe_arg, p); /* while it is still listed */
	peer_index_del(eng, PEER_BY_NAME, p);
	if (p->has_key)
		peer_index_del(eng, PEER_BY_KEY, p);
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
peer_write_file(
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
peer_write_peers(struct engine *eng, FILE *f)
{
	char fp[IDENT_FP_LEN + 1];
	struct peer *p;
	size_t i;

	fprintf(f,
	    "# p2ptui learned peers: written by p2ptui, do not "
	    "edit while it runs\n");
	for (i = 0; i < eng->npeers; i++) {
		p = eng->peers[i];
		if (!p->has_key || p->origin == PEER_UNKNOWN ||
		    p->origin == PEER_MEMBER)
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
peer_save(struct engine *eng)
{
	return peer_write_file(eng, eng->state_path, peer_write_peers);
}

/* The optional end of a state line: " FLAGS[ NICK]\n". */
static int
peer_state_rest(const char *s, char flags[8], char nick[PROTO_NICK_MAX + 1])
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
peer_load_state(struct engine *eng, char **cause)
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
		    peer_state_rest(line + off, flags, nick) == -1 ||
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
		if (peer_by_key(eng, key) != NULL)
			continue;
		if ((p = peer_by_name(eng, name)) == NULL) {
			p = peer_add(eng, name, PEER_LEARNED);
			p->autoconnect = autoc;
			if (strcmp(addr, "-") != 0)
				p->address = xstrdup(addr);
			p->addr_learned = strchr(flags, 'h') != NULL;
			p->declined_us = p->refused =
			    strchr(flags, 'd') != NULL;
		}
		snprintf(p->nick, sizeof p->nick, "%s", nick);
		peer_set_key(p, key);
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
peer_write_declined(struct engine *eng, FILE *f)
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
peer_save_declined(struct engine *eng)
{
	return peer_write_file(eng, eng->declined_path, peer_write_declined);
}

static void
peer_add_declined(struct engine *eng, const uint8_t *key)
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
peer_undecline(struct engine *eng, const uint8_t *key)
{
	size_t i;

	for (i = 0; i < eng->ndeclined; i++) {
		if (ident_key_equal(eng->declined[i], key)) {
			memmove(eng->declined[i], eng->declined[i + 1],
			    (eng->ndeclined - i - 1) * sizeof *eng->declined);
			eng->ndeclined--;
			peer_save_declined(eng);
			return;
		}
	}
}

static int
peer_load_declined(struct engine *eng, char **cause)
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
		peer_add_declined(eng, key);
	}
	fclose(f);
	return 0;
}

int
peer_init(struct engine *eng, char **cause)
{
	const struct conf_peer *cp;
	struct peer *p;
	size_t i;

	for (i = 0; i < eng->conf->npeers; i++) {
		cp = &eng->conf->peers[i];
		p = peer_add(eng, cp->name, PEER_CONFIG);
		if (cp->has_key) {
			peer_set_key(p, cp->key);
		}
		if (cp->address != NULL)
			p->address = xstrdup(cp->address);
		p->autoconnect = cp->autoconnect;
	}
	if (peer_load_state(eng, cause) == -1 ||
	    peer_load_declined(eng, cause) == -1)
		return -1;
	return 0;
}

void
peer_free_all(struct engine *eng)
{
	size_t i;

	for (i = 0; i < eng->npeers; i++)
		peer_free(eng->peers[i]);
	free(eng->peers);
	eng->peers = NULL;
	eng->npeers = 0;
	peer_index_free(&eng->bykey);
	peer_index_free(&eng->byname);
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
void
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
			peer_save(p->eng);
		}
	}
	if (s == PEER_ONLINE)
		engine_online(p);
}

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
void
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

/* --- one session per peer, and whom to trust --------------------------- */

/* The key of whoever dialled this connection. */
static const uint8_t *
peer_initiator_key(const struct conn *c)
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
peer_settled(const struct conn *old, const struct conn *c)
{
	uint64_t race = 2 * (uint64_t)c->eng->conf->handshake_timeout * 1000;

	return old->state == CONN_OPEN && c->open_ms - old->open_ms >= race;
}

/*
 * Make c the connection of p. If p already has one, c replaces it if it
 * is settled (above); otherwise keep the one whose initiator's key is
 * smaller (both sides decide alike). 0 if c won.
 */
int
peer_attach(struct conn *c, struct peer *p)
{
	struct conn *old = p->conn;

	if (old != NULL && old != c) {
		if (!peer_settled(old, c) &&
		    memcmp(peer_initiator_key(old), peer_initiator_key(c),
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
		/* What features bound to the old session cannot finish. */
		if (c->inherit_online)
			engine_offline(p);
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

/*
 * Initiator, after message 2: is this the key we meant to reach? Returns
 * the peer to attach, or NULL after closing the connection.
 */
struct peer *
peer_check_responder(struct conn *c)
{
	struct engine *eng = c->eng;
	struct peer *p = c->want, *other;
	char want[IDENT_FP_LEN + 1], got[IDENT_FP_LEN + 1], *fix;
	struct conf_peer *cp;

	if (c->candidate && !ident_key_equal(p->key, c->rkey)) {
		/* A hint that led elsewhere: nobody asked, nobody is told. */
		log_debug("%s is not at %s", p->name, c->addr);
		conn_close(c, NULL);
		return NULL;
	}
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
		if ((other = peer_by_key(eng, c->rkey)) != NULL) {
			engine_notice(eng, p, FE_ERROR,
			    "%s at %s presented "
			    "the key of %s: refused",
			    p->name, c->addr, other->name);
			p->refused = 1;
			conn_close(c, "key of another peer");
			return NULL;
		}
		peer_set_key(p, c->rkey);
		ident_fingerprint(p->key, got);
		engine_notice(eng, p, FE_INFO,
		    "learned %s's key %s; it is "
		    "pinned from now on",
		    p->name, got);
		peer_save(eng);
		return p;
	}
	/* A /connect to an address: we chose to dial it, so trust it. A
	 * dial to join a room there trusts it for the room only. */
	if (c->member) {
		if ((other = peer_by_key(eng, c->rkey)) == NULL) {
			ident_short(c->rkey, want);
			other = peer_add(eng, want, PEER_MEMBER);
			peer_set_key(other, c->rkey);
			other->address = xstrdup(c->target);
			eng->fe->peer_changed(eng->fe_arg, other);
		} else if (other->origin == PEER_UNKNOWN)
			other->origin = PEER_MEMBER;
		return other;
	}
	peer_undecline(eng, c->rkey);
	if ((other = peer_by_key(eng, c->rkey)) != NULL) {
		if (other->origin == PEER_UNKNOWN)
			other->origin = PEER_LEARNED;
		if (other->origin == PEER_LEARNED) {
			free(other->address);
			other->address = xstrdup(c->target);
			other->addr_learned = 0;
			other->autoconnect = 1;
			other->refused = other->declined_us = 0;
			peer_save(eng);
		}
		return other;
	}
	ident_short(c->rkey, want);
	p = peer_add(eng, want, PEER_LEARNED);
	peer_set_key(p, c->rkey);
	p->address = xstrdup(c->target);
	p->autoconnect = 1;
	ident_fingerprint(p->key, got);
	engine_notice(eng, p, FE_INFO, "new peer %s at %s, key %s", p->name,
	    c->target, got);
	peer_save(eng);
	eng->fe->peer_changed(eng->fe_arg, p);
	return p;
}

static int
peer_is_declined(const struct engine *eng, const uint8_t *key)
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
peer_make_room(struct engine *eng)
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
void
peer_check_initiator(struct conn *c)
{
	struct engine *eng = c->eng;
	char fp[IDENT_FP_LEN + 1], name[IDENT_SHORT_LEN + 1];
	struct peer *p;

	if (ident_key_equal(c->rkey, eng->id->pk)) {
		conn_fail(c, "a connection from ourselves");
		return;
	}
	p = peer_by_key(eng, c->rkey);
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
		admit_known_add(eng, c->src);
		if (peer_attach(c, p) == 0) {
			conn_send_hello(c);
			peer_update(p);
		}
		return;
	}
	if (peer_is_declined(eng, c->rkey)) {
		conn_bye(c, PROTO_BYE_DECLINED, "declined");
		return;
	}
	if (p == NULL && peer_make_room(eng) == -1) {
		conn_bye(c, PROTO_BYE_BUSY, "too many contact requests");
		return;
	}
	if (p == NULL) {
		ident_short(c->rkey, name);
		p = peer_add(eng, name, PEER_UNKNOWN);
		peer_set_key(p, c->rkey);
	}
	if (peer_attach(c, p) == -1)
		return;
	conn_keepalive_arm(c, (uint64_t)eng->conf->keepalive * 1000);
	ident_fingerprint(p->key, fp);
	peer_update(p);
	engine_notice_fold(eng, FOLD_REQUEST, p, FE_INFO,
	    "contact request from %s at %s: "
	    "/accept %s or /decline %s",
	    fp, c->addr, p->name, p->name);
}

/* --- messages ----------------------------------------------------------- */

/*
 * The peer announced a nick, in HELLO or NICK; 1 if it changed. Not
 * saved here: a peer may send NICK as often as it likes, and each save
 * is an fsync. peer_hello() saves it, once a connection.
 */
int
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
 * HELLO on p's connection c: its nick, and where it listens. A learned
 * peer or a request without an address typed by the user is dialled
 * there from now on (remembered, and updated by later HELLOs).
 */
void
peer_hello(struct peer *p, struct conn *c, const struct proto_msg *m)
{
	char addr[UTIL_HOST_MAX + 8];
	int save = peer_set_nick(p, m->u.hello.nick);

	if (p->origin == PEER_CONFIG ||
	    (p->address != NULL && !p->addr_learned) ||
	    !conn_listen_addr(c, m, addr, sizeof addr) ||
	    (p->address != NULL && strcmp(p->address, addr) == 0)) {
		if (save && p->origin == PEER_LEARNED)
			peer_save(p->eng);
		return;
	}
	free(p->address);
	p->address = xstrdup(addr);
	p->addr_learned = 1;
	p->autoconnect = 1;
	log_debug("%s listens on %s", p->name, addr);
	if (p->origin == PEER_LEARNED)
		peer_save(p->eng);
	p->eng->fe->peer_changed(p->eng->fe_arg, p);
}

/*
 * BYE on p's own connection. 1 if it told the user that p went offline
 * (so the connection closes without another notice).
 */
int
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
			peer_save(p->eng);
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

/* --- the user's peer commands ----------------------------------------- */

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

	if ((found = peer_by_name(eng, s)) != NULL)
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
		peer_save(p->eng);
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
	peer_save(eng);
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
	} else if (p->rdv_request)
		engine_notice(eng, p, FE_INFO, "accepted %s", p->name);
	else
		engine_notice(eng, p, FE_INFO,
		    "accepted %s: its request's connection has gone; it "
		    "comes online when it connects again",
		    p->name);
	peer_update(p);
	return 0;
}

/* May a peer be named name (NULL: no)? */
static int
peer_name_free(const struct engine *eng, const char *name)
{
	return name != NULL && conf_valid_name(name) == 0 &&
	    peer_by_name(eng, name) == NULL &&
	    conf_find_peer(eng->conf, name) == NULL;
}

struct peer *
engine_add_contact(struct engine *eng, const uint8_t *key, const char *name)
{
	struct peer *p = peer_by_key(eng, key);
	char shortname[IDENT_SHORT_LEN + 1], *cause;

	if (ident_key_equal(key, eng->id->pk))
		return NULL;
	if (p != NULL &&
	    (p->origin == PEER_CONFIG || p->origin == PEER_LEARNED))
		return p;
	peer_undecline(eng, key);
	if (p != NULL && p->origin == PEER_UNKNOWN &&
	    p->state == PEER_REQUEST) {
		if (engine_accept(eng, p, &cause) == -1) {
			log_debug("%s", cause);
			free(cause);
		}
	} else if (p == NULL) {
		ident_short(key, shortname);
		p = peer_add(eng, shortname, PEER_LEARNED);
		peer_set_key(p, key);
	}
	p->origin = PEER_LEARNED;
	p->autoconnect = 1;
	p->refused = 0;
	p->rdv_request = 0;
	if (peer_name_free(eng, name))
		peer_set_name(p, name);
	peer_save(eng);
	if (p->conn != NULL && p->conn->state == CONN_OPEN &&
	    !p->conn->hello_sent)
		conn_send_hello(p->conn);
	eng->fe->peer_changed(eng->fe_arg, p);
	peer_update(p);
	return p;
}

struct peer *
engine_add_request(
    struct engine *eng, const uint8_t *key, const char *name, const char *via)
{
	struct peer *p = peer_by_key(eng, key);
	char shortname[IDENT_SHORT_LEN + 1], fp[IDENT_FP_LEN + 1];

	if (ident_key_equal(key, eng->id->pk) || peer_is_declined(eng, key))
		return NULL;
	if (p != NULL)
		return p->origin == PEER_UNKNOWN ? p : NULL;
	if (peer_make_room(eng) == -1)
		return NULL;
	ident_short(key, shortname);
	p = peer_add(
	    eng, peer_name_free(eng, name) ? name : shortname, PEER_UNKNOWN);
	peer_set_key(p, key);
	p->rdv_request = 1;
	/* No connection says so: peer_compute_state() keeps it. */
	p->state = PEER_REQUEST;
	eng->fe->peer_changed(eng->fe_arg, p);
	ident_fingerprint(key, fp);
	engine_notice_fold(eng, FOLD_REQUEST, p, FE_INFO,
	    "contact request from %s%s(%s) through %s: /accept %s or "
	    "/decline %s",
	    name != NULL ? name : "", name != NULL ? " " : "", fp, via, p->name,
	    p->name);
	return p;
}

int
engine_decline(struct engine *eng, struct peer *p, char **cause)
{
	if (p->origin != PEER_UNKNOWN || p->state != PEER_REQUEST) {
		*cause = xasprintf("%s is not a contact request", p->name);
		return -1;
	}
	peer_add_declined(eng, p->key);
	peer_save_declined(eng);
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
	peer_set_key(p, p->seen_key);
	p->has_seen_key = 0;
	p->refused = 0;
	p->backoff = ENGINE_BACKOFF_MIN;
	ident_fingerprint(p->key, fp);
	engine_notice(
	    eng, p, FE_INFO, "%s is now trusted with key %s", p->name, fp);
	peer_save(eng);
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
	if (peer_by_name(eng, name) != NULL ||
	    conf_find_peer(eng->conf, name) != NULL) {
		*cause = xasprintf("the name %s is taken", name);
		return -1;
	}
	snprintf(old, sizeof old, "%s", p->name);
	peer_set_name(p, name);
	if (peer_save(eng) == -1) {
		peer_set_name(p, old);
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

struct peer *
engine_find_key(const struct engine *eng, const uint8_t *key)
{
	return peer_by_key(eng, key);
}

struct peer *
engine_member_peer(struct engine *eng, const uint8_t *key, const char *nick,
    const char *hostport)
{
	struct peer *p = peer_by_key(eng, key);
	char name[IDENT_SHORT_LEN + 1];

	if (ident_key_equal(key, eng->id->pk))
		return NULL;
	if (p == NULL) {
		ident_short(key, name);
		p = peer_add(eng, name, PEER_MEMBER);
		peer_set_key(p, key);
		if (nick != NULL)
			peer_set_nick(p, nick);
	} else if (p->origin == PEER_UNKNOWN) {
		/* A request (a joiner we just admitted): our HELLO. */
		p->origin = PEER_MEMBER;
		p->refused = 0;
		if (p->conn != NULL && p->conn->state == CONN_OPEN &&
		    !p->conn->hello_sent)
			conn_send_hello(p->conn);
	}
	if (p->origin != PEER_MEMBER)
		return p;
	p->autoconnect = 1;
	if (hostport != NULL && p->address == NULL) {
		p->address = xstrdup(hostport);
		p->addr_learned = 1; /* its HELLO says better */
	}
	eng->fe->peer_changed(eng->fe_arg, p);
	if (p->conn == NULL && p->dial == NULL && p->address != NULL)
		conn_dial(eng, p, p->address, 0);
	peer_update(p);
	return p;
}

void
engine_member_gone(struct peer *p)
{
	if (p->origin != PEER_MEMBER)
		return;
	p->origin = PEER_UNKNOWN;
	p->autoconnect = 0;
	if (p->retry != NULL) {
		loop_timer_del(p->retry);
		p->retry = NULL;
	}
	if (p->conn != NULL)
		conn_bye(p->conn, PROTO_BYE_QUIT, "no longer a room member");
	peer_update(p);
}
