/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * inotify.c: the context, and reading events.  One read() fills an aligned
 * buffer with a batch; records are checked before use and handed out one at
 * a time; synthetic events from the new-directory scan go first.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "itl-core.h"

/* ---- the inotify reader ------------------------------------------------ */

static int
in_open(struct itl *ctx)
{
	ctx->fd = inotify_init1(IN_CLOEXEC);
	return ctx->fd < 0 ? -errno : 0;
}

static void
in_free(struct itl *ctx)
{
	(void)ctx;
}

static int
in_add(struct itl *ctx, const char *path, uint32_t mask, int *wd)
{
	int r = inotify_add_watch(ctx->fd, path, mask);

	if (r < 0)
		return -errno;
	*wd = r;
	return 0;
}

static int
in_remove(struct itl *ctx, int wd)
{
	return inotify_rm_watch(ctx->fd, wd) < 0 ? -errno : 0;
}

/* A read that leaves this much room stopped because the queue was empty:
 * the kernel goes on while the next event fits (a name takes at most
 * NAME_MAX + 1 bytes, rounded up to the record alignment). */
#define ROOM_EMPTY	(sizeof(struct inotify_event) * 2 + NAME_MAX + 1)

static ssize_t
in_read(struct itl *ctx, int *drained)
{
	ssize_t n = read(ctx->fd, ctx->raw, sizeof(ctx->raw));

	if (n <= 0)
		return n == 0 ? -EIO : -errno;
	*drained = (size_t)n <= sizeof(ctx->raw) - ROOM_EMPTY;
	return n;
}

static int
in_resolve(struct itl *ctx, const char *path, uint32_t mask,
    struct itl_buf *out)
{
	(void)ctx;
	(void)mask;
	return itl_buf_append(out, path, strlen(path));
}

const struct itl_reader itl_inotify_reader = {
	.open = in_open,
	.free = in_free,
	.add = in_add,
	.remove = in_remove,
	.read = in_read,
	.resolve = in_resolve,
	.own_events = 1,
	.cookies = 1,
	.rows_by_name = 0,
};

/* ---- the context ---------------------------------------------------------- */

int
itl_open(struct itl **out, const struct itl_config *cfg)
{
	static const struct itl_config defaults;
	struct itl *ctx;
	int r;

	if (cfg == NULL)
		cfg = &defaults;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return -ENOMEM;
	itl_prefault(ctx->raw, sizeof(ctx->raw));
	itl_prefault(ctx->dents, sizeof(ctx->dents));
	ctx->cfg = *cfg;
	ctx->rd = cfg->backend == ITL_FANOTIFY ? &itl_fanotify_reader :
	    &itl_inotify_reader;
	ctx->fd = -1;
	ctx->free_id = ITL_NONE;
	ctx->path_id = ITL_NONE;
	ctx->ok_pos = SIZE_MAX;
	ctx->drop_wd = -1;
	ctx->wake_fd = -1;
	ctx->mv_wd = -1;
	ctx->mv_id = ITL_NONE;
	ctx->dup_id = ITL_NONE;
	if (cfg->track_new_dirs)
		ctx->extra_mask = ITL_TRACK_BITS;
	/* What a new directory holds is reported only where our own read
	 * of it can be told apart. */
	if (!ctx->rd->own_events)
		ctx->cfg.scan_new_dirs = 0;
	if ((r = ctx->rd->open(ctx)) < 0 ||
	    (cfg->stats && (r = itl_stats_init(ctx)) < 0)) {
		itl_close(ctx);
		return r;
	}
	*out = ctx;
	return 0;
}

void
itl_close(struct itl *ctx)
{
	if (ctx == NULL)
		return;
	if (ctx->fd >= 0)
		close(ctx->fd);
	ctx->rd->free(ctx);
	itl_stats_free(ctx);
	itl_filter_free(ctx);
	itl_nodes_free(ctx);
	itl_buf_free(&ctx->path);
	itl_buf_free(&ctx->walk);
	itl_buf_free(&ctx->names);
	itl_buf_free(&ctx->tmp);
	itl_buf_free(&ctx->synth);
	itl_recurse_free(ctx);
	free(ctx);
}

int
itl_fd(const struct itl *ctx)
{
	return ctx->fd;
}

/* The record at raw[pos], or NULL if it is truncated or its len would put
 * the next record out of alignment (the kernel pads names to a multiple of
 * the header's size). */
struct inotify_event *
itl_raw_record(struct itl *ctx, size_t pos)
{
	struct inotify_event *ie;
	size_t left = ctx->end - pos;

	if (left < sizeof(*ie))
		return NULL;
	ie = (struct inotify_event *)(void *)(ctx->raw + pos);
	if (ie->len > left - sizeof(*ie) ||
	    ie->len % _Alignof(struct inotify_event) != 0)
		return NULL;
	/* The kernel pads names with NULs: the last byte is one. */
	if (ie->len != 0 && ie->name[ie->len - 1] != '\0')
		return NULL;
	return ie;
}

