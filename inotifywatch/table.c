/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * table.c: inotifywatch's statistics table, laid out as upstream's.
 *
 * "total  " then one "name  " per included column, in a fixed order, then
 * "filename".  A column is included when its bit is in the -e mask and
 * (-z or some event of that kind was counted).  Each row prints every
 * cell left-justified to the width of its header word plus two spaces,
 * then the watch's path.  Rows with a zero total are skipped unless -z.
 * Rows are sorted by the key (total or one column), ascending or
 * descending, ties always by ascending wd.
 *
 * The rows come from the library's counters (live and removed watches),
 * walked twice: once for the column sums, once to collect the rows.
 * Bits that -r added to the kernel mask only to follow new directories
 * (cfg->uncounted) are taken out of every total: each inotify event has
 * exactly one event bit, so total - hits[bit] is what the user asked for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iw.h"

struct col {
	uint32_t bit;
	const char *name;
};

/* The fixed column order; the width is strlen(name). */
static const struct col cols[] = {
	{ IN_ACCESS,		"access" },
	{ IN_MODIFY,		"modify" },
	{ IN_ATTRIB,		"attrib" },
	{ IN_CLOSE_WRITE,	"close_write" },
	{ IN_CLOSE_NOWRITE,	"close_nowrite" },
	{ IN_OPEN,		"open" },
	{ IN_MOVED_FROM,	"moved_from" },
	{ IN_MOVED_TO,		"moved_to" },
	{ IN_MOVE_SELF,		"move_self" },
	{ IN_CREATE,		"create" },
	{ IN_DELETE,		"delete" },
	{ IN_DELETE_SELF,	"delete_self" },
	{ IN_UNMOUNT,		"unmount" },
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

struct row {
	unsigned long key;	/* the sort key's count */
	size_t cells;		/* index of its total in tab.cells */
	size_t path;		/* offset of its path in tab.names */
	size_t pathlen;
	int wd;
};

struct tab {
	const struct iw_table_cfg *cfg;
	int colbit[NCOLS];	/* hits[] index of each included column */
	size_t ncols;
	int keybit;		/* hits[] index of the key, -1 for total */
	int uncounted[32];	/* hits[] indexes to take out of totals */
	size_t nuncounted;
	/* Pass 1: sums. */
	unsigned long gtotal;
	unsigned long gcol[NCOLS];
	/* Pass 2: rows. */
	struct row *rows;
	size_t nrows, caprows;
	unsigned long *cells;	/* per row: total, then each column */
	size_t ncells, capcells;
	struct itl_buf names;
	int error;
};

int
iw_table_column(uint32_t bit)
{
	size_t i;

	for (i = 0; i < NCOLS; i++)
		if (cols[i].bit == bit)
			return 1;
	return 0;
}

static unsigned long
count(const long *hits, int bit)
{
	return hits[bit] > 0 ? (unsigned long)hits[bit] : 0;
}

static unsigned long
total_of(const struct tab *t, const long *hits, long total)
{
	unsigned long n = total > 0 ? (unsigned long)total : 0, sub;
	size_t i;

	for (i = 0; i < t->nuncounted; i++) {
		sub = count(hits, t->uncounted[i]);
		n = sub < n ? n - sub : 0;
	}
	return n;
}

static int
sum_row(const char *path, const long *hits, long total, int wd, void *arg)
{
	struct tab *t = arg;
	size_t i;

	t->gtotal += total_of(t, hits, total);
	for (i = 0; i < NCOLS; i++)
		t->gcol[i] += count(hits, itl_events_bit(cols[i].bit));
	return 0;
}

static int
grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if ((q = reallocarray(*p, n, size)) == NULL)
		return -ENOMEM;
	*p = q;
	*cap = n;
	return 0;
}

static int
add_row(const char *path, const long *hits, long total, int wd, void *arg)
{
	struct tab *t = arg;
	unsigned long tot = total_of(t, hits, total);
	size_t i, len = strlen(path);
	struct row *r;
	int e;

	if (tot == 0 && !t->cfg->zero)
		return 0;
	if ((e = grow((void **)&t->rows, &t->caprows, t->nrows + 1,
	    sizeof(*t->rows))) != 0 ||
	    (e = grow((void **)&t->cells, &t->capcells,
	    t->ncells + 1 + t->ncols, sizeof(*t->cells))) != 0 ||
	    (e = itl_buf_append(&t->names, path, len)) != 0)
		return t->error = e;
	r = &t->rows[t->nrows++];
	r->key = t->keybit < 0 ? tot : count(hits, t->keybit);
	r->cells = t->ncells;
	r->path = t->names.len - len;
	r->pathlen = len;
	r->wd = wd;
	t->cells[t->ncells++] = tot;
	for (i = 0; i < t->ncols; i++)
		t->cells[t->ncells++] = count(hits, t->colbit[i]);
	return 0;
}

