/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Port mapping (DESIGN.md section 11): with port_mapping = true and a
 * build with --enable-portmap, the listening TCP port is mapped on the
 * home router with UPnP-IGD (libminiupnpc), or else NAT-PMP
 * (libnatpmp), renewed before the lease ends and removed on quit. A
 * feature with no message types (features.c).
 *
 * Both libraries block (SSDP discovery waits, SOAP over blocking HTTP,
 * NAT-PMP retries for up to a minute), and the loop must not. So each
 * request runs in a child process that does only that: forked, with every
 * descriptor but its pipe closed, an alarm() as a hard bound, and one
 * line written back before _exit():
 *
 *   "upnp EXTIP EXTPORT LEASE" | "natpmp EXTIP EXTPORT LEASE" | "fail WHY"
 *
 * The loop watches the pipe; the child is reaped when the pipe closes,
 * and killed if it outlives PORTMAP_CHILD_MS.
 *
 *   start -> mapping (child) -> mapped --(half the lease)--> mapping ...
 *                            -> failed --(PORTMAP_RETRY_MS)-> mapping ...
 *   quit: if mapped, a last child removes the mapping; nobody waits for it.
 *
 * The external address is told to the user and announced in HELLO
 * (engine_set_mapped()), so that peers dial it back.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#ifdef HAVE_PORTMAP
#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>
#include <natpmp.h>
#include <sys/select.h>
#endif

#include "conf.h"
#include "engine.h"
#include "feature.h"
#include "log.h"
#include "loop.h"
#include "portmap.h"
#include "util.h"
#include "xmalloc.h"

#define PORTMAP_CHILD_MS 12000 /* a child that takes longer is killed */
#define PORTMAP_RETRY_MS (10 * 60 * 1000) /* after a failure */

static int
portmap_ipv4(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1;
}

int
portmap_parse(const char *line, struct portmap_result *r)
{
	char how[16], ip[64], extra;
	unsigned port, lease;

	memset(r, 0, sizeof *r);
	if (strncmp(line, "fail ", 5) == 0) {
		snprintf(r->why, sizeof r->why, "%s", line + 5);
		return 0;
	}
	if (sscanf(line, "%15s %63s %u %u %c", how, ip, &port, &lease,
	        &extra) != 4 ||
	    port == 0 || port > 65535 || strlen(ip) >= sizeof r->ip ||
	    !portmap_ipv4(ip))
		return -1;
	if (strcmp(how, "upnp") == 0)
		r->how = PORTMAP_UPNP;
	else if (strcmp(how, "natpmp") == 0)
		r->how = PORTMAP_NATPMP;
	else
		return -1;
	memcpy(r->ip, ip, strlen(ip) + 1);
	r->port = (uint16_t)port;
	r->lease = lease;
	return 0;
}

uint64_t
portmap_renew_ms(unsigned lease)
{
	/* Half the lease, and not more often than a minute; none if the
	 * mapping is permanent (lease 0). */
	if (lease == 0)
		return 0;
	if (lease < 120)
		return 60000;
	return (uint64_t)lease * 500;
}

struct portmap {
	struct engine *eng;
	uint16_t port; /* ours, internal */
	pid_t pid; /* the child at work, or 0 */
	int fd; /* its pipe */
	struct loop_watch *watch;
	struct loop_timer *timer; /* the child's deadline, or the next try */
	char line[160]; /* what the child wrote so far */
	size_t len;
	struct portmap_result have; /* how != PORTMAP_NONE: mapped */
};

/* The child is done (or overdue): reap it. */
static void
portmap_reap(struct portmap *pm)
{
	if (pm->watch != NULL)
		loop_watch_del(pm->watch);
	pm->watch = NULL;
	if (pm->fd != -1)
		close(pm->fd);
	pm->fd = -1;
	if (pm->pid > 0) {
		kill(pm->pid, SIGKILL);
		waitpid(pm->pid, NULL, 0);
	}
	pm->pid = 0;
	if (pm->timer != NULL)
		loop_timer_del(pm->timer);
	pm->timer = NULL;
}

#ifdef HAVE_PORTMAP
/* --- in the child: blocking, bounded by alarm() --------------------------- */

#define PORTMAP_LEASE 3600 /* seconds asked for */
#define PORTMAP_NATPMP_MS 2500 /* NAT-PMP retries stop after this */

