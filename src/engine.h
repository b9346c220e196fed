/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The engine: peers, their connections and chat, with no knowledge of
 * curses. It reports to the frontend only through struct fe_ops; the
 * curses UI, the headless frontend and unit-test stubs implement it.
 *
 * Implemented by conn.c, admit.c, peer.c and engine.c (engine_int.h),
 * and for chat by chat.c; features (feature.h) use the part "for
 * feature modules" below.
 */
#ifndef P2PTUI_ENGINE_H
#define P2PTUI_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "ident.h"

struct conf;
struct loop;
struct engine;
struct conn;
struct feature;
struct flip;
struct proto_msg;
struct room_report;
struct swarm_report;
struct store;
struct xfer;

enum peer_state {
	PEER_OFFLINE,
	PEER_CONNECTING, /* dialling or authenticating */
	PEER_WAITING, /* authenticated, waiting for them to accept us */
	PEER_REQUEST, /* an unknown key asks to talk: accept or decline */
	PEER_ONLINE,
};

enum peer_origin {
	PEER_CONFIG, /* pinned in the configuration file */
	PEER_LEARNED, /* accepted by the user, remembered in the data dir */
	PEER_UNKNOWN, /* a contact request, or a /connect not yet answered */
	PEER_MEMBER, /* not a contact, but a member of a room we are in:
	                its session carries room traffic only */
};

struct peer {
	struct engine *eng;
	/* name, key and has_key change only through peer.c's
	 * peer_set_name() and peer_set_key(), which index them. */
	char name[64]; /* config name, or the short fingerprint */
	char nick[64]; /* what the peer calls itself (sanitised), or "" */
	char *address; /* "HOST:PORT" to dial, or NULL */
	uint8_t key[IDENT_KEYLEN];
	int has_key;
	uint8_t seen_key[IDENT_KEYLEN]; /* a different key it presented */
	int has_seen_key;
	int autoconnect;
	enum peer_origin origin;
	enum peer_state state;
	char remote_addr[80]; /* where the current connection comes from */

	struct conn *conn; /* the authenticated connection */
	struct conn *dial; /* an outbound attempt in progress */
	struct loop_timer *retry; /* next autoconnect attempt */
	unsigned backoff; /* seconds before the next attempt */
	int refused; /* declined us, key mismatch or /disconnect: no retry */
	int declined_us; /* they declined our contact request (remembered) */
	int disconnected; /* /disconnect on either side: no autoconnect */
	int addr_learned; /* address from the peer's HELLO, not typed */
	int was_waiting; /* waited for them to accept our request */
	int quiet_online; /* we just accepted it: that said it */
	int been_online; /* online before, in this run */
	int rdv_online; /* the rendezvous server says it is online (rdv.c) */
	int rdv_request; /* its contact request came through the server */
	unsigned unread; /* for the frontend */
	void **fdata; /* the features' per-peer state (engine_peer_slot()) */
	uint64_t forget_ms; /* when /forget was first asked, to confirm */
	void *fe_data; /* the frontend's per-peer state */
};

enum fe_level { FE_INFO, FE_WARN, FE_ERROR };

struct fe_ops {
	/* Listening on addr (with the real port). */
	void (*ready)(void *arg, const char *addr);
	/* A peer was added or its state, nick or address changed. */
	void (*peer_changed)(void *arg, struct peer *);
	/* A peer was removed (a declined request); p is freed after this. */
	void (*peer_removed)(void *arg, struct peer *);
	/* A chat line; outgoing is 1 for our own. */
	void (*message)(void *arg, struct peer *, int outgoing,
	    const uint8_t id[16], int64_t time_ms, const char *text,
	    size_t len);
	/* Our message with this id reached the peer. */
	void (*delivered)(void *arg, struct peer *, const uint8_t id[16]);
	/* Something to tell the user; peer may be NULL. */
	void (*notice)(void *arg, struct peer *, enum fe_level, const char *);
	/* A coin flip, roll or pick with p started, resolved or failed
	 * (may be NULL). */
	void (*flip)(void *arg, struct peer *, const struct flip *);
	/* A file transfer with p is new or changed state (changed = 1),
	 * or made progress (changed = 0, at most about once a second per
	 * transfer while data flows). */
	void (*xfer)(
	    void *arg, struct peer *, const struct xfer *, int changed);
	/* Something happened in a room (room.h; may be NULL). */
	void (*room)(void *arg, const struct room_report *);
	/* A machine-readable event of the rendezvous client (rdv.c):
	 * "registered NAME", "presence PEER online", ...; the headless
	 * frontend prints it as a line, others ignore it (may be NULL).
	 * A notice for people goes with it where one is useful. */
	void (*event)(void *arg, const char *line);
	/* A room file download is new, changed state or made progress
	 * (swarm.h; may be NULL). */
	void (*swarm)(void *arg, const struct swarm_report *, int changed);
};

