/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the small helpers (src/util.c): base32, host:port
 * parsing, edit distance, ~ expansion, mkdir -p, UTF-8 validation, safe
 * file names, unique paths and the data directory lock. Inputs that are checked
 * byte by byte are copied to exactly sized allocations, so an over-read shows
 * up under AddressSanitizer. Files live in a private temporary directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util.h"
#include "valgrind_skip.h"

/* Temporary directories. */

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/*
 * The fixture of the tests that touch files: a private directory, and
 * what a failing test could leave behind (a child, the cwd, the umask),
 * put back by the teardown whether the test passed or not.
 */
struct fixture {
	char *dir;
	pid_t child;
	mode_t umask;
	char cwd[4096];
};

static int
fs_setup(void **state)
{
	struct fixture *f;
	const char *base = getenv("TMPDIR");

	if ((f = calloc(1, sizeof *f)) == NULL)
		return -1;
	if (base == NULL || *base != '/')
		base = "/tmp";
	if (asprintf(&f->dir, "%s/p2ptui-util.XXXXXX", base) == -1 ||
	    mkdtemp(f->dir) == NULL || getcwd(f->cwd, sizeof f->cwd) == NULL)
		return -1;
	f->umask = umask(022);
	umask(f->umask);
	*state = f;
	return 0;
}

static int
fs_teardown(void **state)
{
	struct fixture *f = *state;

	if (f->child > 0) {
		kill(f->child, SIGKILL);
		waitpid(f->child, NULL, 0);
	}
	umask(f->umask);
	if (chdir(f->cwd) == -1)
		return -1;
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f->dir);
	free(f);
	return 0;
}

static const char *
fixture_dir(void **state)
{
	return ((struct fixture *)*state)->dir;
}

static char *
path_join(const char *dir, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", dir, name) != -1);
	return p;
}

/* Base32. */

static const struct {
	const char *in, *out;
} b32_vectors[] = {
	{ "", "" },
	{ "f", "my" },
	{ "fo", "mzxq" },
	{ "foo", "mzxw6" },
	{ "foob", "mzxw6yq" },
	{ "fooba", "mzxw6ytb" },
	{ "foobar", "mzxw6ytboi" },
};

static int
b32_value(char c)
{
	const char *alpha = "abcdefghijklmnopqrstuvwxyz234567";
	const char *p;

	if (c == '\0' || (p = strchr(alpha, c)) == NULL)
		return -1;
	return (int)(p - alpha);
}

/* Decode s (copied to an exactly sized buffer) into n bytes. */
static int
b32_decode_exact(const char *s, uint8_t *out, size_t n)
{
	char *copy = strdup(s);
	int r;

	assert_non_null(copy);
	r = util_base32_decode(copy, out, n);
	free(copy);
	return r;
}

static void
test_base32_vectors(void **state)
{
	char out[32];
	uint8_t dec[16];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof b32_vectors / sizeof b32_vectors[0]; i++) {
		n = strlen(b32_vectors[i].in);
		memset(out, 'X', sizeof out);
		util_base32_encode((const uint8_t *)b32_vectors[i].in, n, out);
		assert_string_equal(out, b32_vectors[i].out);
		assert_int_equal(
		    util_base32_len(n), strlen(b32_vectors[i].out));

		memset(dec, 0xee, sizeof dec);
		assert_int_equal(
		    b32_decode_exact(b32_vectors[i].out, dec, n), 0);
		assert_memory_equal(dec, b32_vectors[i].in, n);
		/* Nothing written beyond n bytes. */
		assert_int_equal(dec[n], 0xee);
	}
	assert_int_equal(util_base32_len(0), 0);
	assert_int_equal(util_base32_len(1), 2);
	assert_int_equal(util_base32_len(5), 8);
	assert_int_equal(util_base32_len(6), 10);
	assert_int_equal(util_base32_len(34), 55);
}

static void
test_base32_round_trip(void **state)
{
	uint8_t in[40], dec[41];
	char out[80], upper[80];
	size_t n, i, len;
	unsigned int seed = 7;
	int fill;

	(void)state;
	for (fill = 0; fill < 3; fill++) {
		for (n = 0; n <= 40; n++) {
			for (i = 0; i < n; i++) {
				seed = seed * 1103515245u + 12345u;
				in[i] = fill == 0 ? (uint8_t)(seed >> 16)
				    : fill == 1   ? 0x00
				                  : 0xff;
			}
			util_base32_encode(in, n, out);
			len = strlen(out);
			assert_int_equal(len, util_base32_len(n));
			assert_int_equal(len, (n * 8 + 4) / 5);
			for (i = 0; i < len; i++)
				assert_true(b32_value(out[i]) != -1);

			memset(dec, 0xee, sizeof dec);
			assert_int_equal(b32_decode_exact(out, dec, n), 0);
			assert_memory_equal(dec, in, n);
			assert_int_equal(dec[n], 0xee);

			/* Uppercase is the same value. */
			for (i = 0; i <= len; i++) {
				upper[i] = out[i];
				if (out[i] >= 'a' && out[i] <= 'z')
					upper[i] = (char)(out[i] - 'a' + 'A');
			}
			memset(dec, 0xee, sizeof dec);
			assert_int_equal(b32_decode_exact(upper, dec, n), 0);
			assert_memory_equal(dec, in, n);
		}
	}
}

