/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the engine files share (conn.c, admit.c, peer.c, engine.c), and
 * nothing else includes: the connection, the engine object and the
 * functions they call across. Features see only engine.h and feature.h.
 *
 * A connection (struct conn, conn.c) goes through
 *
 *   RESOLVING -> CONNECTING -> HANDSHAKE -> OPEN -> (closed)     outbound
 *                              HANDSHAKE -> OPEN -> (closed)     inbound
 *
 * and is attached to a peer (peer.c) once the handshake proves its key
 * and the key is trusted.
 */
#ifndef P2PTUI_ENGINE_INT_H
#define P2PTUI_ENGINE_INT_H

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdint.h>

#include "buf.h"
#include "loop.h"
#include "engine.h"
#include "net.h"
#include "noise.h"
#include "proto.h"

/* Limits on strangers; doc/PROTOCOL.md section 11 explains each. */
#define ENGINE_MAX_HANDSHAKES 32 /* inbound handshakes in progress */
#define ENGINE_HS_PER_SOURCE 4 /* ... from one address (IPv6: one /64) */
#define ENGINE_MSG1_MS 2000 /* for handshake message 1 after the accept */
#define ENGINE_MAX_REQUESTS 32
#define ENGINE_RATE_SLOTS 256 /* addresses and groups rate-limited */
#define ENGINE_GROUP_RATE 4 /* a /24 or /48 gets 4 x handshake_rate */
#define ENGINE_KNOWN_SLOTS 64 /* addresses trusted peers came from */
#define ENGINE_READ_PAUSE (512 * 1024) /* output above which reading stops */
#define ENGINE_REQ_QUEUE (4 * 1024) /* ... for a contact request */
#define ENGINE_REQ_BURST (16 * 1024) /* bytes a request may send at once */
#define ENGINE_REQ_RATE 1024 /* ... and per second after that */
#define ENGINE_IGNORED_BURST (1024 * 1024) /* bytes of extension frames */
#define ENGINE_IGNORED_RATE (64 * 1024) /* ... and per second after that */
#define ENGINE_ACCEPT_PAUSE_MS 1000 /* out of descriptors: listen later */
#define ENGINE_FOLD_MS 10000 /* repeated notices about strangers ... */
#define ENGINE_FOLD_SHOWN 5 /* ... beyond these are counted, not shown */
#define ENGINE_READ_MAX (256 * 1024)
#define ENGINE_BACKOFF_MIN 1
#define ENGINE_BACKOFF_MAX 300
#define ENGINE_CLOSE_LINGER_MS 1000
#define ENGINE_HELLO_WAIT_MS 1000
#define ENGINE_STATE_FILE "peers"
#define ENGINE_DECLINED_FILE "declined"
#define ENGINE_DECLINED_MAX 1024
#define ENGINE_SAVE_NOTICE_MS 60000 /* a failing store is said this often */

/* A token bucket: refills at a rate per second up to a burst. */
struct admit_bucket {
	double tokens;
	uint64_t last; /* ms */
};

/* A rate-limited source: an address (level 0) or a group (level 1). */
struct rate_slot {
	uint8_t level;
	uint8_t prefix[NET_PREFIXLEN];
	struct admit_bucket b;
};

/* An address a trusted peer's connection came from, and when. */
struct known_source {
	uint8_t prefix[NET_PREFIXLEN];
	uint64_t last;
};

enum conn_state {
	CONN_RESOLVING,
	CONN_CONNECTING,
	CONN_HANDSHAKE,
	CONN_OPEN,
	CONN_CLOSING, /* BYE queued: close once flushed */
	CONN_DEAD, /* closed, waiting for conn_reap() */
};

struct conn {
	struct engine *eng;
	LIST_ENTRY(conn) entry;
	enum conn_state state;
	int initiator;
	int fd;
	struct loop_watch *watch;
	struct loop_timer *timer; /* handshake deadline, then keepalive */

	char *target; /* outbound: "HOST:PORT" dialled */
	struct peer *want; /* outbound: the peer we meant to reach, or NULL */
	struct net_resolve *resolve;
	struct sockaddr_storage addrs[NET_MAX_ADDRS];
	size_t naddrs, next_addr;
	int last_errno;

	char addr[NET_ADDRSTRLEN]; /* remote address */
	uint8_t src[NET_PREFIXLEN]; /* ... as an address (IPv6: its /64) */
	uint64_t accepted_ms; /* inbound: when accepted */
	uint64_t open_ms; /* when the handshake completed */
	TAILQ_ENTRY(conn) hs_entry; /* inbound, in the handshake */
	int in_hs; /* on eng->handshakes */
	int counted; /* in eng->nsessions */
	int paused; /* not read: too much output waits */
	struct admit_bucket req_budget; /* bytes read as a contact request */
	struct admit_bucket ignored; /* bytes of ignored extension frames */

