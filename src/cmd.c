/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The command table and its handlers. Handlers parse their own
 * arguments, call the engine, and report through ctx->reply; they never
 * print. A peer argument is a name, a fingerprint, or a unique prefix of
 * a fingerprint (4 characters at least), as engine_find_peer() takes it.
 * A transfer argument is its number, #N. A command may be abbreviated to
 * a unique prefix of its name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "cmd_int.h"
#include "conf.h"
#include "fmt.h"
#include "loop.h"
#include "net.h"
#include "proto.h"
#include "rdv.h"
#include "util.h"
#include "xmalloc.h"

void
cmd_reply(struct cmd_ctx *ctx, enum fe_level level, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	ctx->reply(ctx->arg, level, s);
	free(s);
}

/* Report an engine failure and return -1. */
int
cmd_fail(struct cmd_ctx *ctx, char *cause)
{
	cmd_reply(ctx, FE_ERROR, "%s", cause);
	free(cause);
	return -1;
}

/* Split the next word off *args into a new string; NULL if none. */
char *
cmd_word(const char **args)
{
	const char *s = *args, *e;

	s += strspn(s, " \t");
	if (*s == '\0')
		return NULL;
	e = s + strcspn(s, " \t");
	*args = e + strspn(e, " \t");
	return xstrndup(s, (size_t)(e - s));
}

/* The peer named by the next word, or the current one if none. */
struct peer *
cmd_peer(struct cmd_ctx *ctx, const char **args, int required)
{
	struct peer *p;
	char *w = cmd_word(args);

	if (w == NULL) {
		if (ctx->current == NULL || required)
			cmd_reply(ctx, FE_ERROR,
			    "which peer? Give a name or "
			    "a fingerprint");
		return required ? NULL : ctx->current;
	}
	if ((p = engine_find_peer(ctx->app->engine, w)) == NULL)
		cmd_reply(ctx, FE_ERROR, "no peer '%s' (see /peers)", w);
	free(w);
	return p;
}

int
cmd_no_more(struct cmd_ctx *ctx, const char *args, const char *name)
{
	if (*args == '\0')
		return 0;
	cmd_reply(ctx, FE_ERROR, "/%s: unexpected '%s'", name, args);
	return -1;
}

/* /register NAME and /lookup NAME (rdv.c): the answers come later. */
static int
cmd_rdv_name(struct cmd_ctx *ctx, const char *args, const char *usage,
    int (*fn)(struct engine *, const char *, char **))
{
	char *name = cmd_word(&args), *cause;
	int r;

	if (name == NULL || *args != '\0') {
		free(name);
		cmd_reply(ctx, FE_ERROR, "usage: %s", usage);
		return -1;
	}
	r = fn(ctx->app->engine, name, &cause);
	free(name);
	return r == -1 ? cmd_fail(ctx, cause) : 0;
}

static int
cmd_register(struct cmd_ctx *ctx, const char *args)
{
	return cmd_rdv_name(ctx, args, "/register NAME", rdv_register);
}

static int
cmd_lookup(struct cmd_ctx *ctx, const char *args)
{
	return cmd_rdv_name(ctx, args, "/lookup NAME", rdv_lookup);
}

static int
cmd_who(struct cmd_ctx *ctx, const char *args)
{
	char *cause;

	if (cmd_no_more(ctx, args, "who") == -1)
		return -1;
	if (rdv_who(ctx->app->engine, &cause) == -1)
		return cmd_fail(ctx, cause);
	return 0;
}

/* /connect HOST:PORT, /connect PEER (a word without ':'), or /connect
 * @NAME (through the rendezvous server). */
static int
cmd_connect(struct cmd_ctx *ctx, const char *args)
{
	char *where = cmd_word(&args), *cause;
	struct peer *p;
	int r;

	if (where == NULL || *args != '\0') {
		free(where);
		cmd_reply(
		    ctx, FE_ERROR, "usage: /connect HOST:PORT, PEER or @NAME");
		return -1;
	}
	if (where[0] == '@') {
		r = rdv_connect(ctx->app->engine, where + 1, &cause);
		free(where);
		return r == -1 ? cmd_fail(ctx, cause) : 0;
	}
	if (strchr(where, ':') == NULL) {
		if ((p = engine_find_peer(ctx->app->engine, where)) == NULL)
			cmd_reply(ctx, FE_ERROR,
			    "no peer '%s' (see /peers); an address is "
			    "HOST:PORT",
			    where);
		free(where);
		if (p == NULL)
			return -1;
		if (engine_connect_peer(ctx->app->engine, p, &cause) == -1)
			return cmd_fail(ctx, cause);
		cmd_reply(ctx, FE_INFO, "connecting to %s at %s", p->name,
		    p->address);
		return 0;
	}
	if (engine_connect(ctx->app->engine, where, &cause) == -1) {
		free(where);
		return cmd_fail(ctx, cause);
	}
	cmd_reply(ctx, FE_INFO, "connecting to %s", where);
	free(where);
	return 0;
}

