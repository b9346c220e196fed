/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Configuration. The options table below is the single description of
 * every setting: its type, default, range and help. It drives parsing,
 * validation, the commented default file and (through tests/check) the
 * man page. The user's file is never rewritten: libconfig's writer drops
 * comments, so the default file is generated here as text, once.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libconfig.h>

#include "conf.h"
#include "ident.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

enum conf_type {
	CONF_STRING,
	CONF_BOOL,
	CONF_INT,
	CONF_COLOR,
	CONF_ADDR,
	CONF_CHOICE, /* one of the words in choices */
};

struct conf_option {
	const char *name;
	enum conf_type type;
	size_t offset;
	const char *def; /* as written in the file */
	int min, max; /* CONF_INT range; CONF_STRING maximum length */
	const char *help;
};

/* The words a CONF_CHOICE option takes, NULL-terminated. */
static const struct {
	const char *name;
	const char *const words[4];
} conf_choices[] = {
	{ "lan_announce", { "off", "contacts", "public", NULL } },
};

#define OFF(f) offsetof(struct conf, f)
static const struct conf_option conf_options[] = {
	{ "nick", CONF_STRING, OFF(nick), "\"\"", 0, CONF_NAME_MAX,
	    "Your nickname as peers see it (empty: your login name)." },
	{ "listen", CONF_ADDR, OFF(listen), "\"0.0.0.0:7070\"", 0, 0,
	    "Address and port to accept peers on: \"ADDR:PORT\" or "
	    "\"[IPV6]:PORT\"; port 0 picks a free one; \"off\": none." },
	{ "data_dir", CONF_STRING, OFF(data_dir), "\"\"", 0, 1024,
	    "Keys, history and state (empty: $XDG_DATA_HOME/p2ptui or "
	    "~/.local/share/p2ptui)." },
	{ "download_dir", CONF_STRING, OFF(download_dir), "\"~/Downloads\"", 1,
	    1024, "Where received files are saved." },
	{ "upload_rate", CONF_INT, OFF(upload_rate), "0", 0, INT_MAX,
	    "Bytes per second that file uploads to all peers together may "
	    "use (0: no limit); a peer's own upload_rate caps it further." },
	{ "history", CONF_BOOL, OFF(history), "true", 0, 0,
	    "Keep conversations and undelivered messages on disk; false "
	    "keeps them in memory only, lost on exit." },
	{ "timestamps", CONF_BOOL, OFF(timestamps), "true", 0, 0,
	    "Show a timestamp before each message." },
	{ "timestamp_format", CONF_STRING, OFF(timestamp_format), "\"%H:%M\"",
	    1, 64, "strftime(3) format of timestamps." },
	{ "colors", CONF_BOOL, OFF(colors), "true", 0, 0,
	    "Use colours (also off when $NO_COLOR is set)." },
	{ "color_self", CONF_COLOR, OFF(color_self), "\"green\"", 0, 0,
	    "Colour of your nick: default black red green yellow blue "
	    "magenta cyan white." },
	{ "color_peer", CONF_COLOR, OFF(color_peer), "\"cyan\"", 0, 0,
	    "Colour of peers' names." },
	{ "color_system", CONF_COLOR, OFF(color_system), "\"yellow\"", 0, 0,
	    "Colour of notices." },
	{ "color_error", CONF_COLOR, OFF(color_error), "\"red\"", 0, 0,
	    "Colour of errors and warnings." },
	{ "peer_width", CONF_INT, OFF(peer_width), "20", 10, 60,
	    "Width of the peer list in columns." },
	{ "bell", CONF_BOOL, OFF(bell), "false", 0, 0,
	    "Ring the terminal bell for a message to a peer not on screen." },
	{ "mouse", CONF_BOOL, OFF(mouse), "false", 0, 0,
	    "Scroll with the mouse wheel (the terminal's own selection then "
	    "needs Shift)." },
	{ "keepalive", CONF_INT, OFF(keepalive), "20", 2, 300,
	    "Seconds of silence before a ping; a peer silent for three is dropped." },
	{ "handshake_timeout", CONF_INT, OFF(handshake_timeout), "10", 1, 120,
	    "Seconds a connection may take to authenticate." },
	{ "handshake_rate", CONF_INT, OFF(handshake_rate), "5", 1, 1000,
	    "New connections accepted per second from one address." },
	{ "handshake_rate_total", CONF_INT, OFF(handshake_rate_total), "100", 1,
	    100000,
	    "New connections accepted per second from all addresses together "
	    "(not counting those where known peers connected from)." },
	{ "request_timeout", CONF_INT, OFF(request_timeout), "120", 5, 86400,
	    "Seconds an unanswered contact request's connection stays open." },
	{ "max_peers", CONF_INT, OFF(max_peers), "64", 1, 65536,
	    "Most simultaneous connections; beyond it incoming ones are "
	    "refused." },
	{ "max_queue_kb", CONF_INT, OFF(max_queue_kb), "4096", 64, 1048576,
	    "Most KiB queued for one peer before its connection is dropped." },
	{ "max_message", CONF_INT, OFF(max_message), "4096", 16, 60000,
	    "Longest chat message you may send, in bytes." },
	{ "lan_announce", CONF_CHOICE, OFF(lan_announce), "\"contacts\"", 0, 0,
	    "LAN discovery: \"contacts\" sends beacons only your contacts "
	    "recognise and dials contacts found; \"public\" adds your key and "
	    "nick so anyone on the LAN may ask to talk; \"off\" neither sends "
	    "nor listens." },
	{ "lan_port", CONF_INT, OFF(lan_port), "47077", 1, 65535,
	    "UDP port of the LAN beacons." },
	{ "port_mapping", CONF_BOOL, OFF(port_mapping), "false", 0, 0,
	    "Map the listening port on the home router with UPnP or NAT-PMP "
	    "(a build with --enable-portmap)." },
};
/* The members of the web group, parsed and checked like the above. */
static const struct conf_option conf_web_options[] = {
	{ "listen", CONF_ADDR, OFF(web_listen), "\"127.0.0.1:7080\"", 0, 0,
	    "Address of the page: \"ADDR:PORT\"; keep it on 127.0.0.1 "
	    "(port 0 picks a free one)." },
	{ "upload_max", CONF_INT, OFF(web_upload_max), "100", 1, 65536,
	    "Largest file the page may upload to send, in MiB." },
	{ "root", CONF_STRING, OFF(web_root), "\"\"", 0, 1024,
	    "Directory of the page's files (empty: the installed ones)." },
};
/* The members of the rendezvous group (p2ptui.conf(5)). */
static const struct conf_option conf_rdv_options[] = {
	{ "address", CONF_ADDR, OFF(rdv_address), "\"rdv.example.org:7077\"", 0,
	    0, "Where the rendezvous server listens: \"HOST:PORT\"." },
	{ "key", CONF_STRING, OFF(rdv_key), "\"\"", 0, 64,
	    "The server's key (the fingerprint it printed at first start): "
	    "a server presenting another is refused." },
	{ "username", CONF_STRING, OFF(rdv_username), "\"\"", 0, 32,
	    "The name registered on first connection if your key has none "
	    "(empty: none; /register later)." },
};
#undef OFF
#define CONF_NRDV (sizeof conf_rdv_options / sizeof conf_rdv_options[0])
#define CONF_NOPTIONS (sizeof conf_options / sizeof conf_options[0])
#define CONF_NWEB (sizeof conf_web_options / sizeof conf_web_options[0])

