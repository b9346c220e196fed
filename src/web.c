/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The web front end (see web.h): HTTP with libmicrohttpd in its
 * external-epoll mode on our loop (its epoll descriptor is watched;
 * MHD_run() when it is readable or when MHD_get_timeout() is due; no
 * threads), WebSocket clients through web_ws.c and what they ask for,
 * uploads and downloads. What the pages are sent (the engine's reports,
 * the state, histories) is web_report.c's; the structures both files
 * use are in web_int.h.
 *
 * Security (p2ptui(1), WEB FRONTEND): every request must name us in
 * Host (the listen host, or localhost, with our port): a DNS rebinding
 * page cannot. The page shell (/, /app.js, /style.css) is public; all
 * else needs the token in X-P2ptui-Token, and the WebSocket, whose
 * Origin must be our own, gets nothing until its first message carries
 * the token. A wrong token gets 403 with an empty body (HTTP) or a
 * close frame (WebSocket) and nothing else. Tokens are compared in
 * constant time. Limits: request headers (MHD's memory limit),
 * connections, WebSocket clients, message size in, queued bytes out
 * per client (a client that will not read is dropped), upload size.
 *
 * Client lifecycle: upgraded -> authenticated (or dropped after
 * WEB_AUTH_MS) -> over; web_ws reports the end from a fresh stack, and
 * only then is the client freed, so walking the clients to broadcast
 * never meets a freed one.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <microhttpd.h>

#include "app.h"
#include "buf.h"
#include "cmd.h"
#include "conf.h"
#include "engine.h"
#include "fe_mux.h"
#include "ident.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "room.h"
#include "util.h"
#include "web.h"
#include "web_int.h"
#include "web_json.h"
#include "web_ws.h"
#include "xfer.h"
#include "xmalloc.h"

#ifndef P2PTUI_WEBDIR
#define P2PTUI_WEBDIR "/usr/local/share/p2ptui/web"
#endif

#define WEB_CONNECTIONS_MAX 64
#define WEB_HEADER_MEMORY (32 * 1024) /* per connection, headers included */
#define WEB_IDLE_SECONDS 30
#define WEB_AUTH_MS 10000
#define WEB_IN_MAX (256 * 1024) /* one message from the page */
#define WEB_OUT_MAX (8 * 1024 * 1024) /* queued for one client */
#define WEB_TOKEN_HEADER "X-P2ptui-Token"
#define WEB_CSP \
	"default-src 'self'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; " \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static void web_mhd_run(struct web *);
static void web_mhd_timer_cb(void *);

/* Read data_dir/web-token, or create it (0600, once). */
static int
web_token(struct web *w, const char *dir, char **cause)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[WEB_TOKEN_LEN / 2];
	char text[WEB_TOKEN_LEN + 3], *path;
	ssize_t n;
	size_t i;
	int fd;

	path = xasprintf("%s/%s", dir, WEB_TOKEN_FILE);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 && errno == ENOENT) {
		ident_random(raw, sizeof raw);
		for (i = 0; i < sizeof raw; i++) {
			text[2 * i] = hex[raw[i] >> 4];
			text[2 * i + 1] = hex[raw[i] & 15];
		}
		ident_wipe(raw, sizeof raw);
		text[WEB_TOKEN_LEN] = '\n';
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd == -1 ||
		    write(fd, text, WEB_TOKEN_LEN + 1) != WEB_TOKEN_LEN + 1 ||
		    fsync(fd) == -1) {
			*cause = xasprintf(
			    "cannot write %s: %s", path, strerror(errno));
			if (fd != -1) {
				close(fd);
				unlink(path);
			}
			goto fail;
		}
		close(fd);
		memcpy(w->token, text, WEB_TOKEN_LEN);
		w->token[WEB_TOKEN_LEN] = '\0';
		ident_wipe(text, sizeof text);
		free(path);
		return 0;
	}
	if (fd == -1) {
		*cause = xasprintf("cannot read %s: %s", path, strerror(errno));
		goto fail;
	}
	/* 64 hex digits and a newline or nothing; one byte more tells. */
	n = read(fd, text, sizeof text - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	if (n < WEB_TOKEN_LEN || n > WEB_TOKEN_LEN + 1 ||
	    strspn(text, hex) != WEB_TOKEN_LEN ||
	    (n == WEB_TOKEN_LEN + 1 && text[WEB_TOKEN_LEN] != '\n')) {
		*cause = xasprintf("%s: not a token (64 hex digits); remove "
		                   "it to make a new one",
		    path);
		ident_wipe(text, sizeof text);
		goto fail;
	}
	memcpy(w->token, text, WEB_TOKEN_LEN);
	w->token[WEB_TOKEN_LEN] = '\0';
	ident_wipe(text, sizeof text);
	free(path);
	return 0;
fail:
	free(path);
	return -1;
}