/*
 * The peer /accept or /decline without arguments answers: the selected
 * one, else the only contact request waiting. NULL if there is none or
 * several (the reason is replied).
 */
static struct peer *
cmd_request_peer(struct cmd_ctx *ctx, const char **args)
{
	struct engine *eng = ctx->app->engine;
	struct peer *p, *found = NULL;
	size_t i, n = 0;

	if (ctx->current != NULL || (*args)[strspn(*args, " \t")] != '\0')
		return cmd_peer(ctx, args, 0);
	for (i = 0; i < engine_npeers(eng); i++) {
		p = engine_peer(eng, i);
		if (p->state == PEER_REQUEST) {
			found = p;
			n++;
		}
	}
	if (n == 1)
		return found;
	if (n == 0)
		cmd_reply(ctx, FE_ERROR,
		    "no contact request is waiting: name a peer or #N");
	else
		cmd_reply(ctx, FE_ERROR,
		    "%zu contact requests are waiting: name the peer (see "
		    "/peers)",
		    n);
	return NULL;
}

/* /accept [PEER | #N]: a contact request, else the peer's newest offer. */
static int
cmd_accept(struct cmd_ctx *ctx, const char *args)
{
	struct peer *p;
	char *cause;

	if (args[strspn(args, " \t")] == '#')
		return cmd_offer_answer(ctx, args, 1);
	p = cmd_request_peer(ctx, &args);
	if (p == NULL || cmd_no_more(ctx, args, "accept") == -1)
		return -1;
	if (p->state != PEER_REQUEST)
		return cmd_offer_of(ctx, p, 1);
	if (engine_accept(ctx->app->engine, p, &cause) == -1)
		return cmd_fail(ctx, cause);
	rdv_accepted(ctx->app->engine, p);
	return 0;
}

static int
cmd_decline(struct cmd_ctx *ctx, const char *args)
{
	struct peer *p;
	char *cause;

	if (args[strspn(args, " \t")] == '#')
		return cmd_offer_answer(ctx, args, 0);
	p = cmd_request_peer(ctx, &args);
	if (p == NULL || cmd_no_more(ctx, args, "decline") == -1)
		return -1;
	if (p->state != PEER_REQUEST)
		return cmd_offer_of(ctx, p, 0);
	if (ctx->current == p)
		ctx->current = NULL;
	if (engine_decline(ctx->app->engine, p, &cause) == -1)
		return cmd_fail(ctx, cause);
	return 0;
}

static int
cmd_trust(struct cmd_ctx *ctx, const char *args)
{
	struct peer *p = cmd_peer(ctx, &args, 1);
	char *cause;

	if (p == NULL || cmd_no_more(ctx, args, "trust") == -1)
		return -1;
	if (engine_trust(ctx->app->engine, p, &cause) == -1)
		return cmd_fail(ctx, cause);
	return 0;
}

static int
cmd_disconnect(struct cmd_ctx *ctx, const char *args)
{
	struct peer *p = cmd_peer(ctx, &args, 0);
	char *cause;

	if (p == NULL || cmd_no_more(ctx, args, "disconnect") == -1)
		return -1;
	if (engine_disconnect(ctx->app->engine, p, &cause) == -1)
		return cmd_fail(ctx, cause);
	return 0;
}

/* /rename [PEER] NAME: with one word, the selected peer. */
static int
cmd_rename(struct cmd_ctx *ctx, const char *args)
{
	char *w1 = cmd_word(&args), *w2 = cmd_word(&args), *cause;
	struct peer *p;
	int ret = -1;

	if (w1 == NULL || *args != '\0') {
		cmd_reply(ctx, FE_ERROR, "usage: /rename [PEER] NAME");
		goto out;
	}
	if ((p = cmd_peer_named(ctx, w2 != NULL ? w1 : NULL)) == NULL)
		goto out;
	if (engine_rename(ctx->app->engine, p, w2 != NULL ? w2 : w1, &cause) ==
	    -1)
		cmd_fail(ctx, cause);
	else
		ret = 0;
out:
	free(w1);
	free(w2);
	return ret;
}

