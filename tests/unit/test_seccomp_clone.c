// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The argument filters of the daemon's own system call filter
 * (seccomp_filter_install, "on"), each case in a forked child:
 *  - clone makes threads only: pthread_create works, a clone with any
 *    CLONE_NEW* flag, or a fork, is killed with SIGSYS; clone3 answers
 *    ENOSYS (its flags are out of the filter's reach), unshare is killed;
 *  - bpf only with the commands the daemon uses after start-up: a map
 *    lookup passes the filter, BPF_PROG_TEST_RUN and BPF_LINK_CREATE kill;
 *  - ioctl only with the listed requests: TCGETS passes, SIOCGIFINDEX kills.
 * Root is needed for the namespace cases: as root, without the filter, the
 * clone would succeed, so the SIGSYS is the filter's doing.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>

#include "seccomp_child.h"

static void assert_exit0(int status)
{
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("want exit 0; exited %d / signal %d",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* A clone with `flags` through the raw system call, glibc's fork-like
 * calling convention (a NULL stack: the child runs on a copy of ours). */
static int raw_clone(unsigned long flags)
{
	long pid = syscall(SYS_clone, flags, NULL, NULL, NULL, 0UL);

	if (pid == 0)
		_exit(0);
	/* no wait: wait4 is not in the filter, and its SIGSYS would pass for
	 * the clone's; the orphan is reaped by whoever inherits it */
	return pid < 0 ? 3 : 4;		/* refused / the clone happened */
}

static int clone_newnet(void) { return raw_clone(CLONE_NEWNET | SIGCHLD); }
static int clone_newuser(void) { return raw_clone(CLONE_NEWUSER | SIGCHLD); }
static int plain_fork(void) { return raw_clone(SIGCHLD); }

static void *thread_fn(void *arg)
{
	return arg;
}

static int make_thread(void)
{
	pthread_t t;
	void *ret = NULL;
	int token;

	if (pthread_create(&t, NULL, thread_fn, &token) || pthread_join(t, &ret))
		return 1;
	return ret == &token ? 0 : 2;
}

static int clone3_answer(void)
{
	/* the struct does not matter: the filter answers before the kernel reads it */
	long r = syscall(SYS_clone3, NULL, 0UL);

	return r == -1 && errno == ENOSYS ? 0 : 1;
}

static int do_unshare(void)
{
	unshare(CLONE_NEWNET);
	return 3;
}

static void threads_are_made(void **state)
{
	(void)state;
	assert_exit0(in_child(SECCOMP_KILL, make_thread));
}

static void clone3_is_enosys(void **state)
{
	(void)state;
	assert_exit0(in_child(SECCOMP_KILL, clone3_answer));
}

static void namespace_clone_kills(void **state)
{
	(void)state;
	/* the control: without the filter root makes the namespace */
	assert_int_equal(WEXITSTATUS(in_child(SECCOMP_OFF, clone_newnet)), 4);
	assert_sigsys(in_child(SECCOMP_KILL, clone_newnet));
	assert_sigsys(in_child(SECCOMP_KILL, clone_newuser));
	assert_sigsys(in_child(SECCOMP_KILL, do_unshare));
}

static void fork_kills(void **state)
{
	(void)state;
	assert_sigsys(in_child(SECCOMP_KILL, plain_fork));
}

/* bpf(cmd) with a zeroed attribute: the filter decides on cmd alone, the
 * kernel then refuses the empty request (EBADF/EINVAL), which is fine */
static int bpf_cmd(int cmd)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (__u32)-1;
	syscall(SYS_bpf, cmd, &attr, sizeof(attr));
	return 0;
}

static int bpf_lookup(void) { return bpf_cmd(BPF_MAP_LOOKUP_ELEM); }
static int bpf_test_run(void) { return bpf_cmd(BPF_PROG_TEST_RUN); }
static int bpf_link_create(void) { return bpf_cmd(BPF_LINK_CREATE); }

static void bpf_by_command(void **state)
{
	(void)state;
	assert_exit0(in_child(SECCOMP_KILL, bpf_lookup));
	assert_sigsys(in_child(SECCOMP_KILL, bpf_test_run));
	assert_sigsys(in_child(SECCOMP_KILL, bpf_link_create));
}

static int ioctl_tcgets(void)
{
	struct termios t;

	ioctl(STDIN_FILENO, TCGETS, &t);	/* ENOTTY when not a terminal: fine */
	return 0;
}

static int ioctl_ifindex(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ioctl(fd, SIOCGIFINDEX, &ifr);
	return 3;
}

static void ioctl_by_request(void **state)
{
	(void)state;
	assert_exit0(in_child(SECCOMP_KILL, ioctl_tcgets));
	assert_sigsys(in_child(SECCOMP_KILL, ioctl_ifindex));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(threads_are_made),
		cmocka_unit_test(clone3_is_enosys),
		cmocka_unit_test_setup(namespace_clone_kills, need_root),
		cmocka_unit_test(fork_kills),
		cmocka_unit_test(bpf_by_command),
		cmocka_unit_test(ioctl_by_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
