/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for store.c, on real SQLite files in a temporary directory.
 * Only the migration test uses SQLite directly, to write a version-1 file
 * the current code can no longer create (layering.sh checks src/ only).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"
#include "valgrind_skip.h"

static const uint8_t key_a[STORE_KEYLEN] = { 1, 2, 3 };
static const uint8_t key_b[STORE_KEYLEN] = { 9, 8, 7 };

struct fx {
	char dir[64];
	struct store *s;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof *fx);
	char *cause = NULL;

	snprintf(fx->dir, sizeof fx->dir, "/tmp/p2ptui-store.XXXXXX");
	if (mkdtemp(fx->dir) == NULL)
		return -1;
	fx->s = store_open(fx->dir, &cause);
	if (fx->s == NULL) {
		fprintf(stderr, "%s\n", cause);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	char cmd[128];

	store_close(fx->s);
	snprintf(cmd, sizeof cmd, "rm -rf %s", fx->dir);
	if (system(cmd) != 0)
		return -1;
	free(fx);
	return 0;
}

static void
msg(struct store_msg *m, uint8_t idbyte, const char *text)
{
	memset(m, 0, sizeof *m);
	memset(m->id, idbyte, STORE_IDLEN);
	m->sent_ms = 1000 + idbyte;
	m->recv_ms = 2000 + idbyte;
	m->text = text;
	m->len = strlen(text);
}

struct seen {
	char text[32][64];
	uint64_t seq[32];
	int state[32];
	int64_t rowid[32];
	int n, stop_at;
};

static int
collect(void *arg, const uint8_t key[STORE_KEYLEN], const struct store_msg *m)
{
	struct seen *s = arg;

	(void)key;
	assert_true(s->n < 32);
	snprintf(
	    s->text[s->n], sizeof s->text[0], "%.*s", (int)m->len, m->text);
	s->seq[s->n] = m->seq;
	s->state[s->n] = m->state;
	s->rowid[s->n] = m->rowid;
	s->n++;
	return s->stop_at != 0 && s->n == s->stop_at;
}

/* Store an outgoing message to key; it must get sequence number seq. */
static void
add_out(struct store *s, const uint8_t *key, uint8_t idbyte, uint64_t seq)
{
	struct store_msg m;
	char *cause = NULL;

	msg(&m, idbyte, "x");
	assert_int_equal(store_add_outgoing(s, key, &m, &cause), 0);
	assert_int_equal(m.seq, seq);
}

/* The sequence counters are written once per transaction, at its
 * commit: every conversation's counter survives a reopen, including one
 * that store_close() commits. */
static void
test_sequence_written_at_commit(void **state)
{
	struct fx *fx = *state;
	char *cause = NULL;
	uint8_t i;

	for (i = 0; i < 5; i++)
		add_out(fx->s, key_a, 10 + i, i + 1);
	add_out(fx->s, key_b, 20, 1);
	assert_int_equal(store_commit(fx->s, &cause), 0);
	add_out(fx->s, key_b, 21, 2);
	store_close(fx->s); /* commits */
	fx->s = store_open(fx->dir, &cause);
	assert_non_null(fx->s);
	add_out(fx->s, key_a, 30, 6);
	add_out(fx->s, key_b, 31, 3);
	assert_int_equal(store_commit(fx->s, &cause), 0);
}

/* Thousands of conversations: each keeps its own counter through the
 * cache's index as it grows. */
static void
test_many_conversations(void **state)
{
	struct fx *fx = *state;
	uint8_t key[STORE_KEYLEN] = { 0 };
	char *cause = NULL;
	int i, round;

	for (round = 1; round <= 2; round++) {
		for (i = 0; i < 3000; i++) {
			key[0] = (uint8_t)i;
			key[1] = (uint8_t)(i >> 8);
			add_out(fx->s, key, (uint8_t)round, (uint64_t)round);
		}
		assert_int_equal(store_commit(fx->s, &cause), 0);
	}
}

static void
test_outgoing_sequence_and_pending(void **state)
{
	struct fx *fx = *state;
	struct store_msg m;
	struct seen seen = { 0 };
	char *cause = NULL;
	int changed;

	msg(&m, 1, "one");
	assert_int_equal(store_add_outgoing(fx->s, key_a, &m, &cause), 0);
	assert_int_equal(m.seq, 1);
	msg(&m, 2, "two");
	assert_int_equal(store_add_outgoing(fx->s, key_a, &m, &cause), 0);
	assert_int_equal(m.seq, 2);
	/* Sequences are per peer. */
	msg(&m, 3, "other");
	assert_int_equal(store_add_outgoing(fx->s, key_b, &m, &cause), 0);
	assert_int_equal(m.seq, 1);
	assert_int_equal(store_commit(fx->s, &cause), 0);

	assert_int_equal(
	    store_pending(fx->s, key_a, 0, 10, collect, &seen, &cause), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.text[0], "one");
	assert_string_equal(seen.text[1], "two");

	/* Delivered leaves the queue, once. */
	memset(m.id, 1, STORE_IDLEN);
	assert_int_equal(
	    store_mark_delivered(fx->s, key_a, m.id, &changed, &cause), 0);
	assert_int_equal(changed, 1);
	assert_int_equal(
	    store_mark_delivered(fx->s, key_a, m.id, &changed, &cause), 0);
	assert_int_equal(changed, 0);
	memset(&seen, 0, sizeof seen);
	store_pending(fx->s, key_a, 0, 10, collect, &seen, &cause);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.text[0], "two");

	/* The cursor skips what was already sent on this connection. */
	memset(&seen, 0, sizeof seen);
	store_pending(fx->s, key_a, INT64_MAX - 1, 10, collect, &seen, &cause);
	assert_int_equal(seen.n, 0);
}

