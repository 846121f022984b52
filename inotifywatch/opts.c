/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * opts.c: inotifywatch's command line, as upstream 4.25.9.0 parses it:
 * getopt_long with "hrPa:d:zve:t:IFS", the validation after the loop and
 * its messages, and --help.
 *
 * Where it differs from upstream: -d move / -d close are rejected like -a; -d
 * access (and -d "") sort by that key descending instead of colliding
 * with upstream's "descending total" sentinel; a key that has no column
 * (a comma list, isdir, ...) is rejected instead of crashing.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "iw.h"

enum {
	OPT_FROMFILE = 256,
	OPT_EXCLUDE,
	OPT_EXCLUDEI,
	OPT_INCLUDE,
	OPT_INCLUDEI,
	OPT_VERSION,
};

static const char optstring[] = "hrPa:d:zve:t:IFS";

static const struct option longopts[] = {
	{ "help",		no_argument,		NULL, 'h' },
	{ "event",		required_argument,	NULL, 'e' },
	{ "timeout",		required_argument,	NULL, 't' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "zero",		no_argument,		NULL, 'z' },
	{ "ascending",		required_argument,	NULL, 'a' },
	{ "descending",		required_argument,	NULL, 'd' },
	{ "recursive",		no_argument,		NULL, 'r' },
	{ "inotify",		no_argument,		NULL, 'I' },
	{ "fanotify",		no_argument,		NULL, 'F' },
	{ "filesystem",		no_argument,		NULL, 'S' },
	{ "no-dereference",	no_argument,		NULL, 'P' },
	{ "fromfile",		required_argument,	NULL, OPT_FROMFILE },
	{ "exclude",		required_argument,	NULL, OPT_EXCLUDE },
	{ "excludei",		required_argument,	NULL, OPT_EXCLUDEI },
	{ "include",		required_argument,	NULL, OPT_INCLUDE },
	{ "includei",		required_argument,	NULL, OPT_INCLUDEI },
	{ "version",		no_argument,		NULL, OPT_VERSION },
	{ NULL,			0,			NULL, 0 },
};

/* --help, upstream's text, around the three lines that name the tool. */
static const char help_options[] =
	"Options:\n"
	"\t-h|--help    \tShow this help text.\n"
	"\t-v|--verbose \tBe verbose.\n"
	"\t@<file>       \tExclude the specified file from being watched.\n"
	"\t--fromfile <file>\n"
	"\t\tRead files to watch from <file> or `-' for stdin.\n"
	"\t--exclude <pattern>\n"
	"\t\tExclude all events on files matching the extended regular\n"
	"\t\texpression <pattern>.\n"
	"\t--excludei <pattern>\n"
	"\t\tLike --exclude but case insensitive.\n"
	"\t--include <pattern>\n"
	"\t\tExclude all events on files except the ones\n"
	"\t\tmatching the extended regular expression\n"
	"\t\t<pattern>.\n"
	"\t--includei <pattern>\n"
	"\t\tLike --include but case insensitive.\n"
	"\t-z|--zero\n"
	"\t\tIn the final table of results, output rows and columns even\n"
	"\t\tif they consist only of zeros (the default is to not output\n"
	"\t\tthese rows and columns).\n"
	"\t-r|--recursive\tWatch directories recursively.\n"
	"\t-I|--inotify\tWatch with inotify.\n"
	"\t-F|--fanotify\tWatch with fanotify.\n"
	"\t-S|--filesystem\tWatch entire filesystem with fanotify.\n"
	"\t-P|--no-dereference\n"
	"\t\tDo not follow symlinks.\n";

static const char help_tail[] =
	"\t-e|--event <event1> [ -e|--event <event2> ... ]\n"
	"\t\tListen for specific event(s).  If omitted, all events are \n"
	"\t\tlistened for.\n"
	"\t-a|--ascending <event>\n"
	"\t\tSort ascending by a particular event, or `total'.\n"
	"\t-d|--descending <event>\n"
	"\t\tSort descending by a particular event, or `total'.\n\n"
	"Exit status:\n"
	"\t0  -  Exited normally.\n"
	"\t1  -  Some error occurred.\n\n"
	"Events:\n";

static void
usage(const char *progname)
{
	printf("%s %s\n", progname, PACKAGE_VERSION);
	printf("Gather filesystem usage statistics using %s.\n", progname);
	printf("Usage: %s [ options ] file1 [ file2 ] [ ... ]\n", progname);
	fputs(help_options, stdout);
	printf("\t-t|--timeout <seconds>\n"
	    "\t\tListen only for specified amount of time in seconds; if\n"
	    "\t\tomitted or zero, %s will execute until receiving an\n"
	    "\t\tinterrupt signal.\n", progname);
	fputs(help_tail, stdout);
	cli_print_events_help(stdout);
	fflush(stdout);
}

