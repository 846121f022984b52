/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ref-print: the reference for printing.  Watches the given directories (no
 * recursion), reads events in big batches and prints one minimal line per
 * event, "dir/name EVENT,EVENT", into a buffer written once per batch.
 *
 * usage: ref-print [-m hexmask] dir...
 */
#include <sys/inotify.h>

#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	uint32_t bit;
	const char *name;
	size_t len;
} names[] = {
#define N(b, s) { b, s, sizeof(s) - 1 }
	N(IN_ACCESS, "ACCESS"), N(IN_MODIFY, "MODIFY"),
	N(IN_ATTRIB, "ATTRIB"), N(IN_CLOSE_WRITE, "CLOSE_WRITE"),
	N(IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"), N(IN_OPEN, "OPEN"),
	N(IN_MOVED_FROM, "MOVED_FROM"), N(IN_MOVED_TO, "MOVED_TO"),
	N(IN_CREATE, "CREATE"), N(IN_DELETE, "DELETE"),
	N(IN_DELETE_SELF, "DELETE_SELF"), N(IN_UNMOUNT, "UNMOUNT"),
	N(IN_Q_OVERFLOW, "Q_OVERFLOW"), N(IN_IGNORED, "IGNORED"),
	N(IN_MOVE_SELF, "MOVE_SELF"), N(IN_ISDIR, "ISDIR"),
#undef N
};

static char out[1 << 20];
static size_t outlen;

static void
flush_out(void)
{
	size_t off = 0;
	ssize_t n;

	while (off < outlen) {
		if ((n = write(1, out + off, outlen - off)) == -1) {
			if (errno == EINTR)
				continue;
			exit(1);
		}
		off += n;
	}
	outlen = 0;
}

static void
put(const char *s, size_t len)
{
	memcpy(out + outlen, s, len);
	outlen += len;
}

static void
print_event(const struct inotify_event *ev, char **paths, int npaths)
{
	const char *dir = ev->wd >= 0 && ev->wd < npaths && paths[ev->wd] ?
	    paths[ev->wd] : "";
	size_t i, first = 1;

	if (outlen > sizeof(out) - 8192)
		flush_out();
	put(dir, strlen(dir));
	if (ev->len != 0)
		put(ev->name, strnlen(ev->name, ev->len));
	put(" ", 1);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((ev->mask & names[i].bit) == 0)
			continue;
		if (!first)
			put(",", 1);
		put(names[i].name, names[i].len);
		first = 0;
	}
	put("\n", 1);
}

int
main(int argc, char *argv[])
{
	static _Alignas(struct inotify_event) char buf[256 * 1024];
	uint32_t mask = IN_ALL_EVENTS;
	char **paths = NULL;
	int npaths = 0, c, fd, i, wd;
	ssize_t n, off;
	struct inotify_event *ev;

	while ((c = getopt(argc, argv, "m:")) != -1) {
		if (c != 'm')
			errx(1, "usage: ref-print [-m hexmask] dir...");
		mask = (uint32_t)strtoul(optarg, NULL, 16);
	}
	if ((fd = inotify_init1(IN_CLOEXEC)) == -1)
		err(1, "inotify_init1");
	for (i = optind; i < argc; i++) {
		if ((wd = inotify_add_watch(fd, argv[i], mask)) == -1)
			err(1, "%s", argv[i]);
		if (wd >= npaths) {
			paths = realloc(paths, (wd + 1) * sizeof(*paths));
			if (paths == NULL)
				err(1, "realloc");
			while (npaths <= wd)
				paths[npaths++] = NULL;
		}
		if (asprintf(&paths[wd], "%s/", argv[i]) == -1)
			err(1, "asprintf");
	}
	fprintf(stderr, "Watches established.\n");
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			err(1, "read");
		}
		for (off = 0; off < n; off += sizeof(*ev) + ev->len) {
			ev = (struct inotify_event *)(buf + off);
			print_event(ev, paths, npaths);
		}
		flush_out();
	}
	return 0;
}
