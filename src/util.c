/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Small pure helpers. Everything here takes untrusted input and checks it
 * exactly; nothing here allocates without bound.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "xmalloc.h"

static const char b32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

size_t
util_base32_len(size_t n)
{
	return (n * 8 + 4) / 5;
}

void
util_base32_encode(const uint8_t *in, size_t n, char *out)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			*out++ = b32_alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		*out++ = b32_alphabet[(acc << (5 - bits)) & 31];
	*out = '\0';
}

static int
b32_value(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int
util_base32_decode(const char *s, uint8_t *out, size_t n)
{
	uint32_t acc = 0;
	int bits = 0, v;
	size_t i, o = 0, len = strlen(s);

	if (len != util_base32_len(n))
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = b32_value(s[i])) == -1)
			return -1;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			out[o++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	/* Leftover bits must be zero: one text form per value. */
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	return o == n ? 0 : -1;
}

int
util_parse_hostport(const char *s, char host[UTIL_HOST_MAX], uint16_t *port,
    int allow_zero, char **cause)
{
	const char *colon, *hs, *he;
	char *end;
	unsigned long p;

	if (s[0] == '[') {
		hs = s + 1;
		if ((he = strchr(hs, ']')) == NULL || he[1] != ':') {
			*cause = xasprintf("'%s': expected [IPV6]:PORT", s);
			return -1;
		}
		colon = he + 1;
		if (memchr(hs, ':', (size_t)(he - hs)) == NULL) {
			*cause = xasprintf("'%s': brackets are for IPv6 "
			                   "addresses",
			    s);
			return -1;
		}
	} else {
		hs = s;
		if ((colon = strrchr(s, ':')) == NULL) {
			*cause = xasprintf("'%s': expected HOST:PORT", s);
			return -1;
		}
		he = colon;
		if (memchr(hs, ':', (size_t)(he - hs)) != NULL) {
			*cause = xasprintf("'%s': write IPv6 addresses as "
			                   "[ADDR]:PORT",
			    s);
			return -1;
		}
	}
	if (he == hs || (size_t)(he - hs) >= UTIL_HOST_MAX) {
		*cause = xasprintf("'%s': missing or overlong host", s);
		return -1;
	}
	for (const char *c = hs; c < he; c++) {
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f) {
			*cause = xasprintf("'%s': bad character in host", s);
			return -1;
		}
	}
	errno = 0;
	if (colon[1] < '0' || colon[1] > '9' ||
	    (p = strtoul(colon + 1, &end, 10), *end != '\0') || errno != 0 ||
	    p > 65535 || (p == 0 && !allow_zero)) {
		*cause = xasprintf("'%s': port must be %s to 65535", s,
		    allow_zero ? "0" : "1");
		return -1;
	}
	memcpy(host, hs, (size_t)(he - hs));
	host[he - hs] = '\0';
	*port = (uint16_t)p;
	return 0;
}

size_t
util_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, *row, prev, tmp, best;

	row = xcalloc(lb + 1, sizeof *row);
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	best = row[lb];
	free(row);
	return best;
}

double
util_rate_sample(
    struct util_rate *r, int phase, uint64_t bytes, uint64_t now_ms)
{
	double inst;

	if (r->ms == 0 || r->phase != phase || bytes < r->bytes ||
	    now_ms < r->ms)
		r->rate = 0;
	else if (now_ms > r->ms) {
		inst = (double)(bytes - r->bytes) * 1000.0 /
		    (double)(now_ms - r->ms);
		r->rate = r->rate == 0 ? inst : 0.5 * r->rate + 0.5 * inst;
		if (r->rate < 1)
			r->rate = 0;
	}
	r->bytes = bytes;
	r->ms = now_ms;
	r->phase = phase;
	return r->rate;
}

size_t
util_text_cut(const char *s, size_t len, size_t max, size_t *next)
{
	size_t j;

	if (len <= max) {
		*next = len;
		return len;
	}
	for (j = max; j > 0; j--) {
		if (s[j] == ' ' || s[j] == '\n') {
			*next = j + 1;
			return j;
		}
	}
	for (j = max; j > 0 && ((uint8_t)s[j] & 0xc0) == 0x80; j--)
		;
	if (j == 0)
		j = max; /* not UTF-8 after all: cut anywhere */
	*next = j;
	return j;
}

char *
util_expand_home(const char *path)
{
	const char *home;

	if (path[0] != '~' || (path[1] != '/' && path[1] != '\0'))
		return xstrdup(path);
	if ((home = getenv("HOME")) == NULL || *home == '\0')
		home = "/";
	return xasprintf("%s%s", home, path + 1);
}

int
util_mkdir_p(const char *path, mode_t mode)
{
	char *copy = xstrdup(path), *p;
	struct stat sb;
	int ret = 0;

	if (*copy == '\0') {
		free(copy);
		errno = ENOENT;
		return -1;
	}
	for (p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char save = *p;
		*p = '\0';
		if (mkdir(copy, mode) == -1 && errno != EEXIST) {
			ret = -1;
			break;
		}
		*p = save;
		if (save == '\0')
			break;
	}
	if (ret == 0 && stat(path, &sb) == -1)
		ret = -1;
	else if (ret == 0 && !S_ISDIR(sb.st_mode)) {
		/* errno still says EEXIST from mkdir: say what is wrong. */
		errno = ENOTDIR;
		ret = -1;
	}
	free(copy);
	return ret;
}

