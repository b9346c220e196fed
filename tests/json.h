/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The JSON parser of the test-vector programs (tests/json.c).
 */
#ifndef P2PTUI_TESTS_JSON_H
#define P2PTUI_TESTS_JSON_H

#include <stddef.h>
#include <stdint.h>

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

/* Parse a whole document; NULL with *error and *offset on failure. */
struct json *json_parse(
    const char *text, size_t len, const char **error, size_t *offset);
void json_free(struct json *);
/* The member key of an object, or NULL. */
const struct json *json_get(const struct json *obj, const char *key);

/* The whole file, allocated; NULL with errno on failure. */
char *json_read_file(const char *path, size_t *lenp);
/* A hex string (either case) as allocated bytes; NULL if v is not one. */
uint8_t *json_hex(const struct json *v, size_t *lenp);

#endif
