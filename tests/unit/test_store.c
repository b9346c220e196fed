/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for store.c, on real SQLite files in a temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_outgoing_sequence_and_pending, setup, teardown),
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
