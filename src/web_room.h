/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Rooms in the web page (p2ptui(1), WEB FRONTEND): the JSON of the room
 * list, of a room's history and of what a room report says. Each
 * function starts a message in a fresh buf (web_json_begin()) and leaves
 * it open, for web.c to close and send to one client or to all.
 */
#ifndef P2PTUI_WEB_ROOM_H
#define P2PTUI_WEB_ROOM_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct room;
struct room_report;
struct rooms;
struct swarm_report;
struct swarms;
struct room_file_line;

/* {"type":"rooms","rooms":[{name, id, topic, online, members, unread,
 * active}...]} */
void web_room_list(struct buf *, struct rooms *);
/*
 * What rep says, as "rmsg" (a message), "rnotice" (a line in the room)
 * or "notice" (a join that failed): 1 with the message in b, 0 if rep
 * changes only what the room list shows.
 */
int web_room_event(struct buf *, const struct room_report *);
/* {"type":"rfile", num, name, state, bytes, size, sources, rate, done,
 * rooms: [names]}: a room file we download or share, and the rooms of
 * ours it was announced in. */
void web_room_file(struct buf *, struct rooms *, const struct swarm_report *);
/* {"type":"rfiles","room":NAME,"files":[{root, name, size, who, have}...]}:
 * the files announced in r, oldest first; have is what we hold of one
 * (bytes verified), -1 if nothing. */
void web_room_files(
    struct buf *, struct rooms *, struct swarms *, struct room *);
/* The file announced in r whose root is hex (64 lower-case digits): 1
 * with *l and root filled (l->name valid until the room changes), else 0. */
int web_room_file_find(struct rooms *, struct room *, const char *hex,
    struct room_file_line *l, uint8_t *root);
/* {"type":"rhistory","room":NAME,"lines":[{time, who, text}...]}: the
 * newest limit lines, oldest first; -1 with *cause (b freed). */
int web_room_history(
    struct buf *, struct rooms *, struct room *, size_t limit, char **cause);

#endif
