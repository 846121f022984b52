/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * iw.h: inotifywatch's internal interface between its files.
 *
 *   opts.c       command line: getopt loop, validation, --help
 *   table.c      the statistics table: columns, rows, sorting, rendering
 *   inotifywatch.c  main: setup, signals, the event loop
 */
#ifndef IW_H
#define IW_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "itl.h"

/* Sort order: by total (key 0) or by one event column (key = its bit). */
struct iw_sort {
	uint32_t key;
	int ascending;
};

struct iw_opts {
	const char *progname;	/* basename of argv[0] */
	enum itl_backend backend;
	int filesystem;		/* -S */
	uint32_t events;	/* -e mask; 0 = all events */
	long timeout;		/* -t; 0 = until a signal */
	int verbose;		/* -v, counted */
	int zero;		/* -z */
	int recursive;		/* -r */
	int no_deref;		/* -P */
	struct iw_sort sort;
	const char *fromfile;
	struct cli_regex rx;
	int argc;		/* positional paths left after the options */
	char **argv;
};

/* ---- opts.c ---------------------------------------------------------- */

/* What iw_opts_parse() decided: go on, or exit with that status. */
#define IW_OPTS_RUN	-1
/* Parse argv into o, printing upstream's messages.  Returns IW_OPTS_RUN, or
 * the exit status (1 for errors and --help, 0 for --version). */
int iw_opts_parse(struct iw_opts *o, int argc, char *argv[]);

/* ---- table.c --------------------------------------------------------- */

struct iw_table_cfg {
	uint32_t events;	/* columns that may appear (the -e mask) */
	uint32_t uncounted;	/* bits only added for -r bookkeeping */
	int zero;		/* -z */
	struct iw_sort sort;
};

/* Where the rows come from: calls fn on every row as itl_stats_foreach()
 * does (the tool passes a context's rows, the unit test its own). */
typedef int (*iw_rows_fn)(void *src, itl_stats_fn fn, void *arg);

/* Render the table of the rows into out (appended).  Returns 1 when at
 * least one event was counted, 0 when none was (nothing is appended: the
 * caller says "No events occurred."), or -errno. */
int iw_table_render(const struct iw_table_cfg *cfg, iw_rows_fn rows,
    void *src, struct itl_buf *out);
/* Nonzero when bit has a column (and so can be a sort key). */
int iw_table_column(uint32_t bit);

#endif /* IW_H */
