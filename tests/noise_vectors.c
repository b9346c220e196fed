/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Run Noise test vectors (the cacophony/snow JSON format) against
 * src/noise.c: noise_vectors FILE...
 *
 * Each vector of suite 25519_ChaChaPoly_BLAKE2b is played between an
 * initiator and a responder: messages alternate starting with the
 * initiator (one-way patterns: all from the initiator), handshake
 * messages through noise_hs_write()/noise_hs_read(), then transport
 * messages through the split ciphers. Every ciphertext, every decrypted
 * payload and the handshake hash are compared. Vectors of other suites
 * are skipped. One line per failing vector, then "N passed, N failed"
 * (", N skipped"). Exit 0 only if nothing failed.
 *
 * The JSON is read by the strict parser in tests/json.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "json.h"
#include "noise.h"
#include "xmalloc.h"

#define SUITE "_25519_ChaChaPoly_BLAKE2b"

struct hexbuf {
	uint8_t *data;
	size_t len;
	int present;
};

struct vector {
	const char *name;
	struct hexbuf prologue[2];
	struct hexbuf s[2], e[2], rs[2];
	struct hexbuf psks[2][NOISE_MAX_PSKS];
	size_t npsks[2];
	struct hexbuf hash;
	struct hexbuf *payloads, *ciphertexts;
	size_t nmsgs;
};

static char *fail_why;

