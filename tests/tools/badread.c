/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * badread.so: an LD_PRELOAD test shim that makes a node serve corrupted
 * file data, for tests/e2e/swarm_bad.sh: a holder that sends leaves
 * which do not verify. While the control file BADREAD_CTL exists, every
 * pread() of a file whose path ends in "/" BADREAD_NAME returns its
 * data with the first byte flipped. Before that, reads are honest, so
 * the node hashes the file right and announces its true root.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static ssize_t (*real_pread)(int, void *, size_t, off_t);

static int
badread_fd(int fd)
{
	const char *ctl = getenv("BADREAD_CTL"), *name = getenv("BADREAD_NAME");
	char link[64], path[4096];
	ssize_t n;
	size_t len;

	if (ctl == NULL || name == NULL || access(ctl, F_OK) == -1)
		return 0;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	if ((n = readlink(link, path, sizeof path - 1)) <= 0)
		return 0;
	path[n] = '\0';
	len = strlen(name);
	return (size_t)n > len && path[n - len - 1] == '/' &&
	    strcmp(path + n - len, name) == 0;
}

ssize_t
pread(int fd, void *buf, size_t count, off_t off)
{
	ssize_t r;

	if (real_pread == NULL)
		real_pread = (ssize_t(*)(int, void *, size_t, off_t))dlsym(
		    RTLD_NEXT, "pread");
	r = real_pread(fd, buf, count, off);
	if (r > 0 && badread_fd(fd))
		((unsigned char *)buf)[0] ^= 0xff;
	return r;
}

ssize_t
pread64(int fd, void *buf, size_t count, off_t off)
{
	return pread(fd, buf, count, off);
}
