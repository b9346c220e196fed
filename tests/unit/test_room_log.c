/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for src/room_log.c: delivery exactly once and parents
 * first, duplicates, forged and foreign events, equivocation, missing
 * parents and the pending bound, membership and removal (no key for a
 * removed member, its later events refused), epochs, sync answers, and
 * a property test: the events of three authors who gossip at random,
 * fed to fresh members in many random orders, are all delivered,
 * parents first, with one (lamport, id) history.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "room_log.h"

struct node {
	struct room_log *log;
	uint8_t pk[ROOM_KEYLEN], sk[ROOM_SKLEN];
	uint8_t (*ids)[ROOM_HASHLEN]; /* delivered, in order */
	size_t n;
	int equivocations;
	uint8_t proof_first[ROOM_HASHLEN];
	int fail;
};

/* Every event written, to feed to others. */
struct pool {
	uint8_t *raw[8192];
	size_t len[8192];
	size_t n;
};

static uint8_t room[ROOM_IDLEN]; /* the creator's (seed 1) */
static const uint8_t salt[ROOM_SALTLEN] = { 0x5a };
static uint8_t key0[ROOM_KEYLEN] = { 0x10 }, key1[ROOM_KEYLEN] = { 0x11 };
static struct pool pool;
static uint64_t rng = 42;

static uint32_t
rnd(uint32_t n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng >> 33) % n;
}

static void pool_free(void);

static int
teardown(void **state)
{
	(void)state;
	pool_free();
	return 0;
}

static int
has(const struct node *nd, const uint8_t id[ROOM_HASHLEN])
{
	size_t i;

	for (i = 0; i < nd->n; i++)
		if (memcmp(nd->ids[i], id, ROOM_HASHLEN) == 0)
			return 1;
	return 0;
}

static int
on_deliver(void *arg, const struct room_event *ev, const uint8_t *raw,
    size_t len, const struct room_body *b, char **cause)
{
	struct node *nd = arg;
	size_t i;

	(void)raw;
	(void)len;
	assert_int_equal(b->kind, ev->kind);
	if (nd->fail) {
		*cause = strdup("disk full");
		return -1;
	}
	/* Parents first, and exactly once. */
	for (i = 0; i < ev->nparents; i++)
		assert_true(has(nd, ev->parents[i]));
	assert_false(has(nd, ev->id));
	nd->ids = realloc(nd->ids, (nd->n + 1) * sizeof *nd->ids);
	assert_non_null(nd->ids);
	memcpy(nd->ids[nd->n++], ev->id, ROOM_HASHLEN);
	return 0;
}

static void
on_equivocation(void *arg, const struct room_event *ev, const uint8_t *raw,
    size_t len, const uint8_t first[ROOM_HASHLEN])
{
	struct node *nd = arg;

	(void)ev;
	(void)raw;
	(void)len;
	nd->equivocations++;
	memcpy(nd->proof_first, first, ROOM_HASHLEN);
}

static const struct room_log_ops ops = { on_deliver, on_equivocation, NULL };

static void
node_init(struct node *nd, uint8_t seed_byte)
{
	uint8_t seed[32];
	char *cause;

	memset(nd, 0, sizeof *nd);
	memset(seed, seed_byte, sizeof seed);
	room_keypair(nd->pk, nd->sk, seed);
	nd->log = room_log_create(room, nd->pk, &ops, nd);
	assert_int_equal(room_log_add_key(nd->log, 0, key0, &cause), 0);
}

static void
node_free(struct node *nd)
{
	room_log_free(nd->log);
	free(nd->ids);
}

static void
pool_free(void)
{
	size_t i;

	for (i = 0; i < pool.n; i++)
		free(pool.raw[i]);
	pool.n = 0;
}

/* A copy of an event in the pool; its index. */
static size_t
pool_add(const uint8_t *raw, size_t len)
{
	assert_true(pool.n < 8192);
	pool.raw[pool.n] = malloc(len);
	assert_non_null(pool.raw[pool.n]);
	memcpy(pool.raw[pool.n], raw, len);
	pool.len[pool.n] = len;
	return pool.n++;
}

/* Write an event at nd; it goes to the pool. Returns its pool index. */
static size_t
write_body(struct node *nd, const struct room_body *b)
{
	static uint8_t out[ROOM_EVENT_MAX];
	char *cause = NULL;
	size_t len;

	if (room_log_write(nd->log, b, 1700000000000, nd->sk, out, sizeof out,
	        &len, &cause) != 0)
		fail_msg("write: %s", cause);
	return pool_add(out, len);
}

static size_t
write_msg(struct node *nd, const char *text)
{
	struct room_body b;

	memset(&b, 0, sizeof b);
	b.kind = ROOM_MSG;
	b.text = (const uint8_t *)text;
	b.len = strlen(text);
	return write_body(nd, &b);
}

