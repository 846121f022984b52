/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * recurse.c: recursive watches.  The initial walk is post-order (children
 * get their wds before their parent, as upstream).  A directory that appears
 * later is opened, watched and then read, so nothing created in it is
 * missed: what the read finds is queued as synthetic events.  What inotify
 * reports of that read on the directory's own watch is dropped.
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

static int
skippable(int r)
{
	return r == -EACCES || r == -ENOENT || r == -ELOOP || r == -ENOTDIR;
}

/* In the initial walk, a directory whose path is longer than PATH_MAX is
 * skipped too, as an unreadable one is: the rest of the tree is watched. */
static int
walk_skippable(int r)
{
	return skippable(r) || r == -ENAMETOOLONG;
}

/* Is the entry path in ctx->walk excluded?  Exact string, a trailing '/'
 * on the exclusion ignored. */
static int
excluded(const struct itl *ctx, const char *const *excl)
{
	size_t n;

	for (; excl != NULL && *excl != NULL; excl++) {
		n = strlen(*excl);
		if (n > 0 && (*excl)[n - 1] == '/')
			n--;
		if (n == ctx->walk.len && memcmp(*excl, ctx->walk.data, n) == 0)
			return 1;
	}
	return 0;
}

/* Entry type without following symlinks: DT_DIR, DT_REG, other, or
 * DT_UNKNOWN when it vanished.  With size, a regular file's size too. */
