/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * snprintf.c: the upstream-compatible inotifytools_snprintf().  Input: the
 * size argument (2 bytes, little-endian, may exceed MAX_STRLEN), the mask
 * and cookie (4 bytes each), a byte choosing the wd (even: the one watch,
 * odd: one never seen), then the format, a NUL and the event's name.
 * Properties: out->len never exceeds size; nothing at or past size + 1 is
 * written; the return value is -1 or out->len - 1 (out->len with an error
 * from %T).
 */
#include <string.h>

#include "fuzz.h"
#include "inotifytools/inotifytools.h"

#define SENTINEL	0xa5

static int watch_wd;

static void
setup(void)
{
	if (!inotifytools_initialize() ||
	    !inotifytools_watch_file(fuzz_tmpdir(), IN_ALL_EVENTS))
		abort();
	watch_wd = inotifytools_wd_from_filename(fuzz_tmpdir());
	inotifytools_set_printf_timefmt("%F %T");
}

static uint32_t
word(const uint8_t *data, size_t size, size_t pos)
{
	uint32_t v = 0;

	if (pos < size)
		memcpy(&v, data + pos, size - pos < 4 ? size - pos : 4);
	return v;
}

/* An event record holding name, padded as the kernel does. */
static struct inotify_event *
make_event(int wd, uint32_t mask, uint32_t cookie, const char *name,
    size_t nlen)
{
	size_t len = nlen > 0 ? (nlen + 16) & ~(size_t)15 : 0;
	struct inotify_event *ev = calloc(1, sizeof(*ev) + len);

	if (ev == NULL)
		abort();
	ev->wd = wd;
	ev->mask = mask;
	ev->cookie = cookie;
	ev->len = (uint32_t)len;
	if (nlen > 0)
		memcpy(ev->name, name, nlen);
	return ev;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nstring ns;
	struct inotify_event *ev;
	size_t pos = 11, flen, nlen, i;
	char *fmt, *name;
	int osize, r;

	if (watch_wd == 0)
		setup();
	osize = size >= 2 ? (int)(data[0] | data[1] << 8) : 0;
	fmt = fuzz_field(data, size, &pos, &flen);
	name = fuzz_field(data, size, &pos, &nlen);
	ev = make_event(size > 10 && (data[10] & 1) ? 9999 : watch_wd,
	    word(data, size, 2), word(data, size, 6), name, nlen);
	memset(&ns, SENTINEL, sizeof(ns));
	r = inotifytools_snprintf(&ns, osize, ev, fmt);
	if (r != -1) {
		fuzz_require(ns.len <= (unsigned)osize, "len within size");
		fuzz_require(r == (int)ns.len - 1 || r == (int)ns.len,
		    "return value");
	}
	for (i = (size_t)(osize > 0 ? osize : 0) + 1; i < MAX_STRLEN; i++)
		fuzz_require((unsigned char)ns.buf[i] == SENTINEL,
		    "nothing written past size");
	free(ev);
	free(fmt);
	free(name);
	return 0;
}
