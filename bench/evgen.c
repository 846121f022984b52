/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * evgen: event generator and tree builder, for the benchmarks and by hand.
 *
 *   evgen files DIR N [BURST PAUSE_MS [SIZE]]
 *	create, write SIZE bytes (default 16) to and close DIR/fN, as fast as
 *	possible, or in bursts of BURST files PAUSE_MS apart
 *   evgen openclose FILE PAIRS   open and close FILE read-only
 *   evgen mkrmdir DIR CYCLES     mkdir and rmdir DIR/cycle
 *   evgen tree DIR A B C         DIR/dA/dB/dC (A*B*C leaves)
 *   evgen clean DIR              remove everything below DIR
 *
 * Prints the elapsed time and the rate on stderr.
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static long
num(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0)
		errx(1, "bad number: %s", s);
	return v;
}

static int
files(int argc, char *argv[], long *n)
{
	long burst, pause_ms, done = 0, k;
	size_t size = 16;
	int fd, rc = 0;

	if (argc < 2)
		errx(1, "usage: evgen files DIR N [BURST PAUSE_MS [SIZE]]");
	*n = num(argv[1]);
	burst = argc > 2 ? num(argv[2]) : *n;
	pause_ms = argc > 3 ? num(argv[3]) : 0;
	if (argc > 4)
		size = (size_t)num(argv[4]);
	if (burst == 0)
		burst = *n;
	if ((fd = open(argv[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(1, "%s", argv[0]);
	while (rc == 0 && done < *n) {
		k = *n - done < burst ? *n - done : burst;
		rc = gen_files(fd, "f", done, k, size);
		done += k;
		if (done < *n)
			sleep_s(pause_ms / 1000.0);
	}
	close(fd);
	return rc;
}

static int
mkrmdir(int argc, char *argv[], long *n)
{
	int fd, rc;

	if (argc != 2)
		errx(1, "usage: evgen mkrmdir DIR CYCLES");
	*n = num(argv[1]);
	if ((fd = open(argv[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(1, "%s", argv[0]);
	rc = gen_mkrmdir(fd, "cycle", *n);
	close(fd);
	return rc;
}

int
main(int argc, char *argv[])
{
	double t0 = now_s(), dt;
	long n = 0;
	int rc;

	if (argc < 3)
		errx(1, "usage: evgen files|openclose|mkrmdir|tree|clean ...");
	if (strcmp(argv[1], "files") == 0)
		rc = files(argc - 2, argv + 2, &n);
	else if (strcmp(argv[1], "openclose") == 0 && argc == 4)
		rc = gen_openclose(argv[2], n = num(argv[3]));
	else if (strcmp(argv[1], "mkrmdir") == 0)
		rc = mkrmdir(argc - 2, argv + 2, &n);
	else if (strcmp(argv[1], "tree") == 0 && argc == 6)
		rc = gen_tree(argv[2], num(argv[3]), num(argv[4]),
		    num(argv[5]));
	else if (strcmp(argv[1], "clean") == 0 && argc == 3)
		rc = gen_clean(argv[2]);
	else
		errx(1, "usage: evgen files|openclose|mkrmdir|tree|clean ...");
	if (rc < 0) {
		fprintf(stderr, "evgen %s: %s\n", argv[1], strerror(-rc));
		return 1;
	}
	dt = now_s() - t0;
	if (n > 0)
		fprintf(stderr, "evgen %s: %ld in %.3f s (%.0f/s)\n", argv[1],
		    n, dt, n / dt);
	return 0;
}
