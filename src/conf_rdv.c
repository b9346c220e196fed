/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * p2ptui-rendezvous's configuration: one table gives each setting's
 * type, default, range and help; it drives parsing, validation and the
 * example file (contrib/p2ptui-rendezvous.conf.example is its output,
 * tests/check/options.sh compares them and the man page).
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "conf_rdv.h"
#include "util.h"
#include "xmalloc.h"

struct rdv_conf_option {
	const char *name;
	int type; /* CONFIG_TYPE_STRING, _BOOL or _INT */
	size_t offset;
	const char *def; /* as written in the file */
	int min, max;
	const char *help;
};

#define ROFF(f) offsetof(struct rdv_conf, f)
static const struct rdv_conf_option rdv_conf_options[] = {
	{ "listen", CONFIG_TYPE_STRING, ROFF(listen), "\"0.0.0.0:7071\"", 0, 0,
	    "Address and port for clients and relays: \"ADDR:PORT\"." },
	{ "data_dir", CONFIG_TYPE_STRING, ROFF(data_dir),
	    "\"/var/lib/p2ptui-rendezvous\"", 0, 0,
	    "The server's key (identity.key) and accounts (accounts.db)." },
	{ "directory", CONFIG_TYPE_BOOL, ROFF(directory), "false", 0, 0,
	    "Answer /who with the names of the clients online (never their "
	    "addresses)." },
	{ "max_clients", CONFIG_TYPE_INT, ROFF(max_clients), "20000", 1,
	    1000000, "Clients online at once." },
	{ "max_per_address", CONFIG_TYPE_INT, ROFF(max_per_address), "64", 1,
	    1000000,
	    "Sessions and relay connections from one address (IPv6: one "
	    "/64)." },
	{ "accept_rate", CONFIG_TYPE_INT, ROFF(accept_rate), "10", 1, 100000,
	    "New connections per second from one address (IPv6: one /64)." },
	{ "max_relays", CONFIG_TYPE_INT, ROFF(max_relays), "64", 0, 100000,
	    "Relays at once (0: never relay)." },
	{ "relay_rate", CONFIG_TYPE_INT, ROFF(relay_rate), "1048576", 1024,
	    1000000000, "Bytes per second each relay forwards each way." },
	{ "relay_idle", CONFIG_TYPE_INT, ROFF(relay_idle), "120", 10, 3600,
	    "Seconds without a byte after which a relay ends." },
	{ "register_rate", CONFIG_TYPE_INT, ROFF(register_rate), "10", 1,
	    100000,
	    "Registrations, renames and releases per hour per key "
	    "and per address." },
	{ "lookup_rate", CONFIG_TYPE_INT, ROFF(lookup_rate), "60", 1, 100000,
	    "Lookups per minute per key and per address." },
	{ "connect_rate", CONFIG_TYPE_INT, ROFF(connect_rate), "20", 1, 100000,
	    "Connect and relay requests per minute per key and per "
	    "address." },
};
#define RDV_CONF_N (sizeof rdv_conf_options / sizeof rdv_conf_options[0])

static void
rdv_conf_defaults(struct rdv_conf *c)
{
	const struct rdv_conf_option *o;
	size_t i, n;

	memset(c, 0, sizeof *c);
	for (i = 0; i < RDV_CONF_N; i++) {
		o = &rdv_conf_options[i];
		if (o->type == CONFIG_TYPE_STRING) {
			n = strlen(o->def);
			*(char **)((char *)c + o->offset) =
			    xstrndup(o->def + 1, n - 2);
		} else if (o->type == CONFIG_TYPE_BOOL)
			*(int *)((char *)c + o->offset) =
			    strcmp(o->def, "true") == 0;
		else
			*(int *)((char *)c + o->offset) = atoi(o->def);
	}
}

