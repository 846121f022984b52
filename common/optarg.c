/* SPDX-License-Identifier: GPL-2.0-or-later */
/* optarg.c: the -e and -t option arguments, with upstream's messages. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int
cli_parse_events(const char *arg, uint32_t *mask)
{
	uint32_t m = 0;

	if (itl_events_parse(arg, ',', &m) < 0) {
		cli_err("'%s' is not a valid event!  Run with the '--help' "
		    "option to see a list of events.\n", arg);
		return -1;
	}
	*mask |= m;
	return 0;
}

int
cli_parse_timeout(const char *arg, long *out)
{
	char *end;
	long v;

	if (arg == NULL || *arg == '\0') {
		cli_err("The provided value is not a valid timeout value.\n"
		    "Please specify a long int value.\n");
		return -1;
	}
	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno != 0) {
		cli_err("Something went wrong with the timeout value you "
		    "provided.\n%s\n", strerror(errno));
		return -1;
	}
	if (*end != '\0') {
		cli_err("'%s' is not a valid timeout value.\n"
		    "Please specify a long int value.\n", arg);
		return -1;
	}
	*out = v;
	return 0;
}
