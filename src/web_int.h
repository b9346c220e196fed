/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The web front end's insides, shared by web.c (HTTP, the WebSocket
 * clients, uploads, the daemon on our loop) and web_report.c (what the
 * pages are sent: the engine's reports, the state, histories).
 */
#ifndef P2PTUI_WEB_INT_H
#define P2PTUI_WEB_INT_H

#include <stddef.h>
#include <stdint.h>

#include "cmd.h"
#include "engine.h"
#include "net.h"
#include "room_event.h"
#include "util.h"
#include "web.h"

#define WEB_CLIENTS_MAX 16
#define WEB_HISTORY_MAX 500

struct MHD_Daemon;
struct MHD_UpgradeResponseHandle;
struct buf;
struct loop_timer;
struct loop_watch;
struct room;
struct web_ws;

struct web;

struct web_client {
	struct web *web;
	struct web_ws *ws;
	struct MHD_UpgradeResponseHandle *urh;
	struct loop_timer *auth_timer;
	int authed;
	struct cmd_ctx ctx;
};

/* One HTTP request in progress (an upload needs several calls). */
struct web_req {
	int started;
	int fd; /* the upload being written, or -1 */
	char *dir, *path; /* where it goes */
	char *peer, *room; /* X-P2ptui-Peer, X-P2ptui-Room */
	uint64_t got, max;
	int failed;
};

struct web {
	struct app *app;
	int primary;
	struct MHD_Daemon *mhd;
	struct loop_watch *watch;
	struct loop_timer *timer;
	char token[WEB_TOKEN_LEN + 1];
	char host[UTIL_HOST_MAX]; /* listen host as configured */
	int wildcard; /* listening on 0.0.0.0 or :: */
	uint16_t port;
	char *root;
	char *url;
	char listen[NET_ADDRSTRLEN + 16]; /* the engine's, for /myid */
	uint64_t upload_max;
	struct web_client *clients[WEB_CLIENTS_MAX];
	size_t nclients;
	/* rooms whose files changed (room ids), sent by files_timer */
	uint8_t (*files_dirty)[ROOM_IDLEN];
	size_t nfiles_dirty, files_dirty_cap;
	struct loop_timer *files_timer;
};

/* web_report.c */
/* Send b (a whole message) to cl. */
void web_send(struct web_client *, struct buf *);
/* Close the object in b, send it to every authenticated client, free b. */
void web_broadcast(struct web *, struct buf *);
/* A peer's state, to every client. */
void web_peer_event(struct web *, struct peer *);
/* The room list, to every client. */
void web_rooms_event(struct web *);
/* Command output or an error, to cl only. */
void web_reply(void *cl, enum fe_level, const char *text);
/* What a client learns once it is in: who we are, then everything. */
void web_snapshot(struct web_client *);
/* {"type":"history",...}: up to limit of p's messages before rowid. */
void web_history(
    struct web_client *, struct peer *, int64_t before, size_t limit);
/* {"type":"rhistory",...}: the newest limit lines of room r. */
void web_room_send_history(struct web_client *, struct room *, size_t limit);
/* r's files (rfiles), to cl. */
void web_room_send_files(struct web_client *, struct room *);
/* Download r's file whose root is hex; a reply says what happened. */
void web_room_download(struct web_client *, struct room *, const char *hex);

#endif
