/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The room commands: /room (create, invite, password, kick, leave,
 * members, topic), /join, /rooms, and the room forms of /msg #NAME, /history
 * #NAME and /search. The protocol is room.c's. A room is named by a
 * word "#NAME"; without one, a command means the current room
 * (room_current(): the one in view, or the last created or joined).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "cmd_int.h"
#include "ident.h"
#include "room.h"
#include "util.h"
#include "xmalloc.h"

static struct rooms *
cmd_rooms(struct cmd_ctx *ctx)
{
	return room_of(ctx->app->engine);
}

/* The room a "#NAME" word names, or the current one if w is NULL. */
static struct room *
cmd_room_named(struct cmd_ctx *ctx, const char *w)
{
	struct rooms *rs = cmd_rooms(ctx);
	struct room *r;

	if (w == NULL) {
		if ((r = ctx->room != NULL ? ctx->room : room_current(rs)) ==
		    NULL)
			cmd_reply(ctx, FE_ERROR,
			    "which room? You are in none: /room create "
			    "NAME or /join");
		return r;
	}
	if ((r = room_lookup(rs, w)) == NULL)
		cmd_reply(ctx, FE_ERROR, "no room %s%s (see /rooms)",
		    w[0] == '#' ? "" : "#", w);
	return r;
}

struct room *
cmd_room_arg(struct cmd_ctx *ctx, const char **args)
{
	const char *rest = *args + strspn(*args, " \t");
	char *w;
	struct room *r;

	if (*rest != '#')
		return cmd_room_named(ctx, NULL);
	w = cmd_word(&rest);
	r = cmd_room_named(ctx, w);
	free(w);
	*args = rest;
	return r;
}

static int
cmd_room_create(struct cmd_ctx *ctx, const char *args)
{
	char *name = cmd_word(&args), *pw = cmd_word(&args), *cause;
	struct room *r;
	char hex[2 * ROOM_IDLEN + 1];
	int ret = -1;

	if (name == NULL || *args != '\0') {
		cmd_reply(ctx, FE_ERROR, "usage: /room create NAME [PASSWORD]");
		goto out;
	}
	if (room_create(cmd_rooms(ctx), name[0] == '#' ? name + 1 : name, pw,
	        &r, &cause) == -1) {
		ret = cmd_fail(ctx, cause);
		goto out;
	}
	util_hex(room_id(r), ROOM_IDLEN, hex);
	cmd_reply(ctx, FE_INFO, "created #%s (%s)%s", room_name(r), hex,
	    pw != NULL ? " with a password"
	               : ": /room invite PEER to add "
	                 "contacts");
	ret = 0;
out:
	free(name);
	if (pw != NULL) {
		ident_wipe(pw, strlen(pw));
		free(pw);
	}
	return ret;
}

static int
cmd_room_invite(struct cmd_ctx *ctx, const char *args)
{
	struct room *r = cmd_room_arg(ctx, &args);
	struct peer *p;
	char *cause;

	if (r == NULL || (p = cmd_peer(ctx, &args, 1)) == NULL ||
	    cmd_no_more(ctx, args, "room invite") == -1)
		return -1;
	if (room_invite(cmd_rooms(ctx), r, p, &cause) == -1)
		return cmd_fail(ctx, cause);
	cmd_reply(ctx, FE_INFO, "invited %s to #%s", p->name, room_name(r));
	return 0;
}

static int
cmd_room_password(struct cmd_ctx *ctx, const char *args)
{
	struct room *r = cmd_room_arg(ctx, &args);
	char *pw, *cause;
	int ret;

	if (r == NULL)
		return -1;
	if ((pw = cmd_word(&args)) == NULL || *args != '\0') {
		free(pw);
		cmd_reply(ctx, FE_ERROR, "usage: /room password NEW");
		return -1;
	}
	ret = room_set_password(cmd_rooms(ctx), r, pw, &cause);
	ident_wipe(pw, strlen(pw));
	free(pw);
	if (ret == -1)
		return cmd_fail(ctx, cause);
	cmd_reply(ctx, FE_INFO,
	    "#%s has a new password (and a new key); the old one admits "
	    "nobody",
	    room_name(r));
	return 0;
}

static int
cmd_room_kick(struct cmd_ctx *ctx, const char *args)
{
	struct room *r = cmd_room_arg(ctx, &args);
	char *who, *pw, *cause;
	int ret;

	if (r == NULL)
		return -1;
	who = cmd_word(&args);
	pw = cmd_word(&args);
	if (who == NULL || *args != '\0') {
		cmd_reply(
		    ctx, FE_ERROR, "usage: /room kick MEMBER [NEWPASSWORD]");
		ret = -1;
	} else if ((ret = room_kick(cmd_rooms(ctx), r, who, pw, &cause)) == -1)
		cmd_fail(ctx, cause);
	else
		cmd_reply(ctx, FE_INFO,
		    "removed %s from #%s; the room key changed", who,
		    room_name(r));
	free(who);
	if (pw != NULL) {
		ident_wipe(pw, strlen(pw));
		free(pw);
	}
	return ret;
}

