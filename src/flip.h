/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fair coin flips, dice and picks with a peer: commit-reveal bound to the
 * session (DESIGN.md section 7). Message types 0x20-0x2f.
 */
#ifndef P2PTUI_FLIP_H
#define P2PTUI_FLIP_H

#include <stddef.h>

struct engine;
struct flip;
struct flips;
struct peer;
struct proto_msg;

#define PROTO_FLIP_FIRST 0x20
#define PROTO_FLIP_LAST 0x2f

struct flips *flip_create(struct engine *);
void flip_free(struct flips *);

/* A message of a flip type from p; -1 with *why on a protocol error. */
int flip_handle(
    struct flips *, struct peer *, const struct proto_msg *, const char **why);
/* p's connection is gone: its flips in progress are abandoned. */
void flip_peer_down(struct flips *, struct peer *);

/* One line describing a flip's state or result, for frontends. */
void flip_describe(const struct flip *, char *buf, size_t len);

#endif
