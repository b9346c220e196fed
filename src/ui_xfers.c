/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The transfer strip, between the status bar and the input line: the
 * selected peer's unfinished transfers, or the selected room's files
 * being downloaded, one a row.
 *
 *   #3 ↓ report.pdf [#######·······]  57%  312 MiB/s  0:03 left
 *   #5 ↑ big.iso    [##············]  12%  preparing
 *   #4 ↑ notes.txt (4.0 KiB)  offered, waiting for alice
 *   +2 more (/transfers)
 *
 *   #1 ↓ disk.img   [####··········]  31%  3 sources  2.0 MiB/s  0:05 left
 *   #2 ↓ song.ogg   [··············]   0%  waiting for a member that has it
 *
 * Transfers that move (hashing, active) come first, then offers, each
 * group in number order; a room's downloads in number order; at most
 * UI_XFERS_SHOWN of them, and a row that counts the rest. The strip
 * takes no row when there is nothing to show, and never more than half
 * of the rows the panes above it would keep, so the conversation is not
 * squeezed out on a short terminal. Without a UTF-8 locale the arrows,
 * dots and ellipsis are ASCII: v ^ . ~
 *
 * The formatting of amounts is fmt.c's, shared with /transfers.
 */
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "engine.h"
#include "fmt.h"
#include "line.h"
#include "room.h"
#include "swarm.h"
#include "ui.h"
#include "xfer.h"

#define UI_XFERS_SHOWN 3
#define UI_XFERS_BAR_MAX 20 /* cells of a bar */

static int
ui_xfer_moving(const struct xfer *x)
{
	return x->state == XFER_HASHING || x->state == XFER_ACTIVE;
}

/* A row's subject: a transfer, or a room file's download. */
struct ui_xfer_item {
	const struct xfer *x;
	struct swarm_report s; /* when x is NULL */
};

/* The selected room's files being downloaded, by number. */
struct ui_xfers_room {
	struct swarms *sw;
	struct ui_xfer_item *out;
	size_t max, n;
	int64_t seen[64]; /* numbers counted: a file announced twice */
	size_t nseen;
};

static void
ui_xfers_room_cb(void *arg, const struct room_file_line *l)
{
	struct ui_xfers_room *c = arg;
	struct swarm_report r;
	size_t i, j;

	if (swarm_report_of(c->sw, l->root, &r) == -1 || r.done)
		return;
	for (i = 0; i < c->nseen; i++)
		if (c->seen[i] == r.num)
			return;
	if (c->nseen < sizeof c->seen / sizeof c->seen[0])
		c->seen[c->nseen++] = r.num;
	/* Insert in number order among the first max. */
	for (i = 0; i < c->n && i < c->max && c->out[i].s.num < r.num; i++)
		;
	if (i < c->max) {
		j = c->n < c->max ? c->n : c->max - 1;
		memmove(&c->out[i + 1], &c->out[i], (j - i) * sizeof *c->out);
		c->out[i].x = NULL;
		c->out[i].s = r;
	}
	c->n++;
}

/* The selected peer's transfers or room's downloads to show, the first
 * max of them in out; returns how many there are. */
static size_t
ui_xfers_collect(struct ui *ui, struct ui_xfer_item *out, size_t max)
{
	struct xfers *xs = xfer_of(ui->app->engine);
	struct rooms *rs = room_of(ui->app->engine);
	struct ui_xfers_room c;
	const struct xfer *x;
	size_t n = 0;
	int pass;

	if (ui->sel_room != NULL && rs != NULL) {
		memset(&c, 0, sizeof c);
		if ((c.sw = swarm_of(ui->app->engine)) == NULL)
			return 0;
		c.out = out;
		c.max = max;
		room_files(rs, ui->sel_room, ui_xfers_room_cb, &c);
		return c.n;
	}
	if (xs == NULL || ui->sel == NULL)
		return 0;
	for (pass = 0; pass < 2; pass++) {
		for (x = xfer_next(xs, NULL); x != NULL; x = xfer_next(xs, x)) {
			if (x->peer != ui->sel)
				continue;
			if (pass == 0 ? !ui_xfer_moving(x)
			              : x->state != XFER_OFFERED)
				continue;
			if (n < max)
				out[n].x = x;
			n++;
		}
	}
	return n;
}

