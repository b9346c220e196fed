/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the formatting of amounts (src/fmt.c): sizes at every
 * unit boundary and rounding edge, rates, durations and time left,
 * percentages that reach 100 only when complete, bars in ASCII and
 * UTF-8, and that nothing writes past a short buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fmt.h"

#define KIB UINT64_C(1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)
#define TIB (GIB * 1024)
#define EIB (TIB * 1024 * 1024)

static void
check_size(uint64_t n, const char *want)
{
	char buf[FMT_SIZE_LEN];

	memset(buf, 'x', sizeof buf);
	fmt_size(n, buf, sizeof buf);
	if (strcmp(buf, want) != 0)
		fail_msg("fmt_size(%llu) = '%s', want '%s'",
		    (unsigned long long)n, buf, want);
}

static void
test_size(void **state)
{
	(void)state;
	check_size(0, "0 B");
	check_size(1, "1 B");
	check_size(1023, "1023 B");
	check_size(1024, "1.0 KiB");
	check_size(1536, "1.5 KiB");
	check_size(10 * KIB - 52, "9.9 KiB"); /* 9.949 */
	check_size(10 * KIB - 51, "10 KiB"); /* 9.950: rounds to 10.0 */
	check_size(10 * KIB, "10 KiB");
	check_size(100 * KIB + 511, "100 KiB");
	check_size(100 * KIB + 512, "101 KiB");
	check_size(1023 * KIB, "1023 KiB");
	check_size(1023 * KIB + 511, "1023 KiB");
	/* Never "1024 KiB": that is 1.0 MiB. */
	check_size(1023 * KIB + 512, "1.0 MiB");
	check_size(MIB - 1, "1.0 MiB");
	check_size(MIB, "1.0 MiB");
	check_size(MIB + MIB / 5, "1.2 MiB");
	check_size(312 * MIB, "312 MiB");
	check_size(GIB - 1, "1.0 GiB");
	check_size(GIB, "1.0 GiB");
	check_size(5 * TIB / 2, "2.5 TiB");
	check_size(UINT64_C(1) << 62, "4.0 EiB");
	check_size(UINT64_MAX, "16 EiB");
	(void)EIB;
}

static void
test_size_short_buffer(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof buf);
	fmt_size(312 * MIB, buf, 5);
	assert_string_equal(buf, "312 ");
	assert_int_equal(buf[5], 'x');
	fmt_size(312 * MIB, buf, 0); /* writes nothing at all */
	assert_int_equal(buf[0], '3');
}

static void
check_rate(double r, const char *want)
{
	char buf[FMT_SIZE_LEN];

	fmt_rate(r, buf, sizeof buf);
	if (strcmp(buf, want) != 0)
		fail_msg("fmt_rate(%g) = '%s', want '%s'", r, buf, want);
}

static void
test_rate(void **state)
{
	(void)state;
	check_rate(0, "0 B/s");
	check_rate(-5, "0 B/s");
	check_rate(0.0 / 0.0, "0 B/s");
	check_rate(0.4, "0 B/s");
	check_rate(0.6, "1 B/s");
	check_rate(2048, "2.0 KiB/s");
	check_rate(312.0 * 1024 * 1024, "312 MiB/s");
	check_rate(1e30, "16 EiB/s");
}

static void
check_duration(uint64_t s, const char *want)
{
	char buf[FMT_DURATION_LEN];

	fmt_duration(s, buf, sizeof buf);
	if (strcmp(buf, want) != 0)
		fail_msg("fmt_duration(%llu) = '%s', want '%s'",
		    (unsigned long long)s, buf, want);
}

static void
test_duration(void **state)
{
	(void)state;
	check_duration(0, "0:00");
	check_duration(3, "0:03");
	check_duration(62, "1:02");
	check_duration(3599, "59:59");
	check_duration(3600, "1:00:00");
	check_duration(3723, "1:02:03");
	check_duration(100 * 3600 + 1, "100:00:01");
}