static void
make_event(struct itl_event *ev, struct inotify_event *ie, uint32_t flags)
{
	ev->wd = ie->wd;
	ev->mask = ie->mask;
	ev->cookie = ie->cookie;
	ev->name = ie->len != 0 ? ie->name : "";
	ev->name_len = ie->len != 0 ? (uint32_t)strlen(ie->name) : 0;
	ev->flags = flags;
	ev->error = 0;
	ev->raw = ie;
}

int
itl_raw_overflow(const struct inotify_event *ie)
{
	return ie->wd == -1 || (ie->mask & IN_Q_OVERFLOW) != 0;
}

/* Find the next record that will be delivered, so that itl_pending() can
 * tell the truth.  Run only when asked: itl_next() just forgets it. */
static void
lookahead(struct itl *ctx)
{
	struct inotify_event *ie;
	struct itl_event ev;
	struct itl_look look;
	size_t p;

	ctx->ok_pos = SIZE_MAX;
	ctx->ok_known = 1;
	itl_recurse_look_start(ctx, &look);
	for (p = ctx->pos; p < ctx->end; p += sizeof(*ie) + ie->len) {
		ie = itl_raw_record(ctx, p);
		if (ie == NULL || itl_raw_overflow(ie)) {
			ctx->ok_pos = p;	/* an error or overflow is news */
			return;
		}
		if (itl_recurse_drops(ctx, ie, ctx->stream_base + p, &look))
			continue;
		make_event(&ev, ie, 0);
		if (!itl_filter_drops(ctx, &ev)) {
			ctx->ok_pos = p;
			return;
		}
	}
}

/* Work left over from the event delivered last. */
static void
settle(struct itl *ctx)
{
	uint32_t id;

	if (ctx->drop_wd >= 0) {
		id = itl_node_by_wd(ctx, ctx->drop_wd);
		if (id != ITL_NONE)
			itl_node_drop(ctx, id);
		ctx->drop_wd = -1;
	}
	if (ctx->synth_head == ctx->synth.len)
		ctx->synth_head = ctx->synth.len = 0;
}

/* The size of an inotify record whose name is len bytes (NUL-padded to
 * the record alignment; no name, no padding). */
static size_t
record_size(size_t len)
{
	return sizeof(struct inotify_event) +
	    (len == 0 ? 0 : (len + sizeof(struct inotify_event)) &
	    ~(sizeof(struct inotify_event) - 1));
}

static void
record_fill(struct inotify_event *ie, int wd, uint32_t mask,
    uint32_t cookie, const char *name, size_t len)
{
	size_t padded = record_size(len) - sizeof(*ie);

	ie->wd = wd;
	ie->mask = mask;
	ie->cookie = cookie;
	ie->len = (uint32_t)padded;
	if (padded != 0) {
		memcpy(ie->name, name, len);
		memset(ie->name + len, 0, padded - len);
	}
}

size_t
itl_raw_put(struct itl *ctx, size_t at, size_t room, int wd, uint32_t mask,
    uint32_t cookie, const char *name, size_t len)
{
	size_t size = record_size(len);

	if (size > room)
		return 0;
	record_fill((struct inotify_event *)(void *)(ctx->raw + at), wd, mask,
	    cookie, name, len);
	return size;
}

int
itl_synth_push(struct itl *ctx, int wd, uint32_t mask, const char *name,
    uint32_t flags, int error)
{
	size_t len = strlen(name);
	size_t size = sizeof(struct itl_synth) - sizeof(struct inotify_event) +
	    record_size(len);
	struct itl_synth *s;
	int r;

	r = itl_buf_reserve(&ctx->synth, size);
	if (r < 0)
		return r;
	s = (struct itl_synth *)(void *)(ctx->synth.data + ctx->synth.len);
	s->flags = flags | ITL_EVF_SYNTHETIC;
	s->error = error;
	s->size = (uint32_t)size;
	s->pad = 0;
	record_fill(&s->ev, wd, mask, 0, name, len);
	ctx->synth.len += size;
	return 0;
}

/* 1: ctx->ev is to be delivered; 0: dropped. */
static int
take_synth(struct itl *ctx)
{
	struct itl_synth *s;

	s = (struct itl_synth *)(void *)(ctx->synth.data + ctx->synth_head);
	ctx->synth_head += s->size;
	if (itl_node_by_wd(ctx, s->ev.wd) == ITL_NONE)
		return 0;
	make_event(&ctx->ev, &s->ev, s->flags);
	ctx->ev.error = s->error;
	if (itl_filter_drops(ctx, &ctx->ev))
		return 0;
	return 1;
}

