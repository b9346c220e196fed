/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Commands: one table (name, arguments, help, handler) shared by the
 * curses UI and the headless frontend; /help is generated from it.
 */
#ifndef P2PTUI_CMD_H
#define P2PTUI_CMD_H

#include <stddef.h>

#include "engine.h"

struct app;
struct room;

struct cmd_ctx {
	struct app *app;
	struct peer *current; /* the selected peer, or NULL */
	struct room *room; /* the room in view (typed text goes there) */
	/* Where command output goes. */
	void (*reply)(void *arg, enum fe_level, const char *text);
	void *arg;
	/* Our listening address once known ("" before), for /myid. */
	const char *listen;
	/* Frontend hooks, NULL where they mean nothing (headless): a
	 * message was sent (to show where it was typed); /clear the view
	 * shown; /close p's view (-1 with *cause); show a QR code. */
	void (*sent)(void *arg, struct peer *, const char *text);
	void (*clear)(void *arg);
	int (*close)(void *arg, struct peer *, char **cause);
	void (*qr)(void *arg, const char *text);
};

struct cmd_entry {
	const char *name;
	const char *args; /* usage of the arguments, "" if none */
	const char *help; /* one line, for the /help list */
	const char *detail; /* a few sentences, for /help NAME */
	int (*exec)(struct cmd_ctx *, const char *args);
};

/*
 * Run one input line: "/name args" runs a command; anything else is a
 * message to the current peer. 0 if it ran, -1 if it failed (the reason
 * was already replied).
 */
int cmd_execute(struct cmd_ctx *, const char *line);
/* The word of line (from 0) that is a password (cmd_room.c), or 0:
 * the terminal hides it as typed and keeps the line out of its
 * history. */
size_t cmd_secret_word(const char *line);

/* The command name (len bytes) means: exact, or a unique prefix; NULL
 * if none or several. */
const struct cmd_entry *cmd_find(const char *name, size_t len);
size_t cmd_count(void);
const struct cmd_entry *cmd_get(size_t);

#endif