/*
 * Create the engine: peers from the configuration and the data directory.
 * NULL with *cause on a bad state file.
 */
struct engine *engine_create(struct loop *, const struct conf *,
    const struct ident *, const struct fe_ops *, void *fe_arg, char **cause);
/* Listen and start autoconnecting. -1 with *cause if we cannot listen. */
int engine_start(struct engine *, char **cause);
/*
 * Say bye to everyone and run the loop until that is written (at most
 * max_ms), so messages queued just before quitting still go out.
 */
void engine_shutdown(struct engine *, int max_ms);
/* Free everything (closing what is still open). */
void engine_free(struct engine *);

size_t engine_npeers(const struct engine *);
struct peer *engine_peer(const struct engine *, size_t);
/* By name, full fingerprint, or unique fingerprint prefix (>= 4 chars). */
struct peer *engine_find_peer(const struct engine *, const char *);

/* Dial HOST:PORT (names resolved without blocking). */
int engine_connect(struct engine *, const char *hostport, char **cause);
/*
 * Dial a hint about where a peer with a known key may be (a LAN beacon, a
 * rendezvous candidate), in the background: the peer's state and address
 * do not change, a failure or a different key is only logged, and a
 * session that comes up runs as route ("lan", "relay", ...; static).
 * -1 with *cause if the peer has no key or the address is bad; 0 without
 * dialling if the peer already has a session.
 */
int engine_dial_candidate(struct engine *, struct peer *, const char *hostport,
    const char *route, char **cause);
/*
 * TCP simultaneous open (a "punch"): like engine_dial_candidate, but from
 * our listening port (a shared listener: net_listen()), to the address a
 * rendezvous server observed for the peer's listening port, at the
 * moment it said; the side with the lower key is the Noise initiator.
 * Route "punched".
 */
int engine_punch(
    struct engine *, struct peer *, const char *hostport, char **cause);
/*
 * A relayed session (doc/PROTOCOL.md section 16.4): a fresh connection
 * to the rendezvous server at hostport, the relay hello with token as
 * its first bytes, then the peer handshake over it, as Noise initiator
 * if initiator is set. Like engine_dial_candidate, route "relay".
 */
int engine_relay(struct engine *, struct peer *, const char *hostport,
    const uint8_t token[32], int initiator, char **cause);
/* How the peer's session runs: "direct", or the route of the candidate
 * dial that made it; NULL without a session. */
const char *engine_peer_route(const struct peer *);
/* The port we listen on (0 if not listening). */
uint16_t engine_listen_port(const struct engine *);
/* Where we listen, "ADDR:PORT" with the real port ("off" if not). */
const char *engine_listen_addr(const struct engine *);
/* The router maps "IPV4:PORT" to our listening port (NULL: no longer);
 * HELLOs announce it first among our addresses. */
void engine_set_mapped(struct engine *, const char *hostport);
/* Dial a known peer at its address, lifting an earlier refusal. */
int engine_connect_peer(struct engine *, struct peer *, char **cause);
/* Give a learned peer a local name (kept in the data directory). */
int engine_rename(
    struct engine *, struct peer *, const char *name, char **cause);
/* Our nick, as sent in HELLO. */
const char *engine_nick(const struct engine *);
/* Change our nick and tell the online peers that understand NICK; *told
 * is how many did. */
int engine_set_nick(
    struct engine *, const char *nick, size_t *told, char **cause);
