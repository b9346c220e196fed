/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The engine object: create, start, shutdown and free; the store's
 * transaction, committed once per loop iteration by the commit hook;
 * notices to the frontend (and the folding of floods of them); and the
 * dispatch to the features of feature.h, by message type range through
 * the table in features.c. It never names a feature's functions.
 */
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include "conf.h"
#include "engine_int.h"
#include "feature.h"
#include "ident.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"

/* --- notices ---------------------------------------------------------------
 */

void
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
void
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
	uint64_t now = loop_now_ms();
	char *cause;
	int failed = eng->write_failed;
	size_t i;

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
	for (i = 0; eng->fstate != NULL && i < nfeatures; i++) {
		if (features[i]->commit != NULL && eng->fstate[i] != NULL)
			features[i]->commit(eng->fstate[i], failed);
	}
	conn_commit(eng, failed);
}

/* The state of the feature features[i], or NULL before engine_start(). */
static void *
engine_fstate(const struct engine *eng, size_t i)
{
	return eng->fstate != NULL ? eng->fstate[i] : NULL;
}

/* --- the public interface ------------------------------------------------ */

struct engine *
engine_create(struct loop *loop, const struct conf *conf,
    const struct ident *id, const struct fe_ops *fe, void *fe_arg, char **cause)
{
	struct engine *eng = xcalloc(1, sizeof *eng);
	size_t i;

	eng->loop = loop;
	eng->conf = conf;
	eng->id = id;
	eng->fe = fe;
	eng->fe_arg = fe_arg;
	eng->lfd = -1;
	LIST_INIT(&eng->conns);
	LIST_INIT(&eng->uncommitted);
	LIST_INIT(&eng->fresh);
	LIST_INIT(&eng->upload_waiting);
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
	eng->store = store_open(conf->history ? conf->data_dir : NULL, cause);
	if (eng->store == NULL) {
		engine_free(eng);
		return NULL;
	}
	loop_set_commit_hook(loop, engine_commit, eng);
	if (peer_init(eng, cause) == -1) {
		engine_free(eng);
		return NULL;
	}
	return eng;
}

