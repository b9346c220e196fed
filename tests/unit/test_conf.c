/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the configuration (src/conf.c): defaults, the generated
 * default file, every kind of error with its FILE:LINE, warnings for
 * unknown settings, creation that never overwrites, and what is taken
 * from the environment. Each test gets its own temporary HOME and its
 * own environment, restored afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf.h"
#include "ident.h"

/* The environment variables conf.c reads. */
static const char *env_names[] = { "HOME", "XDG_DATA_HOME", "USER" };
#define NENV (sizeof env_names / sizeof env_names[0])

struct fixture {
	char *dir; /* also $HOME */
	char *path; /* dir/p2ptui.conf */
	char *saved[NENV]; /* the environment before the test */
	char *warnbuf; /* what conf_load warned about */
	size_t warnlen;
	FILE *warn;
	struct conf conf;
	char *cause;
	int created;
};

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *f;
	const char *base = getenv("TMPDIR"), *v;
	size_t i;

	if ((f = calloc(1, sizeof *f)) == NULL)
		return -1;
	for (i = 0; i < NENV; i++) {
		v = getenv(env_names[i]);
		f->saved[i] = v != NULL ? strdup(v) : NULL;
	}
	if (base == NULL || *base != '/')
		base = "/tmp";
	if (asprintf(&f->dir, "%s/p2ptui-conf.XXXXXX", base) == -1 ||
	    mkdtemp(f->dir) == NULL)
		return -1;
	if (asprintf(&f->path, "%s/p2ptui.conf", f->dir) == -1)
		return -1;
	setenv("HOME", f->dir, 1);
	unsetenv("XDG_DATA_HOME");
	setenv("USER", "tester", 1);
	if ((f->warn = open_memstream(&f->warnbuf, &f->warnlen)) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	size_t i;

	conf_free(&f->conf);
	free(f->cause);
	fclose(f->warn);
	free(f->warnbuf);
	for (i = 0; i < NENV; i++) {
		if (f->saved[i] != NULL)
			setenv(env_names[i], f->saved[i], 1);
		else
			unsetenv(env_names[i]);
		free(f->saved[i]);
	}
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

static void
write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* Everything in a file (NUL-terminated, caller frees). */
static char *
slurp(const char *path, size_t *lenp)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	size_t cap = 65536, len;

	assert_non_null(fp);
	buf = malloc(cap);
	assert_non_null(buf);
	len = fread(buf, 1, cap - 1, fp);
	assert_true(len < cap - 1);
	buf[len] = '\0';
	fclose(fp);
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

static char *
default_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	conf_write_default(fp);
	fclose(fp);
	return buf;
}

/* conf_load on f->path (reusing f->conf); returns its result. */
static int
load(struct fixture *f, int create)
{
	conf_free(&f->conf);
	free(f->cause);
	f->cause = NULL;
	f->created = -1;
	return conf_load(
	    &f->conf, f->path, create, &f->created, f->warn, &f->cause);
}

static int
load_text(struct fixture *f, const char *text)
{
	write_text(f->path, text);
	return load(f, 0);
}

static void
load_ok(struct fixture *f, const char *text)
{
	if (load_text(f, text) != 0)
		fail_msg("rejected: %s\n--- config:\n%s", f->cause, text);
}

/* Forget earlier warnings. */
static void
warn_reset(struct fixture *f)
{
	fclose(f->warn);
	free(f->warnbuf);
	f->warnbuf = NULL;
	f->warnlen = 0;
	f->warn = open_memstream(&f->warnbuf, &f->warnlen);
	assert_non_null(f->warn);
}

static const char *
warnings(struct fixture *f)
{
	fflush(f->warn);
	return f->warnbuf != NULL ? f->warnbuf : "";
}

static char *
in_home(struct fixture *f, const char *rest)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", f->dir, rest) != -1);
	return p;
}

