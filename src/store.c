/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The message store, on SQLite.
 *
 * Schema (version in PRAGMA user_version; migrations below upgrade older
 * files in one transaction, and a newer file is refused):
 *
 *   conversations(id, key UNIQUE, next_seq)
 *   messages(id, conv, msgid, state, seq, sent_ms, recv_ms, text,
 *            UNIQUE(conv, msgid))
 *   transfers(id AUTOINCREMENT, key, xid, outgoing, name, size, root,
 *             path, mtime_ns, state, reason, have, created_ms, ended_ms,
 *             UNIQUE(key, xid, outgoing))                  (version 2)
 *
 * messages.id orders the history; (conv, msgid) makes a resent message a
 * no-op, which is how the receiver drops duplicates. transfers.id is the
 * #N the user types, so AUTOINCREMENT keeps a forgotten number from
 * coming back as another transfer. Transfers are keyed by the peer's key
 * rather than a conversation: a transfer needs no message history.
 *
 * Durability: WAL with synchronous=FULL, so a committed transaction is on
 * disk. Writes open a transaction lazily and store_commit() ends it once
 * per loop iteration; the engine queues acknowledgements in the same
 * iteration and they only reach the socket after that commit. Each
 * conversation's next_seq is cached and written once per transaction,
 * just before it commits, not once per message.
 *
 * Checkpoints (store_wal_hook()): the WAL is moved into the database
 * every STORE_WAL_PAGES pages (4 MiB) and cut back to STORE_WAL_LIMIT
 * bytes. Each checkpoint costs two fsyncs and writes the pages again, so
 * a bigger WAL is faster: at 256 KiB, a quarter of the durable message
 * rate went to checkpoints (bench_session durable: 0.72 of the in-memory
 * rate, 0.84 at 4 MiB).
 *
 * Disk space: once the file system has less than STORE_LOW_DISK bytes
 * free (looked at every STORE_WAL_PAGES_LOW pages), the WAL is moved
 * every STORE_WAL_PAGES_LOW pages (256 KiB) instead, and cut to nothing,
 * so it cannot take a small disk for itself (the main file could then
 * never grow to take its pages). When a write finds the disk full, the
 * failed transaction is rolled back and a TRUNCATE checkpoint gives the
 * WAL's space back.
 */
#include <sys/statvfs.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ident.h"
#include "store.h"
#include "store_int.h"
#include "xmalloc.h"

#define STORE_VERSION 2
#define STORE_BUSY_MS 2000
#define STORE_WAL_PAGES 1024 /* checkpoint after this many (4 MiB) */
#define STORE_WAL_LIMIT 4194304 /* bytes kept after a checkpoint */
#define STORE_WAL_PAGES_LOW 64 /* the same on a disk nearly full */
#define STORE_LOW_DISK (64 * 1024 * 1024)
#define STORE_STR1(x) #x
#define STORE_STR(x) STORE_STR1(x)

enum {
	ST_CONV_GET,
	ST_CONV_ADD,
	ST_CONV_SEQ,
	ST_MSG_ADD,
	ST_MSG_DELIVER,
	ST_PENDING,
	ST_HISTORY,
	ST_SEARCH_ONE,
	ST_SEARCH_ALL,
	ST_FORGET,
	ST_COUNT,
	ST_COUNT_STATE,
	ST_LOOKUP,
	ST_XFER_ADD,
	ST_XFER_UPDATE,
	ST_XFER_OPEN,
	ST_XFER_ENDED,
	ST_XFER_FORGET,
	ST_XFER_FIND,
	ST_XFER_DELETE,
	ST_RECEIVED_AFTER,
	ST_LAST_ROWID,
	ST_MAX
};

/* The columns ST_XFER_OPEN and ST_XFER_ENDED return, in this order. */
#define STORE_XFER_COLUMNS \
	"id, key, xid, outgoing, name, size, root, path, mtime_ns, state, " \
	"reason, have, created_ms, ended_ms"

