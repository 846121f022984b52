/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-recurse.c: recursive watches, new directories, moves. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itl.h"
#include "tap.h"
#include "tmptree.h"

static char seen[64 * 1024];	/* "path name MASK\n" lines */

static void
write_file(const char *rel, const char *data)
{
	int fd = open(P(rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd >= 0) {
		if (write(fd, data, strlen(data)) < 0)
			perror("write");
		close(fd);
	}
}

static struct itl *
open_ctx(int track, int scan)
{
	struct itl *ctx = NULL;
	struct itl_config cfg = { .track_new_dirs = track,
	    .scan_new_dirs = scan };

	return itl_open(&ctx, &cfg) < 0 ? NULL : ctx;
}

/* Read until the queue stays empty; record "w f MASK[ S][ N]" lines,
 * paths relative to top.  Returns the number of synthetic events. */
static int
drain(struct itl *ctx)
{
	const struct itl_event *ev;
	char line[1024], ename[ITL_EVENTS_STRMAX];
	const char *w;
	size_t n = strlen(top) + 1;
	int synth = 0;

	seen[0] = '\0';
	while (itl_next(ctx, 0, &ev) == 1) {
		w = itl_wd_path(ctx, ev->wd, NULL);
		itl_events_render(ev->mask, ',', ename, sizeof(ename));
		snprintf(line, sizeof(line), "%s %s %s%s%s%s\n",
		    strlen(w) >= n ? w + n : w, ev->name, ename,
		    (ev->flags & ITL_EVF_SYNTHETIC) ? " S" : "",
		    (ev->flags & ITL_EVF_NEWDIR) ? " N" : "",
		    (ev->flags & ITL_EVF_NEWDIR_FAILED) ? " F" : "");
		if (strlen(seen) + strlen(line) < sizeof(seen))
			strcat(seen, line);
		synth += (ev->flags & ITL_EVF_SYNTHETIC) != 0;
	}
	return synth;
}

static int
saw(const char *line)
{
	char l[600];

	snprintf(l, sizeof(l), "%s\n", line);
	return strstr(seen, l) != NULL;
}

static int
count_lines(const char *needle)
{
	const char *s = seen;
	int n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s++;
	}
	return n;
}

static int
wd_of(struct itl *ctx, const char *rel)
{
	struct itl_watch *w = itl_watch_by_path(ctx, P(rel));

	return w == NULL ? -1 : itl_watch_wd(w);
}

static void
initial_walk_is_post_order(void)
{
	struct itl *ctx = open_ctx(0, 0);
	int a, ax, r;

	mkdir(P("w"), 0755);
	mkdir(P("w/a"), 0755);
	mkdir(P("w/a/x"), 0755);
	mkdir(P("w/b"), 0755);
	write_file("w/a/file", "x");
	symlink("a", P("w/link"));
	is_int(itl_watch_tree(ctx, P("w"), IN_ALL_EVENTS, NULL), 0, "tree w");
	is_int(itl_watch_count(ctx), 4, "w, a, a/x, b: symlinks not followed");
	a = wd_of(ctx, "w/a/");
	ax = wd_of(ctx, "w/a/x/");
	r = wd_of(ctx, "w/");
	ok(ax > 0 && ax < a && a < r, "children before parents (%d %d %d)",
	    ax, a, r);
	ok(wd_of(ctx, "w/b/") < r, "b before w");
	is_int(itl_watch_tree(ctx, P("nonexistent"), IN_ALL_EVENTS, NULL),
	    -ENOENT, "missing top: -ENOENT");
	is_int(itl_watch_tree(ctx, P("w/a/file"), IN_ALL_EVENTS, NULL), 0,
	    "a file: watched as a file");
	ok(wd_of(ctx, "w/a/file") > 0, "file stored without '/'");
	itl_close(ctx);

	ctx = open_ctx(0, 0);
	is_int(itl_watch_tree(ctx, P("w/link"), IN_ALL_EVENTS, NULL), 0,
	    "symlink on the command line is walked");
	ok(wd_of(ctx, "w/link/") > 0 && wd_of(ctx, "w/link/x/") > 0,
	    "stored as link/ and link/x/");
	itl_close(ctx);
}

