/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test-iw-table: inotifywatch's table (inotifywatch/table.c) on rows made
 * up here: header and widths, column choice, -z, sorting and its ties,
 * counts beyond 32 bits, and the -r correction of totals. */
#include <stdlib.h>
#include <string.h>

#include "iw.h"
#include "tap.h"

struct trow {
	const char *path;
	int wd;
	long total;
	long hits[32];
};

struct tset {
	struct trow *rows;
	size_t n;
};

#define B(x) __builtin_ctz(x)

static int
rows_of(void *src, itl_stats_fn fn, void *arg)
{
	struct tset *s = src;
	size_t i;
	int r;

	for (i = 0; i < s->n; i++)
		if ((r = fn(s->rows[i].path, s->rows[i].hits, s->rows[i].total,
		    s->rows[i].wd, arg)) != 0)
			return r;
	return 0;
}

static struct itl_buf out;

/* Render rows with cfg; returns the text (in out) or NULL. */
static const char *
render(struct trow *rows, size_t n, const struct iw_table_cfg *cfg, int *ret)
{
	struct tset s = { rows, n };

	out.len = 0;
	*ret = iw_table_render(cfg, rows_of, &s, &out);
	if (itl_buf_putc(&out, '\0') != 0)
		return NULL;
	return out.data;
}

static void
test_layout(void)
{
	struct trow rows[2] = {
		{ "s/", 1, 10, { 0 } },
		{ "s/sub/", 2, 7, { 0 } },
	};
	struct iw_table_cfg cfg = { .events = ITL_ALL_EVENTS };
	int r;

	rows[0].hits[B(IN_ACCESS)] = 3;
	rows[0].hits[B(IN_MODIFY)] = 1;
	rows[0].hits[B(IN_CLOSE_WRITE)] = 1;
	rows[0].hits[B(IN_CLOSE_NOWRITE)] = 2;
	rows[0].hits[B(IN_OPEN)] = 3;
	rows[1].hits[B(IN_ATTRIB)] = 1;
	rows[1].hits[B(IN_CLOSE_WRITE)] = 1;
	rows[1].hits[B(IN_OPEN)] = 1;
	rows[1].hits[B(IN_MOVED_FROM)] = 1;
	rows[1].hits[B(IN_MOVED_TO)] = 1;
	rows[1].hits[B(IN_CREATE)] = 1;
	rows[1].hits[B(IN_DELETE)] = 1;
	is_str(render(rows, 2, &cfg, &r),
	    "total  access  modify  attrib  close_write  close_nowrite  open  "
	    "moved_from  moved_to  create  delete  filename\n"
	    "10     3       1       0       1            2              3     "
	    "0           0         0       0       s/\n"
	    "7      0       0       1       1            0              1     "
	    "1           1         1       1       s/sub/\n",
	    "upstream's layout: columns, widths, order");
	is_int(r, 1, "returns 1 when events were counted");
}

static void
test_none(void)
{
	struct trow rows[1] = { { "d/", 1, 0, { 0 } } };
	struct iw_table_cfg cfg = { .events = ITL_ALL_EVENTS, .zero = 1 };
	int r;

	is_str(render(rows, 1, &cfg, &r), "", "no event: nothing, even -z");
	is_int(r, 0, "no event: returns 0");
	is_str(render(rows, 0, &cfg, &r), "", "no row at all: nothing");
	is_int(r, 0, "no row at all: returns 0");
}

static void
test_zero(void)
{
	struct trow rows[2] = {
		{ "a/", 1, 0, { 0 } },
		{ "b/", 2, 1, { 0 } },
	};
	struct iw_table_cfg cfg = { .events = IN_MODIFY | IN_UNMOUNT };
	int r;

	rows[1].hits[B(IN_MODIFY)] = 1;
	is_str(render(rows, 2, &cfg, &r),
	    "total  modify  filename\n"
	    "1      1       b/\n", "zero rows and columns left out");
	cfg.zero = 1;
	is_str(render(rows, 2, &cfg, &r),
	    "total  modify  unmount  filename\n"
	    "1      1       0        b/\n"
	    "0      0       0        a/\n", "-z: every mask column and row");
}

