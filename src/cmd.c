/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The command table and its handlers. Handlers parse their own
 * arguments, call the engine, and report through ctx->reply; they never
 * print. A peer argument is a name, a fingerprint, or a unique prefix of
 * a fingerprint (4 characters at least), as engine_find_peer() takes it.
 * A command may be abbreviated to a unique prefix of its name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cmd.h"
#include "xmalloc.h"

static void cmd_reply(struct cmd_ctx *ctx, enum fe_level level, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
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
static int
cmd_fail(struct cmd_ctx *ctx, char *cause)
{
	cmd_reply(ctx, FE_ERROR, "%s", cause);
	free(cause);
	return -1;
}

/* Split the next word off *args into a new string; NULL if none. */
static char *
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
static struct peer *
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

static int
cmd_no_more(struct cmd_ctx *ctx, const char *args, const char *name)
{
	if (*args == '\0')
		return 0;
	cmd_reply(ctx, FE_ERROR, "/%s: unexpected '%s'", name, args);
	return -1;
}

static int
cmd_connect(struct cmd_ctx *ctx, const char *args)
{
	char *where = cmd_word(&args), *cause;

	if (where == NULL || *args != '\0') {
		free(where);
		cmd_reply(ctx, FE_ERROR, "usage: /connect HOST:PORT");
		return -1;
	}
	if (engine_connect(ctx->app->engine, where, &cause) == -1) {
		free(where);
		return cmd_fail(ctx, cause);
	}
	cmd_reply(ctx, FE_INFO, "connecting to %s", where);
	free(where);
	return 0;
}

static int
cmd_accept(struct cmd_ctx *ctx, const char *args)
{
	struct peer *p = cmd_peer(ctx, &args, 0);
	char *cause;

	if (p == NULL || cmd_no_more(ctx, args, "accept") == -1)
		return -1;
	if (engine_accept(ctx->app->engine, p, &cause) == -1)
		return cmd_fail(ctx, cause);
	return 0;
}

static int
cmd_decline(struct cmd_ctx *ctx, const char *args)
{
	struct peer *p = cmd_peer(ctx, &args, 0);
	char *cause;

	if (p == NULL || cmd_no_more(ctx, args, "decline") == -1)
		return -1;
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

static int
cmd_send(struct cmd_ctx *ctx, struct peer *p, const char *text)
{
	char *cause;

	if (*text == '\0') {
		cmd_reply(ctx, FE_ERROR, "nothing to send");
		return -1;
	}
	if (engine_send(
	        ctx->app->engine, p, text, strlen(text), NULL, &cause) == -1)
		return cmd_fail(ctx, cause);
	return 0;
}

static int
cmd_msg(struct cmd_ctx *ctx, const char *args)
{
	struct peer *p = cmd_peer(ctx, &args, 1);

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
		cmd_reply(ctx, FE_INFO, "%s %s %s %s", p->name,
		    peer_state_name(p->state), fp,
		    p->address != NULL ? p->address : "-");
	}
	return 0;
}

static int
cmd_quit(struct cmd_ctx *ctx, const char *args)
{
	if (cmd_no_more(ctx, args, "quit") == -1)
		return -1;
	app_quit(ctx->app, 0);
	return 0;
}

static int cmd_help(struct cmd_ctx *, const char *);

static const struct cmd_entry cmd_table[] = {
	{ "accept", "[PEER]", "accept a contact request", cmd_accept },
	{ "connect", "HOST:PORT", "connect to a peer's address", cmd_connect },
	{ "decline", "[PEER]", "decline a contact request", cmd_decline },
	{ "disconnect", "[PEER]", "close the connection to a peer",
	    cmd_disconnect },
	{ "help", "[COMMAND]", "list commands, or describe one", cmd_help },
	{ "msg", "PEER TEXT", "send a message to a peer", cmd_msg },
	{ "peers", "", "list peers: name, state, key, address", cmd_peers },
	{ "quit", "", "leave p2ptui", cmd_quit },
	{ "trust", "PEER", "trust the new key a known peer presented",
	    cmd_trust },
};
#define CMD_COUNT (sizeof cmd_table / sizeof cmd_table[0])

static const struct cmd_entry *
cmd_find(const char *name)
{
	const struct cmd_entry *found = NULL;
	size_t i, len = strlen(name);

	for (i = 0; i < CMD_COUNT; i++) {
		if (strcmp(cmd_table[i].name, name) == 0)
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

static int
cmd_help(struct cmd_ctx *ctx, const char *args)
{
	const struct cmd_entry *c;
	char *w = cmd_word(&args);
	size_t i;

	if (w != NULL) {
		c = cmd_find(w[0] == '/' ? w + 1 : w);
		if (c == NULL) {
			cmd_reply(ctx, FE_ERROR, "no command '%s'", w);
			free(w);
			return -1;
		}
		free(w);
		cmd_reply(
		    ctx, FE_INFO, "/%s %s: %s", c->name, c->args, c->help);
		return 0;
	}
	for (i = 0; i < CMD_COUNT; i++) {
		c = &cmd_table[i];
		cmd_reply(
		    ctx, FE_INFO, "/%-10s %-10s %s", c->name, c->args, c->help);
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
	if ((c = cmd_find(name)) == NULL) {
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
