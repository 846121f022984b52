/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fanotify.c: the fanotify reader.  A mark gets a made-up wd; each event
 * names a directory by its file handle (and an entry in it by name).  The
 * handle is looked up in a table of keys: the directory's wd when it was
 * marked or seen before, else the directory is opened by its handle and
 * watched under its absolute path (with a '/').  A batch is converted
 * into inotify records in ctx->raw, so that what comes after the read is
 * the same for both readers.  Our own events (opening a directory by its
 * handle, reading a new one) are skipped by pid.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
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
#define KEY_MAX		(8 + sizeof(int) + MAX_HANDLE)
#define FAN_BUF_SIZE	ITL_RAW_SIZE

/* An object we know by its handle. */
struct fan_key {
	uint32_t off, len;	/* key bytes in keys */
	int wd;			/* its watch, or -1 */
	uint32_t gen;		/* moves seen when its path was resolved */
	uint8_t marked;		/* marked by us: not resolved again */
	uint8_t dir;
};

struct fan_mnt {
	uint64_t fsid;
	int fd;			/* a directory on it, for open_by_handle_at */
};

struct itl_fan {
	int next_wd;
	struct itl_buf ent;	/* struct fan_key[] */
	struct itl_buf keys;	/* key bytes */
	struct itl_tab bykey;	/* index in ent */
	uint32_t gen;		/* directory moves seen */
	struct fan_mnt *mnt;
	size_t nmnt;
	pid_t pid;
	_Alignas(struct fanotify_event_metadata) char buf[FAN_BUF_SIZE];
	/* one record of buf copied to be aligned (see fan_record) */
	_Alignas(struct fanotify_event_metadata) char rec[1024];
};

/* ---- keys: fsid, handle type, handle bytes --------------------------- */

struct key {
	const char *p;
	size_t len;
};

static struct fan_key *
ent_at(const struct itl *ctx, uint32_t i)
{
	return (struct fan_key *)(void *)ctx->fan->ent.data + i;
}

static uint32_t
ent_hash(const struct itl *ctx, uint32_t i)
{
	const struct fan_key *e = ent_at(ctx, i);

	return itl_tab_hash_str(ctx->fan->keys.data + e->off, e->len, 7);
}

static int
ent_eq(const struct itl *ctx, uint32_t i, const void *arg)
{
	const struct fan_key *e = ent_at(ctx, i);
	const struct key *k = arg;

	return e->len == k->len &&
	    memcmp(ctx->fan->keys.data + e->off, k->p, k->len) == 0;
}

static size_t
make_key(char *out, uint64_t fsid, const struct file_handle *fh)
{
	size_t n = fh->handle_bytes > MAX_HANDLE ? MAX_HANDLE :
	    fh->handle_bytes;

	memcpy(out, &fsid, sizeof(fsid));
	memcpy(out + 8, &fh->handle_type, sizeof(fh->handle_type));
	memcpy(out + 8 + sizeof(int), fh->f_handle, n);
	return 8 + sizeof(int) + n;
}

static struct fan_key *
key_find(struct itl *ctx, const struct key *k)
{
	uint32_t i = itl_tab_find(ctx, &ctx->fan->bykey,
	    itl_tab_hash_str(k->p, k->len, 7), ent_eq, k, NULL);

	return i == ITL_NONE ? NULL : ent_at(ctx, i);
}

static struct fan_key *
key_add(struct itl *ctx, const struct key *k)
{
	struct itl_fan *f = ctx->fan;
	struct fan_key e = { (uint32_t)f->keys.len, (uint32_t)k->len, -1,
	    0, 0, 0 };
	uint32_t i = (uint32_t)(f->ent.len / sizeof(e));

	if (itl_buf_append(&f->keys, k->p, k->len) < 0 ||
	    itl_buf_append(&f->ent, &e, sizeof(e)) < 0)
		return NULL;
	if (itl_tab_insert(ctx, &f->bykey, ent_hash(ctx, i), i,
	    ent_hash) < 0) {
		f->ent.len -= sizeof(e);
		return NULL;
	}
	return ent_at(ctx, i);
}

static uint64_t
fsid_of(const void *fs)
{
	uint64_t v;

	memcpy(&v, fs, sizeof(v));
	return v;
}

