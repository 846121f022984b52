/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "itl.h"
#include "tap.h"

static void
grows_past_any_fixed_limit(void)
{
	struct itl_buf b = {0};
	size_t i;
	int r = 0;

	for (i = 0; i < 100000 && r == 0; i++)
		r = itl_buf_putc(&b, (char)('a' + i % 26));
	is_int(r, 0, "100000 putc succeed");
	is_int(b.len, 100000, "length is 100000");
	ok(b.data[99999] == (char)('a' + 99999 % 26), "last byte kept");
	itl_buf_free(&b);
	ok(b.data == NULL && b.len == 0, "free resets");
}

static void
appends_bytes_with_nul(void)
{
	struct itl_buf b = {0};

	is_int(itl_buf_append(&b, "a\0b", 3), 0, "append with NUL");
	is_int(itl_buf_append(&b, "", 0), 0, "empty append");
	is_mem(b.data, b.len, "a\0b", 3, "bytes kept, NUL included");
	itl_buf_free(&b);
}

int
main(void)
{
	grows_past_any_fixed_limit();
	appends_bytes_with_nul();
	return tap_done();
}
