/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Views and the conversation pane: the model (a bounded ring of lines per
 * view, each numbered by a seq that never changes) and its drawing.
 *
 * A line is drawn as a prefix, "[TIME ]<nick> " for messages ("* nick "
 * before the rest of an action, "/me ...") or "[TIME ]-- " / "!! " /
 * "** " for notices, errors and flips, then the text wrapped at its
 * newlines and at spaces where possible (other control characters show
 * as '?'); continuation rows are indented to the end of the prefix
 * unless that would take more than half the pane. Row counts are cached
 * per line for the last width they were measured at, so scrolling and
 * drawing cost what is visible, not what is held.
 *
 * Scrolling keeps the line and row at the bottom of the pane (anchor,
 * anchor_row), or follow when the view sits at the bottom. The top
 * position is the one where the first line's first row is at the top of
 * the pane; a view shorter than the pane always follows and is drawn from
 * the top.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "conf.h"
#include "engine.h"
#include "ident.h"
#include "line.h"
#include "proto.h"
#include "ui.h"
#include "util.h"
#include "xmalloc.h"

struct ui_view *
ui_view_create(size_t max)
{
	struct ui_view *v = xcalloc(1, sizeof *v);

	v->max = max > 0 ? max : UI_VIEW_LINES;
	v->follow = 1;
	return v;
}

void
ui_view_free(struct ui_view *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->count; i++)
		free(v->ring[(v->head + i) % v->cap]);
	free(v->ring);
	free(v);
}

void
ui_view_clear(struct ui_view *v)
{
	size_t i;

	for (i = 0; i < v->count; i++)
		free(v->ring[(v->head + i) % v->cap]);
	v->first += (int64_t)v->count;
	v->count = 0;
	v->head = 0;
	v->follow = 1;
	v->history_done = 1;
}

/* Make room for one more line (the ring grows up to max). */
static void
ui_view_grow(struct ui_view *v)
{
	struct ui_line **r;
	size_t cap, i;

	if (v->count < v->cap)
		return;
	cap = v->cap > 0 ? v->cap * 2 : 64;
	if (cap > v->max)
		cap = v->max;
	r = xreallocarray(NULL, cap, sizeof *r);
	for (i = 0; i < v->count; i++)
		r[i] = v->ring[(v->head + i) % v->cap];
	free(v->ring);
	v->ring = r;
	v->cap = cap;
	v->head = 0;
}

static struct ui_line *
ui_line_new(enum ui_kind kind, time_t when, const char *nick, const char *text,
    size_t len)
{
	size_t nlen = nick != NULL ? strlen(nick) : 0, elen;
	struct ui_line *l;
	char *esc;

	/* Measured and drawn as shown: bidirectional controls escaped. */
	if ((esc = util_bidi_escape(text, len, &elen)) != NULL) {
		l = ui_line_new(kind, when, nick, esc, elen);
		free(esc);
		return l;
	}
	if (nlen > 255)
		nlen = 255;
	if (len > UINT32_MAX - 1)
		len = UINT32_MAX - 1;
	l = xmalloc(sizeof *l + nlen + len + 1);
	memset(l, 0, sizeof *l);
	l->when = (int64_t)when;
	l->kind = (uint8_t)kind;
	l->nick_len = (uint8_t)nlen;
	l->len = (uint32_t)len;
	if (nlen > 0)
		memcpy(l->data, nick, nlen);
	memcpy(l->data + nlen, text, len);
	l->data[nlen + len] = '\0';
	return l;
}

/* --- day lines ------------------------------------------------------- */

/* The local day of t as yyyymmdd, 0 if unknown. */
static long
ui_day_of(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		return 0;
	return (tm.tm_year + 1900L) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday;
}

/* The day line for t: English names, whatever the locale, so screens
 * and scripts compare. */
