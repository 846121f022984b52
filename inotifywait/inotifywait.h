/* SPDX-License-Identifier: GPL-2.0-or-later */
/* inotifywait.h: what the inotifywait files share. */
#ifndef INOTIFYWAIT_H
#define INOTIFYWAIT_H

#include <stdint.h>

#include "cli.h"

/* Everything the command line sets. */
struct iw_opts {
	const char *progname;	/* basename of argv[0] */
	enum itl_backend backend;
	int filesystem;		/* -S */
	int monitor;		/* -m, -d */
	int quiet;		/* -q count */
	int recursive;		/* -r count */
	int csv;		/* -c */
	int daemon;		/* -d */
	int syslog;		/* -s, -d */
	int no_deref;		/* -P */
	int no_newline;		/* --no-newline */
	long timeout;		/* -t seconds; 0: none, < 0: abort */
	uint32_t events;	/* -e mask, 0: all */
	char *format;		/* --format with "\n" appended (malloc) */
	const char *timefmt;
	const char *fromfile;
	const char *outfile;
	struct cli_regex rx;
	int nargs;		/* paths: argv + first */
	char **args;
};

/* options.c: parse argv into o.  Returns 0, or -1 when the program must
 * exit 1 (the message, or --help, was printed), or 1 after --version. */
int iw_options_parse(struct iw_opts *o, int argc, char **argv);
void iw_options_free(struct iw_opts *o);

/* output.c: stdout as one buffer written once per batch of events. */
struct itl_buf;
/* Make the buffer (-ENOMEM). */
int iw_out_init(void);
/* The buffer to append event text to. */
struct itl_buf *iw_out_buf(void);
/* Write everything buffered to fd 1 (retrying short writes and EINTR).
 * Returns 0 or -errno. */
int iw_out_flush(void);
/* Flush when the buffer holds more than a batch should keep. */
int iw_out_maybe_flush(void);
void iw_out_free(void);

#endif /* INOTIFYWAIT_H */
