/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * recurse.c: keeping a recursive watch whole while the tree changes.  A
 * directory that appears is opened, watched and then read, so nothing
 * created in it is missed: what the read finds is queued as synthetic
 * events (seen.c keeps the kernel's repeats of them out, self.c our own
 * read's events).  A directory moved within the tree keeps its watches;
 * one moved out loses them; a new directory not found because an ancestor
 * was renamed is tried again once that rename is read.
 *
 * The reader (inotify.c) calls the itl_recurse_* functions, and nothing
 * else of recursion.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itl-core.h"

/* A synthetic event from the scan, remembered so that the kernel's own
 * report of the same entry is not delivered too. */
static int
queue_synth(struct itl *ctx, int wd, uint32_t mask, const char *name,
    uint32_t flags, int error)
{
	int r = itl_synth_push(ctx, wd, mask, name, flags, error);

	if (r == 0)
		itl_seen_add(ctx, wd, (mask & IN_CREATE) ? IN_CREATE :
		    IN_CLOSE_WRITE, name, strlen(name));
	return r;
}

/* Set the flags of the synthetic event queued at offset mark. */
static void
mark_synth(struct itl *ctx, size_t mark, uint32_t flags, int error)
{
	struct itl_synth *s;

	s = (struct itl_synth *)(void *)(ctx->synth.data + mark);
	s->flags |= flags;
	if (flags & ITL_EVF_NEWDIR_FAILED)
		s->error = error;
}

/* The flags of a subdirectory's CREATE after watch_new() gave it flags f
 * and returned r: NEWDIR, NEWDIR_FAILED, or none when it was skipped. */
static uint32_t
outcome(uint32_t f, int r)
{
	if (f != 0)
		return f;
	return r < 0 && !itl_walk_skippable(r) ? ITL_EVF_NEWDIR_FAILED : 0;
}

/* Read the new directory open as fd, watched as wd: queue CREATE and
 * CLOSE_WRITE for what it holds when scanning, and collect its subdirs.
 * Closes fd. */
static int
read_new(struct itl *ctx, int fd, int wd, int scan)
{
	const struct itl_dirent *de;
	struct itl_dir d;
	int t, r = 0;
	off_t size = 0;

	itl_dir_start(&d, fd);
	while (r == 0 && (de = itl_dir_next(ctx, &d)) != NULL) {
		t = itl_walk_entry_type(fd, de, scan ? &size : NULL);
		if (t == DT_DIR) {
			r = itl_walk_push_name(ctx, de->name);
			continue;
		}
		if (!scan || t == DT_UNKNOWN)
			continue;
		r = queue_synth(ctx, wd, IN_CREATE, de->name, 0, 0);
		if (r == 0 && t == DT_REG && size > 0)
			r = queue_synth(ctx, wd, IN_CLOSE_WRITE, de->name,
			    0, 0);
	}
	close(fd);
	return r;
}

/* Open the new directory at ctx->walk and watch it.  The open comes first,
 * so that only its parent sees it; the watch goes through the open file, so
 * that it is on the directory read.  *fd is -1 if it could not be opened:
 * then it is watched by path, and not read.  wd or -errno. */
static int
open_new(struct itl *ctx, int *fd)
{
	char proc[32];
	int wd, r;

	*fd = open(ctx->walk.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW);
	if (*fd >= 0) {
		(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", *fd);
		r = ctx->rd->add(ctx, proc,
		    ctx->tree_mask & ~(uint32_t)IN_DONT_FOLLOW, &wd);
		if (r != -ENOENT)
			return r < 0 ? r : wd;
	}
	r = ctx->rd->add(ctx, ctx->walk.data, ctx->tree_mask, &wd);
	return r < 0 ? r : wd;
}

/* Watch the directory "name" in node parent, whose path + name + '/' is in
 * ctx->walk, then what it holds.  *flags gets ITL_EVF_NEWDIR when a watch
 * was added.  -errno when that watch could not be added. */
static int
watch_new(struct itl *ctx, uint32_t parent, const char *name, size_t len,
    int scan, uint32_t *flags)
{
	size_t base = ctx->walk.len, nbase = ctx->names.len, off, n;
	size_t mark;
	uint32_t id, f;
	int wd, r, fd;
	const char *sub;

	*flags = 0;
	wd = open_new(ctx, &fd);
	if (wd < 0 || (ctx->dup_id = itl_node_by_wd(ctx, wd)) != ITL_NONE) {
		if (fd >= 0)
			close(fd);
		return wd < 0 ? wd : 0;
	}
	id = itl_node_new(ctx, parent, name, len);
	if (id == ITL_NONE || (r = itl_node_bind(ctx, id, wd)) < 0) {
		if (fd >= 0)
			close(fd);
		if (id == ITL_NONE)
			return -ENOMEM;
		itl_node_drop(ctx, id);
		return r;
	}
	*flags = ITL_EVF_NEWDIR;
	r = 0;
	if (fd >= 0) {
		if (ctx->rd->own_events)
			itl_self_add(ctx, id);
		r = read_new(ctx, fd, wd, scan);
	}
	for (off = nbase; r == 0 && off < ctx->names.len; off += n + 1) {
		sub = ctx->names.data + off;
		n = strlen(sub);
		mark = ctx->synth.len;
		if (scan && (r = queue_synth(ctx, wd, IN_CREATE | IN_ISDIR, sub,
		    0, 0)) < 0)
			break;
		r = itl_walk_push(ctx, sub, n, 1);
		if (r < 0)
			break;
		r = watch_new(ctx, id, ctx->names.data + off, n, scan, &f);
		itl_walk_pop(ctx, base);
		if (scan)
			mark_synth(ctx, mark, outcome(f, r), r);
		if (r == -ENOMEM)
			break;
		r = 0;
	}
	ctx->names.len = nbase;
	return r == -ENOMEM ? r : 0;
}

/* ---- new directories lost to a rename not yet seen --------------------- */

/* At most this many, until the queue is next empty. */
#define RETRY_MAX	256

/* The new directory was not found: removed already, or an ancestor was
 * renamed.  Kept for the second case, but not without bound: a stream of
 * mkdir+rmdir keeps the queue from ever being empty. */
static void
retry_add(struct itl *ctx, uint32_t parent, const char *name, size_t len)
{
	struct itl_retry t = { itl_node(ctx, parent)->wd, parent,
	    (uint32_t)ctx->retry_names.len, (uint32_t)len };

	if (ctx->retry.len >= RETRY_MAX * sizeof(t))
		return;
	if (itl_buf_append(&ctx->retry_names, name, len) == 0)
		(void)itl_buf_append(&ctx->retry, &t, sizeof(t));
}

/* Node moved was renamed: try again the new directories below it. */
static void
retry_below(struct itl *ctx, uint32_t moved)
{
	struct itl_retry *t;
	size_t i, n = ctx->retry.len / sizeof(*t), len;
	const char *p;
	uint32_t flags;
	char *name;
	int r;

	for (i = 0; i < n; i++) {
		t = (struct itl_retry *)(void *)ctx->retry.data + i;
		if (t->pwd < 0 || itl_node_by_wd(ctx, t->pwd) != t->pid ||
		    !itl_node_is_below(ctx, t->pid, moved))
			continue;
		name = ctx->retry_names.data + t->off;
		p = itl_node_path(ctx, t->pid, &len);
		ctx->walk.len = 0;
		ctx->names.len = 0;
		if (p == NULL || itl_walk_push(ctx, p, len, 0) < 0 ||
		    itl_walk_push(ctx, name, t->len, 1) < 0)
			return;
		r = watch_new(ctx, t->pid, name, t->len,
		    ctx->cfg.scan_new_dirs, &flags);
		t = (struct itl_retry *)(void *)ctx->retry.data + i;
		if (r != -ENOENT)
			t->pwd = -1;
	}
}

/* The new directory parent/name turned out to be watched already, as
 * node n under another name: a name was reused before we read its events
 * (mkdir a; mv a b; mkdir a).  The kernel just told us where n is now;
 * what is at n's old name is not n, so watch that afresh. */
static int
relabel_needed(const struct itl *ctx, uint32_t n, uint32_t parent,
    const char *name, size_t len)
{
	const struct itl_watch *w = itl_node(ctx, n);

	if (w->parent == ITL_NONE || w->len > NAME_MAX ||
	    itl_node_is_below(ctx, parent, n))
		return 0;
	return w->parent != parent || w->len != len ||
	    memcmp(w->name, name, len) != 0;
}

static void
relabel(struct itl *ctx, uint32_t n, uint32_t parent, const char *name,
    size_t len)
{
	struct itl_watch *w = itl_node(ctx, n);
	char old[NAME_MAX + 1];
	uint32_t op = w->parent, f;
	size_t olen = w->len, plen;
	const char *p;
	int opwd;

	if (!relabel_needed(ctx, n, parent, name, len))
		return;
	memcpy(old, w->name, olen);
	opwd = itl_node(ctx, op)->wd;
	if (itl_node_move(ctx, n, parent, name, len) < 0 || opwd < 0 ||
	    itl_node_by_wd(ctx, opwd) != op)
		return;
	p = itl_node_path(ctx, op, &plen);
	ctx->walk.len = 0;
	ctx->names.len = 0;
	if (p != NULL && itl_walk_push(ctx, p, plen, 0) == 0 &&
	    itl_walk_push(ctx, old, olen, 1) == 0)
		(void)watch_new(ctx, op, old, olen, 0, &f);
}

/* How far gone_already() looks ahead in the batch. */
#define GONE_LOOK	64

/* Is the directory the raw event ev announces removed already: is the
 * next record of the batch about the same name in the same directory, a
 * few records on at most, its DELETE?  Then whatever has that name now
 * was made later, and its own event follows: watching it now would only
 * watch it twice (under mkdir/rmdir churn, most new directories are gone
 * by the time their CREATE is read). */
static int
gone_already(struct itl *ctx, const struct itl_event *ev)
{
	const struct inotify_event *ie;
	size_t p = ctx->pos;
	int n;

	if (ev->flags & ITL_EVF_SYNTHETIC)
		return 0;
	for (n = 0; n < GONE_LOOK && p < ctx->end; n++) {
		ie = itl_raw_record(ctx, p);
		if (ie == NULL || itl_raw_overflow(ie))
			return 0;
		if (ie->wd == ev->wd && ie->len > ev->name_len &&
		    memcmp(ie->name, ev->name, ev->name_len + 1) == 0)
			return (ie->mask & (IN_DELETE | IN_ISDIR)) ==
			    (IN_DELETE | IN_ISDIR);
		p += sizeof(*ie) + ie->len;
	}
	return 0;
}

/* The event announces directory name in the watched directory ev->wd. */
static void
new_dir(struct itl *ctx, struct itl_event *ev, int scan)
{
	uint32_t parent = itl_node_by_wd(ctx, ev->wd), flags;
	const char *p;
	size_t len;
	int r;

	if (gone_already(ctx, ev))
		return;
	p = itl_node_path(ctx, parent, &len);
	ctx->walk.len = 0;
	ctx->names.len = 0;
	ctx->dup_id = ITL_NONE;
	if (p == NULL || itl_walk_push(ctx, p, len, 0) < 0 ||
	    itl_walk_push(ctx, ev->name, ev->name_len, 1) < 0)
		r = -ENOMEM;
	else
		r = watch_new(ctx, parent, ev->name, ev->name_len, scan,
		    &flags);
	if (r == 0 && flags == 0 && ctx->dup_id != ITL_NONE)
		relabel(ctx, ctx->dup_id, parent, ev->name, ev->name_len);
	if (r == -ENOENT)
		retry_add(ctx, parent, ev->name, ev->name_len);
	if (r == 0)
		ev->flags |= flags;
	else if (!itl_walk_skippable(r)) {
		ev->flags |= ITL_EVF_NEWDIR_FAILED;
		ev->error = r;
	}
	if (scan)
		itl_seen_window(ctx);
}

/* Remove the watches of node top and everything below it; with left,
 * they left the tree. */
static void
remove_tree(struct itl *ctx, uint32_t top, int left)
{
	int *wds;
	size_t n = 0, i;
	uint32_t pos = 0, id;

	wds = malloc((ctx->bywd.count + 1) * sizeof(*wds));
	if (wds == NULL)
		return;
	while ((id = itl_tab_next(&ctx->bywd, &pos)) != ITL_NONE)
		if (itl_node_is_below(ctx, id, top))
			wds[n++] = ctx->node[id]->wd;
	for (i = 0; i < n; i++) {
		(void)ctx->rd->remove(ctx, wds[i]);
		id = itl_node_by_wd(ctx, wds[i]);
		if (id != ITL_NONE && left)
			itl_node_forget(ctx, id);
		else if (id != ITL_NONE)
			itl_node_drop(ctx, id);
	}
	free(wds);
}

/* The queue overflowed: IGNORED events may be lost, so ask the kernel
 * which watches are left (/proc/self/fdinfo) and forget the others. */
static void
resync(struct itl *ctx)
{
	char path[64], line[256];
	unsigned char *live;
	FILE *f;
	unsigned int wd;
	uint32_t i, id, pos = 0;
	int *gone, bad;
	size_t n = 0;

	if (ctx->bywd.count == 0)
		return;
	(void)snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ctx->fd);
	if ((f = fopen(path, "re")) == NULL)
		return;
	live = calloc(ctx->node_cap + 1, 1);
	gone = malloc((ctx->bywd.count + 1) * sizeof(*gone));
	while (live != NULL && gone != NULL && fgets(line, sizeof(line), f))
		if (sscanf(line, "inotify wd:%x", &wd) == 1 &&
		    (id = itl_node_by_wd(ctx, (int)wd)) != ITL_NONE)
			live[id] = 1;
	bad = ferror(f);
	fclose(f);
	if (live == NULL || gone == NULL || bad)
		goto out;
	while ((id = itl_tab_next(&ctx->bywd, &pos)) != ITL_NONE)
		if (!live[id])
			gone[n++] = ctx->node[id]->wd;
	for (i = 0; i < n; i++)
		if ((id = itl_node_by_wd(ctx, gone[i])) != ITL_NONE)
			itl_node_drop(ctx, id);
out:
	free(live);
	free(gone);
}

/* The node of the pending MOVED_FROM, if it is still watched. */
static uint32_t
moving(const struct itl *ctx)
{
	if (ctx->mv_wd < 0 || ctx->mv_id == ITL_NONE ||
	    itl_node_by_wd(ctx, ctx->mv_node_wd) != ctx->mv_id)
		return ITL_NONE;
	return ctx->mv_id;
}

/* The MOVED_FROM seen last was not followed by its MOVED_TO: the
 * directory left the tree. */
static void
flush(struct itl *ctx)
{
	if (ctx->mv_wd < 0)
		return;
	if (moving(ctx) != ITL_NONE)
		remove_tree(ctx, ctx->mv_id, 1);
	ctx->mv_wd = -1;
	ctx->mv_self = 0;
	ctx->mv_id = ITL_NONE;
}

static void
moved_to(struct itl *ctx, struct itl_event *ev)
{
	uint32_t parent = itl_node_by_wd(ctx, ev->wd), old;
	uint32_t id = moving(ctx);

	/* A directory renamed over an (empty) one replaces it; the kernel
	 * may tell nothing more about the one replaced. */
	old = itl_node_child(ctx, parent, ev->name, ev->name_len);
	if (old != ITL_NONE && old != id && itl_node(ctx, old)->wd >= 0 &&
	    (id == ITL_NONE || !itl_node_is_below(ctx, id, old)))
		remove_tree(ctx, old, 0);

	if (ctx->mv_wd >= 0 && ev->cookie == ctx->mv_cookie &&
	    id != ITL_NONE) {
		ctx->mv_wd = -1;
		ctx->mv_id = ITL_NONE;
		if (itl_node_move(ctx, id, parent, ev->name, ev->name_len) < 0)
			remove_tree(ctx, id, 0);
		else if (ctx->retry.len != 0)
			retry_below(ctx, id);
		/* Without cookies, a rename is not told from a directory
		 * moved in: both are reported as a new directory. */
		if (!ctx->rd->cookies)
			ev->flags |= ITL_EVF_NEWDIR;
		return;
	}
	ctx->mv_wd = -1;
	ctx->mv_id = ITL_NONE;
	new_dir(ctx, ev, 0);
}

void
itl_recurse_event(struct itl *ctx, struct itl_event *ev)
{
	uint32_t parent, id;

	if (!(ev->mask & IN_ISDIR))
		return;
	if (ev->mask & IN_CREATE)
		new_dir(ctx, ev, ctx->cfg.scan_new_dirs);
	else if (ev->mask & IN_MOVED_TO)
		moved_to(ctx, ev);
	else if (ev->mask & IN_MOVED_FROM) {
		parent = itl_node_by_wd(ctx, ev->wd);
		id = itl_node_child(ctx, parent, ev->name, ev->name_len);
		ctx->mv_wd = ev->wd;
		ctx->mv_cookie = ev->cookie;
		ctx->mv_self = 0;
		ctx->mv_id = id != ITL_NONE && itl_node(ctx, id)->wd >= 0 ?
		    id : ITL_NONE;
		if (ctx->mv_id != ITL_NONE)
			ctx->mv_node_wd = itl_node(ctx, id)->wd;
	}
}

/* Does the pending MOVED_FROM of a directory still wait after record ie?
 * Its MOVED_TO pairs it; the directory's own MOVE_SELF, which follows it
 * when it left the tree, is delivered before the directory is forgotten. */
static int
move_goes_on(const struct itl *ctx, const struct inotify_event *ie)
{
	if (ctx->mv_wd < 0)
		return 1;
	if ((ie->mask & IN_MOVED_TO) && ie->cookie == ctx->mv_cookie)
		return 1;
	return (ie->mask & IN_MOVE_SELF) && ctx->mv_id != ITL_NONE &&
	    ie->wd == ctx->mv_node_wd;
}

/* Record ie is about to be delivered: an unpaired MOVED_FROM before it
 * takes its subtree away now. */
static void
before(struct itl *ctx, const struct inotify_event *ie)
{
	if (!move_goes_on(ctx, ie))
		flush(ctx);
	else if (ctx->mv_wd >= 0 && (ie->mask & IN_MOVE_SELF))
		ctx->mv_self = 1;
}

/* ---- the reader's interface ------------------------------------------- */

void
itl_recurse_look_start(const struct itl *ctx, struct itl_look *look)
{
	look->first = 1;
	look->gone = ITL_NONE;
	if (ctx->self_count != 0)
		look->self = ctx->self_prev;
}

int
itl_recurse_drops(struct itl *ctx, const struct inotify_event *ie,
    uint64_t at, struct itl_look *look)
{
	uint32_t id;

	if (look == NULL)
		before(ctx, ie);
	else if (look->first) {
		look->first = 0;
		look->gone = move_goes_on(ctx, ie) ? ITL_NONE : moving(ctx);
	}
	id = itl_node_by_wd(ctx, ie->wd);
	if (id == ITL_NONE || (look != NULL && look->gone != ITL_NONE &&
	    itl_node_is_below(ctx, id, look->gone)))
		return 1;
	return itl_self_skips(ctx, ie, look != NULL ? &look->self :
	    &ctx->self_prev, look == NULL) ||
	    itl_seen_dup(ctx, ie, at, look == NULL);
}

void
itl_recurse_overflow(struct itl *ctx)
{
	itl_self_reset(ctx);
	resync(ctx);
}

/* A MOVED_FROM still unpaired stays pending: a rename can be read between
 * its MOVED_FROM and its MOVED_TO.  The next record that is not its
 * MOVED_TO takes the subtree away (before()), and so does the end of a
 * batch after the directory's own MOVE_SELF, which the kernel queues after
 * the MOVED_TO of a rename.  Retries last until the queue is empty with no
 * move pending. */
void
itl_recurse_batch_end(struct itl *ctx)
{
	if (ctx->mv_wd >= 0 && ctx->mv_self)
		flush(ctx);
	if (ctx->mv_wd < 0) {
		ctx->retry.len = 0;
		ctx->retry_names.len = 0;
	}
}

int
itl_recurse_move_pending(const struct itl *ctx)
{
	return ctx->mv_wd >= 0;
}

void
itl_recurse_free(struct itl *ctx)
{
	itl_buf_free(&ctx->retry);
	itl_buf_free(&ctx->retry_names);
	itl_seen_free(ctx);
}
