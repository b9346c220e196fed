/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Coin flips, dice and picks (doc/PROTOCOL.md section 7.7).
 *
 * Each flip goes through
 *
 *   initiator (A):  start: COMMIT sent -> RESPONSE: REVEAL sent -> DONE
 *   responder (B):  COMMIT: RESPONSE sent -> REVEAL: DONE or CHEATED
 *
 * and from PENDING to ABANDONED on a timeout (FLIP_TIMEOUT_MS, armed when
 * the flip starts on each side) or when the connection it was made on
 * goes (flip_peer_down(), or a session id that changed). Finished flips
 * move from the pending list to the done list, which keeps the last
 * FLIP_KEEP for /flips.
 *
 * Invariants:
 * - A flip belongs to the session it started on: its session id is in
 *   the commitment, and it is abandoned when the peer's session changes.
 * - Flip ids are 16 random bytes; one flip id names one flip per peer.
 *   A COMMIT reusing an id we know, a RESPONSE or REVEAL for a flip that
 *   is not waiting for it, or a RESPONSE whose draw differs from the
 *   COMMIT's is a protocol error. A late RESPONSE or REVEAL for a flip
 *   we abandoned is ignored: the peer may have sent it before our timer
 *   fired.
 * - Sending may close the connection, which abandons the peer's flips
 *   (and may evict finished ones) from inside engine_send_msg(): after a
 *   failed send, a flip is looked up again by id, never used by pointer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "engine.h"
#include "feature.h"
#include "flip.h"
#include "ident.h"
#include "loop.h"
#include "proto.h"
#include "util.h"
#include "xmalloc.h"

#define FLIP_LABEL_COMMIT "p2ptui flip commit v1"
#define FLIP_LABEL_RESULT "p2ptui flip result v1"
#define FLIP_LABEL_STREAM "p2ptui flip stream v1"
#define FLIP_SEED_LEN 64

struct flip_entry {
	struct flip pub; /* first: a struct flip * is a struct flip_entry * */
	struct flips *f;
	TAILQ_ENTRY(flip_entry) entry;
	struct loop_timer *timer;
};
TAILQ_HEAD(flip_list, flip_entry);

struct flips {
	struct engine *eng;
	struct flip_list pending; /* in the order they started */
	struct flip_list done; /* in the order they ended */
	size_t ndone;
	unsigned timeout_ms;
};

struct flips *
flip_create(struct engine *eng)
{
	struct flips *f = xcalloc(1, sizeof *f);

	f->eng = eng;
	TAILQ_INIT(&f->pending);
	TAILQ_INIT(&f->done);
	f->timeout_ms = FLIP_TIMEOUT_MS;
	return f;
}

static void
flip_entry_free(struct flip_entry *e)
{
	if (e->timer != NULL)
		loop_timer_del(e->timer);
	ident_wipe(e, sizeof *e);
	free(e);
}

void
flip_free(struct flips *f)
{
	struct flip_entry *e;

	if (f == NULL)
		return;
	while ((e = TAILQ_FIRST(&f->pending)) != NULL) {
		TAILQ_REMOVE(&f->pending, e, entry);
		flip_entry_free(e);
	}
	while ((e = TAILQ_FIRST(&f->done)) != NULL) {
		TAILQ_REMOVE(&f->done, e, entry);
		flip_entry_free(e);
	}
	free(f);
}

void
flip_set_timeout(struct flips *f, unsigned ms)
{
	f->timeout_ms = ms;
}

/* --- the protocol's pure parts ------------------------------------------ */

static uint32_t
flip_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

