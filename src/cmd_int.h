/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Shared by the command files: cmd.c (the table, dispatch, /help, peers,
 * chat and history), cmd_flip.c (flips, dice and picks), cmd_file.c
 * (file transfers), cmd_room.c (rooms) and cmd_share.c (room files). Each
 * feature's commands live in a file of their own, and the table in cmd.c names
 * their handlers.
 */
#ifndef P2PTUI_CMD_INT_H
#define P2PTUI_CMD_INT_H

#include <stddef.h>
#include <stdint.h>

#include "cmd.h"

/* Reply to whoever typed the command. */
void cmd_reply(struct cmd_ctx *, enum fe_level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Report an engine failure (freeing cause) and return -1. */
int cmd_fail(struct cmd_ctx *, char *cause);
/* Split the next word off *args into a new string; NULL if none. */
char *cmd_word(const char **args);
/* The peer named by the next word, or the current one if none (unless
 * required); NULL if there is none (the reason is replied). */
struct peer *cmd_peer(struct cmd_ctx *, const char **args, int required);
/* The peer named by w, or the current one if w is NULL. */
struct peer *cmd_peer_named(struct cmd_ctx *, const char *w);
/* -1 (replied) if anything is left in args. */
int cmd_no_more(struct cmd_ctx *, const char *args, const char *name);

/* cmd_flip.c */
int cmd_flip(struct cmd_ctx *, const char *args);
int cmd_roll(struct cmd_ctx *, const char *args);
int cmd_pick(struct cmd_ctx *, const char *args);
int cmd_flips(struct cmd_ctx *, const char *args);

/* cmd_file.c */
int cmd_file_send(struct cmd_ctx *, const char *args);
int cmd_file_cancel(struct cmd_ctx *, const char *args);
int cmd_file_list(struct cmd_ctx *, const char *args);
/* /accept and /decline of a transfer: by number in args, or p's oldest
 * offer. */
int cmd_offer_answer(struct cmd_ctx *, const char *args, int accept);
int cmd_offer_of(struct cmd_ctx *, struct peer *, int accept);

/* cmd_room.c */
struct room;
int cmd_room(struct cmd_ctx *, const char *args);
int cmd_join(struct cmd_ctx *, const char *args);
int cmd_rooms_list(struct cmd_ctx *, const char *args);
int cmd_room_msg(struct cmd_ctx *, const char *args);
int cmd_room_say(struct cmd_ctx *, struct room *, const char *text);
int cmd_room_history(struct cmd_ctx *, const char *args);
/* Take a leading "#NAME" word off *args: its room, or the current;
 * NULL (replied) if there is none. */
struct room *cmd_room_arg(struct cmd_ctx *, const char **args);
/* The rooms' part of /search: the lines found (replied), how many. */
size_t cmd_room_search(struct cmd_ctx *, const char *text);

/* cmd_share.c */
int cmd_share(struct cmd_ctx *, const char *args);
int cmd_files(struct cmd_ctx *, const char *args);
int cmd_download(struct cmd_ctx *, const char *args);
/* The room files' lines of /transfers: how many. */
size_t cmd_share_list(struct cmd_ctx *);

#endif
