/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Rooms on SQLite, beside store.c's tables in history.db. Schema
 * (version in room_schema; created here on first open, migrated here
 * later, so store.c's own versions are not involved):
 *
 *   rooms(id, room UNIQUE, name, flags, e, e_sk, prs, created_ms)
 *   room_events(id, room, eid UNIQUE, author, seq, lamport, kind,
 *               time_ms, raw, text, UNIQUE(room, author, seq))
 *   room_proofs(id, room, eid UNIQUE, author, seq, raw)
 *   room_keys(room, epoch, key, PRIMARY KEY(room, epoch))
 *   room_members(room, e, noise, nick, addr, active, flagged,
 *                PRIMARY KEY(room, e))
 *
 * room_events.id is the delivery order, which is causal, so loading in
 * it never waits; (room, lamport, eid) is the history order. The two
 * UNIQUE constraints make a second copy of an event, and a second
 * event for one (author, seq), a no-op (INSERT OR IGNORE). e_sk, prs
 * and key are sealed by the caller. text keeps MSG and TOPIC text for
 * /history and /search.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_int.h"
#include "store_room.h"
#include "xmalloc.h"

#define STORE_ROOM_VERSION 1

enum {
	SR_ADD,
	SR_SET_PRS,
	SR_LIST,
	SR_EVENT_ADD,
	SR_EVENTS,
	SR_HISTORY,
	SR_ORDER,
	SR_COUNT,
	SR_PROOF_ADD,
	SR_PROOFS,
	SR_KEY_PUT,
	SR_KEYS,
	SR_MEMBER_PUT,
	SR_MEMBERS,
	SR_MAX
};

#define SR_EVENT_COLUMNS "id, raw, lamport, kind, time_ms, text"

static const char *store_room_sql[SR_MAX] = {
	[SR_ADD] = "INSERT INTO rooms(room, name, flags, e, e_sk, prs, "
	           "created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[SR_SET_PRS] = "UPDATE rooms SET prs = ?2 WHERE id = ?1",
	[SR_LIST] = "SELECT id, room, name, flags, e, e_sk, prs, created_ms "
	            "FROM rooms ORDER BY id",
	[SR_EVENT_ADD] = "INSERT OR IGNORE INTO room_events(room, eid, "
	                 "author, seq, lamport, kind, time_ms, raw, text) "
	                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[SR_EVENTS] = "SELECT " SR_EVENT_COLUMNS " FROM room_events "
	              "WHERE room = ?1 ORDER BY id",
	[SR_HISTORY] = "SELECT * FROM (SELECT " SR_EVENT_COLUMNS
	               ", eid FROM room_events WHERE room = ?1 "
	               "ORDER BY lamport DESC, eid DESC LIMIT ?2) "
	               "ORDER BY lamport, eid",
	[SR_ORDER] = "SELECT " SR_EVENT_COLUMNS ", author, seq "
	             "FROM room_events WHERE room = ?1 ORDER BY lamport, eid",
	[SR_COUNT] = "SELECT count(*) FROM room_events WHERE room = ?1",
	[SR_PROOF_ADD] = "INSERT OR IGNORE INTO room_proofs(room, eid, author, "
	                 "seq, raw) VALUES (?1, ?2, ?3, ?4, ?5)",
	[SR_PROOFS] = "SELECT id, raw, 0, 0, 0, NULL FROM room_proofs "
	              "WHERE room = ?1 ORDER BY id",
	[SR_KEY_PUT] = "INSERT OR REPLACE INTO room_keys(room, epoch, key) "
	               "VALUES (?1, ?2, ?3)",
	[SR_KEYS] = "SELECT epoch, key FROM room_keys WHERE room = ?1 "
	            "ORDER BY epoch",
	[SR_MEMBER_PUT] = "INSERT OR REPLACE INTO room_members(room, e, noise, "
	                  "nick, addr, active, flagged) "
	                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[SR_MEMBERS] = "SELECT e, noise, nick, addr, active, flagged "
	               "FROM room_members WHERE room = ?1 ORDER BY rowid",
};

static const char *store_room_schema =
    "CREATE TABLE rooms ("
    "  id INTEGER PRIMARY KEY,"
    "  room BLOB NOT NULL UNIQUE CHECK (length(room) = 16),"
    "  name TEXT NOT NULL,"
    "  flags INTEGER NOT NULL,"
    "  e BLOB NOT NULL CHECK (length(e) = 32),"
    "  e_sk BLOB NOT NULL,"
    "  prs BLOB,"
    "  created_ms INTEGER NOT NULL);"
    "CREATE TABLE room_events ("
    "  id INTEGER PRIMARY KEY,"
    "  room INTEGER NOT NULL REFERENCES rooms(id),"
    "  eid BLOB NOT NULL UNIQUE CHECK (length(eid) = 32),"
    "  author BLOB NOT NULL CHECK (length(author) = 32),"
    "  seq INTEGER NOT NULL CHECK (seq >= 1),"
    "  lamport INTEGER NOT NULL,"
    "  kind INTEGER NOT NULL,"
    "  time_ms INTEGER NOT NULL,"
    "  raw BLOB NOT NULL,"
    "  text TEXT,"
    "  UNIQUE (room, author, seq));"
    "CREATE INDEX room_events_order ON room_events(room, lamport, eid);"
    "CREATE TABLE room_proofs ("
    "  id INTEGER PRIMARY KEY,"
    "  room INTEGER NOT NULL REFERENCES rooms(id),"
    "  eid BLOB NOT NULL UNIQUE CHECK (length(eid) = 32),"
    "  author BLOB NOT NULL CHECK (length(author) = 32),"
    "  seq INTEGER NOT NULL,"
    "  raw BLOB NOT NULL);"
    "CREATE TABLE room_keys ("
    "  room INTEGER NOT NULL REFERENCES rooms(id),"
    "  epoch INTEGER NOT NULL,"
    "  key BLOB NOT NULL,"
    "  PRIMARY KEY (room, epoch));"
    "CREATE TABLE room_members ("
    "  room INTEGER NOT NULL REFERENCES rooms(id),"
    "  e BLOB NOT NULL CHECK (length(e) = 32),"
    "  noise BLOB NOT NULL CHECK (length(noise) = 32),"
    "  nick TEXT NOT NULL,"
    "  addr BLOB,"
    "  active INTEGER NOT NULL,"
    "  flagged INTEGER NOT NULL,"
    "  PRIMARY KEY (room, e));"
    "CREATE TABLE room_schema (version INTEGER NOT NULL);"
    "INSERT INTO room_schema VALUES (1);";

struct store_room {
	struct store *s;
	sqlite3 *db;
	sqlite3_stmt *st[SR_MAX];
};

/* The schema's version: 0 if there are no room tables yet. */
static int
store_room_version(struct store_room *sr, int64_t *version, char **cause)
{
	sqlite3_stmt *st;
	int r;

	*version = 0;
	if (sqlite3_prepare_v2(sr->db,
	        "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
	        "AND name = 'room_schema'",
	        -1, &st, NULL) != SQLITE_OK)
		goto fail;
	r = sqlite3_step(st);
	if (r == SQLITE_ROW && sqlite3_column_int(st, 0) == 1) {
		sqlite3_finalize(st);
		if (sqlite3_prepare_v2(sr->db,
		        "SELECT max(version) FROM "
		        "room_schema",
		        -1, &st, NULL) != SQLITE_OK)
			goto fail;
		r = sqlite3_step(st);
		if (r == SQLITE_ROW)
			*version = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (r != SQLITE_ROW)
		goto fail;
	return 0;
fail:
	*cause = store_errstr(sr->s, "reading the room schema");
	return -1;
}

struct store_room *
store_room_open(struct store *s, char **cause)
{
	struct store_room *sr = xcalloc(1, sizeof *sr);
	int64_t version;
	int i;

	*cause = NULL;
	sr->s = s;
	sr->db = store_sqlite(s);
	if (store_room_version(sr, &version, cause) == -1)
		goto fail;
	if (version > STORE_ROOM_VERSION) {
		*cause = xasprintf("the rooms in history.db were written by a "
		                   "newer p2ptui (room schema %lld): upgrade "
		                   "p2ptui",
		    (long long)version);
		goto fail;
	}
	if (version == 0 &&
	    (store_write(s, cause) == -1 ||
	        sqlite3_exec(sr->db, store_room_schema, NULL, NULL, NULL) !=
	            SQLITE_OK)) {
		if (*cause == NULL)
			store_fail(s, "creating the room tables", cause);
		goto fail;
	}
	for (i = 0; i < SR_MAX; i++)
		if (sqlite3_prepare_v3(sr->db, store_room_sql[i], -1,
		        SQLITE_PREPARE_PERSISTENT, &sr->st[i],
		        NULL) != SQLITE_OK) {
			*cause = store_errstr(s, "preparing");
			goto fail;
		}
	return sr;
fail:
	store_room_close(sr);
	return NULL;
}

void
store_room_close(struct store_room *sr)
{
	int i;

	if (sr == NULL)
		return;
	for (i = 0; i < SR_MAX; i++)
		sqlite3_finalize(sr->st[i]);
	free(sr);
}

/* Run a write statement whose parameters are bound. */
static int
store_room_exec(
    struct store_room *sr, sqlite3_stmt *st, int *changed, char **cause)
{
	int r = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (r != SQLITE_DONE)
		return store_fail(sr->s, "writing", cause);
	if (changed != NULL)
		*changed = sqlite3_changes(sr->db) > 0;
	return 0;
}

static void
store_room_blob(sqlite3_stmt *st, int i, const void *p, size_t n)
{
	if (p == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_blob(st, i, p, (int)n, SQLITE_STATIC);
}

int
store_room_add(struct store_room *sr, struct store_room_info *r, char **cause)
{
	sqlite3_stmt *st = sr->st[SR_ADD];
	int changed;

	*cause = NULL;
	if (store_write(sr->s, cause) == -1)
		return -1;
	sqlite3_bind_blob(st, 1, r->room, ROOM_IDLEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, r->flags);
	sqlite3_bind_blob(st, 4, r->e, ROOM_KEYLEN, SQLITE_STATIC);
	store_room_blob(st, 5, r->e_sk, r->e_sklen);
	store_room_blob(st, 6, r->prs, r->prslen);
	sqlite3_bind_int64(st, 7, r->created_ms);
	if (store_room_exec(sr, st, &changed, cause) == -1)
		return -1;
	r->rowid = sqlite3_last_insert_rowid(sr->db);
	return 0;
}

int
store_room_set_prs(struct store_room *sr, int64_t room, const uint8_t *prs,
    size_t len, char **cause)
{
	sqlite3_stmt *st = sr->st[SR_SET_PRS];

	*cause = NULL;
	if (store_write(sr->s, cause) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	store_room_blob(st, 2, prs, len);
	return store_room_exec(sr, st, NULL, cause);
}

/* Finish a walk: reset st, -1 with *cause unless it ended well. */
static int
store_room_done(struct store_room *sr, sqlite3_stmt *st, int r, char **cause)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		*cause = store_errstr(sr->s, "reading");
		return -1;
	}
	return 0;
}

int
store_room_list(
    struct store_room *sr, store_room_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *st = sr->st[SR_LIST];
	struct store_room_info ri;
	int r;

	*cause = NULL;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&ri, 0, sizeof ri);
		ri.rowid = sqlite3_column_int64(st, 0);
		if (sqlite3_column_bytes(st, 1) != ROOM_IDLEN ||
		    sqlite3_column_bytes(st, 4) != ROOM_KEYLEN)
			continue;
		memcpy(ri.room, sqlite3_column_blob(st, 1), ROOM_IDLEN);
		ri.name = (const char *)sqlite3_column_text(st, 2);
		ri.flags = (uint8_t)sqlite3_column_int(st, 3);
		memcpy(ri.e, sqlite3_column_blob(st, 4), ROOM_KEYLEN);
		ri.e_sk = sqlite3_column_blob(st, 5);
		ri.e_sklen = (size_t)sqlite3_column_bytes(st, 5);
		ri.prs = sqlite3_column_blob(st, 6);
		ri.prslen = (size_t)sqlite3_column_bytes(st, 6);
		ri.created_ms = sqlite3_column_int64(st, 7);
		if (ri.name == NULL || cb(arg, &ri) != 0)
			break;
	}
	return store_room_done(sr, st, r, cause);
}