void
flip_commitment(const uint8_t sid[FLIP_SID_LEN],
    const uint8_t id[PROTO_FLIP_ID_LEN], const uint8_t key_a[IDENT_KEYLEN],
    const uint8_t key_b[IDENT_KEYLEN], const uint8_t *draw, size_t drawlen,
    const uint8_t a[PROTO_FLIP_VALUE_LEN], uint8_t out[PROTO_FLIP_VALUE_LEN])
{
	const struct ident_part parts[] = {
		{ FLIP_LABEL_COMMIT, sizeof FLIP_LABEL_COMMIT - 1 },
		{ sid, FLIP_SID_LEN },
		{ id, PROTO_FLIP_ID_LEN },
		{ key_a, IDENT_KEYLEN },
		{ key_b, IDENT_KEYLEN },
		{ draw, drawlen },
		{ a, PROTO_FLIP_VALUE_LEN },
	};

	ident_hash(
	    out, PROTO_FLIP_VALUE_LEN, parts, sizeof parts / sizeof parts[0]);
}

int
flip_reduce(uint32_t x, unsigned bits, uint32_t n, uint32_t *v)
{
	uint64_t range = (uint64_t)1 << bits;

	/* Accept the largest multiple of n values: each residue then has
	 * exactly range / n of them. */
	if (n == 0 || (uint64_t)x >= range - range % n)
		return 0;
	*v = x % n;
	return 1;
}

/* The random stream: BLAKE2b-512(label || seed || counter:u32) blocks. */
struct flip_stream {
	uint8_t seed[FLIP_SEED_LEN];
	uint8_t block[64];
	uint32_t counter;
	size_t pos;
};

static uint32_t
flip_stream_word(struct flip_stream *s)
{
	uint8_t ctr[4];
	struct ident_part parts[] = {
		{ FLIP_LABEL_STREAM, sizeof FLIP_LABEL_STREAM - 1 },
		{ s->seed, sizeof s->seed },
		{ ctr, sizeof ctr },
	};
	uint32_t x;

	if (s->pos == sizeof s->block) {
		ctr[0] = (uint8_t)(s->counter >> 24);
		ctr[1] = (uint8_t)(s->counter >> 16);
		ctr[2] = (uint8_t)(s->counter >> 8);
		ctr[3] = (uint8_t)s->counter;
		ident_hash(s->block, sizeof s->block, parts,
		    sizeof parts / sizeof parts[0]);
		s->counter++;
		s->pos = 0;
	}
	x = flip_get32(s->block + s->pos);
	s->pos += 4;
	return x;
}

/* A uniform value in [0, n): rejection sampling over the stream. */
static uint32_t
flip_stream_uniform(struct flip_stream *s, uint32_t n)
{
	uint32_t v;

	while (!flip_reduce(flip_stream_word(s), 32, n, &v))
		continue;
	return v;
}

void
flip_outcome(struct flip *fl, const uint8_t key_a[IDENT_KEYLEN],
    const uint8_t key_b[IDENT_KEYLEN])
{
	uint8_t draw[PROTO_DRAW_MAX];
	size_t drawlen = proto_draw_encode(&fl->draw, draw, sizeof draw);
	const struct ident_part parts[] = {
		{ FLIP_LABEL_RESULT, sizeof FLIP_LABEL_RESULT - 1 },
		{ fl->sid, FLIP_SID_LEN },
		{ fl->id, PROTO_FLIP_ID_LEN },
		{ key_a, IDENT_KEYLEN },
		{ key_b, IDENT_KEYLEN },
		{ draw, drawlen },
		{ fl->a, PROTO_FLIP_VALUE_LEN },
		{ fl->b, PROTO_FLIP_VALUE_LEN },
	};
	struct flip_stream s;
	unsigned i;

	memset(&s, 0, sizeof s);
	ident_hash(
	    s.seed, sizeof s.seed, parts, sizeof parts / sizeof parts[0]);
	s.pos = sizeof s.block;
	memset(fl->result, 0, sizeof fl->result);
	fl->sum = 0;
	switch (fl->draw.kind) {
	case PROTO_DRAW_COIN:
		fl->result[0] = (uint16_t)flip_stream_uniform(&s, 2);
		break;
	case PROTO_DRAW_DICE:
		for (i = 0; i < fl->draw.count; i++) {
			fl->result[i] = (uint16_t)(1 +
			    flip_stream_uniform(&s, fl->draw.sides));
			fl->sum += fl->result[i];
		}
		break;
	case PROTO_DRAW_PICK:
		fl->result[0] =
		    (uint16_t)flip_stream_uniform(&s, fl->draw.noptions);
		break;
	}
	ident_wipe(&s, sizeof s);
}

