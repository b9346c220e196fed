/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the byte buffers (src/buf.c). Every test checks the
 * bytes that come out against a pattern generator, so a lost, repeated
 * or shifted byte anywhere (growth, compaction, reset) is caught.
 */
#include <fcntl.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "valgrind_skip.h"

/* Byte i of the test stream: not periodic in any power of two. */
static uint8_t
pattern(size_t i)
{
	return (uint8_t)((i * 131 + (i >> 8) * 7 + 11) % 251);
}

static void
fill(uint8_t *p, size_t start, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = pattern(start + i);
}

/* Assert the unread bytes of b are the stream from start. */
static void
check_stream(const struct buf *b, size_t start)
{
	const uint8_t *p = buf_head(b);
	size_t i, n = buf_used(b);

	for (i = 0; i < n; i++) {
		if (p[i] != pattern(start + i))
			fail_msg("byte %zu of %zu (stream offset %zu): got %u, "
			         "want %u",
			    i, n, start + i, p[i], pattern(start + i));
	}
}

static void
check_invariants(const struct buf *b)
{
	assert_true(b->off <= b->len);
	assert_true(b->len <= b->hw);
	assert_true(b->hw <= b->cap);
}

/* Append n bytes of the stream starting at start. */
static void
append_stream(struct buf *b, size_t start, size_t n)
{
	uint8_t *tmp = malloc(n != 0 ? n : 1);

	assert_non_null(tmp);
	fill(tmp, start, n);
	buf_append(b, tmp, n);
	free(tmp);
	check_invariants(b);
}

/* Run fn(b) in a child; assert it died through fatal() (exit 2). */
static void
expect_fatal(void (*fn)(struct buf *), struct buf *b)
{
	pid_t pid;
	int status, fd;

	SKIP_UNDER_VALGRIND();
	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		fd = open("/dev/null", O_WRONLY);
		if (fd != -1)
			dup2(fd, STDERR_FILENO);
		fn(b);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 2);
}

static void
test_init_empty(void **state)
{
	struct buf b;

	(void)state;
	memset(&b, 0xa5, sizeof b);
	buf_init(&b);
	assert_null(b.data);
	assert_int_equal(buf_used(&b), 0);
	assert_int_equal(b.off, 0);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	/* Appending nothing allocates nothing. */
	buf_append(&b, "x", 0);
	assert_null(b.data);
	buf_free(&b);
	buf_free(&b); /* twice is harmless */
	assert_null(b.data);
}

static void
test_append_consume(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	buf_append(&b, "hello", 5);
	assert_int_equal(buf_used(&b), 5);
	assert_memory_equal(buf_head(&b), "hello", 5);
	buf_append(&b, ", world", 7);
	assert_int_equal(buf_used(&b), 12);
	assert_memory_equal(buf_head(&b), "hello, world", 12);

	buf_consume(&b, 3);
	assert_int_equal(buf_used(&b), 9);
	assert_memory_equal(buf_head(&b), "lo, world", 9);
	buf_consume(&b, 0);
	assert_int_equal(buf_used(&b), 9);
	buf_append(&b, "!", 1);
	assert_memory_equal(buf_head(&b), "lo, world!", 10);
	check_invariants(&b);
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(buf_used(&b), 0);
	assert_int_equal(b.cap, 0);
}

static void
test_reserve_commit(void **state)
{
	struct buf b;
	uint8_t *p, *q;
	size_t cap;

	(void)state;
	buf_init(&b);
	buf_append(&b, "ab", 2);

	p = buf_reserve(&b, 100);
	assert_non_null(p);
	/* Reserving does not change the contents. */
	assert_int_equal(buf_used(&b), 2);
	assert_ptr_equal(p, buf_head(&b) + 2);
	assert_true(b.cap - b.len >= 100);
	memcpy(p, "cdef", 4);
	buf_commit(&b, 4);
	assert_int_equal(buf_used(&b), 6);
	assert_memory_equal(buf_head(&b), "abcdef", 6);

	/* A reserve that fits returns the same place and does not grow. */
	cap = b.cap;
	p = buf_reserve(&b, 10);
	q = buf_reserve(&b, 10);
	assert_ptr_equal(p, q);
	assert_int_equal(b.cap, cap);
	buf_commit(&b, 0);
	assert_int_equal(buf_used(&b), 6);

	/* Commit less than reserved, in pieces. */
	p = buf_reserve(&b, 3000);
	assert_true(b.cap - b.len >= 3000);
	assert_memory_equal(buf_head(&b), "abcdef", 6);
	memcpy(p, "gh", 2);
	buf_commit(&b, 1);
	buf_commit(&b, 1);
	assert_memory_equal(buf_head(&b), "abcdefgh", 8);
	check_invariants(&b);
	buf_free(&b);
}