static const char *store_sql[ST_MAX] = {
	[ST_CONV_GET] = "SELECT id, next_seq FROM conversations WHERE key = ?1",
	[ST_CONV_ADD] = "INSERT INTO conversations(key) VALUES (?1)",
	[ST_CONV_SEQ] = "UPDATE conversations SET next_seq = ?2 WHERE id = ?1",
	[ST_MSG_ADD] = "INSERT OR IGNORE INTO messages(conv, msgid, state, "
	               "seq, sent_ms, recv_ms, text) "
	               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_MSG_DELIVER] = "UPDATE messages SET state = 1 WHERE conv = ?1 "
	                   "AND msgid = ?2 AND state = 0",
	[ST_PENDING] =
	    "SELECT id, msgid, state, seq, sent_ms, recv_ms, text "
	    "FROM messages WHERE conv = ?1 AND state = 0 AND id > ?2 "
	    "ORDER BY id LIMIT ?3",
	[ST_HISTORY] = "SELECT id, msgid, state, seq, sent_ms, recv_ms, text "
	               "FROM messages WHERE conv = ?1 AND id < ?2 "
	               "ORDER BY id DESC LIMIT ?3",
	[ST_SEARCH_ONE] =
	    "SELECT m.id, m.msgid, m.state, m.seq, m.sent_ms, "
	    "m.recv_ms, m.text, c.key FROM messages m "
	    "JOIN conversations c ON c.id = m.conv "
	    "WHERE c.key = ?1 AND instr(lower(m.text), lower(?2)) "
	    "ORDER BY m.id DESC LIMIT ?3",
	[ST_SEARCH_ALL] = "SELECT m.id, m.msgid, m.state, m.seq, m.sent_ms, "
	                  "m.recv_ms, m.text, c.key FROM messages m "
	                  "JOIN conversations c ON c.id = m.conv "
	                  "WHERE instr(lower(m.text), lower(?2)) "
	                  "ORDER BY m.id DESC LIMIT ?3",
	[ST_FORGET] = "DELETE FROM messages WHERE conv = ?1",
	[ST_COUNT] = "SELECT count(*) FROM messages WHERE conv = ?1",
	[ST_LOOKUP] =
	    "SELECT state FROM messages WHERE conv = ?1 AND msgid = ?2",
	[ST_COUNT_STATE] = "SELECT count(*) FROM messages WHERE conv = ?1 "
	                   "AND state = ?2",
	[ST_XFER_ADD] = "INSERT INTO transfers(key, xid, outgoing, name, size, "
	                "root, path, mtime_ns, state, reason, have, "
	                "created_ms, ended_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
	                "?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	[ST_XFER_UPDATE] = "UPDATE transfers SET state = ?2, reason = ?3, "
	                   "path = ?4, have = ?5, ended_ms = ?6, root = ?7, "
	                   "mtime_ns = ?8 WHERE id = ?1",
	[ST_XFER_OPEN] = "SELECT " STORE_XFER_COLUMNS " FROM transfers "
	                 "WHERE state < 2 ORDER BY id",
	[ST_XFER_ENDED] = "SELECT * FROM (SELECT " STORE_XFER_COLUMNS
	                  " FROM transfers WHERE state >= 2 ORDER BY id DESC "
	                  "LIMIT ?1) ORDER BY id",
	[ST_XFER_FORGET] =
	    "DELETE FROM transfers WHERE key = ?1 AND state >= 2",
	[ST_RECEIVED_AFTER] =
	    "SELECT m.id, m.msgid, m.state, m.seq, m.sent_ms, "
	    "m.recv_ms, m.text, c.key FROM messages m "
	    "JOIN conversations c ON c.id = m.conv "
	    "WHERE m.id > ?1 AND m.state = 2 ORDER BY m.id LIMIT ?2",
	[ST_LAST_ROWID] = "SELECT coalesce(max(id), 0) FROM messages",
	[ST_XFER_DELETE] = "DELETE FROM transfers WHERE id = ?1",
	[ST_XFER_FIND] = "SELECT " STORE_XFER_COLUMNS " FROM transfers "
	                 "WHERE key = ?1 AND xid = ?2 AND outgoing = ?3",
};

/* Each entry takes the schema from the previous version to the next. */
static const char *store_migrations[STORE_VERSION] = {
	/* 0 -> 1 */
	"CREATE TABLE conversations ("
	"  id INTEGER PRIMARY KEY,"
	"  key BLOB NOT NULL UNIQUE CHECK (length(key) = 32),"
	"  next_seq INTEGER NOT NULL DEFAULT 1);"
	"CREATE TABLE messages ("
	"  id INTEGER PRIMARY KEY,"
	"  conv INTEGER NOT NULL REFERENCES conversations(id),"
	"  msgid BLOB NOT NULL CHECK (length(msgid) = 16),"
	"  state INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  sent_ms INTEGER NOT NULL,"
	"  recv_ms INTEGER NOT NULL,"
	"  text TEXT NOT NULL,"
	"  UNIQUE (conv, msgid));"
	"CREATE INDEX messages_conv ON messages(conv, id);"
	"CREATE INDEX messages_pending ON messages(conv, id) WHERE state = 0;",
	/* 1 -> 2 */
	"CREATE TABLE transfers ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  key BLOB NOT NULL CHECK (length(key) = 32),"
	"  xid BLOB NOT NULL CHECK (length(xid) = 16),"
	"  outgoing INTEGER NOT NULL,"
	"  name TEXT,"
	"  size INTEGER NOT NULL CHECK (size >= 0),"
	"  root BLOB NOT NULL CHECK (length(root) = 32),"
	"  path TEXT,"
	"  mtime_ns INTEGER NOT NULL,"
	"  state INTEGER NOT NULL,"
	"  reason INTEGER,"
	"  have BLOB,"
	"  created_ms INTEGER NOT NULL,"
	"  ended_ms INTEGER NOT NULL,"
	"  UNIQUE (key, xid, outgoing));",
};

struct store_conv {
	uint8_t key[STORE_KEYLEN];
	int64_t id;
	int64_t next_seq; /* cached; the table's copy follows at commit */
	int seq_dirty; /* next_seq is ahead of the table's copy */
};

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[ST_MAX];
	int in_txn;
	struct store_conv *convs; /* cache: looked up per message */
	size_t nconvs, convcap;
	size_t *convidx; /* open addressing by key: index in convs + 1 */
	size_t idxcap; /* a power of two, at least twice nconvs */
	size_t *dirty; /* indexes in convs of those with seq_dirty set */
	size_t ndirty;
	size_t dirtycap;
	int wal_look; /* WAL pages at which store_wal_hook() looks again */
};

