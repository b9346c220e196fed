/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The room file commands (DESIGN.md section 10): /share [#ROOM] PATH,
 * /files [#ROOM], /download NAME|#N, and the swarm's lines of
 * /transfers. Rooms (room.h) know what was announced where, the swarm
 * (swarm.h) holds and fetches the files; these commands join the two,
 * which the features themselves may not (tests/check/layering.sh).
 *
 * /files numbers the files of every room we are in, oldest first, room
 * by room: #N means the same file with or without a #ROOM filter, until
 * a new one is announced.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "cmd_int.h"
#include "fmt.h"
#include "room.h"
#include "swarm.h"
#include "xmalloc.h"

/* A share being hashed: where to announce it once its root is known. */
struct cmd_share {
	struct engine *eng;
	char room[256];
};

static void
cmd_share_done(void *arg, const char *name, uint64_t size, const uint8_t *root,
    const char *error)
{
	struct cmd_share *cs = arg;
	struct rooms *rs = room_of(cs->eng);
	struct room *r = rs != NULL ? room_lookup(rs, cs->room) : NULL;
	char *cause;

	if (root == NULL)
		engine_notice(cs->eng, NULL, FE_ERROR, "cannot share %s: %s",
		    name, error);
	else if (r == NULL)
		engine_notice(cs->eng, NULL, FE_ERROR,
		    "cannot share %s: no room #%s", name, cs->room);
	else if (room_share(rs, r, name, size, root, &cause) == -1) {
		engine_notice(cs->eng, NULL, FE_ERROR, "cannot share %s: %s",
		    name, cause);
		free(cause);
	} else
		engine_notice(
		    cs->eng, NULL, FE_INFO, "shared %s in #%s", name, cs->room);
	free(cs);
}

/* The rest of args without the blanks around it; its length. */
static size_t
cmd_share_rest(const char **args)
{
	size_t len;

	*args += strspn(*args, " \t");
	len = strlen(*args);
	while (len > 0 && ((*args)[len - 1] == ' ' || (*args)[len - 1] == '\t'))
		len--;
	return len;
}

/* /share [#ROOM] PATH */
int
cmd_share(struct cmd_ctx *ctx, const char *args)
{
	struct swarms *sw = swarm_of(ctx->app->engine);
	struct cmd_share *cs;
	struct room *r;
	char *path, *cause, cwd[4096];
	size_t len;

	if (sw == NULL || (r = cmd_room_arg(ctx, &args)) == NULL)
		return -1;
	if ((len = cmd_share_rest(&args)) == 0) {
		cmd_reply(ctx, FE_ERROR, "usage: /share [#ROOM] PATH");
		return -1;
	}
	if (args[0] == '/')
		path = xasprintf("%.*s", (int)len, args);
	else if (getcwd(cwd, sizeof cwd) != NULL)
		path = xasprintf("%s/%.*s", cwd, (int)len, args);
	else {
		cmd_reply(ctx, FE_ERROR, "cannot share %.*s: %s", (int)len,
		    args, strerror(errno));
		return -1;
	}
	cs = xcalloc(1, sizeof *cs);
	cs->eng = ctx->app->engine;
	snprintf(cs->room, sizeof cs->room, "%s", room_name(r));
	if (swarm_share(sw, path, cmd_share_done, cs, &cause) == -1) {
		free(cs);
		free(path);
		return cmd_fail(ctx, cause);
	}
	free(path);
	return 0;
}

/* The files of /files: every room's, numbered from 1. */
struct cmd_files {
	struct cmd_ctx *ctx;
	struct swarms *sw;
	const char *only; /* a room's name, or NULL */
	const char *match; /* /download: a name, or NULL */
	size_t want; /* /download: #N, or 0 */
	size_t n, found;
	struct room_file_line hit;
	char hitname[256];
	uint8_t hitroot[32];
	int list; /* reply each */
};

/* What the members online hold of a file we download (their MAPs and
 * HAVEs): "; 2 online have it all, dave 30%, mallory sent bad data". */
struct cmd_holders {
	uint64_t size;
	size_t all;
	char parts[512];
	size_t off;
};

static void
cmd_holders_cb(void *arg, const struct swarm_holder *h)
{
	struct cmd_holders *c = arg;
	/* A room member is known to the room by its nick, as in "from". */
	const char *who =
	    h->peer->origin == PEER_MEMBER && h->peer->nick[0] != '\0'
	    ? h->peer->nick
	    : h->peer->name;

	if (!h->dropped && h->bytes == c->size) {
		c->all++;
		return;
	}
	if (c->off >= sizeof c->parts - 1)
		return;
	if (h->dropped)
		c->off += (size_t)snprintf(c->parts + c->off,
		    sizeof c->parts - c->off, ", %s sent bad data", who);
	else
		c->off += (size_t)snprintf(c->parts + c->off,
		    sizeof c->parts - c->off, ", %s %u%%", who,
		    fmt_percent(h->bytes, c->size));
}

static void
cmd_files_line(struct cmd_files *cf, const struct room_file_line *l)
{
	char size[FMT_SIZE_LEN], have[64] = "", online[600] = "";
	int64_t held = swarm_held(cf->sw, l->root);
	struct cmd_holders c;

	fmt_size(l->size, size, sizeof size);
	memset(&c, 0, sizeof c);
	c.size = l->size;
	swarm_holders(cf->sw, l->root, cmd_holders_cb, &c);
	if (c.all > 0)
		snprintf(online, sizeof online, "; %zu online %s it all%s",
		    c.all, c.all == 1 ? "has" : "have", c.parts);
	else if (c.off > 0)
		snprintf(online, sizeof online, "; %s", c.parts + 2);
	if (held >= 0)
		snprintf(have, sizeof have, "; you have %u%%",
		    fmt_percent((uint64_t)held, l->size));
	cmd_reply(cf->ctx, FE_INFO, "#%zu %s (%s) in #%s from %s%s%s", cf->n,
	    l->name, size, l->room, l->who, online, have);
}

static void
cmd_files_cb(void *arg, const struct room_file_line *l)
{
	struct cmd_files *cf = arg;

	cf->n++;
	if (cf->only != NULL && strcmp(cf->only, l->room) != 0)
		return;
	if ((cf->want != 0 && cf->n != cf->want) ||
	    (cf->match != NULL && strcmp(cf->match, l->name) != 0))
		return;
	if (cf->found > 0 && memcmp(cf->hitroot, l->root, 32) == 0)
		return; /* the same file in another room */
	cf->found++;
	cf->hit = *l;
	memcpy(cf->hitroot, l->root, 32);
	snprintf(cf->hitname, sizeof cf->hitname, "%s", l->name);
	cf->hit.name = cf->hitname;
	cf->hit.root = cf->hitroot;
	if (cf->list)
		cmd_files_line(cf, l);
}

/* /files [#ROOM] */
int
cmd_files(struct cmd_ctx *ctx, const char *args)
{
	struct rooms *rs = room_of(ctx->app->engine);
	struct cmd_files cf;
	struct room *r = NULL;

	if (rs == NULL)
		return -1;
	memset(&cf, 0, sizeof cf);
	cf.ctx = ctx;
	cf.sw = swarm_of(ctx->app->engine);
	cf.list = 1;
	args += strspn(args, " \t");
	if (*args != '\0') {
		if ((r = cmd_room_arg(ctx, &args)) == NULL ||
		    cmd_no_more(ctx, args, "files") == -1)
			return -1;
		cf.only = room_name(r);
	}
	room_files(rs, NULL, cmd_files_cb, &cf);
	if (cf.found == 0)
		cmd_reply(ctx, FE_INFO,
		    "no files%s%s: /share PATH in a room announces one",
		    r != NULL ? " in #" : "", r != NULL ? room_name(r) : "");
	return 0;
}

/* /download NAME|#N */
int
cmd_download(struct cmd_ctx *ctx, const char *args)
{
	struct rooms *rs = room_of(ctx->app->engine);
	struct cmd_files cf;
	char *name, *cause, *end;
	size_t len;
	int64_t num;

	if (rs == NULL)
		return -1;
	if ((len = cmd_share_rest(&args)) == 0) {
		cmd_reply(
		    ctx, FE_ERROR, "usage: /download NAME|#N (see /files)");
		return -1;
	}
	memset(&cf, 0, sizeof cf);
	cf.ctx = ctx;
	cf.sw = swarm_of(ctx->app->engine);
	name = xasprintf("%.*s", (int)len, args);
	if (name[0] == '#' && name[1] >= '1' && name[1] <= '9') {
		cf.want = strtoul(name + 1, &end, 10);
		if (*end != '\0')
			cf.want = 0;
	}
	if (cf.want == 0)
		cf.match = name;
	room_files(rs, NULL, cmd_files_cb, &cf);
	if (cf.found == 0) {
		cmd_reply(ctx, FE_ERROR,
		    "no file %s in your rooms (see /files)", name);
		free(name);
		return -1;
	}
	if (cf.found > 1) {
		cmd_reply(ctx, FE_ERROR,
		    "%zu files are called %s: /download #N with one of",
		    cf.found, name);
		memset(&cf, 0, sizeof cf);
		cf.ctx = ctx;
		cf.sw = swarm_of(ctx->app->engine);
		cf.match = name;
		cf.list = 1;
		room_files(rs, NULL, cmd_files_cb, &cf);
		free(name);
		return -1;
	}
	free(name);
	if (swarm_download(cf.sw, cf.hit.root, cf.hit.size, cf.hit.name, &num,
	        &cause) == -1)
		return cmd_fail(ctx, cause);
	cmd_reply(ctx, FE_INFO,
	    "downloading %s (#%lld) from the members that have it", cf.hit.name,
	    (long long)num);
	return 0;
}

struct cmd_share_list {
	struct cmd_ctx *ctx;
	size_t n;
};

static void
cmd_share_list_cb(void *arg, const struct swarm_report *r)
{
	struct cmd_share_list *sl = arg;
	struct cmd_ctx *ctx = sl->ctx;
	char bytes[FMT_SIZE_LEN], size[FMT_SIZE_LEN], up[FMT_SIZE_LEN];

	fmt_size(r->bytes, bytes, sizeof bytes);
	fmt_size(r->size, size, sizeof size);
	fmt_size(r->uploaded, up, sizeof up);
	cmd_reply(ctx, FE_INFO,
	    "#%lld room %s: %u%% (%s of %s), %s, %zu sources, %s served%s%s",
	    (long long)r->num, r->name, fmt_percent(r->bytes, r->size), bytes,
	    size, r->state, r->sources, up, r->done ? ", at " : "",
	    r->done ? r->path : "");
	sl->n++;
}

/* The swarm's lines of /transfers: how many. */
size_t
cmd_share_list(struct cmd_ctx *ctx)
{
	struct swarms *sw = swarm_of(ctx->app->engine);
	struct cmd_share_list sl = { ctx, 0 };

	if (sw != NULL)
		swarm_list(sw, cmd_share_list_cb, &sl);
	return sl.n;
}
