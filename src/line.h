/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Text for the terminal without curses: the input line editor (a wide
 * character buffer with a cursor, a kill buffer and a history) and the
 * measuring and wrapping of UTF-8 text in terminal columns. Pure
 * functions over memory, unit-tested in tests/unit/test_line.c; the UI
 * draws what these compute.
 */
#ifndef P2PTUI_LINE_H
#define P2PTUI_LINE_H

#include <stddef.h>
#include <wchar.h>

#define LINE_MAX_CHARS 65536 /* longest input line */
#define LINE_HISTORY_MAX 500 /* lines remembered for Up/Down */

struct line {
	wchar_t *buf; /* not terminated; len characters */
	size_t len, cap, cursor;
	size_t max; /* most characters the line takes */

	wchar_t *kill; /* the last killed text, for yank */
	size_t kill_len;
	int killing; /* the previous edit was a kill: the next appends */

	wchar_t **hist; /* oldest first, each terminated */
	size_t nhist;
	size_t hist_pos; /* nhist while editing a new line */
	wchar_t *draft; /* the new line, saved while browsing history */
};

void line_init(struct line *, size_t max);
void line_free(struct line *);

/* Insert n characters at the cursor; returns how many fitted. */
size_t line_insert(struct line *, const wchar_t *, size_t n);
/* Replace the line with s (n characters), cursor at the end. */
void line_set(struct line *, const wchar_t *s, size_t n);
/* Replace characters [start, end) with s; cursor after it. */
void line_replace(
    struct line *, size_t start, size_t end, const wchar_t *s, size_t n);
void line_clear(struct line *);

/* Left, Right, Backspace and Delete take a whole cluster. */
void line_left(struct line *);
void line_right(struct line *);
void line_home(struct line *);
void line_end(struct line *);
/* Word motions (Alt-B, Alt-F): words are letters and digits. */
void line_word_left(struct line *);
void line_word_right(struct line *);

void line_backspace(struct line *);
void line_delete(struct line *);
/* Swap the characters before and at the cursor (Ctrl-T). */
void line_transpose(struct line *);
/* Kills (Ctrl-K, Ctrl-U, Ctrl-W, Alt-D, Alt-Backspace) keep the text for
 * line_yank(); consecutive kills add up, as in Emacs and readline. */
void line_kill_end(struct line *);
void line_kill_start(struct line *);
/* Ctrl-W: back to the previous whitespace. */
void line_kill_space_word(struct line *);
void line_kill_word_left(struct line *);
void line_kill_word_right(struct line *);
void line_yank(struct line *);

/* The line as UTF-8 (caller frees); NULL if it cannot be encoded. */
char *line_text(const struct line *);

/* Remember s (a finished line) in the history and leave history mode. */
void line_history_add(struct line *, const wchar_t *s, size_t n);
/* Up and Down: show the previous or next history entry; the line being
 * written is kept and comes back below the newest entry. */
void line_history_prev(struct line *);
void line_history_next(struct line *);

/* Bounds [*start, cursor) of the word before the cursor (no spaces). */
size_t line_word_start(const struct line *);

/*
 * UTF-8 measured in terminal columns. An invalid byte or a character
 * that is not printable counts as one column (the UI shows it as '?').
 *
 * Text is measured, wrapped, drawn and edited in grapheme clusters, as
 * the terminal (tmux) draws them: a character with the zero-width
 * characters after it (combining marks, variation selectors) and, after
 * a zero-width joiner, the next character too (the family emoji
 * U+1F469 U+200D U+1F469 U+200D U+1F467 is one cluster). A cluster is as
 * wide as its first character; one that starts with a zero-width
 * character is drawn on a space, one column.
 */
#define LINE_ZWJ ((wchar_t)0x200d)
/* Bytes of the cluster at s (n > 0 bytes); its columns in *width. */
size_t line_cluster(const char *s, size_t n, int *width);
/* Of wide characters b[0..n): the end of the cluster at i, and the start
 * of the one before i. */
size_t line_cluster_after(const wchar_t *b, size_t n, size_t i);
size_t line_cluster_before(const wchar_t *b, size_t i);
/* Columns of the cluster b[0..n). */
int line_wcluster_width(const wchar_t *b, size_t n);
/* Decode one character of s (n > 0 bytes); returns the bytes used (at
 * least 1) and stores the character to display and its width. */
size_t line_decode(const char *s, size_t n, wchar_t *wc, int *width);
/* Columns of a wide character as displayed (0 for combining marks). */
int line_wcwidth(wchar_t);
/* Columns of the first n bytes of s. */
int line_width(const char *s, size_t n);
/*
 * One row of wrapped text: how many bytes of s (n bytes) go on a row of
 * width columns, breaking at a newline, else after a space where
 * possible; *cols gets the columns they take and *skip the bytes to drop
 * before the next row (the newline or space broken at). Clusters are
 * never split. Returns n if everything fits; 0 only if width is too
 * small for the first character or s starts with a newline.
 */
size_t line_wrap(const char *s, size_t n, int width, int *cols, size_t *skip);

#endif