/* Rows for the strip: one a transfer, or three and a count, at most
 * half of what the panes above would keep, at least one. */
int
ui_xfers_rows(struct ui *ui, int rows)
{
	size_t n = ui_xfers_collect(ui, NULL, 0);
	int want, avail;

	if (n == 0)
		return 0;
	want = n <= UI_XFERS_SHOWN ? (int)n : UI_XFERS_SHOWN + 1;
	/* The rows above the status bar, less the title, halved. */
	avail = (rows - 3) / 2;
	if (avail < 1)
		avail = 1;
	return want < avail ? want : avail;
}

/* One row, in three parts: the head ("#3 ↓ "), the name, the tail. */
struct ui_xfer_row {
	char head[48];
	char tail[512];
	int headw, namew, tailw;
	const char *name;
};

/* The bar and percentage of bytes of size, at the start of tail. */
static size_t
ui_xfers_bar(struct ui *ui, uint64_t bytes, uint64_t size, int cells,
    char *tail, size_t len)
{
	char bar[UI_XFERS_BAR_MAX * 4 + 3];

	fmt_bar(bytes, size, cells, "#", ui->utf8 ? "\xc2\xb7" : ".", bar,
	    sizeof bar);
	return (size_t)snprintf(
	    tail, len, " %s %3u%%", bar, fmt_percent(bytes, size));
}

/* "  RATE  ETA left" after k bytes of tail, when there is a rate. */
static void
ui_xfers_rate(double rate, uint64_t left, char *tail, size_t k, size_t len)
{
	char r[FMT_SIZE_LEN], eta[FMT_DURATION_LEN];

	if (rate <= 0 || k >= len)
		return;
	fmt_rate(rate, r, sizeof r);
	if (fmt_eta(left, rate, eta, sizeof eta) == 0)
		snprintf(tail + k, len - k, "  %s  %s left", r, eta);
}

/* A room file's download: its sources, or what it waits for. */
static void
ui_xfers_format_swarm(struct ui *ui, const struct swarm_report *s, int cells,
    struct ui_xfer_row *r)
{
	size_t k, len = sizeof r->tail;

	r->name = s->name;
	snprintf(r->head, sizeof r->head, "#%lld %s ", (long long)s->num,
	    ui->utf8 ? "\xe2\x86\x93" : "v");
	k = ui_xfers_bar(ui, s->bytes, s->size, cells, r->tail, len);
	if (s->sources == 0)
		snprintf(
		    r->tail + k, len - k, "  waiting for a member that has it");
	else {
		k += (size_t)snprintf(r->tail + k, len - k, "  %zu source%s",
		    s->sources, s->sources == 1 ? "" : "s");
		ui_xfers_rate(s->rate, s->size - s->bytes, r->tail, k, len);
	}
	r->headw = line_width(r->head, strlen(r->head));
	r->namew = line_width(s->name, strlen(s->name));
	r->tailw = line_width(r->tail, strlen(r->tail));
}

static void
ui_xfers_format(struct ui *ui, const struct ui_xfer_item *it, int cells,
    struct ui_xfer_row *r)
{
	const struct xfer *x = it->x;
	const char *who;
	char size[FMT_SIZE_LEN];
	long long n;
	size_t k, len = sizeof r->tail;

