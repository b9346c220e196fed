/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fan-out of the engine's reports: one struct fe_ops that forwards every
 * report to each attached frontend, in the order they were attached, so
 * the TUI (or headless mode) and the web page show one engine at once
 * without the engine knowing how many there are.
 *
 * Shared per-peer and per-engine state has one owner, the first
 * frontend attached (the primary): only it may use p->fe_data, count
 * p->unread and record shown messages (engine_shown(), engine_unshown()).
 * The others keep their own state and read the store for history.
 */
#ifndef P2PTUI_FE_MUX_H
#define P2PTUI_FE_MUX_H

#include "engine.h"

struct fe_mux;

/* The ops to give engine_create(), with the mux as its argument. */
extern const struct fe_ops fe_mux_ops;

struct fe_mux *fe_mux_create(void);
void fe_mux_free(struct fe_mux *);
/* Attach a frontend; the first one attached is the primary. */
void fe_mux_add(struct fe_mux *, const struct fe_ops *, void *arg);

/* "info", "warn" or "error", as every frontend names a level. */
const char *fe_level_name(enum fe_level);

#endif