/* /nick NAME: the rest of the line, blanks around it removed. */
static int
cmd_nick(struct cmd_ctx *ctx, const char *args)
{
	char *nick, *cause;
	size_t n, told;

	args += strspn(args, " \t");
	n = strlen(args);
	while (n > 0 && (args[n - 1] == ' ' || args[n - 1] == '\t'))
		n--;
	if (n == 0) {
		cmd_reply(ctx, FE_INFO, "you are %s: /nick NAME changes it",
		    engine_nick(ctx->app->engine));
		return 0;
	}
	nick = xstrndup(args, n);
	if (engine_set_nick(ctx->app->engine, nick, &told, &cause) == -1) {
		free(nick);
		return cmd_fail(ctx, cause);
	}
	cmd_reply(ctx, FE_INFO,
	    "you are now known as %s (told %zu online peer%s; the others "
	    "learn it when they next connect)",
	    nick, told, told == 1 ? "" : "s");
	free(nick);
	return 0;
}

/*
 * Send text to p, as several messages if it is longer than max_message:
 * cut at spaces or newlines (util_text_cut); each part of an action
 * (PROTO_ACTION, "/me ") is an action too.
 */
static int
cmd_send(struct cmd_ctx *ctx, struct peer *p, const char *text)
{
	size_t max = (size_t)ctx->app->conf->max_message, len, n, off, next;
	size_t pre;
	char *cause, *part;
	int r;

	len = strlen(text);
	pre = proto_action((const uint8_t *)text, len);
	if (text[pre + strspn(text + pre, " \n")] == '\0') {
		cmd_reply(ctx, FE_ERROR, "nothing to send");
		return -1;
	}
	for (off = pre; off < len; off += next) {
		n = util_text_cut(text + off, len - off, max - pre, &next);
		part =
		    xasprintf("%.*s%.*s", (int)pre, text, (int)n, text + off);
		r = engine_send(
		    ctx->app->engine, p, part, strlen(part), NULL, &cause);
		free(part);
		if (r == -1)
			return cmd_fail(ctx, cause);
	}
	if (ctx->sent != NULL)
		ctx->sent(ctx->arg, p, text);
	return 0;
}

/* /me ACTION: to the selected peer ("/msg PEER /me ACTION" elsewhere). */
static int
cmd_me(struct cmd_ctx *ctx, const char *args)
{
	char *text;
	int r;

	if (ctx->current == NULL) {
		cmd_reply(ctx, FE_ERROR,
		    "no peer selected: use /msg PEER /me ACTION");
		return -1;
	}
	text = xasprintf("%s%s", PROTO_ACTION, args);
	r = cmd_send(ctx, ctx->current, text);
	free(text);
	return r;
}

static int
cmd_msg(struct cmd_ctx *ctx, const char *args)
{
	struct peer *p;

	if (args[strspn(args, " ")] == '#')
		return cmd_room_msg(ctx, args);
	p = cmd_peer(ctx, &args, 1);

	if (p == NULL)
		return -1;
	return cmd_send(ctx, p, args);
}

static int
cmd_peers(struct cmd_ctx *ctx, const char *args)
{
	struct engine *eng = ctx->app->engine;
	struct peer *p;
	char fp[IDENT_FP_LEN + 1];
	const char *route;
	size_t i, n = engine_npeers(eng);

	if (cmd_no_more(ctx, args, "peers") == -1)
		return -1;
	if (n == 0)
		cmd_reply(ctx, FE_INFO, "no peers yet: /connect HOST:PORT");
	for (i = 0; i < n; i++) {
		p = engine_peer(eng, i);
		if (p->has_key)
			ident_fingerprint(p->key, fp);
		else
			strcpy(fp, "-");
		/* How the session runs: "online (lan)". */
		route = p->state == PEER_ONLINE ? engine_peer_route(p) : NULL;
		cmd_reply(ctx, FE_INFO, "%s %s%s%s%s %s %s%s%s", p->name,
		    peer_state_text(p), route != NULL ? " (" : "",
		    route != NULL ? route : "", route != NULL ? ")" : "", fp,
		    p->address != NULL ? p->address : "-",
		    p->nick[0] != '\0' ? " " : "", p->nick);
	}
	return 0;
}

/* The peer named by w, or the current one if w is NULL. */
struct peer *
cmd_peer_named(struct cmd_ctx *ctx, const char *w)
{
	struct peer *p;

	if (w == NULL) {
		if (ctx->current == NULL)
			cmd_reply(ctx, FE_ERROR,
			    "which peer? Give a name or "
			    "a fingerprint");
		return ctx->current;
	}
	if ((p = engine_find_peer(ctx->app->engine, w)) == NULL)
		cmd_reply(ctx, FE_ERROR, "no peer '%s' (see /peers)", w);
	return p;
}

static int
cmd_quit(struct cmd_ctx *ctx, const char *args)
{
	if (cmd_no_more(ctx, args, "quit") == -1)
		return -1;
	app_quit(ctx->app, 0);
	return 0;
}

static void cmd_keep(void *, enum fe_level, const char *);

