// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The chrony.conf lines people paste, through config_load on real files:
 * server options (one row each), pool (every address of a name: literals
 * and "localhost" from the host's own resolver), chrony's allow/deny subnets
 * (bare, all, short forms) and ratelimit interval/burst/leak.  What each
 * line must become is a table; so is what each bad one must say.
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
#include <arpa/inet.h>
#include <cmocka.h>

#include "acl_chrony.h"
#include "config.h"
#include "knobs.h"
#include "options.h"

static struct ntpd_options *opts;
static char err[1024];

static int load(const char *text)
{
	char path[] = "/tmp/xdp-ntpd-chrony-XXXXXX";
	int fd = mkstemp(path), rc;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	knob_free_strings(opts);
	assert_int_equal(knob_defaults(opts), 0);
	err[0] = '\0';
	rc = config_load(path, opts, err, sizeof(err));
	unlink(path);
	return rc;
}

static void server_options(void **state)
{
	(void)state;
	assert_int_equal(load("server 192.0.2.1 iburst\n"
			      "server 192.0.2.2 iburst minpoll 3 maxpoll 6\n"
			      "server 192.0.2.3 maxpoll 5 port 4123 iburst\n"
			      "server ntp.example.org minpoll 2\n"), 0);
	assert_int_equal(opts->n_upstreams, 4);
	assert_false(opts->upstream[0].has_min_poll || opts->upstream[0].has_max_poll);
	assert_int_equal(opts->upstream[0].port, 123);
	assert_true(opts->upstream[1].has_min_poll && opts->upstream[1].has_max_poll);
	assert_int_equal(opts->upstream[1].min_poll, 3);
	assert_int_equal(opts->upstream[1].max_poll, 6);
	/* port after maxpoll: the bound survives the port's re-parse */
	assert_int_equal(opts->upstream[2].port, 4123);
	assert_true(opts->upstream[2].resolved);
	assert_true(opts->upstream[2].has_max_poll && !opts->upstream[2].has_min_poll);
	assert_int_equal(opts->upstream[2].max_poll, 5);
	assert_string_equal(opts->upstream[3].host, "ntp.example.org");
	assert_int_equal(opts->upstream[3].min_poll, 2);
}

static void pool_literal_and_localhost(void **state)
{
	int i, v4 = 0;

	(void)state;
	/* a literal is one source; localhost resolves through the host's
	 * /etc/hosts to at least 127.0.0.1 */
	assert_int_equal(load("pool 192.0.2.9 iburst maxpoll 7\npool localhost port 11123\n"), 0);
	assert_true(opts->n_upstreams >= 2);
	assert_string_equal(opts->upstream[0].host, "192.0.2.9");
	assert_int_equal(opts->upstream[0].max_poll, 7);
	for (i = 1; i < opts->n_upstreams; i++) {
		assert_true(opts->upstream[i].resolved);	/* an address, not the name */
		assert_int_equal(opts->upstream[i].port, 11123);
		v4 += !strcmp(opts->upstream[i].host, "127.0.0.1");
	}
	assert_int_equal(v4, 1);
	assert_int_equal(load("pool localhost maxsources 1\n"), 0);
	assert_int_equal(opts->n_upstreams, 1);
	/* a name that does not resolve now stays a name, for the agent */
	assert_int_equal(load("pool name.invalid\n"), 0);
	assert_int_equal(opts->n_upstreams, 1);
	assert_string_equal(opts->upstream[0].host, "name.invalid");
	assert_false(opts->upstream[0].resolved);
}

struct subnet_row {
	const char *in, *cidr;
};

static void chrony_subnets(void **state)
{
	static const struct subnet_row rows[] = {
		{ "192.168", "192.168.0.0/16" }, { "10", "10.0.0.0/8" },
		{ "172.16.5", "172.16.5.0/24" }, { "1.2/12", "1.2.0.0/12" },
		{ "192.0.2.7", "192.0.2.7" }, { "192.0.2.0/24", "192.0.2.0/24" },
		{ "2001:db8::/32", "2001:db8::/32" }, { "::1", "::1" },
	};
	char cidr[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		assert_int_equal(acl_chrony_subnet(rows[i].in, cidr, sizeof(cidr)), 0);
		assert_string_equal(cidr, rows[i].cidr);
	}
}

static void rule_is(int i, int family, const char *addr, int prefix, int action)
{
	char text[INET6_ADDRSTRLEN];

	assert_true(i < opts->policy.n_acl);
	assert_int_equal(opts->policy.acl[i].family, family);
	inet_ntop(family, opts->policy.acl[i].addr, text, sizeof(text));
	assert_string_equal(text, addr);
	assert_int_equal(opts->policy.acl[i].prefixlen, prefix);
	assert_int_equal(opts->policy.acl[i].action, action);
}

static void allow_deny_forms(void **state)
{
	(void)state;
	assert_int_equal(load("allow\n"), 0);
	assert_int_equal(opts->policy.n_acl, 2);
	rule_is(0, AF_INET, "0.0.0.0", 0, NTPD_ACL_ALLOW);
	rule_is(1, AF_INET6, "::", 0, NTPD_ACL_ALLOW);
	assert_int_equal(load("allow all\n"), 0);
	assert_int_equal(opts->policy.n_acl, 2);
	assert_int_equal(load("deny\nallow 192.168\nallow 0.0.0.0/0\n"), 0);
	assert_int_equal(opts->policy.n_acl, 4);
	rule_is(2, AF_INET, "192.168.0.0", 16, NTPD_ACL_ALLOW);
	/* `all` replaces what lies inside it, and only that */
	assert_int_equal(load("allow 10.1.2.3\nallow 10.9/16\nallow 192.0.2.1\ndeny all 10\n"), 0);
	assert_int_equal(opts->policy.n_acl, 2);
	rule_is(0, AF_INET, "192.0.2.1", 32, NTPD_ACL_ALLOW);
	rule_is(1, AF_INET, "10.0.0.0", 8, NTPD_ACL_DENY);
}

static void ratelimit_chrony(void **state)
{
	__u64 cost;

	(void)state;
	/* bare: chrony's defaults, 1 answer per 8 s, burst 8, leak 2 */
	assert_int_equal(load("ratelimit\n"), 0);
	cost = opts->policy.rate.cost_ns;
	assert_true(opts->policy.rate.enabled);
	assert_int_equal(cost, 8000000000ULL);
	assert_int_equal(opts->policy.rate.burst_ns / cost, 8);
	assert_int_equal(opts->policy.rate.leak_shift, 2);
	assert_int_equal(load("ratelimit interval 1 burst 16 leak 4\n"), 0);
	cost = opts->policy.rate.cost_ns;
	assert_int_equal(cost, 2000000000ULL);
	assert_int_equal(opts->policy.rate.burst_ns / cost, 16);
	assert_int_equal(opts->policy.rate.leak_shift, 4);
	assert_int_equal(load("ratelimit interval -2\n"), 0);	/* 4 answers/s */
	assert_int_equal(opts->policy.rate.cost_ns, 250000000ULL);
	/* ours still works, and still wants its burst */
	assert_int_equal(load("ratelimit rate 4 burst 2\n"), 0);
	assert_int_equal(opts->policy.rate.cost_ns, 250000000ULL);
	assert_int_equal(opts->policy.rate.leak_shift, 2);	/* the default, untouched */
}

struct bad_row {
	const char *desc, *text, *want;
};

static const struct bad_row bad_rows[] = {
	{ "server: unknown option", "server 192.0.2.1 prefer\n",
	  "server: unexpected 'prefer' (options: iburst, minpoll N, maxpoll N, port N or key ID)" },
	{ "server: minpoll without value", "server 192.0.2.1 minpoll\n",
	  "server: 'minpoll' needs a value" },
	{ "server: maxpoll out of range", "server 192.0.2.1 maxpoll 18\n",
	  "server maxpoll: '18' is not a number in [0, 17]" },
	{ "server: minpoll above maxpoll", "server 192.0.2.1 minpoll 8 maxpoll 4\n",
	  "server: minpoll 8 is above maxpoll 4" },
	{ "server: two ports", "server 192.0.2.1:123 port 124\n",
	  "server: '192.0.2.1:123' already names a port" },
	{ "pool: maxsources 0", "pool localhost maxsources 0\n",
	  "pool maxsources: needs a number in [1, 16]" },
	{ "server: maxsources is a pool's", "server 192.0.2.1 maxsources 2\n",
	  "server: unexpected 'maxsources'" },
	{ "allow: short form out of range", "allow 192.300\n",
	  "allow: '192.300' is not an address or CIDR" },
	{ "allow: two subnets", "allow 10 11\n", "allow: unexpected '11'" },
	{ "deny all: bad subnet changes nothing", "deny all 10/33\n",
	  "deny: '10/33' is not an address" },
	{ "ratelimit: rate and interval", "ratelimit rate 1 interval 2 burst 3\n",
	  "ratelimit: 'rate' or chrony's 'interval', not both" },
	{ "ratelimit: interval out of range", "ratelimit interval 10\n",
	  "ratelimit interval: '10' is not a number in [-19, 9]" },
	{ "ratelimit: our form needs burst", "ratelimit rate 2\n",
	  "needs both 'rate R' and 'burst B'" },
};

static void bad_line(void **state)
{
	const struct bad_row *row = *state;

	assert_int_equal(load(row->text), -EINVAL);
	if (!strstr(err, row->want))
		fail_msg("message '%s', want '%s'", err, row->want);
	assert_non_null(strstr(err, ":1: "));
}

static int setup(void **state)
{
	(void)state;
	opts = calloc(1, sizeof(*opts));
	return opts ? knob_defaults(opts) : -1;
}

static int teardown(void **state)
{
	(void)state;
	knob_free_strings(opts);
	free(opts);
	return 0;
}

#define N_BAD (sizeof(bad_rows) / sizeof(bad_rows[0]))

int main(void)
{
	static const struct CMUnitTest named[] = {
		cmocka_unit_test(server_options),
		cmocka_unit_test(pool_literal_and_localhost),
		cmocka_unit_test(chrony_subnets),
		cmocka_unit_test(allow_deny_forms),
		cmocka_unit_test(ratelimit_chrony),
	};
	static struct CMUnitTest tests[sizeof(named) / sizeof(named[0]) + N_BAD];
	size_t i, n = 0;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		tests[n++] = named[i];
	for (i = 0; i < N_BAD; i++)
		tests[n++] = (struct CMUnitTest){ .name = bad_rows[i].desc, .test_func = bad_line,
						  .initial_state = (void *)&bad_rows[i] };
	return _cmocka_run_group_tests("chrony_conf", tests, n, setup, teardown);
}
