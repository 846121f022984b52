/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * options.c: inotifywait's command line: getopt_long exactly as upstream
 * ("mrhcdsPqt:fo:e:IFS", long-only options with vals that are not
 * in the short string), the post-loop validation in upstream's order
 * and the --help text.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inotifywait.h"

static const char optstring[] = "mrhcdsPqt:fo:e:IFS";

static const struct option longopts[] = {
	{ "help",		no_argument,		NULL, 'h' },
	{ "event",		required_argument,	NULL, 'e' },
	{ "monitor",		no_argument,		NULL, 'm' },
	{ "quiet",		no_argument,		NULL, 'q' },
	{ "timeout",		required_argument,	NULL, 't' },
	{ "filename",		no_argument,		NULL, 'f' },
	{ "recursive",		no_argument,		NULL, 'r' },
	{ "inotify",		no_argument,		NULL, 'I' },
	{ "fanotify",		no_argument,		NULL, 'F' },
	{ "filesystem",		no_argument,		NULL, 'S' },
	{ "csv",		no_argument,		NULL, 'c' },
	{ "daemon",		no_argument,		NULL, 'd' },
	{ "syslog",		no_argument,		NULL, 's' },
	{ "no-dereference",	no_argument,		NULL, 'P' },
	{ "format",		required_argument,	NULL, 'n' },
	{ "no-newline",		no_argument,		NULL, '0' },
	{ "timefmt",		required_argument,	NULL, 'i' },
	{ "fromfile",		required_argument,	NULL, 'z' },
	{ "outfile",		required_argument,	NULL, 'o' },
	{ "exclude",		required_argument,	NULL, 'a' },
	{ "excludei",		required_argument,	NULL, 'b' },
	{ "include",		required_argument,	NULL, 'j' },
	{ "includei",		required_argument,	NULL, 'k' },
	{ "version",		no_argument,		NULL, 'V' },
	{ NULL,			0,			NULL, 0 }
};

/* Upstream's --help text; %1$s is the program name.  A macro, so that
 * printf checks it as a literal. */
#define HELP_TEXT \
	"%1$s " PACKAGE_VERSION "\n" \
	"Wait for a particular event on a file or set of files.\n" \
	"Usage: %1$s [ options ] file1 [ file2 ] [ file3 ] [ ... ]\n" \
	"Options:\n" \
	"\t-h|--help     \tShow this help text.\n" \
	"\t@<file>       \tExclude the specified file from being watched.\n" \
	"\t--exclude <pattern>\n" \
	"\t              \tExclude all events on files matching the\n" \
	"\t              \textended regular expression <pattern>.\n" \
	"\t              \tOnly the last --exclude option will be\n" \
	"\t              \ttaken into consideration.\n" \
	"\t--excludei <pattern>\n" \
	"\t              \tLike --exclude but case insensitive.\n" \
	"\t--include <pattern>\n" \
	"\t              \tExclude all events on files except the ones\n" \
	"\t              \tmatching the extended regular expression\n" \
	"\t              \t<pattern>.\n" \
	"\t--includei <pattern>\n" \
	"\t              \tLike --include but case insensitive.\n" \
	"\t-m|--monitor  \tKeep listening for events forever or until " \
	"--timeout expires.\n" \
	"\t              \tWithout this option, %1$s will exit after one " \
	"event is received.\n" \
	"\t-d|--daemon   \tSame as --monitor, except run in the background\n" \
	"\t              \tlogging events to a file specified by --outfile.\n" \
	"\t              \tImplies --syslog.\n" \
	"\t-P|--no-dereference\n" \
	"\t              \tDo not follow symlinks.\n" \
	"\t-r|--recursive\tWatch directories recursively.\n" \
	"\t-I|--inotify\tWatch with inotify.\n" \
	"\t-F|--fanotify\tWatch with fanotify.\n" \
	"\t-S|--filesystem\tWatch entire filesystem with fanotify.\n" \
	"\t--fromfile <file>\n" \
	"\t              \tRead files to watch from <file> or `-' for " \
	"stdin.\n" \
	"\t-o|--outfile <file>\n" \
	"\t              \tPrint events to <file> rather than stdout.\n" \
	"\t-s|--syslog   \tSend errors to syslog rather than stderr.\n" \
	"\t-q|--quiet    \tPrint less (only print events).\n" \
	"\t-qq           \tPrint nothing (not even events).\n" \
	"\t--format <fmt>\tPrint using a specified printf-like format\n" \
	"\t              \tstring; read the man page for more details.\n" \
	"\t--no-newline  \tDon't print newline symbol after\n" \
	"\t              \t--format string.\n" \
	"\t--timefmt <fmt>\tstrftime-compatible format string for use with\n" \
	"\t              \t%%T in --format string.\n" \
	"\t-c|--csv      \tPrint events in CSV format.\n" \
	"\t-t|--timeout <seconds>\n" \
	"\t              \tWhen listening for a single event, time out " \
	"after\n" \
	"\t              \twaiting for an event for <seconds> seconds.\n" \
	"\t              \tIf <seconds> is zero, %1$s will never time out.\n" \
	"\t-e|--event <event1> [ -e|--event <event2> ... ]\n" \
	"\t\tListen for specific event(s).  If omitted, all events are \n" \
	"\t\tlistened for.\n" \
	"\n" \
	"Exit status:\n" \
	"\t0  -  An event you asked to watch for was received.\n" \
	"\t1  -  An event you did not ask to watch for was received\n" \
	"\t      (usually delete_self or unmount), or some error occurred.\n" \
	"\t2  -  The --timeout option was given and no events occurred\n" \
	"\t      in the specified interval of time.\n" \
	"\n" \
	"Events:\n"

