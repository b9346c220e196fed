/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the room files share (room.c: the feature, its state, delivery
 * and sync; room_admit.c: joins in both roles; room_ops.c: what the
 * commands do), and nothing else includes: the rooms, per-peer state
 * and the helpers they call across. See room.c for the design.
 */
#ifndef P2PTUI_ROOM_INT_H
#define P2PTUI_ROOM_INT_H

#include <stddef.h>
#include <stdint.h>

#include "cpace.h"
#include "proto.h"
#include "room.h"
#include "room_join.h"
#include "room_log.h"
#include "room_proto.h"

#define ROOM_SIDLEN 64 /* the Noise handshake hash */
#define ROOM_PRS_SEALED (4 + CPACE_PRSLEN) /* epoch:u32 prs */

/* A FILE event of the room's log (room_files.c). */
#define ROOM_FILE_SHARERS 8 /* named per file; more are counted */

struct room_file {
	uint8_t root[ROOM_HASHLEN];
	uint64_t size;
	char name[256];
	char who[ROOM_FILE_SHARERS][16]; /* who announced it, first first */
	size_t nwho; /* how many announced it */
	char whos[ROOM_FILE_SHARERS * 18 + 32]; /* "alice, bob and 3 more" */
};

struct room {
	struct rooms *rs;
	int64_t rowid;
	uint8_t id[ROOM_IDLEN];
	char name[ROOM_NAME_MAX + 1];
	char topic[ROOM_TOPIC_MAX + 1];
	uint8_t flags;
	uint8_t e[ROOM_KEYLEN];
	uint8_t *sk; /* ROOM_SKLEN, ident_secret_alloc */
	uint8_t *prs; /* CPACE_PRSLEN, or NULL */
	uint32_t prs_epoch;
	struct room_log *log;
	unsigned unread;
	int full_said; /* the pending set was full: said once */
	int64_t *fail_t; /* ROOM_LIMIT_ROOM_FAILURES times */
	uint8_t via[ROOM_KEYLEN]; /* who welcomed us, until our ADD is here */
	int via_set;
	struct room_file *files; /* announced, oldest first */
	size_t nfiles;
};

struct room_invited {
	uint8_t room[ROOM_IDLEN];
	uint8_t key[ROOM_KEYLEN];
};

/* An answer to a SYNC, sent by the pump. */
struct room_out {
	struct room *r;
	struct room_vv *v;
	size_t nv;
	uint64_t lamport; /* the last sent; 0: none yet */
	uint8_t id[ROOM_HASHLEN];
	int more;
};

/* A join of ours through a peer. */
struct room_joining {
	char name[ROOM_NAME_MAX + 1];
	char *password; /* NULL: invited */
	uint8_t room[ROOM_IDLEN];
	int looked; /* the id is known */
	struct room_joiner *j;
	uint8_t pk[ROOM_KEYLEN];
	uint8_t *sk;
	struct room_member_info me;
	uint64_t serial;
};

/* Per peer (engine_peer_slot()). */
struct room_peer {
	uint64_t serial; /* the session the outs belong to */
	struct room_out *outs;
	size_t nouts;
	struct room_joining *joining;
	struct room_responder *resp;
	struct room *resp_room;
	uint64_t resp_serial;
};

/* A /join through an address, until its session opens. */
struct room_pending {
	char *hostport;
	char name[ROOM_NAME_MAX + 1];
	char *password;
};

struct rooms {
	struct engine *eng;
	struct store_room *sr;
	const struct fe_ops *fe;
	void *fe_arg;
	uint8_t wrap[ROOM_KEYLEN];
	struct room **v;
	size_t n;
	struct room *current;
	struct room_limit limit;
	struct room_invited *invited;
	size_t ninvited;
	struct room_pending *pending;
	size_t npending;
	struct loop_timer *digest;
	struct peer *source; /* the peer whose event is being received */
	struct room_done *done; /* delivered, for room_after() */
	size_t ndone;
	uint8_t buf[PROTO_PLAIN_MAX];
	uint8_t ev[ROOM_EVENT_MAX];
	struct room_msg msg, msg2, in; /* built, built by room_join.c, read */
};

/* What a delivery changes beyond the store (room_after()). */
struct room_done;

/* The log's hooks (room.c). */
extern const struct room_log_ops room_log_ops;

/* room.c */
int64_t room_now_ms(void);
void room_report_simple(struct room *r, enum room_report_kind kind,
    const char *who, const char *what);
void room_denied_report(
    struct rooms *rs, struct room *r, const char *name, const char *why);
const struct room_member_info *room_member_by_e(
    const struct room *r, const uint8_t *e, int *active);
const struct room_member_info *room_member_by_noise(
    const struct room *r, const uint8_t *noise);
const char *room_who(const struct room_member_info *m, char *buf, size_t len);
int room_shared(const struct room *r, const struct peer *p);
int room_peer_ok(const struct peer *p);
void room_record_fill(struct room_member_info *m, const struct peer *p);
void room_my_record(
    struct rooms *rs, const uint8_t e[ROOM_KEYLEN], struct room_member_info *m);
void room_send(struct rooms *rs, struct peer *p, const struct room_msg *m);
struct room_msg *room_msg_new(
    struct rooms *rs, uint8_t type, const uint8_t *room);
struct room_peer *room_peer(struct peer *p);
void room_joining_free(struct room_joining *jg);
int room_store_prs(struct room *r, char **cause);
struct room *room_new(struct rooms *rs, const uint8_t *id, const char *name);
void room_free(struct room *r);
int room_store_new(struct room *r, char **cause);
void room_after(struct rooms *rs);
int room_write(struct room *r, const struct room_body *b, char **cause);
/* room_files.c */
void room_file_add(struct room *, const struct room_body *, const char *who);
void room_file_load(struct room *, const uint8_t *raw, size_t len);
void room_files_register(struct rooms *);
void room_start_peer(struct rooms *rs, struct room *r, struct peer *p);

/* room_admit.c */
int room_is_invited(
    struct rooms *rs, const struct room *r, const struct peer *p);
void room_member_side(
    struct rooms *rs, struct peer *p, const struct room_msg *m);
void room_joiner_side(
    struct rooms *rs, struct peer *p, const struct room_msg *m);
void room_pending_start(struct rooms *rs, struct peer *p);

#endif