static void
test_incoming_duplicates(void **state)
{
	struct fx *fx = *state;
	struct store_msg m;
	struct seen seen = { 0 };
	char *cause = NULL;
	int inserted;
	int64_t n;

	msg(&m, 7, "hello");
	m.seq = 42;
	assert_int_equal(
	    store_add_incoming(fx->s, key_a, &m, &inserted, &cause), 0);
	assert_int_equal(inserted, 1);
	msg(&m, 7, "hello again, same id");
	assert_int_equal(
	    store_add_incoming(fx->s, key_a, &m, &inserted, &cause), 0);
	assert_int_equal(inserted, 0);
	/* The same id from another peer is another message. */
	assert_int_equal(
	    store_add_incoming(fx->s, key_b, &m, &inserted, &cause), 0);
	assert_int_equal(inserted, 1);
	assert_int_equal(store_commit(fx->s, &cause), 0);

	assert_int_equal(store_count(fx->s, key_a, -1, &n, &cause), 0);
	assert_int_equal(n, 1);
	store_history(fx->s, key_a, 0, 10, collect, &seen, &cause);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.text[0], "hello");
	assert_int_equal(seen.seq[0], 42);
	assert_int_equal(seen.state[0], STORE_RECEIVED);
	/* Received messages are never pending. */
	assert_int_equal(
	    store_count(fx->s, key_a, STORE_PENDING, &n, &cause), 0);
	assert_int_equal(n, 0);
}

static void
test_history_paging_and_persistence(void **state)
{
	struct fx *fx = *state;
	struct store_msg m;
	struct seen seen = { 0 };
	char text[16], *cause = NULL;
	int i, inserted;

	for (i = 0; i < 10; i++) {
		snprintf(text, sizeof text, "m%d", i);
		msg(&m, (uint8_t)(i + 1), text);
		if (i % 2)
			store_add_outgoing(fx->s, key_a, &m, &cause);
		else
			store_add_incoming(fx->s, key_a, &m, &inserted, &cause);
	}
	assert_int_equal(store_commit(fx->s, &cause), 0);
	store_close(fx->s);
	fx->s = store_open(fx->dir, &cause);
	assert_non_null(fx->s);

	/* Newest first, three at a time, continuing below the last. */
	store_history(fx->s, key_a, 0, 3, collect, &seen, &cause);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.text[0], "m9");
	assert_string_equal(seen.text[2], "m7");
	store_history(fx->s, key_a, seen.rowid[2], 3, collect, &seen, &cause);
	assert_int_equal(seen.n, 6);
	assert_string_equal(seen.text[3], "m6");
	assert_string_equal(seen.text[5], "m4");
	/* A callback can stop the walk. */
	memset(&seen, 0, sizeof seen);
	seen.stop_at = 2;
	store_history(fx->s, key_a, 0, 10, collect, &seen, &cause);
	assert_int_equal(seen.n, 2);
}

static void
test_search_and_forget(void **state)
{
	struct fx *fx = *state;
	struct store_msg m;
	struct seen seen = { 0 };
	char *cause = NULL;
	int inserted;
	int64_t n;

	msg(&m, 1, "Meet at NOON");
	store_add_incoming(fx->s, key_a, &m, &inserted, &cause);
	msg(&m, 2, "lunch?");
	store_add_outgoing(fx->s, key_a, &m, &cause);
	msg(&m, 3, "noon is fine");
	store_add_incoming(fx->s, key_b, &m, &inserted, &cause);
	msg(&m, 4, "100% sure_");
	store_add_incoming(fx->s, key_b, &m, &inserted, &cause);
	assert_int_equal(store_commit(fx->s, &cause), 0);

	store_search(fx->s, key_a, "noon", 10, collect, &seen, &cause);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.text[0], "Meet at NOON");
	memset(&seen, 0, sizeof seen);
	store_search(fx->s, NULL, "noon", 10, collect, &seen, &cause);
	assert_int_equal(seen.n, 2);
	/* LIKE wildcards are plain text here. */
	memset(&seen, 0, sizeof seen);
	store_search(fx->s, NULL, "%", 10, collect, &seen, &cause);
	assert_int_equal(seen.n, 1);
	memset(&seen, 0, sizeof seen);
	store_search(fx->s, NULL, "_", 10, collect, &seen, &cause);
	assert_int_equal(seen.n, 1);

	assert_int_equal(store_forget(fx->s, key_a, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_commit(fx->s, &cause), 0);
	assert_int_equal(store_count(fx->s, key_a, -1, &n, &cause), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_count(fx->s, key_b, -1, &n, &cause), 0);
	assert_int_equal(n, 2);
}

