/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-sorted.c: inotifytools_wd_sorted_by_event() and the rb*list walk, as
 * a prebuilt 3.22 program uses them: records in 3.22's struct watch layout,
 * the sort orders, names through inotifytools_filename_from_watch(). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inotifytools/inotifytools.h"
#include "itl.h"
#include "tap.h"
#include "tmptree.h"

/* inotify-tools 3.22's private struct watch, as its programs see it. */
struct watch322 {
	void *fid;
	char *filename;
	unsigned long wd;
	int dirf;
	unsigned hit_access, hit_modify, hit_attrib, hit_close_write,
	    hit_close_nowrite, hit_open, hit_moved_from, hit_moved_to,
	    hit_create, hit_delete, hit_delete_self, hit_unmount,
	    hit_move_self, hit_total;
};

/* write N bytes to path in N writes: N MODIFY events (unread ones with the
 * same name would be merged by the kernel, so read in between) */
static void
modify(const char *path, int n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	while (fd >= 0 && n-- > 0) {
		if (write(fd, "x", 1) != 1)
			break;
		while (inotifytools_next_events(0, 1) != NULL)
			;
	}
	if (fd >= 0)
		close(fd);
	while (inotifytools_next_events(0, 1) != NULL)
		;
}

/* The names, in list order, joined by spaces (paths relative to top). */
static const char *
order(int sort_event)
{
	static char out[256];
	struct rbtree *t = inotifytools_wd_sorted_by_event(sort_event);
	struct rblists *l = rbopenlist(t);
	const struct watch322 *w;
	const char *name;
	size_t n = 0;

	out[0] = '\0';
	while ((w = rbreadlist(l)) != NULL && n + 40 < sizeof(out)) {
		name = inotifytools_filename_from_watch((struct watch *)w);
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s",
		    n ? " " : "", name + strlen(top) + 1);
	}
	rbcloselist(l);
	rbdestroy(t);
	return out;
}

int
main(void)
{
	struct rbtree *t;
	struct rblists *l;
	const struct watch322 *w;
	int wd_a;

	if (tmptree_make("sorted") < 0 ||
	    mkdir(P("a"), 0755) < 0 || mkdir(P("b"), 0755) < 0 ||
	    mkdir(P("c"), 0755) < 0)
		return 1;
	ok(inotifytools_initialize(), "initialize");
	inotifytools_initialize_stats();
	/* a: 3 MODIFY, b: 1, c: none; each file also gives OPEN, CLOSE_WRITE
	 * and CREATE (truncation adds one MODIFY only if it had data) */
	ok(inotifytools_watch_file(P("a"), IN_ALL_EVENTS) &&
	    inotifytools_watch_file(P("b"), IN_ALL_EVENTS) &&
	    inotifytools_watch_file(P("c"), IN_ALL_EVENTS), "watch a b c");
	wd_a = inotifytools_wd_from_filename(P("a/"));
	modify(P("a/f"), 3);
	modify(P("b/f"), 1);

	t = inotifytools_wd_sorted_by_event(-1);
	l = rbopenlist(t);
	w = rbreadlist(l);
	ok(w != NULL, "the list has a first record");
	if (w != NULL) {
		is_int(w->wd, wd_a, "-1: the busiest watch first");
		is_int(w->hit_modify, 3, "its hit_modify");
		is_int(w->hit_create, 1, "its hit_create");
		is_int(w->hit_open, 1, "its hit_open");
		is_int(w->hit_close_write, 1, "its hit_close_write");
		is_int(w->hit_total, 6, "its hit_total");
		is_int(w->dirf, 1, "dirf set for a directory");
		is_str(w->filename, P("a/"), "filename field");
		is_str(inotifytools_filename_from_watch((struct watch *)w),
		    P("a/"), "inotifytools_filename_from_watch on a record");
	}
	rbreadlist(l);
	rbreadlist(l);
	ok(rbreadlist(l) == NULL, "three records, then NULL");
	rbcloselist(l);
	rbdestroy(t);

	is_str(order(-1), "a/ b/ c/", "-1: total, descending");
	is_str(order(0), "c/ b/ a/", "0: total, ascending");
	is_str(order(IN_MODIFY), "c/ b/ a/", "IN_MODIFY: ascending");
	is_str(order(-IN_MODIFY), "a/ b/ c/", "-IN_MODIFY: descending");
	/* equal counts: by wd, ascending, in both directions */
	is_str(order(-IN_DELETE), "a/ b/ c/", "ties in wd order (desc)");
	is_str(order(IN_DELETE), "a/ b/ c/", "ties in wd order (asc)");

	ok(inotifytools_remove_watch_by_filename(P("c/")), "remove c");
	is_str(order(-1), "a/ b/", "a removed watch that counted nothing "
	    "is not listed");

	ok(rbopenlist(NULL) == NULL && rbreadlist(NULL) == NULL,
	    "NULL tree and list");
	rbdestroy(NULL);
	rbcloselist(NULL);
	inotifytools_cleanup();
	tmptree_remove(top);
	return tap_done();
}
