/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The headless frontend: commands on stdin, one a line, in the syntax of
 * the TUI input line; events on stdout, one a line:
 *
 *   EVENT [FIELD ...] [TEXT]
 *
 * Fields never contain spaces. TEXT, always last, is escaped so that an
 * event is one line whatever a peer sends: backslash as \\, and any
 * control character as \n, \t or \xHH; a bidirectional control as
 * <U+202E> (util_bidi_at()), so it cannot reorder what a terminal shows. The
 * format is stable and documented in p2ptui(1) under HEADLESS MODE.
 *
 * Output accumulates in memory (hl_out, never stdout) and is written
 * before the loop sleeps, in writes of whole lines of at most PIPE_BUF
 * bytes (atomic on a pipe: a kill -9 leaves no half line), so a burst of
 * messages costs few writes. After each write the received messages in
 * it are recorded as shown (engine_shown()): a crash shows a message
 * again at the next start only if it struck between the two, and never
 * loses one that was stored.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "buf.h"
#include "cmd.h"
#include "conf.h"
#include "engine.h"
#include "fe_mux.h"
#include "flip.h"
#include "ident.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "room.h"
#include "swarm.h"
#include "util.h"
#include "xfer.h"
#include "xmalloc.h"

#define HEADLESS_LINE_MAX 65536
#define HEADLESS_READ (256 * 1024) /* bytes of input read at once */
/* Events go to hl_out: stdio's stdout would overtake those held there. */
#pragma GCC poison printf putchar puts

static FILE *hl_out; /* the events of this iteration */
static char *hl_obuf;
static size_t hl_olen;
/* Where each received message's line ends in hl_obuf, and its rowid. */
static struct hl_mark {
	size_t end;
	int64_t rowid;
} * hl_marks;
static size_t hl_nmarks;

struct headless {
	struct app *app;
	struct cmd_ctx ctx;
	struct loop_watch *watch;
	struct buf in;
	int discarding; /* inside an overlong line */
	char listen[80]; /* for /myid */
};

static void
hl_text(const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;
	size_t i, run = 0, k;
	uint32_t cp;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c == 0xe2 || c == 0xd8) &&
		    (k = util_bidi_at(s + i, len - i, &cp)) > 0) {
			fwrite(s + run, 1, i - run, hl_out);
			fprintf(hl_out, "<U+%04X>", (unsigned)cp);
			i += k - 1;
			run = i + 1;
			continue;
		}
		if (c != '\\' && c >= 0x20 && c != 0x7f)
			continue;
		/* Write the run of plain bytes before it in one go. */
		fwrite(s + run, 1, i - run, hl_out);
		run = i + 1;
		if (c == '\\')
			fputs("\\\\", hl_out);
		else if (c == '\n')
			fputs("\\n", hl_out);
		else if (c == '\t')
			fputs("\\t", hl_out);
		else {
			fputs("\\x", hl_out);
			putc(hex[c >> 4], hl_out);
			putc(hex[c & 15], hl_out);
		}
	}
	fwrite(s + run, 1, len - run, hl_out);
}

static void
hl_event_text(
    const char *event, const char *fields, const char *text, size_t len)
{
	fputs(event, hl_out);
	if (fields != NULL && *fields != '\0') {
		putc(' ', hl_out);
		fputs(fields, hl_out);
	}
	if (text != NULL) {
		putc(' ', hl_out);
		hl_text(text, len);
	}
	putc('\n', hl_out);
}

static void
hl_ready(void *arg, const char *addr)
{
	struct headless *hl = arg;
	char fp[IDENT_FP_LEN + 1];

	ident_fingerprint(hl->app->id->pk, fp);
	snprintf(hl->listen, sizeof hl->listen, "%s", addr);
	fprintf(hl_out, "ready %s %s\n", fp, addr);
}