static void
exclusions_prune(void)
{
	struct itl *ctx = open_ctx(0, 0);
	const char *ex1[] = { P("w/a/"), NULL };
	const char *ex2[] = { P("w/./a"), NULL };
	const char *ex3[] = { P("w"), NULL };

	is_int(itl_watch_tree(ctx, P("w"), IN_ALL_EVENTS, ex1), 0, "tree");
	is_int(itl_watch_count(ctx), 2, "w/a/ (trailing '/') pruned with x");
	ok(wd_of(ctx, "w/a/") < 0 && wd_of(ctx, "w/a/x/") < 0, "a, a/x out");
	itl_close(ctx);

	ctx = open_ctx(0, 0);
	is_int(itl_watch_tree(ctx, P("w"), IN_ALL_EVENTS, ex2), 0, "tree");
	is_int(itl_watch_count(ctx), 4, "exact string: w/./a excludes nothing");
	itl_close(ctx);

	ctx = open_ctx(0, 0);
	is_int(itl_watch_tree(ctx, P("w"), IN_ALL_EVENTS, ex3), 0, "tree");
	is_int(itl_watch_count(ctx), 4, "the top itself is never excluded");
	itl_close(ctx);
}

static void
new_dirs_scanned(void)
{
	struct itl *ctx = open_ctx(1, 1);
	char cmd[600];
	int synth;

	mkdir(P("n"), 0755);
	is_int(itl_watch_tree(ctx, P("n"), IN_ALL_EVENTS, NULL), 0, "tree n");
	snprintf(cmd, sizeof(cmd), "mkdir -p %s && echo x > %s && : > %s",
	    P("n/a/b/c"), P("n/a/b/c/f"), P("n/a/b/empty"));
	is_int(system(cmd), 0, "mkdir -p a/b/c; echo x > a/b/c/f");
	synth = drain(ctx);
	ok(saw("n/ a CREATE,ISDIR N"), "a created, watched, no failure flag");
	ok(strstr(seen, " F\n") == NULL, "no NEWDIR_FAILED anywhere");
	ok(strstr(seen, "n/a/ b CREATE,ISDIR") != NULL, "b reported");
	ok(strstr(seen, "n/a/b/ c CREATE,ISDIR") != NULL, "c reported");
	ok(strstr(seen, "n/a/b/c/ f CREATE") != NULL, "f reported");
	ok(strstr(seen, "n/a/b/c/ f CLOSE_WRITE,CLOSE") != NULL,
	    "f written reported");
	ok(strstr(seen, "n/a/b/ empty CREATE") != NULL, "empty file reported");
	ok(strstr(seen, "n/a/b/ empty CLOSE_WRITE") == NULL ||
	    !saw("n/a/b/ empty CLOSE_WRITE,CLOSE S"),
	    "no synthetic CLOSE_WRITE for an empty file");
	is_int(itl_watch_count(ctx), 4, "n, a, b, c watched");
	ok(count_lines(" f CREATE") == 1, "f reported once");
	ok(count_lines(" c CREATE,ISDIR") == 1, "c reported once");
	/* a's CREATE is read after mkdir -p returned: a's watch came too late
	 * for the kernel to report b, c and f, so the scan reports them. */
	ok(saw("n/a/ b CREATE,ISDIR S N"), "b: synthetic, watched");
	ok(saw("n/a/b/ c CREATE,ISDIR S N"), "c: synthetic, watched");
	ok(saw("n/a/b/c/ f CREATE S"), "f: synthetic CREATE");
	ok(saw("n/a/b/c/ f CLOSE_WRITE,CLOSE S"), "f: synthetic CLOSE_WRITE");
	is_int(synth, 5, "b, c, empty, f twice: five synthetic events");

	/* Without scanning: watched recursively, nothing synthetic. */
	itl_close(ctx);
	ctx = open_ctx(1, 0);
	is_int(itl_watch_tree(ctx, P("n"), IN_ALL_EVENTS, NULL), 0, "tree n");
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", P("n/p/q/r"));
	is_int(system(cmd), 0, "mkdir -p p/q/r");
	is_int(drain(ctx), 0, "no synthetic events without scan");
	ok(wd_of(ctx, "n/p/q/r/") > 0, "p/q/r watched anyway");
	itl_close(ctx);
}