static void
test_uncommitted_is_lost_on_crash(void **state)
{
	struct fx *fx = *state;
	struct store_msg m;
	char *cause = NULL;
	int64_t n;
	pid_t pid;
	int status;

	SKIP_UNDER_VALGRIND();
	msg(&m, 1, "committed");
	store_add_outgoing(fx->s, key_a, &m, &cause);
	assert_int_equal(store_commit(fx->s, &cause), 0);
	/* A child writes without committing and dies. */
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		msg(&m, 2, "never committed");
		store_add_outgoing(fx->s, key_a, &m, &cause);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	store_close(fx->s);
	fx->s = store_open(fx->dir, &cause);
	assert_non_null(fx->s);
	assert_int_equal(store_count(fx->s, key_a, -1, &n, &cause), 0);
	assert_int_equal(n, 1);
}

static void
test_damaged_and_newer_refused(void **state)
{
	struct fx *fx = *state;
	char path[128], *cause = NULL;
	struct store *s;
	FILE *f;

	store_close(fx->s);
	fx->s = NULL;
	snprintf(path, sizeof path, "%s/%s", fx->dir, STORE_FILE);
	/* A file from a newer version: user_version at offset 60. */
	f = fopen(path, "r+");
	assert_non_null(f);
	fseek(f, 60, SEEK_SET);
	fwrite("\0\0\1\0", 1, 4, f);
	fclose(f);
	s = store_open(fx->dir, &cause);
	assert_null(s);
	assert_non_null(strstr(cause, "newer p2ptui"));
	free(cause);
	cause = NULL;

	f = fopen(path, "r+");
	assert_non_null(f);
	fwrite("garbage garbage!", 1, 16, f);
	fclose(f);
	s = store_open(fx->dir, &cause);
	assert_null(s);
	assert_non_null(strstr(cause, "damaged"));
	assert_non_null(strstr(cause, ".broken"));
	free(cause);
	/* Reopen a usable store for the teardown. */
	unlink(path);
	fx->s = store_open(fx->dir, &cause);
	assert_non_null(fx->s);
}

static void
test_memory_store(void **state)
{
	struct store_msg m;
	struct store *s;
	char *cause = NULL;
	int64_t n;

	(void)state;
	s = store_open(NULL, &cause);
	assert_non_null(s);
	msg(&m, 1, "in memory");
	assert_int_equal(store_add_outgoing(s, key_a, &m, &cause), 0);
	assert_int_equal(store_commit(s, &cause), 0);
	assert_int_equal(store_count(s, key_a, STORE_PENDING, &n, &cause), 0);
	assert_int_equal(n, 1);
	store_close(s);
}

/* A transfer as the tests write it: fields from n, strings owned. */
static void
xfer(struct store_xfer *x, const uint8_t *key, uint8_t n, int outgoing)
{
	memset(x, 0, sizeof *x);
	memcpy(x->key, key, STORE_KEYLEN);
	memset(x->id, n, STORE_IDLEN);
	x->outgoing = outgoing;
	x->name = "file.bin";
	x->size = 1000 + n;
	memset(x->root, 0xa0 + n, sizeof x->root);
	x->path = "/tmp/file.bin";
	x->mtime_ns = 1700000000123456789LL + n;
	x->state = STORE_XFER_OFFERED;
	x->reason = -1;
	x->created_ms = 5000 + n;
}

/* Deep copies of the transfers a list walk saw. */
struct xseen {
	struct store_xfer x[16];
	char name[16][64], path[16][64];
	uint8_t have[16][16];
	int name_null[16], path_null[16];
	int n, stop_at;
	struct store *update; /* if set, end each row from the callback */
};

static int
xcollect(void *arg, const struct store_xfer *x)
{
	struct xseen *xs = arg;
	struct store_xfer u;
	char *cause = NULL;

	assert_true(xs->n < 16);
	xs->x[xs->n] = *x;
	xs->name_null[xs->n] = x->name == NULL;
	xs->path_null[xs->n] = x->path == NULL;
	if (x->name != NULL)
		snprintf(xs->name[xs->n], sizeof xs->name[0], "%s", x->name);
	if (x->path != NULL)
		snprintf(xs->path[xs->n], sizeof xs->path[0], "%s", x->path);
	assert_true(x->havelen <= sizeof xs->have[0]);
	assert_true((x->have == NULL) == (x->havelen == 0));
	if (x->havelen > 0)
		memcpy(xs->have[xs->n], x->have, x->havelen);
	xs->n++;
	if (xs->update != NULL) {
		u = *x;
		u.state = STORE_XFER_FAILED;
		u.reason = 7;
		u.ended_ms = 1;
		assert_int_equal(store_xfer_update(xs->update, &u, &cause), 0);
	}
	return xs->stop_at != 0 && xs->n == xs->stop_at;
}

