/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The running program: the loop, the signals every frontend shares, the
 * choice of frontend, and the web frontend attached beside it.
 */
#include <signal.h>
#include <stdlib.h>

#include "app.h"
#include "conf.h"
#include "engine.h"
#include "fe_mux.h"
#include "loop.h"
#include "web.h"
#include "xmalloc.h"

static void
app_signal(int signo, void *arg)
{
	struct app *app = arg;

	/* SIGTERM, SIGINT and SIGHUP (the terminal went away) end the
	 * program cleanly, restoring the terminal and saying bye to peers. */
	app_quit(app, signo == SIGINT ? 130 : 0);
}

void
app_quit(struct app *app, int code)
{
	app->exit_code = code;
	loop_stop(app->loop);
}

struct engine *
app_engine_create(
    struct app *app, const struct fe_ops *ops, void *arg, char **cause)
{
	char *msg;

	if (!app->conf->web)
		return engine_create(
		    app->loop, app->conf, app->id, ops, arg, cause);
	if ((app->web = web_create(app, 0, cause)) == NULL)
		return NULL;
	app->mux = fe_mux_create();
	fe_mux_add(app->mux, ops, arg);
	fe_mux_add(app->mux, web_fe_ops(), app->web);
	app->engine = engine_create(
	    app->loop, app->conf, app->id, &fe_mux_ops, app->mux, cause);
	if (app->engine == NULL) {
		app_engine_free(app);
		return NULL;
	}
	msg = xasprintf("web front end at %s", web_url(app->web));
	ops->notice(arg, NULL, FE_INFO, msg);
	free(msg);
	return app->engine;
}

void
app_engine_free(struct app *app)
{
	engine_free(app->engine);
	app->engine = NULL;
	web_free(app->web);
	app->web = NULL;
	fe_mux_free(app->mux);
	app->mux = NULL;
}

int
app_run(struct app *app, char **cause)
{
	int ret;

	app->loop = loop_create();
	if (loop_signal(app->loop, SIGTERM, app_signal, app) == -1 ||
	    loop_signal(app->loop, SIGINT, app_signal, app) == -1 ||
	    loop_signal(app->loop, SIGHUP, app_signal, app) == -1) {
		*cause = xstrdup("cannot install signal handlers");
		loop_free(app->loop);
		return 1;
	}
	if (app->web_only)
		ret = web_run(app, cause);
	else if (app->headless)
		ret = headless_run(app, cause);
	else
		ret = ui_run(app, cause);
	loop_free(app->loop);
	app->loop = NULL;
	if (ret == -1)
		return 1;
	return app->exit_code;
}