static size_t
write_create(struct node *nd)
{
	struct room_body b;

	memset(&b, 0, sizeof b);
	b.kind = ROOM_CREATE;
	strcpy(b.name, "test");
	memcpy(b.salt, salt, ROOM_SALTLEN);
	strcpy(b.member.nick, "creator");
	memset(b.member.noise, 0xc0, ROOM_KEYLEN);
	return write_body(nd, &b);
}

static size_t
write_add(struct node *nd, const struct node *who)
{
	struct room_body b;

	memset(&b, 0, sizeof b);
	b.kind = ROOM_ADD;
	memcpy(b.member.e, who->pk, ROOM_KEYLEN);
	memset(b.member.noise, who->pk[0], ROOM_KEYLEN);
	strcpy(b.member.nick, "m");
	return write_body(nd, &b);
}

static const char *last_why; /* of the last feed() */

static enum room_rx
feed(struct node *nd, size_t i)
{
	enum room_rx rx;
	const char *why;
	char *cause = NULL;

	assert_int_equal(room_log_receive(nd->log, pool.raw[i], pool.len[i], 0,
	                     &rx, &why, &cause),
	    0);
	assert_null(cause);
	last_why = why != NULL ? why : "";
	return rx;
}

/* Feed every pool event from..to-1 (duplicates are fine). */
static void
feed_range(struct node *nd, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		feed(nd, i);
}

/* A member for each node, created by c. */
static void
setup_room(struct node *c, struct node **m, size_t n)
{
	size_t i;

	write_create(c);
	for (i = 0; i < n; i++)
		write_add(c, m[i]);
	for (i = 0; i < n; i++)
		feed_range(m[i], 0, pool.n);
}

/* The creator c, a member x, an observer o that has nothing yet. */
static void
trio_init(struct node *c, struct node *x, struct node *o)
{
	struct node *m[1] = { x };

	node_init(c, 1);
	node_init(x, 2);
	node_init(o, 4);
	setup_room(c, m, 1);
}

static void
trio_free(struct node *c, struct node *x, struct node *o)
{
	node_free(c);
	node_free(x);
	node_free(o);
	pool_free();
}

/* A raw event built by hand (any author, parents, counters). */
static size_t
craft(const struct node *by, uint8_t kind, const uint8_t (*parents)[32],
    size_t np, uint64_t seq, uint64_t lamport, uint32_t epoch,
    const uint8_t *key, const struct room_body *b)
{
	static uint8_t out[ROOM_EVENT_MAX], plain[ROOM_EVENT_MAX];
	struct room_event ev;
	size_t n = 0, len;
	struct room_body msg;

	if (b == NULL) {
		memset(&msg, 0, sizeof msg);
		msg.kind = ROOM_MSG;
		msg.text = (const uint8_t *)"forged";
		msg.len = 6;
		b = &msg;
	}
	assert_int_equal(room_body_encode(b, plain, sizeof plain, &n), 0);
	memset(&ev, 0, sizeof ev);
	ev.kind = kind;
	memcpy(ev.room, room, ROOM_IDLEN);
	memcpy(ev.author, by->pk, ROOM_KEYLEN);
	ev.seq = seq;
	ev.lamport = lamport;
	ev.epoch = epoch;
	ev.nparents = (uint8_t)np;
	if (np != 0)
		memcpy(ev.parents, parents, np * ROOM_HASHLEN);
	len = room_event_encode(
	    &ev, plain, n, key, by->sk, NULL, out, sizeof out);
	assert_int_not_equal(len, 0);
	return pool_add(out, len);
}

static void
id_of(size_t i, uint8_t id[ROOM_HASHLEN])
{
	struct room_event ev;
	const char *why;

	assert_int_equal(
	    room_event_decode(pool.raw[i], pool.len[i], &ev, &why), 0);
	memcpy(id, ev.id, ROOM_HASHLEN);
}

/* History as a list of ids. */
struct hist {
	uint8_t ids[8192][ROOM_HASHLEN];
	uint64_t lamport[8192];
	size_t n;
};

static int
hist_cb(void *arg, const uint8_t *raw, size_t len, const struct room_event *ev)
{
	struct hist *h = arg;

	(void)raw;
	(void)len;
	memcpy(h->ids[h->n], ev->id, ROOM_HASHLEN);
	h->lamport[h->n++] = ev->lamport;
	return 0;
}

static struct hist h1, h2;

static void
history_equal(const struct node *a, const struct node *b)
{
	h1.n = h2.n = 0;
	room_log_history(a->log, hist_cb, &h1);
	room_log_history(b->log, hist_cb, &h2);
	assert_int_equal(h1.n, h2.n);
	assert_memory_equal(h1.ids, h2.ids, h1.n * ROOM_HASHLEN);
}