static void
test_base32_wrong_length(void **state)
{
	uint8_t in[41], dec[48];
	char out[80], tmp[80];
	size_t n, len;

	(void)state;
	memset(in, 0x5a, sizeof in);
	for (n = 0; n <= 40; n++) {
		util_base32_encode(in, n, out);
		len = strlen(out);
		/* One character short (if there is one) and one too many. */
		if (len > 0) {
			memcpy(tmp, out, len - 1);
			tmp[len - 1] = '\0';
			assert_int_equal(b32_decode_exact(tmp, dec, n), -1);
		}
		memcpy(tmp, out, len);
		tmp[len] = 'a';
		tmp[len + 1] = '\0';
		assert_int_equal(b32_decode_exact(tmp, dec, n), -1);
		/* The right text for a different byte count. */
		if (n > 0)
			assert_int_equal(b32_decode_exact(out, dec, n - 1), -1);
		assert_int_equal(b32_decode_exact(out, dec, n + 1), -1);
	}
	/* Padding is not accepted. */
	assert_int_equal(b32_decode_exact("my======", dec, 1), -1);
	assert_int_equal(b32_decode_exact("mzxw6===", dec, 3), -1);
}

static void
test_base32_bad_characters(void **state)
{
	static const char bad[] = { '0', '1', '8', '9', '=', ' ', '-', '_', '.',
		'@', '[', '`', '{', '\n', '\x7f', '\x80', '\xff' };
	uint8_t in[10], dec[10];
	char out[20];
	size_t pos, k, len;

	(void)state;
	memset(in, 0xa7, sizeof in);
	util_base32_encode(in, sizeof in, out);
	len = strlen(out);
	assert_int_equal(b32_decode_exact(out, dec, sizeof dec), 0);
	for (pos = 0; pos < len; pos++) {
		for (k = 0; k < sizeof bad; k++) {
			char copy[20];

			memcpy(copy, out, len + 1);
			copy[pos] = bad[k];
			if (b32_decode_exact(copy, dec, sizeof dec) != -1)
				fail_msg("'%s' with 0x%02x at %zu accepted",
				    out, (unsigned char)bad[k], pos);
		}
	}
}

/* Only the canonical form: the unused low bits of the last character
 * must be zero, or two texts would name the same key. */
static void
test_base32_trailing_bits(void **state)
{
	uint8_t in[40], dec[40];
	char out[80];
	size_t n, len, spare;
	int v, bit;

	(void)state;
	/* "my" is 'f'; "mz" has a spare bit set. */
	assert_int_equal(b32_decode_exact("mz", dec, 1), -1);
	assert_int_equal(b32_decode_exact("MZ", dec, 1), -1);
	memset(in, 0xff, sizeof in);
	for (n = 1; n <= 40; n++) {
		util_base32_encode(in, n, out);
		len = strlen(out);
		spare = len * 5 - n * 8;
		assert_true(spare < 5);
		v = b32_value(out[len - 1]);
		for (bit = 0; bit < (int)spare; bit++) {
			out[len - 1] =
			    "abcdefghijklmnopqrstuvwxyz234567"[v | 1 << bit];
			if (b32_decode_exact(out, dec, n) != -1)
				fail_msg(
				    "n=%zu: spare bit %d accepted", n, bit);
		}
		out[len - 1] = "abcdefghijklmnopqrstuvwxyz234567"[v];
		assert_int_equal(b32_decode_exact(out, dec, n), 0);
	}
}

/* Host and port. */

static const struct {
	const char *in;
	const char *host;
	uint16_t port;
} hp_good[] = {
	{ "1.2.3.4:80", "1.2.3.4", 80 },
	{ "host.example:7070", "host.example", 7070 },
	{ "[::1]:7070", "::1", 7070 },
	/* Whatever is between brackets is taken if it has a ':'. */
	{ "[fe80::1%eth0]:1", "fe80::1%eth0", 1 },
	{ "localhost:65535", "localhost", 65535 },
	{ "a:1", "a", 1 },
	{ "[2001:db8::1]:443", "2001:db8::1", 443 },
};

static const char *hp_bad[] = {
	"",
	"nohost",
	":80",
	"host:",
	"host:65536",
	"host:99999999999999999999999",
	"host:-1",
	"host:+1",
	"host: 80",
	"host:80 ",
	"host:12a",
	"host:0x10",
	"::1:80",
	"::1",
	"[1.2.3.4]:80",
	"[::1]80",
	"[::1]",
	"[::1]:",
	"[::1:80",
	"[]:80",
	"ho st:80",
	"ho\tst:80",
	"host\n:80",
	"ho\x01st:80",
	"ho\x7fst:80",
	"h\xc3\xa9te:80",
	"[::1 ]:80",
};

/* Parse with an exactly sized copy of s and a poisoned host buffer. */
static int
hp_parse(const char *s, char host[UTIL_HOST_MAX], uint16_t *port,
    int allow_zero, char **cause)
{
	char *copy = strdup(s);
	int r;

	assert_non_null(copy);
	memset(host, 'Z', UTIL_HOST_MAX);
	*cause = NULL;
	r = util_parse_hostport(copy, host, port, allow_zero, cause);
	free(copy);
	return r;
}

