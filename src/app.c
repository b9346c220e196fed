/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The running program: the loop, the signals every frontend shares, and
 * the choice of frontend.
 */
#include <signal.h>
#include <stdlib.h>

#include "app.h"
#include "loop.h"
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
	if (app->headless)
		ret = headless_run(app, cause);
	else
		ret = ui_run(app, cause);
	loop_free(app->loop);
	app->loop = NULL;
	if (ret == -1)
		return 1;
	return app->exit_code;
}