static void
test_basic(void **state)
{
	struct node c, x, y;
	struct node *m[2] = { &x, &y };
	struct room_member_view v;
	uint8_t heads[8][ROOM_HASHLEN], e[ROOM_KEYLEN];
	size_t a, b, i;

	(void)state;
	node_init(&c, 1);
	node_init(&x, 2);
	node_init(&y, 3);
	setup_room(&c, m, 2);
	assert_int_equal(room_log_count(x.log), 3);
	assert_string_equal(room_log_name(x.log, NULL), "test");
	assert_int_equal(room_log_creator(y.log, e), 0);
	assert_memory_equal(e, c.pk, ROOM_KEYLEN);
	for (i = 0; room_log_member(x.log, i, &v) == 0; i++)
		assert_true(v.active);
	assert_int_equal(i, 3);

	/* Concurrent messages: two heads, then one event joins them. */
	a = write_msg(&x, "from x");
	b = write_msg(&y, "from y");
	feed(&x, b);
	feed(&y, a);
	feed(&c, a);
	feed(&c, b);
	assert_int_equal(room_log_heads(c.log, heads, 8), 2);
	history_equal(&x, &y);
	history_equal(&x, &c);
	a = write_msg(&c, "both seen");
	assert_int_equal(room_log_heads(c.log, heads, 8), 1);
	feed(&x, a);
	feed(&y, a);
	history_equal(&x, &y);
	assert_int_equal(x.n, 6);
	assert_int_equal(room_log_pending(x.log), 0);

	/* WANT answers, MEMBER statements. */
	{
		const uint8_t *raw;
		uint8_t noise[ROOM_KEYLEN], id[ROOM_HASHLEN];
		size_t len;

		id_of(a, id);
		assert_int_equal(room_log_get(x.log, id, &raw, &len), 0);
		assert_int_equal(len, pool.len[a]);
		assert_memory_equal(raw, pool.raw[a], len);
		id[0] ^= 1;
		assert_int_equal(room_log_get(x.log, id, &raw, &len), -1);
		memset(noise, y.pk[0], ROOM_KEYLEN); /* as write_add() */
		assert_int_equal(room_log_check_member(x.log, noise, y.pk), 1);
		assert_int_equal(room_log_check_member(x.log, noise, x.pk), -1);
		memset(noise, 0x99, ROOM_KEYLEN);
		assert_int_equal(room_log_check_member(x.log, noise, y.pk), -1);
		assert_int_equal(room_log_check_member(x.log, noise, noise), 0);
	}

	/* A reader without a key of its own cannot write. */
	{
		struct room_log *r = room_log_create(room, NULL, &ops, &x);
		struct room_body bd = { .kind = ROOM_LEAVE };
		uint8_t out[ROOM_EVENT_MAX];
		size_t len;
		char *cause;

		assert_int_equal(room_log_write(r, &bd, 0, x.sk, out,
		                     sizeof out, &len, &cause),
		    -1);
		free(cause);
		room_log_free(r);
	}
	node_free(&c);
	node_free(&x);
	node_free(&y);
	pool_free();
}

static void
test_duplicate_and_foreign(void **state)
{
	static const uint8_t other[ROOM_IDLEN] = { 9 };
	struct node c, x, o;
	struct room_log *l;
	enum room_rx rx;
	const char *why;
	char *cause;
	size_t a;

	(void)state;
	trio_init(&c, &x, &o);
	a = write_msg(&x, "once");
	feed_range(&o, 0, pool.n);
	assert_int_equal(o.n, 3);
	assert_int_equal(feed(&o, a), ROOM_RX_DUPLICATE);
	assert_int_equal(feed(&o, 0), ROOM_RX_DUPLICATE);
	assert_int_equal(o.n, 3);

	/* The same bytes replayed into another room: refused. */
	l = room_log_create(other, NULL, &ops, &o);
	assert_int_equal(
	    room_log_receive(l, pool.raw[0], pool.len[0], 0, &rx, &why, &cause),
	    0);
	assert_int_equal(rx, ROOM_RX_REFUSED);
	assert_non_null(why);
	room_log_free(l);

	/* A flipped bit: refused; the original still delivers. */
	pool.raw[a][pool.len[a] - 1] ^= 1;
	node_free(&o);
	node_init(&o, 4);
	feed_range(&o, 0, a);
	assert_int_equal(feed(&o, a), ROOM_RX_REFUSED);
	assert_non_null(strstr(last_why, "signature"));
	pool.raw[a][pool.len[a] - 1] ^= 1;
	assert_int_equal(feed(&o, a), ROOM_RX_DELIVERED);
	trio_free(&c, &x, &o);
}