static void
xlist(struct store *s, size_t recent, struct xseen *xs)
{
	char *cause = NULL;
	struct store *update = xs->update;
	int stop_at = xs->stop_at;

	memset(xs, 0, sizeof *xs);
	xs->update = update;
	xs->stop_at = stop_at;
	if (store_xfer_list(s, recent, xcollect, xs, &cause) != 0)
		fail_msg("store_xfer_list: %s", cause);
}

static void
test_xfer_round_trip(void **state)
{
	struct fx *fx = *state;
	static const uint8_t have[3] = { 0xff, 0x01, 0x80 };
	struct store_xfer out, in;
	struct xseen xs = { 0 };
	char *cause = NULL;

	/* Outgoing: no bitmap, over 4 GiB. */
	xfer(&out, key_a, 1, 1);
	out.size = (5ULL << 30) + 7;
	out.name = "big.iso";
	out.path = "/home/u/big.iso";
	out.state = STORE_XFER_ACTIVE;
	assert_int_equal(store_xfer_add(fx->s, &out, &cause), 0);
	assert_true(out.rowid > 0);
	assert_true(store_dirty(fx->s));
	/* Incoming: a bitmap, a reason, no path yet. */
	xfer(&in, key_b, 2, 0);
	in.name = "notes.txt";
	in.path = NULL;
	in.reason = 3;
	in.have = have;
	in.havelen = sizeof have;
	assert_int_equal(store_xfer_add(fx->s, &in, &cause), 0);
	assert_true(in.rowid > out.rowid);
	assert_int_equal(store_commit(fx->s, &cause), 0);

	xlist(fx->s, 0, &xs);
	assert_int_equal(xs.n, 2);
	assert_int_equal(xs.x[0].rowid, out.rowid);
	assert_memory_equal(xs.x[0].key, key_a, STORE_KEYLEN);
	assert_memory_equal(xs.x[0].id, out.id, STORE_IDLEN);
	assert_int_equal(xs.x[0].outgoing, 1);
	assert_string_equal(xs.name[0], "big.iso");
	assert_true(xs.x[0].size == (5ULL << 30) + 7);
	assert_memory_equal(xs.x[0].root, out.root, sizeof out.root);
	assert_string_equal(xs.path[0], "/home/u/big.iso");
	assert_true(xs.x[0].mtime_ns == out.mtime_ns);
	assert_int_equal(xs.x[0].state, STORE_XFER_ACTIVE);
	assert_int_equal(xs.x[0].reason, -1);
	assert_null(xs.x[0].have);
	assert_int_equal(xs.x[0].havelen, 0);
	assert_int_equal(xs.x[0].created_ms, 5001);
	assert_int_equal(xs.x[0].ended_ms, 0);

	assert_int_equal(xs.x[1].rowid, in.rowid);
	assert_memory_equal(xs.x[1].key, key_b, STORE_KEYLEN);
	assert_memory_equal(xs.x[1].id, in.id, STORE_IDLEN);
	assert_int_equal(xs.x[1].outgoing, 0);
	assert_string_equal(xs.name[1], "notes.txt");
	assert_int_equal(xs.x[1].size, 1002);
	assert_memory_equal(xs.x[1].root, in.root, sizeof in.root);
	assert_true(xs.path_null[1]);
	assert_int_equal(xs.x[1].state, STORE_XFER_OFFERED);
	assert_int_equal(xs.x[1].reason, 3);
	assert_int_equal(xs.x[1].havelen, sizeof have);
	assert_memory_equal(xs.have[1], have, sizeof have);
	assert_int_equal(xs.x[1].created_ms, 5002);
}

