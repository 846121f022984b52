/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gen.c: event generators and tree builders for the benchmarks. */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

int
gen_touch(int dirfd, const char *name)
{
	int fd;

	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1)
		return -errno;
	close(fd);
	return 0;
}

int
gen_files(int dirfd, const char *prefix, long first, long count,
    size_t size)
{
	static char data[1 << 16];
	char name[256];
	long i;
	int fd;

	if (size > sizeof(data))
		size = sizeof(data);
	memset(data, 'x', size);
	for (i = first; i < first + count; i++) {
		snprintf(name, sizeof(name), "%s%ld", prefix, i);
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0644);
		if (fd == -1)
			return -errno;
		if (size > 0 && write(fd, data, size) != (ssize_t)size) {
			close(fd);
			return -EIO;
		}
		close(fd);
	}
	return 0;
}

int
gen_openclose(const char *path, long pairs)
{
	long i;
	int fd;

	for (i = 0; i < pairs; i++) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			return -errno;
		close(fd);
	}
	return 0;
}

int
gen_mkrmdir(int dirfd, const char *name, long cycles)
{
	long i;

	for (i = 0; i < cycles; i++) {
		if (mkdirat(dirfd, name, 0755) == -1)
			return -errno;
		if (unlinkat(dirfd, name, AT_REMOVEDIR) == -1)
			return -errno;
	}
	return 0;
}

/* Make n subdirectories d0..d<n-1> in dirfd; recurse with the rest. */
static int
tree_level(int dirfd, const long *fan, int levels)
{
	char name[32];
	long i;
	int sub, rc;

	if (levels == 0 || fan[0] <= 0)
		return 0;
	for (i = 0; i < fan[0]; i++) {
		snprintf(name, sizeof(name), "d%ld", i);
		if (mkdirat(dirfd, name, 0755) == -1 && errno != EEXIST)
			return -errno;
		if (levels == 1)
			continue;
		sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub == -1)
			return -errno;
		rc = tree_level(sub, fan + 1, levels - 1);
		close(sub);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
gen_tree(const char *path, long a, long b, long c)
{
	long fan[3] = { a, b, c };
	int fd, rc;

	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		return -errno;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -errno;
	rc = tree_level(fd, fan, 3);
	close(fd);
	return rc;
}

struct dirent64_k {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int
clean_at(int dirfd)
{
	_Alignas(struct dirent64_k) char buf[1 << 16];
	struct dirent64_k *de;
	long n, off;
	int sub, rc = 0;

	/* Unlinking while reading: re-read from the start until empty. */
	for (;;) {
		lseek(dirfd, 0, SEEK_SET);
		n = syscall(SYS_getdents64, dirfd, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		if (n == 0)
			return rc;
		int removed = 0;
		for (off = 0; off < n; off += de->d_reclen) {
			de = (struct dirent64_k *)(buf + off);
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if (unlinkat(dirfd, de->d_name, 0) == 0) {
				removed++;
				continue;
			}
			if (errno != EISDIR)
				return -errno;
			sub = openat(dirfd, de->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub == -1)
				return -errno;
			rc = clean_at(sub);
			close(sub);
			if (rc < 0)
				return rc;
			if (unlinkat(dirfd, de->d_name, AT_REMOVEDIR) == -1)
				return -errno;
			removed++;
		}
		if (removed == 0)
			return rc;
	}
}

int
gen_clean(const char *path)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -errno;
	rc = clean_at(fd);
	close(fd);
	return rc;
}