static void
renames_and_moves(void)
{
	struct itl *ctx = open_ctx(1, 1);
	int c, r;
	char out[600];

	mkdir(P("m"), 0755);
	mkdir(P("m/a"), 0755);
	mkdir(P("m/a/b"), 0755);
	mkdir(P("m/a/b/c"), 0755);
	mkdir(P("m/y"), 0755);
	is_int(itl_watch_tree(ctx, P("m"), IN_ALL_EVENTS, NULL), 0, "tree m");
	c = wd_of(ctx, "m/a/b/c/");
	is_int(rename(P("m/a"), P("m/z")), 0, "mv m/a m/z");
	drain(ctx);
	is_str(itl_wd_path(ctx, c, NULL), P("m/z/b/c/"), "descendant renamed");
	ok(saw("m/ a MOVED_FROM,ISDIR") && saw("m/ z MOVED_TO,ISDIR"),
	    "both halves delivered");
	is_int(rename(P("m/z/b"), P("m/y/b")), 0, "mv m/z/b m/y/b");
	drain(ctx);
	is_str(itl_wd_path(ctx, c, NULL), P("m/y/b/c/"), "moved across dirs");
	write_file("m/y/b/c/f", "1");
	drain(ctx);
	ok(saw("m/y/b/c/ f CREATE"), "events under the new path");

	/* out of the tree: the whole subtree goes */
	r = (int)itl_watch_count(ctx);
	snprintf(out, sizeof(out), "%s", P("outside"));
	is_int(rename(P("m/y/b"), out), 0, "mv m/y/b out of the tree");
	drain(ctx);
	ok(saw("m/y/ b MOVED_FROM,ISDIR"), "MOVED_FROM delivered");
	is_int(itl_watch_count(ctx), r - 2, "b and b/c dropped");
	is_int(itl_wd_path(ctx, c, NULL)[0], '\0', "c unknown now");
	write_file("outside/c/g", "1");
	drain(ctx);
	is_str(seen, "", "nothing from outside");

	/* moved in: watched recursively, no synthetic events */
	is_int(rename(out, P("m/in")), 0, "mv it back in");
	is_int(drain(ctx), 0, "no synthetic events for a move in");
	ok(saw("m/ in MOVED_TO,ISDIR N"), "MOVED_TO flagged NEWDIR");
	ok(wd_of(ctx, "m/in/c/") > 0, "in/c watched");
	write_file("m/in/c/h", "1");
	drain(ctx);
	ok(saw("m/in/c/ h CREATE"), "events from the moved-in tree");

	/* deleted: DELETE_SELF, IGNORED, dropped */
	r = (int)itl_watch_count(ctx);
	unlink(P("m/in/c/g"));
	unlink(P("m/in/c/h"));
	unlink(P("m/in/c/f"));
	is_int(rmdir(P("m/in/c")), 0, "rmdir in/c");
	drain(ctx);
	ok(saw("m/in/c/  DELETE_SELF"), "DELETE_SELF on the dir");
	is_int(itl_watch_count(ctx), r - 1, "dropped on IGNORED");
	itl_close(ctx);
}

/* ---- random churn: the table must match a fresh walk ----------------- */

static char **dirs;
static size_t ndirs, capdirs;

static int
add_dir(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	char **n;

	if (flag != FTW_D)
		return 0;
	if (ndirs == capdirs) {
		capdirs = capdirs ? capdirs * 2 : 64;
		n = realloc(dirs, capdirs * sizeof(*n));
		if (n == NULL)
			return -1;
		dirs = n;
	}
	dirs[ndirs] = malloc(strlen(p) + 2);
	sprintf(dirs[ndirs++], "%s/", p);
	return 0;
}

static int
cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
check_one(struct itl *ctx, struct itl_watch *w, void *arg)
{
	const char *p = itl_watch_path(ctx, w, NULL);
	int *bad = arg;

	if (bsearch(&p, dirs, ndirs, sizeof(*dirs), cmpstr) == NULL) {
		if ((*bad)++ < 5)
			printf("# stale watch: %s\n", p);
	}
	return 0;
}