/* Does s carry our token? In constant time for a string of its length. */
static int
web_token_ok(const struct web *w, const char *s)
{
	return s != NULL && strlen(s) == WEB_TOKEN_LEN &&
	    ident_mem_equal(s, w->token, WEB_TOKEN_LEN);
}

/*
 * Host names us: "localhost" or our listen host (any IP literal when
 * listening on every address), with our port or none. A rebinding
 * attacker's page has its own name in Host.
 */
static int
web_host_ok(const struct web *w, const char *host)
{
	char name[UTIL_HOST_MAX], port[8], *end;
	const char *colon;
	unsigned char addr[16];
	size_t len;
	long v;

	if (host == NULL || (len = strlen(host)) == 0 || len >= sizeof name)
		return 0;
	if (host[0] == '[') {
		if ((end = strchr(host, ']')) == NULL)
			return 0;
		len = (size_t)(end - host - 1);
		memcpy(name, host + 1, len);
		name[len] = '\0';
		colon = end[1] == ':' ? end + 1 : (end[1] == '\0' ? NULL : "");
		if (colon != NULL && *colon == '\0')
			return 0;
	} else {
		colon = strchr(host, ':');
		len = colon != NULL ? (size_t)(colon - host) : len;
		memcpy(name, host, len);
		name[len] = '\0';
	}
	if (colon != NULL) {
		if (strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof port)
			return 0;
		errno = 0;
		v = strtol(colon + 1, &end, 10);
		if (*end != '\0' || errno != 0 || v != w->port)
			return 0;
	}
	if (strcasecmp(name, "localhost") == 0 ||
	    strcasecmp(name, w->host) == 0)
		return 1;
	return w->wildcard &&
	    (inet_pton(AF_INET, name, addr) == 1 ||
	        inet_pton(AF_INET6, name, addr) == 1);
}

/* Every response says: our own scripts only, never framed, no sniffing. */
static void
web_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Content-Security-Policy", WEB_CSP);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	MHD_add_response_header(
	    r, "Cross-Origin-Resource-Policy", "same-origin");
}