/* Many small appends of varying size, all checked, never reallocated
 * more than logarithmically often. */
static void
test_growth_many_appends(void **state)
{
	struct buf b;
	size_t total = 0, n, i, grows = 0, cap;

	(void)state;
	buf_init(&b);
	for (i = 0; total < 1000000; i++) {
		n = (i * 37) % 1500 + 1;
		cap = b.cap;
		append_stream(&b, total, n);
		if (b.cap != cap)
			grows++;
		total += n;
		assert_int_equal(buf_used(&b), total);
	}
	check_stream(&b, 0);
	/* Doubling: about log2(1000000 / 1024) + 1 reallocations. */
	assert_true(grows <= 12);
	assert_true(b.cap >= total);
	assert_true(b.cap < 4 * total);
	buf_free(&b);
}

/* Consumed space is reused: the unread bytes move to the front. */
static void
test_compaction(void **state)
{
	struct buf b;
	uint8_t *p;
	size_t cap;

	(void)state;
	buf_init(&b);
	append_stream(&b, 0, 1000);
	cap = b.cap;
	assert_true(cap >= 1000);
	/* Fill to the brim so the next append cannot fit at the end. */
	append_stream(&b, 1000, cap - 1000);
	assert_int_equal(b.len, cap);
	buf_consume(&b, 900);
	assert_int_equal(b.off, 900);
	assert_int_equal(buf_used(&b), cap - 900);

	append_stream(&b, cap, 500);
	/* Room was made by moving, not by growing. */
	assert_int_equal(b.cap, cap);
	assert_int_equal(b.off, 0);
	assert_int_equal(b.len, cap - 900 + 500);
	assert_int_equal(buf_used(&b), cap - 400);
	check_stream(&b, 900);

	/* The same through reserve/commit. */
	buf_consume(&b, 300);
	p = buf_reserve(&b, 300 + (cap - b.len));
	assert_int_equal(b.cap, cap);
	assert_int_equal(b.off, 0);
	assert_ptr_equal(p, b.data + b.len);
	fill(p, cap + 500, 300);
	buf_commit(&b, 300);
	check_stream(&b, 1200);
	assert_int_equal(buf_used(&b), cap - 400);

	/* Compaction that is not enough: grows and keeps the data. */
	buf_consume(&b, 10);
	append_stream(&b, cap + 800, cap);
	assert_true(b.cap > cap);
	assert_int_equal(b.off, 0);
	check_stream(&b, 1210);
	assert_int_equal(buf_used(&b), cap - 410 + cap);
	buf_free(&b);
}

/* A queue drained about as fast as it is filled stays small. */
static void
test_steady_state_stays_small(void **state)
{
	struct buf b;
	size_t in = 0, out = 0, i, n;

	(void)state;
	buf_init(&b);
	append_stream(&b, 0, 300);
	in = 300;
	for (i = 0; i < 20000; i++) {
		n = 400 + i % 200;
		append_stream(&b, in, n);
		in += n;
		/* Keep a backlog, so consume never resets to empty. */
		assert_int_equal(buf_head(&b)[0], pattern(out));
		buf_consume(&b, n);
		out += n;
		assert_int_equal(buf_used(&b), in - out);
		assert_true(buf_used(&b) > 0);
	}
	check_stream(&b, out);
	assert_true(b.cap <= 2048);
	buf_free(&b);
}