/* --- command syntax ------------------------------------------------------ */

int
flip_is_dice(const char *w)
{
	size_t n = strspn(w, "0123456789");

	if (w[n] != 'd' && w[n] != 'D')
		return 0;
	w += n + 1;
	n = strspn(w, "0123456789");
	return n > 0 && w[n] == '\0';
}

/* Digits to a number, saturating well above any bound. */
static unsigned
flip_number(const char *s, size_t n)
{
	unsigned v = 0;

	for (; n > 0; s++, n--) {
		v = v * 10 + (unsigned)(*s - '0');
		if (v > 100000)
			v = 100000;
	}
	return v;
}

int
flip_parse_dice(const char *w, struct proto_draw *d, char **cause)
{
	size_t n;
	unsigned count, sides;

	if (!flip_is_dice(w)) {
		*cause =
		    xasprintf("'%s' is not dice: write NdM, such as 2d6", w);
		return -1;
	}
	n = strspn(w, "0123456789");
	count = n == 0 ? 1 : flip_number(w, n);
	sides = flip_number(w + n + 1, strlen(w + n + 1));
	if (count < 1 || count > PROTO_DICE_MAX || sides < PROTO_SIDES_MIN ||
	    sides > PROTO_SIDES_MAX) {
		*cause = xasprintf("%s: roll 1 to %d dice of %d to %d sides", w,
		    PROTO_DICE_MAX, PROTO_SIDES_MIN, PROTO_SIDES_MAX);
		return -1;
	}
	memset(d, 0, sizeof *d);
	d->kind = PROTO_DRAW_DICE;
	d->count = (uint8_t)count;
	d->sides = (uint16_t)sides;
	return 0;
}

int
flip_parse_pick(const char *text, struct proto_draw *d, char **cause)
{
	const char *s = text, *e, *end;
	size_t n;

	memset(d, 0, sizeof *d);
	d->kind = PROTO_DRAW_PICK;
	for (;;) {
		end = s + strcspn(s, "|");
		e = end;
		s += strspn(s, " \t");
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		n = (size_t)(e - s);
		if (d->noptions == PROTO_PICK_MAX) {
			*cause = xasprintf(
			    "a pick has at most %d options", PROTO_PICK_MAX);
			return -1;
		}
		if (n == 0) {
			*cause = xstrdup("an option is empty: write "
			                 "/pick A | B | C");
			return -1;
		}
		if (n > PROTO_OPTION_MAX) {
			*cause = xasprintf("option '%.*s' is longer than %d "
			                   "bytes",
			    (int)n, s, PROTO_OPTION_MAX);
			return -1;
		}
		if (!util_utf8_printable((const uint8_t *)s, n)) {
			*cause = xasprintf("option %u is not printable UTF-8",
			    d->noptions + 1);
			return -1;
		}
		memcpy(d->options[d->noptions], s, n);
		d->options[d->noptions][n] = '\0';
		d->noptions++;
		if (*end == '\0')
			break;
		s = end + 1;
	}
	if (d->noptions < PROTO_PICK_MIN) {
		*cause = xstrdup("a pick needs at least 2 options: write "
		                 "/pick A | B | C");
		return -1;
	}
	return 0;
}

/* --- flips in progress ---------------------------------------------------- */

static int64_t
flip_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The keys in protocol order: the initiator's first. */
static void
flip_keys(const struct flips *f, const struct flip *fl, const uint8_t **ka,
    const uint8_t **kb)
{
	const uint8_t *own = engine_own_key(f->eng);

	*ka = fl->local ? own : fl->peer_key;
	*kb = fl->local ? fl->peer_key : own;
}