static void
check_defaults(struct fixture *f)
{
	const struct conf *c = &f->conf;
	char *p;

	assert_string_equal(c->path, f->path);
	assert_string_equal(c->nick, "tester");
	assert_string_equal(c->listen, "0.0.0.0:7070");
	p = in_home(f, ".local/share/p2ptui");
	assert_string_equal(c->data_dir, p);
	free(p);
	p = in_home(f, "Downloads");
	assert_string_equal(c->download_dir, p);
	free(p);
	assert_int_equal(c->timestamps, 1);
	assert_string_equal(c->timestamp_format, "%H:%M");
	assert_int_equal(c->colors, 1);
	assert_int_equal(c->color_self, CONF_COLOR_GREEN);
	assert_int_equal(c->color_peer, CONF_COLOR_CYAN);
	assert_int_equal(c->color_system, CONF_COLOR_YELLOW);
	assert_int_equal(c->color_error, CONF_COLOR_RED);
	assert_int_equal(c->peer_width, 20);
	assert_int_equal(c->bell, 0);
	assert_int_equal(c->mouse, 0);
	assert_int_equal(c->keepalive, 20);
	assert_int_equal(c->handshake_timeout, 10);
	assert_int_equal(c->handshake_rate, 5);
	assert_int_equal(c->max_peers, 64);
	assert_int_equal(c->max_queue_kb, 4096);
	assert_int_equal(c->max_message, 4096);
	assert_int_equal(c->upload_rate, 0);
	assert_int_equal(c->history, 1);
	assert_int_equal(c->npeers, 0);
	assert_null(c->peers);
}

static const char *option_names[] = { "nick", "listen", "data_dir",
	"download_dir", "upload_rate", "history", "timestamps",
	"timestamp_format", "colors", "color_self", "color_peer",
	"color_system", "color_error", "peer_width", "bell", "mouse",
	"keepalive", "handshake_timeout", "handshake_rate",
	"handshake_rate_total", "request_timeout", "max_peers", "max_queue_kb",
	"max_message", "lan_announce", "lan_port", "port_mapping" };

/* Remove the '#' from every "#name = value;" line of text. */
static char *
uncomment_options(const char *text)
{
	char *out = strdup(text), *line, *p;
	size_t n = 0;

	assert_non_null(out);
	for (line = out; *line != '\0'; line = p + 1) {
		p = strchr(line, '\n');
		assert_non_null(p);
		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' &&
		    strstr(line, " = ") != NULL && p[-1] == ';') {
			line[0] = ' ';
			n++;
		}
	}
	assert_int_equal(n, sizeof option_names / sizeof option_names[0]);
	return out;
}

static void
test_default_file(void **state)
{
	struct fixture *f = *state;
	char *text = default_text(), *active, *want;
	size_t i;

	/* The peers example shows the per-peer settings. */
	assert_non_null(strstr(text, "autoconnect = true;"));
	assert_non_null(strstr(text, "auto_accept = false;"));
	/* Every option is documented with its default, commented out. */
	for (i = 0; i < sizeof option_names / sizeof option_names[0]; i++) {
		assert_true(asprintf(&want, "\n#%s = ", option_names[i]) != -1);
		if (strstr(text, want) == NULL)
			fail_msg("default file lacks '%s'", want + 1);
		free(want);
	}
	load_ok(f, text);
	assert_int_equal(f->created, 0);
	check_defaults(f);

	/* The defaults as written are valid and are the defaults. */
	active = uncomment_options(text);
	load_ok(f, active);
	check_defaults(f);
	assert_string_equal(warnings(f), "");
	free(active);
	free(text);
}

static void
test_empty_file(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "");
	check_defaults(f);
	load_ok(f, "# nothing\n\n// nothing either\n/* or here */\n");
	check_defaults(f);
	assert_string_equal(warnings(f), "");
}

