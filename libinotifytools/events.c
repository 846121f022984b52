/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * events.c: the event-name table and conversions between names and masks.
 *
 * One table drives everything: parsing (-e, inotifytools_str_to_event),
 * rendering (%e, the default output, CSV) and the EVENTS part of --help.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "itl.h"

/*
 * The one list of names: mask, name, --help text (NULL: not in --help).  The
 * first NPRINT entries are printed, in this order; the rest are parse-only.
 */
#define EVENT_LIST(X)							\
	X(IN_ACCESS, "ACCESS",						\
	    "file or directory contents were read")			\
	X(IN_MODIFY, "MODIFY",						\
	    "file or directory contents were written")			\
	X(IN_ATTRIB, "ATTRIB",						\
	    "file or directory attributes changed")			\
	X(IN_CLOSE_WRITE, "CLOSE_WRITE",				\
	    "file or directory closed, after being opened in\n"		\
	    "writable mode")						\
	X(IN_CLOSE_NOWRITE, "CLOSE_NOWRITE",				\
	    "file or directory closed, after being opened in\n"		\
	    "read-only mode")						\
	X(IN_OPEN, "OPEN",						\
	    "file or directory opened")					\
	X(IN_MOVED_FROM, "MOVED_FROM",					\
	    "file or directory moved from watched directory")		\
	X(IN_MOVED_TO, "MOVED_TO",					\
	    "file or directory moved to watched directory")		\
	X(IN_CREATE, "CREATE",						\
	    "file or directory created within watched directory")	\
	X(IN_DELETE, "DELETE",						\
	    "file or directory deleted within watched directory")	\
	X(IN_DELETE_SELF, "DELETE_SELF",				\
	    "file or directory was deleted")				\
	X(IN_UNMOUNT, "UNMOUNT",					\
	    "file system containing file or directory unmounted")	\
	X(IN_Q_OVERFLOW, "Q_OVERFLOW", NULL)				\
	X(IN_IGNORED, "IGNORED", NULL)					\
	X(IN_CLOSE, "CLOSE",						\
	    "file or directory closed, regardless of read/write mode")	\
	X(IN_MOVE_SELF, "MOVE_SELF",					\
	    "A watched file or directory was moved.")			\
	X(IN_ISDIR, "ISDIR", NULL)					\
	X(IN_ONESHOT, "ONESHOT", NULL)					\
	X(IN_MOVE, "MOVE",						\
	    "file or directory moved to or from watched directory")	\
	X(IN_ALL_EVENTS, "ALL_EVENTS", NULL)

#define NPRINT	18

#define AS_ENTRY(mask, name, help)	{ mask, name, help },
#define AS_LEN(mask, name, help)	sizeof(name) - 1,

const struct itl_event_name itl_event_names[] = {
	EVENT_LIST(AS_ENTRY)
	{ 0, NULL, NULL }
};

/* strlen() of each name, for rendering without strlen() per event. */
static const unsigned char name_len[] = { EVENT_LIST(AS_LEN) };

/*
 * The EVENTS block of upstream's --help: its order, and the tabs after each
 * name (upstream aligns on column 24, except for move_self).
 */
static const struct {
	uint32_t mask;
	const char *tabs;
} help_order[] = {
	{ IN_ACCESS, "\t\t" },		{ IN_MODIFY, "\t\t" },
	{ IN_ATTRIB, "\t\t" },		{ IN_CLOSE_WRITE, "\t" },
	{ IN_CLOSE_NOWRITE, "\t" },	{ IN_CLOSE, "\t\t" },
	{ IN_OPEN, "\t\t" },		{ IN_MOVED_TO, "\t" },
	{ IN_MOVED_FROM, "\t" },	{ IN_MOVE, "\t\t" },
	{ IN_MOVE_SELF, "\t\t" },	{ IN_CREATE, "\t\t" },
	{ IN_DELETE, "\t\t" },		{ IN_DELETE_SELF, "\t" },
	{ IN_UNMOUNT, "\t\t" },
};

#define HELP_CONT	"\t           \t"	/* continuation line indent */

static const struct itl_event_name *
lookup(const char *s, size_t len)
{
	const struct itl_event_name *e;

	for (e = itl_event_names; e->name != NULL; e++)
		if (strncasecmp(e->name, s, len) == 0 && e->name[len] == '\0')
			return e;
	return NULL;
}

static const struct itl_event_name *
by_mask(uint32_t mask)
{
	const struct itl_event_name *e;

	for (e = itl_event_names; e->name != NULL; e++)
		if (e->mask == mask)
			return e;
	return NULL;
}