static int
cmp_wd(const struct row *a, const struct row *b)
{
	return (a->wd > b->wd) - (a->wd < b->wd);
}

static int
cmp_asc(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return cmp_wd(a, b);
}

static int
cmp_desc(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;

	if (a->key != b->key)
		return a->key > b->key ? -1 : 1;
	return cmp_wd(a, b);
}

/* printf("%-*lu  ", width, v), without printf. */
static int
put_cell(struct itl_buf *out, unsigned long v, size_t width)
{
	char num[24], *p = num + sizeof(num);
	size_t n;
	int e;

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	n = (size_t)(num + sizeof(num) - p);
	if ((e = itl_buf_reserve(out, (n > width ? n : width) + 2)) != 0)
		return e;
	memcpy(out->data + out->len, p, n);
	out->len += n;
	while (n++ < width)
		out->data[out->len++] = ' ';
	out->data[out->len++] = ' ';
	out->data[out->len++] = ' ';
	return 0;
}

static int
put_str(struct itl_buf *out, const char *s)
{
	return itl_buf_append(out, s, strlen(s));
}

static int
render_header(const struct tab *t, struct itl_buf *out)
{
	size_t i, j;
	int e = put_str(out, "total  ");

	for (i = 0, j = 0; e == 0 && i < NCOLS && j < t->ncols; i++) {
		if (itl_events_bit(cols[i].bit) != t->colbit[j])
			continue;
		j++;
		if ((e = put_str(out, cols[i].name)) == 0)
			e = put_str(out, "  ");
	}
	return e ? e : put_str(out, "filename\n");
}

static int
render_rows(const struct tab *t, struct itl_buf *out)
{
	const struct row *r;
	size_t i, c, w[NCOLS];
	int e = 0;

	for (i = 0, c = 0; i < NCOLS; i++)
		if (c < t->ncols && itl_events_bit(cols[i].bit) == t->colbit[c])
			w[c++] = strlen(cols[i].name);
	for (r = t->rows; e == 0 && r < t->rows + t->nrows; r++) {
		e = put_cell(out, t->cells[r->cells], 5);
		for (c = 0; e == 0 && c < t->ncols; c++)
			e = put_cell(out, t->cells[r->cells + 1 + c], w[c]);
		if (e == 0)
			e = itl_buf_append(out, t->names.data + r->path,
			    r->pathlen);
		if (e == 0)
			e = itl_buf_putc(out, '\n');
	}
	return e;
}

static void
setup(struct tab *t, const struct iw_table_cfg *cfg)
{
	uint32_t b;

	memset(t, 0, sizeof(*t));
	t->cfg = cfg;
	t->keybit = cfg->sort.key ? itl_events_bit(cfg->sort.key) : -1;
	for (b = 1; b != 0; b <<= 1)
		if (cfg->uncounted & b)
			t->uncounted[t->nuncounted++] = itl_events_bit(b);
}

/* After the sums: the columns to show. */
static void
choose_columns(struct tab *t)
{
	size_t i;

	for (i = 0; i < NCOLS; i++)
		if ((t->cfg->events & cols[i].bit) &&
		    (t->cfg->zero || t->gcol[i] != 0))
			t->colbit[t->ncols++] = itl_events_bit(cols[i].bit);
}

static void
cleanup(struct tab *t)
{
	free(t->rows);
	free(t->cells);
	itl_buf_free(&t->names);
}

int
iw_table_render(const struct iw_table_cfg *cfg, iw_rows_fn rows, void *src,
    struct itl_buf *out)
{
	struct tab t;
	int e;

	setup(&t, cfg);
	if ((e = rows(src, sum_row, &t)) < 0)
		return e;
	if (t.gtotal == 0)
		return 0;
	choose_columns(&t);
	e = rows(src, add_row, &t);
	if (e == 0 && t.error != 0)
		e = t.error;
	if (e == 0) {
		qsort(t.rows, t.nrows, sizeof(*t.rows),
		    cfg->sort.ascending ? cmp_asc : cmp_desc);
		if ((e = render_header(&t, out)) == 0)
			e = render_rows(&t, out);
	}
	cleanup(&t);
	return e < 0 ? e : 1;
}