/* One stored line as "NAME in|out STATE TIME TEXT", for /history and
 * /search: stable enough for scripts. */
static int
cmd_line(void *arg, struct peer *p, const struct engine_line *l)
{
	struct cmd_ctx *ctx = arg;
	char when[32];
	struct tm tm;
	time_t t = (time_t)((l->outgoing ? l->sent_ms : l->recv_ms) / 1000);

	localtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	cmd_reply(ctx, FE_INFO, "%s %s %s %s %.*s", p->name,
	    l->outgoing ? "out" : "in",
	    !l->outgoing       ? "received"
	        : l->delivered ? "delivered"
	                       : "pending",
	    when, (int)l->len, l->text);
	return 0;
}

/* Lines arrive newest first; show them oldest first. */
struct cmd_lines {
	char **lines;
	size_t n;
};

static int
cmd_collect(void *arg, struct peer *p, const struct engine_line *l)
{
	struct cmd_lines *cl = arg;
	struct cmd_ctx tmp;

	memset(&tmp, 0, sizeof tmp);
	tmp.reply = cmd_keep;
	tmp.arg = cl;
	return cmd_line(&tmp, p, l);
}

static void
cmd_keep(void *arg, enum fe_level level, const char *text)
{
	struct cmd_lines *cl = arg;

	(void)level;
	cl->lines = xreallocarray(cl->lines, cl->n + 1, sizeof *cl->lines);
	cl->lines[cl->n++] = xstrdup(text);
}

/* Reply the collected lines oldest first (unless ctx is NULL), and free
 * them. */
static void
cmd_flush_lines(struct cmd_ctx *ctx, struct cmd_lines *cl)
{
	size_t i;

	for (i = cl->n; i > 0; i--) {
		if (ctx != NULL)
			ctx->reply(ctx->arg, FE_INFO, cl->lines[i - 1]);
		free(cl->lines[i - 1]);
	}
	free(cl->lines);
	cl->lines = NULL;
	cl->n = 0;
}

static int
cmd_history(struct cmd_ctx *ctx, const char *args)
{
	struct engine *eng = ctx->app->engine;
	struct cmd_lines cl = { NULL, 0 };
	struct peer *p = NULL;
	const char *rest = args;
	char *w, *end, *cause;
	unsigned long n = 20;

	if (args[strspn(args, " ")] == '#')
		return cmd_room_history(ctx, args);
	w = cmd_word(&rest);

	if (w != NULL && (p = engine_find_peer(eng, w)) != NULL) {
		free(w);
		w = cmd_word(&rest);
	} else if (w != NULL && w[strspn(w, "0123456789")] != '\0') {
		/* Not a count, so it was meant as a peer. */
		cmd_reply(ctx, FE_ERROR, "no peer '%s' (see /peers)", w);
		free(w);
		return -1;
	}
	if (w != NULL) {
		n = strtoul(w, &end, 10);
		if (*end != '\0' || n == 0 || n > 10000 || *rest != '\0') {
			cmd_reply(ctx, FE_ERROR,
			    "usage: /history [PEER] "
			    "[COUNT], COUNT from 1 to 10000");
			free(w);
			return -1;
		}
		free(w);
	}
	if (p == NULL && (p = ctx->current) == NULL) {
		cmd_reply(ctx, FE_ERROR,
		    "which peer? Give a name or a "
		    "fingerprint");
		return -1;
	}
	if (engine_history(eng, p, 0, n, cmd_collect, &cl, &cause) == -1) {
		cmd_flush_lines(NULL, &cl);
		return cmd_fail(ctx, cause);
	}
	if (cl.n == 0)
		cmd_reply(ctx, FE_INFO, "no history with %s", p->name);
	cmd_flush_lines(ctx, &cl);
	return 0;
}

static int
cmd_search(struct cmd_ctx *ctx, const char *args)
{
	struct peer *p = ctx->current;
	struct cmd_lines cl = { NULL, 0 };
	char *cause;
	size_t found;

	args += strspn(args, " \t");
	if (strncmp(args, "-a ", 3) == 0) {
		p = NULL;
		args += 3 + strspn(args + 3, " \t");
	}
	if (*args == '\0') {
		cmd_reply(ctx, FE_ERROR, "usage: /search [-a] TEXT");
		return -1;
	}
	if (engine_search(ctx->app->engine, p, args, 100, cmd_collect, &cl,
	        &cause) == -1) {
		cmd_flush_lines(NULL, &cl);
		return cmd_fail(ctx, cause);
	}
	found = cl.n;
	cmd_flush_lines(ctx, &cl);
	if (p == NULL)
		found += cmd_room_search(ctx, args);
	cmd_reply(ctx, FE_INFO, "%zu line%s found %s%s%s", found,
	    found == 1 ? "" : "s", p != NULL ? "with " : "in all conversations",
	    p != NULL ? p->name : "", found == 100 ? " (the newest 100)" : "");
	return 0;
}