/* Every option lands in its own field. */
static void
test_all_values(void **state)
{
	struct fixture *f = *state;
	const struct conf *c = &f->conf;

	load_ok(f,
	    "nick = \"Zoë\";\n"
	    "listen = \"[::1]:0\";\n"
	    "data_dir = \"/var/lib/p\";\n"
	    "download_dir = \"/dl\";\n"
	    "timestamps = false;\n"
	    "timestamp_format = \"%T\";\n"
	    "colors = false;\n"
	    "color_self = \"black\";\n"
	    "color_peer = \"blue\";\n"
	    "color_system = \"magenta\";\n"
	    "color_error = \"default\";\n"
	    "peer_width = 33;\n"
	    "bell = true;\n"
	    "mouse = true;\n"
	    "keepalive = 300;\n"
	    "handshake_timeout = 1;\n"
	    "handshake_rate = 1000;\n"
	    "max_peers = 4096;\n"
	    "max_queue_kb = 1048576;\n"
	    "max_message = 16;\n"
	    "upload_rate = 2147483647;\n");
	assert_string_equal(c->nick, "Zoë");
	assert_string_equal(c->listen, "[::1]:0");
	assert_string_equal(c->data_dir, "/var/lib/p");
	assert_string_equal(c->download_dir, "/dl");
	assert_int_equal(c->timestamps, 0);
	assert_string_equal(c->timestamp_format, "%T");
	assert_int_equal(c->colors, 0);
	assert_int_equal(c->color_self, CONF_COLOR_BLACK);
	assert_int_equal(c->color_peer, CONF_COLOR_BLUE);
	assert_int_equal(c->color_system, CONF_COLOR_MAGENTA);
	assert_int_equal(c->color_error, CONF_COLOR_DEFAULT);
	assert_int_equal(c->peer_width, 33);
	assert_int_equal(c->bell, 1);
	assert_int_equal(c->mouse, 1);
	assert_int_equal(c->keepalive, 300);
	assert_int_equal(c->handshake_timeout, 1);
	assert_int_equal(c->handshake_rate, 1000);
	assert_int_equal(c->max_peers, 4096);
	assert_int_equal(c->max_queue_kb, 1048576);
	assert_int_equal(c->max_message, 16);
	assert_int_equal(c->upload_rate, 2147483647);

	/* The other colours, and ranges at both ends. */
	load_ok(f,
	    "color_self = \"red\"; color_peer = \"white\";\n"
	    "color_system = \"green\"; color_error = \"cyan\";\n"
	    "peer_width = 10; keepalive = 2; max_message = 60000;\n");
	assert_int_equal(c->color_self, CONF_COLOR_RED);
	assert_int_equal(c->color_peer, CONF_COLOR_WHITE);
	assert_int_equal(c->color_system, CONF_COLOR_GREEN);
	assert_int_equal(c->color_error, CONF_COLOR_CYAN);
	assert_int_equal(c->peer_width, 10);
	assert_int_equal(c->keepalive, 2);
	assert_int_equal(c->max_message, 60000);
	load_ok(f,
	    "peer_width = 60;\nmax_peers = 1;\n"
	    "color_peer = \"yellow\";\n");
	assert_int_equal(c->color_peer, CONF_COLOR_YELLOW);
	assert_int_equal(c->peer_width, 60);
	assert_int_equal(c->max_peers, 1);
	/* A 64-bit literal in range is still a number. */
	load_ok(f, "peer_width = 25L;\n");
	assert_int_equal(c->peer_width, 25);
}

