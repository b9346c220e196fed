/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Run Noise test vectors (the cacophony/snow JSON format) against
 * src/noise.c: noise_vectors FILE...
 *
 * Each vector of suite 25519_ChaChaPoly_BLAKE2b is played between an
 * initiator and a responder: messages alternate starting with the
 * initiator (one-way patterns: all from the initiator), handshake
 * messages through noise_hs_write()/noise_hs_read(), then transport
 * messages through the split ciphers. Every ciphertext, every decrypted
 * payload and the handshake hash are compared. Vectors of other suites
 * are skipped. One line per failing vector, then "N passed, N failed"
 * (", N skipped"). Exit 0 only if nothing failed.
 *
 * The JSON parser here is small and strict (RFC 8259: no trailing
 * commas, no comments, no leading zeros, valid UTF-8, no duplicate keys,
 * nesting limited).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "noise.h"
#include "xmalloc.h"

#define SUITE "_25519_ChaChaPoly_BLAKE2b"
#define JSON_MAX_DEPTH 64

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json {
	enum json_type type;
	int boolean;
	double number;
	char *str; /* JSON_STRING, NUL-terminated */
	size_t len;
	struct json **items; /* JSON_ARRAY, JSON_OBJECT */
	char **keys; /* JSON_OBJECT */
	size_t n;
};

struct json_parser {
	const char *p;
	const char *start;
	const char *end;
	const char *error;
};

static struct json *json_parse_value(struct json_parser *, int);

static void
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

/* Parse a whole document; NULL with *error and *offset on failure. */
static struct json *
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

static const struct json *
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

/* ------------------------------------------------------------------ */

struct hexbuf {
	uint8_t *data;
	size_t len;
	int present;
};

struct vector {
	const char *name;
	struct hexbuf prologue[2];
	struct hexbuf s[2], e[2], rs[2];
	struct hexbuf psks[2][NOISE_MAX_PSKS];
	size_t npsks[2];
	struct hexbuf hash;
	struct hexbuf *payloads, *ciphertexts;
	size_t nmsgs;
};

static char *fail_why;

