/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The JSON of the web front end: a writer that appends to a struct buf
 * (always valid UTF-8, so every message is a valid WebSocket text frame,
 * whatever a peer sent), and a reader for the flat objects the page
 * sends: {"key": value, ...} with string, number, true, false or null
 * values, nothing nested. Pure functions, no library headers.
 */
#ifndef P2PTUI_WEB_JSON_H
#define P2PTUI_WEB_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Append s (len bytes) as a JSON string, quotes included; invalid UTF-8
 * becomes U+FFFD. */
void web_json_str(struct buf *, const char *s, size_t len);
/* Append ,"key": (no comma before the first member: first is 1). */
void web_json_key(struct buf *, const char *key, int first);
/* Append printf-formatted raw text (numbers, true/false, braces). */
void web_json_raw(struct buf *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append n bytes (at most 64) as a string of hex digits. */
void web_json_hex(struct buf *, const uint8_t *v, size_t n);
/* Append ,"key":s (null for a NULL s). */
void web_json_kstr(struct buf *, const char *key, const char *s);
/* Start a message in a fresh buf: {"type":TYPE; the members that follow
 * start with a comma. */
void web_json_begin(struct buf *, const char *type);

#define WEB_JSON_MEMBERS 16

enum web_json_type {
	WEB_JSON_NULL,
	WEB_JSON_BOOL,
	WEB_JSON_NUMBER,
	WEB_JSON_STRING,
};

struct web_json_member {
	char *key; /* NUL-terminated, in the parsed text */
	enum web_json_type type;
	char *str; /* string: NUL-terminated, unescaped, in place */
	size_t len;
	double num; /* number, or bool as 0 or 1 */
};

struct web_json_obj {
	struct web_json_member m[WEB_JSON_MEMBERS];
	size_t n;
};

/*
 * Parse a flat object from text (len bytes, modified in place: strings
 * are unescaped where they stand). -1 if it is not one, has more than
 * WEB_JSON_MEMBERS members, has a key twice, or a string holds a NUL.
 */
int web_json_parse(char *text, size_t len, struct web_json_obj *);
/* The member named key of the type wanted, or NULL. */
const struct web_json_member *web_json_get(
    const struct web_json_obj *, const char *key, enum web_json_type);

#endif
