/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * syncprobe: replication throughput and lag.  Watches DST (IN_MOVED_TO and
 * IN_CLOSE_WRITE), writes N files s0..s<N-1> of 10-100 KB of incompressible
 * data into SRC at full speed (in a child, recording each close() time), and
 * notes when each name appears in DST.  Stops when all arrived, at the
 * timeout, or after IDLE seconds without an arrival once the writer is done;
 * then checks the sizes in DST.  Prints files/s (N over first write to last
 * arrival) and the lag (close() to arrival): median, p99, after the last
 * write; and how many are missing.  With -p MS, a trickle: MS milliseconds
 * between two files.  With -w, only writes the files (no DST watched) and
 * prints how long that took.
 *
 * usage: syncprobe -s SRC [-d DST | -w] [-n N] [-t TIMEOUT] [-i IDLE]
 *                  [-p MS]
 */
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAXSIZE (100 * 1024)

static char data[MAXSIZE + 4096];

static size_t
file_size(long i)
{
	return 10 * 1024 + (size_t)((i * 2654435761u) % 91) * 1024;
}

static void
fill_data(void)
{
	uint64_t x = 88172645463325252ull;
	size_t i;

	for (i = 0; i < sizeof(data); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		data[i] = (char)x;
	}
}

static void
writer(const char *src, long n, double *tclose, long pause_ms)
{
	struct timespec gap = { pause_ms / 1000, (pause_ms % 1000) * 1000000 };
	char name[64];
	size_t size;
	long i;
	int dfd, fd;

	if ((dfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(1, "%s", src);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "s%ld", i);
		size = file_size(i);
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0644);
		if (fd == -1 || write(fd, data + (i % 4096), size) !=
		    (ssize_t)size)
			err(1, "%s", name);
		close(fd);
		tclose[i] = now_s();
		if (pause_ms > 0 && i + 1 < n)
			nanosleep(&gap, NULL);
	}
	_exit(0);
}

static long
name_index(const char *s, long n)
{
	char *end;
	long i;

	if (s[0] != 's' || s[1] < '0' || s[1] > '9')
		return -1;
	i = strtol(s + 1, &end, 10);
	return *end == '\0' && i < n ? i : -1;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Read DST events; returns the number of new arrivals. */
static long
collect(int ifd, double *arrive, long n, int *overflow)
{
	static _Alignas(struct inotify_event) char buf[1 << 16];
	struct inotify_event *ev;
	long got = 0, i;
	ssize_t len, off;
	double t;

	while ((len = read(ifd, buf, sizeof(buf))) > 0) {
		t = now_s();
		for (off = 0; off < len; off += sizeof(*ev) + ev->len) {
			ev = (struct inotify_event *)(buf + off);
			if (ev->mask & IN_Q_OVERFLOW)
				*overflow = 1;
			if (ev->len == 0 || (i = name_index(ev->name, n)) < 0)
				continue;
			if (arrive[i] == 0) {
				arrive[i] = t;
				got++;
			}
		}
	}
	return got;
}

int
main(int argc, char *argv[])
{
	const char *src = NULL, *dst = NULL;
	double timeout = 120, idle = 20, t0, end, last = 0, lastw = 0;
	double *tclose, *arrive, *lag;
	long n = 10000, got = 0, nl = 0, missing = 0, i, pause_ms = 0;
	int c, ifd, overflow = 0, status, dfd, write_only = 0;
	struct pollfd pfd;
	struct stat st;
	char name[64];
	pid_t pid;

	while ((c = getopt(argc, argv, "s:d:n:t:i:p:w")) != -1) {
		switch (c) {
		case 's': src = optarg; break;
		case 'd': dst = optarg; break;
		case 'n': n = atol(optarg); break;
		case 't': timeout = atof(optarg); break;
		case 'i': idle = atof(optarg); break;
		case 'p': pause_ms = atol(optarg); break;
		case 'w': write_only = 1; break;
		default: src = NULL; optind = argc; break;
		}
	}
	if (src == NULL || (dst == NULL && !write_only) || n <= 0)
		errx(1, "usage: syncprobe -s SRC [-d DST | -w] [-n N] [-t S] "
		    "[-i S] [-p MS]");
	tclose = mmap(NULL, n * sizeof(double), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	arrive = calloc(n, sizeof(double));
	lag = calloc(n, sizeof(double));
	if (tclose == MAP_FAILED || arrive == NULL || lag == NULL)
		err(1, "memory");
	fill_data();
	if (write_only) {
		t0 = now_s();
		if ((pid = fork()) == -1)
			err(1, "fork");
		if (pid == 0)
			writer(src, n, tclose, pause_ms);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			errx(1, "writer failed");
		printf("files=%ld write_s=%.3f\n", n, now_s() - t0);
		return 0;
	}
	if ((ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		err(1, "inotify_init1");
	if (inotify_add_watch(ifd, dst, IN_MOVED_TO | IN_CLOSE_WRITE) == -1)
		err(1, "%s", dst);
	t0 = now_s();
	end = t0 + timeout;
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0)
		writer(src, n, tclose, pause_ms);
	pfd.fd = ifd;
	pfd.events = POLLIN;
	for (;;) {
		long k;

		poll(&pfd, 1, 100);
		if ((k = collect(ifd, arrive, n, &overflow)) > 0) {
			got += k;
			last = now_s();
		}
		if (pid != 0 && waitpid(pid, &status, WNOHANG) == pid) {
			pid = 0;
			lastw = now_s();
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				errx(1, "writer failed");
		}
		if (got == n || now_s() > end)
			break;
		if (pid == 0 && now_s() - (last > lastw ? last : lastw) > idle)
			break;
	}
	if (pid != 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	/* Whatever the events said, the target must hold the right sizes. */
	if ((dfd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(1, "%s", dst);
	lastw = 0;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "s%ld", i);
		if (fstatat(dfd, name, &st, 0) == -1 ||
		    (size_t)st.st_size != file_size(i) || tclose[i] == 0) {
			missing++;
			continue;
		}
		if (tclose[i] > lastw)
			lastw = tclose[i];
		if (arrive[i] == 0)
			arrive[i] = last;	/* seen only by the final check */
		lag[nl++] = arrive[i] - tclose[i];
		if (arrive[i] > last)
			last = arrive[i];
	}
	close(dfd);
	qsort(lag, nl, sizeof(*lag), cmp_double);
	printf("files=%ld arrived=%ld missing=%ld overflow=%d files_per_s=%.0f "
	    "lag_median_ms=%.0f lag_p99_ms=%.0f lag_last_ms=%.0f "
	    "write_s=%.3f\n", n, n - missing, missing, overflow,
	    last > t0 ? (n - missing) / (last - t0) : 0.0,
	    nl ? lag[nl / 2] * 1e3 : -1.0,
	    nl ? lag[(nl * 99) / 100 < nl ? (nl * 99) / 100 : nl - 1] * 1e3 :
	    -1.0, nl ? (last - lastw) * 1e3 : -1.0, tclose[n - 1] - t0);
	return 0;
}
