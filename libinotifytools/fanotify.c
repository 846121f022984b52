/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fanotify.c: the fanotify back-end behind itl_next().  Marks get made-up
 * wds; each event names a directory by its file handle, which is mapped to
 * a watch (created on first sight for directories we did not mark, with
 * FAN_MARK_FILESYSTEM) whose path is the absolute directory with a '/'.
 * Events are turned into inotify_event records in ctx->synth; our own
 * events (opening a directory to resolve it) are skipped by pid.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "itl-core.h"

#ifdef HAVE_SYS_FANOTIFY_H
#include <sys/fanotify.h>
#endif

#if defined(HAVE_SYS_FANOTIFY_H) && defined(FAN_REPORT_DFID_NAME)

#define MAX_HANDLE	128

struct fan_mnt {
	uint64_t fsid;
	int fd;
};

struct itl_fan {
	int next_wd;
	struct itl_tab bykey;	/* key -> node id */
	struct itl_buf keys;	/* key bytes */
	uint32_t *koff, *klen;	/* by node id */
	uint32_t kcap;
	struct fan_mnt *mnt;
	size_t nmnt;
};

static uint32_t
key_hash_of(const struct itl *ctx, uint32_t id)
{
	const struct itl_fan *f = ctx->fan;

	return itl_hash_str(f->keys.data + f->koff[id], f->klen[id], 7);
}

struct key {
	const char *p;
	size_t len;
};

static int
key_eq(const struct itl *ctx, uint32_t id, const void *arg)
{
	const struct itl_fan *f = ctx->fan;
	const struct key *k = arg;

	return id < f->kcap && f->klen[id] == k->len &&
	    memcmp(f->keys.data + f->koff[id], k->p, k->len) == 0;
}

/* A key: fsid, then the handle type and bytes. */
static size_t
make_key(char *out, uint64_t fsid, const struct file_handle *fh)
{
	size_t n = fh->handle_bytes;

	if (n > MAX_HANDLE)
		n = MAX_HANDLE;
	memcpy(out, &fsid, sizeof(fsid));
	memcpy(out + 8, &fh->handle_type, sizeof(fh->handle_type));
	memcpy(out + 8 + sizeof(int), fh->f_handle, n);
	return 8 + sizeof(int) + n;
}

static int
key_bind(struct itl *ctx, uint32_t id, const char *key, size_t len)
{
	struct itl_fan *f = ctx->fan;
	uint32_t cap, *o, *l;

	if (id >= f->kcap) {
		cap = ctx->node_cap;
		o = realloc(f->koff, cap * sizeof(*o));
		if (o == NULL)
			return -ENOMEM;
		f->koff = o;
		l = realloc(f->klen, cap * sizeof(*l));
		if (l == NULL)
			return -ENOMEM;
		f->klen = l;
		memset(f->klen + f->kcap, 0, (cap - f->kcap) * sizeof(*l));
		f->kcap = cap;
	}
	f->koff[id] = (uint32_t)f->keys.len;
	f->klen[id] = (uint32_t)len;
	if (itl_buf_append(&f->keys, key, len) < 0)
		return -ENOMEM;
	return itl_tab_insert(ctx, &f->bykey, key_hash_of(ctx, id), id,
	    key_hash_of);
}

static uint64_t
fsid_of(const fsid_t *fs)
{
	uint64_t v;

	memcpy(&v, fs, sizeof(v));
	return v;
}

static int
mount_fd(struct itl *ctx, uint64_t fsid)
{
	struct itl_fan *f = ctx->fan;
	size_t i;

	for (i = 0; i < f->nmnt; i++)
		if (f->mnt[i].fsid == fsid)
			return f->mnt[i].fd;
	return f->nmnt ? f->mnt[0].fd : -1;
}

