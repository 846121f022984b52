/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * timefmt.c: --timefmt, through the tools' %T renderer and the upstream
 * API's (inotifytools_set_printf_timefmt, then "%T").  Input: the strftime
 * format.  Properties: the tools' %T equals strftime's result for the same
 * second when that fits 4096 bytes; the upstream API stays within its
 * buffer.
 */
#include <string.h>
#include <time.h>

#include "fuzz.h"
#include "itl.h"
#include "inotifytools/inotifytools.h"

/* strftime at second now into buf, or -1 when it does not fit (an
 * empty result is told apart by a leading 'x'). */
static long
reference(const char *tf, time_t now, char *buf, size_t size)
{
	struct tm tm;
	size_t n, tlen = strlen(tf);
	char *x = malloc(tlen + 2);

	if (x == NULL || localtime_r(&now, &tm) == NULL)
		abort();
	x[0] = 'x';
	memcpy(x + 1, tf, tlen + 1);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = strftime(buf, size, x, &tm);
#pragma GCC diagnostic pop
	free(x);
	if (n == 0)
		return -1;
	memmove(buf, buf + 1, n - 1);
	return (long)n - 1;
}

static void
tools_clock(const char *tf)
{
	static char want[4096];
	struct itl_buf out = {0};
	struct itl_format *f;
	struct itl_event ev = {0};
	time_t before, after;
	long n;

	ev.name = "";
	if (itl_format_compile("%T", tf, &f) < 0)
		abort();
	before = time(NULL);
	if (itl_format_render(NULL, f, &ev, &out) < 0)
		abort();
	after = time(NULL);
	n = reference(tf, before, want, sizeof(want));
	if (before == after && n >= 0)
		fuzz_require((size_t)n == out.len &&
		    (n == 0 || memcmp(out.data, want, (size_t)n) == 0),
		    "%T is strftime's result");
	itl_format_free(f);
	itl_buf_free(&out);
}

static void
api_clock(const char *tf)
{
	static struct nstring ns;
	struct inotify_event ev = {0};

	inotifytools_set_printf_timefmt(tf);
	(void)inotifytools_snprintf(&ns, MAX_STRLEN, &ev, "%T");
	fuzz_require(ns.len <= MAX_STRLEN, "upstream %T within its buffer");
	inotifytools_clear_timefmt();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0;
	char *tf = fuzz_field(data, size, &pos, NULL);

	tools_clock(tf);
	api_clock(tf);
	free(tf);
	return 0;
}