static const char *conf_peer_fields[] = { "name", "address", "key",
	"autoconnect", "auto_accept", "upload_rate" };
#define NPEER_FIELDS (sizeof conf_peer_fields / sizeof conf_peer_fields[0])

static const char *conf_colors[] = { "default", "black", "red", "green",
	"yellow", "blue", "magenta", "cyan", "white" };

char *
conf_default_path(void)
{
	const char *home = getenv("HOME");

	if (home == NULL || *home == '\0')
		home = ".";
	return xasprintf("%s/.p2ptui.conf", home);
}

int
conf_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONF_NAME_MAX)
		return -1;
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		        (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		        *s == '-'))
			return -1;
	}
	return 0;
}

static int
conf_color_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof conf_colors / sizeof conf_colors[0]; i++) {
		if (strcmp(s, conf_colors[i]) == 0)
			return (int)i;
	}
	return -1;
}

/* "did you mean" for an unknown name among candidates, or NULL. */
static const char *
conf_nearest(const char *name, const char **cands, size_t n)
{
	const char *best = NULL;
	size_t i, d, bestd = 4;

	for (i = 0; i < n; i++) {
		d = util_distance(name, cands[i]);
		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	return best;
}

static void
conf_warn_unknown(FILE *warn, const char *path, config_setting_t *s,
    const char *what, const char **cands, size_t n)
{
	const char *name = config_setting_name(s), *near;

	if (warn == NULL)
		return;
	near = conf_nearest(name, cands, n);
	fprintf(warn, "p2ptui: %s:%d: warning: unknown %s '%s'", path,
	    config_setting_source_line(s), what, name);
	if (near != NULL)
		fprintf(warn, " (did you mean '%s'?)", near);
	fputc('\n', warn);
}

static const char *
conf_type_name(enum conf_type t)
{
	switch (t) {
	case CONF_BOOL:
		return "true or false";
	case CONF_INT:
		return "a whole number";
	default:
		return "a string in double quotes";
	}
}

#define CONF_NAME_CHARS \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-*"

/*
 * libconfig keeps only the low bits of an integer too large for it
 * (1e20 reads as -1): find the number written after "name =" on the
 * setting's line of text and say whether it is the value libconfig has.
 */
static int
conf_int_intact(const char *text, int line, const char *name, long long v)
{
	const char *p = text, *q;
	long long w;
	char *end;
	int i;

	for (i = 1; i < line && p != NULL; i++) {
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	if (p == NULL)
		return 1;
	for (q = strstr(p, name); q != NULL; q = strstr(q + 1, name)) {
		if (memchr(p, '\n', (size_t)(q - p)) != NULL)
			return 1; /* not on this line: cannot tell */
		if (q > p && q[-1] != '\0' &&
		    strchr(CONF_NAME_CHARS, q[-1]) != NULL)
			continue; /* the end of a longer name */
		q += strlen(name);
		q += strspn(q, " \t");
		if (*q != '=' && *q != ':')
			continue;
		q++;
		q += strspn(q, " \t");
		errno = 0;
		if ((q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) ||
		    ((q[0] == '-' || q[0] == '+') && q[1] == '0' &&
		        (q[2] == 'x' || q[2] == 'X')))
			w = strtoll(q, &end, 16);
		else
			w = strtoll(q, &end, 10);
		return end != q && errno == 0 && w == v;
	}
	return 1;
}

static const char *const *
conf_words(const struct conf_option *o)
{
	size_t i;

	for (i = 0; i < sizeof conf_choices / sizeof conf_choices[0]; i++) {
		if (strcmp(conf_choices[i].name, o->name) == 0)
			return conf_choices[i].words;
	}
	fatal("conf: no words for %s", o->name);
}

/* Set one option from its setting in the file, whose text is text. */
static int
conf_set(struct conf *conf, const struct conf_option *o, config_setting_t *s,
    const char *path, const char *text, char **cause)
{
	void *field = (char *)conf + o->offset;
	int line = config_setting_source_line(s);
	const char *str = NULL;
	char host[UTIL_HOST_MAX], *why, list[128];
	uint16_t port;
	long long v;
	const char *const *words;
	size_t used;
	int want, c;

	switch (o->type) {
	case CONF_BOOL:
		want = CONFIG_TYPE_BOOL;
		break;
	case CONF_INT:
		want = CONFIG_TYPE_INT;
		break;
	default:
		want = CONFIG_TYPE_STRING;
		break;
	}
	if (config_setting_type(s) != want &&
	    !(want == CONFIG_TYPE_INT &&
	        config_setting_type(s) == CONFIG_TYPE_INT64)) {
		if (o->type == CONF_INT)
			*cause = xasprintf("%s:%d: '%s' must be %s from %d "
			                   "to %d",
			    path, line, o->name, conf_type_name(o->type),
			    o->min, o->max);
		else
			*cause = xasprintf("%s:%d: '%s' must be %s", path, line,
			    o->name, conf_type_name(o->type));
		return -1;
	}
	if (want == CONFIG_TYPE_STRING) {
		str = config_setting_get_string(s);
		if (strchr(str, '\n') != NULL) {
			*cause = xasprintf("%s:%d: '%s' runs past the end of "
			                   "its line: is a closing quote "
			                   "missing?",
			    path, line, o->name);
			return -1;
		}
		if (!util_utf8_printable((const uint8_t *)str, strlen(str))) {
			*cause = xasprintf("%s:%d: '%s' contains control "
			                   "characters or invalid UTF-8",
			    path, line, o->name);
			return -1;
		}
	}
	switch (o->type) {
	case CONF_BOOL:
		*(int *)field = config_setting_get_bool(s);
		break;
	case CONF_INT:
		v = config_setting_get_int64(s);
		if (!conf_int_intact(text, line, o->name, v)) {
			*cause = xasprintf("%s:%d: '%s' is out of range; it "
			                   "must be from %d to %d",
			    path, line, o->name, o->min, o->max);
			return -1;
		}
		if (v < o->min || v > o->max) {
			*cause = xasprintf("%s:%d: '%s' is %lld; it must be "
			                   "from %d to %d",
			    path, line, o->name, v, o->min, o->max);
			return -1;
		}
		*(int *)field = (int)v;
		break;
	case CONF_STRING:
		if (strlen(str) < (size_t)o->min ||
		    strlen(str) > (size_t)o->max) {
			*cause = xasprintf("%s:%d: '%s' must be %d to %d "
			                   "bytes long",
			    path, line, o->name, o->min, o->max);
			return -1;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(str);
		break;
	case CONF_COLOR:
		if ((c = conf_color_parse(str)) == -1) {
			*cause = xasprintf(
			    "%s:%d: '%s': unknown colour '%s' "
			    "(default, black, red, green, yellow, blue, "
			    "magenta, cyan or white)",
			    path, line, o->name, str);
			return -1;
		}
		*(int *)field = c;
		break;
	case CONF_CHOICE:
		words = conf_words(o);
		for (c = 0; words[c] != NULL; c++) {
			if (strcmp(str, words[c]) == 0)
				break;
		}
		if (words[c] == NULL) {
			for (c = 0, used = 0; words[c] != NULL; c++)
				used += (size_t)snprintf(list + used,
				    sizeof list - used, "%s\"%s\"",
				    c > 0 ? ", " : "", words[c]);
			*cause = xasprintf("%s:%d: '%s' is \"%s\"; it must be "
			                   "one of %s",
			    path, line, o->name, str, list);
			return -1;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(str);
		break;
	case CONF_ADDR:
		/* listen = "off": not listening at all (rendezvous relay). */
		if (field == (void *)&conf->listen && strcmp(str, "off") == 0) {
			free(*(char **)field);
			*(char **)field = xstrdup(str);
			break;
		}
		if (util_parse_hostport(str, host, &port, 1, &why) == -1) {
			*cause = xasprintf(
			    "%s:%d: '%s': %s", path, line, o->name, why);
			free(why);
			return -1;
		}
		free(*(char **)field);
		*(char **)field = xstrdup(str);
		break;
	}
	return 0;
}

/* Defaults straight from a table, so they cannot drift from it. */
static void
conf_defaults_of(struct conf *conf, const struct conf_option *opts, size_t n)
{
	const struct conf_option *o;
	void *field;
	char *tmp;
	size_t i;

	for (i = 0; i < n; i++) {
		o = &opts[i];
		field = (char *)conf + o->offset;
		switch (o->type) {
		case CONF_BOOL:
			*(int *)field = strcmp(o->def, "true") == 0;
			break;
		case CONF_INT:
			*(int *)field = atoi(o->def);
			break;
		case CONF_COLOR:
			tmp = xstrndup(o->def + 1, strlen(o->def) - 2);
			*(int *)field = conf_color_parse(tmp);
			free(tmp);
			break;
		default:
			*(char **)field =
			    xstrndup(o->def + 1, strlen(o->def) - 2);
			break;
		}
	}
}

static void
conf_defaults(struct conf *conf)
{
	memset(conf, 0, sizeof *conf);
	conf_defaults_of(conf, conf_options, CONF_NOPTIONS);
	conf_defaults_of(conf, conf_web_options, CONF_NWEB);
	conf_defaults_of(conf, conf_rdv_options, CONF_NRDV);
}

/*
 * A group of settings (web, rendezvous): its members from opts; *have
 * gets bit i for each of the first members present (up to 31).
 */
static int
conf_load_group(struct conf *conf, config_setting_t *g,
    const struct conf_option *opts, size_t nopts, const char *what,
    const char *example, const char *path, const char *text, FILE *warn,
    unsigned *have, char **cause)
{
	const char *names[8];
	char *kind;
	config_setting_t *s;
	size_t i;
	int k, n;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		*cause = xasprintf("%s:%d: '%s' must be a group: %s", path,
		    config_setting_source_line(g), what, example);
		return -1;
	}
	for (i = 0; i < nopts && i < 8; i++)
		names[i] = opts[i].name;
	kind = xasprintf("%s setting", what);
	n = config_setting_length(g);
	for (k = 0; k < n; k++) {
		s = config_setting_get_elem(g, (unsigned)k);
		for (i = 0; i < nopts; i++) {
			if (strcmp(config_setting_name(s), names[i]) == 0)
				break;
		}
		if (i == nopts) {
			conf_warn_unknown(warn, path, s, kind, names, nopts);
			continue;
		}
		if (conf_set(conf, &opts[i], s, path, text, cause) == -1) {
			free(kind);
			return -1;
		}
		*have |= 1u << i;
	}
	free(kind);
	return 0;
}

static int
conf_load_web(struct conf *conf, config_setting_t *g, const char *path,
    const char *text, FILE *warn, char **cause)
{
	unsigned have = 0;

	if (conf_load_group(conf, g, conf_web_options, CONF_NWEB, "web",
	        "web = { listen = \"127.0.0.1:7080\"; };", path, text, warn,
	        &have, cause) == -1)
		return -1;
	conf->web = 1;
	return 0;
}

/* The rendezvous = { ... } group: address and key are required. */
static int
conf_load_rdv(struct conf *conf, config_setting_t *g, const char *path,
    const char *text, FILE *warn, char **cause)
{
	unsigned have = 0;

	if (conf_load_group(conf, g, conf_rdv_options, CONF_NRDV, "rendezvous",
	        "rendezvous = { address = \"HOST:PORT\"; key = "
	        "\"FINGERPRINT\"; };",
	        path, text, warn, &have, cause) == -1)
		return -1;
	if ((have & 3) != 3) {
		*cause = xasprintf("%s:%d: 'rendezvous' needs both address "
		                   "and key",
		    path, config_setting_source_line(g));
		return -1;
	}
	conf->rdv = 1;
	return 0;
}

static int
conf_peer_string(config_setting_t *g, const char *field, const char *path,
    const char **out, char **cause)
{
	config_setting_t *s = config_setting_get_member(g, field);

	*out = NULL;
	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		*cause = xasprintf("%s:%d: peer '%s' must be a string in "
		                   "double quotes",
		    path, config_setting_source_line(s), field);
		return -1;
	}
	*out = config_setting_get_string(s);
	return 0;
}

static int
conf_load_peer(struct conf *conf, config_setting_t *g, const char *path,
    const char *text, FILE *warn, char **cause)
{
	struct conf_peer *p;
	config_setting_t *s;
	const char *name, *address, *key;
	char host[UTIL_HOST_MAX], *why;
	uint16_t port;
	int line = config_setting_source_line(g), i, n;
	size_t k;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		*cause = xasprintf(
		    "%s:%d: each peer must be a group: "
		    "{ name = \"...\"; address = \"HOST:PORT\"; key = "
		    "\"...\"; }",
		    path, line);
		return -1;
	}
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(g, (unsigned)i);
		for (k = 0; k < NPEER_FIELDS; k++) {
			if (strcmp(config_setting_name(s),
			        conf_peer_fields[k]) == 0)
				break;
		}
		if (k == NPEER_FIELDS)
			conf_warn_unknown(warn, path, s, "peer setting",
			    conf_peer_fields, NPEER_FIELDS);
	}
	if (conf_peer_string(g, "name", path, &name, cause) == -1 ||
	    conf_peer_string(g, "address", path, &address, cause) == -1 ||
	    conf_peer_string(g, "key", path, &key, cause) == -1)
		return -1;
	if (name == NULL) {
		*cause = xasprintf("%s:%d: peer has no name", path, line);
		return -1;
	}
	if (conf_valid_name(name) == -1) {
		*cause = xasprintf("%s:%d: peer name '%s' must be 1 to %d "
		                   "letters, digits, '.', '_' or '-'",
		    path, line, name, CONF_NAME_MAX);
		return -1;
	}
	if (address != NULL &&
	    util_parse_hostport(address, host, &port, 0, &why) == -1) {
		*cause = xasprintf(
		    "%s:%d: peer '%s': address %s", path, line, name, why);
		free(why);
		return -1;
	}
	if (address == NULL && key == NULL) {
		*cause = xasprintf("%s:%d: peer '%s' needs an address, a key "
		                   "or both",
		    path, line, name);
		return -1;
	}

	conf->peers =
	    xreallocarray(conf->peers, conf->npeers + 1, sizeof *conf->peers);
	p = &conf->peers[conf->npeers];
	memset(p, 0, sizeof *p);
	if (key != NULL) {
		if (ident_parse_key(key, p->key, &why) == -1) {
			*cause = xasprintf("%s:%d: peer '%s': malformed key: "
			                   "%s",
			    path, line, name, why);
			free(why);
			return -1;
		}
		p->has_key = 1;
	}
	p->name = xstrdup(name);
	p->address = address != NULL ? xstrdup(address) : NULL;
	p->autoconnect = address != NULL;
	p->line = line;
	conf->npeers++;
	if ((s = config_setting_get_member(g, "autoconnect")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
			*cause = xasprintf("%s:%d: peer 'autoconnect' must be "
			                   "true or false",
			    path, config_setting_source_line(s));
			return -1;
		}
		p->autoconnect = config_setting_get_bool(s);
		if (p->autoconnect && address == NULL) {
			*cause = xasprintf("%s:%d: peer '%s': autoconnect "
			                   "needs an address",
			    path, config_setting_source_line(s), name);
			return -1;
		}
	}
	if ((s = config_setting_get_member(g, "auto_accept")) != NULL) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
			*cause = xasprintf("%s:%d: peer 'auto_accept' must be "
			                   "true or false",
			    path, config_setting_source_line(s));
			return -1;
		}
		p->auto_accept = config_setting_get_bool(s);
	}
	/* Checked like the global upload_rate, whose entry it shares. */
	if ((s = config_setting_get_member(g, "upload_rate")) != NULL) {
		struct conf tmp;

		for (k = 0; strcmp(conf_options[k].name, "upload_rate") != 0;
		     k++)
			;
		if (conf_set(&tmp, &conf_options[k], s, path, text, cause) ==
		    -1)
			return -1;
		p->upload_rate = tmp.upload_rate;
	}
	return 0;
}

