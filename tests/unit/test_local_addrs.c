// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The host's IPv4 addresses as the packet ring sees them
 * (userspace/local_addrs.c): nothing is ours before the first publish;
 * a publish replaces the whole set, in any input order, repeats counted
 * once, in network byte order; the LOCAL_ADDRS_MAX cap keeps the first
 * addresses given; and a reader racing a publisher never sees an address
 * that is in neither set nor misses one that is in both.
 *
 * The set is one per process: the tests run in the order listed.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "local_addrs.h"

static __be32 a4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static bool has(const char *s) { return local_addrs_has4(a4(s)); }

static void test_nothing_before_the_first_publish(void **state)
{
	(void)state;
	assert_false(local_addrs_ready());
	assert_false(has("127.0.0.1"));
	assert_false(has("0.0.0.0"));
}

/* Out of order, repeated, and ordered differently as host and network
 * byte order (1.0.0.2 < 2.0.0.1 but not as little-endian integers). */
static void test_unsorted_with_repeats(void **state)
{
	const char *in[] = { "192.0.2.1", "10.0.0.3", "2.0.0.1", "10.0.0.3", "1.0.0.2",
			     "127.0.0.1", "192.0.2.1", "10.0.0.1" };
	__be32 addrs[8];
	int i;

	(void)state;
	for (i = 0; i < 8; i++)
		addrs[i] = a4(in[i]);
	assert_int_equal(local_addrs_publish4(addrs, 8), 6);
	assert_true(local_addrs_ready());
	for (i = 0; i < 8; i++)
		assert_true(has(in[i]));
	/* the neighbours of each, and the ends of the address space */
	assert_false(has("192.0.2.2"));
	assert_false(has("192.0.2.0"));
	assert_false(has("10.0.0.2"));
	assert_false(has("10.0.0.4"));
	assert_false(has("1.0.0.1"));
	assert_false(has("2.0.0.2"));
	assert_false(has("127.0.0.2"));
	assert_false(has("0.0.0.0"));
	assert_false(has("255.255.255.255"));
	/* the same bytes reversed are another address */
	assert_false(has("1.2.0.192"));
}

static void test_publish_replaces(void **state)
{
	__be32 one = a4("198.51.100.7");

	(void)state;
	assert_int_equal(local_addrs_publish4(&one, 1), 1);
	assert_true(has("198.51.100.7"));
	assert_false(has("192.0.2.1"));		/* the previous set's */
	assert_false(has("10.0.0.1"));
}

static void test_zero_addresses(void **state)
{
	__be32 none[1] = { 0 };

	(void)state;
	assert_int_equal(local_addrs_publish4(none, 0), 0);
	assert_true(local_addrs_ready());	/* published: an empty host, not "not yet" */
	assert_false(has("198.51.100.7"));
	assert_false(has("0.0.0.0"));
}

/* 10.0.x.y in descending order, more than the cap: the first
 * LOCAL_ADDRS_MAX given are kept (not the lowest), the rest are not ours. */
static void test_the_cap(void **state)
{
	int n = LOCAL_ADDRS_MAX + 76, i;
	__be32 *addrs = calloc((size_t)n, sizeof(*addrs));

	(void)state;
	assert_non_null(addrs);
	for (i = 0; i < n; i++)
		addrs[i] = htonl(0x0a000000u + (__u32)(n - i));
	assert_int_equal(local_addrs_publish4(addrs, n), LOCAL_ADDRS_MAX);
	for (i = 0; i < LOCAL_ADDRS_MAX; i++)
		assert_true(local_addrs_has4(addrs[i]));
	for (i = LOCAL_ADDRS_MAX; i < n; i++)
		assert_false(local_addrs_has4(addrs[i]));
	/* exactly at the cap: all kept */
	assert_int_equal(local_addrs_publish4(addrs + 76, LOCAL_ADDRS_MAX), LOCAL_ADDRS_MAX);
	for (i = 76; i < n; i++)
		assert_true(local_addrs_has4(addrs[i]));
	assert_false(local_addrs_has4(addrs[75]));
	free(addrs);
}

/*
 * One publisher alternating between two sets that share 203.0.113.1 (and
 * differ in size, so the count moves too); the reader must always find the
 * shared address and never 203.0.113.200, which neither set holds.
 * Bounded: a fixed number of publishes.
 */
#define RACE_PUBLISHES 20000

static __be32 race_a[64], race_b[3];

static void race_sets(void)
{
	int i;

	for (i = 0; i < 64; i++)
		race_a[i] = htonl(0xcb007100u + 2 + (__u32)i);	/* 203.0.113.2.. */
	race_a[17] = htonl(0xcb007101u);
	race_b[0] = htonl(0xc6336401u);
	race_b[1] = htonl(0xcb007101u);
	race_b[2] = htonl(0x0a000001u);
}

static void *publisher(void *arg)
{
	const __be32 *a = race_a, *b = race_b;
	int i;

	for (i = 0; i < RACE_PUBLISHES; i++) {
		if (i & 1)
			local_addrs_publish4(b, 3);
		else
			local_addrs_publish4(a, 64);
	}
	__atomic_store_n((int *)arg, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_readers_racing_a_publisher(void **state)
{
	pthread_t t;
	int done = 0;
	long reads = 0, missed = 0, phantom = 0;
	__be32 shared = a4("203.0.113.1"), absent = a4("203.0.113.200");

	(void)state;
	race_sets();
	/* the first set before the race: the cap test's set has neither */
	assert_int_equal(local_addrs_publish4(race_a, 64), 64);
	assert_int_equal(pthread_create(&t, NULL, publisher, &done), 0);
	while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
		missed += !local_addrs_has4(shared);
		phantom += local_addrs_has4(absent);
		reads++;
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	print_message("# %ld reads during %d publishes: %ld missed, %ld phantom\n", reads,
		      RACE_PUBLISHES, missed, phantom);
	assert_int_equal(missed, 0);
	assert_int_equal(phantom, 0);
	assert_true(local_addrs_has4(shared));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nothing_before_the_first_publish),
		cmocka_unit_test(test_unsorted_with_repeats),
		cmocka_unit_test(test_publish_replaces),
		cmocka_unit_test(test_zero_addresses),
		cmocka_unit_test(test_the_cap),
		cmocka_unit_test(test_readers_racing_a_publisher),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
