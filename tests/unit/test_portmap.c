/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * portmap.c: the port-mapping child's answer line and the renewal
 * schedule. The child's own work needs a router (a UPnP or NAT-PMP
 * gateway) and is not tested here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "portmap.h"

static void
test_parse_ok(void **state)
{
	struct portmap_result r;

	(void)state;
	assert_int_equal(portmap_parse("upnp 203.0.113.7 7070 3600", &r), 0);
	assert_int_equal(r.how, PORTMAP_UPNP);
	assert_string_equal(r.ip, "203.0.113.7");
	assert_int_equal(r.port, 7070);
	assert_int_equal(r.lease, 3600);
	assert_int_equal(
	    portmap_parse("natpmp 198.51.100.1 40001 7200", &r), 0);
	assert_int_equal(r.how, PORTMAP_NATPMP);
	assert_int_equal(r.port, 40001);
	assert_int_equal(r.lease, 7200);
	/* A permanent UPnP mapping. */
	assert_int_equal(portmap_parse("upnp 203.0.113.7 7070 0", &r), 0);
	assert_int_equal(r.lease, 0);
	assert_int_equal(portmap_parse("fail no UPnP gateway answered", &r), 0);
	assert_int_equal(r.how, PORTMAP_NONE);
	assert_string_equal(r.why, "no UPnP gateway answered");
}

static void
test_parse_bad(void **state)
{
	static const char *bad[] = {
		"",
		"upnp",
		"upnp 203.0.113.7",
		"upnp 203.0.113.7 7070",
		"upnp 203.0.113.7 0 3600",
		"upnp 203.0.113.7 65536 3600",
		"upnp 203.0.113.7 7070 3600 extra",
		"upnp 2001:db8::1 7070 3600",
		"upnp 203.0.113 7070 3600",
		"upnp host.example 7070 3600",
		"pcp 203.0.113.7 7070 3600",
		"fail",
	};
	struct portmap_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (portmap_parse(bad[i], &r) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
	}
}

static void
test_renew(void **state)
{
	(void)state;
	assert_int_equal(portmap_renew_ms(0), 0); /* permanent */
	assert_int_equal(portmap_renew_ms(3600), 1800000);
	assert_int_equal(portmap_renew_ms(7200), 3600000);
	/* Short leases: not more than once a minute. */
	assert_int_equal(portmap_renew_ms(60), 60000);
	assert_int_equal(portmap_renew_ms(1), 60000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_renew),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
