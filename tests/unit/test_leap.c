// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Leap second handling sampled at chosen instants: no waiting for a leap. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "leap.h"

#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

/* 2016-12-31 23:59:60 was the last leap: its instant is 2017-01-01 00:00:00 */
#define LEAP_2016 1483228800.0
#define DAY 86400.0

static void announcement_latches_next_midnight(void **state)
{
	struct leap_tracker t = { 0 };

	(void)state;
	leap_observe(&t, NTP_LEAP_INSERT, LEAP_2016 - 3600);
	assert_near(t.instant, LEAP_2016, 0);
	assert_int_equal(t.sign, 1);
	assert_int_equal(leap_served_li(&t, LEAP_2016 - 1, false), NTP_LEAP_INSERT);
	assert_int_equal(leap_served_li(&t, LEAP_2016, false), NTP_LEAP_NONE);
	/* upstreams clear LI after midnight: the leap stays done */
	leap_observe(&t, NTP_LEAP_NONE, LEAP_2016 + 10);
	assert_near(t.instant, LEAP_2016, 0);
}

static void cancelled_before_the_instant(void **state)
{
	struct leap_tracker t = { 0 };

	(void)state;
	leap_observe(&t, NTP_LEAP_DELETE, LEAP_2016 - 7200);
	assert_int_equal(leap_served_li(&t, LEAP_2016 - 7200, false), NTP_LEAP_DELETE);
	leap_observe(&t, NTP_LEAP_NONE, LEAP_2016 - 3600);
	assert_int_equal(leap_served_li(&t, LEAP_2016 - 3600, false), NTP_LEAP_NONE);
	assert_int_equal(leap_take_step(&t, LEAP_2016 + 1), 0);
}

static void corrected_clock_steps_once(void **state)
{
	struct leap_tracker t = { 0 };

	(void)state;
	leap_observe(&t, NTP_LEAP_INSERT, LEAP_2016 - 60);
	assert_int_equal(leap_take_step(&t, LEAP_2016 - 0.001), 0);
	assert_int_equal(leap_take_step(&t, LEAP_2016), 1);
	assert_int_equal(leap_take_step(&t, LEAP_2016 + 1), 0);
}

static void smear_is_linear_and_continuous(void **state)
{
	struct leap_tracker t = { 0 };
	double prev_served = 0, now;

	(void)state;
	leap_observe(&t, NTP_LEAP_INSERT, LEAP_2016 - DAY / 2 - 1);
	/* LI is never announced while smearing */
	assert_int_equal(leap_served_li(&t, LEAP_2016 - 10, true), NTP_LEAP_NONE);
	assert_near(leap_smear_offset(&t, LEAP_2016 - DAY / 2 - 1), 0, 0);
	assert_near(leap_smear_offset(&t, LEAP_2016 - DAY / 4), -0.25, 1e-9);
	assert_near(leap_smear_offset(&t, LEAP_2016 - 1e-3), -0.5, 1e-7);
	assert_near(leap_smear_offset(&t, LEAP_2016), 0.5, 1e-9);
	assert_near(leap_smear_offset(&t, LEAP_2016 + DAY / 4), 0.25, 1e-9);
	assert_near(leap_smear_offset(&t, LEAP_2016 + DAY / 2), 0, 0);

	/* Served time = UTC (which repeats a second at the leap) + smear: it
	 * must never step and always advance, at 1 - 1/86400 s per s. */
	for (now = LEAP_2016 - DAY / 2; now < LEAP_2016 + DAY / 2; now += 997) {
		double utc = now < LEAP_2016 ? now : now - 1;
		double served = utc + leap_smear_offset(&t, now);

		if (prev_served)
			assert_near(served - prev_served, 997 * (1 - 1 / DAY), 1e-6);
		prev_served = served;
	}
}

static void deletion_smears_the_other_way(void **state)
{
	struct leap_tracker t = { 0 };

	(void)state;
	leap_observe(&t, NTP_LEAP_DELETE, LEAP_2016 - 100);
	assert_near(leap_smear_offset(&t, LEAP_2016 - 1e-3), 0.5, 1e-7);
	assert_near(leap_smear_offset(&t, LEAP_2016), -0.5, 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(announcement_latches_next_midnight),
		cmocka_unit_test(cancelled_before_the_instant),
		cmocka_unit_test(corrected_clock_steps_once),
		cmocka_unit_test(smear_is_linear_and_continuous),
		cmocka_unit_test(deletion_smears_the_other_way),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
