/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The curses frontend: the only owner of <curses.h>.
 *
 *   +-----------+--------------------------------------+
 *   | peers     | conversation of the selected view    |
 *   |           |                                      |
 *   +-----------+--------------------------------------+
 *   | status bar                                       |
 *   | input line                                       |
 *   +--------------------------------------------------+
 *
 * Views: index 0 is the system view (notices, requests, errors); the
 * others follow the engine's peer list. Handlers only change the model
 * and set ui->dirty; ui_draw() runs once per loop iteration, just before
 * the loop sleeps, and ends with a single doupdate().
 */
#include <curses.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "app.h"
#include "cmd.h"
#include "conf.h"
#include "engine.h"
#include "ident.h"
#include "log.h"
#include "loop.h"
#include "xmalloc.h"

#define UI_MIN_COLS 40
#define UI_MIN_ROWS 8
#define UI_INPUT_MAX 4096
#define UI_HISTORY_MAX 4096

enum ui_kind { UI_SELF, UI_PEER, UI_SYSTEM, UI_ERROR };

struct ui_line {
	time_t when;
	enum ui_kind kind;
	char *nick;
	char *text;
};

struct ui_view {
	struct ui_line *lines;
	size_t nlines;
	size_t scroll; /* rows scrolled up from the bottom */
};

struct ui {
	struct app *app;
	struct cmd_ctx ctx;
	struct loop_watch *watch;
	int dirty;
	int too_small;
	int colors;

	struct ui_view system;
	size_t selected; /* 0: system view; i + 1: peer i */

	wchar_t input[UI_INPUT_MAX + 1];
	size_t len, cursor;
	char notice[256];
	char listen[64];
};

static struct ui *ui_active;

enum {
	UI_PAIR_SELF = 1,
	UI_PAIR_PEER,
	UI_PAIR_SYSTEM,
	UI_PAIR_ERROR,
	UI_PAIR_BAR,
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
	if (!isendwin())
		endwin();
}

static struct ui_view *
ui_view_of(struct peer *p)
{
	if (p->fe_data == NULL)
		p->fe_data = xcalloc(1, sizeof(struct ui_view));
	return p->fe_data;
}

static void
ui_view_free(struct ui_view *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->nlines; i++) {
		free(v->lines[i].nick);
		free(v->lines[i].text);
	}
	free(v->lines);
	v->lines = NULL;
	v->nlines = 0;
}

static struct peer *
ui_selected_peer(struct ui *ui)
{
	if (ui->selected == 0)
		return NULL;
	return engine_peer(ui->app->engine, ui->selected - 1);
}

static void
ui_add_line(struct ui_view *v, enum ui_kind kind, const char *nick,
    const char *text, size_t len, time_t when)
{
	struct ui_line *l;

	v->lines = xreallocarray(v->lines, v->nlines + 1, sizeof *v->lines);
	l = &v->lines[v->nlines++];
	l->when = when;
	l->kind = kind;
	l->nick = xstrdup(nick != NULL ? nick : "");
	l->text = xstrndup(text, len);
	if (v->scroll > 0)
		v->scroll++; /* keep the view where the user left it */
}

/* --- engine events -------------------------------------------------------- */

static void
ui_ready(void *arg, const char *addr)
{
	struct ui *ui = arg;

	snprintf(ui->listen, sizeof ui->listen, "%s", addr);
	ui->dirty = 1;
}

static void
ui_peer_changed(void *arg, struct peer *p)
{
	struct ui *ui = arg;

	ui_view_of(p);
	ui->dirty = 1;
}

static void
ui_peer_removed(void *arg, struct peer *p)
{
	struct ui *ui = arg;
	size_t i, n = engine_npeers(ui->app->engine);

	for (i = 0; i < n; i++) {
		if (engine_peer(ui->app->engine, i) == p)
			break;
	}
	if (ui->selected == i + 1)
		ui->selected = 0;
	else if (ui->selected > i + 1)
		ui->selected--;
	ui_view_free(p->fe_data);
	free(p->fe_data);
	p->fe_data = NULL;
	ui->dirty = 1;
}

static void
ui_message(void *arg, struct peer *p, int outgoing, const uint8_t id[16],
    int64_t time_ms, const char *text, size_t len)
{
	struct ui *ui = arg;

	(void)id;
	/* Our clock, not the sender's: their clock is theirs to set. */
	ui_add_line(ui_view_of(p), outgoing ? UI_SELF : UI_PEER,
	    outgoing ? ui->app->conf->nick
	             : (p->nick[0] != '\0' ? p->nick : p->name),
	    text, len, outgoing ? (time_t)(time_ms / 1000) : time(NULL));
	if (!outgoing && ui_selected_peer(ui) != p) {
		p->unread++;
		if (ui->app->conf->bell)
			beep();
	}
	ui->dirty = 1;
}