static int
cmd_room_leave(struct cmd_ctx *ctx, const char *args)
{
	struct room *r = cmd_room_arg(ctx, &args);
	char *cause;

	if (r == NULL || cmd_no_more(ctx, args, "room leave") == -1)
		return -1;
	if (room_leave(cmd_rooms(ctx), r, &cause) == -1)
		return cmd_fail(ctx, cause);
	cmd_reply(
	    ctx, FE_INFO, "you left #%s (its history stays)", room_name(r));
	return 0;
}

static int
cmd_room_topic(struct cmd_ctx *ctx, const char *args)
{
	struct room *r = cmd_room_arg(ctx, &args);
	char *cause;

	if (r == NULL)
		return -1;
	args += strspn(args, " \t");
	if (room_set_topic(cmd_rooms(ctx), r, args, strlen(args), &cause) == -1)
		return cmd_fail(ctx, cause);
	return 0;
}

static void
cmd_room_member(void *arg, const struct room_member_line *l)
{
	struct cmd_ctx *ctx = arg;
	char fp[IDENT_FP_LEN + 1];

	if (!l->active)
		return;
	ident_fingerprint(l->noise, fp);
	cmd_reply(ctx, FE_INFO, "%s %s %s%s%s%s",
	    l->nick[0] != '\0' ? l->nick : "-", fp,
	    l->online ? "online" : "offline", l->creator ? " creator" : "",
	    l->me ? " you" : "", l->flagged ? " EQUIVOCATED" : "");
}

static int
cmd_room_members(struct cmd_ctx *ctx, const char *args)
{
	struct room *r = cmd_room_arg(ctx, &args);

	if (r == NULL || cmd_no_more(ctx, args, "room members") == -1)
		return -1;
	room_members(cmd_rooms(ctx), r, cmd_room_member, ctx);
	return 0;
}

int
cmd_room(struct cmd_ctx *ctx, const char *args)
{
	static const struct {
		const char *name;
		int (*exec)(struct cmd_ctx *, const char *);
	} subs[] = {
		{ "create", cmd_room_create },
		{ "invite", cmd_room_invite },
		{ "password", cmd_room_password },
		{ "kick", cmd_room_kick },
		{ "leave", cmd_room_leave },
		{ "members", cmd_room_members },
		{ "topic", cmd_room_topic },
	};
	char *w = cmd_word(&args);
	size_t i;

	for (i = 0; w != NULL && i < sizeof subs / sizeof subs[0]; i++) {
		if (strcmp(w, subs[i].name) == 0) {
			free(w);
			return subs[i].exec(ctx, args);
		}
	}
	free(w);
	cmd_reply(ctx, FE_ERROR,
	    "usage: /room create|invite|password|kick|leave|members|topic ...");
	return -1;
}

int
cmd_join(struct cmd_ctx *ctx, const char *args)
{
	char *where = cmd_word(&args), *name = cmd_word(&args);
	char *pw = cmd_word(&args), *cause;
	struct peer *p = NULL;
	int ret = -1;

	if (where == NULL || name == NULL || *args != '\0') {
		cmd_reply(ctx, FE_ERROR,
		    "usage: /join PEER|HOST:PORT NAME [PASSWORD]");
		goto out;
	}
	if ((p = engine_find_peer(ctx->app->engine, where)) == NULL &&
	    strchr(where, ':') == NULL) {
		cmd_reply(ctx, FE_ERROR, "no peer '%s' (see /peers)", where);
		goto out;
	}
	if (room_join(cmd_rooms(ctx), p, where, name, pw, &cause) == -1) {
		ret = cmd_fail(ctx, cause);
		goto out;
	}
	cmd_reply(ctx, FE_INFO, "joining #%s through %s",
	    name[0] == '#' ? name + 1 : name, p != NULL ? p->name : where);
	ret = 0;
out:
	free(where);
	free(name);
	if (pw != NULL) {
		ident_wipe(pw, strlen(pw));
		free(pw);
	}
	return ret;
}

