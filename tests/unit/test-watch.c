/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-watch.c: the watch table: stored paths, lookups, renames, memory. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itl.h"
#include "tap.h"
#include "tmptree.h"

static struct itl *
open_ctx(int track)
{
	struct itl *ctx = NULL;
	struct itl_config cfg = { .track_new_dirs = track };

	return itl_open(&ctx, &cfg) < 0 ? NULL : ctx;
}

static const char *
path_of(struct itl *ctx, const char *stored)
{
	struct itl_watch *w = itl_watch_by_path(ctx, stored);

	return w == NULL ? "(none)" : itl_watch_path(ctx, w, NULL);
}

static void
stored_paths_follow_lstat(void)
{
	struct itl *ctx = open_ctx(0);
	char slashes[600];

	mkdir(P("d"), 0755);
	close(open(P("d/f"), O_CREAT | O_WRONLY, 0644));
	symlink("d", P("dlink"));
	is_int(itl_watch_add(ctx, P("d"), IN_ALL_EVENTS), 0, "watch d");
	is_str(path_of(ctx, P("d/")), P("d/"), "dir gets a '/'");
	ok(itl_watch_by_path(ctx, P("d")) == NULL, "exact lookup: no 'd'");
	is_int(itl_watch_add(ctx, P("d/f"), IN_ALL_EVENTS), 0, "watch d/f");
	is_str(path_of(ctx, P("d/f")), P("d/f"), "file has no '/'");
	is_int(itl_watch_count(ctx), 2, "two watches");
	itl_close(ctx);

	ctx = open_ctx(0);
	snprintf(slashes, sizeof(slashes), "%s//", P("d"));
	is_int(itl_watch_add(ctx, slashes, IN_ALL_EVENTS), 0, "watch d//");
	is_str(path_of(ctx, slashes), slashes, "d// stays as given");
	is_int(itl_watch_add(ctx, P("d"), IN_ALL_EVENTS), 0, "watch d again");
	is_int(itl_watch_count(ctx), 1, "same wd: one watch");
	is_str(path_of(ctx, slashes), slashes, "first name stays");
	itl_close(ctx);

	ctx = open_ctx(0);
	is_int(itl_watch_add(ctx, P("dlink"), IN_ALL_EVENTS), 0, "watch link");
	is_str(path_of(ctx, P("dlink")), P("dlink"), "symlink: no '/'");
	is_int(itl_watch_add(ctx, P("nonexistent"), IN_ALL_EVENTS), -ENOENT,
	    "missing path: -ENOENT");
	is_str(itl_wd_path(ctx, 12345, NULL), "", "unknown wd: \"\"");
	ok(itl_watch_by_wd(ctx, 12345) == NULL, "unknown wd: NULL");
	itl_close(ctx);
}

static int
count_cb(struct itl *ctx, struct itl_watch *w, void *arg)
{
	(*(int *)arg)++;
	return itl_watch_wd(w) == 0 ? -1 : 0;
}

static void
tree_lookup_and_rename(void)
{
	struct itl *ctx = open_ctx(0);
	struct itl_watch *w;
	int n = 0, wd;

	mkdir(P("t"), 0755);
	mkdir(P("t/a"), 0755);
	mkdir(P("t/a/b"), 0755);
	mkdir(P("t/a/b/c"), 0755);
	is_int(itl_watch_tree(ctx, P("t"), IN_ALL_EVENTS, NULL), 0, "tree t");
	is_int(itl_watch_count(ctx), 4, "four watches");
	is_int(itl_watch_foreach(ctx, count_cb, &n), 0, "foreach");
	is_int(n, 4, "foreach visits four");
	w = itl_watch_by_path(ctx, P("t/a/b/c/"));
	ok(w != NULL, "lookup of a deep path");
	wd = w ? itl_watch_wd(w) : -1;
	is_str(itl_wd_path(ctx, wd, NULL), P("t/a/b/c/"), "deep path");
	ok(itl_watch_by_path(ctx, P("t/a/b/c")) == NULL, "needs the '/'");
	ok(itl_watch_by_path(ctx, P("t/a/x/")) == NULL, "no such path");
	is_int(itl_watch_rename_prefix(ctx, P("t/a/"), P("t/zz/")), 0,
	    "rename prefix");
	is_str(itl_wd_path(ctx, wd, NULL), P("t/zz/b/c/"), "descendant renamed");
	ok(itl_watch_by_path(ctx, P("t/zz/b/c/")) != NULL, "found by new path");
	ok(itl_watch_by_path(ctx, P("t/a/b/c/")) == NULL, "not by old path");
	is_str(path_of(ctx, P("t/")), P("t/"), "parent untouched");
	is_int(itl_watch_rename_prefix(ctx, P("t/zz/b/c/"), P("t/q/")), 0,
	    "rename a leaf");
	is_str(itl_wd_path(ctx, wd, NULL), P("t/q/"), "leaf renamed");
	is_int(itl_watch_remove(ctx, itl_watch_wd(itl_watch_by_path(ctx,
	    P("t/")))), 0, "remove the top");
	is_str(itl_wd_path(ctx, itl_watch_wd(itl_watch_by_path(ctx,
	    P("t/zz/b/"))), NULL), P("t/zz/b/"), "children keep paths");
	is_int(itl_watch_count(ctx), 3, "three left");
	itl_close(ctx);
	tmptree_remove(P("t"));
}

static void
drain(struct itl *ctx)
{
	const struct itl_event *ev;

	while (itl_next(ctx, 0, &ev) == 1)
		;
}

static void
churn_does_not_grow(void)
{
	struct itl *ctx = open_ctx(1);
	struct mallinfo2 m0 = {0}, m1;
	char name[64];
	int i, maxw = 0;

	mkdir(P("c"), 0755);
	is_int(itl_watch_tree(ctx, P("c"), IN_ALL_EVENTS, NULL), 0, "tree c");
	for (i = 0; i < 10000; i++) {
		if (i == 200)
			m0 = mallinfo2();
		snprintf(name, sizeof(name), "c/n%d", i);
		mkdir(P(name), 0755);
		drain(ctx);
		if ((int)itl_watch_count(ctx) > maxw)
			maxw = (int)itl_watch_count(ctx);
		rmdir(P(name));
		drain(ctx);
	}
	m1 = mallinfo2();
	is_int(maxw, 2, "each new dir was watched");
	is_int(itl_watch_count(ctx), 1, "back to one watch");
	ok(m1.uordblks <= m0.uordblks + 1024,
	    "heap steady over 10000 cycles (%zu -> %zu)", m0.uordblks,
	    m1.uordblks);
	itl_close(ctx);
}

int
main(void)
{
	if (tmptree_make("watch") < 0)
		return 99;
	stored_paths_follow_lstat();
	tree_lookup_and_rename();
	churn_does_not_grow();
	tmptree_remove(top);
	return tap_done();
}
