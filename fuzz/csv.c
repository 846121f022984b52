/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * csv.c: CSV escaping (inotifywait --csv).  Input: a field's bytes, then,
 * after a NUL, an event name and its mask (4 bytes).  Properties: a field
 * is quoted exactly when it holds '"', ',' or '\n' or starts or ends with
 * a space, and unquoting gives the bytes back; a whole line is three
 * fields (watch path, events, name) and one '\n'.
 */
#include <string.h>

#include "fuzz.h"
#include "itl.h"

static int
must_quote(const char *s, size_t len)
{
	return len > 0 && (s[0] == ' ' || s[len - 1] == ' ' ||
	    memchr(s, '"', len) != NULL || memchr(s, ',', len) != NULL ||
	    memchr(s, '\n', len) != NULL);
}

/* Read one field at *pos of out (up to a ',' or '\n' outside quotes)
 * into field; returns 0, or -1 when it is not well formed. */
static int
unquote(const struct itl_buf *out, size_t *pos, struct itl_buf *field)
{
	size_t i = *pos;

	field->len = 0;
	if (i < out->len && out->data[i] == '"') {
		for (i++; i < out->len; i++) {
			if (out->data[i] != '"') {
				itl_buf_putc(field, out->data[i]);
				continue;
			}
			if (i + 1 < out->len && out->data[i + 1] == '"') {
				itl_buf_putc(field, '"');
				i++;
				continue;
			}
			*pos = i + 1;
			return 0;
		}
		return -1;
	}
	for (; i < out->len && out->data[i] != ',' && out->data[i] != '\n';
	    i++)
		itl_buf_putc(field, out->data[i]);
	*pos = i;
	return 0;
}

static void
one_field(const char *s, size_t len)
{
	struct itl_buf out = {0}, back = {0};
	size_t pos = 0;

	if (itl_format_csv_field(s, len, &out) < 0)
		abort();
	fuzz_require(must_quote(s, len) == (out.len > 0 && out.data[0] == '"'),
	    "quoted exactly when needed");
	fuzz_require(unquote(&out, &pos, &back) == 0 && pos == out.len,
	    "one well-formed field");
	fuzz_require(back.len == len && (len == 0 ||
	    memcmp(back.data, s, len) == 0), "unquoting gives it back");
	itl_buf_free(&out);
	itl_buf_free(&back);
}

static void
one_line(const char *name, size_t nlen, uint32_t mask)
{
	struct itl_buf out = {0}, f = {0};
	struct itl_event ev = {0};
	size_t pos = 0;

	ev.wd = 1;
	ev.mask = mask;
	ev.name = name;
	ev.name_len = (uint32_t)nlen;
	if (itl_format_csv(NULL, &ev, &out) < 0)
		abort();
	/* Without a context the watch path is "" and not written. */
	fuzz_require(unquote(&out, &pos, &f) == 0 && pos < out.len &&
	    out.data[pos] == ',', "events field, then ','");
	pos++;
	fuzz_require(unquote(&out, &pos, &f) == 0 && f.len == nlen &&
	    (nlen == 0 || memcmp(f.data, name, nlen) == 0),
	    "the name field gives the name back");
	fuzz_require(pos + 1 == out.len && out.data[pos] == '\n',
	    "one line");
	itl_buf_free(&out);
	itl_buf_free(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0, len, nlen;
	char *field = fuzz_field(data, size, &pos, &len);
	char *name = fuzz_field(data, size, &pos, &nlen);
	uint32_t mask = 0;

	if (pos < size)
		memcpy(&mask, data + pos, size - pos < 4 ? size - pos : 4);
	one_field(field, len);
	/* The whole input as one field: NULs included. */
	one_field((const char *)data, size);
	one_line(name, nlen, mask);
	free(field);
	free(name);
	return 0;
}
