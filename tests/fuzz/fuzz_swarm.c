/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer harness for the swarm. The first byte chooses what the rest
 * is:
 *
 *   0x00: a script for a picker (swarm_pick.c) of a file of 1 to 300
 *         leaves and 4 holders; each step is op:u8 arg:u8 and changes
 *         what holders have, asks for the next leaf, delivers, refuses,
 *         drops a holder or loses it. The picker must name only the 4
 *         holders and leaves of the file, never a dropped holder, never
 *         hold more leaves than the file has (and, under the sanitizers,
 *         never read or write out of bounds).
 *   else: attacker bytes (copied to an exact allocation, so that
 *         over-reads are seen) as one swarm message, which must encode
 *         back to the very same bytes if it decodes, with its fields in
 *         their ranges and its pointers inside the message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "swarm_pick.h"
#include "swarm_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct swarm_msg fuzz_m;
static uint8_t fuzz_out[SWARM_MSG_MAX];

static int
fuzz_inside(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
	return n == 0 || (p >= buf && p + n <= buf + len);
}

static void
fuzz_message(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size > 0 ? size : 1);
	const char *why;
	size_t n;

	if (buf == NULL)
		return;
	memcpy(buf, data, size);
	if (swarm_proto_decode(buf, size, &fuzz_m, &why) == 0) {
		if (why != NULL || !swarm_proto_is(fuzz_m.type) ||
		    fuzz_m.size > SWARM_SIZE_MAX ||
		    (fuzz_m.type != SWARM_MSG_MAP &&
		        fuzz_m.index >= SWARM_LEAVES_MAX) ||
		    !fuzz_inside(fuzz_m.bits, fuzz_m.nbits, buf, size) ||
		    !fuzz_inside(fuzz_m.data, fuzz_m.datalen, buf, size) ||
		    !fuzz_inside(fuzz_m.proof,
		        (size_t)fuzz_m.nproof * SWARM_HASHLEN, buf, size))
			abort();
		n = swarm_proto_encode(&fuzz_m, fuzz_out, sizeof fuzz_out);
		if (n != size || memcmp(fuzz_out, buf, size) != 0)
			abort();
	} else if (why == NULL)
		abort();
	free(buf);
}

#define FUZZ_HOLDERS 4
static const char fuzz_holders[FUZZ_HOLDERS] = { 0 };

static void
fuzz_picker(const uint8_t *data, size_t size)
{
	struct swarm_pick *sp;
	const void *h, *cancel[FUZZ_HOLDERS];
	uint64_t leaf, count, now = 1, asked[FUZZ_HOLDERS][8];
	size_t i, k, nasked[FUZZ_HOLDERS] = { 0 };
	uint8_t bits[64];

	if (size < 2)
		return;
	count = 1 + (((size_t)data[0] << 8 | data[1]) % 300);
	sp = swarm_pick_create(count * 262144 - 7, NULL, 1);
	for (i = 2; i + 1 < size; i += 2) {
		k = data[i + 1] % FUZZ_HOLDERS;
		h = &fuzz_holders[k];
		now += data[i + 1];
		switch (data[i] % 7) {
		case 0:
			swarm_pick_all(sp, h);
			break;
		case 1:
			memset(bits, data[i + 1], sizeof bits);
			swarm_pick_bits(sp, h, (data[i + 1] % 4) * 8, bits,
			    1 + data[i + 1] % sizeof bits);
			break;
		case 2:
			swarm_pick_have(sp, h, data[i + 1] % count);
			break;
		case 3:
			if (!swarm_pick_next(sp, now, &h, &leaf))
				break;
			k = (size_t)((const char *)h - fuzz_holders);
			if (k >= FUZZ_HOLDERS || leaf >= count ||
			    swarm_pick_dropped(sp, h))
				abort();
			if (nasked[k] < 8)
				asked[k][nasked[k]++] = leaf;
			break;
		case 4:
			if (nasked[k] > 0)
				(void)swarm_pick_got(sp, h,
				    asked[k][--nasked[k]], now, cancel,
				    FUZZ_HOLDERS);
			break;
		case 5:
			if (nasked[k] > 0)
				swarm_pick_refused(sp, h, asked[k][--nasked[k]],
				    data[i + 1] & 1, now);
			break;
		default:
			if (data[i + 1] & 1)
				(void)swarm_pick_bad(sp, h, 0);
			else
				swarm_pick_gone(sp, h);
			nasked[k] = 0;
			break;
		}
		if (swarm_pick_held(sp) > count)
			abort();
	}
	swarm_pick_free(sp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] == 0)
		fuzz_picker(data + 1, size - 1);
	else
		fuzz_message(data + 1, size - 1);
	return 0;
}