static void
test_eta(void **state)
{
	char buf[FMT_DURATION_LEN];

	(void)state;
	assert_int_equal(fmt_eta(100, 0, buf, sizeof buf), -1);
	assert_string_equal(buf, "");
	assert_int_equal(fmt_eta(100, -1, buf, sizeof buf), -1);
	assert_int_equal(fmt_eta(100, 0.0 / 0.0, buf, sizeof buf), -1);
	assert_int_equal(fmt_eta(0, 10, buf, sizeof buf), 0);
	assert_string_equal(buf, "0:00");
	/* Rounded up: a byte left is a second left, not none. */
	assert_int_equal(fmt_eta(1, 1e9, buf, sizeof buf), 0);
	assert_string_equal(buf, "0:01");
	assert_int_equal(fmt_eta(300, 100, buf, sizeof buf), 0);
	assert_string_equal(buf, "0:03");
	assert_int_equal(fmt_eta(301, 100, buf, sizeof buf), 0);
	assert_string_equal(buf, "0:04");
	assert_int_equal(fmt_eta(3723 * MIB, MIB, buf, sizeof buf), 0);
	assert_string_equal(buf, "1:02:03");
	/* Absurdly slow: bounded, not garbage. */
	assert_int_equal(fmt_eta(UINT64_MAX, 1e-300, buf, sizeof buf), 0);
	assert_string_equal(buf, "277777777:46:40");
}

static void
test_percent(void **state)
{
	(void)state;
	assert_int_equal(fmt_percent(0, 100), 0);
	assert_int_equal(fmt_percent(57, 100), 57);
	assert_int_equal(fmt_percent(999, 1000), 99);
	assert_int_equal(fmt_percent(100, 100), 100);
	assert_int_equal(fmt_percent(200, 100), 100);
	assert_int_equal(fmt_percent(0, 0), 100); /* an empty file */
	/* One byte short of a huge file is still not complete. */
	assert_int_equal(
	    fmt_percent((UINT64_C(1) << 62) - 1, UINT64_C(1) << 62), 99);
	assert_int_equal(fmt_percent(UINT64_C(1) << 61, UINT64_C(1) << 62), 50);
}

static void
check_bar(uint64_t done, uint64_t total, int cells, const char *fill,
    const char *empty, const char *want)
{
	char buf[256];
	size_t n;

	n = fmt_bar(done, total, cells, fill, empty, buf, sizeof buf);
	if (strcmp(buf, want) != 0)
		fail_msg("fmt_bar(%llu, %llu, %d) = '%s', want '%s'",
		    (unsigned long long)done, (unsigned long long)total, cells,
		    buf, want);
	assert_int_equal(n, strlen(want));
}

static void
test_bar(void **state)
{
	char buf[8];

	(void)state;
	check_bar(0, 100, 10, "#", ".", "[..........]");
	check_bar(57, 100, 10, "#", ".", "[#####.....]");
	check_bar(99, 100, 10, "#", ".", "[#########.]");
	check_bar(999999, 1000000, 10, "#", ".", "[#########.]");
	check_bar(100, 100, 10, "#", ".", "[##########]");
	check_bar(0, 0, 4, "#", ".", "[####]");
	check_bar(5, 10, 0, "#", ".", "[]");
	check_bar(5, 10, -3, "#", ".", "[]");
	check_bar(1, 2, 4, "#", "\xc2\xb7", "[##\xc2\xb7\xc2\xb7]");

	/* Short buffers: truncated, terminated, never overrun. */
	memset(buf, 'x', sizeof buf);
	assert_int_equal(fmt_bar(1, 2, 20, "#", ".", buf, 6), 5);
	assert_string_equal(buf, "[###]");
	assert_int_equal(buf[6], 'x');
	/* A multibyte cell is never cut in half. */
	assert_int_equal(fmt_bar(0, 2, 20, "#", "\xc2\xb7", buf, 6), 4);
	assert_string_equal(buf, "[\xc2\xb7]");
	assert_int_equal(fmt_bar(0, 2, 20, "#", ".", buf, 1), 0);
	assert_string_equal(buf, "");
	buf[0] = 'x';
	assert_int_equal(fmt_bar(0, 2, 20, "#", ".", buf, 0), 0);
	assert_int_equal(buf[0], 'x');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_size_short_buffer),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_eta),
		cmocka_unit_test(test_percent),
		cmocka_unit_test(test_bar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
