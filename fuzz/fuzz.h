/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz.h: what the fuzz targets share.  Each target defines
 * LLVMFuzzerTestOneInput(); libFuzzer drives it under `make fuzz`, and
 * replay.c drives it over the committed corpus and regression inputs in
 * `make check`.  A broken property aborts (fuzz_require), so that both
 * drivers see it as a crash.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next field of the input: bytes up to a NUL (or the end), copied and
 * NUL-terminated into a fresh malloc'ed string (free it).  *pos moves past
 * the NUL. */
char *fuzz_field(const uint8_t *data, size_t size, size_t *pos, size_t *len);

/* Abort with a message when cond is false. */
#define fuzz_require(cond, what) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz: property broken: %s\n", (what));	\
		abort();						\
	}								\
} while (0)

/* A temporary directory made once per process (removed at exit). */
const char *fuzz_tmpdir(void);

#endif /* FUZZ_H */