static void
test_xfer_update(void **state)
{
	struct fx *fx = *state;
	static const uint8_t have1[2] = { 0x03, 0x00 };
	static const uint8_t have2[4] = { 0xff, 0xff, 0xff, 0x0f };
	struct store_xfer x;
	struct xseen xs = { 0 };
	char *cause = NULL;

	xfer(&x, key_a, 1, 0);
	x.path = "/dl/.file.bin.part";
	assert_int_equal(store_xfer_add(fx->s, &x, &cause), 0);
	x.state = STORE_XFER_ACTIVE;
	x.have = have1;
	x.havelen = sizeof have1;
	assert_int_equal(store_xfer_update(fx->s, &x, &cause), 0);
	assert_int_equal(store_commit(fx->s, &cause), 0);
	xlist(fx->s, 0, &xs);
	assert_int_equal(xs.n, 1);
	assert_int_equal(xs.x[0].state, STORE_XFER_ACTIVE);
	assert_int_equal(xs.x[0].havelen, sizeof have1);
	assert_memory_equal(xs.have[0], have1, sizeof have1);

	/* Complete: renamed, full bitmap, ended. Other fields stay. */
	x.state = STORE_XFER_DONE;
	x.path = "/dl/file.bin";
	x.have = have2;
	x.havelen = sizeof have2;
	x.ended_ms = 9999;
	x.name = "ignored";
	x.size = 1;
	assert_int_equal(store_xfer_update(fx->s, &x, &cause), 0);
	xlist(fx->s, 0, &xs);
	assert_int_equal(xs.n, 0); /* no longer unfinished */
	xlist(fx->s, 10, &xs);
	assert_int_equal(xs.n, 1);
	assert_int_equal(xs.x[0].state, STORE_XFER_DONE);
	assert_int_equal(xs.x[0].reason, -1);
	assert_string_equal(xs.path[0], "/dl/file.bin");
	assert_int_equal(xs.x[0].havelen, sizeof have2);
	assert_memory_equal(xs.have[0], have2, sizeof have2);
	assert_int_equal(xs.x[0].ended_ms, 9999);
	assert_string_equal(xs.name[0], "file.bin");
	assert_int_equal(xs.x[0].size, 1001);

	/* Cancelled, with a reason; the bitmap can be dropped. */
	x.state = STORE_XFER_CANCELLED;
	x.reason = 2;
	x.have = NULL;
	x.havelen = 0;
	assert_int_equal(store_xfer_update(fx->s, &x, &cause), 0);
	xlist(fx->s, 10, &xs);
	assert_int_equal(xs.n, 1);
	assert_int_equal(xs.x[0].state, STORE_XFER_CANCELLED);
	assert_int_equal(xs.x[0].reason, 2);
	assert_null(xs.x[0].have);
	assert_int_equal(xs.x[0].havelen, 0);

	/* An unknown number is an error. */
	x.rowid += 100;
	assert_int_equal(store_xfer_update(fx->s, &x, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "no transfer"));
	free(cause);
}

static void
test_xfer_duplicate(void **state)
{
	struct fx *fx = *state;
	struct store_xfer x;
	struct xseen xs = { 0 };
	char *cause = NULL;

	xfer(&x, key_a, 1, 1);
	assert_int_equal(store_xfer_add(fx->s, &x, &cause), 0);
	x.rowid = 0;
	assert_int_equal(store_xfer_add(fx->s, &x, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "already"));
	free(cause);
	cause = NULL;
	assert_int_equal(x.rowid, 0);
	/* The same id the other way, or with another peer, is another. */
	xfer(&x, key_a, 1, 0);
	assert_int_equal(store_xfer_add(fx->s, &x, &cause), 0);
	xfer(&x, key_b, 1, 1);
	assert_int_equal(store_xfer_add(fx->s, &x, &cause), 0);
	/* The refused insert did not end the transaction. */
	assert_true(store_dirty(fx->s));
	assert_int_equal(store_commit(fx->s, &cause), 0);
	xlist(fx->s, 0, &xs);
	assert_int_equal(xs.n, 3);
	assert_int_equal(xs.x[0].outgoing, 1);
	assert_int_equal(xs.x[1].outgoing, 0);
	assert_memory_equal(xs.x[2].key, key_b, STORE_KEYLEN);
}

/* store_xfer_find: by key, id and direction only. */
static void
test_xfer_find(void **state)
{
	struct fx *fx = *state;
	struct store_xfer a, b;
	struct xseen xs = { 0 };
	char *cause = NULL;

	xfer(&a, key_a, 1, 0);
	a.state = STORE_XFER_DONE;
	assert_int_equal(store_xfer_add(fx->s, &a, &cause), 0);
	xfer(&b, key_a, 1, 1);
	assert_int_equal(store_xfer_add(fx->s, &b, &cause), 0);
	assert_int_equal(
	    store_xfer_find(fx->s, key_a, a.id, 0, xcollect, &xs, &cause), 0);
	assert_int_equal(xs.n, 1);
	assert_int_equal(xs.x[0].rowid, a.rowid);
	assert_int_equal(xs.x[0].state, STORE_XFER_DONE);
	memset(&xs, 0, sizeof xs);
	assert_int_equal(
	    store_xfer_find(fx->s, key_a, a.id, 1, xcollect, &xs, &cause), 0);
	assert_int_equal(xs.n, 1);
	assert_int_equal(xs.x[0].rowid, b.rowid);
	memset(&xs, 0, sizeof xs);
	assert_int_equal(
	    store_xfer_find(fx->s, key_b, a.id, 0, xcollect, &xs, &cause), 0);
	assert_int_equal(xs.n, 0);
}