	struct noise_hs *hs;
	struct noise_cipher tx, rx;
	uint8_t sid[NOISE_HASHLEN];
	uint8_t rkey[IDENT_KEYLEN];
	uint32_t rcaps; /* the capabilities of their handshake payload */

	struct peer *peer; /* attached: authenticated and trusted or request */
	int explicit; /* dialled by the user: report failures */
	int candidate; /* a background dial to a hint: no state, no alarm */
	uint16_t bind_port; /* dial from this local port (a punch), or 0 */
	uint8_t *preamble; /* sent before the handshake (a relay hello) */
	size_t preamble_len;
	const char *route; /* how the session runs: "direct", "lan", ... */
	int member; /* dialled to join a room: the peer is a PEER_MEMBER */
	int hello_sent, hello_got;
	int inherit_online; /* replaced an online connection of the peer */
	int unanswered; /* no HELLO a while after ours: not accepted */
	uint64_t serial; /* unique per engine, never reused */
	int uncommitted; /* queued ACKs or messages that depend on the
	                    open transaction: on the engine's list */
	LIST_ENTRY(conn) uncommitted_entry;
	int fresh; /* output queued on an empty buffer: on the engine's */
	int held; /* ... list; and it also holds frames for the commit */
	LIST_ENTRY(conn) fresh_entry;
	struct admit_bucket upload; /* upload_rate of the peer: may go < 0 */
	int upload_wait; /* on the engine's upload_waiting list */
	LIST_ENTRY(conn) upload_entry;
	struct loop_timer *hello_timer;
	uint64_t last_rx, last_tx;
	struct buf in, out;
};

/* Notices about strangers, shown a few at a time and then counted. */
enum engine_fold_kind { FOLD_REQUEST, FOLD_STRANGER, FOLD_KINDS };
struct engine_fold {
	struct engine *eng;
	enum engine_fold_kind kind;
	uint64_t start; /* of the current window */
	unsigned shown, folded;
	struct loop_timer *timer;
};

/* Open addressing with linear probing over struct peer pointers: peer.c
 * keeps one by key and one by name, so a lookup costs the same with
 * 10,000 peers as with 10. cap is a power of two, or 0. */
struct peer_index {
	struct peer **slot;
	size_t cap, n;
};

struct engine {
	struct loop *loop;
	const struct conf *conf;
	const struct ident *id;
	const struct fe_ops *fe;
	void *fe_arg;

	int lfd;
	struct loop_watch *lwatch;
	struct loop_timer *accept_timer; /* listener paused: no descriptors */
	uint64_t accept_warned; /* when that was last reported */
	char listen_addr[NET_ADDRSTRLEN];
	uint8_t mapped_addr[4]; /* engine_set_mapped(): the router's */
	uint16_t mapped_port; /* 0: none */
	char *state_path;
	char *declined_path;
	char nick[PROTO_NICK_MAX + 1];

	struct peer **peers;
	size_t npeers;
	/* peers by key (those with has_key) and by name (peer.c) */
	struct peer_index bykey, byname;
	LIST_HEAD(, conn) conns;
	LIST_HEAD(, conn) dead;
	/* Connections with frames that wait for the commit hook, so the
	 * hook costs what happened, not the number of connections. */
	LIST_HEAD(, conn) uncommitted;
	/* Connections whose output this iteration queued on an empty
	 * buffer: the commit hook writes it (conn.c). */
	LIST_HEAD(, conn) fresh;
	int writing; /* the commit hook is writing them */
	/* upload_rate: the budget of all uploads, the connections whose
	 * feature pumps wait for it, and when they are pumped again. */
	struct admit_bucket upload;
	LIST_HEAD(, conn) upload_waiting;
	struct loop_timer *upload_timer;
	uint64_t upload_due;
	struct loop_timer *reap;
	size_t nconns;
	size_t nsessions; /* connections past the handshake, not closing */
	TAILQ_HEAD(, conn) handshakes; /* inbound, oldest first */
	size_t nhandshakes;

	uint8_t (*declined)[IDENT_KEYLEN]; /* oldest first, remembered */
	size_t ndeclined;
	struct rate_slot rate[ENGINE_RATE_SLOTS];
	struct admit_bucket global_rate;
	struct known_source known[ENGINE_KNOWN_SLOTS];
	struct engine_fold fold[FOLD_KINDS];
	void **fstate; /* each feature's state, in the order of features[] */
	/* Room files (engine_set_files()): what rooms announced where. */
	const struct engine_files *files;
	void *files_arg;
	struct store *store;
	int write_failed; /* a store write failed in this iteration */
	uint64_t save_notice_ms; /* when a failed commit was last said */
	uint64_t conn_serial;

