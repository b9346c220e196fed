/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the pure parts of net.c: address text, prefixes for
 * per-source limits and the "peers can dial" list.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net.h"

static void
test_addr_str(void **state)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	char out[NET_ADDRSTRLEN];

	(void)state;
	memset(&s4, 0, sizeof s4);
	s4.sin_family = AF_INET;
	s4.sin_port = htons(7070);
	inet_pton(AF_INET, "192.0.2.1", &s4.sin_addr);
	net_addr_str((struct sockaddr *)&s4, out);
	assert_string_equal(out, "192.0.2.1:7070");
	net_addr_host((struct sockaddr *)&s4, out);
	assert_string_equal(out, "192.0.2.1");

	memset(&s6, 0, sizeof s6);
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(1);
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	net_addr_str((struct sockaddr *)&s6, out);
	assert_string_equal(out, "[2001:db8::1]:1");
}

/* The prefix of text address a, masked to v4bits / v6bits. */
static void
prefix_of(const char *a, int v4bits, int v6bits, uint8_t *out)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;

	memset(&s4, 0, sizeof s4);
	memset(&s6, 0, sizeof s6);
	if (inet_pton(AF_INET, a, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		net_addr_prefix((struct sockaddr *)&s4, v4bits, v6bits, out);
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, a, &s6.sin6_addr), 1);
	s6.sin6_family = AF_INET6;
	net_addr_prefix((struct sockaddr *)&s6, v4bits, v6bits, out);
}

/* Do a and b fall in the same prefix? */
static int
same_prefix(const char *a, const char *b, int v4bits, int v6bits)
{
	uint8_t pa[NET_PREFIXLEN], pb[NET_PREFIXLEN];

	prefix_of(a, v4bits, v6bits, pa);
	prefix_of(b, v4bits, v6bits, pb);
	return memcmp(pa, pb, NET_PREFIXLEN) == 0;
}

static void
test_addr_prefix(void **state)
{
	(void)state;
	assert_true(same_prefix("192.0.2.1", "192.0.2.200", 24, 64));
	assert_false(same_prefix("192.0.2.1", "192.0.3.1", 24, 64));
	assert_false(same_prefix("192.0.2.1", "192.0.2.2", 32, 64));
	assert_true(same_prefix("10.1.2.3", "10.1.127.3", 17, 64));
	assert_false(same_prefix("10.1.2.3", "10.1.130.3", 17, 64));
	assert_true(
	    same_prefix("2001:db8:1:2::1", "2001:db8:1:2:ff::9", 24, 64));
	assert_false(same_prefix("2001:db8:1:2::1", "2001:db8:1:3::1", 24, 64));
	assert_true(same_prefix("2001:db8:1:2::1", "2001:db8:1:3::1", 24, 48));
	/* An IPv4-mapped address is the IPv4 address, not an IPv6 one. */
	assert_true(same_prefix("::ffff:192.0.2.1", "192.0.2.9", 24, 64));
	assert_false(same_prefix("::ffff:192.0.2.1", "192.0.2.9", 32, 128));
	/* The families never mix, even with everything masked. */
	assert_false(same_prefix("0.0.0.0", "::", 0, 0));
}

/* Every ", "-separated item ends with :port and is not loopback. */
static void
assert_items(const char *s, const char *port)
{
	char copy[512], *item, *save;

	strncpy(copy, s, sizeof copy - 1);
	copy[sizeof copy - 1] = '\0';
	for (item = strtok_r(copy, ",", &save); item != NULL;
	     item = strtok_r(NULL, ",", &save)) {
		while (*item == ' ')
			item++;
		assert_true(strlen(item) > strlen(port));
		assert_string_equal(item + strlen(item) - strlen(port), port);
		assert_null(strstr(item, "127.0.0.1"));
		assert_null(strstr(item, "[::1]"));
	}
}

static void
test_reachable(void **state)
{
	char out[256], small[12];

	(void)state;
	/* A specific address is where peers reach us. */
	net_reachable("192.0.2.7:9", out, sizeof out);
	assert_string_equal(out, "192.0.2.7:9");
	net_reachable("127.0.0.1:5", out, sizeof out);
	assert_string_equal(out, "127.0.0.1:5");
	/* A wildcard lists the machine's addresses (or itself if none). */
	net_reachable("0.0.0.0:7070", out, sizeof out);
	assert_items(out, ":7070");
	net_reachable("[::]:7071", out, sizeof out);
	assert_items(out, ":7071");
	/* Malformed input is copied, not parsed further. */
	net_reachable("nonsense", out, sizeof out);
	assert_string_equal(out, "nonsense");
	/* A short buffer is never overrun and stays terminated. */
	memset(small, 'x', sizeof small);
	net_reachable("0.0.0.0:7070", small, sizeof small);
	assert_true(memchr(small, '\0', sizeof small) != NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_str),
		cmocka_unit_test(test_reachable),
		cmocka_unit_test(test_addr_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
