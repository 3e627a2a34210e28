// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The state file on real files in a temporary directory: what is put is on
 * disk and comes back through the API's parsers after a reopen, a removed
 * key is gone, a write that fails leaves the file and the in-memory copy
 * as they were, and a broken file or section is ignored, never fatal.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "log.h"
#include "statefile.h"

static char dir[64], path[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/xdp-ntpd-state-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/state.json", dir);
	log_set_level(LOG_LVL_ERR);	/* the warnings are the point of some tests */
	return 0;
}

static int teardown(void **state)
{
	char tmp[160];

	(void)state;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	rmdir(tmp);
	unlink(tmp);
	unlink(path);
	rmdir(dir);
	return 0;
}

static void write_text(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *read_text(void)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void put_and_reopen(void **state)
{
	struct ntpd_endpoint eps[NTPD_MAX_UPSTREAMS];
	struct ntpd_policy policy;
	struct statefile *sf;
	struct stat st;
	int n = 0;

	(void)state;
	unlink(path);
	assert_int_equal(statefile_open(&sf, path), 0);	/* none yet: empty */
	assert_int_equal(statefile_put(sf, "upstreams",
				       json_pack("{s:[s,s]}", "upstreams", "192.0.2.1:123",
						 "[2001:db8::1]:4123")), 0);
	assert_int_equal(statefile_put(sf, "acl", json_pack("{s:[s]}", "deny", "198.51.100.0/24")),
			 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	statefile_close(sf);

	assert_int_equal(statefile_open(&sf, path), 0);
	policy_defaults(&policy);
	assert_int_equal(statefile_apply(sf, eps, &n, &policy), 2);
	assert_int_equal(n, 2);
	assert_string_equal(eps[0].host, "192.0.2.1");
	assert_string_equal(eps[1].host, "2001:db8::1");
	assert_int_equal(eps[1].port, 4123);
	assert_int_equal(policy.n_acl, 1);
	assert_int_equal(policy.acl[0].prefixlen, 24);

	/* NULL removes the key, on disk too */
	assert_int_equal(statefile_put(sf, "upstreams", NULL), 0);
	assert_null(strstr(read_text(), "upstreams"));
	assert_non_null(strstr(read_text(), "198.51.100.0/24"));
	statefile_close(sf);
}

static void failed_write_changes_nothing(void **state)
{
	char tmp[160], before[4096];
	struct ntpd_endpoint eps[NTPD_MAX_UPSTREAMS];
	struct ntpd_policy policy;
	struct statefile *sf;
	int n = 0;

	(void)state;
	write_text("{\"acl\": {\"deny\": [\"198.51.100.0/24\"]}}\n");
	snprintf(before, sizeof(before), "%s", read_text());
	assert_int_equal(statefile_open(&sf, path), 0);
	/* the temporary cannot be created: a directory is in its place */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(mkdir(tmp, 0700), 0);
	assert_int_equal(statefile_put(sf, "upstreams",
				       json_pack("{s:[s]}", "upstreams", "192.0.2.9:123")), -EISDIR);
	assert_int_equal(rmdir(tmp), 0);
	assert_string_equal(read_text(), before);
	/* and the copy in memory is the file's still */
	policy_defaults(&policy);
	assert_int_equal(statefile_apply(sf, eps, &n, &policy), 1);
	assert_int_equal(n, 0);
	statefile_close(sf);
}

static void broken_file_and_section(void **state)
{
	struct ntpd_endpoint eps[NTPD_MAX_UPSTREAMS];
	struct ntpd_policy policy;
	struct statefile *sf;
	int n = 0;

	(void)state;
	write_text("{\"upstreams\": ");	/* cut short: a crash of something else */
	assert_int_equal(statefile_open(&sf, path), 0);
	policy_defaults(&policy);
	assert_int_equal(statefile_apply(sf, eps, &n, &policy), 0);
	statefile_close(sf);

	write_text("{\"upstreams\": {\"upstreams\": [\"192.0.2.1:notaport\"]},"
		   " \"ratelimit\": {\"rate\": 4, \"burst\": 2}}");
	assert_int_equal(statefile_open(&sf, path), 0);
	assert_int_equal(statefile_apply(sf, eps, &n, &policy), 1);
	assert_int_equal(n, 0);			/* the refused section left them alone */
	assert_int_equal(policy.rate.cost_ns, 250000000ULL);
	statefile_close(sf);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(put_and_reopen),
		cmocka_unit_test(failed_write_changes_nothing),
		cmocka_unit_test(broken_file_and_section),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