static void
test_xfer_list_order(void **state)
{
	struct fx *fx = *state;
	static const enum store_xfer_state states[6] = { STORE_XFER_DONE,
		STORE_XFER_ACTIVE, STORE_XFER_FAILED, STORE_XFER_OFFERED,
		STORE_XFER_CANCELLED, STORE_XFER_DONE };
	struct store_xfer x;
	struct xseen xs = { 0 };
	int64_t rowid[6];
	char *cause = NULL;
	int i;

	for (i = 0; i < 6; i++) {
		xfer(&x, key_a, (uint8_t)(i + 1), i % 2);
		x.state = states[i];
		assert_int_equal(store_xfer_add(fx->s, &x, &cause), 0);
		rowid[i] = x.rowid;
	}
	assert_int_equal(store_commit(fx->s, &cause), 0);

	xlist(fx->s, 0, &xs);
	assert_int_equal(xs.n, 2);
	assert_int_equal(xs.x[0].rowid, rowid[1]);
	assert_int_equal(xs.x[1].rowid, rowid[3]);
	/* Unfinished first, then the two newest ended, oldest first. */
	xlist(fx->s, 2, &xs);
	assert_int_equal(xs.n, 4);
	assert_int_equal(xs.x[0].rowid, rowid[1]);
	assert_int_equal(xs.x[1].rowid, rowid[3]);
	assert_int_equal(xs.x[2].rowid, rowid[4]);
	assert_int_equal(xs.x[3].rowid, rowid[5]);
	xlist(fx->s, 100, &xs);
	assert_int_equal(xs.n, 6);
	assert_int_equal(xs.x[2].rowid, rowid[0]);
	assert_int_equal(xs.x[3].rowid, rowid[2]);
	assert_int_equal(xs.x[5].rowid, rowid[5]);
	xlist(fx->s, SIZE_MAX, &xs);
	assert_int_equal(xs.n, 6);

	/* A callback can stop the walk. */
	xs.stop_at = 3;
	xlist(fx->s, 100, &xs);
	assert_int_equal(xs.n, 3);
	xs.stop_at = 0;

	/* A callback can end the rows it sees: each is seen once. */
	xs.update = fx->s;
	xlist(fx->s, 0, &xs);
	assert_int_equal(xs.n, 2);
	xs.update = NULL;
	xlist(fx->s, 0, &xs);
	assert_int_equal(xs.n, 0);
	xlist(fx->s, 100, &xs);
	assert_int_equal(xs.n, 6);
	assert_int_equal(xs.x[1].state, STORE_XFER_FAILED);
	assert_int_equal(xs.x[1].reason, 7);
}

static void
test_xfer_persistence(void **state)
{
	struct fx *fx = *state;
	static const uint8_t have[1] = { 0x05 };
	struct store_xfer x;
	struct xseen xs = { 0 };
	char *cause = NULL;
	int64_t n, last;

	xfer(&x, key_a, 1, 0);
	x.state = STORE_XFER_ACTIVE;
	x.have = have;
	x.havelen = sizeof have;
	assert_int_equal(store_xfer_add(fx->s, &x, &cause), 0);
	xfer(&x, key_a, 2, 1);
	x.state = STORE_XFER_DONE;
	x.ended_ms = 77;
	assert_int_equal(store_xfer_add(fx->s, &x, &cause), 0);
	last = x.rowid;
	assert_int_equal(store_commit(fx->s, &cause), 0);
	store_close(fx->s);
	fx->s = store_open(fx->dir, &cause);
	assert_non_null(fx->s);

	xlist(fx->s, 10, &xs);
	assert_int_equal(xs.n, 2);
	assert_int_equal(xs.x[0].state, STORE_XFER_ACTIVE);
	assert_int_equal(xs.x[0].havelen, 1);
	assert_int_equal(xs.have[0][0], 0x05);
	assert_int_equal(xs.x[1].rowid, last);
	assert_int_equal(xs.x[1].ended_ms, 77);

	/* Numbers are never reused, even after the newest is forgotten. */
	assert_int_equal(store_forget(fx->s, key_a, &n, &cause), 0);
	assert_int_equal(store_commit(fx->s, &cause), 0);
	store_close(fx->s);
	fx->s = store_open(fx->dir, &cause);
	assert_non_null(fx->s);
	xfer(&x, key_b, 3, 0);
	assert_int_equal(store_xfer_add(fx->s, &x, &cause), 0);
	assert_true(x.rowid > last);
}