/* Parameters 1 to 4 of SR_EVENT_ADD and SR_PROOF_ADD. */
static void
store_room_bind_event(
    sqlite3_stmt *st, int64_t room, const struct room_event *ev)
{
	sqlite3_bind_int64(st, 1, room);
	sqlite3_bind_blob(st, 2, ev->id, ROOM_HASHLEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, ev->author, ROOM_KEYLEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)ev->seq);
}

int
store_room_event_add(struct store_room *sr, int64_t room,
    const struct room_event *ev, const uint8_t *raw, size_t len,
    const struct room_body *b, int *inserted, char **cause)
{
	sqlite3_stmt *st = sr->st[SR_EVENT_ADD];

	*cause = NULL;
	if (store_write(sr->s, cause) == -1)
		return -1;
	store_room_bind_event(st, room, ev);
	sqlite3_bind_int64(st, 5, (int64_t)ev->lamport);
	sqlite3_bind_int(st, 6, ev->kind);
	sqlite3_bind_int64(st, 7, ev->time_ms);
	sqlite3_bind_blob(st, 8, raw, (int)len, SQLITE_STATIC);
	if (b != NULL && (b->kind == ROOM_MSG || b->kind == ROOM_TOPIC))
		sqlite3_bind_text(
		    st, 9, (const char *)b->text, (int)b->len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 9);
	return store_room_exec(sr, st, inserted, cause);
}

