/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The curses frontend: its start and end, the engine's events, the
 * layout, and the once-per-iteration redraw. With ui_log.c (views and the
 * conversation), ui_peers.c (the peer list), ui_xfers.c (the transfer
 * strip) and ui_input.c (keys and the input line), the only files that
 * include <curses.h>.
 *
 *   +-----------+--------------------------------------+
 *   | peers     | title: who the view is with          |  w_peers, w_title
 *   |           | conversation of the selected view    |  w_log
 *   |           |                                      |
 *   +-----------+--------------------------------------+
 *   | status bar                                       |  w_status
 *   | #3 v report.pdf [#####.....]  57%  1.2 MiB/s ... |  w_xfers (0-4 rows)
 *   | > input line                                     |  w_input
 *   +--------------------------------------------------+
 *
 * The transfer strip shows the selected peer's unfinished transfers and
 * takes no row when there are none; a change in its height redoes the
 * layout.
 *
 * Views: index 0 is the system view (notices, requests, errors); index
 * i > 0 is the engine's peer i - 1. The selection is a peer pointer, so
 * it survives peers being removed.
 *
 * Handlers (engine events, keys, signals) only change the model and set
 * bits in ui->dirty; ui_draw() runs once per loop iteration, just before
 * the loop sleeps, redraws the panes whose bit is set into their own
 * windows, and ends with a single doupdate(). A burst of 10 000 messages
 * for a peer not on screen redraws one line of the peer list.
 */
#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "cmd.h"
#include "conf.h"
#include "engine.h"
#include "flip.h"
#include "fmt.h"
#include "ident.h"
#include "log.h"
#include "net.h"
#include "loop.h"
#include "qr.h"
#include "room.h"
#include "swarm.h"
#include "ui.h"
#include "xfer.h"
#include "xmalloc.h"

static struct ui *ui_active;

enum {
	UI_PAIR_SELF = 1,
	UI_PAIR_PEER,
	UI_PAIR_SYSTEM,
	UI_PAIR_ERROR,
};

static const short ui_curses_colors[] = {
	[CONF_COLOR_DEFAULT] = -1,
	[CONF_COLOR_BLACK] = COLOR_BLACK,
	[CONF_COLOR_RED] = COLOR_RED,
	[CONF_COLOR_GREEN] = COLOR_GREEN,
	[CONF_COLOR_YELLOW] = COLOR_YELLOW,
	[CONF_COLOR_BLUE] = COLOR_BLUE,
	[CONF_COLOR_MAGENTA] = COLOR_MAGENTA,
	[CONF_COLOR_CYAN] = COLOR_CYAN,
	[CONF_COLOR_WHITE] = COLOR_WHITE,
};

/* Give the terminal back: on every exit path, including fatal(). */
static void
ui_restore(void)
{
	if (ui_active != NULL && ui_active->paste_brackets) {
		putp("\033[?2004l");
		fflush(stdout);
		ui_active->paste_brackets = 0;
	}
	if (!isendwin())
		endwin();
	fflush(stdout);
}

/* --- views ------------------------------------------------------------- */

#define UI_HISTORY_BATCH 200

struct ui_history {
	struct ui_view *v;
	size_t n;
};

static int
ui_history_line(void *arg, struct peer *p, const struct engine_line *l)
{
	struct ui_history *h = arg;
	struct ui_line *ln;
	const char *nick = l->outgoing && ui_active != NULL
	    ? engine_nick(ui_active->app->engine)
	    : p->name;

	ln = ui_view_add_front(h->v, l->outgoing ? UI_SELF : UI_PEER,
	    (time_t)((l->outgoing ? l->sent_ms : l->recv_ms) / 1000),
	    l->outgoing ? nick : p->name, l->text, l->len);
	if (ln == NULL) {
		h->v->history_done = 1; /* the view holds all it can */
		return 1;
	}
	ln->pending = l->outgoing && !l->delivered;
	memcpy(ln->id, l->id, sizeof ln->id);
	h->v->oldest_rowid = l->rowid;
	h->n++;
	return 0;
}

/* Put up to n older stored lines in front of p's view. */
static void
ui_history_more(struct peer *p, struct ui_view *v, size_t n)
{
	struct ui_history h = { v, 0 };
	char *cause;

	if (v->history_done)
		return;
	if (engine_history(p->eng, p, v->oldest_rowid, n, ui_history_line, &h,
	        &cause) == -1) {
		v->history_done = 1;
		if (ui_active != NULL)
			ui_notify(ui_active, cause);
		free(cause);
		return;
	}
	if (h.n < n) {
		v->history_done = 1;
		ui_view_day_top(v);
	}
}

/* A peer's view, created with the newest stored lines: the history is
 * read in batches as the user scrolls back, never all at start. */
