/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Port mapping of the listening port on the home router (UPnP-IGD, else
 * NAT-PMP), with port_mapping = true in a build with --enable-portmap.
 * The blocking library calls run in a short-lived child process that
 * answers with one line; the parsing of that line and the renewal
 * schedule are here for the unit tests.
 */
#ifndef P2PTUI_PORTMAP_H
#define P2PTUI_PORTMAP_H

#include <stdint.h>

#include "feature.h"

enum portmap_how { PORTMAP_NONE, PORTMAP_UPNP, PORTMAP_NATPMP };

/* A child's answer. */
struct portmap_result {
	enum portmap_how how; /* PORTMAP_NONE: it failed, why says why */
	char ip[16]; /* the external IPv4 address */
	uint16_t port; /* the external port */
	unsigned lease; /* seconds; 0 = permanent */
	char why[128];
};

/*
 * Parse a child's line (without its newline): "upnp IP PORT LEASE",
 * "natpmp IP PORT LEASE" or "fail WHY". -1 if it is none of them.
 */
int portmap_parse(const char *line, struct portmap_result *);
/* When to renew a mapping of lease seconds, in ms; 0: never. */
uint64_t portmap_renew_ms(unsigned lease);

/* The runtime (features.c). */
extern const struct feature portmap_feature;

#endif
