/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * latprobe: event latency.  Runs a watcher whose stdout is a pipe, waits
 * for "Watches established.", then N times: creates DIR/lat-I, writes a
 * byte, closes it and takes the time; reads the pipe until a line naming
 * lat-I appears and takes the time again; waits until the next event is due
 * (INTERVAL_US apart).  Prints the median, p99 and max latency in us.
 *
 * usage: latprobe [-n N] [-i INTERVAL_US] -d DIR -- watcher args...
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

struct reader {
	char buf[1 << 16];
	size_t len;
};

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Does buf hold a complete line naming want (followed by a non-digit)? */
static int
has_name(struct reader *r, const char *want)
{
	size_t wl = strlen(want);
	char *p, *nl, *start = r->buf;

	while ((nl = memchr(start, '\n', r->len - (start - r->buf))) != NULL) {
		*nl = '\0';
		for (p = start; (p = strstr(p, want)) != NULL; p += wl)
			if (p[wl] < '0' || p[wl] > '9') {
				r->len = 0;
				return 1;
			}
		start = nl + 1;
	}
	/* Keep the partial line. */
	r->len -= start - r->buf;
	memmove(r->buf, start, r->len);
	return 0;
}

static int
wait_line(struct child *c, struct reader *r, const char *want)
{
	struct pollfd pfd[2];
	ssize_t n;

	for (;;) {
		pfd[0].fd = c->out;
		pfd[0].events = POLLIN;
		pfd[1].fd = c->err;
		pfd[1].events = POLLIN;
		if (poll(pfd, c->err == -1 ? 1 : 2, 10000) <= 0)
			return -1;
		if (pfd[1].revents)
			child_drain_err(c);
		if (!pfd[0].revents)
			continue;
		n = read(c->out, r->buf + r->len, sizeof(r->buf) - 1 - r->len);
		if (n == 0)
			return -1;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		r->len += n;
		if (has_name(r, want))
			return 0;
		if (r->len >= sizeof(r->buf) - 1)
			r->len = 0;
	}
}

int
main(int argc, char *argv[])
{
	static struct reader rd;
	long n = 1000, interval = 1000, i;
	double *lat, due, t0;
	const char *dir = NULL;
	char name[64];
	struct child c;
	int ch, dfd, fd;

	while ((ch = getopt(argc, argv, "+n:i:d:")) != -1) {
		switch (ch) {
		case 'n': n = atol(optarg); break;
		case 'i': interval = atol(optarg); break;
		case 'd': dir = optarg; break;
		default: errx(1, "usage: latprobe [-n N] [-i US] -d DIR -- cmd");
		}
	}
	if (dir == NULL || optind >= argc || n <= 0)
		errx(1, "usage: latprobe [-n N] [-i US] -d DIR -- cmd");
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(1, "%s", dir);
	if ((lat = calloc(n, sizeof(*lat))) == NULL)
		err(1, "calloc");
	signal(SIGPIPE, SIG_IGN);
	if (child_spawn(&c, argv + optind, 1) == -1)
		err(1, "spawn");
	if (child_wait_ready(&c, 60) == -1)
		errx(1, "%s did not establish its watches", argv[optind]);
	due = now_s();
	for (i = 0; i < n; i++) {
		sleep_s(due - now_s());
		snprintf(name, sizeof(name), "lat-%ld", i);
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0644);
		if (fd == -1 || write(fd, "x", 1) != 1)
			err(1, "%s", name);
		close(fd);
		t0 = now_s();
		if (wait_line(&c, &rd, name) == -1)
			errx(1, "no line for %s", name);
		lat[i] = (now_s() - t0) * 1e6;
		due = t0 + interval / 1e6;
	}
	child_stop(&c, SIGTERM, NULL);
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("events=%ld median_us=%.1f p99_us=%.1f max_us=%.1f\n", n,
	    lat[n / 2], lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1],
	    lat[n - 1]);
	free(lat);
	return 0;
}
