// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * clock_eperm PROGRAM ARGS...: run PROGRAM under the system call filter that
 * systemd's ProtectClock=yes installs: every call of the @clock set fails
 * with EPERM, read-only adjtimex() included.  The tests use it to show what
 * the daemon serves when it cannot read the kernel's clock state.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* systemd-analyze syscall-filter @clock (systemd 252, Debian 12) */
static const char *const clock_set[] = {
	"adjtimex", "clock_adjtime", "clock_adjtime64", "clock_settime", "clock_settime64",
	"settimeofday",
};

int main(int argc, char **argv)
{
	scmp_filter_ctx ctx;
	size_t i;
	int nr, err = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: clock_eperm PROGRAM [ARGS...]\n");
		return 2;
	}
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		fprintf(stderr, "clock_eperm: cannot create a filter\n");
		return 1;
	}
	for (i = 0; !err && i < sizeof(clock_set) / sizeof(clock_set[0]); i++) {
		nr = seccomp_syscall_resolve_name(clock_set[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;	/* not a call on this architecture (the *64 ones on x86_64) */
		err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
	}
	if (!err)
		err = seccomp_load(ctx);
	seccomp_release(ctx);
	if (err) {
		fprintf(stderr, "clock_eperm: installing the filter: %s\n", strerror(-err));
		return 1;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "clock_eperm: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
