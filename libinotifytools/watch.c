/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watch.c: the watch table.  wd -> node in O(1) through an open-addressing
 * table of node ids; paths are rendered on demand from parent links, with
 * the last rendering cached; an exact-path index (parent id, name) -> node
 * is built the first time someone needs it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itl-core.h"

#define FREE_TAG(next)	((struct itl_watch *)(((uintptr_t)(next) << 1) | 1))
#define IS_FREE(p)	(((uintptr_t)(p) & 1) != 0)
#define FREE_NEXT(p)	((uint32_t)((uintptr_t)(p) >> 1))

struct name_key {
	uint32_t parent;
	const char *name;
	size_t len;
	int live;
};

/* ---- hashes of the two node tables ---------------------------------- */

static uint32_t
hash_wd(int wd)
{
	/* An odd multiplier permutes the low bits: consecutive wds never
	 * collide. */
	return (uint32_t)wd * 0x9e3779b1u;
}

static uint32_t
hash_name(uint32_t parent, const char *name, size_t len)
{
	return itl_tab_hash_str(name, len, parent * 0x9e3779b9u);
}

static uint32_t
wd_hash_of(const struct itl *ctx, uint32_t id)
{
	return hash_wd(ctx->node[id]->wd);
}

static uint32_t
name_hash_of(const struct itl *ctx, uint32_t id)
{
	const struct itl_watch *w = ctx->node[id];

	return hash_name(w->parent, w->name, w->len);
}

/* ---- nodes ------------------------------------------------------------ */

static int
eq_id(const struct itl *ctx, uint32_t id, const void *key)
{
	return id == *(const uint32_t *)key;
}

static int
eq_name(const struct itl *ctx, uint32_t id, const void *key)
{
	const struct name_key *k = key;
	const struct itl_watch *w = ctx->node[id];

	return w->parent == k->parent && w->len == k->len &&
	    (!k->live || w->wd >= 0) && memcmp(w->name, k->name, k->len) == 0;
}

struct itl_watch *
itl_node(const struct itl *ctx, uint32_t id)
{
	return ctx->node[id];
}

/* The hottest lookup (every event): itl_tab_find() without the indirect
 * call. */
uint32_t
itl_node_by_wd(const struct itl *ctx, int wd)
{
	const struct itl_tab *t = &ctx->bywd;
	uint32_t m, i, id;

	if (t->cap == 0)
		return ITL_NONE;
	m = t->cap - 1;
	for (i = hash_wd(wd) & m; t->slot[i] != 0; i = (i + 1) & m) {
		id = t->slot[i] - 1;
		if (ctx->node[id]->wd == wd)
			return id;
	}
	return ITL_NONE;
}

