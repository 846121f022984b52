/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tap.h: a tiny TAP producer for the unit tests.  Each check prints one
 * "ok N - name" or "not ok N - name" line with got/want on failure; main()
 * ends with "return tap_done();" which prints the plan. */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int tap_ok(int cond, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline int
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __VA_ARGS__)

#define is_int(got, want, ...) do {					\
	long long got_ = (got), want_ = (want);				\
	if (!tap_ok(got_ == want_, __VA_ARGS__))			\
		printf("#   got:  %lld\n#   want: %lld\n", got_, want_);	\
} while (0)

#define is_str(got, want, ...) do {					\
	const char *got_ = (got), *want_ = (want);			\
	int same_ = got_ && want_ ? strcmp(got_, want_) == 0 : got_ == want_; \
	if (!tap_ok(same_, __VA_ARGS__))				\
		printf("#   got:  \"%s\"\n#   want: \"%s\"\n",		\
		    got_ ? got_ : "(null)", want_ ? want_ : "(null)");	\
} while (0)

/* Compare n bytes (output may hold NULs). */
#define is_mem(got, gotlen, want, wantlen, ...) do {			\
	size_t gl_ = (gotlen), wl_ = (wantlen);				\
	if (!tap_ok(gl_ == wl_ && memcmp((got), (want), gl_) == 0, __VA_ARGS__)) \
		printf("#   got:  \"%.*s\" (%zu)\n#   want: \"%.*s\" (%zu)\n", \
		    (int)gl_, (const char *)(got), gl_, (int)wl_,	\
		    (const char *)(want), wl_);				\
} while (0)

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif /* TAP_H */
