/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What store.c lends the other store_*.c files (and no one else): its
 * database handle, its per-iteration write transaction and its error
 * texts. Declared with struct sqlite3 so this header needs no
 * <sqlite3.h>.
 */
#ifndef P2PTUI_STORE_INT_H
#define P2PTUI_STORE_INT_H

#include "store.h"

struct sqlite3;

/* The database. */
struct sqlite3 *store_sqlite(struct store *);
/* Join (or open) the transaction store_commit() ends. */
int store_write(struct store *, char **cause);
/* A write failed: *cause says why (what: "writing", ...), the
 * transaction is forgotten if SQLite rolled it back. Returns -1. */
int store_fail(struct store *, const char *what, char **cause);
/* A read failed: an allocated message. */
char *store_errstr(struct store *, const char *what);

#endif