/*
 * -a/-d argument: "total" (key 0) or an event name.  Upstream's messages
 * for move and close and for unknown names; the rest of the key checks run
 * after the loop (key_check), in upstream's order.
 */
static int
sort_key(const char *arg, uint32_t *key)
{
	uint32_t mask = 0;

	if (strcasecmp(arg, "total") == 0) {
		*key = 0;
		return 0;
	}
	if (strcasecmp(arg, "move") == 0) {
		cli_err("Cannot sort by `move' event; please use `moved_from' "
		    "or `moved_to'.\n");
		return -1;
	}
	if (strcasecmp(arg, "close") == 0) {
		cli_err("Cannot sort by `close' event; please use "
		    "`close_write' or `close_nowrite'.\n");
		return -1;
	}
	if (itl_events_parse(arg, ',', &mask) < 0) {
		cli_err("'%s' is not a valid key for sorting!\n", arg);
		return -1;
	}
	*key = mask;
	return 0;
}

/* The -a/-d key against the -e mask, after the option loop. */
static int
key_check(const struct iw_opts *o, const char *keyarg)
{
	uint32_t key = o->sort.key;

	if (key == 0)
		return 0;
	if ((key & (o->events ? o->events : ITL_ALL_EVENTS)) == 0) {
		cli_err("Can't sort by an event which isn't being watched "
		    "for!\n");
		return -1;
	}
	if (key == IN_MOVE)
		return sort_key("move", &key);
	if (key == IN_CLOSE)
		return sort_key("close", &key);
	if (!iw_table_column(key)) {
		cli_err("'%s' is not a valid key for sorting!\n", keyarg);
		return -1;
	}
	return 0;
}

/* One option; returns 0 to go on, 1 to stop with failure, 2 for
 * --version. */
static int
one_opt(struct iw_opts *o, int c, const char *arg, int *sort_set,
    const char **keyarg)
{
	switch (c) {
	case 'h':
		usage(o->progname);
		return 1;
	case OPT_VERSION:
		return 2;
	case 'v':
		o->verbose++;
		break;
	case 'r':
		o->recursive++;
		break;
	case 'I':
		o->backend = ITL_INOTIFY;
		break;
	case 'F':
		o->backend = ITL_FANOTIFY;
		break;
	case 'S':
		o->filesystem = 1;
		o->backend = ITL_FANOTIFY;
		break;
	case 'P':
		o->no_deref++;
		break;
	case 'z':
		o->zero++;
		break;
	case OPT_EXCLUDE:
		o->rx.exclude = arg;
		break;
	case OPT_EXCLUDEI:
		o->rx.excludei = arg;
		break;
	case OPT_INCLUDE:
		o->rx.include = arg;
		break;
	case OPT_INCLUDEI:
		o->rx.includei = arg;
		break;
	case OPT_FROMFILE:
		if (o->fromfile != NULL) {
			cli_err("Multiple --fromfile options given.\n");
			return 1;
		}
		o->fromfile = arg;
		break;
	case 't':
		if (cli_parse_timeout(arg, &o->timeout) != 0)
			return 1;
		break;
	case 'e':
		if (cli_parse_events(arg, &o->events) != 0)
			return 1;
		break;
	case 'a':
	case 'd':
		/* Upstream: -a sets "sort given", -d only checks it. */
		if (*sort_set) {
			cli_err("Please specify -a or -d once only!\n");
			return 1;
		}
		if (sort_key(arg, &o->sort.key) != 0)
			return 1;
		o->sort.ascending = c == 'a';
		*keyarg = arg;
		if (c == 'a')
			*sort_set = 1;
		break;
	}
	return 0;
}

int
iw_opts_parse(struct iw_opts *o, int argc, char *argv[])
{
	const char *keyarg = "total";
	int c, r = 0, sort_set = 0, bad = 0;

	memset(o, 0, sizeof(*o));
	o->progname = cli_progname(argc > 0 ? argv[0] : NULL);
	o->backend = cli_default_backend(argc > 0 ? argv[0] : NULL);
	o->sort.key = 0;
	o->sort.ascending = 0;

	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		if (c == '?') {
			bad = 1;
			break;
		}
		if ((r = one_opt(o, c, optarg, &sort_set, &keyarg)) != 0)
			break;
	}
	if (r == 1)
		return CLI_EXIT_FAILURE;
	if (r == 2) {
		cli_print_version(o->progname);
		return CLI_EXIT_SUCCESS;
	}
	/* Upstream validates even after a getopt error, then fails. */
	if (key_check(o, keyarg) != 0 || cli_regex_check(&o->rx) != 0 || bad)
		return CLI_EXIT_FAILURE;
	o->argc = argc - optind;
	o->argv = argv + optind;
	return IW_OPTS_RUN;
}
