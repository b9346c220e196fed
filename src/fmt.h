/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Pure formatting of amounts for people: sizes and rates in IEC units,
 * durations, percentages and progress bars. No curses and no locale: the
 * output is the same under every LC_NUMERIC, so screens and scripts can
 * compare it. Every function writes a NUL-terminated string that fits in
 * len bytes (truncated if len is too small, never overrun).
 */
#ifndef P2PTUI_FMT_H
#define P2PTUI_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Enough for any fmt_size() or fmt_rate() result. */
#define FMT_SIZE_LEN 16
/* Enough for any fmt_duration() result. */
#define FMT_DURATION_LEN 24

/*
 * "0 B" to "1023 B", then "1.0 KiB" to "9.9 KiB", "10 KiB" to "1023 KiB",
 * "1.0 MiB" and so on up to EiB: one decimal below 10, rounded to the
 * nearest, never "1024 KiB".
 */
void fmt_size(uint64_t bytes, char *buf, size_t len);
/* A rate in bytes per second as fmt_size() and "/s": "312 MiB/s". */
void fmt_rate(double bytes_per_sec, char *buf, size_t len);
/* "0:03", "59:59", then "1:00:00", "1:02:03" (hours are not capped). */
void fmt_duration(uint64_t seconds, char *buf, size_t len);
/*
 * The time left to move remaining bytes at rate, rounded up, as
 * fmt_duration(). -1 (and "") if the rate is not positive.
 */
int fmt_eta(uint64_t remaining, double rate, char *buf, size_t len);
/* done of total in whole percent, rounded down: 100 only when complete
 * (and for total 0). */
unsigned fmt_percent(uint64_t done, uint64_t total);
/*
 * "[" cells cells "]", filled in proportion to done of total (rounded
 * down: full only when complete), each cell fill or empty (which may be
 * multibyte UTF-8, one column each). Returns the bytes written.
 */
size_t fmt_bar(uint64_t done, uint64_t total, int cells, const char *fill,
    const char *empty, char *buf, size_t len);

#endif
