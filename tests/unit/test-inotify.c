/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-inotify.c: the context and the reader, against the real kernel. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "itl-core.h"
#include "tap.h"
#include "tmptree.h"

static void
touch(const char *dir, const char *name)
{
	char p[4096];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static struct itl *
open_ctx(void)
{
	struct itl *ctx = NULL;
	struct itl_config cfg = {0};

	if (itl_open(&ctx, &cfg) < 0)
		return NULL;
	return ctx;
}

/* The fd blocks (a wait can be a read); the reader never reads unless
 * the kernel has something or it means to wait. */
static void
opens_cloexec(void)
{
	struct itl *ctx = open_ctx();
	int fd;

	ok(ctx != NULL, "itl_open succeeds");
	fd = itl_fd(ctx);
	ok(!(fcntl(fd, F_GETFL) & O_NONBLOCK), "fd blocks");
	ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "fd is FD_CLOEXEC");
	ok((uintptr_t)ctx->raw % _Alignof(struct inotify_event) == 0 &&
	    sizeof(ctx->raw) >= 65536, "read buffer aligned and >= 64 KiB");
	itl_close(ctx);
}

/* fanotify behind the same reader: absolute %w, own events skipped. */
static void
fanotify_backend(void)
{
	struct itl *ctx = NULL;
	struct itl_config cfg = { .backend = ITL_FANOTIFY };
	const struct itl_event *ev;
	char d[128], want[PATH_MAX + 2], *abs;
	int r = itl_open(&ctx, &cfg), fd;
	pid_t pid;

	if (r == -EPERM || r == -EINVAL || r == -ENOSYS) {
		ok(1, "# SKIP fanotify unavailable (%d)", r);
		return;
	}
	is_int(r, 0, "fanotify context");
	snprintf(d, sizeof(d), "%s/fan", top);
	mkdir(d, 0755);
	is_int(itl_watch_add(ctx, d, IN_CREATE), 0, "mark fan");
	touch(d, "mine");
	is_int(itl_next(ctx, 0, &ev), 0, "our own events are skipped");
	pid = fork();
	if (pid == 0) {
		snprintf(d + strlen(d), 16, "/x");
		fd = open(d, O_WRONLY | O_CREAT, 0644);
		_exit(fd < 0);
	}
	waitpid(pid, NULL, 0);
	r = itl_next(ctx, 2000, &ev);
	is_int(r, 1, "another process's CREATE");
	abs = realpath(d, NULL);
	snprintf(want, sizeof(want), "%s/", abs ? abs : d);
	free(abs);
	if (r == 1) {
		is_str(itl_wd_path(ctx, ev->wd, NULL), want, "%%w absolute");
		is_str(ev->name, "x", "%%f the name");
		ok(ev->mask == IN_CREATE, "mask CREATE");
	}
	itl_close(ctx);
}

static void
times_out(void)
{
	struct itl *ctx = open_ctx();
	const struct itl_event *ev;
	struct timespec t0;
	long ms;

	is_int(itl_watch_add(ctx, top, IN_ALL_EVENTS), 0, "watch top");
	is_int(itl_next(ctx, 0, &ev), 0, "timeout 0 polls");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(itl_next(ctx, 150, &ev), 0, "timeout 150 ms returns 0");
	ms = ms_since(&t0);
	/* A lower bound only (the machine may be slow, never early); the
	 * slack covers the millisecond rounding of the deadline. */
	ok(ms >= 149, "not before its 150 ms (%ld)", ms);
	itl_close(ctx);
}

static void
delivers_batch_with_pending(void)
{
	struct itl *ctx = open_ctx();
	const struct itl_event *ev;
	char want[3][8] = { "a", "b", "c" };
	int i, r, pend[3] = {0};
	size_t len;

	is_int(itl_watch_add(ctx, top, IN_CREATE), 0, "watch creates");
	for (i = 0; i < 3; i++)
		touch(top, want[i]);
	for (i = 0; i < 3; i++) {
		r = itl_next(ctx, 1000, &ev);
		is_int(r, 1, "event %d", i);
		if (r != 1)
			break;
		is_str(ev->name, want[i], "name %d", i);
		ok(ev->mask == IN_CREATE, "mask CREATE");
		is_int(ev->name_len, 1, "name_len");
		ok(ev->raw != NULL && ev->raw->wd == ev->wd, "raw record");
		pend[i] = itl_pending(ctx);
	}
	ok(pend[0] && pend[1] && !pend[2], "pending until the last (%d%d%d)",
	    pend[0], pend[1], pend[2]);
	{
		char want_path[128];

		snprintf(want_path, sizeof(want_path), "%s/", top);
		is_str(itl_wd_path(ctx, ev->wd, &len), want_path, "%%w");
		is_int(len, strlen(want_path), "%%w length");
	}
	itl_close(ctx);
}