/* Well-formed UTF-8 without C0, DEL or C1, but for LF if lf. */
static int
util_utf8_check(const uint8_t *s, size_t len, int lf)
{
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		uint8_t c = s[i];

		if (c < 0x80) {
			if ((c < 0x20 && !(lf && c == '\n')) || c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond U+10FFFF, C1 controls. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    (cp >= 0x80 && cp < 0xa0))
			return 0;
		i += n + 1;
	}
	return 1;
}

int
util_utf8_printable(const uint8_t *s, size_t len)
{
	return util_utf8_check(s, len, 0);
}

int
util_utf8_text(const uint8_t *s, size_t len)
{
	return util_utf8_check(s, len, 1);
}

int
util_lock(const char *path, int *fdp, char **cause)
{
	char pid[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		*cause = xasprintf("cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			n = pread(fd, pid, sizeof pid - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			*cause = xasprintf(
			    "another p2ptui%s%s%s is already "
			    "using this data directory (lock %s)",
			    *pid ? " (pid " : "", pid, *pid ? ")" : "", path);
		} else
			*cause = xasprintf(
			    "cannot lock %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, pid, (size_t)n, 0) != n) {
		*cause =
		    xasprintf("cannot write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	*fdp = fd;
	return 0;
}

/* Length of the printable UTF-8 character at s, or 0 if there is none. */
static size_t
util_utf8_char(const uint8_t *s, size_t len)
{
	size_t n;

	if (len == 0)
		return 0;
	for (n = 1; n <= 4 && n <= len; n++) {
		if (util_utf8_printable(s, n))
			return n;
	}
	return 0;
}

size_t
util_bidi_at(const char *s, size_t n, uint32_t *cp)
{
	const uint8_t *u = (const uint8_t *)s;

	if (n >= 2 && u[0] == 0xd8 && u[1] == 0x9c) {
		*cp = 0x061c;
		return 2;
	}
	if (n < 3 || u[0] != 0xe2)
		return 0;
	if (u[1] == 0x80 &&
	    ((u[2] >= 0xaa && u[2] <= 0xae) || u[2] == 0x8e || u[2] == 0x8f)) {
		*cp = 0x2000 | (u[2] & 0x3f);
		return 3;
	}
	if (u[1] == 0x81 && u[2] >= 0xa6 && u[2] <= 0xa9) {
		*cp = 0x2040 | (u[2] & 0x3f);
		return 3;
	}
	return 0;
}

char *
util_bidi_escape(const char *s, size_t n, size_t *outlen)
{
	size_t i, k, o = 0, found = 0;
	uint32_t cp;
	char *out;

	for (i = 0; i < n; i++) {
		if ((k = util_bidi_at(s + i, n - i, &cp)) > 0) {
			found++;
			i += k - 1;
		}
	}
	if (found == 0)
		return NULL;
	/* Each control of 2 or 3 bytes becomes 8. */
	out = xmalloc(n + found * UTIL_BIDI_ESC_LEN + 1);
	for (i = 0; i < n; i++) {
		if ((k = util_bidi_at(s + i, n - i, &cp)) > 0) {
			o += (size_t)snprintf(out + o, UTIL_BIDI_ESC_LEN + 1,
			    "<U+%04X>", (unsigned)cp);
			i += k - 1;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

int
util_safe_name(const char *name, char *out, size_t outlen)
{
	const uint8_t *s = (const uint8_t *)name;
	size_t len = strlen(name), cap, o = 0, i = 0, n;
	uint32_t cp;

	if (outlen < 8)
		return -1;
	cap = outlen - 1 < UTIL_NAME_MAX ? outlen - 1 : UTIL_NAME_MAX;
	if (len > 0 && s[0] == '.')
		out[o++] = '_';
	while (i < len) {
		n = util_utf8_char(s + i, len - i);
		if (n == 0 || (n == 1 && (s[i] == '/' || s[i] == '\\'))) {
			if (o + 1 > cap)
				break;
			out[o++] = '_';
			i++;
			continue;
		}
		/* "a\u202Etxt.exe" would show as "aexe.txt" elsewhere. */
		if (util_bidi_at(name + i, len - i, &cp) == n) {
			if (o + 1 > cap)
				break;
			out[o++] = '_';
			i += n;
			continue;
		}
		if (o + n > cap)
			break;
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	if (o == 0) {
		memcpy(out, "file", 5);
		return 0;
	}
	out[o] = '\0';
	return 0;
}

char *
util_unique_path(const char *dir, const char *name)
{
	const char *dot = strrchr(name, '.');
	struct stat sb;
	char *path;
	int n, stem;

	/* A leading dot is not an extension. */
	if (dot == NULL || dot == name)
		dot = name + strlen(name);
	stem = (int)(dot - name);
	for (n = 0; n < 10000; n++) {
		if (n == 0)
			path = xasprintf("%s/%s", dir, name);
		else
			path = xasprintf(
			    "%s/%.*s (%d)%s", dir, stem, name, n, dot);
		if (lstat(path, &sb) == -1) {
			if (errno == ENOENT)
				return path;
			free(path);
			return NULL;
		}
		free(path);
	}
	errno = EEXIST;
	return NULL;
}

uint64_t
util_be_get(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | *p++;
	return v;
}

void
util_be_put(uint8_t *p, uint64_t v, size_t n)
{
	while (n-- > 0) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

void
util_hex(const uint8_t *v, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[v[i] >> 4];
		out[2 * i + 1] = digits[v[i] & 15];
	}
	out[2 * n] = '\0';
}