static void
hl_peer_changed(void *arg, struct peer *p)
{
	char fp[IDENT_FP_LEN + 1];
	enum peer_state old;

	(void)arg;
	/* fe_data holds the last state reported, plus one. */
	old = p->fe_data != NULL ? (enum peer_state)((intptr_t)p->fe_data - 1)
	                         : PEER_OFFLINE;
	p->fe_data = (void *)(intptr_t)(p->state + 1);
	if (old == p->state)
		return;
	if (p->has_key)
		ident_fingerprint(p->key, fp);
	else
		strcpy(fp, "-");
	switch (p->state) {
	case PEER_ONLINE:
		fprintf(hl_out, "online %s %s %s %s\n", p->name, fp,
		    p->remote_addr,
		    engine_peer_route(p) != NULL ? engine_peer_route(p)
		                                 : "direct");
		break;
	case PEER_REQUEST:
		fprintf(hl_out, "request %s %s %s\n", p->name, fp,
		    p->remote_addr[0] != '\0' ? p->remote_addr : "-");
		break;
	case PEER_WAITING:
		fprintf(hl_out, "waiting %s %s\n", p->name, fp);
		break;
	default:
		if (old == PEER_ONLINE)
			fprintf(hl_out, "offline %s %s\n", p->name, fp);
		break;
	}
}

static void
hl_peer_removed(void *arg, struct peer *p)
{
	(void)arg;
	fprintf(hl_out, "removed %s\n", p->name);
}

static void
hl_message(void *arg, struct peer *p, int outgoing, const uint8_t id[16],
    int64_t time_ms, const char *text, size_t len)
{
	char hex[2 * PROTO_ID_LEN + 1];
	size_t act;

	(void)time_ms;
	util_hex(id, PROTO_ID_LEN, hex);
	if (outgoing)
		fprintf(hl_out, "sent %s %s\n", p->name, hex);
	else if ((act = proto_action((const uint8_t *)text, len)) != 0) {
		fprintf(hl_out, "action %s ", p->name);
		hl_text(text + act, len - act);
		putc('\n', hl_out);
	} else {
		fprintf(hl_out, "msg %s ", p->name);
		hl_text(text, len);
		putc('\n', hl_out);
	}
	if (!outgoing && ((struct headless *)arg)->app->engine != NULL) {
		hl_marks =
		    xreallocarray(hl_marks, hl_nmarks + 1, sizeof *hl_marks);
		hl_marks[hl_nmarks].end = (size_t)ftello(hl_out);
		hl_marks[hl_nmarks++].rowid =
		    engine_handed(((struct headless *)arg)->app->engine);
	}
}

static void
hl_delivered(void *arg, struct peer *p, const uint8_t id[16])
{
	char hex[2 * PROTO_ID_LEN + 1];

	(void)arg;
	util_hex(id, PROTO_ID_LEN, hex);
	fprintf(hl_out, "delivered %s %s\n", p->name, hex);
}

static void
hl_notice(void *arg, struct peer *p, enum fe_level level, const char *text)
{
	(void)arg;
	(void)p;
	hl_event_text(fe_level_name(level), NULL, text, strlen(text));
}

/*
 * flip NAME ID WHO STATE DRAW [RESULT]: WHO is local or remote (who
 * started it); RESULT is heads or tails, SUM V1,V2,..., or INDEX TEXT
 * (the option chosen, from 1) when done, and the reason when abandoned.
 */
static void
hl_flip(void *arg, struct peer *p, const struct flip *fl)
{
	char hex[2 * PROTO_FLIP_ID_LEN + 1], draw[32];
	const char *opt;
	unsigned i;

	(void)arg;
	util_hex(fl->id, PROTO_FLIP_ID_LEN, hex);
	flip_draw_name(&fl->draw, draw, sizeof draw);
	fprintf(hl_out, "flip %s %s %s %s %s", p->name, hex,
	    fl->local ? "local" : "remote", flip_state_name(fl->state), draw);
	if (fl->state == FLIP_ABANDONED)
		fprintf(hl_out, " %s", flip_end_name(fl->end));
	if (fl->state != FLIP_DONE) {
		putc('\n', hl_out);
		return;
	}
	switch (fl->draw.kind) {
	case PROTO_DRAW_COIN:
		fputs(fl->result[0] == 0 ? " heads" : " tails", hl_out);
		break;
	case PROTO_DRAW_DICE:
		fprintf(hl_out, " %u ", fl->sum);
		for (i = 0; i < fl->draw.count; i++)
			fprintf(hl_out, i == 0 ? "%u" : ",%u", fl->result[i]);
		break;
	case PROTO_DRAW_PICK:
		opt = fl->draw.options[fl->result[0] % PROTO_PICK_MAX];
		fprintf(hl_out, " %u ", fl->result[0] + 1);
		hl_text(opt, strlen(opt));
		break;
	}
	putc('\n', hl_out);
}

