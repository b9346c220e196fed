/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The file commands: /send, /cancel, /transfers, and the transfer side
 * of /accept and /decline. The protocol is xfer.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "cmd_int.h"
#include "fmt.h"
#include "proto.h"
#include "util.h"
#include "xfer.h"
#include "xmalloc.h"

static struct xfers *
cmd_xfers(struct cmd_ctx *ctx)
{
	struct xfers *xs = xfer_of(ctx->app->engine);

	if (xs == NULL)
		cmd_reply(ctx, FE_ERROR, "file transfer is not ready yet");
	return xs;
}

/* The transfer numbered by w, "#N" (or "N" if bare is set); NULL if there
 * is none (the reason is replied). */
static const struct xfer *
cmd_xfer_find(struct cmd_ctx *ctx, struct xfers *xs, const char *w, int bare)
{
	const char *s = w[0] == '#' ? w + 1 : w;
	const struct xfer *x;
	long long n;
	char *end;

	errno = 0;
	n = strtoll(s, &end, 10);
	if ((s == w && !bare) || *s < '0' || *s > '9' || *end != '\0' ||
	    errno != 0 || n <= 0) {
		cmd_reply(ctx, FE_ERROR,
		    "'%s' is not a transfer number such as #3 "
		    "(see /transfers)",
		    w);
		return NULL;
	}
	if ((x = xfer_find(xs, (int64_t)n)) == NULL)
		cmd_reply(
		    ctx, FE_ERROR, "no transfer #%lld (see /transfers)", n);
	return x;
}

static const char *
cmd_xfer_peer(const struct xfer *x)
{
	return x->peer != NULL ? x->peer->name : "?";
}

/* Accept or decline the incoming offer x. */
static int
cmd_offer_do(
    struct cmd_ctx *ctx, struct xfers *xs, const struct xfer *x, int accept)
{
	char *cause;
	int ret;

	/* An incoming transfer held up by a full disk: go on now. */
	if (accept && x->stalled)
		return xfer_accept(xs, x, &cause) == -1 ? cmd_fail(ctx, cause)
		                                        : 0;
	if (x->outgoing || x->state != XFER_OFFERED) {
		if (x->outgoing && x->state < XFER_DONE)
			cmd_reply(ctx, FE_ERROR,
			    "#%lld is your own offer to %s: /cancel #%lld "
			    "withdraws it",
			    (long long)x->num, cmd_xfer_peer(x),
			    (long long)x->num);
		else
			cmd_reply(ctx, FE_ERROR,
			    "#%lld is not an offer waiting for an answer "
			    "(it is %s)",
			    (long long)x->num, xfer_state_name(x->state));
		return -1;
	}
	if (accept)
		ret = xfer_accept(xs, x, &cause);
	else
		ret = xfer_cancel(xs, x, &cause);
	if (ret == -1)
		return cmd_fail(ctx, cause);
	return 0;
}

/* /accept #N, /decline #N. */
int
cmd_offer_answer(struct cmd_ctx *ctx, const char *args, int accept)
{
	struct xfers *xs = cmd_xfers(ctx);
	const struct xfer *x;
	char *w = cmd_word(&args);
	int ret = -1;

	if (xs == NULL ||
	    cmd_no_more(ctx, args, accept ? "accept" : "decline") == -1)
		goto out;
	if ((x = cmd_xfer_find(ctx, xs, w, 0)) != NULL)
		ret = cmd_offer_do(ctx, xs, x, accept);
out:
	free(w);
	return ret;
}

/* /accept, /decline for a peer that is not a contact request: its newest
 * file offer. */
int
cmd_offer_of(struct cmd_ctx *ctx, struct peer *p, int accept)
{
	struct xfers *xs = cmd_xfers(ctx);
	const struct xfer *x;

	if (xs == NULL)
		return -1;
	if ((x = xfer_pending_offer(xs, p)) == NULL) {
		cmd_reply(ctx, FE_ERROR,
		    "%s has no contact request or file offer waiting "
		    "(see /transfers)",
		    p->name);
		return -1;
	}
	return cmd_offer_do(ctx, xs, x, accept);
}

/* A path as typed: blanks around it and one pair of quotes (as terminals
 * paste a dropped file) removed, ~/ expanded. */
static char *
cmd_path(const char *s)
{
	size_t n;
	char *t, *path;

	s += strspn(s, " \t");
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= 2 && (s[0] == '\'' || s[0] == '"') && s[n - 1] == s[0]) {
		s++;
		n -= 2;
	}
	t = xstrndup(s, n);
	path = util_expand_home(t);
	free(t);
	return path;
}