static void
test_xfer_forget(void **state)
{
	struct fx *fx = *state;
	struct store_msg m;
	struct store_xfer x;
	struct xseen xs = { 0 };
	char *cause = NULL;
	int64_t n, keep;

	msg(&m, 1, "here it comes");
	assert_int_equal(store_add_outgoing(fx->s, key_a, &m, &cause), 0);
	xfer(&x, key_a, 1, 1);
	x.state = STORE_XFER_DONE;
	assert_int_equal(store_xfer_add(fx->s, &x, &cause), 0);
	xfer(&x, key_a, 2, 0);
	x.state = STORE_XFER_ACTIVE;
	assert_int_equal(store_xfer_add(fx->s, &x, &cause), 0);
	keep = x.rowid;
	xfer(&x, key_a, 3, 0);
	x.state = STORE_XFER_FAILED;
	assert_int_equal(store_xfer_add(fx->s, &x, &cause), 0);
	xfer(&x, key_b, 4, 0);
	x.state = STORE_XFER_CANCELLED;
	assert_int_equal(store_xfer_add(fx->s, &x, &cause), 0);
	assert_int_equal(store_commit(fx->s, &cause), 0);

	/* The count is of messages only. */
	assert_int_equal(store_forget(fx->s, key_a, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_int_equal(store_commit(fx->s, &cause), 0);
	xlist(fx->s, 10, &xs);
	assert_int_equal(xs.n, 2);
	assert_int_equal(xs.x[0].rowid, keep);
	assert_memory_equal(xs.x[1].key, key_b, STORE_KEYLEN);

	/* A peer with transfers but no messages. */
	assert_int_equal(store_forget(fx->s, key_b, &n, &cause), 0);
	assert_int_equal(n, 0);
	assert_int_equal(store_commit(fx->s, &cause), 0);
	xlist(fx->s, 10, &xs);
	assert_int_equal(xs.n, 1);
	assert_int_equal(xs.x[0].rowid, keep);
}

/* Received messages after a rowid, from everyone, oldest first; the
 * newest rowid (what a frontend has shown is recorded by these). */
static void
test_received_after(void **state)
{
	struct fx *fx = *state;
	struct store_msg m;
	struct seen seen = { 0 };
	char *cause = NULL;
	int64_t last, first;
	int inserted;

	assert_int_equal(store_last_rowid(fx->s, &last, &cause), 0);
	assert_int_equal(last, 0);
	msg(&m, 1, "in a");
	assert_int_equal(
	    store_add_incoming(fx->s, key_a, &m, &inserted, &cause), 0);
	first = m.rowid;
	msg(&m, 2, "out a");
	assert_int_equal(store_add_outgoing(fx->s, key_a, &m, &cause), 0);
	msg(&m, 3, "in b");
	assert_int_equal(
	    store_add_incoming(fx->s, key_b, &m, &inserted, &cause), 0);
	msg(&m, 4, "in a again");
	assert_int_equal(
	    store_add_incoming(fx->s, key_a, &m, &inserted, &cause), 0);
	assert_int_equal(store_commit(fx->s, &cause), 0);
	assert_int_equal(store_last_rowid(fx->s, &last, &cause), 0);
	assert_int_equal(last, m.rowid);

	assert_int_equal(
	    store_received_after(fx->s, 0, 10, collect, &seen, &cause), 0);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.text[0], "in a");
	assert_string_equal(seen.text[1], "in b");
	assert_string_equal(seen.text[2], "in a again");
	memset(&seen, 0, sizeof seen);
	assert_int_equal(
	    store_received_after(fx->s, first, 1, collect, &seen, &cause), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.text[0], "in b");
	memset(&seen, 0, sizeof seen);
	assert_int_equal(
	    store_received_after(fx->s, last, 10, collect, &seen, &cause), 0);
	assert_int_equal(seen.n, 0);
}

/* A deleted transfer is gone, and its number is not given again. */
static void
test_xfer_delete(void **state)
{
	struct fx *fx = *state;
	struct store_xfer x;
	struct xseen xs = { 0 };
	char *cause = NULL;
	int64_t gone;

	xfer(&x, key_a, 1, 0);
	assert_int_equal(store_xfer_add(fx->s, &x, &cause), 0);
	gone = x.rowid;
	assert_int_equal(store_xfer_delete(fx->s, gone, &cause), 0);
	assert_int_equal(store_commit(fx->s, &cause), 0);
	xlist(fx->s, 10, &xs);
	assert_int_equal(xs.n, 0);
	xfer(&x, key_a, 2, 0);
	assert_int_equal(store_xfer_add(fx->s, &x, &cause), 0);
	assert_true(x.rowid > gone);
	/* Deleting what is not there is no error. */
	assert_int_equal(store_xfer_delete(fx->s, gone, &cause), 0);
}

/* The schema version of the file in dir, read with SQLite directly. */
static int
user_version(const char *dir)
{
	char path[128];
	sqlite3 *db;
	sqlite3_stmt *st;
	int v = -1;

	snprintf(path, sizeof path, "%s/%s", dir, STORE_FILE);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
test_migrate_from_v1(void **state)
{
	struct fx *fx = *state;
	/* The version-1 schema, as p2ptui 1 wrote it. */
	static const char v1[] =
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
	    "CREATE INDEX messages_pending ON messages(conv, id) "
	    "WHERE state = 0;"
	    "INSERT INTO conversations(id, key, next_seq) "
	    "VALUES (1, zeroblob(32), 5);"
	    "INSERT INTO messages VALUES (1, 1, zeroblob(16), 0, 4, 10, 20, "
	    "'from version 1');"
	    "PRAGMA user_version = 1;";
	static const uint8_t zero[STORE_KEYLEN];
	struct store_msg m;
	struct store_xfer x;
	struct seen seen = { 0 };
	struct xseen xs = { 0 };
	char path[128], *cause = NULL;
	sqlite3 *db;

	/* A fresh file is at the current version. */
	assert_int_equal(user_version(fx->dir), 2);
	store_close(fx->s);
	fx->s = NULL;
	snprintf(path, sizeof path, "%s/%s", fx->dir, STORE_FILE);
	unlink(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(user_version(fx->dir), 1);

	fx->s = store_open(fx->dir, &cause);
	if (fx->s == NULL)
		fail_msg("store_open: %s", cause);
	assert_int_equal(user_version(fx->dir), 2);
	/* The history and the sequence survive. */
	store_pending(fx->s, zero, 0, 10, collect, &seen, &cause);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.text[0], "from version 1");
	assert_int_equal(seen.seq[0], 4);
	msg(&m, 2, "from version 2");
	assert_int_equal(store_add_outgoing(fx->s, zero, &m, &cause), 0);
	assert_int_equal(m.seq, 5);
	/* And transfers work. */
	xfer(&x, zero, 1, 1);
	assert_int_equal(store_xfer_add(fx->s, &x, &cause), 0);
	assert_int_equal(x.rowid, 1);
	assert_int_equal(store_commit(fx->s, &cause), 0);
	store_close(fx->s);
	fx->s = store_open(fx->dir, &cause);
	assert_non_null(fx->s);
	xlist(fx->s, 0, &xs);
	assert_int_equal(xs.n, 1);
}

static void
test_xfer_memory_store(void **state)
{
	struct store_xfer x;
	struct xseen xs = { 0 };
	struct store *s;
	char *cause = NULL;

	(void)state;
	s = store_open(NULL, &cause);
	assert_non_null(s);
	xfer(&x, key_a, 1, 1);
	assert_int_equal(store_xfer_add(s, &x, &cause), 0);
	assert_int_equal(store_commit(s, &cause), 0);
	xlist(s, 0, &xs);
	assert_int_equal(xs.n, 1);
	assert_int_equal(xs.x[0].rowid, x.rowid);
	store_close(s);
}

/* The WAL is moved into the database at 4 MiB, not 256 KiB, on a disk
 * with room (store.c: checkpoints are what made durable messages slow),
 * and never grows far past that: 12 MiB of messages in commits of
 * 100 KiB. (The small-disk side runs in tests/e2e/diskfull.sh.) */
static void
test_wal_bounded(void **state)
{
	struct fx *fx = *state;
	static char text[1024];
	struct store_msg m;
	struct statvfs v;
	struct stat st;
	char *cause = NULL, path[96];
	off_t most = 0;
	uint32_t i;

	SKIP_UNDER_VALGRIND(); /* slow, and nothing valgrind would see */
	if (statvfs(fx->dir, &v) == 0 &&
	    (unsigned long long)v.f_bavail * v.f_frsize < 256ULL << 20)
		skip(); /* the small-disk policy applies */
	memset(text, 'w', sizeof text - 1);
	snprintf(path, sizeof path, "%s/history.db-wal", fx->dir);
	for (i = 0; i < 12 * 1024; i++) {
		memset(&m, 0, sizeof m);
		memcpy(m.id, &i, sizeof i);
		m.text = text;
		m.len = sizeof text - 1;
		assert_int_equal(
		    store_add_outgoing(fx->s, key_a, &m, &cause), 0);
		if (i % 100 == 99) {
			assert_int_equal(store_commit(fx->s, &cause), 0);
			assert_int_equal(stat(path, &st), 0);
			if (st.st_size > most)
				most = st.st_size;
		}
	}
	assert_true(most > 1024 * 1024);
	assert_true(most < 5 * 1024 * 1024);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_outgoing_sequence_and_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_sequence_written_at_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_many_conversations, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_incoming_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_history_paging_and_persistence, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_search_and_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_uncommitted_is_lost_on_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_damaged_and_newer_refused, setup, teardown),
		cmocka_unit_test(test_memory_store),
		cmocka_unit_test_setup_teardown(
		    test_xfer_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_xfer_update, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_xfer_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_xfer_list_order, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_xfer_persistence, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_xfer_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_migrate_from_v1, setup, teardown),
		cmocka_unit_test(test_xfer_memory_store),
		cmocka_unit_test_setup_teardown(
		    test_xfer_find, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_received_after, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_xfer_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_wal_bounded, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