static void
test_forged(void **state)
{
	struct node c, x, n, o;
	struct node *m[1] = { &x };
	uint8_t parent[1][ROOM_HASHLEN], child[1][ROOM_HASHLEN];
	size_t e1, e2, e3;

	(void)state;
	node_init(&c, 1);
	node_init(&x, 2);
	node_init(&n, 5); /* never added */
	node_init(&o, 4);
	setup_room(&c, m, 1);
	feed_range(&o, 0, pool.n);
	id_of(pool.n - 1, parent[0]);

	/* A stranger's well-signed event, and its child: refused both,
	 * the child without waiting. */
	e1 = craft(&n, ROOM_MSG, parent, 1, 1, 3, 0, key0, NULL);
	assert_int_equal(feed(&o, e1), ROOM_RX_REFUSED);
	assert_non_null(strstr(last_why, "not a member"));
	id_of(e1, child[0]);
	e2 = craft(&n, ROOM_MSG, child, 1, 2, 4, 0, key0, NULL);
	assert_int_equal(feed(&o, e2), ROOM_RX_REFUSED);
	assert_non_null(strstr(last_why, "refused event"));
	/* The other way round: the waiting child goes with its parent. */
	{
		struct node o2;

		node_init(&o2, 4);
		feed_range(&o2, 0, e1);
		assert_int_equal(feed(&o2, e2), ROOM_RX_PENDING);
		assert_int_equal(feed(&o2, e1), ROOM_RX_REFUSED);
		assert_int_equal(room_log_pending(o2.log), 0);
		assert_int_equal(feed(&o2, e2), ROOM_RX_REFUSED);
		node_free(&o2);
	}
	assert_int_equal(room_log_pending(o.log), 0);

	/* A member's events that break the rules: a wrong lamport, a
	 * skipped seq, another epoch, a key that does not open it, a
	 * second CREATE, a non-creator's REMOVE. */
	assert_int_equal(
	    feed(&o, craft(&x, ROOM_MSG, parent, 1, 1, 9, 0, key0, NULL)),
	    ROOM_RX_REFUSED);
	assert_non_null(strstr(last_why, "lamport"));
	assert_int_equal(
	    feed(&o, craft(&x, ROOM_MSG, parent, 1, 2, 3, 0, key0, NULL)),
	    ROOM_RX_REFUSED);
	assert_non_null(strstr(last_why, "next"));
	assert_int_equal(
	    feed(&o, craft(&x, ROOM_MSG, parent, 1, 1, 3, 1, key0, NULL)),
	    ROOM_RX_REFUSED); /* its past announces epoch 0 only */
	assert_non_null(strstr(last_why, "newest epoch"));
	{
		struct room_body b = { .kind = ROOM_REMOVE };

		/* x removes itself: only the creator may remove. */
		memcpy(b.who, x.pk, ROOM_KEYLEN);
		e3 = craft(&x, ROOM_REMOVE, parent, 1, 1, 3, 0, key0, &b);
	}
	node_free(&o);
	node_init(&o, 4);
	feed_range(&o, 0, 3);
	assert_int_equal(feed(&o, e3), ROOM_RX_REFUSED);
	assert_non_null(strstr(last_why, "only the creator"));
	/* x's event whose past lacks x's ADD (its parent: the CREATE). */
	{
		uint8_t create[1][ROOM_HASHLEN];

		id_of(0, create[0]);
		assert_int_equal(
		    feed(&o,
		        craft(&x, ROOM_MSG, create, 1, 1, 2, 0, key0, NULL)),
		    ROOM_RX_REFUSED);
		assert_non_null(strstr(last_why, "not a member"));
	}
	assert_int_equal(
	    feed(&o, craft(&x, ROOM_MSG, parent, 1, 1, 3, 0, key1, NULL)),
	    ROOM_RX_REFUSED); /* does not open with the epoch's key */
	assert_non_null(strstr(last_why, "does not open"));
	/* x's second event without its first in its past: a fork. */
	{
		uint8_t first[1][ROOM_HASHLEN];
		size_t e4 = craft(&x, ROOM_MSG, parent, 1, 1, 3, 0, key0, NULL);

		assert_int_equal(feed(&o, e4), ROOM_RX_DELIVERED);
		assert_int_equal(
		    feed(&o,
		        craft(&x, ROOM_MSG, parent, 1, 2, 3, 0, key0, NULL)),
		    ROOM_RX_REFUSED);
		assert_non_null(strstr(last_why, "next"));
		id_of(e4, first[0]);
		assert_int_equal(
		    feed(
		        &o, craft(&x, ROOM_MSG, first, 1, 2, 4, 0, key0, NULL)),
		    ROOM_RX_DELIVERED);
	}
	assert_int_equal(feed(&o, 0), ROOM_RX_DUPLICATE);
	{
		struct room_body b = { .kind = ROOM_CREATE };

		strcpy(b.name, "again");
		memcpy(b.salt, salt, ROOM_SALTLEN);
		room_key_commit(room, 0, key0, b.commit);
		assert_int_equal(
		    feed(
		        &o, craft(&c, ROOM_CREATE, NULL, 0, 1, 1, 0, key0, &b)),
		    ROOM_RX_EQUIVOCATION); /* (creator, 1) is the CREATE */
	}
	node_free(&c);
	node_free(&x);
	node_free(&n);
	node_free(&o);
	pool_free();
}