/* qsort() has no argument: the peers the index functions compare. */
static const struct conf_peer *conf_sorting;

static int
conf_cmp_name(const void *a, const void *b)
{
	const struct conf_peer *pa = &conf_sorting[*(const size_t *)a];
	const struct conf_peer *pb = &conf_sorting[*(const size_t *)b];
	int c = strcmp(pa->name, pb->name);

	return c != 0 ? c : (pa > pb) - (pa < pb); /* then file order */
}

static int
conf_cmp_key(const void *a, const void *b)
{
	const struct conf_peer *pa = &conf_sorting[*(const size_t *)a];
	const struct conf_peer *pb = &conf_sorting[*(const size_t *)b];
	int c = pa->has_key - pb->has_key;

	if (c == 0 && pa->has_key)
		c = memcmp(pa->key, pb->key, CONF_KEYLEN);
	return c != 0 ? c : (pa > pb) - (pa < pb); /* then file order */
}

/*
 * Sort the peers by name (for conf_find_peer()) and refuse the first
 * peer, in the order of the file, whose key or name an earlier one has:
 * sorting makes that N log N, where 10,000 peers compared in pairs took
 * a fifth of a second at every start.
 */
static int
conf_index_peers(struct conf *conf, const char *path, char **cause)
{
	size_t n = conf->npeers, i, *bykey, bad = SIZE_MAX;
	const struct conf_peer *p, *q, *other = NULL;
	int by_key = 0;

	free(conf->byname);
	conf->byname = xreallocarray(NULL, n + 1, sizeof *conf->byname);
	bykey = xreallocarray(NULL, n + 1, sizeof *bykey);
	for (i = 0; i < n; i++)
		conf->byname[i] = bykey[i] = i;
	conf_sorting = conf->peers;
	qsort(conf->byname, n, sizeof *conf->byname, conf_cmp_name);
	qsort(bykey, n, sizeof *bykey, conf_cmp_key);
	/* Each peer that repeats its group's first (in file order): the
	 * one earliest in the file is refused, its key before its name. */
	for (i = 1; i < n; i++) {
		q = &conf->peers[bykey[i - 1]];
		while (i < n && q->has_key &&
		    memcmp(conf->peers[bykey[i]].key, q->key, CONF_KEYLEN) ==
		        0) {
			if (bad == SIZE_MAX || bykey[i] < bad) {
				bad = bykey[i];
				other = q;
				by_key = 1;
			}
			i++;
		}
	}
	for (i = 1; i < n; i++) {
		q = &conf->peers[conf->byname[i - 1]];
		while (i < n &&
		    strcmp(conf->peers[conf->byname[i]].name, q->name) == 0) {
			if (bad == SIZE_MAX || conf->byname[i] < bad) {
				bad = conf->byname[i];
				other = q;
				by_key = 0;
			}
			i++;
		}
	}
	free(bykey);
	if (bad == SIZE_MAX)
		return 0;
	p = &conf->peers[bad];
	if (by_key)
		*cause = xasprintf("%s:%d: peer '%s' has the same key as '%s' "
		                   "(line %d)",
		    path, p->line, p->name, other->name, other->line);
	else
		*cause = xasprintf("%s:%d: duplicate peer name '%s' (first "
		                   "defined at line %d)",
		    path, p->line, p->name, other->line);
	return -1;
}

