/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the web front end's pages are sent (p2ptui(1), WEB FRONTEND): the
 * engine's reports as JSON, to every authenticated page (the fe_ops of
 * web_fe_ops()), and to one page the state once it is in, command
 * output and histories. Rooms' messages are built by web_room.c, the
 * JSON by web_json.c; web.c owns the pages themselves.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "buf.h"
#include "engine.h"
#include "fe_mux.h"
#include "flip.h"
#include "ident.h"
#include "loop.h"
#include "proto.h"
#include "room.h"
#include "swarm.h"
#include "web_int.h"
#include "web_json.h"
#include "web_room.h"
#include "web_ws.h"
#include "xfer.h"
#include "xmalloc.h"

/* --- JSON for the engine's reports -------------------------------- */

static void
web_peer_obj(struct buf *b, const struct peer *p)
{
	char fp[IDENT_FP_LEN + 1];

	buf_append(b, "{", 1);
	web_json_key(b, "name", 1);
	web_json_str(b, p->name, strlen(p->name));
	if (p->has_key)
		ident_fingerprint(p->key, fp);
	web_json_kstr(b, "fp", p->has_key ? fp : NULL);
	web_json_kstr(b, "nick", p->nick);
	web_json_kstr(b, "state", peer_state_name(p->state));
	web_json_kstr(b, "state_text", peer_state_text(p));
	web_json_kstr(b, "address", p->address);
	web_json_kstr(
	    b, "remote", p->remote_addr[0] != '\0' ? p->remote_addr : NULL);
	web_json_raw(b, ",\"unread\":%u}", p->unread);
}

void
web_send(struct web_client *cl, struct buf *b)
{
	(void)web_ws_send(cl->ws, (const char *)buf_head(b), buf_used(b));
}

/* Close the object in b, send it to every authenticated client, free b. */
void
web_broadcast(struct web *w, struct buf *b)
{
	size_t i;

	buf_append(b, "}", 1);
	for (i = 0; i < w->nclients; i++) {
		if (w->clients[i]->authed)
			web_send(w->clients[i], b);
	}
	buf_free(b);
}

void
web_peer_event(struct web *w, struct peer *p)
{
	struct buf b;

	web_json_begin(&b, "peer");
	web_json_key(&b, "peer", 0);
	web_peer_obj(&b, p);
	web_broadcast(w, &b);
}

static void
web_ready(void *arg, const char *addr)
{
	struct web *w = arg;
	char fp[IDENT_FP_LEN + 1];
	struct buf b;

	snprintf(w->listen, sizeof w->listen, "%s", addr);
	if (w->primary) {
		/* As headless mode says it, for scripts. */
		ident_fingerprint(w->app->id->pk, fp);
		fprintf(stdout, "ready %s %s\n", fp, addr);
		fflush(stdout);
	}
	web_json_begin(&b, "ready");
	web_json_kstr(&b, "addr", addr);
	web_broadcast(w, &b);
}

static void
web_peer_changed(void *arg, struct peer *p)
{
	web_peer_event(arg, p);
}

static void
web_peer_removed(void *arg, struct peer *p)
{
	struct buf b;

	web_json_begin(&b, "removed");
	web_json_kstr(&b, "peer", p->name);
	web_broadcast(arg, &b);
}

static void
web_message(void *arg, struct peer *p, int outgoing, const uint8_t id[16],
    int64_t time_ms, const char *text, size_t len)
{
	struct web *w = arg;
	struct buf b;

	web_json_begin(&b, "message");
	web_json_kstr(&b, "peer", p->name);
	web_json_raw(&b, ",\"outgoing\":%s,\"time\":%" PRId64 ",\"id\":",
	    outgoing ? "true" : "false", time_ms);
	web_json_hex(&b, id, PROTO_ID_LEN);
	web_json_key(&b, "text", 0);
	web_json_str(&b, text, len);
	web_broadcast(w, &b);
	if (w->primary && !outgoing && w->app->engine != NULL) {
		/* The page reads what it missed from the store: a stored
		 * message counts as shown once it is handed to us. */
		engine_shown(w->app->engine, engine_handed(w->app->engine));
		p->unread++;
		web_peer_event(w, p);
	}
}

static void
web_delivered(void *arg, struct peer *p, const uint8_t id[16])
{
	struct buf b;

	web_json_begin(&b, "delivered");
	web_json_kstr(&b, "peer", p->name);
	web_json_key(&b, "id", 0);
	web_json_hex(&b, id, PROTO_ID_LEN);
	web_broadcast(arg, &b);
}

static void
web_notice(void *arg, struct peer *p, enum fe_level level, const char *text)
{
	struct buf b;

	web_json_begin(&b, "notice");
	web_json_kstr(&b, "level", fe_level_name(level));
	web_json_kstr(&b, "peer", p != NULL ? p->name : NULL);
	web_json_kstr(&b, "text", text);
	web_broadcast(arg, &b);
}