struct ui_view *
ui_view_of(struct peer *p)
{
	if (p->fe_data == NULL) {
		p->fe_data = ui_view_create(UI_VIEW_LINES);
		ui_history_more(p, p->fe_data, UI_HISTORY_BATCH);
	}
	return p->fe_data;
}

void
ui_history_before_scroll(struct ui *ui, int to_top, int page)
{
	struct ui_view *v;
	int64_t ahead;

	if (ui->sel == NULL)
		return;
	v = ui_view_of(ui->sel);
	if (to_top) {
		while (!v->history_done)
			ui_history_more(ui->sel, v, UI_HISTORY_BATCH);
		return;
	}
	/* Lines between the oldest held and the bottom of the pane. */
	ahead =
	    (v->follow ? v->first + (int64_t)v->count : v->anchor) - v->first;
	if (ahead < 3 * (int64_t)page)
		ui_history_more(ui->sel, v, UI_HISTORY_BATCH);
}

struct ui_view *
ui_current_view(struct ui *ui)
{
	if (ui->sel_room != NULL)
		return ui_room_view(ui, ui->sel_room);
	return ui->sel != NULL ? ui_view_of(ui->sel) : ui->system;
}

/* Views: the system view, then the peers whose view is not closed. */
static int
ui_hidden(struct peer *p)
{
	return p->fe_data != NULL && ((struct ui_view *)p->fe_data)->hidden;
}

size_t
ui_nviews(struct ui *ui)
{
	return engine_npeers(ui->app->engine) + 1 - ui->nhidden +
	    ui_rooms_count(ui);
}

struct room *
ui_view_room(struct ui *ui, size_t i)
{
	size_t npv = engine_npeers(ui->app->engine) + 1 - ui->nhidden;

	return i >= npv ? ui_rooms_at(ui, i - npv) : NULL;
}

struct peer *
ui_view_peer(struct ui *ui, size_t i)
{
	struct engine *eng = ui->app->engine;
	size_t k, n = engine_npeers(eng);

	if (i == 0 || ui_view_room(ui, i) != NULL)
		return NULL;
	if (ui->nhidden == 0)
		return engine_peer(eng, i - 1);
	for (k = 0; k < n; k++) {
		if (!ui_hidden(engine_peer(eng, k)) && --i == 0)
			return engine_peer(eng, k);
	}
	return NULL;
}

size_t
ui_selected_index(struct ui *ui)
{
	size_t i, v = 0, n = engine_npeers(ui->app->engine);
	struct peer *p;

	if (ui->sel_room != NULL) {
		for (i = 0; i < ui_rooms_count(ui); i++)
			if (ui_rooms_at(ui, i) == ui->sel_room)
				return n + 1 - ui->nhidden + i;
		return 0;
	}
	if (ui->sel == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		p = engine_peer(ui->app->engine, i);
		if (ui_hidden(p))
			continue;
		v++;
		if (p == ui->sel)
			return v;
	}
	return 0;
}

/* Show p's view again (a new message came). */
static void
ui_unhide(struct ui *ui, struct peer *p)
{
	if (!ui_hidden(p))
		return;
	((struct ui_view *)p->fe_data)->hidden = 0;
	ui->nhidden--;
	ui->dirty |= UI_DIRTY_PEERS | UI_DIRTY_STATUS;
}

static int
ui_close(void *arg, struct peer *p, char **cause)
{
	struct ui *ui = arg;
	struct ui_view *v = ui_view_of(p);

	(void)cause;
	if (!v->hidden) {
		v->hidden = 1;
		ui->nhidden++;
	}
	if (ui->sel == p)
		ui_select(ui, 0);
	ui->dirty |= UI_DIRTY_PEERS | UI_DIRTY_STATUS;
	return 0;
}

static void
ui_clear(void *arg)
{
	struct ui *ui = arg;

	ui_view_clear(ui_current_view(ui));
	ui->dirty |= UI_DIRTY_LOG;
}

/* /myid: the key as a QR code, under the lines that gave it. */
static void
ui_qr(void *arg, const char *text)
{
	struct ui *ui = arg;
	struct ui_view *v = ui_current_view(ui);
	char **rows, *cause;
	size_t n, i;

	if (qr_rows(text, ui->utf8, &rows, &n, &cause) == -1) {
		ui_reply(ui, FE_ERROR, cause);
		free(cause);
		return;
	}
	if (ui->w_log != NULL && n > 0 &&
	    line_width(rows[0], strlen(rows[0])) > getmaxx(ui->w_log))
		ui_reply(
		    ui, FE_INFO, "(the window is too narrow for the QR code)");
	else {
		for (i = 0; i < n; i++)
			ui_view_add(v, UI_RAW, time(NULL), NULL, rows[i],
			    strlen(rows[i]));
	}
	qr_free(rows, n);
	ui->dirty |= UI_DIRTY_LOG;
}