static void
test_hostport_good(void **state)
{
	char host[UTIL_HOST_MAX], *cause;
	uint16_t port;
	size_t i;
	int zero;

	(void)state;
	for (i = 0; i < sizeof hp_good / sizeof hp_good[0]; i++) {
		for (zero = 0; zero <= 1; zero++) {
			port = 0;
			if (hp_parse(
			        hp_good[i].in, host, &port, zero, &cause) != 0)
				fail_msg(
				    "'%s' rejected: %s", hp_good[i].in, cause);
			assert_null(cause);
			assert_string_equal(host, hp_good[i].host);
			assert_int_equal(port, hp_good[i].port);
		}
	}
}

static void
test_hostport_port_zero(void **state)
{
	char host[UTIL_HOST_MAX], *cause;
	uint16_t port = 99;

	(void)state;
	assert_int_equal(hp_parse("0.0.0.0:0", host, &port, 0, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "0.0.0.0:0"));
	free(cause);
	assert_int_equal(hp_parse("[::]:0", host, &port, 0, &cause), -1);
	free(cause);

	assert_int_equal(hp_parse("0.0.0.0:0", host, &port, 1, &cause), 0);
	assert_string_equal(host, "0.0.0.0");
	assert_int_equal(port, 0);
	port = 99;
	assert_int_equal(hp_parse("[::]:0", host, &port, 1, &cause), 0);
	assert_string_equal(host, "::");
	assert_int_equal(port, 0);
	/* allow_zero does not widen anything else. */
	assert_int_equal(hp_parse("h:65536", host, &port, 1, &cause), -1);
	free(cause);
	assert_int_equal(hp_parse("h:", host, &port, 1, &cause), -1);
	free(cause);
}

static void
test_hostport_bad(void **state)
{
	char host[UTIL_HOST_MAX], *cause;
	uint16_t port;
	size_t i;
	int zero;

	(void)state;
	for (i = 0; i < sizeof hp_bad / sizeof hp_bad[0]; i++) {
		for (zero = 0; zero <= 1; zero++) {
			if (hp_parse(hp_bad[i], host, &port, zero, &cause) !=
			    -1)
				fail_msg("'%s' accepted as '%s' port %u",
				    hp_bad[i], host, port);
			if (cause == NULL || *cause == '\0')
				fail_msg("'%s': no cause", hp_bad[i]);
			free(cause);
		}
	}
}

static void
test_hostport_long_host(void **state)
{
	char s[400], host[UTIL_HOST_MAX], *cause;
	uint16_t port;

	(void)state;
	/* The longest host that fits, with its NUL. */
	memset(s, 'a', UTIL_HOST_MAX - 1);
	strcpy(s + UTIL_HOST_MAX - 1, ":9");
	assert_int_equal(hp_parse(s, host, &port, 0, &cause), 0);
	assert_int_equal(strlen(host), UTIL_HOST_MAX - 1);
	assert_int_equal(port, 9);
	/* One more does not. */
	memset(s, 'a', UTIL_HOST_MAX);
	strcpy(s + UTIL_HOST_MAX, ":9");
	assert_int_equal(hp_parse(s, host, &port, 0, &cause), -1);
	assert_non_null(cause);
	free(cause);
	/* 300 characters, plain and in brackets. */
	memset(s, 'b', 300);
	strcpy(s + 300, ":7070");
	assert_int_equal(hp_parse(s, host, &port, 0, &cause), -1);
	assert_non_null(cause);
	free(cause);
	s[0] = '[';
	s[5] = ':';
	strcpy(s + 300, "]:7070");
	assert_int_equal(hp_parse(s, host, &port, 0, &cause), -1);
	assert_non_null(cause);
	free(cause);
}

/* Edit distance. */

static void
test_distance(void **state)
{
	static const struct {
		const char *a, *b;
		size_t d;
	} cases[] = {
		{ "", "", 0 },
		{ "", "abc", 3 },
		{ "abc", "abc", 0 },
		{ "a", "b", 1 },
		{ "kitten", "sitting", 3 },
		{ "flaw", "lawn", 2 },
		{ "peer_widht", "peer_width", 2 },
		{ "colour", "color", 1 },
		{ "nick", "nickname", 4 },
		{ "abcdef", "azced", 3 },
		{ "sunday", "saturday", 3 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(
		    util_distance(cases[i].a, cases[i].b), cases[i].d);
		assert_int_equal(
		    util_distance(cases[i].b, cases[i].a), cases[i].d);
	}
}

/* Transfer rates: a counter that restarts in a new phase (hashing 2 GiB,
 * then sending from 0) gave 1.2 EiB/s, halving each second. */
static void
test_rate(void **state)
{
	struct util_rate r;

	(void)state;
	memset(&r, 0, sizeof r);
	assert_true(util_rate_sample(&r, 0, 0, 1000) == 0);
	assert_true(util_rate_sample(&r, 0, 1000000, 2000) == 1000000);
	assert_true(util_rate_sample(&r, 0, 2000000000, 3000) > 1e8);
	/* Sending starts: bytes back to 0 in a new phase. */
	assert_true(util_rate_sample(&r, 1, 0, 4000) == 0);
	assert_true(util_rate_sample(&r, 1, 500000, 5000) == 500000);
	assert_true(util_rate_sample(&r, 1, 1000000, 6000) == 500000);
	/* The same phase restarted from 0 (a resume): no wrap-around. */
	assert_true(util_rate_sample(&r, 1, 100, 7000) == 0);
	assert_true(util_rate_sample(&r, 1, 100, 8000) == 0);
	/* Stalled: decays, then 0 below 1 byte per second. */
	assert_true(util_rate_sample(&r, 1, 1100, 9000) == 1000);
	assert_true(util_rate_sample(&r, 1, 1100, 10000) == 500);
	/* Two samples in the same millisecond keep the rate. */
	assert_true(util_rate_sample(&r, 1, 1200, 10000) == 500);
}

/* Long messages split at spaces, or inside a long word at a character. */
static void
test_text_cut(void **state)
{
	static const struct {
		const char *s;
		size_t max, cut, next;
	} cases[] = {
		{ "short", 10, 5, 5 },
		{ "exactly10!", 10, 10, 10 },
		{ "hello world again", 10, 5, 6 },
		{ "hello worl d", 10, 10, 11 }, /* the space just after */
		{ "one\ntwo three", 10, 7, 8 },
		{ "abcdefghijklmnop", 10, 10, 10 },
		/* "é" is 2 bytes at 9-10: cut before it. */
		{ "abcdefghi\xc3\xa9z", 10, 9, 9 },
		/* "😀" is 4 bytes at 8-11. */
		{ "abcdefgh\xf0\x9f\x98\x80z", 10, 8, 8 },
		{ " leading", 4, 4, 4 },
	};
	size_t i, next, cut;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cut = util_text_cut(
		    cases[i].s, strlen(cases[i].s), cases[i].max, &next);
		if (cut != cases[i].cut || next != cases[i].next)
			fail_msg("case %zu: cut %zu next %zu", i, cut, next);
	}
}

