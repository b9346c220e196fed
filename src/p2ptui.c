/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * main(): options, start-up order, exit status.
 *
 * Start-up: umask 077, configuration (created on first run), data
 * directory (made 0700 if it is not), identity (created on first run;
 * unlocked with its passphrase if it has one, before anything is
 * written), lock (one instance per data directory), then the engine and
 * one frontend (curses, headless or web, with the web one beside either
 * of the others if configured) on one poll loop. Exit status: 0 normal,
 * 1 bad usage, configuration or start-up error, 2 fatal error.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app.h"
#include "conf.h"
#include "ident.h"
#include "log.h"
#include "pass.h"
#include "util.h"
#include "xmalloc.h"

/*
 * Descriptors beyond one per connection: the terminal, listening
 * sockets, the loop, the database, the log, files being transferred,
 * name resolutions in flight.
 */
#define P2PTUI_FD_RESERVE 256

enum {
	OPT_FINGERPRINT = 256,
	OPT_HEADLESS,
	OPT_WEB,
	OPT_DEFAULT_CONFIG,
	OPT_PASSPHRASE,
	OPT_PASSPHRASE_FD,
	OPT_PASSPHRASE_COST,
};

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "fingerprint", no_argument, NULL, OPT_FINGERPRINT },
	{ "headless", no_argument, NULL, OPT_HEADLESS },
	{ "web", no_argument, NULL, OPT_WEB },
	{ "default-config", no_argument, NULL, OPT_DEFAULT_CONFIG },
	{ "passphrase", no_argument, NULL, OPT_PASSPHRASE },
	{ "passphrase-fd", required_argument, NULL, OPT_PASSPHRASE_FD },
	{ "passphrase-cost", required_argument, NULL, OPT_PASSPHRASE_COST },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: p2ptui [-hVv] [-c file] [--headless | --web] [--passphrase-fd n]\n"
	    "       p2ptui [-c file] --fingerprint\n"
	    "       p2ptui [-c file] --passphrase [--passphrase-fd n]\n"
	    "              [--passphrase-cost level]\n"
	    "       p2ptui --default-config\n"
	    "\n"
	    "  -c, --config FILE   read FILE instead of ~/.p2ptui.conf\n"
	    "  -v, --verbose       write a debug log (debug.log) in the data "
	    "directory\n"
	    "  -V, --version       print the version and exit\n"
	    "  -h, --help          print this help and exit\n"
	    "      --fingerprint   print your public key, as a peer's 'key' "
	    "setting takes it\n"
	    "      --headless      no screen: commands on stdin, events on "
	    "stdout\n"
	    "      --web           no screen: serve the web page alone\n"
	    "      --passphrase    set, change or remove the passphrase of your "
	    "key\n"
	    "      --passphrase-fd N\n"
	    "                      read passphrases from descriptor N, one a "
	    "line\n"
	    "      --passphrase-cost interactive|moderate|sensitive\n"
	    "                      the cost of a new passphrase's hash "
	    "(moderate)\n"
	    "      --default-config\n"
	    "                      print the commented default configuration\n"
	    "\n"
	    "See p2ptui(1) and p2ptui.conf(5).\n");
}