static void
remember_mount(struct itl *ctx, uint64_t fsid, const char *path)
{
	struct itl_fan *f = ctx->fan;
	struct fan_mnt *m;
	size_t i;
	int fd;

	for (i = 0; i < f->nmnt; i++)
		if (f->mnt[i].fsid == fsid)
			return;
	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return;
	m = realloc(f->mnt, (f->nmnt + 1) * sizeof(*m));
	if (m == NULL) {
		close(fd);
		return;
	}
	f->mnt = m;
	f->mnt[f->nmnt].fsid = fsid;
	f->mnt[f->nmnt++].fd = fd;
}

int
itl_fan_open(struct itl *ctx)
{
	ctx->fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC |
	    FAN_REPORT_DFID_NAME | FAN_REPORT_FID, O_RDONLY | O_CLOEXEC);
	if (ctx->fd < 0)
		return -errno;
	ctx->fan = calloc(1, sizeof(*ctx->fan));
	if (ctx->fan == NULL)
		return -ENOMEM;
	ctx->fan->next_wd = 1;
	return 0;
}

void
itl_fan_free(struct itl *ctx)
{
	struct itl_fan *f = ctx->fan;
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nmnt; i++)
		close(f->mnt[i].fd);
	free(f->mnt);
	free(f->koff);
	free(f->klen);
	itl_buf_free(&f->keys);
	itl_tab_free(&f->bykey);
	free(f);
	ctx->fan = NULL;
}

/* A watch with path stored (absolute, dirs end in '/') for key. */
static uint32_t
new_watch(struct itl *ctx, const char *path, size_t len, const char *key,
    size_t klen)
{
	uint32_t id = itl_node_new(ctx, ITL_NONE, path, len);

	if (id == ITL_NONE)
		return ITL_NONE;
	if (itl_node_bind(ctx, id, ctx->fan->next_wd++) < 0 ||
	    key_bind(ctx, id, key, klen) < 0) {
		itl_node_drop(ctx, id);
		return ITL_NONE;
	}
	return id;
}

int
itl_fan_watch(struct itl *ctx, const char *path, uint32_t mask)
{
	struct {
		struct file_handle fh;
		unsigned char b[MAX_HANDLE];
	} h;
	unsigned int flags = FAN_MARK_ADD;
	char key[8 + sizeof(int) + MAX_HANDLE], *abs;
	struct statfs sfs;
	struct stat st;
	size_t len;
	int mnt, r;

	if (ctx->cfg.filesystem)
		flags |= FAN_MARK_FILESYSTEM;
	if (mask & IN_DONT_FOLLOW)
		flags |= FAN_MARK_DONT_FOLLOW;
	if (mask & IN_ONLYDIR)
		flags |= FAN_MARK_ONLYDIR;
	if (fanotify_mark(ctx->fd, flags, (mask & IN_ALL_EVENTS) |
	    FAN_EVENT_ON_CHILD | FAN_ONDIR, AT_FDCWD, path) < 0)
		return -errno;
	h.fh.handle_bytes = MAX_HANDLE;
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt,
	    (mask & IN_DONT_FOLLOW) ? 0 : AT_SYMLINK_FOLLOW) < 0 ||
	    statfs(path, &sfs) < 0 || stat(path, &st) < 0)
		return -errno;
	remember_mount(ctx, fsid_of(&sfs.f_fsid), path);
	abs = realpath(path, NULL);
	if (abs == NULL)
		return -errno;
	ctx->tmp.len = 0;
	len = strlen(abs);
	r = itl_buf_append(&ctx->tmp, abs, len);
	if (r == 0 && S_ISDIR(st.st_mode) && (len == 0 || abs[len - 1] != '/'))
		r = itl_buf_putc(&ctx->tmp, '/');
	free(abs);
	if (r < 0)
		return r;
	len = make_key(key, fsid_of(&sfs.f_fsid), &h.fh);
	if (new_watch(ctx, ctx->tmp.data, ctx->tmp.len, key, len) ==
	    ITL_NONE)
		return -ENOMEM;
	return 0;
}