static void
ui_delivered(void *arg, struct peer *p, const uint8_t id[16])
{
	(void)arg;
	(void)p;
	(void)id;
}

static void
ui_notice(void *arg, struct peer *p, enum fe_level level, const char *text)
{
	struct ui *ui = arg;
	enum ui_kind kind = level == FE_INFO ? UI_SYSTEM : UI_ERROR;

	ui_add_line(&ui->system, kind, NULL, text, strlen(text), time(NULL));
	if (p != NULL && ui_selected_peer(ui) == p)
		ui_add_line(
		    ui_view_of(p), kind, NULL, text, strlen(text), time(NULL));
	snprintf(ui->notice, sizeof ui->notice, "%s", text);
	ui->dirty = 1;
}

static const struct fe_ops ui_ops = {
	.ready = ui_ready,
	.peer_changed = ui_peer_changed,
	.peer_removed = ui_peer_removed,
	.message = ui_message,
	.delivered = ui_delivered,
	.notice = ui_notice,
};

static void
ui_reply(void *arg, enum fe_level level, const char *text)
{
	struct ui *ui = arg;
	struct peer *p = ui_selected_peer(ui);
	enum ui_kind kind = level == FE_INFO ? UI_SYSTEM : UI_ERROR;

	/* Command output goes where the user is looking. */
	ui_add_line(p != NULL ? ui_view_of(p) : &ui->system, kind, NULL, text,
	    strlen(text), time(NULL));
	ui->dirty = 1;
}

/* --- drawing ----------------------------------------------------------------
 */

/* Display width of the multibyte string s, or of its first n bytes. */
static int
ui_width(const char *s, size_t n)
{
	mbstate_t st;
	wchar_t wc;
	size_t k;
	int w = 0, cw;

	memset(&st, 0, sizeof st);
	while (n > 0 && (k = mbrtowc(&wc, s, n, &st)) != 0) {
		if (k == (size_t)-1 || k == (size_t)-2)
			return w + (int)n;
		cw = wcwidth(wc);
		w += cw > 0 ? cw : 0;
		s += k;
		n -= k;
	}
	return w;
}

/*
 * Print s at the cursor clipped to width columns (or only measure, if w
 * is NULL); returns the bytes consumed (a whole number of characters).
 */
static size_t
ui_put(WINDOW *w, const char *s, int width)
{
	mbstate_t st;
	wchar_t wc;
	const char *p = s;
	size_t k, n = strlen(s);
	int cw, used = 0;

	memset(&st, 0, sizeof st);
	while (n > 0 && (k = mbrtowc(&wc, p, n, &st)) != 0) {
		if (k == (size_t)-1 || k == (size_t)-2)
			break;
		cw = wcwidth(wc);
		if (cw < 0)
			cw = 0;
		if (used + cw > width)
			break;
		if (w != NULL)
			waddnwstr(w, &wc, 1);
		used += cw;
		p += k;
		n -= k;
	}
	return (size_t)(p - s);
}

static void
ui_color_on(struct ui *ui, int pair)
{
	if (ui->colors)
		attron(COLOR_PAIR(pair));
}

static void
ui_color_off(struct ui *ui, int pair)
{
	if (ui->colors)
		attroff(COLOR_PAIR(pair));
}

static const char *
ui_state_mark(enum peer_state s)
{
	switch (s) {
	case PEER_ONLINE:
		return "+";
	case PEER_CONNECTING:
	case PEER_WAITING:
		return "~";
	case PEER_REQUEST:
		return "?";
	default:
		return "-";
	}
}

static void
ui_draw_peers(struct ui *ui, int width, int rows)
{
	struct engine *eng = ui->app->engine;
	struct peer *p;
	char label[128];
	size_t i, n = engine_npeers(eng);
	int row = 0;

	for (i = 0; i <= n && row < rows; i++, row++) {
		move(row, 0);
		if (ui->selected == i)
			attron(A_REVERSE);
		if (i == 0)
			snprintf(label, sizeof label, " [system]");
		else {
			/* The name, never the nick: a peer picks its own
			 * nick and could pose as another. */
			p = engine_peer(eng, i - 1);
			if (p->unread > 0)
				snprintf(label, sizeof label, "%s%s (%u)",
				    ui_state_mark(p->state), p->name,
				    p->unread);
			else
				snprintf(label, sizeof label, "%s%s",
				    ui_state_mark(p->state), p->name);
		}
		ui_put(stdscr, label, width - 1);
		if (ui->selected == i)
			attroff(A_REVERSE);
	}
	for (row = 0; row < rows; row++)
		mvaddch(row, width - 1, ACS_VLINE);
}