static void
print_help(const char *name)
{
	printf(HELP_TEXT, name);
	cli_print_events_help(stdout);
}

/* Options that take no argument and only set state. */
static void
set_flag(struct iw_opts *o, int c)
{
	switch (c) {
	case 'm': o->monitor = 1; break;
	case 'q': o->quiet++; break;
	case 'r': o->recursive++; break;
	case 'I': o->backend = ITL_INOTIFY; break;
	case 'F': o->backend = ITL_FANOTIFY; break;
	case 'S': o->filesystem = 1; o->backend = ITL_FANOTIFY; break;
	case 'c': o->csv = 1; break;
	case 'd': o->daemon = o->monitor = o->syslog = 1; break;
	case 's': o->syslog = 1; break;
	case 'P': o->no_deref = 1; break;
	case '0': o->no_newline = 1; break;
	}
}

/* One option from the loop.  Returns 0 to go on, -1 to exit 1, 1 to exit
 * 0 (--version). */
static int
one_option(struct iw_opts *o, int c, int *nexc, int *nexci)
{
	switch (c) {
	case 'h':
		print_help(o->progname);
		return -1;
	case 'V':
		cli_print_version(o->progname);
		return 1;
	case 'f':
		cli_err("The '--filename' option no longer exists.  The "
		    "option it enabled in earlier\nversions of inotifywait "
		    "is now turned on by default.\n");
		return -1;
	case 'n':
		free(o->format);
		if ((o->format = strdup(optarg)) == NULL)
			cli_die_nomem();
		return 0;
	case 'i': o->timefmt = optarg; return 0;
	case 'a': o->rx.exclude = optarg; (*nexc)++; return 0;
	case 'b': o->rx.excludei = optarg; (*nexci)++; return 0;
	case 'j': o->rx.include = optarg; return 0;
	case 'k': o->rx.includei = optarg; return 0;
	case 'z':
		if (o->fromfile != NULL) {
			cli_err("Multiple --fromfile options given.\n");
			return -1;
		}
		o->fromfile = optarg;
		return 0;
	case 'o':
		if (o->outfile != NULL) {
			cli_err("Multiple --outfile options given.\n");
			return -1;
		}
		o->outfile = optarg;
		return 0;
	case 't':
		return cli_parse_timeout(optarg, &o->timeout);
	case 'e':
		return cli_parse_events(optarg, &o->events);
	}
	set_flag(o, c);
	return 0;
}

static void
append_newline(struct iw_opts *o)
{
	size_t n = strlen(o->format);
	char *p = realloc(o->format, n + 2);

	if (p == NULL)
		cli_die_nomem();
	p[n] = '\n';
	p[n + 1] = '\0';
	o->format = p;
}

/* The checks after the getopt loop, in upstream's order: the first
 * failing one gives the message. */
static int
validate(struct iw_opts *o)
{
	if (o->format != NULL && !o->no_newline)
		append_newline(o);
	if (cli_regex_check(&o->rx) < 0)
		return -1;
	if (o->format != NULL && o->csv) {
		cli_err("-c and --format cannot both be specified.\n");
		return -1;
	}
	if (o->format == NULL && o->no_newline) {
		cli_err("--no-newline cannot be specified without "
		    "--format.\n");
		return -1;
	}
	if (o->format == NULL && o->timefmt != NULL) {
		cli_err("--timefmt cannot be specified without --format.\n");
		return -1;
	}
	if (o->format != NULL && strstr(o->format, "%T") != NULL &&
	    o->timefmt == NULL) {
		cli_err("%%T is in --format string, but --timefmt was not "
		    "specified.\n");
		return -1;
	}
	if (o->daemon && o->outfile == NULL) {
		cli_err("-o must be specified with -d.\n");
		return -1;
	}
	return 0;
}

int
iw_options_parse(struct iw_opts *o, int argc, char **argv)
{
	int c, r = 0, nexc = 0, nexci = 0;

	o->progname = cli_progname(argc > 0 ? argv[0] : NULL);
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1 &&
	    c != '?')
		if ((r = one_option(o, c, &nexc, &nexci)) != 0)
			return r;
	if (validate(o) < 0)
		return -1;
	if (nexc > 1)
		cli_err("--exclude: only the last option will be taken into "
		    "consideration.\n");
	if (nexci > 1)
		cli_err("--excludei: only the last option will be taken into "
		    "consideration.\n");
	o->args = argv + optind;
	o->nargs = argc - optind;
	return c == '?' ? -1 : 0;
}

void
iw_options_free(struct iw_opts *o)
{
	free(o->format);
	o->format = NULL;
}
