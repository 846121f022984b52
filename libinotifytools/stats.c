/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stats.c: hit counters per watch and in total.  A watch gets its row of
 * counters on its first event (most watches of a big tree never count
 * anything).  A removed watch's row is kept under its last path, and taken
 * up again when that path is watched again, so inotifywatch can still print
 * it and churn does not grow memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "itl-core.h"

/* The bits upstream keeps a counter for: a column each in a row.  Bits 0
 * to 11 (IN_ACCESS .. IN_MOVE_SELF) are columns 0 to 11; bit 12 is unused
 * by the kernel; IN_UNMOUNT (bit 13) is the last column. */
#define COUNTED		(IN_ALL_EVENTS | IN_UNMOUNT)
#define ALL_EVENTS_BITS	12
#define UNMOUNT_BIT	13
_Static_assert(IN_ALL_EVENTS == (1u << ALL_EVENTS_BITS) - 1,
    "IN_ALL_EVENTS is bits 0..11");
_Static_assert(IN_UNMOUNT == 1u << UNMOUNT_BIT, "IN_UNMOUNT is bit 13");
_Static_assert(ITL_STAT_COLS == ALL_EVENTS_BITS + 1, "a column per bit");

/* Column of bit number b, or -1. */
static int
col_of(int b)
{
	if (b < ALL_EVENTS_BITS)
		return b;
	return b == UNMOUNT_BIT ? ALL_EVENTS_BITS : -1;
}

static uint32_t
retired_hash(const struct itl *ctx, uint32_t row)
{
	const char *p = ctx->stats->row[row]->path;

	return itl_tab_hash_str(p, strlen(p), 0);
}

static int
retired_eq(const struct itl *ctx, uint32_t row, const void *key)
{
	return strcmp(ctx->stats->row[row]->path, key) == 0;
}

int
itl_stats_init(struct itl *ctx)
{
	struct itl_stats *st;
	uint32_t pos = 0, id;

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return -ENOMEM;
	st->row_cap = ctx->node_cap;
	st->row_of = calloc(st->row_cap + 1, sizeof(*st->row_of));
	if (st->row_of == NULL) {
		free(st);
		return -ENOMEM;
	}
	ctx->stats = st;
	while ((id = itl_tab_next(&ctx->bywd, &pos)) != ITL_NONE)
		(void)itl_stats_attach(ctx, id);
	return 0;
}

void
itl_stats_free(struct itl *ctx)
{
	struct itl_stats *st = ctx->stats;
	uint32_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nrow; i++) {
		if (st->row[i] != NULL)
			free(st->row[i]->path);
		free(st->row[i]);
	}
	free(st->row);
	free(st->row_of);
	itl_tab_free(&st->retired);
	free(st);
	ctx->stats = NULL;
}

static int
row_new(struct itl_stats *st, uint32_t *idx)
{
	struct itl_stat_row **n;
	uint32_t i, cap;

	for (i = st->nfree_hint; i < st->nrow && st->row[i] != NULL; i++)
		;
	if (i == st->nrow) {
		if (st->nrow == st->row_alloc) {
			cap = st->row_alloc ? st->row_alloc * 2 : 64;
			n = realloc(st->row, cap * sizeof(*n));
			if (n == NULL)
				return -ENOMEM;
			st->row = n;
			st->row_alloc = cap;
		}
		st->row[st->nrow++] = NULL;
	}
	st->row[i] = calloc(1, sizeof(*st->row[i]));
	if (st->row[i] == NULL)
		return -ENOMEM;
	st->nfree_hint = i + 1;
	*idx = i;
	return 0;
}

/* Row index + 1 of node id, 0 for none. */
static uint32_t
row_index(const struct itl_stats *st, uint32_t id)
{
	return id < st->row_cap ? st->row_of[id] : 0;
}

/* Make row_of[] hold node id: it grows with the node ids it is asked
 * about, not with the watch table. */