/* The watch for a directory handle, made on first sight. */
static uint32_t
watch_of(struct itl *ctx, uint64_t fsid, struct file_handle *fh, int dir)
{
	char key[8 + sizeof(int) + MAX_HANDLE], proc[64], *p;
	struct key k;
	ssize_t n;
	uint32_t id;
	int fd;

	k.p = key;
	k.len = make_key(key, fsid, fh);
	id = itl_tab_find(ctx, &ctx->fan->bykey, itl_hash_str(key, k.len, 7),
	    key_eq, &k, NULL);
	if (id != ITL_NONE)
		return id;
	fd = open_by_handle_at(mount_fd(ctx, fsid), fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return ITL_NONE;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	p = malloc(PATH_MAX + 2);
	n = p == NULL ? -1 : readlink(proc, p, PATH_MAX);
	close(fd);
	id = ITL_NONE;
	if (n > 0) {
		if (dir && p[n - 1] != '/')
			p[n++] = '/';
		id = new_watch(ctx, p, (size_t)n, key, k.len);
	}
	free(p);
	return id;
}

static void
queue(struct itl *ctx, int wd, uint32_t mask, const char *name)
{
	struct itl_synth *s;
	size_t len = strlen(name), padded = (len + 8) & ~(size_t)7;
	size_t size = sizeof(*s) + padded;

	if (itl_buf_reserve(&ctx->synth, size) < 0)
		return;
	s = (struct itl_synth *)(void *)(ctx->synth.data + ctx->synth.len);
	memset(s, 0, size);
	s->size = (uint32_t)size;
	s->ev.wd = wd;
	s->ev.mask = mask;
	s->ev.len = (uint32_t)padded;
	memcpy(s->ev.name, name, len);
	ctx->synth.len += size;
}

static void
convert_one(struct itl *ctx, const struct fanotify_event_metadata *m)
{
	const struct fanotify_event_info_header *h;
	const struct fanotify_event_info_fid *fid = NULL, *dfid = NULL;
	const char *p = (const char *)m + m->metadata_len;
	const char *end = (const char *)m + m->event_len, *name = "";
	struct file_handle *fh;
	uint32_t id, mask;

	if (m->mask & FAN_Q_OVERFLOW) {
		queue(ctx, -1, IN_Q_OVERFLOW, "");
		return;
	}
	if (m->pid == getpid())
		return;
	for (; p + sizeof(*h) <= end; p += h->len) {
		h = (const struct fanotify_event_info_header *)(const void *)p;
		if (h->len < sizeof(*h) || p + h->len > end)
			return;
		if (h->info_type == FAN_EVENT_INFO_TYPE_DFID_NAME ||
		    h->info_type == FAN_EVENT_INFO_TYPE_DFID)
			dfid = (const void *)p;
		else if (h->info_type == FAN_EVENT_INFO_TYPE_FID)
			fid = (const void *)p;
	}
	if (dfid == NULL)
		dfid = fid;
	if (dfid == NULL)
		return;
	fh = (struct file_handle *)(void *)(uintptr_t)dfid->handle;
	if (dfid->hdr.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME)
		name = (const char *)fh->f_handle + fh->handle_bytes;
	mask = (uint32_t)m->mask & (IN_ALL_EVENTS | IN_ISDIR);
	id = watch_of(ctx, fsid_of((const fsid_t *)(const void *)&dfid->fsid),
	    fh, dfid != fid || (mask & IN_ISDIR));
	if (id != ITL_NONE)
		queue(ctx, itl_node(ctx, id)->wd, mask, name);
}

/* Turn the batch in raw[0, n) into records in ctx->synth. */
void
itl_fan_convert(struct itl *ctx, size_t n)
{
	const struct fanotify_event_metadata *m;
	size_t len = n;

	m = (const struct fanotify_event_metadata *)(const void *)ctx->raw;
	for (; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len))
		if (m->vers == FANOTIFY_METADATA_VERSION)
			convert_one(ctx, m);
}

#else /* no fanotify with names */

int
itl_fan_open(struct itl *ctx)
{
	return -ENOSYS;
}

void
itl_fan_free(struct itl *ctx)
{
}

int
itl_fan_watch(struct itl *ctx, const char *path, uint32_t mask)
{
	return -ENOSYS;
}

void
itl_fan_convert(struct itl *ctx, size_t n)
{
}

#endif