static struct ui_line *
ui_day_line(int64_t t)
{
	static const char *wday[] = { "Sunday", "Monday", "Tuesday",
		"Wednesday", "Thursday", "Friday", "Saturday" };
	static const char *mon[] = { "January", "February", "March", "April",
		"May", "June", "July", "August", "September", "October",
		"November", "December" };
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[64];

	if (localtime_r(&tt, &tm) == NULL)
		return NULL;
	snprintf(buf, sizeof buf, "--- %s %d %s %d ---", wday[tm.tm_wday % 7],
	    tm.tm_mday, mon[tm.tm_mon % 12], tm.tm_year + 1900);
	return ui_line_new(UI_DAY, tt, NULL, buf, strlen(buf));
}

/* The newest (else the oldest) line with a time of its own, or NULL. */
static struct ui_line *
ui_view_dated(const struct ui_view *v, int newest)
{
	struct ui_line *l;
	size_t i;

	for (i = 0; i < v->count && i < 64; i++) {
		l = v->ring[(v->head + (newest ? v->count - 1 - i : i)) %
		    v->cap];
		if (l->kind != UI_DAY && l->kind != UI_RAW)
			return l;
	}
	return NULL;
}

static void ui_view_push(struct ui_view *, struct ui_line *);
static int ui_view_push_front(struct ui_view *, struct ui_line *);

void
ui_view_day_top(struct ui_view *v)
{
	struct ui_line *l = ui_view_dated(v, 0), *d;

	if (l == NULL || v->ring[v->head]->kind == UI_DAY)
		return;
	if ((d = ui_day_line(l->when)) != NULL && !ui_view_push_front(v, d))
		free(d);
}

/* --- adding lines ------------------------------------------------------ */

struct ui_line *
ui_view_add(struct ui_view *v, enum ui_kind kind, time_t when, const char *nick,
    const char *text, size_t len)
{
	struct ui_line *l = ui_line_new(kind, when, nick, text, len), *last, *d;

	if (kind != UI_RAW && (last = ui_view_dated(v, 1)) != NULL &&
	    ui_day_of(last->when) != ui_day_of((int64_t)when) &&
	    (d = ui_day_line((int64_t)when)) != NULL)
		ui_view_push(v, d);
	ui_view_push(v, l);
	return l;
}

static void
ui_view_push(struct ui_view *v, struct ui_line *l)
{

	if (v->count == v->max) {
		free(v->ring[v->head]);
		v->head = (v->head + 1) % v->cap;
		v->count--;
		v->first++;
		if (!v->follow && v->anchor < v->first) {
			v->anchor = v->first;
			v->anchor_row = 0;
		}
	}
	ui_view_grow(v);
	v->ring[(v->head + v->count) % v->cap] = l;
	v->count++;
}

static int
ui_view_push_front(struct ui_view *v, struct ui_line *l)
{
	if (v->count == v->max)
		return 0;
	ui_view_grow(v);
	v->head = (v->head + v->cap - 1) % v->cap;
	v->ring[v->head] = l;
	v->count++;
	v->first--;
	return 1;
}

struct ui_line *
ui_view_add_front(struct ui_view *v, enum ui_kind kind, time_t when,
    const char *nick, const char *text, size_t len)
{
	struct ui_line *l, *old = ui_view_dated(v, 0), *d;

	/* The day of the line below begins here. */
	if (old != NULL && ui_day_of(old->when) != ui_day_of((int64_t)when) &&
	    v->ring[v->head]->kind != UI_DAY &&
	    (d = ui_day_line(old->when)) != NULL && !ui_view_push_front(v, d))
		free(d);
	l = ui_line_new(kind, when, nick, text, len);
	if (!ui_view_push_front(v, l)) {
		free(l);
		return NULL;
	}
	return l;
}

struct ui_line *
ui_view_line(const struct ui_view *v, int64_t seq)
{
	if (seq < v->first || seq >= v->first + (int64_t)v->count)
		return NULL;
	return v->ring[(v->head + (size_t)(seq - v->first)) % v->cap];
}

