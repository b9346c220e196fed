/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The passphrase of the identity key (the key file format and the
 * cryptography are ident.c's).
 *
 * A passphrase is one line: its bytes up to a "\n" (a "\r" before it is
 * dropped too), at most IDENT_PASS_MAX bytes, no normalisation. It lives
 * only in ident_secret_alloc() memory (locked, wiped when freed), is
 * compared in constant time, and is never written anywhere. A wrong
 * passphrase leaves every file as it was: the key file is only ever
 * replaced by ident_save() after the current passphrase opened it.
 *
 * The terminal prompts run before curses starts, on /dev/tty with echo
 * off from the first prompt to the last (typing ahead while a
 * passphrase is hashed shows nothing either). The signals that end the
 * program are blocked meanwhile except inside ppoll(), so one that
 * arrives during a prompt is seen at once: the terminal is put back as
 * it was, then the signal is raised again with its former action
 * (SIGINT still ends the program with status 130). Ctrl-Z stops the
 * program with the terminal as it was, and the prompt starts again
 * once it is continued.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "ident.h"
#include "pass.h"
#include "xmalloc.h"

#define PASS_BUFLEN (IDENT_PASS_MAX + 1)

static const int pass_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };
#define PASS_NSIGNALS (sizeof pass_signals / sizeof pass_signals[0])
static volatile sig_atomic_t pass_signo;

static void
pass_catch(int sig)
{
	pass_signo = sig;
}

/* Close a descriptor a passphrase came from, unless it is a standard
 * stream (headless mode reads its commands from standard input). */
static void
pass_close(int fd)
{
	if (fd > STDERR_FILENO)
		close(fd);
}

/*
 * One line from fd into buf (PASS_BUFLEN bytes), without its end, in
 * *len. Byte by byte, so nothing after the line is consumed. With mask,
 * wait in ppoll() with that signal mask and stop when pass_signo is set.
 * -1 with *cause at end of input before any byte, on an error, or for a
 * line longer than IDENT_PASS_MAX (read to its end all the same).
 */
static int
pass_read_line(int fd, char *buf, size_t *len, const sigset_t *mask,
    const char *from, char **cause)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t n = 0, total = 0;
	ssize_t r;
	char c;

	for (;;) {
		if (mask != NULL &&
		    (ppoll(&pfd, 1, NULL, mask) == -1 || pass_signo != 0)) {
			if (pass_signo == 0 && errno == EINTR)
				continue;
			*cause = xasprintf("cannot read the passphrase: %s",
			    pass_signo != 0 ? "interrupted" : strerror(errno));
			return -1;
		}
		r = read(fd, &c, 1);
		if (r == -1 && errno == EAGAIN && mask == NULL)
			poll(&pfd, 1, -1); /* a non-blocking descriptor */
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r == -1) {
			*cause = xasprintf("cannot read the passphrase from "
			                   "%s: %s",
			    from, strerror(errno));
			return -1;
		}
		if (r == 0 && total == 0) {
			*cause = xasprintf(
			    "no passphrase: %s ended before one", from);
			return -1;
		}
		if (r == 0 || c == '\n')
			break;
		if (n < PASS_BUFLEN)
			buf[n++] = c;
		total++;
	}
	ident_wipe(&c, sizeof c);
	if (n > 0 && buf[n - 1] == '\r') {
		n--;
		total--;
	}
	if (total > IDENT_PASS_MAX) {
		ident_wipe(buf, PASS_BUFLEN);
		*cause = xasprintf(
		    "a passphrase is at most %d bytes", IDENT_PASS_MAX);
		return -1;
	}
	*len = n;
	return 0;
}