/* ~ expansion. */

struct env_save {
	char *home;
};

static void
env_save(struct env_save *e)
{
	const char *h = getenv("HOME");

	e->home = h != NULL ? strdup(h) : NULL;
}

static void
env_restore(struct env_save *e)
{
	if (e->home != NULL)
		setenv("HOME", e->home, 1);
	else
		unsetenv("HOME");
	free(e->home);
}

static void
check_expand(const char *in, const char *want)
{
	char *r = util_expand_home(in);

	assert_non_null(r);
	assert_string_equal(r, want);
	free(r);
}

static void
test_expand_home(void **state)
{
	struct env_save e;
	char *r;

	(void)state;
	env_save(&e);
	setenv("HOME", "/home/tester", 1);
	check_expand("~/a/b", "/home/tester/a/b");
	check_expand("~", "/home/tester");
	check_expand("~/", "/home/tester/");
	check_expand("~other/x", "~other/x");
	check_expand("/abs/~/x", "/abs/~/x");
	check_expand("rel/~", "rel/~");
	check_expand("", "");
	check_expand("~~", "~~");

	/* Without HOME the root stands in; never "(null)" or a "~". */
	unsetenv("HOME");
	r = util_expand_home("~/a");
	if (strcmp(r, "/a") != 0 && strcmp(r, "//a") != 0)
		fail_msg("HOME unset: '~/a' gave '%s'", r);
	free(r);
	setenv("HOME", "", 1);
	r = util_expand_home("~/a");
	if (strcmp(r, "/a") != 0 && strcmp(r, "//a") != 0)
		fail_msg("HOME empty: '~/a' gave '%s'", r);
	free(r);
	check_expand("/x", "/x");
	env_restore(&e);
}

/* mkdir -p. */

static void
assert_dir_mode(const char *path, mode_t mode)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, mode);
}

static void
test_mkdir_p(void **state)
{
	const char *dir;
	char *p, *q, *file;
	int fd;

	(void)state;
	dir = fixture_dir(state);
	umask(0);

	p = path_join(dir, "a/b/c");
	assert_int_equal(util_mkdir_p(p, 0750), 0);
	assert_dir_mode(p, 0750);
	q = path_join(dir, "a");
	assert_dir_mode(q, 0750);
	free(q);
	q = path_join(dir, "a/b");
	assert_dir_mode(q, 0750);
	free(q);
	/* Existing: fine, and the mode of existing ones is left alone. */
	assert_int_equal(util_mkdir_p(p, 0700), 0);
	assert_dir_mode(p, 0750);
	free(p);
	/* A trailing slash and doubled slashes. */
	p = path_join(dir, "a//d/e/");
	assert_int_equal(util_mkdir_p(p, 0700), 0);
	free(p);
	p = path_join(dir, "a/d/e");
	assert_dir_mode(p, 0700);
	free(p);
	assert_int_equal(util_mkdir_p("/", 0700), 0);

	/* A file in the way, at the end and in the middle. */
	file = path_join(dir, "file");
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd != -1);
	close(fd);
	errno = 0;
	assert_int_equal(util_mkdir_p(file, 0700), -1);
	assert_int_equal(errno, ENOTDIR);
	p = path_join(dir, "file/sub/dir");
	errno = 0;
	assert_int_equal(util_mkdir_p(p, 0700), -1);
	assert_int_equal(errno, ENOTDIR);
	free(p);
	free(file);

	/* Nothing to create. */
	errno = 0;
	assert_int_equal(util_mkdir_p("", 0700), -1);
	assert_true(errno != 0);
}

static void
test_mkdir_p_relative(void **state)
{
	const char *dir;
	char cwd[4096];

	(void)state;
	dir = fixture_dir(state);
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(util_mkdir_p("x/y", 0700), 0);
	assert_int_equal(util_mkdir_p("z", 0700), 0);
	assert_int_equal(chdir(cwd), 0);
	{
		char *p = path_join(dir, "x/y"), *q = path_join(dir, "z");
		struct stat sb;

		assert_int_equal(stat(p, &sb), 0);
		assert_true(S_ISDIR(sb.st_mode));
		assert_int_equal(stat(q, &sb), 0);
		assert_true(S_ISDIR(sb.st_mode));
		free(p);
		free(q);
	}
}