static int
rdv_conf_set(struct rdv_conf *c, const struct rdv_conf_option *o,
    config_setting_t *s, const char *path, char **cause)
{
	int line = config_setting_source_line(s), type;
	char host[UTIL_HOST_MAX], *why;
	const char *str;
	uint16_t port;
	long long v;

	type = config_setting_type(s);
	if (type == CONFIG_TYPE_INT64)
		type = CONFIG_TYPE_INT;
	if (type != o->type) {
		*cause =
		    xasprintf("%s:%d: '%s' must be %s", path, line, o->name,
		        o->type == CONFIG_TYPE_STRING     ? "a string"
		            : o->type == CONFIG_TYPE_BOOL ? "true or false"
		                                          : "a number");
		return -1;
	}
	if (o->type == CONFIG_TYPE_BOOL) {
		*(int *)((char *)c + o->offset) = config_setting_get_bool(s);
		return 0;
	}
	if (o->type == CONFIG_TYPE_INT) {
		v = config_setting_get_int64(s);
		if (v < o->min || v > o->max) {
			*cause = xasprintf("%s:%d: '%s' must be from %d to %d",
			    path, line, o->name, o->min, o->max);
			return -1;
		}
		*(int *)((char *)c + o->offset) = (int)v;
		return 0;
	}
	str = config_setting_get_string(s);
	if (o->offset == ROFF(listen) &&
	    util_parse_hostport(str, host, &port, 1, &why) == -1) {
		*cause = xasprintf("%s:%d: '%s': %s", path, line, o->name, why);
		free(why);
		return -1;
	}
	if (*str == '\0') {
		*cause = xasprintf("%s:%d: '%s' is empty", path, line, o->name);
		return -1;
	}
	free(*(char **)((char *)c + o->offset));
	*(char **)((char *)c + o->offset) = xstrdup(str);
	return 0;
}

int
rdv_conf_load(
    struct rdv_conf *c, const char *path, int missing_ok, char **cause)
{
	config_setting_t *root, *s;
	config_t cfg;
	FILE *fp;
	size_t i, j;
	int ok = -1;

	rdv_conf_defaults(c);
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT && missing_ok)
			return 0;
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	config_init(&cfg);
	if (config_read(&cfg, fp) == CONFIG_FALSE) {
		*cause = xasprintf("%s:%d: %s", path, config_error_line(&cfg),
		    config_error_text(&cfg));
		goto out;
	}
	root = config_root_setting(&cfg);
	for (i = 0; i < (size_t)config_setting_length(root); i++) {
		s = config_setting_get_elem(root, (unsigned)i);
		for (j = 0; j < RDV_CONF_N; j++)
			if (strcmp(config_setting_name(s),
			        rdv_conf_options[j].name) == 0)
				break;
		if (j == RDV_CONF_N) {
			*cause = xasprintf("%s:%d: unknown setting '%s'", path,
			    config_setting_source_line(s),
			    config_setting_name(s));
			goto out;
		}
		if (rdv_conf_set(c, &rdv_conf_options[j], s, path, cause) == -1)
			goto out;
	}
	ok = 0;
out:
	config_destroy(&cfg);
	fclose(fp);
	if (ok == -1)
		rdv_conf_free(c);
	return ok;
}

void
rdv_conf_free(struct rdv_conf *c)
{
	free(c->listen);
	free(c->data_dir);
	c->listen = c->data_dir = NULL;
}

void
rdv_conf_write_example(FILE *fp)
{
	const struct rdv_conf_option *o;
	size_t i;

	fputs("# p2ptui-rendezvous configuration (libconfig syntax); see "
	      "p2ptui-rendezvous(8).\n# Every setting is shown with its "
	      "default.\n",
	    fp);
	for (i = 0; i < RDV_CONF_N; i++) {
		o = &rdv_conf_options[i];
		fprintf(fp, "\n# %s\n", o->help);
		if (o->type == CONFIG_TYPE_INT)
			fprintf(fp, "# (%d to %d)\n", o->min, o->max);
		fprintf(fp, "#%s = %s;\n", o->name, o->def);
	}
}