static void
test_sort(void)
{
	struct trow rows[4] = {
		{ "w1", 1, 2, { 0 } },
		{ "w2", 2, 5, { 0 } },
		{ "w3", 3, 2, { 0 } },
		{ "w4", 4, 3000000000L, { 0 } },
	};
	struct iw_table_cfg cfg = { .events = IN_CREATE | IN_DELETE };
	const char *t;
	int r;

	rows[0].hits[B(IN_CREATE)] = 2;
	rows[1].hits[B(IN_DELETE)] = 5;
	rows[2].hits[B(IN_CREATE)] = 1;
	rows[2].hits[B(IN_DELETE)] = 1;
	rows[3].hits[B(IN_CREATE)] = 3000000000L;
	t = render(rows, 4, &cfg, &r);
	is_str(t,
	    "total  create  delete  filename\n"
	    "3000000000  3000000000  0       w4\n"
	    "5      0       5       w2\n"
	    "2      2       0       w1\n"
	    "2      1       1       w3\n",
	    "default: descending total, ties by wd, wide numbers push");
	cfg.sort.ascending = 1;
	t = render(rows, 4, &cfg, &r);
	ok(t && strstr(t, "w1\n2      1       1       w3\n5") != NULL,
	    "ascending total, ties by ascending wd");
	cfg.sort.key = IN_CREATE;
	t = render(rows, 4, &cfg, &r);
	ok(t && strstr(t, "w2\n2      1       1       w3\n2      2       0"
	    "       w1\n3000000000") != NULL, "ascending create");
	cfg.sort.ascending = 0;
	t = render(rows, 4, &cfg, &r);
	ok(t && strstr(t, "w4\n2      2       0       w1\n2      1       1"
	    "       w3\n5") != NULL, "descending create, beyond 32 bits");
	cfg.sort.key = IN_DELETE;
	t = render(rows, 4, &cfg, &r);
	ok(t && strstr(t, "filename\n5      0       5       w2\n2      1"
	    "       1       w3\n2      2       0       w1\n3000000000") !=
	    NULL, "descending delete, ties by ascending wd");
}

static void
test_uncounted(void)
{
	struct trow rows[2] = {
		{ "t/", 1, 3, { 0 } },
		{ "t/new/", 2, 1, { 0 } },
	};
	struct iw_table_cfg cfg = {
		.events = IN_CLOSE_WRITE,
		.uncounted = IN_CREATE | IN_MOVE,
	};
	int r;

	/* t/ saw only bookkeeping events, t/new/ one close_write. */
	rows[0].hits[B(IN_CREATE)] = 2;
	rows[0].hits[B(IN_MOVED_TO)] = 1;
	rows[1].hits[B(IN_CLOSE_WRITE)] = 1;
	is_str(render(rows, 2, &cfg, &r),
	    "total  close_write  filename\n"
	    "1      1            t/new/\n",
	    "-r bookkeeping bits taken out of totals");
	rows[1].hits[B(IN_CLOSE_WRITE)] = 0;
	rows[1].total = 0;
	render(rows, 2, &cfg, &r);
	is_int(r, 0, "only bookkeeping events: no events occurred");
}

static void
test_columns(void)
{
	ok(iw_table_column(IN_ACCESS), "access has a column");
	ok(iw_table_column(IN_UNMOUNT), "unmount has a column");
	ok(iw_table_column(IN_MOVE_SELF), "move_self has a column");
	ok(!iw_table_column(IN_MOVE), "move has none");
	ok(!iw_table_column(IN_CLOSE), "close has none");
	ok(!iw_table_column(IN_ISDIR), "isdir has none");
	ok(!iw_table_column(IN_IGNORED), "ignored has none");
}

int
main(void)
{
	test_layout();
	test_none();
	test_zero();
	test_sort();
	test_uncounted();
	test_columns();
	itl_buf_free(&out);
	return tap_done();
}