/* Tell the frontend; one without a flip callback gets a notice. */
static void
flip_report(struct flips *f, struct flip_entry *e)
{
	const struct fe_ops *fe;
	enum fe_level level;
	char text[4096];
	void *arg;

	fe = engine_fe(f->eng, &arg);
	if (fe->flip != NULL) {
		fe->flip(arg, e->pub.peer, &e->pub);
		return;
	}
	switch (e->pub.state) {
	case FLIP_CHEATED:
		level = FE_ERROR;
		break;
	case FLIP_ABANDONED:
		level = FE_WARN;
		break;
	default:
		level = FE_INFO;
		break;
	}
	flip_describe(&e->pub, text, sizeof text);
	fe->notice(arg, e->pub.peer, level, text);
}

static struct flip_entry *
flip_lookup(struct flip_list *list, const struct peer *p, const uint8_t *id)
{
	struct flip_entry *e;

	TAILQ_FOREACH(e, list, entry)
	{
		if (e->pub.peer == p &&
		    memcmp(e->pub.id, id, PROTO_FLIP_ID_LEN) == 0)
			return e;
	}
	return NULL;
}

/* Flips in progress with p, started by us (local) or by them. */
static size_t
flip_count(const struct flips *f, const struct peer *p, int local)
{
	const struct flip_entry *e;
	size_t n = 0;

	TAILQ_FOREACH(e, &f->pending, entry)
	{
		if (e->pub.peer == p && e->pub.local == local)
			n++;
	}
	return n;
}

/* The flip is over: keep it for inspection, tell the frontend. */
static void
flip_finish(struct flip_entry *e, enum flip_state state, enum flip_end end)
{
	struct flips *f = e->f;
	struct flip_entry *old;

	if (e->timer != NULL)
		loop_timer_del(e->timer);
	e->timer = NULL;
	e->pub.state = state;
	e->pub.end = end;
	e->pub.ended_ms = flip_wall_ms();
	TAILQ_REMOVE(&f->pending, e, entry);
	TAILQ_INSERT_TAIL(&f->done, e, entry);
	f->ndone++;
	flip_report(f, e);
	while (f->ndone > FLIP_KEEP) {
		old = TAILQ_FIRST(&f->done);
		TAILQ_REMOVE(&f->done, old, entry);
		f->ndone--;
		flip_entry_free(old);
	}
}

static void
flip_expired(void *arg)
{
	struct flip_entry *e = arg;
	const uint8_t *sid = engine_session_id(e->pub.peer);

	e->timer = NULL;
	/* Its connection was replaced: the peer could not answer. */
	if (sid == NULL || memcmp(sid, e->pub.sid, FLIP_SID_LEN) != 0)
		flip_finish(e, FLIP_ABANDONED, FLIP_END_DISCONNECTED);
	else
		flip_finish(e, FLIP_ABANDONED,
		    e->pub.local ? FLIP_END_NO_RESPONSE : FLIP_END_NO_REVEAL);
}

/* Abandon p's flips made on a connection that is not its current one. */
static void
flip_sweep(struct flips *f, struct peer *p)
{
	const uint8_t *sid = engine_session_id(p);
	struct flip_entry *e, *next;

	for (e = TAILQ_FIRST(&f->pending); e != NULL; e = next) {
		next = TAILQ_NEXT(e, entry);
		if (e->pub.peer == p &&
		    (sid == NULL || memcmp(e->pub.sid, sid, FLIP_SID_LEN) != 0))
			flip_finish(e, FLIP_ABANDONED, FLIP_END_DISCONNECTED);
	}
}

static struct flip_entry *
flip_new(struct flips *f, struct peer *p, const uint8_t *sid, int local,
    const struct proto_draw *draw)
{
	struct flip_entry *e = xcalloc(1, sizeof *e);

	e->f = f;
	e->pub.peer = p;
	snprintf(e->pub.peer_name, sizeof e->pub.peer_name, "%s", p->name);
	memcpy(e->pub.peer_key, p->key, IDENT_KEYLEN);
	e->pub.local = local;
	e->pub.draw = *draw;
	e->pub.state = FLIP_PENDING;
	memcpy(e->pub.sid, sid, FLIP_SID_LEN);
	e->pub.started_ms = flip_wall_ms();
	return e;
}

