/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * QR codes drawn with text (see qr.h). libqrencode makes the module
 * matrix: byte i of QRcode.data is module (i % width, i / width), dark
 * when its lowest bit is set. The rows add a quiet zone of QR_QUIET
 * light modules around it (the standard asks for 4; 2 scan well on a
 * screen and take less room).
 */
#include <errno.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#include "qr.h"
#include "xmalloc.h"

/* Is module (x, y) of the bordered code light? */
static int
qr_light(const QRcode *q, int x, int y)
{
	x -= QR_QUIET;
	y -= QR_QUIET;
	if (x < 0 || y < 0 || x >= q->width || y >= q->width)
		return 1;
	return !(q->data[y * q->width + x] & 1);
}

int
qr_rows(const char *text, int utf8, char ***rowsp, size_t *np, char **cause)
{
	static const char *half[4] = { " ", "\xe2\x96\x84", "\xe2\x96\x80",
		"\xe2\x96\x88" }; /* by light (upper << 1 | lower) */
	QRcode *q;
	char **rows, *r;
	size_t n, i;
	int size, x, y, top, bottom;

	/* Not case-sensitive: a base32 fingerprint goes in the compact
	 * alphanumeric mode, upper case, which its decoder accepts. */
	if ((q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 0)) ==
	    NULL) {
		*cause =
		    xasprintf("cannot make a QR code: %s", strerror(errno));
		return -1;
	}
	size = q->width + 2 * QR_QUIET;
	n = utf8 ? (size_t)(size + 1) / 2 : (size_t)size;
	rows = xreallocarray(NULL, n, sizeof *rows);
	for (i = 0; i < n; i++) {
		r = rows[i] = xmalloc((size_t)size * 3 + 1);
		for (x = 0; x < size; x++) {
			if (utf8) {
				top = qr_light(q, x, (int)i * 2);
				bottom = (int)i * 2 + 1 < size
				    ? qr_light(q, x, (int)i * 2 + 1)
				    : 0;
				strcpy(r, half[top << 1 | bottom]);
				r += strlen(r);
			} else {
				y = qr_light(q, x, (int)i);
				*r++ = y ? '#' : ' ';
				*r++ = y ? '#' : ' ';
			}
		}
		*r = '\0';
	}
	QRcode_free(q);
	*rowsp = rows;
	*np = n;
	return 0;
}

void
qr_free(char **rows, size_t n)
{
	size_t i;

	if (rows == NULL)
		return;
	for (i = 0; i < n; i++)
		free(rows[i]);
	free(rows);
}