static void
web_flip_obj(struct buf *b, struct peer *p, const struct flip *fl)
{
	char draw[32], text[512];
	unsigned i;

	web_json_kstr(b, "peer", p != NULL ? p->name : fl->peer_name);
	web_json_key(b, "id", 0);
	web_json_hex(b, fl->id, PROTO_FLIP_ID_LEN);
	flip_draw_name(&fl->draw, draw, sizeof draw);
	web_json_kstr(b, "who", fl->local ? "local" : "remote");
	web_json_kstr(b, "state", flip_state_name(fl->state));
	web_json_kstr(b, "draw", draw);
	if (fl->state == FLIP_ABANDONED)
		web_json_kstr(b, "end", flip_end_name(fl->end));
	if (fl->state == FLIP_DONE) {
		web_json_key(b, "result", 0);
		switch (fl->draw.kind) {
		case PROTO_DRAW_COIN:
			web_json_raw(b, "\"%s\"",
			    fl->result[0] == 0 ? "heads" : "tails");
			break;
		case PROTO_DRAW_DICE:
			web_json_raw(b, "\"%u ", fl->sum);
			for (i = 0; i < fl->draw.count; i++)
				web_json_raw(
				    b, i == 0 ? "%u" : ",%u", fl->result[i]);
			buf_append(b, "\"", 1);
			break;
		case PROTO_DRAW_PICK:
			snprintf(text, sizeof text, "%u %s", fl->result[0] + 1,
			    fl->draw.options[fl->result[0] % PROTO_PICK_MAX]);
			web_json_str(b, text, strlen(text));
			break;
		}
	}
	/* The proof: anyone can recompute the commitment and result. */
	web_json_key(b, "commitment", 0);
	web_json_hex(b, fl->commitment, PROTO_FLIP_VALUE_LEN);
	web_json_key(b, "a", 0);
	if (fl->has_a)
		web_json_hex(b, fl->a, PROTO_FLIP_VALUE_LEN);
	else
		buf_append(b, "null", 4);
	web_json_key(b, "b", 0);
	if (fl->has_b)
		web_json_hex(b, fl->b, PROTO_FLIP_VALUE_LEN);
	else
		buf_append(b, "null", 4);
	flip_describe(fl, text, sizeof text);
	web_json_kstr(b, "text", text);
}

static void
web_flip(void *arg, struct peer *p, const struct flip *fl)
{
	struct buf b;

	web_json_begin(&b, "flip");
	web_flip_obj(&b, p, fl);
	web_broadcast(arg, &b);
}

static void
web_xfer_obj(struct buf *b, const struct xfer *x)
{
	web_json_kstr(b, "peer", x->peer != NULL ? x->peer->name : NULL);
	web_json_raw(b,
	    ",\"num\":%" PRId64 ",\"dir\":\"%s\",\"bytes\":%" PRIu64
	    ",\"size\":%" PRIu64 ",\"rate\":%.0f",
	    x->num, x->outgoing ? "out" : "in", x->bytes, x->size, x->rate);
	web_json_kstr(b, "state", xfer_state_name(x->state));
	web_json_kstr(b, "name", x->name);
	web_json_kstr(b, "error", x->error[0] != '\0' ? x->error : NULL);
	web_json_raw(b, ",\"saved\":%s",
	    !x->outgoing && x->state == XFER_DONE && x->path != NULL ? "true"
	                                                             : "false");
}

static void
web_xfer(void *arg, struct peer *p, const struct xfer *x, int changed)
{
	struct buf b;

	(void)p;
	(void)changed;
	web_json_begin(&b, "file");
	web_xfer_obj(&b, x);
	web_broadcast(arg, &b);
}

/* The room list, to every client. */
void
web_rooms_event(struct web *w)
{
	struct buf b;

	web_room_list(&b, room_of(w->app->engine));
	web_broadcast(w, &b);
}

/*
 * The rooms whose files changed are sent once the loop comes round: a
 * room's sync announces its files one by one, and a whole list per
 * announcement would cost the square of their number (past the page's
 * queue, which drops the page).
 */
static int
web_files_is_dirty(const struct web *w, const struct room *r)
{
	size_t i;

	for (i = 0; i < w->nfiles_dirty; i++)
		if (memcmp(w->files_dirty[i], room_id(r), ROOM_IDLEN) == 0)
			return 1;
	return 0;
}

