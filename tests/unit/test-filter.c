/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-filter.c: --exclude/--include inside itl_next(). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "itl.h"
#include "tap.h"
#include "tmptree.h"

static void
touch(const char *rel)
{
	int fd = open(P(rel), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd >= 0)
		close(fd);
}

static struct itl *
open_ctx(int track)
{
	struct itl *ctx = NULL;
	struct itl_config cfg = { .track_new_dirs = track,
	    .scan_new_dirs = track };

	return itl_open(&ctx, &cfg) < 0 ? NULL : ctx;
}

/* Names of the CREATE events that get through, space-separated. */
static const char *
creates(struct itl *ctx)
{
	static char out[1024];
	const struct itl_event *ev;

	out[0] = '\0';
	while (itl_next(ctx, 0, &ev) == 1) {
		if (!(ev->mask & IN_CREATE))
			continue;
		if (strlen(out) + ev->name_len + 2 < sizeof(out)) {
			strcat(out, ev->name);
			strcat(out, " ");
		}
	}
	return out;
}

static void
exclude_include_icase(void)
{
	struct itl *ctx = open_ctx(0);

	mkdir(P("d"), 0755);
	is_int(itl_watch_add(ctx, P("d"), IN_CREATE), 0, "watch d");
	is_int(itl_filter_set(ctx, "(", 0), -EINVAL, "bad regex: -EINVAL");
	is_int(itl_filter_set(ctx, "x$", 0), 0, "exclude x$");
	touch("d/ax");
	touch("d/b");
	touch("d/AX");
	is_str(creates(ctx), "b AX ", "exclude drops matches");
	is_int(itl_filter_set(ctx, "x$", ITL_FILTER_ICASE), 0, "excludei");
	touch("d/cx");
	touch("d/CX");
	touch("d/e");
	is_str(creates(ctx), "e ", "case-insensitive");
	is_int(itl_filter_set(ctx, "/d/[fg]$", ITL_FILTER_INVERT), 0,
	    "include on %%w%%f");
	touch("d/f");
	touch("d/h");
	touch("d/g");
	is_str(creates(ctx), "f g ", "include drops the rest");
	is_int(itl_filter_set(ctx, NULL, 0), 0, "clear");
	touch("d/i");
	is_str(creates(ctx), "i ", "cleared");
	itl_close(ctx);
}

static void
recursive_exempts_new_dirs(void)
{
	struct itl *ctx = open_ctx(1);
	char cmd[600];

	mkdir(P("r"), 0755);
	is_int(itl_watch_tree(ctx, P("r"), IN_ALL_EVENTS, NULL), 0, "tree r");
	is_int(itl_filter_set(ctx, "txt$", ITL_FILTER_INVERT |
	    ITL_FILTER_RECURSIVE), 0, "include txt$, recursive");
	snprintf(cmd, sizeof(cmd), "mkdir %s && : > %s && : > %s",
	    P("r/foo"), P("r/foo/a.txt"), P("r/foo/b.c"));
	is_int(system(cmd), 0, "mkdir foo; touch foo/a.txt foo/b.c");
	is_str(creates(ctx), "foo a.txt ", "new dir exempt, its txt seen");
	is_int(itl_watch_count(ctx), 2, "foo watched");
	itl_close(ctx);

	ctx = open_ctx(1);
	is_int(itl_watch_tree(ctx, P("r"), IN_ALL_EVENTS, NULL), 0, "tree r");
	is_int(itl_filter_set(ctx, "bar", 0), 0, "exclude bar (no exemption)");
	mkdir(P("r/bar"), 0755);
	is_str(creates(ctx), "", "CREATE bar filtered");
	is_int(itl_watch_count(ctx), 3, "but bar watched all the same");
	itl_close(ctx);
}

/* itl_pending() looks past events the filter will drop: a caller that
 * flushes when it is 0 never waits with output held back. */
static void
pending_sees_past_dropped(void)
{
	struct itl *ctx = open_ctx(0);
	const struct itl_event *ev;

	mkdir(P("p"), 0755);
	is_int(itl_watch_add(ctx, P("p"), IN_CREATE), 0, "watch p");
	is_int(itl_filter_set(ctx, "drop", 0), 0, "exclude drop");
	touch("p/keep1");
	touch("p/keep2");
	touch("p/drop1");
	touch("p/drop2");
	is_int(itl_next(ctx, 0, &ev), 1, "keep1");
	ok(itl_pending(ctx), "keep2 pending");
	is_int(itl_next(ctx, 0, &ev), 1, "keep2");
	is_str(ev->name, "keep2", "keep2 delivered");
	ok(!itl_pending(ctx), "only dropped events left: not pending");
	is_int(itl_next(ctx, 0, &ev), 0, "and none delivered");
	itl_close(ctx);
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
filtered_events_keep_the_deadline(void)
{
	struct itl *ctx = open_ctx(0);
	const struct itl_event *ev;
	struct timespec t0;
	pid_t pid;
	int r, i;
	long ms;

	mkdir(P("t"), 0755);
	is_int(itl_watch_add(ctx, P("t"), IN_ATTRIB), 0, "watch t");
	is_int(itl_filter_set(ctx, "noise", 0), 0, "exclude noise");
	touch("t/noise");
	/* Filtered events every 5 ms for 60 s: a timeout restarted by each
	 * of them would only end once the stream does. */
	pid = fork();
	if (pid == 0) {
		for (i = 0; i < 12000; i++) {
			chmod(P("t/noise"), i % 2 ? 0600 : 0644);
			usleep(5000);
		}
		_exit(0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = itl_next(ctx, 300, &ev);
	ms = ms_since(&t0);
	is_int(r, 0, "timeout while filtered events stream in");
	ok(ms >= 299, "not before its 300 ms (%ld)", ms);
	is_int(waitpid(pid, NULL, WNOHANG), 0,
	    "returned while the filtered events still came: not restarted");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	itl_close(ctx);
}

int
main(void)
{
	if (tmptree_make("filter") < 0)
		return 99;
	exclude_include_icase();
	recursive_exempts_new_dirs();
	filtered_events_keep_the_deadline();
	pending_sees_past_dropped();
	tmptree_remove(top);
	return tap_done();
}
