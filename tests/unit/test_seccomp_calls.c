// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The calls docs/security.md names, under the daemon's own filter
 * (seccomp_filter_install, "on"), each in a forked child:
 *  - execve and ptrace kill the process with SIGSYS;
 *  - bpf(BPF_PROG_LOAD) fails with EPERM under the filter, even as root:
 *    nothing loads a program after start-up (the relink attaches one loaded
 *    before, loader_prepare_relink), and EPERM, not death, because libxdp
 *    may try to rebuild its dispatcher at stop.  As an unprivileged user
 *    (-u, no CAP_BPF) the call fails with EPERM too.
 * Needs root (to load a program and to change user); skipped otherwise.
 */
#include <errno.h>
#include <grp.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "seccomp_child.h"

#define NOBODY 65534

/* Run fn in a child, as `uid` if not -1, under the filter; its wait status. */
static int in_child_as(int uid, int (*fn)(void))
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (uid >= 0 && (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
				 setresuid(uid, uid, uid)))
			_exit(101);
		if (seccomp_filter_install(SECCOMP_KILL))
			_exit(100);
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* a path that does not exist: were execve allowed, it would return ENOENT
 * (a real program would itself die of the filter, proving nothing) */
static int do_execve(void)
{
	char *argv[] = { "none", NULL }, *envp[] = { NULL };

	execve("/nonexistent/xdp-ntpd-test", argv, envp);
	return 3;	/* reached only if the call returned */
}

static int do_ptrace(void)
{
	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	return 3;
}

/* The smallest XDP program: r0 = XDP_PASS; exit.  0 if loaded, else errno. */
static int do_prog_load(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	long fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_XDP;
	attr.insns = (__u64)(unsigned long)insns;
	attr.insn_cnt = 2;
	attr.license = (__u64)(unsigned long)"GPL";
	fd = syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd >= 0) {
		close((int)fd);
		return 0;
	}
	return errno == EPERM ? 1 : 2;
}

static void execve_kills(void **state)
{
	(void)state;
	assert_sigsys(in_child_as(-1, do_execve));
}

static void ptrace_kills(void **state)
{
	(void)state;
	assert_sigsys(in_child_as(-1, do_ptrace));
}

/* the filter refuses BPF_PROG_LOAD, root or not: EPERM */
static void prog_load_refused_by_the_filter(void **state)
{
	int status;

	(void)state;
	status = in_child_as(-1, do_prog_load);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
}

/* ... and what refuses it after -u is the missing capability: EPERM */
static void prog_load_refused_without_capabilities(void **state)
{
	int status;

	(void)state;
	status = in_child_as(NOBODY, do_prog_load);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(execve_kills, need_root),
		cmocka_unit_test_setup(ptrace_kills, need_root),
		cmocka_unit_test_setup(prog_load_refused_by_the_filter, need_root),
		cmocka_unit_test_setup(prog_load_refused_without_capabilities, need_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