/* The slot of key in the index: where it is, or the empty one where it
 * would go. */
static size_t
store_conv_slot(const struct store *s, const uint8_t *key)
{
	size_t mask = s->idxcap - 1, i;

	i = (size_t)ident_table_hash(key, STORE_KEYLEN) & mask;
	while (s->convidx[i] != 0 &&
	    memcmp(s->convs[s->convidx[i] - 1].key, key, STORE_KEYLEN) != 0)
		i = (i + 1) & mask;
	return i;
}

/* Append a conversation to the cache and its index. */
static struct store_conv *
store_conv_add(struct store *s, const uint8_t *key, int64_t id, int64_t seq)
{
	struct store_conv *c;
	size_t i;

	if (s->nconvs == s->convcap) {
		s->convcap = s->convcap == 0 ? 16 : s->convcap * 2;
		s->convs =
		    xreallocarray(s->convs, s->convcap, sizeof *s->convs);
	}
	if (2 * (s->nconvs + 1) > s->idxcap) {
		free(s->convidx);
		s->idxcap = s->idxcap == 0 ? 32 : s->idxcap * 2;
		s->convidx = xcalloc(s->idxcap, sizeof *s->convidx);
		for (i = 0; i < s->nconvs; i++)
			s->convidx[store_conv_slot(s, s->convs[i].key)] = i + 1;
	}
	c = &s->convs[s->nconvs++];
	memcpy(c->key, key, STORE_KEYLEN);
	c->id = id;
	c->next_seq = seq;
	c->seq_dirty = 0;
	s->convidx[store_conv_slot(s, key)] = s->nconvs;
	return c;
}

/* Drop the cache (a rollback may have taken conversations back). */
static void
store_conv_forget(struct store *s)
{
	s->nconvs = s->ndirty = 0;
	if (s->convidx != NULL)
		memset(s->convidx, 0, s->idxcap * sizeof *s->convidx);
}

/* Did the last failure come from a full disk? SQLite says so with
 * SQLITE_FULL, or with a "disk I/O error" whose errno is ENOSPC. */
static int
store_disk_full(struct store *s)
{
	int code = sqlite3_extended_errcode(s->db) & 0xff;

	return code == SQLITE_FULL ||
	    (code == SQLITE_IOERR && sqlite3_system_errno(s->db) == ENOSPC);
}

static char *
store_error(struct store *s, const char *what)
{
	int code = sqlite3_extended_errcode(s->db);

	if (store_disk_full(s))
		return xasprintf("%s: %s: the disk is full", s->path, what);
	switch (code & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return xasprintf("%s: %s: the database is locked by another "
		                 "program",
		    s->path, what);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return xasprintf("%s: %s: the database is damaged (%s). Move "
		                 "it away (mv %s %s.broken) and start again; "
		                 "sqlite3's .recover command may save the "
		                 "history",
		    s->path, what, sqlite3_errmsg(s->db), s->path, s->path);
	default:
		return xasprintf(
		    "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
	}
}

static int
store_exec(struct store *s, const char *sql, const char *what, char **cause)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		*cause = store_error(s, what);
		return -1;
	}
	return 0;
}

/* Run a statement that returns at most one integer; -1 on error. */
static int
store_step_int(struct store *s, sqlite3_stmt *st, int64_t *out,
    const char *what, char **cause)
{
	int r = sqlite3_step(st);

	if (r == SQLITE_ROW) {
		if (out != NULL)
			*out = sqlite3_column_int64(st, 0);
		r = sqlite3_step(st);
	}
	sqlite3_reset(st);
	if (r != SQLITE_DONE) {
		*cause = store_error(s, what);
		return -1;
	}
	return 0;
}

