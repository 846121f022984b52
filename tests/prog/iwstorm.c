/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iwstorm: event-time faults for a running `inotifywait -m -r`, with the
 * exact default-format lines it must print.
 *
 *	iwstorm cycles N TOP EXPECTED OUTPUT
 *	iwstorm renames N TOP OUTSIDE EXPECTED OUTPUT
 *
 * cycles: N times mkdir TOP/c, rmdir TOP/c (watch with -e create,delete).
 * renames: TOP/a exists; each round creates a file in it, renames it to b,
 * creates one there, renames it back, moves the first file out to OUTSIDE
 * and deletes the second; every 50th round moves the directory out and
 * back in (and creates a file in it meanwhile) and moves a file in (watch
 * with -e create,delete,moved_from,moved_to).
 *
 * The lines every event must produce ("TOP/a/ CREATE f7") are appended to
 * EXPECTED as the events happen.  Every 100 rounds, and after a directory
 * came back in, it waits until OUTPUT (inotifywait's stdout) is as long as
 * EXPECTED, so the kernel queue never overflows and the watch on a
 * directory moved in exists before anything is made in it.  Exits 1 with a
 * message on a failure or when OUTPUT lags for 60 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SYNC_EVERY	100
#define OUT_EVERY	50
#define LAG_SECONDS	60

static FILE *expected;
static const char *expected_path, *output_path;

static void
die(const char *what)
{
	fprintf(stderr, "iwstorm: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void expect(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void path(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
expect(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(expected, fmt, ap);
	va_end(ap);
}

static off_t
size_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		die(path);
	return st.st_size;
}

/* Wait until OUTPUT has caught up with EXPECTED. */
static void
sync_output(void)
{
	struct timespec nap = { 0, 200000 };
	time_t start = time(NULL);
	off_t want;

	if (fflush(expected) != 0)
		die(expected_path);
	want = size_of(expected_path);
	while (size_of(output_path) < want) {
		if (time(NULL) - start > LAG_SECONDS) {
			fprintf(stderr, "iwstorm: %s lags behind %s\n",
			    output_path, expected_path);
			exit(1);
		}
		nanosleep(&nap, NULL);
	}
}

static void
path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		die(buf);
	}
}

static void
touch(const char *p)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0 || close(fd) != 0)
		die(p);
}

static void
move(const char *from, const char *to)
{
	if (rename(from, to) != 0)
		die(from);
}

static void
cycles(long n, const char *top)
{
	char c[4096];
	long i;

	path(c, sizeof(c), "%s/c", top);
	for (i = 0; i < n; i++) {
		if (mkdir(c, 0700) != 0 || rmdir(c) != 0)
			die(c);
		expect("%s/ CREATE,ISDIR c\n%s/ DELETE,ISDIR c\n", top, top);
		if (i % SYNC_EVERY == SYNC_EVERY - 1)
			sync_output();
	}
}

/* The directory leaves the tree, gets a file, comes back; a file is
 * moved in.  Then both are removed again. */
static void
out_and_in(long i, const char *top, const char *outside)
{
	char a[4096], oa[4096], h[4096], m[4096], am[4096];

	path(a, sizeof(a), "%s/a", top);
	path(oa, sizeof(oa), "%s/a", outside);
	path(h, sizeof(h), "%s/a/h%ld", outside, i);
	path(m, sizeof(m), "%s/m%ld", outside, i);
	path(am, sizeof(am), "%s/a/m%ld", top, i);
	move(a, oa);
	expect("%s/ MOVED_FROM,ISDIR a\n", top);
	touch(h);
	if (unlink(h) != 0)
		die(h);
	move(oa, a);
	expect("%s/ MOVED_TO,ISDIR a\n", top);
	sync_output();
	touch(m);
	move(m, am);
	expect("%s/a/ MOVED_TO m%ld\n", top, i);
	if (unlink(am) != 0)
		die(am);
	expect("%s/a/ DELETE m%ld\n", top, i);
}

static void
renames(long n, const char *top, const char *outside)
{
	char a[4096], b[4096], f[4096], g[4096], of[4096], ag[4096];
	long i;

	path(a, sizeof(a), "%s/a", top);
	path(b, sizeof(b), "%s/b", top);
	for (i = 0; i < n; i++) {
		path(f, sizeof(f), "%s/a/f%ld", top, i);
		path(g, sizeof(g), "%s/b/g%ld", top, i);
		path(of, sizeof(of), "%s/f%ld", outside, i);
		path(ag, sizeof(ag), "%s/a/g%ld", top, i);
		touch(f);
		expect("%s/a/ CREATE f%ld\n", top, i);
		move(a, b);
		expect("%s/ MOVED_FROM,ISDIR a\n%s/ MOVED_TO,ISDIR b\n", top,
		    top);
		touch(g);
		expect("%s/b/ CREATE g%ld\n", top, i);
		move(b, a);
		expect("%s/ MOVED_FROM,ISDIR b\n%s/ MOVED_TO,ISDIR a\n", top,
		    top);
		path(f, sizeof(f), "%s/a/f%ld", top, i);
		move(f, of);
		expect("%s/a/ MOVED_FROM f%ld\n", top, i);
		if (unlink(of) != 0 || unlink(ag) != 0)
			die(ag);
		expect("%s/a/ DELETE g%ld\n", top, i);
		if (i % OUT_EVERY == OUT_EVERY - 1)
			out_and_in(i, top, outside);
		if (i % SYNC_EVERY == SYNC_EVERY - 1)
			sync_output();
	}
}

int
main(int argc, char *argv[])
{
	int is_cycles = argc == 6 && strcmp(argv[1], "cycles") == 0;
	long n;

	if (!is_cycles && !(argc == 7 && strcmp(argv[1], "renames") == 0)) {
		fprintf(stderr, "usage: iwstorm cycles N TOP EXPECTED OUTPUT\n"
		    "       iwstorm renames N TOP OUTSIDE EXPECTED OUTPUT\n");
		return 1;
	}
	n = strtol(argv[2], NULL, 10);
	expected_path = argv[argc - 2];
	output_path = argv[argc - 1];
	if ((expected = fopen(expected_path, "a")) == NULL)
		die(expected_path);
	if (is_cycles)
		cycles(n, argv[3]);
	else
		renames(n, argv[3], argv[4]);
	sync_output();
	if (fclose(expected) != 0)
		die(expected_path);
	return 0;
}