static int
prepare_data_dir(const char *dir, char **cause)
{
	struct stat sb;

	if (util_mkdir_p(dir, 0700) == -1) {
		*cause = xasprintf("cannot create data directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (stat(dir, &sb) == -1) {
		*cause = xasprintf("%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		*cause = xasprintf("data directory %s is not a directory", dir);
		return -1;
	}
	if (sb.st_uid != geteuid()) {
		*cause = xasprintf("data directory %s belongs to another user "
		                   "(uid %ld)",
		    dir, (long)sb.st_uid);
		return -1;
	}
	/* Keys, history and learned peers are nobody else's business. */
	if ((sb.st_mode & 077) != 0) {
		if (chmod(dir, 0700) == -1) {
			*cause = xasprintf("data directory %s is mode %04o and "
			                   "cannot be made 0700: %s",
			    dir, (unsigned)(sb.st_mode & 07777),
			    strerror(errno));
			return -1;
		}
		fprintf(stderr,
		    "p2ptui: data directory %s was mode %04o; it is now "
		    "0700\n",
		    dir, (unsigned)(sb.st_mode & 07777));
	}
	return 0;
}

/*
 * Raise the soft limit on open files to what max_peers incoming and the
 * configured outgoing connections need (it is often 1024, and accept()
 * failing with EMFILE is no way to learn of it). If the hard limit is
 * lower, go as high as it allows and say so.
 */
static void
raise_nofile(const struct conf *conf)
{
	struct rlimit rl;
	rlim_t need;

	need = (rlim_t)conf->max_peers + conf->npeers + P2PTUI_FD_RESERVE;
	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 ||
	    (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= need))
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		fprintf(stderr,
		    "p2ptui: max_peers = %d needs about %llu open files, but "
		    "the hard limit is %llu (ulimit -Hn): fewer connections "
		    "will fit\n",
		    conf->max_peers, (unsigned long long)need,
		    (unsigned long long)rl.rlim_max);
		log_debug("open files: need %llu, hard limit %llu",
		    (unsigned long long)need, (unsigned long long)rl.rlim_max);
		need = rl.rlim_max;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_debug("setrlimit(RLIMIT_NOFILE, %llu): %s",
		    (unsigned long long)need, strerror(errno));
}

/* --passphrase-fd N: -1 with *cause if N is not a descriptor number. */
static int
parse_fd(const char *s, int *fd, char **cause)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 ||
	    n > 0x7fffffff) {
		*cause = xasprintf("--passphrase-fd: '%s' is not a file "
		                   "descriptor number",
		    s);
		return -1;
	}
	*fd = (int)n;
	return 0;
}

