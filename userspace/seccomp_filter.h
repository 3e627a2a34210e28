/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Our own system call filter (libseccomp), installed on every thread once
 * start-up is over, as chronyd's -F does: what serving, polling, reloading,
 * the HTTP endpoint and stopping need, nothing that start-up alone needs
 * (execve, mount, ptrace, module loading, new program loads...).
 */
#ifndef NTPD_SECCOMP_FILTER_H
#define NTPD_SECCOMP_FILTER_H

enum seccomp_mode {
	SECCOMP_OFF,
	SECCOMP_KILL,	/* a call outside the list kills the daemon */
	SECCOMP_LOG,	/* it is allowed but logged by the kernel (finding what is missing) */
};

/* "on"/"log"/"off" -> mode; -EINVAL otherwise. */
int seccomp_parse_mode(const char *text, enum seccomp_mode *mode);

/* Install the filter on all threads. 0 or -errno (logged). */
int seccomp_filter_install(enum seccomp_mode mode);

#endif /* NTPD_SECCOMP_FILTER_H */
