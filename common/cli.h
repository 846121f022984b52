/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cli.h: what inotifywait and inotifywatch share on the command line.
 *
 * Everything here prints upstream 4.25.9.0's exact wording and
 * leaves the policy to the tool: functions that can fail print their message
 * and return -1 (or -errno where noted); none of them exits, except
 * cli_die_nomem().  Messages go to stderr through cli_err(), or through
 * cli_msg(), which a tool may route to syslog(3) with cli_log_syslog().
 *
 * Typical use, in upstream's order:
 *
 *	backend = cli_default_backend(argv[0]);
 *	getopt_long loop: cli_parse_events(), cli_parse_timeout()
 *	cli_regex_check(&rx)
 *	cli_open(&ctx, &cfg)
 *	cli_regex_apply(ctx, &rx, recursive)
 *	cli_paths_build(&paths, argc - optind, argv + optind, fromfile)
 *	cli_watch_all(ctx, &paths, mask, &wopt)   (or cli_watch_path() +
 *						   cli_watch_error() per path)
 */
#ifndef CLI_H
#define CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "itl.h"

#define CLI_EXIT_SUCCESS	0
#define CLI_EXIT_FAILURE	1
#define CLI_EXIT_TIMEOUT	2

#if defined(__GNUC__)
#define CLI_PRINTF(a, b)	__attribute__((format(printf, a, b)))
#define CLI_NORETURN		__attribute__((noreturn))
#else
#define CLI_PRINTF(a, b)
#define CLI_NORETURN
#endif

/* ---- cli.c: identity, messages, --version, event help -------------- */

/* Basename of argv[0] ("<executable>" when argv0 is NULL or empty), as
 * upstream names itself in --help.  Points into argv0. */
const char *cli_progname(const char *argv0);
/* ITL_FANOTIFY when the basename starts with "fsnotify", else ITL_INOTIFY. */
enum itl_backend cli_default_backend(const char *argv0);

/* Diagnostics.  cli_err() always writes to stderr.  cli_msg() writes to
 * stderr, or to syslog(LOG_INFO) once cli_log_syslog() was called; it is
 * upstream's output_error(). */
void cli_err(const char *fmt, ...) CLI_PRINTF(1, 2);
void cli_msg(const char *fmt, ...) CLI_PRINTF(1, 2);
/* openlog(ident, LOG_CONS|LOG_PID|LOG_NDELAY, LOG_DAEMON) and route
 * cli_msg() there from now on. */
void cli_log_syslog(const char *ident);
/* "Seem to be out of memory... yikes!" and exit 1. */
void cli_die_nomem(void) CLI_NORETURN;
/* A path as a message shows it: s itself if it holds no backslash nor
 * ASCII control character, else a copy with "\\", "\n", "\t" and "\xNN"
 * for them, so that a name cannot split or forge a line of stderr or
 * syslog.  The copy lives until the CLI_ESC_SLOTS-th next call. */
#define CLI_ESC_SLOTS 4
const char *cli_esc(const char *s);

/* --version: "<progname> <version>\n" on stdout. */
void cli_print_version(const char *progname);
/* The "Events:" part of --help, upstream's text (shared by both tools). */
void cli_print_events_help(FILE *fp);

/* ---- optarg.c: -e and -t ---------------------------------------------- */

/* -e: OR the comma-separated, case-insensitive event list arg into *mask
 * ("" and empty tokens add nothing).  Unknown name: prints
 * "'%s' is not a valid event!  Run with the '--help' option to see a list
 * of events." and returns -1. */
int cli_parse_events(const char *arg, uint32_t *mask);
/* -t: strtol(arg, 10) into *out, with upstream's three messages (empty
 * value, strtol errno, trailing junk).  Returns 0 or -1. */
int cli_parse_timeout(const char *arg, long *out);

/* ---- regex.c: --exclude[i] / --include[i] --------------------------- */

