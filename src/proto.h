/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The wire format after the Noise handshake, as pure functions over
 * buffers: frames, the handshake payload and typed messages. Every field
 * is checked to the byte; see doc/PROTOCOL.md.
 */
#ifndef P2PTUI_PROTO_H
#define P2PTUI_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1
#define PROTO_NOISE "Noise_XX_25519_ChaChaPoly_BLAKE2b"
#define PROTO_PROLOGUE "p2ptui/1 Noise_XX_25519_ChaChaPoly_BLAKE2b"
#define PROTO_FRAME_MAX 65535
#define PROTO_TAGLEN 16
#define PROTO_PLAIN_MAX (PROTO_FRAME_MAX - PROTO_TAGLEN)
#define PROTO_HS_PAYLOAD_LEN 6
#define PROTO_ID_LEN 16
#define PROTO_NICK_MAX 32
#define PROTO_TEXT_MAX 60000
#define PROTO_REKEY_INTERVAL 65536

enum proto_type {
	PROTO_HELLO = 0x01,
	PROTO_PING = 0x02,
	PROTO_PONG = 0x03,
	PROTO_BYE = 0x04,
	PROTO_NICK = 0x05,
	PROTO_CHAT = 0x10,
	PROTO_ACK = 0x11,
	PROTO_FLIP_COMMIT = 0x20,
	PROTO_FLIP_RESPONSE = 0x21,
	PROTO_FLIP_REVEAL = 0x22,
	PROTO_FILE_OFFER = 0x30,
	PROTO_FILE_ACCEPT = 0x31,
	PROTO_FILE_CANCEL = 0x32,
	PROTO_FILE_REQUEST = 0x33,
	PROTO_FILE_CHUNK = 0x34,
	PROTO_FILE_DONE = 0x35,
};

/* Coin flips, dice and picks (flip.c; doc/PROTOCOL.md section 7.7). */
#define PROTO_FLIP_ID_LEN 16
#define PROTO_FLIP_VALUE_LEN 32 /* a commitment, or a contribution */
#define PROTO_DICE_MAX 100 /* dice in one roll */
#define PROTO_SIDES_MIN 2
#define PROTO_SIDES_MAX 1000
#define PROTO_PICK_MIN 2 /* options of a pick */
#define PROTO_PICK_MAX 32
#define PROTO_OPTION_MAX 64 /* bytes in one option */
#define PROTO_DRAW_MAX (2 + PROTO_PICK_MAX * (1 + PROTO_OPTION_MAX))

enum proto_draw_kind {
	PROTO_DRAW_COIN = 1,
	PROTO_DRAW_DICE = 2,
	PROTO_DRAW_PICK = 3,
};

/* What a flip draws: its kind and parameters. */
struct proto_draw {
	uint8_t kind;
	uint8_t count; /* dice: how many, 1 to PROTO_DICE_MAX */
	uint16_t sides; /* dice: sides of each */
	uint8_t noptions; /* pick: PROTO_PICK_MIN to PROTO_PICK_MAX */
	char options[PROTO_PICK_MAX][PROTO_OPTION_MAX + 1];
};

/* Files (xfer.c; doc/PROTOCOL.md section 7.8). */
#define PROTO_FILE_FIRST 0x30
#define PROTO_FILE_LAST 0x3f
#define PROTO_XFER_ID_LEN 16
#define PROTO_FILE_HASHLEN 32 /* the root, and each proof hash */
#define PROTO_FILE_NAME_MAX 1024 /* bytes of a name in an offer */
#define PROTO_FILE_SIZE_MAX (UINT64_C(1) << 62) /* bytes of a file */
#define PROTO_FILE_PROOF_MAX 64 /* hashes in one proof (44 suffice) */
#define PROTO_FILE_LEAF (256 * 1024) /* = MERKLE_LEAF */
/* A chunk's header: type, id, index, offset, proof count. */
#define PROTO_FILE_CHUNK_HDR (1 + PROTO_XFER_ID_LEN + 8 + 4 + 1)