/* Show view i; its unread count is cleared. */
void
ui_select(struct ui *ui, size_t i)
{
	if (i >= ui_nviews(ui))
		return;
	ui->sel = ui_view_peer(ui, i);
	ui->sel_room = ui_view_room(ui, i);
	if (ui->sel_room != NULL) {
		room_clear_unread(ui->sel_room);
		room_set_current(room_of(ui->app->engine), ui->sel_room);
	} else if (ui->sel != NULL)
		ui->sel->unread = 0;
	else
		ui->system->unread = 0;
	ui->dirty |= UI_DIRTY_PEERS | UI_DIRTY_TITLE | UI_DIRTY_LOG |
	    UI_DIRTY_STATUS | UI_DIRTY_XFERS;
}

static unsigned
ui_unread_of(struct ui *ui, size_t i)
{
	struct peer *p = ui_view_peer(ui, i);

	return p != NULL ? p->unread : ui->system->unread;
}

/* Show the next view, after the selected one, with something unread. */
void
ui_select_unread(struct ui *ui)
{
	size_t n = ui_nviews(ui), cur = ui_selected_index(ui), k, i;

	for (k = 1; k < n; k++) {
		i = (cur + k) % n;
		if (ui_unread_of(ui, i) > 0) {
			ui_select(ui, i);
			return;
		}
	}
	ui_notify(ui, "nothing unread");
}

/* Command output: it goes to the view the user is looking at. */
void
ui_reply(void *arg, enum fe_level level, const char *text)
{
	struct ui *ui = arg;

	if (ui->closing)
		return;
	ui_view_add(ui_current_view(ui), level == FE_INFO ? UI_INFO : UI_ERROR,
	    time(NULL), NULL, text, strlen(text));
	ui->dirty |= UI_DIRTY_LOG;
}

void
ui_notify_clear(struct ui *ui)
{
	if (ui->notice_timer != NULL)
		loop_timer_del(ui->notice_timer);
	ui->notice_timer = NULL;
	ui->notice[0] = '\0';
	ui->notice_peer = NULL;
	ui->notice_xfer = -1;
	ui->notice_comp = 0;
	ui->dirty |= UI_DIRTY_STATUS;
}

static void
ui_notice_expired(void *arg)
{
	struct ui *ui = arg;

	ui->notice_timer = NULL;
	ui_notify_clear(ui);
}

void
ui_notify_about(struct ui *ui, const char *text, struct peer *p, int64_t xfer)
{
	ui_notify_clear(ui);
	snprintf(ui->notice, sizeof ui->notice, "%s", text);
	ui->notice_peer = p;
	ui->notice_xfer = xfer;
	ui->notice_timer =
	    loop_timer_add(ui->app->loop, UI_NOTICE_MS, ui_notice_expired, ui);
}

/* A passing remark in the status bar, not kept in any view; it goes
 * after UI_NOTICE_MS, or sooner when news makes it stale. */
void
ui_notify(struct ui *ui, const char *text)
{
	ui_notify_about(ui, text, NULL, -1);
}

/* A message typed in another view (/msg): say there where it went. */
static void
ui_sent(void *arg, struct peer *p, const char *text)
{
	struct ui *ui = arg;

	if (p == ui->sel)
		return;
	ui_view_add(ui_current_view(ui), UI_ECHO, time(NULL), p->name, text,
	    strlen(text));
	ui->dirty |= UI_DIRTY_LOG;
}

/* --- engine events ------------------------------------------------------ */

static void
ui_ready(void *arg, const char *addr)
{
	struct ui *ui = arg;

	if (ui->closing)
		return;
	snprintf(ui->listen, sizeof ui->listen, "%s", addr);
	ui->dirty |= UI_DIRTY_STATUS;
}

static void
ui_peer_changed(void *arg, struct peer *p)
{
	struct ui *ui = arg;
	struct ui_view *v;

	if (ui->closing)
		return;
	v = ui_view_of(p);
	ui->dirty |= UI_DIRTY_PEERS | UI_DIRTY_STATUS;
	/* A new contact request is news in the system view. */
	if (p->state == PEER_REQUEST && v->state != PEER_REQUEST + 1 &&
	    ui->sel != NULL) {
		ui->system->unread++;
		if (ui->app->conf->bell)
			ui->bell = 1;
	}
	v->state = (int)p->state + 1;
	/* "bob went offline" is wrong once bob is back. */
	if (ui->notice_peer == p && p->state == PEER_ONLINE)
		ui_notify_clear(ui);
	/* The strip says when a transfer waits for the peer. */
	if (p == ui->sel)
		ui->dirty |= UI_DIRTY_TITLE | UI_DIRTY_XFERS;
}