static void
overflow_is_delivered(void)
{
	struct itl *ctx = open_ctx();
	const struct itl_event *ev;
	char d[128], name[32];
	int i, n = 0, seen = 0, r;

	snprintf(d, sizeof(d), "%s/ovf", top);
	mkdir(d, 0755);
	is_int(itl_watch_add(ctx, d, IN_ALL_EVENTS), 0, "watch ovf");
	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		touch(d, name);
	}
	while ((r = itl_next(ctx, 0, &ev)) == 1) {
		n++;
		if (ev->wd == -1 && (ev->mask & IN_Q_OVERFLOW))
			seen++;
	}
	is_int(r, 0, "drained without error");
	is_int(seen, 1, "one Q_OVERFLOW after %d events", n);
	itl_close(ctx);
	tmptree_remove(d);
}

static void
unknown_wd_dropped_ignored_removes(void)
{
	struct itl *ctx = open_ctx();
	const struct itl_event *ev;
	char f[128], g[128];
	int r, wd;
	uint32_t seen = 0;

	snprintf(f, sizeof(f), "%s/f", top);
	snprintf(g, sizeof(g), "%s/g", top);
	touch(top, "f");
	touch(top, "g");
	is_int(itl_watch_add(ctx, f, IN_ALL_EVENTS), 0, "watch f");
	is_int(itl_watch_add(ctx, g, IN_ALL_EVENTS), 0, "watch g");
	is_int(itl_watch_count(ctx), 2, "two watches");
	wd = itl_watch_wd(itl_watch_by_path(ctx, g));
	is_int(itl_watch_remove(ctx, wd), 0, "remove g");
	is_int(itl_watch_remove(ctx, wd), -ENOENT, "remove g again");
	touch(top, "g");
	chmod(g, 0600);
	is_int(itl_next(ctx, 0, &ev), 0, "events of removed wd dropped");
	unlink(f);
	while ((r = itl_next(ctx, 1000, &ev)) == 1) {
		seen |= ev->mask;
		is_str(itl_wd_path(ctx, ev->wd, NULL), f, "path while live");
		if (ev->mask & IN_IGNORED)
			break;
	}
	ok(seen == (IN_ATTRIB | IN_DELETE_SELF | IN_IGNORED),
	    "ATTRIB, DELETE_SELF, IGNORED delivered (%#x)", seen);
	is_int(itl_watch_count(ctx), 1, "IGNORED watch still there");
	is_int(itl_next(ctx, 0, &ev), 0, "nothing more");
	is_int(itl_watch_count(ctx), 0, "dropped after IGNORED");
	unlink(g);
	itl_close(ctx);
}

static void
truncated_record_is_eio(void)
{
	struct itl *ctx = open_ctx();
	const struct itl_event *ev;
	struct inotify_event ie = { .wd = 1, .mask = IN_OPEN, .len = 64 };

	memcpy(ctx->raw, &ie, sizeof(ie));
	ctx->pos = 0;
	ctx->end = sizeof(ie) + 8;
	is_int(itl_next(ctx, 0, &ev), -EIO, "truncated name: -EIO");
	ctx->pos = 0;
	ctx->end = 8;
	is_int(itl_next(ctx, 0, &ev), -EIO, "truncated header: -EIO");
	is_int(itl_next(ctx, 0, &ev), 0, "then a timeout");
	itl_close(ctx);
}

/* A len that is not a multiple of the record alignment (the kernel pads
 * names) would make the next record misaligned: the batch is bad. */