/* Add a new flip to those in progress, arm its timer, report it. */
static void
flip_add(struct flips *f, struct flip_entry *e)
{
	TAILQ_INSERT_TAIL(&f->pending, e, entry);
	e->timer =
	    loop_timer_add(engine_loop(f->eng), f->timeout_ms, flip_expired, e);
	flip_report(f, e);
}

/* After a failed send: abandon the flip if closing did not already. */
static void
flip_send_failed(struct flips *f, struct peer *p, const uint8_t *id)
{
	struct flip_entry *e = flip_lookup(&f->pending, p, id);

	if (e != NULL)
		flip_finish(e, FLIP_ABANDONED, FLIP_END_DISCONNECTED);
}

int
flip_start(struct flips *f, struct peer *p, const struct proto_draw *draw,
    char **cause)
{
	uint8_t enc[PROTO_DRAW_MAX];
	const uint8_t *sid, *ka, *kb;
	struct flip_entry *e;
	struct proto_msg m;
	size_t n;

	if (p->state != PEER_ONLINE || (sid = engine_session_id(p)) == NULL) {
		*cause =
		    xasprintf("%s is %s", p->name, peer_state_name(p->state));
		return -1;
	}
	if ((n = proto_draw_encode(draw, enc, sizeof enc)) == 0) {
		*cause = xstrdup("that cannot be drawn");
		return -1;
	}
	flip_sweep(f, p);
	if (flip_count(f, p, 1) >= FLIP_MAX_STARTED) {
		*cause = xasprintf("%d flips with %s are in progress already: "
		                   "wait for one to end",
		    FLIP_MAX_STARTED, p->name);
		return -1;
	}
	e = flip_new(f, p, sid, 1, draw);
	do
		ident_random(e->pub.id, PROTO_FLIP_ID_LEN);
	while (flip_lookup(&f->pending, p, e->pub.id) != NULL ||
	    flip_lookup(&f->done, p, e->pub.id) != NULL);
	ident_random(e->pub.a, PROTO_FLIP_VALUE_LEN);
	flip_keys(f, &e->pub, &ka, &kb);
	flip_commitment(
	    sid, e->pub.id, ka, kb, enc, n, e->pub.a, e->pub.commitment);

	memset(&m, 0, sizeof m);
	m.type = PROTO_FLIP_COMMIT;
	memcpy(m.u.flip.id, e->pub.id, PROTO_FLIP_ID_LEN);
	memcpy(m.u.flip.value, e->pub.commitment, PROTO_FLIP_VALUE_LEN);
	m.u.flip.draw = enc;
	m.u.flip.drawlen = n;
	/* Not listed yet: a failed send leaves nothing to abandon. */
	if (engine_send_msg(f->eng, p, &m, cause) == -1) {
		flip_entry_free(e);
		return -1;
	}
	flip_add(f, e);
	return 0;
}

/* The peer starts a flip: answer with our contribution b. */
static int
flip_on_commit(struct flips *f, struct peer *p, const struct proto_msg *m,
    const char **why)
{
	uint8_t id[PROTO_FLIP_ID_LEN];
	struct proto_draw draw;
	struct flip_entry *e;
	struct proto_msg r;
	char *cause;

	if (flip_lookup(&f->pending, p, m->u.flip.id) != NULL ||
	    flip_lookup(&f->done, p, m->u.flip.id) != NULL) {
		*why = "flip id used twice";
		return -1;
	}
	if (flip_count(f, p, 0) >= FLIP_MAX_ACCEPTED) {
		*why = "too many flips in progress";
		return -1;
	}
	if (proto_draw_decode(m->u.flip.draw, m->u.flip.drawlen, &draw, why) ==
	    -1)
		return -1;
	e = flip_new(f, p, engine_session_id(p), 0, &draw);
	memcpy(e->pub.id, m->u.flip.id, PROTO_FLIP_ID_LEN);
	memcpy(e->pub.commitment, m->u.flip.value, PROTO_FLIP_VALUE_LEN);
	ident_random(e->pub.b, PROTO_FLIP_VALUE_LEN);
	e->pub.has_b = 1;
	flip_add(f, e);

	memset(&r, 0, sizeof r);
	r.type = PROTO_FLIP_RESPONSE;
	memcpy(r.u.flip.id, e->pub.id, PROTO_FLIP_ID_LEN);
	memcpy(r.u.flip.value, e->pub.b, PROTO_FLIP_VALUE_LEN);
	r.u.flip.draw = m->u.flip.draw;
	r.u.flip.drawlen = m->u.flip.drawlen;
	memcpy(id, e->pub.id, sizeof id);
	if (engine_send_msg(f->eng, p, &r, &cause) == -1) {
		/* The connection is closed and reported already. */
		free(cause);
		flip_send_failed(f, p, id);
	}
	return 0;
}

