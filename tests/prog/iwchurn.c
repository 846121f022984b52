/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iwchurn: an exact event generator for the inotifywatch tests.
 *
 *	iwchurn N DIR...
 *
 * Does N operations, spread round-robin over the DIRs.  Each one creates
 * DIR/churn<i>, writes one byte, closes it and unlinks it, so a watch on
 * DIR sees exactly one CREATE, OPEN, MODIFY, CLOSE_WRITE and DELETE.
 * Exits 1 with a message on the first failure.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
churn(const char *dir, long i)
{
	char path[4096];
	int fd;

	if (snprintf(path, sizeof(path), "%s/churn%ld", dir, i) >=
	    (int)sizeof(path))
		return -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0) {
		perror(path);
		return -1;
	}
	if (write(fd, "x", 1) != 1) {
		perror(path);
		close(fd);
		return -1;
	}
	if (close(fd) != 0 || unlink(path) != 0) {
		perror(path);
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	long i, n;
	char *end;

	if (argc < 3) {
		fprintf(stderr, "usage: iwchurn N DIR...\n");
		return 1;
	}
	n = strtol(argv[1], &end, 10);
	if (*argv[1] == '\0' || *end != '\0' || n < 0) {
		fprintf(stderr, "iwchurn: bad count %s\n", argv[1]);
		return 1;
	}
	for (i = 0; i < n; i++)
		if (churn(argv[2 + i % (argc - 2)], i) != 0)
			return 1;
	return 0;
}