	uint8_t scratch[PROTO_FRAME_MAX];
	uint8_t scratch2[PROTO_FRAME_MAX];
};

/* engine.c: c is closing: no upload wait. */
void engine_upload_forget(struct conn *);

/* conn.c: one connection, from the socket to an authenticated session. */
struct conn *conn_new(struct engine *, int initiator);
/* Start the Noise handshake (HANDSHAKE). */
int conn_hs_start(struct conn *);
/* Dial target for p (NULL: a /connect to an address). */
void conn_dial(
    struct engine *, struct peer *, const char *target, int explicit);
/* The loop's callback for a connection's descriptor. */
void conn_io(int, int, void *);
/* Replace the connection's timer. */
void conn_timer(struct conn *, uint64_t ms, loop_timer_cb);
/* The handshake deadline passed. */
void conn_handshake_expired(void *);
/* Arm the keepalive check delay_ms from now (plus jitter). */
void conn_keepalive_arm(struct conn *, uint64_t delay_ms);
/* Encrypt and queue a message; -1 if the connection is (now) closed. */
int conn_send(struct conn *, const struct proto_msg *);
/* Send our HELLO (and wait a while for theirs). */
void conn_send_hello(struct conn *);
/* The commit hook ended the transaction: write, or close if it failed. */
void conn_commit(struct engine *, int failed);
/* Close at once; the memory is freed later (conn_reap()). */
void conn_close(struct conn *, const char *why);
/* A protocol violation: one notice, then close. */
void conn_fail(struct conn *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Send BYE and close once it is written (or after a short linger). */
void conn_bye(struct conn *, uint8_t reason, const char *why);
/* Free the closed connections. */
void conn_reap(void *);
/* The address to dial c's peer back at, from the LISTEN fields of its
 * HELLO m; 0 if none. */
int conn_listen_addr(
    const struct conn *, const struct proto_msg *, char *out, size_t len);

/* admit.c: limits on strangers before and during the handshake. */
/* Refill b at rate per second up to burst (a fresh one starts full). */
void admit_bucket_fill(
    struct admit_bucket *, double rate, double burst, uint64_t now);
/* Take n tokens from b (rate per second, up to burst): 1, or 0. */
int admit_bucket_take(
    struct admit_bucket *, double rate, double burst, double n, uint64_t now);
/* A trusted peer's connection came from or went to src. */
void admit_known_add(struct engine *, const uint8_t *src);
/* The listener's callback: accept what the limits allow. */
void admit_accept_cb(int, int, void *);
/* Listen again (a descriptor is free). */
void admit_resume(void *);

/* peer.c: peers and trust. */
/* The configured peers, the learned ones and the declined keys. */
int peer_init(struct engine *, char **cause);
/* Free every peer. */
void peer_free_all(struct engine *);
struct peer *peer_by_key(const struct engine *, const uint8_t *key);
/* Recompute p's state and tell the frontend if anything changed. */
void peer_update(struct peer *);
/* Schedule the next autoconnect attempt, with backoff. */
void peer_schedule(struct peer *);
/* Make c the connection of p (the tie-break); 0 if c won. */
int peer_attach(struct conn *, struct peer *);
/* Initiator, after message 2: the peer to attach, or NULL (closed). */
struct peer *peer_check_responder(struct conn *);
/* Responder, after message 3: a known key, or a contact request. */
void peer_check_initiator(struct conn *);
/* HELLO on p's connection c: nick, address to dial back. */
void peer_hello(struct peer *, struct conn *, const struct proto_msg *);
/* NICK (or a HELLO's nick); 1 if it changed. */
int peer_set_nick(struct peer *, const char *nick);
/* BYE on p's own connection; 1 if that told the user p went offline. */
int peer_bye(struct peer *, uint8_t reason);

/* engine.c: the engine object, notices and the feature table. */
/* A notice about a stranger: a few are shown, the rest counted. */
void engine_notice_fold(struct engine *, enum engine_fold_kind, struct peer *,
    enum fe_level, const char *, ...) __attribute__((format(printf, 5, 6)));
/* A message of a feature's type from c; 0 if no feature owns it. */
int engine_dispatch(struct conn *, const struct proto_msg *);
/* p's session came up / went away: tell the features. */
void engine_online(struct peer *);
void engine_offline(struct peer *);
/* p's output buffer drained: each feature sends what fits. */
void engine_drained(struct peer *);
/* p is about to be freed: the features forget it. */
void engine_removed(struct peer *);
/* p has a new session that is not online yet (FEATURE_EARLY). */
void engine_opened(struct peer *);

#endif