static void
web_files_flush(void *arg)
{
	struct web *w = arg;
	struct rooms *rs;
	struct room *r;
	struct buf b;
	size_t i;

	w->files_timer = NULL;
	rs = w->app->engine != NULL ? room_of(w->app->engine) : NULL;
	for (i = 0; rs != NULL && i < room_count(rs); i++) {
		r = room_get(rs, i);
		if (!web_files_is_dirty(w, r))
			continue;
		web_room_files(&b, rs, swarm_of(w->app->engine), r);
		web_broadcast(w, &b);
	}
	w->nfiles_dirty = 0;
}

static void
web_files_dirty(struct web *w, struct room *r)
{
	if (web_files_is_dirty(w, r))
		return;
	if (w->nfiles_dirty == w->files_dirty_cap) {
		w->files_dirty_cap = w->files_dirty_cap * 2 + 4;
		w->files_dirty = xreallocarray(
		    w->files_dirty, w->files_dirty_cap, sizeof *w->files_dirty);
	}
	memcpy(w->files_dirty[w->nfiles_dirty++], room_id(r), ROOM_IDLEN);
	if (w->files_timer == NULL)
		w->files_timer =
		    loop_timer_add(w->app->loop, 0, web_files_flush, w);
}

static void
web_room(void *arg, const struct room_report *rep)
{
	struct web *w = arg;
	struct buf b;

	if (w->app->engine == NULL || w->nclients == 0)
		return;
	if (rep->kind == ROOM_REP_FILES) {
		web_files_dirty(w, rep->room);
		return;
	}
	if (web_room_event(&b, rep))
		web_broadcast(w, &b);
	web_rooms_event(w);
}

static void
web_swarm(void *arg, const struct swarm_report *r, int changed)
{
	struct web *w = arg;
	struct buf b;

	(void)changed;
	if (w->app->engine == NULL || w->nclients == 0)
		return;
	web_room_file(&b, room_of(w->app->engine), r);
	web_broadcast(w, &b);
}

/* The snapshot's room files, one rfile each. */
struct web_swarm_snap {
	struct web_client *cl;
	struct rooms *rs;
};

static void
web_swarm_snap_cb(void *arg, const struct swarm_report *r)
{
	struct web_swarm_snap *s = arg;
	struct buf b;

	web_room_file(&b, s->rs, r);
	buf_append(&b, "}", 1);
	web_send(s->cl, &b);
	buf_free(&b);
}

static const struct fe_ops web_ops = {
	.ready = web_ready,
	.peer_changed = web_peer_changed,
	.peer_removed = web_peer_removed,
	.message = web_message,
	.delivered = web_delivered,
	.notice = web_notice,
	.flip = web_flip,
	.xfer = web_xfer,
	.room = web_room,
	.swarm = web_swarm,
};

const struct fe_ops *
web_fe_ops(void)
{
	return &web_ops;
}

void
web_reply(void *arg, enum fe_level level, const char *text)
{
	struct web_client *cl = arg;
	struct buf b;

	web_json_begin(&b, "reply");
	web_json_kstr(&b, "level", fe_level_name(level));
	web_json_kstr(&b, "text", text);
	buf_append(&b, "}", 1);
	web_send(cl, &b);
	buf_free(&b);
}

/* What a client learns once it is in: who we are, then everything. */
void
web_snapshot(struct web_client *cl)
{
	struct web *w = cl->web;
	struct engine *eng = w->app->engine;
	const struct cmd_entry *c;
	const struct xfer *x;
	const struct flip *fl;
	struct xfers *xs;
	struct flips *fs;
	struct web_swarm_snap snap;
	char fp[IDENT_FP_LEN + 1];
	struct buf b;
	size_t i;

	ident_fingerprint(w->app->id->pk, fp);
	web_json_begin(&b, "hello");
	web_json_raw(&b, ",\"version\":1");
	web_json_kstr(&b, "fp", fp);
	web_json_kstr(&b, "nick", engine_nick(eng));
	web_json_kstr(&b, "listen", w->listen);
	web_json_raw(
	    &b, ",\"upload_max\":%" PRIu64 ",\"commands\":[", w->upload_max);
	for (i = 0; (c = cmd_get(i)) != NULL; i++) {
		buf_append(&b, i == 0 ? "{" : ",{", i == 0 ? 1 : 2);
		web_json_key(&b, "name", 1);
		web_json_str(&b, c->name, strlen(c->name));
		web_json_kstr(&b, "args", c->args);
		web_json_kstr(&b, "help", c->help);
		buf_append(&b, "}", 1);
	}
	buf_append(&b, "]}", 2);
	web_send(cl, &b);
	buf_free(&b);

	web_json_begin(&b, "peers");
	web_json_key(&b, "peers", 0);
	buf_append(&b, "[", 1);
	for (i = 0; i < engine_npeers(eng); i++) {
		if (i > 0)
			buf_append(&b, ",", 1);
		web_peer_obj(&b, engine_peer(eng, i));
	}
	buf_append(&b, "]}", 2);
	web_send(cl, &b);
	buf_free(&b);

	web_room_list(&b, room_of(eng));
	buf_append(&b, "}", 1);
	web_send(cl, &b);
	buf_free(&b);
	if ((snap.rs = room_of(eng)) != NULL && swarm_of(eng) != NULL) {
		snap.cl = cl;
		swarm_list(swarm_of(eng), web_swarm_snap_cb, &snap);
	}

	xs = xfer_of(eng);
	for (x = xs != NULL ? xfer_next(xs, NULL) : NULL; x != NULL;
	     x = xfer_next(xs, x)) {
		web_json_begin(&b, "file");
		web_xfer_obj(&b, x);
		buf_append(&b, "}", 1);
		web_send(cl, &b);
		buf_free(&b);
	}
	fs = flip_of(eng);
	for (fl = fs != NULL ? flip_next(fs, NULL) : NULL; fl != NULL;
	     fl = flip_next(fs, fl)) {
		web_json_begin(&b, "flip");
		web_flip_obj(&b, fl->peer, fl);
		buf_append(&b, "}", 1);
		web_send(cl, &b);
		buf_free(&b);
	}
}

