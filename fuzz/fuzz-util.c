/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz-util.c: input splitting and a scratch directory for the targets. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

char *
fuzz_field(const uint8_t *data, size_t size, size_t *pos, size_t *len)
{
	const uint8_t *start, *nul;
	size_t n;
	char *s;

	if (*pos > size)
		*pos = size;
	start = data + *pos;
	n = size - *pos;
	nul = n > 0 ? memchr(start, '\0', n) : NULL;
	if (nul != NULL)
		n = (size_t)(nul - start);
	if ((s = malloc(n + 1)) == NULL)
		abort();
	if (n > 0)
		memcpy(s, start, n);
	s[n] = '\0';
	*pos += n + (nul != NULL);
	if (len != NULL)
		*len = n;
	return s;
}

static char tmpdir[64];

static void
remove_tmpdir(void)
{
	rmdir(tmpdir);
}

const char *
fuzz_tmpdir(void)
{
	if (tmpdir[0] != '\0')
		return tmpdir;
	strcpy(tmpdir, "/tmp/itl-fuzz.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		abort();
	atexit(remove_tmpdir);
	return tmpdir;
}
