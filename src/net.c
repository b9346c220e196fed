/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Sockets and name resolution.
 *
 * getaddrinfo() blocks, and the loop must not: numeric addresses are
 * parsed at once (delivered through a 0 ms timer so callers never see a
 * callback inside their own call), names are resolved by a forked child
 * that writes the results to a pipe and exits. The process stays
 * single-threaded (glibc's getaddrinfo_a would start threads).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "util.h"
#include "xmalloc.h"

#define NET_RESOLVE_TIMEOUT_MS 10000

struct net_resolve {
	struct loop *loop;
	net_resolve_cb cb;
	void *arg;
	pid_t pid;
	int fd;
	struct loop_watch *watch;
	struct loop_timer *timer;
	struct sockaddr_storage addrs[NET_MAX_ADDRS];
	size_t naddrs;
	uint8_t raw[1 + NET_MAX_ADDRS * sizeof(struct sockaddr_storage)];
	size_t got; /* bytes of raw read from the child */
	char err[128];
};

#define NET_NOTSENT_LOWAT (128 * 1024)

static void
net_tune(int fd)
{
	int one = 1, lowat = NET_NOTSENT_LOWAT;

	/* Chat is small messages: do not wait to coalesce them. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#ifdef TCP_NOTSENT_LOWAT
	/* Keep what the kernel holds unsent small (it would grow to
	 * megabytes during a file transfer), so a chat message written
	 * now is not stuck behind seconds of file data on a slow link:
	 * POLLOUT waits until the backlog is below this. */
	setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);
#endif
}

void
net_addr_str(const struct sockaddr *sa, char out[NET_ADDRSTRLEN])
{
	char host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		snprintf(
		    out, NET_ADDRSTRLEN, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
		snprintf(
		    out, NET_ADDRSTRLEN, "%s:%u", host, ntohs(s4->sin_port));
	} else
		snprintf(out, NET_ADDRSTRLEN, "?");
}

void
net_addr_host(const struct sockaddr *sa, char out[NET_ADDRSTRLEN])
{
	if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    out, NET_ADDRSTRLEN);
	else if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET,
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    out, NET_ADDRSTRLEN);
	else
		snprintf(out, NET_ADDRSTRLEN, "?");
}

/* Keep the first bits of the len bytes at p, clear the rest. */
static void
net_mask(uint8_t *p, size_t len, int bits)
{
	size_t i;

	for (i = 0; i < len; i++, bits -= 8) {
		if (bits <= 0)
			p[i] = 0;
		else if (bits < 8)
			p[i] &= (uint8_t)(0xff << (8 - bits));
	}
}

void
net_addr_prefix(const struct sockaddr *sa, int v4bits, int v6bits, uint8_t *out)
{
	const struct sockaddr_in6 *s6;
	const struct sockaddr_in *s4;

	memset(out, 0, NET_PREFIXLEN);
	if (sa->sa_family == AF_INET6) {
		s6 = (const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			out[0] = 4;
			memcpy(out + 1, s6->sin6_addr.s6_addr + 12, 4);
			net_mask(out + 1, 4, v4bits);
			return;
		}
		out[0] = 6;
		memcpy(out + 1, s6->sin6_addr.s6_addr, 16);
		net_mask(out + 1, 16, v6bits);
	} else if (sa->sa_family == AF_INET) {
		s4 = (const void *)sa;
		out[0] = 4;
		memcpy(out + 1, &s4->sin_addr, 4);
		net_mask(out + 1, 4, v4bits);
	}
}

