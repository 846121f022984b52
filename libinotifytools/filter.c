/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * filter.c: the one --exclude/--include regular expression, matched
 * against "%w%f" inside itl_next().
 */
#include <errno.h>
#include <regex.h>
#include <string.h>

#include "itl-core.h"

void
itl_filter_free(struct itl *ctx)
{
	if (ctx->re_on)
		regfree(&ctx->re);
	ctx->re_on = 0;
	ctx->ok_pos = SIZE_MAX;
	ctx->ok_known = 0;
}

/* cflags go to regcomp(3) as they are (with REG_NOSUB): for api.c. */
int
itl_filter_set_raw(struct itl *ctx, const char *pattern, int cflags,
    int flags)
{
	itl_filter_free(ctx);
	if (pattern == NULL)
		return 0;
	if (regcomp(&ctx->re, pattern, cflags | REG_NOSUB) != 0)
		return -EINVAL;
	ctx->re_on = 1;
	ctx->re_flags = flags;
	return 0;
}

int
itl_filter_set(struct itl *ctx, const char *pattern, int flags)
{
	return itl_filter_set_raw(ctx, pattern, REG_EXTENDED |
	    ((flags & ITL_FILTER_ICASE) ? REG_ICASE : 0), flags);
}

/* Does the filter drop ev?  Overflow is never dropped, nor (with
 * ITL_FILTER_RECURSIVE) a directory that appears. */
int
itl_filter_drops(struct itl *ctx, const struct itl_event *ev)
{
	const char *w;
	size_t len;
	int match;

	if (!ctx->re_on || ev->wd < 0 || (ev->mask & IN_Q_OVERFLOW))
		return 0;
	if ((ctx->re_flags & ITL_FILTER_RECURSIVE) && (ev->mask & IN_ISDIR) &&
	    (ev->mask & (IN_CREATE | IN_MOVED_TO)))
		return 0;
	w = itl_wd_path(ctx, ev->wd, &len);
	ctx->tmp.len = 0;
	if (itl_buf_append(&ctx->tmp, w, len) < 0 ||
	    itl_buf_append(&ctx->tmp, ev->name, ev->name_len + 1) < 0)
		return 0;
	match = regexec(&ctx->re, ctx->tmp.data, 0, NULL, 0) == 0;
	return (ctx->re_flags & ITL_FILTER_INVERT) ? !match : match;
}
