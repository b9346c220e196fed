/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The files announced in rooms (DESIGN.md section 10): each room keeps
 * the FILE events of its log (root, size, name, author) in memory, from
 * the store at start and as they are delivered, and writes ours
 * (room_share()). The swarm feature learns of them through the engine's
 * registry (engine_set_files()): which roots were announced in a room we
 * are in, and whether a peer is an active member of such a room, the
 * one rule of PROTOCOL.md 17.1. So neither feature names the other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "room_int.h"
#include "util.h"
#include "xmalloc.h"

/* f's sharers as text: "alice", "alice, bob", "alice, bob and 2 more". */
static void
room_file_whos(struct room_file *f)
{
	size_t i, n = f->nwho < ROOM_FILE_SHARERS ? f->nwho : ROOM_FILE_SHARERS;
	size_t off = 0;

	f->whos[0] = '\0';
	for (i = 0; i < n; i++)
		off += (size_t)snprintf(f->whos + off, sizeof f->whos - off,
		    "%s%s", i > 0 ? ", " : "", f->who[i]);
	if (f->nwho > n)
		snprintf(f->whos + off, sizeof f->whos - off, " and %zu more",
		    f->nwho - n);
}

/* Remember the FILE event b by author (its nick or short key): a file
 * announced again (the same root) keeps its first name and size and
 * counts one more sharer. */
void
room_file_add(struct room *r, const struct room_body *b, const char *who)
{
	struct room_file *f = NULL;
	size_t i;

	for (i = 0; i < r->nfiles && f == NULL; i++)
		if (memcmp(r->files[i].root, b->root, ROOM_HASHLEN) == 0)
			f = &r->files[i];
	if (f == NULL) {
		r->files =
		    xreallocarray(r->files, r->nfiles + 1, sizeof *r->files);
		f = &r->files[r->nfiles++];
		memset(f, 0, sizeof *f);
		memcpy(f->root, b->root, ROOM_HASHLEN);
		f->size = b->size;
		snprintf(f->name, sizeof f->name, "%.*s", (int)b->len,
		    (const char *)b->text);
	}
	for (i = 0; i < f->nwho && i < ROOM_FILE_SHARERS; i++)
		if (strcmp(f->who[i], who) == 0)
			return; /* shared again by the same member */
	if (f->nwho < ROOM_FILE_SHARERS)
		snprintf(f->who[f->nwho], sizeof f->who[0], "%s", who);
	f->nwho++;
	room_file_whos(f);
}

/* A stored FILE event at start: opened with its epoch's key. */
void
room_file_load(struct room *r, const uint8_t *raw, size_t len)
{
	struct room_event ev;
	struct room_body b;
	const struct room_member_info *m;
	uint8_t key[ROOM_KEYLEN], *plain;
	size_t plainlen;
	const char *why;
	char who[16];

	if (room_event_parse(raw, len, &ev, &why) == -1 ||
	    room_log_key(r->log, ev.epoch, key) == -1)
		return;
	plain = xmalloc(ev.bodylen);
	if (room_event_open(&ev, raw, key, plain, &plainlen) == 0 &&
	    room_body_decode(ROOM_FILE, plain, plainlen, &b, &why) == 0) {
		m = room_member_by_e(r, ev.author, NULL);
		room_file_add(r, &b, room_who(m, who, sizeof who));
	}
	ident_wipe(key, sizeof key);
	free(plain);
}

int
room_share(struct rooms *rs, struct room *r, const char *name, uint64_t size,
    const uint8_t *root, char **cause)
{
	struct room_body b;

	(void)rs;
	if (!room_active(r)) {
		*cause = xasprintf("you are not a member of #%s", r->name);
		return -1;
	}
	memset(&b, 0, sizeof b);
	b.kind = ROOM_FILE;
	b.text = (const uint8_t *)name;
	b.len = strlen(name);
	b.size = size;
	memcpy(b.root, root, ROOM_HASHLEN);
	return room_write(r, &b, cause);
}

void
room_files(struct rooms *rs, struct room *only, room_file_cb cb, void *arg)
{
	struct room_file_line l;
	struct room *r;
	size_t i, j;

	for (i = 0; i < rs->n; i++) {
		r = rs->v[i];
		if ((only != NULL && r != only) || !room_active(r))
			continue;
		for (j = 0; j < r->nfiles; j++) {
			l.room = r->name;
			l.who = r->files[j].whos;
			l.name = r->files[j].name;
			l.size = r->files[j].size;
			l.root = r->files[j].root;
			cb(arg, &l);
		}
	}
}

static const struct room_file *
room_file_find(const struct room *r, const uint8_t *root)
{
	size_t i;

	for (i = 0; i < r->nfiles; i++)
		if (memcmp(r->files[i].root, root, ROOM_HASHLEN) == 0)
			return &r->files[i];
	return NULL;
}

static int
room_files_announced(
    void *arg, const uint8_t *root, uint64_t *size, const char **name)
{
	struct rooms *rs = arg;
	const struct room_file *f;
	size_t i;

	for (i = 0; i < rs->n; i++) {
		if (!room_active(rs->v[i]) ||
		    (f = room_file_find(rs->v[i], root)) == NULL)
			continue;
		*size = f->size;
		*name = f->name;
		return 1;
	}
	return 0;
}

static int
room_files_member(void *arg, const uint8_t *root, const struct peer *p)
{
	struct rooms *rs = arg;
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (room_file_find(rs->v[i], root) != NULL &&
		    room_shared(rs->v[i], p))
			return 1;
	return 0;
}

static const struct engine_files room_files_ops = {
	.announced = room_files_announced,
	.member = room_files_member,
};

/* Tell the engine where the swarm asks about room files. */
void
room_files_register(struct rooms *rs)
{
	engine_set_files(rs->eng, &room_files_ops, rs);
}