/* UTF-8. */

static const struct {
	const char *s;
	size_t len;
	int ok;
	const char *what;
} utf8_cases[] = {
	{ "", 0, 1, "empty" },
	{ "hello, world ~!", 15, 1, "ASCII" },
	{ " ", 1, 1, "space" },
	{ "caf\xc3\xa9 \xc3\xb1", 8, 1, "accented" },
	{ "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 9, 1, "CJK" },
	{ "\xf0\x9f\x98\x80", 4, 1, "emoji" },
	{ "\xc2\xa0", 2, 1, "U+00A0, first after C1" },
	{ "\xdf\xbf", 2, 1, "U+07FF" },
	{ "\xe0\xa0\x80", 3, 1, "U+0800" },
	{ "\xed\x9f\xbf", 3, 1, "U+D7FF" },
	{ "\xee\x80\x80", 3, 1, "U+E000" },
	{ "\xef\xbf\xbd", 3, 1, "U+FFFD" },
	{ "\xf0\x90\x80\x80", 4, 1, "U+10000" },
	{ "\xf4\x8f\xbf\xbf", 4, 1, "U+10FFFF" },

	{ "\0", 1, 0, "NUL" },
	{ "a\0b", 3, 0, "embedded NUL" },
	{ "\t", 1, 0, "tab" },
	{ "a\nb", 3, 0, "newline" },
	{ "\r", 1, 0, "CR" },
	{ "\x1b[31m", 5, 0, "escape" },
	{ "\x1f", 1, 0, "U+001F" },
	{ "\x7f", 1, 0, "DEL" },
	{ "\xc2\x80", 2, 0, "U+0080" },
	{ "\xc2\x85", 2, 0, "U+0085 NEL" },
	{ "\xc2\x9b", 2, 0, "U+009B CSI" },
	{ "\xc2\x9f", 2, 0, "U+009F" },
	{ "\xc0\x80", 2, 0, "overlong NUL" },
	{ "\xc1\xbf", 2, 0, "overlong U+007F" },
	{ "\xc0\xaf", 2, 0, "overlong /" },
	{ "\xe0\x80\x80", 3, 0, "overlong 3-byte NUL" },
	{ "\xe0\x9f\xbf", 3, 0, "overlong U+07FF" },
	{ "\xe0\x82\x85", 3, 0, "overlong 3-byte NEL" },
	{ "\xf0\x80\x80\x80", 4, 0, "overlong 4-byte NUL" },
	{ "\xf0\x8f\xbf\xbf", 4, 0, "overlong U+FFFF" },
	{ "\xed\xa0\x80", 3, 0, "U+D800" },
	{ "\xed\xbf\xbf", 3, 0, "U+DFFF" },
	{ "\xed\xa0\xbd\xed\xb8\x80", 6, 0, "surrogate pair (CESU)" },
	{ "\xf4\x90\x80\x80", 4, 0, "U+110000" },
	{ "\xf5\x80\x80\x80", 4, 0, "F5 lead" },
	{ "\xf7\xbf\xbf\xbf", 4, 0, "U+1FFFFF" },
	{ "\xf8\x88\x80\x80\x80", 5, 0, "5-byte form" },
	{ "\xfc\x84\x80\x80\x80\x80", 6, 0, "6-byte form" },
	{ "\xfe", 1, 0, "FE" },
	{ "\xff", 1, 0, "FF" },
	{ "\x80", 1, 0, "lone continuation" },
	{ "a\xbf", 2, 0, "stray continuation" },
	{ "\xc3", 1, 0, "truncated 2-byte" },
	{ "\xe6\x97", 2, 0, "truncated 3-byte" },
	{ "\xf0\x9f\x98", 3, 0, "truncated 4-byte" },
	{ "ok\xf0\x9f", 4, 0, "truncated at the end" },
	{ "\xe6\x97\x41", 3, 0, "ASCII where a continuation belongs" },
	{ "\xc3\xc3\xa9", 3, 0, "lead where a continuation belongs" },
	{ "\xf0\x9f\x98\x80\x80", 5, 0, "continuation after a complete one" },
};

static void
test_utf8_printable(void **state)
{
	uint8_t *copy;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++) {
		len = utf8_cases[i].len;
		copy = malloc(len != 0 ? len : 1);
		assert_non_null(copy);
		memcpy(copy, utf8_cases[i].s, len);
		if (util_utf8_printable(copy, len) != utf8_cases[i].ok)
			fail_msg("%s: want %s", utf8_cases[i].what,
			    utf8_cases[i].ok ? "accepted" : "rejected");
		free(copy);
	}
}

/* The length is respected: bytes after it are not looked at. */
static void
test_utf8_length_bound(void **state)
{
	const uint8_t s[] = "abc\n\xc3\xa9\x01";

	(void)state;
	assert_int_equal(util_utf8_printable(s, 3), 1);
	assert_int_equal(util_utf8_printable(s, 4), 0);
	/* A sequence cut by the length is truncated, not read past. */
	assert_int_equal(util_utf8_printable(s + 4, 1), 0);
	assert_int_equal(util_utf8_printable(s + 4, 2), 1);
	assert_int_equal(util_utf8_printable(s + 4, 3), 0);
}

