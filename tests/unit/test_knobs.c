// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The knob table: its rows are consistent (one name means one knob), the
 * lookups the management API uses (knob_find, knob_check) accept and refuse
 * what the command line and the file do, with the same ranges and the same
 * messages, and an applied value lands in its field, scaled and owned.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "knobs.h"

static void names_are_unique(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < knob_count; i++) {
		const struct knob *a = &knob_table[i];

		assert_true(a->long_flag || a->short_flag);
		for (j = i + 1; j < knob_count; j++) {
			const struct knob *b = &knob_table[j];

			if (a->long_flag && b->long_flag)
				assert_string_not_equal(a->long_flag, b->long_flag);
			if (a->directive && b->directive)
				assert_string_not_equal(a->directive, b->directive);
			if (a->short_flag)
				assert_int_not_equal(a->short_flag, b->short_flag);
			/* knob_find takes either name: one may not be the other's */
			if (a->long_flag && b->directive)
				assert_string_not_equal(a->long_flag, b->directive);
			if (a->directive && b->long_flag)
				assert_string_not_equal(a->directive, b->long_flag);
		}
	}
}

static void rows_are_complete(void **state)
{
	size_t i;

	(void)state;
	assert_non_null(knob_table[0].help);	/* nothing above to share with */
	for (i = 0; i < knob_count; i++) {
		const struct knob *k = &knob_table[i];

		/* a value is named in --help exactly when there is one */
		if (k->type == KNOB_BOOL || (k->flags & KNOB_INFO))
			assert_null(k->arg);
		else
			assert_non_null(k->arg);
		if (k->type == KNOB_INT)
			assert_true(k->min <= k->max);
		if (k->type == KNOB_ENUM)
			assert_non_null(k->names);
		if (k->type == KNOB_CALL)
			assert_non_null(k->set);
		if (k->type == KNOB_CALL && k->directive)
			assert_true(k->max_words >= 1 && k->usage);
	}
}

/* Every whole-number default lies in its knob's range, but local stratum's
 * 0, which means none. */
static void defaults_are_in_range(void **state)
{
	struct ntpd_options o;
	size_t i;

	(void)state;
	assert_int_equal(knob_defaults(&o), 0);
	for (i = 0; i < knob_count; i++) {
		const struct knob *k = &knob_table[i];
		const char *p = (const char *)&o + k->offset;
		long long v;

		if (k->type != KNOB_INT || k == knob_find("local-stratum"))
			continue;
		v = k->size == 1 ? (k->min < 0 ? *(const __s8 *)p : *(const __u8 *)p) :
		    k->size == 4 ? *(const int *)p : (long long)(*(const __u64 *)p / k->scale);
		if (v < k->min || v > k->max)
			fail_msg("%s: default %lld outside [%ld, %ld]",
				 k->long_flag ? k->long_flag : k->directive, v, k->min, k->max);
	}
}

static void find_by_flag_or_directive(void **state)
{
	(void)state;
	assert_ptr_equal(knob_find("keys"), knob_find("keyfile"));
	assert_ptr_equal(knob_find("local-stratum"), knob_find("local"));
	assert_ptr_equal(knob_find("leap-smear"), knob_find("leapsmear"));
	assert_ptr_equal(knob_find("threads"), knob_find_short('4'));
	assert_ptr_equal(knob_find_directive("server"), knob_find_short('s'));
	assert_null(knob_find("--max-age"));
	assert_null(knob_find("bogus"));
	assert_null(knob_find_directive("keys"));	/* a flag, not a directive */
	assert_null(knob_find_directive("rate-leak"));
}

/* knob, value -> accepted?, the message when not */
struct check_case {
	const char *knob;
	const char *value;
	int rc;
	const char *message;
};