/* Is there a flip with this id that we abandoned? Then ignore. */
static int
flip_was_abandoned(struct flips *f, struct peer *p, const uint8_t *id)
{
	struct flip_entry *e = flip_lookup(&f->done, p, id);

	return e != NULL && e->pub.state == FLIP_ABANDONED;
}

/* The peer's contribution to our flip: reveal a, and the result. */
static int
flip_on_response(struct flips *f, struct peer *p, const struct proto_msg *m,
    const char **why)
{
	uint8_t enc[PROTO_DRAW_MAX], id[PROTO_FLIP_ID_LEN];
	const uint8_t *ka, *kb;
	struct flip_entry *e;
	struct proto_msg r;
	char *cause;
	size_t n;

	e = flip_lookup(&f->pending, p, m->u.flip.id);
	if (e == NULL || !e->pub.local) {
		if (e == NULL && flip_was_abandoned(f, p, m->u.flip.id))
			return 0;
		*why = "unexpected flip response";
		return -1;
	}
	n = proto_draw_encode(&e->pub.draw, enc, sizeof enc);
	if (m->u.flip.drawlen != n || memcmp(m->u.flip.draw, enc, n) != 0) {
		*why = "flip response for another draw";
		return -1;
	}
	memcpy(e->pub.b, m->u.flip.value, PROTO_FLIP_VALUE_LEN);
	e->pub.has_b = 1;
	flip_keys(f, &e->pub, &ka, &kb);
	flip_outcome(&e->pub, ka, kb);

	memset(&r, 0, sizeof r);
	r.type = PROTO_FLIP_REVEAL;
	memcpy(r.u.flip.id, e->pub.id, PROTO_FLIP_ID_LEN);
	memcpy(r.u.flip.value, e->pub.a, PROTO_FLIP_VALUE_LEN);
	memcpy(id, e->pub.id, sizeof id);
	if (engine_send_msg(f->eng, p, &r, &cause) == -1) {
		/* They will not learn the result: neither do we. */
		free(cause);
		flip_send_failed(f, p, id);
		return 0;
	}
	e->pub.has_a = 1;
	flip_finish(e, FLIP_DONE, FLIP_END_NONE);
	return 0;
}

/* The peer reveals a for its flip: check it against the commitment. */
static int
flip_on_reveal(struct flips *f, struct peer *p, const struct proto_msg *m,
    const char **why)
{
	uint8_t enc[PROTO_DRAW_MAX], expect[PROTO_FLIP_VALUE_LEN];
	const uint8_t *ka, *kb;
	struct flip_entry *e;
	size_t n;
	int ok;

	e = flip_lookup(&f->pending, p, m->u.flip.id);
	if (e == NULL || e->pub.local) {
		if (e == NULL && flip_was_abandoned(f, p, m->u.flip.id))
			return 0;
		*why = "unexpected flip reveal";
		return -1;
	}
	memcpy(e->pub.a, m->u.flip.value, PROTO_FLIP_VALUE_LEN);
	e->pub.has_a = 1;
	flip_keys(f, &e->pub, &ka, &kb);
	n = proto_draw_encode(&e->pub.draw, enc, sizeof enc);
	flip_commitment(
	    e->pub.sid, e->pub.id, ka, kb, enc, n, e->pub.a, expect);
	ok = ident_mem_equal(expect, e->pub.commitment, sizeof expect);
	if (!ok) {
		flip_finish(e, FLIP_CHEATED, FLIP_END_NONE);
		return 0;
	}
	flip_outcome(&e->pub, ka, kb);
	flip_finish(e, FLIP_DONE, FLIP_END_NONE);
	return 0;
}

