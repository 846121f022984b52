/* SPDX-License-Identifier: GPL-2.0-or-later */
/* proc.c: clocks, /proc sampling and child processes for the benchmarks. */
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void
sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
read_small(const char *path, char *buf, size_t size)
{
	int fd;
	ssize_t n;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

long long
proc_cpu_ns(pid_t pid)
{
	char path[64], buf[256];

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) == -1)
		return -1;
	return strtoll(buf, NULL, 10);
}

long
proc_status_kb(pid_t pid, const char *key)
{
	char path[64], buf[4096], *p;
	size_t klen = strlen(key);

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small(path, buf, sizeof(buf)) == -1)
		return -1;
	for (p = buf; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			return strtol(p + klen + 1, NULL, 10);
	}
	return -1;
}

int
proc_state(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) == -1)
		return 0;
	if ((p = strrchr(buf, ')')) == NULL || p[1] == '\0')
		return 0;
	return p[2];
}

/* fd number of pid's inotify instance, -1 if none. */
static int
inotify_fdnum(pid_t pid)
{
	char path[64], link[384], target[64];
	struct dirent *de;
	DIR *d;
	int fd = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while (fd == -1 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", path, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, "anon_inode:inotify") == 0)
			fd = atoi(de->d_name);
	}
	closedir(d);
	return fd;
}

long
proc_inotify_watches(pid_t pid)
{
	char path[64], buf[1 << 16];
	long count = 0;
	ssize_t n, i;
	int fdn, fd, bol = 1;

	if ((fdn = inotify_fdnum(pid)) == -1)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fdn);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++) {
			if (bol && buf[i] == 'i')
				count++;
			bol = buf[i] == '\n';
		}
	close(fd);
	return count;
}

long
proc_inotify_queued(pid_t pid)
{
	int fdn, pidfd, fd, q = -1;

	if ((fdn = inotify_fdnum(pid)) == -1)
		return -1;
	if ((pidfd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1)
		return -1;
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, fdn, 0);
	close(pidfd);
	if (fd == -1)
		return -1;
	if (ioctl(fd, FIONREAD, &q) == -1)
		q = -1;
	close(fd);
	return q;
}

static void
nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

int
child_spawn(struct child *c, char *const argv[], int capture_out)
{
	int po[2] = { -1, -1 }, pe[2];

	memset(c, 0, sizeof(*c));
	if (pipe2(pe, O_CLOEXEC) == -1)
		return -1;
	if (capture_out && pipe2(po, O_CLOEXEC) == -1)
		return -1;
	c->t0 = now_s();
	if ((c->pid = fork()) == -1)
		return -1;
	if (c->pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(capture_out ? po[1] : null, 1);
		dup2(pe[1], 2);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pe[1]);
	c->err = pe[0];
	nonblock(c->err);
	c->out = -1;
	if (capture_out) {
		close(po[1]);
		c->out = po[0];
		nonblock(c->out);
	}
	return 0;
}

static int
is_ready_line(const char *s)
{
	return strstr(s, "Watches established") != NULL ||
	    strstr(s, "now collecting statistics") != NULL;
}

/* Read what stderr holds; notes the ready line.  -1 on EOF. */
static int
read_err(struct child *c)
{
	char buf[8192];
	ssize_t n, i;

	while ((n = read(c->err, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (c->linelen < sizeof(c->line) - 1)
					c->line[c->linelen++] = buf[i];
				continue;
			}
			c->line[c->linelen] = '\0';
			if (!c->ready && is_ready_line(c->line))
				c->ready = 1;
			else if (getenv("BENCH_VERBOSE") != NULL)
				fprintf(stderr, "  [child] %s\n", c->line);
			c->linelen = 0;
		}
	}
	return n == 0 ? -1 : 0;
}

int
child_wait_ready(struct child *c, double timeout_s)
{
	double end = now_s() + timeout_s;
	struct pollfd pfd;

	pfd.fd = c->err;
	pfd.events = POLLIN;
	while (!c->ready) {
		int ms = (int)((end - now_s()) * 1000);

		if (ms <= 0)
			return -1;
		if (poll(&pfd, 1, ms) == -1 && errno != EINTR)
			return -1;
		if (read_err(c) == -1 && !c->ready)
			return -1;
	}
	return 0;
}

void
child_drain_err(struct child *c)
{
	if (c->err != -1 && read_err(c) == -1) {
		close(c->err);
		c->err = -1;
	}
}

int
child_stop(struct child *c, int sig, struct rusage *ru)
{
	int status = 0;

	if (sig != 0)
		kill(c->pid, sig);
	/* Closed pipes: a child that flushes on exit gets EPIPE, no hang. */
	if (c->err != -1)
		close(c->err);
	if (c->out != -1)
		close(c->out);
	c->err = c->out = -1;
	while (wait4(c->pid, &status, 0, ru) == -1 && errno == EINTR)
		;
	return status;
}