/* Bidirectional controls are escaped, everything else kept byte for
 * byte; each control found by code point over the whole range. */
static void
test_bidi_escape(void **state)
{
	static const uint32_t bidi[] = { 0x061c, 0x200e, 0x200f, 0x202a, 0x202b,
		0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069 };
	const char *s = "abc\xe2\x80\xae"
	                "evil\xe2\x81\xa6x\xd8\x9c";
	char buf[8], *out;
	size_t n, k, found = 0, i;
	uint32_t cp, got;

	(void)state;
	out = util_bidi_escape(s, strlen(s), &n);
	assert_non_null(out);
	assert_string_equal(out, "abc<U+202E>evil<U+2066>x<U+061C>");
	assert_int_equal(n, strlen(out));
	free(out);
	/* Nothing to escape: NULL, also for neighbours of the controls. */
	s = "caf\xc3\xa9 \xe2\x80\x8d \xe2\x80\xaf \xe2\x81\xaa \xd8\x9b";
	assert_null(util_bidi_escape(s, strlen(s), &n));
	/* A truncated control at the end is not one. */
	assert_null(util_bidi_escape("\xe2\x80", 2, &n));
	for (cp = 0x80; cp < 0x10000; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		if (cp < 0x800) {
			buf[0] = (char)(0xc0 | (cp >> 6));
			buf[1] = (char)(0x80 | (cp & 0x3f));
			n = 2;
		} else {
			buf[0] = (char)(0xe0 | (cp >> 12));
			buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
			buf[2] = (char)(0x80 | (cp & 0x3f));
			n = 3;
		}
		k = util_bidi_at(buf, n, &got);
		for (i = 0; i < sizeof bidi / sizeof bidi[0]; i++) {
			if (bidi[i] == cp)
				break;
		}
		if (i < sizeof bidi / sizeof bidi[0]) {
			assert_int_equal(k, n);
			assert_int_equal(got, cp);
			found++;
		} else
			assert_int_equal(k, 0);
	}
	assert_int_equal(found, sizeof bidi / sizeof bidi[0]);
}

/* Every code point from U+0000 to U+10FFFF, encoded by the book. */
static void
test_utf8_all_code_points(void **state)
{
	uint8_t b[4];
	uint32_t cp;
	size_t n;
	int want;

	(void)state;
	for (cp = 0; cp <= 0x10ffff; cp++) {
		if (cp < 0x80) {
			b[0] = (uint8_t)cp;
			n = 1;
		} else if (cp < 0x800) {
			b[0] = (uint8_t)(0xc0 | cp >> 6);
			b[1] = (uint8_t)(0x80 | (cp & 0x3f));
			n = 2;
		} else if (cp < 0x10000) {
			b[0] = (uint8_t)(0xe0 | cp >> 12);
			b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
			b[2] = (uint8_t)(0x80 | (cp & 0x3f));
			n = 3;
		} else {
			b[0] = (uint8_t)(0xf0 | cp >> 18);
			b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
			b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
			b[3] = (uint8_t)(0x80 | (cp & 0x3f));
			n = 4;
		}
		want = !(cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ||
		    (cp >= 0xd800 && cp <= 0xdfff));
		if (util_utf8_printable(b, n) != want)
			fail_msg("U+%04X: want %s", (unsigned)cp,
			    want ? "accepted" : "rejected");
	}
}

/* The lock. */

/* Read one status byte the child sends, or fail. */
static char
read_byte(int fd)
{
	char c;

	assert_int_equal(read(fd, &c, 1), 1);
	return c;
}

static void
assert_lock_file_pid(const char *path, pid_t pid)
{
	char buf[64], want[64];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	assert_true(fd != -1);
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	snprintf(want, sizeof want, "%ld\n", (long)pid);
	assert_string_equal(buf, want);
}

static void
test_lock_basic(void **state)
{
	const char *dir;
	char *path, *cause = NULL;
	struct stat sb;
	int fd = -1, fd2 = -1;

	(void)state;
	dir = fixture_dir(state);
	path = path_join(dir, "lock");
	assert_int_equal(util_lock(path, &fd, &cause), 0);
	assert_null(cause);
	assert_true(fd >= 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_lock_file_pid(path, getpid());

	/* Closing the descriptor releases it. */
	close(fd);
	assert_int_equal(util_lock(path, &fd2, &cause), 0);
	assert_lock_file_pid(path, getpid());
	close(fd2);

	/* A stale file from a dead process, longer than our pid: replaced. */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd != -1);
	assert_int_equal(write(fd, "123456789012345\n", 16), 16);
	close(fd);
	assert_int_equal(util_lock(path, &fd, &cause), 0);
	assert_lock_file_pid(path, getpid());
	close(fd);
	free(path);

	/* A directory that does not exist. */
	path = path_join(dir, "missing/lock");
	assert_int_equal(util_lock(path, &fd, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, path));
	free(cause);
	free(path);
}

/* A symlink planted at the lock path is not followed. */
static void
test_lock_symlink(void **state)
{
	const char *dir;
	char *path, *target, *cause = NULL;
	struct stat sb;
	int fd = -1;

	(void)state;
	dir = fixture_dir(state);
	path = path_join(dir, "lock");
	target = path_join(dir, "target");
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(util_lock(path, &fd, &cause), -1);
	assert_non_null(cause);
	free(cause);
	assert_int_equal(lstat(target, &sb), -1);
	free(target);
	free(path);
}

