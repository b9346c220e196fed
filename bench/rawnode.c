/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rawnode: the raw-TCP baseline of bench_session. It has the shape of a
 * headless p2ptui node -- one thread, one poll() loop over stdin, a
 * listening socket and one peer socket; commands on stdin, events on
 * stdout, flushed once per loop iteration, socket output queued and
 * written before the loop sleeps -- but no encryption and no protocol
 * beyond a 2-byte big-endian length, as p2ptui frames are:
 *
 *   frame = len[2] 'M' id[16] text      a chat line
 *         | len[2] 'A' id[16]           its acknowledgement
 *
 * "/msg NAME TEXT" on stdin sends TEXT and prints "sent peer ID"; the
 * peer prints "msg peer TEXT" and answers with an ack, on which the sender
 * prints "delivered peer ID". The events (and so the pipe traffic) per
 * message are those of p2ptui; what p2ptui costs on top of this is its
 * session layer (Noise, message codec, engine, escaping).
 *
 *   rawnode -l ADDR:PORT    listen (port 0: any free one), accept one peer
 *   rawnode -c ADDR:PORT    connect to a listening rawnode
 *
 * Prints "ready - ADDR" once listening and "online peer - ADDR" once the
 * peer is connected. End of input or the peer closing ends the program.
 * IPv4 numeric addresses only: it is a benchmark tool.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RAW_READ_MAX 65536
#define RAW_FRAME_MAX 65535
#define RAW_ID_LEN 16

struct rbuf {
	uint8_t *data;
	size_t off, len, cap;
};

static int lfd = -1, pfd = -1;
static struct rbuf in, sin_, out;
static uint64_t next_id;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("rawnode: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint8_t *
rbuf_reserve(struct rbuf *b, size_t n)
{
	if (b->off > 0 && b->cap - b->len < n) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (b->cap - b->len < n) {
		while (b->cap - b->len < n)
			b->cap = b->cap == 0 ? 65536 : b->cap * 2;
		if ((b->data = realloc(b->data, b->cap)) == NULL)
			die("out of memory");
	}
	return b->data + b->len;
}

static void
rbuf_consume(struct rbuf *b, size_t n)
{
	b->off += n;
	if (b->off == b->len)
		b->off = b->len = 0;
}

static int
parse_addr(const char *s, struct sockaddr_in *sin)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	if (colon == NULL || (size_t)(colon - s) >= sizeof host)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)atoi(colon + 1));
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -1;
}

static void
addr_str(const struct sockaddr_in *sin, char *buf, size_t len)
{
	char host[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
	snprintf(buf, len, "%s:%u", host, ntohs(sin->sin_port));
}

static void
tune(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void
print_hex(const uint8_t *id)
{
	static const char hex[] = "0123456789abcdef";
	char s[2 * RAW_ID_LEN];
	int i;

	for (i = 0; i < RAW_ID_LEN; i++) {
		s[2 * i] = hex[id[i] >> 4];
		s[2 * i + 1] = hex[id[i] & 15];
	}
	fwrite(s, 1, sizeof s, stdout);
}

static void
queue_frame(uint8_t type, const uint8_t *id, const char *text, size_t len)
{
	size_t n = 1 + RAW_ID_LEN + len;
	uint8_t *p;

	if (n > RAW_FRAME_MAX)
		die("message too long");
	p = rbuf_reserve(&out, 2 + n);
	p[0] = (uint8_t)(n >> 8);
	p[1] = (uint8_t)n;
	p[2] = type;
	memcpy(p + 3, id, RAW_ID_LEN);
	memcpy(p + 3 + RAW_ID_LEN, text, len);
	out.len += 2 + n;
}

/* "/msg NAME TEXT": send TEXT. Anything else is ignored, but /quit. */
static void
stdin_line(char *line, size_t len)
{
	uint8_t id[RAW_ID_LEN];
	char *sp;
	uint64_t v;
	int i;

	if (len >= 5 && memcmp(line, "/quit", 5) == 0)
		exit(0);
	if (len < 5 || memcmp(line, "/msg ", 5) != 0 || pfd == -1)
		return;
	if ((sp = memchr(line + 5, ' ', len - 5)) == NULL)
		return;
	sp++;
	memset(id, 0, sizeof id);
	v = ++next_id;
	for (i = 0; i < 8; i++)
		id[i] = (uint8_t)(v >> (56 - 8 * i));
	queue_frame('M', id, sp, len - (size_t)(sp - line));
	fputs("sent peer ", stdout);
	print_hex(id);
	putchar('\n');
}

static void
read_stdin(void)
{
	uint8_t *nl, *start;
	ssize_t n;

	n = read(STDIN_FILENO, rbuf_reserve(&sin_, RAW_READ_MAX), RAW_READ_MAX);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (pfd != -1 && out.len > out.off) {
			fcntl(pfd, F_SETFL, fcntl(pfd, F_GETFL) & ~O_NONBLOCK);
			send(pfd, out.data + out.off, out.len - out.off,
			    MSG_NOSIGNAL);
		}
		exit(0);
	}
	sin_.len += (size_t)n;
	while ((start = sin_.data + sin_.off,
	           nl = memchr(start, '\n', sin_.len - sin_.off)) != NULL) {
		*nl = '\0';
		stdin_line((char *)start, (size_t)(nl - start));
		rbuf_consume(&sin_, (size_t)(nl - start) + 1);
	}
}

static void
read_peer(void)
{
	const uint8_t *p;
	size_t avail, n;
	ssize_t r;

	r = read(pfd, rbuf_reserve(&in, RAW_READ_MAX), RAW_READ_MAX);
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		printf("offline peer -\n");
		exit(0);
	}
	in.len += (size_t)r;
	for (;;) {
		p = in.data + in.off;
		avail = in.len - in.off;
		if (avail < 2)
			break;
		n = (size_t)p[0] << 8 | p[1];
		if (avail < 2 + n)
			break;
		if (n < 1 + RAW_ID_LEN)
			die("short frame");
		if (p[2] == 'M') {
			fputs("msg peer ", stdout);
			fwrite(
			    p + 3 + RAW_ID_LEN, 1, n - 1 - RAW_ID_LEN, stdout);
			putchar('\n');
			queue_frame('A', p + 3, NULL, 0);
		} else if (p[2] == 'A') {
			fputs("delivered peer ", stdout);
			print_hex(p + 3);
			putchar('\n');
		} else
			die("bad frame type");
		rbuf_consume(&in, 2 + n);
	}
}

