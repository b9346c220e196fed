/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rendezvous client (doc/PROTOCOL.md section 16): a feature with no
 * message types of its own that holds one session to the configured
 * p2ptui-rendezvous server. The commands below are those of cmd.c.
 */
#ifndef P2PTUI_RDV_H
#define P2PTUI_RDV_H

struct engine;
struct feature;
struct peer;

extern const struct feature rdv_feature;

/* /register NAME: register it, or rename to it. -1 with *cause if no
 * server is configured, the session is not up or NAME is not a name. */
int rdv_register(struct engine *, const char *name, char **cause);
/* /lookup NAME: the answer comes as "lookup NAME FP|none". */
int rdv_lookup(struct engine *, const char *name, char **cause);
/* /connect @NAME: look NAME up, then ask the server to introduce us. */
int rdv_connect(struct engine *, const char *name, char **cause);
/* /who: the contacts the server reports online (told at once), and
 * the directory, which comes later as a notice. */
int rdv_who(struct engine *, char **cause);
/* p, a contact request that came through the server, was accepted:
 * agree to meet it (CONNECT). */
void rdv_accepted(struct engine *, struct peer *p);

#endif
