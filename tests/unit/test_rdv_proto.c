/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for src/rdv_proto.c: the worked examples of
 * doc/PROTOCOL.md section 16.6 byte for byte (and that the page still
 * shows them), every type round trips, one form per message (a byte
 * more or less is refused), the wrong direction, bad names, counts and
 * ranges are refused, and the relay hello is told from Noise message 1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rdv_proto.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

static struct rdv_msg m, got;
static uint8_t wire[70000];
static char hex[140000];

static const char *
tohex(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", p[i]);
	hex[2 * n] = '\0';
	return hex;
}

static void
base(uint8_t type)
{
	size_t i;

	memset(&m, 0, sizeof m);
	m.type = type;
	for (i = 0; i < RDV_KEYLEN; i++) {
		m.key[i] = (uint8_t)i;
		m.token[i] = (uint8_t)(0xa0 + i);
	}
}

static enum rdv_dir
dir_of(uint8_t type)
{
	switch (type) {
	case RDV_MSG_NAME:
	case RDV_MSG_FOUND:
	case RDV_MSG_PRESENCE:
	case RDV_MSG_DIRECTORY:
	case RDV_MSG_REQUEST:
	case RDV_MSG_CANDIDATES:
	case RDV_MSG_RELAY_TOKEN:
	case RDV_MSG_REFUSED:
		return RDV_FROM_SERVER;
	}
	return RDV_FROM_CLIENT;
}

/* Encode m, check the bytes, decode them back; one form only. */
static size_t
roundtrip(const char *want)
{
	const char *why;
	enum rdv_dir d = dir_of(m.type);
	size_t n = rdv_proto_encode(&m, wire, sizeof wire);

	assert_int_not_equal(n, 0);
	if (want != NULL)
		assert_string_equal(tohex(wire, n), want);
	assert_int_equal(rdv_proto_decode(wire, n, d, &got, &why), 0);
	assert_int_equal(got.type, m.type);
	assert_int_equal(
	    rdv_proto_decode(wire, n,
	        d == RDV_FROM_CLIENT ? RDV_FROM_SERVER : RDV_FROM_CLIENT, &got,
	        &why),
	    -1);
	wire[n] = 0;
	assert_int_equal(rdv_proto_decode(wire, n + 1, d, &got, &why), -1);
	if (n > 1)
		assert_int_equal(
		    rdv_proto_decode(wire, n - 1, d, &got, &why), -1);
	assert_int_equal(rdv_proto_decode(wire, n, d, &got, &why), 0);
	return n;
}

static void
refused(void)
{
	assert_int_equal(rdv_proto_encode(&m, wire, sizeof wire), 0);
}

/* The page must still show this text. */
static char *doc;

static void
in_doc(const char *text)
{
	FILE *f;
	long len;

	if (doc == NULL) {
		f = fopen(TOP_SRCDIR "/doc/PROTOCOL.md", "r");
		assert_non_null(f);
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		doc = calloc(1, (size_t)len + 1);
		assert_non_null(doc);
		assert_int_equal(fread(doc, 1, (size_t)len, f), (size_t)len);
		fclose(f);
	}
	if (strstr(doc, text) == NULL)
		fail_msg("doc/PROTOCOL.md lacks: %s", text);
}

#define KEYHEX \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define TOKHEX \
	"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"