/* ---- mounts: a directory fd per filesystem ---------------------------- */

static int
mount_fd(const struct itl_fan *f, uint64_t fsid)
{
	size_t i;

	for (i = 0; i < f->nmnt; i++)
		if (f->mnt[i].fsid == fsid)
			return f->mnt[i].fd;
	return -1;
}

/* Keep a directory of the filesystem of abs (the directory itself, or
 * the one holding it) open: open_by_handle_at() takes no O_PATH fd. */
static void
remember_mount(struct itl *ctx, uint64_t fsid, const char *abs, int dir)
{
	struct itl_fan *f = ctx->fan;
	struct fan_mnt *m;
	char *d;
	int fd;

	if (mount_fd(f, fsid) >= 0 || (d = strdup(abs)) == NULL)
		return;
	if (!dir && strrchr(d, '/') != NULL)
		strrchr(d, '/')[strrchr(d, '/') == d] = '\0';
	fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(d);
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

/* ---- paths -------------------------------------------------------------- */

/* The absolute path of path into out: its directory resolved, the last
 * component followed unless nofollow. */
static int
absolute(const char *path, int nofollow, struct itl_buf *out)
{
	const char *slash = strrchr(path, '/'), *base = path;
	char *dir = NULL, *abs;
	int r;

	if (nofollow && slash != NULL && slash[1] != '\0') {
		dir = strndup(path, (size_t)(slash - path) + 1);
		base = slash + 1;
	} else if (nofollow && slash == NULL)
		dir = strdup(".");
	if (nofollow && dir == NULL)
		return -ENOMEM;
	abs = realpath(nofollow ? dir : path, NULL);
	free(dir);
	if (abs == NULL)
		return -errno;
	r = itl_buf_append(out, abs, strlen(abs));
	if (r == 0 && nofollow) {
		if (strcmp(abs, "/") != 0)
			r = itl_buf_putc(out, '/');
		if (r == 0)
			r = itl_buf_append(out, base, strlen(base));
	}
	free(abs);
	return r;
}

/* The path of the open fd into out, with a '/' for a directory and without
 * the " (deleted)" the kernel adds for a removed one. */
static int
fd_path(int fd, int dir, struct itl_buf *out)
{
	static const char deleted[] = " (deleted)";
	char proc[32];
	struct stat st;
	ssize_t n;
	int r;

	(void)snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	out->len = 0;
	if ((r = itl_buf_reserve(out, PATH_MAX + 1)) < 0)
		return r;
	n = readlink(proc, out->data, PATH_MAX);
	if (n <= 0)
		return n < 0 ? -errno : -ENOENT;
	out->len = (size_t)n;
	if (fstat(fd, &st) == 0 && st.st_nlink == 0 &&
	    out->len >= sizeof(deleted) &&
	    memcmp(out->data + out->len - (sizeof(deleted) - 1), deleted,
	    sizeof(deleted) - 1) == 0)
		out->len -= sizeof(deleted) - 1;
	if (dir && out->data[out->len - 1] != '/')
		return itl_buf_putc(out, '/');
	return 0;
}

/* A root watch for e, stored under the path in ctx->tmp. */
static int
watch_for(struct itl *ctx, struct fan_key *e)
{
	uint32_t id = itl_node_new(ctx, ITL_NONE, ctx->tmp.data,
	    ctx->tmp.len);
	int wd = ctx->fan->next_wd++;

	if (id == ITL_NONE)
		return -ENOMEM;
	if (itl_node_bind(ctx, id, wd) < 0) {
		itl_node_drop(ctx, id);
		return -ENOMEM;
	}
	e->wd = wd;
	e->gen = ctx->fan->gen;
	return 0;
}

/* The path of the directory with handle fh, into ctx->tmp. */
static int
resolve_handle(struct itl *ctx, uint64_t fsid, struct file_handle *fh)
{
	int fd, r;

	fd = open_by_handle_at(mount_fd(ctx->fan, fsid), fh,
	    O_PATH | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = fd_path(fd, 1, &ctx->tmp);
	close(fd);
	return r;
}

/* Give the stale root watch of e its current path, when it moved. */
static void
refresh(struct itl *ctx, struct fan_key *e, uint64_t fsid,
    struct file_handle *fh)
{
	uint32_t id = itl_node_by_wd(ctx, e->wd);
	struct itl_watch *w;

	e->gen = ctx->fan->gen;
	if (id == ITL_NONE || resolve_handle(ctx, fsid, fh) < 0)
		return;
	w = itl_node(ctx, id);
	if (w->parent == ITL_NONE && (w->len != ctx->tmp.len ||
	    memcmp(w->name, ctx->tmp.data, w->len) != 0))
		(void)itl_node_move(ctx, id, ITL_NONE, ctx->tmp.data,
		    ctx->tmp.len);
}

/* ---- the reader -------------------------------------------------------- */

static int
fan_open(struct itl *ctx)
{
	ctx->fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC |
	    FAN_REPORT_DFID_NAME | FAN_REPORT_FID, O_RDONLY | O_CLOEXEC);
	if (ctx->fd < 0)
		return -errno;
	ctx->fan = calloc(1, sizeof(*ctx->fan));
	if (ctx->fan == NULL)
		return -ENOMEM;
	ctx->fan->next_wd = 1;
	ctx->fan->pid = getpid();
	return 0;
}

static void
fan_free(struct itl *ctx)
{
	struct itl_fan *f = ctx->fan;
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nmnt; i++)
		close(f->mnt[i].fd);
	free(f->mnt);
	itl_buf_free(&f->ent);
	itl_buf_free(&f->keys);
	itl_tab_free(&f->bykey);
	free(f);
	ctx->fan = NULL;
}