/* Walk rows of SR_EVENT_COLUMNS; keep(arg, st) may skip a row. */
static int
store_room_walk(struct store_room *sr, sqlite3_stmt *st,
    int (*keep)(const void *, sqlite3_stmt *), const void *karg,
    store_room_event_cb cb, void *arg, char **cause)
{
	struct store_room_event e;
	int r;

	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (keep != NULL && !keep(karg, st))
			continue;
		memset(&e, 0, sizeof e);
		e.rowid = sqlite3_column_int64(st, 0);
		e.raw = sqlite3_column_blob(st, 1);
		e.len = (size_t)sqlite3_column_bytes(st, 1);
		e.lamport = (uint64_t)sqlite3_column_int64(st, 2);
		e.kind = (uint8_t)sqlite3_column_int(st, 3);
		e.time_ms = sqlite3_column_int64(st, 4);
		e.text = (const char *)sqlite3_column_text(st, 5);
		e.textlen = (size_t)sqlite3_column_bytes(st, 5);
		if (e.raw == NULL)
			continue;
		if (cb(arg, &e) != 0)
			break;
	}
	return store_room_done(sr, st, r, cause);
}

static int
store_room_query(struct store_room *sr, int which, int64_t room, int64_t limit,
    store_room_event_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *st = sr->st[which];

	*cause = NULL;
	sqlite3_bind_int64(st, 1, room);
	if (limit >= 0)
		sqlite3_bind_int64(st, 2, limit);
	return store_room_walk(sr, st, NULL, NULL, cb, arg, cause);
}