static void
test_examples(void **state)
{
	uint8_t names[64];
	size_t len = 0;
	uint8_t hello[RDV_HELLO_LEN];

	(void)state;
	base(RDV_MSG_REGISTER);
	m.op = RDV_OP_REGISTER;
	strcpy(m.name, "alice");
	roundtrip("600105616c696365");
	assert_string_equal(got.name, "alice");
	in_doc("REGISTER op 1 \"alice\"        60 01 05 616c696365");

	base(RDV_MSG_NAME);
	strcpy(m.name, "alice");
	roundtrip("6105616c696365");
	in_doc("NAME \"alice\"                 61 05 616c696365");
	base(RDV_MSG_NAME);
	roundtrip("6100");
	in_doc("NAME none                    61 00");

	base(RDV_MSG_LOOKUP);
	strcpy(m.name, "bob");
	roundtrip("6203626f62");
	in_doc("LOOKUP \"bob\"                 62 03 626f62");

	base(RDV_MSG_FOUND);
	strcpy(m.name, "bob");
	roundtrip("6303626f6200");
	in_doc("FOUND \"bob\" none             63 03 626f62 00");
	base(RDV_MSG_FOUND);
	strcpy(m.name, "alice");
	m.flag = 1;
	roundtrip("6305616c69636501" KEYHEX);
	assert_memory_equal(got.key, m.key, RDV_KEYLEN);
	in_doc("6305616c69636501" KEYHEX);

	base(RDV_MSG_SUBSCRIBE);
	m.n = 1;
	m.data = m.key;
	roundtrip("640001" KEYHEX);
	assert_int_equal(got.n, 1);
	assert_memory_equal(got.data, m.key, RDV_KEYLEN);
	in_doc("SUBSCRIBE A                  64 0001 000102…1f");

	base(RDV_MSG_PRESENCE);
	m.flag = 1;
	strcpy(m.name, "alice");
	roundtrip("65" KEYHEX "0105616c696365");
	in_doc("PRESENCE A online \"alice\"    65 000102…1f 01 05616c696365");

	base(RDV_MSG_WHO);
	roundtrip("66");

	base(RDV_MSG_DIRECTORY);
	assert_int_equal(
	    rdv_proto_dir_add(names, sizeof names, &len, "alice"), 0);
	assert_int_equal(
	    rdv_proto_dir_add(names, sizeof names, &len, "bob"), 0);
	assert_int_equal(
	    rdv_proto_dir_add(names, sizeof names, &len, "Bob"), -1);
	m.n = 2;
	m.data = names;
	m.len = len;
	roundtrip("670002"
	          "05616c696365"
	          "03626f62");
	in_doc(
	    "DIRECTORY \"alice\" \"bob\"      67 0002 05616c696365 03626f62");
	{
		char name[RDV_NAME_MAX + 1];
		size_t off = 0;

		assert_int_equal(rdv_proto_dir_next(&got, &off, name), 1);
		assert_string_equal(name, "alice");
		assert_int_equal(rdv_proto_dir_next(&got, &off, name), 1);
		assert_string_equal(name, "bob");
		assert_int_equal(rdv_proto_dir_next(&got, &off, name), 0);
	}

	base(RDV_MSG_ADDRS);
	m.port = 7070;
	m.n = 1;
	strcpy(m.addrs[0].addr, "10.0.0.2:7070");
	roundtrip("681b9e010d31302e302e302e323a37303730");
	in_doc("ADDRS 7070 \"10.0.0.2:7070\"   68 1b9e 01 "
	       "0d31302e302e302e323a37303730");

	base(RDV_MSG_CONNECT);
	roundtrip("69" KEYHEX);
	in_doc("CONNECT A                    69 000102…1f");

	base(RDV_MSG_CANDIDATES);
	m.delay = 100;
	m.n = 2;
	m.addrs[0].kind = RDV_CAND_LISTED;
	strcpy(m.addrs[0].addr, "10.0.0.2:7070");
	m.addrs[1].kind = RDV_CAND_SOURCE;
	strcpy(m.addrs[1].addr, "192.0.2.1:40000");
	roundtrip("6b" KEYHEX "006402010d31302e302e302e323a37303730030f3139"
	          "322e302e322e313a3430303030");
	assert_string_equal(got.addrs[1].addr, "192.0.2.1:40000");
	assert_int_equal(got.addrs[1].kind, RDV_CAND_SOURCE);
	in_doc("6b" KEYHEX "006402\n"
	       "010d31302e302e302e323a37303730030f3139322e302e322e313a343030"
	       "3030\n");

	base(RDV_MSG_RELAY_TOKEN);
	m.flag = 1;
	roundtrip("6d" KEYHEX TOKHEX "01");
	in_doc("RELAY_TOKEN A, initiator     6d 000102…1f a0a1…bf 01");

	base(RDV_MSG_REFUSED);
	m.what = RDV_MSG_REGISTER;
	m.reason = RDV_REFUSED_TAKEN;
	roundtrip("6e6001");
	in_doc("REFUSED REGISTER taken       6e 60 01");

	base(0);
	rdv_proto_hello(m.token, hello);
	assert_string_equal(tohex(hello, sizeof hello), "0024524c5931" TOKHEX);
	in_doc("relay hello                  0024 524c5931 a0a1…bf");
	in_doc(tohex((const uint8_t *)RDV_PROLOGUE, strlen(RDV_PROLOGUE)));
}

