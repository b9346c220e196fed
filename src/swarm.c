/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The swarm (DESIGN.md section 10, doc/PROTOCOL.md section 17): room
 * files downloaded from every member that holds any of them, on top of
 * swarm_proto.c (the messages), swarm_pick.c (which leaf from whom) and
 * xfer_disk.c (source, hash tree, .part and its record).
 *
 * Rooms and the swarm are two features and include neither's header:
 * room_files.c registers with the engine (engine_set_files()) what was
 * announced where, and this file asks engine_file_announced() and
 * engine_file_member(). Everything about a root from a peer that is not
 * a member of a room where it was announced is ignored silently (17.1).
 *
 * A struct sw_file is a root we hold (a seed: the source file) or fetch
 * (a download: its .part, the record of verified leaves, the picker).
 * Both keep the proofs in a tree file in the data directory's "swarm"
 * folder, so a partial holder serves what it verified, and a finished
 * download becomes a seed. The list of them ("swarm/list", one line
 * each) and each download's record ("swarm/ROOT.have", written only
 * after an fdatasync() of the .part) survive a restart.
 *
 * Per peer (engine_peer_slot()): the requests we made of it, in order
 * (the CHUNKs must follow them), and those it made of us, which
 * swarm_serve.c answers. A tick each second sends the batched HAVEs,
 * records what was synced and reports progress.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "engine.h"
#include "feature.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "swarm_int.h"
#include "util.h"
#include "xfer_disk.h"
#include "xmalloc.h"

static void sw_save(struct swarms *);
static void sw_wake(struct swarms *);

struct swarms *
swarm_of(const struct engine *eng)
{
	return engine_feature(eng, &swarm_feature);
}

int
sw_peer_ok(struct peer *p)
{
	return p->state == PEER_ONLINE &&
	    (engine_peer_caps(p) & PROTO_CAP_SWARM) != 0;
}

static void
sw_peer_free(struct sw_peer *sp)
{
	if (sp == NULL)
		return;
	free(sp->leafbuf);
	free(sp->inbuf);
	free(sp->wanted);
	free(sp);
}

/* p's state, for its current session (a new one starts afresh). */
struct sw_peer *
sw_peer(struct peer *p)
{
	void **slot = engine_peer_slot(p, &swarm_feature);
	struct sw_peer *sp = *slot;
	uint64_t serial = engine_conn_serial(p);

	if (sp != NULL && sp->serial != serial) {
		sw_peer_free(sp);
		sp = NULL;
	}
	if (sp == NULL) {
		sp = xcalloc(1, sizeof *sp);
		sp->serial = serial;
		*slot = sp;
	}
	return sp;
}

void
sw_send(struct swarms *sw, struct peer *p, const struct swarm_msg *m)
{
	struct proto_msg pm;
	char *cause;
	size_t n;

	if ((n = swarm_proto_encode(m, sw->buf, SWARM_MSG_MAX)) == 0)
		fatal("cannot encode swarm message 0x%02x", m->type);
	memset(&pm, 0, sizeof pm);
	pm.type = sw->buf[0];
	pm.u.raw.data = sw->buf;
	pm.u.raw.len = n;
	if (engine_send_msg(sw->eng, p, &pm, &cause) == -1) {
		log_debug("swarm: %s", cause);
		free(cause);
	}
}

void
sw_send_simple(struct swarms *sw, struct peer *p, uint8_t type,
    const struct sw_file *f, uint64_t index, uint8_t reason)
{
	struct swarm_msg m;

	memset(&m, 0, sizeof m);
	m.type = type;
	memcpy(m.root, f->root, SWARM_ROOTLEN);
	m.index = index;
	m.reason = reason;
	sw_send(sw, p, &m);
}

struct sw_file *
sw_find(const struct swarms *sw, const uint8_t *root)
{
	size_t i;

	for (i = 0; i < sw->n; i++)
		if (!sw->v[i]->hashing &&
		    memcmp(sw->v[i]->root, root, SWARM_ROOTLEN) == 0)
			return sw->v[i];
	return NULL;
}

int
sw_holds(const struct sw_file *f, uint64_t index)
{
	if (f->seed)
		return index < f->count;
	return f->part != NULL && xfer_part_has(f->part, index);
}

static uint64_t
sw_bytes(const struct sw_file *f)
{
	return f->seed ? f->size : f->part != NULL ? f->part->bytes : 0;
}

