/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reader.c: the event-buffer iterator fed arbitrary bytes as if read from
 * the kernel.  A context watches a small real tree (wds 1..4, recursive
 * bookkeeping on or off) through one inotify instance kept for every input;
 * then a pipe takes the place of its fd, and the input is written into it
 * in batches, each drained with itl_next(0).
 *
 * Input: one byte of configuration (bit 0 track new dirs, 1 scan them, 2
 * statistics, 3 an --exclude regex, 4 ask itl_pending() before each event),
 * then batches, each a 2-byte little-endian length and that many bytes
 * (cut at the end of the input).  Records in them may be truncated, longer
 * than the batch, carry wds never seen, Q_OVERFLOW anywhere.
 *
 * Properties: no crash or leak; each batch ends (no loop); a delivered
 * event's name is NUL-terminated with name_len its length and no longer
 * than a batch; its path, line and CSV line render.
 * Adding a watch on the pipe fails (EINVAL), so new directories take the
 * failure path here; the success path is the unit and bats tests' job.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "itl.h"

#define MAX_CALLS	(1 << 20)	/* per batch: more is a loop */

static char top[96];
static const char *const subdirs[] = { "a", "a/c", "b" };
#define NSUB (sizeof(subdirs) / sizeof(subdirs[0]))

static void
remove_tree(void)
{
	char p[160];
	size_t i;

	for (i = NSUB; i-- > 0; ) {
		snprintf(p, sizeof(p), "%s/%s", top, subdirs[i]);
		rmdir(p);
	}
}

static void
make_tree(void)
{
	char p[160];
	size_t i;

	snprintf(top, sizeof(top), "%s", fuzz_tmpdir());
	for (i = 0; i < NSUB; i++) {
		snprintf(p, sizeof(p), "%s/%s", top, subdirs[i]);
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			abort();
	}
	atexit(remove_tree);
}

/* One inotify instance for every input: its watches stay (the same wds
 * each time), so that no input pays the kernel's teardown of watches. */
static int
kernel_fd(void)
{
	static int fd = -1;

	if (fd < 0 && (fd = inotify_init1(IN_CLOEXEC)) < 0)
		abort();
	return fd;
}

/* A context over the tree whose fd is now the read end of a pipe; *wfd
 * gets the write end. */
static struct itl *
open_ctx(unsigned cfgbits, int *wfd)
{
	struct itl_config cfg = {0};
	struct itl *ctx;
	int p[2];

	cfg.track_new_dirs = cfgbits & 1;
	cfg.scan_new_dirs = (cfgbits & 3) == 3;
	cfg.stats = (cfgbits & 4) != 0;
	if (itl_open(&ctx, &cfg) < 0 ||
	    dup2(kernel_fd(), itl_fd(ctx)) < 0 ||
	    itl_watch_tree(ctx, top, IN_ALL_EVENTS, NULL) < 0)
		abort();
	if ((cfgbits & 8) && itl_filter_set(ctx, "^.?$", 0) < 0)
		abort();
	if (pipe(p) < 0 || dup2(p[0], itl_fd(ctx)) < 0)
		abort();
	close(p[0]);
	*wfd = p[1];
	return ctx;
}

static void
check_event(struct itl *ctx, struct itl_format *f, const struct itl_event *ev,
    size_t batch)
{
	struct itl_buf out = {0};
	size_t len;

	fuzz_require(strlen(ev->name) == ev->name_len, "name_len is strlen");
	if (!(ev->flags & ITL_EVF_SYNTHETIC))
		fuzz_require(ev->name_len < batch, "name within its batch");
	(void)itl_wd_path(ctx, ev->wd, &len);
	if (itl_format_render(ctx, f, ev, &out) < 0 ||
	    itl_format_csv(ctx, ev, &out) < 0)
		abort();
	itl_buf_free(&out);
}

/* Deliver everything in the pipe. */
static void
drain(struct itl *ctx, struct itl_format *f, int ask, size_t batch)
{
	const struct itl_event *ev;
	long calls;
	int r;

	for (calls = 0; calls < MAX_CALLS; calls++) {
		if (ask)
			(void)itl_pending(ctx);
		r = itl_next(ctx, 0, &ev);
		if (r == 0)
			return;
		if (r == 1)
			check_event(ctx, f, ev, batch);
		else if (r != -EINTR)	/* libFuzzer's SIGALRM in read(2) */
			fuzz_require(r == -EIO, "a bad record is -EIO");
	}
	fuzz_require(0, "a batch ends");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct itl_format *f;
	struct itl *ctx;
	size_t pos = 1, n;
	int wfd;

	if (size == 0)
		return 0;
	if (top[0] == '\0')
		make_tree();
	ctx = open_ctx(data[0], &wfd);
	if (itl_format_compile("%w%f %e %c", NULL, &f) < 0)
		abort();
	while (pos + 2 <= size) {
		n = (size_t)data[pos] | (size_t)data[pos + 1] << 8;
		pos += 2;
		if (n > size - pos)
			n = size - pos;
		if (n > 0 && write(wfd, data + pos, n) != (ssize_t)n)
			abort();
		pos += n;
		drain(ctx, f, data[0] & 16, n + 1);
	}
	itl_format_free(f);
	close(wfd);
	itl_close(ctx);
	return 0;
}