int
engine_start(struct engine *eng, char **cause)
{
	size_t i, k;

	if (strcmp(eng->conf->listen, "off") == 0) /* dial out only */
		snprintf(eng->listen_addr, sizeof eng->listen_addr, "off");
	else {
		eng->lfd = net_listen(
		    eng->conf->listen, eng->conf->rdv, eng->listen_addr, cause);
		if (eng->lfd == -1)
			return -1;
		eng->lwatch = loop_watch_add(
		    eng->loop, eng->lfd, POLLIN, admit_accept_cb, eng);
	}
	eng->fe->ready(eng->fe_arg, eng->listen_addr);
	for (i = 0; i < eng->npeers; i++)
		eng->fe->peer_changed(eng->fe_arg, eng->peers[i]);
	/* The table is ours: a feature on the session's types (0x01 to
	 * 0x0f, conn.c's), on extensions or on another's types is a bug;
	 * one with none (lo > hi, lan) shares nothing. */
	for (i = 0; i < nfeatures; i++) {
		if (features[i]->type_lo > features[i]->type_hi)
			continue;
		if (features[i]->type_lo < 0x10 ||
		    features[i]->type_hi >= PROTO_EXTENSION)
			fatal("feature %s: bad types", features[i]->name);
		for (k = 0; k < i; k++) {
			if (features[i]->type_lo <= features[k]->type_hi &&
			    features[k]->type_lo <= features[i]->type_hi)
				fatal("features %s and %s share types",
				    features[k]->name, features[i]->name);
		}
	}
	/* After the frontend knows the peers: features report on them. */
	eng->fstate = xcalloc(nfeatures, sizeof *eng->fstate);
	for (i = 0; i < nfeatures; i++) {
		eng->fstate[i] = features[i]->create(eng, cause);
		if (eng->fstate[i] == NULL)
			return -1;
	}
	for (i = 0; i < eng->npeers; i++) {
		if (eng->peers[i]->autoconnect && !eng->peers[i]->refused &&
		    eng->peers[i]->address != NULL &&
		    eng->peers[i]->dial == NULL && eng->peers[i]->conn == NULL)
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
	conn_reap(eng);
	if (eng->accept_timer != NULL)
		loop_timer_del(eng->accept_timer);
	if (eng->upload_timer != NULL)
		loop_timer_del(eng->upload_timer);
	for (i = 0; i < FOLD_KINDS; i++) {
		if (eng->fold[i].timer != NULL)
			loop_timer_del(eng->fold[i].timer);
	}
	if (eng->lwatch != NULL)
		loop_watch_del(eng->lwatch);
	if (eng->lfd != -1)
		close(eng->lfd);
	/* The features' last commit, then their free (which may write:
	 * a feature may record what it has), then the store's last commit. */
	if (eng->store != NULL)
		engine_commit(eng);
	for (i = nfeatures; eng->fstate != NULL && i-- > 0;) {
		if (eng->fstate[i] != NULL)
			features[i]->free(eng->fstate[i]);
	}
	free(eng->fstate);
	eng->fstate = NULL;
	if (eng->store != NULL) {
		engine_commit(eng);
		loop_set_commit_hook(eng->loop, NULL, NULL);
		store_close(eng->store);
	}
	peer_free_all(eng);
	free(eng->declined);
	free(eng->state_path);
	free(eng->declined_path);
	ident_wipe(eng->scratch, sizeof eng->scratch);
	ident_wipe(eng->scratch2, sizeof eng->scratch2);
	free(eng);
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

/* --- the features ------------------------------------------------------------
 */

void *
engine_feature(const struct engine *eng, const struct feature *f)
{
	size_t i;

	for (i = 0; eng->fstate != NULL && i < nfeatures; i++) {
		if (features[i] == f)
			return eng->fstate[i];
	}
	return NULL;
}

void **
engine_peer_slot(struct peer *p, const struct feature *f)
{
	size_t i;

	if (p->fdata == NULL)
		p->fdata = xcalloc(nfeatures, sizeof *p->fdata);
	for (i = 0; i < nfeatures; i++) {
		if (features[i] == f)
			return &p->fdata[i];
	}
	fatal("feature %s is not in the table", f->name);
}

int
engine_dispatch(struct conn *c, const struct proto_msg *m)
{
	const struct feature *f;
	struct peer *p = c->peer;
	const char *why;
	size_t i;

	for (i = 0; i < nfeatures; i++) {
		f = features[i];
		if (m->type < f->type_lo || m->type > f->type_hi)
			continue;
		if (p == NULL ||
		    (p->state != PEER_ONLINE && !(f->flags & FEATURE_EARLY)))
			conn_fail(c, "%s message before hello", f->name);
		else if (p->origin == PEER_MEMBER &&
		    !(f->flags & FEATURE_MEMBER))
			conn_fail(
			    c, "%s message on a room-only session", f->name);
		else if (f->message != NULL &&
		    engine_fstate(c->eng, i) != NULL &&
		    f->message(engine_fstate(c->eng, i), p, m, &why) == -1)
			conn_fail(c, "%s", why);
		return 1;
	}
	return 0;
}

/* Which of a feature's per-peer hooks engine_tell() calls. */
enum engine_hook {
	ENGINE_ONLINE,
	ENGINE_OFFLINE,
	ENGINE_REMOVED,
	ENGINE_OPENED,
};

static void
engine_tell(struct peer *p, enum engine_hook which)
{
	void (*hook)(void *, struct peer *);
	const struct feature *f;
	size_t i;

	for (i = 0; i < nfeatures; i++) {
		f = features[i];
		if (which == ENGINE_ONLINE)
			hook = f->online;
		else if (which == ENGINE_OFFLINE)
			hook = f->offline;
		else if (which == ENGINE_OPENED)
			hook = (f->flags & FEATURE_EARLY) ? f->opened : NULL;
		else
			hook = f->removed;
		if (hook != NULL && engine_fstate(p->eng, i) != NULL)
			hook(engine_fstate(p->eng, i), p);
	}
}

void
engine_online(struct peer *p)
{
	engine_tell(p, ENGINE_ONLINE);
	engine_pump(p);
}

void
engine_offline(struct peer *p)
{
	engine_tell(p, ENGINE_OFFLINE);
}

void
engine_removed(struct peer *p)
{
	engine_tell(p, ENGINE_REMOVED);
}

void
engine_opened(struct peer *p)
{
	engine_tell(p, ENGINE_OPENED);
}

const struct ident *
engine_ident(const struct engine *eng)
{
	return eng->id;
}

void
engine_pump(struct peer *p)
{
	size_t i;

	for (i = 0; i < nfeatures && p->state == PEER_ONLINE; i++) {
		if (features[i]->pump != NULL &&
		    engine_fstate(p->eng, i) != NULL &&
		    features[i]->pump(engine_fstate(p->eng, i), p))
			break; /* the rest wait for room */
	}
}

/*
 * Unlike engine_pump(), a feature with a backlog does not hold back the
 * ones after it here, but each is called only below the bulk watermark.
 */
void
engine_drained(struct peer *p)
{
	size_t i;

	for (i = 0; i < nfeatures && p->state == PEER_ONLINE; i++) {
		if (features[i]->pump != NULL &&
		    engine_fstate(p->eng, i) != NULL &&
		    engine_queued(p) < ENGINE_BULK_WATERMARK)
			(void)features[i]->pump(engine_fstate(p->eng, i), p);
	}
}

/* --- upload_rate ---------------------------------------------------------- */

/*
 * Each budget is a token bucket of bytes that refills at its rate up to
 * a quarter of a second's worth (at least one piece), and may go below
 * zero: a piece is sent whole once the bucket has anything left, and the
 * debt is paid by waiting. So the average rate is exact and the burst
 * at most a quarter of a second plus a piece.
 */
#define ENGINE_UPLOAD_BURST_MS 250
#define ENGINE_UPLOAD_BURST_MIN (64 * 1024)

/* Refill b at rate (0: no limit); ms until it has a token again. */
static uint64_t
engine_upload_refill(struct admit_bucket *b, int rate, uint64_t now)
{
	double burst = (double)rate * ENGINE_UPLOAD_BURST_MS / 1000.0;

	if (rate <= 0)
		return 0;
	if (burst < ENGINE_UPLOAD_BURST_MIN)
		burst = ENGINE_UPLOAD_BURST_MIN;
	admit_bucket_fill(b, rate, burst, now);
	return b->tokens > 0 ? 0 : (uint64_t)(-b->tokens * 1000.0 / rate) + 1;
}

/* The upload_rate of p's block in the config, 0 if none. */
static int
engine_peer_upload_rate(const struct peer *p)
{
	const struct conf_peer *cp;

	if (p->origin != PEER_CONFIG)
		return 0;
	cp = conf_find_peer(p->eng->conf, p->name);
	return cp != NULL ? cp->upload_rate : 0;
}

void
engine_upload_forget(struct conn *c)
{
	if (!c->upload_wait)
		return;
	c->upload_wait = 0;
	LIST_REMOVE(c, upload_entry);
}

/* The budgets have refilled: pump the connections that waited. */
static void
engine_upload_resume(void *arg)
{
	struct engine *eng = arg;
	LIST_HEAD(, conn) ready;
	struct conn *c;

	eng->upload_timer = NULL;
	/* Those that must wait again go back on the engine's list. */
	LIST_INIT(&ready);
	while ((c = LIST_FIRST(&eng->upload_waiting)) != NULL) {
		LIST_REMOVE(c, upload_entry);
		LIST_INSERT_HEAD(&ready, c, upload_entry);
	}
	while ((c = LIST_FIRST(&ready)) != NULL) {
		LIST_REMOVE(c, upload_entry);
		c->upload_wait = 0;
		if (c->state == CONN_OPEN && c->peer != NULL &&
		    c->peer->conn == c)
			engine_pump(c->peer);
	}
}

void
engine_set_files(struct engine *eng, const struct engine_files *ops, void *arg)
{
	eng->files = ops;
	eng->files_arg = arg;
}

int
engine_file_announced(const struct engine *eng, const uint8_t *root,
    uint64_t *size, const char **name)
{
	if (eng->files == NULL)
		return 0;
	return eng->files->announced(eng->files_arg, root, size, name);
}

int
engine_file_member(
    const struct engine *eng, const uint8_t *root, const struct peer *p)
{
	if (eng->files == NULL)
		return 0;
	return eng->files->member(eng->files_arg, root, p);
}

int
engine_upload_ok(struct peer *p)
{
	struct engine *eng = p->eng;
	struct conn *c = p->conn;
	uint64_t now = loop_now_ms(), wait, w;

	if (c == NULL || c->upload_wait)
		return 0;
	wait = engine_upload_refill(&eng->upload, eng->conf->upload_rate, now);
	w = engine_upload_refill(&c->upload, engine_peer_upload_rate(p), now);
	if (w > wait)
		wait = w;
	if (wait == 0)
		return 1;
	c->upload_wait = 1;
	LIST_INSERT_HEAD(&eng->upload_waiting, c, upload_entry);
	if (eng->upload_timer != NULL && eng->upload_due <= now + wait)
		return 0;
	if (eng->upload_timer != NULL)
		loop_timer_del(eng->upload_timer);
	eng->upload_due = now + wait;
	eng->upload_timer =
	    loop_timer_add(eng->loop, wait, engine_upload_resume, eng);
	return 0;
}

void
engine_upload_spent(struct peer *p, size_t n)
{
	if (p->eng->conf->upload_rate > 0)
		p->eng->upload.tokens -= (double)n;
	if (p->conn != NULL && engine_peer_upload_rate(p) > 0)
		p->conn->upload.tokens -= (double)n;
}
