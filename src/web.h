/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The web front end: a page served over HTTP on the poll loop, and a
 * JSON protocol over WebSocket that mirrors headless mode (p2ptui(1),
 * WEB FRONTEND). It runs alone (p2ptui --web, the primary frontend) or
 * beside the TUI or headless mode through fe_mux (then it owns no
 * shared state: see fe_mux.h).
 */
#ifndef P2PTUI_WEB_H
#define P2PTUI_WEB_H

struct app;
struct fe_ops;
struct web;

#define WEB_TOKEN_FILE "web-token"
#define WEB_TOKEN_LEN 64 /* hex of 32 random bytes */

/*
 * Read or create the token, listen on the configured address and watch
 * it on app's loop. primary: the only frontend (owns unread counts and
 * the shown record). NULL with *cause if it cannot listen.
 */
struct web *web_create(struct app *, int primary, char **cause);
void web_free(struct web *);
/* The ops and argument to attach to the engine. */
const struct fe_ops *web_fe_ops(void);
/* "http://HOST:PORT/#token=..." */
const char *web_url(const struct web *);

/* p2ptui --web: the web frontend alone. */
int web_run(struct app *, char **cause);

#endif
