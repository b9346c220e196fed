/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The swarm's serving side (doc/PROTOCOL.md 17.3): MAPs in answer to
 * WANT, REQUESTs queued per peer in the order made (at most 16; a 17th
 * closes the session) or refused with CANCEL (busy: 8 downloaders
 * served already; missing), and the pump that sends each requested leaf
 * as CHUNKs, the proof in the first, read from the source of a seed or
 * the .part of a download, below the bulk watermark and within
 * upload_rate. swarm.c checks membership (17.1) before any of this.
 */
#include <string.h>

#include "engine.h"
#include "loop.h"
#include "swarm_int.h"
#include "xmalloc.h"

/* --- serving ------------------------------------------------------------ */

/* Answer WANT: what we hold of f, as MAPs. */
void
sw_send_map(struct swarms *sw, struct peer *p, const uint8_t *root)
{
	struct sw_file *f = sw_find(sw, root);
	struct swarm_msg m;
	size_t off, n, j, bytes;
	int any;

	memset(&m, 0, sizeof m);
	m.type = SWARM_MSG_MAP;
	memcpy(m.root, root, SWARM_ROOTLEN);
	if (f == NULL) {
		const char *name;

		if (!engine_file_announced(sw->eng, root, &m.size, &name))
			return;
		m.kind = SWARM_MAP_NONE;
		sw_send(sw, p, &m);
		return;
	}
	m.size = f->size;
	bytes = (size_t)((f->count + 7) / 8); /* the MAP's: up to leaf n-1 */
	if (f->seed || f->part->nhave == 0) {
		m.kind = f->seed ? SWARM_MAP_ALL : SWARM_MAP_NONE;
		sw_send(sw, p, &m);
		return;
	}
	m.kind = SWARM_MAP_BITS;
	for (off = 0; off < bytes; off += n) {
		n = bytes - off;
		if (n > SWARM_MAP_BYTES_MAX)
			n = SWARM_MAP_BYTES_MAX;
		for (any = 0, j = 0; j < n && !any; j++)
			any = f->part->have[off + j] != 0;
		if (!any)
			continue;
		m.start = (uint64_t)off * 8;
		m.bits = f->part->have + off;
		m.nbits = n;
		sw_send(sw, p, &m);
	}
}

void
sw_wanted(struct sw_peer *sp, const uint8_t *root)
{
	size_t i;

	for (i = 0; i < sp->nwanted; i++)
		if (memcmp(sp->wanted[i], root, SWARM_ROOTLEN) == 0)
			return;
	sp->wanted =
	    xreallocarray(sp->wanted, sp->nwanted + 1, sizeof *sp->wanted);
	memcpy(sp->wanted[sp->nwanted++], root, SWARM_ROOTLEN);
}

int
sw_request_in(struct swarms *sw, struct peer *p, const struct swarm_msg *m,
    const char **why)
{
	struct sw_peer *sp = sw_peer(p);
	struct sw_file *f = sw_find(sw, m->root);

	if (f == NULL)
		return 0; /* not ours to answer: silence */
	if (m->index >= f->count) {
		*why = "swarm request beyond the file";
		return -1;
	}
	if (sp->nin == SWARM_PICK_OUTSTANDING) {
		*why = "too many swarm requests";
		return -1;
	}
	if (!sw_holds(f, m->index) || (f->seed && f->fd == -1)) {
		sw_send_simple(
		    sw, p, SWARM_MSG_CANCEL, f, m->index, SWARM_CANCEL_MISSING);
		return 0;
	}
	if (!swarm_slots_admit(&sw->slots, p, loop_now_ms())) {
		sw_send_simple(
		    sw, p, SWARM_MSG_CANCEL, f, m->index, SWARM_CANCEL_BUSY);
		return 0;
	}
	sp->in[sp->nin].f = f;
	sp->in[sp->nin].index = m->index;
	sp->in[sp->nin].withdrawn = 0;
	sp->nin++;
	engine_pump(p);
	return 0;
}

void
sw_cancel_in(struct swarms *sw, struct peer *p, const struct swarm_msg *m)
{
	struct sw_peer *sp = sw_peer(p);
	struct sw_file *f = sw_find(sw, m->root);
	size_t i;

	if (f == NULL)
		return;
	if (m->reason == SWARM_CANCEL_WITHDRAWN) {
		for (i = 0; i < sp->nin; i++) {
			if (sp->in[i].f != f || sp->in[i].index != m->index ||
			    (i == 0 && sp->in_off > 0))
				continue;
			memmove(&sp->in[i], &sp->in[i + 1],
			    (sp->nin - i - 1) * sizeof sp->in[0]);
			sp->nin--;
			break;
		}
		return;
	}
	/* busy or missing, from a holder */
	for (i = 0; i < sp->nout; i++) {
		if (sp->out[i].f != f || sp->out[i].index != m->index ||
		    sp->out[i].withdrawn)
			continue;
		sw_out_remove(sp, i);
		if (f->pick != NULL) {
			swarm_pick_refused(f->pick, p, m->index,
			    m->reason == SWARM_CANCEL_BUSY, loop_now_ms());
			sw_request(sw, f);
		}
		break;
	}
}