/* The rules of each kind, each broken alone. */
static void
test_kinds(void **state)
{
	struct node c, x, o;
	struct room_body b;
	uint8_t add[1][ROOM_HASHLEN], rm[1][ROOM_HASHLEN];
	size_t e;

	(void)state;
	trio_init(&c, &x, &o);
	feed_range(&o, 0, pool.n);
	id_of(pool.n - 1, add[0]);

	memset(&b, 0, sizeof b);
	b.kind = ROOM_REKEY;
	b.epoch = 1;
	assert_int_equal(
	    feed(&o, craft(&x, ROOM_REKEY, add, 1, 1, 3, 0, key0, &b)),
	    ROOM_RX_REFUSED);
	assert_non_null(strstr(last_why, "only the creator may rekey"));
	b.epoch = 2;
	assert_int_equal(
	    feed(&o, craft(&c, ROOM_REKEY, add, 1, 3, 3, 0, key0, &b)),
	    ROOM_RX_REFUSED);
	assert_non_null(strstr(last_why, "rekey epoch"));

	memset(&b, 0, sizeof b);
	b.kind = ROOM_REMOVE;
	memcpy(b.who, x.pk, ROOM_KEYLEN);
	b.last = 5; /* x has written nothing */
	assert_int_equal(
	    feed(&o, craft(&c, ROOM_REMOVE, add, 1, 3, 3, 0, key0, &b)),
	    ROOM_RX_REFUSED);
	assert_non_null(strstr(last_why, "bad room remove"));

	memset(&b, 0, sizeof b);
	b.kind = ROOM_ADD;
	memcpy(b.member.e, x.pk, ROOM_PREFIXLEN); /* same prefix, other key */
	assert_int_equal(
	    feed(&o, craft(&c, ROOM_ADD, add, 1, 3, 3, 0, key0, &b)),
	    ROOM_RX_REFUSED);
	assert_non_null(strstr(last_why, "prefix collides"));

	/* Removed, then added again: refused. */
	memset(&b, 0, sizeof b);
	b.kind = ROOM_REMOVE;
	memcpy(b.who, x.pk, ROOM_KEYLEN);
	e = craft(&c, ROOM_REMOVE, add, 1, 3, 3, 0, key0, &b);
	assert_int_equal(feed(&o, e), ROOM_RX_DELIVERED);
	id_of(e, rm[0]);
	memset(&b, 0, sizeof b);
	b.kind = ROOM_ADD;
	memcpy(b.member.e, x.pk, ROOM_KEYLEN);
	assert_int_equal(
	    feed(&o, craft(&c, ROOM_ADD, rm, 1, 4, 4, 0, key0, &b)),
	    ROOM_RX_REFUSED);
	assert_non_null(strstr(last_why, "added again"));
	trio_free(&c, &x, &o);
}

/* Only the key the room id names can create it; a wrong epoch 0 key
 * is dropped, not a reason to refuse the CREATE. */
static void
test_create(void **state)
{
	static const uint8_t wrong[ROOM_KEYLEN] = { 0xee };
	struct node c, n, o;
	struct room_body b;
	uint8_t k[ROOM_KEYLEN];
	char *cause;

	(void)state;
	node_init(&c, 1);
	node_init(&n, 5);
	write_create(&c);
	memset(&b, 0, sizeof b);
	b.kind = ROOM_CREATE;
	strcpy(b.name, "mine");
	memcpy(b.salt, salt, ROOM_SALTLEN);
	room_key_commit(room, 0, key0, b.commit);
	node_init(&o, 4);
	assert_int_equal(
	    feed(&o, craft(&n, ROOM_CREATE, NULL, 0, 1, 1, 0, key0, &b)),
	    ROOM_RX_REFUSED);
	assert_null(room_log_name(o.log, NULL));
	node_free(&o);

	memset(&o, 0, sizeof o);
	o.log = room_log_create(room, NULL, &ops, &o);
	assert_int_equal(room_log_add_key(o.log, 0, wrong, &cause), 0);
	assert_int_equal(feed(&o, 0), ROOM_RX_PENDING);
	assert_int_equal(room_log_key(o.log, 0, k), -1);
	assert_int_equal(room_log_add_key(o.log, 0, key0, &cause), 0);
	assert_int_equal(o.n, 1);
	assert_string_equal(room_log_name(o.log, NULL), "test");
	node_free(&o);
	node_free(&c);
	node_free(&n);
}