int
flip_handle(struct flips *f, struct peer *p, const struct proto_msg *m,
    const char **why)
{
	if (engine_session_id(p) == NULL) {
		*why = "flip without a session";
		return -1;
	}
	flip_sweep(f, p);
	switch (m->type) {
	case PROTO_FLIP_COMMIT:
		return flip_on_commit(f, p, m, why);
	case PROTO_FLIP_RESPONSE:
		return flip_on_response(f, p, m, why);
	case PROTO_FLIP_REVEAL:
		return flip_on_reveal(f, p, m, why);
	default:
		*why = "unknown flip message";
		return -1;
	}
}

void
flip_peer_down(struct flips *f, struct peer *p)
{
	struct flip_entry *e, *next;

	for (e = TAILQ_FIRST(&f->pending); e != NULL; e = next) {
		next = TAILQ_NEXT(e, entry);
		if (e->pub.peer == p)
			flip_finish(e, FLIP_ABANDONED, FLIP_END_DISCONNECTED);
	}
}

/* --- for frontends ---------------------------------------------------------
 */

const struct flip *
flip_next(const struct flips *f, const struct flip *prev)
{
	const struct flip_entry *e = (const struct flip_entry *)prev;

	if (e == NULL)
		e = TAILQ_FIRST(&f->done);
	else if (e->pub.state == FLIP_PENDING)
		return (const struct flip *)TAILQ_NEXT(e, entry);
	else
		e = TAILQ_NEXT(e, entry);
	if (e == NULL)
		e = TAILQ_FIRST(&f->pending);
	return (const struct flip *)e;
}

