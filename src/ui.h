/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the curses frontend's files share (ui.c, ui_log.c, ui_peers.c,
 * ui_input.c). Include <curses.h> before this header: only ui*.c may
 * include curses (tests/check/layering.sh), so this header cannot.
 */
#ifndef P2PTUI_UI_H
#define P2PTUI_UI_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cmd.h"
#include "line.h"

struct app;
struct peer;
struct room;
struct room_report;

#define UI_MIN_COLS 40
#define UI_MIN_ROWS 8
#define UI_PEERS_MIN 12 /* narrowest peer list */
#define UI_LOG_COLS 60 /* the peer list shrinks to leave these to the log */
#define UI_VIEW_LINES 10000 /* lines kept per view */
#define UI_PASTE_MAX 65536 /* characters of a paste kept */
#define UI_READ_MAX 4096 /* keys taken from the terminal at once */
#define UI_PASTE_ASK 5 /* a paste of more lines asks before sending */
#define UI_NOTICE_MS 10000 /* a notice stays this long in the status bar */

/* What needs drawing at the end of this loop iteration. */
#define UI_DIRTY_PEERS 0x01
#define UI_DIRTY_TITLE 0x02
#define UI_DIRTY_LOG 0x04
#define UI_DIRTY_STATUS 0x08
#define UI_DIRTY_INPUT 0x10
#define UI_DIRTY_LAYOUT 0x20 /* new windows: the size changed */
#define UI_DIRTY_CLEAR 0x40 /* repaint the whole terminal (Ctrl-L) */
#define UI_DIRTY_XFERS 0x80 /* the transfer strip (may change its height) */
#define UI_DIRTY_ALL 0xff

enum ui_kind {
	UI_SELF, /* our message */
	UI_PEER, /* a peer's message */
	UI_INFO, /* a notice or command output */
	UI_ERROR, /* a warning or an error */
	UI_FLIP, /* a coin flip, roll or pick */
	UI_ECHO, /* our message to another peer, echoed where typed */
	UI_RAW, /* drawn as it is, no time or mark (a QR code) */
	UI_DAY, /* "--- Friday 4 December 2026 ---" before a new day */
};

/* One line of a view: one allocation, the nick and the text follow. */
struct ui_line {
	int64_t when; /* seconds since the epoch */
	int width; /* the pane width rows is for, 0 if not measured */
	int rows; /* rows it takes wrapped at width */
	uint32_t len; /* bytes of text */
	uint8_t kind;
	uint8_t nick_len;
	uint8_t pending; /* our message, not acknowledged yet */
	uint8_t id[16]; /* message id (UI_SELF) */
	char data[]; /* nick, then text, then a NUL */
};

/*
 * A view: the newest UI_VIEW_LINES lines of a conversation in a ring, so
 * that adding is O(1) and older lines (history) can be put in front.
 * Lines are numbered by seq, which never changes for a line: the first
 * held line has seq first, the last first + count - 1. The scroll
 * position is the line and wrapped row shown at the bottom of the pane,
 * so it survives new lines and resizing.
 */
struct ui_view {
	struct ui_line **ring;
	size_t cap, max, head, count;
	int64_t first;
	int follow; /* at the bottom, following new lines */
	int64_t anchor; /* else: the line at the bottom row */
	int anchor_row; /* and which of its rows */
	unsigned unread; /* the system view's (peers keep theirs) */
	int64_t oldest_rowid; /* the oldest stored line held (0: none) */
	int history_done; /* nothing older in the store, or full */
	int hidden; /* closed (/close) until the next message */
	int state; /* the peer's state last seen, plus one (0: none) */
};

/* How lines look; attributes are 0 where there is nothing to show. */
struct ui_style {
	int timestamps;
	const char *ts_format;
	int colors;
	attr_t self, peer, info, error, flip, pending, title, bar, unread;
};

struct ui {
	struct app *app;
	struct cmd_ctx ctx;
	struct loop_watch *watch;
	struct ui_style style;
	int dirty; /* UI_DIRTY_* */
	int too_small;
	int bell; /* ring at the next draw */
	int paste_brackets; /* bracketed paste mode is on */
	int closing; /* the views are gone: ignore the engine's last words */
	int utf8; /* the terminal's locale is UTF-8: arrows, dots, ellipses */
	uint64_t started_ms;
	uint64_t frames;

	WINDOW *w_peers, *w_title, *w_log, *w_status, *w_xfers, *w_input;
	int rows, cols, pw;
	int xfer_rows; /* rows of w_xfers, 0 when it has nothing to show */

	struct ui_view *system;
	struct peer *sel; /* the view shown; NULL: the system view */
	struct room *sel_room; /* ... or a room's (sel is NULL then) */
	struct ui_view **rviews; /* each room's, by room_get() index */
	size_t nrviews;
	size_t nhidden; /* peers whose view is closed */
	size_t peer_off; /* first entry the peer list shows */

	struct line line;
	size_t input_off; /* first character the input line shows */
	char notice[256];
	struct loop_timer *notice_timer; /* clears the notice */
	struct peer *notice_peer; /* whom it is about, or NULL */
	int64_t notice_xfer; /* and which transfer, or -1 */
	int notice_comp; /* a completion listing: gone at the next key */
	char listen[80];

