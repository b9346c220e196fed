/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The input line editor and the measuring of text in terminal columns,
 * with no curses (see line.h).
 *
 * Invariants: 0 <= cursor <= len <= max <= cap; the buffer is not
 * terminated (line_text() encodes it). hist_pos == nhist means the user
 * edits a new line; below that, the line shows hist[hist_pos] and the new
 * line waits in draft. killing is set by a kill and cleared by every other
 * edit, so that only consecutive kills add up in the kill buffer.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "line.h"
#include "xmalloc.h"

void
line_init(struct line *l, size_t max)
{
	memset(l, 0, sizeof *l);
	l->max = max > 0 ? max : LINE_MAX_CHARS;
}

void
line_free(struct line *l)
{
	size_t i;

	free(l->buf);
	free(l->kill);
	for (i = 0; i < l->nhist; i++)
		free(l->hist[i]);
	free(l->hist);
	free(l->draft);
	memset(l, 0, sizeof *l);
}

static void
line_reserve(struct line *l, size_t need)
{
	size_t cap = l->cap > 0 ? l->cap : 64;

	if (need <= l->cap)
		return;
	while (cap < need)
		cap *= 2;
	l->buf = xreallocarray(l->buf, cap, sizeof *l->buf);
	l->cap = cap;
}

size_t
line_insert(struct line *l, const wchar_t *s, size_t n)
{
	l->killing = 0;
	if (n > l->max - l->len)
		n = l->max - l->len;
	if (n == 0)
		return 0;
	line_reserve(l, l->len + n);
	memmove(&l->buf[l->cursor + n], &l->buf[l->cursor],
	    (l->len - l->cursor) * sizeof *l->buf);
	memcpy(&l->buf[l->cursor], s, n * sizeof *s);
	l->len += n;
	l->cursor += n;
	return n;
}

static void line_cut(struct line *, size_t, size_t);

void
line_replace(
    struct line *l, size_t start, size_t end, const wchar_t *s, size_t n)
{
	if (end > l->len)
		end = l->len;
	if (start > end)
		start = end;
	if (end > start)
		line_cut(l, start, end);
	l->cursor = start;
	line_insert(l, s, n);
}

void
line_set(struct line *l, const wchar_t *s, size_t n)
{
	l->len = l->cursor = 0;
	line_insert(l, s, n);
}

void
line_clear(struct line *l)
{
	l->len = l->cursor = 0;
	l->killing = 0;
}

void
line_left(struct line *l)
{
	l->killing = 0;
	l->cursor = line_cluster_before(l->buf, l->cursor);
}

void
line_right(struct line *l)
{
	l->killing = 0;
	l->cursor = line_cluster_after(l->buf, l->len, l->cursor);
}

void
line_home(struct line *l)
{
	l->killing = 0;
	l->cursor = 0;
}

void
line_end(struct line *l)
{
	l->killing = 0;
	l->cursor = l->len;
}

static int
line_is_word(wchar_t c)
{
	return iswalnum((wint_t)c);
}

static size_t
line_word_left_of(const struct line *l, size_t i)
{
	while (i > 0 && !line_is_word(l->buf[i - 1]))
		i--;
	while (i > 0 && line_is_word(l->buf[i - 1]))
		i--;
	return i;
}

static size_t
line_word_right_of(const struct line *l, size_t i)
{
	while (i < l->len && !line_is_word(l->buf[i]))
		i++;
	while (i < l->len && line_is_word(l->buf[i]))
		i++;
	return i;
}

void
line_word_left(struct line *l)
{
	l->killing = 0;
	l->cursor = line_word_left_of(l, l->cursor);
}

void
line_word_right(struct line *l)
{
	l->killing = 0;
	l->cursor = line_word_right_of(l, l->cursor);
}

/* Delete [start, end), without touching the kill buffer. */
static void
line_cut(struct line *l, size_t start, size_t end)
{
	memmove(&l->buf[start], &l->buf[end], (l->len - end) * sizeof *l->buf);
	l->len -= end - start;
	if (l->cursor >= end)
		l->cursor -= end - start;
	else if (l->cursor > start)
		l->cursor = start;
}

void
line_backspace(struct line *l)
{
	l->killing = 0;
	if (l->cursor > 0)
		line_cut(l, line_cluster_before(l->buf, l->cursor), l->cursor);
}