int
store_room_events(struct store_room *sr, int64_t room, store_room_event_cb cb,
    void *arg, char **cause)
{
	return store_room_query(sr, SR_EVENTS, room, -1, cb, arg, cause);
}

int
store_room_history(struct store_room *sr, int64_t room, size_t limit,
    store_room_event_cb cb, void *arg, char **cause)
{
	return store_room_query(
	    sr, SR_HISTORY, room, (int64_t)limit, cb, arg, cause);
}

int
store_room_proofs(struct store_room *sr, int64_t room, store_room_event_cb cb,
    void *arg, char **cause)
{
	return store_room_query(sr, SR_PROOFS, room, -1, cb, arg, cause);
}

struct store_room_vv {
	const struct room_vv *v;
	size_t n;
};

/* Is the row (author in column 6, seq in 7) beyond the vector? */
static int
store_room_beyond(const void *arg, sqlite3_stmt *st)
{
	const struct store_room_vv *vv = arg;
	const uint8_t *author = sqlite3_column_blob(st, 6);
	uint64_t seq = (uint64_t)sqlite3_column_int64(st, 7);
	size_t i;

	if (author == NULL || sqlite3_column_bytes(st, 6) != ROOM_KEYLEN)
		return 0;
	for (i = 0; i < vv->n; i++)
		if (memcmp(vv->v[i].prefix, author, ROOM_PREFIXLEN) == 0)
			return seq > vv->v[i].seq;
	return 1;
}

int
store_room_since(struct store_room *sr, int64_t room, const struct room_vv *v,
    size_t n, store_room_event_cb cb, void *arg, char **cause)
{
	sqlite3_stmt *st = sr->st[SR_ORDER];
	struct store_room_vv vv = { v, n };

	*cause = NULL;
	sqlite3_bind_int64(st, 1, room);
	return store_room_walk(sr, st, store_room_beyond, &vv, cb, arg, cause);
}

