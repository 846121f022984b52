/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * events.c: the event-name table and conversions between names and masks.
 *
 * One table drives everything: parsing (-e, inotifytools_str_to_event),
 * rendering (%e, the default output, CSV).  The tools print their own
 * --help text.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "itl.h"

/*
 * The one list of names: mask, name.  The first NPRINT entries are printed,
 * in this order; the rest are parse-only.
 */
#define EVENT_LIST(X)							\
	X(IN_ACCESS, "ACCESS")						\
	X(IN_MODIFY, "MODIFY")						\
	X(IN_ATTRIB, "ATTRIB")						\
	X(IN_CLOSE_WRITE, "CLOSE_WRITE")				\
	X(IN_CLOSE_NOWRITE, "CLOSE_NOWRITE")				\
	X(IN_OPEN, "OPEN")						\
	X(IN_MOVED_FROM, "MOVED_FROM")					\
	X(IN_MOVED_TO, "MOVED_TO")					\
	X(IN_CREATE, "CREATE")						\
	X(IN_DELETE, "DELETE")						\
	X(IN_DELETE_SELF, "DELETE_SELF")				\
	X(IN_UNMOUNT, "UNMOUNT")					\
	X(IN_Q_OVERFLOW, "Q_OVERFLOW")					\
	X(IN_IGNORED, "IGNORED")					\
	X(IN_CLOSE, "CLOSE")						\
	X(IN_MOVE_SELF, "MOVE_SELF")					\
	X(IN_ISDIR, "ISDIR")						\
	X(IN_ONESHOT, "ONESHOT")					\
	X(IN_MOVE, "MOVE")						\
	X(IN_ALL_EVENTS, "ALL_EVENTS")

#define NPRINT	18

#define AS_ENTRY(mask, name)	{ mask, name },
#define AS_LEN(mask, name)	sizeof(name) - 1,

const struct itl_event_name itl_event_names[] = {
	EVENT_LIST(AS_ENTRY)
	{ 0, NULL }
};

/* strlen() of each name, for rendering without strlen() per event. */
static const unsigned char name_len[] = { EVENT_LIST(AS_LEN) };

static const struct itl_event_name *
lookup(const char *s, size_t len)
{
	const struct itl_event_name *e;

	for (e = itl_event_names; e->name != NULL; e++)
		if (strncasecmp(e->name, s, len) == 0 && e->name[len] == '\0')
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