/* Another process finds the lock held, and is told who holds it. */
static void
test_lock_held_by_parent(void **state)
{
	const char *dir;
	char *path, *cause = NULL, want[64];
	pid_t pid, parent = getpid();
	int fd = -1, fd2, status;

	SKIP_UNDER_VALGRIND();

	(void)state;
	dir = fixture_dir(state);
	path = path_join(dir, "lock");
	assert_int_equal(util_lock(path, &fd, &cause), 0);
	snprintf(want, sizeof want, "pid %ld", (long)parent);

	pid = fork();
	assert_true(pid != -1);
	if (pid > 0)
		((struct fixture *)*state)->child = pid;
	if (pid == 0) {
		/* No cmocka in the child: report through the exit status. */
		fd2 = -1;
		if (util_lock(path, &fd2, &cause) != -1)
			_exit(10);
		if (cause == NULL || strstr(cause, want) == NULL ||
		    strstr(cause, path) == NULL)
			_exit(11);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	((struct fixture *)*state)->child = 0;
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 10)
		fail_msg("second lock succeeded");
	if (WEXITSTATUS(status) == 11)
		fail_msg("cause lacks '%s' or the path", want);
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The failed attempt did not clobber the pid in the file. */
	assert_lock_file_pid(path, parent);
	close(fd);
	free(path);
}

/* The lock of a process that exits is free again. */
static void
test_lock_released_on_exit(void **state)
{
	const char *dir;
	char *path, *cause = NULL, want[64];
	int ready[2], go[2], fd = -1, status;
	pid_t pid;
	char c;

	SKIP_UNDER_VALGRIND();

	(void)state;
	dir = fixture_dir(state);
	path = path_join(dir, "lock");
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);

	pid = fork();
	assert_true(pid != -1);
	if (pid > 0)
		((struct fixture *)*state)->child = pid;
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		if (util_lock(path, &fd, &cause) == -1) {
			c = 'F';
			(void)write(ready[1], &c, 1);
			_exit(1);
		}
		c = 'L';
		(void)write(ready[1], &c, 1);
		/* Hold the lock until the parent closes its end. */
		(void)read(go[0], &c, 1);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read_byte(ready[0]), 'L');

	assert_int_equal(util_lock(path, &fd, &cause), -1);
	assert_non_null(cause);
	snprintf(want, sizeof want, "pid %ld", (long)pid);
	if (strstr(cause, want) == NULL)
		fail_msg("cause '%s' lacks '%s'", cause, want);
	free(cause);
	cause = NULL;

	close(go[1]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	((struct fixture *)*state)->child = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(ready[0]);

	assert_int_equal(util_lock(path, &fd, &cause), 0);
	assert_null(cause);
	assert_lock_file_pid(path, getpid());
	close(fd);
	free(path);
}

/* Killed rather than exiting: the kernel still drops the lock. */
static void
test_lock_released_on_kill(void **state)
{
	const char *dir;
	char *path, *cause = NULL;
	int ready[2], fd = -1, status;
	pid_t pid;
	char c;

	SKIP_UNDER_VALGRIND();

	(void)state;
	dir = fixture_dir(state);
	path = path_join(dir, "lock");
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid != -1);
	if (pid > 0)
		((struct fixture *)*state)->child = pid;
	if (pid == 0) {
		close(ready[0]);
		c = util_lock(path, &fd, &cause) == 0 ? 'L' : 'F';
		(void)write(ready[1], &c, 1);
		for (;;)
			pause();
	}
	close(ready[1]);
	assert_int_equal(read_byte(ready[0]), 'L');
	close(ready[0]);
	assert_int_equal(util_lock(path, &fd, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	((struct fixture *)*state)->child = 0;
	assert_true(WIFSIGNALED(status));
	assert_int_equal(util_lock(path, &fd, &cause), 0);
	close(fd);
	free(path);
}

/* Safe file names. */

/* util_safe_name() of s (copied to an exact allocation) equals want. */
static void
safe_is(const char *s, const char *want)
{
	char *copy = strdup(s), out[UTIL_NAME_MAX + 1],
	     again[UTIL_NAME_MAX + 1];

	assert_non_null(copy);
	assert_int_equal(util_safe_name(copy, out, sizeof out), 0);
	assert_string_equal(out, want);
	/* Idempotent, and always printable UTF-8. */
	assert_int_equal(util_safe_name(out, again, sizeof again), 0);
	assert_string_equal(again, out);
	assert_true(util_utf8_printable((const uint8_t *)out, strlen(out)));
	free(copy);
}

static void
test_safe_name(void **state)
{
	char big[2 * 300 + 1], odd[2 * 300 + 2], want[UTIL_NAME_MAX + 1];
	char out[16];
	size_t i;

	(void)state;
	safe_is("report.pdf", "report.pdf");
	safe_is("../../etc/passwd", "_.._.._etc_passwd");
	safe_is("a/b", "a_b");
	safe_is("a\\b", "a_b");
	safe_is("..", "_..");
	safe_is(".", "_.");
	safe_is(".hidden", "_.hidden");
	safe_is("\x01"
	        "bell",
	    "_bell");
	safe_is("tab\there\x7f", "tab_here_");
	safe_is("\xc2\x85nel", "__nel"); /* C1 control, 2 bytes */
	safe_is("bad\xff\xfe", "bad__");
	safe_is("trunc\xc3", "trunc_");
	safe_is("over\xc0\xaflong", "over__long");
	safe_is("caf\xc3\xa9 \xe2\x82\xac.txt", "caf\xc3\xa9 \xe2\x82\xac.txt");
	/* Bidirectional controls: "invoice<U+202E>fdp.exe" would be listed
	 * as "invoiceexe.pdf". One '_' each. */
	safe_is("invoice\xe2\x80\xae"
	        "fdp.exe",
	    "invoice_fdp.exe");
	safe_is("a\xe2\x81\xa6"
	        "b\xd8\x9c"
	        "c\xe2\x80\x8f",
	    "a_b_c_");
	safe_is("", "file");

	/* 300 x "é" (2 bytes): 100 whole characters, none cut. */
	for (i = 0; i < 300; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2);
	big[600] = '\0';
	memcpy(want, big, UTIL_NAME_MAX);
	want[UTIL_NAME_MAX] = '\0';
	safe_is(big, want);
	/* "x" then 300 x "é": 1 + 99 x 2 = 199 bytes, no half character. */
	odd[0] = 'x';
	memcpy(odd + 1, big, sizeof big);
	want[0] = 'x';
	memcpy(want + 1, big, 198);
	want[199] = '\0';
	safe_is(odd, want);

	/* outlen bounds the result too. */
	assert_int_equal(
	    util_safe_name("abcdefghijklmnop", out, sizeof out), 0);
	assert_string_equal(out, "abcdefghijklmno");
	assert_int_equal(util_safe_name("x", out, 7), -1);
}

static void
touch(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);

	assert_true(fd != -1);
	close(fd);
	free(p);
}