void
net_reachable(const char *bound, char *out, size_t len)
{
	struct ifaddrs *ifa, *i;
	char addr[NET_ADDRSTRLEN], host[UTIL_HOST_MAX], *why;
	struct sockaddr_storage ss;
	uint16_t port;
	size_t used = 0;
	int n = 0;

	snprintf(out, len, "%s", bound);
	if (util_parse_hostport(bound, host, &port, 1, &why) == -1) {
		free(why);
		return;
	}
	if (strcmp(host, "0.0.0.0") != 0 && strcmp(host, "::") != 0)
		return;
	if (getifaddrs(&ifa) == -1)
		return;
	for (i = ifa; i != NULL && n < 4; i = i->ifa_next) {
		if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP) ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		memset(&ss, 0, sizeof ss);
		if (i->ifa_addr->sa_family == AF_INET) {
			memcpy(&ss, i->ifa_addr, sizeof(struct sockaddr_in));
			((struct sockaddr_in *)&ss)->sin_port = htons(port);
		} else if (i->ifa_addr->sa_family == AF_INET6 &&
		    strcmp(host, "::") == 0) {
			memcpy(&ss, i->ifa_addr, sizeof(struct sockaddr_in6));
			/* Link-local addresses need a scope: not useful. */
			if (IN6_IS_ADDR_LINKLOCAL(
			        &((struct sockaddr_in6 *)&ss)->sin6_addr))
				continue;
			((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		} else
			continue;
		net_addr_str((struct sockaddr *)&ss, addr);
		if (used + strlen(addr) + 3 >= len)
			break;
		used += (size_t)snprintf(
		    out + used, len - used, "%s%s", n > 0 ? ", " : "", addr);
		n++;
	}
	freeifaddrs(ifa);
	if (n == 0)
		snprintf(out, len, "%s", bound);
}

int
net_listen(
    const char *hostport, int shared, char bound[NET_ADDRSTRLEN], char **cause)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof ss;
	char host[UTIL_HOST_MAX], portstr[8], *why;
	uint16_t port;
	int fd = -1, one = 1, err, saved = 0;

	if (util_parse_hostport(hostport, host, &port, 1, &why) == -1) {
		*cause = xasprintf("listen: %s", why);
		free(why);
		return -1;
	}
	snprintf(portstr, sizeof portstr, "%u", port);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((err = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		*cause = xasprintf("listen: %s: %s", host, gai_strerror(err));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd == -1) {
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (shared)
			setsockopt(
			    fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 128) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		*cause = xasprintf(
		    "cannot listen on %s: %s", hostport, strerror(saved));
		return -1;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1) {
		*cause = xasprintf("getsockname: %s", strerror(errno));
		close(fd);
		return -1;
	}
	net_addr_str((struct sockaddr *)&ss, bound);
	return fd;
}

int
net_accept(int lfd, struct sockaddr_storage *ss, socklen_t *len)
{
	int fd;

	*len = sizeof *ss;
	fd = accept4(
	    lfd, (struct sockaddr *)ss, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd != -1)
		net_tune(fd);
	return fd;
}

static int
net_connect_bound(const struct sockaddr *sa, socklen_t len, uint16_t port)
{
	struct sockaddr_storage local;
	int fd, saved, one = 1;

	fd = socket(
	    sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	net_tune(fd);
	if (port != 0) {
		memset(&local, 0, sizeof local);
		local.ss_family = sa->sa_family;
		if (sa->sa_family == AF_INET6)
			((struct sockaddr_in6 *)&local)->sin6_port =
			    htons(port);
		else
			((struct sockaddr_in *)&local)->sin_port = htons(port);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
		if (bind(fd, (struct sockaddr *)&local, len) == -1)
			goto fail;
	}
	if (connect(fd, sa, len) == -1 && errno != EINPROGRESS)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

int
net_connect(const struct sockaddr *sa, socklen_t len)
{
	return net_connect_bound(sa, len, 0);
}

int
net_connect_from(const struct sockaddr *sa, socklen_t len, uint16_t port)
{
	return net_connect_bound(sa, len, port);
}

int
net_connect_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof err;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return errno;
	return err;
}

ssize_t
net_read(int fd, struct buf *b, size_t max)
{
	ssize_t n;

	do
		n = read(fd, buf_reserve(b, max), max);
	while (n == -1 && errno == EINTR);
	if (n > 0)
		buf_commit(b, (size_t)n);
	return n;
}

ssize_t
net_write(int fd, struct buf *b)
{
	ssize_t n;

	if (buf_used(b) == 0)
		return 0;
	do
		n = send(fd, buf_head(b), buf_used(b), MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n > 0)
		buf_consume(b, (size_t)n);
	return n;
}

/* --- resolution --------------------------------------------------------- */

static void
net_resolve_finish(struct net_resolve *r)
{
	const char *err = r->err[0] != '\0' ? r->err : NULL;

	if (r->naddrs == 0 && err == NULL)
		err = "no address";
	r->cb(r->arg, r->addrs, r->naddrs, err);
	net_resolve_cancel(r);
}

static void
net_resolve_numeric(void *arg)
{
	struct net_resolve *r = arg;

	r->timer = NULL;
	net_resolve_finish(r);
}

static void
net_resolve_timeout(void *arg)
{
	struct net_resolve *r = arg;

	r->timer = NULL;
	snprintf(r->err, sizeof r->err, "name lookup timed out");
	r->naddrs = 0;
	net_resolve_finish(r);
}

/*
 * The child's output: a count of addresses, then the addresses; or a
 * count of 0 and an error text. Collected until end of file.
 */
static void
net_resolve_read(int fd, int revents, void *arg)
{
	struct net_resolve *r = arg;
	size_t n, i;
	ssize_t got;

	(void)revents;
	got = read(fd, r->raw + r->got, sizeof r->raw - r->got);
	if (got == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (got > 0) {
		r->got += (size_t)got;
		if (r->got < sizeof r->raw)
			return;
	}
	/* End of file, an error, or all the child may send: parse. */
	n = r->got > 0 ? r->raw[0] : 0;
	if (r->got == 0)
		snprintf(r->err, sizeof r->err, "name lookup failed");
	else if (n == 0)
		snprintf(r->err, sizeof r->err, "%.*s",
		    (int)strnlen((char *)r->raw + 1, r->got - 1),
		    (char *)r->raw + 1);
	else if (n > NET_MAX_ADDRS || r->got != 1 + n * sizeof r->addrs[0])
		snprintf(r->err, sizeof r->err, "name lookup failed");
	else {
		for (i = 0; i < n; i++)
			memcpy(&r->addrs[i],
			    r->raw + 1 + i * sizeof r->addrs[0],
			    sizeof r->addrs[0]);
		r->naddrs = n;
	}
	net_resolve_finish(r);
}

struct net_resolve *
net_resolve(struct loop *loop, const char *host, uint16_t port,
    net_resolve_cb cb, void *arg)
{
	struct net_resolve *r = xcalloc(1, sizeof *r);
	struct sockaddr_in *s4 = (void *)&r->addrs[0];
	struct sockaddr_in6 *s6 = (void *)&r->addrs[0];
	int p[2];

	r->loop = loop;
	r->cb = cb;
	r->arg = arg;
	r->fd = -1;
	r->pid = -1;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		r->naddrs = 1;
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		r->naddrs = 1;
	}
	if (r->naddrs == 1 || pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1) {
		if (r->naddrs == 0)
			snprintf(
			    r->err, sizeof r->err, "pipe: %s", strerror(errno));
		r->timer = loop_timer_add(loop, 0, net_resolve_numeric, r);
		return r;
	}
	fflush(NULL);
	if ((r->pid = fork()) == -1) {
		snprintf(r->err, sizeof r->err, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		r->timer = loop_timer_add(loop, 0, net_resolve_numeric, r);
		return r;
	}
	if (r->pid == 0) {
		struct addrinfo hints, *res, *ai;
		uint8_t out[1 + sizeof r->addrs];
		char portstr[8];
		size_t n = 0, len;
		int err;

		close(p[0]);
		fcntl(p[1], F_SETFL, 0);
		snprintf(portstr, sizeof portstr, "%u", port);
		memset(&hints, 0, sizeof hints);
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_NUMERICSERV;
		if ((err = getaddrinfo(host, portstr, &hints, &res)) != 0) {
			out[0] = 0;
			len = (size_t)snprintf((char *)out + 1, sizeof out - 1,
			          "%s: %s", host, gai_strerror(err)) +
			    2;
			if (len > sizeof out)
				len = sizeof out;
		} else {
			for (ai = res; ai != NULL && n < NET_MAX_ADDRS;
			     ai = ai->ai_next) {
				if (ai->ai_addrlen >
				    sizeof(struct sockaddr_storage))
					continue;
				memset(out + 1 + n * sizeof r->addrs[0], 0,
				    sizeof r->addrs[0]);
				memcpy(out + 1 + n * sizeof r->addrs[0],
				    ai->ai_addr, ai->ai_addrlen);
				n++;
			}
			out[0] = (uint8_t)n;
			len = 1 + n * sizeof r->addrs[0];
		}
		if (write(p[1], out, len) != (ssize_t)len)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	r->fd = p[0];
	r->watch = loop_watch_add(loop, r->fd, POLLIN, net_resolve_read, r);
	r->timer = loop_timer_add(
	    loop, NET_RESOLVE_TIMEOUT_MS, net_resolve_timeout, r);
	return r;
}

void
net_resolve_cancel(struct net_resolve *r)
{
	if (r == NULL)
		return;
	if (r->timer != NULL)
		loop_timer_del(r->timer);
	if (r->watch != NULL)
		loop_watch_del(r->watch);
	if (r->fd != -1)
		close(r->fd);
	if (r->pid > 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
	}
	free(r);
}

/* The bytes of an IPv4 (or v4-mapped) or IPv6 address, and how many. */
static size_t
net_addr_bytes(const struct sockaddr *sa, const uint8_t **p)
{
	const struct sockaddr_in6 *s6;

	if (sa->sa_family == AF_INET) {
		*p = (const uint8_t *)&(
		    (const struct sockaddr_in *)(const void *)sa)
		         ->sin_addr;
		return 4;
	}
	if (sa->sa_family != AF_INET6)
		return 0;
	s6 = (const struct sockaddr_in6 *)(const void *)sa;
	*p = s6->sin6_addr.s6_addr;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		*p += 12;
		return 4;
	}
	return 16;
}

int
net_peer_on_link(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof ss;
	struct ifaddrs *ifa, *i;
	const uint8_t *a, *b, *m;
	size_t n, k;
	int on = 0;

	if (getpeername(fd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    (n = net_addr_bytes((struct sockaddr *)&ss, &a)) == 0)
		return 1;
	if (getifaddrs(&ifa) == -1)
		return 1;
	for (i = ifa; i != NULL && !on; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_netmask == NULL ||
		    net_addr_bytes(i->ifa_addr, &b) != n ||
		    net_addr_bytes(i->ifa_netmask, &m) != n)
			continue;
		for (k = 0; k < n && (a[k] & m[k]) == (b[k] & m[k]); k++)
			;
		on = k == n;
	}
	freeifaddrs(ifa);
	return on;
}
