/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Rooms in the terminal: a view per room (after the peers in the peer
 * list, as "#name 2/3 (4)": members online out of all, unread), filled
 * from the room's history when first needed and then by the engine's
 * room reports; the title of a room's view (topic and members). The
 * views follow the order of room_get(), which only ever appends.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "conf.h"
#include "room.h"
#include "ui.h"
#include "xmalloc.h"

#define UI_ROOM_HISTORY 200 /* lines a room's view starts with */

size_t
ui_rooms_count(struct ui *ui)
{
	struct rooms *rs = room_of(ui->app->engine);

	return rs != NULL ? room_count(rs) : 0;
}

struct room *
ui_rooms_at(struct ui *ui, size_t i)
{
	struct rooms *rs = room_of(ui->app->engine);

	return rs != NULL ? room_get(rs, i) : NULL;
}

static size_t
ui_room_index(struct ui *ui, const struct room *r)
{
	size_t i, n = ui_rooms_count(ui);

	for (i = 0; i < n; i++)
		if (ui_rooms_at(ui, i) == r)
			return i;
	return n;
}

static int
ui_room_line(void *arg, struct room *r, const struct room_line *l)
{
	struct ui_view *v = arg;

	(void)r;
	ui_view_add(
	    v, UI_PEER, (time_t)(l->time_ms / 1000), l->who, l->text, l->len);
	return 0;
}

struct ui_view *
ui_room_view(struct ui *ui, struct room *r)
{
	size_t i = ui_room_index(ui, r), old = ui->nrviews;
	char *cause;

	if (i >= ui->nrviews) {
		ui->rviews =
		    xreallocarray(ui->rviews, i + 1, sizeof *ui->rviews);
		memset(ui->rviews + old, 0, (i + 1 - old) * sizeof *ui->rviews);
		ui->nrviews = i + 1;
	}
	if (ui->rviews[i] == NULL) {
		ui->rviews[i] = ui_view_create(UI_VIEW_LINES);
		if (room_history(room_of(ui->app->engine), r, UI_ROOM_HISTORY,
		        ui_room_line, ui->rviews[i], &cause) == -1)
			free(cause);
	}
	return ui->rviews[i];
}

void
ui_rooms_free(struct ui *ui)
{
	size_t i;

	for (i = 0; i < ui->nrviews; i++)
		ui_view_free(ui->rviews[i]);
	free(ui->rviews);
	ui->rviews = NULL;
	ui->nrviews = 0;
}

/* The peer list's entry: "#name", and " 2/3" or " 2/3 (4)". */
void
ui_room_entry(struct ui *ui, struct room *r, char *name, size_t namelen,
    char *tail, size_t taillen)
{
	size_t online, all;

	(void)ui;
	room_counts(r, &online, &all);
	snprintf(name, namelen, "#%s", room_name(r));
	if (room_unread(r) > 0)
		snprintf(tail, taillen, " %zu/%zu (%u)", online, all,
		    room_unread(r) > 9999 ? 9999 : room_unread(r));
	else
		snprintf(tail, taillen, " %zu/%zu", online, all);
}

char *
ui_room_title(struct ui *ui, struct room *r)
{
	size_t online, all;

	(void)ui;
	room_counts(r, &online, &all);
	return xasprintf(" #%s%s%s | %zu of %zu members online%s", room_name(r),
	    room_topic(r)[0] != '\0' ? " | " : "", room_topic(r), online, all,
	    room_active(r) ? "" : " | you left");
}

/* The engine's room reports. */
void
ui_room_report(void *arg, const struct room_report *rep)
{
	struct ui *ui = arg;
	struct ui_view *v;
	char *s;

	if (ui->closing)
		return;
	ui->dirty |= UI_DIRTY_PEERS | UI_DIRTY_TITLE;
	if (rep->room == NULL) {
		s = xasprintf("joining #%s failed: %s", rep->name, rep->what);
		ui_view_add(
		    ui->system, UI_ERROR, time(NULL), NULL, s, strlen(s));
		ui_notify(ui, s);
		free(s);
		ui->dirty |= UI_DIRTY_LOG;
		return;
	}
	/* A view created now reads the line from the store. */
	if (rep->room != NULL && ui_room_index(ui, rep->room) >= ui->nrviews &&
	    rep->kind == ROOM_REP_MSG)
		v = NULL;
	else
		v = ui_room_view(ui, rep->room);
	switch (rep->kind) {
	case ROOM_REP_MSG:
		if (v == NULL)
			v = ui_room_view(ui, rep->room);
		else
			ui_view_add(v, rep->outgoing ? UI_SELF : UI_PEER,
			    (time_t)(rep->time_ms / 1000), rep->who, rep->text,
			    rep->len);
		if (ui->sel_room == rep->room)
			room_clear_unread(rep->room);
		else if (!rep->outgoing && ui->app->conf->bell)
			ui->bell = 1;
		break;
	case ROOM_REP_JOINED:
		s = xasprintf("you are in #%s", rep->name);
		ui_view_add(v, UI_INFO, time(NULL), NULL, s, strlen(s));
		free(s);
		break;
	case ROOM_REP_MEMBER:
		s = xasprintf("%s: %s", rep->what, rep->who);
		ui_view_add(v, UI_INFO, time(NULL), NULL, s, strlen(s));
		free(s);
		break;
	default:
		break;
	}
	if (ui->sel_room == rep->room)
		ui->dirty |= UI_DIRTY_LOG;
}
