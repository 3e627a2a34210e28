/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
#ifndef NTPD_LOG_H
#define NTPD_LOG_H

#include <stdbool.h>

/* ERR: what failed and stops something (a start, a reload); the message
 * stands as it is, as the caller's own "xdp-ntpd: ..." would */
enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level level);
/* From now on to syslog (facility daemon) instead of stderr. */
void log_use_syslog(void);
/*
 * From now on to the file at `path` (--log-file), appended to, one write(2)
 * per line.  0, or -errno after saying so on the current channel.
 */
int log_use_file(const char *path);
/*
 * Open the log file's path again and write there from now on (SIGUSR1,
 * after logrotate moved the file).  The new file takes the old one's
 * descriptor in one dup3(2): a line is written whole to one file or the
 * other, never lost between them.  On failure the old file is kept and the
 * reason written to it.  0 or -errno; 0 without a log file.
 */
int log_reopen_file(void);
bool log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Route libbpf's and libxdp's own messages through log_msg. */
void log_route_libraries(void);

#define pr_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define pr_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define pr_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define pr_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* NTPD_LOG_H */
