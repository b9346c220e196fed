/* SPDX-License-Identifier: GPL-3.0-or-later */
/* benchpeer: see benchpeer.h. */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchlib.h"
#include "benchpeer.h"
#include "proto.h"

void
bp_node_addr(const char *addr, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon;

	if ((colon = strrchr(addr, ':')) == NULL ||
	    (size_t)(colon - addr) >= sizeof host)
		die("bad address %s", addr);
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		die("bad address %s", addr);
}

int
bp_dial(const struct sockaddr_in *node, unsigned *nsrc)
{
	struct sockaddr_in src;
	int fd, one = 1;

	if ((fd = socket(
	         AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	/* Let connect() pick the port: ports are per source address. */
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
	memset(&src, 0, sizeof src);
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(0x7f000002 + (*nsrc)++ % 249);
	if (bind(fd, (struct sockaddr *)&src, sizeof src) == -1)
		die("bind 127.0.0.x: %s", strerror(errno));
	if (connect(fd, (const struct sockaddr *)node, sizeof *node) == -1 &&
	    errno != EINPROGRESS)
		die("connect: %s", strerror(errno));
	return fd;
}

int
bp_send_frame(int fd, const uint8_t *msg, size_t len)
{
	uint8_t frame[2 + 256];

	if (len > sizeof frame - 2)
		die("handshake message too long");
	proto_frame_header(frame, len);
	memcpy(frame + 2, msg, len);
	return send(fd, frame, 2 + len, MSG_NOSIGNAL) == (ssize_t)(2 + len)
	    ? 0
	    : -1;
}

struct noise_hs *
bp_msg1(int fd, const uint8_t sk[NOISE_KEYLEN])
{
	struct noise_hs *hs;
	uint8_t msg[256];
	size_t mlen;
	char *cause;

	hs = noise_hs_create(PROTO_NOISE, NOISE_INITIATOR,
	    (const uint8_t *)PROTO_PROLOGUE, strlen(PROTO_PROLOGUE), &cause);
	if (hs == NULL)
		die("noise: %s", cause);
	noise_hs_set_s(hs, sk);
	if (noise_hs_start(hs, &cause) == -1)
		die("noise: %s", cause);
	if (noise_hs_write(hs, NULL, 0, msg, sizeof msg, &mlen) == -1)
		die("noise: cannot write message 1");
	if (bp_send_frame(fd, msg, mlen) == -1) {
		noise_hs_free(hs);
		return NULL;
	}
	return hs;
}

int
bp_msg3(int fd, struct noise_hs *hs, const uint8_t *frame, size_t len,
    struct noise_cipher *tx, struct noise_cipher *rx)
{
	uint8_t payload[PROTO_HS_PAYLOAD_LEN], msg[256], plain[256];
	uint16_t version;
	uint32_t caps;
	size_t plen, mlen;

	if (noise_hs_read(hs, frame, len, plain, sizeof plain, &plen) == -1 ||
	    proto_hs_payload_decode(plain, plen, &version, &caps) == -1)
		return -1;
	proto_hs_payload_encode(payload);
	if (noise_hs_write(
	        hs, payload, sizeof payload, msg, sizeof msg, &mlen) == -1 ||
	    noise_hs_split(hs, tx, rx) == -1)
		return -1;
	tx->rekey_interval = rx->rekey_interval = PROTO_REKEY_INTERVAL;
	return bp_send_frame(fd, msg, mlen);
}
