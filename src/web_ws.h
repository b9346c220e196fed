/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One WebSocket connection of the web front end, on a socket that
 * libmicrohttpd handed over after the upgrade, driven by our loop:
 * frames with libwslay, non-blocking, output queued in wslay up to a
 * bound. web.c owns the HTTP side and the meaning of the messages.
 */
#ifndef P2PTUI_WEB_WS_H
#define P2PTUI_WEB_WS_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct web_ws;

#define WEB_WS_ACCEPT_LEN 28 /* base64 of a SHA-1 */

struct web_ws_cb {
	/* A text message arrived (len bytes, NUL-terminated). */
	void (*text)(void *arg, char *text, size_t len);
	/* The connection is over (closed, failed or too slow to read);
	 * the owner frees it, after this callback returns. */
	void (*closed)(void *arg);
};

/*
 * Sec-WebSocket-Accept for the client's Sec-WebSocket-Key (RFC 6455
 * section 4.2.2); -1 if key is not 16 bytes in base64.
 */
int web_ws_accept_key(const char *key, char out[WEB_WS_ACCEPT_LEN + 1]);

/*
 * Take over fd (already upgraded; extra holds bytes read past the HTTP
 * request). Messages longer than max_in are refused; more than max_out
 * bytes waiting to be written drop the connection. Nothing is read, and
 * no callback runs, before web_ws_start().
 */
struct web_ws *web_ws_create(struct loop *, int fd, const char *extra,
    size_t extra_len, size_t max_in, size_t max_out, const struct web_ws_cb *,
    void *arg);
/* Start reading: the bytes in extra first (a client may send its first
 * message right behind the handshake, before it saw the answer). */
void web_ws_start(struct web_ws *);
/* Stop watching the socket and free (the owner closes the socket). */
void web_ws_free(struct web_ws *);
/* Queue a text message; -1 if the queue would pass max_out (the
 * connection is then being dropped: closed() follows). */
int web_ws_send(struct web_ws *, const char *text, size_t len);
/* Send a close frame with code and end the connection once it is out. */
void web_ws_close(struct web_ws *, uint16_t code);

#endif
