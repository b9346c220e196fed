/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Configuration: ~/.p2ptui.conf (libconfig) read into a plain struct conf.
 * Every option is described once, in the table in conf.c, which also
 * generates the commented default file.
 */
#ifndef P2PTUI_CONF_H
#define P2PTUI_CONF_H

#include <stdint.h>
#include <stdio.h>

#define CONF_KEYLEN 32
#define CONF_NAME_MAX 32
/* The largest configuration file read, in bytes: 1 MiB. */
#define CONF_MAX_SIZE (1024 * 1024)

enum conf_color {
	CONF_COLOR_DEFAULT,
	CONF_COLOR_BLACK,
	CONF_COLOR_RED,
	CONF_COLOR_GREEN,
	CONF_COLOR_YELLOW,
	CONF_COLOR_BLUE,
	CONF_COLOR_MAGENTA,
	CONF_COLOR_CYAN,
	CONF_COLOR_WHITE,
};

struct conf_peer {
	char *name;
	char *address; /* "HOST:PORT" or NULL */
	uint8_t key[CONF_KEYLEN];
	int has_key;
	int autoconnect;
	int auto_accept; /* accept their file offers without asking */
	int upload_rate; /* bytes per second of uploads to it; 0: no cap */
	int line; /* where it was defined, for messages */
};

struct conf {
	char *path; /* the file read */

	char *nick;
	char *listen;
	char *data_dir; /* expanded; never empty after conf_load */
	char *download_dir;
	int upload_rate; /* bytes per second of all uploads; 0: no limit */
	int timestamps;
	char *timestamp_format;
	int colors;
	int color_self;
	int color_peer;
	int color_system;
	int color_error;
	int peer_width;
	int bell;
	int mouse;
	int keepalive;
	int handshake_timeout;
	int handshake_rate;
	int handshake_rate_total;
	int request_timeout;
	int max_peers;
	int max_queue_kb;
	int max_message;
	int history;
	char *lan_announce; /* "off", "contacts" or "public" */
	int lan_port;
	int port_mapping; /* map the listening port on the router */

	/* The web = { ... } group (p2ptui.conf(5), WEB FRONTEND in
	 * p2ptui(1)): web is 1 if the group is there. */
	int web;
	char *web_listen;
	int web_upload_max; /* MiB */
	char *web_root; /* "" for the installed page */

	/* The rendezvous = { ... } group: rdv is 1 if it is there. */
	int rdv;
	char *rdv_address;
	char *rdv_key; /* the server's fingerprint */
	char *rdv_username; /* "" for none */

	struct conf_peer *peers;
	size_t npeers;
	size_t *byname; /* peers' indices sorted by name (conf_find_peer) */
};

/* The default path: $HOME/.p2ptui.conf (allocated). */
char *conf_default_path(void);

/*
 * Read path into *conf. A missing file gives the defaults and, if
 * create is set, writes the commented default there (O_EXCL: never
 * overwrites); *created is then 1. Warnings (unknown settings) go to
 * warn. -1 with *cause = "FILE:LINE: what is wrong" (caller frees).
 */
int conf_load(struct conf *, const char *path, int create, int *created,
    FILE *warn, char **cause);
void conf_free(struct conf *);

/* Write the commented default configuration to fp. */
void conf_write_default(FILE *fp);

/* Find a configured peer by name or NULL. */
struct conf_peer *conf_find_peer(const struct conf *, const char *name);

/* Parse a peer name: 1-32 of [A-Za-z0-9._-]. 0 if valid. */
int conf_valid_name(const char *);

#endif
