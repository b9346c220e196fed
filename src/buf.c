/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Byte buffers. Invariant: off <= len <= hw <= cap. Consumed space is
 * reclaimed by moving the unread bytes to the front when more room is
 * needed, so a buffer that is drained as fast as it is filled stays small.
 *
 * A block is wiped before it is freed (it may hold plaintext), but only
 * below hw, the highest len it has had: a socket read reserves 256 KiB
 * and mostly fills a page or two, and wiping all of it would fault in
 * every untouched page only to zero it (10,000 connections closing at
 * /quit spent seconds so).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "xmalloc.h"

void
buf_init(struct buf *b)
{
	memset(b, 0, sizeof *b);
}

void
buf_free(struct buf *b)
{
	if (b->data != NULL) {
		/* Buffers carry plaintext: do not leave it in freed memory. */
		explicit_bzero(b->data, b->hw);
		free(b->data);
	}
	buf_init(b);
}

uint8_t *
buf_reserve(struct buf *b, size_t n)
{
	size_t used = buf_used(b), want;
	uint8_t *nd;

	if (b->cap - b->len >= n)
		return b->data + b->len;
	if (b->off > 0) {
		memmove(b->data, b->data + b->off, used);
		b->off = 0;
		b->len = used;
		if (b->cap - b->len >= n)
			return b->data + b->len;
	}
	if (n > SIZE_MAX / 2 - used)
		fatal("buffer size overflow");
	want = b->cap < 1024 ? 1024 : b->cap;
	while (want - used < n)
		want *= 2;
	/* Not realloc: the old block may hold plaintext and must be wiped. */
	nd = xmalloc(want);
	if (used > 0)
		memcpy(nd, b->data + b->off, used);
	if (b->data != NULL) {
		explicit_bzero(b->data, b->hw);
		free(b->data);
	}
	b->data = nd;
	b->off = 0;
	b->len = b->hw = used;
	b->cap = want;
	return b->data + b->len;
}

void
buf_commit(struct buf *b, size_t n)
{
	if (n > b->cap - b->len)
		fatal("buf_commit past the end");
	b->len += n;
	if (b->len > b->hw)
		b->hw = b->len;
}

void
buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	memcpy(buf_reserve(b, n), p, n);
	buf_commit(b, n);
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n > buf_used(b))
		fatal("buf_consume past the end");
	b->off += n;
	if (b->off == b->len)
		b->off = b->len = 0;
}