static void
test_equivocation(void **state)
{
	struct node c, x, x2, o, o2;
	struct node *m[1] = { &x };
	uint8_t id[ROOM_HASHLEN];
	struct room_member_view v;
	size_t a, b, i;

	(void)state;
	node_init(&c, 1);
	node_init(&x, 2);
	node_init(&x2, 2); /* the same key: a fork of x */
	node_init(&o, 4);
	node_init(&o2, 4);
	setup_room(&c, m, 1);
	feed_range(&x2, 0, pool.n);
	a = write_msg(&x, "one thing");
	b = write_msg(&x2, "another");
	feed_range(&o, 0, a + 1);
	assert_int_equal(feed(&o, b), ROOM_RX_EQUIVOCATION);
	assert_int_equal(o.equivocations, 1);
	id_of(a, id);
	assert_memory_equal(o.proof_first, id, ROOM_HASHLEN);
	for (i = 0; room_log_member(o.log, i, &v) == 0; i++)
		if (memcmp(v.info->e, x.pk, ROOM_KEYLEN) == 0)
			assert_true(v.flagged);
		else
			assert_false(v.flagged);
	/* The other order keeps the other one: the first seen wins. */
	feed_range(&o2, 0, a);
	assert_int_equal(feed(&o2, b), ROOM_RX_DELIVERED);
	assert_int_equal(feed(&o2, a), ROOM_RX_EQUIVOCATION);
	/* Again: still a no-op, still reported. */
	assert_int_equal(feed(&o2, a), ROOM_RX_EQUIVOCATION);
	assert_int_equal(o2.n, 3);
	/* Both waiting for their parents: the second is caught too. */
	node_free(&o2);
	node_init(&o2, 4);
	assert_int_equal(feed(&o2, a), ROOM_RX_PENDING);
	assert_int_equal(feed(&o2, b), ROOM_RX_EQUIVOCATION);
	feed_range(&o2, 0, a);
	assert_int_equal(o2.n, 3);
	assert_true(has(&o2, id));
	node_free(&c);
	node_free(&x);
	node_free(&x2);
	node_free(&o);
	node_free(&o2);
	pool_free();
}

static void
test_missing_parents(void **state)
{
	struct node c, x, o;
	uint8_t miss[4][ROOM_HASHLEN], id[ROOM_HASHLEN];
	size_t a, b;

	(void)state;
	trio_init(&c, &x, &o);
	a = write_msg(&x, "first");
	b = write_msg(&x, "second");
	feed_range(&o, 0, a);
	assert_int_equal(feed(&o, b), ROOM_RX_PENDING);
	assert_int_equal(feed(&o, b), ROOM_RX_DUPLICATE);
	assert_int_equal(room_log_pending(o.log), 1);
	assert_int_equal(room_log_missing(o.log, miss, 4), 1);
	id_of(a, id);
	assert_memory_equal(miss[0], id, ROOM_HASHLEN);
	assert_int_equal(feed(&o, a), ROOM_RX_DELIVERED);
	assert_int_equal(room_log_pending(o.log), 0);
	assert_int_equal(o.n, 4);
	assert_memory_equal(o.ids[2], id, ROOM_HASHLEN);
	trio_free(&c, &x, &o);
}

static void
test_pending_bound(void **state)
{
	struct node c, x, o;
	uint8_t miss[2][ROOM_HASHLEN];
	size_t first, i;

	(void)state;
	trio_init(&c, &x, &o);
	first = pool.n;
	for (i = 0; i < ROOM_PENDING_MAX + 2; i++)
		write_msg(&x, "flood");
	feed_range(&o, 0, first);
	for (i = first + 1; i < first + 1 + ROOM_PENDING_MAX; i++)
		assert_int_equal(feed(&o, i), ROOM_RX_PENDING);
	assert_int_equal(feed(&o, i), ROOM_RX_FULL);
	assert_int_equal(room_log_pending(o.log), ROOM_PENDING_MAX);
	assert_int_equal(room_log_missing(o.log, miss, 2), 1);
	/* The missing one lets the whole chain through, in order. */
	assert_int_equal(feed(&o, first), ROOM_RX_DELIVERED);
	assert_int_equal(room_log_pending(o.log), 0);
	assert_int_equal(o.n, first + 1 + ROOM_PENDING_MAX);
	assert_int_equal(feed(&o, i), ROOM_RX_DELIVERED);
	trio_free(&c, &x, &o);
}

/* Give b everything a has beyond b's version vector. */
static int
sync_cb(void *arg, const uint8_t *raw, size_t len, const struct room_event *ev)
{
	struct node *b = arg;
	enum room_rx rx;
	const char *why;
	char *cause;

	(void)ev;
	assert_int_equal(
	    room_log_receive(b->log, raw, len, 0, &rx, &why, &cause), 0);
	/* Sent in (lamport, id) order: never waits for a parent. */
	assert_int_equal(rx, ROOM_RX_DELIVERED);
	return 0;
}