/* What frontends and /transfers see of f. */
static void
sw_fill(const struct sw_file *f, struct swarm_report *r)
{
	memset(r, 0, sizeof *r);
	r->num = f->num;
	r->name = f->name;
	r->path = f->path;
	r->size = f->size;
	r->bytes = sw_bytes(f);
	r->done = f->seed;
	r->sources = f->pick != NULL ? swarm_pick_sources(f->pick) : 0;
	r->state = f->seed ? "done" : r->sources > 0 ? "active" : "waiting";
	r->rate = f->seed ? 0 : f->rate;
	r->root = f->root;
	r->uploaded = f->uploaded;
}

static void
sw_report(struct swarms *sw, struct sw_file *f, int changed)
{
	struct swarm_report r;
	const struct fe_ops *fe;
	void *arg;

	fe = engine_fe(sw->eng, &arg);
	if (fe->swarm == NULL || f->hashing)
		return;
	sw_fill(f, &r);
	fe->swarm(arg, &r, changed);
}

/* --- the list on disk --------------------------------------------------- */

static char *
sw_file_path(const struct swarms *sw, const struct sw_file *f, const char *ext)
{
	return xasprintf("%s/%s.%s", sw->dir, f->hex, ext);
}

/* Record the verified leaves of a download (after an fdatasync()). */
static void
sw_save_have(struct swarms *sw, struct sw_file *f)
{
	char *path = sw_file_path(sw, f, "have"), *tmp;
	FILE *fp;
	int ok;

	tmp = xasprintf("%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL) {
		log_debug("swarm: cannot write %s: %s", tmp, strerror(errno));
		free(tmp);
		free(path);
		return;
	}
	ok = fwrite(f->part->synced, 1, f->part->havelen, fp) ==
	    f->part->havelen;
	if (fclose(fp) != 0 || !ok || rename(tmp, path) == -1)
		log_debug("swarm: cannot write %s", path);
	free(tmp);
	free(path);
}

static void
sw_sync(struct swarms *sw, struct sw_file *f, int force)
{
	int r;

	if (f->seed || f->part == NULL || f->part->fd == -1)
		return;
	if ((r = xfer_part_sync(f->part, force)) == -1) {
		engine_notice(sw->eng, NULL, FE_WARN, "cannot write %s: %s",
		    f->path, strerror(errno));
		return;
	}
	if (r == 1 || force)
		sw_save_have(sw, f);
}

/* One line per file: S|D, root, size, mtime, num, path, name. */
static void
sw_save(struct swarms *sw)
{
	char *path = xasprintf("%s/list", sw->dir), *tmp;
	struct sw_file *f;
	FILE *fp;
	size_t i;
	int ok = 1;

	tmp = xasprintf("%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL) {
		engine_notice(sw->eng, NULL, FE_WARN, "cannot write %s: %s",
		    tmp, strerror(errno));
		free(tmp);
		free(path);
		return;
	}
	for (i = 0; i < sw->n; i++) {
		f = sw->v[i];
		if (f->hashing)
			continue;
		if (fprintf(fp,
		        "%c\t%s\t%" PRIu64 "\t%" PRId64 "\t%" PRId64
		        "\t%s\t%s\n",
		        f->seed ? 'S' : 'D', f->hex, f->size, f->mtime_ns,
		        f->num, f->path, f->name) < 0)
			ok = 0;
	}
	if (fclose(fp) != 0 || !ok || rename(tmp, path) == -1)
		engine_notice(sw->eng, NULL, FE_WARN, "cannot write %s", path);
	free(tmp);
	free(path);
}

static struct sw_file *
sw_file_new(struct swarms *sw)
{
	struct sw_file *f = xcalloc(1, sizeof *f);

	f->fd = -1;
	sw->v = xreallocarray(sw->v, sw->n + 1, sizeof *sw->v);
	sw->v[sw->n++] = f;
	return f;
}

static void
sw_file_free(struct sw_file *f)
{
	if (f == NULL)
		return;
	if (f->fd != -1)
		close(f->fd);
	xfer_tree_free(f->tree);
	xfer_part_free(f->part);
	swarm_pick_free(f->pick);
	free(f->fresh);
	free(f->path);
	free(f);
}

/* Drop f from the list (not saved yet). */
static void
sw_drop(struct swarms *sw, struct sw_file *f)
{
	size_t i;

	for (i = 0; i < sw->n; i++)
		if (sw->v[i] == f) {
			memmove(&sw->v[i], &sw->v[i + 1],
			    (sw->n - i - 1) * sizeof sw->v[0]);
			sw->n--;
			break;
		}
	sw_file_free(f);
}

