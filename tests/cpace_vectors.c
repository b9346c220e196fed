/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Check src/cpace.c against the draft's test vectors for
 * CPACE-RISTR255-SHA512: cpace_vectors FILE (the JSON of
 * tests/data/cpace-ristretto255-sha512.json).
 *
 * Every value of the file is checked: the suite and DSIs, the generator
 * string, its hash, the zero padding and g; Ya and Yb from contexts
 * given the file's scalars; K both ways through scalar_mult_vfy;
 * transcript_ir; ISK_IR from a whole run between an initiator and a
 * responder context, with both tags accepted; scalar_mult_vfy on the
 * valid input; and the invalid points Y_i1 (no encoding) and Y_i2 (the
 * identity) both in scalar_mult_vfy and as either side's message, which
 * must abort the run. The file has no key-confirmation tags, so Ta and
 * Tb are checked against the draft's formula computed here from the
 * file's ISK_IR, and printed. The symmetric setting (transcript_oc,
 * ISK_SY) and sid_output are not implemented: those lines say "skip".
 * A field the program does not know is a failure, so nothing in a new
 * version of the file goes unchecked unnoticed.
 *
 * One line per check ("ok: ...", "FAIL: ...", "skip: ..."), then
 * "N passed, N failed". Exit 0 only if nothing failed.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cpace.h"
#include "json.h"
#include "xmalloc.h"

#define SUITE "CPACE-RISTR255-SHA512"

static unsigned int passed, failed;

struct hexval {
	uint8_t *p;
	size_t len;
};

/* The values of the file, decoded. */
struct cvec {
	struct hexval dsi, dsi_isk, prs, ci, sid, gen_str, gen_hash, g;
	struct hexval ya, ada, ya_pub, yb, adb, yb_pub, k, tr_ir, isk_ir;
	struct hexval vs, vx, vres, is, yi1, yi2; /* scalar_mult_vfy */
	long zpad;
};

/* Where each hex field is: in the top object or in scalar_mult_vfy's
 * "valid" or "invalid", its length (0: any), its place in struct cvec. */
static const struct cfield {
	const char *in;
	const char *key;
	size_t want;
	size_t off;
} cfields[] = {
#define CFIELD(in, key, want, m) \
	{ \
		in, key, want, offsetof(struct cvec, m) \
	}
	CFIELD(NULL, "DSI", 0, dsi),
	CFIELD(NULL, "DSI_ISK", 0, dsi_isk),
	CFIELD(NULL, "PRS", 0, prs),
	CFIELD(NULL, "CI", 0, ci),
	CFIELD(NULL, "sid", 0, sid),
	CFIELD(NULL, "generator_string", 0, gen_str),
	CFIELD(NULL, "generator_hash", CPACE_HASHLEN, gen_hash),
	CFIELD(NULL, "g", CPACE_POINTLEN, g),
	CFIELD(NULL, "ya", CPACE_SCALARLEN, ya),
	CFIELD(NULL, "ADa", 0, ada),
	CFIELD(NULL, "Ya", CPACE_POINTLEN, ya_pub),
	CFIELD(NULL, "yb", CPACE_SCALARLEN, yb),
	CFIELD(NULL, "ADb", 0, adb),
	CFIELD(NULL, "Yb", CPACE_POINTLEN, yb_pub),
	CFIELD(NULL, "K", CPACE_POINTLEN, k),
	CFIELD(NULL, "transcript_ir", 0, tr_ir),
	CFIELD(NULL, "ISK_IR", CPACE_ISKLEN, isk_ir),
	CFIELD("valid", "s", CPACE_SCALARLEN, vs),
	CFIELD("valid", "X", CPACE_POINTLEN, vx),
	CFIELD("valid", "result", CPACE_POINTLEN, vres),
	CFIELD("invalid", "s", CPACE_SCALARLEN, is),
	CFIELD("invalid", "Y_i1", CPACE_POINTLEN, yi1),
	CFIELD("invalid", "Y_i2", CPACE_POINTLEN, yi2),
#undef CFIELD
};

