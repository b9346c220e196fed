/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer harness: the web page's JSON (src/web_json.c). The reader
 * gets what an authenticated page sends, any bytes; the writer gets what
 * peers and room members send, any bytes.
 *
 * The input, copied to an exactly sized allocation so that over-reads are
 * seen by AddressSanitizer, is parsed as one message. What parses has at
 * most WEB_JSON_MEMBERS members, each key and string NUL-terminated
 * within the input, no string holding a NUL, and every member found
 * again by its key. The input is also written as a JSON string: the
 * result is valid UTF-8, starts and ends with a quote, and parses back,
 * as the value of a one-member object, to the input where the input was
 * valid UTF-8 without NUL (U+FFFD stands for invalid bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "web_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The members of a parsed object are what web_json.h promises. */
static void
fuzz_check_obj(const char *text, size_t len, const struct web_json_obj *o)
{
	const struct web_json_member *m;
	size_t i;

	if (o->n > WEB_JSON_MEMBERS)
		abort();
	for (i = 0; i < o->n; i++) {
		m = &o->m[i];
		if (m->key < text || m->key >= text + len)
			abort();
		if (m->type == WEB_JSON_STRING &&
		    (m->str < text || m->str + m->len >= text + len ||
		        m->str[m->len] != '\0' || strlen(m->str) != m->len))
			abort();
		if (web_json_get(o, m->key, m->type) == NULL)
			abort();
	}
}

/* Is s (n bytes) valid UTF-8 (by the writer's own rules: no overlong
 * form, no surrogate, nothing past U+10FFFF)? */
static int
fuzz_utf8(const uint8_t *s, size_t n)
{
	size_t i = 0, k, j;
	uint32_t cp;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			k = 2, cp = s[i] & 0x1f;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			k = 3, cp = s[i] & 0x0f;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			k = 4, cp = s[i] & 0x07;
		else
			return 0;
		if (n - i < k)
			return 0;
		for (j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 3 &&
		        (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += k;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_json_obj o;
	const struct web_json_member *m;
	struct buf b;
	char *text;
	size_t n;

	text = malloc(size > 0 ? size : 1);
	if (text == NULL)
		abort();
	if (size > 0)
		memcpy(text, data, size);
	if (web_json_parse(text, size, &o) == 0)
		fuzz_check_obj(text, size, &o);
	free(text);

	/* Written as a string: valid UTF-8, and read back. */
	buf_init(&b);
	buf_append(&b, "{\"k\":", 5);
	web_json_str(&b, (const char *)data, size);
	buf_append(&b, "}", 1);
	n = buf_used(&b);
	if (!fuzz_utf8(buf_head(&b) + 5, n - 6) || buf_head(&b)[5] != '"' ||
	    buf_head(&b)[n - 2] != '"')
		abort();
	text = malloc(n);
	if (text == NULL)
		abort();
	memcpy(text, buf_head(&b), n);
	if (web_json_parse(text, n, &o) == -1) {
		/* Only a NUL in the input may stop it reading back. */
		if (memchr(data, '\0', size) == NULL)
			abort();
	} else {
		m = web_json_get(&o, "k", WEB_JSON_STRING);
		if (m == NULL)
			abort();
		if (fuzz_utf8(data, size) &&
		    (m->len != size || memcmp(m->str, data, size) != 0))
			abort();
	}
	free(text);
	buf_free(&b);
	return 0;
}
