/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * format.c: the --format compiler and renderer.  Input: the format, a NUL,
 * the name, a NUL, then the mask and cookie (4 bytes each, host order; what
 * is missing is 0).  The event's wd is the one watch of the context (%w is
 * its path) or, with an odd cookie, a wd never seen (%w is "").
 * Properties: rendering appends (what was in the buffer stays), and a
 * format without '%' renders as itself.
 */
#include <string.h>

#include "fuzz.h"
#include "itl.h"

static struct itl *ctx;
static int watch_wd;

static void
setup(void)
{
	struct itl_watch *w;
	char path[80];

	if (itl_open(&ctx, NULL) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/", fuzz_tmpdir());
	if (itl_watch_add(ctx, fuzz_tmpdir(), IN_ALL_EVENTS) < 0 ||
	    (w = itl_watch_by_path(ctx, path)) == NULL)
		abort();
	watch_wd = itl_watch_wd(w);
}

static uint32_t
word(const uint8_t *data, size_t size, size_t pos)
{
	uint32_t v = 0;

	if (pos < size)
		memcpy(&v, data + pos, size - pos < 4 ? size - pos : 4);
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct itl_buf out = {0};
	struct itl_format *f;
	struct itl_event ev = {0};
	size_t pos = 0, flen, nlen;
	char *fmt, *name;

	if (ctx == NULL)
		setup();
	fmt = fuzz_field(data, size, &pos, &flen);
	name = fuzz_field(data, size, &pos, &nlen);
	ev.mask = word(data, size, pos);
	ev.cookie = word(data, size, pos + 4);
	ev.wd = ev.cookie & 1 ? 12345 : watch_wd;
	ev.name = name;
	ev.name_len = (uint32_t)nlen;
	if (itl_format_compile(fmt, "%H:%M", &f) == 0) {
		if (itl_buf_append(&out, "<", 1) < 0 ||
		    itl_format_render(ctx, f, &ev, &out) < 0)
			abort();
		fuzz_require(out.len >= 1 && out.data[0] == '<',
		    "render appends");
		if (strchr(fmt, '%') == NULL)
			fuzz_require(out.len == flen + 1 &&
			    memcmp(out.data + 1, fmt, flen) == 0,
			    "a format without % renders as itself");
		itl_format_free(f);
	} else
		fuzz_require(flen == 0, "only an empty format is refused");
	itl_buf_free(&out);
	free(fmt);
	free(name);
	return 0;
}
