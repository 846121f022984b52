/* SPDX-License-Identifier: GPL-2.0-or-later */
/* setup.c: opening the backend and adding the watches, with upstream's
 * messages for each failure. */
#include <errno.h>
#include <string.h>

#include "cli.h"

static const char *
backend_name(enum itl_backend b)
{
	return b == ITL_FANOTIFY ? "fanotify" : "inotify";
}

int
cli_open(struct itl **ctx, const struct itl_config *cfg)
{
	const char *be = backend_name(cfg->backend);
	int fan = cfg->backend == ITL_FANOTIFY;
	int r;

	if ((r = itl_open(ctx, cfg)) == 0)
		return 0;
	cli_err("Couldn't initialize %s: %s\n", be, strerror(-r));
	if (r == -EMFILE)
		cli_err("Try increasing the value of "
		    "/proc/sys/fs/%s/max_user_%s\n", be,
		    fan ? "groups" : "instances");
	if (fan && r == -EINVAL)
		cli_err("fanotify support for reporting the events with "
		    "file names was added in kernel v5.9.\n");
	if (fan && r == -EPERM)
		cli_err("fanotify watch requires admin privileges\n");
	return -1;
}

int
cli_watch_path(struct itl *ctx, const char *path, uint32_t mask,
    const char *const *excl, int flags)
{
	if (!(flags & CLI_WATCH_FILESYSTEM) && (flags & CLI_WATCH_RECURSIVE))
		return itl_watch_tree(ctx, path, mask, excl);
	return itl_watch_add(ctx, path, mask);
}

void
cli_watch_error(const struct cli_watch_opts *o, const char *path, int err)
{
	const char *be = backend_name(o->backend);
	const char *res = o->backend == ITL_FANOTIFY ? "marks" : "watches";

	if (err < 0)
		err = -err;
	if (o->flags & CLI_WATCH_FILESYSTEM)
		o->out("Couldn't add filesystem watch %s: %s\n", cli_esc(path),
		    strerror(err));
	else if (err == ENOSPC) {
		o->out("Failed to watch %s; upper limit on %s %s reached!\n",
		    cli_esc(path), be, res);
		o->out("Please increase the amount of %s %s allowed per "
		    "user via `/proc/sys/fs/%s/max_user_%s'.\n", be, res, be,
		    res);
	} else
		o->out("%s %s: %s\n", o->fail, cli_esc(path), strerror(err));
}

int
cli_watch_all(struct itl *ctx, const struct cli_paths *p, uint32_t mask,
    const struct cli_watch_opts *o)
{
	const char *const *excl = (const char *const *)p->excl;
	size_t i;
	int r;

	for (i = 0; i < p->nwatch; i++) {
		r = cli_watch_path(ctx, p->watch[i], mask, excl, o->flags);
		/* Filesystem marks are set up as one list, named by its
		 * first path when one fails (as upstream). */
		if (r < 0) {
			cli_watch_error(o, p->watch[(o->flags &
			    CLI_WATCH_FILESYSTEM) ? 0 : i], r);
			return -1;
		}
	}
	return 0;
}