struct web_hist {
	struct buf *b;
	size_t n;
	int64_t oldest;
};

static int
web_hist_line(void *arg, struct peer *p, const struct engine_line *l)
{
	struct web_hist *h = arg;

	(void)p;
	if (h->n++ > 0)
		buf_append(h->b, ",", 1);
	buf_append(h->b, "{", 1);
	web_json_raw(h->b,
	    "\"rowid\":%" PRId64 ",\"outgoing\":%s,\"delivered\":%s,"
	    "\"time\":%" PRId64 ",\"id\":",
	    l->rowid, l->outgoing ? "true" : "false",
	    l->delivered ? "true" : "false",
	    l->outgoing ? l->sent_ms : l->recv_ms);
	web_json_hex(h->b, l->id, PROTO_ID_LEN);
	web_json_key(h->b, "text", 0);
	web_json_str(h->b, l->text, l->len);
	buf_append(h->b, "}", 1);
	h->oldest = l->rowid;
	return 0;
}

/* {"type":"history","peer":P,"before":ROWID,"limit":N} */
void
web_history(struct web_client *cl, struct peer *p, int64_t before, size_t limit)
{
	struct web_hist h;
	struct buf b;
	char *cause;

	if (limit == 0 || limit > WEB_HISTORY_MAX)
		limit = WEB_HISTORY_MAX;
	web_json_begin(&b, "history");
	web_json_kstr(&b, "peer", p->name);
	web_json_raw(&b, ",\"before\":%" PRId64 ",\"lines\":[", before);
	h.b = &b;
	h.n = 0;
	h.oldest = 0;
	if (engine_history(cl->web->app->engine, p, before, limit,
	        web_hist_line, &h, &cause) == -1) {
		buf_free(&b);
		web_reply(cl, FE_ERROR, cause);
		free(cause);
		return;
	}
	web_json_raw(&b, "],\"more\":%s}", h.n == limit ? "true" : "false");
	web_send(cl, &b);
	buf_free(&b);
}

void
web_room_send_files(struct web_client *cl, struct room *r)
{
	struct engine *eng = cl->web->app->engine;
	struct buf b;

	web_room_files(&b, room_of(eng), swarm_of(eng), r);
	buf_append(&b, "}", 1);
	web_send(cl, &b);
	buf_free(&b);
}

/* The Download button: r's file with that root, fetched from the members
 * that have it; the answer is a reply, the progress rfile events. */
void
web_room_download(struct web_client *cl, struct room *r, const char *hex)
{
	struct engine *eng = cl->web->app->engine;
	struct room_file_line l;
	uint8_t root[32];
	char *cause, *text;
	int64_t num;

	if (!web_room_file_find(room_of(eng), r, hex, &l, root)) {
		text = xasprintf("no such file in #%s", room_name(r));
		web_reply(cl, FE_ERROR, text);
		free(text);
		return;
	}
	if (swarm_download(swarm_of(eng), root, l.size, l.name, &num, &cause) ==
	    -1) {
		web_reply(cl, FE_ERROR, cause);
		free(cause);
		return;
	}
	text = xasprintf("downloading %s (#%lld) from the members that have it",
	    l.name, (long long)num);
	web_reply(cl, FE_INFO, text);
	free(text);
}

void
web_room_send_history(struct web_client *cl, struct room *r, size_t limit)
{
	struct buf b;
	char *cause;

	if (web_room_history(
	        &b, room_of(cl->web->app->engine), r, limit, &cause) == -1) {
		web_reply(cl, FE_ERROR, cause);
		free(cause);
		return;
	}
	buf_append(&b, "}", 1);
	web_send(cl, &b);
	buf_free(&b);
}
