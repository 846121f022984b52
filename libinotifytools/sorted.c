/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sorted.c: the watches sorted by an event count, in the binary form that
 * prebuilt programs of inotify-tools 3.22 (Debian 12's inotifywatch) use:
 * inotifytools_wd_sorted_by_event() returns an opaque tree, walked with
 * rbopenlist(), rbreadlist() and rbcloselist() and freed with rbdestroy().
 * rbreadlist() yields records laid out as 3.22's private struct watch,
 * whose counters those programs read directly.  The tree is a snapshot: a
 * sorted array of copies, owned by the tree.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "itl.h"

/* inotify-tools 3.22's struct watch, field for field. */
struct itl_watch322 {
	void *fid;
	char *filename;
	unsigned long wd;
	int dirf;
	unsigned hit[13];	/* in the order of sorted_bits[] */
	unsigned hit_total;
};

/* The events of hit[], in 3.22's field order. */
static const uint32_t sorted_bits[] = {
	IN_ACCESS, IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE, IN_CLOSE_NOWRITE,
	IN_OPEN, IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE,
	IN_DELETE_SELF, IN_UNMOUNT, IN_MOVE_SELF,
};
_Static_assert(sizeof(sorted_bits) / sizeof(sorted_bits[0]) ==
    sizeof(((struct itl_watch322 *)0)->hit) / sizeof(unsigned),
    "one counter per event");

struct rbtree {
	struct itl_watch322 *rec;
	size_t n, cap;
	int key;		/* index into hit[], or -1 for the total */
	int descending;
	struct rbtree *next;	/* the list of live trees */
};

struct rblists {
	const struct rbtree *tree;
	size_t next;
};

static struct rbtree *live_trees;

static int
key_of(int event)
{
	size_t i;

	for (i = 0; i < sizeof(sorted_bits) / sizeof(sorted_bits[0]); i++)
		if ((uint32_t)event == sorted_bits[i])
			return (int)i;
	return -1;
}

static unsigned
count_of(const struct itl_watch322 *w, int key)
{
	return key < 0 ? w->hit_total : w->hit[key];
}

/* qsort_r comparator: by the count (as asked), then by wd, ascending. */
static int
compare(const void *a, const void *b, void *arg)
{
	const struct itl_watch322 *x = a, *y = b;
	const struct rbtree *t = arg;
	unsigned cx = count_of(x, t->key), cy = count_of(y, t->key);

	if (cx != cy)
		return (cx < cy) == !t->descending ? -1 : 1;
	return x->wd < y->wd ? -1 : x->wd > y->wd;
}

static int
add(const char *path, const long *hits, long total, int wd, void *arg)
{
	struct rbtree *t = arg;
	struct itl_watch322 *w, *grown;
	size_t i;

	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 64;
		grown = realloc(t->rec, t->cap * sizeof(*t->rec));
		if (grown == NULL)
			return -ENOMEM;
		t->rec = grown;
	}
	w = &t->rec[t->n];
	memset(w, 0, sizeof(*w));
	if ((w->filename = strdup(path)) == NULL)
		return -ENOMEM;
	t->n++;
	w->wd = (unsigned long)wd;
	w->dirf = path[0] != '\0' && path[strlen(path) - 1] == '/';
	for (i = 0; hits != NULL && i < sizeof(sorted_bits) /
	    sizeof(sorted_bits[0]); i++)
		w->hit[i] = (unsigned)hits[itl_events_bit(sorted_bits[i])];
	w->hit_total = (unsigned)total;
	return 0;
}

/* Without statistics every watch is listed with zero counts. */
static int
add_uncounted(struct itl *ctx, struct itl_watch *w, void *arg)
{
	return add(itl_watch_path(ctx, w, NULL), NULL, 0, itl_watch_wd(w),
	    arg);
}

void
rbdestroy(struct rbtree *t)
{
	struct rbtree **p;
	size_t i;

	if (t == NULL)
		return;
	for (p = &live_trees; *p != NULL; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	for (i = 0; i < t->n; i++)
		free(t->rec[i].filename);
	free(t->rec);
	free(t);
}

struct rbtree *
inotifytools_wd_sorted_by_event(int sort_event)
{
	struct itl *ctx = itl_api_default();
	struct rbtree *t;
	int r;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	/* as 3.22: -1 is the total, descending (so -IN_ACCESS is too);
	 * -EVENT: EVENT, descending; EVENT: ascending; 0: the total */
	t->descending = sort_event < 0;
	t->key = sort_event == -1 ? -1 :
	    key_of(sort_event < 0 ? -sort_event : sort_event);
	t->next = live_trees;
	live_trees = t;
	r = 0;
	if (ctx != NULL && (r = itl_stats_foreach(ctx, add, t)) == -EINVAL)
		r = itl_watch_foreach(ctx, add_uncounted, t);
	if (r < 0) {
		rbdestroy(t);
		return NULL;
	}
	if (t->n > 1)
		qsort_r(t->rec, t->n, sizeof(*t->rec), compare, t);
	return t;
}

struct rblists *
rbopenlist(const struct rbtree *t)
{
	struct rblists *l;

	if (t == NULL || (l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->tree = t;
	return l;
}

const void *
rbreadlist(struct rblists *l)
{
	if (l == NULL || l->next >= l->tree->n)
		return NULL;
	return &l->tree->rec[l->next++];
}

void
rbcloselist(struct rblists *l)
{
	free(l);
}

const char *
itl_sorted_filename(const void *w)
{
	const struct rbtree *t;
	uintptr_t p = (uintptr_t)w, lo;

	for (t = live_trees; t != NULL; t = t->next) {
		lo = (uintptr_t)t->rec;
		if (t->n > 0 && p >= lo &&
		    p < lo + t->n * sizeof(*t->rec) &&
		    (p - lo) % sizeof(*t->rec) == 0)
			return ((const struct itl_watch322 *)w)->filename;
	}
	return NULL;
}
