/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Growable byte buffers with a read offset: append at the end, consume
 * from the front. Used for socket input and output queues.
 */
#ifndef P2PTUI_BUF_H
#define P2PTUI_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t *data;
	size_t off; /* first unread byte */
	size_t len; /* end of valid data */
	size_t cap;
	size_t hw; /* the highest len since the block was allocated */
};

void buf_init(struct buf *);
/*
 * Release the memory (wiping what ever held data: the bytes below the
 * high-water mark hw) and reinitialise.
 */
void buf_free(struct buf *);
/* Bytes waiting to be consumed. */
static inline size_t
buf_used(const struct buf *b)
{
	return b->len - b->off;
}
static inline uint8_t *
buf_head(const struct buf *b)
{
	return b->data != NULL ? b->data + b->off : NULL;
}
/*
 * Make room for n more bytes and return where they go. Write there only
 * what is then committed: a byte written but never committed lies above
 * the high-water mark, and nothing wipes it.
 */
uint8_t *buf_reserve(struct buf *, size_t n);
/* Account for n bytes written into the space from buf_reserve. */
void buf_commit(struct buf *, size_t n);
void buf_append(struct buf *, const void *, size_t);
void buf_consume(struct buf *, size_t n);

#endif
