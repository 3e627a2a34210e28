// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The Host check of the HTTP listeners, as a table: a DNS-rebinding page
 * reaches us with its own name in Host, so only our address (with or
 * without the listen port), "localhost" on loopback, and the names the
 * operator gave with --http-host may pass.  And the rate-table census that
 * keeps the table walk out of every /metrics scrape.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "http.h"

struct host_case {
	const char *desc;
	const char *local;	/* the address the request arrived on */
	const char *host;	/* the Host header */
	const char *extra;	/* --http-host */
	bool allowed;
};

static const struct host_case cases[] = {
	{ "v4 address with the port", "127.0.0.1", "127.0.0.1:9978", NULL, true },
	{ "v4 address without a port", "127.0.0.1", "127.0.0.1", NULL, true },
	{ "v4 address, another port", "127.0.0.1", "127.0.0.1:80", NULL, false },
	{ "v4 address, not a number for a port", "127.0.0.1", "127.0.0.1:99x", NULL, false },
	{ "v4 address, empty port", "127.0.0.1", "127.0.0.1:", NULL, false },
	{ "another v4 address", "192.0.2.1", "192.0.2.9:9978", NULL, false },
	{ "localhost on loopback", "127.0.0.1", "localhost:9978", NULL, true },
	{ "LOCALHOST, any case", "127.0.0.1", "LocalHost", NULL, true },
	{ "localhost on a routable address", "192.0.2.1", "localhost:9978", NULL, false },
	{ "localhost on ::1", "::1", "localhost", NULL, true },
	{ "a rebinding name", "127.0.0.1", "evil.example:9978", NULL, false },
	{ "a rebinding name without port", "127.0.0.1", "evil.example", NULL, false },
	{ "a configured name", "192.0.2.1", "ntp1.example.net", "metrics.example,ntp1.example.net",
	  true },
	{ "a configured name, any port (a proxy's)", "192.0.2.1", "metrics.example:443",
	  "metrics.example,ntp1.example.net", true },
	{ "a configured name, any case", "192.0.2.1", "METRICS.example", "metrics.example", true },
	{ "a prefix of a configured name", "192.0.2.1", "metrics", "metrics.example", false },
	{ "a configured name with a suffix", "192.0.2.1", "metrics.example.evil", "metrics.example",
	  false },
	{ "v6 in brackets with the port", "2001:db8::1", "[2001:db8::1]:9978", NULL, true },
	{ "v6 in brackets without a port", "2001:db8::1", "[2001:db8::1]", NULL, true },
	{ "v6 written differently, same address", "2001:db8::1", "[2001:db8:0::1]:9978", NULL, true },
	{ "v6 without brackets", "2001:db8::1", "2001:db8::1", NULL, false },
	{ "v6, unclosed bracket", "2001:db8::1", "[2001:db8::1", NULL, false },
	{ "v6, junk after the bracket", "2001:db8::1", "[2001:db8::1]x", NULL, false },
	{ "v4 in brackets", "127.0.0.1", "[127.0.0.1]:9978", NULL, false },
	{ "localhost in brackets", "127.0.0.1", "[localhost]", NULL, false },
	{ "a configured name in brackets", "192.0.2.1", "[metrics.example]", "metrics.example",
	  false },
	{ "another v6 address", "2001:db8::1", "[2001:db8::2]:9978", NULL, false },
	{ "v4 on a dual-stack socket (v4-mapped)", "::ffff:192.0.2.1", "192.0.2.1:9978", NULL, true },
	{ "a v4 literal on a v6 address", "2001:db8::1", "192.0.2.1", NULL, false },
	{ "empty Host", "127.0.0.1", "", NULL, false },
	{ "only a port", "127.0.0.1", ":9978", NULL, false },
};

static void local_addr(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		return;
	}
	assert_int_equal(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
	s6->sin6_family = AF_INET6;
}

static void test_host_table(void **state)
{
	struct sockaddr_storage local;
	size_t i;
	int failed = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		local_addr(cases[i].local, &local);
		if (http_host_allowed(cases[i].host, &local, 9978, cases[i].extra) !=
		    cases[i].allowed) {
			print_error("%s: Host \"%s\" on %s: want %s\n", cases[i].desc, cases[i].host,
				    cases[i].local, cases[i].allowed ? "allowed" : "refused");
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

static void test_no_host_is_refused_by_the_check(void **state)
{
	struct sockaddr_storage local;

	(void)state;
	/* a request without Host never reaches the check (http.c lets HTTP/1.0
	 * through before); the check itself has nothing to match */
	local_addr("127.0.0.1", &local);
	assert_false(http_host_allowed(NULL, &local, 9978, "localhost"));
}

/* ---- the rate-table census ---- */

struct pauses {
	int calls;
	int cancel_at;	/* 0: never */
};

static bool count_pause(void *arg)
{
	struct pauses *p = arg;

	return ++p->calls == p->cancel_at;
}

/* An LRU hash like the rate table, with n clients in it. */
static int rate_table(__u32 capacity, __u32 n)
{
	struct ntpd_rate_key key = { 0 };
	__u64 value[2] = { 0 };
	__u32 i;
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "test_rate", sizeof(key), sizeof(value),
			    capacity, NULL);
	if (fd < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		memcpy(key.addr, &i, sizeof(i));
		if (bpf_map_update_elem(fd, &key, value, BPF_NOEXIST)) {
			close(fd);
			return -errno;
		}
	}
	return fd;
}

static void test_census_counts_in_batches(void **state)
{
	const __u32 clients = 5 * METRICS_CENSUS_BATCH + 7;
	struct pauses p = { 0 };
	__u32 entries = 0, capacity = 0;
	int fd;

	(void)state;
	fd = rate_table(65536, clients);
	assert_true(fd >= 0);
	assert_int_equal(metrics_count_map(fd, &entries, &capacity, count_pause, &p), 0);
	assert_int_equal(entries, clients);
	assert_int_equal(capacity, 65536);
	/* one rest per full batch: the count never runs flat out */
	assert_true(p.calls >= 5);
	close(fd);
}

static void test_census_empty_table(void **state)
{
	__u32 entries = 1, capacity = 0;
	int fd;

	(void)state;
	fd = rate_table(1024, 0);
	assert_true(fd >= 0);
	assert_int_equal(metrics_count_map(fd, &entries, &capacity, NULL, NULL), 0);
	assert_int_equal(entries, 0);
	assert_int_equal(capacity, 1024);
	close(fd);
}

static void test_census_stops_when_told(void **state)
{
	struct pauses p = { .cancel_at = 2 };
	__u32 entries, capacity;
	int fd;

	(void)state;
	fd = rate_table(65536, 4 * METRICS_CENSUS_BATCH);
	assert_true(fd >= 0);
	assert_int_equal(metrics_count_map(fd, &entries, &capacity, count_pause, &p), -ECANCELED);
	assert_int_equal(p.calls, 2);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_table),
		cmocka_unit_test(test_no_host_is_refused_by_the_check),
		cmocka_unit_test(test_census_counts_in_batches),
		cmocka_unit_test(test_census_empty_table),
		cmocka_unit_test(test_census_stops_when_told),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
