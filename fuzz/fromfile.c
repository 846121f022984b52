/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fromfile.c: the --fromfile reader.  Input: the file's bytes, read
 * through a memfd.  Properties, checked against a second, simple reading
 * of the same bytes: every line (without its '\n') that is neither empty
 * nor "@" is kept in order, as a watch or, after its '@', an exclusion;
 * a NUL ends the path it is in.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "cli.h"

static void
check(const struct cli_paths *p, const uint8_t *data, size_t size)
{
	size_t i = 0, nw = 0, nx = 0, len;
	const uint8_t *nl;
	const char *s, *want;

	while (i < size) {
		nl = memchr(data + i, '\n', size - i);
		len = nl != NULL ? (size_t)(nl - data) - i : size - i;
		s = (const char *)data + i;
		i += len + 1;
		if (len == 0 || (len == 1 && s[0] == '@'))
			continue;
		if (s[0] == '@') {
			fuzz_require(nx < p->nexcl, "an exclusion is kept");
			want = p->excl[nx++];
			s++;
			len--;
		} else {
			fuzz_require(nw < p->nwatch, "a path is kept");
			want = p->watch[nw++];
		}
		fuzz_require(strlen(want) == strnlen(s, len) &&
		    memcmp(want, s, strlen(want)) == 0, "the line as is");
	}
	fuzz_require(nw == p->nwatch && nx == p->nexcl, "nothing added");
	fuzz_require(p->watch[nw] == NULL && p->excl[nx] == NULL,
	    "NULL-terminated lists");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_paths p = {0};
	char path[64];
	int fd = memfd_create("fromfile", MFD_CLOEXEC);

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fuzz_require(cli_paths_build(&p, 0, NULL, path) == 0,
	    "a readable file is taken");
	check(&p, data, size);
	cli_paths_free(&p);
	close(fd);
	return 0;
}
