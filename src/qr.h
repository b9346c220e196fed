/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * QR codes as lines of text for the terminal (/myid): the only file that
 * includes <qrencode.h>.
 */
#ifndef P2PTUI_QR_H
#define P2PTUI_QR_H

#include <stddef.h>

#define QR_QUIET 2 /* modules of light border on each side */

/*
 * text as a QR code (error correction M), in rows of text: with utf8,
 * two module rows per text row in half blocks (U+2580, U+2584, U+2588),
 * one column per module; else one text row per module row and two
 * columns ("##") per module. Light modules are drawn, dark ones are
 * blank, so the code reads on a light-on-dark terminal as qrencode's
 * own UTF8 output does. *rows and *n are allocated (qr_free()); -1 with
 * *cause if it cannot be encoded.
 */
int qr_rows(const char *text, int utf8, char ***rows, size_t *n, char **cause);
void qr_free(char **rows, size_t n);

#endif