int engine_accept(struct engine *, struct peer *, char **cause);
/*
 * Make key a contact as /accept does (learned, remembered, reconnected
 * automatically), named name if that is a valid name nobody has, else
 * by the short form of its fingerprint. A contact already is returned
 * as it is; a contact request is accepted; a room member becomes a
 * contact; a declined key is declined no longer. NULL for our own key.
 */
struct peer *engine_add_contact(
    struct engine *, const uint8_t *key, const char *name);
/*
 * A contact request from key that came without a connection, through
 * via (the rendezvous server): listed as a request until /accept or
 * /decline, named name if that is a valid name nobody has, else by the
 * short form of its fingerprint, and told (folded, like requests that
 * connect, when they come in a flood). The request if there is one
 * already; NULL for our own key, a declined key, a contact or room
 * member, or when the requests are full of live ones.
 */
struct peer *engine_add_request(
    struct engine *, const uint8_t *key, const char *name, const char *via);
int engine_decline(struct engine *, struct peer *, char **cause);
/* Trust the key the peer presented last instead of the remembered one. */
int engine_trust(struct engine *, struct peer *, char **cause);
/* Send a chat message; id (16 bytes) is filled in if not NULL. */
int engine_send(struct engine *, struct peer *, const char *text, size_t len,
    uint8_t *id, char **cause);
/* Drop the connection to a peer (no autoconnect until /connect). */
int engine_disconnect(struct engine *, struct peer *, char **cause);

/* A stored chat line, for history, search and frontends. */
struct engine_line {
	int64_t rowid; /* position in the history: older lines are smaller */
	const uint8_t *id;
	int outgoing;
	int delivered; /* outgoing only: acknowledged by the peer */
	int64_t sent_ms; /* the sender's clock */
	int64_t recv_ms; /* ours, when stored */
	const char *text;
	size_t len;
};
/* A non-zero return stops the walk. */
typedef int (*engine_line_cb)(
    void *arg, struct peer *, const struct engine_line *);

/* p's history before rowid (0: from the newest), newest first. */
int engine_history(struct engine *, struct peer *, int64_t before, size_t limit,
    engine_line_cb, void *arg, char **cause);
/* Lines containing text, with p or with anyone (NULL), newest first. */
int engine_search(struct engine *, struct peer *, const char *text,
    size_t limit, engine_line_cb, void *arg, char **cause);
/* Count p's stored messages, and how many of ours are still pending. */
int engine_count(struct engine *, struct peer *, int64_t *total,
    int64_t *pending, char **cause);
/*
 * Messages are shown once even across crashes. A frontend records the
 * received messages it has shown (headless: written to stdout; TUI: in
 * the log model) with engine_shown(): those up to rowid upto, where
 * engine_handed() is the rowid of the newest one given to it so far
 * (through fe->message or engine_unshown()). At start, engine_unshown()
 * gives it, oldest first, those received before a crash but never
 * recorded shown (a NULL cb takes them as shown).
 */
int64_t engine_handed(const struct engine *);
void engine_shown(struct engine *, int64_t upto);
int engine_unshown(struct engine *, engine_line_cb, void *arg, char **cause);
/* Delete p's history, pending messages included. */
int engine_forget(struct engine *, struct peer *, int64_t *count, char **cause);

/*
 * For feature modules (flip.c, ...): send a message to an online peer;
 * -1 with *cause if it is not online or the connection failed.
 */
int engine_send_msg(
    struct engine *, struct peer *, const struct proto_msg *, char **cause);
/* The session id (Noise handshake hash) of p's connection, or NULL. */
const uint8_t *engine_session_id(const struct peer *);
/* Our own static public key. */
const uint8_t *engine_own_key(const struct engine *);
struct loop *engine_loop(const struct engine *);
const struct fe_ops *engine_fe(const struct engine *, void **arg);
const struct conf *engine_conf(const struct engine *);
struct store *engine_store(const struct engine *);
/* A store write of this iteration failed: nothing that depends on the
 * open transaction may reach the network. */
void engine_write_failed(struct engine *);
/* The peer with this key, or NULL. */
struct peer *engine_find_key(const struct engine *, const uint8_t *key);
/* Bytes waiting in the output buffer of p's connection; SIZE_MAX if p
 * is not online. */