/* Rows a line takes when wrapped to width. */
static int
ui_line_rows(const char *s, int width)
{
	int w = ui_width(s, strlen(s));

	return w <= 0 ? 1 : (w + width - 1) / width;
}

static char *
ui_format(struct ui *ui, const struct ui_line *l)
{
	char ts[64] = "";
	struct tm tm;

	if (ui->app->conf->timestamps) {
		localtime_r(&l->when, &tm);
		/* The format is the user's own setting. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		if (strftime(ts, sizeof ts - 1, ui->app->conf->timestamp_format,
		        &tm) > 0)
			strcat(ts, " ");
#pragma GCC diagnostic pop
	}
	if (l->kind == UI_SELF || l->kind == UI_PEER)
		return xasprintf("%s<%s> %s", ts, l->nick, l->text);
	return xasprintf(
	    "%s%s %s", ts, l->kind == UI_ERROR ? "!!" : "--", l->text);
}

static int
ui_pair_of(enum ui_kind k)
{
	switch (k) {
	case UI_SELF:
		return UI_PAIR_SELF;
	case UI_PEER:
		return UI_PAIR_PEER;
	case UI_SYSTEM:
		return UI_PAIR_SYSTEM;
	default:
		return UI_PAIR_ERROR;
	}
}

static void
ui_draw_conversation(struct ui *ui, int x, int width, int rows)
{
	struct peer *p = ui_selected_peer(ui);
	struct ui_view *v = p != NULL ? ui_view_of(p) : &ui->system;
	size_t i, skip = v->scroll;
	int row = rows, nrows, r;
	char *s, *q;

	for (i = v->nlines; i > 0 && row > 0; i--) {
		s = ui_format(ui, &v->lines[i - 1]);
		nrows = ui_line_rows(s, width);
		if (skip >= (size_t)nrows) {
			skip -= (size_t)nrows;
			free(s);
			continue;
		}
		nrows -= (int)skip;
		skip = 0;
		row -= nrows;
		ui_color_on(ui, ui_pair_of(v->lines[i - 1].kind));
		/* A line cut by the top of the pane shows its end. */
		for (q = s, r = 0; r < nrows; r++) {
			if (row + r >= 0)
				move(row + r, x);
			q += ui_put(row + r >= 0 ? stdscr : NULL, q, width);
		}
		ui_color_off(ui, ui_pair_of(v->lines[i - 1].kind));
		free(s);
	}
	if (v->scroll > 0) {
		attron(A_REVERSE);
		mvaddstr(rows - 1, x + width - 14, " -- more -- ");
		attroff(A_REVERSE);
	}
}

static void
ui_draw_status(struct ui *ui, int row, int cols)
{
	struct engine *eng = ui->app->engine;
	char fp[IDENT_SHORT_LEN + 1], *s;
	size_t i, online = 0;

	for (i = 0; i < engine_npeers(eng); i++)
		online += engine_peer(eng, i)->state == PEER_ONLINE;
	ident_short(ui->app->id->pk, fp);
	s = xasprintf(" %s (%s) on %s | %zu online | %s", ui->app->conf->nick,
	    fp, ui->listen, online, ui->notice);
	move(row, 0);
	attron(A_REVERSE);
	ui_color_on(ui, UI_PAIR_BAR);
	hline(' ', cols);
	ui_put(stdscr, s, cols);
	ui_color_off(ui, UI_PAIR_BAR);
	attroff(A_REVERSE);
	free(s);
}

static void
ui_draw_input(struct ui *ui, int row, int cols)
{
	size_t start = 0, i;
	int w = 0, cx = 0, cw;

	/* Scroll horizontally so the cursor stays visible. */
	for (i = ui->cursor; i > 0; i--) {
		cw = wcwidth(ui->input[i - 1]);
		if (w + (cw > 0 ? cw : 0) > cols - 3)
			break;
		w += cw > 0 ? cw : 0;
	}
	start = i;
	move(row, 0);
	addstr("> ");
	for (i = start, w = 2; i < ui->len; i++) {
		cw = wcwidth(ui->input[i]);
		cw = cw > 0 ? cw : 0;
		if (w + cw > cols - 1)
			break;
		if (i == ui->cursor)
			cx = w;
		addnwstr(&ui->input[i], 1);
		w += cw;
	}
	if (ui->cursor >= i)
		cx = w;
	move(row, cx);
}

