/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * qr.c: the rows drawn, read back module by module, are the matrix that
 * libqrencode makes, inside a light border, in half blocks and in ASCII.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <qrencode.h>

#include "qr.h"

#define FP "otyv4vdczpebifbvalz3cvkucy3voiv42hdlcuc6r2yhv3miljdftpy"

/* Module (x, y) of the bordered code as drawn: 1 if light. */
static int
drawn_light(char **rows, int utf8, int x, int y)
{
	const char *r;
	int i;

	if (!utf8)
		return rows[y][2 * x] == '#';
	r = rows[y / 2];
	for (i = 0; i < x; i++) /* each cell is ' ' or 3 bytes */
		r += *r == ' ' ? 1 : 3;
	if (*r == ' ')
		return 0;
	if (strncmp(r, "\xe2\x96\x88", 3) == 0)
		return 1;
	if (strncmp(r, "\xe2\x96\x80", 3) == 0)
		return y % 2 == 0;
	assert_memory_equal(r, "\xe2\x96\x84", 3);
	return y % 2 == 1;
}

static void
check(int utf8)
{
	QRcode *q = QRcode_encodeString(FP, 0, QR_ECLEVEL_M, QR_MODE_8, 0);
	char **rows;
	size_t n;
	int size, x, y, light, cx, cy;

	assert_non_null(q);
	assert_int_equal(q->width, 29); /* version 3: alphanumeric mode */
	assert_int_equal(qr_rows(FP, utf8, &rows, &n, NULL), 0);
	size = q->width + 2 * QR_QUIET;
	assert_int_equal(n, utf8 ? (size_t)(size + 1) / 2 : (size_t)size);
	for (y = 0; y < size; y++) {
		for (x = 0; x < size; x++) {
			cx = x - QR_QUIET;
			cy = y - QR_QUIET;
			light = cx < 0 || cy < 0 || cx >= q->width ||
			    cy >= q->width ||
			    !(q->data[cy * q->width + cx] & 1);
			assert_int_equal(drawn_light(rows, utf8, x, y), light);
		}
	}
	qr_free(rows, n);
	QRcode_free(q);
}

static void
test_utf8(void **state)
{
	(void)state;
	check(1);
}

static void
test_ascii(void **state)
{
	(void)state;
	check(0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_ascii),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
