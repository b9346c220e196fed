/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * relay: a man in the middle for tests. Listens on 127.0.0.1 (port 0),
 * prints "listening PORT", and forwards one connection to 127.0.0.1:TO,
 * frame by frame (2-byte big-endian length framing). With -r N it sends
 * the Nth frame from the client side twice (a replay); with -f N it flips
 * a bit in the Nth frame (a forgery); with -t N it truncates the Nth frame
 * and closes. It exits when either side closes.
 *
 *   relay [-r N | -f N | -t N] TO_PORT
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct side {
	int fd;
	unsigned char buf[2 + 65535];
	size_t len;
	unsigned long frames;
};

static int
write_all(int fd, const void *p, size_t n)
{
	const unsigned char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	socklen_t slen = sizeof sin;
	struct side s[2];
	struct pollfd pfd[2];
	unsigned long replay = 0, flip = 0, trunc = 0;
	size_t flen;
	ssize_t n;
	int lfd, ch, i;

	while ((ch = getopt(argc, argv, "r:f:t:")) != -1) {
		switch (ch) {
		case 'r':
			replay = strtoul(optarg, NULL, 10);
			break;
		case 'f':
			flip = strtoul(optarg, NULL, 10);
			break;
		case 't':
			trunc = strtoul(optarg, NULL, 10);
			break;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc)
		return 2;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&sin, sizeof sin) == -1 ||
	    listen(lfd, 1) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sin, &slen) == -1)
		return 1;
	printf("listening %u\n", ntohs(sin.sin_port));
	fflush(stdout);
	memset(s, 0, sizeof s);
	if ((s[0].fd = accept(lfd, NULL, NULL)) == -1)
		return 1;
	sin.sin_port = htons((unsigned short)atoi(argv[optind]));
	s[1].fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(s[1].fd, (struct sockaddr *)&sin, sizeof sin) == -1)
		return 1;
	for (;;) {
		for (i = 0; i < 2; i++) {
			pfd[i].fd = s[i].fd;
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, 2, -1) == -1)
			return 1;
		for (i = 0; i < 2; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(s[i].fd, s[i].buf + s[i].len,
			    sizeof s[i].buf - s[i].len);
			if (n <= 0)
				return 0;
			s[i].len += (size_t)n;
			/* Forward whole frames, tampering from the client. */
			while (s[i].len >= 2 &&
			    s[i].len >= 2 +
			            (flen = (size_t)(s[i].buf[0] << 8 |
			                 s[i].buf[1]))) {
				s[i].frames++;
				if (i == 0 && s[i].frames == trunc) {
					write_all(
					    s[1].fd, s[i].buf, 2 + flen / 2);
					return 0;
				}
				if (i == 0 && s[i].frames == flip && flen > 0)
					s[i].buf[2 + flen / 2] ^= 1;
				if (write_all(s[1 - i].fd, s[i].buf, 2 + flen))
					return 0;
				if (i == 0 && s[i].frames == replay &&
				    write_all(s[1].fd, s[i].buf, 2 + flen))
					return 0;
				memmove(s[i].buf, s[i].buf + 2 + flen,
				    s[i].len - 2 - flen);
				s[i].len -= 2 + flen;
			}
		}
	}
}