static int
store_migrate(struct store *s, char **cause)
{
	sqlite3_stmt *st;
	int64_t version = 0;
	char *sql;
	int v;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) !=
	        SQLITE_OK ||
	    store_step_int(
	        s, st, &version, "reading the schema version", cause) == -1) {
		if (*cause == NULL)
			*cause = store_error(s, "reading the schema version");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if (version > STORE_VERSION) {
		*cause =
		    xasprintf("%s was written by a newer p2ptui (schema %lld, "
		              "this one knows %d): upgrade p2ptui",
		        s->path, (long long)version, STORE_VERSION);
		return -1;
	}
	if (version == STORE_VERSION)
		return 0;
	if (store_exec(s, "BEGIN IMMEDIATE", "migrating", cause) == -1)
		return -1;
	for (v = (int)version; v < STORE_VERSION; v++) {
		if (store_exec(s, store_migrations[v], "migrating", cause) ==
		    -1) {
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	sql = xasprintf("PRAGMA user_version = %d", STORE_VERSION);
	if (store_exec(s, sql, "migrating", cause) == -1 ||
	    store_exec(s, "COMMIT", "migrating", cause) == -1) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		free(sql);
		return -1;
	}
	free(sql);
	return 0;
}

/* A damaged file is refused at start, not discovered mid-conversation. */
static int
store_check(struct store *s, char **cause)
{
	sqlite3_stmt *st;
	const char *res;
	int r;

	if (sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st, NULL) !=
	    SQLITE_OK) {
		*cause = store_error(s, "checking");
		return -1;
	}
	r = sqlite3_step(st);
	res = r == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
	if (r != SQLITE_ROW || res == NULL || strcmp(res, "ok") != 0) {
		if (res != NULL && r == SQLITE_ROW)
			*cause = xasprintf(
			    "%s: the database is damaged (%s). Move it away "
			    "(mv %s %s.broken) and start again; sqlite3's "
			    ".recover command may save the history",
			    s->path, res, s->path, s->path);
		else
			*cause = store_error(s, "checking");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/*
 * p2ptui and p2ptui-rendezvous use SQLite from one thread only: no
 * global mutexes and no memory statistics (each of which took a lock per
 * allocation, a few per cent of a message's CPU). Only possible before
 * SQLite initialises; later calls fail harmlessly.
 */
static void
store_configure(void)
{
	static int done;

	if (done)
		return;
	done = 1;
	sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* 1 if the file system of the database has less than STORE_LOW_DISK
 * bytes free for us (or cannot say). */
static int
store_disk_low(const struct store *s)
{
	struct statvfs v;

	if (statvfs(s->path, &v) == -1)
		return 1;
	return (unsigned long long)v.f_bavail * v.f_frsize < STORE_LOW_DISK;
}

/*
 * After each commit, with the WAL's size in pages: the checkpoint policy
 * of the opening comment, in place of SQLite's automatic one (which
 * knows one size only). A checkpoint that cannot finish now is tried
 * again STORE_WAL_PAGES_LOW pages later.
 */
static int
store_wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct store *s = arg;

	if (pages < s->wal_look) {
		if (pages < STORE_WAL_PAGES_LOW) /* the WAL started again */
			s->wal_look = STORE_WAL_PAGES_LOW;
		return SQLITE_OK;
	}
	s->wal_look = pages + STORE_WAL_PAGES_LOW;
	if (pages >= STORE_WAL_PAGES)
		(void)sqlite3_wal_checkpoint_v2(
		    db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	else if (store_disk_low(s))
		(void)sqlite3_wal_checkpoint_v2(
		    db, name, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	return SQLITE_OK;
}

struct store *
store_open(const char *dir, char **cause)
{
	struct store *s = xcalloc(1, sizeof *s);
	int i;

	store_configure();
	s->path = dir != NULL ? xasprintf("%s/%s", dir, STORE_FILE)
	                      : xstrdup(":memory:");
	*cause = NULL;
	if (sqlite3_open_v2(s->path, &s->db,
	        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	            SQLITE_OPEN_NOMUTEX,
	        NULL) != SQLITE_OK) {
		*cause = s->db != NULL
		    ? store_error(s, "cannot open")
		    : xasprintf("%s: cannot open: out of memory", s->path);
		store_close(s);
		return NULL;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	s->wal_look = STORE_WAL_PAGES_LOW;
	sqlite3_wal_hook(s->db, store_wal_hook, s);
	if ((dir != NULL &&
	        store_exec(s, "PRAGMA journal_mode = WAL", "opening", cause) ==
	            -1) ||
	    store_exec(s,
	        "PRAGMA journal_size_limit = " STORE_STR(STORE_WAL_LIMIT),
	        "opening", cause) == -1 ||
	    store_exec(s, "PRAGMA synchronous = FULL", "opening", cause) ==
	        -1 ||
	    store_check(s, cause) == -1 || store_migrate(s, cause) == -1) {
		store_close(s);
		return NULL;
	}
	for (i = 0; i < ST_MAX; i++) {
		if (sqlite3_prepare_v3(s->db, store_sql[i], -1,
		        SQLITE_PREPARE_PERSISTENT, &s->st[i],
		        NULL) != SQLITE_OK) {
			*cause = store_error(s, "preparing");
			store_close(s);
			return NULL;
		}
	}
	return s;
}

void
store_close(struct store *s)
{
	char *cause = NULL;
	int i;

	if (s == NULL)
		return;
	if (s->in_txn && store_commit(s, &cause) == -1)
		free(cause);
	for (i = 0; i < ST_MAX; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s->convs);
	free(s->convidx);
	free(s->dirty);
	free(s->path);
	free(s);
}

static int
store_begin(struct store *s, char **cause)
{
	if (s->in_txn)
		return 0;
	if (store_exec(s, "BEGIN IMMEDIATE", "writing", cause) == -1)
		return -1;
	s->in_txn = 1;
	return 0;
}

/*
 * Once a transaction that found the disk full is rolled back: the WAL
 * still holds the space its frames took, so checkpoint it and cut it to
 * nothing (this fails harmlessly if the main file cannot grow yet).
 */
static void
store_give_back(struct store *s, int full)
{
	if (full && sqlite3_get_autocommit(s->db))
		sqlite3_exec(
		    s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
}

/* After a failure: if SQLite rolled the transaction back, forget it and
 * the conversation ids it may have created. */
static void
store_rolled_back(struct store *s)
{
	if (sqlite3_get_autocommit(s->db)) {
		s->in_txn = 0;
		store_conv_forget(s);
	}
}

static int
store_write_failed(struct store *s, const char *what, char **cause)
{
	int full = store_disk_full(s);

	*cause = store_error(s, what);
	store_rolled_back(s);
	store_give_back(s, full);
	return -1;
}

/* Write the sequence counters that moved in this transaction. */
static int
store_seq_flush(struct store *s)
{
	sqlite3_stmt *st = s->st[ST_CONV_SEQ];
	struct store_conv *c;
	int r;

	while (s->ndirty > 0) {
		c = &s->convs[s->dirty[--s->ndirty]];
		c->seq_dirty = 0;
		sqlite3_bind_int64(st, 1, c->id);
		sqlite3_bind_int64(st, 2, c->next_seq);
		r = sqlite3_step(st);
		sqlite3_reset(st);
		if (r != SQLITE_DONE)
			return -1;
	}
	return 0;
}

int
store_commit(struct store *s, char **cause)
{
	int full;

	if (!s->in_txn)
		return 0;
	s->in_txn = 0;
	if (store_seq_flush(s) == -1 ||
	    sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		full = store_disk_full(s);
		*cause = store_error(s, "saving");
		if (!sqlite3_get_autocommit(s->db))
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		store_conv_forget(s);
		store_give_back(s, full);
		return -1;
	}
	return 0;
}

int
store_dirty(const struct store *s)
{
	return s->in_txn;
}

struct sqlite3 *
store_sqlite(struct store *s)
{
	return s->db;
}

int
store_write(struct store *s, char **cause)
{
	return store_begin(s, cause);
}

int
store_fail(struct store *s, const char *what, char **cause)
{
	return store_write_failed(s, what, cause);
}

char *
store_errstr(struct store *s, const char *what)
{
	return store_error(s, what);
}

/*
 * The cached conversation for key, read or (if create is set) created;
 * *conv is NULL if there is none.
 */
static int
store_conv_get(struct store *s, const uint8_t *key, int create,
    struct store_conv **conv, char **cause)
{
	sqlite3_stmt *st;
	int64_t id, next_seq = 1;
	size_t i;
	int r;

	*conv = NULL;
	if (s->nconvs > 0 && (i = s->convidx[store_conv_slot(s, key)]) != 0) {
		*conv = &s->convs[i - 1];
		return 0;
	}
	st = s->st[ST_CONV_GET];
	sqlite3_bind_blob(st, 1, key, STORE_KEYLEN, SQLITE_STATIC);
	r = sqlite3_step(st);
	id = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	if (r == SQLITE_ROW)
		next_seq = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		*cause = store_error(s, "reading");
		return -1;
	}
	if (id == 0 && create) {
		if (store_begin(s, cause) == -1)
			return -1;
		st = s->st[ST_CONV_ADD];
		sqlite3_bind_blob(st, 1, key, STORE_KEYLEN, SQLITE_STATIC);
		r = sqlite3_step(st);
		sqlite3_reset(st);
		if (r != SQLITE_DONE)
			return store_write_failed(s, "writing", cause);
		id = sqlite3_last_insert_rowid(s->db);
	}
	if (id == 0)
		return 0;
	*conv = store_conv_add(s, key, id, next_seq);
	return 0;
}

/* The conversation id for key, creating it if create is set (0: none). */
static int
store_conv(
    struct store *s, const uint8_t *key, int create, int64_t *id, char **cause)
{
	struct store_conv *c;

	if (store_conv_get(s, key, create, &c, cause) == -1)
		return -1;
	*id = c != NULL ? c->id : 0;
	return 0;
}

static int
store_insert(struct store *s, int64_t conv, const struct store_msg *m,
    int *inserted, char **cause)
{
	sqlite3_stmt *st = s->st[ST_MSG_ADD];
	int r;

	sqlite3_bind_int64(st, 1, conv);
	sqlite3_bind_blob(st, 2, m->id, STORE_IDLEN, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, (int)m->state);
	sqlite3_bind_int64(st, 4, (int64_t)m->seq);
	sqlite3_bind_int64(st, 5, m->sent_ms);
	sqlite3_bind_int64(st, 6, m->recv_ms);
	sqlite3_bind_text(st, 7, m->text, (int)m->len, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (r != SQLITE_DONE)
		return store_write_failed(s, "writing", cause);
	if (inserted != NULL)
		*inserted = sqlite3_changes(s->db) > 0;
	return 0;
}

int
store_add_outgoing(struct store *s, const uint8_t key[STORE_KEYLEN],
    struct store_msg *m, char **cause)
{
	struct store_conv *c;

	if (store_conv_get(s, key, 1, &c, cause) == -1 ||
	    store_begin(s, cause) == -1)
		return -1;
	m->seq = (uint64_t)c->next_seq;
	m->state = STORE_PENDING;
	if (store_insert(s, c->id, m, NULL, cause) == -1)
		return -1;
	m->rowid = sqlite3_last_insert_rowid(s->db);
	/* The cached counter saves a read and a write per message: the
	 * table's copy is written once, just before this transaction
	 * commits, and a rollback drops the cache. */
	c->next_seq++;
	if (!c->seq_dirty) {
		if (s->ndirty == s->dirtycap) {
			s->dirtycap = s->dirtycap == 0 ? 8 : s->dirtycap * 2;
			s->dirty = xreallocarray(
			    s->dirty, s->dirtycap, sizeof *s->dirty);
		}
		s->dirty[s->ndirty++] = (size_t)(c - s->convs);
		c->seq_dirty = 1;
	}
	return 0;
}

int
store_add_incoming(struct store *s, const uint8_t key[STORE_KEYLEN],
    struct store_msg *m, int *inserted, char **cause)
{
	int64_t conv;

	if (store_conv(s, key, 1, &conv, cause) == -1 ||
	    store_begin(s, cause) == -1)
		return -1;
	m->state = STORE_RECEIVED;
	if (store_insert(s, conv, m, inserted, cause) == -1)
		return -1;
	m->rowid = *inserted ? sqlite3_last_insert_rowid(s->db) : 0;
	return 0;
}

/* Run a write statement on key's conversation (binding ?1 to it and ?2
 * to id if given); *changes receives the rows changed. */
static int
store_conv_write(struct store *s, int which, const uint8_t *key,
    const uint8_t *id, int64_t *changes, const char *what, char **cause)
{
	sqlite3_stmt *st = s->st[which];
	int64_t conv;
	int r;

	*changes = 0;
	if (store_conv(s, key, 0, &conv, cause) == -1)
		return -1;
	if (conv == 0)
		return 0;
	if (store_begin(s, cause) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, conv);
	if (id != NULL)
		sqlite3_bind_blob(st, 2, id, STORE_IDLEN, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r != SQLITE_DONE)
		return store_write_failed(s, what, cause);
	*changes = sqlite3_changes(s->db);
	return 0;
}

int
store_mark_delivered(struct store *s, const uint8_t key[STORE_KEYLEN],
    const uint8_t id[STORE_IDLEN], int *changed, char **cause)
{
	int64_t n;

	*changed = 0;
	if (store_conv_write(
	        s, ST_MSG_DELIVER, key, id, &n, "writing", cause) == -1)
		return -1;
	*changed = n > 0;
	return 0;
}

/* Walk the rows of st (columns as in ST_PENDING, key in column 7). */
static int
store_walk(struct store *s, sqlite3_stmt *st, const uint8_t *key, store_cb cb,
    void *arg, char **cause)
{
	struct store_msg m;
	const void *blob;
	int r;

	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&m, 0, sizeof m);
		m.rowid = sqlite3_column_int64(st, 0);
		blob = sqlite3_column_blob(st, 1);
		if (blob == NULL || sqlite3_column_bytes(st, 1) != STORE_IDLEN)
			continue;
		memcpy(m.id, blob, STORE_IDLEN);
		m.state = (enum store_state)sqlite3_column_int(st, 2);
		m.seq = (uint64_t)sqlite3_column_int64(st, 3);
		m.sent_ms = sqlite3_column_int64(st, 4);
		m.recv_ms = sqlite3_column_int64(st, 5);
		m.text = (const char *)sqlite3_column_text(st, 6);
		m.len = (size_t)sqlite3_column_bytes(st, 6);
		if (m.text == NULL)
			m.text = "";
		if (key == NULL) {
			key = sqlite3_column_blob(st, 7);
			if (key == NULL ||
			    sqlite3_column_bytes(st, 7) != STORE_KEYLEN)
				continue;
			if (cb(arg, key, &m) != 0)
				break;
			key = NULL;
			continue;
		}
		if (cb(arg, key, &m) != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		*cause = store_error(s, "reading");
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

static int
store_query(struct store *s, int which, const uint8_t *key, int64_t pos,
    size_t limit, store_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *st = s->st[which];
	int64_t conv;

	if (store_conv(s, key, 0, &conv, cause) == -1)
		return -1;
	if (conv == 0)
		return 0;
	sqlite3_bind_int64(st, 1, conv);
	sqlite3_bind_int64(st, 2, pos);
	sqlite3_bind_int64(st, 3, (int64_t)limit);
	return store_walk(s, st, key, cb, arg, cause);
}

int
store_pending(struct store *s, const uint8_t key[STORE_KEYLEN], int64_t after,
    size_t limit, store_cb cb, void *arg, char **cause)
{
	return store_query(s, ST_PENDING, key, after, limit, cb, arg, cause);
}

int
store_history(struct store *s, const uint8_t key[STORE_KEYLEN], int64_t before,
    size_t limit, store_cb cb, void *arg, char **cause)
{
	return store_query(s, ST_HISTORY, key, before > 0 ? before : INT64_MAX,
	    limit, cb, arg, cause);
}

int
store_search(struct store *s, const uint8_t *key, const char *text,
    size_t limit, store_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *st = s->st[key != NULL ? ST_SEARCH_ONE : ST_SEARCH_ALL];

	if (key != NULL)
		sqlite3_bind_blob(st, 1, key, STORE_KEYLEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)limit);
	return store_walk(s, st, NULL, cb, arg, cause);
}

int
store_received_after(struct store *s, int64_t after, size_t limit, store_cb cb,
    void *arg, char **cause)
{
	sqlite3_stmt *st = s->st[ST_RECEIVED_AFTER];

	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, (int64_t)limit);
	return store_walk(s, st, NULL, cb, arg, cause);
}

int
store_last_rowid(struct store *s, int64_t *rowid, char **cause)
{
	sqlite3_stmt *st = s->st[ST_LAST_ROWID];
	int r;

	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*rowid = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (r != SQLITE_ROW) {
		*cause = store_error(s, "reading");
		return -1;
	}
	return 0;
}

int
store_forget(struct store *s, const uint8_t key[STORE_KEYLEN], int64_t *count,
    char **cause)
{
	sqlite3_stmt *st = s->st[ST_XFER_FORGET];
	int r;

	if (store_conv_write(
	        s, ST_FORGET, key, NULL, count, "deleting", cause) == -1)
		return -1;
	/* Transfers are not tied to a conversation; unfinished ones stay so
	 * that they can still be resumed or cancelled. */
	if (store_begin(s, cause) == -1)
		return -1;
	sqlite3_bind_blob(st, 1, key, STORE_KEYLEN, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r != SQLITE_DONE)
		return store_write_failed(s, "deleting", cause);
	return 0;
}

int
store_lookup(struct store *s, const uint8_t key[STORE_KEYLEN],
    const uint8_t id[STORE_IDLEN], enum store_state *state, char **cause)
{
	sqlite3_stmt *st = s->st[ST_LOOKUP];
	int64_t conv;
	int r;

	if (store_conv(s, key, 0, &conv, cause) == -1)
		return -1;
	if (conv == 0)
		return 0;
	sqlite3_bind_int64(st, 1, conv);
	sqlite3_bind_blob(st, 2, id, STORE_IDLEN, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*state = (enum store_state)sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		*cause = store_error(s, "reading");
		return -1;
	}
	return r == SQLITE_ROW;
}

int
store_count(struct store *s, const uint8_t key[STORE_KEYLEN], int state,
    int64_t *count, char **cause)
{
	sqlite3_stmt *st = s->st[state < 0 ? ST_COUNT : ST_COUNT_STATE];
	int64_t conv;

	*count = 0;
	if (store_conv(s, key, 0, &conv, cause) == -1)
		return -1;
	if (conv == 0)
		return 0;
	sqlite3_bind_int64(st, 1, conv);
	if (state >= 0)
		sqlite3_bind_int(st, 2, state);
	return store_step_int(s, st, count, "reading", cause);
}

/* A text column, or NULL for NULL. */
static char *
store_column_strdup(sqlite3_stmt *st, int col)
{
	const char *text = (const char *)sqlite3_column_text(st, col);

	return text != NULL ? xstrdup(text) : NULL;
}

int
store_xfer_add(struct store *s, struct store_xfer *x, char **cause)
{
	sqlite3_stmt *st = s->st[ST_XFER_ADD];
	int r;

	if (x->size > (uint64_t)INT64_MAX) {
		*cause = xasprintf("%s: transfer of %llu bytes: too large to "
		                   "store",
		    s->path, (unsigned long long)x->size);
		return -1;
	}
	if (store_begin(s, cause) == -1)
		return -1;
	sqlite3_bind_blob(st, 1, x->key, STORE_KEYLEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, x->id, STORE_IDLEN, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, x->outgoing != 0);
	sqlite3_bind_text(st, 4, x->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)x->size);
	sqlite3_bind_blob(st, 6, x->root, (int)sizeof x->root, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, x->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, x->mtime_ns);
	sqlite3_bind_int(st, 9, (int)x->state);
	if (x->reason >= 0)
		sqlite3_bind_int(st, 10, x->reason);
	if (x->have != NULL && x->havelen > 0)
		sqlite3_bind_blob64(st, 11, x->have, x->havelen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, x->created_ms);
	sqlite3_bind_int64(st, 13, x->ended_ms);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (r != SQLITE_DONE) {
		/* Only the statement failed; the transaction goes on. */
		if (sqlite3_extended_errcode(s->db) ==
		    SQLITE_CONSTRAINT_UNIQUE) {
			*cause = xasprintf("%s: this transfer is already "
			                   "stored",
			    s->path);
			store_rolled_back(s);
			return -1;
		}
		return store_write_failed(s, "writing", cause);
	}
	x->rowid = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
store_xfer_update(struct store *s, const struct store_xfer *x, char **cause)
{
	sqlite3_stmt *st = s->st[ST_XFER_UPDATE];
	int r;

	if (store_begin(s, cause) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, x->rowid);
	sqlite3_bind_int(st, 2, (int)x->state);
	if (x->reason >= 0)
		sqlite3_bind_int(st, 3, x->reason);
	sqlite3_bind_text(st, 4, x->path, -1, SQLITE_STATIC);
	if (x->have != NULL && x->havelen > 0)
		sqlite3_bind_blob64(st, 5, x->have, x->havelen, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, x->ended_ms);
	sqlite3_bind_blob(st, 7, x->root, sizeof x->root, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, x->mtime_ns);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (r != SQLITE_DONE)
		return store_write_failed(s, "writing", cause);
	if (sqlite3_changes(s->db) == 0) {
		*cause = xasprintf(
		    "%s: no transfer #%lld", s->path, (long long)x->rowid);
		return -1;
	}
	return 0;
}

int
store_xfer_delete(struct store *s, int64_t rowid, char **cause)
{
	sqlite3_stmt *st = s->st[ST_XFER_DELETE];
	int r;

	if (store_begin(s, cause) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, rowid);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r != SQLITE_DONE)
		return store_write_failed(s, "deleting", cause);
	return 0;
}

/* A transfer read into memory, so that callbacks may use the store. */
struct store_xfer_row {
	struct store_xfer x;
	char *name;
	char *path;
	uint8_t *have;
};

/* Append the rows of st to *rows; rows with a malformed blob are skipped
 * (the CHECK constraints keep them out). */
static int
store_xfer_read(struct store *s, sqlite3_stmt *st, struct store_xfer_row **rows,
    size_t *nrows, char **cause)
{
	struct store_xfer_row *row;
	struct store_xfer *x;
	const void *key, *id, *root, *have;
	int r;

	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		key = sqlite3_column_blob(st, 1);
		id = sqlite3_column_blob(st, 2);
		root = sqlite3_column_blob(st, 6);
		if (key == NULL ||
		    sqlite3_column_bytes(st, 1) != STORE_KEYLEN || id == NULL ||
		    sqlite3_column_bytes(st, 2) != STORE_IDLEN ||
		    root == NULL ||
		    sqlite3_column_bytes(st, 6) != (int)sizeof x->root)
			continue;
		*rows = xreallocarray(*rows, *nrows + 1, sizeof **rows);
		row = &(*rows)[(*nrows)++];
		memset(row, 0, sizeof *row);
		x = &row->x;
		x->rowid = sqlite3_column_int64(st, 0);
		memcpy(x->key, key, STORE_KEYLEN);
		memcpy(x->id, id, STORE_IDLEN);
		x->outgoing = sqlite3_column_int(st, 3);
		row->name = store_column_strdup(st, 4);
		x->size = (uint64_t)sqlite3_column_int64(st, 5);
		memcpy(x->root, root, sizeof x->root);
		row->path = store_column_strdup(st, 7);
		x->mtime_ns = sqlite3_column_int64(st, 8);
		x->state = (enum store_xfer_state)sqlite3_column_int(st, 9);
		x->reason = sqlite3_column_type(st, 10) == SQLITE_NULL
		    ? -1
		    : sqlite3_column_int(st, 10);
		have = sqlite3_column_blob(st, 11);
		x->havelen = (size_t)sqlite3_column_bytes(st, 11);
		if (have != NULL && x->havelen > 0) {
			row->have = xmalloc(x->havelen);
			memcpy(row->have, have, x->havelen);
		} else
			x->havelen = 0;
		x->created_ms = sqlite3_column_int64(st, 12);
		x->ended_ms = sqlite3_column_int64(st, 13);
		x->name = row->name;
		x->path = row->path;
		x->have = row->have;
	}
	sqlite3_reset(st);
	if (r != SQLITE_DONE) {
		*cause = store_error(s, "reading");
		return -1;
	}
	return 0;
}

/* Hand the rows read to cb (unless r says reading failed), then free
 * them; returns r. */
static int
store_xfer_deliver(struct store_xfer_row *rows, size_t nrows, int r,
    store_xfer_cb cb, void *arg)
{
	size_t i;

	for (i = 0; r == 0 && i < nrows; i++) {
		if (cb(arg, &rows[i].x) != 0)
			break;
	}
	for (i = 0; i < nrows; i++) {
		free(rows[i].name);
		free(rows[i].path);
		free(rows[i].have);
	}
	free(rows);
	return r;
}

int
store_xfer_list(
    struct store *s, size_t recent, store_xfer_cb cb, void *arg, char **cause)
{
	struct store_xfer_row *rows = NULL;
	size_t nrows = 0;
	int r = 0;

	/* Read everything first: the callback may update these rows. */
	if (store_xfer_read(s, s->st[ST_XFER_OPEN], &rows, &nrows, cause) == -1)
		r = -1;
	if (r == 0 && recent > 0) {
		/* LIMIT takes any negative number as no limit. */
		sqlite3_bind_int64(s->st[ST_XFER_ENDED], 1, (int64_t)recent);
		r = store_xfer_read(
		    s, s->st[ST_XFER_ENDED], &rows, &nrows, cause);
	}
	return store_xfer_deliver(rows, nrows, r, cb, arg);
}

int
store_xfer_find(struct store *s, const uint8_t key[STORE_KEYLEN],
    const uint8_t id[STORE_IDLEN], int outgoing, store_xfer_cb cb, void *arg,
    char **cause)
{
	sqlite3_stmt *st = s->st[ST_XFER_FIND];
	struct store_xfer_row *rows = NULL;
	size_t nrows = 0;
	int r;

	sqlite3_bind_blob(st, 1, key, STORE_KEYLEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, id, STORE_IDLEN, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, outgoing != 0);
	r = store_xfer_read(s, st, &rows, &nrows, cause);
	return store_xfer_deliver(rows, nrows, r, cb, arg);
}