static int
entry_type(int dfd, const struct itl_dirent *de, off_t *size)
{
	struct stat st;
	int t = de->type;

	if (t != DT_UNKNOWN && !(t == DT_REG && size != NULL))
		return t;
	if (fstatat(dfd, de->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return DT_UNKNOWN;
	if (size != NULL)
		*size = st.st_size;
	if (S_ISDIR(st.st_mode))
		return DT_DIR;
	return S_ISREG(st.st_mode) ? DT_REG : DT_LNK;
}

static int
push_name(struct itl *ctx, const char *name)
{
	return itl_buf_append(&ctx->names, name, strlen(name) + 1);
}

/* Append "name/" to ctx->walk, NUL-terminated (the NUL not counted). */
static int
walk_push(struct itl *ctx, const char *name, size_t len, int slash)
{
	if (itl_buf_append(&ctx->walk, name, len) < 0 ||
	    (slash && itl_buf_putc(&ctx->walk, '/') < 0) ||
	    itl_buf_reserve(&ctx->walk, 1) < 0)
		return -ENOMEM;
	ctx->walk.data[ctx->walk.len] = '\0';
	return 0;
}

static void
walk_pop(struct itl *ctx, size_t base)
{
	ctx->walk.len = base;
	ctx->walk.data[base] = '\0';
}

/* The names of the subdirectories of the directory at ctx->walk, onto
 * ctx->names.  -errno when it cannot be opened. */
static int
list_subdirs(struct itl *ctx, int top)
{
	const struct itl_dirent *de;
	struct itl_dir d;
	int fd, r = 0;

	fd = open(ctx->walk.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    (top ? 0 : O_NOFOLLOW));
	if (fd < 0)
		return -errno;
	itl_dir_start(&d, fd);
	while (r == 0 && (de = itl_dir_next(ctx, &d)) != NULL)
		if (entry_type(fd, de, NULL) == DT_DIR)
			r = push_name(ctx, de->name);
	close(fd);
	return r;
}

static int
drop_fail(struct itl *ctx, uint32_t id, int r)
{
	itl_node_drop(ctx, id);
	return r;
}

/* Post-order walk below node id, whose path is in ctx->walk. */
static int
walk(struct itl *ctx, uint32_t id, const char *const *excl, int top)
{
	size_t base = ctx->walk.len, nbase = ctx->names.len, off, len;
	uint32_t child;
	int r, wd;
	const char *name;

	r = list_subdirs(ctx, top);
	if (r < 0) {
		ctx->names.len = nbase;
		return drop_fail(ctx, id, !top && walk_skippable(r) ? 0 : r);
	}
	for (off = nbase; off < ctx->names.len; off += len + 1) {
		name = ctx->names.data + off;
		len = strlen(name);
		if (walk_push(ctx, name, len, 0) < 0)
			return drop_fail(ctx, id, -ENOMEM);
		if (!excluded(ctx, excl)) {
			child = itl_node_new(ctx, id, name, len);
			if (child == ITL_NONE || walk_push(ctx, "", 0, 1) < 0)
				return drop_fail(ctx, id, -ENOMEM);
			r = walk(ctx, child, excl, 0);
			if (r < 0) {
				ctx->names.len = nbase;
				return drop_fail(ctx, id, r);
			}
		}
		walk_pop(ctx, base);
	}
	ctx->names.len = nbase;
	r = ctx->rd->add(ctx, ctx->walk.data, ctx->tree_mask, &wd);
	if (r < 0)
		return drop_fail(ctx, id, !top && walk_skippable(r) ? 0 : r);
	r = itl_node_bind(ctx, id, wd);
	if (r < 0)
		itl_node_drop(ctx, id);
	return r == -EEXIST ? 0 : r;
}

int
itl_watch_tree(struct itl *ctx, const char *path, uint32_t mask,
    const char *const *excl)
{
	struct stat st;
	uint32_t id;
	int r;

	if (stat(path, &st) < 0)
		return -errno;
	/* A filesystem mark covers the tree already. */
	if (!S_ISDIR(st.st_mode) || ctx->cfg.filesystem)
		return itl_watch_add(ctx, path, mask);
	ctx->tree_mask = mask | ctx->extra_mask;
	ctx->walk.len = 0;
	ctx->names.len = 0;
	r = ctx->rd->resolve(ctx, path, mask & ~(uint32_t)IN_DONT_FOLLOW,
	    &ctx->walk);
	if (r < 0 || walk_push(ctx, "", 0, ctx->walk.len == 0 ||
	    ctx->walk.data[ctx->walk.len - 1] != '/') < 0)
		return r < 0 ? r : -ENOMEM;
	id = itl_node_new(ctx, ITL_NONE, ctx->walk.data, ctx->walk.len);
	if (id == ITL_NONE)
		return -ENOMEM;
	return walk(ctx, id, excl, 1);
}

/* ---- directories that appear while we watch --------------------------- */

/* ---- duplicates: the scan and the kernel may both see an entry -------- */

static uint32_t
seen_hash_key(int wd, uint32_t kind, const char *name, size_t len)
{
	return itl_tab_hash_str(name, len, (uint32_t)wd * 0x9e3779b1u ^ kind);
}

static struct itl_seen *
seen_at(const struct itl *ctx, uint32_t i)
{
	return (struct itl_seen *)(void *)ctx->seen.data + i;
}

static uint32_t
seen_hash(const struct itl *ctx, uint32_t i)
{
	const struct itl_seen *s = seen_at(ctx, i);

	return seen_hash_key(s->wd, s->kind, ctx->seen_names.data + s->off,
	    s->len);
}

struct seen_key {
	int wd;
	uint32_t kind;
	const char *name;
	size_t len;
};

static int
seen_eq(const struct itl *ctx, uint32_t i, const void *key)
{
	const struct itl_seen *s = seen_at(ctx, i);
	const struct seen_key *k = key;

	return !s->used && s->wd == k->wd && s->kind == k->kind &&
	    s->len == k->len &&
	    memcmp(ctx->seen_names.data + s->off, k->name, k->len) == 0;
}

static void
seen_add(struct itl *ctx, int wd, uint32_t kind, const char *name,
    size_t len)
{
	struct itl_seen s = { wd, kind, (uint32_t)ctx->seen_names.len,
	    (uint32_t)len, 0 };
	uint32_t i = (uint32_t)(ctx->seen.len / sizeof(s));

	if (itl_buf_append(&ctx->seen_names, name, len) < 0 ||
	    itl_buf_append(&ctx->seen, &s, sizeof(s)) < 0)
		return;
	if (itl_tab_insert(ctx, &ctx->seen_tab, seen_hash(ctx, i), i,
	    seen_hash) < 0)
		ctx->seen.len -= sizeof(s);
}

static void
seen_clear(struct itl *ctx)
{
	if (ctx->seen_tab.count != 0)
		memset(ctx->seen_tab.slot, 0,
		    ctx->seen_tab.cap * sizeof(*ctx->seen_tab.slot));
	ctx->seen_tab.count = 0;
	ctx->seen.len = 0;
	ctx->seen_names.len = 0;
}

/* Is the record at stream offset at the kernel's report of something the
 * scan reported already?  With consume, each report matches once. */
int
itl_recurse_dup(struct itl *ctx, const struct inotify_event *ie,
    uint64_t at, int consume)
{
	struct seen_key k;
	uint32_t i;

	if (ctx->seen_tab.count == 0)
		return 0;
	if (at >= ctx->seen_until) {
		if (consume)
			seen_clear(ctx);
		return 0;
	}
	if (ie->len == 0 || !(ie->mask & (IN_CREATE | IN_CLOSE_WRITE)))
		return 0;
	k.wd = ie->wd;
	k.kind = (ie->mask & IN_CREATE) ? IN_CREATE : IN_CLOSE_WRITE;
	k.name = ie->name;
	k.len = strlen(ie->name);
	i = itl_tab_find(ctx, &ctx->seen_tab, seen_hash_key(k.wd, k.kind,
	    k.name, k.len), seen_eq, &k, NULL);
	if (i == ITL_NONE)
		return 0;
	if (consume)
		seen_at(ctx, i)->used = 1;
	return 1;
}

/* ---- our own events: reading a new directory is seen by inotify ------ */

/* A new directory is opened before it is watched, so its OPEN reaches only
 * its parent; each read gives ACCESS and the close CLOSE_NOWRITE, on its
 * parent (named) and on its own watch (unnamed).  Those on its own watch
 * are dropped, up to its CLOSE_NOWRITE; its parent's repeated ACCESS, which
 * the kernel would have merged had ours not come between, is merged.  What
 * is left is what upstream shows: OPEN, ACCESS, CLOSE_NOWRITE on the
 * parent. */

/* The queue overflowed: the CLOSE_NOWRITE that ends a read may be lost. */
void
itl_recurse_self_reset(struct itl *ctx)
{
	uint32_t pos = 0, id;

	while (ctx->self_count != 0 &&
	    (id = itl_tab_next(&ctx->bywd, &pos)) != ITL_NONE)
		if (ctx->node[id]->self) {
			ctx->node[id]->self = 0;
			ctx->self_count--;
		}
	ctx->self_count = 0;
	ctx->self_prev.valid = ctx->self_prev.gap = 0;
}

static int
self_same(const struct itl_self_prev *st, const struct inotify_event *ie)
{
	size_t len = ie->len != 0 ? strlen(ie->name) : 0;

	return st->valid && st->wd == ie->wd && st->mask == ie->mask &&
	    st->cookie == ie->cookie && st->len == len &&
	    memcmp(st->name, ie->name, len) == 0;
}

static void
self_keep(struct itl_self_prev *st, const struct inotify_event *ie)
{
	size_t len = ie->len != 0 ? strnlen(ie->name, NAME_MAX) : 0;

	st->valid = 1;
	st->gap = 0;
	st->wd = ie->wd;
	st->mask = ie->mask;
	st->cookie = ie->cookie;
	st->len = (uint32_t)len;
	memcpy(st->name, ie->name, len);
}

/* Is the record one of ours?  st is the merge state (ctx->self_prev, or a
 * copy for a look ahead); with consume, a directory's CLOSE_NOWRITE ends
 * its dropping. */
int
itl_recurse_self(struct itl *ctx, const struct inotify_event *ie,
    struct itl_self_prev *st, int consume)
{
	struct itl_watch *w;
	uint32_t id;

	if (ctx->self_count == 0)
		return 0;
	if (ie->len == 0 && (ie->mask == (IN_ACCESS | IN_ISDIR) ||
	    ie->mask == (IN_CLOSE_NOWRITE | IN_ISDIR))) {
		id = itl_node_by_wd(ctx, ie->wd);
		if (id != ITL_NONE && (w = ctx->node[id])->self) {
			st->gap = 1;
			if (consume && (ie->mask & IN_CLOSE_NOWRITE)) {
				w->self = 0;
				if (--ctx->self_count == 0)
					st->valid = st->gap = 0;
			}
			return 1;
		}
	}
	if (st->gap && self_same(st, ie))
		return 1;
	self_keep(st, ie);
	return 0;
}

void
itl_recurse_free(struct itl *ctx)
{
	itl_buf_free(&ctx->retry);
	itl_buf_free(&ctx->retry_names);
	itl_buf_free(&ctx->seen);
	itl_buf_free(&ctx->seen_names);
	itl_tab_free(&ctx->seen_tab);
}

/* A synthetic event from the scan, remembered so that the kernel's own
 * report of the same entry is not delivered too. */
static int
queue_synth(struct itl *ctx, int wd, uint32_t mask, const char *name,
    uint32_t flags, int error)
{
	int r = itl_synth_push(ctx, wd, mask, name, flags, error);

	if (r == 0)
		seen_add(ctx, wd, (mask & IN_CREATE) ? IN_CREATE :
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
		t = entry_type(fd, de, scan ? &size : NULL);
		if (t == DT_DIR) {
			r = push_name(ctx, de->name);
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

/* Node id is being read: its ACCESS and CLOSE_NOWRITE events until that
 * CLOSE_NOWRITE are ours. */
static void
self_add(struct itl *ctx, uint32_t id)
{
	if (!ctx->node[id]->self) {
		ctx->node[id]->self = 1;
		ctx->self_count++;
	}
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
		return id == ITL_NONE ? -ENOMEM : drop_fail(ctx, id, r);
	}
	*flags = ITL_EVF_NEWDIR;
	r = 0;
	if (fd >= 0) {
		if (ctx->rd->own_events)
			self_add(ctx, id);
		r = read_new(ctx, fd, wd, scan);
	}
	for (off = nbase; r == 0 && off < ctx->names.len; off += n + 1) {
		sub = ctx->names.data + off;
		n = strlen(sub);
		mark = ctx->synth.len;
		if (scan && (r = queue_synth(ctx, wd, IN_CREATE | IN_ISDIR, sub,
		    0, 0)) < 0)
			break;
		r = walk_push(ctx, sub, n, 1);
		if (r < 0)
			break;
		r = watch_new(ctx, id, ctx->names.data + off, n, scan, &f);
		walk_pop(ctx, base);
		if (scan)
			mark_synth(ctx, mark, f != 0 ? f : skippable(r) ? 0 :
			    r < 0 ? ITL_EVF_NEWDIR_FAILED : 0, r);
		if (r == -ENOMEM)
			break;
		r = 0;
	}
	ctx->names.len = nbase;
	return r == -ENOMEM ? r : 0;
}

/* Kernel events queued until now may repeat what the scan found. */
static void
window(struct itl *ctx)
{
	int n = 0;

	if (ioctl(ctx->fd, FIONREAD, &n) < 0)
		n = 0;
	ctx->seen_until = ctx->stream_base + ctx->end + (uint64_t)n;
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

void
itl_recurse_batch_end(struct itl *ctx)
{
	ctx->retry.len = 0;
	ctx->retry_names.len = 0;
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
		if (p == NULL || walk_push(ctx, p, len, 0) < 0 ||
		    walk_push(ctx, name, t->len, 1) < 0)
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
static void
relabel(struct itl *ctx, uint32_t n, uint32_t parent, const char *name,
    size_t len)
{
	struct itl_watch *w = itl_node(ctx, n);
	struct itl_buf old = {0};
	uint32_t op = w->parent, f;
	const char *p;
	size_t plen;
	int opwd;

	if (op == ITL_NONE || (op == parent && w->len == len &&
	    memcmp(w->name, name, len) == 0) ||
	    itl_node_is_below(ctx, parent, n) ||
	    itl_buf_append(&old, w->name, w->len) < 0)
		goto out;
	opwd = itl_node(ctx, op)->wd;
	if (itl_node_move(ctx, n, parent, name, len) < 0 || opwd < 0 ||
	    itl_node_by_wd(ctx, opwd) != op)
		goto out;
	p = itl_node_path(ctx, op, &plen);
	ctx->walk.len = 0;
	ctx->names.len = 0;
	if (p != NULL && walk_push(ctx, p, plen, 0) == 0 &&
	    walk_push(ctx, old.data, old.len, 1) == 0)
		(void)watch_new(ctx, op, old.data, old.len, 0, &f);
out:
	itl_buf_free(&old);
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
	if (p == NULL || walk_push(ctx, p, len, 0) < 0 ||
	    walk_push(ctx, ev->name, ev->name_len, 1) < 0)
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
	else if (!skippable(r)) {
		ev->flags |= ITL_EVF_NEWDIR_FAILED;
		ev->error = r;
	}
	if (scan && ctx->seen_tab.count != 0)
		window(ctx);
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

void
itl_recurse_remove_tree(struct itl *ctx, uint32_t top)
{
	remove_tree(ctx, top, 0);
}

/* The queue overflowed: IGNORED events may be lost, so ask the kernel
 * which watches are left (/proc/self/fdinfo) and forget the others. */
void
itl_recurse_resync(struct itl *ctx)
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
uint32_t
itl_recurse_moving(const struct itl *ctx)
{
	if (ctx->mv_wd < 0 || ctx->mv_id == ITL_NONE ||
	    itl_node_by_wd(ctx, ctx->mv_node_wd) != ctx->mv_id)
		return ITL_NONE;
	return ctx->mv_id;
}

/* The MOVED_FROM seen last was not followed by its MOVED_TO: the
 * directory left the tree. */
void
itl_recurse_flush(struct itl *ctx)
{
	if (ctx->mv_wd < 0)
		return;
	if (itl_recurse_moving(ctx) != ITL_NONE)
		remove_tree(ctx, ctx->mv_id, 1);
	ctx->mv_wd = -1;
	ctx->mv_self = 0;
	ctx->mv_id = ITL_NONE;
}

static void
moved_to(struct itl *ctx, struct itl_event *ev)
{
	uint32_t parent = itl_node_by_wd(ctx, ev->wd), old;
	uint32_t id = itl_recurse_moving(ctx);

	/* A directory renamed over an (empty) one replaces it; the kernel
	 * may tell nothing more about the one replaced. */
	old = itl_node_child(ctx, parent, ev->name, ev->name_len);
	if (old != ITL_NONE && old != id && itl_node(ctx, old)->wd >= 0 &&
	    (id == ITL_NONE || !itl_node_is_below(ctx, id, old)))
		itl_recurse_remove_tree(ctx, old);

	if (ctx->mv_wd >= 0 && ev->cookie == ctx->mv_cookie &&
	    id != ITL_NONE) {
		ctx->mv_wd = -1;
		ctx->mv_id = ITL_NONE;
		if (itl_node_move(ctx, id, parent, ev->name, ev->name_len) < 0)
			itl_recurse_remove_tree(ctx, id);
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
