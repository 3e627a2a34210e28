/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Parsers say what they refuse into the caller's buffer and the caller logs
 * it (one channel: log.h).  errbuf_fail writes the message and returns the
 * -EINVAL the parser hands back.
 */
#ifndef NTPD_ERRBUF_H
#define NTPD_ERRBUF_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

__attribute__((format(printf, 3, 4)))
static inline int errbuf_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

#endif /* NTPD_ERRBUF_H */
