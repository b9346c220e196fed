/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * JSON for the web front end (see web_json.h). The reader parses in
 * place: an unescaped string is never longer than its escaped form, so
 * it is written over it and NUL-terminated where its closing quote was.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "web_json.h"
#include "xmalloc.h"

/* The length of the valid UTF-8 character at s (n bytes), or 0. */
static size_t
web_json_utf8(const uint8_t *s, size_t n)
{
	uint32_t cp;
	size_t k, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return k;
}

void
web_json_str(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *u = (const uint8_t *)s;
	size_t i = 0, run = 0, k;
	char esc[8];

	buf_append(b, "\"", 1);
	while (i < len) {
		k = web_json_utf8(u + i, len - i);
		if (k > 1) {
			i += k;
			continue;
		}
		if (k == 1 && u[i] >= 0x20 && u[i] != '"' && u[i] != '\\' &&
		    u[i] != 0x7f) {
			i++;
			continue;
		}
		buf_append(b, s + run, i - run);
		if (k == 0)
			buf_append(b, "\xef\xbf\xbd", 3); /* U+FFFD */
		else if (u[i] == '"' || u[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)u[i];
			buf_append(b, esc, 2);
		} else if (u[i] == '\n')
			buf_append(b, "\\n", 2);
		else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[u[i] >> 4];
			esc[5] = hex[u[i] & 15];
			buf_append(b, esc, 6);
		}
		run = ++i;
	}
	buf_append(b, s + run, len - run);
	buf_append(b, "\"", 1);
}

void
web_json_key(struct buf *b, const char *key, int first)
{
	if (!first)
		buf_append(b, ",", 1);
	web_json_str(b, key, strlen(key));
	buf_append(b, ":", 1);
}

void
web_json_raw(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	buf_append(b, s, strlen(s));
	free(s);
}

void
web_json_hex(struct buf *b, const uint8_t *v, size_t n)
{
	char s[2 * 64 + 1];

	if (n > 64)
		n = 64;
	util_hex(v, n, s);
	buf_append(b, "\"", 1);
	buf_append(b, s, 2 * n);
	buf_append(b, "\"", 1);
}

void
web_json_kstr(struct buf *b, const char *key, const char *s)
{
	web_json_key(b, key, 0);
	if (s == NULL)
		buf_append(b, "null", 4);
	else
		web_json_str(b, s, strlen(s));
}

void
web_json_begin(struct buf *b, const char *type)
{
	buf_init(b);
	buf_append(b, "{", 1);
	web_json_key(b, "type", 1);
	web_json_str(b, type, strlen(type));
}

struct web_json_in {
	char *p, *end;
};

static void
web_json_ws(struct web_json_in *in)
{
	while (in->p < in->end &&
	    (*in->p == ' ' || *in->p == '\t' || *in->p == '\n' ||
	        *in->p == '\r'))
		in->p++;
}

static int
web_json_hex4(const char *s, uint32_t *v)
{
	int i, d;

	*v = 0;
	for (i = 0; i < 4; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'f')
			d = (s[i] | 0x20) - 'a' + 10;
		else
			return -1;
		*v = *v << 4 | (uint32_t)d;
	}
	return 0;
}

static char *
web_json_put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80)
		*o++ = (char)cp;
	else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* A string at in->p (its opening quote), unescaped in place. */
static int
web_json_string(struct web_json_in *in, char **out, size_t *len)
{
	char *o, *s;
	uint32_t cp, lo;

	if (in->p == in->end || *in->p != '"')
		return -1;
	s = o = ++in->p;
	while (in->p < in->end && *in->p != '"') {
		if ((unsigned char)*in->p < 0x20)
			return -1;
		if (*in->p != '\\') {
			*o++ = *in->p++;
			continue;
		}
		if (in->end - in->p < 2)
			return -1;
		switch (in->p[1]) {
		case '"':
		case '\\':
		case '/':
			*o++ = in->p[1];
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u':
			if (in->end - in->p < 6 ||
			    web_json_hex4(in->p + 2, &cp))
				return -1;
			in->p += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -1;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (in->end - in->p < 8 || in->p[2] != '\\' ||
				    in->p[3] != 'u' ||
				    web_json_hex4(in->p + 4, &lo) == -1 ||
				    lo < 0xdc00 || lo > 0xdfff)
					return -1;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				in->p += 6;
			}
			if (cp == 0)
				return -1;
			o = web_json_put_utf8(o, cp);
			break;
		default:
			return -1;
		}
		in->p += 2;
	}
	if (in->p == in->end)
		return -1;
	in->p++;
	*o = '\0';
	*out = s;
	*len = (size_t)(o - s);
	return memchr(s, '\0', *len) != NULL ? -1 : 0;
}