static int
portmap_upnp(int op, uint16_t port, const char *ext, char *out, size_t len)
{
	struct UPNPDev *devs;
	struct UPNPUrls urls;
	struct IGDdatas data;
	char lan[64], ip[64], p[8], lease[16];
	int err = 0, r;

	devs = upnpDiscover(1500, NULL, NULL, 0, 0, 2, &err);
	if (devs == NULL) {
		snprintf(out, len, "fail no UPnP gateway answered");
		return -1;
	}
	r = UPNP_GetValidIGD(devs, &urls, &data, lan, sizeof lan);
	freeUPNPDevlist(devs);
	if (r != 1) {
		if (r != 0)
			FreeUPNPUrls(&urls);
		snprintf(out, len, "fail no connected UPnP gateway");
		return -1;
	}
	snprintf(p, sizeof p, "%u", port);
	if (op == 'd') {
		UPNP_DeletePortMapping(
		    urls.controlURL, data.first.servicetype, ext, "TCP", NULL);
		FreeUPNPUrls(&urls);
		snprintf(out, len, "fail removed");
		return 0;
	}
	if (UPNP_GetExternalIPAddress(
	        urls.controlURL, data.first.servicetype, ip) != 0 ||
	    !portmap_ipv4(ip)) {
		FreeUPNPUrls(&urls);
		snprintf(
		    out, len, "fail the UPnP gateway has no external address");
		return -1;
	}
	snprintf(lease, sizeof lease, "%d", PORTMAP_LEASE);
	r = UPNP_AddPortMapping(urls.controlURL, data.first.servicetype, p, p,
	    lan, "p2ptui", "TCP", NULL, lease);
	if (r == 725) { /* OnlyPermanentLeasesSupported */
		snprintf(lease, sizeof lease, "0");
		r = UPNP_AddPortMapping(urls.controlURL, data.first.servicetype,
		    p, p, lan, "p2ptui", "TCP", NULL, lease);
	}
	FreeUPNPUrls(&urls);
	if (r != 0) {
		snprintf(out, len, "fail UPnP: %s", strupnperror(r));
		return -1;
	}
	snprintf(out, len, "upnp %s %s %s", ip, p, lease);
	return 0;
}

/* Wait for a NAT-PMP answer, retrying as the library says, for at most
 * PORTMAP_NATPMP_MS. */
static int
portmap_natpmp_wait(natpmp_t *n, natpmpresp_t *resp)
{
	struct timeval tv;
	fd_set fds;
	int r, waited = 0;

	do {
		FD_ZERO(&fds);
		FD_SET(n->s, &fds);
		getnatpmprequesttimeout(n, &tv);
		if (tv.tv_sec > 0 || tv.tv_usec > 250000) {
			tv.tv_sec = 0;
			tv.tv_usec = 250000;
		}
		select(n->s + 1, &fds, NULL, NULL, &tv);
		waited += 250;
		r = readnatpmpresponseorretry(n, resp);
	} while (r == NATPMP_TRYAGAIN && waited < PORTMAP_NATPMP_MS);
	return r;
}

static int
portmap_natpmp(int op, uint16_t port, uint16_t ext, char *out, size_t len)
{
	natpmp_t n;
	natpmpresp_t resp;
	char ip[INET_ADDRSTRLEN];

	if (initnatpmp(&n, 0, 0) < 0) {
		snprintf(out, len, "fail no NAT-PMP gateway");
		return -1;
	}
	if (op == 'd') {
		sendnewportmappingrequest(
		    &n, NATPMP_PROTOCOL_TCP, port, ext, 0);
		portmap_natpmp_wait(&n, &resp);
		closenatpmp(&n);
		snprintf(out, len, "fail removed");
		return 0;
	}
	if (sendpublicaddressrequest(&n) < 0 ||
	    portmap_natpmp_wait(&n, &resp) < 0 ||
	    resp.type != NATPMP_RESPTYPE_PUBLICADDRESS) {
		closenatpmp(&n);
		snprintf(out, len, "fail no NAT-PMP gateway answered");
		return -1;
	}
	inet_ntop(AF_INET, &resp.pnu.publicaddress.addr, ip, sizeof ip);
	if (sendnewportmappingrequest(
	        &n, NATPMP_PROTOCOL_TCP, port, port, PORTMAP_LEASE) < 0 ||
	    portmap_natpmp_wait(&n, &resp) < 0 ||
	    resp.type != NATPMP_RESPTYPE_TCPPORTMAPPING) {
		closenatpmp(&n);
		snprintf(out, len, "fail NAT-PMP refused the mapping");
		return -1;
	}
	closenatpmp(&n);
	snprintf(out, len, "natpmp %s %u %u", ip,
	    resp.pnu.newportmapping.mappedpublicport,
	    (unsigned)resp.pnu.newportmapping.lifetime);
	return 0;
}

/* The child: map (op 'm') or remove (op 'd', what *have says), write
 * the line, and go. */
static void __attribute__((noreturn))
portmap_child(int fd, int op, uint16_t port, const struct portmap_result *have)
{
	char out[160], ext[8];
	int null;

	/* The parent's handlers write to its self-pipe, closed below. */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	alarm(PORTMAP_CHILD_MS / 1000 - 2);
	/* Nothing of the parent's but the pipe: no socket stays open
	 * here after the parent closed it, nothing reaches its
	 * terminal. */
	if (fd != 3) {
		dup2(fd, 3);
		close(fd);
	}
	if ((null = open("/dev/null", O_RDWR)) != -1) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	close_range(4, ~0U, 0);
	snprintf(ext, sizeof ext, "%u", have->port);
	if (op == 'd' && have->how == PORTMAP_NATPMP)
		portmap_natpmp(op, port, have->port, out, sizeof out);
	else if (op == 'd')
		portmap_upnp(op, port, ext, out, sizeof out);
	else if (portmap_upnp(op, port, NULL, out, sizeof out) == -1)
		portmap_natpmp(op, port, 0, out, sizeof out);
	strncat(out, "\n", sizeof out - strlen(out) - 1);
	if (write(3, out, strlen(out)) == -1)
		_exit(1);
	_exit(0);
}

