/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * output.c: event output.  Events are rendered into one growing buffer and
 * written with write(2) at the end of each batch (when the library has
 * nothing more pending), or earlier when the buffer grows past OUT_HIGH,
 * never per event and never later than the end of a batch.
 */
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "inotifywait.h"

#define OUT_HIGH	(256 * 1024)

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