static int
web_json_value(struct web_json_in *in, struct web_json_member *m)
{
	char *end, save;

	if (in->p == in->end)
		return -1;
	if (*in->p == '"') {
		m->type = WEB_JSON_STRING;
		return web_json_string(in, &m->str, &m->len);
	}
	if (in->end - in->p >= 4 && memcmp(in->p, "null", 4) == 0) {
		m->type = WEB_JSON_NULL;
		in->p += 4;
		return 0;
	}
	if (in->end - in->p >= 4 && memcmp(in->p, "true", 4) == 0) {
		m->type = WEB_JSON_BOOL;
		m->num = 1;
		in->p += 4;
		return 0;
	}
	if (in->end - in->p >= 5 && memcmp(in->p, "false", 5) == 0) {
		m->type = WEB_JSON_BOOL;
		m->num = 0;
		in->p += 5;
		return 0;
	}
	if (*in->p != '-' && (*in->p < '0' || *in->p > '9'))
		return -1;
	/* strtod stops at the first byte that is not part of a number;
	 * the text is not NUL-terminated, so end it there for a moment. */
	end = in->p;
	while (end < in->end && strchr("+-.0123456789eE", *end) != NULL)
		end++;
	if (end == in->end)
		return -1; /* an object never ends with a number */
	save = *end;
	*end = '\0';
	m->type = WEB_JSON_NUMBER;
	m->num = strtod(in->p, &in->p);
	*end = save;
	return in->p == end ? 0 : -1;
}

/* Is key among the members parsed so far? */
static int
web_json_has(const struct web_json_obj *obj, const char *key)
{
	size_t i;

	for (i = 0; i < obj->n; i++)
		if (strcmp(obj->m[i].key, key) == 0)
			return 1;
	return 0;
}

int
web_json_parse(char *text, size_t len, struct web_json_obj *obj)
{
	struct web_json_in in = { text, text + len };
	struct web_json_member *m;
	size_t klen;

	obj->n = 0;
	web_json_ws(&in);
	if (in.p == in.end || *in.p++ != '{')
		return -1;
	web_json_ws(&in);
	if (in.p < in.end && *in.p == '}') {
		in.p++;
		goto end;
	}
	for (;;) {
		if (obj->n == WEB_JSON_MEMBERS)
			return -1;
		m = &obj->m[obj->n];
		web_json_ws(&in);
		if (web_json_string(&in, &m->key, &klen) == -1 ||
		    web_json_has(obj, m->key))
			return -1;
		web_json_ws(&in);
		if (in.p == in.end || *in.p++ != ':')
			return -1;
		web_json_ws(&in);
		if (web_json_value(&in, m) == -1)
			return -1;
		obj->n++;
		web_json_ws(&in);
		if (in.p == in.end)
			return -1;
		if (*in.p == '}') {
			in.p++;
			break;
		}
		if (*in.p++ != ',')
			return -1;
	}
end:
	web_json_ws(&in);
	return in.p == in.end ? 0 : -1;
}

const struct web_json_member *
web_json_get(
    const struct web_json_obj *obj, const char *key, enum web_json_type type)
{
	size_t i;

	for (i = 0; i < obj->n; i++) {
		if (strcmp(obj->m[i].key, key) == 0)
			return obj->m[i].type == type ? &obj->m[i] : NULL;
	}
	return NULL;
}
