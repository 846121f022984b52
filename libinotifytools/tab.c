/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tab.c: the open-addressing table of ids that the wd table, the exact-path
 * index, the scan's duplicate set, the retired statistics rows and the
 * fanotify keys are made of.  A slot holds id + 1 (0: empty); linear
 * probing; deletion shifts the following entries back, so there are no
 * tombstones and churn does not grow a table.  The table stores ids only:
 * the caller's hash function gives an id's hash, its eq function compares
 * an id with a key.
 */
#include <errno.h>
#include <stdlib.h>

#include "itl-core.h"

static uint32_t
mix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

uint32_t
itl_tab_hash_str(const char *s, size_t len, uint32_t seed)
{
	uint32_t h = 2166136261u ^ seed;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return mix(h);
}

uint32_t
itl_tab_find(const struct itl *ctx, const struct itl_tab *t, uint32_t h,
    int (*eq)(const struct itl *, uint32_t, const void *), const void *key,
    uint32_t *slotp)
{
	uint32_t m, i, id;

	if (t->cap == 0)
		return ITL_NONE;
	m = t->cap - 1;
	for (i = h & m; t->slot[i] != 0; i = (i + 1) & m) {
		id = t->slot[i] - 1;
		if (eq(ctx, id, key)) {
			if (slotp != NULL)
				*slotp = i;
			return id;
		}
	}
	return ITL_NONE;
}

static void
put(struct itl_tab *t, uint32_t h, uint32_t id)
{
	uint32_t m = t->cap - 1, i;

	for (i = h & m; t->slot[i] != 0; i = (i + 1) & m)
		;
	t->slot[i] = id + 1;
	t->count++;
}

static int
resize(struct itl *ctx, struct itl_tab *t, itl_tab_hash_fn hf, uint32_t cap)
{
	struct itl_tab n = {0};
	uint32_t i;

	n.cap = cap;
	if (n.cap == 0)
		return -ENOMEM;
	n.slot = calloc(n.cap, sizeof(*n.slot));
	if (n.slot == NULL)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++)
		if (t->slot[i] != 0)
			put(&n, hf(ctx, t->slot[i] - 1), t->slot[i] - 1);
	free(t->slot);
	*t = n;
	return 0;
}

int
itl_tab_insert(struct itl *ctx, struct itl_tab *t, uint32_t h, uint32_t id,
    itl_tab_hash_fn hf)
{
	int r;

	if ((uint64_t)(t->count + 1) * 4 > (uint64_t)t->cap * 3) {
		r = resize(ctx, t, hf, t->cap ? t->cap * 2 : 16);
		if (r < 0)
			return r;
	}
	put(t, h, id);
	return 0;
}

void
itl_tab_delete(struct itl *ctx, struct itl_tab *t, uint32_t i,
    itl_tab_hash_fn hf)
{
	uint32_t m = t->cap - 1, j = i, k;

	for (;;) {
		j = (j + 1) & m;
		if (t->slot[j] == 0)
			break;
		k = hf(ctx, t->slot[j] - 1) & m;
		/* Leave it if its home slot lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		t->slot[i] = t->slot[j];
		i = j;
	}
	t->slot[i] = 0;
	t->count--;
	/* Shrink when an eighth full, so that a peak does not stay. */
	if (t->cap > 64 && t->count < t->cap / 8)
		(void)resize(ctx, t, hf, t->cap / 2);
}

void
itl_tab_free(struct itl_tab *t)
{
	free(t->slot);
	t->slot = NULL;
	t->cap = t->count = 0;
}


uint32_t
itl_tab_next(const struct itl_tab *t, uint32_t *pos)
{
	while (*pos < t->cap)
		if (t->slot[(*pos)++] != 0)
			return t->slot[*pos - 1] - 1;
	return ITL_NONE;
}
