// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "log.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <xdp/libxdp.h>

/* A log line in the file, stamp and prefix included; a longer message is
 * cut there and still ends its line. */
#define LOG_FILE_LINE_MAX	1024

static enum log_level current_level = LOG_LVL_INFO;
static bool to_syslog;
/* --log-file: its descriptor stays the same number for the daemon's life
 * (log_reopen_file dup3s the new file onto it), so threads read it unlocked */
static int file_fd = -1;
static char *file_path;

static int open_log_file(const char *path)
{
	/* O_APPEND: each line lands whole at the end, whoever else appends
	 * (a second daemon during --replace) */
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);

	return fd < 0 ? -errno : fd;
}

int log_use_file(const char *path)
{
	int fd = open_log_file(path);

	if (fd < 0) {
		pr_err("--log-file %s: %s\n", path, strerror(-fd));
		return fd;
	}
	file_path = strdup(path);
	if (!file_path) {
		close(fd);
		return -ENOMEM;
	}
	file_fd = fd;
	return 0;
}

int log_reopen_file(void)
{
	int fd, err = 0;

	if (file_fd < 0)
		return 0;
	fd = open_log_file(file_path);
	if (fd < 0) {
		pr_warn("log file %s: cannot reopen (%s): still writing to the old file\n",
			file_path, strerror(-fd));
		return fd;
	}
	if (dup3(fd, file_fd, O_CLOEXEC) < 0) {
		err = -errno;
		pr_warn("log file %s: cannot switch to the reopened file: %s\n", file_path,
			strerror(-err));
	}
	close(fd);
	if (!err)
		pr_info("log file %s reopened\n", file_path);
	return err;
}

/* "2026-12-01T15:49:22.123456Z xdp-ntpd[PID]: warning: text", one write(2) */
static void file_vmsg(const char *prefix, const char *fmt, va_list ap)
{
	char line[LOG_FILE_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	size_t used;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	used = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line + used, sizeof(line) - used, ".%06ldZ xdp-ntpd[%d]: %s",
		     ts.tv_nsec / 1000, (int)getpid(), prefix);
	used += n > 0 ? (size_t)n : 0;
	n = vsnprintf(line + used, sizeof(line) - used, fmt, ap);
	used = n < 0 ? used : used + (size_t)n >= sizeof(line) ? sizeof(line) - 1 : used + (size_t)n;
	if (used == 0 || line[used - 1] != '\n') {
		if (used == sizeof(line) - 1)
			used--;
		line[used++] = '\n';
	}
	/* nowhere to say a failed log write went wrong: it is dropped */
	if (write(file_fd, line, used) < 0)
		return;
}

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
	if (file_fd >= 0) {
		file_vmsg(prefix[level], fmt, ap);
		return;
	}
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
