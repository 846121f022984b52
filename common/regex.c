/* SPDX-License-Identifier: GPL-2.0-or-later */
/* regex.c: --exclude[i] / --include[i]: conflicts and installation. */
#include "cli.h"

int
cli_regex_check(const struct cli_regex *rx)
{
	int exc = rx->exclude != NULL || rx->excludei != NULL;
	int inc = rx->include != NULL || rx->includei != NULL;

	if (rx->exclude != NULL && rx->excludei != NULL) {
		cli_err("--exclude and --excludei cannot both be "
		    "specified.\n");
		return -1;
	}
	if (rx->include != NULL && rx->includei != NULL) {
		cli_err("--include and --includei cannot both be "
		    "specified.\n");
		return -1;
	}
	if (exc && inc) {
		cli_err("include and exclude regexp cannot both be "
		    "specified.\n");
		return -1;
	}
	return 0;
}

int
cli_regex_inverted(const struct cli_regex *rx)
{
	return rx->include != NULL || rx->includei != NULL;
}

/* Install pattern if given; 0 when absent or accepted. */
static int
install(struct itl *ctx, const char *pattern, int flags, const char *what)
{
	if (pattern == NULL)
		return 0;
	if (itl_filter_set(ctx, pattern, flags) < 0) {
		cli_err("Error in `%s' regular expression.\n", what);
		return -1;
	}
	return 0;
}

int
cli_regex_apply(struct itl *ctx, const struct cli_regex *rx, int recursive)
{
	int rec = recursive ? ITL_FILTER_RECURSIVE : 0;
	int inv = ITL_FILTER_INVERT | rec;

	if (install(ctx, rx->exclude, rec, "exclude") < 0 ||
	    install(ctx, rx->excludei, rec | ITL_FILTER_ICASE,
	    "exclude") < 0)
		return -1;
	if (install(ctx, rx->include, inv, "include") < 0 ||
	    install(ctx, rx->includei, inv | ITL_FILTER_ICASE,
	    "include") < 0)
		return -1;
	return 0;
}