/* Does the path typed as s name something? */
static int
cmd_exists(const char *s)
{
	struct stat sb;
	char *path = cmd_path(s);
	int ret = stat(path, &sb) == 0;

	free(path);
	return ret;
}

/* Is path a file we can send? If not, say why, naming it. */
static int
cmd_check_file(struct cmd_ctx *ctx, const char *path)
{
	struct stat sb;
	int fd;

	if (stat(path, &sb) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			cmd_reply(ctx, FE_ERROR,
			    "cannot send %s: there is no such file", path);
		else
			cmd_reply(ctx, FE_ERROR, "cannot send %s: %s", path,
			    strerror(errno));
		return -1;
	}
	if (S_ISDIR(sb.st_mode)) {
		cmd_reply(ctx, FE_ERROR,
		    "cannot send %s: it is a directory (send its files one "
		    "by one)",
		    path);
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		cmd_reply(ctx, FE_ERROR,
		    "cannot send %s: it is not a regular file", path);
		return -1;
	}
	/* O_NONBLOCK: it was a regular file, but could be swapped. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		cmd_reply(ctx, FE_ERROR, "cannot send %s: cannot read it: %s",
		    path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * /send [PEER] PATH. Names may contain spaces, so the whole argument is
 * the path if it names something that exists; otherwise the first word is
 * the peer if it names one and more words follow, and the rest the path.
 * The file is checked first so that its problem is the one reported.
 */
int
cmd_file_send(struct cmd_ctx *ctx, const char *args)
{
	struct xfers *xs = cmd_xfers(ctx);
	struct peer *p = NULL, *named;
	const struct xfer *x;
	const char *rest = args;
	char *path, *w, *abs, *cause, cwd[4096];
	struct stat sb;
	int ret = -1;

	if (xs == NULL)
		return -1;
	path = cmd_path(args);
	if (*path == '\0') {
		free(path);
		cmd_reply(ctx, FE_ERROR, "usage: /send [PEER] PATH");
		return -1;
	}
	if (stat(path, &sb) == -1 && (w = cmd_word(&rest)) != NULL) {
		named = engine_find_peer(ctx->app->engine, w);
		if (named != NULL && *rest != '\0') {
			p = named;
			free(path);
			path = cmd_path(rest);
		} else if (*rest != '\0' && cmd_exists(rest)) {
			/* "/send carol notes.txt": the file is there, so the
			 * first word was meant as a peer. */
			cmd_reply(
			    ctx, FE_ERROR, "no peer '%s' (see /peers)", w);
			free(w);
			goto out;
		}
		free(w);
	}
	if (cmd_check_file(ctx, path) == -1)
		goto out;
	if (p == NULL && (p = ctx->current) == NULL) {
		cmd_reply(ctx, FE_ERROR,
		    "which peer? /send PEER PATH, with a name or a "
		    "fingerprint");
		goto out;
	}
	/* Absolute, so a transfer resumed after a restart finds it from any
	 * directory; symbolic links are kept, and so is the name offered. */
	if (path[0] != '/') {
		if (getcwd(cwd, sizeof cwd) == NULL) {
			cmd_reply(ctx, FE_ERROR,
			    "cannot send %s: the current directory: %s", path,
			    strerror(errno));
			goto out;
		}
		abs = xasprintf("%s/%s", cwd, path);
		free(path);
		path = abs;
	}
	if (xfer_send(xs, p, path, &x, &cause) == -1) {
		cmd_fail(ctx, cause);
		goto out;
	}
	ret = 0;
out:
	free(path);
	return ret;
}

/* /cancel #N: stop any transfer that has not ended. */
int
cmd_file_cancel(struct cmd_ctx *ctx, const char *args)
{
	struct xfers *xs = cmd_xfers(ctx);
	const struct xfer *x;
	char *w = cmd_word(&args), *cause;
	int ret = -1;

	if (xs == NULL)
		goto out;
	if (w == NULL || *args != '\0') {
		cmd_reply(ctx, FE_ERROR, "usage: /cancel #N (see /transfers)");
		goto out;
	}
	if ((x = cmd_xfer_find(ctx, xs, w, 1)) == NULL)
		goto out;
	if (x->state >= XFER_DONE) {
		cmd_reply(ctx, FE_ERROR, "#%lld has already ended (%s)",
		    (long long)x->num, xfer_state_name(x->state));
		goto out;
	}
	if (xfer_cancel(xs, x, &cause) == -1) {
		cmd_fail(ctx, cause);
		goto out;
	}
	ret = 0;
out:
	free(w);
	return ret;
}

/* Why a transfer was cancelled or failed (a PROTO_CANCEL_*), or NULL when
 * there is nothing to add to "cancelled" or "declined". */
static const char *
cmd_xfer_reason(int reason)
{
	return reason > PROTO_CANCEL_DECLINED
	    ? proto_cancel_text((uint8_t)reason)
	    : NULL;
}

/* What a transfer is doing, or how it ended, for /transfers. */
static void
cmd_xfer_state(const struct xfer *x, char *buf, size_t len)
{
	const char *who = cmd_xfer_peer(x), *why = cmd_xfer_reason(x->reason);
	char rate[FMT_SIZE_LEN], eta[FMT_DURATION_LEN];
	size_t k;

	switch (x->state) {
	case XFER_HASHING:
		snprintf(buf, len, "preparing (computing its hash)");
		break;
	case XFER_OFFERED:
		if (x->outgoing && x->unsent)
			snprintf(buf, len, "will offer when %s is online", who);
		else if (x->outgoing)
			snprintf(buf, len, "offered, waiting for %s", who);
		else
			snprintf(buf, len,
			    "offered: /accept #%lld or "
			    "/decline #%lld",
			    (long long)x->num, (long long)x->num);
		break;
	case XFER_ACTIVE:
		k = (size_t)snprintf(
		    buf, len, "%s", x->outgoing ? "sending" : "receiving");
		if (x->peer != NULL && x->peer->state != PEER_ONLINE)
			snprintf(buf + k, len - k,
			    ", waiting for %s to be "
			    "online",
			    who);
		else if (x->rate > 0) {
			fmt_rate(x->rate, rate, sizeof rate);
			if (fmt_eta(x->size - x->bytes, x->rate, eta,
			        sizeof eta) == 0)
				snprintf(buf + k, len - k, ", %s, %s left",
				    rate, eta);
		}
		break;
	case XFER_DONE:
		if (x->outgoing)
			snprintf(buf, len, "done: %s has it, verified", who);
		else
			snprintf(buf, len, "done: verified and saved as %s",
			    x->path != NULL ? x->path : "?");
		break;
	case XFER_CANCELLED:
		snprintf(buf, len, "%s%s%s%s%s%s",
		    x->reason == PROTO_CANCEL_DECLINED ? "declined"
		                                       : "cancelled",
		    x->by_peer ? " by " : "", x->by_peer ? who : "",
		    why != NULL ? " (" : "", why != NULL ? why : "",
		    why != NULL ? ")" : "");
		return; /* the reason says it all */
	case XFER_FAILED:
		snprintf(buf, len, "failed%s%s",
		    why != NULL && x->error[0] == '\0' ? ": " : "",
		    why != NULL && x->error[0] == '\0' ? why : "");
		break;
	}
	k = strlen(buf);
	if (x->error[0] != '\0' && k < len)
		snprintf(buf + k, len - k, ": %s", x->error);
}

/* /transfers: one a line, "#N in|out PEER NAME: PCT% (BYTES of SIZE),
 * STATE". */
int
cmd_file_list(struct cmd_ctx *ctx, const char *args)
{
	struct xfers *xs = cmd_xfers(ctx);
	const struct xfer *x;
	char bytes[FMT_SIZE_LEN], size[FMT_SIZE_LEN], state[4096 + 256];
	int n = 0;

	if (xs == NULL || cmd_no_more(ctx, args, "transfers") == -1)
		return -1;
	for (x = xfer_next(xs, NULL); x != NULL; x = xfer_next(xs, x)) {
		fmt_size(x->bytes, bytes, sizeof bytes);
		fmt_size(x->size, size, sizeof size);
		cmd_xfer_state(x, state, sizeof state);
		cmd_reply(ctx, FE_INFO, "#%lld %s %s %s: %u%% (%s of %s), %s",
		    (long long)x->num, x->outgoing ? "out" : "in",
		    cmd_xfer_peer(x), x->name, fmt_percent(x->bytes, x->size),
		    bytes, size, state);
		n++;
	}
	n += (int)cmd_share_list(ctx);
	if (n == 0)
		cmd_reply(ctx, FE_INFO,
		    "no transfers: /send [PEER] PATH offers a file");
	return 0;
}