static void
ui_peer_removed(void *arg, struct peer *p)
{
	struct ui *ui = arg;

	if (ui->closing)
		return;
	if (ui->sel == p) {
		ui->sel = NULL;
		ui->dirty |= UI_DIRTY_TITLE | UI_DIRTY_LOG | UI_DIRTY_XFERS;
	}
	if (ui->notice_peer == p)
		ui_notify_clear(ui);
	if (ui_hidden(p))
		ui->nhidden--;
	ui_view_free(p->fe_data);
	p->fe_data = NULL;
	ui->dirty |= UI_DIRTY_PEERS | UI_DIRTY_STATUS;
}

static void
ui_message(void *arg, struct peer *p, int outgoing, const uint8_t id[16],
    int64_t time_ms, const char *text, size_t len)
{
	struct ui *ui = arg;
	struct ui_view *v;
	struct ui_line *l;

	if (ui->closing)
		return;
	/* A view created just now read this line from the store already. */
	v = ui_view_of(p);
	ui_unhide(ui, p);
	if (v->count > 0 &&
	    (l = ui_view_line(v, v->first + (int64_t)v->count - 1)) != NULL &&
	    (l->kind == UI_SELF || l->kind == UI_PEER) &&
	    memcmp(l->id, id, sizeof l->id) == 0)
		return;
	/* Incoming lines get our clock: the sender's is theirs to set. The
	 * peer is named by its name, not the nick it chose (see title). */
	l = ui_view_add(v, outgoing ? UI_SELF : UI_PEER,
	    outgoing ? (time_t)(time_ms / 1000) : time(NULL),
	    outgoing ? engine_nick(ui->app->engine) : p->name, text, len);
	l->pending = outgoing;
	memcpy(l->id, id, sizeof l->id);
	if (p == ui->sel)
		ui->dirty |= UI_DIRTY_LOG;
	else if (!outgoing) {
		p->unread++;
		ui->dirty |= UI_DIRTY_PEERS | UI_DIRTY_STATUS;
		if (ui->app->conf->bell)
			ui->bell = 1;
	}
}

static void
ui_delivered(void *arg, struct peer *p, const uint8_t id[16])
{
	struct ui *ui = arg;

	if (ui->closing)
		return;
	if (ui_view_delivered(ui_view_of(p), id) && p == ui->sel)
		ui->dirty |= UI_DIRTY_LOG;
}

static void
ui_notice(void *arg, struct peer *p, enum fe_level level, const char *text)
{
	struct ui *ui = arg;
	enum ui_kind kind = level == FE_INFO ? UI_INFO : UI_ERROR;
	size_t len = strlen(text);

	if (ui->closing)
		return;
	ui_view_add(ui->system, kind, time(NULL), NULL, text, len);
	if (p != NULL)
		ui_view_add(ui_view_of(p), kind, time(NULL), NULL, text, len);
	if (ui->sel == NULL || ui->sel == p)
		ui->dirty |= UI_DIRTY_LOG;
	else if (level != FE_INFO) {
		ui->system->unread++;
		ui->dirty |= UI_DIRTY_PEERS;
	}
	ui_notify_about(ui, text, p, -1);
}

static void
ui_flip(void *arg, struct peer *p, const struct flip *fl)
{
	struct ui *ui = arg;
	char buf[512];

	if (ui->closing)
		return;
	flip_describe(fl, buf, sizeof buf);
	ui_view_add(ui_view_of(p), UI_FLIP, time(NULL), NULL, buf, strlen(buf));
	if (p == ui->sel) {
		ui->dirty |= UI_DIRTY_LOG;
		return;
	}
	/* Elsewhere, only how it ended: the description names the peer. */
	if (fl->state == FLIP_PENDING)
		return;
	ui_view_add(ui->system, UI_FLIP, time(NULL), NULL, buf, strlen(buf));
	ui_notify(ui, buf);
	if (ui->sel == NULL)
		ui->dirty |= UI_DIRTY_LOG;
}

/* A transfer's new state as a line of its peer's view. */
static void
ui_xfer_text(
    struct ui *ui, struct peer *p, const struct xfer *x, char *buf, size_t len)
{
	const char *declined, *why;
	char size[FMT_SIZE_LEN];
	long long n = (long long)x->num;

