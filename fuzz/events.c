/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * events.c: event-name lists, as -e of both tools, -a/-d of inotifywatch
 * and the upstream API take them.  Input: the list, a NUL, a sort key, a
 * NUL, a separator byte.  Properties: every parser agrees with
 * itl_events_parse(); a parsed list renders within ITL_EVENTS_STRMAX and
 * parses back to (at least) the same bits; inotifywatch's option parser
 * returns a documented status.
 */
#include <string.h>
#include <getopt.h>

#include "fuzz.h"
#include "cli.h"
#include "iw.h"
#include "inotifytools/inotifytools.h"

static void
round_trip(uint32_t mask, char sep)
{
	char buf[ITL_EVENTS_STRMAX];
	uint32_t back = 0;
	size_t n;

	n = itl_events_render(mask, sep, buf, sizeof(buf));
	fuzz_require(n < sizeof(buf) && strlen(buf) == n,
	    "rendering fits ITL_EVENTS_STRMAX");
	if (mask == 0)
		return;
	fuzz_require(itl_events_parse(buf, sep, &back) == 0,
	    "a rendered list parses");
	fuzz_require((back & mask) == mask, "parse(render(m)) holds m");
}

static void
list(const char *s, char sep)
{
	uint32_t mask = 0, cli = 0;
	int r = itl_events_parse(s, sep, &mask), api;

	api = inotifytools_str_to_event_sep(s, sep);
	fuzz_require(r < 0 ? api == -1 : api == (int)mask,
	    "upstream API agrees");
	if (sep == ',') {
		fuzz_require((cli_parse_events(s, &cli) < 0) == (r < 0),
		    "-e agrees");
		if (r == 0)
			fuzz_require(cli == mask, "-e gives the same mask");
	}
	if (r == 0 && sep != '\0')
		round_trip(mask, sep);
}

static void
watch_opts(char *events, char *key, int descending)
{
	char prog[] = "inotifywatch", e[] = "-e", a[] = "-a", d[] = "-d",
	    path[] = "/nonexistent";
	char *argv[] = { prog, e, events, descending ? d : a, key, path,
	    NULL };
	struct iw_opts o;
	int r;

	optind = 0;
	r = iw_opts_parse(&o, 6, argv);
	fuzz_require(r == IW_OPTS_RUN || r == CLI_EXIT_FAILURE,
	    "inotifywatch options: run or fail");
	if (r == IW_OPTS_RUN)
		fuzz_require(o.argc == 1, "the path is left");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;
	char *s = fuzz_field(data, size, &pos, NULL);
	char *key = fuzz_field(data, size, &pos, NULL);
	char sep = pos < size ? (char)data[pos] : ',';

	list(s, ',');
	list(s, sep);
	list(key, ',');
	/* getopt would take an argument starting with '-' as an option. */
	if (s[0] != '-' && key[0] != '-')
		watch_opts(s, key, sep & 1);
	free(s);
	free(key);
	return 0;
}
