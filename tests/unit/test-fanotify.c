/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-fanotify.c: the two readers behind one interface (struct
 * itl_reader), and the record writers they share, against the kernel. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itl-core.h"
#include "tap.h"
#include "tmptree.h"

/* Run cmd in another process (our own events are skipped by pid). */
static void
other(const char *cmd)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
}

static struct itl *
open_backend(enum itl_backend b)
{
	struct itl_config cfg = { .backend = b };
	struct itl *ctx = NULL;

	return itl_open(&ctx, &cfg) == 0 ? ctx : NULL;
}

static void
same_object_same_wd(enum itl_backend b, const char *what)
{
	struct itl *ctx = open_backend(b);
	int wd1 = -1, wd2 = -2;

	ok(ctx != NULL, "%s: open", what);
	if (ctx == NULL)
		return;
	is_int(ctx->rd->add(ctx, P("d"), IN_CREATE, &wd1), 0, "%s: add", what);
	is_int(ctx->rd->add(ctx, P("d/"), IN_CREATE, &wd2), 0,
	    "%s: add again", what);
	is_int(wd2, wd1, "%s: the same directory twice has one wd", what);
	is_int(ctx->rd->add(ctx, P("nosuch"), IN_CREATE, &wd2), -ENOENT,
	    "%s: a missing path is -ENOENT", what);
	itl_close(ctx);
}

static void
resolve_forms(void)
{
	struct itl *in = open_backend(ITL_INOTIFY);
	struct itl *fan = open_backend(ITL_FANOTIFY);
	struct itl_buf b = {0};
	char cwd[PATH_MAX], want[PATH_MAX + 8];

	(void)chdir(top);
	(void)itl_buf_putc(&b, '\0');
	b.len = 0;
	is_int(in->rd->resolve(in, "d", 0, &b), 0, "inotify resolve");
	is_mem(b.data, b.len, "d", (size_t)1, "inotify keeps the path as given");
	b.len = 0;
	is_int(fan->rd->resolve(fan, "d/l", IN_DONT_FOLLOW, &b), 0,
	    "fanotify resolve");
	snprintf(want, sizeof(want), "%s/d/l",
	    realpath(".", cwd) ? cwd : top);
	is_mem(b.data, b.len, want, strlen(want),
	    "fanotify: absolute, a link itself without following");
	itl_buf_free(&b);
	itl_close(in);
	itl_close(fan);
}

static void
records(void)
{
	struct itl *ctx = open_backend(ITL_INOTIFY);
	struct inotify_event *ie;
	struct itl_synth *s;
	size_t n;

	n = itl_raw_put(ctx, 0, sizeof(ctx->raw), 7, IN_CREATE, 3, "abc", 3);
	is_int((int)n, 32, "a 3-byte name is padded to 16");
	ctx->end = n;
	ie = itl_raw_record(ctx, 0);
	ok(ie != NULL && ie->wd == 7 && ie->cookie == 3 &&
	    strcmp(ie->name, "abc") == 0, "the record reads back");
	is_int((int)itl_raw_put(ctx, 0, 16, 1, IN_CREATE, 0, "abc", 3), 0,
	    "no record without room");
	is_int((int)itl_raw_put(ctx, 0, 16, 1, IN_Q_OVERFLOW, 0, NULL, 0), 16,
	    "no name, no padding");
	is_int(itl_synth_push(ctx, 7, IN_CREATE, "x", 0, 0), 0, "synth push");
	s = (struct itl_synth *)(void *)ctx->synth.data;
	ok((s->flags & ITL_EVF_SYNTHETIC) && s->ev.len == 16 &&
	    strcmp(s->ev.name, "x") == 0, "a synthetic record is flagged");
	itl_close(ctx);
}

/* Next event of another process, within 5 s. */
static const struct itl_event *
next(struct itl *ctx)
{
	const struct itl_event *ev = NULL;

	return itl_next(ctx, 5000, &ev) == 1 ? ev : NULL;
}

static void
fanotify_events_are_records(void)
{
	struct itl *ctx = open_backend(ITL_FANOTIFY);
	const struct itl_event *ev;
	char abs[PATH_MAX], want[PATH_MAX + 8], cmd[PATH_MAX + 32];

	(void)realpath(P("e"), abs);
	is_int(itl_watch_add(ctx, P("e"), IN_CREATE | IN_ATTRIB | IN_OPEN |
	    IN_ISDIR), 0, "mark e");
	snprintf(cmd, sizeof(cmd), "touch '%s/x'", abs);
	other(cmd);
	ev = next(ctx);
	ok(ev != NULL && (ev->mask & IN_CREATE), "CREATE arrives");
	snprintf(want, sizeof(want), "%s/", abs);
	is_str(ev ? itl_wd_path(ctx, ev->wd, NULL) : "", want,
	    "on the directory's watch, under its absolute path");
	is_str(ev ? ev->name : "", "x", "named by the entry");
	ok(ev != NULL && ev->raw != NULL && ev->raw->len == 16,
	    "with an inotify record");
	while (itl_next(ctx, 0, &ev) == 1)
		;
	snprintf(cmd, sizeof(cmd), "chmod 700 '%s'", abs);
	other(cmd);
	ev = next(ctx);
	ok(ev != NULL && ev->mask == (IN_ATTRIB | IN_ISDIR),
	    "the directory's own ATTRIB");
	is_str(ev ? ev->name : "x", "", "has no name (not \".\")");
	snprintf(cmd, sizeof(cmd), "ls '%s/sub' >/dev/null", abs);
	other(cmd);
	ev = next(ctx);
	snprintf(want, sizeof(want), "%s/sub/", abs);
	is_str(ev ? itl_wd_path(ctx, ev->wd, NULL) : "", want,
	    "a subdirectory's own event is on a watch of its own");
	ok(ev != NULL && (ev->mask & IN_OPEN) && ev->name_len == 0,
	    "its OPEN, without a name");
	itl_close(ctx);
}

int
main(void)
{
	char d[600];

	if (tmptree_make("fanotify") < 0)
		return 99;
	snprintf(d, sizeof(d), "%s", P("d"));
	mkdir(d, 0755);
	if (symlink("nowhere", P("d/l")) < 0)
		return 99;
	mkdir(P("e"), 0755);
	mkdir(P("e/sub"), 0755);
	same_object_same_wd(ITL_INOTIFY, "inotify");
	same_object_same_wd(ITL_FANOTIFY, "fanotify");
	resolve_forms();
	records();
	fanotify_events_are_records();
	tmptree_remove(top);
	return tap_done();
}