static int
conf_load_peers(struct conf *conf, config_setting_t *list, const char *path,
    const char *text, FILE *warn, char **cause)
{
	int i, n;

	if (config_setting_type(list) != CONFIG_TYPE_LIST) {
		*cause = xasprintf("%s:%d: 'peers' must be a list: peers = "
		                   "( { name = ...; }, ... );",
		    path, config_setting_source_line(list));
		return -1;
	}
	n = config_setting_length(list);
	for (i = 0; i < n; i++) {
		if (conf_load_peer(conf,
		        config_setting_get_elem(list, (unsigned)i), path, text,
		        warn, cause) == -1)
			return -1;
	}
	return conf_index_peers(conf, path, cause);
}

/* Fill in what depends on the environment. */
/* Can a login name be the nick as it is? */
static int
conf_nick_usable(const char *user)
{
	return user != NULL && user[0] != '\0' &&
	    strlen(user) <= CONF_NAME_MAX &&
	    util_utf8_printable((const uint8_t *)user, strlen(user));
}

static void
conf_resolve(struct conf *conf)
{
	struct passwd *pw;
	const char *xdg, *user;
	char *s;

	if (conf->data_dir[0] == '\0') {
		free(conf->data_dir);
		xdg = getenv("XDG_DATA_HOME");
		if (xdg != NULL && xdg[0] == '/')
			conf->data_dir = xasprintf("%s/p2ptui", xdg);
		else
			conf->data_dir =
			    util_expand_home("~/.local/share/p2ptui");
	} else {
		s = util_expand_home(conf->data_dir);
		free(conf->data_dir);
		conf->data_dir = s;
	}
	s = util_expand_home(conf->download_dir);
	free(conf->download_dir);
	conf->download_dir = s;
	if (conf->nick[0] == '\0') {
		user = getenv("USER");
		if (!conf_nick_usable(user) &&
		    ((pw = getpwuid(getuid())) == NULL ||
		        !conf_nick_usable(user = pw->pw_name)))
			user = "anonymous";
		free(conf->nick);
		conf->nick = xstrdup(user);
	}
}