	fmt_size(x->size, size, sizeof size);
	switch (x->state) {
	case XFER_HASHING:
		snprintf(buf, len, "preparing %s (%s) for %s (#%lld)%s",
		    x->name, size, p->name, n,
		    ui->utf8 ? "\xe2\x80\xa6" : "...");
		break;
	case XFER_OFFERED:
		if (x->outgoing && x->unsent)
			snprintf(buf, len,
			    "will offer %s (%s) when %s is online (#%lld)",
			    x->name, size, p->name, n);
		else if (x->outgoing)
			snprintf(buf, len, "offered %s (%s) to %s (#%lld)",
			    x->name, size, p->name, n);
		else
			snprintf(buf, len,
			    "%s offers %s (%s): /accept #%lld saves it in %s, "
			    "/decline #%lld refuses",
			    p->name, x->name, size, n,
			    ui->app->conf->download_dir, n);
		break;
	case XFER_ACTIVE:
		snprintf(buf, len, "%s %s (%s) %s %s (#%lld)",
		    x->outgoing ? "sending" : "receiving", x->name, size,
		    x->outgoing ? "to" : "from", p->name, n);
		break;
	case XFER_DONE:
		if (x->outgoing)
			snprintf(buf, len, "%s has %s (%s, verified)", p->name,
			    x->name, size);
		else
			snprintf(buf, len, "saved %s (%s, verified) as %s",
			    x->name, size, x->path != NULL ? x->path : "?");
		break;
	case XFER_CANCELLED:
		declined = x->reason == PROTO_CANCEL_DECLINED ? "declined"
		                                              : "cancelled";
		why = x->reason > PROTO_CANCEL_DECLINED
		    ? proto_cancel_text((uint8_t)x->reason)
		    : NULL;
		snprintf(buf, len, "%s (#%lld) %s%s%s%s%s", x->name, n,
		    declined, x->by_peer ? " by " : "",
		    x->by_peer ? p->name : "", why != NULL ? ": " : "",
		    why != NULL ? why : "");
		break;
	case XFER_FAILED:
		snprintf(buf, len, "%s (#%lld) failed", x->name, n);
		break;
	}
}

/*
 * A transfer is new or changed state: a line in its peer's view, and for
 * a peer not shown, offers and endings also in the system view. Progress
 * only redraws the strip, and only for the peer shown.
 */
static void
ui_xfer(void *arg, struct peer *p, const struct xfer *x, int changed)
{
	struct ui *ui = arg;
	enum ui_kind kind;
	char buf[2048];
	int offer;

	if (ui->closing)
		return;
	if (p == ui->sel)
		ui->dirty |= UI_DIRTY_XFERS;
	if (!changed)
		return;
	/* An offer accepted, a transfer ended: its older notice is stale. */
	if (ui->notice_peer == p && ui->notice_xfer == x->num)
		ui_notify_clear(ui);
	ui_xfer_text(ui, p, x, buf, sizeof buf);
	kind = x->state == XFER_FAILED ? UI_ERROR : UI_INFO;
	ui_view_add(ui_view_of(p), kind, time(NULL), NULL, buf, strlen(buf));
	if (p == ui->sel) {
		ui->dirty |= UI_DIRTY_LOG;
		return;
	}
	offer = !x->outgoing && x->state == XFER_OFFERED;
	if (offer) {
		ui_unhide(ui, p);
		p->unread++;
		ui->dirty |= UI_DIRTY_PEERS | UI_DIRTY_STATUS;
		if (ui->app->conf->bell)
			ui->bell = 1;
	}
	if (offer || x->state >= XFER_DONE) {
		ui_view_add(
		    ui->system, kind, time(NULL), NULL, buf, strlen(buf));
		ui_notify_about(ui, buf, p, (int64_t)x->num);
		if (ui->sel == NULL)
			ui->dirty |= UI_DIRTY_LOG;
	}
}

/* A room file download started or ended: a line in the system view;
 * progress redraws the strip of a room in view. */
static void
ui_swarm(void *arg, const struct swarm_report *r, int changed)
{
	struct ui *ui = arg;
	char buf[2048];

	if (ui->closing)
		return;
	if (ui->sel_room != NULL)
		ui->dirty |= UI_DIRTY_XFERS; /* the strip: the room's files */
	if (!changed)
		return;
	if (r->done)
		snprintf(buf, sizeof buf, "room file %s (#%lld) saved as %s",
		    r->name, (long long)r->num, r->path);
	else
		snprintf(buf, sizeof buf,
		    "room file %s (#%lld): %s, from %zu sources (/transfers)",
		    r->name, (long long)r->num, r->state, r->sources);
	ui_view_add(ui->system, UI_INFO, time(NULL), NULL, buf, strlen(buf));
	if (r->done)
		ui_notify_about(ui, buf, NULL, -1);
	if (ui->sel == NULL)
		ui->dirty |= UI_DIRTY_LOG;
}

static const struct fe_ops ui_ops = {
	.ready = ui_ready,
	.peer_changed = ui_peer_changed,
	.peer_removed = ui_peer_removed,
	.message = ui_message,
	.delivered = ui_delivered,
	.notice = ui_notice,
	.flip = ui_flip,
	.xfer = ui_xfer,
	.room = ui_room_report,
	.swarm = ui_swarm,
};

/* --- drawing ------------------------------------------------------------ */

