/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The peer list: the system view, then every peer the engine lists, one
 * a row:
 *
 *   >0   [system]   (2)     selected, Alt-0, 2 unread errors
 *    1 + alice      (3)     online, Alt-1, 3 unread messages
 *    2 ~ bob                connecting or waiting to be accepted
 *    3 ? 3cpdxllz           a contact request (the short fingerprint)
 *    4 - carol              offline
 *    5 + bobby (Bob)        a name from /rename, and the nick it chose
 *    6   #tea 2/3 (4)       a room: 2 of 3 members online, 4 unread
 *
 * A peer is shown by its name (the configuration's, one given with
 * /rename, or its short fingerprint), never by the nick it chose alone:
 * a peer could pose as another. The nick follows, dim and in
 * parentheses, where it differs and fits whole. The list scrolls to keep
 * the selected entry visible.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "line.h"
#include "room.h"
#include "ui.h"
#include "util.h"
#include "xmalloc.h"

static char
ui_state_mark(enum peer_state s)
{
	switch (s) {
	case PEER_ONLINE:
		return '+';
	case PEER_CONNECTING:
	case PEER_WAITING:
		return '~';
	case PEER_REQUEST:
		return '?';
	default:
		return '-';
	}
}

void
ui_peers_draw(struct ui *ui)
{
	WINDOW *w = ui->w_peers;
	struct peer *p;
	size_t i, n = ui_nviews(ui), sel = ui_selected_index(ui), k;
	char head[8], tail[32], rname[ROOM_NAME_MAX + 2], *nick, *esc;
	struct room *r;
	const char *name;
	unsigned unread;
	int h, width, usable, row, c, tw, nw;
	attr_t attr;

	werase(w);
	getmaxyx(w, h, width);
	usable = width - 1;
	if (h <= 0 || usable <= 0)
		return;
	if (sel < ui->peer_off)
		ui->peer_off = sel;
	if (sel >= ui->peer_off + (size_t)h)
		ui->peer_off = sel - (size_t)h + 1;
	if (n <= (size_t)h)
		ui->peer_off = 0;
	else if (ui->peer_off + (size_t)h > n)
		ui->peer_off = n - (size_t)h;
	for (row = 0; row < h; row++) {
		i = ui->peer_off + (size_t)row;
		if (i >= n)
			break;
		p = ui_view_peer(ui, i);
		r = ui_view_room(ui, i);
		snprintf(head, sizeof head, "%c%c %c ", i == sel ? '>' : ' ',
		    i <= 9 ? (char)('0' + i) : ' ',
		    p == NULL ? ' '
		        : p->state == PEER_OFFLINE && p->rdv_online
		        ? '*'
		        : ui_state_mark(p->state));
		name = p != NULL ? p->name : "[system]";
		unread = p != NULL ? p->unread : ui->system->unread;
		tail[0] = '\0';
		if (r != NULL) {
			ui_room_entry(
			    ui, r, rname, sizeof rname, tail, sizeof tail);
			name = rname;
			unread = room_unread(r);
		} else if (unread > 0)
			snprintf(tail, sizeof tail, " (%u)",
			    unread > 99999 ? 99999 : unread);
		tw = (int)strlen(tail);
		attr = i == sel  ? A_REVERSE
		    : unread > 0 ? ui->style.unread
		                 : A_NORMAL;
		wmove(w, row, 0);
		whline(w, ' ' | attr, usable);
		c = ui_put(w, head, strlen(head), usable, attr);
		if (usable - c - tw > 0)
			c += ui_put(
			    w, name, strlen(name), usable - c - tw, attr);
		if (p != NULL && p->nick[0] != '\0' &&
		    strcmp(p->nick, p->name) != 0) {
			/* Measured as drawn (bidirectional controls
			 * escaped): whole, or not at all. */
			esc = util_bidi_escape(p->nick, strlen(p->nick), &k);
			nick = xasprintf(" (%s)", esc != NULL ? esc : p->nick);
			nw = line_width(nick, strlen(nick));
			if (nw <= usable - c - tw)
				ui_put(w, nick, strlen(nick), nw, attr | A_DIM);
			free(nick);
			free(esc);
		}
		if (tw > 0 && tw <= usable - c) {
			wmove(w, row, usable - tw);
			ui_put(w, tail, (size_t)tw, tw, attr);
		}
	}
	mvwvline(w, 0, width - 1, ACS_VLINE, h);
	/* More entries than rows: say which way they are. */
	if (ui->peer_off > 0)
		mvwaddch(w, 0, width - 1, '^');
	if (ui->peer_off + (size_t)h < n)
		mvwaddch(w, h - 1, width - 1, 'v');
}

int
ui_peers_hit(struct ui *ui, int y)
{
	size_t i;

	if (y < 0)
		return -1;
	i = ui->peer_off + (size_t)y;
	return i < ui_nviews(ui) ? (int)i : -1;
}
