/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The line editor and the measuring of text in terminal columns. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "line.h"

static void
type(struct line *l, const wchar_t *s)
{
	assert_int_equal(line_insert(l, s, wcslen(s)), wcslen(s));
}

static void
assert_line(const struct line *l, const char *want, size_t cursor)
{
	char *s = line_text(l);

	assert_non_null(s);
	assert_string_equal(s, want);
	assert_int_equal(l->cursor, cursor);
	free(s);
}

static void
test_insert_and_move(void **state)
{
	struct line l;

	(void)state;
	line_init(&l, 0);
	assert_line(&l, "", 0);
	type(&l, L"hello");
	line_home(&l);
	type(&l, L"> ");
	assert_line(&l, "> hello", 2);
	line_end(&l);
	line_left(&l);
	line_left(&l);
	type(&l, L"\u00e9");
	assert_line(&l, "> hel\u00e9lo", 6);
	line_right(&l);
	line_right(&l);
	line_right(&l); /* past the end: stays */
	assert_int_equal(l.cursor, l.len);
	line_home(&l);
	line_left(&l); /* before the start: stays */
	assert_int_equal(l.cursor, 0);
	line_free(&l);
}

static void
test_delete(void **state)
{
	struct line l;

	(void)state;
	line_init(&l, 0);
	type(&l, L"abc");
	line_backspace(&l);
	assert_line(&l, "ab", 2);
	line_home(&l);
	line_backspace(&l); /* nothing before */
	line_delete(&l);
	assert_line(&l, "b", 0);
	line_end(&l);
	line_delete(&l); /* nothing under */
	assert_line(&l, "b", 1);
	line_free(&l);
}

static void
test_max(void **state)
{
	struct line l;

	(void)state;
	line_init(&l, 4);
	assert_int_equal(line_insert(&l, L"abcdef", 6), 4);
	assert_line(&l, "abcd", 4);
	assert_int_equal(line_insert(&l, L"x", 1), 0);
	line_free(&l);
}

static void
test_words(void **state)
{
	struct line l;

	(void)state;
	line_init(&l, 0);
	type(&l, L"one, two  three");
	line_word_left(&l);
	assert_int_equal(l.cursor, 10);
	line_word_left(&l);
	assert_int_equal(l.cursor, 5);
	line_word_left(&l);
	assert_int_equal(l.cursor, 0);
	line_word_left(&l);
	assert_int_equal(l.cursor, 0);
	line_word_right(&l);
	assert_int_equal(l.cursor, 3);
	line_word_right(&l);
	assert_int_equal(l.cursor, 8);
	line_word_right(&l);
	line_word_right(&l);
	assert_int_equal(l.cursor, 15);
	line_free(&l);
}

static void
test_kill_yank(void **state)
{
	struct line l;

	(void)state;
	line_init(&l, 0);
	type(&l, L"say hello world");
	line_kill_space_word(&l); /* Ctrl-W */
	assert_line(&l, "say hello ", 10);
	line_kill_space_word(&l); /* consecutive: prepends */
	assert_line(&l, "say ", 4);
	line_yank(&l);
	assert_line(&l, "say hello world", 15);

	line_home(&l);
	line_kill_end(&l); /* Ctrl-K */
	assert_line(&l, "", 0);
	line_yank(&l);
	line_yank(&l);
	assert_line(&l, "say hello worldsay hello world", 30);

	line_set(&l, L"abc def", 7);
	line_left(&l);
	line_left(&l);
	line_kill_start(&l); /* Ctrl-U */
	assert_line(&l, "ef", 0);
	line_end(&l);
	line_yank(&l);
	assert_line(&l, "efabc d", 7);
	line_free(&l);
}

static void
test_kill_words(void **state)
{
	struct line l;

	(void)state;
	line_init(&l, 0);
	type(&l, L"path/to/file.txt");
	line_kill_word_left(&l); /* Alt-Backspace: a word is alphanumeric */
	assert_line(&l, "path/to/file.", 13);
	line_home(&l);
	line_kill_word_right(&l); /* Alt-D */
	line_kill_word_right(&l); /* consecutive: appends */
	assert_line(&l, "/file.", 0);
	line_end(&l);
	line_yank(&l);
	assert_line(&l, "/file.path/to", 13);
	/* Another edit in between: the next kill starts afresh. */
	line_left(&l);
	line_kill_end(&l);
	line_right(&l);
	line_kill_start(&l);
	line_yank(&l);
	assert_line(&l, "/file.path/t", 12);
	line_free(&l);
}

