/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * output.c: event output.  Events are rendered into one buffer and written
 * with write(2) at the end of each batch (when the library is about to
 * wait for the kernel), or earlier once the buffer holds OUT_HIGH bytes (a
 * pipe's capacity), never per event and never later than the end of a
 * batch.  The buffer is made and touched at start, so that its size does
 * not follow the size of batches: only a line longer than OUT_SLACK grows
 * it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inotifywait.h"

#define OUT_HIGH	(64 * 1024)
#define OUT_SLACK	(16 * 1024)
#define PIPE_WANT	(1024 * 1024)

static struct itl_buf out;

struct itl_buf *
iw_out_buf(void)
{
	return &out;
}

/* write(2) that waits when stdout was inherited in non-blocking mode. */
static ssize_t
write_some(const char *p, size_t len)
{
	struct pollfd pfd = { .fd = STDOUT_FILENO, .events = POLLOUT };
	ssize_t n;

	for (;;) {
		n = write(STDOUT_FILENO, p, len);
		if (n >= 0 || (errno != EINTR && errno != EAGAIN))
			return n;
		if (errno == EAGAIN && poll(&pfd, 1, -1) < 0 &&
		    errno != EINTR)
			return -1;
	}
}

/* A pipe to a slow reader fills, then inotifywait waits in write(2) while
 * the kernel queue fills behind it: make the pipe hold more (as much as
 * an unprivileged process may ask for; failure is harmless). */
static void
pipe_grow(void)
{
	struct stat st;

	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISFIFO(st.st_mode))
		(void)fcntl(STDOUT_FILENO, F_SETPIPE_SZ, PIPE_WANT);
}

int
iw_out_init(void)
{
	pipe_grow();
	if (itl_buf_reserve(&out, OUT_HIGH + OUT_SLACK) < 0)
		return -ENOMEM;
	itl_prefault(out.data, out.cap);
	return 0;
}

int
iw_out_flush(void)
{
	size_t off = 0;
	ssize_t n;

	while (off < out.len) {
		if ((n = write_some(out.data + off, out.len - off)) < 0) {
			out.len = 0;
			return -errno;
		}
		off += (size_t)n;
	}
	out.len = 0;
	return 0;
}

int
iw_out_maybe_flush(void)
{
	if (out.len < OUT_HIGH)
		return 0;
	return iw_out_flush();
}

void
iw_out_free(void)
{
	itl_buf_free(&out);
}
