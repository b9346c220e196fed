/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * WebSocket connections (see web_ws.h). States:
 *
 *   open --close()/peer close--> closing --close frame out--> over
 *   open --error, EOF, queue past max_out--> over
 *
 * "over" is reported once through cb->closed(), from a zero timer, never
 * from inside a call of the owner (web_ws_send() may run while the
 * owner walks its list of clients). POLLOUT is watched only while wslay
 * has something to write.
 *
 * The handshake's accept key needs SHA-1, which neither libsodium nor
 * the HTTP and WebSocket libraries export: a small one is here (it only
 * proves the server read the key; nothing secret depends on it).
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wslay/wslay.h>

#include "buf.h"
#include "log.h"
#include "loop.h"
#include "web_ws.h"
#include "xmalloc.h"

struct web_ws {
	struct loop *loop;
	int fd;
	wslay_event_context_ptr ctx;
	struct loop_watch *watch;
	struct loop_timer *over_timer;
	struct buf extra; /* bytes MHD read past the request */
	size_t max_out;
	int over;
	const struct web_ws_cb *cb;
	void *arg;
};

static uint32_t
web_ws_rol(uint32_t x, int n)
{
	return x << n | x >> (32 - n);
}

static void
web_ws_sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[80], a, b, c, d, e, f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 80; i++)
		w[i] =
		    web_ws_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5a827999;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ed9eba1;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8f1bbcdc;
		else
			f = b ^ c ^ d, k = 0xca62c1d6;
		t = web_ws_rol(a, 5) + f + e + k + w[i];
		e = d, d = c, c = web_ws_rol(b, 30), b = a, a = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

/* SHA-1 of a short message (at most 119 bytes: two blocks). */
static void
web_ws_sha1(const uint8_t *msg, size_t len, uint8_t out[20])
{
	uint32_t h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476,
		0xc3d2e1f0 };
	uint8_t block[128];
	uint64_t bits = (uint64_t)len * 8;
	size_t n, i;

	memset(block, 0, sizeof block);
	memcpy(block, msg, len);
	block[len] = 0x80;
	n = len + 9 <= 64 ? 64 : 128;
	for (i = 0; i < 8; i++)
		block[n - 1 - i] = (uint8_t)(bits >> (8 * i));
	for (i = 0; i < n; i += 64)
		web_ws_sha1_block(h, block + i);
	for (i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

static const char web_ws_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
web_ws_accept_key(const char *key, char out[WEB_WS_ACCEPT_LEN + 1])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	uint8_t msg[24 + sizeof guid], sha[21];
	size_t i, o = 0;
	uint32_t v;

	/* 16 bytes in base64: 22 characters and "==". */
	if (strlen(key) != 24 || strcmp(key + 22, "==") != 0 ||
	    strspn(key, web_ws_b64) != 22)
		return -1;
	memcpy(msg, key, 24);
	memcpy(msg + 24, guid, sizeof guid - 1);
	web_ws_sha1(msg, 24 + sizeof guid - 1, sha);
	sha[20] = 0;
	for (i = 0; i < 21; i += 3) {
		v = (uint32_t)sha[i] << 16 | (uint32_t)sha[i + 1] << 8 |
		    sha[i + 2];
		out[o++] = web_ws_b64[v >> 18 & 63];
		out[o++] = web_ws_b64[v >> 12 & 63];
		out[o++] = web_ws_b64[v >> 6 & 63];
		out[o++] = web_ws_b64[v & 63];
	}
	out[WEB_WS_ACCEPT_LEN - 1] = '=';
	out[WEB_WS_ACCEPT_LEN] = '\0';
	return 0;
}

static void
web_ws_over_cb(void *arg)
{
	struct web_ws *ws = arg;

	ws->over_timer = NULL;
	ws->cb->closed(ws->arg);
}

/* The connection is over: tell the owner from a fresh stack. */
static void
web_ws_end(struct web_ws *ws)
{
	if (ws->over)
		return;
	ws->over = 1;
	if (ws->watch != NULL)
		loop_watch_del(ws->watch);
	ws->watch = NULL;
	ws->over_timer = loop_timer_add(ws->loop, 0, web_ws_over_cb, ws);
}

static ssize_t
web_ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *data, size_t len,
    int flags, void *arg)
{
	struct web_ws *ws = arg;
	ssize_t n;

	(void)flags;
	if (buf_used(&ws->extra) > 0) {
		n = (ssize_t)(len < buf_used(&ws->extra)
		        ? len
		        : buf_used(&ws->extra));
		memcpy(data, buf_head(&ws->extra), (size_t)n);
		buf_consume(&ws->extra, (size_t)n);
		return n;
	}
	n = read(ws->fd, data, len);
	if (n > 0)
		return n;
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
	else
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

static ssize_t
web_ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *arg)
{
	struct web_ws *ws = arg;
	ssize_t n;

	(void)flags;
	n = send(ws->fd, data, len, MSG_NOSIGNAL);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EINTR)
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
	else
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

