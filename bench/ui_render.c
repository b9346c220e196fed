/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ui_render: the conversation pane's cost, measured on the real drawing
 * code (src/ui_log.c) with curses writing real terminal output to
 * /dev/null. A view of LINES lines (100 000) of mixed text (ASCII,
 * accented, CJK, emoji; 5 to 200 columns, so many wrap) is filled, then:
 *
 *   fill        adding the lines to the view
 *   bottom      the first frame at the bottom (rows measured lazily)
 *   top         Alt-Home and its frame
 *   pgdn        PgDn page by page from the top to the bottom, a frame
 *               each: total, per frame, and the slowest frame
 *   pgup        PgUp page by page from the bottom to the top
 *   resize      a new width (every row count is stale) and its frame
 *   burst       10 000 lines added to a following view, then one frame
 *               (what the UI does for a burst within one loop iteration)
 *
 * Output: "RESULT key value" lines for bench/bench_ui.sh, times in
 * microseconds from CLOCK_MONOTONIC.
 *
 *   ui_render [-n LINES] [-c COLS] [-r ROWS]
 */
#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ui.h"

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void
frame(const struct ui_style *st, WINDOW *w, struct ui_view *v)
{
	ui_log_draw(st, w, v);
	wnoutrefresh(w);
	doupdate();
}

/* Line i of the conversation: deterministic, of varied width. */
static size_t
make_line(size_t i, char *buf, size_t len)
{
	static const char *words[] = { "hello", "caf\xc3\xa9", "na\xc3\xafve",
		"\xe6\xbc\xa2\xe5\xad\x97", "\xf0\x9f\x98\x80", "the", "quick",
		"brown", "fox", "jumps", "over", "lazy", "dog", "p2ptui",
		"\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88", "message" };
	size_t n = 0, k, nw = 1 + (i * 7919) % 40;
	int m;

	m = snprintf(buf, len, "%zu:", i);
	n = (size_t)m;
	for (k = 0; k < nw && n + 32 < len; k++) {
		m = snprintf(buf + n, len - n, " %s",
		    words[(i * 31 + k * 17) %
		        (sizeof words / sizeof words[0])]);
		n += (size_t)m;
	}
	return n;
}

static void
result(const char *key, double v)
{
	printf("RESULT %s %.0f\n", key, v);
}

int
main(int argc, char **argv)
{
	struct ui_style st;
	struct ui_view *v;
	WINDOW *w;
	SCREEN *scr;
	FILE *out, *in;
	char buf[1024];
	size_t i, nlines = 100000, len;
	int ch, cols = 80, rows = 24, h, width, frames;
	double t0, t, max;

	while ((ch = getopt(argc, argv, "n:c:r:")) != -1) {
		switch (ch) {
		case 'n':
			nlines = (size_t)strtoul(optarg, NULL, 10);
			break;
		case 'c':
			cols = atoi(optarg);
			break;
		case 'r':
			rows = atoi(optarg);
			break;
		default:
			fprintf(stderr,
			    "usage: ui_render [-n LINES] [-c COLS] "
			    "[-r ROWS]\n");
			return 1;
		}
	}
	if (setlocale(LC_ALL, "C.UTF-8") == NULL) {
		fprintf(stderr, "ui_render: no C.UTF-8 locale\n");
		return 1;
	}
	snprintf(buf, sizeof buf, "%d", cols);
	setenv("COLUMNS", buf, 1);
	snprintf(buf, sizeof buf, "%d", rows);
	setenv("LINES", buf, 1);
	if ((out = fopen("/dev/null", "w")) == NULL ||
	    (in = fopen("/dev/null", "r")) == NULL)
		return 1;
	if ((scr = newterm("xterm-256color", out, in)) == NULL) {
		fprintf(stderr, "ui_render: newterm failed\n");
		return 1;
	}
	set_term(scr);
	start_color();
	use_default_colors();
	init_pair(1, COLOR_GREEN, -1);
	init_pair(2, COLOR_CYAN, -1);
	memset(&st, 0, sizeof st);
	st.timestamps = 1;
	st.ts_format = "%H:%M";
	st.self = COLOR_PAIR(1) | A_BOLD;
	st.peer = COLOR_PAIR(2) | A_BOLD;
	st.pending = A_DIM;
	/* The conversation pane of a COLSxROWS screen, peer list 20 wide. */
	w = newwin(rows - 3, cols - 20, 1, 20);
	getmaxyx(w, h, width);

	v = ui_view_create(nlines);
	t0 = now_us();
	for (i = 0; i < nlines; i++) {
		len = make_line(i, buf, sizeof buf);
		ui_view_add(v, i % 3 == 0 ? UI_SELF : UI_PEER,
		    (time_t)(1700000000 + i), i % 3 == 0 ? "alice" : "bob", buf,
		    len);
	}
	result("fill_us", now_us() - t0);
	result("lines", (double)nlines);
	result("cols", cols);
	result("rows", rows);

	t0 = now_us();
	frame(&st, w, v);
	result("bottom_us", now_us() - t0);

	t0 = now_us();
	ui_view_top(&st, v, width, h);
	frame(&st, w, v);
	result("top_us", now_us() - t0);

	frames = 0;
	max = 0;
	t0 = now_us();
	while (!v->follow) {
		t = now_us();
		ui_view_scroll(&st, v, h - 1, width, h);
		frame(&st, w, v);
		t = now_us() - t;
		if (t > max)
			max = t;
		frames++;
	}
	t = now_us() - t0;
	result("pgdn_frames", frames);
	result("pgdn_total_us", t);
	result("pgdn_frame_us", t / (frames > 0 ? frames : 1));
	result("pgdn_max_us", max);

	frames = 0;
	max = 0;
	t0 = now_us();
	for (;;) {
		int64_t before = v->follow ? -1 : v->anchor;
		int brow = v->anchor_row;

		t = now_us();
		ui_view_scroll(&st, v, -(h - 1), width, h);
		frame(&st, w, v);
		t = now_us() - t;
		if (t > max)
			max = t;
		frames++;
		if (!v->follow && v->anchor == before && v->anchor_row == brow)
			break; /* at the top */
	}
	t = now_us() - t0;
	result("pgup_frames", frames);
	result("pgup_total_us", t);
	result("pgup_frame_us", t / (frames > 0 ? frames : 1));
	result("pgup_max_us", max);

	/* A narrower pane: every cached row count is stale. */
	delwin(w);
	w = newwin(rows - 3, cols - 30, 1, 30);
	getmaxyx(w, h, width);
	t0 = now_us();
	frame(&st, w, v);
	result("resize_us", now_us() - t0);

	/* A burst into a view that follows: one frame for all of it. */
	ui_view_bottom(v);
	frame(&st, w, v);
	t0 = now_us();
	for (i = 0; i < 10000; i++) {
		len = make_line(nlines + i, buf, sizeof buf);
		ui_view_add(
		    v, UI_PEER, (time_t)(1700000000 + i), "bob", buf, len);
	}
	frame(&st, w, v);
	result("burst10k_us", now_us() - t0);

	delwin(w);
	endwin();
	delscreen(scr);
	ui_view_free(v);
	fclose(out);
	fclose(in);
	return 0;
}