int
ui_view_delivered(struct ui_view *v, const uint8_t id[16])
{
	struct ui_line *l;
	size_t i;

	/* Acks come soon after the message: look at the recent lines. */
	for (i = 0; i < v->count && i < 4096; i++) {
		l = v->ring[(v->head + v->count - 1 - i) % v->cap];
		if (l->kind == UI_SELF && memcmp(l->id, id, 16) == 0) {
			l->pending = 0;
			return 1;
		}
	}
	return 0;
}

/* --- layout of one line ---------------------------------------------- */

struct ui_fmt {
	char pre[256]; /* the prefix: time, then nick or marker */
	size_t plen;
	size_t ts_len; /* the time and its space */
	int pw; /* columns of the prefix */
	int indent; /* column where continuation rows start */
	attr_t mark_attr, text_attr;
	const char *text;
	size_t n;
};

static void
ui_fmt_line(const struct ui_style *st, const struct ui_line *l, int width,
    struct ui_fmt *f)
{
	time_t t = (time_t)l->when;
	struct tm tm;
	size_t k = 0, act = 0;
	const char *mark;

	f->pre[0] = '\0';
	if (l->kind != UI_RAW && l->kind != UI_DAY && st->timestamps &&
	    localtime_r(&t, &tm) != NULL) {
		/* The format is the user's own setting. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		k = strftime(f->pre, 128, st->ts_format, &tm);
#pragma GCC diagnostic pop
		if (k > 0)
			f->pre[k++] = ' ';
	}
	f->ts_len = k;
	switch (l->kind) {
	case UI_ECHO:
		k += (size_t)snprintf(f->pre + k, sizeof f->pre - k,
		    "-> %.*s: ", (int)l->nick_len, l->data);
		f->mark_attr = st->self;
		f->text_attr = A_NORMAL;
		break;
	case UI_SELF:
	case UI_PEER:
		/* An action, "/me waves", is "* alice waves". */
		act = proto_action(
		    (const uint8_t *)l->data + l->nick_len, l->len);
		k += (size_t)snprintf(f->pre + k, sizeof f->pre - k,
		    act != 0 ? "* %.*s " : "<%.*s> ", (int)l->nick_len,
		    l->data);
		f->mark_attr = l->kind == UI_SELF ? st->self : st->peer;
		f->text_attr = l->pending ? st->pending : A_NORMAL;
		break;
	case UI_RAW:
		f->mark_attr = f->text_attr = A_NORMAL;
		break;
	case UI_DAY:
		f->mark_attr = f->text_attr = st->info;
		break;
	default:
		mark = l->kind == UI_ERROR ? "!! "
		    : l->kind == UI_FLIP   ? "** "
		                           : "-- ";
		k +=
		    (size_t)snprintf(f->pre + k, sizeof f->pre - k, "%s", mark);
		f->mark_attr = f->text_attr = l->kind == UI_ERROR ? st->error
		    : l->kind == UI_FLIP                          ? st->flip
		                                                  : st->info;
		break;
	}
	if (k >= sizeof f->pre)
		k = sizeof f->pre - 1;
	f->plen = k;
	f->pw = line_width(f->pre, k);
	f->indent = f->pw <= width / 2 ? f->pw : 0;
	f->text = l->data + l->nick_len + act;
	f->n = l->len - act;
}

/* Iterates over the rows of a line: the bytes of text each one shows. */
struct ui_rows {
	const struct ui_fmt *f;
	int width;
	size_t pos;
	int row, done;
};

static int
ui_rows_next(struct ui_rows *r, size_t *off, size_t *len, int *x)
{
	const struct ui_fmt *f = r->f;
	size_t k, skip, word;
	int avail, cols, w;

	if (r->done)
		return 0;
	if (r->row == 0) {
		avail = r->width - f->pw;
		*x = f->pw;
		if (avail < 0) {
			avail = 0;
			*x = r->width;
		}
	} else {
		avail = r->width - f->indent;
		*x = f->indent;
	}
	k = line_wrap(f->text + r->pos, f->n - r->pos, avail, &cols, &skip);
	/* A word cut after the prefix goes whole to the next row if it fits
	 * there: only a word longer than a row is broken. */
	if (r->row == 0 && skip == 0 && k < f->n - r->pos) {
		word = strcspn(f->text + r->pos, " \n");
		if (word > f->n - r->pos)
			word = f->n - r->pos;
		if (line_width(f->text + r->pos, word) <= r->width - f->indent)
			k = 0;
	}
	if (k == 0 && skip == 0 && r->row > 0 && r->pos < f->n)
		k = line_cluster(f->text + r->pos, f->n - r->pos, &w);
	*off = r->pos;
	*len = k;
	r->pos += k + skip;
	r->row++;
	if (r->pos >= f->n)
		r->done = 1;
	return 1;
}

