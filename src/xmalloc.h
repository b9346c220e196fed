/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Allocation wrappers: out of memory is fatal, so callers never check.
 */
#ifndef P2PTUI_XMALLOC_H
#define P2PTUI_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
char *xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *, va_list) __attribute__((format(printf, 1, 0)));

#endif