/* --fingerprint: the public key, which needs no passphrase. */
static int
print_fingerprint(const char *dir, int *created, char **cause)
{
	struct ident_file *f;
	uint8_t pk[IDENT_KEYLEN];
	char fp[IDENT_FP_LEN + 1];

	if ((f = ident_open(dir, 1, created, cause)) == NULL)
		return -1;
	if (*created)
		fprintf(stderr, "p2ptui: created a new identity in %s\n",
		    ident_file_path(f));
	ident_file_pk(f, pk);
	ident_file_free(f);
	ident_fingerprint(pk, fp);
	printf("%s\n", fp);
	return fflush(stdout) == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct app app;
	struct conf conf;
	char *path = NULL, *cause = NULL, *lockpath;
	struct ident_cost cost;
	int ch, fingerprint = 0, explicit, created, lockfd = -1, ret = 1;
	int loaded, passphrase = 0, passfd = PASS_NOFD, costset = 0;
	size_t warn_len;
	FILE *warn;

	memset(&app, 0, sizeof app);
	memset(&conf, 0, sizeof conf);
	while (
	    (ch = getopt_long(argc, argv, "c:hVv", long_options, NULL)) != -1) {
		switch (ch) {
		case 'c':
			free(path);
			path = xstrdup(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("p2ptui %s\n", PACKAGE_VERSION);
			return 0;
		case 'v':
			app.verbose = 1;
			break;
		case OPT_FINGERPRINT:
			fingerprint = 1;
			break;
		case OPT_HEADLESS:
			app.headless = 1;
			break;
		case OPT_WEB:
			app.web_only = 1;
			break;
		case OPT_DEFAULT_CONFIG:
			conf_write_default(stdout);
			return fflush(stdout) == 0 ? 0 : 1;
		case OPT_PASSPHRASE:
			passphrase = 1;
			break;
		case OPT_PASSPHRASE_FD:
			if (parse_fd(optarg, &passfd, &cause) == -1)
				goto usage;
			break;
		case OPT_PASSPHRASE_COST:
			if (ident_cost_parse(optarg, &cost) == -1) {
				cause = xasprintf("--passphrase-cost: '%s' is "
				                  "not interactive, moderate "
				                  "or sensitive",
				    optarg);
				goto usage;
			}
			costset = 1;
			break;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc)
		cause = xasprintf("unexpected argument '%s'", argv[optind]);
	else if (passphrase && (fingerprint || app.headless))
		cause = xstrdup("--passphrase goes with neither --fingerprint "
		                "nor --headless");
	else if (costset && !passphrase)
		cause = xstrdup("--passphrase-cost goes with --passphrase");
	if (cause != NULL) {
usage:
		fprintf(stderr, "p2ptui: %s\n", cause);
		free(cause);
		free(path);
		usage(stderr);
		return 1;
	}
	if (!costset && ident_cost_parse("moderate", &cost) == -1)
		fatal("no moderate passphrase cost");
	if (app.headless && app.web_only) {
		fprintf(stderr,
		    "p2ptui: --headless and --web exclude each "
		    "other (add web settings to the configuration "
		    "to serve the page beside headless mode)\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Every file p2ptui creates (history, logs, downloads) is private. */
	umask(077);
	if (ident_init() == -1) {
		fprintf(stderr, "p2ptui: cannot initialise libsodium\n");
		return 1;
	}

	/* Only the default file is created: a -c typo is an error. */
	explicit = path != NULL;
	if (!explicit)
		path = conf_default_path();
	/* Warnings go to stderr, and to the system view of the TUI, which
	 * hides the terminal they were written to until it quits. */
	if ((warn = open_memstream(&app.conf_warnings, &warn_len)) == NULL)
		fatal("open_memstream: %s", strerror(errno));
	loaded = conf_load(&conf, path, !explicit, &created, warn, &cause);
	if (fclose(warn) != 0)
		fatal("open_memstream: %s", strerror(errno));
	fputs(app.conf_warnings, stderr);
	if (loaded == -1)
		goto out;
	if (created) {
		app.created_conf = 1;
		fprintf(stderr,
		    "p2ptui: wrote a commented default "
		    "configuration to %s\n",
		    path);
	}
	if (prepare_data_dir(conf.data_dir, &cause) == -1)
		goto out;

	if (passphrase) {
		if (pass_change(conf.data_dir, passfd, &cost, &cause) == 0)
			ret = 0;
		goto out;
	}
	if (fingerprint) {
		if (print_fingerprint(conf.data_dir, &created, &cause) == 0)
			ret = 0;
		goto out;
	}
	/* Before the lock: a wrong passphrase must not even rewrite it. */
	app.id =
	    pass_load(conf.data_dir, passfd, !app.headless, &created, &cause);
	if (app.id == NULL)
		goto out;
	app.created_id = created;
	if (created && (app.headless || app.web_only))
		fprintf(stderr, "p2ptui: created a new identity in %s/%s\n",
		    conf.data_dir, IDENT_FILE);
	lockpath = xasprintf("%s/lock", conf.data_dir);
	ret = util_lock(lockpath, &lockfd, &cause);
	free(lockpath);
	if (ret == -1) {
		ret = 1;
		goto out;
	}
	if (app.verbose) {
		app.log_path = xasprintf("%s/debug.log", conf.data_dir);
		if (log_open(app.log_path) == -1) {
			cause = xasprintf("cannot open %s: %s", app.log_path,
			    strerror(errno));
			goto out;
		}
		log_debug("p2ptui %s starting", PACKAGE_VERSION);
	}
	raise_nofile(&conf);
	app.conf = &conf;
	ret = app_run(&app, &cause);
out:
	if (cause != NULL) {
		fprintf(stderr, "p2ptui: %s\n", cause);
		free(cause);
		if (ret == 0)
			ret = 1;
	}
	ident_free(app.id);
	free(app.conf_warnings);
	free(app.log_path);
	log_close();
	conf_free(&conf);
	free(path);
	if (lockfd != -1)
		close(lockfd);
	return ret;
}