static int vfail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
vfail(const char *fmt, ...)
{
	va_list ap;

	if (fail_why == NULL) {
		va_start(ap, fmt);
		fail_why = xvasprintf(fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
hex_decode(const struct json *v, const char *field, struct hexbuf *out)
{
	if ((out->data = json_hex(v, &out->len)) == NULL)
		return vfail("field %s is not a hex string", field);
	out->present = 1;
	return 0;
}

static int
hex_key(const struct json *obj, const char *field, struct hexbuf *out)
{
	const struct json *v;

	if ((v = json_get(obj, field)) == NULL)
		return 0;
	if (hex_decode(v, field, out) != 0)
		return -1;
	if (out->len != NOISE_KEYLEN)
		return vfail("field %s is not %d bytes", field, NOISE_KEYLEN);
	return 0;
}

static void
vector_free(struct vector *vec)
{
	size_t i, j;

	for (i = 0; i < 2; i++) {
		free(vec->prologue[i].data);
		free(vec->s[i].data);
		free(vec->e[i].data);
		free(vec->rs[i].data);
		for (j = 0; j < NOISE_MAX_PSKS; j++)
			free(vec->psks[i][j].data);
	}
	free(vec->hash.data);
	for (i = 0; i < vec->nmsgs; i++) {
		free(vec->payloads[i].data);
		free(vec->ciphertexts[i].data);
	}
	free(vec->payloads);
	free(vec->ciphertexts);
}

static int
vector_load(const struct json *obj, struct vector *vec)
{
	static const char *known[] = {
		"protocol_name",
		"init_prologue",
		"init_psks",
		"init_static",
		"init_ephemeral",
		"init_remote_static",
		"resp_prologue",
		"resp_psks",
		"resp_static",
		"resp_ephemeral",
		"resp_remote_static",
		"handshake_hash",
		"messages",
	};
	static const char *side[2] = { "init", "resp" };
	const struct json *v, *m;
	char field[64];
	size_t i, j;

	for (i = 0; i < obj->n; i++) {
		for (j = 0; j < sizeof known / sizeof known[0]; j++) {
			if (strcmp(obj->keys[i], known[j]) == 0)
				break;
		}
		if (j == sizeof known / sizeof known[0])
			return vfail("unknown field %s", obj->keys[i]);
	}

	for (i = 0; i < 2; i++) {
		snprintf(field, sizeof field, "%s_prologue", side[i]);
		if ((v = json_get(obj, field)) != NULL &&
		    hex_decode(v, field, &vec->prologue[i]) != 0)
			return -1;
		snprintf(field, sizeof field, "%s_static", side[i]);
		if (hex_key(obj, field, &vec->s[i]) != 0)
			return -1;
		snprintf(field, sizeof field, "%s_ephemeral", side[i]);
		if (hex_key(obj, field, &vec->e[i]) != 0)
			return -1;
		snprintf(field, sizeof field, "%s_remote_static", side[i]);
		if (hex_key(obj, field, &vec->rs[i]) != 0)
			return -1;
		snprintf(field, sizeof field, "%s_psks", side[i]);
		if ((v = json_get(obj, field)) != NULL) {
			if (v->type != JSON_ARRAY || v->n > NOISE_MAX_PSKS)
				return vfail("bad field %s", field);
			for (j = 0; j < v->n; j++) {
				if (hex_decode(v->items[j], field,
				        &vec->psks[i][j]) != 0)
					return -1;
				if (vec->psks[i][j].len != NOISE_KEYLEN)
					return vfail("bad psk length");
			}
			vec->npsks[i] = v->n;
		}
	}

	if ((v = json_get(obj, "handshake_hash")) != NULL &&
	    hex_decode(v, "handshake_hash", &vec->hash) != 0)
		return -1;
	if (vec->hash.present && vec->hash.len != NOISE_HASHLEN)
		return vfail("bad handshake_hash length");

	if ((v = json_get(obj, "messages")) == NULL || v->type != JSON_ARRAY)
		return vfail("no messages array");
	vec->payloads = xcalloc(v->n, sizeof *vec->payloads);
	vec->ciphertexts = xcalloc(v->n, sizeof *vec->ciphertexts);
	vec->nmsgs = v->n;
	for (i = 0; i < v->n; i++) {
		m = v->items[i];
		if (m->type != JSON_OBJECT || m->n != 2)
			return vfail("bad message %zu", i);
		if (hex_decode(json_get(m, "payload"), "payload",
		        &vec->payloads[i]) != 0 ||
		    hex_decode(json_get(m, "ciphertext"), "ciphertext",
		        &vec->ciphertexts[i]) != 0)
			return -1;
	}
	return 0;
}

static struct noise_hs *
vector_party(const struct vector *vec, enum noise_role role)
{
	struct noise_hs *hs;
	char *cause;
	size_t i, r = role == NOISE_INITIATOR ? 0 : 1;

	hs = noise_hs_create(vec->name, role, vec->prologue[r].data,
	    vec->prologue[r].len, &cause);
	if (hs == NULL) {
		vfail("create: %s", cause);
		free(cause);
		return NULL;
	}
	if (vec->s[r].present)
		noise_hs_set_s(hs, vec->s[r].data);
	if (vec->e[r].present)
		noise_hs_set_e(hs, vec->e[r].data);
	if (vec->rs[r].present)
		noise_hs_set_rs(hs, vec->rs[r].data);
	for (i = 0; i < vec->npsks[r]; i++) {
		if (noise_hs_add_psk(hs, vec->psks[r][i].data) != 0) {
			vfail("%s: too many psks", r == 0 ? "init" : "resp");
			noise_hs_free(hs);
			return NULL;
		}
	}
	if (noise_hs_start(hs, &cause) != 0) {
		vfail("%s start: %s", r == 0 ? "init" : "resp", cause);
		free(cause);
		noise_hs_free(hs);
		return NULL;
	}
	return hs;
}

static int
same(const uint8_t *a, size_t alen, const struct hexbuf *b)
{
	return alen == b->len && (alen == 0 || memcmp(a, b->data, alen) == 0);
}

static int
vector_play(const struct vector *vec, struct noise_hs *hs[2])
{
	struct noise_cipher tx[2], rx[2];
	uint8_t *buf, *out, h[2][NOISE_HASHLEN];
	size_t i, n, m, snd, rcv, plen, bp;
	int oneway, done = 0, rc = -1;
	const char *base = vec->name + strlen("Noise_");

	buf = xmalloc(NOISE_MAX_MSG);
	out = xmalloc(NOISE_MAX_MSG);
	memset(tx, 0, sizeof tx);
	memset(rx, 0, sizeof rx);

	/* One-way patterns have a single-letter name. */
	bp = strspn(base, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	oneway = bp == 1;

	for (i = 0; i < vec->nmsgs; i++) {
		snd = oneway || i % 2 == 0 ? 0 : 1;
		rcv = 1 - snd;
		plen = vec->payloads[i].len;
		if (plen > NOISE_MAX_MSG - NOISE_TAGLEN) {
			vfail("message %zu: payload too long", i);
			goto out;
		}
		if (!done) {
			if (noise_hs_action(hs[snd]) != NOISE_ACTION_WRITE ||
			    noise_hs_action(hs[rcv]) != NOISE_ACTION_READ) {
				vfail("message %zu: turn differs", i);
				goto out;
			}
			if (noise_hs_write(hs[snd], vec->payloads[i].data, plen,
			        buf, NOISE_MAX_MSG, &n) != 0) {
				vfail("message %zu: write failed", i);
				goto out;
			}
			if (!same(buf, n, &vec->ciphertexts[i])) {
				vfail("message %zu: ciphertext differs", i);
				goto out;
			}
			if (noise_hs_read(
			        hs[rcv], buf, n, out, NOISE_MAX_MSG, &m) != 0) {
				vfail("message %zu: read failed", i);
				goto out;
			}
			if (!same(out, m, &vec->payloads[i])) {
				vfail("message %zu: payload differs", i);
				goto out;
			}
			if ((noise_hs_action(hs[0]) == NOISE_ACTION_SPLIT) !=
			    (noise_hs_action(hs[1]) == NOISE_ACTION_SPLIT)) {
				vfail("message %zu: states differ", i);
				goto out;
			}
			if (noise_hs_action(hs[0]) != NOISE_ACTION_SPLIT)
				continue;
			if (noise_hs_split(hs[0], &tx[0], &rx[0]) != 0 ||
			    noise_hs_split(hs[1], &tx[1], &rx[1]) != 0) {
				vfail("split failed");
				goto out;
			}
			noise_hs_hash(hs[0], h[0]);
			noise_hs_hash(hs[1], h[1]);
			if (memcmp(h[0], h[1], NOISE_HASHLEN) != 0) {
				vfail("handshake hashes of the parties differ");
				goto out;
			}
			if (vec->hash.present &&
			    !same(h[0], NOISE_HASHLEN, &vec->hash)) {
				vfail("handshake_hash differs");
				goto out;
			}
			done = 1;
			continue;
		}
		if (noise_cipher_encrypt(&tx[snd], NULL, 0,
		        vec->payloads[i].data, plen, buf) != 0) {
			vfail("message %zu: transport encrypt failed", i);
			goto out;
		}
		n = plen + NOISE_TAGLEN;
		if (!same(buf, n, &vec->ciphertexts[i])) {
			vfail("message %zu: transport ciphertext differs", i);
			goto out;
		}
		if (noise_cipher_decrypt(&rx[rcv], NULL, 0, buf, n, out) != 0) {
			vfail("message %zu: transport decrypt failed", i);
			goto out;
		}
		if (!same(out, plen, &vec->payloads[i])) {
			vfail("message %zu: transport payload differs", i);
			goto out;
		}
	}
	if (!done) {
		vfail("handshake not complete after %zu messages", i);
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i < 2; i++) {
		noise_cipher_wipe(&tx[i]);
		noise_cipher_wipe(&rx[i]);
	}
	free(buf);
	free(out);
	return rc;
}

/* 0 passed, -1 failed (fail_why set), 1 skipped. */
static int
vector_run(const struct json *obj, const char **name)
{
	struct vector vec;
	struct noise_hs *hs[2] = { NULL, NULL };
	const struct json *v;
	size_t len;
	int rc = -1;

	*name = "(unnamed)";
	if (obj->type != JSON_OBJECT)
		return vfail("vector is not an object");
	if ((v = json_get(obj, "protocol_name")) == NULL ||
	    v->type != JSON_STRING)
		return vfail("no protocol_name");
	*name = v->str;
	len = strlen(v->str);
	if (strncmp(v->str, "Noise_", 6) != 0 || len < strlen(SUITE) ||
	    strcmp(v->str + len - strlen(SUITE), SUITE) != 0)
		return 1;

	memset(&vec, 0, sizeof vec);
	vec.name = v->str;
	if (vector_load(obj, &vec) != 0)
		goto out;
	if ((hs[0] = vector_party(&vec, NOISE_INITIATOR)) == NULL ||
	    (hs[1] = vector_party(&vec, NOISE_RESPONDER)) == NULL)
		goto out;
	rc = vector_play(&vec, hs);
out:
	noise_hs_free(hs[0]);
	noise_hs_free(hs[1]);
	vector_free(&vec);
	return rc;
}

int
main(int argc, char **argv)
{
	struct json *doc;
	const struct json *vectors;
	const char *error, *name;
	char *text;
	size_t len, off, i;
	unsigned int passed = 0, failed = 0, skipped = 0;
	int a, r;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE...\n", argv[0]);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "sodium_init failed\n");
		return 2;
	}
	for (a = 1; a < argc; a++) {
		if ((text = json_read_file(argv[a], &len)) == NULL) {
			printf("%s: %s\n", argv[a], strerror(errno));
			failed++;
			continue;
		}
		doc = json_parse(text, len, &error, &off);
		free(text);
		if (doc == NULL) {
			printf("%s: JSON error at offset %zu: %s\n", argv[a],
			    off, error);
			failed++;
			continue;
		}
		vectors = json_get(doc, "vectors");
		if (vectors == NULL || vectors->type != JSON_ARRAY) {
			printf("%s: no \"vectors\" array\n", argv[a]);
			failed++;
			json_free(doc);
			continue;
		}
		for (i = 0; i < vectors->n; i++) {
			r = vector_run(vectors->items[i], &name);
			if (r == 0)
				passed++;
			else if (r > 0)
				skipped++;
			else {
				printf("%s: vector %zu: %s: %s\n", argv[a], i,
				    name, fail_why != NULL ? fail_why : "?");
				failed++;
			}
			free(fail_why);
			fail_why = NULL;
		}
		json_free(doc);
	}
	if (skipped != 0)
		printf("%u passed, %u failed, %u skipped\n", passed, failed,
		    skipped);
	else
		printf("%u passed, %u failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
