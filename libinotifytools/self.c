/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * self.c: our own events.  A new directory is opened before it is
 * watched, so its OPEN reaches only its parent; each read gives ACCESS and
 * the close CLOSE_NOWRITE, on its parent (named) and on its own watch
 * (unnamed).  Those on its own watch
 * are dropped, up to its CLOSE_NOWRITE; its parent's repeated ACCESS, which
 * the kernel would have merged had ours not come between, is merged.  What
 * is left is what upstream shows: OPEN, ACCESS, CLOSE_NOWRITE on the
 * parent.
 */
#include <string.h>

#include "itl-core.h"

/* Node id is being read: its ACCESS and CLOSE_NOWRITE events until that
 * CLOSE_NOWRITE are ours. */
void
itl_self_add(struct itl *ctx, uint32_t id)
{
	if (!ctx->node[id]->self) {
		ctx->node[id]->self = 1;
		ctx->self_count++;
	}
}

/* The queue overflowed: the CLOSE_NOWRITE that ends a read may be lost. */
void
itl_self_reset(struct itl *ctx)
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
itl_self_skips(struct itl *ctx, const struct inotify_event *ie,
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
