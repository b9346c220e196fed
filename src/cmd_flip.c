/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The flip commands: /flip, /roll, /pick and /flips (with the details
 * needed to check a flip by hand). The protocol is flip.c's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "cmd_int.h"
#include "flip.h"
#include "proto.h"
#include "util.h"
#include "xmalloc.h"

static int
cmd_flip_start(
    struct cmd_ctx *ctx, struct peer *p, const struct proto_draw *draw)
{
	char *cause;

	if (flip_start(flip_of(ctx->app->engine), p, draw, &cause) == -1)
		return cmd_fail(ctx, cause);
	return 0;
}

int
cmd_flip(struct cmd_ctx *ctx, const char *args)
{
	struct peer *p = cmd_peer(ctx, &args, 0);
	struct proto_draw draw;

	if (p == NULL || cmd_no_more(ctx, args, "flip") == -1)
		return -1;
	memset(&draw, 0, sizeof draw);
	draw.kind = PROTO_DRAW_COIN;
	return cmd_flip_start(ctx, p, &draw);
}

/*
 * /roll [PEER] [NdM]: with two words, the peer and the dice; with one,
 * the dice if it has the form [N]dM, else the peer.
 */
int
cmd_roll(struct cmd_ctx *ctx, const char *args)
{
	char *w1 = cmd_word(&args), *w2 = cmd_word(&args), *cause;
	const char *who = w1, *dice = w2;
	struct proto_draw draw;
	struct peer *p;
	int ret = -1;

	if (*args != '\0') {
		cmd_reply(ctx, FE_ERROR, "usage: /roll [PEER] [NdM]");
		goto out;
	}
	if (w1 != NULL && w2 == NULL && flip_is_dice(w1)) {
		who = NULL;
		dice = w1;
	}
	if (flip_parse_dice(dice != NULL ? dice : "1d6", &draw, &cause) == -1) {
		ret = cmd_fail(ctx, cause);
		goto out;
	}
	if ((p = cmd_peer_named(ctx, who)) != NULL)
		ret = cmd_flip_start(ctx, p, &draw);
out:
	free(w1);
	free(w2);
	return ret;
}

/*
 * /pick [PEER] A | B | C: the first word is the peer if it names one and
 * more text follows it before the first '|'; otherwise every word is
 * part of the options.
 */
int
cmd_pick(struct cmd_ctx *ctx, const char *args)
{
	const char *rest = args, *bar;
	char *w = cmd_word(&rest), *cause;
	struct proto_draw draw;
	struct peer *p = NULL;
	int ret = -1;

	if (w == NULL || strchr(args, '|') == NULL) {
		cmd_reply(ctx, FE_ERROR, "usage: /pick [PEER] A | B | C");
		goto out;
	}
	bar = strchr(rest, '|');
	if (bar != NULL && bar != rest &&
	    (p = engine_find_peer(ctx->app->engine, w)) != NULL)
		args = rest;
	if (flip_parse_pick(args, &draw, &cause) == -1) {
		ret = cmd_fail(ctx, cause);
		goto out;
	}
	if (p == NULL && (p = cmd_peer_named(ctx, NULL)) == NULL)
		goto out;
	ret = cmd_flip_start(ctx, p, &draw);
out:
	free(w);
	return ret;
}