/* The kernel mask of a mark for the inotify mask: the events, FAN_ONDIR
 * (IN_ISDIR) when asked for or when new directories are tracked, and the
 * events of the children of a directory. */
static uint64_t
fan_mask(const struct itl *ctx, uint32_t mask)
{
	uint64_t m = mask & (IN_ALL_EVENTS | IN_ISDIR);

	if (ctx->cfg.track_new_dirs)
		m |= FAN_ONDIR;
	return m | FAN_EVENT_ON_CHILD;
}

static int
fan_add(struct itl *ctx, const char *path, uint32_t mask, int *wd)
{
	struct {
		struct file_handle fh;
		unsigned char b[MAX_HANDLE];
	} h;
	unsigned int flags = FAN_MARK_ADD;
	int nofollow = (mask & IN_DONT_FOLLOW) != 0, mnt;
	char key[KEY_MAX];
	struct fan_key *e;
	struct statfs sfs;
	struct stat st;
	struct key k;
	int r;

	if (ctx->cfg.filesystem)
		flags |= FAN_MARK_FILESYSTEM;
	if (nofollow)
		flags |= FAN_MARK_DONT_FOLLOW;
	if (mask & IN_ONLYDIR)
		flags |= FAN_MARK_ONLYDIR;
	if (fanotify_mark(ctx->fd, flags, fan_mask(ctx, mask), AT_FDCWD,
	    path) < 0)
		return -errno;
	h.fh.handle_bytes = MAX_HANDLE;
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt,
	    nofollow ? 0 : AT_SYMLINK_FOLLOW) < 0 || statfs(path, &sfs) < 0 ||
	    (nofollow ? lstat(path, &st) : stat(path, &st)) < 0)
		return -errno;
	ctx->tmp.len = 0;
	if ((r = absolute(path, nofollow, &ctx->tmp)) < 0 ||
	    (r = itl_buf_putc(&ctx->tmp, '\0')) < 0)
		return r;
	remember_mount(ctx, fsid_of(&sfs.f_fsid), ctx->tmp.data,
	    S_ISDIR(st.st_mode));
	k.p = key;
	k.len = make_key(key, fsid_of(&sfs.f_fsid), &h.fh);
	if ((e = key_find(ctx, &k)) == NULL && (e = key_add(ctx, &k)) == NULL)
		return -ENOMEM;
	/* One object, one wd: a watch made for it on first sight becomes
	 * the mark's, a removed one gets its wd back. */
	if (e->wd < 0)
		e->wd = ctx->fan->next_wd++;
	e->marked = 1;
	e->dir = S_ISDIR(st.st_mode);
	*wd = e->wd;
	return 0;
}