static const struct check_case checks[] = {
	{ "max-age", "1000", 0, NULL },
	{ "max-age", "1001", -EINVAL, "--max-age: '1001' is not a number in [1, 1000]" },
	{ "max-age", "0", -EINVAL, "--max-age: '0' is not a number in [1, 1000]" },
	{ "max-missed", "64", 0, NULL },
	{ "max-missed", "65", -EINVAL, "--max-missed: '65' is not a number in [1, 64]" },
	{ "upstream-min-poll", "-1", -EINVAL,
	  "--upstream-min-poll: '-1' is not a number in [0, 17]" },
	{ "min-poll", "-7", 0, NULL },
	{ "rate-table-size", "63", -EINVAL,
	  "--rate-table-size: '63' is not a number in [64, 16777216]" },
	{ "rate-leak", "16", 0, NULL },
	{ "rate-leak", "17", -EINVAL, "--rate-leak: '17' is not a number in [0, 16]" },
	{ "rate-prefix6", "128", 0, NULL },
	{ "local", "16", -EINVAL, "--local-stratum: '16' is not a number in [1, 15]" },
	{ "threads", "4k", -EINVAL, "threads: '4k' is not a number in [0, 1024]" },
	{ "clock", "corrected", 0, NULL },
	{ "clock", "atomic", -EINVAL, "--clock: 'atomic' is not system, corrected or auto" },
	{ "stale-action", "guess", -EINVAL, "--stale-action: 'guess' is not unsync or pass" },
	{ "seccomp", "strict", -EINVAL, "--seccomp: 'strict' is not on, log or off" },
	{ "xdp-mode", "turbo", -EINVAL,
	  "--xdp-mode: 'turbo' is not auto, native, generic or socket" },
	{ "metrics-listen", "nowhere", -EINVAL, "--metrics-listen: 'nowhere' is not ADDR:PORT" },
	{ "metrics-listen", "[::1]:9100", 0, NULL },
	{ "listen", "[::1]:123", -EINVAL, "listen: '[::1]:123' is not an IPv4 ADDR:PORT" },
	{ "api-listen", "127.0.0.1:9979", 0, NULL },
	{ "api-listen", "127.0.0.1", -EINVAL, "--api-listen: '127.0.0.1' is not ADDR:PORT" },
	{ "http-host", "ntp.example.org,localhost", 0, NULL },
	{ "rate-limit", "2/16", 0, NULL },
	{ "rate-limit", "off", 0, NULL },
	{ "rate-limit", "0/4", -EINVAL, "--rate-limit: '0/4' is not RATE/BURST or off" },
	{ "allow", "10.0.0.0/8", 0, NULL },
	{ "deny", "10.0.0.0/33", -EINVAL, "--deny: '10.0.0.0/33' is not an address or CIDR" },
	{ "server", "ntp.example.org:123", 0, NULL },
	{ "server", "[::1", -EINVAL, "-s: '[::1' is not HOST[:PORT]" },
	{ "kod", "true", 0, NULL },
	{ "kod", "yes", -EINVAL, "kod: 'yes' is not true or false" },
	{ "help", "", -EINVAL, "help: not a setting" },
	{ "config", "/etc/xdp-ntpd.conf", -EINVAL, "config: not a setting" },
};

static void check_case(void **state)
{
	const struct check_case *c = *state;
	const struct knob *k = knob_find(c->knob);
	char err[256] = "";

	assert_non_null(k);
	assert_int_equal(knob_check(k, c->value, err, sizeof(err)), c->rc);
	if (c->message)
		assert_string_equal(err, c->message);
}

static int apply(const char *name, const char *value, struct ntpd_options *o, char *err,
		 size_t errlen)
{
	const struct knob *k = knob_find(name);
	char *argv[] = { (char *)value, NULL };
	struct knob_src src = { 0 };

	assert_non_null(k);
	return knob_apply(k, o, &src, name, value ? 1 : 0, argv, err, errlen);
}

static void applied_values_land_in_their_fields(void **state)
{
	struct ntpd_options o;
	char err[256];

	(void)state;
	assert_int_equal(knob_defaults(&o), 0);
	assert_int_equal(apply("max-age", "30", &o, err, sizeof(err)), 0);
	assert_int_equal(o.cfg.max_state_age_ns, 30000000000ULL);	/* seconds, in ns */
	assert_int_equal(apply("min-poll", "-3", &o, err, sizeof(err)), 0);
	assert_int_equal(o.cfg.poll_min, -3);
	assert_int_equal(apply("clock", "system", &o, err, sizeof(err)), 0);
	assert_int_equal(o.clock_model, CLOCK_MODEL_SYSTEM);
	assert_int_equal(apply("stale-action", "pass", &o, err, sizeof(err)), 0);
	assert_int_equal(o.cfg.stale_action, NTPD_STALE_PASS);
	assert_int_equal(apply("seccomp", "on", &o, err, sizeof(err)), 0);
	assert_int_equal(o.seccomp, SECCOMP_KILL);
	assert_int_equal(apply("rate-table-size", "4096", &o, err, sizeof(err)), 0);
	assert_int_equal(o.policy.table_size, 4096);
	assert_int_equal(apply("kod", NULL, &o, err, sizeof(err)), 0);
	assert_int_equal(o.policy.rate.kod, 1);
	/* the two rows of the HTTP side: nothing but the table knows them */
	assert_int_equal(apply("api-listen", "[::1]:9979", &o, err, sizeof(err)), 0);
	assert_string_equal(o.api_listen.host, "::1");
	assert_int_equal(o.api_listen.port, 9979);
	assert_int_equal(apply("http-host", "ntp.example.org", &o, err, sizeof(err)), 0);
	assert_string_equal(o.http_hosts, "ntp.example.org");
	knob_free_strings(&o);
	assert_null(o.http_hosts);
}

