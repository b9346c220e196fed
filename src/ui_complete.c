/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Tab completion of the input line: a command name, then a peer name or
 * a file path as the command's arguments want; Tab again cycles through
 * the matches (Shift-Tab backwards), Escape undoes the cycling, and a
 * listing of the matches is shown as a notice.
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
#include "ui.h"
#include "xmalloc.h"

#define UI_COMP_MAX 500

void
ui_comp_reset(struct ui *ui)
{
	size_t i;

	for (i = 0; i < ui->ncomp; i++)
		free(ui->comp[i]);
	free(ui->comp);
	ui->comp = NULL;
	ui->ncomp = 0;
	free(ui->comp_word);
	ui->comp_word = NULL;
	ui->completing = 0;
}

/* --- completion ---------------------------------------------------------- */

static void
ui_comp_add(struct ui *ui, char *s)
{
	if (ui->ncomp == UI_COMP_MAX) {
		free(s);
		return;
	}
	ui->comp = xreallocarray(ui->comp, ui->ncomp + 1, sizeof *ui->comp);
	ui->comp[ui->ncomp++] = s;
}

static int
ui_comp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
ui_comp_files(struct ui *ui, const char *word)
{
	const char *slash = strrchr(word, '/'), *home = getenv("HOME");
	char *dir, *typed, *path;
	const char *base;
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int isdir;

	if (slash != NULL) {
		typed = xstrndup(word, (size_t)(slash - word + 1));
		base = slash + 1;
	} else {
		typed = xstrdup("");
		base = word;
	}
	if (typed[0] == '~' && typed[1] == '/' && home != NULL)
		dir = xasprintf("%s%s", home, typed + 1);
	else
		dir = xstrdup(typed[0] != '\0' ? typed : "./");
	if ((d = opendir(dir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (de->d_name[0] == '.' && base[0] != '.')
				continue;
			if (strncmp(de->d_name, base, strlen(base)) != 0)
				continue;
			path = xasprintf("%s%s", dir, de->d_name);
			isdir = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
			free(path);
			ui_comp_add(ui,
			    xasprintf(
			        "%s%s%s", typed, de->d_name, isdir ? "/" : ""));
		}
		closedir(d);
	}
	free(dir);
	free(typed);
}

/* Collect what the word before the cursor could be. */
/* Peer names that start with word. */
static void
ui_comp_peers(struct ui *ui, const char *word)
{
	struct peer *p;
	size_t i, n = engine_npeers(ui->app->engine);

	for (i = 0; i < n; i++) {
		p = engine_peer(ui->app->engine, i);
		if (strncmp(p->name, word, strlen(word)) == 0)
			ui_comp_add(ui, xstrdup(p->name));
	}
}

static void
ui_comp_collect(struct ui *ui, size_t start, const char *word)
{
	const struct cmd_entry *c = NULL;
	const wchar_t *b = ui->line.buf;
	size_t i, first = 0, end;
	char *cmd;

	while (first < start && iswspace((wint_t)b[first]))
		first++;
	if (first == start && word[0] == '/') {
		for (i = 0; i < cmd_count(); i++) {
			if (strncmp(cmd_get(i)->name, word + 1,
			        strlen(word + 1)) == 0)
				ui_comp_add(
				    ui, xasprintf("/%s", cmd_get(i)->name));
		}
		return;
	}
	if (first < start && b[first] == L'/') {
		for (end = first; end < start && !iswspace((wint_t)b[end]);
		     end++)
			;
		cmd = ui_wcs_to_utf8(b + first + 1, end - first - 1);
		c = cmd_find(cmd, strlen(cmd));
		free(cmd);
	}
	if (strchr(word, '/') != NULL || word[0] == '~' || word[0] == '.') {
		ui_comp_files(ui, word);
		return;
	}
	if (c != NULL && strcmp(c->name, "help") == 0) {
		for (i = 0; i < cmd_count(); i++) {
			if (strncmp(cmd_get(i)->name, word, strlen(word)) == 0)
				ui_comp_add(ui, xstrdup(cmd_get(i)->name));
		}
		return;
	}
	ui_comp_peers(ui, word); /* /connect takes a peer too */
}

/*
 * Where the word to complete starts: the word before the cursor, except
 * in the PATH of /send, which may contain spaces: everything after the
 * command, or after the peer if the first word names one and more
 * follows. *path is then 2 while that could still be the peer, else 1;
 * otherwise 0.
 */
static size_t
ui_comp_start(struct ui *ui, int *path)
{
	const wchar_t *b = ui->line.buf;
	size_t cur = ui->line.cursor, i = 0, end, arg;
	const struct cmd_entry *c;
	char *s;
	int peer;

	*path = 0;
	while (i < cur && iswspace((wint_t)b[i]))
		i++;
	if (i == cur || b[i] != L'/')
		return line_word_start(&ui->line);
	for (end = i; end < cur && !iswspace((wint_t)b[end]); end++)
		;
	if (end == cur)
		return line_word_start(&ui->line); /* the command itself */
	s = ui_wcs_to_utf8(b + i + 1, end - i - 1);
	c = cmd_find(s, strlen(s));
	free(s);
	if (c == NULL || strcmp(c->name, "send") != 0)
		return line_word_start(&ui->line);
	for (arg = end; arg < cur && iswspace((wint_t)b[arg]); arg++)
		;
	for (end = arg; end < cur && !iswspace((wint_t)b[end]); end++)
		;
	*path = 2;
	if (end < cur) {
		s = ui_wcs_to_utf8(b + arg, end - arg);
		peer = engine_find_peer(ui->app->engine, s) != NULL;
		free(s);
		*path = 1;
		if (peer) {
			for (arg = end; arg < cur && iswspace((wint_t)b[arg]);
			     arg++)
				;
		}
	}
	return arg;
}

/* /send's PATH: a file name, or while it could be, a peer's name. */
static void
ui_comp_send(struct ui *ui, const char *word, int peers)
{
	ui_comp_files(ui, word);
	if (!peers || strchr(word, '/') != NULL || word[0] == '~')
		return;
	ui_comp_peers(ui, word);
}

static void
ui_comp_put(struct ui *ui, const char *s, const char *suffix)
{
	wchar_t *w;
	char *t = xasprintf("%s%s", s, suffix);
	size_t n;

	w = ui_utf8_to_wcs(t, &n);
	line_replace(&ui->line, ui->comp_start, ui->line.cursor, w, n);
	free(w);
	free(t);
}

static void
ui_comp_show(struct ui *ui)
{
	char buf[256];
	size_t i, k = 0;

	k = (size_t)snprintf(buf, sizeof buf, "%zu matches:", ui->ncomp);
	for (i = 0; i < ui->ncomp && k < sizeof buf; i++)
		k += (size_t)snprintf(
		    buf + k, sizeof buf - k, " %s", ui->comp[i]);
	ui_notify(ui, buf);
	ui->notice_comp = 1;
}

void
ui_complete(struct ui *ui, int backwards)
{
	size_t start, lcp, i, wlen;
	char *word;
	const char *last;
	int path;

	if (ui->completing && ui->ncomp > 0) {
		ui->comp_i = backwards
		    ? (ui->comp_i + ui->ncomp - 1) % ui->ncomp
		    : (ui->comp_i + 1) % ui->ncomp;
		ui_comp_put(ui, ui->comp[ui->comp_i], "");
		return;
	}
	ui_comp_reset(ui);
	start = ui_comp_start(ui, &path);
	word = ui_wcs_to_utf8(ui->line.buf + start, ui->line.cursor - start);
	if (path)
		ui_comp_send(ui, word, path == 2);
	else
		ui_comp_collect(ui, start, word);
	ui->comp_start = start;
	if (ui->ncomp == 0) {
		free(word);
		ui_notify(ui, "no completion");
		return;
	}
	qsort(ui->comp, ui->ncomp, sizeof *ui->comp, ui_comp_cmp);
	if (ui->ncomp == 1) {
		last = ui->comp[0];
		ui_comp_put(ui, last,
		    last[0] != '\0' && last[strlen(last) - 1] == '/' ? ""
		                                                     : " ");
		free(word);
		ui_comp_reset(ui);
		return;
	}
	/* The longest common prefix, on a character boundary. */
	lcp = strlen(ui->comp[0]);
	for (i = 1; i < ui->ncomp; i++) {
		wlen = 0;
		while (wlen < lcp && ui->comp[i][wlen] == ui->comp[0][wlen])
			wlen++;
		lcp = wlen;
	}
	while (lcp > 0 && ((unsigned char)ui->comp[0][lcp] & 0xc0) == 0x80)
		lcp--;
	ui_comp_show(ui);
	if (lcp > strlen(word)) {
		ui->comp[0][lcp] = '\0';
		ui_comp_put(ui, ui->comp[0], "");
		free(word);
		ui_comp_reset(ui);
		return;
	}
	/* Nothing in common to add: Tab again cycles through them. */
	ui->comp_word = word;
	ui->completing = 1;
	ui->comp_i = backwards ? ui->ncomp - 1 : 0;
	ui_comp_put(ui, ui->comp[ui->comp_i], "");
}

/* Escape while cycling: back to what was typed. */
void
ui_comp_cancel(struct ui *ui)
{
	if (ui->completing && ui->comp_word != NULL)
		ui_comp_put(ui, ui->comp_word, "");
}