/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-events.c: event names <-> masks (events.c). */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "itl.h"
#include "tap.h"

#define ALL_PRINTED \
	"ACCESS,MODIFY,ATTRIB,CLOSE_WRITE,CLOSE_NOWRITE,OPEN,MOVED_FROM," \
	"MOVED_TO,CREATE,DELETE,DELETE_SELF,UNMOUNT,Q_OVERFLOW,IGNORED,CLOSE," \
	"MOVE_SELF,ISDIR,ONESHOT"

static const char *
render(uint32_t mask, char sep)
{
	static char buf[ITL_EVENTS_STRMAX];

	itl_events_render(mask, sep, buf, sizeof(buf));
	return buf;
}

/* -1 for an error, else the mask. */
static long long
parse(const char *s, char sep)
{
	uint32_t m = 0xdeadbeef;
	int r;

	r = itl_events_parse(s, sep, &m);
	if (r < 0)
		return m == 0xdeadbeef ? r : -999;	/* *mask untouched */
	return m;
}

static void
every_name_parses_to_its_mask(void)
{
	const struct itl_event_name *e;
	char lower[32];
	size_t i;

	for (e = itl_event_names; e->name != NULL; e++) {
		is_int(parse(e->name, ','), e->mask, "parse %s", e->name);
		for (i = 0; e->name[i] != '\0'; i++)
			lower[i] = (char)tolower((unsigned char)e->name[i]);
		lower[i] = '\0';
		is_int(parse(lower, ','), e->mask, "parse %s", lower);
	}
	ok(e - itl_event_names == 20, "20 names");
}

static void
single_bits_render_as_their_name(void)
{
	const struct itl_event_name *e;
	char want[64];

	for (e = itl_event_names; e->name != NULL; e++) {
		if (itl_events_bit(e->mask) < 0)
			continue;
		snprintf(want, sizeof(want), "%s%s", e->name,
		    e->mask & IN_CLOSE ? ",CLOSE" : "");
		is_str(render(e->mask, ','), want, "render %s", e->name);
		is_int(parse(render(e->mask, ','), ','),
		    e->mask & IN_CLOSE ? e->mask | IN_CLOSE : e->mask,
		    "round trip %s", e->name);
	}
}

static void
round_trip_with_separators(void)
{
	static const char seps[] = ",:| \t-.;/";
	static const uint32_t masks[] = {
		IN_MODIFY | IN_ISDIR, IN_ALL_EVENTS, IN_MOVE | IN_ONESHOT,
		IN_CLOSE_WRITE | IN_CLOSE | IN_Q_OVERFLOW | IN_IGNORED,
		IN_CREATE | IN_DELETE | IN_UNMOUNT | IN_MOVE_SELF,
	};
	size_t i, j;

	for (i = 0; i < sizeof(seps) - 1; i++)
		for (j = 0; j < sizeof(masks) / sizeof(masks[0]); j++)
			is_int(parse(render(masks[j], seps[i]), seps[i]),
			    masks[j], "round trip 0x%x sep '%c'", masks[j],
			    seps[i]);
}

static void
parse_is_case_insensitive(void)
{
	is_int(parse("MoDiFy", ','), IN_MODIFY, "MoDiFy");
	is_int(parse("close_WRITE,Create", ','), IN_CLOSE_WRITE | IN_CREATE,
	    "close_WRITE,Create");
	is_int(parse("All_Events", ','), IN_ALL_EVENTS, "All_Events");
	is_int(parse("isdir:Q_overflow", ':'), IN_ISDIR | IN_Q_OVERFLOW,
	    "isdir:Q_overflow with ':'");
}

static void
empty_tokens_give_zero(void)
{
	is_int(parse("", ','), 0, "\"\" is 0");
	is_int(parse(",", ','), 0, "\",\" is 0");
	is_int(parse("modify,", ','), 0, "trailing sep: 0");
	is_int(parse(",modify", ','), 0, "leading sep: 0");
	is_int(parse("modify,,create", ','), 0, "doubled sep: 0");
	is_int(parse("open,,bogus", ','), 0, "empty token ends the parse");
	is_int(parse("modify", '\0'), IN_MODIFY, "sep NUL: one name");
}

static void
parse_errors(void)
{
	is_int(parse("bogus", ','), -EINVAL, "unknown name");
	is_int(parse("modify,bogus", ','), -EINVAL, "unknown after a good one");
	is_int(parse("bogus,,modify", ','), -EINVAL, "unknown before empty");
	is_int(parse("modif", ','), -EINVAL, "prefix of a name");
	is_int(parse("modifyx", ','), -EINVAL, "name with a suffix");
	is_int(parse(" modify", ','), -EINVAL, "no trimming");
	is_int(parse("modify,create", ':'), -EINVAL, "wrong separator");
	is_int(parse("modify", 'a'), -EINVAL, "sep 'a'");
	is_int(parse("modify", 'Z'), -EINVAL, "sep 'Z'");
	is_int(parse("modify", '_'), -EINVAL, "sep '_'");
	is_int(parse("modify", '0'), IN_MODIFY, "sep '0' is allowed");
}

