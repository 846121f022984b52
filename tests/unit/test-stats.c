/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-stats.c: hit counters per watch and in total. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itl.h"
#include "tap.h"
#include "tmptree.h"

static void
write_file(const char *rel)
{
	int fd = open(P(rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd >= 0) {
		if (write(fd, "x", 1) != 1)
			perror("write");
		close(fd);
	}
}

static void
drain(struct itl *ctx)
{
	const struct itl_event *ev;

	while (itl_next(ctx, 0, &ev) == 1)
		;
}

struct row {
	char path[512];
	long total, attrib, delete_self, create;
	int wd;
};

struct rows {
	struct row r[16];
	int n;
};

static int
collect(const char *path, const long *hits, long total, int wd, void *arg)
{
	struct rows *rs = arg;
	struct row *r;

	if (rs->n == 16)
		return 1;
	r = &rs->r[rs->n++];
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->total = total;
	r->attrib = hits[itl_events_bit(IN_ATTRIB)];
	r->delete_self = hits[itl_events_bit(IN_DELETE_SELF)];
	r->create = hits[itl_events_bit(IN_CREATE)];
	r->wd = wd;
	return 0;
}

static struct row *
find(struct rows *rs, const char *path)
{
	int i;

	for (i = 0; i < rs->n; i++)
		if (strcmp(rs->r[i].path, path) == 0)
			return &rs->r[i];
	return NULL;
}

static void
counts_and_keeps_removed_rows(void)
{
	struct itl *ctx = NULL;
	struct itl_config cfg = { .stats = 1 };
	struct itl_watch *w;
	struct rows rs = {0};
	struct row *r;

	is_int(itl_open(&ctx, &cfg), 0, "open with stats");
	mkdir(P("d"), 0755);
	write_file("f");
	is_int(itl_watch_add(ctx, P("d"), IN_ALL_EVENTS), 0, "watch d");
	is_int(itl_watch_add(ctx, P("f"), IN_ALL_EVENTS), 0, "watch f");
	write_file("d/a");
	write_file("d/b");
	drain(ctx);
	w = itl_watch_by_path(ctx, P("d/"));
	is_int(itl_stats_watch(ctx, w, IN_CREATE), 2, "d: 2 creates");
	is_int(itl_stats_watch(ctx, w, IN_CLOSE_WRITE), 2, "d: 2 close_write");
	is_int(itl_stats_watch(ctx, w, 0), 8, "d: total 8");
	is_int(itl_stats_watch(ctx, w, IN_CLOSE), -EINVAL, "two bits: -EINVAL");
	is_int(itl_stats_total(ctx, IN_MODIFY), 2, "global modify 2");
	is_int(itl_stats_total(ctx, 0), 8, "global total 8");
	unlink(P("f"));
	drain(ctx);
	is_int(itl_watch_count(ctx), 1, "f's watch gone");
	is_int(itl_stats_foreach(ctx, collect, &rs), 0, "foreach");
	is_int(rs.n, 2, "two rows: d live, f retired");
	r = find(&rs, P("f"));
	ok(r != NULL, "f's row kept");
	if (r != NULL) {
		is_int(r->total, 3, "f: total 3 (IGNORED counted)");
		is_int(r->attrib, 1, "f: attrib 1");
		is_int(r->delete_self, 1, "f: delete_self 1");
	}
	write_file("f");
	drain(ctx);
	is_int(itl_watch_add(ctx, P("f"), IN_ALL_EVENTS), 0, "watch f again");
	w = itl_watch_by_path(ctx, P("f"));
	is_int(itl_stats_watch(ctx, w, 0), 3, "row taken up again");
	rs.n = 0;
	itl_stats_foreach(ctx, collect, &rs);
	is_int(rs.n, 2, "still two rows");
	itl_stats_reset(ctx);
	is_int(itl_stats_total(ctx, 0), 0, "reset");
	is_int(itl_stats_watch(ctx, w, 0), 0, "reset per watch");
	itl_close(ctx);

	ctx = NULL;
	cfg.stats = 0;
	itl_open(&ctx, &cfg);
	is_int(itl_stats_total(ctx, 0), -EINVAL, "no stats: -EINVAL");
	itl_close(ctx);
}

static void
churn_reuses_rows(void)
{
	struct itl *ctx = NULL;
	struct itl_config cfg = { .stats = 1, .track_new_dirs = 1 };
	struct rows rs = {0};
	int i;

	itl_open(&ctx, &cfg);
	mkdir(P("c"), 0755);
	is_int(itl_watch_tree(ctx, P("c"), IN_ALL_EVENTS, NULL), 0, "tree c");
	for (i = 0; i < 200; i++) {
		mkdir(P("c/n"), 0755);
		drain(ctx);
		rmdir(P("c/n"));
		drain(ctx);
	}
	is_int(itl_stats_foreach(ctx, collect, &rs), 0, "foreach");
	is_int(rs.n, 2, "c and one row for c/n/ after 200 cycles");
	ok(find(&rs, P("c/n/")) != NULL && find(&rs, P("c/n/"))->total >= 400,
	    "c/n/ counted across cycles");
	itl_close(ctx);
}

#define NDIR	2000

/* Heap bytes in use after watching NDIR directories (and, with touch, one
 * event in each). */
static long
heap_for_tree(int stats, int touch)
{
	struct itl *ctx = NULL;
	struct itl_config cfg = { .stats = stats };
	char rel[64];
	long before, after;
	int i;

	before = (long)mallinfo2().uordblks;
	itl_open(&ctx, &cfg);
	itl_watch_tree(ctx, P("m"), IN_ALL_EVENTS, NULL);
	if (touch) {
		for (i = 0; i < NDIR; i++) {
			snprintf(rel, sizeof(rel), "m/%d", i);
			chmod(P(rel), 0700);
		}
		drain(ctx);
	}
	after = (long)mallinfo2().uordblks;
	is_int(itl_watch_count(ctx), NDIR + 1, "%d watches", NDIR + 1);
	itl_close(ctx);
	return after - before;
}

static void
rows_are_small_and_lazy(void)
{
	char rel[64];
	long plain, idle, busy;
	int i;

	mkdir(P("m"), 0755);
	for (i = 0; i < NDIR; i++) {
		snprintf(rel, sizeof(rel), "m/%d", i);
		mkdir(P(rel), 0755);
	}
	plain = heap_for_tree(0, 0);
	idle = heap_for_tree(1, 0);
	busy = heap_for_tree(1, 1);
	ok((idle - plain) / NDIR <= 8,
	    "stats without events: %ld bytes per watch (<= 8)",
	    (idle - plain) / NDIR);
	ok((busy - plain) / NDIR <= 100,
	    "stats with events: %ld bytes per watch (<= 100)",
	    (busy - plain) / NDIR);
}

int
main(void)
{
	if (tmptree_make("stats") < 0)
		return 99;
	counts_and_keeps_removed_rows();
	churn_reuses_rows();
	rows_are_small_and_lazy();
	tmptree_remove(top);
	return tap_done();
}