static void
pass_say(int tty, const char *text)
{
	size_t off = 0, n = strlen(text);
	ssize_t r;

	while (off < n) {
		r = write(tty, text + off, n - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return;
		off += (size_t)r;
	}
}

/* The terminal while passphrases are asked on it. */
struct pass_tty {
	int fd; /* /dev/tty, -1 if not open */
	int quiet; /* echo is off */
	struct termios old;
	struct termios quiet_mode;
	struct sigaction saved[PASS_NSIGNALS];
	sigset_t oldmask;
};

/*
 * Open the terminal and turn echo off until pass_tty_end(), over every
 * prompt and the hashing in between: what is typed ahead while a
 * passphrase is checked is not shown either. Input typed before the
 * first prompt, which was shown, is discarded.
 */
static int
pass_tty_begin(struct pass_tty *tty, const char *why, char **cause)
{
	struct sigaction sa;
	sigset_t block;
	size_t i;

	tty->quiet = 0;
	if ((tty->fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("%s: no terminal to ask on (%s); give it "
		                   "with --passphrase-fd N",
		    why, strerror(errno));
		return -1;
	}
	if (tcgetattr(tty->fd, &tty->old) == -1) {
		*cause = xasprintf(
		    "%s: cannot ask on the terminal: %s", why, strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = pass_catch;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	pass_signo = 0;
	for (i = 0; i < PASS_NSIGNALS; i++) {
		sigaddset(&block, pass_signals[i]);
		sigaction(pass_signals[i], &sa, &tty->saved[i]);
	}
	sigprocmask(SIG_BLOCK, &block, &tty->oldmask);
	tty->quiet = 1;
	tty->quiet_mode = tty->old;
	tty->quiet_mode.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
	tty->quiet_mode.c_lflag |= ICANON | ECHONL | ISIG;
	if (tcsetattr(tty->fd, TCSAFLUSH, &tty->quiet_mode) == -1) {
		*cause = xasprintf("cannot turn off echo on the terminal: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Give the terminal back as it was. If a signal that ends the program
 * came meanwhile, raise it again: it is delivered with its old action
 * once unblocked.
 */
static void
pass_tty_end(struct pass_tty *tty)
{
	size_t i;
	int sig;

	if (tty->quiet) {
		tcsetattr(tty->fd, TCSAFLUSH, &tty->old);
		sig = pass_signo;
		for (i = 0; i < PASS_NSIGNALS; i++)
			sigaction(pass_signals[i], &tty->saved[i], NULL);
		if (sig != 0) {
			pass_say(tty->fd, "\n");
			raise(sig);
		}
		sigprocmask(SIG_SETMASK, &tty->oldmask, NULL);
		tty->quiet = 0;
	}
	if (tty->fd != -1)
		close(tty->fd);
	tty->fd = -1;
}

/*
 * Stop for a Ctrl-Z (SIGTSTP) with the terminal as it was, as a shell
 * expects; once continued, echo goes off again and what was typed of
 * the line is dropped, so the prompt starts afresh.
 */
static void
pass_tty_stop(struct pass_tty *tty)
{
	struct sigaction dfl, ours;
	sigset_t tstp;

	tcsetattr(tty->fd, TCSAFLUSH, &tty->old);
	pass_say(tty->fd, "\n");
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGTSTP, &dfl, &ours);
	sigemptyset(&tstp);
	sigaddset(&tstp, SIGTSTP);
	raise(SIGTSTP);
	/* Stopped here, until SIGCONT. */
	sigprocmask(SIG_UNBLOCK, &tstp, NULL);
	sigprocmask(SIG_BLOCK, &tstp, NULL);
	sigaction(SIGTSTP, &ours, NULL);
	pass_signo = 0;
	tcsetattr(tty->fd, TCSAFLUSH, &tty->quiet_mode);
}

static int
pass_tty_ask(struct pass_tty *tty, const char *prompt, char *buf, size_t *len,
    char **cause)
{
	int ret;

	for (;;) {
		pass_say(tty->fd, prompt);
		ret = pass_read_line(
		    tty->fd, buf, len, &tty->oldmask, "the terminal", cause);
		if (ret == 0 || pass_signo != SIGTSTP)
			return ret;
		free(*cause);
		*cause = NULL;
		pass_tty_stop(tty);
	}
}

/*
 * Unlock f: with its passphrase from fd (one line) if fd is not
 * PASS_NOFD, else asked on tty (PASS_TRIES tries). pass is a PASS_BUFLEN
 * buffer for it.
 */
static int
pass_unlock(const struct ident_file *f, int fd, struct pass_tty *tty,
    char *pass, struct ident **idp, char **cause)
{
	char *prompt, *from;
	size_t len;
	int i, ret;

	if (!ident_file_locked(f, NULL))
		return ident_unlock(f, NULL, 0, idp, cause) == 0 ? 0 : -1;
	if (fd != PASS_NOFD) {
		from = xasprintf("descriptor %d", fd);
		ret = pass_read_line(fd, pass, &len, NULL, from, cause);
		free(from);
		if (ret == 0)
			ret = ident_unlock(f, pass, len, idp, cause);
		return ret == 0 ? 0 : -1;
	}
	prompt = xasprintf("Passphrase for %s: ", ident_file_path(f));
	for (i = 0; i < PASS_TRIES; i++) {
		if (i > 0) {
			pass_say(tty->fd, "Wrong passphrase, try again.\n");
			free(*cause);
			*cause = NULL;
		}
		ret = pass_tty_ask(tty, prompt, pass, &len, cause);
		if (ret == 0)
			ret = ident_unlock(f, pass, len, idp, cause);
		if (ret != IDENT_BADPASS)
			break;
	}
	free(prompt);
	if (ret == IDENT_BADPASS) {
		free(*cause);
		*cause = xasprintf("%d wrong passphrases for %s; nothing "
		                   "was changed",
		    PASS_TRIES, ident_file_path(f));
	}
	return ret == 0 ? 0 : -1;
}

struct ident *
pass_load(const char *dir, int fd, int ask, int *created, char **cause)
{
	struct pass_tty tty = { .fd = -1 };
	struct ident_file *f;
	struct ident *id = NULL;
	char *pass = NULL;

	if ((f = ident_open(dir, 1, created, cause)) == NULL)
		goto out;
	if (!ident_file_locked(f, NULL)) {
		if (fd != PASS_NOFD)
			fprintf(stderr,
			    "p2ptui: %s has no passphrase; descriptor %d is "
			    "not read\n",
			    ident_file_path(f), fd);
	} else if (fd == PASS_NOFD && !ask) {
		*cause = xasprintf("%s is protected by a passphrase: give "
		                   "it with --passphrase-fd N",
		    ident_file_path(f));
		goto out;
	} else if (fd == PASS_NOFD &&
	    pass_tty_begin(&tty, ident_file_path(f), cause) == -1)
		goto out;
	if ((pass = ident_secret_alloc(PASS_BUFLEN)) == NULL) {
		*cause = xstrdup("out of secure memory");
		goto out;
	}
	pass_unlock(f, fd, &tty, pass, &id, cause);
out:
	pass_tty_end(&tty);
	ident_secret_free(pass);
	ident_file_free(f);
	if (fd != PASS_NOFD)
		pass_close(fd);
	return id;
}

/*
 * The new passphrase: a line of fd, or asked twice on tty. pass is a
 * PASS_BUFLEN buffer, again a scratch one of the same size.
 */
static int
pass_new(int fd, struct pass_tty *tty, char *pass, size_t *len, char *again,
    char **cause)
{
	size_t len2;
	char *from;
	int ret;

	if (fd != PASS_NOFD) {
		from = xasprintf("descriptor %d", fd);
		ret = pass_read_line(fd, pass, len, NULL, from, cause);
		free(from);
		return ret;
	}
	if (pass_tty_ask(tty, "New passphrase (empty to remove it): ", pass,
	        len, cause) == -1)
		return -1;
	if (*len == 0)
		return 0;
	if (pass_tty_ask(
	        tty, "The new passphrase again: ", again, &len2, cause) == -1)
		return -1;
	/* Both buffers are PASS_BUFLEN: compare them whole, in constant
	 * time; the lengths say where each ends. */
	if (len2 != *len || !ident_mem_equal(pass, again, *len)) {
		*cause = xstrdup("the two new passphrases differ; nothing was "
		                 "changed");
		return -1;
	}
	return 0;
}

int
pass_change(
    const char *dir, int fd, const struct ident_cost *cost, char **cause)
{
	struct ident_file *f = NULL;
	struct ident *id = NULL;
	struct stat sb;
	char *path, *pass = NULL, *again = NULL;
	size_t len;
	struct pass_tty tty = { .fd = -1 };
	int locked = 0, created, ret = -1;

	path = xasprintf("%s/%s", dir, IDENT_FILE);
	if (fd == PASS_NOFD &&
	    pass_tty_begin(&tty, "--passphrase", cause) == -1)
		goto out;
	if ((pass = ident_secret_alloc(PASS_BUFLEN)) == NULL ||
	    (again = ident_secret_alloc(PASS_BUFLEN)) == NULL) {
		*cause = xstrdup("out of secure memory");
		goto out;
	}
	/* No key yet: a new one is made below, protected from the start. */
	if (lstat(path, &sb) == 0 || errno != ENOENT) {
		if ((f = ident_open(dir, 0, &created, cause)) == NULL)
			goto out;
		locked = ident_file_locked(f, NULL);
		if (pass_unlock(f, fd, &tty, pass, &id, cause) == -1)
			goto out;
	}
	if (pass_new(fd, &tty, pass, &len, again, cause) == -1)
		goto out;
	if (len == 0 && !locked) {
		fprintf(stderr,
		    "p2ptui: %s has no passphrase; nothing was "
		    "changed\n",
		    path);
		ret = 0;
		goto out;
	}
	if (id == NULL && (id = ident_generate()) == NULL) {
		*cause = xstrdup("out of secure memory");
		goto out;
	}
	if (ident_save(dir, id, pass, len, cost, f != NULL, cause) == -1)
		goto out;
	if (len == 0)
		fprintf(stderr, "p2ptui: removed the passphrase of %s\n", path);
	else if (f == NULL)
		fprintf(stderr,
		    "p2ptui: created a new identity in %s, protected by a "
		    "passphrase (Argon2id, %lu passes, %llu MiB)\n",
		    path, (unsigned long)cost->ops,
		    (unsigned long long)(cost->mem >> 20));
	else
		fprintf(stderr,
		    "p2ptui: %s the passphrase of %s (Argon2id, %lu passes, "
		    "%llu MiB)\n",
		    locked ? "changed" : "set", path, (unsigned long)cost->ops,
		    (unsigned long long)(cost->mem >> 20));
	ret = 0;
out:
	ident_secret_free(again);
	ident_secret_free(pass);
	ident_free(id);
	pass_tty_end(&tty);
	ident_file_free(f);
	if (fd != PASS_NOFD)
		pass_close(fd);
	free(path);
	return ret;
}