static int
cmd_forget(struct cmd_ctx *ctx, const char *args)
{
	struct peer *p = cmd_peer(ctx, &args, 1);
	int64_t total, pending, n;
	uint64_t now;
	char *cause, waiting[96];

	if (p == NULL || cmd_no_more(ctx, args, "forget") == -1)
		return -1;
	now = loop_now_ms();
	if (p->forget_ms == 0 || now - p->forget_ms > 30000) {
		if (engine_count(
		        ctx->app->engine, p, &total, &pending, &cause) == -1)
			return cmd_fail(ctx, cause);
		p->forget_ms = now;
		if (pending > 0)
			snprintf(waiting, sizeof waiting,
			    ", including %lld not yet delivered (never sent)",
			    (long long)pending);
		else
			waiting[0] = '\0';
		cmd_reply(ctx, FE_WARN,
		    "this deletes %lld message%s with %s%s: repeat /forget "
		    "%s within 30 seconds to confirm",
		    (long long)total, total == 1 ? "" : "s", p->name, waiting,
		    p->name);
		return 0;
	}
	p->forget_ms = 0;
	if (engine_forget(ctx->app->engine, p, &n, &cause) == -1)
		return cmd_fail(ctx, cause);
	cmd_reply(ctx, FE_INFO, "deleted %lld message%s with %s", (long long)n,
	    n == 1 ? "" : "s", p->name);
	return 0;
}

/* --- views and identity ------------------------------------------------ */

/* /clear: the view shown, on screen only (the history stays). */
static int
cmd_clear(struct cmd_ctx *ctx, const char *args)
{
	if (cmd_no_more(ctx, args, "clear") == -1)
		return -1;
	if (ctx->clear == NULL) {
		cmd_reply(
		    ctx, FE_ERROR, "/clear: only in the terminal interface");
		return -1;
	}
	ctx->clear(ctx->arg);
	return 0;
}

/* /close [PEER]: hide a conversation until its next message. */
static int
cmd_close(struct cmd_ctx *ctx, const char *args)
{
	struct peer *p;
	char *cause;

	if (ctx->close == NULL) {
		cmd_reply(
		    ctx, FE_ERROR, "/close: only in the terminal interface");
		return -1;
	}
	if (args[strspn(args, " \t")] == '\0' && ctx->current == NULL) {
		cmd_reply(ctx, FE_ERROR, "the system view cannot be closed");
		return -1;
	}
	p = cmd_peer(ctx, &args, 0);
	if (p == NULL || cmd_no_more(ctx, args, "close") == -1)
		return -1;
	if (ctx->close(ctx->arg, p, &cause) == -1)
		return cmd_fail(ctx, cause);
	return 0;
}

/* /myid: our key and addresses, and where it can be drawn, a QR code. */
static int
cmd_myid(struct cmd_ctx *ctx, const char *args)
{
	char fp[IDENT_FP_LEN + 1], reach[256];

	if (cmd_no_more(ctx, args, "myid") == -1)
		return -1;
	ident_fingerprint(engine_own_key(ctx->app->engine), fp);
	cmd_reply(ctx, FE_INFO, "your key: %s", fp);
	if (ctx->listen != NULL && *ctx->listen != '\0') {
		net_reachable(ctx->listen, reach, sizeof reach);
		cmd_reply(ctx, FE_INFO, "listening on %s", ctx->listen);
		if (strcmp(reach, ctx->listen) != 0)
			cmd_reply(ctx, FE_INFO, "peers can dial %s", reach);
	}
	if (ctx->qr != NULL)
		ctx->qr(ctx->arg, fp);
	return 0;
}

static int cmd_help(struct cmd_ctx *, const char *);
#define CMD_HELP_COL 24 /* widest "/name args" column in /help */

/* /web: where the web front end is, token included. */
static int
cmd_web(struct cmd_ctx *ctx, const char *args)
{
	(void)args;
	if (ctx->app->web_url == NULL) {
		cmd_reply(ctx, FE_ERROR,
		    "the web front end is off: add web = { listen = "
		    "\"127.0.0.1:7080\"; }; to the configuration, or run "
		    "p2ptui --web");
		return -1;
	}
	cmd_reply(ctx, FE_INFO, "web front end: %s", ctx->app->web_url);
	return 0;
}