enum proto_cancel_reason {
	PROTO_CANCEL_USER = 0, /* the user cancelled it */
	PROTO_CANCEL_DECLINED = 1, /* the receiver declined the offer */
	PROTO_CANCEL_ERROR = 2, /* a local error: cannot read or write */
	PROTO_CANCEL_CHANGED = 3, /* the sender's file changed or is gone */
	PROTO_CANCEL_UNKNOWN = 4, /* no such transfer (any more) */
	PROTO_CANCEL_BAD_DATA = 5, /* chunks kept failing verification */
	PROTO_CANCEL_MAX = PROTO_CANCEL_BAD_DATA,
};

/* Types at or above this are extensions: ignored if unknown. */
#define PROTO_EXTENSION 0x80

enum proto_bye_reason {
	PROTO_BYE_QUIT = 0,
	PROTO_BYE_DECLINED = 1,
	PROTO_BYE_DUPLICATE = 2,
	PROTO_BYE_ERROR = 3,
	PROTO_BYE_BUSY = 4,
	PROTO_BYE_TIMEOUT = 5,
	PROTO_BYE_DISCONNECTED = 6, /* the user disconnected (PROTO_CAP_PEER) */
	PROTO_BYE_FULL = 7, /* the sender has max_peers sessions (ditto) */
	PROTO_BYE_MAX = PROTO_BYE_FULL,
};

/*
 * Capability bits of the handshake payload (and HELLO). PROTO_CAP_PEER:
 * the sender understands HELLO fields after the nick, NICK,
 * BYE(disconnected) and BYE(full); none of them is sent to a peer without
 * the bit.
 * PROTO_CAP_TEXT: line feeds in CHAT text; a peer without it gets a
 * space for each. PROTO_CAP_ROOM: room messages (0x40-0x4f).
 */
#define PROTO_CAP_PEER 0x00000001u
#define PROTO_CAP_TEXT 0x00000002u
#define PROTO_CAP_ROOM 0x00000004u
#define PROTO_CAP_SWARM 0x00000008u /* swarm messages (0x50-0x5f) */
#define PROTO_CAPS \
	(PROTO_CAP_PEER | PROTO_CAP_TEXT | PROTO_CAP_ROOM | PROTO_CAP_SWARM)

/* Rooms (room.c; doc/PROTOCOL.md section 14): decoded by room_proto.c,
 * so proto.c passes them whole (type byte first) in u.raw. */
#define PROTO_ROOM_FIRST 0x40
#define PROTO_ROOM_LAST 0x4f
/* The swarm (swarm.c; section 17): decoded by swarm_proto.c, passed
 * whole in u.raw too. */
#define PROTO_SWARM_FIRST 0x50
#define PROTO_SWARM_LAST 0x5f

/* HELLO fields after the nick: tag:u8 len:u8 value[len]. */
#define PROTO_HELLO_LISTEN 0x01 /* port:u16 [IPv4[4] | IPv6[16]] */
#define PROTO_HELLO_FIELDS_MAX 16 /* fields of any tag in one HELLO */
#define PROTO_LISTEN_MAX 4 /* LISTEN fields in one HELLO */

/* An address the sender listens on; family 0: the port only, at the
 * address the connection comes from. */
struct proto_listen {
	uint8_t family; /* 0, 4 or 6 */
	uint16_t port; /* 1 to 65535 */
	uint8_t addr[16]; /* 4 bytes for IPv4 */
};