	if (x == NULL) {
		ui_xfers_format_swarm(ui, &it->s, cells, r);
		return;
	}
	who = x->peer != NULL ? x->peer->name : "?";
	n = (long long)x->num;
	r->name = x->name;
	snprintf(r->head, sizeof r->head, "#%lld %s ", n,
	    x->outgoing ? (ui->utf8 ? "\xe2\x86\x91" : "^")
	                : (ui->utf8 ? "\xe2\x86\x93" : "v"));
	if (x->state == XFER_OFFERED) {
		fmt_size(x->size, size, sizeof size);
		if (x->outgoing)
			snprintf(r->tail, len, " (%s)  offered, waiting for %s",
			    size, who);
		else
			snprintf(r->tail, len,
			    " (%s)  /accept #%lld or /decline #%lld", size, n,
			    n);
	} else {
		k = ui_xfers_bar(ui, x->bytes, x->size, cells, r->tail, len);
		if (x->error[0] != '\0')
			snprintf(r->tail + k, len - k, "  %s", x->error);
		else if (x->state == XFER_HASHING)
			snprintf(r->tail + k, len - k, "  preparing");
		else if (x->peer != NULL && x->peer->state != PEER_ONLINE)
			snprintf(r->tail + k, len - k, "  waiting for %s", who);
		else
			ui_xfers_rate(
			    x->rate, x->size - x->bytes, r->tail, k, len);
	}
	r->headw = line_width(r->head, strlen(r->head));
	r->namew = line_width(x->name, strlen(x->name));
	r->tailw = line_width(r->tail, strlen(r->tail));
}

/* The name in exactly cols columns: cut with an ellipsis, or padded. */
static int
ui_xfers_name(struct ui *ui, WINDOW *w, const char *name, int namew, int cols)
{
	int used;

	if (cols <= 0)
		return 0;
	if (namew <= cols)
		used = ui_put(w, name, strlen(name), cols, A_NORMAL);
	else {
		used = ui_put(w, name, strlen(name), cols - 1, A_NORMAL);
		used += ui_put(w, ui->utf8 ? "\xe2\x80\xa6" : "~",
		    strlen(ui->utf8 ? "\xe2\x80\xa6" : "~"), 1, A_NORMAL);
	}
	for (; used < cols; used++)
		waddch(w, ' ');
	return used;
}

/* Draw the strip into w_xfers, made for ui_xfers_rows() rows. */
void
ui_xfers_draw(struct ui *ui)
{
	WINDOW *w = ui->w_xfers;
	struct ui_xfer_item x[UI_XFERS_SHOWN];
	struct ui_xfer_row r[UI_XFERS_SHOWN];
	size_t n, k, i;
	int h, width, cells, namecol = 0, headw = 0, tailw = 0, used;
	char more[64];

	werase(w);
	getmaxyx(w, h, width);
	if (h <= 0 || width <= 0)
		return;
	n = ui_xfers_collect(ui, x, UI_XFERS_SHOWN);
	k = n <= (size_t)h && n <= UI_XFERS_SHOWN ? n : (size_t)h - 1;
	if (k > UI_XFERS_SHOWN)
		k = UI_XFERS_SHOWN;
	/* Bars shrink before names do; names line up so bars do too. */
	cells = (width - 50) / 2;
	if (cells > UI_XFERS_BAR_MAX)
		cells = UI_XFERS_BAR_MAX;
	if (cells < 6)
		cells = 6;
	for (i = 0; i < k; i++) {
		ui_xfers_format(ui, &x[i], cells, &r[i]);
		if (r[i].headw > headw)
			headw = r[i].headw;
		if (r[i].namew > namecol)
			namecol = r[i].namew;
		if (r[i].tailw > tailw)
			tailw = r[i].tailw;
	}
	if (namecol > width - headw - tailw)
		namecol = width - headw - tailw;
	if (namecol < 8)
		namecol = 8; /* the tail is cut at the edge instead */
	for (i = 0; i < k; i++) {
		wmove(w, (int)i, 0);
		used = ui_put(
		    w, r[i].head, strlen(r[i].head), width, ui->style.info);
		for (; used < headw && used < width; used++)
			waddch(w, ' ');
		used += ui_xfers_name(ui, w, r[i].name, r[i].namew,
		    namecol < width - used ? namecol : width - used);
		if (used < width)
			ui_put(w, r[i].tail, strlen(r[i].tail), width - used,
			    A_NORMAL);
	}
	if (k < n) {
		if (k == 0)
			snprintf(more, sizeof more, "%zu %s (/transfers)", n,
			    ui->sel_room != NULL ? "room files downloading"
			                         : "transfers with this peer");
		else
			snprintf(
			    more, sizeof more, "+%zu more (/transfers)", n - k);
		wmove(w, (int)k, 0);
		ui_put(w, more, strlen(more), width, ui->style.info);
	}
}
