/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the system call filter suites share: a call made in a forked child
 * under the daemon's filter, and what its death or exit must be.  Include
 * after <cmocka.h>.
 */
#ifndef TEST_SECCOMP_CHILD_H
#define TEST_SECCOMP_CHILD_H

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "seccomp_filter.h"

/* Run fn in a child under the filter in `mode`; its wait status. */
static inline int in_child(enum seccomp_mode mode, int (*fn)(void))
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (seccomp_filter_install(mode))
			_exit(100);
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static inline void assert_sigsys(int status)
{
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSYS)
		fail_msg("want death by SIGSYS; exited %d / signal %d",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* a cmocka setup: the suite's calls need root (to load, to change user) */
static inline int need_root(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		print_message("needs root\n");
		skip();
	}
	return 0;
}

#endif /* TEST_SECCOMP_CHILD_H */