/* A refused value leaves the field as it was. */
static void refused_values_change_nothing(void **state)
{
	struct ntpd_options o, before;
	char err[256];

	(void)state;
	assert_int_equal(knob_defaults(&o), 0);
	before = o;
	assert_int_equal(apply("max-age", "1001", &o, err, sizeof(err)), -EINVAL);
	assert_int_equal(apply("clock", "atomic", &o, err, sizeof(err)), -EINVAL);
	assert_int_equal(apply("metrics-listen", "nowhere", &o, err, sizeof(err)), -EINVAL);
	assert_int_equal(apply("rate-limit", "1/0", &o, err, sizeof(err)), -EINVAL);
	assert_memory_equal(&o, &before, sizeof(o));
}

/* Strings are copies the options own; a later value replaces (frees) one. */
static void strings_are_owned_copies(void **state)
{
	struct ntpd_options o;
	char err[256], value[] = "ntp";

	(void)state;
	assert_int_equal(knob_defaults(&o), 0);
	assert_int_equal(apply("user", value, &o, err, sizeof(err)), 0);
	assert_ptr_not_equal(o.user, value);
	value[0] = 'X';
	assert_string_equal(o.user, "ntp");
	assert_int_equal(apply("user", "chrony", &o, err, sizeof(err)), 0);
	assert_string_equal(o.user, "chrony");
	assert_int_equal(apply("interface", "eth0", &o, err, sizeof(err)), 0);
	assert_int_equal(o.n_ifaces, 1);
	knob_free_strings(&o);
	assert_null(o.user);
	assert_int_equal(o.n_ifaces, 0);
}

static void usage_has_every_long_flag(void **state)
{
	char *text = NULL, flag[64];
	size_t len = 0, i;
	FILE *out = open_memstream(&text, &len);

	(void)state;
	assert_non_null(out);
	knob_usage(out);
	fclose(out);
	assert_non_null(strstr(text, "Usage: xdp-ntpd"));
	for (i = 0; i < knob_count; i++) {
		if (!knob_table[i].long_flag)
			continue;
		snprintf(flag, sizeof(flag), "--%s%s", knob_table[i].long_flag,
			 knob_table[i].arg ? " " : "");
		if (!strstr(text, flag))
			fail_msg("--help lacks %s", flag);
	}
	free(text);
}

int main(void)
{
	static const struct CMUnitTest named[] = {
		cmocka_unit_test(names_are_unique),
		cmocka_unit_test(rows_are_complete),
		cmocka_unit_test(defaults_are_in_range),
		cmocka_unit_test(find_by_flag_or_directive),
		cmocka_unit_test(applied_values_land_in_their_fields),
		cmocka_unit_test(refused_values_change_nothing),
		cmocka_unit_test(strings_are_owned_copies),
		cmocka_unit_test(usage_has_every_long_flag),
	};
	static struct CMUnitTest tests[sizeof(named) / sizeof(named[0]) +
				       sizeof(checks) / sizeof(checks[0])];
	static char names[sizeof(checks) / sizeof(checks[0])][96];
	size_t i, n = 0;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		tests[n++] = named[i];
	/* one test per row, named by it, so TAP says which failed */
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		snprintf(names[i], sizeof(names[i]), "check %s '%s'", checks[i].knob,
			 checks[i].value);
		tests[n++] = (struct CMUnitTest){ .name = names[i], .test_func = check_case,
						  .initial_state = (void *)&checks[i] };
	}
	return _cmocka_run_group_tests("knobs", tests, n, NULL, NULL);
}
