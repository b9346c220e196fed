/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The accounts of p2ptui-rendezvous: which key holds which username.
 * One SQLite file (accounts.db in the server's data directory):
 *
 *   names(name TEXT PRIMARY KEY, key BLOB UNIQUE NOT NULL,
 *         since INTEGER NOT NULL)
 *
 * so a name has one key and a key one name. Every change is its own
 * transaction, durable before the client hears of it.
 */
#ifndef P2PTUI_STORE_RDV_H
#define P2PTUI_STORE_RDV_H

#include <stdint.h>

struct store_rdv;

/* Open (creating) path; NULL with *cause. */
struct store_rdv *store_rdv_open(const char *path, char **cause);
void store_rdv_close(struct store_rdv *);
/* key's name into name (33 bytes): 1, 0 if none, -1 on error. */
int store_rdv_name(struct store_rdv *, const uint8_t key[32], char *name);
/* name's key: 1, 0 if none, -1 on error. */
int store_rdv_key(struct store_rdv *, const char *name, uint8_t key[32]);
/* Give key the name (replacing its old one), or none (NULL). 0, 1 if
 * another key holds the name, -1 on error. */
int store_rdv_set(struct store_rdv *, const uint8_t key[32], const char *name);

#endif