int
ui_line_rows(const struct ui_style *st, struct ui_line *l, int width)
{
	struct ui_fmt f;
	struct ui_rows r;
	size_t off, len;
	int x, n = 0;

	if (l->width == width && l->rows > 0)
		return l->rows;
	ui_fmt_line(st, l, width, &f);
	memset(&r, 0, sizeof r);
	r.f = &f;
	r.width = width;
	while (ui_rows_next(&r, &off, &len, &x))
		n++;
	l->width = width;
	l->rows = n;
	return n;
}

/* --- scrolling ---------------------------------------------------------- */

static int
ui_rows_of(
    const struct ui_style *st, const struct ui_view *v, int64_t seq, int w)
{
	return ui_line_rows(st, ui_view_line(v, seq), w);
}

static int64_t
ui_view_last(const struct ui_view *v)
{
	return v->first + (int64_t)v->count - 1;
}

/* The line and row at the bottom of the pane. */
static void
ui_view_pos(const struct ui_style *st, struct ui_view *v, int width,
    int64_t *seq, int *row)
{
	int n;

	if (v->follow || v->anchor > ui_view_last(v)) {
		*seq = ui_view_last(v);
		*row = ui_rows_of(st, v, *seq, width) - 1;
		return;
	}
	*seq = v->anchor < v->first ? v->first : v->anchor;
	n = ui_rows_of(st, v, *seq, width);
	*row = v->anchor_row < n ? v->anchor_row : n - 1;
}

static void
ui_view_set(const struct ui_style *st, struct ui_view *v, int width,
    int64_t seq, int row)
{
	if (seq == ui_view_last(v) &&
	    row >= ui_rows_of(st, v, seq, width) - 1) {
		v->follow = 1;
		return;
	}
	v->follow = 0;
	v->anchor = seq;
	v->anchor_row = row;
}

void
ui_view_top(const struct ui_style *st, struct ui_view *v, int width, int height)
{
	int64_t seq = v->first, last = ui_view_last(v);
	int r = height - 1, n;

	if (v->count == 0 || width <= 0 || height <= 0)
		return;
	while (seq <= last) {
		n = ui_rows_of(st, v, seq, width);
		if (r < n) {
			ui_view_set(st, v, width, seq, r);
			return;
		}
		r -= n;
		seq++;
	}
	v->follow = 1; /* shorter than the pane */
}

void
ui_view_bottom(struct ui_view *v)
{
	v->follow = 1;
}

/*
 * Not past the top: a view scrolled back has a full pane above its bottom
 * row, also after the pane grew or got wider.
 */
static void
ui_view_clamp(
    const struct ui_style *st, struct ui_view *v, int width, int height)
{
	int64_t seq, s;
	int row, above;

	if (v->follow || v->count == 0)
		return;
	ui_view_pos(st, v, width, &seq, &row);
	above = row + 1;
	for (s = seq; above < height && s > v->first; s--)
		above += ui_rows_of(st, v, s - 1, width);
	if (above < height)
		ui_view_top(st, v, width, height);
}