static void
test_transpose(void **state)
{
	struct line l;

	(void)state;
	line_init(&l, 0);
	type(&l, L"ab");
	line_transpose(&l); /* at the end: the last two */
	assert_line(&l, "ba", 2);
	line_set(&l, L"abc", 3);
	line_home(&l);
	line_transpose(&l); /* at the start: nothing */
	assert_line(&l, "abc", 0);
	line_right(&l);
	line_transpose(&l);
	assert_line(&l, "bac", 2);
	line_free(&l);
}

static void
test_history(void **state)
{
	struct line l;

	(void)state;
	line_init(&l, 0);
	line_history_add(&l, L"first", 5);
	line_history_add(&l, L"second", 6);
	line_history_add(&l, L"second", 6); /* a repeat is kept once */
	line_history_add(&l, L"", 0); /* empty lines are not kept */
	assert_int_equal(l.nhist, 2);
	type(&l, L"draft");
	line_history_prev(&l);
	assert_line(&l, "second", 6);
	line_history_prev(&l);
	assert_line(&l, "first", 5);
	line_history_prev(&l); /* the oldest: stays */
	assert_line(&l, "first", 5);
	line_history_next(&l);
	assert_line(&l, "second", 6);
	line_history_next(&l); /* back to what was being written */
	assert_line(&l, "draft", 5);
	line_history_next(&l);
	assert_line(&l, "draft", 5);
	line_free(&l);
}

static void
test_history_bounded(void **state)
{
	struct line l;
	wchar_t buf[16];
	int i;

	(void)state;
	line_init(&l, 0);
	for (i = 0; i < LINE_HISTORY_MAX + 10; i++) {
		swprintf(buf, 16, L"line %d", i);
		line_history_add(&l, buf, wcslen(buf));
	}
	assert_int_equal(l.nhist, LINE_HISTORY_MAX);
	assert_true(wcscmp(l.hist[0], L"line 10") == 0);
	line_free(&l);
}

static void
test_replace_and_word_start(void **state)
{
	struct line l;

	(void)state;
	line_init(&l, 0);
	type(&l, L"/msg al");
	assert_int_equal(line_word_start(&l), 5);
	line_replace(&l, 5, l.cursor, L"alice ", 6);
	assert_line(&l, "/msg alice ", 11);
	assert_int_equal(line_word_start(&l), 11);
	line_free(&l);
}

static void
test_width(void **state)
{
	wchar_t wc;
	int w;

	(void)state;
	assert_int_equal(line_width("abc", 3), 3);
	assert_int_equal(line_width("caf\u00e9", strlen("caf\u00e9")), 4);
	/* CJK and emoji take two columns each. */
	assert_int_equal(line_width("\u6f22\u5b57", strlen("\u6f22\u5b57")), 4);
	assert_int_equal(line_width("\U0001F600", 4), 2);
	/* A combining accent takes none. */
	assert_int_equal(line_width("e\u0301", 3), 1);
	/* Invalid bytes and control characters show as one '?' each. */
	assert_int_equal(line_width("\xff\xfe", 2), 2);
	assert_int_equal(line_decode("\x01", 1, &wc, &w), 1);
	assert_true(wc == L'?' && w == 1);
	/* A truncated sequence: one byte at a time. */
	assert_int_equal(line_decode("\xe6\xbc", 2, &wc, &w), 1);
}

/* Wrap s at width and join the rows with '|'. */
static void
assert_wrap(const char *s, int width, const char *want)
{
	char out[256] = "";
	size_t n = strlen(s), k, skip;
	int cols;

	for (;;) {
		k = line_wrap(s, n, width, &cols, &skip);
		assert_true(cols <= width);
		assert_int_equal(cols, line_width(s, k));
		strncat(out, s, k);
		s += k + skip;
		n -= k + skip;
		if (n == 0)
			break;
		assert_true(k + skip > 0);
		strcat(out, "|");
	}
	assert_string_equal(out, want);
}

