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

struct app {
	int verbose;
	int headless;
	int created_conf; /* first run: the configuration was just written */
	int created_id; /* first run: the identity was just made */
	char *log_path;
	char *conf_warnings; /* lines conf_load() warned, "" if none */

	struct conf *conf;
	struct ident *id;
	struct loop *loop;
	struct engine *engine;
	int exit_code;
};

/* Run the loop with the chosen frontend until quit. */
int app_run(struct app *, char **cause);
/* Ask the program to exit with code after this iteration. */
void app_quit(struct app *, int code);

/* Frontends (ui.c, headless.c). */
int ui_run(struct app *, char **cause);
int headless_run(struct app *, char **cause);

#endif