static int vfail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
vfail(const char *fmt, ...)
{
	va_list ap;

	if (fail_why == NULL) {
		va_start(ap, fmt);
		fail_why = xvasprintf(fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
hex_decode(const struct json *v, const char *field, struct hexbuf *out)
{
	size_t i;
	int hi, lo;

	if (v == NULL || v->type != JSON_STRING || v->len % 2 != 0)
		return vfail("field %s is not a hex string", field);
	out->len = v->len / 2;
	out->data = xmalloc(out->len);
	out->present = 1;
	for (i = 0; i < out->len; i++) {
		hi = hex_value(v->str[2 * i]);
		lo = hex_value(v->str[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return vfail("field %s is not a hex string", field);
		out->data[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int
hex_key(const struct json *obj, const char *field, struct hexbuf *out)
{
	const struct json *v;

	if ((v = json_get(obj, field)) == NULL)
		return 0;
	if (hex_decode(v, field, out) != 0)
		return -1;
	if (out->len != NOISE_KEYLEN)
		return vfail("field %s is not %d bytes", field, NOISE_KEYLEN);
	return 0;
}

static void
vector_free(struct vector *vec)
{
	size_t i, j;

	for (i = 0; i < 2; i++) {
		free(vec->prologue[i].data);
		free(vec->s[i].data);
		free(vec->e[i].data);
		free(vec->rs[i].data);
		for (j = 0; j < NOISE_MAX_PSKS; j++)
			free(vec->psks[i][j].data);
	}
	free(vec->hash.data);
	for (i = 0; i < vec->nmsgs; i++) {
		free(vec->payloads[i].data);
		free(vec->ciphertexts[i].data);
	}
	free(vec->payloads);
	free(vec->ciphertexts);
}

static int
vector_load(const struct json *obj, struct vector *vec)
{
	static const char *known[] = {
		"protocol_name",
		"init_prologue",
		"init_psks",
		"init_static",
		"init_ephemeral",
		"init_remote_static",
		"resp_prologue",
		"resp_psks",
		"resp_static",
		"resp_ephemeral",
		"resp_remote_static",
		"handshake_hash",
		"messages",
	};
	static const char *side[2] = { "init", "resp" };
	const struct json *v, *m;
	char field[64];
	size_t i, j;

	for (i = 0; i < obj->n; i++) {
		for (j = 0; j < sizeof known / sizeof known[0]; j++) {
			if (strcmp(obj->keys[i], known[j]) == 0)
				break;
		}
		if (j == sizeof known / sizeof known[0])
			return vfail("unknown field %s", obj->keys[i]);
	}

	for (i = 0; i < 2; i++) {
		snprintf(field, sizeof field, "%s_prologue", side[i]);
		if ((v = json_get(obj, field)) != NULL &&
		    hex_decode(v, field, &vec->prologue[i]) != 0)
			return -1;
		snprintf(field, sizeof field, "%s_static", side[i]);
		if (hex_key(obj, field, &vec->s[i]) != 0)
			return -1;
		snprintf(field, sizeof field, "%s_ephemeral", side[i]);
		if (hex_key(obj, field, &vec->e[i]) != 0)
			return -1;
		snprintf(field, sizeof field, "%s_remote_static", side[i]);
		if (hex_key(obj, field, &vec->rs[i]) != 0)
			return -1;
		snprintf(field, sizeof field, "%s_psks", side[i]);
		if ((v = json_get(obj, field)) != NULL) {
			if (v->type != JSON_ARRAY || v->n > NOISE_MAX_PSKS)
				return vfail("bad field %s", field);
			for (j = 0; j < v->n; j++) {
				if (hex_decode(v->items[j], field,
				        &vec->psks[i][j]) != 0)
					return -1;
				if (vec->psks[i][j].len != NOISE_KEYLEN)
					return vfail("bad psk length");
			}
			vec->npsks[i] = v->n;
		}
	}

	if ((v = json_get(obj, "handshake_hash")) != NULL &&
	    hex_decode(v, "handshake_hash", &vec->hash) != 0)
		return -1;
	if (vec->hash.present && vec->hash.len != NOISE_HASHLEN)
		return vfail("bad handshake_hash length");

	if ((v = json_get(obj, "messages")) == NULL || v->type != JSON_ARRAY)
		return vfail("no messages array");
	vec->payloads = xcalloc(v->n, sizeof *vec->payloads);
	vec->ciphertexts = xcalloc(v->n, sizeof *vec->ciphertexts);
	vec->nmsgs = v->n;
	for (i = 0; i < v->n; i++) {
		m = v->items[i];
		if (m->type != JSON_OBJECT || m->n != 2)
			return vfail("bad message %zu", i);
		if (hex_decode(json_get(m, "payload"), "payload",
		        &vec->payloads[i]) != 0 ||
		    hex_decode(json_get(m, "ciphertext"), "ciphertext",
		        &vec->ciphertexts[i]) != 0)
			return -1;
	}
	return 0;
}

static struct noise_hs *
vector_party(const struct vector *vec, enum noise_role role)
{
	struct noise_hs *hs;
	char *cause;
	size_t i, r = role == NOISE_INITIATOR ? 0 : 1;

	hs = noise_hs_create(vec->name, role, vec->prologue[r].data,
	    vec->prologue[r].len, &cause);
	if (hs == NULL) {
		vfail("create: %s", cause);
		free(cause);
		return NULL;
	}
	if (vec->s[r].present)
		noise_hs_set_s(hs, vec->s[r].data);
	if (vec->e[r].present)
		noise_hs_set_e(hs, vec->e[r].data);
	if (vec->rs[r].present)
		noise_hs_set_rs(hs, vec->rs[r].data);
	for (i = 0; i < vec->npsks[r]; i++) {
		if (noise_hs_add_psk(hs, vec->psks[r][i].data) != 0) {
			vfail("%s: too many psks", r == 0 ? "init" : "resp");
			noise_hs_free(hs);
			return NULL;
		}
	}
	if (noise_hs_start(hs, &cause) != 0) {
		vfail("%s start: %s", r == 0 ? "init" : "resp", cause);
		free(cause);
		noise_hs_free(hs);
		return NULL;
	}
	return hs;
}

static int
same(const uint8_t *a, size_t alen, const struct hexbuf *b)
{
	return alen == b->len && (alen == 0 || memcmp(a, b->data, alen) == 0);
}

static int
vector_play(const struct vector *vec, struct noise_hs *hs[2])
{
	struct noise_cipher tx[2], rx[2];
	uint8_t *buf, *out, h[2][NOISE_HASHLEN];
	size_t i, n, m, snd, rcv, plen, bp;
	int oneway, done = 0, rc = -1;
	const char *base = vec->name + strlen("Noise_");

	buf = xmalloc(NOISE_MAX_MSG);
	out = xmalloc(NOISE_MAX_MSG);
	memset(tx, 0, sizeof tx);
	memset(rx, 0, sizeof rx);

	/* One-way patterns have a single-letter name. */
	bp = strspn(base, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	oneway = bp == 1;

	for (i = 0; i < vec->nmsgs; i++) {
		snd = oneway || i % 2 == 0 ? 0 : 1;
		rcv = 1 - snd;
		plen = vec->payloads[i].len;
		if (plen > NOISE_MAX_MSG - NOISE_TAGLEN) {
			vfail("message %zu: payload too long", i);
			goto out;
		}
		if (!done) {
			if (noise_hs_action(hs[snd]) != NOISE_ACTION_WRITE ||
			    noise_hs_action(hs[rcv]) != NOISE_ACTION_READ) {
				vfail("message %zu: turn differs", i);
				goto out;
			}
			if (noise_hs_write(hs[snd], vec->payloads[i].data, plen,
			        buf, NOISE_MAX_MSG, &n) != 0) {
				vfail("message %zu: write failed", i);
				goto out;
			}
			if (!same(buf, n, &vec->ciphertexts[i])) {
				vfail("message %zu: ciphertext differs", i);
				goto out;
			}
			if (noise_hs_read(
			        hs[rcv], buf, n, out, NOISE_MAX_MSG, &m) != 0) {
				vfail("message %zu: read failed", i);
				goto out;
			}
			if (!same(out, m, &vec->payloads[i])) {
				vfail("message %zu: payload differs", i);
				goto out;
			}
			if ((noise_hs_action(hs[0]) == NOISE_ACTION_SPLIT) !=
			    (noise_hs_action(hs[1]) == NOISE_ACTION_SPLIT)) {
				vfail("message %zu: states differ", i);
				goto out;
			}
			if (noise_hs_action(hs[0]) != NOISE_ACTION_SPLIT)
				continue;
			if (noise_hs_split(hs[0], &tx[0], &rx[0]) != 0 ||
			    noise_hs_split(hs[1], &tx[1], &rx[1]) != 0) {
				vfail("split failed");
				goto out;
			}
			noise_hs_hash(hs[0], h[0]);
			noise_hs_hash(hs[1], h[1]);
			if (memcmp(h[0], h[1], NOISE_HASHLEN) != 0) {
				vfail("handshake hashes of the parties differ");
				goto out;
			}
			if (vec->hash.present &&
			    !same(h[0], NOISE_HASHLEN, &vec->hash)) {
				vfail("handshake_hash differs");
				goto out;
			}
			done = 1;
			continue;
		}
		if (noise_cipher_encrypt(&tx[snd], NULL, 0,
		        vec->payloads[i].data, plen, buf) != 0) {
			vfail("message %zu: transport encrypt failed", i);
			goto out;
		}
		n = plen + NOISE_TAGLEN;
		if (!same(buf, n, &vec->ciphertexts[i])) {
			vfail("message %zu: transport ciphertext differs", i);
			goto out;
		}
		if (noise_cipher_decrypt(&rx[rcv], NULL, 0, buf, n, out) != 0) {
			vfail("message %zu: transport decrypt failed", i);
			goto out;
		}
		if (!same(out, plen, &vec->payloads[i])) {
			vfail("message %zu: transport payload differs", i);
			goto out;
		}
	}
	if (!done) {
		vfail("handshake not complete after %zu messages", i);
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < 2; i++) {
		noise_cipher_wipe(&tx[i]);
		noise_cipher_wipe(&rx[i]);
	}
	free(buf);
	free(out);
	return rc;
}

/* 0 passed, -1 failed (fail_why set), 1 skipped. */
static int
vector_run(const struct json *obj, const char **name)
{
	struct vector vec;
	struct noise_hs *hs[2] = { NULL, NULL };
	const struct json *v;
	size_t len;
	int rc = -1;

	*name = "(unnamed)";
	if (obj->type != JSON_OBJECT)
		return vfail("vector is not an object");
	if ((v = json_get(obj, "protocol_name")) == NULL ||
	    v->type != JSON_STRING)
		return vfail("no protocol_name");
	*name = v->str;
	len = strlen(v->str);
	if (strncmp(v->str, "Noise_", 6) != 0 || len < strlen(SUITE) ||
	    strcmp(v->str + len - strlen(SUITE), SUITE) != 0)
		return 1;

	memset(&vec, 0, sizeof vec);
	vec.name = v->str;
	if (vector_load(obj, &vec) != 0)
		goto out;
	if ((hs[0] = vector_party(&vec, NOISE_INITIATOR)) == NULL ||
	    (hs[1] = vector_party(&vec, NOISE_RESPONDER)) == NULL)
		goto out;
	rc = vector_play(&vec, hs);
out:
	noise_hs_free(hs[0]);
	noise_hs_free(hs[1]);
	vector_free(&vec);
	return rc;
}

static char *
read_file(const char *path, size_t *lenp)
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

int
main(int argc, char **argv)
{
	struct json *doc;
	const struct json *vectors;
	const char *error, *name;
	char *text;
	size_t len, off, i;
	unsigned int passed = 0, failed = 0, skipped = 0;
	int a, r;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "sodium_init failed\n");
		return 2;
	}
	for (a = 1; a < argc; a++) {
		if ((text = read_file(argv[a], &len)) == NULL) {
			printf("%s: %s\n", argv[a], strerror(errno));
			failed++;
			continue;
		}
		doc = json_parse(text, len, &error, &off);
		free(text);
		if (doc == NULL) {
			printf("%s: JSON error at offset %zu: %s\n", argv[a],
			    off, error);
			failed++;
			continue;
		}
		vectors = json_get(doc, "vectors");
		if (vectors == NULL || vectors->type != JSON_ARRAY) {
			printf("%s: no \"vectors\" array\n", argv[a]);
			failed++;
			json_free(doc);
			continue;
		}
		for (i = 0; i < vectors->n; i++) {
			r = vector_run(vectors->items[i], &name);
			if (r == 0)
				passed++;
			else if (r > 0)
				skipped++;
			else {
				printf("%s: vector %zu: %s: %s\n", argv[a], i,
				    name, fail_why != NULL ? fail_why : "?");
				failed++;
			}
			free(fail_why);
			fail_why = NULL;
		}
		json_free(doc);
	}
	if (skipped != 0)
		printf("%u passed, %u failed, %u skipped\n", passed, failed,
		    skipped);
	else
		printf("%u passed, %u failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
