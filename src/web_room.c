/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Rooms in the web page (web_room.h): the room list, a room's history
 * and the room reports, as the JSON messages of p2ptui(1), WEB FRONTEND.
 * Text from members goes through web_json_str(), so it is always valid
 * UTF-8 and the page inserts it only with textContent.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "room.h"
#include "swarm.h"
#include "util.h"
#include "web_json.h"
#include "web_room.h"

static void
web_room_obj(struct buf *b, struct room *r)
{
	size_t online, all;

	room_counts(r, &online, &all);
	buf_append(b, "{", 1);
	web_json_key(b, "name", 1);
	web_json_str(b, room_name(r), strlen(room_name(r)));
	web_json_key(b, "id", 0);
	web_json_hex(b, room_id(r), ROOM_IDLEN);
	web_json_kstr(b, "topic", room_topic(r));
	web_json_raw(b,
	    ",\"online\":%zu,\"members\":%zu,\"unread\":%u,\"active\":%s}",
	    online, all, room_unread(r), room_active(r) ? "true" : "false");
}

void
web_room_list(struct buf *b, struct rooms *rs)
{
	size_t i, n = rs != NULL ? room_count(rs) : 0;

	web_json_begin(b, "rooms");
	web_json_key(b, "rooms", 0);
	buf_append(b, "[", 1);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_append(b, ",", 1);
		web_room_obj(b, room_get(rs, i));
	}
	buf_append(b, "]", 1);
}

int
web_room_event(struct buf *b, const struct room_report *rep)
{
	char text[512];

	if (rep->room == NULL) {
		snprintf(text, sizeof text, "joining #%s failed: %s", rep->name,
		    rep->what != NULL ? rep->what : "");
		web_json_begin(b, "notice");
		web_json_kstr(b, "level", "error");
		web_json_kstr(b, "text", text);
		return 1;
	}
	switch (rep->kind) {
	case ROOM_REP_MSG:
		web_json_begin(b, "rmsg");
		web_json_kstr(b, "room", rep->name);
		web_json_kstr(b, "who", rep->who);
		web_json_key(b, "text", 0);
		web_json_str(b, rep->text, rep->len);
		web_json_raw(b, ",\"time\":%" PRId64 ",\"outgoing\":%s",
		    rep->time_ms, rep->outgoing ? "true" : "false");
		return 1;
	case ROOM_REP_JOINED:
		snprintf(text, sizeof text, "you are in #%s", rep->name);
		break;
	case ROOM_REP_MEMBER:
		snprintf(text, sizeof text, "%s %s", rep->who,
		    strcmp(rep->what, "add") == 0         ? "joined"
		        : strcmp(rep->what, "leave") == 0 ? "left"
		                                          : "was removed");
		break;
	default:
		return 0;
	}
	web_json_begin(b, "rnotice");
	web_json_kstr(b, "room", rep->name);
	web_json_kstr(b, "text", text);
	return 1;
}

struct web_room_rooms {
	struct buf *b;
	const uint8_t *root;
	size_t n;
};

static void
web_room_file_cb(void *arg, const struct room_file_line *l)
{
	struct web_room_rooms *c = arg;

	if (memcmp(l->root, c->root, ROOM_HASHLEN) != 0)
		return;
	if (c->n++ > 0)
		buf_append(c->b, ",", 1);
	web_json_str(c->b, l->room, strlen(l->room));
}