static void
misaligned_len_is_eio(void)
{
	struct itl *ctx = open_ctx();
	const struct itl_event *ev;
	struct inotify_event ie = { .wd = 1, .mask = IN_OPEN, .len = 3 };

	memset(ctx->raw, 0, 2 * sizeof(ie) + 3);
	memcpy(ctx->raw, &ie, sizeof(ie));
	ie.len = 0;
	memcpy(ctx->raw + sizeof(ie) + 3, &ie, sizeof(ie));
	ctx->pos = 0;
	ctx->end = 2 * sizeof(ie) + 3;
	is_int(itl_next(ctx, 0, &ev), -EIO, "len 3: -EIO");
	is_int(itl_next(ctx, 0, &ev), 0, "the rest of the batch is dropped");
	itl_close(ctx);
}

/* Put one record into the read buffer as a batch of its own, as if the
 * kernel had given it alone. */
static void
inject(struct itl *ctx, int wd, uint32_t mask, uint32_t cookie,
    const char *name)
{
	struct inotify_event ie = { .wd = wd, .mask = mask, .cookie = cookie,
	    .len = 16 };

	memset(ctx->raw, 0, sizeof(ie) + ie.len);
	memcpy(ctx->raw, &ie, sizeof(ie));
	strcpy(ctx->raw + sizeof(ie), name);
	ctx->pos = 0;
	ctx->end = sizeof(ie) + ie.len;
	ctx->batch_open = 1;
}

static int
wd_of(struct itl *ctx, const char *path)
{
	struct itl_watch *w = itl_watch_by_path(ctx, path);

	return w != NULL ? itl_watch_wd(w) : -1;
}

/* A rename read in two batches (the read came between its MOVED_FROM and
 * its MOVED_TO): the directory keeps its watch under the new name; the end
 * of the first batch does not take it for a move out of the tree. */
static void
split_rename_keeps_the_watch(void)
{
	struct itl_config cfg = { .track_new_dirs = 1 };
	const struct itl_event *ev;
	struct itl *ctx = NULL;
	char drain[4096];
	int wd_top, wd_a;

	mkdir(P("split"), 0700);
	mkdir(P("split/a"), 0700);
	if (itl_open(&ctx, &cfg) < 0 ||
	    itl_watch_tree(ctx, P("split"), IN_ALL_EVENTS, NULL) < 0) {
		ok(0, "watch split");
		return;
	}
	wd_top = wd_of(ctx, P("split/"));
	wd_a = wd_of(ctx, P("split/a/"));
	/* The real rename, its events read here and given again split. */
	rename(P("split/a"), P("split/b"));
	ok(read(itl_fd(ctx), drain, sizeof(drain)) > 0, "kernel's records");
	inject(ctx, wd_top, IN_MOVED_FROM | IN_ISDIR, 7, "a");
	is_int(itl_next(ctx, 0, &ev), 1, "MOVED_FROM delivered");
	is_int(itl_next(ctx, 0, &ev), 0, "then the batch ends");
	inject(ctx, wd_top, IN_MOVED_TO | IN_ISDIR, 7, "b");
	is_int(itl_next(ctx, 0, &ev), 1, "MOVED_TO in the next batch");
	is_int(wd_of(ctx, P("split/b/")), wd_a, "b/ has a's watch");
	is_int(wd_of(ctx, P("split/a/")), -1, "a/ is gone");
	itl_close(ctx);
}

struct idle_count {
	int calls;
	int fail;
};

static int
count_idle(void *arg)
{
	struct idle_count *c = arg;

	c->calls++;
	return c->fail ? -EPIPE : 0;
}

/* The idle hook runs once at the end of each batch, before a wait, and
 * never while events are still to be delivered; timeout 0 never blocks. */