int
cmd_rooms_list(struct cmd_ctx *ctx, const char *args)
{
	struct rooms *rs = cmd_rooms(ctx);
	char hex[2 * ROOM_IDLEN + 1];
	struct room *r;
	size_t i, online, all;

	if (cmd_no_more(ctx, args, "rooms") == -1)
		return -1;
	if (room_count(rs) == 0) {
		cmd_reply(
		    ctx, FE_INFO, "no rooms: /room create NAME, or /join");
		return 0;
	}
	for (i = 0; (r = room_get(rs, i)) != NULL; i++) {
		util_hex(room_id(r), ROOM_IDLEN, hex);
		room_counts(r, &online, &all);
		cmd_reply(ctx, FE_INFO,
		    "#%s %s %zu/%zu online, %u unread%s%s%s%s", room_name(r),
		    hex, online, all, room_unread(r),
		    room_has_password(r) ? ", password" : "",
		    room_active(r) ? "" : ", left",
		    room_topic(r)[0] != '\0' ? ": " : "", room_topic(r));
	}
	return 0;
}

/* /msg #NAME TEXT */
int
cmd_room_msg(struct cmd_ctx *ctx, const char *args)
{
	char *w = cmd_word(&args), *cause;
	struct room *r = cmd_room_named(ctx, w);
	int ret = -1;

	free(w);
	if (r == NULL)
		return -1;
	args += strspn(args, " ");
	if (*args == '\0')
		cmd_reply(ctx, FE_ERROR, "nothing to send");
	else if (room_say(cmd_rooms(ctx), r, args, strlen(args), &cause) == -1)
		cmd_fail(ctx, cause);
	else
		ret = 0;
	return ret;
}

/* Text typed in a room's view. */
int
cmd_room_say(struct cmd_ctx *ctx, struct room *r, const char *text)
{
	char *cause;

	if (room_say(cmd_rooms(ctx), r, text, strlen(text), &cause) == -1)
		return cmd_fail(ctx, cause);
	return 0;
}

static int
cmd_room_line(void *arg, struct room *r, const struct room_line *l)
{
	struct cmd_ctx *ctx = arg;
	char when[32];
	struct tm tm;
	time_t t = (time_t)(l->time_ms / 1000);

	localtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	cmd_reply(ctx, FE_INFO, "#%s %s %s %.*s", room_name(r), when, l->who,
	    (int)l->len, l->text);
	return 0;
}

/* /history #NAME [COUNT] */
int
cmd_room_history(struct cmd_ctx *ctx, const char *args)
{
	char *w = cmd_word(&args), *n = cmd_word(&args), *end, *cause;
	struct room *r = cmd_room_named(ctx, w);
	unsigned long count = 20;
	int ret = -1;

	if (r == NULL)
		goto out;
	if (n != NULL) {
		count = strtoul(n, &end, 10);
		if (*end != '\0' || count == 0 || count > 100000 ||
		    *args != '\0') {
			cmd_reply(ctx, FE_ERROR,
			    "usage: /history #NAME [COUNT], COUNT from 1 to "
			    "100000");
			goto out;
		}
	}
	if (room_history(
	        cmd_rooms(ctx), r, count, cmd_room_line, ctx, &cause) == -1)
		ret = cmd_fail(ctx, cause);
	else
		ret = 0;
out:
	free(w);
	free(n);
	return ret;
}

struct cmd_room_found {
	struct cmd_ctx *ctx;
	size_t n;
};

static int
cmd_room_found(void *arg, struct room *r, const struct room_line *l)
{
	struct cmd_room_found *f = arg;

	f->n++;
	return cmd_room_line(f->ctx, r, l);
}

/* The rooms' part of /search; how many lines were found. */
size_t
cmd_room_search(struct cmd_ctx *ctx, const char *text)
{
	struct cmd_room_found f = { ctx, 0 };
	char *cause;

	if (room_search(
	        cmd_rooms(ctx), text, 100, cmd_room_found, &f, &cause) == -1)
		cmd_fail(ctx, cause);
	return f.n;
}

/*
 * Which word of a command line (from 0) is a password: /room create
 * NAME PASSWORD, /room password NEW, /room kick MEMBER NEW (each maybe
 * with a #NAME after "room"), /join WHERE NAME PASSWORD. 0 if none.
 */
size_t
cmd_secret_word(const char *line)
{
	char *w[4] = { NULL, NULL, NULL, NULL };
	const char *rest = line;
	size_t i, at = 0, shift;

	for (i = 0; i < 4; i++)
		w[i] = cmd_word(&rest);
	if (w[0] == NULL)
		goto out;
	if (strcmp(w[0], "/join") == 0)
		at = 3;
	else if (strcmp(w[0], "/room") == 0 && w[1] != NULL) {
		shift = w[1][0] == '#' ? 1 : 0;
		if (shift == 0 || w[2] != NULL) {
			const char *sub = w[1 + shift];

			if (strcmp(sub, "create") == 0 ||
			    strcmp(sub, "kick") == 0)
				at = 3 + shift;
			else if (strcmp(sub, "password") == 0)
				at = 2 + shift;
		}
	}
out:
	for (i = 0; i < 4; i++)
		free(w[i]);
	return at;
}
