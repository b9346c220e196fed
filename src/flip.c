/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Coin flips, dice and picks: not yet implemented. Every flip message is
 * a protocol error until it is.
 */
#include <stdio.h>
#include <stdlib.h>

#include "flip.h"
#include "xmalloc.h"

struct flips {
	struct engine *eng;
};

struct flips *
flip_create(struct engine *eng)
{
	struct flips *f = xcalloc(1, sizeof *f);

	f->eng = eng;
	return f;
}

void
flip_free(struct flips *f)
{
	free(f);
}

int
flip_handle(struct flips *f, struct peer *p, const struct proto_msg *m,
    const char **why)
{
	(void)f;
	(void)p;
	(void)m;
	*why = "flips are not supported";
	return -1;
}

void
flip_peer_down(struct flips *f, struct peer *p)
{
	(void)f;
	(void)p;
}

void
flip_describe(const struct flip *fl, char *buf, size_t len)
{
	(void)fl;
	snprintf(buf, len, "flip");
}
