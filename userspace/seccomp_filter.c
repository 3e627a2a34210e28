// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "seccomp_filter.h"
#include "log.h"

#include <errno.h>
#include <linux/bpf.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <termios.h>

/*
 * By what needs them after start-up.  Names, not numbers: libseccomp maps
 * them per architecture, and one that does not exist on this one (open on
 * arm64) is skipped.
 */
static const char *const allowed[] = {
	/* memory, threads, signals, exit */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "futex", "set_robust_list",
	"rseq", "exit", "exit_group", "sched_yield", "sched_getaffinity",
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
	"faccessat2", "unlink", "unlinkat", "rmdir", "flock", "pipe2", "eventfd2",
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
	/* identity and randomness (nonces, getaddrinfo) */
	"getrandom", "uname", "sysinfo", "getuid", "geteuid", "getgid", "getegid",
};

/*
 * bpf(2) commands, by what uses them after start-up (strace -f of start,
 * SIGHUP, a relink, /metrics and /status scrapes, stop; docs/security.md):
 * map reads and writes (limits, lists, state, counters, the address maps,
 * the rate table walked for /ratelimit and counted in batches by the
 * metrics census) and object info (libbpf, libxdp).
 * libxdp's detach through its dispatcher (not seen: the dispatcher does not
 * load on the kernel traced) looks programs up by id (refused without
 * CAP_SYS_ADMIN, which it falls back from) and opens its own pins.
 */
static const unsigned long bpf_cmds[] = {
	BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM, BPF_MAP_GET_NEXT_KEY,
	BPF_MAP_LOOKUP_BATCH, BPF_OBJ_GET_INFO_BY_FD, BPF_OBJ_GET, BPF_PROG_GET_FD_BY_ID, BPF_MAP_GET_FD_BY_ID,
	BPF_BTF_GET_FD_BY_ID,
};

/*
 * Nothing loads a program after start-up (the relink's was loaded before,
 * loader_prepare_relink), but libxdp rebuilds its dispatcher when it
 * detaches one of several programs sharing an interface: these fail with
 * EPERM, as they would without CAP_BPF, rather than kill the daemon at its
 * stop.  Every other command kills.
 */
static const unsigned long bpf_cmds_refused[] = { BPF_PROG_LOAD, BPF_BTF_LOAD, BPF_MAP_CREATE };

/*
 * ioctl(2) requests: none was seen after start-up; these are the ones
 * glibc (isatty on the log stream) and libmicrohttpd (FIONBIO, FIONREAD on
 * its sockets) may still issue on paths the trace did not take.
 */
static const unsigned long ioctl_reqs[] = { TCGETS, FIONBIO, FIONREAD };

/* Every namespace a clone could create (unshare and setns are not allowed). */
#define CLONE_NEW_ANY (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
		       CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)

/*
 * Threads, nothing else: pthread_create's clone has CLONE_VM and
 * CLONE_THREAD and no CLONE_NEW*; a fork (no CLONE_VM) or a namespace is
 * killed.  clone3 passes its flags in memory the filter cannot read, so it
 * is answered ENOSYS, on which glibc falls back to clone.
 */
static int add_process_rules(scmp_filter_ctx ctx)
{
	const struct scmp_arg_cmp thread_only = {
		.arg = 0, .op = SCMP_CMP_MASKED_EQ,
		.datum_a = CLONE_NEW_ANY | CLONE_VM | CLONE_THREAD,
		.datum_b = CLONE_VM | CLONE_THREAD,
	};
	int err, nr = seccomp_syscall_resolve_name("clone3");

	err = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, &thread_only);
	if (!err && nr != __NR_SCMP_ERROR)
		err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
	return err;
}

/* One rule per allowed value of argument `arg` of `nr` (the low 32 bits:
 * an ioctl request is an int in glibc's prototype, a cmd an int). */
static int add_arg_rules(scmp_filter_ctx ctx, __u32 action, int nr, unsigned int arg,
			 const unsigned long *vals, size_t n)
{
	size_t i;
	int err = 0;

	for (i = 0; !err && i < n; i++) {
		const struct scmp_arg_cmp op = {
			.arg = arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = 0xffffffffUL,
			.datum_b = vals[i],
		};

		err = seccomp_rule_add_array(ctx, action, nr, 1, &op);
	}
	return err;
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int add_argument_rules(scmp_filter_ctx ctx)
{
	/* prctl only to name a thread (libmicrohttpd names its own) */
	static const unsigned long prctl_ops[] = { PR_SET_NAME, PR_GET_NAME };
	int err;

	err = add_process_rules(ctx);
	if (!err)
		err = add_arg_rules(ctx, SCMP_ACT_ALLOW, SCMP_SYS(bpf), 0, bpf_cmds, N_OF(bpf_cmds));
	if (!err)
		err = add_arg_rules(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(bpf), 0, bpf_cmds_refused,
				    N_OF(bpf_cmds_refused));
	if (!err)
		err = add_arg_rules(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, ioctl_reqs,
				    N_OF(ioctl_reqs));
	if (!err)
		err = add_arg_rules(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 0, prctl_ops,
				    N_OF(prctl_ops));
	return err;
}

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
	if (!err)
		err = add_argument_rules(ctx);
	if (!err)
		err = seccomp_load(ctx);
	seccomp_release(ctx);
	if (err) {
		pr_warn("seccomp: installing the filter: %s\n", strerror(-err));
		return err;
	}
	pr_info("seccomp: system call filter on (%zu calls allowed, clone, bpf, ioctl and "
		"prctl by argument, others %s)\n",
		sizeof(allowed) / sizeof(allowed[0]),
		mode == SECCOMP_KILL ? "kill the daemon" : "logged by the kernel");
	return 0;
}
