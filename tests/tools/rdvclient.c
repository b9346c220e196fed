/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rdvclient: a rendezvous client driven by lines, for tests and
 * benchmarks of p2ptui-rendezvous (doc/PROTOCOL.md section 16).
 *
 *   rdvclient [-b SRCADDR] [-k SEEDHEX] [-p SERVERFP] HOST:PORT
 *
 * -b binds the connections to a local IPv4 address (127.0.0.2: another
 * source address for the server's limits), -k fixes the static secret
 * key (64 hex digits; else a fresh one), -p pins the server's key. Prints "key
 * FP" (ours) at once, "open" when the session is up, then one line per message
 * from the server:
 *
 *   name NAME|-     found NAME FP|none     presence FP online|offline NAME|-
 *   directory N NAME...   request FP NAME|-   candidates FP DELAY K:ADDR...
 *   token FP TOKENHEX INITIATOR   refused WHAT REASON   closed
 *
 * Commands on stdin: register NAME, rename NAME, release, lookup NAME,
 * subscribe FP..., who, addrs PORT [ADDR...], connect FP, relay FP,
 * raw HEX (an encrypted message of any bytes), garbage N (a frame of
 * N random bytes, not encrypted), splice TOKENHEX (a relay half on a new
 * connection), rsend TEXT (a line on it; the other half prints "rrecv
 * TEXT"), quit. Errors are fatal (exit 1).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ident.h"
#include "net.h"
#include "proto.h"
#include "rdv_proto.h"
#include "rdv_sess.h"
#include "util.h"

static struct rdv_sess sess;
static int fd = -1, rfd = -1;
static const char *where;
static uint8_t pin[32];
static int pinned;
static struct buf rin;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "rdvclient: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static const char *bind_to; /* -b */

static int
tcp(const char *hostport)
{
	char host[UTIL_HOST_MAX], *why;
	struct sockaddr_in sin, src;
	uint16_t port;
	int s;

	if (util_parse_hostport(hostport, host, &port, 1, &why) == -1)
		die("%s", why);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		die("%s: not a numeric IPv4 address", host);
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	if (bind_to != NULL) {
		memset(&src, 0, sizeof src);
		src.sin_family = AF_INET;
		if (inet_pton(AF_INET, bind_to, &src.sin_addr) != 1 ||
		    bind(s, (struct sockaddr *)&src, sizeof src) == -1)
			die("bind %s: %s", bind_to, strerror(errno));
	}
	if (connect(s, (struct sockaddr *)&sin, sizeof sin) == -1)
		die("connect %s: %s", hostport, strerror(errno));
	return s;
}

static void
flush(void)
{
	while (buf_used(&sess.out) != 0)
		if (net_write(fd, &sess.out) == -1 && errno != EAGAIN)
			break;
}

static void
fp_of(const uint8_t *key, char *out)
{
	ident_fingerprint(key, out);
}

static int
unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = strlen(s) / 2, i;
	unsigned v;

	if (strlen(s) % 2 != 0 || n > max)
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (int)n;
}

static void
send_msg(const struct rdv_msg *m)
{
	static uint8_t b[PROTO_FRAME_MAX];
	size_t n = rdv_proto_encode(m, b, sizeof b);

	if (n == 0 || rdv_sess_send(&sess, b, n) == -1)
		die("cannot send type 0x%02x", m->type);
	flush();
}

static void
key_arg(const char *s, uint8_t *key)
{
	char *cause;

	if (s == NULL || ident_parse_key(s, key, &cause) == -1)
		die("bad key '%s'", s != NULL ? s : "");
}

static void
command(char *line)
{
	static uint8_t keys[RDV_SUBS_MAX * 32], raw[PROTO_FRAME_MAX + 2];
	struct rdv_msg m;
	char *cmd = strtok(line, " "), *arg;
	uint8_t hello[RDV_HELLO_LEN], tok[32];
	int n;

	if (cmd == NULL)
		return;
	memset(&m, 0, sizeof m);
	arg = strtok(NULL, " ");
	if (strcmp(cmd, "register") == 0 || strcmp(cmd, "rename") == 0) {
		m.type = RDV_MSG_REGISTER;
		m.op = cmd[2] == 'g' ? RDV_OP_REGISTER : RDV_OP_RENAME;
		snprintf(m.name, sizeof m.name, "%s", arg != NULL ? arg : "");
	} else if (strcmp(cmd, "release") == 0) {
		m.type = RDV_MSG_REGISTER;
		m.op = RDV_OP_RELEASE;
	} else if (strcmp(cmd, "lookup") == 0) {
		m.type = RDV_MSG_LOOKUP;
		snprintf(m.name, sizeof m.name, "%s", arg != NULL ? arg : "");
	} else if (strcmp(cmd, "subscribe") == 0) {
		m.type = RDV_MSG_SUBSCRIBE;
		for (; arg != NULL && m.n < RDV_SUBS_MAX;
		     arg = strtok(NULL, " "))
			key_arg(arg, keys + 32 * m.n++);
		m.data = keys;
	} else if (strcmp(cmd, "who") == 0)
		m.type = RDV_MSG_WHO;
	else if (strcmp(cmd, "addrs") == 0) {
		m.type = RDV_MSG_ADDRS;
		m.port = (uint16_t)atoi(arg != NULL ? arg : "0");
		while ((arg = strtok(NULL, " ")) != NULL && m.n < RDV_ADDRS_MAX)
			snprintf(m.addrs[m.n++].addr, sizeof m.addrs[0].addr,
			    "%s", arg);
	} else if (strcmp(cmd, "connect") == 0 || strcmp(cmd, "relay") == 0) {
		m.type = cmd[0] == 'c' ? RDV_MSG_CONNECT : RDV_MSG_RELAY;
		key_arg(arg, m.key);
	} else if (strcmp(cmd, "raw") == 0) {
		if (arg == NULL || (n = unhex(arg, raw, sizeof raw)) <= 0 ||
		    rdv_sess_send(&sess, raw, (size_t)n) == -1)
			die("bad raw");
		flush();
		return;
	} else if (strcmp(cmd, "garbage") == 0) {
		n = atoi(arg != NULL ? arg : "1");
		if (n < 0 || n > PROTO_FRAME_MAX)
			die("bad garbage");
		ident_random(raw + 2, (size_t)n);
		proto_frame_header(raw, (size_t)n);
		if (write(fd, raw, (size_t)n + 2) == -1)
			die("write: %s", strerror(errno));
		return;
	} else if (strcmp(cmd, "splice") == 0) {
		if (arg == NULL || unhex(arg, tok, sizeof tok) != 32)
			die("bad token");
		rfd = tcp(where);
		rdv_proto_hello(tok, hello);
		if (write(rfd, hello, sizeof hello) != sizeof hello)
			die("write: %s", strerror(errno));
		return;
	} else if (strcmp(cmd, "rsend") == 0) {
		if (rfd == -1 || arg == NULL)
			die("rsend without splice");
		if (write(rfd, arg, strlen(arg)) == -1 ||
		    write(rfd, "\n", 1) != 1)
			die("write: %s", strerror(errno));
		return;
	} else if (strcmp(cmd, "quit") == 0)
		exit(0);
	else
		die("unknown command %s", cmd);
	send_msg(&m);
}

static void
event(const uint8_t *p, size_t len)
{
	static struct rdv_msg m;
	char fp[IDENT_FP_LEN + 1], name[RDV_NAME_MAX + 1], tok[65];
	const char *why;
	size_t off = 0, i;

	if (len == 9 && p[0] == PROTO_PONG)
		return;
	if (rdv_proto_decode(p, len, RDV_FROM_SERVER, &m, &why) == -1)
		die("server sent a bad message: %s", why);
	fp_of(m.key, fp);
	switch (m.type) {
	case RDV_MSG_NAME:
		printf("name %s\n", m.name[0] != '\0' ? m.name : "-");
		break;
	case RDV_MSG_FOUND:
		printf("found %s %s\n", m.name, m.flag ? fp : "none");
		break;
	case RDV_MSG_PRESENCE:
		printf("presence %s %s %s\n", fp, m.flag ? "online" : "offline",
		    m.name[0] != '\0' ? m.name : "-");
		break;
	case RDV_MSG_DIRECTORY:
		printf("directory %u", m.n);
		while (rdv_proto_dir_next(&m, &off, name))
			printf(" %s", name);
		printf("\n");
		break;
	case RDV_MSG_REQUEST:
		printf("request %s %s\n", fp, m.name[0] != '\0' ? m.name : "-");
		break;
	case RDV_MSG_CANDIDATES:
		printf("candidates %s %u", fp, m.delay);
		for (i = 0; i < m.n; i++)
			printf(" %u:%s", m.addrs[i].kind, m.addrs[i].addr);
		printf("\n");
		break;
	case RDV_MSG_RELAY_TOKEN:
		for (i = 0; i < 32; i++)
			snprintf(tok + 2 * i, 3, "%02x", m.token[i]);
		printf("token %s %s %u\n", fp, tok, m.flag);
		break;
	case RDV_MSG_REFUSED:
		printf("refused 0x%02x %u\n", m.what, m.reason);
		break;
	}
}

static void
server_input(void)
{
	static uint8_t scratch[PROTO_FRAME_MAX];
	char fp[IDENT_FP_LEN + 1];
	const uint8_t *msg;
	const char *why;
	size_t len;
	ssize_t n;
	int r;

	n = net_read(fd, &sess.in, 65536);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		printf("closed\n");
		fflush(stdout);
		exit(0);
	}
	while ((r = rdv_sess_next(
	            &sess, scratch, sizeof scratch, &msg, &len, &why)) != 0) {
		if (r == -1)
			die("session: %s", why);
		if (r == 2) {
			if (pinned && memcmp(pin, sess.rkey, 32) != 0)
				die("the server's key is not the pinned one");
			fp_of(sess.rkey, fp);
			printf("open %s\n", fp);
			flush();
		} else
			event(msg, len);
	}
	fflush(stdout);
}

