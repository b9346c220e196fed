/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Keys and the input line: turning what curses reads into keys, the key
 * bindings, Tab completion, bracketed paste, and drawing the input line.
 * The editing itself is line.c's.
 *
 * Keys arrive one character at a time (get_wch in no-delay mode). curses
 * decodes the sequences its terminfo entry knows; the rest (Alt-x as ESC
 * x, xterm-style modified keys such as ESC [ 1 ; 3 A, bracketed paste
 * markers ESC [ 200 ~ and ESC [ 201 ~) are parsed here:
 *
 *   esc: NONE --ESC--> SEEN --'['--> CSI --params--> CSI --final--> NONE
 *                        |  --'O'--> SS3 --any--> NONE
 *                        +--other--> NONE (Alt-other)
 *
 * An ESC still pending when the read batch ends is the Escape key: the
 * terminal sends a sequence in one write, and curses has waited ESCDELAY
 * for the rest. Between the paste markers, text is collected and inserted
 * at once, newlines kept (one multi-line message) and tabs as spaces: a
 * paste never sends anything by itself, and one of more than UI_PASTE_ASK
 * lines asks first. Alt-Enter and Ctrl-J insert a newline; the input
 * line shows each as a return arrow.
 */
#include <curses.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <wchar.h>
#include <wctype.h>

#include "app.h"
#include "cmd.h"
#include "engine.h"
#include "line.h"
#include "loop.h"
#include "ui.h"
#include "xmalloc.h"

enum ui_k {
	UK_CHAR,
	UK_UP,
	UK_DOWN,
	UK_LEFT,
	UK_RIGHT,
	UK_HOME,
	UK_END,
	UK_PGUP,
	UK_PGDN,
	UK_INS,
	UK_DEL,
	UK_BS,
	UK_ENTER,
	UK_BTAB,
	UK_ESC,
	UK_RESIZE,
	UK_MOUSE,
	UK_PASTE_START,
	UK_PASTE_END,
	UK_OTHER,
};

#define UM_SHIFT 1
#define UM_ALT 2
#define UM_CTRL 4

struct ui_key {
	enum ui_k k;
	int mod;
	wint_t ch; /* UK_CHAR */
};

enum { UI_ESC_NONE, UI_ESC_SEEN, UI_ESC_CSI, UI_ESC_SS3 };

/* Modified keys the terminfo entry defines (kUP3 is Alt-Up, ...). */
static struct {
	int code;
	enum ui_k k;
	int mod;
} ui_ext[80];
static size_t ui_next;

/* What /help shows after the commands; p2ptui(1) KEYS says the same. */
static const struct {
	const char *keys, *help;
} ui_keys_help[] = {
	{ "Enter", "send: a message, or a /command" },
	{ "Alt-Enter, Ctrl-J", "a new line in the message" },
	{ "Ctrl-C", "quit, like /quit" },
	{ "Ctrl-N, Alt-Down", "next view: system, then each peer" },
	{ "Ctrl-P, Alt-Up", "previous view" },
	{ "Alt-1 .. Alt-9", "show peer 1 to 9" },
	{ "Alt-0", "show the system view" },
	{ "Alt-A, Ctrl-X", "next view with unread messages" },
	{ "PgUp, PgDn", "scroll back, forward a page" },
	{ "Alt-Home, Ctrl-Home", "scroll to the oldest line" },
	{ "Alt-End, Ctrl-End", "scroll to the newest line" },
	{ "wheel, click", "scroll; show a peer (mouse = true)" },
	{ "Left, Right", "move a character (or Ctrl-B, Ctrl-F)" },
	{ "Alt-B, Alt-F", "move a word (or Ctrl-Left/Right)" },
	{ "Home, End", "line start, end (or Ctrl-A, Ctrl-E)" },
	{ "Backspace, Ctrl-H", "delete the character before" },
	{ "Delete, Ctrl-D", "delete the character at the cursor" },
	{ "Ctrl-W", "delete back to a space" },
	{ "Alt-Backspace", "delete the word before the cursor" },
	{ "Alt-D", "delete the word after the cursor" },
	{ "Ctrl-K, Ctrl-U", "delete to the end, to the start" },
	{ "Ctrl-Y", "insert the text deleted last" },
	{ "Ctrl-T", "swap two characters" },
	{ "Up, Down", "previous, next line of input history" },
	{ "Tab, Shift-Tab", "complete a command, peer or file name" },
	{ "", "(again: the next, previous match)" },
	{ "Escape", "undo the completion being cycled" },
	{ "Ctrl-L", "redraw the screen" },
};

void
ui_help_keys(struct ui *ui)
{
	char *s;
	size_t i;

	ui_reply(ui, FE_INFO, "keys:");
	for (i = 0; i < sizeof ui_keys_help / sizeof ui_keys_help[0]; i++) {
		s = xasprintf(
		    "%-19s %s", ui_keys_help[i].keys, ui_keys_help[i].help);
		ui_reply(ui, FE_INFO, s);
		free(s);
	}
}

void
ui_input_init(struct ui *ui)
{
	static const struct {
		const char *name;
		enum ui_k k;
	} bases[] = {
		{ "kUP", UK_UP },
		{ "kDN", UK_DOWN },
		{ "kLFT", UK_LEFT },
		{ "kRIT", UK_RIGHT },
		{ "kHOM", UK_HOME },
		{ "kEND", UK_END },
		{ "kPRV", UK_PGUP },
		{ "kNXT", UK_PGDN },
		{ "kDC", UK_DEL },
		{ "kIC", UK_INS },
	};
	char name[16];
	char *s;
	size_t i;
	int m, code;

	line_init(&ui->line, LINE_MAX_CHARS);
	ui_next = 0;
	for (i = 0; i < sizeof bases / sizeof bases[0]; i++) {
		for (m = 2; m <= 8; m++) {
			snprintf(name, sizeof name, "%s%d", bases[i].name, m);
			s = tigetstr(name);
			if (s == NULL || s == (char *)-1)
				continue;
			if ((code = key_defined(s)) <= 0 ||
			    ui_next == sizeof ui_ext / sizeof ui_ext[0])
				continue;
			ui_ext[ui_next].code = code;
			ui_ext[ui_next].k = bases[i].k;
			ui_ext[ui_next].mod = m - 1;
			ui_next++;
		}
	}
}

void
ui_input_free(struct ui *ui)
{
	ui_comp_reset(ui);
	line_free(&ui->line);
	free(ui->pastebuf);
	ui->pastebuf = NULL;
}

/* --- text conversions -------------------------------------------------- */

char *
ui_wcs_to_utf8(const wchar_t *s, size_t n)
{
	char *out = xmalloc(n * MB_LEN_MAX + 1), *p = out;
	mbstate_t st;
	size_t i, k;

	memset(&st, 0, sizeof st);
	for (i = 0; i < n; i++) {
		if ((k = wcrtomb(p, s[i], &st)) == (size_t)-1)
			continue;
		p += k;
	}
	*p = '\0';
	return out;
}

wchar_t *
ui_utf8_to_wcs(const char *s, size_t *n)
{
	size_t len = strlen(s), k, i = 0;
	wchar_t *w = xreallocarray(NULL, len + 1, sizeof *w);
	int cw;

	while (len > 0) {
		/* Newlines stay: a multi-line message given back to edit. */
		if (*s == '\n') {
			w[i++] = L'\n';
			k = 1;
		} else
			k = line_decode(s, len, &w[i++], &cw);
		s += k;
		len -= k;
	}
	*n = i;
	return w;
}

/* --- submitting ---------------------------------------------------------- */

/* Is the line "/help" (or a unique prefix of it) with no argument? */
static int
ui_is_help(const char *s)
{
	const struct cmd_entry *c;
	size_t n;

	if (s[0] != '/' || s[1] == '/')
		return 0;
	s++;
	n = strcspn(s, " \t");
	if (s[n + strspn(s + n, " \t")] != '\0')
		return 0;
	c = cmd_find(s, n);
	return c != NULL && strcmp(c->name, "help") == 0;
}

static void
ui_submit(struct ui *ui)
{
	char *text = line_text(&ui->line);
	wchar_t *w;
	size_t n;
	int help;

	if (text == NULL || cmd_secret_word(text) == 0)
		line_history_add(&ui->line, ui->line.buf, ui->line.len);
	line_clear(&ui->line);
	ui->input_off = 0;
	if (text == NULL) {
		ui_reply(ui, FE_ERROR, "the line is not valid text");
		return;
	}
	if (text[strspn(text, " \n")] == '\0') {
		free(text);
		return;
	}
	help = ui_is_help(text);
	/* Whoever sends something wants to see the answer. */
	ui_view_bottom(ui_current_view(ui));
	ui->dirty |= UI_DIRTY_LOG;
	ui->ctx.current = ui->sel;
	ui->ctx.room = ui->sel_room;
	if (cmd_execute(&ui->ctx, text) == -1 && ui->line.len == 0) {
		/* It failed (the reason is shown): keep it to fix. */
		w = ui_utf8_to_wcs(text, &n);
		line_set(&ui->line, w, n);
		free(w);
	}
	if (help)
		ui_help_keys(ui);
	free(text);
}

/* --- keys ---------------------------------------------------------------- */

static void
ui_scroll(struct ui *ui, int how)
{
	struct ui_view *v = ui_current_view(ui);
	int h, w;

	if (ui->w_log == NULL)
		return;
	getmaxyx(ui->w_log, h, w);
	if (how == 'T' || how == 'U' || how == 'u')
		ui_history_before_scroll(ui, how == 'T', h);
	switch (how) {
	case 'T':
		ui_view_top(&ui->style, v, w, h);
		break;
	case 'B':
		ui_view_bottom(v);
		break;
	case 'U':
		ui_view_scroll(&ui->style, v, -(h > 2 ? h - 1 : 1), w, h);
		break;
	case 'D':
		ui_view_scroll(&ui->style, v, h > 2 ? h - 1 : 1, w, h);
		break;
	case 'u':
		ui_view_scroll(&ui->style, v, -3, w, h);
		break;
	case 'd':
		ui_view_scroll(&ui->style, v, 3, w, h);
		break;
	}
	ui->dirty |= UI_DIRTY_LOG;
}

static void
ui_next_view(struct ui *ui, int dir)
{
	size_t n = ui_nviews(ui), i = ui_selected_index(ui);

	ui_select(ui, dir > 0 ? (i + 1) % n : (i + n - 1) % n);
}

static void
ui_mouse(struct ui *ui)
{
	MEVENT ev;
	int y, x, i;

	if (getmouse(&ev) != OK)
		return;
	if (ev.bstate & BUTTON4_PRESSED) {
		ui_scroll(ui, 'u');
		return;
	}
#ifdef BUTTON5_PRESSED
	if (ev.bstate & BUTTON5_PRESSED) {
		ui_scroll(ui, 'd');
		return;
	}
#endif
	if ((ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) &&
	    ui->w_peers != NULL && wenclose(ui->w_peers, ev.y, ev.x)) {
		y = ev.y;
		x = ev.x;
		if (wmouse_trafo(ui->w_peers, &y, &x, FALSE) &&
		    (i = ui_peers_hit(ui, y)) >= 0)
			ui_select(ui, (size_t)i);
	}
}

static void
ui_insert_char(struct ui *ui, wint_t ch)
{
	wchar_t wc = (wchar_t)ch;

	if (ch < 0x20 || ch == 0x7f || wcwidth(wc) < 0)
		return;
	line_insert(&ui->line, &wc, 1);
}

/* Alt-Enter, Ctrl-J: a new line in the message. */
static void
ui_newline(struct ui *ui)
{
	wchar_t nl = L'\n';

	line_insert(&ui->line, &nl, 1);
}

/* A control character typed on its own. */
static void
ui_control(struct ui *ui, wint_t ch)
{
	struct line *l = &ui->line;

	switch (ch) {
	case 1: /* Ctrl-A */
		line_home(l);
		break;
	case 2: /* Ctrl-B */
		line_left(l);
		break;
	case 3: /* Ctrl-C */
		app_quit(ui->app, 0);
		break;
	case 4: /* Ctrl-D */
		line_delete(l);
		break;
	case 5: /* Ctrl-E */
		line_end(l);
		break;
	case 6: /* Ctrl-F */
		line_right(l);
		break;
	case 8: /* Ctrl-H */
	case 127:
		line_backspace(l);
		break;
	case 11: /* Ctrl-K */
		line_kill_end(l);
		break;
	case 12: /* Ctrl-L */
		ui->dirty |= UI_DIRTY_ALL;
		break;
	case 10: /* Ctrl-J */
		ui_newline(ui);
		break;
	case 13:
		ui_submit(ui);
		break;
	case 14: /* Ctrl-N */
		ui_next_view(ui, 1);
		break;
	case 16: /* Ctrl-P */
		ui_next_view(ui, -1);
		break;
	case 20: /* Ctrl-T */
		line_transpose(l);
		break;
	case 21: /* Ctrl-U */
		line_kill_start(l);
		break;
	case 23: /* Ctrl-W */
		line_kill_space_word(l);
		break;
	case 24: /* Ctrl-X */
		ui_select_unread(ui);
		break;
	case 25: /* Ctrl-Y */
		line_yank(l);
		break;
	}
}

static void
ui_alt_char(struct ui *ui, wint_t ch)
{
	struct line *l = &ui->line;

	if (ch >= '0' && ch <= '9') {
		if ((size_t)(ch - '0') < ui_nviews(ui))
			ui_select(ui, (size_t)(ch - '0'));
		return;
	}
	switch (ch) {
	case 10: /* Alt-Enter, Alt-Ctrl-J */
	case 13:
		ui_newline(ui);
		break;
	case 'a':
	case 'A':
		ui_select_unread(ui);
		break;
	case 'b':
		line_word_left(l);
		break;
	case 'f':
		line_word_right(l);
		break;
	case 'd':
		line_kill_word_right(l);
		break;
	case 8:
	case 127:
		line_kill_word_left(l);
		break;
	}
}

static void
ui_fkey(struct ui *ui, const struct ui_key *k)
{
	struct line *l = &ui->line;
	int mod = k->mod & (UM_ALT | UM_CTRL);

	switch (k->k) {
	case UK_UP:
		if (mod)
			ui_next_view(ui, -1);
		else
			line_history_prev(l);
		break;
	case UK_DOWN:
		if (mod)
			ui_next_view(ui, 1);
		else
			line_history_next(l);
		break;
	case UK_LEFT:
		if (mod)
			line_word_left(l);
		else
			line_left(l);
		break;
	case UK_RIGHT:
		if (mod)
			line_word_right(l);
		else
			line_right(l);
		break;
	case UK_HOME:
		if (mod)
			ui_scroll(ui, 'T');
		else
			line_home(l);
		break;
	case UK_END:
		if (mod)
			ui_scroll(ui, 'B');
		else
			line_end(l);
		break;
	case UK_PGUP:
		ui_scroll(ui, 'U');
		break;
	case UK_PGDN:
		ui_scroll(ui, 'D');
		break;
	case UK_DEL:
		line_delete(l);
		break;
	case UK_BS:
		if (k->mod & UM_ALT)
			line_kill_word_left(l);
		else
			line_backspace(l);
		break;
	case UK_ENTER:
		if (k->mod & UM_ALT)
			ui_newline(ui);
		else
			ui_submit(ui);
		break;
	case UK_RESIZE:
		ui->dirty |= UI_DIRTY_LAYOUT;
		break;
	case UK_MOUSE:
		ui_mouse(ui);
		break;
	default:
		break;
	}
}

static void
ui_paste_char(struct ui *ui, wint_t ch)
{
	wchar_t wc = (wchar_t)ch;
	int cr = ui->paste_cr;

	ui->paste_cr = ch == '\r';
	if (ch == '\n' && cr)
		return; /* CR LF is one line break */
	if (ch == '\r' || ch == '\n')
		wc = L'\n';
	else if (ch == '\t')
		wc = L' ';
	else if (ch < 0x20 || ch == 0x7f || wcwidth(wc) < 0)
		return;
	if (ui->paste_len == UI_PASTE_MAX)
		return; /* the input line could not take more anyway */
	if (ui->paste_len == ui->paste_cap) {
		ui->paste_cap = ui->paste_cap > 0 ? ui->paste_cap * 2 : 256;
		ui->pastebuf = xreallocarray(
		    ui->pastebuf, ui->paste_cap, sizeof *ui->pastebuf);
	}
	ui->pastebuf[ui->paste_len++] = wc;
}

static void
ui_paste_flush(struct ui *ui)
{
	if (ui->paste_len == 0)
		return;
	line_insert(&ui->line, ui->pastebuf, ui->paste_len);
	ui->paste_len = 0;
	ui->dirty |= UI_DIRTY_INPUT;
}

static const struct ui_key ui_space = { UK_CHAR, 0, L' ' };

/* A paste of more than UI_PASTE_ASK lines asks before it is sent. */
static void
ui_paste_confirm(struct ui *ui)
{
	size_t i, lines = 1;
	char buf[96];

	for (i = 0; i < ui->line.len; i++)
		lines += ui->line.buf[i] == L'\n';
	if (lines <= UI_PASTE_ASK)
		return;
	snprintf(buf, sizeof buf, "paste %zu lines? Enter to send, Esc to edit",
	    lines);
	ui_notify(ui, buf);
	/* A question stays until it is answered. */
	loop_timer_del(ui->notice_timer);
	ui->notice_timer = NULL;
	ui->paste_lines = lines;
}

/* One key, whole. */
static void
ui_key(struct ui *ui, const struct ui_key *k)
{
	int keep_comp = 0;

	if (k->k == UK_PASTE_START) {
		ui->pasting = 1;
		ui->paste_cr = 0;
		ui_comp_reset(ui);
		return;
	}
	if (k->k == UK_PASTE_END) {
		ui_paste_flush(ui);
		ui->pasting = 0;
		ui_paste_confirm(ui);
		return;
	}
	/* After a long paste: Enter sends it, Escape (or any key) goes on
	 * editing. */
	if (ui->paste_lines > 0) {
		ui->paste_lines = 0;
		ui_notify_clear(ui);
		if (k->k == UK_ESC)
			return;
	}
	if (ui->pasting) {
		if (k->k == UK_CHAR)
			ui_paste_char(ui, k->ch);
		else if (k->k == UK_ENTER)
			ui_paste_char(ui, '\r');
		return;
	}
	if (k->k == UK_CHAR && !(k->mod & UM_ALT) && k->ch == '\t' &&
	    ui->tab_is_text)
		k = &ui_space;
	else if (k->k == UK_CHAR && !(k->mod & UM_ALT) && k->ch == '\t') {
		ui_complete(ui, 0);
		keep_comp = 1;
	} else if (k->k == UK_BTAB) {
		ui_complete(ui, 1);
		keep_comp = 1;
	} else if (k->k == UK_ESC)
		ui_comp_cancel(ui);
	else if (k->k == UK_RESIZE || k->k == UK_OTHER)
		keep_comp = 1;
	if (!keep_comp) {
		ui_comp_reset(ui);
		/* "19 matches: ..." was about the Tab before. */
		if (ui->notice_comp)
			ui_notify_clear(ui);
	}

	if (k->k == UK_CHAR) {
		if (k->mod & UM_ALT)
			ui_alt_char(ui, k->ch);
		else if (k->ch < 0x20 || k->ch == 0x7f)
			ui_control(ui, k->ch);
		else
			ui_insert_char(ui, k->ch);
	} else
		ui_fkey(ui, k);
	ui->dirty |= UI_DIRTY_INPUT;
}

static void
ui_key_from_code(wint_t code, struct ui_key *k)
{
	size_t i;

	memset(k, 0, sizeof *k);
	switch (code) {
	case KEY_UP:
		k->k = UK_UP;
		break;
	case KEY_DOWN:
		k->k = UK_DOWN;
		break;
	case KEY_LEFT:
		k->k = UK_LEFT;
		break;
	case KEY_RIGHT:
		k->k = UK_RIGHT;
		break;
	case KEY_HOME:
		k->k = UK_HOME;
		break;
	case KEY_END:
		k->k = UK_END;
		break;
	case KEY_PPAGE:
		k->k = UK_PGUP;
		break;
	case KEY_NPAGE:
		k->k = UK_PGDN;
		break;
	case KEY_IC:
		k->k = UK_INS;
		break;
	case KEY_DC:
		k->k = UK_DEL;
		break;
	case KEY_BACKSPACE:
		k->k = UK_BS;
		break;
	case KEY_ENTER:
		k->k = UK_ENTER;
		break;
	case KEY_BTAB:
		k->k = UK_BTAB;
		break;
	case KEY_RESIZE:
		k->k = UK_RESIZE;
		break;
	case KEY_MOUSE:
		k->k = UK_MOUSE;
		break;
	case KEY_SLEFT:
		k->k = UK_LEFT;
		k->mod = UM_SHIFT;
		break;
	case KEY_SRIGHT:
		k->k = UK_RIGHT;
		k->mod = UM_SHIFT;
		break;
	case KEY_SR:
		k->k = UK_UP;
		k->mod = UM_SHIFT;
		break;
	case KEY_SF:
		k->k = UK_DOWN;
		k->mod = UM_SHIFT;
		break;
	case KEY_SHOME:
		k->k = UK_HOME;
		k->mod = UM_SHIFT;
		break;
	case KEY_SEND:
		k->k = UK_END;
		k->mod = UM_SHIFT;
		break;
	default:
		k->k = UK_OTHER;
		for (i = 0; i < ui_next; i++) {
			if (ui_ext[i].code == (int)code) {
				k->k = ui_ext[i].k;
				k->mod = ui_ext[i].mod;
				break;
			}
		}
		break;
	}
}

/* A complete CSI sequence: params in ui->seq, then final. */
/* The cursor keys that CSI and SS3 sequences share, by final byte; -1
 * for another byte. */
static int
ui_final_key(int final)
{
	switch (final) {
	case 'A':
		return UK_UP;
	case 'B':
		return UK_DOWN;
	case 'C':
		return UK_RIGHT;
	case 'D':
		return UK_LEFT;
	case 'H':
		return UK_HOME;
	case 'F':
		return UK_END;
	default:
		return -1;
	}
}

static void
ui_csi(struct ui *ui, wint_t final)
{
	struct ui_key k;
	long a = 1, b = 1;
	char *end;

	memset(&k, 0, sizeof k);
	ui->seq[ui->seq_len] = '\0';
	if (ui->seq_len > 0 && ui->seq[0] >= '0' && ui->seq[0] <= '9') {
		a = strtol(ui->seq, &end, 10);
		if (*end == ';')
			b = strtol(end + 1, NULL, 10);
	}
	if (b >= 2 && b <= 16)
		k.mod = (int)(b - 1) & (UM_SHIFT | UM_ALT | UM_CTRL);
	switch (final) {
	case 'A':
	case 'B':
	case 'C':
	case 'D':
	case 'H':
	case 'F':
		k.k = (enum ui_k)ui_final_key(final);
		break;
	case 'Z':
		k.k = UK_BTAB;
		break;
	case '~':
		switch (a) {
		case 1:
		case 7:
			k.k = UK_HOME;
			break;
		case 2:
			k.k = UK_INS;
			break;
		case 3:
			k.k = UK_DEL;
			break;
		case 4:
		case 8:
			k.k = UK_END;
			break;
		case 5:
			k.k = UK_PGUP;
			break;
		case 6:
			k.k = UK_PGDN;
			break;
		case 200:
			k.k = UK_PASTE_START;
			break;
		case 201:
			k.k = UK_PASTE_END;
			break;
		default:
			return;
		}
		break;
	default:
		return; /* not a key we know */
	}
	ui_key(ui, &k);
}

static void
ui_ss3(struct ui *ui, wint_t ch)
{
	struct ui_key k;
	int key;

	memset(&k, 0, sizeof k);
	if (ch == 'M')
		k.k = UK_ENTER;
	else if ((key = ui_final_key((int)ch)) != -1)
		k.k = (enum ui_k)key;
	else
		return;
	ui_key(ui, &k);
}

static void
ui_char_key(struct ui *ui, wint_t ch, int mod)
{
	struct ui_key k;

	memset(&k, 0, sizeof k);
	k.k = UK_CHAR;
	k.ch = ch;
	k.mod = mod;
	ui_key(ui, &k);
}

/* One result of get_wch. */
static void
ui_input_one(struct ui *ui, int ret, wint_t ch)
{
	struct ui_key k;

	if (ret == KEY_CODE_YES) {
		ui_key_from_code(ch, &k);
		if (ui->esc == UI_ESC_SEEN)
			k.mod |= UM_ALT;
		ui->esc = UI_ESC_NONE;
		ui_key(ui, &k);
		return;
	}
	switch (ui->esc) {
	case UI_ESC_NONE:
		if (ch == 27)
			ui->esc = UI_ESC_SEEN;
		else
			ui_char_key(ui, ch, 0);
		return;
	case UI_ESC_SEEN:
		if (ch == '[') {
			ui->esc = UI_ESC_CSI;
			ui->seq_len = 0;
		} else if (ch == 'O')
			ui->esc = UI_ESC_SS3;
		else if (ch == 27) {
			memset(&k, 0, sizeof k);
			k.k = UK_ESC;
			ui_key(ui, &k);
		} else {
			ui->esc = UI_ESC_NONE;
			ui_char_key(ui, ch, UM_ALT);
		}
		return;
	case UI_ESC_SS3:
		ui->esc = UI_ESC_NONE;
		ui_ss3(ui, ch);
		return;
	default: /* CSI */
		if (ch >= 0x20 && ch <= 0x3f) {
			if (ui->seq_len + 1 < sizeof ui->seq)
				ui->seq[ui->seq_len++] = (char)ch;
			else
				ui->esc = UI_ESC_NONE; /* too long: drop */
			return;
		}
		ui->esc = UI_ESC_NONE;
		if (ch >= 0x40 && ch <= 0x7e)
			ui_csi(ui, ch);
		else
			ui_char_key(ui, ch, 0);
		return;
	}
}

/* Read everything the terminal has sent. */
void
ui_input_read(struct ui *ui)
{
	struct ui_key k;
	size_t i, n = 0, last = 0;

	/*
	 * All that came at once first: a Tab with text after it in the same
	 * read was pasted (without brackets), not typed to complete.
	 */
	do {
		for (n = 0, last = 0; n < UI_READ_MAX &&
		     (ui->rd_ret[n] = get_wch(&ui->rd_ch[n])) != ERR;
		     n++) {
			if (ui->rd_ret[n] != KEY_CODE_YES &&
			    ui->rd_ch[n] >= 0x20 && ui->rd_ch[n] != 0x7f)
				last = n;
		}
		for (i = 0; i < n; i++) {
			ui->tab_is_text = i < last;
			ui_input_one(ui, ui->rd_ret[i], ui->rd_ch[i]);
		}
		ui->tab_is_text = 0;
	} while (n == UI_READ_MAX);
	/* A lone ESC, or ESC O / ESC [ and nothing more: typed keys. */
	if (ui->esc == UI_ESC_SEEN) {
		ui->esc = UI_ESC_NONE;
		memset(&k, 0, sizeof k);
		k.k = UK_ESC;
		ui_key(ui, &k);
	} else if (ui->esc == UI_ESC_SS3) {
		ui->esc = UI_ESC_NONE;
		ui_char_key(ui, 'O', UM_ALT);
	} else if (ui->esc == UI_ESC_CSI && ui->seq_len == 0) {
		ui->esc = UI_ESC_NONE;
		ui_char_key(ui, '[', UM_ALT);
	}
	/* A long paste may span reads: insert what came so far. */
	ui_paste_flush(ui);
}

/* --- drawing ------------------------------------------------------------- */

/* Where a password starts in the line being typed (l->len if none):
 * it is drawn as stars. */
static size_t
ui_input_secret(struct ui *ui)
{
	const struct line *l = &ui->line;
	char *text = line_text(&ui->line);
	size_t word = text != NULL ? cmd_secret_word(text) : 0, i, n = 0;

	free(text);
	if (word == 0)
		return l->len;
	for (i = 0; i < l->len; i++) {
		if (l->buf[i] != L' ' && (i == 0 || l->buf[i - 1] == L' ') &&
		    n++ == word)
			return i;
	}
	return l->len;
}

void
ui_input_draw(struct ui *ui)
{
	WINDOW *w = ui->w_input;
	const struct line *l = &ui->line;
	size_t i, k, off = ui->input_off;
	int width = getmaxx(w), avail = width - 3, x, cw, used;
	size_t secret;

	werase(w);
	wmove(w, 0, 0);
	waddstr(w, "> ");
	if (avail < 1)
		return;
	/* Scroll sideways so the cursor stays in view, by a third of the
	 * width at a time rather than a character. */
	if (off > l->cursor)
		off = l->cursor > (size_t)avail / 3
		    ? l->cursor - (size_t)avail / 3
		    : 0;
	for (used = 0, i = off; i < l->cursor; i = k) {
		k = line_cluster_after(l->buf, l->len, i);
		used += line_wcluster_width(l->buf + i, k - i);
	}
	if (used > avail) {
		for (used = 0, i = l->cursor; i > 0; i = k) {
			k = line_cluster_before(l->buf, i);
			cw = line_wcluster_width(l->buf + k, i - k);
			if (used + cw > avail * 2 / 3)
				break;
			used += cw;
		}
		off = i;
	}
	for (used = 0, i = 0; i < l->len && used <= avail; i = k) {
		k = line_cluster_after(l->buf, l->len, i);
		used += line_wcluster_width(l->buf + i, k - i);
	}
	if (used <= avail)
		off = 0; /* it all fits */
	ui->input_off = off;
	secret = ui_input_secret(ui);
	for (x = 2, i = off; i < l->len; i = k) {
		k = line_cluster_after(l->buf, l->len, i);
		cw = line_wcluster_width(l->buf + i, k - i);
		if (x + cw > 2 + avail)
			break;
		if (i >= secret && l->buf[i] != L' ')
			ui_put_cluster(w, L"*", 1);
		else if (l->buf[i] == L'\n')
			ui_put_cluster(w, ui->utf8 ? L"\u21b5" : L"~", 1);
		else
			ui_put_cluster(w, l->buf + i, k - i);
		x += cw;
	}
	if (i < l->len) {
		wmove(w, 0, width - 1);
		waddch(w, '>' | A_REVERSE);
	}
	if (off > 0)
		mvwaddch(w, 0, 1, '<' | A_REVERSE);
	for (x = 2, i = off; i < l->cursor; i = k) {
		k = line_cluster_after(l->buf, l->len, i);
		x += line_wcluster_width(l->buf + i, k - i);
	}
	wmove(w, 0, x);
}