static void
sync_to(struct node *a, struct node *b)
{
	struct room_vv v[ROOM_MEMBERS_MAX];
	size_t n = room_log_vv(b->log, v, ROOM_MEMBERS_MAX);

	room_log_since(a->log, v, n, sync_cb, b);
}

static void
test_causal_property(void **state)
{
	struct node c, x, y, *all[3] = { &c, &x, &y }, o;
	struct node *m[2] = { &x, &y };
	size_t order[1024], i, j, t, total, round;
	char text[32];

	(void)state;
	node_init(&c, 1);
	node_init(&x, 2);
	node_init(&y, 3);
	setup_room(&c, m, 2);
	/* 3 authors, 60 messages each, gossiping in random pairs. */
	for (i = 0; i < 180; i++) {
		snprintf(text, sizeof text, "message %zu", i);
		write_msg(all[rnd(3)], text);
		if (rnd(2) == 0) {
			j = rnd(3);
			sync_to(all[j], all[(j + 1 + rnd(2)) % 3]);
		}
	}
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			if (i != j)
				sync_to(all[i], all[j]);
	total = pool.n;
	assert_int_equal(room_log_count(c.log), total);
	history_equal(&c, &x);
	history_equal(&c, &y);
	/* Lamport strictly increases along the history's ties broken by
	 * id: check it is sorted. */
	for (i = 1; i < h1.n; i++)
		assert_true(h1.lamport[i - 1] < h1.lamport[i] ||
		    (h1.lamport[i - 1] == h1.lamport[i] &&
		        memcmp(h1.ids[i - 1], h1.ids[i], ROOM_HASHLEN) < 0));

	for (round = 0; round < 20; round++) {
		for (i = 0; i < total; i++)
			order[i] = i;
		for (i = total - 1; i > 0; i--) {
			j = rnd((uint32_t)i + 1);
			t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		node_init(&o, 9);
		for (i = 0; i < total; i++) {
			feed(&o, order[i]);
			if (rnd(8) == 0) /* and some duplicates */
				feed(&o, order[rnd((uint32_t)i + 1)]);
		}
		assert_int_equal(o.n, total);
		assert_int_equal(room_log_pending(o.log), 0);
		history_equal(&o, &c);
		node_free(&o);
	}
	node_free(&c);
	node_free(&x);
	node_free(&y);
	pool_free();
}

static void
test_kick(void **state)
{
	struct node c, x, y;
	struct node *m[2] = { &x, &y };
	struct room_body b;
	struct room_vv v[4];
	uint8_t heads[8][ROOM_HASHLEN], rm[1][ROOM_HASHLEN],
	    out[ROOM_EVENT_MAX];
	size_t late, remove, rekey, after, len, n, i;
	char *cause = NULL;

	(void)state;
	node_init(&c, 1);
	node_init(&x, 2);
	node_init(&y, 3);
	setup_room(&c, m, 2);
	feed(&c, write_msg(&x, "before"));
	/* x writes once more, but c does not see it before the REMOVE. */
	late = write_msg(&x, "concurrent");

	memset(&b, 0, sizeof b);
	b.kind = ROOM_REMOVE;
	memcpy(b.who, x.pk, ROOM_KEYLEN);
	n = room_log_vv(c.log, v, 4);
	for (i = 0; i < n; i++)
		if (memcmp(v[i].prefix, x.pk, ROOM_PREFIXLEN) == 0)
			b.last = v[i].seq;
	assert_int_equal(b.last, 1);
	remove = write_body(&c, &b);
	assert_int_equal(room_log_add_key(c.log, 1, key1, &cause), 0);
	memset(&b, 0, sizeof b);
	b.kind = ROOM_REKEY;
	b.epoch = 1;
	rekey = write_body(&c, &b);
	assert_int_equal(room_log_epoch(c.log), 1);
	after = write_msg(&c, "x cannot read this");

	/* No key for x after its removal; y gets it; x keeps epoch 0. */
	assert_false(room_log_key_allowed(c.log, x.pk, 1));
	assert_true(room_log_key_allowed(c.log, x.pk, 0));
	assert_true(room_log_key_allowed(c.log, y.pk, 1));
	assert_true(room_log_key_allowed(c.log, c.pk, 1));

	/* y: the message after the rekey waits for the key, which must
	 * match the REKEY's commitment. */
	feed_range(&y, 0, late);
	feed(&y, remove);
	/* A wrong key before its REKEY: taken, then dropped by it. */
	assert_int_equal(room_log_add_key(y.log, 1, key0, &cause), 0);
	feed(&y, rekey);
	assert_int_equal(room_log_key(y.log, 1, heads[0]), -1);
	assert_int_equal(feed(&y, after), ROOM_RX_PENDING);
	assert_int_equal(room_log_add_key(y.log, 1, key0, &cause), -1);
	free(cause);
	assert_int_equal(room_log_add_key(y.log, 1, key1, &cause), 0);
	assert_int_equal(room_log_pending(y.log), 0);
	id_of(after, rm[0]);
	assert_memory_equal(y.ids[y.n - 1], rm[0], ROOM_HASHLEN);
	/* x's event concurrent with its removal, beyond the cut-off: refused
	 * once the REMOVE is delivered. */
	assert_int_equal(feed(&y, late), ROOM_RX_REFUSED);
	assert_non_null(strstr(last_why, "after its author"));

	/* x, once it knows: cannot write; an event crafted after the
	 * REMOVE is refused (not a member), and one after the REKEY too
	 * (no key for the epoch it must use). */
	feed(&x, remove);
	assert_int_equal(
	    room_log_write(x.log, &(struct room_body){ .kind = ROOM_LEAVE }, 0,
	        x.sk, out, sizeof out, &len, &cause),
	    -1);
	free(cause);
	id_of(remove, rm[0]);
	assert_int_equal(
	    feed(&y, craft(&x, ROOM_MSG, rm, 1, 3, 6, 0, key0, NULL)),
	    ROOM_RX_REFUSED);
	assert_non_null(strstr(last_why, "after its author"));
	assert_int_equal(room_log_heads(y.log, heads, 8), 1);
	/* y's event after the REKEY in the old epoch: refused. */
	assert_int_equal(
	    feed(&y, craft(&y, ROOM_MSG, heads, 1, 1, 8, 0, key0, NULL)),
	    ROOM_RX_REFUSED);
	assert_non_null(strstr(last_why, "newest epoch"));
	assert_int_equal(
	    feed(&y, craft(&x, ROOM_MSG, heads, 1, 3, 8, 0, key0, NULL)),
	    ROOM_RX_REFUSED);
	assert_non_null(strstr(last_why, "after its author"));

	/* y leaves; its later events are refused. The creator cannot. */
	write_body(&y, &(struct room_body){ .kind = ROOM_LEAVE });
	feed(&c, pool.n - 1);
	assert_false(room_log_key_allowed(c.log, y.pk, 2));
	assert_int_equal(
	    room_log_write(c.log, &(struct room_body){ .kind = ROOM_LEAVE }, 0,
	        c.sk, out, sizeof out, &len, &cause),
	    -1);
	free(cause);
	node_free(&c);
	node_free(&x);
	node_free(&y);
	pool_free();
}

static void
test_deliver_fails(void **state)
{
	struct node c, x, o;
	enum room_rx rx;
	const char *why;
	char *cause = NULL;
	size_t a;

	(void)state;
	trio_init(&c, &x, &o);
	a = write_msg(&x, "m");
	feed_range(&o, 0, a);
	o.fail = 1;
	assert_int_equal(room_log_receive(o.log, pool.raw[a], pool.len[a], 0,
	                     &rx, &why, &cause),
	    -1);
	assert_non_null(cause);
	free(cause);
	{
		uint8_t id[ROOM_HASHLEN];

		id_of(a, id);
		assert_false(room_log_has(o.log, id));
	}
	o.fail = 0;
	assert_int_equal(feed(&o, a), ROOM_RX_DELIVERED);
	/* Loading from storage does not deliver again. */
	node_free(&o);
	node_init(&o, 4);
	for (a = 0; a < pool.n; a++)
		assert_int_equal(room_log_receive(o.log, pool.raw[a],
		                     pool.len[a], 1, &rx, &why, &cause),
		    0);
	assert_int_equal(o.n, 0);
	assert_int_equal(room_log_count(o.log), pool.n);
	trio_free(&c, &x, &o);
}

int
main(void)
{
	uint8_t pk[ROOM_KEYLEN], sk[ROOM_SKLEN], seed[32];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_basic, teardown),
		cmocka_unit_test_teardown(test_duplicate_and_foreign, teardown),
		cmocka_unit_test_teardown(test_forged, teardown),
		cmocka_unit_test_teardown(test_kinds, teardown),
		cmocka_unit_test_teardown(test_create, teardown),
		cmocka_unit_test_teardown(test_equivocation, teardown),
		cmocka_unit_test_teardown(test_missing_parents, teardown),
		cmocka_unit_test_teardown(test_pending_bound, teardown),
		cmocka_unit_test_teardown(test_causal_property, teardown),
		cmocka_unit_test_teardown(test_kick, teardown),
		cmocka_unit_test_teardown(test_deliver_fails, teardown),
	};

	memset(seed, 1, sizeof seed); /* as node_init(.., 1) */
	room_keypair(pk, sk, seed);
	room_id_derive(pk, salt, room);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