static void
test_wrap(void **state)
{
	size_t skip;
	int cols;

	(void)state;
	assert_wrap("hello world", 20, "hello world");
	assert_wrap("hello world", 11, "hello world");
	assert_wrap("hello world", 10, "hello|world");
	assert_wrap("hello world", 5, "hello|world");
	assert_wrap("hello big world", 9, "hello big|world");
	assert_wrap("abcdefghij", 4, "abcd|efgh|ij");
	/* A space that does not fit ends the row and is dropped. */
	assert_wrap("abcd efgh", 4, "abcd|efgh");
	/* Wide characters never straddle the edge. */
	assert_wrap("\u6f22\u5b57\u6f22\u5b57\u6f22", 5,
	    "\u6f22\u5b57|\u6f22\u5b57|\u6f22");
	assert_wrap("ab \U0001F600\U0001F600", 5, "ab|\U0001F600\U0001F600");
	/* A combining mark stays with its letter. */
	assert_wrap("abce\u0301f", 4, "abce\u0301|f");
	/* A newline always ends a row, and is dropped. */
	assert_wrap("one\ntwo three", 20, "one|two three");
	assert_wrap("ab\n\ncd", 20, "ab||cd");
	assert_wrap("abc def\ngh", 5, "abc|def|gh");
	/* Too narrow for even one wide character. */
	assert_int_equal(line_wrap("\u6f22", 3, 1, &cols, &skip), 0);
	assert_int_equal(line_wrap("abc", 3, 0, &cols, &skip), 0);
	assert_int_equal(line_wrap("", 0, 5, &cols, &skip), 0);
}

/* Grapheme clusters: as tmux draws them, one cell as wide as the first
 * character; the editor moves and deletes whole clusters. */
#define FAMILY "\U0001F469\u200d\U0001F469\u200d\U0001F467"
static void
test_clusters(void **state)
{
	static const wchar_t fam[] = { 0x1f469, 0x200d, 0x1f469, 0x200d,
		0x1f467 };
	struct line l;
	int w;

	(void)state;
	assert_int_equal(
	    line_cluster(FAMILY "x", strlen(FAMILY) + 1, &w), strlen(FAMILY));
	assert_int_equal(w, 2);
	assert_int_equal(line_width("a" FAMILY "b", strlen(FAMILY) + 2), 4);
	/* A variation selector and marks join; a lone mark takes a column. */
	assert_int_equal(line_width("\u2764\ufe0f", 6), 1);
	assert_int_equal(line_width("e\u0301\u0303", 5), 1);
	assert_int_equal(line_width("\u0301", 2), 1);
	/* Skin tones and flags are separate characters, as tmux has them. */
	assert_int_equal(line_width("\U0001F44D\U0001F3FD", 8), 4);
	assert_int_equal(line_width("\U0001F1EB\U0001F1F7", 8), 2);
	/* Never wrapped inside a cluster. */
	assert_wrap("abc" FAMILY "d", 4, "abc|" FAMILY "d");
	assert_wrap("ab" FAMILY FAMILY, 4, "ab" FAMILY "|" FAMILY);

	line_init(&l, 0);
	line_insert(&l, L"a", 1);
	line_insert(&l, fam, 5);
	line_insert(&l, L"b", 1);
	assert_int_equal(line_cluster_after(l.buf, l.len, 1), 6);
	assert_int_equal(line_cluster_before(l.buf, 6), 1);
	assert_int_equal(line_wcluster_width(l.buf + 1, 5), 2);
	line_left(&l);
	assert_int_equal(l.cursor, 6);
	line_left(&l);
	assert_int_equal(l.cursor, 1);
	line_right(&l);
	assert_int_equal(l.cursor, 6);
	line_backspace(&l);
	assert_line(&l, "ab", 1);
	line_insert(&l, fam, 5);
	line_home(&l);
	line_right(&l);
	line_delete(&l);
	assert_line(&l, "ab", 1);
	line_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_and_move),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_max),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_kill_yank),
		cmocka_unit_test(test_kill_words),
		cmocka_unit_test(test_transpose),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_history_bounded),
		cmocka_unit_test(test_replace_and_word_start),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_clusters),
	};

	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		return 77; /* skip: no UTF-8 locale */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