/*
 * file NAME NUM DIR STATE BYTES SIZE FILENAME, on every report (progress
 * included); DIR is in or out, FILENAME escaped as text. A received file
 * once saved adds: saved NAME NUM PATH; a transfer the peer stopped for
 * a reason other than its user's: info NAME stopped FILENAME (#NUM):
 * REASON.
 */
static void
hl_xfer(void *arg, struct peer *p, const struct xfer *x, int changed)
{
	char *why;

	(void)arg;
	fprintf(hl_out, "file %s %lld %s %s %llu %llu ", p->name,
	    (long long)x->num, x->outgoing ? "out" : "in",
	    xfer_state_name(x->state), (unsigned long long)x->bytes,
	    (unsigned long long)x->size);
	hl_text(x->name, strlen(x->name));
	putc('\n', hl_out);
	/* The reason the peer gave, when the state does not say it. */
	if (changed && x->state == XFER_CANCELLED && x->by_peer &&
	    x->reason > PROTO_CANCEL_DECLINED) {
		why = xasprintf("%s stopped %s (#%lld): %s", p->name, x->name,
		    (long long)x->num, proto_cancel_text((uint8_t)x->reason));
		hl_event_text("info", NULL, why, strlen(why));
		free(why);
	}
	if (changed && x->state == XFER_DONE && !x->outgoing &&
	    x->path != NULL) {
		fprintf(hl_out, "saved %s %lld ", p->name, (long long)x->num);
		hl_text(x->path, strlen(x->path));
		putc('\n', hl_out);
	}
}

/*
 * A room file download (swarm.h): file swarm NUM in STATE BYTES SIZE
 * FILENAME SOURCES, the form of a transfer's with "swarm" for the peer
 * and the number of sources last; once saved: saved swarm NUM PATH.
 */
static void
hl_swarm(void *arg, const struct swarm_report *r, int changed)
{
	(void)arg;
	fprintf(hl_out, "file swarm %lld in %s %llu %llu ", (long long)r->num,
	    r->state, (unsigned long long)r->bytes,
	    (unsigned long long)r->size);
	hl_text(r->name, strlen(r->name));
	fprintf(hl_out, " %zu\n", r->sources);
	if (changed && r->done) {
		fprintf(hl_out, "saved swarm %lld ", (long long)r->num);
		hl_text(r->path, strlen(r->path));
		putc('\n', hl_out);
	}
}

/*
 * joined #NAME ROOMID, rmsg #NAME FROM TEXT, member #NAME add|leave|remove
 * WHO, denied #NAME REASON.
 */
static void
hl_room(void *arg, const struct room_report *rep)
{
	char hex[2 * ROOM_IDLEN + 1], *f;

	(void)arg;
	switch (rep->kind) {
	case ROOM_REP_JOINED:
		util_hex(rep->id, ROOM_IDLEN, hex);
		fprintf(hl_out, "joined #%s %s\n", rep->name, hex);
		break;
	case ROOM_REP_MSG:
		f = xasprintf("#%s %s", rep->name, rep->who);
		hl_event_text("rmsg", f, rep->text, rep->len);
		free(f);
		break;
	case ROOM_REP_MEMBER:
		f = xasprintf("#%s %s", rep->name, rep->what);
		hl_event_text("member", f, rep->who, strlen(rep->who));
		free(f);
		break;
	case ROOM_REP_DENIED:
		f = xasprintf("#%s", rep->name);
		hl_event_text("denied", f, rep->what, strlen(rep->what));
		free(f);
		break;
	default:
		break;
	}
}

static void
hl_event(void *arg, const char *line)
{
	(void)arg;
	fprintf(hl_out, "%s\n", line);
}