static const struct cmd_entry cmd_table[] = {
	{ "accept", "[PEER|#N]",
	    "accept a contact request or a file offer; retry after a full disk",
	    "Accepts the contact request of PEER, or of the only request "
	    "waiting when no peer is given in the system view; the key is "
	    "remembered. With #N, or for a peer with no request, accepts "
	    "the file offer #N or the peer's newest one.",
	    cmd_accept },
	{ "cancel", "#N", "stop a file transfer (see /transfers)",
	    "Stops transfer #N in either direction before it ends: your "
	    "offer is withdrawn, an offer to you is declined, a partial "
	    "file is deleted.",
	    cmd_file_cancel },
	{ "clear", "", "clear the view shown (the history stays)",
	    "Empties the view shown, on screen only: /history and /search "
	    "still find what it held. Terminal interface only.",
	    cmd_clear },
	{ "close", "[PEER]", "hide a conversation until its next message",
	    "Hides the conversation with PEER (or the one shown) from the "
	    "peer list until a message or offer comes or goes; the system "
	    "view cannot be closed. Terminal interface only.",
	    cmd_close },
	{ "connect", "HOST:PORT|PEER|@NAME",
	    "connect to an address, or dial a known peer again",
	    "Dials HOST:PORT ([ADDR]:PORT for IPv6). A new key found there "
	    "becomes a peer, remembered with the address and reconnected "
	    "automatically. /connect PEER dials a known peer at its "
	    "address, after /disconnect or a refusal. /connect @NAME "
	    "looks NAME up on the rendezvous server and asks it to "
	    "introduce you: a contact is dialled at once, anyone else "
	    "first agrees with their own /connect @NAME; without a direct "
	    "connection after 3 seconds, the server relays.",
	    cmd_connect },
	{ "decline", "[PEER|#N]", "decline a contact request, or a file offer",
	    "Declines the contact request of PEER (or the only one "
	    "waiting): it is told and removed, and its key is declined at "
	    "once from then on, also after restarts, until you /connect "
	    "to it. With #N, declines a file offer.",
	    cmd_decline },
	{ "disconnect", "[PEER]", "close the connection to a peer",
	    "Closes the connection to PEER, or stops dialling it; neither "
	    "side redials until /connect PEER or a restart.",
	    cmd_disconnect },
	{ "download", "NAME|#N", "download a file shared in a room",
	    "Fetches the file NAME (or #N of /files) from every member of "
	    "your rooms that has any of it, online now or later, each piece "
	    "verified alone; saved in download_dir, resumed after a "
	    "restart, and served to the room while it comes. A name shared "
	    "twice lists the candidates.",
	    cmd_download },
	{ "files", "[#ROOM]", "list the files shared in your rooms",
	    "Lists the files announced in every room you are in (or in "
	    "#ROOM), numbered #N for /download: name, size, room, who "
	    "shared it, and how much of it you have.",
	    cmd_files },
	{ "flip", "[PEER]", "flip a fair coin with a peer",
	    "Flips a coin with PEER (online), by commit and reveal: neither "
	    "side can choose the result. /flips #ID shows the proof.",
	    cmd_flip },
	{ "flips", "[PEER|#ID]",
	    "list recent flips, or show one with its proof",
	    "Lists the recent flips, rolls and picks (with PEER, only "
	    "theirs); #ID shows one with everything needed to check it.",
	    cmd_flips },
	{ "forget", "PEER", "delete the history with a peer (asks to confirm)",
	    "Deletes every message with PEER, undelivered ones included. "
	    "The first /forget says how many; repeat it within 30 seconds "
	    "to confirm.",
	    cmd_forget },
	{ "help", "[COMMAND]", "list commands, or describe one",
	    "Lists every command, or describes COMMAND (with or without "
	    "its slash, or a unique prefix).",
	    cmd_help },
	{ "history", "[PEER|#ROOM] [COUNT]",
	    "show the last messages with a peer or in a room",
	    "Shows the last COUNT messages (20; at most 10000) with PEER, "
	    "oldest first: NAME in|out received|pending|delivered "
	    "YYYY-MM-DDTHH:MM:SS TEXT. With #ROOM: #ROOM "
	    "YYYY-MM-DDTHH:MM:SS AUTHOR TEXT in the room's history order, "
	    "the same on every member.",
	    cmd_history },
	{ "join", "PEER|HOST:PORT NAME [PASSWORD]",
	    "join a room through one of its members",
	    "Joins #NAME through a member: PEER, or whoever listens at "
	    "HOST:PORT. With PASSWORD, by the password (one online guess "
	    "a try; a member refuses a fourth wrong one within 10 "
	    "minutes); without, only if a member invited you.",
	    cmd_join },
	{ "me", "ACTION", "send an action (/me waves: * you waves)",
	    "Sends ACTION to the peer shown, drawn as * NAME ACTION on "
	    "both sides; elsewhere, and in headless mode, use /msg PEER "
	    "/me ACTION.",
	    cmd_me },
	{ "lookup", "NAME", "look a username up on the rendezvous server",
	    "Asks the rendezvous server for the key of username NAME; the "
	    "answer is lookup NAME FINGERPRINT, or none. A key that "
	    "differs from the one of a contact of that name is refused.",
	    cmd_lookup },
	{ "msg", "PEER TEXT", "send a message to a peer (or a #ROOM)",
	    "Sends TEXT to PEER; stored first, and queued while PEER "
	    "is offline. Text longer than max_message goes as several "
	    "messages, cut at spaces. To #ROOM: to every member, now or "
	    "whenever they meet a member next.",
	    cmd_msg },
	{ "myid", "", "show your key, addresses and a QR code of the key",
	    "Shows your key (the fingerprint peers pin), the address you "
	    "listen on and, in the terminal interface, a QR code of the "
	    "key for a phone to read.",
	    cmd_myid },
	{ "nick", "[NAME]", "change your nickname and tell online peers",
	    "Changes your nickname to NAME (1 to 32 bytes, no control "
	    "characters) until you quit; online peers are told at once, "
	    "the others when they next connect.",
	    cmd_nick },
	{ "peers", "", "list peers: name, state, key, address, nick",
	    "Lists every peer, one a line: name, state (offline, "
	    "connecting, waiting, request, online; request (offline), "
	    "offline (declined), offline (disconnected); an online one with "
	    "its route: online (direct), (lan), (mapped), (punched) or "
	    "(relay)), fingerprint, address and the nick it announced.",
	    cmd_peers },
	{ "pick", "[PEER] A | B ...",
	    "pick one of the options fairly with a peer",
	    "Picks one of 2 to 32 options, separated by |, fairly with "
	    "PEER. The first word is the peer only if it names one and "
	    "more words follow before the first |.",
	    cmd_pick },
	{ "quit", "", "leave p2ptui",
	    "Leaves p2ptui: connected peers are told, and anything not "
	    "delivered stays queued for the next start.",
	    cmd_quit },
	{ "register", "NAME", "register or change your username",
	    "Registers NAME (3 to 32 of a-z, 0-9, '.', '_', '-'; upper "
	    "case is lowered) for your key on the rendezvous server, or "
	    "renames you if you have one; a name another key holds is "
	    "refused.",
	    cmd_register },
	{ "rename", "[PEER] NAME", "give a peer a local name of your choice",
	    "Gives PEER (the selected one by default) a local name: 1 to "
	    "32 letters, digits, '.', '_' or '-', kept across restarts. "
	    "Peers named in the configuration are renamed there.",
	    cmd_rename },
	{ "roll", "[PEER] [NdM]", "roll fair dice with a peer (1d6)",
	    "Rolls N dice of M sides (1d6 by default; 1 to 100 dice of 2 "
	    "to 1000 sides) fairly with PEER. Each die is shown up to 20 "
	    "dice, the sum always; /flips #ID lists every die.",
	    cmd_roll },
	{ "room", "create|invite|password|kick|leave|members|topic ...",
	    "create a room, or manage the current one",
	    "Subcommands: /room create NAME [PASSWORD]: a room #NAME "
	    "(with a password, "
	    "anyone who knows it may join; without, invited contacts). "
	    "/room invite PEER: add a contact. /room password NEW and "
	    "/room kick MEMBER [NEWPASSWORD] (the creator): a new key, "
	    "and the old password admits nobody. /room leave, /room "
	    "members, /room topic [TEXT] (any member). A first word #NAME names the room; else the one in "
	    "view, or the last created or joined.",
	    cmd_room },
	{ "rooms", "", "list rooms: members online, unread, topic",
	    "Lists the rooms: #NAME ROOMID ONLINE/ALL online, N unread, "
	    "and whether it has a password, was left, and its topic.",
	    cmd_rooms_list },
	{ "search", "[-a] TEXT",
	    "find TEXT in the history with this peer (-a: everyone)",
	    "Lists the messages containing TEXT (ASCII case ignored) with "
	    "the selected peer, or in all conversations and rooms with -a; "
	    "the newest 100 at most, oldest first as by /history.",
	    cmd_search },
	{ "send", "[PEER] PATH", "offer a file to a peer",
	    "Offers the file at PATH to PEER (the selected one by default), "
	    "now or when PEER is next online; it is sent once accepted, "
	    "verified piece by piece and resumed after a disconnect. See "
	    "/transfers.",
	    cmd_file_send },
	{ "share", "[#ROOM] PATH", "share a file with a room",
	    "Announces the file at PATH to the room in view (or #ROOM) once "
	    "it is hashed; every member may then /download it, from you "
	    "and from every other member that has any of it. You serve "
	    "it to the room's members until it changes.",
	    cmd_share },
	{ "transfers", "", "list file transfers: progress, state, where saved",
	    "Lists the file transfers, one a line: #N, in or out, peer, "
	    "name, progress, and state or where the file was saved.",
	    cmd_file_list },
	{ "trust", "PEER", "trust the new key a known peer presented",
	    "Accepts the new key a known peer presented, replacing the "
	    "remembered one: check it with the peer first.",
	    cmd_trust },
	{ "web", "", "show the web front end's address, with its token",
	    "Prints the URL of the web page (p2ptui(1), WEB FRONTEND), "
	    "with the token after '#'. Anyone with the URL can use "
	    "p2ptui as you: keep it to yourself.",
	    cmd_web },
	{ "who", "", "list contacts online, and the server's directory",
	    "Lists the contacts the rendezvous server says are online, "
	    "and asks it for its public directory of online usernames "
	    "(where it keeps one).",
	    cmd_who },
};
#define CMD_COUNT (sizeof cmd_table / sizeof cmd_table[0])

