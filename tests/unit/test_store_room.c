/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for src/store_room.c, with room_log.c on top as the engine
 * will use them: delivered events stored and loaded again after a
 * reopen into the same history, duplicates and second events for an
 * (author, seq) as no-ops, sync answers from the store, proofs, sealed
 * keys and PRS, members, and a newer schema refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "room_log.h"
#include "store_int.h"
#include "store_room.h"

static uint8_t room[ROOM_IDLEN]; /* from the creator's E and salt */
static const uint8_t salt[ROOM_SALTLEN] = { 0x11, 0x22 };
static uint8_t key0[ROOM_KEYLEN] = { 0x10 };
static uint8_t wrap[ROOM_KEYLEN] = { 0x77 };

struct fx {
	char dir[64];
	struct store *s;
	struct store_room *sr;
	int64_t rowid;
	struct room_log *log;
	int proofs;
};

/* ops: store the delivered event, and proofs, as room.c will. */
static int
fx_deliver(void *arg, const struct room_event *ev, const uint8_t *raw,
    size_t len, const struct room_body *b, char **cause)
{
	struct fx *fx = arg;
	int inserted;

	if (store_room_event_add(
	        fx->sr, fx->rowid, ev, raw, len, b, &inserted, cause) == -1)
		return -1;
	assert_true(inserted);
	return 0;
}

static void
fx_equivocation(void *arg, const struct room_event *ev, const uint8_t *raw,
    size_t len, const uint8_t first[ROOM_HASHLEN])
{
	struct fx *fx = arg;
	char *cause;

	(void)first;
	assert_int_equal(
	    store_room_proof(fx->sr, fx->rowid, ev, raw, len, &cause), 0);
	fx->proofs++;
}

static const struct room_log_ops fx_ops = { fx_deliver, fx_equivocation, NULL };

static void
fx_open(struct fx *fx)
{
	char *cause = NULL;

	fx->s = store_open(fx->dir, &cause);
	assert_non_null(fx->s);
	fx->sr = store_room_open(fx->s, &cause);
	if (fx->sr == NULL)
		fail_msg("%s", cause);
}

