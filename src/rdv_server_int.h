/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rendezvous server's insides, shared by rdv_server.c (connections,
 * sessions, requests) and rdv_relay.c (relays): the connection, relay
 * and server structures, and the functions each file lends the other.
 */
#ifndef P2PTUI_RDV_SERVER_INT_H
#define P2PTUI_RDV_SERVER_INT_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "net.h"
#include "proto.h"
#include "rdv_limits.h"
#include "rdv_proto.h"
#include "rdv_sess.h"

struct ident;
struct loop;
struct loop_timer;
struct loop_watch;
struct rdv_conf;
struct store_rdv;

#define RDV_FIRST_MS 10000 /* for the handshake or the relay hello */
#define RDV_IDLE_MS 120000 /* a session that says nothing */
#define RDV_PAIR_MS 10000 /* for both halves of a relay */
#define RDV_PENDING_MS 60000 /* a CONNECT waits for the answer */
#define RDV_INTRO_MS 120000 /* an introduction allows RELAY */
#define RDV_SLOTS 8 /* pending CONNECTs and introductions kept */
#define RDV_OUT_MAX (1024 * 1024) /* a session not reading */
#define RDV_RELAY_BUF (256 * 1024)
#define RDV_READ_MAX (64 * 1024)
/* Connections of any kind: sessions, relay halves, and some in between. */
#define RDV_MAX_CONNS(conf) \
	((size_t)(conf)->max_clients + 2 * (size_t)(conf)->max_relays + 256)

enum rdv_kind { RDV_FIRST, RDV_SESSION, RDV_RELAY };

/* What rdv_limit() counts. */
enum rdv_limit_kind { RDV_LIMIT_REG, RDV_LIMIT_LOOKUP, RDV_LIMIT_CONNECT };

struct rdv_slot {
	uint8_t key[RDV_KEYLEN];
	uint64_t ms; /* 0: empty */
};

struct rdv_relay;

struct rdv_cl {
	struct rdv_server *srv;
	LIST_ENTRY(rdv_cl) entry;
	LIST_ENTRY(rdv_cl) dead_entry;
	enum rdv_kind kind;
	int fd, dead, online;
	struct loop_watch *watch;
	struct loop_timer *timer;
	struct rdv_lim *src; /* of its address (IPv4 /32, IPv6 /64) */
	struct rdv_lim *klim; /* of its key, once online */
	char host[NET_ADDRSTRLEN]; /* observed, without the port */
	uint16_t sport; /* observed source port */
	uint64_t last_rx;

	/* FIRST and RELAY: raw bytes. */
	struct buf in, out;
	struct rdv_relay *relay;
	int side;

	/* SESSION */
	struct rdv_sess sess;
	int has_sess;
	uint8_t key[RDV_KEYLEN];
	char name[RDV_NAME_MAX + 1];
	uint8_t *subs; /* sorted keys */
	size_t nsubs;
	uint16_t port;
	struct rdv_addr addrs[RDV_ADDRS_MAX];
	size_t naddrs;
	struct rdv_slot pending[RDV_SLOTS], intro[RDV_SLOTS];
};

struct rdv_relay {
	struct rdv_server *srv;
	LIST_ENTRY(rdv_relay) entry;
	uint8_t keys[2][RDV_KEYLEN];
	uint8_t tokens[2][RDV_TOKENLEN];
	struct rdv_cl *half[2];
	struct loop_timer *timer;
	uint64_t created, last;
	struct rdv_bucket rate[2]; /* bytes from half i */
	int paired; /* both halves came */
};

struct rdv_server {
	struct loop *loop;
	const struct rdv_conf *conf;
	const struct ident *id;
	struct store_rdv *store;
	int lfd;
	struct loop_watch *lwatch;
	LIST_HEAD(, rdv_cl) cls;
	LIST_HEAD(, rdv_cl) dead;
	LIST_HEAD(, rdv_relay) relays;
	struct loop_timer *reap;
	struct loop_timer *accept_timer; /* out of descriptors: wait */
	size_t nconns; /* every accepted connection not yet closed */
	void *keys; /* tsearch tree of online sessions by key */
	/* The limits of source addresses and of keys, kept a while after
	 * their last connection (rdv_limits.h). */
	struct rdv_lims srcs, klims;
	size_t nclients, nrelays;
	uint8_t scratch[PROTO_FRAME_MAX];
	uint8_t msgbuf[PROTO_FRAME_MAX];
};

/* rdv_server.c */
/* Refill a bucket of rate per period_ms (burst: rate; starts full). */
void rdv_refill(struct rdv_bucket *, double rate, double period_ms);
/* Per key and per address: -1 unless both buckets of the kind have a
 * token (then one is taken from each). */
int rdv_limit(struct rdv_cl *, enum rdv_limit_kind, int rate, double period_ms);
/* The online session of key, or NULL. */
struct rdv_cl *rdv_find(struct rdv_server *, const uint8_t *key);
/* The slot of key no older than max_age ms, or NULL. */
struct rdv_slot *rdv_slot_find(
    struct rdv_slot *, const uint8_t *key, uint64_t max_age);
void rdv_send(struct rdv_cl *, const struct rdv_msg *);
void rdv_refuse(struct rdv_cl *, uint8_t what, uint8_t reason);
/* Close c (freed later, from a fresh stack). */
void rdv_cl_kill(struct rdv_cl *, const char *why);

/* rdv_relay.c */
/* RELAY from a session: tokens for both sides of an introduction. */
void rdv_do_relay(struct rdv_cl *, const struct rdv_msg *);
/* The first frame was a relay hello: pair c by its token, or close it. */
void rdv_become_relay(struct rdv_cl *, const uint8_t token[RDV_TOKENLEN]);
/* A relay half is readable. */
void rdv_relay_read(struct rdv_cl *);
/* What each half of r waits for, after any change. */
void rdv_relay_update(struct rdv_relay *);
/* End r and close both halves. */
void rdv_relay_free(struct rdv_relay *);

#endif