const struct cmd_entry *
cmd_find(const char *name, size_t len)
{
	const struct cmd_entry *found = NULL;
	size_t i;

	if (len == 0)
		return NULL;
	for (i = 0; i < CMD_COUNT; i++) {
		if (strlen(cmd_table[i].name) == len &&
		    strncmp(cmd_table[i].name, name, len) == 0)
			return &cmd_table[i];
		/* A unique prefix is enough: /q, /pe. */
		if (strncmp(cmd_table[i].name, name, len) == 0) {
			if (found != NULL)
				return NULL;
			found = &cmd_table[i];
		}
	}
	return found;
}

/* "/name args", or "/name" for a command without arguments. */
static char *
cmd_usage(const struct cmd_entry *c)
{
	return xasprintf(
	    "/%s%s%s", c->name, *c->args != '\0' ? " " : "", c->args);
}

static int
cmd_help(struct cmd_ctx *ctx, const char *args)
{
	const struct cmd_entry *c;
	char *w = cmd_word(&args), *use;
	const char *name;
	size_t i, n, col = 0;

	if (w != NULL) {
		name = w[0] == '/' ? w + 1 : w;
		c = cmd_find(name, strlen(name));
		if (c == NULL) {
			cmd_reply(ctx, FE_ERROR, "no command '%s'", w);
			free(w);
			return -1;
		}
		free(w);
		use = cmd_usage(c);
		cmd_reply(ctx, FE_INFO, "%s: %s", use, c->help);
		free(use);
		cmd_reply(ctx, FE_INFO, "%s", c->detail);
		return 0;
	}
	/* One column for "/name args", as wide as the widest that is not
	 * too long; a longer one has its help on the next line. */
	for (i = 0; i < CMD_COUNT; i++) {
		n = strlen(cmd_table[i].name) + strlen(cmd_table[i].args) + 2;
		if (n > col && n <= CMD_HELP_COL)
			col = n;
	}
	for (i = 0; i < CMD_COUNT; i++) {
		c = &cmd_table[i];
		use = cmd_usage(c);
		if (strlen(use) <= col)
			cmd_reply(
			    ctx, FE_INFO, "%-*s  %s", (int)col, use, c->help);
		else {
			cmd_reply(ctx, FE_INFO, "%s", use);
			cmd_reply(
			    ctx, FE_INFO, "%-*s  %s", (int)col, "", c->help);
		}
		free(use);
	}
	return 0;
}