static void
fx_close(struct fx *fx)
{
	char *cause = NULL;

	assert_int_equal(store_commit(fx->s, &cause), 0);
	store_room_close(fx->sr);
	store_close(fx->s);
	room_log_free(fx->log);
	fx->log = NULL;
}

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);

	snprintf(fx->dir, sizeof fx->dir, "/tmp/p2ptui-sroom.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	fx_open(fx);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	fx_close(fx);
	snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

/* The room's row, with our E and its sealed secret key. */
static void
add_room(struct fx *fx, uint8_t pk[ROOM_KEYLEN], uint8_t sk[ROOM_SKLEN])
{
	uint8_t sealed[ROOM_SKLEN + ROOM_SEALLEN];
	struct store_room_info ri;
	char *cause;

	room_keypair(pk, sk, NULL);
	room_id_derive(pk, salt, room);
	room_seal(wrap, "room e", sk, ROOM_SKLEN, sealed);
	memset(&ri, 0, sizeof ri);
	memcpy(ri.room, room, ROOM_IDLEN);
	ri.name = "stored";
	memcpy(ri.e, pk, ROOM_KEYLEN);
	ri.e_sk = sealed;
	ri.e_sklen = sizeof sealed;
	ri.created_ms = 5;
	assert_int_equal(store_room_add(fx->sr, &ri, &cause), 0);
	fx->rowid = ri.rowid;
	/* The same room again is refused. */
	assert_int_equal(store_room_add(fx->sr, &ri, &cause), -1);
	free(cause);
}

static void
write_text(
    struct fx *fx, const uint8_t sk[ROOM_SKLEN], uint8_t kind, const char *text)
{
	static uint8_t out[ROOM_EVENT_MAX];
	struct room_body b;
	char *cause = NULL;
	size_t len;

	memset(&b, 0, sizeof b);
	b.kind = kind;
	if (kind == ROOM_CREATE) {
		strcpy(b.name, "stored");
		memcpy(b.salt, salt, ROOM_SALTLEN);
	}
	b.text = (const uint8_t *)text;
	b.len = strlen(text);
	if (room_log_write(fx->log, &b, 1, sk, out, sizeof out, &len, &cause) !=
	    0)
		fail_msg("%s", cause);
}

struct ids {
	uint8_t id[64][ROOM_HASHLEN];
	size_t n;
	char text[64][16];
};

static int
log_ids(void *arg, const uint8_t *raw, size_t len, const struct room_event *ev)
{
	struct ids *ids = arg;

	(void)raw;
	(void)len;
	memcpy(ids->id[ids->n++], ev->id, ROOM_HASHLEN);
	return 0;
}

static int
store_ids(void *arg, const struct store_room_event *e)
{
	struct ids *ids = arg;
	struct room_event ev;
	const char *why;

	assert_int_equal(room_event_decode(e->raw, e->len, &ev, &why), 0);
	if (e->kind != 0) /* proofs have no kind nor lamport */
		assert_int_equal(ev.lamport, e->lamport);
	if (e->text != NULL)
		snprintf(ids->text[ids->n], sizeof ids->text[0], "%s", e->text);
	memcpy(ids->id[ids->n++], ev.id, ROOM_HASHLEN);
	return 0;
}

/* Load the stored events into a fresh log (load: no delivery). */
static int
load_cb(void *arg, const struct store_room_event *e)
{
	struct room_log *l = arg;
	enum room_rx rx;
	const char *why;
	char *cause;

	assert_int_equal(
	    room_log_receive(l, e->raw, e->len, 1, &rx, &why, &cause), 0);
	assert_int_equal(rx, ROOM_RX_DELIVERED);
	return 0;
}

static int
key_cb(void *arg, uint32_t epoch, const uint8_t *sealed, size_t len)
{
	uint8_t k[ROOM_KEYLEN];

	assert_int_equal(epoch, 0);
	assert_int_equal(len, ROOM_KEYLEN + ROOM_SEALLEN);
	assert_int_equal(room_unseal(wrap, "epoch key", sealed, len, k), 0);
	memcpy(arg, k, ROOM_KEYLEN);
	return 0;
}

static int
room_cb(void *arg, const struct store_room_info *ri)
{
	uint8_t sk[ROOM_SKLEN];

	assert_string_equal(ri->name, "stored");
	assert_int_equal(
	    room_unseal(wrap, "room e", ri->e_sk, ri->e_sklen, sk), 0);
	memcpy(arg, sk, ROOM_SKLEN);
	return 0;
}

static void
test_store_and_load(void **state)
{
	struct fx *fx = *state;
	uint8_t pk[ROOM_KEYLEN], sk[ROOM_SKLEN], sk2[ROOM_SKLEN];
	uint8_t sealed[ROOM_KEYLEN + ROOM_SEALLEN], k[ROOM_KEYLEN];
	static struct ids a, b;
	struct room_vv v[4];
	char *cause = NULL;
	int64_t count;
	size_t n;

	add_room(fx, pk, sk);
	fx->log = room_log_create(room, pk, &fx_ops, fx);
	assert_int_equal(room_log_add_key(fx->log, 0, key0, &cause), 0);
	room_seal(wrap, "epoch key", key0, ROOM_KEYLEN, sealed);
	assert_int_equal(store_room_key_put(fx->sr, fx->rowid, 0, sealed,
	                     sizeof sealed, &cause),
	    0);
	write_text(fx, sk, ROOM_CREATE, "");
	write_text(fx, sk, ROOM_MSG, "one");
	n = room_log_vv(fx->log, v, 4);
	write_text(fx, sk, ROOM_TOPIC, "topic");
	write_text(fx, sk, ROOM_MSG, "two");
	assert_int_equal(
	    store_room_count(fx->sr, fx->rowid, &count, &cause), 0);
	assert_int_equal(count, 4);

	/* Sync from the store: what a member at v lacks, in order. */
	a.n = b.n = 0;
	room_log_since(fx->log, v, n, log_ids, &a);
	assert_int_equal(
	    store_room_since(fx->sr, fx->rowid, v, n, store_ids, &b, &cause),
	    0);
	assert_int_equal(a.n, 2);
	assert_int_equal(b.n, 2);
	assert_memory_equal(a.id, b.id, 2 * ROOM_HASHLEN);
	assert_string_equal(b.text[0], "topic");

	/* Reopen: the room, its secret key, its epoch key and its events
	 * come back, and the loaded log has the same history. */
	fx_close(fx);
	fx_open(fx);
	assert_int_equal(store_room_list(fx->sr, room_cb, sk2, &cause), 0);
	assert_memory_equal(sk2, sk, ROOM_SKLEN);
	assert_int_equal(
	    store_room_keys(fx->sr, fx->rowid, key_cb, k, &cause), 0);
	assert_memory_equal(k, key0, ROOM_KEYLEN);
	fx->log = room_log_create(room, pk, &fx_ops, fx);
	assert_int_equal(room_log_add_key(fx->log, 0, k, &cause), 0);
	assert_int_equal(
	    store_room_events(fx->sr, fx->rowid, load_cb, fx->log, &cause), 0);
	assert_int_equal(room_log_count(fx->log), 4);
	a.n = b.n = 0;
	room_log_history(fx->log, log_ids, &a);
	assert_int_equal(
	    store_room_history(fx->sr, fx->rowid, 100, store_ids, &b, &cause),
	    0);
	assert_int_equal(a.n, 4);
	assert_int_equal(b.n, 4);
	assert_memory_equal(a.id, b.id, 4 * ROOM_HASHLEN);
	assert_string_equal(b.text[1], "one");
	assert_string_equal(b.text[3], "two");
	/* The newest two only, still oldest first. */
	b.n = 0;
	assert_int_equal(
	    store_room_history(fx->sr, fx->rowid, 2, store_ids, &b, &cause), 0);
	assert_int_equal(b.n, 2);
	assert_memory_equal(b.id, a.id + 2, 2 * ROOM_HASHLEN);
	/* And it goes on writing after the last stored seq. */
	write_text(fx, sk, ROOM_MSG, "three");
	assert_int_equal(
	    store_room_count(fx->sr, fx->rowid, &count, &cause), 0);
	assert_int_equal(count, 5);
}

static void
test_duplicates(void **state)
{
	struct fx *fx = *state;
	static uint8_t out[ROOM_EVENT_MAX], out2[ROOM_EVENT_MAX];
	uint8_t pk[ROOM_KEYLEN], sk[ROOM_SKLEN];
	struct room_event ev, ev2;
	struct room_body b;
	struct ids ids;
	const char *why;
	char *cause = NULL;
	size_t len, len2;
	int inserted;

	add_room(fx, pk, sk);
	memset(&ev, 0, sizeof ev);
	ev.kind = ROOM_MSG;
	memcpy(ev.room, room, ROOM_IDLEN);
	memcpy(ev.author, pk, ROOM_KEYLEN);
	ev.seq = 1;
	ev.lamport = 2;
	ev.nparents = 1;
	memset(&b, 0, sizeof b);
	b.kind = ROOM_MSG;
	b.text = (const uint8_t *)"a";
	b.len = 1;
	len =
	    room_event_encode(&ev, b.text, 1, key0, sk, NULL, out, sizeof out);
	ev2 = ev;
	len2 = room_event_encode(
	    &ev2, (const uint8_t *)"b", 1, key0, sk, NULL, out2, sizeof out2);
	assert_int_equal(room_event_decode(out, len, &ev, &why), 0);
	assert_int_equal(room_event_decode(out2, len2, &ev2, &why), 0);
	assert_int_equal(store_room_event_add(fx->sr, fx->rowid, &ev, out, len,
	                     &b, &inserted, &cause),
	    0);
	assert_true(inserted);
	assert_int_equal(store_room_event_add(fx->sr, fx->rowid, &ev, out, len,
	                     &b, &inserted, &cause),
	    0);
	assert_false(inserted);
	/* Another event for (author, 1): not stored as an event... */
	assert_int_equal(store_room_event_add(fx->sr, fx->rowid, &ev2, out2,
	                     len2, NULL, &inserted, &cause),
	    0);
	assert_false(inserted);
	/* ...but as a proof, once. */
	assert_int_equal(
	    store_room_proof(fx->sr, fx->rowid, &ev2, out2, len2, &cause), 0);
	assert_int_equal(
	    store_room_proof(fx->sr, fx->rowid, &ev2, out2, len2, &cause), 0);
	ids.n = 0;
	assert_int_equal(
	    store_room_proofs(fx->sr, fx->rowid, store_ids, &ids, &cause), 0);
	assert_int_equal(ids.n, 1);
	assert_memory_equal(ids.id[0], ev2.id, ROOM_HASHLEN);
}

static int
member_cb(void *arg, const struct room_member_info *m, int active, int flagged)
{
	int *n = arg;

	assert_string_equal(m->nick, "bob");
	assert_int_equal(m->addrlen, 2);
	assert_false(active);
	assert_true(flagged);
	(*n)++;
	return 0;
}

static void
test_members_prs(void **state)
{
	struct fx *fx = *state;
	uint8_t pk[ROOM_KEYLEN], sk[ROOM_SKLEN], prs[32] = { 1 };
	uint8_t sealed[32 + ROOM_SEALLEN];
	struct room_member_info m;
	char *cause = NULL;
	int n = 0;

	add_room(fx, pk, sk);
	memset(&m, 0, sizeof m);
	m.e[0] = 1;
	strcpy(m.nick, "bob");
	m.addrlen = 2;
	m.addr[1] = 80;
	assert_int_equal(
	    store_room_member_put(fx->sr, fx->rowid, &m, 1, 0, &cause), 0);
	assert_int_equal(
	    store_room_member_put(fx->sr, fx->rowid, &m, 0, 1, &cause), 0);
	assert_int_equal(
	    store_room_members(fx->sr, fx->rowid, member_cb, &n, &cause), 0);
	assert_int_equal(n, 1);
	room_seal(wrap, "prs", prs, sizeof prs, sealed);
	assert_int_equal(store_room_set_prs(
	                     fx->sr, fx->rowid, sealed, sizeof sealed, &cause),
	    0);
	assert_int_equal(
	    store_room_set_prs(fx->sr, fx->rowid, NULL, 0, &cause), 0);
}

static void
test_newer_schema(void **state)
{
	struct fx *fx = *state;
	char *cause = NULL;

	assert_int_equal(store_commit(fx->s, &cause), 0);
	assert_int_equal(
	    sqlite3_exec(store_sqlite(fx->s),
	        "UPDATE room_schema SET version = 2", NULL, NULL, NULL),
	    SQLITE_OK);
	store_room_close(fx->sr);
	fx->sr = store_room_open(fx->s, &cause);
	assert_null(fx->sr);
	assert_non_null(strstr(cause, "newer p2ptui"));
	free(cause);
	assert_int_equal(
	    sqlite3_exec(store_sqlite(fx->s),
	        "UPDATE room_schema SET version = 1", NULL, NULL, NULL),
	    SQLITE_OK);
	fx->sr = store_room_open(fx->s, &cause);
	assert_non_null(fx->sr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_store_and_load, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_members_prs, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_newer_schema, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