/* Errors: "PATH:LINE: ..." with the line of the offending setting. */
static const struct {
	const char *text;
	int line;
	const char *what;
} conf_errors[] = {
	{ "nick = \"a\";\n\npeer_width = ;\n", 3, "syntax error" },
	{ "# c\npeer_width = 20;\nbell = true;\n}\n", 4, "syntax error" },
	{ "bell = true;\nmouse = true;\nbell = false;\n", 3, "duplicate" },
	{ "\n\npeer_width = \"x\";\n", 3,
	    "'peer_width' must be a whole number" },
	{ "peer_width = 20.5;\n", 1, "'peer_width' must be a whole number" },
	{ "\npeer_width = 5;\n", 2,
	    "'peer_width' is 5; it must be from 10 to 60" },
	{ "peer_width = 61;\n", 1, "from 10 to 60" },
	{ "peer_width = -20;\n", 1, "from 10 to 60" },
	{ "peer_width = 4294967316L;\n", 1, "from 10 to 60" },
	{ "max_message = 60001;\n", 1, "'max_message'" },
	{ "max_queue_kb = 63;\n", 1, "'max_queue_kb'" },
	{ "bell = 1;\n", 1, "'bell' must be true or false" },
	{ "bell = \"yes\";\n", 1, "'bell' must be true or false" },
	{ "nick = 5;\n", 1, "'nick' must be a string" },
	{ "nick = \"abcdefghijklmnopqrstuvwxyz0123456\";\n", 1,
	    "'nick' must be 0 to 32 bytes long" },
	{ "nick = \"a\\tb\";\n", 1, "control characters" },
	{ "nick = \"a\\x1bb\";\n", 1, "control characters" },
	{ "timestamp_format = \"\";\n", 1,
	    "'timestamp_format' must be 1 to 64" },
	{ "download_dir = \"\";\n", 1, "'download_dir'" },
	{ "\n\n\nlisten = \"nohost\";\n", 4, "'listen': 'nohost'" },
	{ "listen = \"1.2.3.4:65536\";\n", 1, "'listen'" },
	{ "listen = \"::1:7070\";\n", 1, "'listen'" },
	{ "listen = 7070;\n", 1, "'listen' must be a string" },
	{ "color_self = \"green\";\ncolor_peer = \"purple\";\n", 2,
	    "'color_peer': unknown colour 'purple'" },
	{ "color_error = \"Red\";\n", 1, "unknown colour" },
	{ "color_error = 1;\n", 1, "'color_error' must be a string" },
	{ "peers = { name = \"a\"; };\n", 1, "'peers' must be a list" },
	{ "peers = ( \"alice\" );\n", 1, "each peer must be a group" },
	{ "peers = (\n  { address = \"h:1\"; }\n);\n", 2, "peer has no name" },
	{ "peers = (\n  { name = \"a b\"; address = \"h:1\"; }\n);\n", 2,
	    "peer name 'a b'" },
	{ "peers = (\n  { name = \"\"; address = \"h:1\"; }\n);\n", 2,
	    "peer name ''" },
	{ "peers = ( { name = 5; address = \"h:1\"; } );\n", 1,
	    "peer 'name' must be a string" },
	{ "peers = (\n { name = \"a\"; address = \"h:0\"; }\n);\n", 2,
	    "peer 'a': address" },
	{ "peers = (\n { name = \"a\"; address = \"h\"; }\n);\n", 2,
	    "peer 'a': address" },
	{ "peers = (\n { name = \"a\"; }\n);\n", 2,
	    "peer 'a' needs an address, a key or both" },
	{ "peers = (\n { name = \"a\"; key = \"abc\"; }\n);\n", 2,
	    "peer 'a': malformed key" },
	{ "peers = ( { name = \"a\"; address = \"h:1\";\n"
	  "  autoconnect = \"yes\"; } );\n",
	    2, "peer 'autoconnect' must be true or false" },
	{ "peers = ( { name = \"a\"; address = \"h:1\";\n"
	  "  auto_accept = \"yes\"; } );\n",
	    2, "peer 'auto_accept' must be true or false" },
	{ "peers = (\n { name = \"a\"; address = \"h:1\"; },\n"
	  " { name = \"b\"; address = \"h:2\";\n\n"
	  "   auto_accept = 1; } );\n",
	    5, "peer 'auto_accept' must be true or false" },
	{ "peers = ( { name = \"a\"; address = \"h:1\";\n"
	  "  upload_rate = -1; } );\n",
	    2, "'upload_rate' is -1; it must be from 0 to 2147483647" },
	{ "peers = ( { name = \"a\"; address = \"h:1\";\n"
	  "  upload_rate = 99999999999999999999; } );\n",
	    2, "'upload_rate' is out of range" },
	{ "upload_rate = \"fast\";\n", 1, "'upload_rate' must be a whole" },
};

static void
check_error(struct fixture *f, const char *text, int line, const char *what)
{
	char *prefix;

	if (load_text(f, text) != -1)
		fail_msg("accepted:\n%s", text);
	assert_non_null(f->cause);
	assert_true(asprintf(&prefix, "%s:%d: ", f->path, line) != -1);
	if (strncmp(f->cause, prefix, strlen(prefix)) != 0 ||
	    strstr(f->cause + strlen(prefix), what) == NULL)
		fail_msg("cause '%s'\nwant '%s...%s'\n--- config:\n%s",
		    f->cause, prefix, what, text);
	free(prefix);
}

static void
test_errors(void **state)
{
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof conf_errors / sizeof conf_errors[0]; i++)
		check_error(f, conf_errors[i].text, conf_errors[i].line,
		    conf_errors[i].what);
}

/* Peer keys: one made the way 'p2ptui --fingerprint' shows them. */
static void
make_fp(char fp[IDENT_FP_LEN + 1], uint8_t key[IDENT_KEYLEN], int seed)
{
	size_t i;

	for (i = 0; i < IDENT_KEYLEN; i++)
		key[i] = (uint8_t)(seed * 31 + (int)i * 7);
	ident_fingerprint(key, fp);
}