static const struct fe_ops hl_ops = {
	.ready = hl_ready,
	.peer_changed = hl_peer_changed,
	.peer_removed = hl_peer_removed,
	.message = hl_message,
	.delivered = hl_delivered,
	.notice = hl_notice,
	.flip = hl_flip,
	.xfer = hl_xfer,
	.room = hl_room,
	.event = hl_event,
	.swarm = hl_swarm,
};

static void
hl_reply(void *arg, enum fe_level level, const char *text)
{
	hl_notice(arg, NULL, level, text);
}

static int
hl_xdigit(char c)
{
	if (!isxdigit((unsigned char)c))
		return -1;
	return isdigit((unsigned char)c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

/*
 * Undo hl_text() in place, so a script can send what it was sent (a
 * multi-line message): \\, \n, \t and \xHH; a backslash before anything
 * else stays as it is. Returns the new length.
 */
static size_t
hl_unescape(char *s, size_t len)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] != '\\' || i + 1 == len) {
			s[o++] = s[i];
			continue;
		}
		switch (s[i + 1]) {
		case '\\':
			s[o++] = '\\';
			i++;
			continue;
		case 'n':
			s[o++] = '\n';
			i++;
			continue;
		case 't':
			s[o++] = '\t';
			i++;
			continue;
		case 'x':
			if (i + 3 < len && (hi = hl_xdigit(s[i + 2])) != -1 &&
			    (lo = hl_xdigit(s[i + 3])) != -1) {
				s[o++] = (char)(hi << 4 | lo);
				i += 3;
				continue;
			}
			break;
		}
		s[o++] = s[i];
	}
	s[o] = '\0';
	return o;
}

static void
hl_line(struct headless *hl, char *line, size_t len)
{
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len == 0)
		return;
	if (memchr(line, '\0', len) != NULL) {
		hl_reply(hl, FE_ERROR, "input line contains a NUL byte");
		return;
	}
	len = hl_unescape(line, len);
	if (memchr(line, '\0', len) != NULL) {
		hl_reply(
		    hl, FE_ERROR, "input line contains a NUL byte (\\x00)");
		return;
	}
	cmd_execute(&hl->ctx, line);
}

static void
hl_stdin(int fd, int revents, void *arg)
{
	struct headless *hl = arg;
	uint8_t *nl, *start;
	ssize_t n;
	size_t len;

	(void)revents;
	/* A big bite: the lines of one read are one transaction of the
	 * store (one fsync), so a script's burst costs fewer of them. */
	n = read(fd, buf_reserve(&hl->in, HEADLESS_READ), HEADLESS_READ);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* End of input: process a last unterminated line, quit. */
		if (!hl->discarding && buf_used(&hl->in) > 0) {
			buf_append(&hl->in, "", 1);
			hl_line(hl, (char *)buf_head(&hl->in),
			    buf_used(&hl->in) - 1);
		}
		buf_consume(&hl->in, buf_used(&hl->in));
		loop_watch_del(hl->watch);
		hl->watch = NULL;
		app_quit(hl->app, 0);
		return;
	}
	buf_commit(&hl->in, (size_t)n);
	while ((start = buf_head(&hl->in),
	           nl = memchr(start, '\n', buf_used(&hl->in))) != NULL) {
		len = (size_t)(nl - start);
		*nl = '\0';
		if (!hl->discarding && len > HEADLESS_LINE_MAX) {
			hl_reply(hl, FE_ERROR, "input line too long: ignored");
			hl->discarding = 1;
		}
		if (!hl->discarding)
			hl_line(hl, (char *)start, len);
		hl->discarding = 0;
		buf_consume(&hl->in, len + 1);
		if (hl->watch == NULL)
			return; /* /quit */
	}
	if (buf_used(&hl->in) > HEADLESS_LINE_MAX) {
		if (!hl->discarding)
			hl_reply(hl, FE_ERROR, "input line too long: ignored");
		hl->discarding = 1;
		buf_consume(&hl->in, buf_used(&hl->in));
	}
}

static void
hl_out_open(void)
{
	hl_obuf = NULL;
	hl_olen = 0;
	if ((hl_out = open_memstream(&hl_obuf, &hl_olen)) == NULL)
		fatal("open_memstream: %s", strerror(errno));
}