static void portmap_start(void *);

static void
portmap_done(struct portmap *pm)
{
	struct portmap_result r;
	char where[80];
	uint64_t renew;
	int again = pm->have.how != PORTMAP_NONE;

	pm->line[pm->len] = '\0';
	pm->line[strcspn(pm->line, "\n")] = '\0';
	portmap_reap(pm);
	if (portmap_parse(pm->line, &r) == -1 || r.how == PORTMAP_NONE) {
		engine_notice(pm->eng, NULL, FE_WARN,
		    "no port mapping: %s (tried again in 10 minutes)",
		    r.why[0] != '\0' ? r.why : "the helper failed");
		pm->have.how = PORTMAP_NONE;
		engine_set_mapped(pm->eng, NULL);
		pm->timer = loop_timer_add_coarse(
		    engine_loop(pm->eng), PORTMAP_RETRY_MS, portmap_start, pm);
		return;
	}
	snprintf(where, sizeof where, "%s:%u", r.ip, r.port);
	if (!again || strcmp(r.ip, pm->have.ip) != 0 || r.port != pm->have.port)
		engine_notice(pm->eng, NULL, FE_INFO,
		    "port %u mapped with %s: peers can dial %s", pm->port,
		    r.how == PORTMAP_UPNP ? "UPnP" : "NAT-PMP", where);
	pm->have = r;
	engine_set_mapped(pm->eng, where);
	if ((renew = portmap_renew_ms(r.lease)) != 0)
		pm->timer = loop_timer_add_coarse(
		    engine_loop(pm->eng), renew, portmap_start, pm);
}

static void
portmap_read(int fd, int revents, void *arg)
{
	struct portmap *pm = arg;
	ssize_t n;

	(void)revents;
	n = read(fd, pm->line + pm->len, sizeof pm->line - 1 - pm->len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		pm->len += (size_t)n;
		if (pm->len < sizeof pm->line - 1 &&
		    memchr(pm->line, '\n', pm->len) == NULL)
			return;
	}
	portmap_done(pm);
}

static void
portmap_overdue(void *arg)
{
	struct portmap *pm = arg;

	pm->timer = NULL;
	log_debug("portmap: helper %ld overdue", (long)pm->pid);
	pm->len = 0;
	snprintf(pm->line, sizeof pm->line, "fail no answer in time");
	pm->len = strlen(pm->line);
	portmap_done(pm);
}

/* Run a child for op ('m' map, 'd' remove); 0 if it runs. */
static int
portmap_spawn(struct portmap *pm, int op)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) == -1) {
		log_debug("portmap: pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		log_debug("portmap: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		portmap_child(fds[1], op, pm->port, &pm->have);
	}
	close(fds[1]);
	if (op == 'd') {
		/* On quit: it finishes on its own; init reaps it. */
		close(fds[0]);
		return 0;
	}
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	pm->pid = pid;
	pm->fd = fds[0];
	pm->len = 0;
	pm->watch = loop_watch_add(
	    engine_loop(pm->eng), pm->fd, POLLIN, portmap_read, pm);
	pm->timer = loop_timer_add(
	    engine_loop(pm->eng), PORTMAP_CHILD_MS, portmap_overdue, pm);
	return 0;
}

static void
portmap_start(void *arg)
{
	struct portmap *pm = arg;

	pm->timer = NULL;
	if (portmap_spawn(pm, 'm') == -1)
		pm->timer = loop_timer_add_coarse(
		    engine_loop(pm->eng), PORTMAP_RETRY_MS, portmap_start, pm);
}
#else
static int
portmap_spawn(struct portmap *pm, int op)
{
	(void)pm;
	(void)op;
	return -1;
}
#endif

/* Never NULL: without port_mapping the state is idle. */
static void *
portmap_create(struct engine *eng, char **cause)
{
	struct portmap *pm;

	(void)cause;
	pm = xcalloc(1, sizeof *pm);
	pm->eng = eng;
	pm->fd = -1;
	if (!engine_conf(eng)->port_mapping)
		return pm;
#ifndef HAVE_PORTMAP
	engine_notice(eng, NULL, FE_WARN,
	    "port_mapping is set, but this p2ptui was built without it "
	    "(configure --enable-portmap)");
#else
	if ((pm->port = engine_listen_port(eng)) != 0)
		pm->timer =
		    loop_timer_add(engine_loop(eng), 0, portmap_start, pm);
#endif
	return pm;
}

static void
portmap_free(void *arg)
{
	struct portmap *pm = arg;

	if (pm == NULL)
		return;
	portmap_reap(pm);
	if (pm->have.how != PORTMAP_NONE)
		portmap_spawn(pm, 'd');
	free(pm);
}

/* No message types of its own (lo > hi). */
const struct feature portmap_feature = {
	.name = "portmap",
	.type_lo = 1,
	.type_hi = 0,
	.create = portmap_create,
	.free = portmap_free,
};