void
ui_view_scroll(const struct ui_style *st, struct ui_view *v, int delta,
    int width, int height)
{
	int64_t seq, last = ui_view_last(v);
	int row, n;

	if (v->count == 0 || width <= 0 || height <= 0 || delta == 0)
		return;
	ui_view_pos(st, v, width, &seq, &row);
	if (delta > 0) {
		if (v->follow)
			return;
		while (delta > 0) {
			n = ui_rows_of(st, v, seq, width);
			if (row + delta < n) {
				row += delta;
				break;
			}
			if (seq == last) {
				v->follow = 1;
				return;
			}
			delta -= n - row;
			seq++;
			row = 0;
		}
		ui_view_set(st, v, width, seq, row);
		return;
	}
	delta = -delta;
	while (delta > 0) {
		if (row >= delta) {
			row -= delta;
			break;
		}
		delta -= row + 1;
		if (seq == v->first) {
			row = 0;
			break;
		}
		seq--;
		row = ui_rows_of(st, v, seq, width) - 1;
	}
	ui_view_set(st, v, width, seq, row);
	ui_view_clamp(st, v, width, height);
}

/* --- drawing -------------------------------------------------------------- */

void
ui_put_cluster(WINDOW *w, const wchar_t *s, size_t n)
{
	wchar_t one[2] = { L' ', L'\0' };
	cchar_t cc;
	size_t i, j = 0;

	if (n == 0)
		return;
	/* A zero-width character first joins nothing: put it on a space. */
	if (wcwidth(s[0]) != 0)
		one[0] = s[j++];
	setcchar(&cc, one, A_NORMAL, 0, NULL);
	/*
	 * setcchar() stops at a spacing character, but the cell is written
	 * out whole: the joined emoji after a ZWJ go in the same cell, so
	 * curses advances by the first character's width as the terminal
	 * does. A cell holds CCHARW_MAX characters: a longer cluster ends
	 * before a joiner, showing its first part.
	 */
	for (i = 1; j < n && i < CCHARW_MAX; i++)
		cc.chars[i] = s[j++];
	if (j < n && i > 1 && cc.chars[i - 1] == LINE_ZWJ)
		cc.chars[i - 1] = L'\0';
	wadd_wch(w, &cc);
}

int
ui_put(WINDOW *w, const char *s, size_t n, int maxcols, attr_t attr)
{
	wchar_t buf[64];
	size_t k, i, nb;
	int cw, cols = 0, width;
	char *esc;

	/* Text from peers has them escaped already; names and titles here. */
	if ((esc = util_bidi_escape(s, n, &k)) != NULL) {
		cols = ui_put(w, esc, k, maxcols, attr);
		free(esc);
		return cols;
	}
	wattrset(w, attr);
	while (n > 0) {
		k = line_cluster(s, n, &cw);
		if (cols + cw > maxcols)
			break;
		for (i = 0, nb = 0; i < k && nb < sizeof buf / sizeof buf[0];
		     nb++)
			i += line_decode(s + i, k - i, &buf[nb], &width);
		ui_put_cluster(w, buf, nb);
		cols += cw;
		s += k;
		n -= k;
	}
	wattrset(w, A_NORMAL);
	return cols;
}

int
ui_put_cut(WINDOW *w, const char *s, int maxcols, attr_t attr, int utf8)
{
	const char *dots = utf8 ? "\xe2\x80\xa6" : "...";
	int dw = utf8 ? 1 : 3, cols;
	size_t n = strlen(s), k;
	char *esc;

	/* Measured as ui_put() draws it: bidirectional controls escaped. */
	if ((esc = util_bidi_escape(s, n, &k)) != NULL) {
		cols = ui_put_cut(w, esc, maxcols, attr, utf8);
		free(esc);
		return cols;
	}
	if (line_width(s, n) <= maxcols || maxcols <= dw)
		return ui_put(w, s, n, maxcols, attr);
	cols = ui_put(w, s, n, maxcols - dw, attr);
	return cols + ui_put(w, dots, strlen(dots), dw, attr);
}

