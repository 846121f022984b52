/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * replay.c: run a fuzz target over files, without libFuzzer: the
 * committed corpus and the regression inputs (crashes found once) in
 * `make check`.  Arguments: files or directories; none: the target's
 * fuzz/corpus/NAME and fuzz/regress/NAME under $top_srcdir (or ".").
 * Prints TAP, one line per input; a crash or broken property aborts.
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef FUZZ_NAME
#error "FUZZ_NAME: the target's name"
#endif

static int ninput;

static void
run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t size = 0, cap = 0, n;

	if (fp == NULL) {
		printf("not ok %d - %s: %s\n", ++ninput, path, strerror(errno));
		exit(1);
	}
	do {
		if (size == cap && (data = realloc(data, cap = cap * 2 + 4096))
		    == NULL)
			abort();
		n = fread(data + size, 1, cap - size, fp);
		size += n;
	} while (n > 0);
	fclose(fp);
	(void)LLVMFuzzerTestOneInput(data, size);
	free(data);
	printf("ok %d - %s %s\n", ++ninput, FUZZ_NAME, path);
	fflush(stdout);
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void
run_path(const char *path)
{
	struct dirent **de;
	struct stat st;
	char sub[4096];
	int i, n;

	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		run_file(path);
		return;
	}
	if ((n = scandir(path, &de, NULL, by_name)) < 0)
		return;
	for (i = 0; i < n; i++) {
		if (de[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path,
			    de[i]->d_name);
			run_file(sub);
		}
		free(de[i]);
	}
	free(de);
}

int
main(int argc, char *argv[])
{
	const char *top = getenv("top_srcdir");
	char dir[4096];
	int i;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			run_path(argv[i]);
	} else {
		snprintf(dir, sizeof(dir), "%s/fuzz/corpus/%s",
		    top != NULL ? top : ".", FUZZ_NAME);
		run_path(dir);
		snprintf(dir, sizeof(dir), "%s/fuzz/regress/%s",
		    top != NULL ? top : ".", FUZZ_NAME);
		run_path(dir);
	}
	printf("1..%d\n", ninput);
	return ninput > 0 ? 0 : 1;
}