static int
conf_create(const char *path, char **cause)
{
	FILE *fp;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		*cause =
		    xasprintf("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		*cause =
		    xasprintf("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	conf_write_default(fp);
	if (fflush(fp) == EOF || fsync(fd) == -1 || ferror(fp)) {
		*cause =
		    xasprintf("cannot write %s: %s", path, strerror(errno));
		fclose(fp);
		unlink(path);
		return -1;
	}
	fclose(fp);
	return 0;
}

/*
 * The file as a string. Only a regular file of at most CONF_MAX_SIZE is
 * read: libconfig takes quadratic time over long strings, and a FIFO
 * would block. O_NONBLOCK so that opening a FIFO does not block either.
 */
static char *
conf_read_text(const char *path, char **cause)
{
	struct stat sb, null;
	size_t len = 0;
	ssize_t n;
	char *text;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) ==
	    -1) {
		*cause =
		    xasprintf("%s: cannot read: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) == -1) {
		*cause =
		    xasprintf("%s: cannot read: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	/* -c /dev/null: the defaults, as with tmux -f /dev/null. */
	if (S_ISCHR(sb.st_mode) && stat("/dev/null", &null) == 0 &&
	    S_ISCHR(null.st_mode) && sb.st_rdev == null.st_rdev) {
		close(fd);
		return xstrdup("");
	}
	if (!S_ISREG(sb.st_mode)) {
		*cause = xasprintf("%s: %s", path,
		    S_ISDIR(sb.st_mode)
		        ? "is a directory, not a configuration file"
		        : "is not a regular file (a FIFO, socket or device other "
		          "than /dev/null is never read)");
		close(fd);
		return NULL;
	}
	if (sb.st_size > CONF_MAX_SIZE) {
		*cause = xasprintf("%s: is %lld bytes; a configuration file "
		                   "may be at most 1 MiB (%d bytes)",
		    path, (long long)sb.st_size, CONF_MAX_SIZE);
		close(fd);
		return NULL;
	}
	text = xmalloc(CONF_MAX_SIZE + 2);
	/* Up to one byte more than the limit, in case it grew since. */
	while (len <= CONF_MAX_SIZE) {
		n = read(fd, text + len, CONF_MAX_SIZE + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = xasprintf(
			    "%s: cannot read: %s", path, strerror(errno));
			free(text);
			close(fd);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > CONF_MAX_SIZE) {
		*cause = xasprintf("%s: a configuration file may be at most "
		                   "1 MiB (%d bytes)",
		    path, CONF_MAX_SIZE);
		free(text);
		return NULL;
	}
	if (memchr(text, '\0', len) != NULL) {
		*cause =
		    xasprintf("%s: contains a NUL byte: not a text file", path);
		free(text);
		return NULL;
	}
	text[len] = '\0';
	return text;
}

/*
 * The line of the first string that runs past the end of its line, or
 * to the end of the text, or 0 if none. libconfig lets a string span
 * lines, so a missing closing quote shows up only as a syntax error
 * lines further on, where the next quote ends the string.
 */
static int
conf_open_quote(const char *text)
{
	const char *p;
	int line = 1, start;

	for (p = text; *p != '\0'; p++) {
		if (*p == '\n')
			line++;
		else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			p += strcspn(p, "\n");
			if (*p == '\0')
				break;
			line++;
		} else if (p[0] == '/' && p[1] == '*') {
			for (p += 2;
			     *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
				line += *p == '\n';
			if (*p == '\0')
				break;
			p++;
		} else if (*p == '"') {
			start = line;
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\n')
					return start;
				if (*p == '\\' && p[1] != '\0')
					p++;
			}
			if (*p == '\0')
				return start;
		}
	}
	return 0;
}

/* libconfig's complaint about text, with a hint when a quote is missing. */
static char *
conf_parse_error(const char *path, config_t *cfg, const char *text)
{
	int line = config_error_line(cfg), open;

	if (config_error_type(cfg) == CONFIG_ERR_PARSE &&
	    (open = conf_open_quote(text)) != 0 && open < line)
		return xasprintf("%s:%d: unterminated string: the quote "
		                 "opened on line %d is not closed on that line "
		                 "(libconfig: %s at line %d)",
		    path, open, open, config_error_text(cfg), line);
	return xasprintf("%s:%d: %s", path, line, config_error_text(cfg));
}

int
conf_load(struct conf *conf, const char *path, int create, int *created,
    FILE *warn, char **cause)
{
	struct stat sb;
	char *text;
	const char *names[CONF_NOPTIONS + 3];
	config_setting_t *root, *s;
	const struct conf_option *o;
	config_t cfg;
	const char *name;
	size_t i;
	int n, k, ret = -1;

	conf_defaults(conf);
	conf->path = xstrdup(path);
	*created = 0;
	if (access(path, F_OK) == -1 && errno == ENOENT) {
		if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode)) {
			*cause = xasprintf("%s: is a symbolic link to a file "
			                   "that does not exist",
			    path);
			return -1;
		}
		if (!create) {
			*cause = xasprintf("%s: %s", path, strerror(ENOENT));
			return -1;
		}
		if (conf_create(path, cause) == -1)
			return -1;
		*created = 1;
	}

	if ((text = conf_read_text(path, cause)) == NULL)
		return -1;
	config_init(&cfg);
	if (config_read_string(&cfg, text) != CONFIG_TRUE) {
		*cause = conf_parse_error(path, &cfg, text);
		goto out;
	}
	for (i = 0; i < CONF_NOPTIONS; i++)
		names[i] = conf_options[i].name;
	names[CONF_NOPTIONS] = "peers";
	names[CONF_NOPTIONS + 1] = "web";
	names[CONF_NOPTIONS + 2] = "rendezvous";

	root = config_root_setting(&cfg);
	n = config_setting_length(root);
	for (k = 0; k < n; k++) {
		s = config_setting_get_elem(root, (unsigned)k);
		name = config_setting_name(s);
		if (strcmp(name, "peers") == 0) {
			if (conf_load_peers(conf, s, path, text, warn, cause) ==
			    -1)
				goto out;
			continue;
		}
		if (strcmp(name, "web") == 0) {
			if (conf_load_web(conf, s, path, text, warn, cause) ==
			    -1)
				goto out;
			continue;
		}
		if (strcmp(name, "rendezvous") == 0) {
			if (conf_load_rdv(conf, s, path, text, warn, cause) ==
			    -1)
				goto out;
			continue;
		}
		for (i = 0; i < CONF_NOPTIONS; i++) {
			if (strcmp(name, conf_options[i].name) == 0)
				break;
		}
		if (i == CONF_NOPTIONS) {
			conf_warn_unknown(
			    warn, path, s, "setting", names, CONF_NOPTIONS + 3);
			continue;
		}
		o = &conf_options[i];
		if (conf_set(conf, o, s, path, text, cause) == -1)
			goto out;
	}
	conf_resolve(conf);
	ret = 0;
out:
	config_destroy(&cfg);
	free(text);
	return ret;
}

void
conf_free(struct conf *conf)
{
	const struct conf_option *o;
	size_t i;

	for (i = 0; i < CONF_NOPTIONS + CONF_NWEB + CONF_NRDV; i++) {
		if (i < CONF_NOPTIONS)
			o = &conf_options[i];
		else if (i < CONF_NOPTIONS + CONF_NWEB)
			o = &conf_web_options[i - CONF_NOPTIONS];
		else
			o = &conf_rdv_options[i - CONF_NOPTIONS - CONF_NWEB];
		if (o->type == CONF_STRING || o->type == CONF_ADDR ||
		    o->type == CONF_CHOICE)
			free(*(char **)((char *)conf + o->offset));
	}
	for (i = 0; i < conf->npeers; i++) {
		free(conf->peers[i].name);
		free(conf->peers[i].address);
	}
	free(conf->peers);
	free(conf->byname);
	free(conf->path);
	memset(conf, 0, sizeof *conf);
}

struct conf_peer *
conf_find_peer(const struct conf *conf, const char *name)
{
	size_t lo = 0, hi = conf->npeers, mid;
	int c;

	if (conf->byname == NULL) /* built in a test, not loaded */
		hi = 0;
	while (lo < hi) { /* the first of that name: the one defined */
		mid = lo + (hi - lo) / 2;
		c = strcmp(conf->peers[conf->byname[mid]].name, name);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < conf->npeers && conf->byname != NULL &&
	    strcmp(conf->peers[conf->byname[lo]].name, name) == 0)
		return &conf->peers[conf->byname[lo]];
	return NULL;
}

/* Each option commented out, its help before it. */
static void
conf_write_options(FILE *fp, const struct conf_option *opts, size_t n,
    const char *help_prefix, const char *prefix)
{
	const struct conf_option *o;
	size_t i;

	for (i = 0; i < n; i++) {
		o = &opts[i];
		fprintf(fp, "%s%s", help_prefix, o->help);
		if (o->type == CONF_INT)
			fprintf(fp, " (%d to %d)", o->min, o->max);
		fprintf(fp, "%s%s = %s;\n", prefix, o->name, o->def);
	}
}

void
conf_write_default(FILE *fp)
{

	fputs("# p2ptui configuration, in libconfig syntax; see "
	      "p2ptui.conf(5).\n"
	      "# p2ptui reads this file and never rewrites it. Every setting "
	      "is shown\n"
	      "# with its default, commented out: remove the '#' to change "
	      "one.\n",
	    fp);
	conf_write_options(fp, conf_options, CONF_NOPTIONS, "\n# ", "\n#");
	fputs("\n# The web front end (p2ptui(1), WEB FRONTEND): with this "
	      "group, the page is\n"
	      "# served beside the terminal or headless mode; 'p2ptui --web' "
	      "serves only it.\n"
	      "#web = {\n",
	    fp);
	conf_write_options(fp, conf_web_options, CONF_NWEB, "#  # ", "\n#  ");
	fputs("#};\n", fp);
	fputs("\n# A rendezvous server (p2ptui-rendezvous(8)): a username, "
	      "presence of\n"
	      "# contacts, /connect @NAME, and a relay when no direct "
	      "connection works.\n"
	      "#rendezvous = {\n",
	    fp);
	conf_write_options(fp, conf_rdv_options, CONF_NRDV, "#  # ", "\n#  ");
	fputs("#};\n", fp);
	fputs("\n# Known peers. Each is pinned to its key: a connection "
	      "presenting another\n"
	      "# key is refused. Ask a peer for the output of "
	      "'p2ptui --fingerprint'.\n"
	      "# A peer without a key is trusted on first connection, then "
	      "pinned.\n"
	      "# auto_accept = true saves the files a peer offers without "
	      "asking;\n"
	      "# upload_rate caps file uploads to that peer, in bytes per "
	      "second.\n"
	      "#peers = (\n"
	      "#  { name = \"alice\"; address = \"alice.example.org:7070\";\n"
	      "#    key = \"<55 characters from 'p2ptui --fingerprint'>\"; "
	      "autoconnect = true;\n"
	      "#    auto_accept = false; }\n"
	      "#);\n",
	    fp);
}
