// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The drift file: what is written is read back, a broken file is refused
 * with -EINVAL (and the daemon then starts from an unknown frequency rather
 * than a wrong one), and a write leaves no temporary behind.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "driftfile.h"

static char dir[] = "/tmp/xdp-ntpd-drift.XXXXXX";
static char path[128], tmp[160];

static void write_text(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void round_trip(void **state)
{
	double freq = 0, skew = 0;

	(void)state;
	assert_int_equal(driftfile_save(path, -23.456789e-6, 0.012e-6), 0);
	assert_int_equal(access(tmp, F_OK), -1);	/* renamed into place */
	assert_int_equal(driftfile_load(path, &freq, &skew), 0);
	assert_true(fabs(freq - -23.456789e-6) < 1e-12);
	assert_true(fabs(skew - 0.012e-6) < 1e-12);
}

static void broken_files_are_refused(void **state)
{
	static const char *const bad[] = {
		"", "12.5\n", "abc def\n", "12.5 0.1 junk\n", "600 0.1\n", "-501 0.1\n",
		"1 -0.1\n", "nan 0.1\n", "inf 0.1\n",
	};
	double freq = 7, skew = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_text(bad[i]);
		assert_int_equal(driftfile_load(path, &freq, &skew), -EINVAL);
	}
	/* and nothing was taken from them */
	assert_true(freq == 7 && skew == 7);
	write_text("  -12.5   0.25 \n");
	assert_int_equal(driftfile_load(path, &freq, &skew), 0);
	assert_true(fabs(freq - -12.5e-6) < 1e-15);
}

static void a_missing_file_says_so(void **state)
{
	double freq, skew;

	(void)state;
	unlink(path);
	assert_int_equal(driftfile_load(path, &freq, &skew), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(broken_files_are_refused),
		cmocka_unit_test(a_missing_file_says_so),
	};
	int rc;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/drift", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	rmdir(dir);
	return rc;
}