/* 1: ctx->ev is to be delivered; 0: dropped; -EIO: bad record. */
static int
take_raw(struct itl *ctx)
{
	struct inotify_event *ie = itl_raw_record(ctx, ctx->pos);
	size_t at = ctx->pos;

	if (ie == NULL) {
		ctx->pos = ctx->end;
		return -EIO;
	}
	ctx->pos += sizeof(*ie) + ie->len;
	make_event(&ctx->ev, ie, 0);
	if (itl_raw_overflow(ie)) {
		itl_recurse_overflow(ctx);
		return 1;
	}
	if (itl_recurse_drops(ctx, ie, ctx->stream_base + at, NULL))
		return 0;
	if (ctx->cfg.track_new_dirs)
		itl_recurse_event(ctx, &ctx->ev);
	if (ie->mask & IN_IGNORED)
		ctx->drop_wd = ie->wd;
	if ((!ctx->ok_known || at != ctx->ok_pos) &&
	    itl_filter_drops(ctx, &ctx->ev)) {
		settle(ctx);
		return 0;
	}
	return 1;
}

static int
remaining_ms(struct timespec *start, int timeout_ms)
{
	struct timespec now;
	long long ms;

	if (timeout_ms < 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (start->tv_sec == 0 && start->tv_nsec == 0) {
		*start = now;
		return timeout_ms;
	}
	ms = (now.tv_sec - start->tv_sec) * 1000LL +
	    (now.tv_nsec - start->tv_nsec) / 1000000;
	return ms >= timeout_ms ? 0 : (int)(timeout_ms - ms);
}

/* Read a batch into raw[]: 1, or -errno (EINTR included). */
static int
read_batch(struct itl *ctx)
{
	ssize_t n = ctx->rd->read(ctx, &ctx->drained);

	if (n < 0)
		return (int)n;
	ctx->batch_open = 1;
	ctx->ok_pos = SIZE_MAX;
	ctx->stream_base += ctx->end;
	ctx->pos = 0;
	ctx->end = (size_t)n;
	return 1;
}

/* Read if the kernel has something queued: 1, 0 (nothing) or -errno. */
static int
read_queued(struct itl *ctx)
{
	int n = 0;

	for (;;) {
		if (ioctl(ctx->fd, FIONREAD, &n) < 0)
			return -errno;
		if (n <= 0)
			return 0;
		n = read_batch(ctx);
		if (n != -EINTR)
			return n;
	}
}

/* The queue is empty: the end of a batch (once per batch read). */
static int
batch_end(struct itl *ctx)
{
	if (!ctx->batch_open)
		return 0;
	ctx->batch_open = 0;
	itl_recurse_batch_end(ctx);
	return ctx->idle != NULL ? ctx->idle(ctx->idle_arg) : 0;
}

/*
 * Read the next batch: 1 when there is one, 0 on timeout, -errno.  The fd
 * blocks, so nothing is read unless the kernel has something or we mean
 * to wait: after a read that found the queue empty, the batch has ended
 * (unless a MOVED_FROM waits for its MOVED_TO); after a full one, ask.
 * Waiting without a timeout is a read(2) with cfg.wait_in_read (one
 * system call per wakeup, as a bare read loop), else a poll(2).
 */
static int
fill(struct itl *ctx, int timeout_ms, struct timespec *start)
{
	struct pollfd pfd[2] = {
		{ ctx->fd, POLLIN, 0 }, { ctx->wake_fd, POLLIN, 0 },
	};
	int r, nfd = ctx->wake_fd >= 0 && timeout_ms != 0 ? 2 : 1;

	if ((!ctx->drained || itl_recurse_move_pending(ctx)) &&
	    (r = read_queued(ctx)) != 0)
		return r;
	ctx->drained = 1;
	if ((r = batch_end(ctx)) < 0)
		return r;
	if (timeout_ms < 0 && ctx->cfg.wait_in_read && nfd == 1)
		return read_batch(ctx);
	/* Timeout 0, or its end: poll(2) only looks. */
	r = poll(pfd, (nfds_t)nfd, remaining_ms(start, timeout_ms));
	if (r < 0)
		return -errno;
	if (r > 0 && (pfd[0].revents & POLLIN))
		return read_batch(ctx);
	return r > 0 && nfd == 2 ? -EINTR : 0;
}

int
itl_next(struct itl *ctx, int timeout_ms, const struct itl_event **evp)
{
	struct timespec start = {0, 0};
	int r;

	settle(ctx);
	for (;;) {
		if (ctx->synth_head < ctx->synth.len)
			r = take_synth(ctx);
		else if (ctx->pos < ctx->end)
			r = take_raw(ctx);
		else {
			r = fill(ctx, timeout_ms, &start);
			if (r <= 0)
				return r;
			continue;
		}
		if (r < 0)
			return r;
		if (r == 1)
			break;
	}
	if (ctx->stats != NULL)
		itl_stats_record(ctx, &ctx->ev);
	ctx->ok_known = 0;
	*evp = &ctx->ev;
	return 1;
}

int
itl_pending(struct itl *ctx)
{
	if (ctx->synth_head < ctx->synth.len)
		return 1;
	if (!ctx->ok_known)
		lookahead(ctx);
	return ctx->ok_pos != SIZE_MAX;
}

void
itl_set_idle(struct itl *ctx, itl_idle_fn fn, void *arg)
{
	ctx->idle = fn;
	ctx->idle_arg = arg;
}

void
itl_set_wake_fd(struct itl *ctx, int fd)
{
	ctx->wake_fd = fd;
}
