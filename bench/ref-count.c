/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ref-count: the reference read loop.  Watches the given directories (no
 * recursion), reads events in big batches and counts them; prints nothing
 * but "#count N name" when it meets a harness sentinel file (so the harness
 * knows the batch was drained) and "#count N" on SIGINT/SIGTERM.
 *
 * usage: ref-count [-m hexmask] dir...
 */
#include <sys/inotify.h>

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char *argv[])
{
	static _Alignas(struct inotify_event) char buf[256 * 1024];
	const size_t slen = sizeof(BENCH_SENTINEL) - 1;
	uint32_t mask = IN_ALL_EVENTS;
	struct inotify_event *ev;
	struct sigaction sa;
	long count = 0;
	ssize_t n, off;
	int c, fd, i;

	while ((c = getopt(argc, argv, "m:")) != -1) {
		if (c != 'm')
			errx(1, "usage: ref-count [-m hexmask] dir...");
		mask = (uint32_t)strtoul(optarg, NULL, 16);
	}
	if ((fd = inotify_init1(IN_CLOEXEC)) == -1)
		err(1, "inotify_init1");
	for (i = optind; i < argc; i++)
		if (inotify_add_watch(fd, argv[i], mask) == -1)
			err(1, "%s", argv[i]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "Watches established.\n");
	while (!stop) {
		if ((n = read(fd, buf, sizeof(buf))) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			break;
		}
		for (off = 0; off < n; off += sizeof(*ev) + ev->len) {
			ev = (struct inotify_event *)(buf + off);
			if (ev->len != 0 && ev->name[0] == 'b' &&
			    strncmp(ev->name, BENCH_SENTINEL, slen) == 0) {
				printf("#count %ld %s\n", count, ev->name);
				fflush(stdout);
				continue;
			}
			count++;
		}
	}
	printf("#count %ld\n", count);
	return 0;
}
