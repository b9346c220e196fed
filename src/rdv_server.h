/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rendezvous server (p2ptui-rendezvous, doc/PROTOCOL.md section 16)
 * on one loop: client sessions, names, presence, introductions and
 * relays. main() is in p2ptui-rendezvous.c; benchmarks run it too.
 */
#ifndef P2PTUI_RDV_SERVER_H
#define P2PTUI_RDV_SERVER_H

#include <stddef.h>

#include "net.h"

struct ident;
struct loop;
struct rdv_conf;
struct rdv_server;

/* Open the accounts in conf->data_dir and listen on conf->listen (the
 * address bound, with its real port, into bound). NULL with *cause. */
struct rdv_server *rdv_server_create(struct loop *, const struct rdv_conf *,
    const struct ident *, char bound[NET_ADDRSTRLEN], char **cause);
/* Close every connection and free. */
void rdv_server_free(struct rdv_server *);
/* Clients with a session; relays running or pending. */
size_t rdv_server_nclients(const struct rdv_server *);
size_t rdv_server_nrelays(const struct rdv_server *);

#endif