/* Marks go with the group: a removed watch is only forgotten, and its
 * events are dropped from then on. */
static int
fan_remove(struct itl *ctx, int wd)
{
	(void)ctx;
	(void)wd;
	return 0;
}

static int
fan_resolve(struct itl *ctx, const char *path, uint32_t mask,
    struct itl_buf *out)
{
	(void)ctx;
	return absolute(path, (mask & IN_DONT_FOLLOW) != 0, out);
}

/* The wd for the directory handle fh, watched on first sight.  nonfid is
 * the event's object when it is a file that we marked (its directory is
 * then the one in its stored path, when the handle cannot be opened:
 * without CAP_DAC_READ_SEARCH).  -1 when it cannot be known. */
static int
dir_wd(struct itl *ctx, uint64_t fsid, struct file_handle *fh,
    const struct fan_key *file)
{
	char key[KEY_MAX];
	struct fan_key *e;
	struct key k;
	const char *p, *slash;
	size_t len;

	k.p = key;
	k.len = make_key(key, fsid, fh);
	e = key_find(ctx, &k);
	if (e != NULL && e->wd >= 0 &&
	    itl_node_by_wd(ctx, e->wd) != ITL_NONE) {
		if (!e->marked && e->gen != ctx->fan->gen)
			refresh(ctx, e, fsid, fh);
		return e->wd;
	}
	if (e != NULL && e->marked)
		return -1;	/* removed */
	if (resolve_handle(ctx, fsid, fh) < 0) {
		if (file == NULL ||
		    (p = itl_wd_path(ctx, file->wd, &len)) == NULL ||
		    (slash = memrchr(p, '/', len)) == NULL)
			return -1;
		ctx->tmp.len = 0;
		if (itl_buf_append(&ctx->tmp, p, (size_t)(slash - p) + 1) < 0)
			return -1;
	}
	if ((e == NULL && (e = key_add(ctx, &k)) == NULL) ||
	    watch_for(ctx, e) < 0)
		return -1;
	return e->wd;
}

/* The info records of an event: the directory (with the entry name) and
 * the object itself. */
struct fan_info {
	const struct fanotify_event_info_fid *dfid, *fid;
	const char *name;
};

static int
parse_info(const struct fanotify_event_metadata *m, struct fan_info *in)
{
	const struct fanotify_event_info_header *h;
	const char *p = (const char *)m + m->metadata_len;
	const char *end = (const char *)m + m->event_len;
	const struct file_handle *fh;

	memset(in, 0, sizeof(*in));
	in->name = "";
	for (; p + sizeof(*h) <= end; p += h->len) {
		h = (const struct fanotify_event_info_header *)(const void *)p;
		if (h->len < sizeof(*h) || p + h->len > end)
			return -EIO;
		if (h->info_type == FAN_EVENT_INFO_TYPE_DFID_NAME ||
		    h->info_type == FAN_EVENT_INFO_TYPE_DFID)
			in->dfid = (const void *)p;
		else if (h->info_type == FAN_EVENT_INFO_TYPE_FID)
			in->fid = (const void *)p;
	}
	if (in->dfid == NULL) {
		in->dfid = in->fid;	/* an event on a directory itself */
		in->fid = NULL;
	}
	if (in->dfid == NULL)
		return -EIO;
	fh = (const struct file_handle *)(const void *)in->dfid->handle;
	if (in->dfid->hdr.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME)
		in->name = (const char *)fh->f_handle + fh->handle_bytes;
	/* "." names the directory itself. */
	if (strcmp(in->name, ".") == 0)
		in->name = "";
	return 0;
}

/* The marked file an event is about, or NULL. */
static const struct fan_key *
marked_file(struct itl *ctx, const struct fanotify_event_info_fid *fid)
{
	char key[KEY_MAX];
	struct fan_key *e;
	struct key k;

	if (fid == NULL)
		return NULL;
	k.p = key;
	k.len = make_key(key, fsid_of(&fid->fsid),
	    (const struct file_handle *)(const void *)fid->handle);
	e = key_find(ctx, &k);
	return e != NULL && e->marked && !e->dir ? e : NULL;
}

