/* SPDX-License-Identifier: GPL-2.0-or-later */
/* buf.c: a growable byte buffer, so that no output has a fixed limit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "itl.h"

int
itl_buf_reserve(struct itl_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - b->len)
		return -ENOMEM;
	need = b->len + extra;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (p == NULL)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int
itl_buf_append(struct itl_buf *b, const void *p, size_t n)
{
	int r;

	if (n == 0)
		return 0;
	r = itl_buf_reserve(b, n);
	if (r < 0)
		return r;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int
itl_buf_putc(struct itl_buf *b, char c)
{
	if (b->len == b->cap) {
		int r = itl_buf_reserve(b, 1);
		if (r < 0)
			return r;
	}
	b->data[b->len++] = c;
	return 0;
}

void
itl_buf_free(struct itl_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
itl_prefault(void *p, size_t n)
{
	volatile char *v = p;
	size_t i;

	for (i = 0; i < n; i += 4096)
		v[i] = 0;
}
