/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * main() of p2ptui-rendezvous(8): options, the configuration, the key
 * (created on first start, 0600, its fingerprint printed), the lock on
 * the data directory, then the server on one loop until SIGTERM or
 * SIGINT. Exit status 0 after a signal, 1 on any start-up error.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "conf_rdv.h"
#include "ident.h"
#include "log.h"
#include "loop.h"
#include "rdv_server.h"
#include "util.h"
#include "xmalloc.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: p2ptui-rendezvous [-c FILE] [-v] [--fingerprint] "
	    "[--example-config] [--version]\n");
}

static void
rdvd_signal(int signo, void *arg)
{
	(void)signo;
	loop_stop(arg);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "fingerprint", no_argument, NULL, 'f' },
		{ "example-config", no_argument, NULL, 'e' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = RDV_CONF_DEFAULT_PATH;
	char *cause = NULL, *lockpath = NULL, *logpath = NULL;
	char fp[IDENT_FP_LEN + 1], bound[NET_ADDRSTRLEN];
	struct rdv_conf conf;
	struct ident *id = NULL;
	struct loop *loop = NULL;
	struct rdv_server *srv = NULL;
	int opt, fingerprint = 0, verbose = 0, created = 0, lockfd = -1;
	int ret = 1;

	while ((opt = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			fingerprint = 1;
			break;
		case 'e':
			rdv_conf_write_example(stdout);
			return 0;
		case 'v':
			verbose = 1;
			break;
		case 'V':
			printf("p2ptui-rendezvous %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	umask(077);
	if (ident_init() == -1) {
		fprintf(stderr,
		    "p2ptui-rendezvous: cannot initialise "
		    "libsodium\n");
		return 1;
	}
	if (rdv_conf_load(&conf, path, 0, &cause) == -1) {
		fprintf(stderr, "p2ptui-rendezvous: %s\n", cause);
		free(cause);
		return 1;
	}
	if (util_mkdir_p(conf.data_dir, 0700) == -1) {
		cause = xasprintf(
		    "cannot create %s: %s", conf.data_dir, strerror(errno));
		goto out;
	}
	if ((id = ident_load(conf.data_dir, 1, &created, &cause)) == NULL)
		goto out;
	ident_fingerprint(id->pk, fp);
	if (created)
		printf("created key %s/identity.key\n", conf.data_dir);
	if (fingerprint) {
		printf("%s\n", fp);
		ret = 0;
		goto out;
	}
	lockpath = xasprintf("%s/lock", conf.data_dir);
	if (util_lock(lockpath, &lockfd, &cause) == -1)
		goto out;
	if (verbose) {
		logpath = xasprintf("%s/debug.log", conf.data_dir);
		if (log_open(logpath) == -1) {
			cause = xasprintf(
			    "cannot open %s: %s", logpath, strerror(errno));
			goto out;
		}
	}
	loop = loop_create();
	if ((srv = rdv_server_create(loop, &conf, id, bound, &cause)) == NULL)
		goto out;
	if (loop_signal(loop, SIGTERM, rdvd_signal, loop) == -1 ||
	    loop_signal(loop, SIGINT, rdvd_signal, loop) == -1) {
		cause = xasprintf("signals: %s", strerror(errno));
		goto out;
	}
	printf("ready %s %s\n", fp, bound);
	fflush(stdout);
	loop_run(loop);
	ret = 0;
out:
	if (cause != NULL) {
		fprintf(stderr, "p2ptui-rendezvous: %s\n", cause);
		free(cause);
	}
	rdv_server_free(srv);
	loop_free(loop);
	ident_free(id);
	rdv_conf_free(&conf);
	free(lockpath);
	free(logpath);
	log_close();
	if (lockfd != -1)
		close(lockfd);
	return ret;
}