/* Draw rows [from, to] of line l at y. */
static void
ui_log_line(const struct ui_style *st, WINDOW *w, struct ui_line *l, int width,
    int y, int from, int to)
{
	struct ui_fmt f;
	struct ui_rows r;
	size_t off, len;
	int x, row = 0, c;

	ui_fmt_line(st, l, width, &f);
	memset(&r, 0, sizeof r);
	r.f = &f;
	r.width = width;
	while (row <= to && ui_rows_next(&r, &off, &len, &x)) {
		if (row >= from) {
			wmove(w, y + row - from, 0);
			if (row == 0) {
				c = ui_put(w, f.pre, f.ts_len, width, A_NORMAL);
				ui_put(w, f.pre + f.ts_len, f.plen - f.ts_len,
				    width - c, f.mark_attr);
			}
			wmove(w, y + row - from, x);
			ui_put(w, f.text + off, len, width - x, f.text_attr);
		}
		row++;
	}
}

void
ui_log_draw(const struct ui_style *st, WINDOW *w, struct ui_view *v)
{
	struct {
		int64_t seq;
		int from, to;
	} * vis;
	int64_t seq;
	int h, width, row, used = 0, n, take, y = 0, i, nv = 0;
	char more[64];

	werase(w);
	getmaxyx(w, h, width);
	if (v->count == 0 || h <= 0 || width <= 0)
		return;
	ui_view_clamp(st, v, width, h);
	ui_view_pos(st, v, width, &seq, &row);
	vis = xreallocarray(NULL, (size_t)h, sizeof *vis);
	/* From the bottom row up, until the pane is full. */
	while (used < h && seq >= v->first) {
		n = row + 1;
		take = n;
		vis[nv].from = 0;
		if (used + take > h) {
			vis[nv].from = take - (h - used);
			take = h - used;
		}
		vis[nv].seq = seq;
		vis[nv].to = row;
		nv++;
		used += take;
		if (--seq >= v->first)
			row = ui_rows_of(st, v, seq, width) - 1;
	}
	for (i = nv - 1; i >= 0; i--) {
		ui_log_line(st, w, ui_view_line(v, vis[i].seq), width, y,
		    vis[i].from, vis[i].to);
		y += vis[i].to - vis[i].from + 1;
	}
	free(vis);
	if (!v->follow) {
		n = (int)(ui_view_last(v) - v->anchor);
		if (n > 0)
			snprintf(more, sizeof more, " -- %d more below -- ", n);
		else
			snprintf(more, sizeof more, " -- more below -- ");
		n = (int)strlen(more);
		if (n > width)
			n = width;
		wmove(w, h - 1, width - n);
		ui_put(w, more, (size_t)n, n, A_REVERSE);
	}
}

/* The row above the conversation: who the view is with. */
void
ui_title_draw(struct ui *ui)
{
	WINDOW *w = ui->w_title;
	struct peer *p = ui->sel;
	char fp[IDENT_SHORT_LEN + 1], *s;
	const char *route;
	int width, nick;

	werase(w);
	width = getmaxx(w);
	wmove(w, 0, 0);
	whline(w, ' ' | ui->style.title, width);
	if (ui->sel_room != NULL)
		s = ui_room_title(ui, ui->sel_room);
	else if (p == NULL)
		s = xasprintf(" [system] notices, contact requests, errors");
	else {
		if (p->has_key)
			ident_short(p->key, fp);
		else
			strcpy(fp, "-");
		/* The name is ours to trust; the nick is what they say. */
		nick = p->nick[0] != '\0' && strcmp(p->nick, p->name) != 0;
		/* How the session runs, after where it comes from. */
		route = p->state == PEER_ONLINE ? engine_peer_route(p) : NULL;
		s = xasprintf(" %s%s%s%s | %s | key %s%s%s%s%s%s", p->name,
		    nick ? " (calls itself \"" : "", nick ? p->nick : "",
		    nick ? "\")" : "", peer_state_text(p), fp,
		    p->remote_addr[0] != '\0' ? " | " : "", p->remote_addr,
		    route != NULL ? " (" : "", route != NULL ? route : "",
		    route != NULL ? ")" : "");
	}
	ui_put(w, s, strlen(s), width, ui->style.title);
	free(s);
}