int
store_room_count(
    struct store_room *sr, int64_t room, int64_t *count, char **cause)
{
	sqlite3_stmt *st = sr->st[SR_COUNT];
	int r;

	*cause = NULL;
	*count = 0;
	sqlite3_bind_int64(st, 1, room);
	if ((r = sqlite3_step(st)) == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	return store_room_done(sr, st, r, cause);
}

int
store_room_proof(struct store_room *sr, int64_t room,
    const struct room_event *ev, const uint8_t *raw, size_t len, char **cause)
{
	sqlite3_stmt *st = sr->st[SR_PROOF_ADD];

	*cause = NULL;
	if (store_write(sr->s, cause) == -1)
		return -1;
	store_room_bind_event(st, room, ev);
	sqlite3_bind_blob(st, 5, raw, (int)len, SQLITE_STATIC);
	return store_room_exec(sr, st, NULL, cause);
}

int
store_room_key_put(struct store_room *sr, int64_t room, uint32_t epoch,
    const uint8_t *sealed, size_t len, char **cause)
{
	sqlite3_stmt *st = sr->st[SR_KEY_PUT];

	*cause = NULL;
	if (store_write(sr->s, cause) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	sqlite3_bind_int64(st, 2, epoch);
	sqlite3_bind_blob(st, 3, sealed, (int)len, SQLITE_STATIC);
	return store_room_exec(sr, st, NULL, cause);
}

int
store_room_keys(struct store_room *sr, int64_t room, store_room_key_cb cb,
    void *arg, char **cause)
{
	sqlite3_stmt *st = sr->st[SR_KEYS];
	int r;

	*cause = NULL;
	sqlite3_bind_int64(st, 1, room);
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(arg, (uint32_t)sqlite3_column_int64(st, 0),
		        sqlite3_column_blob(st, 1),
		        (size_t)sqlite3_column_bytes(st, 1)) != 0)
			break;
	return store_room_done(sr, st, r, cause);
}

int
store_room_member_put(struct store_room *sr, int64_t room,
    const struct room_member_info *m, int active, int flagged, char **cause)
{
	sqlite3_stmt *st = sr->st[SR_MEMBER_PUT];

	*cause = NULL;
	if (store_write(sr->s, cause) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, room);
	sqlite3_bind_blob(st, 2, m->e, ROOM_KEYLEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, m->noise, ROOM_KEYLEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, m->nick, -1, SQLITE_STATIC);
	store_room_blob(st, 5, m->addrlen != 0 ? m->addr : NULL, m->addrlen);
	sqlite3_bind_int(st, 6, active);
	sqlite3_bind_int(st, 7, flagged);
	return store_room_exec(sr, st, NULL, cause);
}

int
store_room_members(struct store_room *sr, int64_t room, store_room_member_cb cb,
    void *arg, char **cause)
{
	sqlite3_stmt *st = sr->st[SR_MEMBERS];
	struct room_member_info m;
	const char *nick;
	size_t n;
	int r;

	*cause = NULL;
	sqlite3_bind_int64(st, 1, room);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&m, 0, sizeof m);
		nick = (const char *)sqlite3_column_text(st, 2);
		n = (size_t)sqlite3_column_bytes(st, 3);
		if (sqlite3_column_bytes(st, 0) != ROOM_KEYLEN ||
		    sqlite3_column_bytes(st, 1) != ROOM_KEYLEN ||
		    nick == NULL || strlen(nick) > ROOM_NICK_MAX ||
		    n > ROOM_ADDR_MAX)
			continue;
		memcpy(m.e, sqlite3_column_blob(st, 0), ROOM_KEYLEN);
		memcpy(m.noise, sqlite3_column_blob(st, 1), ROOM_KEYLEN);
		strcpy(m.nick, nick);
		if (n != 0)
			memcpy(m.addr, sqlite3_column_blob(st, 3), n);
		m.addrlen = (uint8_t)n;
		if (cb(arg, &m, sqlite3_column_int(st, 4),
		        sqlite3_column_int(st, 5)) != 0)
			break;
	}
	return store_room_done(sr, st, r, cause);
}