static int
ids_reserve(struct itl *ctx)
{
	struct itl_watch **n;
	uint32_t cap;

	if (ctx->free_id != ITL_NONE || ctx->nnode < ctx->node_cap)
		return 0;
	cap = ctx->node_cap ? ctx->node_cap * 2 : 64;
	if (cap >= ITL_NONE / 2)
		return -ENOMEM;
	n = realloc(ctx->node, cap * sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	ctx->node = n;
	ctx->node_cap = cap;
	return 0;
}

static uint32_t
id_alloc(struct itl *ctx)
{
	uint32_t id;

	if (ctx->free_id != ITL_NONE) {
		id = ctx->free_id;
		ctx->free_id = FREE_NEXT(ctx->node[id]);
		return id;
	}
	return ctx->nnode++;
}

static void
id_release(struct itl *ctx, uint32_t id)
{
	ctx->node[id] = FREE_TAG(ctx->free_id);
	ctx->free_id = id;
	if (ctx->path_id == id)
		ctx->path_id = ITL_NONE;
}

static int
byname_add(struct itl *ctx, uint32_t id)
{
	if (!ctx->byname_on)
		return 0;
	return itl_tab_insert(ctx, &ctx->byname, name_hash_of(ctx, id), id,
	    name_hash_of);
}

static void
byname_del(struct itl *ctx, uint32_t id)
{
	uint32_t slot;

	if (!ctx->byname_on)
		return;
	if (itl_tab_find(ctx, &ctx->byname, name_hash_of(ctx, id), eq_id, &id,
	    &slot) != ITL_NONE)
		itl_tab_delete(ctx, &ctx->byname, slot, name_hash_of);
}

/* A new node, not yet watched (wd -2: pending).  ITL_NONE on ENOMEM. */
uint32_t
itl_node_new(struct itl *ctx, uint32_t parent, const char *name, size_t len)
{
	struct itl_watch *w;
	uint32_t id;

	if (len > UINT16_MAX || ids_reserve(ctx) < 0)
		return ITL_NONE;
	w = malloc(sizeof(*w) + len + 1);
	if (w == NULL)
		return ITL_NONE;
	w->parent = parent;
	w->wd = -2;
	w->nchild = 0;
	w->len = (uint16_t)len;
	w->self = 0;
	memcpy(w->name, name, len);
	w->name[len] = '\0';
	id = id_alloc(ctx);
	ctx->node[id] = w;
	if (byname_add(ctx, id) < 0) {
		free(w);
		id_release(ctx, id);
		return ITL_NONE;
	}
	if (parent != ITL_NONE)
		ctx->node[parent]->nchild++;
	return id;
}

/* Give node id its wd.  -EEXIST when another node has it (the first name
 * stays), -ENOMEM. */
int
itl_node_bind(struct itl *ctx, uint32_t id, int wd)
{
	int r;

	if (itl_node_by_wd(ctx, wd) != ITL_NONE)
		return -EEXIST;
	ctx->node[id]->wd = wd;
	r = itl_tab_insert(ctx, &ctx->bywd, hash_wd(wd), id, wd_hash_of);
	if (r < 0) {
		ctx->node[id]->wd = -2;
		return r;
	}
	ctx->live++;
	if (ctx->stats != NULL)
		(void)itl_stats_attach(ctx, id);
	return 0;
}

/* Free id and every ancestor that it alone kept alive. */
static void
release(struct itl *ctx, uint32_t id)
{
	struct itl_watch *w;
	uint32_t parent;

	for (;;) {
		w = ctx->node[id];
		if (w->nchild != 0)
			return;
		parent = w->parent;
		byname_del(ctx, id);
		free(w);
		id_release(ctx, id);
		if (parent == ITL_NONE)
			return;
		id = parent;
		w = ctx->node[id];
		w->nchild--;
		if (w->wd != -1)
			return;
	}
}

static void
node_drop(struct itl *ctx, uint32_t id, int forget)
{
	struct itl_watch *w = ctx->node[id];
	uint32_t slot;

	if (w->wd >= 0) {
		if (ctx->stats != NULL)
			itl_stats_retire(ctx, id, forget);
		if (itl_tab_find(ctx, &ctx->bywd, hash_wd(w->wd), eq_id, &id,
		    &slot) != ITL_NONE)
			itl_tab_delete(ctx, &ctx->bywd, slot, wd_hash_of);
		ctx->live--;
	}
	if (w->self) {
		w->self = 0;
		ctx->self_count--;
	}
	w->wd = -1;
	ctx->path_id = ITL_NONE;
	release(ctx, id);
}

/* Forget node id: unwatched from here on; freed once no child needs it. */
void
itl_node_drop(struct itl *ctx, uint32_t id)
{
	node_drop(ctx, id, 0);
}

void
itl_node_forget(struct itl *ctx, uint32_t id)
{
	node_drop(ctx, id, 1);
}

static int
byname_build(struct itl *ctx)
{
	uint32_t id;
	int r;

	ctx->byname_on = 1;
	for (id = 0; id < ctx->nnode; id++) {
		if (IS_FREE(ctx->node[id]))
			continue;
		r = byname_add(ctx, id);
		if (r < 0) {
			itl_tab_free(&ctx->byname);
			ctx->byname_on = 0;
			return r;
		}
	}
	return 0;
}

/* The child of parent called name (roots: parent ITL_NONE, name = stored
 * path); a watched node is preferred to an unwatched one. */
uint32_t
itl_node_child(struct itl *ctx, uint32_t parent, const char *name,
    size_t len)
{
	struct name_key k = { parent, name, len, 1 };
	uint32_t h = hash_name(parent, name, len), id;

	if (!ctx->byname_on && byname_build(ctx) < 0)
		return ITL_NONE;
	id = itl_tab_find(ctx, &ctx->byname, h, eq_name, &k, NULL);
	if (id != ITL_NONE)
		return id;
	k.live = 0;
	return itl_tab_find(ctx, &ctx->byname, h, eq_name, &k, NULL);
}

/* Rename node id to name under parent (ITL_NONE: make it a root). */
int
itl_node_move(struct itl *ctx, uint32_t id, uint32_t parent,
    const char *name, size_t len)
{
	struct itl_watch *w = ctx->node[id], *n;
	uint32_t old = w->parent;
	int r;

	if (len > UINT16_MAX)
		return -ENAMETOOLONG;
	/* A directory cannot move below itself: such events are not real. */
	if (parent != ITL_NONE && itl_node_is_below(ctx, parent, id))
		return -EINVAL;
	byname_del(ctx, id);
	if (len != w->len) {
		n = realloc(w, sizeof(*w) + len + 1);
		if (n == NULL) {
			(void)byname_add(ctx, id);
			return -ENOMEM;
		}
		ctx->node[id] = w = n;
	}
	memmove(w->name, name, len);
	w->name[len] = '\0';
	w->len = (uint16_t)len;
	ctx->path_id = ITL_NONE;
	if (parent != old) {
		w->parent = parent;
		if (parent != ITL_NONE)
			ctx->node[parent]->nchild++;
		if (old != ITL_NONE) {
			ctx->node[old]->nchild--;
			if (ctx->node[old]->wd == -1)
				release(ctx, old);
		}
	}
	r = byname_add(ctx, id);
	return r;
}

int
itl_node_is_below(const struct itl *ctx, uint32_t id, uint32_t top)
{
	while (id != ITL_NONE) {
		if (id == top)
			return 1;
		id = ctx->node[id]->parent;
	}
	return 0;
}

/* Render the full path of id into ctx->path.  NULL on ENOMEM. */
const char *
itl_node_path(struct itl *ctx, uint32_t id, size_t *lenp)
{
	const struct itl_watch *w;
	size_t total = 0, at;
	uint32_t i;

	if (ctx->path_id != id) {
		for (i = id; i != ITL_NONE; i = w->parent) {
			w = ctx->node[i];
			total += w->len + (w->parent != ITL_NONE);
		}
		ctx->path.len = 0;
		if (itl_buf_reserve(&ctx->path, total + 1) < 0)
			return NULL;
		at = total;
		for (i = id; i != ITL_NONE; i = w->parent) {
			w = ctx->node[i];
			if (w->parent != ITL_NONE)
				ctx->path.data[--at] = '/';
			at -= w->len;
			memcpy(ctx->path.data + at, w->name, w->len);
		}
		ctx->path.data[total] = '\0';
		ctx->path.len = total;
		ctx->path_id = id;
	}
	if (lenp != NULL)
		*lenp = ctx->path.len;
	return ctx->path.data;
}

void
itl_nodes_free(struct itl *ctx)
{
	uint32_t id;

	for (id = 0; id < ctx->nnode; id++)
		if (!IS_FREE(ctx->node[id]))
			free(ctx->node[id]);
	free(ctx->node);
	ctx->node = NULL;
	ctx->nnode = ctx->node_cap = 0;
	ctx->free_id = ITL_NONE;
	ctx->live = 0;
	itl_tab_free(&ctx->bywd);
	itl_tab_free(&ctx->byname);
	ctx->byname_on = 0;
	ctx->path_id = ITL_NONE;
}

/* ---- the itl.h interface ---------------------------------------------- */

int
itl_watch_add(struct itl *ctx, const char *path, uint32_t mask)
{
	struct stat st;
	int wd, dir, r;
	uint32_t id;

	dir = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
	r = ctx->rd->add(ctx, path, mask | ctx->extra_mask, &wd);
	if (r < 0)
		return r;
	ctx->tree_mask = mask | ctx->extra_mask;
	if (itl_node_by_wd(ctx, wd) != ITL_NONE)
		return 0;
	ctx->walk.len = 0;
	r = ctx->rd->resolve(ctx, path, mask, &ctx->walk);
	if (r < 0)
		return r;
	if (dir && (ctx->walk.len == 0 ||
	    ctx->walk.data[ctx->walk.len - 1] != '/') &&
	    itl_buf_putc(&ctx->walk, '/') < 0)
		return -ENOMEM;
	id = itl_node_new(ctx, ITL_NONE, ctx->walk.data, ctx->walk.len);
	if (id == ITL_NONE)
		return -ENOMEM;
	r = itl_node_bind(ctx, id, wd);
	if (r < 0) {
		itl_node_drop(ctx, id);
		return r;
	}
	return 0;
}

int
itl_watch_remove(struct itl *ctx, int wd)
{
	uint32_t id = itl_node_by_wd(ctx, wd);
	int r;

	if (id == ITL_NONE)
		return -ENOENT;
	r = ctx->rd->remove(ctx, wd);
	itl_node_drop(ctx, id);
	return r == -EINVAL ? 0 : r;
}

struct itl_watch *
itl_watch_by_wd(const struct itl *ctx, int wd)
{
	uint32_t id = itl_node_by_wd(ctx, wd);

	return id == ITL_NONE ? NULL : ctx->node[id];
}

/* Descend from node id along "a/b/" (every component ends in '/'). */
static uint32_t
descend(struct itl *ctx, uint32_t id, const char *rest)
{
	const char *slash;

	while (*rest != '\0' && id != ITL_NONE) {
		slash = strchr(rest, '/');
		if (slash == NULL || slash == rest)
			return ITL_NONE;
		id = itl_node_child(ctx, id, rest, (size_t)(slash - rest));
		rest = slash + 1;
	}
	return id;
}

struct itl_watch *
itl_watch_by_path(const struct itl *ctx0, const char *path)
{
	struct itl *ctx = (struct itl *)ctx0;	/* the index is a cache */
	size_t len = strlen(path), i;
	uint32_t id;

	for (i = 0; i < len; i++) {
		if (path[i] != '/' && i + 1 != len)
			continue;
		id = itl_node_child(ctx, ITL_NONE, path, i + 1);
		if (id == ITL_NONE)
			continue;
		id = descend(ctx, id, path + i + 1);
		if (id != ITL_NONE && ctx->node[id]->wd >= 0)
			return ctx->node[id];
	}
	return NULL;
}

int
itl_watch_wd(const struct itl_watch *w)
{
	return w->wd;
}

const char *
itl_watch_path(struct itl *ctx, const struct itl_watch *w, size_t *len)
{
	return itl_wd_path(ctx, w->wd, len);
}

const char *
itl_wd_path(struct itl *ctx, int wd, size_t *len)
{
	uint32_t id;
	const char *p = NULL;

	/* The path rendered last is most often the one wanted again. */
	if (wd >= 0 && ctx->path_id != ITL_NONE &&
	    ctx->node[ctx->path_id]->wd == wd) {
		if (len != NULL)
			*len = ctx->path.len;
		return ctx->path.data;
	}
	id = wd < 0 ? ITL_NONE : itl_node_by_wd(ctx, wd);

	if (id != ITL_NONE)
		p = itl_node_path(ctx, id, len);
	if (p == NULL) {
		if (len != NULL)
			*len = 0;
		return "";
	}
	return p;
}

size_t
itl_watch_count(const struct itl *ctx)
{
	return ctx->live;
}

/* The wds of every live watch, so that callbacks may change the table. */
static int *
snapshot(const struct itl *ctx, size_t *n)
{
	int *wds;
	uint32_t pos = 0, id;

	*n = 0;
	wds = malloc((ctx->bywd.count + 1) * sizeof(*wds));
	if (wds == NULL)
		return NULL;
	while ((id = itl_tab_next(&ctx->bywd, &pos)) != ITL_NONE)
		wds[(*n)++] = ctx->node[id]->wd;
	return wds;
}

int
itl_watch_foreach(struct itl *ctx,
    int (*fn)(struct itl *, struct itl_watch *, void *), void *arg)
{
	size_t n, i;
	int *wds = snapshot(ctx, &n), r = 0;
	uint32_t id;

	if (wds == NULL)
		return -ENOMEM;
	for (i = 0; i < n && r == 0; i++) {
		id = itl_node_by_wd(ctx, wds[i]);
		if (id != ITL_NONE)
			r = fn(ctx, ctx->node[id], arg);
	}
	free(wds);
	return r;
}

/* The highest ancestor of id (inclusive) whose path is at least min bytes
 * long, given that id's path is len bytes. */
static uint32_t
topmost(const struct itl *ctx, uint32_t id, size_t len, size_t min)
{
	const struct itl_watch *w = ctx->node[id];

	while (w->parent != ITL_NONE) {
		len -= (size_t)w->len + 1;
		if (len < min)
			break;
		id = w->parent;
		w = ctx->node[id];
	}
	return id;
}

static int
rename_one(struct itl *ctx, uint32_t id, size_t oldlen, const char *newp)
{
	const char *p;
	size_t len;
	struct itl_buf b = {0};
	int r;

	p = itl_node_path(ctx, id, &len);
	if (p == NULL || itl_buf_append(&b, newp, strlen(newp)) < 0 ||
	    itl_buf_append(&b, p + oldlen, len - oldlen) < 0) {
		itl_buf_free(&b);
		return -ENOMEM;
	}
	r = itl_node_move(ctx, id, ITL_NONE, b.data ? b.data : "", b.len);
	itl_buf_free(&b);
	return r;
}

int
itl_watch_rename_prefix(struct itl *ctx, const char *oldprefix,
    const char *newprefix)
{
	size_t n, i, j, k = 0, olen = strlen(oldprefix), len;
	int *wds = snapshot(ctx, &n), r = 0;
	uint32_t *top, id;
	const char *p;

	if (wds == NULL)
		return -ENOMEM;
	top = malloc((n + 1) * sizeof(*top));
	for (i = 0; top != NULL && i < n; i++) {
		id = itl_node_by_wd(ctx, wds[i]);
		p = itl_node_path(ctx, id, &len);
		if (p == NULL || len < olen || memcmp(p, oldprefix, olen) != 0)
			continue;
		id = topmost(ctx, id, len, olen);
		for (j = 0; j < k && top[j] != id; j++)
			;
		if (j == k)
			top[k++] = id;
	}
	for (j = 0; top != NULL && j < k && r == 0; j++)
		r = rename_one(ctx, top[j], olen, newprefix);
	if (top == NULL)
		r = -ENOMEM;
	free(top);
	free(wds);
	return r;
}
