/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * walk.c: the initial walk of a tree (itl_watch_tree), post-order as
 * upstream: children get their wds before their parent.  The path being
 * walked is built in ctx->walk and the names of a directory's
 * subdirectories are stacked in ctx->names; the new-directory scan
 * (recurse.c) uses the same two buffers and the helpers here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itl-core.h"

int
itl_walk_skippable(int r)
{
	return r == -EACCES || r == -ENOENT || r == -ELOOP || r == -ENOTDIR;
}

/* In the initial walk, a directory whose path is longer than PATH_MAX is
 * skipped too, as an unreadable one is: the rest of the tree is watched. */
static int
walk_skippable(int r)
{
	return itl_walk_skippable(r) || r == -ENAMETOOLONG;
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
int
itl_walk_entry_type(int dfd, const struct itl_dirent *de, off_t *size)
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

int
itl_walk_push_name(struct itl *ctx, const char *name)
{
	return itl_buf_append(&ctx->names, name, strlen(name) + 1);
}

/* Append "name/" to ctx->walk, NUL-terminated (the NUL not counted). */
int
itl_walk_push(struct itl *ctx, const char *name, size_t len, int slash)
{
	if (itl_buf_append(&ctx->walk, name, len) < 0 ||
	    (slash && itl_buf_putc(&ctx->walk, '/') < 0) ||
	    itl_buf_reserve(&ctx->walk, 1) < 0)
		return -ENOMEM;
	ctx->walk.data[ctx->walk.len] = '\0';
	return 0;
}

void
itl_walk_pop(struct itl *ctx, size_t base)
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
		if (itl_walk_entry_type(fd, de, NULL) == DT_DIR)
			r = itl_walk_push_name(ctx, de->name);
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
		if (itl_walk_push(ctx, name, len, 0) < 0)
			return drop_fail(ctx, id, -ENOMEM);
		if (!excluded(ctx, excl)) {
			child = itl_node_new(ctx, id, name, len);
			if (child == ITL_NONE ||
			    itl_walk_push(ctx, "", 0, 1) < 0)
				return drop_fail(ctx, id, -ENOMEM);
			r = walk(ctx, child, excl, 0);
			if (r < 0) {
				ctx->names.len = nbase;
				return drop_fail(ctx, id, r);
			}
		}
		itl_walk_pop(ctx, base);
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
	if (r < 0 || itl_walk_push(ctx, "", 0, ctx->walk.len == 0 ||
	    ctx->walk.data[ctx->walk.len - 1] != '/') < 0)
		return r < 0 ? r : -ENOMEM;
	id = itl_node_new(ctx, ITL_NONE, ctx->walk.data, ctx->walk.len);
	if (id == ITL_NONE)
		return -ENOMEM;
	return walk(ctx, id, excl, 1);
}