static int
rows_cover(struct itl_stats *st, uint32_t id)
{
	uint32_t cap = st->row_cap ? st->row_cap : 64, *r;

	if (id < st->row_cap)
		return 0;
	while (cap <= id)
		cap *= 2;
	r = realloc(st->row_of, cap * sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	memset(r + st->row_cap, 0, (cap - st->row_cap) * sizeof(*r));
	st->row_of = r;
	st->row_cap = cap;
	return 0;
}

/* Give watch node id a row: the retired one of its path, or with create a
 * new one. */
static int
attach(struct itl *ctx, uint32_t id, int create)
{
	struct itl_stats *st = ctx->stats;
	const char *p;
	size_t len;
	uint32_t idx = ITL_NONE, slot;
	int r = 0;

	if (row_index(st, id) != 0)
		return 0;
	if ((r = rows_cover(st, id)) < 0)
		return r;
	if (st->retired.count != 0 && (p = itl_node_path(ctx, id, &len))) {
		idx = itl_tab_find(ctx, &st->retired,
		    itl_tab_hash_str(p, len, 0), retired_eq, p, &slot);
		if (idx != ITL_NONE) {
			itl_tab_delete(ctx, &st->retired, slot, retired_hash);
			free(st->row[idx]->path);
			st->row[idx]->path = NULL;
		}
	}
	if (idx == ITL_NONE && (!create || (r = row_new(st, &idx)) < 0))
		return create ? r : 0;
	st->row[idx]->wd = itl_node(ctx, id)->wd;
	st->row_of[id] = idx + 1;
	return 0;
}

/* Give watch node id the retired row of its path, if there is one; its
 * own row waits for its first event. */
int
itl_stats_attach(struct itl *ctx, uint32_t id)
{
	return attach(ctx, id, 0);
}

/* Watch node id goes away: keep its row under its path if it counted
 * anything, unless the watch left the tree (forget: upstream drops the
 * row with the watch then; the totals keep its counts). */
void
itl_stats_retire(struct itl *ctx, uint32_t id, int forget)
{
	struct itl_stats *st = ctx->stats;
	struct itl_stat_row *row;
	uint32_t idx = row_index(st, id);
	const char *p;

	if (idx-- == 0)
		return;
	st->row_of[id] = 0;
	row = st->row[idx];
	p = row->total != 0 && !forget ? itl_node_path(ctx, id, NULL) : NULL;
	if (p != NULL && (row->path = strdup(p)) != NULL &&
	    itl_tab_insert(ctx, &st->retired, retired_hash(ctx, idx), idx,
	    retired_hash) == 0)
		return;
	free(row->path);
	free(row);
	st->row[idx] = NULL;
	if (idx < st->nfree_hint)
		st->nfree_hint = idx;
}

static struct itl_stat_row *
row_of(const struct itl *ctx, int wd)
{
	uint32_t id = itl_node_by_wd(ctx, wd), idx;

	if (id == ITL_NONE || ctx->stats == NULL)
		return NULL;
	idx = row_index(ctx->stats, id);
	return idx == 0 ? NULL : ctx->stats->row[idx - 1];
}

/* The row of the entry ev names in the directory watch id, kept by its
 * path (dir + name) among the rows without a watch. */
static struct itl_stat_row *
named_row(struct itl *ctx, uint32_t id, const struct itl_event *ev)
{
	struct itl_stats *st = ctx->stats;
	const char *p = itl_node_path(ctx, id, NULL);
	struct itl_buf *b = &ctx->tmp;
	uint32_t idx;

	b->len = 0;
	if (p == NULL || itl_buf_append(b, p, strlen(p)) < 0 ||
	    itl_buf_append(b, ev->name, ev->name_len + 1) < 0)
		return NULL;
	idx = itl_tab_find(ctx, &st->retired, itl_tab_hash_str(b->data,
	    b->len - 1, 0), retired_eq, b->data, NULL);
	if (idx != ITL_NONE)
		return st->row[idx];
	if (row_new(st, &idx) < 0)
		return NULL;
	st->row[idx]->wd = ev->wd;
	if ((st->row[idx]->path = strdup(b->data)) == NULL ||
	    itl_tab_insert(ctx, &st->retired, retired_hash(ctx, idx), idx,
	    retired_hash) < 0) {
		free(st->row[idx]->path);
		free(st->row[idx]);
		st->row[idx] = NULL;
		if (idx < st->nfree_hint)
			st->nfree_hint = idx;
		return NULL;
	}
	return st->row[idx];
}

void
itl_stats_record(struct itl *ctx, const struct itl_event *ev)
{
	struct itl_stats *st = ctx->stats;
	struct itl_stat_row *row;
	uint32_t m = ev->mask, id;
	int b, c;

	id = itl_node_by_wd(ctx, ev->wd);
	if (id == ITL_NONE)
		return;
	for (; m != 0; m &= m - 1)
		st->hits[__builtin_ctz(m)]++;
	st->total++;
	if (ctx->rd->rows_by_name && ev->name_len != 0) {
		if ((row = named_row(ctx, id, ev)) == NULL)
			return;
	} else if (row_index(st, id) == 0 && attach(ctx, id, 1) < 0)
		return;
	else
		row = st->row[row_index(st, id) - 1];
	for (m = ev->mask; m != 0; m &= m - 1) {
		b = __builtin_ctz(m);
		if ((c = col_of(b)) >= 0)
			row->hits[c]++;
	}
	row->total++;
}

void
itl_stats_reset(struct itl *ctx)
{
	struct itl_stats *st = ctx->stats;
	uint32_t i;

	if (st == NULL) {
		(void)itl_stats_init(ctx);
		return;
	}
	memset(st->hits, 0, sizeof(st->hits));
	st->total = 0;
	for (i = 0; i < st->nrow; i++) {
		if (st->row[i] == NULL)
			continue;
		memset(st->row[i]->hits, 0, sizeof(st->row[i]->hits));
		st->row[i]->total = 0;
	}
}

long
itl_stats_watch(const struct itl *ctx, const struct itl_watch *w,
    uint32_t bit)
{
	struct itl_stat_row *row;
	int b = itl_events_bit(bit);

	if (ctx->stats == NULL || (bit != 0 && (b < 0 || !(bit & COUNTED))))
		return -EINVAL;
	if (w == NULL || itl_node_by_wd(ctx, w->wd) == ITL_NONE)
		return -ENOENT;
	row = row_of(ctx, w->wd);
	if (row == NULL)
		return 0;	/* nothing counted yet */
	return bit == 0 ? row->total : row->hits[col_of(b)];
}

long
itl_stats_total(const struct itl *ctx, uint32_t bit)
{
	int b = itl_events_bit(bit);

	if (ctx->stats == NULL || (bit != 0 && (b < 0 || !(bit & COUNTED))))
		return -EINVAL;
	return bit == 0 ? ctx->stats->total : ctx->stats->hits[b];
}

/* Call fn with row's counters as upstream's long hits[bit number]. */
static int
visit(const char *path, const struct itl_stat_row *row, itl_stats_fn fn,
    void *arg)
{
	long hits[ITL_NBITS];
	int b, c;

	for (b = 0; b < ITL_NBITS; b++)
		hits[b] = (c = col_of(b)) >= 0 ? (long)row->hits[c] : 0;
	return fn(path, hits, (long)row->total, row->wd, arg);
}

int
itl_stats_foreach(struct itl *ctx, itl_stats_fn fn, void *arg)
{
	static const struct itl_stat_row none;
	struct itl_stats *st = ctx->stats;
	struct itl_stat_row row;
	const char *p;
	uint32_t i, id, pos = 0;
	int r;

	if (st == NULL)
		return -EINVAL;
	while ((id = itl_tab_next(&ctx->bywd, &pos)) != ITL_NONE) {
		if (row_index(st, id) != 0)
			row = *st->row[row_index(st, id) - 1];
		else {
			row = none;
			row.wd = ctx->node[id]->wd;
		}
		p = itl_node_path(ctx, id, NULL);
		if (p != NULL && (r = visit(p, &row, fn, arg)) != 0)
			return r;
	}
	for (i = 0; i < st->nrow; i++)
		if (st->row[i] != NULL && st->row[i]->path != NULL &&
		    (r = visit(st->row[i]->path, st->row[i], fn, arg)) != 0)
			return r;
	return 0;
}