static void
test_peers(void **state)
{
	struct fixture *f = *state;
	const struct conf_peer *p;
	uint8_t k1[IDENT_KEYLEN], k2[IDENT_KEYLEN];
	char fp1[IDENT_FP_LEN + 1], fp2[IDENT_FP_LEN + 1], *text;

	make_fp(fp1, k1, 1);
	make_fp(fp2, k2, 2);
	assert_true(
	    asprintf(&text,
	        "nick = \"me\";\n"
	        "peers = (\n"
	        "  { name = \"alice\"; address = \"alice.example.org:7070\";\n"
	        "    key = \"%s\"; },\n"
	        "  { name = \"bob\"; key = \"%s\"; auto_accept = true;\n"
	        "    upload_rate = 250000; },\n"
	        "  { name = \"carol_2.x-y\"; address = \"[::1]:9\";\n"
	        "    autoconnect = false; auto_accept = false; },\n"
	        "  { name = \"dave\"; address = \"10.0.0.1:1\";\n"
	        "    autoconnect = true; }\n"
	        ");\n",
	        fp1, fp2) != -1);
	load_ok(f, text);
	free(text);
	assert_int_equal(f->conf.npeers, 4);

	p = conf_find_peer(&f->conf, "alice");
	assert_non_null(p);
	assert_ptr_equal(p, &f->conf.peers[0]);
	assert_string_equal(p->name, "alice");
	assert_string_equal(p->address, "alice.example.org:7070");
	assert_int_equal(p->has_key, 1);
	assert_memory_equal(p->key, k1, IDENT_KEYLEN);
	assert_int_equal(p->autoconnect, 1); /* an address implies it */
	assert_int_equal(p->auto_accept, 0); /* never implied */
	assert_int_equal(p->line, 3);

	p = conf_find_peer(&f->conf, "bob");
	assert_non_null(p);
	assert_null(p->address);
	assert_int_equal(p->has_key, 1);
	assert_memory_equal(p->key, k2, IDENT_KEYLEN);
	assert_int_equal(p->autoconnect, 0);
	assert_int_equal(p->auto_accept, 1);
	assert_int_equal(p->upload_rate, 250000);
	assert_int_equal(p->line, 5);

	p = conf_find_peer(&f->conf, "carol_2.x-y");
	assert_non_null(p);
	assert_string_equal(p->address, "[::1]:9");
	assert_int_equal(p->has_key, 0);
	assert_int_equal(p->autoconnect, 0);
	assert_int_equal(p->auto_accept, 0);
	assert_int_equal(p->upload_rate, 0); /* no cap of its own */
	assert_int_equal(p->line, 7);

	p = conf_find_peer(&f->conf, "dave");
	assert_non_null(p);
	assert_int_equal(p->autoconnect, 1);
	assert_int_equal(p->auto_accept, 0);

	assert_null(conf_find_peer(&f->conf, "Alice"));
	assert_null(conf_find_peer(&f->conf, "alic"));
	assert_null(conf_find_peer(&f->conf, ""));

	/* An uppercase key, as copied from somewhere shouting. */
	for (text = fp1; *text != '\0'; text++) {
		if (*text >= 'a' && *text <= 'z')
			*text = (char)(*text - 'a' + 'A');
	}
	assert_true(asprintf(&text,
	                "peers = ( { name = \"a\"; key = \"%s\"; "
	                "} );\n",
	                fp1) != -1);
	load_ok(f, text);
	free(text);
	assert_memory_equal(f->conf.peers[0].key, k1, IDENT_KEYLEN);

	/* An empty list is fine. */
	load_ok(f, "peers = ( );\n");
	assert_int_equal(f->conf.npeers, 0);
}

static void
test_peer_errors(void **state)
{
	struct fixture *f = *state;
	uint8_t k[IDENT_KEYLEN];
	char fp[IDENT_FP_LEN + 1], *text, saved;

	make_fp(fp, k, 3);

	/* A one-character typo in a key. */
	saved = fp[10];
	fp[10] = saved == 'a' ? 'b' : 'a';
	assert_true(asprintf(&text,
	                "\npeers = (\n"
	                " { name = \"x\"; address = \"h:1\"; },\n"
	                " { name = \"y\";\n   key = \"%s\"; }\n);\n",
	                fp) != -1);
	check_error(f, text, 4, "peer 'y': malformed key: ");
	assert_non_null(strstr(f->cause, "mistyped"));
	free(text);
	fp[10] = saved;

	/* Duplicates name the first definition. */
	check_error(f,
	    "peers = (\n"
	    "  { name = \"bob\"; address = \"h:1\"; },\n"
	    "  { name = \"eve\"; address = \"h:2\"; },\n"
	    "\n"
	    "  { name = \"bob\"; address = \"h:3\"; }\n"
	    ");\n",
	    5, "duplicate peer name 'bob' (first defined at line 2)");
	/* Of several, the first in the file; a key before a name. */
	assert_true(asprintf(&text,
	                "peers = (\n"
	                "  { name = \"zed\"; address = \"h:1\"; },\n"
	                "  { name = \"amy\"; key = \"%s\"; },\n"
	                "  { name = \"zed\"; key = \"%s\"; },\n"
	                "  { name = \"amy\"; address = \"h:4\"; }\n"
	                ");\n",
	                fp, fp) != -1);
	check_error(
	    f, text, 4, "peer 'zed' has the same key as 'amy' (line 3)");
	free(text);

	/* autoconnect without an address: the line of autoconnect. */
	assert_true(asprintf(&text,
	                "peers = (\n"
	                "  { name = \"k\"; key = \"%s\";\n"
	                "    autoconnect = true; }\n"
	                ");\n",
	                fp) != -1);
	check_error(f, text, 3, "peer 'k': autoconnect needs an address");
	free(text);
	/* ... and false is fine. */
	assert_true(asprintf(&text,
	                "peers = ( { name = \"k\"; key = \"%s\"; "
	                "autoconnect = false; } );\n",
	                fp) != -1);
	load_ok(f, text);
	free(text);
	assert_int_equal(f->conf.peers[0].autoconnect, 0);
	assert_null(f->conf.peers[0].address);
}