static enum MHD_Result
web_respond(struct MHD_Connection *c, unsigned status, const char *type,
    const void *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(
	    len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	web_headers(r);
	if (type != NULL)
		MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* 403 and nothing else. */
static enum MHD_Result
web_forbidden(struct MHD_Connection *c)
{
	return web_respond(c, MHD_HTTP_FORBIDDEN, NULL, "", 0);
}

static enum MHD_Result
web_error(struct MHD_Connection *c, unsigned status, const char *text)
{
	return web_respond(
	    c, status, "text/plain; charset=utf-8", text, strlen(text));
}

/* A file of the page shell, from the root directory. */
static enum MHD_Result
web_static(struct web *w, struct MHD_Connection *c, const char *url)
{
	static const struct {
		const char *url, *file, *type;
	} files[] = {
		{ "/", "index.html", "text/html; charset=utf-8" },
		{ "/index.html", "index.html", "text/html; charset=utf-8" },
		{ "/app.js", "app.js", "text/javascript; charset=utf-8" },
		{ "/style.css", "style.css", "text/css; charset=utf-8" },
	};
	struct MHD_Response *r;
	struct stat sb;
	enum MHD_Result ret;
	char *path;
	size_t i;
	int fd;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		if (strcmp(url, files[i].url) == 0)
			break;
	}
	if (i == sizeof files / sizeof files[0])
		return web_error(c, MHD_HTTP_NOT_FOUND, "not found\n");
	path = xasprintf("%s/%s", w->root, files[i].file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1 || fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		if (fd != -1)
			close(fd);
		return web_error(c, MHD_HTTP_NOT_FOUND,
		    "the page's files are missing (web root)\n");
	}
	if ((r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd)) ==
	    NULL) {
		close(fd);
		return MHD_NO;
	}
	web_headers(r);
	MHD_add_response_header(r, "Content-Type", files[i].type);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* --- WebSocket clients --------------------------------------------- */

static struct peer *
web_peer_arg(struct web_client *cl, const struct web_json_obj *o, int *bad)
{
	const struct web_json_member *m;
	struct peer *p;

	*bad = 0;
	if ((m = web_json_get(o, "peer", WEB_JSON_STRING)) == NULL)
		return NULL;
	if ((p = engine_find_peer(cl->web->app->engine, m->str)) == NULL) {
		web_reply(cl, FE_ERROR, "no such peer");
		*bad = 1;
	}
	return p;
}

/* The room named by "room" (without '#'), or NULL; *bad if none has
 * that name (the page is told). */
static struct room *
web_room_arg(struct web_client *cl, const struct web_json_obj *o, int *bad)
{
	const struct web_json_member *m;
	struct rooms *rs = room_of(cl->web->app->engine);
	struct room *r;

	*bad = 0;
	if ((m = web_json_get(o, "room", WEB_JSON_STRING)) == NULL)
		return NULL;
	if (rs == NULL || (r = room_lookup(rs, m->str)) == NULL) {
		web_reply(cl, FE_ERROR, "no such room");
		*bad = 1;
		return NULL;
	}
	return r;
}

static void
web_client_text(void *arg, char *text, size_t len)
{
	struct web_client *cl = arg;
	struct web *w = cl->web;
	const struct web_json_member *type, *m, *lim;
	struct web_json_obj o;
	struct peer *p;
	struct room *r;
	int bad;

	if (web_json_parse(text, len, &o) == -1 ||
	    (type = web_json_get(&o, "type", WEB_JSON_STRING)) == NULL) {
		if (!cl->authed)
			web_ws_close(cl->ws, 1008);
		else
			web_reply(cl, FE_ERROR, "not a message of the page");
		return;
	}
	if (!cl->authed) {
		m = web_json_get(&o, "token", WEB_JSON_STRING);
		if (strcmp(type->str, "auth") != 0 || m == NULL ||
		    !web_token_ok(w, m->str)) {
			/* Nothing else: no event, no reason. */
			web_ws_close(cl->ws, 1008);
			return;
		}
		cl->authed = 1;
		loop_timer_del(cl->auth_timer);
		cl->auth_timer = NULL;
		web_snapshot(cl);
		return;
	}
	p = web_peer_arg(cl, &o, &bad);
	if (bad || (r = web_room_arg(cl, &o, &bad), bad))
		return;
	if (strcmp(type->str, "line") == 0) {
		if ((m = web_json_get(&o, "text", WEB_JSON_STRING)) == NULL)
			return;
		/* In a room's view, typed text goes to the room. */
		cl->ctx.current = r != NULL ? NULL : p;
		cl->ctx.room = r;
		cl->ctx.listen = w->listen;
		cmd_execute(&cl->ctx, m->str);
		cl->ctx.room = NULL; /* it may be gone by the next line */
	} else if (strcmp(type->str, "rhistory") == 0 && r != NULL) {
		lim = web_json_get(&o, "limit", WEB_JSON_NUMBER);
		web_room_send_history(cl, r,
		    lim == NULL || lim->num < 1      ? 200
		        : lim->num > WEB_HISTORY_MAX ? WEB_HISTORY_MAX
		                                     : (size_t)lim->num);
	} else if (strcmp(type->str, "rfiles") == 0 && r != NULL) {
		web_room_send_files(cl, r);
	} else if (strcmp(type->str, "rdownload") == 0 && r != NULL) {
		m = web_json_get(&o, "root", WEB_JSON_STRING);
		web_room_download(cl, r, m != NULL ? m->str : "");
	} else if (strcmp(type->str, "read") == 0 && r != NULL) {
		if (w->primary && room_unread(r) != 0) {
			room_clear_unread(r);
			web_rooms_event(w);
		}
	} else if (strcmp(type->str, "history") == 0 && p != NULL) {
		m = web_json_get(&o, "before", WEB_JSON_NUMBER);
		lim = web_json_get(&o, "limit", WEB_JSON_NUMBER);
		web_history(cl, p,
		    m != NULL && m->num > 0 ? (int64_t)m->num : 0,
		    lim == NULL || lim->num < 1      ? 50
		        : lim->num > WEB_HISTORY_MAX ? WEB_HISTORY_MAX
		                                     : (size_t)lim->num);
	} else if (strcmp(type->str, "read") == 0 && p != NULL) {
		/* Unread counts are the primary frontend's to clear. */
		if (w->primary && p->unread != 0) {
			p->unread = 0;
			web_peer_event(w, p);
		}
	} else
		web_reply(cl, FE_ERROR, "unknown message type");
}

/* Run MHD soon (a closed upgraded socket is cleaned up by MHD_run). */
static void
web_mhd_kick(struct web *w)
{
	if (w->timer != NULL)
		loop_timer_del(w->timer);
	w->timer = loop_timer_add(w->app->loop, 0, web_mhd_timer_cb, w);
}

static void
web_client_free(struct web_client *cl)
{
	struct web *w = cl->web;
	size_t i;

	for (i = 0; i < w->nclients; i++) {
		if (w->clients[i] == cl) {
			w->clients[i] = w->clients[--w->nclients];
			break;
		}
	}
	if (cl->auth_timer != NULL)
		loop_timer_del(cl->auth_timer);
	web_ws_free(cl->ws);
	MHD_upgrade_action(cl->urh, MHD_UPGRADE_ACTION_CLOSE);
	free(cl);
	web_mhd_kick(w);
}

static void
web_client_closed(void *arg)
{
	web_client_free(arg);
}

static void
web_client_auth_timeout(void *arg)
{
	struct web_client *cl = arg;

	cl->auth_timer = NULL;
	web_ws_close(cl->ws, 1008);
}

static const struct web_ws_cb web_client_cb = {
	.text = web_client_text,
	.closed = web_client_closed,
};

static void
web_upgraded(void *cls, struct MHD_Connection *c, void *req_cls,
    const char *extra, size_t extra_len, MHD_socket sock,
    struct MHD_UpgradeResponseHandle *urh)
{
	struct web *w = cls;
	struct web_client *cl;
	int flags;

	(void)c;
	(void)req_cls;
	if (w->nclients == WEB_CLIENTS_MAX) {
		MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
		return;
	}
	flags = fcntl(sock, F_GETFL);
	if (flags != -1)
		fcntl(sock, F_SETFL, flags | O_NONBLOCK);
	cl = xcalloc(1, sizeof *cl);
	cl->web = w;
	cl->urh = urh;
	cl->ctx.app = w->app;
	cl->ctx.reply = web_reply;
	cl->ctx.arg = cl;
	cl->ctx.listen = w->listen;
	w->clients[w->nclients++] = cl;
	cl->auth_timer = loop_timer_add(
	    w->app->loop, WEB_AUTH_MS, web_client_auth_timeout, cl);
	cl->ws = web_ws_create(w->app->loop, sock, extra, extra_len, WEB_IN_MAX,
	    WEB_OUT_MAX, &web_client_cb, cl);
	web_ws_start(cl->ws);
}

/* Does a comma-separated header value contain word (any case)? */
static int
web_header_has(const char *value, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	if (value == NULL)
		return 0;
	for (p = value; *p != '\0'; p++) {
		if (strncasecmp(p, word, n) == 0 &&
		    (p == value || p[-1] == ' ' || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return 1;
	}
	return 0;
}

static enum MHD_Result
web_ws_request(struct web *w, struct MHD_Connection *c)
{
	const char *host, *origin, *key, *version;
	char accept[WEB_WS_ACCEPT_LEN + 1], *want;
	struct MHD_Response *r;
	enum MHD_Result ret;
	int same;

	host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	want = xasprintf("http://%s", host);
	same = origin != NULL && strcmp(origin, want) == 0;
	free(want);
	if (!same)
		return web_forbidden(c); /* cross-site WebSocket hijacking */
	key = MHD_lookup_connection_value(
	    c, MHD_HEADER_KIND, "Sec-WebSocket-Key");
	version = MHD_lookup_connection_value(
	    c, MHD_HEADER_KIND, "Sec-WebSocket-Version");
	if (!web_header_has(
	        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Upgrade"),
	        "websocket") ||
	    !web_header_has(
	        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Connection"),
	        "upgrade") ||
	    version == NULL || strcmp(version, "13") != 0 || key == NULL ||
	    web_ws_accept_key(key, accept) == -1)
		return web_error(
		    c, MHD_HTTP_BAD_REQUEST, "a WebSocket handshake, please\n");
	if (w->nclients == WEB_CLIENTS_MAX)
		return web_error(
		    c, MHD_HTTP_SERVICE_UNAVAILABLE, "too many pages open\n");
	if ((r = MHD_create_response_for_upgrade(web_upgraded, w)) == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Upgrade", "websocket");
	MHD_add_response_header(r, "Connection", "Upgrade");
	MHD_add_response_header(r, "Sec-WebSocket-Accept", accept);
	ret = MHD_queue_response(c, MHD_HTTP_SWITCHING_PROTOCOLS, r);
	MHD_destroy_response(r);
	return ret;
}

/* --- uploads and downloads ------------------------------------------ */

static int
web_unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* Undo encodeURIComponent() into out; -1 if malformed or too long. */
static int
web_pct_decode(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	int hi, lo;

	for (; *s != '\0'; s++) {
		if (o + 1 >= outlen)
			return -1;
		if (*s != '%') {
			out[o++] = *s;
			continue;
		}
		if ((hi = web_unhex(s[1])) == -1 ||
		    (lo = web_unhex(s[2])) == -1)
			return -1;
		out[o++] = (char)(hi << 4 | lo);
		s += 2;
	}
	out[o] = '\0';
	return memchr(out, '\0', o) != NULL ? -1 : 0;
}

/* Start an upload: X-P2ptui-Name (URI-encoded) into a new directory. */
static enum MHD_Result
web_upload_start(struct web *w, struct MHD_Connection *c, struct web_req *r)
{
	const char *name, *len, *peer, *room;
	char decoded[1024], safe[UTIL_NAME_MAX + 1], hex[33], *end;
	uint8_t rnd[16];
	unsigned long long n;
	size_t i;

	name = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-P2ptui-Name");
	len = MHD_lookup_connection_value(
	    c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	peer = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-P2ptui-Peer");
	room = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-P2ptui-Room");
	if (name == NULL || len == NULL ||
	    web_pct_decode(name, decoded, sizeof decoded) == -1)
		return web_error(c, MHD_HTTP_BAD_REQUEST,
		    "an upload needs X-P2ptui-Name and Content-Length\n");
	errno = 0;
	n = strtoull(len, &end, 10);
	if (*end != '\0' || errno != 0 || n > r->max)
		return web_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
		    "larger than web upload_max\n");
	util_safe_name(decoded, safe, sizeof safe);
	ident_random(rnd, sizeof rnd);
	for (i = 0; i < sizeof rnd; i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	r->dir = xasprintf("%s/web-uploads/%s", w->app->conf->data_dir, hex);
	if (util_mkdir_p(r->dir, 0700) == -1) {
		free(r->dir);
		r->dir = NULL;
		return web_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "cannot create the upload directory\n");
	}
	r->path = xasprintf("%s/%s", r->dir, safe);
	r->fd = open(r->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (r->fd == -1)
		return web_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "cannot create the uploaded file\n");
	r->peer = peer != NULL ? xstrdup(peer) : NULL;
	r->room = room != NULL ? xstrdup(room) : NULL;
	return MHD_YES;
}

struct web_collect {
	struct buf *b;
	int n;
	int failed;
};

static void
web_collect_reply(void *arg, enum fe_level level, const char *text)
{
	struct web_collect *col = arg;

	if (col->n++ > 0)
		buf_append(col->b, ",", 1);
	buf_append(col->b, "{", 1);
	web_json_key(col->b, "level", 1);
	web_json_str(
	    col->b, fe_level_name(level), strlen(fe_level_name(level)));
	web_json_kstr(col->b, "text", text);
	buf_append(col->b, "}", 1);
	col->failed |= level == FE_ERROR;
}

/* The upload is complete: offer it to the peer with /send, or share it
 * in the room with /share, as typed. */
static enum MHD_Result
web_upload_done(struct web *w, struct MHD_Connection *c, struct web_req *r)
{
	struct web_collect col;
	struct cmd_ctx ctx;
	struct rooms *rs;
	enum MHD_Result ret;
	struct buf b;
	char *line;
	int rc;

	if (close(r->fd) == -1)
		r->failed = 1;
	r->fd = -1;
	if (r->failed)
		return web_error(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the upload could not be stored\n");
	memset(&ctx, 0, sizeof ctx);
	buf_init(&b);
	col.b = &b;
	col.n = 0;
	col.failed = 0;
	ctx.app = w->app;
	ctx.reply = web_collect_reply;
	ctx.arg = &col;
	ctx.listen = w->listen;
	ctx.current =
	    r->peer != NULL ? engine_find_peer(w->app->engine, r->peer) : NULL;
	rs = room_of(w->app->engine);
	ctx.room =
	    r->room != NULL && rs != NULL ? room_lookup(rs, r->room) : NULL;
	buf_append(&b, "{\"path\":", 8);
	web_json_str(&b, r->path, strlen(r->path));
	buf_append(&b, ",\"replies\":[", 12);
	if (r->room != NULL && ctx.room == NULL) {
		web_collect_reply(&col, FE_ERROR, "no such room");
		rc = -1;
		goto answer;
	}
	line =
	    xasprintf("%s %s", r->room != NULL ? "/share" : "/send", r->path);
	rc = cmd_execute(&ctx, line);
	free(line);
answer:
	web_json_raw(&b, "],\"ok\":%s}", rc == 0 ? "true" : "false");
	if (rc == 0) {
		/* Kept for the transfer (and its resumption): forgotten
		 * only when the file is, not here. */
		free(r->path);
		r->path = NULL;
	}
	ret = web_respond(c, rc == 0 ? MHD_HTTP_OK : MHD_HTTP_BAD_REQUEST,
	    "application/json", buf_head(&b), buf_used(&b));
	buf_free(&b);
	return ret;
}

/* GET /files/N: a received file, to open from the page. */
static enum MHD_Result
web_download(struct web *w, struct MHD_Connection *c, const char *num)
{
	const struct xfer *x;
	struct xfers *xs;
	struct MHD_Response *r;
	enum MHD_Result ret;
	struct stat sb;
	struct buf disp;
	char *end;
	long long n;
	size_t i;
	int fd;

	errno = 0;
	n = strtoll(num, &end, 10);
	if (*num == '\0' || *end != '\0' || errno != 0 ||
	    (xs = xfer_of(w->app->engine)) == NULL ||
	    (x = xfer_find(xs, n)) == NULL || x->outgoing ||
	    x->state != XFER_DONE || x->path == NULL)
		return web_error(c, MHD_HTTP_NOT_FOUND, "no such file\n");
	fd = open(x->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 || fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		if (fd != -1)
			close(fd);
		return web_error(c, MHD_HTTP_NOT_FOUND, "the file is gone\n");
	}
	if ((r = MHD_create_response_from_fd((uint64_t)sb.st_size, fd)) ==
	    NULL) {
		close(fd);
		return MHD_NO;
	}
	web_headers(r);
	MHD_add_response_header(r, "Content-Type", "application/octet-stream");
	/* filename*=UTF-8'' with every byte but [A-Za-z0-9._-] escaped. */
	buf_init(&disp);
	buf_append(&disp, "attachment; filename*=UTF-8''", 29);
	for (i = 0; x->name[i] != '\0'; i++) {
		if (strchr(
		        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		        "0123456789._-",
		        x->name[i]) != NULL)
			buf_append(&disp, &x->name[i], 1);
		else
			web_json_raw(
			    &disp, "%%%02X", (unsigned char)x->name[i]);
	}
	buf_append(&disp, "", 1);
	MHD_add_response_header(
	    r, "Content-Disposition", (const char *)buf_head(&disp));
	buf_free(&disp);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
web_access(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct web *w = cls;
	struct web_req *r = *req_cls;
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;

	(void)version;
	if (r == NULL) {
		r = xcalloc(1, sizeof *r);
		r->fd = -1;
		r->max = w->upload_max;
		*req_cls = r;
	}
	if (r->fd != -1) {
		/* The body of an upload, then its end. */
		if (*upload_data_size > 0) {
			r->got += *upload_data_size;
			if (r->got > r->max ||
			    write(r->fd, upload_data, *upload_data_size) !=
			        (ssize_t)*upload_data_size)
				r->failed = 1;
			*upload_data_size = 0;
			return MHD_YES;
		}
		return web_upload_done(w, c, r);
	}
	if (r->started)
		return MHD_NO; /* a body we did not ask for */
	r->started = 1;
	if (!web_host_ok(
	        w, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host")))
		return web_forbidden(c); /* DNS rebinding */
	if (get &&
	    (strcmp(url, "/") == 0 || strcmp(url, "/index.html") == 0 ||
	        strcmp(url, "/app.js") == 0 || strcmp(url, "/style.css") == 0))
		return web_static(w, c, url);
	if (strcmp(method, "GET") == 0 && strcmp(url, "/ws") == 0)
		return web_ws_request(w, c);
	if (!web_token_ok(w,
	        MHD_lookup_connection_value(
	            c, MHD_HEADER_KIND, WEB_TOKEN_HEADER)))
		return web_forbidden(c);
	if (strcmp(method, "POST") == 0 && strcmp(url, "/upload") == 0)
		return web_upload_start(w, c, r);
	if (get && strncmp(url, "/files/", 7) == 0)
		return web_download(w, c, url + 7);
	return web_error(c, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void
web_completed(void *cls, struct MHD_Connection *c, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct web_req *r = *req_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (r == NULL)
		return;
	if (r->fd != -1)
		close(r->fd);
	/* An upload not offered leaves nothing behind. */
	if (r->path != NULL)
		unlink(r->path);
	if (r->dir != NULL && r->path != NULL)
		rmdir(r->dir);
	free(r->path);
	free(r->dir);
	free(r->peer);
	free(r->room);
	free(r);
	*req_cls = NULL;
}

/* --- the daemon on our loop ------------------------------------------ */

static void
web_mhd_timer_cb(void *arg)
{
	struct web *w = arg;

	w->timer = NULL;
	web_mhd_run(w);
}

/* Run MHD, then wake up when it next needs to run, if ever. */
static void
web_mhd_run(struct web *w)
{
	MHD_UNSIGNED_LONG_LONG ms;

	MHD_run(w->mhd);
	if (w->timer != NULL)
		loop_timer_del(w->timer);
	w->timer = NULL;
	if (MHD_get_timeout(w->mhd, &ms) == MHD_YES)
		w->timer = loop_timer_add(w->app->loop,
		    ms > 3600000 ? 3600000 : (uint64_t)ms, web_mhd_timer_cb, w);
}

static void
web_mhd_io(int fd, int revents, void *arg)
{
	(void)fd;
	(void)revents;
	web_mhd_run(arg);
}

struct web *
web_create(struct app *app, int primary, char **cause)
{
	const struct conf *conf = app->conf;
	const union MHD_DaemonInfo *info;
	char bound[NET_ADDRSTRLEN], *why, *host, *path;
	uint16_t port;
	struct web *w;
	int lfd;

	w = xcalloc(1, sizeof *w);
	w->app = app;
	w->primary = primary;
	w->upload_max = (uint64_t)conf->web_upload_max * 1024 * 1024;
	w->root =
	    xstrdup(conf->web_root[0] != '\0' ? conf->web_root : P2PTUI_WEBDIR);
	/* Not found at run time is a page of errors: say so now. */
	path = xasprintf("%s/index.html", w->root);
	if (access(path, R_OK) == -1) {
		*cause =
		    xasprintf("web: no page at %s (%s): install p2ptui, or "
		              "set root in the web settings",
		        path, strerror(errno));
		free(path);
		goto fail;
	}
	free(path);
	if (web_token(w, conf->data_dir, cause) == -1)
		goto fail;
	if (util_parse_hostport(conf->web_listen, w->host, &port, 1, &why) ==
	    -1) {
		*cause = xasprintf("web listen: %s", why);
		free(why);
		goto fail;
	}
	w->wildcard =
	    strcmp(w->host, "0.0.0.0") == 0 || strcmp(w->host, "::") == 0;
	if ((lfd = net_listen(conf->web_listen, 0, bound, cause)) == -1) {
		why = *cause;
		*cause = xasprintf("web: %s", why);
		free(why);
		goto fail;
	}
	host = strrchr(bound, ':');
	w->port = host != NULL ? (uint16_t)atoi(host + 1) : port;
	w->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_UPGRADE, 0, NULL,
	    NULL, web_access, w, MHD_OPTION_LISTEN_SOCKET, lfd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)WEB_CONNECTIONS_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)WEB_IDLE_SECONDS,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)WEB_HEADER_MEMORY,
	    MHD_OPTION_NOTIFY_COMPLETED, web_completed, w, MHD_OPTION_END);
	if (w->mhd == NULL) {
		close(lfd);
		*cause = xstrdup("web: cannot start the HTTP server");
		goto fail;
	}
	info = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL) {
		*cause =
		    xstrdup("web: the HTTP server has no epoll descriptor");
		goto fail;
	}
	w->watch =
	    loop_watch_add(app->loop, info->epoll_fd, POLLIN, web_mhd_io, w);
	if (w->wildcard || strchr(w->host, ':') != NULL)
		w->url = xasprintf("http://%s%s%s:%u/#token=%s",
		    w->wildcard ? "" : "[", w->wildcard ? "127.0.0.1" : w->host,
		    w->wildcard ? "" : "]", w->port, w->token);
	else
		w->url = xasprintf(
		    "http://%s:%u/#token=%s", w->host, w->port, w->token);
	app->web_url = w->url;
	return w;
fail:
	web_free(w);
	return NULL;
}

void
web_free(struct web *w)
{
	if (w == NULL)
		return;
	while (w->nclients > 0)
		web_client_free(w->clients[0]);
	if (w->timer != NULL)
		loop_timer_del(w->timer);
	if (w->files_timer != NULL)
		loop_timer_del(w->files_timer);
	free(w->files_dirty);
	if (w->watch != NULL)
		loop_watch_del(w->watch);
	if (w->mhd != NULL)
		MHD_stop_daemon(w->mhd);
	if (w->app->web_url == w->url)
		w->app->web_url = NULL;
	ident_wipe(w->token, sizeof w->token);
	free(w->url);
	free(w->root);
	free(w);
}

const char *
web_url(const struct web *w)
{
	return w->url;
}

/* A message received before a crash and never shown: unread. */
static int
web_unshown(void *arg, struct peer *p, const struct engine_line *l)
{
	(void)arg;
	(void)l;
	p->unread++;
	return 0;
}

int
web_run(struct app *app, char **cause)
{
	struct web *w;
	int ret = 0;

	if ((w = web_create(app, 1, cause)) == NULL)
		return -1;
	app->engine = engine_create(
	    app->loop, app->conf, app->id, web_fe_ops(), w, cause);
	if (app->engine == NULL) {
		web_free(w);
		return -1;
	}
	if (engine_start(app->engine, cause) == -1 ||
	    engine_unshown(app->engine, web_unshown, w, cause) == -1) {
		ret = -1;
		goto out;
	}
	fprintf(stdout, "web %s\n", w->url);
	fflush(stdout);
	if (loop_run(app->loop) == -1) {
		*cause = xasprintf("poll: %s", strerror(errno));
		ret = -1;
	}
	engine_shutdown(app->engine, 2000);
out:
	engine_free(app->engine);
	app->engine = NULL;
	web_free(w);
	return ret;
}