static void
ui_draw(void *arg)
{
	struct ui *ui = arg;
	int rows, cols, pw;

	if (!ui->dirty)
		return;
	ui->dirty = 0;
	getmaxyx(stdscr, rows, cols);
	erase();
	if (cols < UI_MIN_COLS || rows < UI_MIN_ROWS) {
		mvaddstr(0, 0, "terminal too small");
		mvprintw(1, 0, "need %dx%d", UI_MIN_COLS, UI_MIN_ROWS);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	pw = ui->app->conf->peer_width;
	if (pw > cols / 2)
		pw = cols / 2;
	ui_draw_peers(ui, pw, rows - 2);
	ui_draw_conversation(ui, pw + 1, cols - pw - 1, rows - 2);
	ui_draw_status(ui, rows - 2, cols);
	ui_draw_input(ui, rows - 1, cols);
	wnoutrefresh(stdscr);
	doupdate();
}

/* --- input ---------------------------------------------------------------- */

static void
ui_submit(struct ui *ui)
{
	char buf[UI_INPUT_MAX * MB_LEN_MAX + 1];
	const wchar_t *src = ui->input;
	mbstate_t st;
	size_t n;

	ui->input[ui->len] = L'\0';
	memset(&st, 0, sizeof st);
	n = wcsrtombs(buf, &src, sizeof buf, &st);
	ui->len = ui->cursor = 0;
	if (n == (size_t)-1 || n == 0)
		return;
	ui->ctx.current = ui_selected_peer(ui);
	cmd_execute(&ui->ctx, buf);
}

static void
ui_select(struct ui *ui, size_t i)
{
	struct peer *p;

	ui->selected = i;
	if ((p = ui_selected_peer(ui)) != NULL)
		p->unread = 0;
}

static void
ui_mouse(struct ui_view *v)
{
	MEVENT ev;

	if (getmouse(&ev) != OK)
		return;
	if (ev.bstate & BUTTON4_PRESSED)
		v->scroll =
		    v->scroll + 3 > v->nlines ? v->nlines : v->scroll + 3;
	else if (ev.bstate & BUTTON5_PRESSED)
		v->scroll = v->scroll > 3 ? v->scroll - 3 : 0;
}

static void
ui_key(struct ui *ui, int ret, wint_t ch)
{
	size_t npeers = engine_npeers(ui->app->engine);
	struct peer *p = ui_selected_peer(ui);
	struct ui_view *v = p != NULL ? ui_view_of(p) : &ui->system;

	if (ret == KEY_CODE_YES) {
		switch (ch) {
		case KEY_LEFT:
			if (ui->cursor > 0)
				ui->cursor--;
			break;
		case KEY_RIGHT:
			if (ui->cursor < ui->len)
				ui->cursor++;
			break;
		case KEY_HOME:
			ui->cursor = 0;
			break;
		case KEY_END:
			ui->cursor = ui->len;
			break;
		case KEY_BACKSPACE:
			goto backspace;
		case KEY_DC:
			if (ui->cursor < ui->len) {
				memmove(&ui->input[ui->cursor],
				    &ui->input[ui->cursor + 1],
				    (ui->len - ui->cursor - 1) *
				        sizeof(wchar_t));
				ui->len--;
			}
			break;
		case KEY_ENTER:
			ui_submit(ui);
			break;
		case KEY_PPAGE:
			v->scroll += 10;
			if (v->scroll > v->nlines)
				v->scroll = v->nlines;
			break;
		case KEY_NPAGE:
			v->scroll = v->scroll > 10 ? v->scroll - 10 : 0;
			break;
		case KEY_MOUSE:
			ui_mouse(v);
			break;
		case KEY_RESIZE:
			break;
		}
		return;
	}
	switch (ch) {
	case '\r':
	case '\n':
		ui_submit(ui);
		return;
	case 3: /* Ctrl-C */
		app_quit(ui->app, 0);
		return;
	case 14: /* Ctrl-N */
		ui_select(ui, (ui->selected + 1) % (npeers + 1));
		return;
	case 16: /* Ctrl-P */
		ui_select(ui, (ui->selected + npeers) % (npeers + 1));
		return;
	case 1: /* Ctrl-A */
		ui->cursor = 0;
		return;
	case 5: /* Ctrl-E */
		ui->cursor = ui->len;
		return;
	case 11: /* Ctrl-K */
		ui->len = ui->cursor;
		return;
	case 21: /* Ctrl-U */
		memmove(ui->input, &ui->input[ui->cursor],
		    (ui->len - ui->cursor) * sizeof(wchar_t));
		ui->len -= ui->cursor;
		ui->cursor = 0;
		return;
	case 8:
	case 127:
backspace:
		if (ui->cursor > 0) {
			memmove(&ui->input[ui->cursor - 1],
			    &ui->input[ui->cursor],
			    (ui->len - ui->cursor) * sizeof(wchar_t));
			ui->cursor--;
			ui->len--;
		}
		return;
	}
	if (ch < 32 || ui->len >= UI_INPUT_MAX)
		return;
	memmove(&ui->input[ui->cursor + 1], &ui->input[ui->cursor],
	    (ui->len - ui->cursor) * sizeof(wchar_t));
	ui->input[ui->cursor++] = (wchar_t)ch;
	ui->len++;
}

static void
ui_stdin(int fd, int revents, void *arg)
{
	struct ui *ui = arg;
	wint_t ch;
	int ret;

	(void)fd;
	if (revents & (POLLHUP | POLLERR)) {
		app_quit(ui->app, 1);
		return;
	}
	while ((ret = get_wch(&ch)) != ERR) {
		ui_key(ui, ret, ch);
		ui->dirty = 1;
	}
}

static void
ui_winch(int signo, void *arg)
{
	struct ui *ui = arg;
	struct winsize ws;

	(void)signo;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		resizeterm(ws.ws_row, ws.ws_col);
	ui->dirty = 1;
}

static void
ui_welcome(struct ui *ui)
{
	char fp[IDENT_FP_LEN + 1], *s;

	ident_fingerprint(ui->app->id->pk, fp);
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
	s = xasprintf(
	    "Listening on %s. To reach a peer: /connect HOST:PORT, "
	    "or add it to %s (see p2ptui.conf(5)). /help lists commands.",
	    ui->listen, ui->app->conf->path);
	ui_notice(ui, NULL, FE_INFO, s);
	free(s);
}

static void
ui_colors_init(struct ui *ui)
{
	const struct conf *conf = ui->app->conf;
	const char *nc = getenv("NO_COLOR");

	ui->colors =
	    conf->colors && (nc == NULL || *nc == '\0') && has_colors();
	if (!ui->colors)
		return;
	start_color();
	use_default_colors();
	init_pair(UI_PAIR_SELF, ui_curses_colors[conf->color_self], -1);
	init_pair(UI_PAIR_PEER, ui_curses_colors[conf->color_peer], -1);
	init_pair(UI_PAIR_SYSTEM, ui_curses_colors[conf->color_system], -1);
	init_pair(UI_PAIR_ERROR, ui_curses_colors[conf->color_error], -1);
	init_pair(UI_PAIR_BAR, -1, -1);
}

int
ui_run(struct app *app, char **cause)
{
	struct ui ui;
	size_t i;
	int ret = 0;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		*cause = xstrdup("not a terminal (use --headless for scripts)");
		return -1;
	}
	memset(&ui, 0, sizeof ui);
	ui.app = app;
	ui.ctx.app = app;
	ui.ctx.reply = ui_reply;
	ui.ctx.arg = &ui;
	ui.dirty = 1;

	app->engine =
	    engine_create(app->loop, app->conf, app->id, &ui_ops, &ui, cause);
	if (app->engine == NULL)
		return -1;

	setlocale(LC_ALL, "");
	if (getenv("ESCDELAY") == NULL)
		set_escdelay(25);
	if (initscr() == NULL) {
		*cause = xstrdup("cannot initialise the terminal");
		engine_free(app->engine);
		app->engine = NULL;
		return -1;
	}
	ui_active = &ui;
	log_set_fatal_hook(ui_restore);
	raw();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	ui_colors_init(&ui);
	if (app->conf->mouse)
		mousemask(BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);

	if (engine_start(app->engine, cause) == -1) {
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
	for (i = 0; i < engine_npeers(app->engine); i++) {
		ui_view_free(engine_peer(app->engine, i)->fe_data);
		free(engine_peer(app->engine, i)->fe_data);
		engine_peer(app->engine, i)->fe_data = NULL;
	}
	engine_free(app->engine);
	app->engine = NULL;
	ui_view_free(&ui.system);
	return ret;
}
