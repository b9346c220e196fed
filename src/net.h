/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Sockets and name resolution: no framing, no crypto. Every descriptor
 * is non-blocking and close-on-exec.
 */
#ifndef P2PTUI_NET_H
#define P2PTUI_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct buf;
struct loop;
struct net_resolve;

#define NET_ADDRSTRLEN 64
#define NET_MAX_ADDRS 8

/*
 * Listen on "ADDR:PORT" (numeric, or a name resolved now, before the
 * loop runs). bound receives "ADDR:PORT" with the real port. The fd, or
 * -1 with *cause. With shared set, the port is bound with SO_REUSEPORT,
 * so net_connect_from() can dial from it (NAT traversal); that also lets
 * another process of the same user bind it, so only when needed.
 */
int net_listen(
    const char *hostport, int shared, char bound[NET_ADDRSTRLEN], char **cause);
/* Accept one connection; -1 with errno (EAGAIN when none is waiting). */
int net_accept(int lfd, struct sockaddr_storage *, socklen_t *);
/* Start a non-blocking connect; the fd, or -1 with errno. */
int net_connect(const struct sockaddr *, socklen_t);
/*
 * net_connect() from local port `port` (of the wildcard address), which
 * a shared listener may hold: the NAT in front of us then maps the same
 * port for every destination, so a peer can be told where to dial.
 */
int net_connect_from(const struct sockaddr *, socklen_t, uint16_t port);
/* After POLLOUT on a connecting fd: 0, or the errno of the failure. */
int net_connect_error(int fd);
/*
 * Where peers can reach us, for telling the user: for a listener bound
 * to a wildcard address ("0.0.0.0:P", "[::]:P"), the machine's up,
 * non-loopback addresses with port P (IPv4, and global IPv6), at most
 * four, ", "-separated; otherwise, or if there are none, bound itself.
 */
void net_reachable(const char *bound, char *out, size_t len);

/* "1.2.3.4:5" or "[::1]:5". */
void net_addr_str(const struct sockaddr *, char out[NET_ADDRSTRLEN]);
/* The address without the port, for per-source limits. */
void net_addr_host(const struct sockaddr *, char out[NET_ADDRSTRLEN]);
/*
 * The source address masked to a prefix, for per-source limits: the
 * first v4bits of an IPv4 address (also when it arrives IPv4-mapped on
 * an IPv6 socket) or the first v6bits of an IPv6 one, in NET_PREFIXLEN
 * bytes (a family byte, then the address) that compare with memcmp.
 */
#define NET_PREFIXLEN 17
void net_addr_prefix(
    const struct sockaddr *, int v4bits, int v6bits, uint8_t *out);
/* Is the peer of connected socket fd on a network of one of our
 * interfaces (loopback included)? 1 also when it cannot be told. */
int net_peer_on_link(int fd);

/* Read what is available into b (at most max bytes): >0, 0 at end of
 * file, -1 with errno (EAGAIN: nothing now). */
ssize_t net_read(int fd, struct buf *b, size_t max);
/* Write from b, consuming what was written: >=0, or -1 with errno. */
ssize_t net_write(int fd, struct buf *b);

/*
 * Resolve host:port without blocking the loop: numeric addresses at
 * once, names in a short-lived child process. cb runs later from the loop
 * with the addresses, or n == 0 and err set.
 */
typedef void (*net_resolve_cb)(
    void *arg, const struct sockaddr_storage *, size_t n, const char *err);
struct net_resolve *net_resolve(
    struct loop *, const char *host, uint16_t port, net_resolve_cb, void *arg);
/* Cancel a pending resolution: the callback will not run. */
void net_resolve_cancel(struct net_resolve *);

#endif