static void
result(int ok, const char *what, const char *detail)
{
	if (ok)
		passed++;
	else
		failed++;
	printf("%s: %s%s%s\n", ok ? "ok" : "FAIL", what,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

static void
print_hex(const char *label, const uint8_t *p, size_t len)
{
	size_t i;

	printf("  %s ", label);
	for (i = 0; i < len; i++)
		printf("%02x", p[i]);
	printf("\n");
}

/* got == want, printing both if not. */
static void
same(const char *what, const uint8_t *got, size_t gotlen, const uint8_t *want,
    size_t wantlen)
{
	int ok = gotlen == wantlen && memcmp(got, want, gotlen) == 0;

	result(ok, what, NULL);
	if (!ok) {
		print_hex("got ", got, gotlen);
		print_hex("want", want, wantlen);
	}
}

/* Decode the field f of its object obj into v; -1 after a failure line. */
static int
field(const struct json *obj, const struct cfield *f, struct cvec *v)
{
	struct hexval *h = (struct hexval *)((char *)v + f->off);
	char *path, *why = NULL;

	if (f->in != NULL)
		path = xasprintf("scalar_mult_vfy.%s.%s", f->in, f->key);
	else
		path = xstrdup(f->key);
	if ((h->p = json_hex(json_get(obj, f->key), &h->len)) == NULL)
		why = xstrdup("missing or not a hex string");
	else if (f->want != 0 && h->len != f->want)
		why = xasprintf("%zu bytes, not %zu", h->len, f->want);
	if (why != NULL)
		result(0, path, why);
	free(why);
	free(path);
	return why != NULL ? -1 : 0;
}

/* Fail for every member of obj not named in known. */
static void
only_known(const struct json *obj, const char *path, const char *const *known)
{
	size_t i, j;
	char *why;

	for (i = 0; i < obj->n; i++) {
		for (j = 0; known[j] != NULL; j++) {
			if (strcmp(obj->keys[i], known[j]) == 0)
				break;
		}
		if (known[j] == NULL) {
			why = xasprintf("unknown field %s", obj->keys[i]);
			result(0, path, why);
			free(why);
		}
	}
}

static int
load(const struct json *doc, struct cvec *v)
{
	static const char *const known[] = { "suite", "source", "H",
		"H.s_in_bytes", "DSI", "DSI_ISK", "ZPAD_length", "PRS", "CI",
		"sid", "generator_string", "generator_hash", "g", "ya", "ADa",
		"Ya", "yb", "ADb", "Yb", "K", "transcript_ir", "ISK_IR",
		"transcript_oc", "ISK_SY", "sid_output_ir", "sid_output_oc",
		"scalar_mult_vfy", "formulas", NULL };
	static const char *const known_smv[] = { "valid", "invalid", NULL };
	static const char *const known_valid[] = { "s", "X", "result", NULL };
	static const char *const known_invalid[] = { "s", "Y_i1", "Y_i2",
		"expect", NULL };
	const struct json *h, *smv, *valid, *invalid, *obj;
	size_t i;
	int bad = 0;

	if (doc->type != JSON_OBJECT) {
		result(0, "file", "not a JSON object");
		return -1;
	}
	only_known(doc, "file", known);
	h = json_get(doc, "suite");
	result(
	    h != NULL && h->type == JSON_STRING && strcmp(h->str, SUITE) == 0,
	    "suite " SUITE, NULL);
	h = json_get(doc, "H");
	result(h != NULL && h->type == JSON_STRING &&
	        strcmp(h->str, "SHA-512") == 0,
	    "H SHA-512", NULL);
	h = json_get(doc, "H.s_in_bytes");
	result(h != NULL && h->type == JSON_NUMBER && h->number == 128,
	    "H.s_in_bytes 128", NULL);
	h = json_get(doc, "ZPAD_length");
	if (h == NULL || h->type != JSON_NUMBER || h->number < 0 ||
	    h->number > 128) {
		result(0, "ZPAD_length", "missing or out of range");
		bad = 1;
	} else
		v->zpad = (long)h->number;

	smv = json_get(doc, "scalar_mult_vfy");
	valid = json_get(smv, "valid");
	invalid = json_get(smv, "invalid");
	if (valid == NULL || invalid == NULL) {
		result(0, "scalar_mult_vfy", "no valid and invalid cases");
		return -1;
	}
	only_known(smv, "scalar_mult_vfy", known_smv);
	only_known(valid, "scalar_mult_vfy.valid", known_valid);
	only_known(invalid, "scalar_mult_vfy.invalid", known_invalid);

	for (i = 0; i < sizeof cfields / sizeof cfields[0]; i++) {
		obj =
		    cfields[i].in == NULL ? doc : json_get(smv, cfields[i].in);
		if (field(obj, &cfields[i], v) != 0)
			bad = 1;
	}
	return bad ? -1 : 0;
}

static void
cvec_free(struct cvec *v)
{
	size_t i;

	for (i = 0; i < sizeof cfields / sizeof cfields[0]; i++)
		free(((struct hexval *)((char *)v + cfields[i].off))->p);
}

static struct cpace *
party(const struct cvec *v, enum cpace_role role)
{
	struct cpace *c;
	char *cause;
	int a = role == CPACE_INITIATOR;

	c = cpace_create(role, v->prs.p, v->prs.len, v->ci.p, v->ci.len,
	    v->sid.p, v->sid.len, a ? v->ada.p : v->adb.p,
	    a ? v->ada.len : v->adb.len, &cause);
	if (c == NULL) {
		result(0, a ? "create A" : "create B", cause);
		free(cause);
		return NULL;
	}
	if (cpace_set_scalar(c, a ? v->ya.p : v->yb.p) != 0) {
		result(0, a ? "set ya" : "set yb", NULL);
		cpace_free(c);
		return NULL;
	}
	return c;
}

static void
check_generator(const struct cvec *v)
{
	uint8_t g[CPACE_POINTLEN], hash[CPACE_HASHLEN], buf[1024];
	size_t len, off;
	int rc;

	same("DSI", (const uint8_t *)CPACE_DSI, strlen(CPACE_DSI), v->dsi.p,
	    v->dsi.len);
	same("DSI_ISK", (const uint8_t *)CPACE_DSI "_ISK",
	    strlen(CPACE_DSI "_ISK"), v->dsi_isk.p, v->dsi_isk.len);
	len = cpace_generator_string(v->prs.p, v->prs.len, v->ci.p, v->ci.len,
	    v->sid.p, v->sid.len, buf, sizeof buf);
	if (len > sizeof buf) {
		result(0, "generator_string", "longer than the test's buffer");
		return;
	}
	same("generator_string", buf, len, v->gen_str.p, v->gen_str.len);
	/* The length byte of the padding follows lv(DSI) and lv(PRS). */
	off = 1 + strlen(CPACE_DSI) + 1 + v->prs.len;
	result(off < len && buf[off] == v->zpad, "ZPAD_length", NULL);
	rc = cpace_calculate_generator(v->prs.p, v->prs.len, v->ci.p, v->ci.len,
	    v->sid.p, v->sid.len, g, hash);
	result(rc == 0, "calculate_generator succeeds", NULL);
	same("generator_hash", hash, sizeof hash, v->gen_hash.p, CPACE_HASHLEN);
	same("g", g, sizeof g, v->g.p, CPACE_POINTLEN);
}

static void
check_k(const struct cvec *v)
{
	uint8_t k[CPACE_POINTLEN];
	uint8_t buf[2 * (1 + CPACE_POINTLEN + 2 + CPACE_MAX_ADLEN)];
	size_t len;

	result(cpace_scalar_mult_vfy(k, v->ya.p, v->yb_pub.p) == 0,
	    "scalar_mult_vfy(ya, Yb) succeeds", NULL);
	same(
	    "K = scalar_mult_vfy(ya, Yb)", k, sizeof k, v->k.p, CPACE_POINTLEN);
	result(cpace_scalar_mult_vfy(k, v->yb.p, v->ya_pub.p) == 0,
	    "scalar_mult_vfy(yb, Ya) succeeds", NULL);
	same(
	    "K = scalar_mult_vfy(yb, Ya)", k, sizeof k, v->k.p, CPACE_POINTLEN);
	len = cpace_transcript_ir(v->ya_pub.p, v->ada.p, v->ada.len,
	    v->yb_pub.p, v->adb.p, v->adb.len, buf, sizeof buf);
	if (len > sizeof buf)
		result(0, "transcript_ir", "longer than the test's buffer");
	else
		same("transcript_ir", buf, len, v->tr_ir.p, v->tr_ir.len);
}

/* The draft's section 10.4, from the file's ISK: HMAC(mac_key, lv(Y, AD)). */
static void
expected_tag(const struct cvec *v, const uint8_t *y, const uint8_t *ad,
    size_t adlen, uint8_t tag[CPACE_TAGLEN])
{
	crypto_hash_sha512_state hs;
	crypto_auth_hmacsha512_state st;
	uint8_t mac_key[CPACE_HASHLEN],
	    msg[1 + CPACE_POINTLEN + 2 + CPACE_MAX_ADLEN];
	struct cpace_str parts[2] = { { y, CPACE_POINTLEN }, { ad, adlen } };
	size_t len;

	crypto_hash_sha512_init(&hs);
	crypto_hash_sha512_update(&hs, (const uint8_t *)"CPaceMac", 8);
	crypto_hash_sha512_update(&hs, v->sid.p, v->sid.len);
	crypto_hash_sha512_update(&hs, v->isk_ir.p, CPACE_ISKLEN);
	crypto_hash_sha512_final(&hs, mac_key);
	len = cpace_lv_cat(parts, 2, msg, sizeof msg);
	crypto_auth_hmacsha512_init(&st, mac_key, sizeof mac_key);
	crypto_auth_hmacsha512_update(&st, msg, len);
	crypto_auth_hmacsha512_final(&st, tag);
}

static void
check_run(const struct cvec *v)
{
	struct cpace *a, *b = NULL;
	uint8_t y[CPACE_POINTLEN], ta[CPACE_TAGLEN], tb[CPACE_TAGLEN];
	uint8_t want[CPACE_TAGLEN], isk[CPACE_ISKLEN];
	char *cause = NULL;

	if ((a = party(v, CPACE_INITIATOR)) == NULL ||
	    (b = party(v, CPACE_RESPONDER)) == NULL)
		goto out;
	result(cpace_msg(a, y) == 0, "A's message", NULL);
	same("Ya = ya * g", y, sizeof y, v->ya_pub.p, CPACE_POINTLEN);
	result(cpace_msg(b, y) == 0, "B's message", NULL);
	same("Yb = yb * g", y, sizeof y, v->yb_pub.p, CPACE_POINTLEN);

	if (cpace_respond(b, v->ya_pub.p, v->ada.p, v->ada.len, tb, &cause) !=
	    0) {
		result(0, "B takes Ya", cause);
		goto out;
	}
	result(1, "B takes Ya", NULL);
	if (cpace_finish(
	        a, v->yb_pub.p, v->adb.p, v->adb.len, tb, ta, &cause) != 0) {
		result(0, "A takes Yb and checks Tb", cause);
		goto out;
	}
	result(1, "A takes Yb and checks Tb", NULL);
	if (cpace_confirm(b, ta, &cause) != 0) {
		result(0, "B checks Ta", cause);
		goto out;
	}
	result(1, "B checks Ta", NULL);

	result(cpace_isk(a, isk) == 0, "A's ISK is available", NULL);
	same("ISK_IR (initiator)", isk, sizeof isk, v->isk_ir.p, CPACE_ISKLEN);
	result(cpace_isk(b, isk) == 0, "B's ISK is available", NULL);
	same("ISK_IR (responder)", isk, sizeof isk, v->isk_ir.p, CPACE_ISKLEN);

	expected_tag(v, v->ya_pub.p, v->ada.p, v->ada.len, want);
	same("Ta (not in the file: section 10.4 over its ISK_IR)", ta,
	    sizeof ta, want, sizeof want);
	print_hex("Ta", ta, sizeof ta);
	expected_tag(v, v->yb_pub.p, v->adb.p, v->adb.len, want);
	same("Tb (not in the file: section 10.4 over its ISK_IR)", tb,
	    sizeof tb, want, sizeof want);
	print_hex("Tb", tb, sizeof tb);
out:
	free(cause);
	cpace_free(a);
	cpace_free(b);
}

/* A run where one side's message is the invalid point y must abort. */
static void
check_abort(const struct cvec *v, const uint8_t *bad, const char *name)
{
	struct cpace *a = NULL, *b = NULL;
	uint8_t yb[CPACE_POINTLEN], ta[CPACE_TAGLEN], tb[CPACE_TAGLEN];
	uint8_t isk[CPACE_ISKLEN];
	char *cause = NULL, *what;
	int rc;

	if ((a = party(v, CPACE_INITIATOR)) == NULL ||
	    (b = party(v, CPACE_RESPONDER)) == NULL)
		goto out;
	/* B receives the bad point as Ya. */
	rc = cpace_respond(b, bad, v->ada.p, v->ada.len, tb, &cause);
	what = xasprintf("B aborts on Ya = %s", name);
	result(rc != 0 && cpace_isk(b, isk) != 0 && cpace_msg(b, yb) != 0, what,
	    cause);
	free(what);
	free(cause);
	cause = NULL;

	/* A receives the bad point as Yb (with any tag). */
	memset(tb, 0, sizeof tb);
	rc = cpace_finish(a, bad, v->adb.p, v->adb.len, tb, ta, &cause);
	what = xasprintf("A aborts on Yb = %s", name);
	result(rc != 0 && cpace_isk(a, isk) != 0, what, cause);
	free(what);
out:
	free(cause);
	cpace_free(a);
	cpace_free(b);
}

static void
check_scalar_mult(const struct cvec *v)
{
	static const uint8_t zero[CPACE_POINTLEN];
	uint8_t out[CPACE_POINTLEN];
	int rc;

	rc = cpace_scalar_mult_vfy(out, v->vs.p, v->vx.p);
	result(rc == 0, "scalar_mult_vfy(s, X) succeeds", NULL);
	same("scalar_mult_vfy(s, X)", out, sizeof out, v->vres.p,
	    CPACE_POINTLEN);

	memset(out, 0xaa, sizeof out);
	rc = cpace_scalar_mult_vfy(out, v->is.p, v->yi1.p);
	result(rc != 0 && memcmp(out, zero, sizeof out) == 0,
	    "scalar_mult_vfy(s, Y_i1) is G.I (not an encoding)", NULL);
	memset(out, 0xaa, sizeof out);
	rc = cpace_scalar_mult_vfy(out, v->is.p, v->yi2.p);
	result(rc != 0 && memcmp(out, zero, sizeof out) == 0,
	    "scalar_mult_vfy(s, Y_i2) is G.I (the identity)", NULL);
	check_abort(v, v->yi1.p, "Y_i1");
	check_abort(v, v->yi2.p, "Y_i2");
}

int
main(int argc, char **argv)
{
	static const char *const skipped[] = { "transcript_oc", "ISK_SY",
		"sid_output_ir", "sid_output_oc", NULL };
	struct json *doc;
	struct cvec v;
	const char *error;
	char *text;
	size_t len, off, i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "sodium_init failed\n");
		return 2;
	}
	if ((text = json_read_file(argv[1], &len)) == NULL) {
		printf("%s: %s\n", argv[1], strerror(errno));
		printf("0 passed, 1 failed\n");
		return 1;
	}
	doc = json_parse(text, len, &error, &off);
	free(text);
	if (doc == NULL) {
		printf(
		    "%s: JSON error at offset %zu: %s\n", argv[1], off, error);
		printf("0 passed, 1 failed\n");
		return 1;
	}

	memset(&v, 0, sizeof v);
	if (load(doc, &v) == 0) {
		check_generator(&v);
		check_k(&v);
		check_run(&v);
		check_scalar_mult(&v);
		for (i = 0; skipped[i] != NULL; i++) {
			if (json_get(doc, skipped[i]) != NULL)
				printf("skip: %s (symmetric setting and "
				       "sid_output not implemented)\n",
				    skipped[i]);
		}
	}
	cvec_free(&v);
	json_free(doc);
	printf("%u passed, %u failed\n", passed, failed);
	return failed == 0 && passed != 0 ? 0 : 1;
}
