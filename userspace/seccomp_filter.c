// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "seccomp_filter.h"
#include "log.h"

#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <sys/prctl.h>

/*
 * By what needs them after start-up.  Names, not numbers: libseccomp maps
 * them per architecture, and one that does not exist on this one (open on
 * arm64) is skipped.
 */
static const char *const allowed[] = {
	/* memory, threads, signals, exit */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "futex", "set_robust_list",
	"rseq", "clone", "clone3", "exit", "exit_group", "sched_yield", "sched_getaffinity",
	"gettid", "getpid", "tgkill", "rt_sigreturn", "rt_sigprocmask", "rt_sigaction",
	"rt_sigtimedwait", "sigaltstack", "restart_syscall", "nanosleep", "clock_nanosleep",
	"membarrier", "prlimit64", "getrlimit",
	/* time: reading clocks and the kernel's TAI offset (adjtimex with no
	 * modes only reads; changing the clock needs CAP_SYS_TIME, never held) */
	"clock_gettime", "clock_getres", "gettimeofday", "time", "adjtimex", "clock_adjtime",
	/* the host clock step watch (a timerfd cancelled when the clock is set) */
	"timerfd_create", "timerfd_settime",
	/* files: the config file on SIGHUP, /etc/hosts and resolv.conf for
	 * upstream names, pins removed on stop, stderr */
	"openat", "open", "close", "read", "write", "writev", "readv", "pread64", "lseek",
	"fstat", "newfstatat", "stat", "lstat", "statx", "statfs", "fstatfs", "fcntl", "dup",
	"dup2", "dup3", "readlink", "readlinkat", "getdents64", "access", "faccessat",
	"faccessat2", "unlink", "unlinkat", "rmdir", "flock", "pipe2", "eventfd2", "ioctl",
	/* the drift file: written beside itself, flushed, renamed into place */
	"fsync", "fdatasync", "rename", "renameat", "renameat2",
	/* sockets: NTP (socket server, upstream polls), HTTP, netlink, syslog,
	 * sd_notify */
	"socket", "socketpair", "bind", "connect", "listen", "accept", "accept4", "sendto",
	"recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "setsockopt", "getsockopt",
	"getsockname", "getpeername", "shutdown",
	/* waiting */
	"poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "epoll_pwait2",
	/* maps: limits, lists, state, counters; detach on stop */
	"bpf",
	/* identity and randomness (nonces, getaddrinfo) */
	"getrandom", "uname", "sysinfo", "getuid", "geteuid", "getgid", "getegid",
};

int seccomp_parse_mode(const char *text, enum seccomp_mode *mode)
{
	if (!strcmp(text, "on"))
		*mode = SECCOMP_KILL;
	else if (!strcmp(text, "log"))
		*mode = SECCOMP_LOG;
	else if (!strcmp(text, "off"))
		*mode = SECCOMP_OFF;
	else
		return -EINVAL;
	return 0;
}

int seccomp_filter_install(enum seccomp_mode mode)
{
	scmp_filter_ctx ctx;
	size_t i;
	int nr, err;

	if (mode == SECCOMP_OFF)
		return 0;
	ctx = seccomp_init(mode == SECCOMP_KILL ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_LOG);
	if (!ctx) {
		pr_warn("seccomp: cannot create a filter\n");
		return -ENOMEM;
	}
	/* every thread, not only the one installing it */
	err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (i = 0; !err && i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		nr = seccomp_syscall_resolve_name(allowed[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;	/* not a call on this architecture */
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
	}
	/* prctl only to name a thread (libmicrohttpd names its own) */
	for (i = 0; !err && i < 2; i++) {
		const struct scmp_arg_cmp op = {
			.arg = 0, .op = SCMP_CMP_EQ, .datum_a = i ? PR_GET_NAME : PR_SET_NAME,
			.datum_b = 0,
		};

		err = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, &op);
	}
	if (!err)
		err = seccomp_load(ctx);
	seccomp_release(ctx);
	if (err) {
		pr_warn("seccomp: installing the filter: %s\n", strerror(-err));
		return err;
	}
	pr_info("seccomp: system call filter on (%zu calls allowed, others %s)\n",
		sizeof(allowed) / sizeof(allowed[0]),
		mode == SECCOMP_KILL ? "kill the daemon" : "logged by the kernel");
	return 0;
}