static int
bad_sep(char sep)
{
	return (sep >= 'a' && sep <= 'z') || (sep >= 'A' && sep <= 'Z') ||
	    sep == '_';
}

/*
 * Upstream's rules, token by token from the left: an unknown name fails,
 * and an empty token (leading, trailing or doubled sep) makes the whole
 * result 0, whatever came before it.
 */
int
itl_events_parse(const char *s, char sep, uint32_t *mask)
{
	const struct itl_event_name *e;
	const char *end;
	uint32_t m = 0;
	size_t len;

	if (bad_sep(sep))
		return -EINVAL;
	for (;;) {
		end = sep != '\0' ? strchr(s, sep) : NULL;
		len = end != NULL ? (size_t)(end - s) : strlen(s);
		if (len == 0) {
			m = 0;
			break;
		}
		if ((e = lookup(s, len)) == NULL)
			return -EINVAL;
		m |= e->mask;
		if (end == NULL)
			break;
		s = end + 1;
	}
	*mask = m;
	return 0;
}

/*
 * Rendering walks the set bits only.  The print order is bit order for
 * ACCESS..DELETE_SELF, UNMOUNT, Q_OVERFLOW and IGNORED (HEAD_BITS), which
 * are found with ctz; the rest of the print order (CLOSE, MOVE_SELF, ISDIR,
 * ONESHOT) are the table entries from TAIL on.  by_bit[] maps a HEAD bit to
 * its entry.  test-events.c checks all of this against the table.
 */
#define HEAD_BITS	(0x7ffu | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED)
#define TAIL		14	/* index of CLOSE */
static const unsigned char by_bit[16] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0xff, 0xff, 11, 12, 13
};

static char *
put_name(char *p, char *start, char sep, size_t i)
{
	if (p != start)
		*p++ = sep;
	memcpy(p, itl_event_names[i].name, name_len[i]);
	return p + name_len[i];
}

/* Write the names of mask to p (room for ITL_EVENTS_STRMAX); the length. */
static size_t
render(uint32_t mask, char sep, char *p)
{
	char *start = p;
	uint32_t head = mask & HEAD_BITS;
	size_t i;

	for (; head != 0; head &= head - 1)
		p = put_name(p, start, sep, by_bit[__builtin_ctz(head)]);
	for (i = TAIL; i < NPRINT; i++)
		if (mask & itl_event_names[i].mask)
			p = put_name(p, start, sep, i);
	if (p == start)
		return (size_t)snprintf(p, ITL_EVENTS_STRMAX, "0x%08x",
		    (unsigned)mask);
	*p = '\0';
	return (size_t)(p - start);
}

size_t
itl_events_render(uint32_t mask, char sep, char *buf, size_t size)
{
	char tmp[ITL_EVENTS_STRMAX];
	size_t len, n;

	if (size >= ITL_EVENTS_STRMAX)
		return render(mask, sep, buf);
	len = render(mask, sep, tmp);
	if (size > 0) {
		n = len < size ? len : size - 1;
		memcpy(buf, tmp, n);
		buf[n] = '\0';
	}
	return len;
}

int
itl_events_bit(uint32_t mask)
{
	if (mask == 0 || (mask & (mask - 1)) != 0)
		return -1;
	return __builtin_ctz(mask);
}

static int
help_line(struct itl_buf *out, const struct itl_event_name *e,
    const char *tabs)
{
	const char *s;
	int r;

	if ((r = itl_buf_putc(out, '\t')) < 0)
		return r;
	for (s = e->name; *s != '\0'; s++)
		if ((r = itl_buf_putc(out, *s >= 'A' && *s <= 'Z' ?
		    (char)(*s - 'A' + 'a') : *s)) < 0)
			return r;
	if ((r = itl_buf_append(out, tabs, strlen(tabs))) < 0)
		return r;
	for (s = e->help; *s != '\0'; s++) {
		r = *s == '\n' ?
		    itl_buf_append(out, "\n" HELP_CONT,
		    sizeof("\n" HELP_CONT) - 1) :
		    itl_buf_putc(out, *s);
		if (r < 0)
			return r;
	}
	return itl_buf_putc(out, '\n');
}

int
itl_events_help(struct itl_buf *out)
{
	const struct itl_event_name *e;
	size_t i, len0 = out->len;
	int r;

	for (i = 0; i < sizeof(help_order) / sizeof(help_order[0]); i++) {
		e = by_mask(help_order[i].mask);
		if ((r = help_line(out, e, help_order[i].tabs)) < 0) {
			out->len = len0;
			return r;
		}
	}
	return 0;
}