/* Write all of buf; -1 with errno if stdout failed. */
static int
hl_write_all(const char *buf, size_t len)
{
	struct pollfd pfd = { .fd = STDOUT_FILENO, .events = POLLOUT };
	size_t off = 0;
	ssize_t n;

	while (off < len) {
		n = write(STDOUT_FILENO, buf + off, len - off);
		if (n >= 0)
			off += (size_t)n;
		else if (errno == EAGAIN)
			(void)poll(&pfd, 1, -1);
		else if (errno != EINTR)
			return -1;
	}
	return 0;
}

/*
 * Write the events of this iteration, whole lines at most PIPE_BUF bytes
 * at a time (a longer line alone), recording the received messages
 * written after each write; -1 with errno if stdout failed.
 */
static int
hl_out_write(struct engine *eng)
{
	size_t off = 0, end, m = 0;
	const char *nl;
	int ret = 0;

	if (fflush(hl_out) == EOF)
		fatal("headless output: %s", strerror(errno));
	while (off < hl_olen) {
		end = off + PIPE_BUF < hl_olen ? off + PIPE_BUF : hl_olen;
		if (end < hl_olen) {
			nl = memrchr(hl_obuf + off, '\n', end - off);
			if (nl == NULL)
				nl = memchr(hl_obuf + end, '\n', hl_olen - end);
			end = nl != NULL ? (size_t)(nl - hl_obuf) + 1 : hl_olen;
		}
		if (hl_write_all(hl_obuf + off, end - off) == -1) {
			ret = -1;
			break;
		}
		off = end;
		while (m < hl_nmarks && hl_marks[m].end <= off)
			m++;
		if (m > 0 && eng != NULL)
			engine_shown(eng, hl_marks[m - 1].rowid);
	}
	fclose(hl_out);
	free(hl_obuf);
	hl_nmarks = 0;
	hl_out_open();
	return ret;
}

static void
hl_flush(void *arg)
{
	struct headless *hl = arg;

	if (hl_out_write(hl->app->engine) == -1 && errno == EPIPE)
		app_quit(hl->app, 1);
}

/* A message received before a crash and never shown: shown now. */
static int
hl_unshown(void *arg, struct peer *p, const struct engine_line *l)
{
	hl_message(arg, p, 0, l->id, l->sent_ms, l->text, l->len);
	return 0;
}

int
headless_run(struct app *app, char **cause)
{
	struct headless hl;
	int ret = 0;

	memset(&hl, 0, sizeof hl);
	hl.app = app;
	buf_init(&hl.in);
	hl.ctx.app = app;
	hl.ctx.reply = hl_reply;
	hl.ctx.arg = &hl;
	hl.ctx.listen = hl.listen;
	hl_out_open();

	app->engine = app_engine_create(app, &hl_ops, &hl, cause);
	if (app->engine == NULL) {
		ret = -1;
		goto out;
	}
	if (engine_start(app->engine, cause) == -1) {
		ret = -1;
		goto out;
	}
	if (engine_unshown(app->engine, hl_unshown, &hl, cause) == -1) {
		ret = -1;
		goto out;
	}
	hl.watch =
	    loop_watch_add(app->loop, STDIN_FILENO, POLLIN, hl_stdin, &hl);
	loop_set_before_sleep(app->loop, hl_flush, &hl);
	if (loop_run(app->loop) == -1) {
		*cause = xasprintf("poll: %s", strerror(errno));
		ret = -1;
	}
	engine_shutdown(app->engine, 2000);
	/* Show, flush and record what the last iteration received, so it
	 * is not shown again at the next start. */
	if (hl.watch != NULL)
		loop_watch_del(hl.watch);
	hl.watch = NULL;
	loop_once(app->loop, 0);
out:
	if (hl.watch != NULL)
		loop_watch_del(hl.watch);
	loop_set_before_sleep(app->loop, NULL, NULL);
	app_engine_free(app);
	(void)hl_out_write(NULL);
	fclose(hl_out);
	free(hl_obuf);
	hl_out = NULL;
	free(hl_marks);
	hl_marks = NULL;
	buf_free(&hl.in);
	return ret;
}