struct proto_msg {
	uint8_t type;
	union {
		struct {
			uint16_t version;
			uint32_t caps;
			char nick[PROTO_NICK_MAX + 1];
			uint8_t nlisten;
			struct proto_listen listen[PROTO_LISTEN_MAX];
			uint8_t nskipped; /* fields of unknown tags (decoder) */
		} hello;
		char nick[PROTO_NICK_MAX + 1]; /* NICK */
		uint64_t token; /* ping, pong */
		uint8_t reason; /* bye */
		struct {
			uint8_t id[PROTO_ID_LEN];
			uint64_t seq;
			int64_t time_ms;
			const uint8_t
			    *text; /* points into the decoded buffer */
			size_t len;
		} chat;
		struct {
			uint8_t id[PROTO_ID_LEN];
		} ack;
		struct {
			uint8_t id[PROTO_FLIP_ID_LEN];
			/* COMMIT: the commitment; RESPONSE: b; REVEAL: a. */
			uint8_t value[PROTO_FLIP_VALUE_LEN];
			/* COMMIT, RESPONSE: the encoded draw, pointing into
			 * the decoded buffer; REVEAL: NULL, 0. */
			const uint8_t *draw;
			size_t drawlen;
		} flip;
		/* FILE_OFFER: id, size, root, name (name, namelen: 1 to
		 * PROTO_FILE_NAME_MAX bytes, no NUL, pointing into the
		 * decoded buffer; not sanitised: that is the receiver's job).
		 * FILE_ACCEPT: id, and have: the bytes the receiver already
		 * holds verified (a hint for the sender's progress).
		 * FILE_CANCEL: id, reason. FILE_REQUEST: id, index (a
		 * leaf index: below PROTO_FILE_SIZE_MAX / PROTO_FILE_LEAF).
		 * FILE_DONE: id. FILE_CHUNK: id, index, offset (into the
		 * leaf), the proof (nproof hashes, only in the piece at
		 * offset 0, else nproof is 0) and the data (datalen >= 1
		 * bytes, pointing into the decoded buffer, offset + datalen
		 * <= PROTO_FILE_LEAF; the whole message within
		 * PROTO_PLAIN_MAX). */
		struct {
			uint8_t id[PROTO_XFER_ID_LEN];
			uint64_t size;
			uint8_t root[PROTO_FILE_HASHLEN];
			const char *name;
			size_t namelen;
			uint64_t have;
			uint8_t reason;
			uint64_t index;
			uint32_t offset;
			const uint8_t *proof; /* nproof * PROTO_FILE_HASHLEN */
			uint8_t nproof;
			const uint8_t *data;
			size_t datalen;
		} file;
		/* A room message, whole (type byte first), pointing into
		 * the decoded buffer. */
		struct {
			const uint8_t *data;
			size_t len;
		} raw;
	} u;
};

/*
 * Find the first complete frame in data: 1 with *body and *len set (the
 * frame occupies 2 + *len bytes), 0 if more bytes are needed, -1 if the
 * frame is empty (never valid).
 */
int proto_frame_next(
    const uint8_t *data, size_t avail, const uint8_t **body, size_t *len);
/* The 2-byte header for a frame of len bytes (len <= PROTO_FRAME_MAX). */
void proto_frame_header(uint8_t hdr[2], size_t len);

/* The handshake payload: version and capabilities. */
void proto_hs_payload_encode(uint8_t out[PROTO_HS_PAYLOAD_LEN]);
int proto_hs_payload_decode(
    const uint8_t *, size_t, uint16_t *version, uint32_t *caps);

/*
 * Decode one message. Unknown extension types give type 0 (ignore).
 * -1 with *why (static string) for anything malformed; text longer than
 * max_text is malformed.
 */
int proto_decode(const uint8_t *, size_t, size_t max_text, struct proto_msg *,
    const char **why);
/* Encode into out (cap bytes); the length, or 0 if it does not fit. */
size_t proto_encode(const struct proto_msg *, uint8_t *out, size_t cap);

/*
 * Decode an encoded draw (kind and parameters, exactly len bytes) into d,
 * or only check it if d is NULL. -1 with *why if malformed.
 */
int proto_draw_decode(
    const uint8_t *, size_t len, struct proto_draw *d, const char **why);
/* Encode a draw; the length, or 0 if it is invalid or does not fit. */
size_t proto_draw_encode(const struct proto_draw *, uint8_t *out, size_t cap);

/* Text for a cancel reason ("cancelled", "declined", ...; "unknown
 * reason" above PROTO_CANCEL_MAX). */
const char *proto_cancel_text(uint8_t reason);

/* Text for a bye reason. */
const char *proto_bye_text(uint8_t reason);

/*
 * A CHAT text that starts with "/me " is an action ("/me waves": alice
 * waves), as in XEP-0245; a client that does not know it shows the text
 * as it is. Returns PROTO_ACTION_LEN for an action, else 0.
 */
#define PROTO_ACTION "/me "
#define PROTO_ACTION_LEN 4
size_t proto_action(const uint8_t *text, size_t len);

#endif