const struct flip *
flip_find(const struct flips *f, const char *prefix, int *ambiguous)
{
	static const char hex[] = "0123456789abcdef";
	const struct flip *fl, *found = NULL;
	size_t len = strlen(prefix), i;

	*ambiguous = 0;
	if (len < 4 || len > 2 * PROTO_FLIP_ID_LEN ||
	    strspn(prefix, hex) != len)
		return NULL;
	for (fl = flip_next(f, NULL); fl != NULL; fl = flip_next(f, fl)) {
		for (i = 0; i < len; i++) {
			if (prefix[i] !=
			    hex[(fl->id[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 15])
				break;
		}
		if (i < len)
			continue;
		if (found != NULL) {
			*ambiguous = 1;
			return NULL;
		}
		found = fl;
	}
	return found;
}

const char *
flip_state_name(enum flip_state state)
{
	switch (state) {
	case FLIP_PENDING:
		return "pending";
	case FLIP_DONE:
		return "done";
	case FLIP_CHEATED:
		return "cheated";
	case FLIP_ABANDONED:
		return "abandoned";
	}
	return "?";
}

const char *
flip_end_name(enum flip_end end)
{
	switch (end) {
	case FLIP_END_NO_RESPONSE:
		return "no-response";
	case FLIP_END_NO_REVEAL:
		return "no-reveal";
	case FLIP_END_DISCONNECTED:
		return "disconnected";
	default:
		return "";
	}
}

void
flip_draw_name(const struct proto_draw *d, char *buf, size_t len)
{
	switch (d->kind) {
	case PROTO_DRAW_COIN:
		snprintf(buf, len, "coin");
		break;
	case PROTO_DRAW_DICE:
		snprintf(buf, len, "%ud%u", d->count, d->sides);
		break;
	case PROTO_DRAW_PICK:
		snprintf(buf, len, "pick:%u", d->noptions);
		break;
	default:
		snprintf(buf, len, "?");
		break;
	}
}

/* Append to buf (holding len bytes, *off used) without overflowing. */
static void flip_cat(char *buf, size_t len, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
flip_cat(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*off = (size_t)n >= len - *off ? len : *off + (size_t)n;
}

/*
 * Short enough for a line of a few hundred bytes: the options of a pick
 * if they take at most this many bytes, and each die of at most this
 * many dice (/flips #ID shows everything).
 */
#define FLIP_DESCRIBE_OPTIONS 160
#define FLIP_DESCRIBE_DICE 20

void
flip_describe(const struct flip *fl, char *buf, size_t len)
{
	const struct proto_draw *d = &fl->draw;
	const char *name = fl->peer_name;
	size_t off = 0, n;
	unsigned i;

	if (len == 0)
		return;
	buf[0] = '\0';
	switch (d->kind) {
	case PROTO_DRAW_COIN:
		flip_cat(buf, len, &off, "coin flip");
		break;
	case PROTO_DRAW_DICE:
		flip_cat(buf, len, &off, "roll of %ud%u", d->count, d->sides);
		break;
	case PROTO_DRAW_PICK:
		for (i = 0, n = 0; i < d->noptions; i++)
			n += strlen(d->options[i]) + 3;
		if (n > FLIP_DESCRIBE_OPTIONS) {
			flip_cat(buf, len, &off, "pick from %u options",
			    d->noptions);
			break;
		}
		flip_cat(buf, len, &off, "pick from");
		for (i = 0; i < d->noptions; i++)
			flip_cat(buf, len, &off, "%s%s", i == 0 ? " " : " | ",
			    d->options[i]);
		break;
	}
	flip_cat(buf, len, &off, " with %s (%s started): ", name,
	    fl->local ? "you" : name);
	switch (fl->state) {
	case FLIP_PENDING:
		flip_cat(buf, len, &off, "waiting for %s", name);
		break;
	case FLIP_DONE:
		switch (d->kind) {
		case PROTO_DRAW_COIN:
			flip_cat(buf, len, &off, "%s",
			    fl->result[0] == 0 ? "heads" : "tails");
			break;
		case PROTO_DRAW_DICE:
			flip_cat(buf, len, &off, "%u", fl->sum);
			if (d->count == 1 || d->count > FLIP_DESCRIBE_DICE)
				break;
			for (i = 0; i < d->count; i++)
				flip_cat(buf, len, &off, "%s%u",
				    i == 0 ? " (" : " + ", fl->result[i]);
			flip_cat(buf, len, &off, ")");
			break;
		case PROTO_DRAW_PICK:
			flip_cat(buf, len, &off, "%s",
			    d->options[fl->result[0] % PROTO_PICK_MAX]);
			break;
		}
		flip_cat(buf, len, &off, ", verified");
		break;
	case FLIP_CHEATED:
		flip_cat(buf, len, &off,
		    "CHEATING: %s's reveal does not match its commitment; "
		    "no result",
		    name);
		break;
	case FLIP_ABANDONED:
		switch (fl->end) {
		case FLIP_END_NO_RESPONSE:
			flip_cat(buf, len, &off,
			    "abandoned: %s did not answer in time", name);
			break;
		case FLIP_END_NO_REVEAL:
			flip_cat(buf, len, &off,
			    "abandoned: %s did not reveal in time", name);
			break;
		default:
			flip_cat(
			    buf, len, &off, "abandoned: the connection closed");
			break;
		}
		break;
	}
}

/* --- the feature ------------------------------------------------------------
 */

static void *
flip_feature_create(struct engine *eng, char **cause)
{
	(void)cause;
	return flip_create(eng);
}

static void
flip_feature_free(void *state)
{
	flip_free(state);
}

static int
flip_feature_message(
    void *state, struct peer *p, const struct proto_msg *m, const char **why)
{
	return flip_handle(state, p, m, why);
}

static void
flip_feature_offline(void *state, struct peer *p)
{
	flip_peer_down(state, p);
}

const struct feature flip_feature = {
	.name = "flip",
	.type_lo = PROTO_FLIP_FIRST,
	.type_hi = PROTO_FLIP_LAST,
	.create = flip_feature_create,
	.free = flip_feature_free,
	.message = flip_feature_message,
	.offline = flip_feature_offline,
};

struct flips *
flip_of(const struct engine *eng)
{
	return engine_feature(eng, &flip_feature);
}
