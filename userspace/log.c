// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "log.h"

#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <xdp/libxdp.h>

static enum log_level current_level = LOG_LVL_INFO;
static bool to_syslog;

void log_use_syslog(void)
{
	openlog("xdp-ntpd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	to_syslog = true;
}

void log_set_level(enum log_level level)
{
	current_level = level;
}

bool log_enabled(enum log_level level)
{
	return level <= current_level;
}

static void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const prefix[] = { "", "warning: ", "", "debug: " };
	static const int priority[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

	if (!log_enabled(level))
		return;
	if (to_syslog) {
		vsyslog(priority[level], fmt, ap);
		return;
	}
	fprintf(stderr, "xdp-ntpd: %s", prefix[level]);
	vfprintf(stderr, fmt, ap);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/*
 * The libraries warn about attempts they then recover from (libxdp's
 * dispatcher probe, native mode on a driver without it); our own messages
 * say what failed and what we did instead, so theirs are detail: shown at
 * info and debug, their debug chatter never.
 */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_DEBUG)
		log_vmsg(level == LIBBPF_WARN ? LOG_LVL_INFO : LOG_LVL_DEBUG, fmt, ap);
	return 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBXDP_DEBUG)
		log_vmsg(level == LIBXDP_WARN ? LOG_LVL_INFO : LOG_LVL_DEBUG, fmt, ap);
	return 0;
}

void log_route_libraries(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}
