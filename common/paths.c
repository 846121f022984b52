/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * paths.c: the list of paths to watch, from --fromfile and argv, read as
 * upstream reads them, except that an unopenable file is an error, empty
 * lines are skipped, lines have no length limit and the lists grow without
 * bound.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct vec {
	char **v;
	size_t n, cap;
};

static int
vec_push(struct vec *a, const char *s, size_t len)
{
	char *copy;

	if (a->n + 1 >= a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		char **p = realloc(a->v, cap * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		a->v = p;
		a->cap = cap;
	}
	if ((copy = malloc(len + 1)) == NULL)
		return -ENOMEM;
	memcpy(copy, s, len);
	copy[len] = '\0';
	a->v[a->n++] = copy;
	a->v[a->n] = NULL;
	return 0;
}

/* Make sure the array exists even when empty, NULL-terminated. */
static int
vec_finish(struct vec *a)
{
	if (a->v != NULL)
		return 0;
	if ((a->v = calloc(1, sizeof(*a->v))) == NULL)
		return -ENOMEM;
	a->cap = 1;
	return 0;
}

static void
vec_free(struct vec *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

/* One entry: "" and "@" are skipped, "@x" excludes x. */
static int
add_entry(struct vec *w, struct vec *x, const char *s, size_t len)
{
	if (len == 0 || (len == 1 && s[0] == '@'))
		return 0;
	if (s[0] == '@')
		return vec_push(x, s + 1, len - 1);
	return vec_push(w, s, len);
}

static int
read_file(struct vec *w, struct vec *x, FILE *fp)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int r = 0;

	while (r == 0 && (n = getline(&line, &cap, fp)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		r = add_entry(w, x, line, (size_t)n);
	}
	free(line);
	if (r == 0 && ferror(fp))
		r = errno ? -errno : -EIO;
	return r;
}

static int
read_fromfile(struct vec *w, struct vec *x, const char *fromfile)
{
	FILE *fp;
	int r;

	if (strcmp(fromfile, "-") == 0)
		return read_file(w, x, stdin);
	if ((fp = fopen(fromfile, "r")) == NULL) {
		cli_err("Couldn't open %s: %s\n", cli_esc(fromfile),
		    strerror(errno));
		return 1;
	}
	r = read_file(w, x, fp);
	fclose(fp);
	return r;
}

int
cli_paths_build(struct cli_paths *p, int argc, char *const argv[],
    const char *fromfile)
{
	struct vec w = {0}, x = {0};
	int i, r = 0;

	if (fromfile != NULL) {
		r = read_fromfile(&w, &x, fromfile);
		if (r == 1)
			goto fail;
		if (r < 0 && r != -ENOMEM) {
			cli_err("Couldn't read %s: %s\n", cli_esc(fromfile),
			    strerror(-r));
			goto fail;
		}
	}
	for (i = 0; r == 0 && i < argc; i++)
		r = add_entry(&w, &x, argv[i], strlen(argv[i]));
	if (r == 0)
		r = vec_finish(&w);
	if (r == 0)
		r = vec_finish(&x);
	if (r == -ENOMEM)
		cli_die_nomem();
	p->watch = w.v;
	p->nwatch = w.n;
	p->excl = x.v;
	p->nexcl = x.n;
	return 0;
fail:
	vec_free(&w);
	vec_free(&x);
	return -1;
}

void
cli_paths_free(struct cli_paths *p)
{
	size_t i;

	if (p->watch != NULL)
		for (i = 0; i < p->nwatch; i++)
			free(p->watch[i]);
	if (p->excl != NULL)
		for (i = 0; i < p->nexcl; i++)
			free(p->excl[i]);
	free(p->watch);
	free(p->excl);
	p->watch = p->excl = NULL;
	p->nwatch = p->nexcl = 0;
}

int
cli_paths_relative(const struct cli_paths *p)
{
	size_t i;

	for (i = 0; i < p->nwatch; i++)
		if (p->watch[i][0] != '/')
			return 1;
	return 0;
}