static void
cmd_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms == 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Everything needed to check a flip by hand (doc/PROTOCOL.md 7.7). */
static void
cmd_flip_details(struct cmd_ctx *ctx, const struct flip *fl)
{
	const uint8_t *own = engine_own_key(ctx->app->engine), *ka, *kb;
	uint8_t enc[PROTO_DRAW_MAX];
	char hex[2 * PROTO_DRAW_MAX + 1], text[4096], fp[IDENT_FP_LEN + 1],
	    t0[32], t1[32];
	size_t n;
	unsigned i;

	ka = fl->local ? own : fl->peer_key;
	kb = fl->local ? fl->peer_key : own;
	util_hex(fl->id, PROTO_FLIP_ID_LEN, hex);
	flip_describe(fl, text, sizeof text);
	cmd_reply(ctx, FE_INFO, "flip %s: %s", hex, text);
	n = proto_draw_encode(&fl->draw, enc, sizeof enc);
	util_hex(enc, n, hex);
	flip_draw_name(&fl->draw, text, sizeof text);
	cmd_reply(ctx, FE_INFO, "draw: %s, encoded %s", text, hex);
	for (i = 0; fl->draw.kind == PROTO_DRAW_PICK && i < fl->draw.noptions;
	     i++)
		cmd_reply(
		    ctx, FE_INFO, "option %u: %s", i + 1, fl->draw.options[i]);
	if (fl->state == FLIP_DONE && fl->draw.kind == PROTO_DRAW_DICE) {
		for (i = 0, n = 0; i < fl->draw.count; i++)
			n += (size_t)snprintf(
			    text + n, sizeof text - n, " %u", fl->result[i]);
		cmd_reply(ctx, FE_INFO, "dice:%s", text);
	}
	util_hex(fl->sid, FLIP_SID_LEN, hex);
	cmd_reply(ctx, FE_INFO, "session id: %s", hex);
	ident_fingerprint(ka, fp);
	util_hex(ka, IDENT_KEYLEN, hex);
	cmd_reply(ctx, FE_INFO, "initiator (A): %s %s, key %s",
	    fl->local ? "you" : fl->peer_name, fp, hex);
	ident_fingerprint(kb, fp);
	util_hex(kb, IDENT_KEYLEN, hex);
	cmd_reply(ctx, FE_INFO, "responder (B): %s %s, key %s",
	    fl->local ? fl->peer_name : "you", fp, hex);
	util_hex(fl->commitment, PROTO_FLIP_VALUE_LEN, hex);
	cmd_reply(ctx, FE_INFO, "commitment: %s", hex);
	util_hex(fl->a, PROTO_FLIP_VALUE_LEN, hex);
	cmd_reply(ctx, FE_INFO, "a: %s", fl->has_a ? hex : "(not revealed)");
	util_hex(fl->b, PROTO_FLIP_VALUE_LEN, hex);
	cmd_reply(ctx, FE_INFO, "b: %s", fl->has_b ? hex : "(not received)");
	cmd_time(fl->started_ms, t0, sizeof t0);
	cmd_time(fl->ended_ms, t1, sizeof t1);
	cmd_reply(ctx, FE_INFO, "started %s, ended %s", t0, t1);
}

/* /flips [PEER | #ID]: list recent flips, or show one in full. */
int
cmd_flips(struct cmd_ctx *ctx, const char *args)
{
	struct flips *f = flip_of(ctx->app->engine);
	const struct flip *fl;
	struct peer *p = NULL;
	char *w = cmd_word(&args), hex[2 * PROTO_FLIP_ID_LEN + 1], text[4096];
	int ambiguous, n = 0, ret = -1;

	if (cmd_no_more(ctx, args, "flips") == -1)
		goto out;
	if (w != NULL && w[0] == '#') {
		if ((fl = flip_find(f, w + 1, &ambiguous)) == NULL) {
			cmd_reply(ctx, FE_ERROR,
			    ambiguous ? "several flips match %s: give more "
			                "digits"
			              : "no flip %s (see /flips)",
			    w);
			goto out;
		}
		cmd_flip_details(ctx, fl);
		ret = 0;
		goto out;
	}
	if (w != NULL && (p = cmd_peer_named(ctx, w)) == NULL)
		goto out;
	for (fl = flip_next(f, NULL); fl != NULL; fl = flip_next(f, fl)) {
		if (p != NULL && !ident_key_equal(fl->peer_key, p->key))
			continue;
		util_hex(fl->id, 4, hex);
		flip_describe(fl, text, sizeof text);
		cmd_reply(ctx, FE_INFO, "#%s %s", hex, text);
		n++;
	}
	if (n == 0)
		cmd_reply(ctx, FE_INFO, "no flips yet: /flip, /roll, /pick");
	ret = 0;
out:
	free(w);
	return ret;
}