void
line_delete(struct line *l)
{
	l->killing = 0;
	if (l->cursor < l->len)
		line_cut(l, l->cursor,
		    line_cluster_after(l->buf, l->len, l->cursor));
}

void
line_transpose(struct line *l)
{
	wchar_t c;
	size_t i = l->cursor;

	l->killing = 0;
	if (l->len < 2 || i == 0)
		return;
	if (i == l->len)
		i--;
	c = l->buf[i - 1];
	l->buf[i - 1] = l->buf[i];
	l->buf[i] = c;
	l->cursor = i + 1;
}

/* Kill [start, end): keep it for yank, after or before (backwards) what
 * the previous kill kept if the last edit was a kill too. */
static void
line_kill(struct line *l, size_t start, size_t end, int backwards)
{
	size_t n = end - start, keep = l->killing ? l->kill_len : 0;
	wchar_t *k;

	if (n == 0) {
		l->killing = 1;
		return;
	}
	k = xreallocarray(NULL, keep + n, sizeof *k);
	if (backwards) {
		memcpy(k, &l->buf[start], n * sizeof *k);
		if (keep > 0)
			memcpy(k + n, l->kill, keep * sizeof *k);
	} else {
		if (keep > 0)
			memcpy(k, l->kill, keep * sizeof *k);
		memcpy(k + keep, &l->buf[start], n * sizeof *k);
	}
	free(l->kill);
	l->kill = k;
	l->kill_len = keep + n;
	line_cut(l, start, end);
	l->killing = 1;
}

void
line_kill_end(struct line *l)
{
	line_kill(l, l->cursor, l->len, 0);
}

void
line_kill_start(struct line *l)
{
	line_kill(l, 0, l->cursor, 1);
}

void
line_kill_space_word(struct line *l)
{
	size_t i = l->cursor;

	while (i > 0 && iswspace((wint_t)l->buf[i - 1]))
		i--;
	while (i > 0 && !iswspace((wint_t)l->buf[i - 1]))
		i--;
	line_kill(l, i, l->cursor, 1);
}

void
line_kill_word_left(struct line *l)
{
	line_kill(l, line_word_left_of(l, l->cursor), l->cursor, 1);
}

void
line_kill_word_right(struct line *l)
{
	line_kill(l, l->cursor, line_word_right_of(l, l->cursor), 0);
}

void
line_yank(struct line *l)
{
	if (l->kill_len > 0)
		line_insert(l, l->kill, l->kill_len);
	l->killing = 0;
}

char *
line_text(const struct line *l)
{
	char *s = xmalloc(l->len * MB_LEN_MAX + 1), *p = s;
	mbstate_t st;
	size_t i, k;

	memset(&st, 0, sizeof st);
	for (i = 0; i < l->len; i++) {
		if ((k = wcrtomb(p, l->buf[i], &st)) == (size_t)-1) {
			free(s);
			return NULL;
		}
		p += k;
	}
	*p = '\0';
	return s;
}

static wchar_t *
line_wcsndup(const wchar_t *s, size_t n)
{
	wchar_t *d = xreallocarray(NULL, n + 1, sizeof *d);

	memcpy(d, s, n * sizeof *d);
	d[n] = L'\0';
	return d;
}

void
line_history_add(struct line *l, const wchar_t *s, size_t n)
{
	free(l->draft);
	l->draft = NULL;
	l->hist_pos = l->nhist;
	if (n == 0)
		return;
	if (l->nhist > 0 && wcslen(l->hist[l->nhist - 1]) == n &&
	    memcmp(l->hist[l->nhist - 1], s, n * sizeof *s) == 0)
		return;
	if (l->nhist == LINE_HISTORY_MAX) {
		free(l->hist[0]);
		memmove(
		    &l->hist[0], &l->hist[1], (l->nhist - 1) * sizeof *l->hist);
		l->nhist--;
	} else
		l->hist = xreallocarray(l->hist, l->nhist + 1, sizeof *l->hist);
	l->hist[l->nhist++] = line_wcsndup(s, n);
	l->hist_pos = l->nhist;
}

