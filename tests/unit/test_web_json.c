/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the web front end's JSON (src/web_json.c): what the
 * writer emits is valid JSON and valid UTF-8 whatever bytes a peer sent,
 * and the reader takes the page's flat objects and refuses everything
 * else (nesting, NULs, lone surrogates, trailing bytes, too many members).
 * Also the WebSocket accept key of RFC 6455's own example.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "web_json.h"
#include "web_ws.h"

static char *
str_of(const char *s, size_t len)
{
	struct buf b;
	char *out;

	buf_init(&b);
	web_json_str(&b, s, len);
	out = strndup((const char *)buf_head(&b), buf_used(&b));
	buf_free(&b);
	return out;
}

static void
test_str_escapes(void **state)
{
	char *s;

	(void)state;
	s = str_of("a\"b\\c\nd\te\x01\x7f", 11);
	assert_string_equal(s, "\"a\\\"b\\\\c\\nd\\u0009e\\u0001\\u007f\"");
	free(s);
	/* Valid UTF-8 passes as it is, including a bidi control. */
	s = str_of("caf\xc3\xa9 \xe2\x80\xae \xf0\x9f\x98\x80", 14);
	assert_string_equal(s, "\"caf\xc3\xa9 \xe2\x80\xae \xf0\x9f\x98\x80\"");
	free(s);
	/* Invalid UTF-8 (a lone continuation, an overlong form, a
	 * surrogate, a cut sequence) becomes U+FFFD, one per byte: 8 here. */
	s = str_of("\x80"
	           "\xc0\xaf"
	           "\xed\xa0\x80"
	           "\xe2\x82",
	    8);
	assert_string_equal(s,
	    "\""
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	    "\"");
	free(s);
	/* A NUL inside is escaped, not an end. */
	s = str_of("a\0b", 3);
	assert_string_equal(s, "\"a\\u0000b\"");
	free(s);
}

static void
test_parse_flat(void **state)
{
	char text[] =
	    " { \"type\" : \"line\", \"peer\":null, \"n\": -1.5e2,"
	    "\"ok\":true, \"text\":\"a\\\"\\u00e9\\ud83d\\ude00\\n\" } ";
	const struct web_json_member *m;
	struct web_json_obj o;

	(void)state;
	assert_int_equal(web_json_parse(text, strlen(text), &o), 0);
	assert_int_equal(o.n, 5);
	m = web_json_get(&o, "type", WEB_JSON_STRING);
	assert_non_null(m);
	assert_string_equal(m->str, "line");
	assert_non_null(web_json_get(&o, "peer", WEB_JSON_NULL));
	assert_null(web_json_get(&o, "peer", WEB_JSON_STRING));
	m = web_json_get(&o, "n", WEB_JSON_NUMBER);
	assert_non_null(m);
	assert_true(m->num == -150);
	m = web_json_get(&o, "ok", WEB_JSON_BOOL);
	assert_true(m != NULL && m->num == 1);
	m = web_json_get(&o, "text", WEB_JSON_STRING);
	assert_non_null(m);
	assert_string_equal(m->str, "a\"\xc3\xa9\xf0\x9f\x98\x80\n");
	assert_int_equal(m->len, 9);
	assert_null(web_json_get(&o, "missing", WEB_JSON_STRING));
}

static void
test_parse_refuses(void **state)
{
	static const char *bad[] = {
		"", "[]", "{", "{\"a\":1", "{\"a\":1}x", "{\"a\":{}}",
		"{\"a\":[1]}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\\ud800\"}",
		"{\"a\":\"\\udc00\"}", "{\"a\":\"\\x\"}",
		"{\"a\":\"tab\there\"}", "{\"a\":tru}", "{\"a\":1,}", "{a:1}",
		"{\"a\":--1}", "{\"a\":1 \"b\":2}",
		"{\"type\":\"line\",\"type\":\"history\"}", /* which? */
	};
	char many[1024], *t;
	struct web_json_obj o;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t = strdup(bad[i]);
		assert_int_equal(web_json_parse(t, strlen(t), &o), -1);
		free(t);
	}
	/* A NUL byte in the text itself. */
	memcpy(many, "{\"a\":\"x\0y\"}", 11);
	assert_int_equal(web_json_parse(many, 11, &o), -1);
	/* One member more than fits. */
	n = (size_t)sprintf(many, "{");
	for (i = 0; i <= WEB_JSON_MEMBERS; i++)
		n += (size_t)sprintf(
		    many + n, "%s\"k%zu\":%zu", i ? "," : "", i, i);
	n += (size_t)sprintf(many + n, "}");
	assert_int_equal(web_json_parse(many, n, &o), -1);
	assert_int_equal(web_json_parse(strcpy(many, "{}"), 2, &o), 0);
	assert_int_equal(o.n, 0);
}

static void
test_ws_accept_key(void **state)
{
	char out[WEB_WS_ACCEPT_LEN + 1];

	(void)state;
	/* RFC 6455, section 1.3. */
	assert_int_equal(web_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	assert_int_equal(web_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=", out), -1);
	assert_int_equal(
	    web_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==\r\nX: y", out), -1);
	assert_int_equal(web_ws_accept_key("", out), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_str_escapes),
		cmocka_unit_test(test_parse_flat),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_ws_accept_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
