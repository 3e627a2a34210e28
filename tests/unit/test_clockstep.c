// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Host clock steps: the kernel's notice of a clock set, the size of the
 * step, and the corrected model keeping the served time where it was.
 * The step size comes from an injected clock; the one real clock set here
 * puts CLOCK_REALTIME back where it already was (root only), which is all
 * the kernel needs to cancel the watch's timer.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent.h"
#include "clockstep.h"

static __s64 fake_offset_ns;

static __s64 fake_offset(void)
{
	return fake_offset_ns;
}

/* CLOCK_REALTIME set to its own reading: a step of microseconds at most */
static int set_clock_in_place(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return clock_settime(CLOCK_REALTIME, &ts);
}

static void slewing_is_not_a_step(void **state)
{
	struct clock_step_watch w = { .read_offset_ns = fake_offset };
	__s64 step = 0;
	int i;

	(void)state;
	fake_offset_ns = 37000000000LL;
	assert_int_equal(clockstep_open(&w), 0);
	/* 500 us/s for ten seconds: 5 ms in all, never reported */
	for (i = 0; i < 10; i++) {
		fake_offset_ns += 500000;
		assert_int_equal(clockstep_check(&w, &step), 0);
	}
	/* and not added up either: a clock set now (in place, no step of its
	 * own) measures 0, not the 5 ms slewed since the watch opened */
	if (geteuid() == 0) {
		assert_int_equal(set_clock_in_place(), 0);
		assert_int_equal(clockstep_check(&w, &step), 1);
		assert_int_equal(step, 0);
	}
	clockstep_close(&w);
}

static void a_clock_set_is_measured(void **state)
{
	struct clock_step_watch w = { .read_offset_ns = fake_offset };
	__s64 step = 0;

	(void)state;
	if (geteuid() != 0)
		skip();
	fake_offset_ns = 37000000000LL;
	assert_int_equal(clockstep_open(&w), 0);
	assert_int_equal(clockstep_check(&w, &step), 0);
	fake_offset_ns += 300000;	/* slew before the step, seen by a check */
	assert_int_equal(clockstep_check(&w, &step), 0);
	fake_offset_ns -= 2000000000LL;	/* the injected clock steps back 2 s ... */
	assert_int_equal(set_clock_in_place(), 0);	/* ... and the kernel says so */
	assert_int_equal(clockstep_check(&w, &step), 1);
	assert_int_equal(step, -2000000000LL);
	/* reported once; the watch is armed again for the next */
	assert_int_equal(clockstep_check(&w, &step), 0);
	fake_offset_ns += 1000000000LL;
	assert_int_equal(set_clock_in_place(), 0);
	assert_int_equal(clockstep_check(&w, &step), 1);
	assert_int_equal(step, 1000000000LL);
	clockstep_close(&w);
}

static struct agent *start_agent(enum clock_model model)
{
	struct agent_config cfg = { .min_poll = 4, .max_poll = 6, .max_missed = 3, .model = model };
	struct agent *a = NULL;

	assert_int_equal(agent_start(&a, &cfg), 0);
	return a;
}

/* served time (ns) = the host's CLOCK_TAI + the published correction */
static double served_ns(struct agent *a, __u64 host_tai_ns)
{
	struct ntpd_ref_state st;
	const char *why = NULL;

	agent_reference_state(a, host_tai_ns, &st, &why);
	assert_string_equal(why, "upstream");
	return (double)host_tai_ns + (double)st.correction_ns;
}

static void corrected_model_serves_the_same_time_across_a_step(void **state)
{
	struct agent *a = start_agent(CLOCK_MODEL_CORRECTED);
	__u64 t = 1800000000ULL * 1000000000ULL;
	double before, after;

	(void)state;
	/* the host runs 250 ms behind the upstreams and 10 ppm slow */
	agent_assume_synced(a, 0.25, 10e-6, (double)t / 1e9 - 100);
	before = served_ns(a, t);
	/* the host clock is stepped 2 s forward: the same instant reads t + 2 s */
	agent_host_clock_stepped(a, 2.0);
	after = served_ns(a, t + 2000000000ULL);
	assert_true(fabs(after - before) < 2.0);	/* ns: rounding only */
	/* and 30 s later the fit still runs at its frequency from there */
	/* within the 2^-32 resolution of the published frequency over 30 s */
	assert_true(fabs(served_ns(a, t + 32000000000ULL) - (before + 30e9 * (1 + 10e-6))) < 5.0);
	/* a step back by 3.5 s as well */
	agent_host_clock_stepped(a, -3.5);
	assert_true(fabs(served_ns(a, t - 1500000000ULL) - before) < 2.0);
	agent_stop(a);
}

static void system_model_follows_the_host(void **state)
{
	struct agent *a = start_agent(CLOCK_MODEL_SYSTEM);
	__u64 t = 1800000000ULL * 1000000000ULL;

	(void)state;
	agent_assume_synced(a, 0.0, 0.0, (double)t / 1e9);
	agent_host_clock_stepped(a, 2.0);
	/* whoever stepped the host disciplines it: serve it as it reads */
	assert_true(fabs(served_ns(a, t + 2000000000ULL) - (double)(t + 2000000000ULL)) < 1.0);
	agent_stop(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(slewing_is_not_a_step),
		cmocka_unit_test(a_clock_set_is_measured),
		cmocka_unit_test(corrected_model_serves_the_same_time_across_a_step),
		cmocka_unit_test(system_model_follows_the_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