size_t engine_queued(const struct peer *);
/* A number that changes with each new connection of p; 0 if none. */
uint64_t engine_conn_serial(const struct peer *);
/* The capabilities (PROTO_CAP_*) of p's connection; 0 if none. */
uint32_t engine_peer_caps(const struct peer *);
/* Messages just sent to p depend on this iteration's store writes: they
 * leave only after the commit, and not at all if it fails. */
void engine_hold(struct peer *);
/* Close p's connection (why as in "NAME went offline (why)"). */
void engine_drop(struct peer *, const char *why);
/*
 * upload_rate (p2ptui.conf(5)): 1 if a feature may send file data to p
 * now; else 0, and the engine pumps p again once both the budget of all
 * uploads and p's own allow it, so a sender's pump pauses and nothing
 * sleeps. A piece is sent whole and its bytes paid afterwards.
 */
int engine_upload_ok(struct peer *);
/* n bytes of file data were queued for p: spend them from the budgets. */
void engine_upload_spent(struct peer *, size_t n);
/* p is online and a feature has something new for it: each feature, in
 * table order, sends what fits (feature.h, pump). */
void engine_pump(struct peer *);
/* Where feature f may keep its own state for p (NULL until it stores
 * something there); it frees that in its removed and free hooks. */
void **engine_peer_slot(struct peer *, const struct feature *f);
/*
 * For the room feature (DESIGN.md section 9, "Sessions between
 * members"): the peer with this Noise key is a member of a room we are
 * in. A stranger becomes a PEER_MEMBER (trusted for room traffic only,
 * not saved: room.c adds them again at start), a contact request is
 * admitted as one (our HELLO goes out), a contact stays what it is. A
 * new member peer is dialled at hostport (may be NULL). NULL for our
 * own key.
 */
struct peer *engine_member_peer(struct engine *, const uint8_t *key,
    const char *nick, const char *hostport);
/* Dial HOST:PORT to join a room there: a key not known yet becomes a
 * PEER_MEMBER (room traffic only), not a contact. */
int engine_connect_member(struct engine *, const char *hostport, char **cause);
/* p is no longer a member of any room we share: a PEER_MEMBER loses
 * its trust and its session (it may ask again as a contact request). */
void engine_member_gone(struct peer *);
/*
 * Send on p's authenticated connection before HELLOs made it online (a
 * contact request, or waiting for one): only for a feature whose flags
 * have FEATURE_EARLY. -1 with *cause if there is no open connection.
 */
int engine_send_early(struct peer *, const struct proto_msg *, char **cause);
/* The address p's current connection dialled ("HOST:PORT"), or NULL
 * if it was not dialled by us. */
const char *engine_conn_target(const struct peer *);
/* Our identity (room.c seals its secrets under a key derived from it). */
const struct ident *engine_ident(const struct engine *);
/* Tell the user something; peer may be NULL. */
void engine_notice(struct engine *, struct peer *, enum fe_level,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/*
 * Room files (DESIGN.md section 10): the room feature says which roots
 * were announced where, the swarm feature asks, so that neither names
 * the other (a feature includes no other feature's header). Until
 * engine_set_files() nothing is announced.
 */
struct engine_files {
	/* 1 with the size, name (static until the next call) if root was
	 * announced in a room we are an active member of; else 0. */
	int (*announced)(
	    void *arg, const uint8_t *root, uint64_t *size, const char **name);
	/* 1 if p is an active member of a room of ours where root was
	 * announced (PROTOCOL.md 17.1). */
	int (*member)(void *arg, const uint8_t *root, const struct peer *p);
};
void engine_set_files(struct engine *, const struct engine_files *, void *arg);
int engine_file_announced(const struct engine *, const uint8_t *root,
    uint64_t *size, const char **name);
int engine_file_member(
    const struct engine *, const uint8_t *root, const struct peer *p);
/* Below this many queued bytes a feature may add bulk data (files);
 * chat is never held back by it. */
#define ENGINE_BULK_WATERMARK (256 * 1024)

/* Human-readable state. */
const char *peer_state_name(enum peer_state);
/* The state with what qualifies it: "request (offline)" for a request
 * whose connection is gone, "offline (declined)" for a peer that
 * declined our request, "offline (disconnected)" after /disconnect. */
const char *peer_state_text(const struct peer *);

#endif