static void
sw_set_root(struct sw_file *f, const uint8_t *root)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	memcpy(f->root, root, SWARM_ROOTLEN);
	for (i = 0; i < SWARM_ROOTLEN; i++) {
		f->hex[2 * i] = digits[root[i] >> 4];
		f->hex[2 * i + 1] = digits[root[i] & 15];
	}
	f->hex[2 * SWARM_ROOTLEN] = '\0';
	f->count = 0;
}

static int
sw_unhex(const char *s, uint8_t *out)
{
	unsigned v;
	size_t i;

	if (strlen(s) != 2 * SWARM_ROOTLEN)
		return -1;
	for (i = 0; i < SWARM_ROOTLEN; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static uint64_t
sw_seed_random(void)
{
	return loop_now_ms() ^ ((uint64_t)getpid() << 32);
}

/* Open what a download needs; its record, if any, read back. */
static int
sw_open_download(struct swarms *sw, struct sw_file *f, int resume, char **cause)
{
	char *tpath = sw_file_path(sw, f, "tree"), *hpath;
	uint8_t *have = NULL;
	size_t havelen = (size_t)(f->count / 8 + 1); /* as xfer_disk.c */
	FILE *fp;

	if ((f->tree = xfer_tree_create(sw->dir, tpath, f->size, cause)) ==
	    NULL) {
		free(tpath);
		return -1;
	}
	free(tpath);
	if (resume) {
		hpath = sw_file_path(sw, f, "have");
		have = xcalloc(1, havelen > 0 ? havelen : 1);
		if ((fp = fopen(hpath, "r")) != NULL) {
			if (fread(have, 1, havelen, fp) != havelen)
				memset(have, 0, havelen);
			fclose(fp);
		}
		free(hpath);
	}
	f->part = xfer_part_new(f->size, have, havelen);
	f->pick = swarm_pick_create(f->size, have, sw_seed_random());
	sw_wake(sw);
	f->rate_bytes = sw_bytes(f); /* what a resume starts from */
	free(have);
	if (resume) {
		if (xfer_part_open(f->part, f->path, cause) != 0) {
			if (*cause == NULL)
				*cause = xasprintf("%s is gone", f->path);
			return -1;
		}
	}
	return 0;
}

static int
sw_open_seed(struct swarms *sw, struct sw_file *f, char **cause)
{
	char *tpath = sw_file_path(sw, f, "tree");
	uint64_t size;
	int64_t mtime;
	const char *base;

	if ((f->fd = xfer_source_open(f->path, &size, &mtime, &base, cause)) ==
	    -1) {
		free(tpath);
		return -1;
	}
	if (size != f->size || mtime != f->mtime_ns) {
		*cause = xasprintf("%s changed since it was shared", f->path);
		free(tpath);
		return -1;
	}
	f->tree = xfer_tree_create(sw->dir, tpath, f->size, cause);
	free(tpath);
	return f->tree == NULL ? -1 : 0;
}

static void
sw_load(struct swarms *sw)
{
	char *path = xasprintf("%s/list", sw->dir), *line = NULL, *cause;
	char *fld[7], *s;
	size_t cap = 0, i;
	ssize_t len;
	uint8_t root[SWARM_ROOTLEN];
	struct sw_file *f;
	FILE *fp;
	int rc;

	if ((fp = fopen(path, "r")) == NULL) {
		free(path);
		return;
	}
	while ((len = getline(&line, &cap, fp)) > 0) {
		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		s = line;
		for (i = 0; i < 7 && s != NULL; i++)
			fld[i] = strsep(&s, "\t");
		if (i < 7 || fld[6] == NULL || sw_unhex(fld[1], root) == -1)
			continue;
		f = sw_file_new(sw);
		sw_set_root(f, root);
		f->seed = fld[0][0] == 'S';
		f->size = strtoull(fld[2], NULL, 10);
		f->count = swarm_proto_leaves(f->size);
		f->mtime_ns = strtoll(fld[3], NULL, 10);
		f->num = strtoll(fld[4], NULL, 10);
		f->path = xstrdup(fld[5]);
		snprintf(f->name, sizeof f->name, "%s", fld[6]);
		if (f->num >= sw->next_num)
			sw->next_num = f->num + 1;
		cause = NULL;
		rc = f->seed ? sw_open_seed(sw, f, &cause)
		             : sw_open_download(sw, f, 1, &cause);
		if (rc == -1) {
			engine_notice(sw->eng, NULL, FE_WARN,
			    "room file %s (#%" PRId64 ") is not kept: %s",
			    f->name, f->num, cause != NULL ? cause : "");
			free(cause);
			sw_drop(sw, f);
			continue;
		}
		f->changed = !f->seed;
	}
	free(line);
	fclose(fp);
	free(path);
}

/* --- sharing ---------------------------------------------------------------
 */

/* A slice of the first file being hashed; its tree file, named by its
 * number until the root is known, then by the root. */
static void
sw_hash_cb(void *arg)
{
	struct swarms *sw = arg;
	struct sw_file *f = NULL, *dup = NULL;
	uint8_t root[SWARM_ROOTLEN];
	enum xfer_hash_result r;
	const char *error = NULL;
	char *tmp, *final;
	size_t i;

	sw->hash_timer = NULL;
	for (i = 0; i < sw->n && f == NULL; i++)
		if (sw->v[i]->hashing)
			f = sw->v[i];
	if (f == NULL)
		return;
	r = xfer_tree_hash(f->tree, f->fd, sw->readbuf, SW_READ, SW_HASH_SLICE);
	if (r == XFER_HASH_MORE) {
		sw->hash_timer =
		    loop_timer_add(engine_loop(sw->eng), 0, sw_hash_cb, sw);
		return;
	}
	tmp = xasprintf("%s/new-%" PRId64 ".tree", sw->dir, f->num);
	if (r == XFER_HASH_DONE) {
		xfer_tree_root(f->tree, root);
		if ((dup = sw_find(sw, root)) != NULL && !dup->seed)
			error = "it is being downloaded";
	} else
		error = r == XFER_HASH_TREE ? "cannot write its hash tree"
		                            : "cannot read it";
	f->hashing = 0;
	if (error == NULL && dup == NULL) {
		sw_set_root(f, root);
		f->count = swarm_proto_leaves(f->size);
		f->seed = 1;
		final = sw_file_path(sw, f, "tree");
		if (rename(tmp, final) == -1)
			error = "cannot keep its hash tree";
		free(final);
	}
	if (f->cb != NULL)
		f->cb(f->cbarg, f->name, f->size, error == NULL ? root : NULL,
		    error);
	f->cb = NULL;
	if (error != NULL || dup != NULL) {
		unlink(tmp);
		sw_drop(sw, f); /* shared before: announced again */
	} else
		sw_save(sw);
	free(tmp);
	for (i = 0; i < sw->n; i++)
		if (sw->v[i]->hashing) {
			sw->hash_timer = loop_timer_add(
			    engine_loop(sw->eng), 0, sw_hash_cb, sw);
			break;
		}
}

int
swarm_share(struct swarms *sw, const char *path, swarm_shared_cb cb, void *arg,
    char **cause)
{
	struct sw_file *f;
	const char *base;
	uint64_t size;
	int64_t mtime;
	char *tmp;
	int fd;

	if (strpbrk(path, "\t\n") != NULL) {
		*cause =
		    xasprintf("a shared file's path has no tab or newline");
		return -1;
	}
	if ((fd = xfer_source_open(path, &size, &mtime, &base, cause)) == -1)
		return -1;
	f = sw_file_new(sw);
	f->fd = fd;
	f->size = size;
	f->mtime_ns = mtime;
	f->path = xstrdup(path);
	snprintf(f->name, sizeof f->name, "%s", base);
	f->hashing = 1;
	f->num = sw->next_num++;
	tmp = xasprintf("%s/new-%" PRId64 ".tree", sw->dir, f->num);
	unlink(tmp);
	f->tree = xfer_tree_create(sw->dir, tmp, size, cause);
	free(tmp);
	if (f->tree == NULL) {
		sw_drop(sw, f);
		return -1;
	}
	f->cb = cb;
	f->cbarg = arg;
	if (sw->hash_timer == NULL)
		sw->hash_timer =
		    loop_timer_add(engine_loop(sw->eng), 0, sw_hash_cb, sw);
	return 0;
}

/* --- downloading -------------------------------------------------------- */

static void
sw_want(struct swarms *sw, struct sw_file *f, struct peer *p)
{
	struct swarm_msg m;

	if (!sw_peer_ok(p) || !engine_file_member(sw->eng, f->root, p))
		return;
	memset(&m, 0, sizeof m);
	m.type = SWARM_MSG_WANT;
	memcpy(m.root, f->root, SWARM_ROOTLEN);
	sw_send(sw, p, &m);
}

int
swarm_download(struct swarms *sw, const uint8_t *root, uint64_t size,
    const char *name, int64_t *num, char **cause)
{
	struct sw_file *f;
	size_t i;

	if ((f = sw_find(sw, root)) != NULL) {
		*cause = xasprintf("%s is already %s (#%" PRId64 ")", f->name,
		    f->seed ? "here" : "being downloaded", f->num);
		return -1;
	}
	f = sw_file_new(sw);
	sw_set_root(f, root);
	f->size = size;
	f->count = swarm_proto_leaves(size);
	snprintf(f->name, sizeof f->name, "%s", name);
	if (sw_open_download(sw, f, 0, cause) == -1 ||
	    xfer_part_create(f->part, engine_conf(sw->eng)->download_dir,
	        f->name, &f->path, cause) == -1) {
		sw_drop(sw, f);
		return -1;
	}
	f->num = sw->next_num++;
	*num = f->num;
	sw_save(sw);
	sw_report(sw, f, 1);
	for (i = 0; i < engine_npeers(sw->eng); i++)
		sw_want(sw, f, engine_peer(sw->eng, i));
	return 0;
}

/* Live requests to p over all roots. */
static size_t
sw_live(const struct sw_peer *sp)
{
	size_t i, n = 0;

	for (i = 0; i < sp->nout; i++)
		n += !sp->out[i].withdrawn;
	return n;
}

void
sw_out_remove(struct sw_peer *sp, size_t k)
{
	if (k == 0)
		sp->leaf_on = 0;
	memmove(&sp->out[k], &sp->out[k + 1],
	    (sp->nout - k - 1) * sizeof sp->out[0]);
	sp->nout--;
}

/* Room for a request: withdrawn ones the holder never started (it
 * dropped them) are forgotten, all but the first (it may be arriving). */
static void
sw_out_trim(struct sw_peer *sp)
{
	size_t i;

	for (i = sp->nout; i-- > 1 && sp->nout == SW_OUT_MAX;)
		if (sp->out[i].withdrawn)
			sw_out_remove(sp, i);
}

/* Ask holders for what the picker chooses. */
void
sw_request(struct swarms *sw, struct sw_file *f)
{
	const void *holder;
	struct sw_peer *sp;
	struct peer *p;
	uint64_t leaf, now = loop_now_ms();

	if (f->seed || f->pick == NULL)
		return;
	while (swarm_pick_next(f->pick, now, &holder, &leaf) == 1) {
		p = (struct peer *)(uintptr_t)holder;
		sp = sw_peer(p);
		sw_out_trim(sp);
		if (!sw_peer_ok(p) || sw_live(sp) >= SWARM_PICK_OUTSTANDING ||
		    sp->nout == SW_OUT_MAX) {
			/* Its 16 go to other roots: rest it a while. */
			swarm_pick_refused(f->pick, holder, leaf, 1, now);
			continue;
		}
		sp->out[sp->nout].f = f;
		sp->out[sp->nout].index = leaf;
		sp->out[sp->nout].withdrawn = 0;
		sp->nout++;
		sw_send_simple(sw, p, SWARM_MSG_REQUEST, f, leaf, 0);
	}
}

/* Withdraw what p was asked of f (it was dropped or f is done). */
static void
sw_withdraw(struct swarms *sw, struct peer *p, struct sw_file *f, int64_t leaf)
{
	struct sw_peer *sp = sw_peer(p);
	size_t i;

	for (i = 0; i < sp->nout; i++) {
		if (sp->out[i].f != f || sp->out[i].withdrawn ||
		    (leaf >= 0 && sp->out[i].index != (uint64_t)leaf))
			continue;
		sp->out[i].withdrawn = 1;
		sw_send_simple(sw, p, SWARM_MSG_CANCEL, f, sp->out[i].index,
		    SWARM_CANCEL_WITHDRAWN);
	}
}

/* The download is whole: saved under its name, and from now a seed. */
static void
sw_complete(struct swarms *sw, struct sw_file *f)
{
	char *final, *hpath, *cause = NULL;
	struct stat st;
	const char *base;
	uint64_t size;
	size_t i;
	int err = 0;

	sw_sync(sw, f, 1);
	for (i = 0; i < engine_npeers(sw->eng); i++)
		if (sw_peer_ok(engine_peer(sw->eng, i)))
			sw_withdraw(sw, engine_peer(sw->eng, i), f, -1);
	xfer_part_close(f->part);
	if ((final = xfer_part_finish(f->path, f->name, &err)) == NULL) {
		engine_notice(sw->eng, NULL, FE_ERROR,
		    "%s (#%" PRId64 ") is complete and verified, but cannot be "
		    "renamed: %s; it stays in %s",
		    f->name, f->num, strerror(err), f->path);
		return;
	}
	free(f->path);
	f->path = final;
	hpath = sw_file_path(sw, f, "have");
	unlink(hpath);
	free(hpath);
	xfer_part_free(f->part);
	f->part = NULL;
	swarm_pick_free(f->pick);
	f->pick = NULL;
	f->seed = 1;
	if ((f->fd = xfer_source_open(
	         final, &size, &f->mtime_ns, &base, &cause)) == -1 ||
	    fstat(f->fd, &st) == -1) {
		engine_notice(sw->eng, NULL, FE_WARN,
		    "%s is saved but not "
		    "served: %s",
		    final, cause != NULL ? cause : "");
		free(cause);
	}
	sw_save(sw);
	f->changed = 0;
	sw_report(sw, f, 1);
}

/* A whole leaf from p, out[0]: kept if it verifies, else p dropped. */
static void
sw_leaf_done(struct swarms *sw, struct peer *p, struct sw_peer *sp)
{
	struct sw_file *f = sp->out[0].f;
	uint64_t index = sp->out[0].index, now = loop_now_ms();
	const void *cancel[SWARM_PICK_COPIES];
	size_t n, i;
	int err;

	sw_out_remove(sp, 0);
	if (f->seed || xfer_part_has(f->part, index))
		return;
	if (!xfer_leaf_verify(&sp->leaf, f->root, f->size)) {
		if (swarm_pick_bad(f->pick, p, index)) {
			engine_notice(sw->eng, p, FE_WARN,
			    "%s sent a bad part of %s (#%" PRId64 "): no "
			    "longer asked for it",
			    p->name, f->name, f->num);
			sw_withdraw(sw, p, f, -1);
		}
		sw_request(sw, f);
		return;
	}
	if ((err = xfer_part_write(f->part, index, sp->leafbuf)) != 0 ||
	    xfer_tree_put_proof(f->tree, index,
	        (const uint8_t(*)[MERKLE_HASHLEN])sp->leaf.proof,
	        sp->leaf.depth) == -1) {
		engine_notice(sw->eng, NULL, FE_ERROR, "cannot write %s: %s",
		    f->path,
		    strerror(err != 0 ? err : xfer_tree_error(f->tree)));
		swarm_pick_gone(f->pick, p);
		return;
	}
	log_debug("swarm: #%" PRId64 " leaf %" PRIu64 " from %s", f->num, index,
	    p->name);
	n = swarm_pick_got(f->pick, p, index, now, cancel, SWARM_PICK_COPIES);
	for (i = 0; i < n; i++)
		sw_withdraw(
		    sw, (struct peer *)(uintptr_t)cancel[i], f, (int64_t)index);
	f->fresh = xreallocarray(f->fresh, f->nfresh + 1, sizeof *f->fresh);
	f->fresh[f->nfresh++] = index;
	f->changed = 1;
	if (f->part->nhave == f->count)
		sw_complete(sw, f);
	else
		sw_request(sw, f);
}

static int
sw_chunk(struct swarms *sw, struct peer *p, const struct swarm_msg *m,
    const char **why)
{
	struct sw_peer *sp = sw_peer(p);
	struct sw_req *r;
	size_t k;
	int rc;

	/* Withdrawn ones before it: the holder went past them. */
	for (k = 0; k < sp->nout; k++) {
		r = &sp->out[k];
		if (memcmp(r->f->root, m->root, SWARM_ROOTLEN) == 0 &&
		    r->index == m->index)
			break;
		if (!r->withdrawn) {
			*why = "swarm chunk out of order";
			return -1;
		}
	}
	if (k == sp->nout) {
		*why = "swarm chunk not requested";
		return -1;
	}
	while (k-- > 0)
		sw_out_remove(sp, 0);
	r = &sp->out[0];
	if (r->withdrawn) {
		if ((uint64_t)m->offset + m->datalen >=
		    (r->index + 1 == r->f->count
		            ? r->f->size - r->index * SWARM_LEAF
		            : SWARM_LEAF))
			sw_out_remove(sp, 0);
		return 0;
	}
	if (!sp->leaf_on) {
		xfer_leaf_init(&sp->leaf, r->f->size, r->index);
		sp->leaf_on = 1;
	}
	if (sp->leafbuf == NULL)
		sp->leafbuf = xmalloc(SWARM_LEAF);
	if ((rc = xfer_leaf_add(&sp->leaf, r->f->size, m->offset, m->data,
	         m->datalen, m->proof, m->nproof, sp->leafbuf, why)) == -1)
		return -1;
	if (rc == 1)
		sw_leaf_done(sw, p, sp);
	return 0;
}

static void
sw_map(struct swarms *sw, struct peer *p, const struct swarm_msg *m)
{
	struct sw_file *f = sw_find(sw, m->root);

	if (f == NULL || f->seed || swarm_pick_dropped(f->pick, p))
		return;
	if (m->size != f->size) {
		if (swarm_pick_bad(f->pick, p, 0))
			engine_notice(sw->eng, p, FE_WARN,
			    "%s gave a wrong size for %s (#%" PRId64 "): no "
			    "longer asked for it",
			    p->name, f->name, f->num);
		return;
	}
	if (m->kind == SWARM_MAP_ALL)
		swarm_pick_all(f->pick, p);
	else if (m->kind == SWARM_MAP_BITS)
		swarm_pick_bits(f->pick, p, m->start, m->bits, m->nbits);
	f->changed = 1;
	sw_request(sw, f);
}

/* --- the hooks ------------------------------------------------------------
 */

static int
sw_message(
    void *state, struct peer *p, const struct proto_msg *pm, const char **why)
{
	struct swarms *sw = state;
	struct swarm_msg *m = &sw->msg;
	struct sw_file *f;
	size_t i;

	if (!(engine_peer_caps(p) & PROTO_CAP_SWARM)) {
		*why = "swarm message without the capability";
		return -1;
	}
	if (swarm_proto_decode(pm->u.raw.data, pm->u.raw.len, m, why) == -1)
		return -1;
	/* 17.1: nothing about a root from a non-member, not even an error. */
	if (!engine_file_member(sw->eng, m->root, p)) {
		log_debug("swarm: 0x%02x from %s, not a member: ignored",
		    m->type, p->name);
		return 0;
	}
	switch (m->type) {
	case SWARM_MSG_WANT:
		sw_wanted(sw_peer(p), m->root);
		sw_send_map(sw, p, m->root);
		break;
	case SWARM_MSG_MAP:
		sw_map(sw, p, m);
		break;
	case SWARM_MSG_HAVE:
		if ((f = sw_find(sw, m->root)) == NULL || f->pick == NULL ||
		    swarm_pick_dropped(f->pick, p))
			break;
		for (i = 0; i < m->n; i++)
			if (m->have[i] < f->count)
				swarm_pick_have(f->pick, p, m->have[i]);
		f->changed = 1;
		sw_request(sw, f);
		break;
	case SWARM_MSG_REQUEST:
		return sw_request_in(sw, p, m, why);
	case SWARM_MSG_CHUNK:
		return sw_chunk(sw, p, m, why);
	case SWARM_MSG_CANCEL:
		sw_cancel_in(sw, p, m);
		break;
	}
	return 0;
}

static void
sw_online(void *state, struct peer *p)
{
	struct swarms *sw = state;
	size_t i;

	if (!sw_peer_ok(p))
		return;
	(void)sw_peer(p);
	for (i = 0; i < sw->n; i++)
		if (!sw->v[i]->seed && !sw->v[i]->hashing)
			sw_want(sw, sw->v[i], p);
}

static void
sw_offline(void *state, struct peer *p)
{
	struct swarms *sw = state;
	void **slot = engine_peer_slot(p, &swarm_feature);
	size_t i;

	for (i = 0; i < sw->n; i++)
		if (sw->v[i]->pick != NULL)
			swarm_pick_gone(sw->v[i]->pick, p);
	swarm_slots_release(&sw->slots, p);
	sw_peer_free(*slot);
	*slot = NULL;
	for (i = 0; i < sw->n; i++)
		if (sw->v[i]->pick != NULL) {
			sw->v[i]->changed = 1;
			sw_request(sw, sw->v[i]);
		}
}

static void
sw_removed(void *state, struct peer *p)
{
	sw_offline(state, p);
}

static int
sw_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
sw_tick(void *arg)
{
	struct swarms *sw = arg;
	struct sw_file *f;
	double sample;
	size_t i;

	sw->tick = NULL;
	for (i = 0; i < sw->n; i++) {
		f = sw->v[i];
		if (f->hashing)
			continue;
		if (f->nfresh > 1)
			qsort(
			    f->fresh, f->nfresh, sizeof *f->fresh, sw_u64_cmp);
		sw_send_haves(sw, f);
		sw_sync(sw, f, 0);
		if (f->pick != NULL)
			sw_request(sw, f); /* a busy holder rested */
		/* Smoothed over a few ticks, as leaves arrive whole. */
		sample =
		    (double)(sw_bytes(f) - f->rate_bytes) * 1000.0 / SW_TICK_MS;
		f->rate = f->rate > 0 ? 0.6 * f->rate + 0.4 * sample : sample;
		f->rate_bytes = sw_bytes(f);
		if (f->changed)
			sw_report(sw, f, 0);
		f->changed = 0;
		if (f->pick != NULL)
			sw_wake(sw);
	}
}

/*
 * The tick runs while a file is being downloaded, and once more after
 * the last one completes (its HAVEs and its report go out then): an idle
 * node, or one that only serves, has no timer of ours.
 */
static void
sw_wake(struct swarms *sw)
{
	if (sw->tick == NULL)
		sw->tick = loop_timer_add_coarse(
		    engine_loop(sw->eng), SW_TICK_MS, sw_tick, sw);
}

void
swarm_holders(
    const struct swarms *sw, const uint8_t *root, swarm_holder_cb cb, void *arg)
{
	const struct sw_file *f = sw_find(sw, root);
	struct swarm_holder h;
	const void *id;
	uint64_t leaves;
	size_t i;

	if (f == NULL || f->pick == NULL)
		return;
	for (i = 0; swarm_pick_holder(f->pick, i, &id, &leaves, &h.dropped);
	     i++) {
		if (leaves == 0)
			continue; /* gone, or nothing yet */
		h.peer = (struct peer *)(uintptr_t)id;
		h.bytes = leaves == f->count ? f->size
		                             : leaves * (uint64_t)SWARM_LEAF;
		cb(arg, &h);
	}
}

int
swarm_report_of(
    const struct swarms *sw, const uint8_t *root, struct swarm_report *r)
{
	const struct sw_file *f = sw_find(sw, root);

	if (f == NULL)
		return -1;
	sw_fill(f, r);
	return 0;
}

static void *
sw_create(struct engine *eng, char **cause)
{
	struct swarms *sw = xcalloc(1, sizeof *sw);
	size_t i;

	sw->eng = eng;
	sw->dir = xasprintf("%s/swarm", engine_conf(eng)->data_dir);
	if (mkdir(sw->dir, 0700) == -1 && errno != EEXIST) {
		*cause =
		    xasprintf("cannot create %s: %s", sw->dir, strerror(errno));
		free(sw->dir);
		free(sw);
		return NULL;
	}
	sw->buf = xmalloc(SWARM_MSG_MAX);
	sw->readbuf = xmalloc(SW_READ);
	sw->next_num = 1;
	sw_load(sw);
	for (i = 0; i < sw->n; i++)
		if (!sw->v[i]->seed)
			sw_report(sw, sw->v[i], 1);
	return sw;
}

static void
sw_free(void *state)
{
	struct swarms *sw = state;
	struct sw_file *f;
	size_t i;

	if (sw == NULL)
		return;
	if (sw->tick != NULL)
		loop_timer_del(sw->tick);
	if (sw->hash_timer != NULL)
		loop_timer_del(sw->hash_timer);
	for (i = 0; i < engine_npeers(sw->eng); i++) {
		void **slot =
		    engine_peer_slot(engine_peer(sw->eng, i), &swarm_feature);

		sw_peer_free(*slot);
		*slot = NULL;
	}
	for (i = 0; i < sw->n; i++) {
		f = sw->v[i];
		sw_sync(sw, f, 0);
		if (f->cb != NULL)
			f->cb(f->cbarg, f->name, f->size, NULL, "p2ptui quit");
		sw_file_free(f);
	}
	free(sw->v);
	free(sw->buf);
	free(sw->readbuf);
	free(sw->dir);
	free(sw);
}

int64_t
swarm_held(const struct swarms *sw, const uint8_t *root)
{
	const struct sw_file *f = sw_find(sw, root);

	return f == NULL ? -1 : (int64_t)sw_bytes(f);
}

void
swarm_list(const struct swarms *sw, swarm_report_cb cb, void *arg)
{
	struct swarm_report r;
	size_t i;

	for (i = 0; i < sw->n; i++) {
		if (sw->v[i]->hashing)
			continue;
		sw_fill(sw->v[i], &r);
		cb(arg, &r);
	}
}

const struct feature swarm_feature = {
	.name = "swarm",
	.type_lo = PROTO_SWARM_FIRST,
	.type_hi = PROTO_SWARM_LAST,
	.flags = FEATURE_MEMBER,
	.create = sw_create,
	.free = sw_free,
	.message = sw_message,
	.online = sw_online,
	.offline = sw_offline,
	.pump = sw_pump,
	.removed = sw_removed,
};