static void
test_refusals(void **state)
{
	const char *why;
	uint8_t b[8], tok[RDV_TOKENLEN], hello[RDV_HELLO_LEN];
	size_t i;

	(void)state;
	/* Names: case, length, characters. */
	base(RDV_MSG_LOOKUP);
	strcpy(m.name, "Bob");
	refused();
	strcpy(m.name, "ab");
	refused();
	memset(m.name, 'a', RDV_NAME_MAX);
	m.name[RDV_NAME_MAX] = '\0';
	roundtrip(NULL);
	/* One byte longer, on the wire. */
	wire[0] = RDV_MSG_LOOKUP;
	wire[1] = RDV_NAME_MAX + 1;
	memset(wire + 2, 'a', RDV_NAME_MAX + 1);
	assert_int_equal(rdv_proto_decode(wire, RDV_NAME_MAX + 3,
	                     RDV_FROM_CLIENT, &got, &why),
	    -1);
	strcpy(m.name, "a b");
	refused();
	strcpy(m.name, "x.y_z-0");
	roundtrip(NULL);
	/* REGISTER: a name but for release. */
	base(RDV_MSG_REGISTER);
	m.op = RDV_OP_RELEASE;
	roundtrip("600300");
	strcpy(m.name, "alice");
	refused();
	m.op = RDV_OP_REGISTER;
	roundtrip(NULL);
	m.name[0] = '\0';
	refused();
	m.op = 4;
	strcpy(m.name, "alice");
	refused();
	/* Counts and flags. */
	base(RDV_MSG_FOUND);
	strcpy(m.name, "bob");
	m.flag = 2;
	refused();
	base(RDV_MSG_CANDIDATES);
	m.n = 1;
	m.addrs[0].kind = 4;
	strcpy(m.addrs[0].addr, "h:1");
	refused();
	m.addrs[0].kind = RDV_CAND_OBSERVED;
	roundtrip(NULL);
	strcpy(m.addrs[0].addr, "h 1");
	refused();
	base(RDV_MSG_ADDRS);
	m.n = RDV_ADDRS_MAX + 1;
	for (i = 0; i < m.n; i++)
		strcpy(m.addrs[i].addr, "h:1");
	refused();
	m.n = RDV_ADDRS_MAX;
	roundtrip(NULL);
	base(RDV_MSG_REFUSED);
	m.what = 0x62;
	refused();
	/* SUBSCRIBE over 1024 keys. */
	b[0] = RDV_MSG_SUBSCRIBE;
	b[1] = (RDV_SUBS_MAX + 1) >> 8;
	b[2] = (RDV_SUBS_MAX + 1) & 0xff;
	assert_int_equal(
	    rdv_proto_decode(b, 3, RDV_FROM_CLIENT, &got, &why), -1);
	/* Reserved and foreign types. */
	b[0] = 0x6f;
	assert_int_equal(
	    rdv_proto_decode(b, 1, RDV_FROM_CLIENT, &got, &why), -1);
	assert_int_equal(
	    rdv_proto_decode(b, 1, RDV_FROM_SERVER, &got, &why), -1);
	b[0] = 0x10;
	assert_int_equal(
	    rdv_proto_decode(b, 1, RDV_FROM_CLIENT, &got, &why), -1);
	assert_int_equal(
	    rdv_proto_decode(b, 0, RDV_FROM_CLIENT, &got, &why), -1);
	base(0x6f);
	refused();
	assert_non_null(rdv_proto_reason_text(RDV_REFUSED_STRANGER));
	assert_null(rdv_proto_reason_text(200));

	/* The relay hello against Noise message 1 (length 0x0020). */
	base(0);
	rdv_proto_hello(m.token, hello);
	for (i = 0; i < RDV_HELLO_LEN; i++)
		assert_int_equal(rdv_proto_hello_parse(hello, i, tok), 0);
	assert_int_equal(rdv_proto_hello_parse(hello, RDV_HELLO_LEN, tok), 1);
	assert_memory_equal(tok, m.token, RDV_TOKENLEN);
	b[0] = 0;
	b[1] = 0x20;
	assert_int_equal(rdv_proto_hello_parse(b, 2, tok), -1);
	hello[5] = '2';
	assert_int_equal(rdv_proto_hello_parse(hello, 6, tok), -1);
}

static void
test_normalise(void **state)
{
	char out[RDV_NAME_MAX + 1];
	const char *why;

	(void)state;
	assert_int_equal(rdv_name_normalise("Alice.B", out, &why), 0);
	assert_string_equal(out, "alice.b");
	assert_int_equal(rdv_name_normalise("al", out, &why), -1);
	assert_int_equal(rdv_name_normalise("ali ce", out, &why), -1);
	assert_int_equal(rdv_name_normalise("alïce", out, &why), -1);
	assert_int_equal(
	    rdv_name_normalise("abcdefghijabcdefghijabcdefghijabc", out, &why),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_normalise),
	};

	int r = cmocka_run_group_tests(tests, NULL, NULL);

	free(doc);
	return r;
}