/* Append the record for m at raw[at]: its size, 0 for none. */
static size_t
convert(struct itl *ctx, const struct fanotify_event_metadata *m, size_t at)
{
	struct fan_info in;
	uint32_t mask;
	int wd;

	if (m->mask & FAN_Q_OVERFLOW)
		return itl_raw_put(ctx, at, sizeof(ctx->raw) - at, -1,
		    IN_Q_OVERFLOW, 0, NULL, 0);
	if (m->pid == ctx->fan->pid || parse_info(m, &in) < 0)
		return 0;
	mask = (uint32_t)m->mask & (IN_ALL_EVENTS | IN_ISDIR);
	/* A directory moved: the paths resolved so far may be stale. */
	if ((mask & IN_ISDIR) && (mask & (IN_MOVE | IN_MOVE_SELF)))
		ctx->fan->gen++;
	wd = dir_wd(ctx, fsid_of(&in.dfid->fsid),
	    (struct file_handle *)(void *)(uintptr_t)in.dfid->handle,
	    marked_file(ctx, in.fid));
	if (wd < 0)
		return 0;
	return itl_raw_put(ctx, at, sizeof(ctx->raw) - at, wd, mask, 0,
	    in.name, strlen(in.name));
}

/* The largest fanotify record: metadata, two handles, a name. */
#define FAN_ROOM	(sizeof(struct fanotify_event_metadata) + 2 * \
	(sizeof(struct fanotify_event_info_fid) + sizeof(struct file_handle) + \
	MAX_HANDLE) + NAME_MAX + 1)

/* The record at p (left bytes to the end of the batch), or NULL at the
 * end.  The kernel aligns records to 4 bytes only: one that is not aligned
 * for its 64-bit mask is copied to f->rec (valid until the next call). */
static const struct fanotify_event_metadata *
fan_record(struct itl_fan *f, const char *p, size_t left)
{
	struct fanotify_event_metadata hd;

	if (left < FAN_EVENT_METADATA_LEN)
		return NULL;
	memcpy(&hd, p, sizeof(hd));
	if (hd.event_len < FAN_EVENT_METADATA_LEN || hd.event_len > left ||
	    hd.metadata_len > hd.event_len)
		return NULL;
	if ((uintptr_t)p % _Alignof(struct fanotify_event_metadata) == 0)
		return (const void *)p;
	if (hd.event_len > sizeof(f->rec))
		return NULL;
	memcpy(f->rec, p, hd.event_len);
	return (const void *)f->rec;
}

/* Each inotify record is smaller than the fanotify one it comes from, so
 * a batch always fits in raw[]. */
static ssize_t
fan_read(struct itl *ctx, int *drained)
{
	struct itl_fan *f = ctx->fan;
	ssize_t n = read(ctx->fd, f->buf, sizeof(f->buf));
	size_t len, off, out = 0;
	const struct fanotify_event_metadata *m;

	if (n <= 0)
		return n == 0 ? -EIO : -errno;
	*drained = (size_t)n <= sizeof(f->buf) - FAN_ROOM;
	len = (size_t)n;
	for (off = 0; (m = fan_record(f, f->buf + off, len - off)) != NULL;
	    off += m->event_len)
		if (m->vers == FANOTIFY_METADATA_VERSION)
			out += convert(ctx, m, out);
	return (ssize_t)out;
}

#else /* no fanotify with names */

static int
fan_open(struct itl *ctx)
{
	(void)ctx;
	return -ENOSYS;
}

static void
fan_free(struct itl *ctx)
{
	(void)ctx;
}

static int
fan_add(struct itl *ctx, const char *path, uint32_t mask, int *wd)
{
	return -ENOSYS;
}

static int
fan_remove(struct itl *ctx, int wd)
{
	return -ENOSYS;
}

static ssize_t
fan_read(struct itl *ctx, int *drained)
{
	return -ENOSYS;
}

static int
fan_resolve(struct itl *ctx, const char *path, uint32_t mask,
    struct itl_buf *out)
{
	return -ENOSYS;
}

#endif

const struct itl_reader itl_fanotify_reader = {
	.open = fan_open,
	.free = fan_free,
	.add = fan_add,
	.remove = fan_remove,
	.read = fan_read,
	.resolve = fan_resolve,
	.own_events = 0,
	.cookies = 0,
	.rows_by_name = 1,
};