static void
ui_status_draw(struct ui *ui)
{
	struct engine *eng = ui->app->engine;
	WINDOW *w = ui->w_status;
	char fp[IDENT_SHORT_LEN + 1], act[64] = "", *s;
	size_t i, k = 0, online = 0, v = 0, n = engine_npeers(eng);
	struct peer *p;

	for (i = 0; i < n; i++) {
		p = engine_peer(eng, i);
		online += p->state == PEER_ONLINE;
		if (!ui_hidden(p))
			v++;
		if (p->unread > 0 && k + 8 < sizeof act)
			k += (size_t)snprintf(act + k, sizeof act - k, "%s%zu",
			    k == 0 ? " | act " : ",", v);
	}
	if (ui->system->unread > 0 && k + 8 < sizeof act)
		snprintf(
		    act + k, sizeof act - k, "%s0", k == 0 ? " | act " : ",");
	ident_short(ui->app->id->pk, fp);
	s = xasprintf(" %s (%s) | %s | %zu/%zu online%s | %s", engine_nick(eng),
	    fp, ui->listen, online, n, act, ui->notice);
	werase(w);
	wmove(w, 0, 0);
	whline(w, ' ' | ui->style.bar, getmaxx(w));
	ui_put_cut(w, s, getmaxx(w), ui->style.bar, ui->utf8);
	free(s);
}

static void
ui_delete_windows(struct ui *ui)
{
	WINDOW **w[] = { &ui->w_peers, &ui->w_title, &ui->w_log, &ui->w_status,
		&ui->w_xfers, &ui->w_input };
	size_t i;

	for (i = 0; i < sizeof w / sizeof w[0]; i++) {
		if (*w[i] != NULL)
			delwin(*w[i]);
		*w[i] = NULL;
	}
}

/* Make the windows for the terminal's size, or the "too small" view. */
static void
ui_layout(struct ui *ui)
{
	int rows, cols, pw, xr;

	ui_delete_windows(ui);
	getmaxyx(stdscr, rows, cols);
	ui->rows = rows;
	ui->cols = cols;
	werase(stdscr);
	ui->too_small = cols < UI_MIN_COLS || rows < UI_MIN_ROWS;
	if (ui->too_small) {
		mvwaddstr(stdscr, 0, 0, "terminal too small");
		mvwprintw(stdscr, 1, 0, "%dx%d, need %dx%d", cols, rows,
		    UI_MIN_COLS, UI_MIN_ROWS);
		wnoutrefresh(stdscr);
		return;
	}
	/* stdscr underneath, refreshed once so get_wch never repaints it. */
	wnoutrefresh(stdscr);
	/* The conversation keeps UI_LOG_COLS where the list can shrink,
	 * the list at most half and at least UI_PEERS_MIN, or peer_width
	 * if that is narrower (10 and 11 are valid settings). */
	pw = ui->app->conf->peer_width;
	if (pw > cols - UI_LOG_COLS)
		pw = cols - UI_LOG_COLS;
	if (pw > cols / 2)
		pw = cols / 2;
	if (pw < UI_PEERS_MIN)
		pw = ui->app->conf->peer_width < UI_PEERS_MIN
		    ? ui->app->conf->peer_width
		    : UI_PEERS_MIN;
	ui->pw = pw;
	/* The strip is at most half of what the panes above leave. */
	ui->xfer_rows = xr = ui_xfers_rows(ui, rows);
	ui->w_peers = newwin(rows - 2 - xr, pw, 0, 0);
	ui->w_title = newwin(1, cols - pw, 0, pw);
	ui->w_log = newwin(rows - 3 - xr, cols - pw, 1, pw);
	ui->w_status = newwin(1, cols, rows - 2 - xr, 0);
	if (xr > 0 &&
	    (ui->w_xfers = newwin(xr, cols, rows - 1 - xr, 0)) == NULL)
		fatal("cannot create windows");
	ui->w_input = newwin(1, cols, rows - 1, 0);
	if (ui->w_peers == NULL || ui->w_title == NULL || ui->w_log == NULL ||
	    ui->w_status == NULL || ui->w_input == NULL)
		fatal("cannot create windows");
	ui->dirty |= UI_DIRTY_ALL & ~UI_DIRTY_LAYOUT;
}