static void
test_unknown_warns(void **state)
{
	struct fixture *f = *state;
	char *want;

	load_ok(f, "nick = \"x\";\npeer_widht = 30;\n");
	/* Unknown settings are not applied. */
	assert_int_equal(f->conf.peer_width, 20);
	assert_true(asprintf(&want,
	                "%s:2: warning: unknown setting "
	                "'peer_widht' (did you mean 'peer_width'?)\n",
	                f->path) != -1);
	if (strstr(warnings(f), want) == NULL)
		fail_msg("warnings: '%s'", warnings(f));
	assert_non_null(strstr(warnings(f), "did you mean 'peer_width'"));
	free(want);

	/* Nothing close: no suggestion, still a warning. */
	warn_reset(f);
	load_ok(f, "zzzzzzzzzzzz = 1;\n");
	assert_non_null(strstr(warnings(f), "unknown setting 'zzzzzzzzzzzz'"));
	assert_null(strstr(warnings(f), "did you mean"));

	/* Inside a peer. */
	warn_reset(f);
	load_ok(f,
	    "peers = (\n { name = \"a\"; adress = \"h:1\";\n"
	    "   address = \"h:2\"; }\n);\n");
	assert_non_null(strstr(warnings(f),
	    ":2: warning: unknown peer "
	    "setting 'adress' (did you mean "
	    "'address'?)"));
	/* A misspelt auto_accept is not applied: offers still ask. */
	warn_reset(f);
	load_ok(f,
	    "peers = (\n { name = \"a\"; address = \"h:1\";\n"
	    "   autoaccept = true; }\n);\n");
	assert_int_equal(f->conf.peers[0].auto_accept, 0);
	assert_non_null(strstr(warnings(f),
	    ":3: warning: unknown peer setting 'autoaccept' (did you mean "
	    "'auto_accept'?)"));

	/* No warning stream: no crash, same result. */
	conf_free(&f->conf);
	write_text(f->path, "peer_widht = 30;\n");
	assert_int_equal(
	    conf_load(&f->conf, f->path, 0, &f->created, NULL, &f->cause), 0);
}

static void
set_old_mtime(const char *path)
{
	struct timespec ts[2] = { { 1000000000, 0 }, { 1000000000, 0 } };

	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void
test_create(void **state)
{
	struct fixture *f = *state;
	struct stat sb;
	char *text, *want;

	/* Not asked to create: an error, and nothing is created. */
	assert_int_equal(load(f, 0), -1);
	assert_int_equal(f->created, 0);
	assert_non_null(f->cause);
	assert_non_null(strstr(f->cause, f->path));
	assert_int_equal(stat(f->path, &sb), -1);

	assert_int_equal(load(f, 1), 0);
	assert_int_equal(f->created, 1);
	check_defaults(f);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	text = slurp(f->path, NULL);
	want = default_text();
	assert_string_equal(text, want);
	free(text);
	free(want);

	/* Now it exists: read, not created again. */
	set_old_mtime(f->path);
	assert_int_equal(load(f, 1), 0);
	assert_int_equal(f->created, 0);
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mtim.tv_sec, 1000000000);
}

/* An existing file is never rewritten, even when it is wrong. */
static void
test_never_rewritten(void **state)
{
	struct fixture *f = *state;
	static const char *texts[] = {
		"peer_width = 5;\n",
		"this is { not libconfig\n",
		"",
		"nick = \"kept\"; # a comment\n",
	};
	struct stat sb;
	char *after;
	size_t i, len;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		write_text(f->path, texts[i]);
		assert_int_equal(chmod(f->path, 0644), 0);
		set_old_mtime(f->path);
		(void)load(f, 1);
		assert_int_equal(f->created, 0);
		after = slurp(f->path, &len);
		assert_int_equal(len, strlen(texts[i]));
		assert_string_equal(after, texts[i]);
		free(after);
		assert_int_equal(stat(f->path, &sb), 0);
		assert_int_equal(sb.st_mtim.tv_sec, 1000000000);
		assert_int_equal(sb.st_mode & 07777, 0644);
	}
}

