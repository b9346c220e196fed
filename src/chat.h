/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * 1:1 chat (DESIGN.md section 6, doc/PROTOCOL.md section 7.5): an engine
 * feature like flip.c and xfer.c, owning CHAT and ACK (0x10 to 0x1f).
 * Frontends use its functions through engine.h (engine_send,
 * engine_history, ...); the engine reaches it only through this
 * descriptor.
 */
#ifndef P2PTUI_CHAT_H
#define P2PTUI_CHAT_H

struct feature;

#define PROTO_CHAT_FIRST 0x10
#define PROTO_CHAT_LAST 0x1f

extern const struct feature chat_feature;

#endif