struct cli_regex {
	const char *exclude;	/* --exclude: last one given, or NULL */
	const char *excludei;
	const char *include;
	const char *includei;
};

/* The three conflict checks, in upstream's order: "--exclude and
 * --excludei cannot both be specified.", "--include and --includei cannot
 * both be specified.", "include and exclude regexp cannot both be
 * specified.".  Returns 0 or -1 after printing. */
int cli_regex_check(const struct cli_regex *rx);
/* Nonzero when --include or --includei was given. */
int cli_regex_inverted(const struct cli_regex *rx);
/* Compile and install the filter (REG_EXTENDED, ICASE for the i forms,
 * itl's RECURSIVE exemption when recursive).  Bad pattern: prints
 * "Error in `exclude' regular expression." (or `include') and returns -1. */
int cli_regex_apply(struct itl *ctx, const struct cli_regex *rx,
    int recursive);

/* ---- paths.c: path list (argv + --fromfile, '@' exclusions) --------- */

struct cli_paths {
	char **watch;		/* NULL-terminated, in order: file, argv */
	size_t nwatch;
	char **excl;		/* NULL-terminated '@' exclusions */
	size_t nexcl;
};

/* Build the list from fromfile (NULL: none; "-": stdin; read in full, no
 * line limit, empty lines and a lone "@" skipped, "@x" excludes x), then
 * argv[0..argc-1] (same rules).  Unopenable file: prints "Couldn't open
 * %s: %s" and returns -1; on success p is filled (free with
 * cli_paths_free), possibly with nwatch == 0.  -1 without a message only
 * for a read error, which is reported as "Couldn't read %s: %s". */
int cli_paths_build(struct cli_paths *p, int argc, char *const argv[],
    const char *fromfile);
void cli_paths_free(struct cli_paths *p);
/* Nonzero if some watch path is relative (does not start with '/'). */
int cli_paths_relative(const struct cli_paths *p);

/* ---- setup.c: opening the backend and adding the watches ------------ */

/* itl_open(); on failure prints upstream's warn_inotify_init_error text
 * ("Couldn't initialize inotify: %s" and the EMFILE/EINVAL/EPERM hints)
 * and returns -1. */
int cli_open(struct itl **ctx, const struct itl_config *cfg);

#define CLI_WATCH_RECURSIVE	0x1	/* itl_watch_tree(), '@' exclusions */
#define CLI_WATCH_FILESYSTEM	0x2	/* -S: filesystem marks */

struct cli_watch_opts {
	int flags;			/* CLI_WATCH_* */
	enum itl_backend backend;	/* names the ENOSPC limit */
	/* Prefix of the generic failure line, "Couldn't watch" (inotifywait)
	 * or "Failed to watch" (inotifywatch): "<fail> %s: %s". */
	const char *fail;
	/* Route of the messages: cli_msg (inotifywait, may be syslog) or
	 * cli_err (inotifywatch). */
	void (*out)(const char *fmt, ...) CLI_PRINTF(1, 2);
};

/* Add the watch(es) for one path.  Prints nothing; returns 0 or -errno. */
int cli_watch_path(struct itl *ctx, const char *path, uint32_t mask,
    const char *const *excl, int flags);
/* Print the failure of path with error err (-errno or errno): the ENOSPC
 * two-liner ("Failed to watch %s; upper limit on inotify watches reached!"
 * + "Please increase ..."), "Couldn't add filesystem watch %s: %s" under
 * CLI_WATCH_FILESYSTEM, otherwise "<o->fail> %s: %s". */
void cli_watch_error(const struct cli_watch_opts *o, const char *path,
    int err);
/* Watch every path in order; stop at the first failure, print it and
 * return -1.  Watches already added stay. */
int cli_watch_all(struct itl *ctx, const struct cli_paths *p, uint32_t mask,
    const struct cli_watch_opts *o);

#endif /* CLI_H */
