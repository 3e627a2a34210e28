// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * chronyc's tracking numbers as `status` shows them: the update interval is
 * the time between the samples of two clock updates, never negative.  With
 * two good upstreams answering within microseconds of each other the system
 * peer can change to the source whose reply came in first; counting its
 * (older) sample as an update once showed an interval of -11.7 us.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tracking.h"

#define T0 1.8e9	/* our TAI reading at the first sample, s */

static void test_first_update_has_no_interval(void **state)
{
	struct agent_tracking t = { 0 };

	(void)state;
	assert_true(tracking_update(&t, T0, -250e-6));
	assert_int_equal(t.updates, 1);
	assert_true(t.update_interval == 0);
	assert_true(t.last_offset == -250e-6);
	assert_true(t.rms_offset == 250e-6);
}

static void test_interval_between_samples(void **state)
{
	struct agent_tracking t = { 0 };

	(void)state;
	tracking_update(&t, T0, 100e-6);
	assert_true(tracking_update(&t, T0 + 1.0, 0));
	assert_int_equal(t.updates, 2);
	assert_true(fabs(t.update_interval - 1.0) < 1e-9);
	/* the running RMS: weight 1/8 on the new offset */
	assert_true(fabs(t.rms_offset - sqrt(7 * 100e-6 * 100e-6 / 8)) < 1e-12);
}

static void test_older_sample_of_a_new_peer_is_no_update(void **state)
{
	struct agent_tracking t = { 0 };

	(void)state;
	tracking_update(&t, T0, 1e-6);
	tracking_update(&t, T0 + 1.0, 2e-6);
	/* the other upstream's reply came 11.7 us before the last update's */
	assert_false(tracking_update(&t, T0 + 1.0 - 11.7e-6, 3e-6));
	assert_int_equal(t.updates, 2);
	assert_true(fabs(t.update_interval - 1.0) < 1e-9);
	assert_true(t.last_offset == 2e-6);
	/* the same sample again is no update either */
	assert_false(tracking_update(&t, T0 + 1.0, 4e-6));
	/* its next reply is */
	assert_true(tracking_update(&t, T0 + 2.0, 5e-6));
	assert_true(fabs(t.update_interval - 1.0) < 1e-9);
	assert_true(t.update_interval > 0);
}

static void test_host_clock_stepped_back(void **state)
{
	struct agent_tracking t = { 0 };

	(void)state;
	tracking_update(&t, T0, 0);
	/* the host clock is set an hour back: our readings move with it */
	tracking_move(&t, -3600);
	assert_true(tracking_update(&t, T0 - 3600 + 2.0, 0));
	assert_true(fabs(t.update_interval - 2.0) < 1e-9);
}

static void test_noted_sample_starts_the_interval(void **state)
{
	struct agent_tracking t = { 0 };

	(void)state;
	/* the corrected clock's first publication steps: not an update */
	tracking_note(&t, T0);
	assert_int_equal(t.updates, 0);
	assert_true(tracking_update(&t, T0 + 0.5, 0));
	assert_int_equal(t.updates, 1);
	assert_true(fabs(t.update_interval - 0.5) < 1e-9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_update_has_no_interval),
		cmocka_unit_test(test_interval_between_samples),
		cmocka_unit_test(test_older_sample_of_a_new_peer_is_no_update),
		cmocka_unit_test(test_host_clock_stepped_back),
		cmocka_unit_test(test_noted_sample_starts_the_interval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
