/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dirents.c: reading a directory with getdents64(2) into the context's own
 * buffer.  No DIR: opendir costs a 32 KiB malloc, an fstat and an fcntl per
 * directory, and under mkdir/rmdir churn those mallocs fragment the heap
 * until it grows.  Callers read a directory to its end before they open
 * the next one, so one buffer serves every walk.
 */
#include <dirent.h>
#include <errno.h>
#include <unistd.h>

#include "itl-core.h"

void
itl_dir_start(struct itl_dir *d, int fd)
{
	d->fd = fd;
	d->pos = d->end = 0;
	d->error = 0;
}

static int
is_dot(const char *name)
{
	return name[0] == '.' && (name[1] == '\0' ||
	    (name[1] == '.' && name[2] == '\0'));
}

/* Refill the buffer: 1 with entries, 0 at the end (or on error, in
 * d->error). */
static int
refill(struct itl *ctx, struct itl_dir *d)
{
	ssize_t n;

	do
		n = getdents64(d->fd, ctx->dents, sizeof(ctx->dents));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		d->error = -errno;
		return 0;
	}
	d->pos = 0;
	d->end = (size_t)n;
	return n > 0;
}

const struct itl_dirent *
itl_dir_next(struct itl *ctx, struct itl_dir *d)
{
	const struct dirent64 *de;

	if (d->error != 0)
		return NULL;
	for (;;) {
		if (d->pos >= d->end && !refill(ctx, d))
			return NULL;
		de = (const struct dirent64 *)(void *)(ctx->dents + d->pos);
		if (de->d_reclen == 0 || de->d_reclen > d->end - d->pos) {
			d->error = -EIO;	/* a broken record: stop */
			d->pos = d->end = 0;
			return NULL;
		}
		d->pos += de->d_reclen;
		if (!is_dot(de->d_name)) {
			d->cur.name = de->d_name;
			d->cur.type = de->d_type;
			return &d->cur;
		}
	}
}