static void
ui_draw(void *arg)
{
	struct ui *ui = arg;
	int dirty = ui->dirty;

	/* Received lines are in the log model by now: shown. */
	engine_shown(ui->app->engine, engine_handed(ui->app->engine));
	if (dirty == 0)
		return;
	ui->dirty = 0;
	if (dirty & UI_DIRTY_CLEAR)
		clearok(curscr, TRUE);
	/* A transfer started or ended: the strip may need another height. */
	if ((dirty & UI_DIRTY_XFERS) && !ui->too_small && ui->w_log != NULL &&
	    ui_xfers_rows(ui, ui->rows) != ui->xfer_rows)
		dirty |= UI_DIRTY_LAYOUT;
	if ((dirty & UI_DIRTY_LAYOUT) ||
	    (!ui->too_small && ui->w_log == NULL)) {
		ui_layout(ui);
		dirty |= ui->dirty;
		ui->dirty = 0;
	}
	if (!ui->too_small) {
		if (dirty & UI_DIRTY_PEERS) {
			ui_peers_draw(ui);
			wnoutrefresh(ui->w_peers);
		}
		if (dirty & UI_DIRTY_TITLE) {
			ui_title_draw(ui);
			wnoutrefresh(ui->w_title);
		}
		if (dirty & UI_DIRTY_LOG) {
			ui_log_draw(&ui->style, ui->w_log, ui_current_view(ui));
			wnoutrefresh(ui->w_log);
		}
		if (dirty & UI_DIRTY_STATUS) {
			ui_status_draw(ui);
			wnoutrefresh(ui->w_status);
		}
		if ((dirty & UI_DIRTY_XFERS) && ui->w_xfers != NULL) {
			ui_xfers_draw(ui);
			wnoutrefresh(ui->w_xfers);
		}
		if (dirty & UI_DIRTY_INPUT)
			ui_input_draw(ui);
		/* Last, so the cursor ends up in the input line. */
		wnoutrefresh(ui->w_input);
	}
	if (ui->bell) {
		beep();
		ui->bell = 0;
	}
	doupdate();
	if (ui->frames++ == 0)
		log_debug("ui: first frame drawn %llu ms after the UI started",
		    (unsigned long long)(loop_now_ms() - ui->started_ms));
}

/* --- input and signals ---------------------------------------------------- */

static void
ui_stdin(int fd, int revents, void *arg)
{
	struct ui *ui = arg;

	(void)fd;
	ui_input_read(ui);
	/* The terminal is gone: what it sent last was still read. */
	if (revents & (POLLHUP | POLLERR))
		app_quit(ui->app, 1);
}

static void
ui_winch(int signo, void *arg)
{
	struct ui *ui = arg;
	struct winsize ws;

	(void)signo;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		resizeterm(ws.ws_row, ws.ws_col);
	ui->dirty |= UI_DIRTY_LAYOUT;
}

/* A message received before a crash and never drawn: unread. */
static int
ui_unshown(void *arg, struct peer *p, const struct engine_line *l)
{
	struct ui *ui = arg;

	(void)l;
	p->unread++;
	ui->dirty |= UI_DIRTY_PEERS | UI_DIRTY_STATUS;
	return 0;
}

static void
ui_welcome(struct ui *ui)
{
	char fp[IDENT_FP_LEN + 1], reach[256], *s;
	const char *w, *e;

	ident_fingerprint(ui->app->id->pk, fp);
	/* The configuration's warnings, one a line, without "p2ptui: ". */
	for (w = ui->app->conf_warnings; w != NULL && *w != '\0'; w = e) {
		e = w + strcspn(w, "\n");
		if (strncmp(w, "p2ptui: ", 8) == 0)
			w += 8;
		s = xstrndup(w, (size_t)(e - w));
		ui_notice(ui, NULL, FE_WARN, s);
		free(s);
		e += *e == '\n';
	}
	if (ui->app->created_conf) {
		s = xasprintf("Welcome to p2ptui. A commented configuration "
		              "was written to %s.",
		    ui->app->conf->path);
		ui_notice(ui, NULL, FE_INFO, s);
		free(s);
	}
	s = xasprintf("Your key: %s", fp);
	ui_notice(ui, NULL, FE_INFO, s);
	free(s);
	net_reachable(ui->listen, reach, sizeof reach);
	s = xasprintf(
	    "Listening on %s%s%s. To reach a peer: /connect HOST:PORT, "
	    "or add it to %s (see p2ptui.conf(5)). /help lists commands "
	    "and keys.",
	    ui->listen,
	    strcmp(reach, ui->listen) != 0 ? ": peers can dial " : "",
	    strcmp(reach, ui->listen) != 0 ? reach : "", ui->app->conf->path);
	ui_notice(ui, NULL, FE_INFO, s);
	free(s);
}

