/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fan-out of fe_ops (see fe_mux.h): a fixed array of (ops, arg) pairs,
 * each report forwarded to every entry in order. A frontend that leaves
 * an op NULL does not receive that report.
 */
#include <stdlib.h>

#include "fe_mux.h"
#include "log.h"
#include "xmalloc.h"

#define FE_MUX_MAX 4

struct fe_mux {
	struct {
		const struct fe_ops *ops;
		void *arg;
	} fe[FE_MUX_MAX];
	size_t n;
};

struct fe_mux *
fe_mux_create(void)
{
	return xcalloc(1, sizeof(struct fe_mux));
}

void
fe_mux_free(struct fe_mux *m)
{
	free(m);
}

void
fe_mux_add(struct fe_mux *m, const struct fe_ops *ops, void *arg)
{
	if (m->n == FE_MUX_MAX)
		fatal("too many frontends");
	m->fe[m->n].ops = ops;
	m->fe[m->n++].arg = arg;
}

static void
fe_mux_ready(void *arg, const char *addr)
{
	struct fe_mux *m = arg;
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->fe[i].ops->ready != NULL)
			m->fe[i].ops->ready(m->fe[i].arg, addr);
	}
}

static void
fe_mux_peer_changed(void *arg, struct peer *p)
{
	struct fe_mux *m = arg;
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->fe[i].ops->peer_changed != NULL)
			m->fe[i].ops->peer_changed(m->fe[i].arg, p);
	}
}

static void
fe_mux_peer_removed(void *arg, struct peer *p)
{
	struct fe_mux *m = arg;
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->fe[i].ops->peer_removed != NULL)
			m->fe[i].ops->peer_removed(m->fe[i].arg, p);
	}
}

static void
fe_mux_message(void *arg, struct peer *p, int outgoing, const uint8_t id[16],
    int64_t time_ms, const char *text, size_t len)
{
	struct fe_mux *m = arg;
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->fe[i].ops->message != NULL)
			m->fe[i].ops->message(
			    m->fe[i].arg, p, outgoing, id, time_ms, text, len);
	}
}

static void
fe_mux_delivered(void *arg, struct peer *p, const uint8_t id[16])
{
	struct fe_mux *m = arg;
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->fe[i].ops->delivered != NULL)
			m->fe[i].ops->delivered(m->fe[i].arg, p, id);
	}
}

static void
fe_mux_notice(void *arg, struct peer *p, enum fe_level level, const char *text)
{
	struct fe_mux *m = arg;
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->fe[i].ops->notice != NULL)
			m->fe[i].ops->notice(m->fe[i].arg, p, level, text);
	}
}

static void
fe_mux_flip(void *arg, struct peer *p, const struct flip *fl)
{
	struct fe_mux *m = arg;
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->fe[i].ops->flip != NULL)
			m->fe[i].ops->flip(m->fe[i].arg, p, fl);
	}
}

static void
fe_mux_xfer(void *arg, struct peer *p, const struct xfer *x, int changed)
{
	struct fe_mux *m = arg;
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->fe[i].ops->xfer != NULL)
			m->fe[i].ops->xfer(m->fe[i].arg, p, x, changed);
	}
}

static void
fe_mux_room(void *arg, const struct room_report *rep)
{
	struct fe_mux *m = arg;
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->fe[i].ops->room != NULL)
			m->fe[i].ops->room(m->fe[i].arg, rep);
	}
}

static void
fe_mux_event(void *arg, const char *line)
{
	struct fe_mux *m = arg;
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->fe[i].ops->event != NULL)
			m->fe[i].ops->event(m->fe[i].arg, line);
	}
}

static void
fe_mux_swarm(void *arg, const struct swarm_report *rep, int changed)
{
	struct fe_mux *m = arg;
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (m->fe[i].ops->swarm != NULL)
			m->fe[i].ops->swarm(m->fe[i].arg, rep, changed);
	}
}

const struct fe_ops fe_mux_ops = {
	.ready = fe_mux_ready,
	.peer_changed = fe_mux_peer_changed,
	.peer_removed = fe_mux_peer_removed,
	.message = fe_mux_message,
	.delivered = fe_mux_delivered,
	.notice = fe_mux_notice,
	.flip = fe_mux_flip,
	.xfer = fe_mux_xfer,
	.room = fe_mux_room,
	.event = fe_mux_event,
	.swarm = fe_mux_swarm,
};

const char *
fe_level_name(enum fe_level level)
{
	switch (level) {
	case FE_INFO:
		return "info";
	case FE_WARN:
		return "warn";
	default:
		return "error";
	}
}