/* util_unique_path(dir, name) is dir/want, and does not exist. */
static void
unique_is(const char *dir, const char *name, const char *want)
{
	char *p = util_unique_path(dir, name), *w = path_join(dir, want);
	struct stat sb;

	assert_non_null(p);
	assert_string_equal(p, w);
	assert_int_equal(lstat(p, &sb), -1);
	assert_int_equal(errno, ENOENT);
	free(p);
	free(w);
}

static void
test_unique_path(void **state)
{
	const char *dir = fixture_dir(state);
	char *p;

	unique_is(dir, "x.txt", "x.txt");
	touch(dir, "x.txt");
	unique_is(dir, "x.txt", "x (1).txt");
	touch(dir, "x (1).txt");
	unique_is(dir, "x.txt", "x (2).txt");
	/* No extension; a leading dot is not one; the last dot is. */
	unique_is(dir, "notes", "notes");
	touch(dir, "notes");
	unique_is(dir, "notes", "notes (1)");
	touch(dir, "_.hidden");
	unique_is(dir, "_.hidden", "_ (1).hidden");
	touch(dir, ".rc");
	unique_is(dir, ".rc", ".rc (1)");
	touch(dir, "a.tar.gz");
	unique_is(dir, "a.tar.gz", "a.tar (1).gz");
	/* A dangling symlink is taken too: never write through one. */
	p = path_join(dir, "link");
	assert_int_equal(symlink("/nonexistent/p2ptui", p), 0);
	free(p);
	unique_is(dir, "link", "link (1)");
	/* Nothing was created. */
	p = path_join(dir, "x (2).txt");
	assert_int_equal(access(p, F_OK), -1);
	free(p);
	/* A directory that cannot be searched is an error, not a name. */
	p = path_join(dir, "file/x");
	touch(dir, "file");
	errno = 0;
	assert_null(util_unique_path(p, "y"));
	assert_int_equal(errno, ENOTDIR);
	free(p);
}

/* util_hex: lower case, two digits a byte, NUL-terminated. */
static void
test_hex(void **state)
{
	static const uint8_t v[] = { 0x00, 0x0f, 0xa5, 0xff };
	char out[2 * sizeof v + 2];

	(void)state;
	memset(out, 'x', sizeof out);
	util_hex(v, sizeof v, out);
	assert_string_equal(out, "000fa5ff");
	util_hex(v, 0, out);
	assert_string_equal(out, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_base32_vectors),
		cmocka_unit_test(test_base32_round_trip),
		cmocka_unit_test(test_base32_wrong_length),
		cmocka_unit_test(test_base32_bad_characters),
		cmocka_unit_test(test_base32_trailing_bits),
		cmocka_unit_test(test_hostport_good),
		cmocka_unit_test(test_hostport_port_zero),
		cmocka_unit_test(test_hostport_bad),
		cmocka_unit_test(test_hostport_long_host),
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_text_cut),
		cmocka_unit_test(test_expand_home),
		cmocka_unit_test_setup_teardown(
		    test_mkdir_p, fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(
		    test_mkdir_p_relative, fs_setup, fs_teardown),
		cmocka_unit_test(test_utf8_printable),
		cmocka_unit_test(test_utf8_length_bound),
		cmocka_unit_test(test_utf8_all_code_points),
		cmocka_unit_test(test_bidi_escape),
		cmocka_unit_test_setup_teardown(
		    test_lock_basic, fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(
		    test_lock_symlink, fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(
		    test_lock_held_by_parent, fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(
		    test_lock_released_on_exit, fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(
		    test_lock_released_on_kill, fs_setup, fs_teardown),
		cmocka_unit_test(test_safe_name),
		cmocka_unit_test_setup_teardown(
		    test_unique_path, fs_setup, fs_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
