/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mmapwrite FILE TEXT: open FILE for reading and writing, map it shared,
 * copy TEXT over its first bytes through the mapping and msync it, print
 * "written", then keep the file open and mapped until stdin reaches end
 * of file.  Such a write raises no IN_MODIFY: only FILE's mtime changes.
 * Exit status: 0 done, 1 a failed call (named on stderr), 2 bad usage.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what)
{
	perror(what);
	return 1;
}

/* Block until stdin reaches end of file (or fails). */
static void wait_stdin_closed(void)
{
	char buf[64];

	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
}

int main(int argc, char **argv)
{
	struct stat st;
	size_t len;
	char *map;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: mmapwrite FILE TEXT\n");
		return 2;
	}
	len = strlen(argv[2]);
	fd = open(argv[1], O_RDWR);
	if (fd < 0)
		return fail("open");
	if (fstat(fd, &st) < 0)
		return fail("fstat");
	if (len == 0 || (off_t)len > st.st_size) {
		fprintf(stderr, "mmapwrite: TEXT must fit in FILE\n");
		return 2;
	}
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return fail("mmap");
	memcpy(map, argv[2], len);
	if (msync(map, len, MS_SYNC) < 0)
		return fail("msync");
	printf("written\n");
	fflush(stdout);
	wait_stdin_closed();
	munmap(map, len);
	close(fd);
	return 0;
}