static void
write_peer(void)
{
	ssize_t n;

	if (pfd == -1 || out.len == out.off)
		return;
	n = send(pfd, out.data + out.off, out.len - out.off, MSG_NOSIGNAL);
	if (n > 0)
		rbuf_consume(&out, (size_t)n);
	else if (n == -1 && errno != EAGAIN && errno != EINTR)
		die("send: %s", strerror(errno));
}

static void
peer_up(int fd, const struct sockaddr_in *sin)
{
	char addr[64];

	pfd = fd;
	tune(pfd);
	addr_str(sin, addr, sizeof addr);
	printf("online peer - %s\n", addr);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof sin;
	struct pollfd p[3];
	char addr[64];
	int one = 1, fd, n, i;

	if (argc != 3 ||
	    (strcmp(argv[1], "-l") != 0 && strcmp(argv[1], "-c") != 0) ||
	    parse_addr(argv[2], &sin) == -1) {
		fprintf(stderr, "usage: rawnode -l|-c ADDR:PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
	if (argv[1][1] == 'l') {
		if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			die("socket: %s", strerror(errno));
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(lfd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
		    listen(lfd, 8) == -1 ||
		    getsockname(lfd, (struct sockaddr *)&sin, &slen) == -1)
			die("listen %s: %s", argv[2], strerror(errno));
		addr_str(&sin, addr, sizeof addr);
		printf("ready - %s\n", addr);
	} else {
		/* Connecting is not what is measured: block for it. */
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    connect(fd, (struct sockaddr *)&sin, sizeof sin) == -1)
			die("connect %s: %s", argv[2], strerror(errno));
		printf("ready - -\n");
		peer_up(fd, &sin);
	}
	for (;;) {
		/* Before sleeping: write what is queued, flush events. */
		write_peer();
		fflush(stdout);
		n = 0;
		p[n].fd = STDIN_FILENO;
		p[n++].events = POLLIN;
		if (pfd != -1) {
			p[n].fd = pfd;
			p[n++].events =
			    (short)(POLLIN | (out.len > out.off ? POLLOUT : 0));
		} else if (lfd != -1) {
			p[n].fd = lfd;
			p[n++].events = POLLIN;
		}
		if (poll(p, (nfds_t)n, -1) == -1) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		for (i = 0; i < n; i++) {
			if (p[i].revents == 0)
				continue;
			if (p[i].fd == STDIN_FILENO)
				read_stdin();
			else if (p[i].fd == lfd && pfd == -1) {
				slen = sizeof sin;
				fd =
				    accept(lfd, (struct sockaddr *)&sin, &slen);
				if (fd != -1)
					peer_up(fd, &sin);
			} else if (p[i].fd == pfd) {
				if (p[i].revents & (POLLIN | POLLHUP | POLLERR))
					read_peer();
				if (p[i].revents & POLLOUT)
					write_peer();
			}
		}
	}
}
