/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The configuration of p2ptui-rendezvous (p2ptui-rendezvous(8)), a
 * libconfig file read into a plain struct rdv_conf from one options
 * table, apart from p2ptui's own (conf.c).
 */
#ifndef P2PTUI_CONF_RDV_H
#define P2PTUI_CONF_RDV_H

#include <stdio.h>

#define RDV_CONF_DEFAULT_PATH SYSCONFDIR "/p2ptui-rendezvous.conf"

struct rdv_conf {
	char *listen; /* "HOST:PORT" */
	char *data_dir; /* the key and the accounts */
	int directory; /* answer WHO */
	int max_clients;
	int max_per_address;
	int accept_rate; /* new connections per second per address */
	int max_relays;
	int relay_rate; /* bytes per second per direction */
	int relay_idle; /* seconds */
	int register_rate; /* per hour */
	int lookup_rate; /* per minute */
	int connect_rate; /* per minute */
};

/* Read path (a missing file is an error unless missing_ok). -1 with
 * *cause = "FILE:LINE: what" (caller frees). */
int rdv_conf_load(
    struct rdv_conf *, const char *path, int missing_ok, char **cause);
void rdv_conf_free(struct rdv_conf *);
/* The commented example file. */
void rdv_conf_write_example(FILE *);

#endif
