/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer harness for the rendezvous codec (src/rdv_proto.c). The
 * first byte picks the direction (bit 0) and whether the rest is one
 * message or the first bytes of a connection (bit 1: a relay hello or
 * not). A message that decodes must encode back to the very same bytes
 * and decode to the same fields; every name it carries is a valid
 * username; a DIRECTORY's names can be walked to its end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rdv_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t fuzz_out[70000];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rdv_msg m, again;
	uint8_t *copy, tok[RDV_TOKENLEN];
	const char *why;
	enum rdv_dir dir;
	size_t n, off = 0, count = 0;
	char name[RDV_NAME_MAX + 1];

	if (size < 1)
		return 0;
	dir = (data[0] & 1) ? RDV_FROM_SERVER : RDV_FROM_CLIENT;
	copy = malloc(size - 1 + 1);
	if (copy == NULL)
		abort();
	memcpy(copy, data + 1, size - 1);
	if (data[0] & 2) {
		if (rdv_proto_hello_parse(copy, size - 1, tok) == 1 &&
		    (size - 1 < RDV_HELLO_LEN || copy[1] != 0x24))
			abort();
		free(copy);
		return 0;
	}
	if (rdv_proto_decode(copy, size - 1, dir, &m, &why) == 0) {
		if (m.name[0] != '\0' &&
		    !rdv_name_valid(m.name, strlen(m.name)))
			abort();
		if (m.type == RDV_MSG_DIRECTORY) {
			while (rdv_proto_dir_next(&m, &off, name))
				count++;
			if (count != m.n || off != m.len)
				abort();
		}
		n = rdv_proto_encode(&m, fuzz_out, sizeof fuzz_out);
		if (n != size - 1 || memcmp(fuzz_out, copy, n) != 0)
			abort();
		if (rdv_proto_decode(fuzz_out, n, dir, &again, &why) != 0 ||
		    again.type != m.type || again.n != m.n ||
		    strcmp(again.name, m.name) != 0 ||
		    memcmp(again.key, m.key, RDV_KEYLEN) != 0)
			abort();
	}
	free(copy);
	return 0;
}
