/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one parser of decimal numbers for everything an operator types: flags,
 * config directives, endpoint ports, API values.  Header-only so endpoint.c
 * and knobs.c share it without depending on each other.
 */
#ifndef NTPD_NUMBER_H
#define NTPD_NUMBER_H

#include <errno.h>
#include <stdlib.h>

/* The whole of `text` as a decimal in [min, max]: 0, or -EINVAL for no
 * number, trailing characters ("4k") or a value outside the range. */
static inline int number_parse_long(const char *text, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

#endif /* NTPD_NUMBER_H */