/* Read the leaf in[0] and its proof into the peer's buffers. */
static int
sw_load_leaf(struct sw_peer *sp, size_t *len)
{
	struct sw_file *f = sp->in[0].f;
	uint64_t index = sp->in[0].index;
	int err;

	*len = index + 1 == f->count ? (size_t)(f->size - index * SWARM_LEAF)
	                             : SWARM_LEAF;
	if (sp->inbuf == NULL)
		sp->inbuf = xmalloc(SWARM_LEAF);
	if (sp->in_off == 0) {
		if (f->seed)
			err = xfer_source_read(f->fd, index * SWARM_LEAF,
			          sp->inbuf, *len) == -1
			    ? -1
			    : 0;
		else
			err = xfer_part_read(f->part, index, sp->inbuf);
		if (err != 0 ||
		    (sp->depth = xfer_tree_proof(f->tree, index, sp->proof)) ==
		        -1)
			return -1;
	}
	return 0;
}

int
sw_pump(void *state, struct peer *p)
{
	struct swarms *sw = state;
	struct sw_peer *sp = *engine_peer_slot(p, &swarm_feature);
	struct swarm_msg m;
	struct sw_file *f;
	size_t len, n;

	if (sp == NULL || sp->serial != engine_conn_serial(p))
		return 0;
	while (sp->nin > 0) {
		if (engine_queued(p) >= ENGINE_BULK_WATERMARK)
			return 1;
		if (!engine_upload_ok(p))
			return 0;
		f = sp->in[0].f;
		if (sw_load_leaf(sp, &len) == -1) {
			sw_send_simple(sw, p, SWARM_MSG_CANCEL, f,
			    sp->in[0].index, SWARM_CANCEL_MISSING);
			memmove(&sp->in[0], &sp->in[1],
			    (sp->nin - 1) * sizeof sp->in[0]);
			sp->nin--;
			sp->in_off = 0;
			continue;
		}
		n = len - sp->in_off;
		if (n > SW_PIECE)
			n = SW_PIECE;
		memset(&m, 0, sizeof m);
		m.type = SWARM_MSG_CHUNK;
		memcpy(m.root, f->root, SWARM_ROOTLEN);
		m.index = sp->in[0].index;
		m.offset = sp->in_off;
		m.proof = sp->proof[0]; /* never NULL, even with no hash */
		if (sp->in_off == 0)
			m.nproof = (uint8_t)sp->depth;
		m.data = sp->inbuf + sp->in_off;
		m.datalen = n;
		sw_send(sw, p, &m);
		engine_upload_spent(p, n);
		f->uploaded += n;
		sp->in_off += (uint32_t)n;
		if (sp->in_off == len) {
			memmove(&sp->in[0], &sp->in[1],
			    (sp->nin - 1) * sizeof sp->in[0]);
			sp->nin--;
			sp->in_off = 0;
		}
	}
	return 0;
}

/* The HAVEs of f's new leaves to the peers that asked for it. */
void
sw_send_haves(struct swarms *sw, struct sw_file *f)
{
	struct swarm_msg *m = &sw->msg;
	struct sw_peer *sp;
	struct peer *p;
	size_t i, j, k, n;

	if (f->nfresh == 0)
		return;
	for (i = 0; i < engine_npeers(sw->eng); i++) {
		p = engine_peer(sw->eng, i);
		sp = *engine_peer_slot(p, &swarm_feature);
		if (!sw_peer_ok(p) || sp == NULL ||
		    sp->serial != engine_conn_serial(p))
			continue;
		for (j = 0; j < sp->nwanted; j++)
			if (memcmp(sp->wanted[j], f->root, SWARM_ROOTLEN) == 0)
				break;
		if (j == sp->nwanted ||
		    !engine_file_member(sw->eng, f->root, p))
			continue;
		for (k = 0; k < f->nfresh; k += n) {
			n = f->nfresh - k;
			if (n > SWARM_HAVE_MAX)
				n = SWARM_HAVE_MAX;
			memset(m, 0, sizeof *m);
			m->type = SWARM_MSG_HAVE;
			memcpy(m->root, f->root, SWARM_ROOTLEN);
			m->n = (uint16_t)n;
			memcpy(m->have, f->fresh + k, n * sizeof *f->fresh);
			sw_send(sw, p, m);
		}
	}
	f->nfresh = 0;
}
