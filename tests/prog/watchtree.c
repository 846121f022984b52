/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * watchtree: a small client of the upstream-compatible API, as a user would
 * write it.  Watches DIR recursively, prints "%w%f %e\n" for each event and
 * stops after COUNT events or 5 seconds without one.
 *
 *	cc watchtree.c $(pkg-config --cflags --libs libinotifytools)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <inotifytools/inotifytools.h>
#include <inotifytools/inotify.h>

int
main(int argc, char **argv)
{
	struct inotify_event *ev;
	long count;

	if (argc != 3) {
		fprintf(stderr, "usage: watchtree DIR COUNT\n");
		return 1;
	}
	count = strtol(argv[2], NULL, 10);
	if (!inotifytools_initialize() ||
	    !inotifytools_watch_recursively(argv[1], IN_ALL_EVENTS)) {
		fprintf(stderr, "watchtree: %s\n",
		    strerror(inotifytools_error()));
		return 1;
	}
	fprintf(stderr, "Watches established.\n");
	while (count-- > 0 && (ev = inotifytools_next_event(5)) != NULL) {
		inotifytools_printf(ev, "%w%f %e\n");
		fflush(stdout);
	}
	inotifytools_cleanup();
	return 0;
}