	/* Keys: escape sequences come one character at a time. */
	int esc; /* 0, or the state of an escape sequence */
	char seq[32];
	size_t seq_len;
	int rd_ret[UI_READ_MAX]; /* what one read of the terminal brought */
	wint_t rd_ch[UI_READ_MAX];
	int tab_is_text; /* more text follows this Tab in the same read */
	int pasting; /* between bracketed paste start and end */
	int paste_cr; /* the last pasted character was a CR */
	size_t paste_lines; /* a long paste waits for Enter or Escape */
	wchar_t *pastebuf;
	size_t paste_len, paste_cap;

	/* Tab completion: the matches being cycled through. */
	char **comp;
	size_t ncomp, comp_i, comp_start;
	char *comp_word; /* what was typed, for Escape */
	int completing;
};

/* ui.c */
struct ui_view *ui_view_of(struct peer *);
struct ui_view *ui_current_view(struct ui *);
size_t ui_nviews(struct ui *);
struct peer *ui_view_peer(struct ui *, size_t);
size_t ui_selected_index(struct ui *);
void ui_select(struct ui *, size_t);
void ui_select_unread(struct ui *);
void ui_reply(void *, enum fe_level, const char *);
void ui_notify(struct ui *, const char *);
/* A notice about p (or NULL) and its transfer number (or -1), so that
 * news making it stale clears it. */
void ui_notify_about(struct ui *, const char *, struct peer *, int64_t xfer);
void ui_notify_clear(struct ui *);
/* Before scrolling back: load older stored lines into the view if the
 * scroll would come near its oldest (all of them for the top). */
void ui_history_before_scroll(struct ui *, int to_top, int page);

/* ui_log.c: views and the conversation pane */
struct ui_view *ui_view_create(size_t max);
void ui_view_free(struct ui_view *);
/* Drop every line (/clear): the history is not read into it again. */
void ui_view_clear(struct ui_view *);
/* Add a line at the end (dropping the oldest if full). */
struct ui_line *ui_view_add(struct ui_view *, enum ui_kind, time_t,
    const char *nick, const char *text, size_t len);
/* Lines of a new local day (ui_view_add() and ui_view_add_front() add
 * them between lines of different days); ui_view_day_top() puts one
 * over the oldest line, once nothing older is left to read. */
void ui_view_day_top(struct ui_view *);
/* Put an older line in front; NULL if the view is full. */
struct ui_line *ui_view_add_front(struct ui_view *, enum ui_kind, time_t,
    const char *nick, const char *text, size_t len);
struct ui_line *ui_view_line(const struct ui_view *, int64_t seq);
/* Mark our message id delivered; 1 if it was found. */
int ui_view_delivered(struct ui_view *, const uint8_t id[16]);
/* Rows the line takes in a pane of width columns. */
int ui_line_rows(const struct ui_style *, struct ui_line *, int width);
/* Scroll by rows (negative: back) in a pane of width x height. */
void ui_view_scroll(
    const struct ui_style *, struct ui_view *, int rows, int width, int height);
void ui_view_top(
    const struct ui_style *, struct ui_view *, int width, int height);
void ui_view_bottom(struct ui_view *);
void ui_log_draw(const struct ui_style *, WINDOW *, struct ui_view *);
/* Write up to n bytes of s at the cursor, in at most maxcols columns;
 * returns the columns used. */
int ui_put(WINDOW *, const char *s, size_t n, int maxcols, attr_t);
/* s in at most maxcols columns, cut with an ellipsis if longer. */
int ui_put_cut(WINDOW *, const char *s, int maxcols, attr_t, int utf8);
/* Put one grapheme cluster (line.h) of n wide characters in one cell. */
void ui_put_cluster(WINDOW *, const wchar_t *s, size_t n);
void ui_title_draw(struct ui *);

/* ui_peers.c */
void ui_peers_draw(struct ui *);
/* The view index at row y of the peer list, or -1. */
int ui_peers_hit(struct ui *, int y);

/* ui_rooms.c: rooms' views, after the peers' */
size_t ui_rooms_count(struct ui *);
struct room *ui_rooms_at(struct ui *, size_t);
struct ui_view *ui_room_view(struct ui *, struct room *);
void ui_rooms_free(struct ui *);
/* The peer list's entry for r: its name and what follows it. */
void ui_room_entry(struct ui *, struct room *, char *name, size_t namelen,
    char *tail, size_t taillen);
/* The title bar's text for r (the caller frees it). */
char *ui_room_title(struct ui *, struct room *);
void ui_room_report(void *arg, const struct room_report *);
/* The room of view index i, or NULL. */
struct room *ui_view_room(struct ui *, size_t);

/* ui_xfers.c: the transfer strip above the input line */
/* The rows the strip wants on a terminal this many rows high. */
int ui_xfers_rows(struct ui *, int rows);
void ui_xfers_draw(struct ui *);

/* ui_input.c */
void ui_input_init(struct ui *);
void ui_input_free(struct ui *);
void ui_input_read(struct ui *);
void ui_input_draw(struct ui *);
/* The key list /help shows after the commands. */
void ui_help_keys(struct ui *);
/* n wide characters as UTF-8, and UTF-8 as wide characters (*n of
 * them); the caller frees either. */
char *ui_wcs_to_utf8(const wchar_t *, size_t n);
wchar_t *ui_utf8_to_wcs(const char *, size_t *n);

/* ui_complete.c: Tab completion */
/* Complete the word before the cursor, or cycle to the next (previous
 * with backwards) match. */
void ui_complete(struct ui *, int backwards);
/* Escape while cycling: back to what was typed. */
void ui_comp_cancel(struct ui *);
/* Forget the matches (any key but Tab). */
void ui_comp_reset(struct ui *);

#endif
