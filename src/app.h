/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The running program: what main() prepared, and the frontends that
 * app_run() chooses between.
 */
#ifndef P2PTUI_APP_H
#define P2PTUI_APP_H

struct conf;
struct ident;
struct loop;
struct engine;
struct fe_mux;
struct fe_ops;
struct web;

struct app {
	int verbose;
	int headless;
	int web_only; /* --web: the web frontend alone */
	int created_conf; /* first run: the configuration was just written */
	int created_id; /* first run: the identity was just made */
	char *log_path;
	char *conf_warnings; /* lines conf_load() warned, "" if none */

	struct conf *conf;
	struct ident *id;
	struct loop *loop;
	struct engine *engine;
	struct web *web; /* the web frontend beside the TUI or headless */
	struct fe_mux *mux;
	const char *web_url; /* while the web frontend runs, for /web */
	int exit_code;
};

/* Run the loop with the chosen frontend until quit. */
int app_run(struct app *, char **cause);
/* Ask the program to exit with code after this iteration. */
void app_quit(struct app *, int code);

/*
 * The engine for a frontend (ops, arg): with the web settings in the
 * configuration, the web frontend is attached beside it (the frontend
 * stays the primary one: see fe_mux.h) and told the page's address.
 */
struct engine *app_engine_create(
    struct app *, const struct fe_ops *, void *arg, char **cause);
/* Free the engine and whatever app_engine_create() attached. */
void app_engine_free(struct app *);

/* Frontends (ui.c, headless.c; web.c has web_run()). */
int ui_run(struct app *, char **cause);
int headless_run(struct app *, char **cause);

#endif
