/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Small pure helpers shared by several modules: base32, host:port
 * parsing, edit distance, paths.
 */
#ifndef P2PTUI_UTIL_H
#define P2PTUI_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define UTIL_HOST_MAX 256

/* Characters needed to base32-encode n bytes (no padding). */
size_t util_base32_len(size_t n);
/* RFC 4648 alphabet, lowercase, no padding; out holds len + 1 bytes. */
void util_base32_encode(const uint8_t *in, size_t n, char *out);
/*
 * Decode exactly n bytes from s (case-insensitive). The length must be
 * exact and unused trailing bits zero, so every value has one text form.
 */
int util_base32_decode(const char *s, uint8_t *out, size_t n);

/*
 * Parse "HOST:PORT" or "[IPV6]:PORT" into host and port. Port 0 is
 * accepted only if allow_zero. -1 with *cause (caller frees) if malformed.
 */
int util_parse_hostport(const char *s, char host[UTIL_HOST_MAX], uint16_t *port,
    int allow_zero, char **cause);

/* Levenshtein distance (for "did you mean"). */
size_t util_distance(const char *, const char *);

/*
 * A smoothed rate of a byte counter, sampled about once a second. The
 * counter belongs to a phase (e.g. hashing, then sending): a new phase,
 * or a counter that went back (a restart from 0), starts a new baseline
 * instead of comparing unrelated numbers.
 */
struct util_rate {
	uint64_t bytes, ms; /* the last sample; ms 0: none yet */
	int phase;
	double rate; /* per second, smoothed; 0 while unknown or idle */
};
/* Add a sample (now_ms > 0) and return the new rate. */
double util_rate_sample(
    struct util_rate *, int phase, uint64_t bytes, uint64_t now_ms);

/*
 * Where to cut text longer than max bytes into messages, as irssi does:
 * the first part ends at the last space or newline that leaves it at
 * most max bytes (the separator is dropped), or, in a word longer than
 * that, at the last UTF-8 character boundary. Returns the first part's
 * length (1 to max, or len if len <= max); *next is where the rest
 * starts.
 */
size_t util_text_cut(const char *s, size_t len, size_t max, size_t *next);

/* Expand a leading "~/" with $HOME; returns an allocated string. */
char *util_expand_home(const char *path);
/* mkdir -p with mode for each directory created. -1 with errno. */
int util_mkdir_p(const char *path, mode_t mode);

/* 1 if s is valid UTF-8 without control characters. */
int util_utf8_printable(const uint8_t *s, size_t len);
/* The same, but line feeds (U+000A) are allowed: chat text. */
int util_utf8_text(const uint8_t *s, size_t len);

/*
 * Bidirectional controls (U+202A-202E, U+2066-2069, U+200E, U+200F,
 * U+061C) would let a peer reorder what is shown around them, so every
 * frontend shows them escaped as "<U+202E>". The one sanitiser:
 * util_bidi_at() gives the bytes of the control at s (n bytes), storing
 * its code point, or 0 if s does not start with one.
 */
#define UTIL_BIDI_ESC_LEN 8 /* "<U+202E>" */
size_t util_bidi_at(const char *s, size_t n, uint32_t *cp);
/* s (n bytes) with every bidirectional control escaped, allocated with
 * its length in *outlen; NULL if there is none (use s as it is). */
char *util_bidi_escape(const char *s, size_t n, size_t *outlen);

/*
 * Take an exclusive lock on path (created 0600) and write our pid in it.
 * The kernel drops the lock when the process dies, so a stale file never
 * blocks. -1 with *cause naming the holder's pid if it is held.
 */
int util_lock(const char *path, int *fdp, char **cause);

#define UTIL_NAME_MAX 200
/*
 * A file name that is safe to create in the download directory, from a
 * name chosen by a peer: '/' and '\', control characters and invalid
 * UTF-8 become '_' (one per byte), a bidirectional control one '_' (it
 * could disguise the extension wherever the file is listed later), a
 * leading '.' gets a '_' before it (so
 * never ".", ".." or hidden), at most UTIL_NAME_MAX bytes (and outlen - 1)
 * without cutting a character, and "file" if nothing is left. -1 only if
 * outlen is below 8. Applying it to its own output changes nothing.
 */
int util_safe_name(const char *name, char *out, size_t outlen);
/*
 * dir/name, or, if that exists, dir/"stem (N).ext" for the first N that
 * does not; allocated. Nothing is created, so another process can take
 * the name in between: the caller opens it with O_CREAT | O_EXCL and
 * asks again on EEXIST. name should come from util_safe_name(). NULL
 * with errno if lstat() fails otherwise or 9999 names are taken.
 */
char *util_unique_path(const char *dir, const char *name);

/* A big-endian integer of n bytes (n <= 8) at p, and its encoding. */
uint64_t util_be_get(const uint8_t *p, size_t n);
void util_be_put(uint8_t *p, uint64_t v, size_t n);
/* The n bytes at v as 2n lower-case hex digits and a NUL, in out. */
void util_hex(const uint8_t *v, size_t n, char *out);

#endif
