/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * 1:1 chat (DESIGN.md section 6): CHAT and ACK, an engine feature
 * (chat.h) that owns the message types 0x10 to 0x1f.
 *
 * A message is stored before it is sent (store_add_outgoing), queued in
 * the store until acknowledged, and pumped oldest first while the peer's
 * output buffer has room; a new connection resends everything not yet
 * acknowledged. A received one is stored (duplicates dropped by id)
 * before it is acknowledged.
 *
 * Exactly-once display: what the frontend is told (events) waits for the
 * commit that makes it durable; the events of an iteration whose commit
 * or writes failed go to limbo until the store shows their fate. The
 * "shown" file in the data directory records up to which stored message
 * the frontend has shown what was received, so a crash shows the rest
 * at the next start (engine_unshown()) and nothing twice.
 *
 * Per peer, where the pump is (struct chat_peer) is kept in the peer's
 * slot for this feature (engine_peer_slot()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chat.h"
#include "conf.h"
#include "engine.h"
#include "feature.h"
#include "ident.h"
#include "log.h"
#include "proto.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define CHAT_PUMP_WATERMARK (256 * 1024)
#define CHAT_PUMP_BATCH 64
#define CHAT_LIMBO_MAX 4096
#define CHAT_SHOWN_FILE "shown"
#define CHAT_SHOWN_LEN 21 /* the rowid in 20 digits, a newline */
#define CHAT_UNSHOWN_BATCH 256

/* A chat event held back until the transaction that stored it commits,
 * so nothing is shown that a crash could take back. */
enum chat_event_kind { EV_IN, EV_OUT, EV_DELIVERED };
struct chat_event {
	enum chat_event_kind kind;
	struct peer *peer;
	uint8_t id[PROTO_ID_LEN];
	int64_t time_ms;
	char *text;
	size_t len;
	int64_t rowid; /* EV_IN: its place in the store, or 0 */
};

struct chat {
	struct engine *eng;
	const struct conf *conf;
	struct store *store;
	const struct fe_ops *fe;
	void *fe_arg;
	struct chat_event *events; /* shown once their writes commit */
	size_t nevents;
	struct chat_event *limbo; /* held back by a failed write */
	size_t nlimbo;
	/* What the frontend has shown of the received messages: every
	 * one up to rowid shown_upto (recorded in the file shown_fd), and
	 * handed_upto of those given to it since. */
	int shown_state; /* 0 not read yet, 1 shown_fd open, -1 none */
	int shown_fd;
	int64_t shown_upto, handed_upto;
};

/* Where the pump is with a peer. */
struct chat_peer {
	struct peer *peer;
	int64_t sent_upto; /* pending messages sent on this connection */
	uint64_t serial; /* ... whose serial number is this */
	int more; /* more pending messages wait for buffer room */
	int caught_up; /* or none: every one up to the newest is sent */
	int sent; /* messages the current batch sent */
	int due; /* new messages (or a new session): pump now */
};

static void chat_shown(struct chat *, int64_t);

/* p's pump state, made on first use. */
static struct chat_peer *
chat_peer(struct peer *p)
{
	void **slot = engine_peer_slot(p, &chat_feature);
	struct chat_peer *cp;

	if (*slot == NULL) {
		cp = xcalloc(1, sizeof *cp);
		cp->peer = p;
		*slot = cp;
	}
	return *slot;
}

/* Free p's pump state, if any. */
static void
chat_peer_free(struct peer *p)
{
	void **slot = engine_peer_slot(p, &chat_feature);

	free(*slot);
	*slot = NULL;
}

static int64_t
chat_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
chat_event(struct chat *ch, enum chat_event_kind kind, struct peer *p,
    const uint8_t *id, int64_t time_ms, const char *text, size_t len)
{
	struct chat_event *ev;

	ch->events =
	    xreallocarray(ch->events, ch->nevents + 1, sizeof *ch->events);
	ev = &ch->events[ch->nevents++];
	ev->kind = kind;
	ev->peer = p;
	memcpy(ev->id, id, PROTO_ID_LEN);
	ev->time_ms = time_ms;
	ev->text = text != NULL ? xstrndup(text, len) : NULL;
	ev->len = len;
	ev->rowid = 0;
}

static void
chat_event_free(struct chat_event *ev)
{
	free(ev->text);
}

/* Take the limbo event for id with p, if any, into *out. */
static int
chat_limbo_take(struct chat *ch, struct peer *p, const uint8_t *id,
    enum chat_event_kind kind, struct chat_event *out)
{
	size_t i;

	for (i = 0; i < ch->nlimbo; i++) {
		if (ch->limbo[i].peer == p && ch->limbo[i].kind == kind &&
		    memcmp(ch->limbo[i].id, id, PROTO_ID_LEN) == 0) {
			*out = ch->limbo[i];
			memmove(&ch->limbo[i], &ch->limbo[i + 1],
			    (ch->nlimbo - i - 1) * sizeof *ch->limbo);
			ch->nlimbo--;
			return 1;
		}
	}
	return 0;
}

static void
chat_event_show(struct chat *ch, const struct chat_event *ev)
{
	if (ev->kind == EV_IN && ev->rowid > ch->handed_upto)
		ch->handed_upto = ev->rowid;
	if (ev->kind == EV_DELIVERED)
		ch->fe->delivered(ch->fe_arg, ev->peer, ev->id);
	else
		ch->fe->message(ch->fe_arg, ev->peer, ev->kind == EV_OUT,
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
chat_events_flush(struct chat *ch, int show, int failed)
{
	struct chat_event *ev, kept;
	enum store_state state;
	char *cause;
	size_t i;
	int r;

	if (show && !failed) {
		/* Limbo of our own side: the store knows by now. */
		for (i = 0; i < ch->nlimbo;) {
			ev = &ch->limbo[i];
			if (ev->kind == EV_IN || ev->peer == NULL) {
				i++;
				continue;
			}
			r = store_lookup(
			    ch->store, ev->peer->key, ev->id, &state, &cause);
			if (r == -1)
				free(cause);
			else if (r == 1 &&
			    (ev->kind == EV_OUT || state == STORE_DELIVERED))
				chat_event_show(ch, ev);
			kept = *ev;
			memmove(ev, ev + 1,
			    (ch->nlimbo - i - 1) * sizeof *ch->limbo);
			ch->nlimbo--;
			chat_event_free(&kept);
		}
	}
	for (i = 0; i < ch->nevents; i++) {
		ev = &ch->events[i];
		if (!show || ev->peer == NULL) {
			chat_event_free(ev);
			continue;
		}
		if (!failed) {
			chat_event_show(ch, ev);
			chat_event_free(ev);
			continue;
		}
		if (ch->nlimbo == CHAT_LIMBO_MAX) {
			chat_event_free(&ch->limbo[0]);
			memmove(&ch->limbo[0], &ch->limbo[1],
			    (ch->nlimbo - 1) * sizeof *ch->limbo);
			ch->nlimbo--;
		}
		ch->limbo =
		    xreallocarray(ch->limbo, ch->nlimbo + 1, sizeof *ch->limbo);
		ch->limbo[ch->nlimbo++] = *ev;
	}
	free(ch->events);
	ch->events = NULL;
	ch->nevents = 0;
}

static int
chat_pump_one(void *arg, const uint8_t *key, const struct store_msg *sm)
{
	struct chat_peer *cp = arg;
	struct peer *p = cp->peer;
	struct proto_msg m;
	char *flat = NULL, *cause;
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
	if (!(engine_peer_caps(p) & PROTO_CAP_TEXT) &&
	    memchr(sm->text, '\n', sm->len) != NULL) {
		flat = xmalloc(sm->len);
		for (i = 0; i < sm->len; i++)
			flat[i] = sm->text[i] == '\n' ? ' ' : sm->text[i];
		m.u.chat.text = (const uint8_t *)flat;
	}
	r = engine_send_msg(p->eng, p, &m, &cause);
	free(flat);
	if (r == -1) {
		free(cause);
		return 1;
	}
	engine_hold(p);
	cp->sent_upto = sm->rowid;
	cp->sent++;
	return 0;
}

/*
 * Send the peer's pending messages, oldest first, while its output
 * buffer has room; the rest wait for it to drain (chat_pump_hook()). New
 * messages join the same queue, so nothing overtakes a resent one.
 */
static void
chat_pump(struct chat *ch, struct peer *p)
{
	struct chat_peer *cp = chat_peer(p);
	uint64_t serial = engine_conn_serial(p);
	size_t queued;
	char *cause;

	/* A new connection resends everything not acknowledged. */
	if (serial != 0 && serial != cp->serial) {
		cp->serial = serial;
		cp->sent_upto = 0;
	}
	cp->more = 0;
	cp->caught_up = 0;
	while ((queued = engine_queued(p)) != SIZE_MAX) {
		if (queued >= CHAT_PUMP_WATERMARK) {
			cp->more = 1;
			return;
		}
		cp->sent = 0;
		if (store_pending(ch->store, p->key, cp->sent_upto,
		        CHAT_PUMP_BATCH, chat_pump_one, cp, &cause) == -1) {
			engine_notice(ch->eng, p, FE_ERROR, "%s", cause);
			free(cause);
			return;
		}
		/* A short batch was the end of the queue. */
		if (cp->sent < CHAT_PUMP_BATCH) {
			cp->caught_up = 1;
			break;
		}
	}
}

static void
chat_receive(struct chat *ch, struct peer *p, const struct proto_msg *m)
{
	struct chat_event held;
	struct store_msg sm;
	struct proto_msg r;
	char *cause;
	int inserted;

	memset(&sm, 0, sizeof sm);
	memcpy(sm.id, m->u.chat.id, STORE_IDLEN);
	sm.seq = m->u.chat.seq;
	sm.sent_ms = m->u.chat.time_ms;
	sm.recv_ms = chat_now_ms();
	sm.text = (const char *)m->u.chat.text;
	sm.len = m->u.chat.len;
	if (store_add_incoming(ch->store, p->key, &sm, &inserted, &cause) ==
	    -1) {
		engine_write_failed(ch->eng);
		/* No ACK: the sender keeps it and tries again later. */
		engine_notice(ch->eng, p, FE_ERROR,
		    "cannot store a message from "
		    "%s: %s",
		    p->name, cause);
		free(cause);
		engine_drop(p, "cannot store messages");
		return;
	}
	if (chat_limbo_take(ch, p, m->u.chat.id, EV_IN, &held)) {
		/* Held back by a failed commit: shown now if that commit
		 * reached the disk after all; a fresh copy is shown below. */
		if (!inserted)
			chat_event(ch, EV_IN, p, held.id, held.time_ms,
			    held.text, held.len);
		chat_event_free(&held);
	}
	if (inserted) {
		chat_event(ch, EV_IN, p, m->u.chat.id, m->u.chat.time_ms,
		    (const char *)m->u.chat.text, m->u.chat.len);
		ch->events[ch->nevents - 1].rowid = sm.rowid;
	}
	/* Duplicates are acknowledged again: the first ACK was lost. */
	memset(&r, 0, sizeof r);
	r.type = PROTO_ACK;
	memcpy(r.u.ack.id, m->u.chat.id, PROTO_ID_LEN);
	if (engine_send_msg(ch->eng, p, &r, &cause) == 0)
		engine_hold(p);
	else
		free(cause);
}

static void
chat_acked(struct chat *ch, struct peer *p, const struct proto_msg *m)
{
	char *cause;
	int changed;

	if (store_mark_delivered(
	        ch->store, p->key, m->u.ack.id, &changed, &cause) == -1) {
		engine_write_failed(ch->eng);
		engine_notice(ch->eng, p, FE_ERROR, "%s", cause);
		free(cause);
		return;
	}
	if (changed)
		chat_event(ch, EV_DELIVERED, p, m->u.ack.id, 0, NULL, 0);
}

/*
 * Read the record of what was shown, or start one at the newest stored
 * message (a store older than the record has nothing to catch up on).
 * Without a history on disk there is nothing to record.
 */
static void
chat_shown_open(struct chat *ch)
{
	char buf[CHAT_SHOWN_LEN + 1], *path, *end, *cause;
	int64_t upto;
	long long v;
	ssize_t n;

	if (ch->shown_state != 0)
		return;
	ch->shown_state = -1;
	if (!ch->conf->history)
		return;
	path = xasprintf("%s/%s", ch->conf->data_dir, CHAT_SHOWN_FILE);
	ch->shown_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (ch->shown_fd == -1) {
		engine_notice(ch->eng, NULL, FE_WARN,
		    "%s: %s: messages stored just before a crash may not be "
		    "shown",
		    path, strerror(errno));
		free(path);
		return;
	}
	free(path);
	ch->shown_state = 1;
	n = pread(ch->shown_fd, buf, CHAT_SHOWN_LEN, 0);
	if (n == CHAT_SHOWN_LEN && buf[CHAT_SHOWN_LEN - 1] == '\n') {
		buf[CHAT_SHOWN_LEN - 1] = '\0';
		errno = 0;
		v = strtoll(buf, &end, 10);
		if (errno == 0 && *end == '\0' && v >= 0) {
			ch->shown_upto = v;
			if (ch->handed_upto < v)
				ch->handed_upto = v;
			return;
		}
	}
	if (store_last_rowid(ch->store, &ch->shown_upto, &cause) == -1) {
		engine_notice(ch->eng, NULL, FE_WARN, "%s", cause);
		free(cause);
	}
	if (ch->handed_upto < ch->shown_upto)
		ch->handed_upto = ch->shown_upto;
	upto = ch->shown_upto;
	ch->shown_upto = -1; /* written now */
	chat_shown(ch, upto);
}

int64_t
engine_handed(const struct engine *eng)
{
	const struct chat *ch = engine_feature(eng, &chat_feature);

	return ch != NULL ? ch->handed_upto : 0;
}

void
engine_shown(struct engine *eng, int64_t upto)
{
	struct chat *ch = engine_feature(eng, &chat_feature);

	if (ch != NULL)
		chat_shown(ch, upto);
}

static void
chat_shown(struct chat *ch, int64_t upto)
{
	char buf[CHAT_SHOWN_LEN + 1];

	chat_shown_open(ch);
	if (ch->shown_state != 1 || upto <= ch->shown_upto)
		return;
	/* No fsync: this guards against a crash of the process, after
	 * which the kernel still writes the page; the output it vouches
	 * for is not synced either. */
	snprintf(buf, sizeof buf, "%020lld\n", (long long)upto);
	if (pwrite(ch->shown_fd, buf, CHAT_SHOWN_LEN, 0) != CHAT_SHOWN_LEN) {
		log_debug("engine: cannot record what was shown: %s",
		    strerror(errno));
		return;
	}
	ch->shown_upto = upto;
}

int
engine_send(struct engine *eng, struct peer *p, const char *text, size_t len,
    uint8_t *idp, char **cause)
{
	struct chat *ch = engine_feature(eng, &chat_feature);
	struct chat_peer *cp;
	struct store_msg sm;
	int i;

	if (ch == NULL) {
		*cause = xstrdup("the engine has not started");
		return -1;
	}
	if (len == 0 || len > (size_t)ch->conf->max_message) {
		*cause = xasprintf(
		    "a message must be 1 to %d bytes", ch->conf->max_message);
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
	if (p->origin == PEER_MEMBER) {
		*cause =
		    xasprintf("%s is a room member, not a contact", p->name);
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
	sm.sent_ms = sm.recv_ms = chat_now_ms();
	for (i = 0; i < 8; i++)
		sm.id[i] = (uint8_t)((uint64_t)sm.sent_ms >> (56 - 8 * i));
	ident_random(sm.id + 8, STORE_IDLEN - 8);
	sm.text = text;
	sm.len = len;
	if (store_add_outgoing(ch->store, p->key, &sm, cause) == -1) {
		engine_write_failed(ch->eng);
		return -1;
	}
	if (idp != NULL)
		memcpy(idp, sm.id, STORE_IDLEN);
	chat_event(ch, EV_OUT, p, sm.id, sm.sent_ms, text, len);
	cp = chat_peer(p);
	/* Everything before it went out on this connection: send it as it
	 * is instead of reading the queue back from the store. */
	if (cp->caught_up && cp->serial == engine_conn_serial(p) &&
	    engine_queued(p) < CHAT_PUMP_WATERMARK) {
		cp->sent = 0;
		(void)chat_pump_one(cp, p->key, &sm);
	} else
		cp->due = 1;
	engine_pump(p);
	return 0;
}

struct chat_walk {
	struct engine *eng;
	struct peer *p;
	engine_line_cb cb;
	void *arg;
};

static int
chat_walk_one(void *arg, const uint8_t *key, const struct store_msg *sm)
{
	struct chat_walk *w = arg;
	struct engine_line l;
	struct peer *p = w->p;

	if (p == NULL && (p = engine_find_key(w->eng, key)) == NULL)
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

struct chat_unshown {
	struct chat_walk w;
	struct chat *ch;
	size_t n;
};

static int
chat_unshown_one(void *arg, const uint8_t *key, const struct store_msg *sm)
{
	struct chat_unshown *u = arg;

	u->n++;
	u->ch->handed_upto = sm->rowid;
	return u->w.cb != NULL ? chat_walk_one(&u->w, key, sm) : 0;
}

int
engine_unshown(struct engine *eng, engine_line_cb cb, void *arg, char **cause)
{
	struct chat *ch = engine_feature(eng, &chat_feature);
	struct chat_unshown u = { { eng, NULL, cb, arg }, ch, 0 };

	if (ch == NULL)
		return 0;
	chat_shown_open(ch);
	if (ch->shown_state != 1)
		return 0;
	do {
		u.n = 0;
		if (store_received_after(ch->store, ch->handed_upto,
		        CHAT_UNSHOWN_BATCH, chat_unshown_one, &u, cause) == -1)
			return -1;
	} while (u.n == CHAT_UNSHOWN_BATCH);
	return 0;
}

int
engine_history(struct engine *eng, struct peer *p, int64_t before, size_t limit,
    engine_line_cb cb, void *arg, char **cause)
{
	struct chat_walk w = { eng, p, cb, arg };

	if (!p->has_key)
		return 0;
	return store_history(
	    engine_store(eng), p->key, before, limit, chat_walk_one, &w, cause);
}

int
engine_search(struct engine *eng, struct peer *p, const char *text,
    size_t limit, engine_line_cb cb, void *arg, char **cause)
{
	struct chat_walk w = { eng, p, cb, arg };

	if (p != NULL && !p->has_key)
		return 0;
	return store_search(engine_store(eng), p != NULL ? p->key : NULL, text,
	    limit, chat_walk_one, &w, cause);
}

int
engine_count(struct engine *eng, struct peer *p, int64_t *total,
    int64_t *pending, char **cause)
{
	*total = *pending = 0;
	if (!p->has_key)
		return 0;
	if (store_count(engine_store(eng), p->key, -1, total, cause) == -1 ||
	    store_count(
	        engine_store(eng), p->key, STORE_PENDING, pending, cause) == -1)
		return -1;
	return 0;
}

int
engine_forget(struct engine *eng, struct peer *p, int64_t *count, char **cause)
{
	void **slot;

	*count = 0;
	if (!p->has_key)
		return 0;
	if (store_forget(engine_store(eng), p->key, count, cause) == -1)
		return -1;
	slot = engine_peer_slot(p, &chat_feature);
	if (*slot != NULL) {
		((struct chat_peer *)*slot)->sent_upto = 0;
		((struct chat_peer *)*slot)->caught_up = 0;
	}
	return 0;
}

/* --- the feature's hooks ---------------------------------------------------
 */

static void *
chat_create(struct engine *eng, char **cause)
{
	struct chat *ch = xcalloc(1, sizeof *ch);

	(void)cause;
	ch->eng = eng;
	ch->conf = engine_conf(eng);
	ch->store = engine_store(eng);
	ch->fe = engine_fe(eng, &ch->fe_arg);
	return ch;
}

static void
chat_free(void *state)
{
	struct chat *ch = state;
	size_t i;

	if (ch == NULL)
		return;
	chat_events_flush(ch, 0, 0);
	for (i = 0; i < ch->nlimbo; i++)
		chat_event_free(&ch->limbo[i]);
	free(ch->limbo);
	if (ch->shown_state == 1)
		close(ch->shown_fd);
	for (i = 0; i < engine_npeers(ch->eng); i++)
		chat_peer_free(engine_peer(ch->eng, i));
	free(ch);
}

static int
chat_message(
    void *state, struct peer *p, const struct proto_msg *m, const char **why)
{
	(void)why;
	if (m->type == PROTO_CHAT)
		chat_receive(state, p, m);
	else
		chat_acked(state, p, m);
	return 0;
}

/* A new session resends what is not acknowledged. */
static void
chat_online(void *state, struct peer *p)
{
	(void)state;
	chat_peer(p)->due = 1;
}

/* Something new to send (pump_due), or a backlog and the buffer half
 * drained. */
static int
chat_pump_hook(void *state, struct peer *p)
{
	struct chat_peer *cp = chat_peer(p);

	if (cp->due ||
	    (cp->more && engine_queued(p) < CHAT_PUMP_WATERMARK / 2)) {
		cp->due = 0;
		chat_pump(state, p);
	}
	return cp->more;
}

static void
chat_commit(void *state, int failed)
{
	chat_events_flush(state, 1, failed);
}

/* p is gone: its events are dropped, its pump state freed. */
static void
chat_removed(void *state, struct peer *p)
{
	struct chat *ch = state;
	size_t k;

	for (k = 0; k < ch->nevents; k++) {
		if (ch->events[k].peer == p)
			ch->events[k].peer = NULL;
	}
	for (k = 0; k < ch->nlimbo; k++) {
		if (ch->limbo[k].peer == p)
			ch->limbo[k].peer = NULL;
	}
	chat_peer_free(p);
}

const struct feature chat_feature = {
	.name = "chat",
	.type_lo = PROTO_CHAT_FIRST,
	.type_hi = PROTO_CHAT_LAST,
	.create = chat_create,
	.free = chat_free,
	.message = chat_message,
	.online = chat_online,
	.pump = chat_pump_hook,
	.commit = chat_commit,
	.removed = chat_removed,
};