/* O_EXCL: a symlink planted at the path is not followed to create. */
static void
test_create_no_follow(void **state)
{
	struct fixture *f = *state;
	struct stat sb;
	char *target = in_home(f, "target.conf"), *dir;

	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(load(f, 1), -1);
	assert_int_equal(f->created, 0);
	assert_non_null(f->cause);
	assert_int_equal(lstat(target, &sb), -1);
	free(target);

	/* A directory that does not exist. */
	dir = in_home(f, "no/such/dir/p2ptui.conf");
	free(f->path);
	f->path = dir;
	assert_int_equal(load(f, 1), -1);
	assert_int_equal(f->created, 0);
	assert_non_null(strstr(f->cause, dir));
}

static void
test_data_dir(void **state)
{
	struct fixture *f = *state;
	char *want;

	setenv("XDG_DATA_HOME", "/xdg/data", 1);
	load_ok(f, "");
	assert_string_equal(f->conf.data_dir, "/xdg/data/p2ptui");

	/* A relative XDG_DATA_HOME is ignored, as the spec says. */
	want = in_home(f, ".local/share/p2ptui");
	setenv("XDG_DATA_HOME", "rel/data", 1);
	load_ok(f, "");
	assert_string_equal(f->conf.data_dir, want);
	setenv("XDG_DATA_HOME", "", 1);
	load_ok(f, "");
	assert_string_equal(f->conf.data_dir, want);
	unsetenv("XDG_DATA_HOME");
	load_ok(f, "");
	assert_string_equal(f->conf.data_dir, want);
	free(want);

	/* Set in the file: wins over XDG, and ~ is expanded. */
	setenv("XDG_DATA_HOME", "/xdg/data", 1);
	load_ok(f, "data_dir = \"~/keys\";\ndownload_dir = \"~/in\";\n");
	want = in_home(f, "keys");
	assert_string_equal(f->conf.data_dir, want);
	free(want);
	want = in_home(f, "in");
	assert_string_equal(f->conf.download_dir, want);
	free(want);
	load_ok(f, "data_dir = \"/srv/p2ptui\";\n");
	assert_string_equal(f->conf.data_dir, "/srv/p2ptui");

	/* HOME decides the default. */
	unsetenv("XDG_DATA_HOME");
	setenv("HOME", "/home/other", 1);
	load_ok(f, "");
	assert_string_equal(
	    f->conf.data_dir, "/home/other/.local/share/p2ptui");
	assert_string_equal(f->conf.download_dir, "/home/other/Downloads");
	/* Never empty, even with no HOME at all. */
	unsetenv("HOME");
	load_ok(f, "");
	assert_true(f->conf.data_dir[0] == '/');
	assert_non_null(strstr(f->conf.data_dir, "/.local/share/p2ptui"));
}

static void
test_nick(void **state)
{
	struct fixture *f = *state;
	struct passwd *pw;
	const char *login;

	setenv("USER", "alice", 1);
	load_ok(f, "");
	assert_string_equal(f->conf.nick, "alice");
	load_ok(f, "nick = \"\";\n");
	assert_string_equal(f->conf.nick, "alice");
	load_ok(f, "nick = \"Bob\";\n");
	assert_string_equal(f->conf.nick, "Bob");

	/* No usable $USER: the login name of the user id. */
	pw = getpwuid(getuid());
	login = pw != NULL && strlen(pw->pw_name) <= CONF_NAME_MAX
	    ? pw->pw_name
	    : "anonymous";
	unsetenv("USER");
	load_ok(f, "");
	assert_string_equal(f->conf.nick, login);
	setenv("USER", "", 1);
	load_ok(f, "");
	assert_string_equal(f->conf.nick, login);
	setenv("USER", "abcdefghijklmnopqrstuvwxyz0123456", 1);
	load_ok(f, "");
	assert_string_equal(f->conf.nick, login);
	setenv("USER", "abcdefghijklmnopqrstuvwxyz012345", 1);
	load_ok(f, "");
	assert_string_equal(f->conf.nick, "abcdefghijklmnopqrstuvwxyz012345");
	setenv("USER", "a\033[2Jb", 1);
	load_ok(f, "");
	assert_string_equal(f->conf.nick, login);
}

