// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The system call filter, in forked children (a filter cannot be removed):
 * what the daemon does while serving survives it; a call outside the list
 * kills the process with SIGSYS in "on" mode and is let through in "log".
 * Children leave with _exit: sanitizer and cmocka exit handlers are not
 * what is under test.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "seccomp_child.h"

/* What serving looks like: clocks, randomness, a UDP socket, a file, stderr. */
static int serving_calls(void)
{
	struct timespec ts;
	char buf[16];
	int fd;

	if (clock_gettime(CLOCK_TAI, &ts) || getrandom(buf, sizeof(buf), 0) != sizeof(buf))
		return 1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 2;
	close(fd);
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0)
		return 3;
	close(fd);
	return write(2, "", 0) == 0 ? 0 : 4;
}

/* Never needed after start-up: mounting a filesystem. */
static int forbidden_call(void)
{
	mount("none", "/nonexistent", "tmpfs", 0, NULL);
	return 0;	/* reached only if the filter let it through */
}

static void allowed_calls_survive(void **state)
{
	int status;

	(void)state;
	status = in_child(SECCOMP_KILL, serving_calls);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void forbidden_call_kills(void **state)
{
	int status;

	(void)state;
	status = in_child(SECCOMP_KILL, forbidden_call);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

static void log_mode_lets_it_through(void **state)
{
	int status;

	(void)state;
	status = in_child(SECCOMP_LOG, forbidden_call);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void off_installs_nothing(void **state)
{
	int status;

	(void)state;
	status = in_child(SECCOMP_OFF, forbidden_call);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void parse_modes(void **state)
{
	enum seccomp_mode m = SECCOMP_OFF;

	(void)state;
	assert_int_equal(seccomp_parse_mode("on", &m), 0);
	assert_int_equal(m, SECCOMP_KILL);
	assert_int_equal(seccomp_parse_mode("log", &m), 0);
	assert_int_equal(m, SECCOMP_LOG);
	assert_int_equal(seccomp_parse_mode("off", &m), 0);
	assert_int_equal(m, SECCOMP_OFF);
	assert_int_equal(seccomp_parse_mode("1", &m), -EINVAL);
	assert_int_equal(seccomp_parse_mode("", &m), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(allowed_calls_survive),
		cmocka_unit_test(forbidden_call_kills),
		cmocka_unit_test(log_mode_lets_it_through),
		cmocka_unit_test(off_installs_nothing),
		cmocka_unit_test(parse_modes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
