/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A small, strict JSON parser for the test-vector programs (RFC 8259: no
 * trailing commas, no comments, no leading zeros, valid UTF-8, no
 * duplicate keys, nesting limited), and the helpers they share.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "xmalloc.h"

#define JSON_MAX_DEPTH 64

struct json_parser {
	const char *p;
	const char *start;
	const char *end;
	const char *error;
};

static struct json *json_parse_value(struct json_parser *, int);

void
json_free(struct json *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		json_free(v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	free(v);
}

static struct json *
json_new(enum json_type type)
{
	struct json *v;

	v = xcalloc(1, sizeof *v);
	v->type = type;
	return v;
}

static void
json_skip_ws(struct json_parser *jp)
{
	while (jp->p < jp->end &&
	    (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' ||
	        *jp->p == '\r'))
		jp->p++;
}

static struct json *
json_fail(struct json_parser *jp, const char *error)
{
	if (jp->error == NULL)
		jp->error = error;
	return NULL;
}

static int
json_literal(struct json_parser *jp, const char *word)
{
	size_t len = strlen(word);

	if ((size_t)(jp->end - jp->p) < len || memcmp(jp->p, word, len) != 0)
		return 0;
	jp->p += len;
	return 1;
}

static int
json_hex4(struct json_parser *jp, unsigned int *out)
{
	unsigned int v = 0;
	int i;
	char c;

	if (jp->end - jp->p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		c = *jp->p++;
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned int)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t
json_utf8_put(char *out, unsigned int cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Length of the valid UTF-8 sequence at p (non-ASCII lead), or 0. */
static size_t
json_utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned int cp, min;
	size_t n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static char *
json_parse_string_raw(struct json_parser *jp, size_t *lenp)
{
	char *out;
	size_t len = 0, n;
	unsigned int cp, lo;
	unsigned char c;

	if (jp->p >= jp->end || *jp->p != '"') {
		json_fail(jp, "expected string");
		return NULL;
	}
	jp->p++;
	/* Escapes never grow the text: the input length is enough. */
	out = xmalloc((size_t)(jp->end - jp->p) + 1);
	for (;;) {
		if (jp->p >= jp->end) {
			json_fail(jp, "unterminated string");
			goto fail;
		}
		c = (unsigned char)*jp->p;
		if (c == '"') {
			jp->p++;
			break;
		}
		if (c < 0x20) {
			json_fail(jp, "control character in string");
			goto fail;
		}
		if (c >= 0x80) {
			n = json_utf8_len((const unsigned char *)jp->p,
			    (const unsigned char *)jp->end);
			if (n == 0) {
				json_fail(jp, "invalid UTF-8");
				goto fail;
			}
			memcpy(out + len, jp->p, n);
			len += n;
			jp->p += n;
			continue;
		}
		jp->p++;
		if (c != '\\') {
			out[len++] = (char)c;
			continue;
		}
		if (jp->p >= jp->end) {
			json_fail(jp, "unterminated escape");
			goto fail;
		}
		c = (unsigned char)*jp->p++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			out[len++] = (char)c;
			break;
		case 'b':
			out[len++] = '\b';
			break;
		case 'f':
			out[len++] = '\f';
			break;
		case 'n':
			out[len++] = '\n';
			break;
		case 'r':
			out[len++] = '\r';
			break;
		case 't':
			out[len++] = '\t';
			break;
		case 'u':
			if (json_hex4(jp, &cp) != 0) {
				json_fail(jp, "bad \\u escape");
				goto fail;
			}
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				json_fail(jp, "lone low surrogate");
				goto fail;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (!json_literal(jp, "\\u") ||
				    json_hex4(jp, &lo) != 0 || lo < 0xdc00 ||
				    lo > 0xdfff) {
					json_fail(jp, "lone high surrogate");
					goto fail;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			if (cp == 0) {
				json_fail(jp, "NUL in string");
				goto fail;
			}
			len += json_utf8_put(out + len, cp);
			break;
		default:
			json_fail(jp, "bad escape");
			goto fail;
		}
	}
	out[len] = '\0';
	*lenp = len;
	return out;

fail:
	free(out);
	return NULL;
}

static struct json *
json_parse_number(struct json_parser *jp)
{
	const char *s = jp->p;
	struct json *v;
	char *copy, *end;

	if (jp->p < jp->end && *jp->p == '-')
		jp->p++;
	if (jp->p >= jp->end)
		return json_fail(jp, "bad number");
	if (*jp->p == '0')
		jp->p++;
	else if (*jp->p >= '1' && *jp->p <= '9') {
		while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
			jp->p++;
	} else
		return json_fail(jp, "bad number");
	if (jp->p < jp->end && *jp->p == '.') {
		jp->p++;
		if (jp->p >= jp->end || *jp->p < '0' || *jp->p > '9')
			return json_fail(jp, "bad fraction");
		while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
			jp->p++;
	}
	if (jp->p < jp->end && (*jp->p == 'e' || *jp->p == 'E')) {
		jp->p++;
		if (jp->p < jp->end && (*jp->p == '+' || *jp->p == '-'))
			jp->p++;
		if (jp->p >= jp->end || *jp->p < '0' || *jp->p > '9')
			return json_fail(jp, "bad exponent");
		while (jp->p < jp->end && *jp->p >= '0' && *jp->p <= '9')
			jp->p++;
	}
	copy = xstrndup(s, (size_t)(jp->p - s));
	v = json_new(JSON_NUMBER);
	v->number = strtod(copy, &end);
	free(copy);
	return v;
}

static struct json *
json_parse_array(struct json_parser *jp, int depth)
{
	struct json *v, *item;

	jp->p++;
	v = json_new(JSON_ARRAY);
	json_skip_ws(jp);
	if (jp->p < jp->end && *jp->p == ']') {
		jp->p++;
		return v;
	}
	for (;;) {
		if ((item = json_parse_value(jp, depth + 1)) == NULL)
			goto fail;
		v->items = xreallocarray(v->items, v->n + 1, sizeof *v->items);
		v->items[v->n++] = item;
		json_skip_ws(jp);
		if (jp->p < jp->end && *jp->p == ',') {
			jp->p++;
			continue;
		}
		if (jp->p < jp->end && *jp->p == ']') {
			jp->p++;
			return v;
		}
		json_fail(jp, "expected ',' or ']'");
		goto fail;
	}
fail:
	json_free(v);
	return NULL;
}

static struct json *
json_parse_object(struct json_parser *jp, int depth)
{
	struct json *v, *item;
	char *key;
	size_t len, i;

	jp->p++;
	v = json_new(JSON_OBJECT);
	json_skip_ws(jp);
	if (jp->p < jp->end && *jp->p == '}') {
		jp->p++;
		return v;
	}
	for (;;) {
		json_skip_ws(jp);
		if ((key = json_parse_string_raw(jp, &len)) == NULL)
			goto fail;
		for (i = 0; i < v->n; i++) {
			if (strcmp(v->keys[i], key) == 0) {
				free(key);
				json_fail(jp, "duplicate key");
				goto fail;
			}
		}
		json_skip_ws(jp);
		if (jp->p >= jp->end || *jp->p != ':') {
			free(key);
			json_fail(jp, "expected ':'");
			goto fail;
		}
		jp->p++;
		if ((item = json_parse_value(jp, depth + 1)) == NULL) {
			free(key);
			goto fail;
		}
		v->items = xreallocarray(v->items, v->n + 1, sizeof *v->items);
		v->keys = xreallocarray(v->keys, v->n + 1, sizeof *v->keys);
		v->items[v->n] = item;
		v->keys[v->n] = key;
		v->n++;
		json_skip_ws(jp);
		if (jp->p < jp->end && *jp->p == ',') {
			jp->p++;
			continue;
		}
		if (jp->p < jp->end && *jp->p == '}') {
			jp->p++;
			return v;
		}
		json_fail(jp, "expected ',' or '}'");
		goto fail;
	}
fail:
	json_free(v);
	return NULL;
}

static struct json *
json_parse_value(struct json_parser *jp, int depth)
{
	struct json *v;
	int truth;

	if (depth > JSON_MAX_DEPTH)
		return json_fail(jp, "nesting too deep");
	json_skip_ws(jp);
	if (jp->p >= jp->end)
		return json_fail(jp, "unexpected end of input");
	switch (*jp->p) {
	case '{':
		return json_parse_object(jp, depth);
	case '[':
		return json_parse_array(jp, depth);
	case '"':
		v = json_new(JSON_STRING);
		if ((v->str = json_parse_string_raw(jp, &v->len)) == NULL) {
			json_free(v);
			return NULL;
		}
		return v;
	case 't':
	case 'f':
		truth = *jp->p == 't';
		if (json_literal(jp, truth ? "true" : "false")) {
			v = json_new(JSON_BOOL);
			v->boolean = truth;
			return v;
		}
		return json_fail(jp, "bad literal");
	case 'n':
		if (json_literal(jp, "null"))
			return json_new(JSON_NULL);
		return json_fail(jp, "bad literal");
	default:
		return json_parse_number(jp);
	}
}

struct json *
json_parse(const char *text, size_t len, const char **error, size_t *offset)
{
	struct json_parser jp;
	struct json *v;

	jp.p = jp.start = text;
	jp.end = text + len;
	jp.error = NULL;
	if ((v = json_parse_value(&jp, 0)) != NULL) {
		json_skip_ws(&jp);
		if (jp.p != jp.end) {
			json_free(v);
			v = NULL;
			jp.error = "trailing data";
		}
	}
	if (v == NULL) {
		*error = jp.error != NULL ? jp.error : "parse error";
		*offset = (size_t)(jp.p - jp.start);
	}
	return v;
}

const struct json *
json_get(const struct json *obj, const char *key)
{
	size_t i;

	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (i = 0; i < obj->n; i++) {
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	}
	return NULL;
}

char *
json_read_file(const char *path, size_t *lenp)
{
	FILE *f;
	char *data = NULL;
	size_t len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 65536) {
			cap = cap == 0 ? 65536 : cap * 2;
			data = xrealloc(data, cap);
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fclose(f);
		free(data);
		return NULL;
	}
	fclose(f);
	*lenp = len;
	return data;
}

static int
json_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

uint8_t *
json_hex(const struct json *v, size_t *lenp)
{
	uint8_t *out;
	size_t i, len;
	int hi, lo;

	if (v == NULL || v->type != JSON_STRING || v->len % 2 != 0)
		return NULL;
	len = v->len / 2;
	out = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		hi = json_hex_value(v->str[2 * i]);
		lo = json_hex_value(v->str[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(out);
			return NULL;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*lenp = len;
	return out;
}
