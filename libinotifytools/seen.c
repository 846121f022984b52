/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * seen.c: what the new-directory scan reported (CREATE, CLOSE_WRITE of an
 * entry), so that the kernel's own report of the same entry, queued before
 * the scan ended, is not delivered twice.  Only records up to
 * ctx->seen_until (the end of the kernel queue when the scan ended) can be
 * such repeats; the first record past it clears the set.
 */
#include <string.h>
#include <sys/ioctl.h>

#include "itl-core.h"

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

void
itl_seen_add(struct itl *ctx, int wd, uint32_t kind, const char *name,
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
itl_seen_dup(struct itl *ctx, const struct inotify_event *ie,
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

/* Kernel events queued until now may repeat what the scan found. */
void
itl_seen_window(struct itl *ctx)
{
	int n = 0;

	if (ctx->seen_tab.count == 0)
		return;
	if (ioctl(ctx->fd, FIONREAD, &n) < 0)
		n = 0;
	ctx->seen_until = ctx->stream_base + ctx->end + (uint64_t)n;
}

void
itl_seen_free(struct itl *ctx)
{
	itl_buf_free(&ctx->seen);
	itl_buf_free(&ctx->seen_names);
	itl_tab_free(&ctx->seen_tab);
}