void
line_history_prev(struct line *l)
{
	if (l->hist_pos == 0)
		return;
	if (l->hist_pos == l->nhist) {
		free(l->draft);
		l->draft = line_wcsndup(l->buf, l->len);
	}
	l->hist_pos--;
	line_set(l, l->hist[l->hist_pos], wcslen(l->hist[l->hist_pos]));
}

void
line_history_next(struct line *l)
{
	if (l->hist_pos >= l->nhist)
		return;
	l->hist_pos++;
	if (l->hist_pos == l->nhist) {
		line_set(l, l->draft, l->draft != NULL ? wcslen(l->draft) : 0);
		free(l->draft);
		l->draft = NULL;
	} else
		line_set(l, l->hist[l->hist_pos], wcslen(l->hist[l->hist_pos]));
}

size_t
line_word_start(const struct line *l)
{
	size_t i = l->cursor;

	while (i > 0 && !iswspace((wint_t)l->buf[i - 1]))
		i--;
	return i;
}

/* --- columns ---------------------------------------------------------- */

int
line_wcwidth(wchar_t wc)
{
	int w = wcwidth(wc);

	return w < 0 ? 1 : w;
}

/* Does wc (wcwidth w) join the cluster that prev ends? Zero-width
 * characters do, and a printable character after a zero-width joiner. */
static int
line_joins(wchar_t prev, wchar_t wc, int w)
{
	return w == 0 || (prev == LINE_ZWJ && w > 0);
}

size_t
line_cluster_after(const wchar_t *b, size_t n, size_t i)
{
	if (i >= n)
		return n;
	for (i++; i < n && line_joins(b[i - 1], b[i], wcwidth(b[i])); i++)
		;
	return i;
}

size_t
line_cluster_before(const wchar_t *b, size_t i)
{
	if (i == 0)
		return 0;
	for (i--; i > 0 && line_joins(b[i - 1], b[i], wcwidth(b[i])); i--)
		;
	return i;
}

int
line_wcluster_width(const wchar_t *b, size_t n)
{
	int w = n > 0 ? line_wcwidth(b[0]) : 0;

	return w > 0 ? w : 1; /* a lone mark is drawn on a space */
}

size_t
line_cluster(const char *s, size_t n, int *width)
{
	size_t pos, k;
	wchar_t prev, wc;
	int w;

	pos = line_decode(s, n, &prev, width);
	if (*width == 0)
		*width = 1;
	while (pos < n) {
		k = line_decode(s + pos, n - pos, &wc, &w);
		if (!line_joins(prev, wc, w))
			break;
		pos += k;
		prev = wc;
	}
	return pos;
}

size_t
line_decode(const char *s, size_t n, wchar_t *wc, int *width)
{
	mbstate_t st;
	size_t k;
	int w;

	memset(&st, 0, sizeof st);
	k = mbrtowc(wc, s, n, &st);
	if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
		*wc = L'?';
		*width = 1;
		return 1;
	}
	if ((w = wcwidth(*wc)) < 0) {
		*wc = L'?';
		w = 1;
	}
	*width = w;
	return k;
}

int
line_width(const char *s, size_t n)
{
	size_t k;
	int w, total = 0;

	while (n > 0) {
		k = line_cluster(s, n, &w);
		total += w;
		s += k;
		n -= k;
	}
	return total;
}

size_t
line_wrap(const char *s, size_t n, int width, int *cols, size_t *skip)
{
	size_t pos = 0, k, brk = 0;
	int w, used = 0, brk_cols = 0;

	*skip = 0;
	while (pos < n) {
		if (s[pos] == '\n') {
			/* A line break in the text ends the row. */
			*cols = used;
			*skip = 1;
			return pos;
		}
		k = line_cluster(s + pos, n - pos, &w);
		if (used + w > width)
			break;
		if (s[pos] == ' ' && pos > 0) {
			brk = pos;
			brk_cols = used;
		}
		pos += k;
		used += w;
	}
	if (pos == n || pos == 0) {
		*cols = used;
		return pos;
	}
	if (s[pos] == ' ') {
		/* The space that did not fit is where the row ends. */
		*cols = used;
		*skip = 1;
		return pos;
	}
	if (brk > 0) {
		*cols = brk_cols;
		*skip = 1;
		return brk;
	}
	*cols = used;
	return pos;
}