int
cmd_execute(struct cmd_ctx *ctx, const char *line)
{
	const struct cmd_entry *c;
	const char *args;
	char *name;

	if (line[0] != '/' || line[1] == '/') {
		/* "//text" sends "/text". */
		if (line[0] == '/')
			line++;
		if (ctx->room != NULL)
			return cmd_room_say(ctx, ctx->room, line);
		if (ctx->current == NULL) {
			cmd_reply(ctx, FE_ERROR,
			    "no peer selected: use /msg "
			    "PEER TEXT");
			return -1;
		}
		return cmd_send(ctx, ctx->current, line);
	}
	args = line + 1;
	if ((name = cmd_word(&args)) == NULL) {
		cmd_reply(ctx, FE_ERROR, "empty command: try /help");
		return -1;
	}
	if ((c = cmd_find(name, strlen(name))) == NULL) {
		cmd_reply(ctx, FE_ERROR,
		    "unknown or ambiguous command '/%s': "
		    "try /help",
		    name);
		free(name);
		return -1;
	}
	free(name);
	return c->exec(ctx, args);
}

size_t
cmd_count(void)
{
	return CMD_COUNT;
}

const struct cmd_entry *
cmd_get(size_t i)
{
	return i < CMD_COUNT ? &cmd_table[i] : NULL;
}
