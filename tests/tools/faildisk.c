/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * faildisk.so: an LD_PRELOAD test shim that makes writes to *.part files
 * (and the sender's tree file) fail as a full (or failing) disk would, on
 * demand, for the tests of what p2ptui does then. A real disk that fills
 * up after posix_fallocate() reserved the space is hard to arrange; this
 * is not.
 *
 * FAILDISK_CTL names a control file, read at each call. While it exists
 * and holds one of these words, calls on a descriptor of a *.part fail:
 *
 *   write   pwrite() fails with ENOSPC
 *   sync    fdatasync() and fsync() fail with ENOSPC, and what was written
 *           since the last one that succeeded is overwritten with zeros:
 *           after a failed fsync the kernel may drop those pages, so a
 *           program that still counts them ends with a wrong file
 *   eio     fdatasync() and fsync() fail with EIO, the same way
 *   tree    not on a *.part but on a file without a name (the sender's
 *           anonymous tree file): pwrite() fails with ENOSPC, pread()
 *           with EIO
 *
 * Each failure is counted in FAILDISK_CTL.count (one byte per failure).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define FD_MAX 4096

/* Per descriptor: the range written since the last good sync. */
static struct {
	off_t lo, hi;
} dirty[FD_MAX];

static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pread)(int, void *, size_t, off_t);
static int (*real_close)(int);
static int (*real_fdatasync)(int);
static int (*real_fsync)(int);

static void
faildisk_init(void)
{
	if (real_pwrite != NULL)
		return;
	real_pwrite = (ssize_t(*)(int, const void *, size_t, off_t))dlsym(
	    RTLD_NEXT, "pwrite");
	real_pread =
	    (ssize_t(*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread");
	real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	if (real_pwrite == NULL || real_pread == NULL || real_close == NULL ||
	    real_fdatasync == NULL || real_fsync == NULL)
		abort();
}

/* Does the path of fd end with suffix? " (deleted)" when it has none. */
static int
path_ends(int fd, const char *suffix)
{
	char link[64], path[4096];
	size_t len = strlen(suffix);
	ssize_t n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof path - 1);
	if (n < (ssize_t)len)
		return 0;
	path[n] = '\0';
	return strcmp(path + n - len, suffix) == 0;
}

/* The word in the control file, "" if there is none. */
static void
mode(char *out, size_t len)
{
	const char *ctl = getenv("FAILDISK_CTL");
	ssize_t n = 0;
	int fd;

	out[0] = '\0';
	if (ctl == NULL || (fd = open(ctl, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, " \n")] = '\0';
}

static void
count_failure(void)
{
	const char *ctl = getenv("FAILDISK_CTL");
	char path[4096];
	int fd;

	snprintf(path, sizeof path, "%s.count", ctl);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	         0600)) != -1) {
		(void)!write(fd, "x", 1);
		close(fd);
	}
}

static int
failing(int fd, const char *word)
{
	char m[16];

	if (fd < 0 ||
	    !path_ends(fd, strcmp(word, "tree") == 0 ? " (deleted)" : ".part"))
		return 0;
	mode(m, sizeof m);
	return strcmp(m, word) == 0;
}

static void
note_write(int fd, off_t off, ssize_t n)
{
	if (fd < 0 || fd >= FD_MAX || n <= 0)
		return;
	if (dirty[fd].hi == dirty[fd].lo || off < dirty[fd].lo)
		dirty[fd].lo = off;
	if (off + n > dirty[fd].hi)
		dirty[fd].hi = off + n;
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n;

	faildisk_init();
	if (failing(fd, "write") || failing(fd, "tree")) {
		count_failure();
		errno = ENOSPC;
		return -1;
	}
	n = real_pwrite(fd, buf, len, off);
	note_write(fd, off, n);
	return n;
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite(fd, buf, len, off);
}

ssize_t
pread(int fd, void *buf, size_t len, off_t off)
{
	faildisk_init();
	if (failing(fd, "tree")) {
		count_failure();
		errno = EIO;
		return -1;
	}
	return real_pread(fd, buf, len, off);
}

ssize_t
pread64(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off);
}

/* A failed sync: the pages written since the last good one are lost. */
static int
sync_fails(int fd)
{
	static const char zeros[65536];
	int err = 0;
	off_t off;
	size_t n;

	if (failing(fd, "sync"))
		err = ENOSPC;
	else if (failing(fd, "eio"))
		err = EIO;
	if (err == 0)
		return 0;
	if (fd < FD_MAX) {
		for (off = dirty[fd].lo; off < dirty[fd].hi; off += (off_t)n) {
			n = (size_t)(dirty[fd].hi - off) < sizeof zeros
			    ? (size_t)(dirty[fd].hi - off)
			    : sizeof zeros;
			if (real_pwrite(fd, zeros, n, off) != (ssize_t)n)
				abort();
		}
		dirty[fd].lo = dirty[fd].hi = 0;
	}
	count_failure();
	errno = err;
	return -1;
}

/* fdatasync() or fsync(): fail on demand, else forget the dirty range. */
static int
sync_call(int fd, int (*real)(int))
{
	int r;

	if (sync_fails(fd))
		return -1;
	if ((r = real(fd)) == 0 && fd >= 0 && fd < FD_MAX)
		dirty[fd].lo = dirty[fd].hi = 0;
	return r;
}

int
fdatasync(int fd)
{
	faildisk_init();
	return sync_call(fd, real_fdatasync);
}

int
fsync(int fd)
{
	faildisk_init();
	return sync_call(fd, real_fsync);
}

/* A descriptor number reused for another file starts clean. */
int
close(int fd)
{
	faildisk_init();
	if (fd >= 0 && fd < FD_MAX)
		dirty[fd].lo = dirty[fd].hi = 0;
	return real_close(fd);
}