static void
idle_hook_at_batch_end(void)
{
	struct itl *ctx = open_ctx();
	struct idle_count c = {0, 0};
	const struct itl_event *ev;
	int i, got = 0;

	itl_set_idle(ctx, count_idle, &c);
	is_int(itl_watch_add(ctx, top, IN_CREATE), 0, "watch creates");
	is_int(itl_next(ctx, 0, &ev), 0, "nothing queued: timeout 0 is 0");
	is_int(c.calls, 0, "nothing was read: no batch ended");
	touch(top, "i1");
	touch(top, "i2");
	touch(top, "i3");
	for (i = 0; i < 3; i++)
		got += itl_next(ctx, 1000, &ev) == 1;
	is_int(got, 3, "three events in one batch");
	is_int(c.calls, 0, "no idle call inside the batch");
	is_int(itl_next(ctx, 0, &ev), 0, "then timeout 0 is 0 again");
	is_int(c.calls, 1, "one idle call at the batch end");
	is_int(itl_next(ctx, 0, &ev), 0, "a drained queue: still 0");
	is_int(c.calls, 1, "and no second one for the same batch");
	touch(top, "i4");
	is_int(itl_next(ctx, 0, &ev), 1, "a new event after a drained read");
	c.fail = 1;
	is_int(itl_next(ctx, -1, &ev), -EPIPE, "a failing hook ends the wait");
	is_int(c.calls, 2, "the hook ran at that batch's end");
	itl_close(ctx);
}

/* Wait (up to 5 s) until process pid sits in read(2): /proc/PID/syscall
 * starts with the syscall number.  0 if seen. */
static int
wait_in_syscall_read(pid_t pid)
{
	char path[64], buf[64];
	int i, fd, n;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	for (i = 0; i < 5000; i++) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return -1;
		n = (int)read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0 && strncmp(buf, "0 ", 2) == 0)
			return 0;
		usleep(1000);
	}
	return -1;
}

/* wait_in_read: itl_next(-1) blocks in read(2) until an event comes. */
static void
waits_in_read(void)
{
	struct itl_config cfg = { .wait_in_read = 1 };
	struct itl *ctx = NULL;
	const struct itl_event *ev;
	pid_t pid;
	int st = 0;

	is_int(itl_open(&ctx, &cfg), 0, "open with wait_in_read");
	is_int(itl_watch_add(ctx, top, IN_CREATE), 0, "watch creates");
	pid = fork();
	if (pid == 0) {
		st = wait_in_syscall_read(getppid());
		touch(top, "late");
		_exit(st == 0 ? 0 : 1);
	}
	alarm(20);
	is_int(itl_next(ctx, -1, &ev), 1, "the wait ends with the event");
	alarm(0);
	ok(strcmp(ev->name, "late") == 0, "it is the late file");
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "it waited in read(2) until the file came");
	itl_close(ctx);
}

/* A wake fd ends a wait with -EINTR, is left alone by timeout 0, and
 * never hides an event. */
static void
wake_fd_ends_a_wait(void)
{
	struct itl *ctx = open_ctx();
	const struct itl_event *ev;
	struct timespec t0;
	int p[2];

	ok(pipe(p) == 0, "pipe");
	is_int(itl_watch_add(ctx, top, IN_CREATE), 0, "watch creates");
	itl_set_wake_fd(ctx, p[0]);
	ok(write(p[1], "x", 1) == 1, "wake byte written");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(itl_next(ctx, 5000, &ev), -EINTR, "a wait ends with -EINTR");
	ok(ms_since(&t0) < 2000, "at once");
	is_int(itl_next(ctx, 0, &ev), 0, "timeout 0 only looks at inotify");
	touch(top, "w1");
	is_int(itl_next(ctx, -1, &ev), 1, "an event comes first");
	ok(strcmp(ev->name, "w1") == 0, "w1");
	is_int(itl_next(ctx, -1, &ev), -EINTR, "then the wake fd again");
	itl_set_wake_fd(ctx, -1);
	is_int(itl_next(ctx, 100, &ev), 0, "unset: a plain timeout");
	close(p[0]);
	close(p[1]);
	itl_close(ctx);
}

int
main(void)
{
	if (tmptree_make("inotify") < 0)
		return 99;
	opens_cloexec();
	fanotify_backend();
	times_out();
	delivers_batch_with_pending();
	overflow_is_delivered();
	unknown_wd_dropped_ignored_removes();
	truncated_record_is_eio();
	misaligned_len_is_eio();
	split_rename_keeps_the_watch();
	idle_hook_at_batch_end();
	waits_in_read();
	wake_fd_ends_a_wait();
	tmptree_remove(top);
	return tap_done();
}
