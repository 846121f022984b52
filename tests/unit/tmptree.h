/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tmptree.h: the temporary tree that the unit tests on the real kernel work
 * in, under /dev/shm (or /tmp).  main() calls tmptree_make("name") first and
 * tmptree_remove(top) last; P("a/b") is a path inside the tree (eight
 * results stay valid at a time). */
#ifndef TMPTREE_H
#define TMPTREE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char top[64];

static inline int
tmptree_rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static inline int
tmptree_make(const char *name)
{
	snprintf(top, sizeof(top), "%s/test-%s.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", name);
	return mkdtemp(top) == NULL ? -1 : 0;
}

/* Delete dir and everything below it. */
static inline void
tmptree_remove(const char *dir)
{
	nftw(dir, tmptree_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static inline const char *
P(const char *rel)
{
	static char buf[8][512];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", top, rel);
	return buf[i];
}

#endif /* TMPTREE_H */