static void
random_churn_matches_a_walk(unsigned seed, int lag)
{
	struct itl *ctx = open_ctx(1, 1);
	char a[600], b[600];
	int i, bad = 0, x, y, missing = 0;
	size_t k;
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", P("rc"), P("rc-out"));
	if (system(cmd) != 0)
		return;
	mkdir(P("rc"), 0755);
	mkdir(P("rc-out"), 0755);
	is_int(itl_watch_tree(ctx, P("rc"), IN_ALL_EVENTS, NULL), 0, "tree rc");
	for (i = 0; i < 3000; i++) {
		x = (int)(rand_r(&seed) % 6);
		y = (int)(rand_r(&seed) % 6);
		snprintf(a, sizeof(a), "%s/rc/d%d", top, x);
		if (rand_r(&seed) % 2)
			snprintf(a + strlen(a), 16, "/d%d", y);
		snprintf(b, sizeof(b), "%s/rc/d%d", top,
		    (int)(rand_r(&seed) % 6));
		switch (rand_r(&seed) % 5) {
		case 0: case 1:
			mkdir(a, 0755);
			break;
		case 2:
			rmdir(a);
			break;
		case 3:
			rename(a, b);
			break;
		default:
			snprintf(b, sizeof(b), "%s/rc-out/o%d", top, i);
			if (rand_r(&seed) % 2)
				rename(a, b);
			else
				rename(b, a);
			break;
		}
		/* Keep up: a tool that falls behind meets path races that no
		 * inotify reader can resolve (a name reused before its CREATE
		 * is read); with lag, only memory safety is checked. */
		if (!lag || rand_r(&seed) % 8 == 0)
			drain(ctx);
	}
	drain(ctx);
	if (lag) {
		ok(itl_watch_count(ctx) >= 1, "seed %u, lagging reader: survives",
		    seed);
		itl_close(ctx);
		return;
	}
	ndirs = 0;
	nftw(P("rc"), add_dir, 16, FTW_PHYS);
	qsort(dirs, ndirs, sizeof(*dirs), cmpstr);
	itl_watch_foreach(ctx, check_one, &bad);
	for (k = 0; k < ndirs; k++) {
		if (itl_watch_by_path(ctx, dirs[k]) == NULL && missing++ < 5)
			printf("# not watched: %s\n", dirs[k]);
	}
	is_int(bad, 0, "seed %u: no stale path after 3000 operations", seed);
	is_int(missing, 0, "every directory watched");
	is_int(itl_watch_count(ctx), ndirs, "as many watches as directories");
	for (k = 0; k < ndirs; k++)
		free(dirs[k]);
	free(dirs);
	dirs = NULL;
	ndirs = capdirs = 0;
	itl_close(ctx);
}

/* mkdir+rmdir cycles, read one cycle behind so that the queue is never
 * empty (as under a steady stream): the heap in use must not grow. */
static void
mkdir_rmdir_cycles_do_not_grow(void)
{
	struct itl *ctx = open_ctx(1, 1);
	const struct itl_event *ev;
	long at1k = 0, i, n = 0;
	char p[128];

	mkdir(P("cy"), 0755);
	is_int(itl_watch_tree(ctx, P("cy"), IN_ALL_EVENTS, NULL), 0, "tree cy");
	snprintf(p, sizeof(p), "%s", P("cy/x"));
	for (i = 1; i <= 100000; i++) {
		mkdir(p, 0755);
		rmdir(p);
		if (itl_next(ctx, 0, &ev) == 1)
			n++;
		while (itl_pending(ctx) && itl_next(ctx, 0, &ev) == 1)
			n++;
		if (i == 1000)
			at1k = (long)mallinfo2().uordblks;
	}
	ok((long)mallinfo2().uordblks - at1k <= 4096,
	    "heap after 100,000 cycles: %+ld bytes since 1,000 (<= 4096)",
	    (long)mallinfo2().uordblks - at1k);
	ok(n >= 200000, "%ld events read", n);
	is_int(itl_watch_count(ctx), 1, "one watch left");
	itl_close(ctx);
}