static void
relay_input(void)
{
	char *nl;
	ssize_t n = net_read(rfd, &rin, 65536);

	if (n <= 0) {
		printf("rclosed\n");
		fflush(stdout);
		close(rfd);
		rfd = -1;
		return;
	}
	while ((nl = memchr(buf_head(&rin), '\n', buf_used(&rin))) != NULL) {
		printf("rrecv %.*s\n", (int)((uint8_t *)nl - buf_head(&rin)),
		    (char *)buf_head(&rin));
		buf_consume(&rin, (size_t)((uint8_t *)nl - buf_head(&rin)) + 1);
	}
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	uint8_t sk[32];
	char fp[IDENT_FP_LEN + 1], line[70000];
	struct pollfd pfd[3];
	struct ident *id;
	struct buf cin;
	char *nl;
	size_t n;
	int opt;

	signal(SIGPIPE, SIG_IGN);
	if (ident_init() == -1)
		die("libsodium");
	id = ident_generate();
	memcpy(sk, id->sk, 32);
	while ((opt = getopt(argc, argv, "b:k:p:")) != -1) {
		switch (opt) {
		case 'b':
			bind_to = optarg;
			break;
		case 'k':
			if (unhex(optarg, sk, 32) != 32)
				die("-k takes 64 hex digits");
			break;
		case 'p':
			key_arg(optarg, pin);
			pinned = 1;
			break;
		default:
			die("usage: rdvclient [-b SRCADDR] [-k SEEDHEX] [-p FP] "
			    "HOST:PORT");
		}
	}
	if (optind + 1 != argc)
		die("usage: rdvclient [-b SRCADDR] [-k SEEDHEX] [-p FP] "
		    "HOST:PORT");
	where = argv[optind];
	rdv_sess_init(&sess, 1, sk);
	fp_of(noise_hs_local_static(sess.hs), fp);
	printf("key %s\n", fp);
	fflush(stdout);
	ident_free(id);
	buf_init(&rin);
	buf_init(&cin);
	fd = tcp(where);
	flush();
	for (;;) {
		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = 0;
		pfd[1].events = POLLIN;
		pfd[2].fd = rfd;
		pfd[2].events = POLLIN;
		if (poll(pfd, 3, -1) == -1 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (pfd[0].revents)
			server_input();
		if (pfd[2].revents && rfd != -1)
			relay_input();
		if (pfd[1].revents) {
			if (net_read(0, &cin, 65536) <= 0)
				exit(0);
			while ((nl = memchr(buf_head(&cin), '\n',
			            buf_used(&cin))) != NULL) {
				n = (size_t)((uint8_t *)nl - buf_head(&cin));
				if (n >= sizeof line)
					die("line too long");
				memcpy(line, buf_head(&cin), n);
				line[n] = '\0';
				buf_consume(&cin, n + 1);
				command(line);
				fflush(stdout);
			}
		}
	}
}
