/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rendezvous server's accounts on SQLite (store_rdv.h). WAL and
 * synchronous FULL: a name the server confirmed survives a crash.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#include <sqlite3.h>

#include "log.h"
#include "store_rdv.h"
#include "xmalloc.h"

struct store_rdv {
	sqlite3 *db;
	sqlite3_stmt *by_key, *by_name, *del, *ins;
};

static const char *store_rdv_schema =
    "PRAGMA journal_mode = WAL;"
    "PRAGMA synchronous = FULL;"
    "CREATE TABLE IF NOT EXISTS names (name TEXT PRIMARY KEY, "
    "key BLOB UNIQUE NOT NULL, since INTEGER NOT NULL);";

struct store_rdv *
store_rdv_open(const char *path, char **cause)
{
	struct store_rdv *s = xcalloc(1, sizeof *s);

	if (sqlite3_open_v2(path, &s->db,
	        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	        NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(s->db, 5000) != SQLITE_OK ||
	    sqlite3_exec(s->db, store_rdv_schema, NULL, NULL, NULL) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT name FROM names WHERE key = ?",
	        -1, &s->by_key, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT key FROM names WHERE name = ?",
	        -1, &s->by_name, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "DELETE FROM names WHERE key = ?", -1,
	        &s->del, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
	        "INSERT INTO names (name, key, since) VALUES (?, ?, ?)", -1,
	        &s->ins, NULL) != SQLITE_OK) {
		*cause = xasprintf("%s: %s", path,
		    s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
		store_rdv_close(s);
		return NULL;
	}
	return s;
}

void
store_rdv_close(struct store_rdv *s)
{
	if (s == NULL)
		return;
	sqlite3_finalize(s->by_key);
	sqlite3_finalize(s->by_name);
	sqlite3_finalize(s->del);
	sqlite3_finalize(s->ins);
	sqlite3_close(s->db);
	free(s);
}

int
store_rdv_name(struct store_rdv *s, const uint8_t key[32], char *name)
{
	const unsigned char *t;
	int r;

	sqlite3_bind_blob(s->by_key, 1, key, 32, SQLITE_STATIC);
	r = sqlite3_step(s->by_key);
	if (r == SQLITE_ROW) {
		t = sqlite3_column_text(s->by_key, 0);
		snprintf(name, 33, "%s", t != NULL ? (const char *)t : "");
		r = 1;
	} else
		r = r == SQLITE_DONE ? 0 : -1;
	sqlite3_reset(s->by_key);
	return r;
}

int
store_rdv_key(struct store_rdv *s, const char *name, uint8_t key[32])
{
	int r;

	sqlite3_bind_text(s->by_name, 1, name, -1, SQLITE_STATIC);
	r = sqlite3_step(s->by_name);
	if (r == SQLITE_ROW && sqlite3_column_bytes(s->by_name, 0) == 32) {
		memcpy(key, sqlite3_column_blob(s->by_name, 0), 32);
		r = 1;
	} else
		r = r == SQLITE_DONE ? 0 : -1;
	sqlite3_reset(s->by_name);
	return r;
}

int
store_rdv_set(struct store_rdv *s, const uint8_t key[32], const char *name)
{
	uint8_t other[32];
	int r;

	if (name != NULL && (r = store_rdv_key(s, name, other)) != 0) {
		if (r == 1 && memcmp(other, key, 32) == 0)
			return 0;
		return r == 1 ? 1 : -1;
	}
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_blob(s->del, 1, key, 32, SQLITE_STATIC);
	r = sqlite3_step(s->del);
	sqlite3_reset(s->del);
	if (r == SQLITE_DONE && name != NULL) {
		sqlite3_bind_text(s->ins, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s->ins, 2, key, 32, SQLITE_STATIC);
		sqlite3_bind_int64(s->ins, 3, (sqlite3_int64)time(NULL));
		r = sqlite3_step(s->ins);
		sqlite3_reset(s->ins);
	}
	if (r != SQLITE_DONE ||
	    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		log_debug("store_rdv: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}
