/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Sizes, rates, durations and bars for people (fmt.h). Integer arithmetic
 * wherever it can be exact, so results do not depend on rounding modes or
 * on the locale's decimal point.
 */
#include <stdio.h>
#include <string.h>

#include "fmt.h"

static const char *fmt_units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB",
	"EiB" };
#define FMT_NUNITS (sizeof fmt_units / sizeof fmt_units[0])

/* Tenths of n / d, rounded to the nearest; d is at most 2^60, so the
 * remainder times 10 cannot overflow. */
static uint64_t
fmt_tenths(uint64_t n, uint64_t d)
{
	return n / d * 10 + (n % d * 10 + d / 2) / d;
}

void
fmt_size(uint64_t bytes, char *buf, size_t len)
{
	uint64_t d = 1024, whole, tenths;
	size_t k = 1;

	if (len == 0)
		return;
	if (bytes < 1024) {
		snprintf(buf, len, "%u B", (unsigned)bytes);
		return;
	}
	while (k < FMT_NUNITS - 1 && bytes / d >= 1024) {
		d *= 1024;
		k++;
	}
	tenths = fmt_tenths(bytes, d);
	if (tenths < 100) {
		snprintf(buf, len, "%u.%u %s", (unsigned)(tenths / 10),
		    (unsigned)(tenths % 10), fmt_units[k]);
		return;
	}
	whole = bytes / d + (bytes % d >= d / 2);
	if (whole >= 1024 && k < FMT_NUNITS - 1) {
		/* 1023.6 KiB is 1.0 MiB, not 1024 KiB. */
		d *= 1024;
		k++;
		tenths = fmt_tenths(bytes, d);
		snprintf(buf, len, "%u.%u %s", (unsigned)(tenths / 10),
		    (unsigned)(tenths % 10), fmt_units[k]);
		return;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)whole, fmt_units[k]);
}

void
fmt_rate(double bytes_per_sec, char *buf, size_t len)
{
	char size[FMT_SIZE_LEN];
	uint64_t n;

	if (!(bytes_per_sec > 0)) /* also NaN */
		n = 0;
	else if (bytes_per_sec >= 1.8e19)
		n = UINT64_MAX;
	else
		n = (uint64_t)(bytes_per_sec + 0.5);
	fmt_size(n, size, sizeof size);
	snprintf(buf, len, "%s/s", size);
}

void
fmt_duration(uint64_t seconds, char *buf, size_t len)
{
	uint64_t h = seconds / 3600;
	unsigned m = (unsigned)(seconds % 3600 / 60),
	         s = (unsigned)(seconds % 60);

	if (h == 0)
		snprintf(buf, len, "%u:%02u", m, s);
	else
		snprintf(
		    buf, len, "%llu:%02u:%02u", (unsigned long long)h, m, s);
}

int
fmt_eta(uint64_t remaining, double rate, char *buf, size_t len)
{
	double secs;
	uint64_t n;

	if (!(rate > 0)) {
		if (len > 0)
			buf[0] = '\0';
		return -1;
	}
	secs = (double)remaining / rate;
	if (secs > 1e12) /* some 30000 years: enough to say "forever" */
		secs = 1e12;
	/* Rounded up: "0:00 left" only when nothing is. */
	n = (uint64_t)secs;
	if ((double)n < secs)
		n++;
	fmt_duration(n, buf, len);
	return 0;
}

unsigned
fmt_percent(uint64_t done, uint64_t total)
{
	double pct;

	if (done >= total)
		return 100;
	pct = (double)done * 100.0 / (double)total;
	/* Rounding in double must not claim a complete transfer. */
	return pct >= 99.0 ? 99 : (unsigned)pct;
}

size_t
fmt_bar(uint64_t done, uint64_t total, int cells, const char *fill,
    const char *empty, char *buf, size_t len)
{
	size_t used = 0, flen = strlen(fill), elen = strlen(empty), need;
	int i, full;

	if (len == 0)
		return 0;
	if (cells < 0)
		cells = 0;
	if (done >= total)
		full = cells;
	else {
		full = (int)((double)done / (double)total * cells);
		if (full >= cells)
			full = cells - 1;
		if (full < 0)
			full = 0;
	}
	buf[0] = '\0';
	if (len < 2)
		return 0;
	buf[used++] = '[';
	for (i = 0; i < cells; i++) {
		need = i < full ? flen : elen;
		if (used + need + 2 > len)
			break;
		memcpy(buf + used, i < full ? fill : empty, need);
		used += need;
	}
	if (used + 2 <= len)
		buf[used++] = ']';
	buf[used] = '\0';
	return used;
}