static void
web_ws_msg_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *m, void *arg)
{
	struct web_ws *ws = arg;
	char *text;

	(void)ctx;
	if (ws->over || m->opcode != WSLAY_TEXT_FRAME)
		return; /* control frames are wslay's; binary means nothing */
	text = xmalloc(m->msg_length + 1);
	memcpy(text, m->msg, m->msg_length);
	text[m->msg_length] = '\0';
	ws->cb->text(ws->arg, text, m->msg_length);
	free(text);
}

static const struct wslay_event_callbacks web_ws_callbacks = {
	.recv_callback = web_ws_recv_cb,
	.send_callback = web_ws_send_cb,
	.on_msg_recv_callback = web_ws_msg_cb,
};

/* Watch for POLLOUT only while there is something to write. */
static void
web_ws_update(struct web_ws *ws)
{
	if (ws->over || ws->watch == NULL)
		return;
	if (wslay_event_get_close_sent(ws->ctx) &&
	    !wslay_event_want_write(ws->ctx)) {
		web_ws_end(ws);
		return;
	}
	if (!wslay_event_want_read(ws->ctx) &&
	    !wslay_event_want_write(ws->ctx)) {
		web_ws_end(ws);
		return;
	}
	loop_watch_set(ws->watch,
	    POLLIN | (wslay_event_want_write(ws->ctx) ? POLLOUT : 0));
}

static void
web_ws_io(int fd, int revents, void *arg)
{
	struct web_ws *ws = arg;

	(void)fd;
	if ((revents & (POLLIN | POLLERR | POLLHUP)) &&
	    wslay_event_recv(ws->ctx) != 0) {
		web_ws_end(ws);
		return;
	}
	if (ws->over)
		return;
	if ((revents & POLLOUT) && wslay_event_send(ws->ctx) != 0) {
		web_ws_end(ws);
		return;
	}
	web_ws_update(ws);
}

struct web_ws *
web_ws_create(struct loop *loop, int fd, const char *extra, size_t extra_len,
    size_t max_in, size_t max_out, const struct web_ws_cb *cb, void *arg)
{
	struct web_ws *ws;

	ws = xcalloc(1, sizeof *ws);
	ws->loop = loop;
	ws->fd = fd;
	ws->max_out = max_out;
	ws->cb = cb;
	ws->arg = arg;
	buf_init(&ws->extra);
	buf_append(&ws->extra, extra, extra_len);
	if (wslay_event_context_server_init(&ws->ctx, &web_ws_callbacks, ws) !=
	    0)
		fatal("out of memory");
	wslay_event_config_set_max_recv_msg_length(ws->ctx, max_in);
	return ws;
}

void
web_ws_start(struct web_ws *ws)
{
	ws->watch = loop_watch_add(ws->loop, ws->fd, POLLIN, web_ws_io, ws);
	if (buf_used(&ws->extra) > 0)
		web_ws_io(ws->fd, POLLIN, ws);
}

void
web_ws_free(struct web_ws *ws)
{
	if (ws == NULL)
		return;
	if (ws->watch != NULL)
		loop_watch_del(ws->watch);
	if (ws->over_timer != NULL)
		loop_timer_del(ws->over_timer);
	wslay_event_context_free(ws->ctx);
	buf_free(&ws->extra);
	free(ws);
}

int
web_ws_send(struct web_ws *ws, const char *text, size_t len)
{
	struct wslay_event_msg m = { WSLAY_TEXT_FRAME, (const uint8_t *)text,
		len };

	if (ws->over)
		return -1;
	if (wslay_event_get_queued_msg_length(ws->ctx) + len > ws->max_out) {
		log_debug("web: client reads too slowly: dropped");
		web_ws_end(ws);
		return -1;
	}
	if (wslay_event_queue_msg(ws->ctx, &m) != 0) {
		web_ws_end(ws);
		return -1;
	}
	web_ws_update(ws);
	return 0;
}

void
web_ws_close(struct web_ws *ws, uint16_t code)
{
	if (ws->over)
		return;
	if (wslay_event_queue_close(ws->ctx, code, NULL, 0) != 0) {
		web_ws_end(ws);
		return;
	}
	/* Read nothing more from it. */
	wslay_event_shutdown_read(ws->ctx);
	web_ws_update(ws);
}