static void
ui_style_init(struct ui *ui)
{
	const struct conf *conf = ui->app->conf;
	const char *nc = getenv("NO_COLOR");
	struct ui_style *st = &ui->style;
	short bg = -1;
	int c;

	memset(st, 0, sizeof *st);
	st->timestamps = conf->timestamps;
	st->ts_format = conf->timestamp_format;
	c = conf->colors && (nc == NULL || *nc == '\0') && has_colors();
	if (c && start_color() == OK) {
		if (use_default_colors() != OK)
			bg = COLOR_BLACK;
		init_pair(UI_PAIR_SELF, ui_curses_colors[conf->color_self], bg);
		init_pair(UI_PAIR_PEER, ui_curses_colors[conf->color_peer], bg);
		init_pair(
		    UI_PAIR_SYSTEM, ui_curses_colors[conf->color_system], bg);
		init_pair(
		    UI_PAIR_ERROR, ui_curses_colors[conf->color_error], bg);
		st->colors = 1;
		st->self = COLOR_PAIR(UI_PAIR_SELF) | A_BOLD;
		st->peer = COLOR_PAIR(UI_PAIR_PEER) | A_BOLD;
		st->info = COLOR_PAIR(UI_PAIR_SYSTEM);
		st->error = COLOR_PAIR(UI_PAIR_ERROR) | A_BOLD;
		st->flip = COLOR_PAIR(UI_PAIR_SYSTEM) | A_BOLD;
	} else {
		/* Monochrome: own nick underlined, every nick bold. */
		st->self = A_BOLD | A_UNDERLINE;
		st->peer = A_BOLD;
		st->info = A_NORMAL;
		st->error = A_BOLD;
		st->flip = A_BOLD;
	}
	st->pending = A_DIM;
	st->title = A_UNDERLINE;
	st->bar = A_REVERSE;
	st->unread = A_BOLD;
}

static void
ui_free_views(struct ui *ui)
{
	struct peer *p;
	size_t i;

	for (i = 0; i < engine_npeers(ui->app->engine); i++) {
		p = engine_peer(ui->app->engine, i);
		ui_view_free(p->fe_data);
		p->fe_data = NULL;
	}
	ui_view_free(ui->system);
	ui->system = NULL;
	ui_rooms_free(ui);
	ui->sel_room = NULL;
}

int
ui_run(struct app *app, char **cause)
{
	struct ui ui;
	int ret = 0;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		*cause = xstrdup("not a terminal (use --headless for scripts)");
		return -1;
	}
	memset(&ui, 0, sizeof ui);
	ui.app = app;
	ui.ctx.app = app;
	ui.ctx.reply = ui_reply;
	ui.ctx.sent = ui_sent;
	ui.ctx.clear = ui_clear;
	ui.ctx.close = ui_close;
	ui.ctx.qr = ui_qr;
	ui.ctx.listen = ui.listen;
	ui.ctx.arg = &ui;
	ui.dirty = UI_DIRTY_ALL;
	ui.notice_xfer = -1;
	ui.started_ms = loop_now_ms();
	ui.system = ui_view_create(UI_VIEW_LINES);

	app->engine = app_engine_create(app, &ui_ops, &ui, cause);
	if (app->engine == NULL) {
		ui_view_free(ui.system);
		return -1;
	}

	setlocale(LC_ALL, "");
	ui.utf8 = strcasecmp(nl_langinfo(CODESET), "UTF-8") == 0 ||
	    strcasecmp(nl_langinfo(CODESET), "UTF8") == 0;
	if (getenv("ESCDELAY") == NULL)
		set_escdelay(25);
	if (initscr() == NULL) {
		*cause = xstrdup("cannot initialise the terminal");
		ui_free_views(&ui);
		app_engine_free(app);
		return -1;
	}
	ui_active = &ui;
	log_set_fatal_hook(ui_restore);
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	ui_style_init(&ui);
	ui_input_init(&ui);
	if (app->conf->mouse) {
		mouseinterval(0);
		mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
		        | BUTTON5_PRESSED
#endif
		    ,
		    NULL);
	}
	/* Bracketed paste: a pasted newline must not send the line. */
	putp("\033[?2004h");
	fflush(stdout); /* putp writes to stdio, curses does not */
	ui.paste_brackets = 1;

	if (engine_start(app->engine, cause) == -1) {
		ret = -1;
		goto out;
	}
	/* What a crash kept from being shown is in the history views:
	 * count it unread. */
	if (engine_unshown(app->engine, ui_unshown, &ui, cause) == -1) {
		ret = -1;
		goto out;
	}
	ui_welcome(&ui);
	ui.watch =
	    loop_watch_add(app->loop, STDIN_FILENO, POLLIN, ui_stdin, &ui);
	loop_signal(app->loop, SIGWINCH, ui_winch, &ui);
	loop_set_before_sleep(app->loop, ui_draw, &ui);
	if (loop_run(app->loop) == -1) {
		*cause = xasprintf("poll: %s", strerror(errno));
		ret = -1;
	}
	engine_shutdown(app->engine, 2000);
out:
	loop_set_before_sleep(app->loop, NULL, NULL);
	if (ui.watch != NULL)
		loop_watch_del(ui.watch);
	ui_restore();
	log_set_fatal_hook(NULL);
	ui_active = NULL;
	ui.closing = 1;
	if (ui.notice_timer != NULL)
		loop_timer_del(ui.notice_timer);
	ui.notice_timer = NULL;
	ui_delete_windows(&ui);
	ui_input_free(&ui);
	ui_free_views(&ui);
	app_engine_free(app);
	return ret;
}