static void
test_consume_to_empty_resets(void **state)
{
	struct buf b;
	uint8_t *data;
	size_t cap;

	(void)state;
	buf_init(&b);
	append_stream(&b, 0, 700);
	buf_consume(&b, 200);
	buf_consume(&b, 500);
	assert_int_equal(buf_used(&b), 0);
	assert_int_equal(b.off, 0);
	assert_int_equal(b.len, 0);
	/* The memory is kept for reuse. */
	assert_non_null(b.data);
	data = b.data;
	cap = b.cap;
	/* Now the whole capacity is available without moving. */
	append_stream(&b, 5000, cap);
	assert_ptr_equal(b.data, data);
	assert_int_equal(b.cap, cap);
	check_stream(&b, 5000);
	buf_consume(&b, cap);
	assert_int_equal(b.off, 0);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

static void
test_large_appends(void **state)
{
	struct buf b;
	size_t big = 10 * 1024 * 1024 + 17;

	(void)state;
	buf_init(&b);
	append_stream(&b, 0, 3);
	append_stream(&b, 3, big);
	assert_int_equal(buf_used(&b), big + 3);
	assert_true(b.cap >= big + 3);
	append_stream(&b, big + 3, 1);
	check_stream(&b, 0);
	buf_consume(&b, big);
	check_stream(&b, big);
	assert_int_equal(buf_used(&b), 4);
	/* A single reserve far beyond the capacity. */
	buf_consume(&b, 1);
	assert_non_null(buf_reserve(&b, 3 * big));
	assert_true(b.cap - b.len >= 3 * big);
	check_stream(&b, big + 1);
	assert_int_equal(buf_used(&b), 3);
	buf_free(&b);
}

static void
consume_too_much(struct buf *b)
{
	buf_consume(b, buf_used(b) + 1);
}

static void
commit_too_much(struct buf *b)
{
	buf_reserve(b, 10);
	buf_commit(b, b->cap - b->len + 1);
}

static void
reserve_overflow(struct buf *b)
{
	buf_reserve(b, SIZE_MAX - 8);
}

/* Misuse is a bug, and bugs are fatal rather than memory corruption. */
/* Minor page faults of this process so far. */
static long
minor_faults(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_minflt;
}

/*
 * Freeing wipes what held data, not the untouched rest of a big
 * reservation: a socket read reserves 256 KiB and gets a few bytes, and
 * wiping the whole block once faulted in every page of it (64 MiB here).
 * Everything committed is still wiped (the high-water mark), even after
 * it was consumed.
 */
static void
test_free_wipes_only_what_was_used(void **state)
{
	struct buf b;
	long before;
	int i;

	(void)state;
	SKIP_UNDER_VALGRIND();
	/* A fixed threshold: each block is a fresh mmap, as it would be
	 * for a process holding many (glibc's moving threshold would
	 * otherwise hand the same warm block back every time). */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	before = minor_faults();
	for (i = 0; i < 256; i++) {
		buf_init(&b);
		buf_reserve(&b, 256 * 1024);
		append_stream(&b, 0, 100);
		check_stream(&b, 0);
		buf_consume(&b, 100);
		assert_true(b.hw == 100);
		buf_free(&b);
	}
	/* A few pages each (sanitizers add their shadow), not 64. */
	assert_true(minor_faults() - before < 256 * 24);
}

static void
test_misuse_is_fatal(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	expect_fatal(consume_too_much, &b);
	buf_append(&b, "abc", 3);
	expect_fatal(consume_too_much, &b);
	expect_fatal(commit_too_much, &b);
	expect_fatal(reserve_overflow, &b);
	/* The parent's buffer is untouched. */
	assert_memory_equal(buf_head(&b), "abc", 3);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_empty),
		cmocka_unit_test(test_append_consume),
		cmocka_unit_test(test_reserve_commit),
		cmocka_unit_test(test_growth_many_appends),
		cmocka_unit_test(test_compaction),
		cmocka_unit_test(test_steady_state_stays_small),
		cmocka_unit_test(test_consume_to_empty_resets),
		cmocka_unit_test(test_large_appends),
		cmocka_unit_test(test_free_wipes_only_what_was_used),
		cmocka_unit_test(test_misuse_is_fatal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
