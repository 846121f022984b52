/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ref-walk: the reference for watch setup.  Walks a tree with getdents64
 * and d_type (fstatat only when d_type is unknown) and adds an inotify
 * watch to every directory; stores nothing.  Prints "Watches established."
 * on stderr like inotifywait, then reads and discards events until killed.
 *
 * usage: ref-walk [-m hexmask] dir
 */
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <dirent.h>
#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct kdirent {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int ifd;
static uint32_t mask = IN_ALL_EVENTS | IN_CREATE | IN_MOVED_TO |
    IN_MOVED_FROM;
static long nwatches;

static int
is_dir(int dirfd, const struct kdirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	return S_ISDIR(st.st_mode);
}

/* path holds the directory (len bytes, ending in '/'); dirfd is it. */
static void
walk(int dirfd, char *path, size_t len, size_t cap)
{
	_Alignas(struct kdirent) char buf[32768];
	struct kdirent *de;
	long n, off;
	size_t nl;
	int sub;

	while ((n = syscall(SYS_getdents64, dirfd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < n; off += de->d_reclen) {
			de = (struct kdirent *)(buf + off);
			if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
			    (de->d_name[1] == '.' && de->d_name[2] == '\0')))
				continue;
			if (!is_dir(dirfd, de))
				continue;
			nl = strlen(de->d_name);
			if (len + nl + 2 > cap)
				errx(1, "path too long");
			memcpy(path + len, de->d_name, nl);
			path[len + nl] = '\0';
			if (inotify_add_watch(ifd, path, mask) == -1)
				continue;
			nwatches++;
			sub = openat(dirfd, de->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub == -1)
				continue;
			path[len + nl] = '/';
			walk(sub, path, len + nl + 1, cap);
			close(sub);
		}
	}
	path[len] = '\0';
}

int
main(int argc, char *argv[])
{
	_Alignas(struct inotify_event) char ev[65536];
	static char path[65536];
	size_t len;
	int c, fd;

	while ((c = getopt(argc, argv, "m:")) != -1) {
		if (c != 'm')
			errx(1, "usage: ref-walk [-m hexmask] dir");
		mask = (uint32_t)strtoul(optarg, NULL, 16);
	}
	if (optind + 1 != argc)
		errx(1, "usage: ref-walk [-m hexmask] dir");
	if ((ifd = inotify_init1(IN_CLOEXEC)) == -1)
		err(1, "inotify_init1");
	len = strlen(argv[optind]);
	if (len + 2 > sizeof(path))
		errx(1, "path too long");
	memcpy(path, argv[optind], len + 1);
	if (inotify_add_watch(ifd, path, mask) == -1)
		err(1, "%s", path);
	nwatches++;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(1, "%s", path);
	if (path[len - 1] != '/')
		path[len++] = '/';
	walk(fd, path, len, sizeof(path));
	close(fd);
	fprintf(stderr, "Watches established.\n");
	while (read(ifd, ev, sizeof(ev)) > 0)
		;
	return 0;
}