void
web_room_file(struct buf *b, struct rooms *rs, const struct swarm_report *r)
{
	struct web_room_rooms c = { b, r->root, 0 };

	web_json_begin(b, "rfile");
	web_json_raw(b, ",\"num\":%" PRId64, r->num);
	web_json_kstr(b, "name", r->name);
	web_json_kstr(b, "state", r->state);
	if (r->root != NULL) {
		web_json_key(b, "root", 0);
		web_json_hex(b, r->root, ROOM_HASHLEN);
	}
	web_json_raw(b,
	    ",\"bytes\":%" PRIu64 ",\"size\":%" PRIu64
	    ",\"sources\":%zu,\"rate\":%.0f,\"done\":%s",
	    r->bytes, r->size, r->sources, r->rate, r->done ? "true" : "false");
	web_json_key(b, "rooms", 0);
	buf_append(b, "[", 1);
	if (rs != NULL && r->root != NULL)
		room_files(rs, NULL, web_room_file_cb, &c);
	buf_append(b, "]", 1);
}

struct web_room_files {
	struct buf *b;
	struct swarms *sw;
	size_t n;
	const char *hex; /* web_room_file_find(): the root wanted */
	struct room_file_line *hit;
	uint8_t *root;
};

static void
web_room_files_cb(void *arg, const struct room_file_line *l)
{
	struct web_room_files *c = arg;

	if (c->n++ > 0)
		buf_append(c->b, ",", 1);
	buf_append(c->b, "{", 1);
	web_json_key(c->b, "root", 1);
	web_json_hex(c->b, l->root, ROOM_HASHLEN);
	web_json_kstr(c->b, "name", l->name);
	web_json_raw(c->b, ",\"size\":%" PRIu64, l->size);
	web_json_kstr(c->b, "who", l->who);
	web_json_raw(c->b, ",\"have\":%" PRId64 "}",
	    c->sw != NULL ? swarm_held(c->sw, l->root) : (int64_t)-1);
}

void
web_room_files(
    struct buf *b, struct rooms *rs, struct swarms *sw, struct room *r)
{
	struct web_room_files c = { b, sw, 0, NULL, NULL, NULL };

	web_json_begin(b, "rfiles");
	web_json_kstr(b, "room", room_name(r));
	web_json_key(b, "files", 0);
	buf_append(b, "[", 1);
	room_files(rs, r, web_room_files_cb, &c);
	buf_append(b, "]", 1);
}

static void
web_room_find_cb(void *arg, const struct room_file_line *l)
{
	struct web_room_files *c = arg;
	char hex[2 * ROOM_HASHLEN + 1];

	if (c->n > 0)
		return;
	util_hex(l->root, ROOM_HASHLEN, hex);
	if (strcmp(hex, c->hex) != 0)
		return;
	c->n++;
	*c->hit = *l;
	memcpy(c->root, l->root, ROOM_HASHLEN);
	c->hit->root = c->root;
}

int
web_room_file_find(struct rooms *rs, struct room *r, const char *hex,
    struct room_file_line *l, uint8_t *root)
{
	struct web_room_files c = { NULL, NULL, 0, hex, l, root };

	room_files(rs, r, web_room_find_cb, &c);
	return c.n > 0;
}

struct web_room_hist {
	struct buf *b;
	size_t n;
};

static int
web_room_line(void *arg, struct room *r, const struct room_line *l)
{
	struct web_room_hist *h = arg;

	(void)r;
	if (h->n++ > 0)
		buf_append(h->b, ",", 1);
	buf_append(h->b, "{", 1);
	web_json_raw(h->b, "\"time\":%" PRId64, l->time_ms);
	web_json_kstr(h->b, "who", l->who);
	web_json_key(h->b, "text", 0);
	web_json_str(h->b, l->text, l->len);
	buf_append(h->b, "}", 1);
	return 0;
}

int
web_room_history(
    struct buf *b, struct rooms *rs, struct room *r, size_t limit, char **cause)
{
	struct web_room_hist h = { b, 0 };

	web_json_begin(b, "rhistory");
	web_json_kstr(b, "room", room_name(r));
	web_json_key(b, "lines", 0);
	buf_append(b, "[", 1);
	if (room_history(rs, r, limit, web_room_line, &h, cause) == -1) {
		buf_free(b);
		return -1;
	}
	buf_append(b, "]", 1);
	return 0;
}