static void
test_valid_name(void **state)
{
	static const char *good[] = { "a", "Alice", "bob-2", "c.d_e",
		"01234567890123456789012345678901", "-", "..." };
	static const char *bad[] = { "", "a b", "a/b", "a:b", "a@b", "é",
		"012345678901234567890123456789012", "a\tb", "[x]" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (conf_valid_name(good[i]) != 0)
			fail_msg("'%s' refused", good[i]);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (conf_valid_name(bad[i]) != -1)
			fail_msg("'%s' accepted", bad[i]);
	}
}

static void
test_default_path(void **state)
{
	struct fixture *f = *state;
	char *p, *want;

	p = conf_default_path();
	want = in_home(f, ".p2ptui.conf");
	assert_string_equal(p, want);
	free(p);
	free(want);
}

/* The web group: off without it, its members parsed like settings. */
static void
test_web(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "nick = \"x\";\n");
	assert_int_equal(f->conf.web, 0);
	assert_string_equal(f->conf.web_listen, "127.0.0.1:7080");
	assert_int_equal(f->conf.web_upload_max, 100);
	assert_string_equal(f->conf.web_root, "");
	load_ok(f, "web = { };\n");
	assert_int_equal(f->conf.web, 1);
	assert_string_equal(f->conf.web_listen, "127.0.0.1:7080");
	load_ok(f,
	    "web = { listen = \"[::1]:0\"; upload_max = 65536;\n"
	    "  root = \"/srv/page\"; };\n");
	assert_int_equal(f->conf.web, 1);
	assert_string_equal(f->conf.web_listen, "[::1]:0");
	assert_int_equal(f->conf.web_upload_max, 65536);
	assert_string_equal(f->conf.web_root, "/srv/page");

	check_error(
	    f, "web = \"127.0.0.1:7080\";\n", 1, "'web' must be a group");
	check_error(f, "web = {\n upload_max = 0; };\n", 2,
	    "'upload_max' is 0; it must be from 1 to 65536");
	check_error(f, "web = {\n listen = \"nowhere\"; };\n", 2, "'listen'");
	check_error(
	    f, "web = { listen = 7080; };\n", 1, "'listen' must be a string");

	warn_reset(f);
	load_ok(f, "web = {\n  lisen = \"127.0.0.1:1\"; };\n");
	assert_string_equal(f->conf.web_listen, "127.0.0.1:7080");
	assert_non_null(strstr(warnings(f),
	    ":2: warning: unknown web setting 'lisen' (did you mean "
	    "'listen'?)"));
}

/* The rendezvous group: off without it; address and key required. */
static void
test_rendezvous(void **state)
{
	struct fixture *f = *state;

	load_ok(f, "");
	assert_int_equal(f->conf.rdv, 0);
	load_ok(f,
	    "rendezvous = { address = \"127.0.0.1:7077\";\n"
	    "  key = \"abc\"; username = \"alice\"; };\n");
	assert_int_equal(f->conf.rdv, 1);
	assert_string_equal(f->conf.rdv_address, "127.0.0.1:7077");
	assert_string_equal(f->conf.rdv_key, "abc");
	assert_string_equal(f->conf.rdv_username, "alice");
	check_error(f, "rendezvous = {\n address = \"127.0.0.1:7077\"; };\n", 1,
	    "'rendezvous' needs both address and key");
	check_error(
	    f, "rendezvous = \"x\";\n", 1, "'rendezvous' must be a group");
	check_error(f,
	    "rendezvous = {\n address = \"nowhere\"; key = \"k\"; };\n", 2,
	    "'address'");
	warn_reset(f);
	load_ok(f,
	    "rendezvous = { address = \"h:1\"; key = \"k\";\n"
	    "  usrname = \"x\"; };\n");
	assert_non_null(strstr(warnings(f),
	    ":2: warning: unknown rendezvous setting 'usrname' (did you mean "
	    "'username'?)"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_default_file),
		T(test_rendezvous),
		T(test_empty_file),
		T(test_all_values),
		T(test_errors),
		T(test_peers),
		T(test_peer_errors),
		T(test_unknown_warns),
		T(test_web),
		T(test_create),
		T(test_never_rewritten),
		T(test_create_no_follow),
		T(test_data_dir),
		T(test_nick),
		cmocka_unit_test(test_valid_name),
		T(test_default_path),
	};

	if (ident_init() == -1)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
