/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Debug log (enabled by -v) and fatal errors.
 */
#ifndef P2PTUI_LOG_H
#define P2PTUI_LOG_H

#include <stdarg.h>

/* Open the debug log at path (appending); -1 with errno on failure. */
int log_open(const char *path);
void log_close(void);
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));

/*
 * Called by fatal() before it prints, so the frontend can give the
 * terminal back. Only one hook; NULL removes it.
 */
void log_set_fatal_hook(void (*)(void));

/* A bug or out of memory: restore the terminal, print, exit(2). */
void fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
