/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Debug log and fatal(). The log is a plain file in the data directory,
 * written only with -v; nothing here writes to stdout or stderr except
 * fatal(), which first lets the frontend release the terminal.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static FILE *log_file;
static void (*log_fatal_hook)(void);

int
log_open(const char *path)
{
	int fd;

	log_close();
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	if ((log_file = fdopen(fd, "a")) == NULL) {
		close(fd);
		return -1;
	}
	setvbuf(log_file, NULL, _IOLBF, 0);
	return 0;
}

void
log_close(void)
{
	if (log_file != NULL)
		fclose(log_file);
	log_file = NULL;
}

static void log_vwrite(const char *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
log_vwrite(const char *prefix, const char *fmt, va_list ap)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(log_file, "%lld.%03ld %s", (long long)ts.tv_sec,
	    ts.tv_nsec / 1000000, prefix);
	vfprintf(log_file, fmt, ap);
	fputc('\n', log_file);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_file == NULL)
		return;
	va_start(ap, fmt);
	log_vwrite("", fmt, ap);
	va_end(ap);
}

void
log_set_fatal_hook(void (*hook)(void))
{
	log_fatal_hook = hook;
}

void
fatal(const char *fmt, ...)
{
	va_list ap;
	void (*hook)(void) = log_fatal_hook;

	log_fatal_hook = NULL; /* a fatal inside the hook must not loop */
	if (hook != NULL)
		hook();
	if (log_file != NULL) {
		va_start(ap, fmt);
		log_vwrite("fatal: ", fmt, ap);
		va_end(ap);
	}
	fputs("p2ptui: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}
