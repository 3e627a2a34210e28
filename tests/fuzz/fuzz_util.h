/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Shared by the libFuzzer targets: a bounds-checked cursor over the fuzz
 * input (short input reads as zeros, never past the end) and an invariant
 * check that aborts with a message, so libFuzzer records the input.
 */
#ifndef NTPD_FUZZ_UTIL_H
#define NTPD_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fuzz_cursor {
	const uint8_t *data;
	size_t len;
	size_t pos;
};

/* Copy n bytes, zero-filling what the input does not have. */
static inline void fuzz_take(struct fuzz_cursor *c, void *out, size_t n)
{
	size_t have = c->pos < c->len ? c->len - c->pos : 0;

	if (have > n)
		have = n;
	memset(out, 0, n);
	if (have)
		memcpy(out, c->data + c->pos, have);
	c->pos += have;
}

static inline uint8_t fuzz_u8(struct fuzz_cursor *c)
{
	uint8_t v;

	fuzz_take(c, &v, sizeof(v));
	return v;
}

static inline uint64_t fuzz_u64(struct fuzz_cursor *c)
{
	uint64_t v;

	fuzz_take(c, &v, sizeof(v));
	return v;
}

static inline size_t fuzz_remaining(const struct fuzz_cursor *c)
{
	return c->pos < c->len ? c->len - c->pos : 0;
}

#define FUZZ_CHECK(cond)							\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "%s:%d: invariant violated: %s\n",	\
				__FILE__, __LINE__, #cond);			\
			abort();						\
		}								\
	} while (0)

#endif /* NTPD_FUZZ_UTIL_H */