static void
render_order_and_quirks(void)
{
	is_str(render(0xffffffff, ','), ALL_PRINTED, "fixed print order");
	is_str(render(IN_CLOSE_WRITE, ':'), "CLOSE_WRITE:CLOSE", "%%:e");
	is_str(render(IN_MODIFY | IN_ISDIR, '_'), "MODIFY_ISDIR", "%%_e");
	is_str(render(IN_CLOSE_NOWRITE | IN_OPEN | IN_ISDIR, ','),
	    "CLOSE_NOWRITE,OPEN,CLOSE,ISDIR", "CLOSE after the close bits");
	is_str(render(IN_MOVE, ','), "MOVED_FROM,MOVED_TO",
	    "MOVE never printed");
	is_str(render(0x00100000, ','), "0x00100000", "unknown bit as hex");
	is_str(render(0, ','), "0x00000000", "zero as hex");
	is_str(render(IN_MODIFY | 0x00100000, ','), "MODIFY",
	    "unknown bits dropped");
	is_str(render(IN_DELETE_SELF, ','), "DELETE_SELF", "no ISDIR added");
	ok(strlen(render(0xffffffff, ',')) < ITL_EVENTS_STRMAX,
	    "ITL_EVENTS_STRMAX fits everything");
}

/* The obvious renderer: walk the 18 printed entries in order. */
static void
naive(uint32_t mask, char sep, char *buf)
{
	const struct itl_event_name *e;
	char *p = buf;

	for (e = itl_event_names; strcmp(e->name, "MOVE") != 0; e++) {
		if ((mask & e->mask) == 0)
			continue;
		if (p != buf)
			*p++ = sep;
		p = stpcpy(p, e->name);
	}
	if (p == buf)
		sprintf(buf, "0x%08x", mask);
	else
		*p = '\0';
}

static void
render_matches_naive_renderer(void)
{
	char want[ITL_EVENTS_STRMAX];
	uint32_t x = 2463534242u, mask;
	int i, bad = 0, bit;

	for (bit = 0; bit < 32; bit++) {
		naive(1u << bit, ',', want);
		bad += strcmp(render(1u << bit, ','), want) != 0;
	}
	for (i = 0; i < 100000; i++) {
		x ^= x << 13;	/* xorshift32 */
		x ^= x >> 17;
		x ^= x << 5;
		mask = x & (i % 3 == 0 ? 0xffffffffu : 0xc000ffffu);
		naive(mask, ':', want);
		if (strcmp(render(mask, ':'), want) != 0 && bad++ == 0)
			printf("# 0x%08x: got %s want %s\n", mask,
			    render(mask, ':'), want);
	}
	is_int(bad, 0, "32 single bits and 100000 masks as the naive way");
}

static void
render_truncates_like_snprintf(void)
{
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	is_int(itl_events_render(IN_CLOSE_WRITE, ',', buf, 5), 17,
	    "returns the full length");
	is_str(buf, "CLOS", "truncated and terminated");
	ok(buf[5] == 'x', "nothing written past size");
	buf[0] = 'x';
	is_int(itl_events_render(IN_ACCESS, ',', buf, 0), 6, "size 0: length");
	ok(buf[0] == 'x', "size 0: nothing written");
	is_int(itl_events_render(0x100, ',', buf, sizeof(buf)), 6, "CREATE");
}

static void
bit_index(void)
{
	is_int(itl_events_bit(IN_ACCESS), 0, "ACCESS is bit 0");
	is_int(itl_events_bit(IN_UNMOUNT), 13, "UNMOUNT is bit 13");
	is_int(itl_events_bit(IN_ISDIR), 30, "ISDIR is bit 30");
	is_int(itl_events_bit(IN_ONESHOT), 31, "ONESHOT is bit 31");
	is_int(itl_events_bit(0), -1, "0: not one bit");
	is_int(itl_events_bit(IN_CLOSE), -1, "CLOSE: not one bit");
}

int
main(void)
{
	every_name_parses_to_its_mask();
	single_bits_render_as_their_name();
	round_trip_with_separators();
	parse_is_case_insensitive();
	empty_tokens_give_zero();
	parse_errors();
	render_order_and_quirks();
	render_matches_naive_renderer();
	render_truncates_like_snprintf();
	bit_index();
	return tap_done();
}
