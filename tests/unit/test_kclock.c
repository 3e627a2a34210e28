// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Failing closed on the kernel clock state: in forked children under a
 * filter that makes adjtimex fail with EPERM (what systemd's ProtectClock=yes
 * does), every reader reports the error, the local reference is refused
 * with nothing half filled, the unsynchronised state keeps UTC timestamps,
 * and the failure is counted.  Children leave with _exit: their status is
 * the first check that failed (0: all held).
 */
#include <errno.h>
#include <seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "kclock.h"
#include "refstate.h"
#include "watchdog.h"

static int in_eperm_child(int (*fn)(void))
{
	int status = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

		/* glibc's adjtimex() is the clock_adjtime call on CLOCK_REALTIME */
		if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(adjtimex), 0) ||
		    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clock_adjtime), 0) ||
		    seccomp_load(ctx))
			_exit(100);
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static __s64 real_offset;	/* the kernel's, read before the filter */

static int eperm_checks(void)
{
	static const struct ntpd_ref_state zero;
	struct ntpd_ref_state st;
	struct kclock kc;
	__s64 off = 1;

	memset(&kc, 0xa5, sizeof(kc));
	if (kclock_read(&kc) != -EPERM)
		return 1;
	if (kc.tai_offset_ns || kc.synchronised || kc.leap || kc.maxerror_us)
		return 2;	/* zeroed, not left as it was */
	if (kclock_tai_offset_ns(&off) != -EPERM || off)
		return 3;
	memset(&st, 0xa5, sizeof(st));
	if (refstate_from_system_clock(&st, 10) != -EPERM || memcmp(&st, &zero, sizeof(st)))
		return 4;	/* refused, and nothing in *st could be served */
	refstate_unsynchronised(&st, 123, 0);
	if (st.leap != NTP_LEAP_UNSYNC || st.stratum != 16 || memcmp(&st.refid, "INIT", 4) ||
	    st.update_tai_ns != 123 || st.root_delay || st.root_dispersion || st.correction_ns)
		return 5;
	if (st.tai_offset_ns != real_offset)
		return 6;	/* LI=3 timestamps still UTC: the estimate is the kernel's */
	if (kclock_errors(KCLOCK_ADJTIMEX) < 4)
		return 7;
	return 0;
}

static void adjtimex_eperm_fails_closed(void **state)
{
	(void)state;
	assert_int_equal(kclock_tai_offset_ns(&real_offset), 0);
	assert_int_equal(in_eperm_child(eperm_checks), 0);
}

static void readable_clock_serves_local(void **state)
{
	struct ntpd_ref_state st;
	struct kclock kc;
	__s64 est;

	(void)state;
	assert_int_equal(kclock_read(&kc), 0);
	assert_int_equal(refstate_from_system_clock(&st, 10), 0);
	assert_int_equal(st.stratum, 10);
	assert_memory_equal(&st.refid, "LOCL", 4);
	assert_int_equal(st.tai_offset_ns, kc.tai_offset_ns);
	/* the estimate agrees with adjtimex (no leap happens during a test) */
	assert_int_equal(kclock_tai_offset_estimate_ns(&est), 0);
	assert_int_equal(est, kc.tai_offset_ns);
}

static void watchdog_bound_leaves_a_publication_to_spare(void **state)
{
	(void)state;
	/* default --max-age 10 s: 8 s, then the next publication is LI=3 */
	assert_int_equal(watchdog_bound_ns(10 * NSEC_PER_SEC_U64), 8 * NSEC_PER_SEC_U64);
	/* never so tight that a healthy one-second pass looks dead */
	assert_int_equal(watchdog_bound_ns(1 * NSEC_PER_SEC_U64), 3 * NSEC_PER_SEC_U64);
	assert_int_equal(watchdog_bound_ns(4 * NSEC_PER_SEC_U64), 3 * NSEC_PER_SEC_U64);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(adjtimex_eperm_fails_closed),
		cmocka_unit_test(readable_clock_serves_local),
		cmocka_unit_test(watchdog_bound_leaves_a_publication_to_spare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