/* A CREATE whose DELETE is already in the batch is not watched (that dir
 * is gone); one followed by a MOVED_FROM lives on elsewhere. */
static void
deleted_new_dir_not_watched(void)
{
	struct itl *ctx = open_ctx(1, 1);
	const struct itl_event *ev;
	int got = 0, newdir = 0, which = 0;

	mkdir(P("g"), 0755);
	mkdir(P("g2"), 0755);
	is_int(itl_watch_tree(ctx, P("g"), IN_ALL_EVENTS, NULL), 0, "tree g");
	mkdir(P("g/x"), 0755);
	rmdir(P("g/x"));
	mkdir(P("g/x"), 0755);	/* a later one: its own CREATE follows */
	while (itl_next(ctx, 0, &ev) == 1) {
		if (strcmp(ev->name, "x") == 0 && (ev->mask & IN_CREATE)) {
			got++;
			if (ev->flags & ITL_EVF_NEWDIR) {
				newdir++;
				which = got;
			}
		}
	}
	is_int(got, 2, "both CREATEs delivered");
	is_int(newdir, 1, "one x watched");
	is_int(which, 2, "by the second CREATE: the first x was gone");
	ok(wd_of(ctx, "g/x/") > 0, "the x that exists is watched");
	is_int(itl_watch_count(ctx), 2, "g and g/x");
	rmdir(P("g/x"));
	drain(ctx);

	mkdir(P("g/m"), 0755);
	rename(P("g/m"), P("g/n"));
	drain(ctx);
	ok(wd_of(ctx, "g/n/") > 0, "a dir renamed at once: watched as n");
	itl_close(ctx);
}

/* Count the CLOSE_WRITE events of names "%0100d" < n, each once. */
static int
count_written(struct itl *ctx, int n)
{
	const struct itl_event *ev;
	static unsigned char once[1000];
	int k, got = 0;

	memset(once, 0, sizeof(once));
	while (itl_next(ctx, 0, &ev) == 1) {
		if (!(ev->mask & IN_CLOSE_WRITE) || ev->name_len != 100)
			continue;
		k = atoi(ev->name);
		if (k >= 0 && k < n && k < (int)sizeof(once) && !once[k]++)
			got++;
		else
			got = -100000;	/* twice, or a stranger */
	}
	return got;
}

/* Directories of more entries than one getdents64 buffer (32 KiB) are
 * read whole, in the walk and in the new-directory scan. */
static void
big_directories_read_whole(void)
{
	struct itl *ctx = open_ctx(1, 1);
	char name[NAME_MAX + 1];
	int i, n = 600;

	mkdir(P("big"), 0755);
	mkdir(P("big/w"), 0755);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "big/w/%0100d", i);
		mkdir(P(name), 0755);
	}
	is_int(itl_watch_tree(ctx, P("big/w"), IN_ALL_EVENTS, NULL), 0,
	    "tree of 600 dirs with 100-byte names (64 KiB of entries)");
	is_int((int)itl_watch_count(ctx), n + 1, "every one watched");
	itl_close(ctx);

	/* The scan: s is filled before its CREATE is read. */
	ctx = open_ctx(1, 1);
	mkdir(P("big3"), 0755);
	is_int(itl_watch_tree(ctx, P("big3"), IN_ALL_EVENTS, NULL), 0, "big3");
	mkdir(P("big3/s"), 0755);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "big3/s/%0100d", i);
		write_file(name, "x");
	}
	is_int(count_written(ctx, n), n,
	    "each of the 600 files of a new dir reported written, once");
	itl_close(ctx);
}

int
main(void)
{
	if (tmptree_make("recurse") < 0)
		return 99;
	initial_walk_is_post_order();
	exclusions_prune();
	new_dirs_scanned();
	renames_and_moves();
	random_churn_matches_a_walk(1, 0);
	random_churn_matches_a_walk(2, 0);
	random_churn_matches_a_walk(3, 0);
	random_churn_matches_a_walk(4, 1);
	random_churn_matches_a_walk(23, 1);
	mkdir_rmdir_cycles_do_not_grow();
	deleted_new_dir_not_watched();
	big_directories_read_whole();
	tmptree_remove(top);
	return tap_done();
}
