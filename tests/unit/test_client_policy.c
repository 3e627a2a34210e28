// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The socket server's rate table and access lists (userspace/client_policy.c)
 * in socket mode, with no BPF: every request is one call at a chosen
 * CLOCK_TAI instant, so nothing here depends on how fast the test runs.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "client_policy.h"
#include "ntp_verdict.h"	/* and ntp_proto.h under it */
#include "siphash.h"

#define NS		1000000000ULL
#define T0		(1795000037ULL * NS)

/* 1 request per 10 s, a bucket of 3, one in 4 limited requests leaks */
/*
 * bpf() calls the socket path makes on XDP's rate table, counted by the
 * linker's --wrap (Makefile) rather than by the daemon: a counter there
 * would be a shared cache line written per request.  The test reads the
 * table with the __real_ functions, which are not counted.
 */
static int rate_map_fd = -1;
static unsigned int rate_map_calls;

int __real_bpf_map_lookup_elem(int fd, const void *key, void *value);
int __real_bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags);

int __wrap_bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	rate_map_calls += fd == rate_map_fd;
	return __real_bpf_map_lookup_elem(fd, key, value);
}

int __wrap_bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags)
{
	rate_map_calls += fd == rate_map_fd;
	return __real_bpf_map_update_elem(fd, key, value, flags);
}

static void limits(struct ntpd_policy *p, __u32 table_size)
{
	policy_defaults(p);
	policy_set_rate(p, 0.1, 3);
	p->rate.leak_shift = 2;
	p->table_size = table_size;
}

static struct client_policy *open_policy(const struct ntpd_policy *p)
{
	struct client_policy *cp = NULL;

	assert_int_equal(client_policy_open(&cp, p, NULL), 0);
	assert_non_null(cp);
	return cp;
}

static __be32 v4(const char *text)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, text, &a), 1);
	return a.s_addr;
}

/*
 * One request from `saddr` at `now`: the counter the verdict names, and the
 * kiss it answers with in *kod (0: none).  What the socket server acts on
 * is the verdict's action; a dropped verdict's counter must be a drop's.
 */
static __u32 check(struct client_policy *cp, const __be32 *saddr, __u64 now, __be32 *kod)
{
	struct ntp_verdict v = client_policy_check(cp, AF_INET, saddr, now);

	*kod = ntp_verdict_kiss(v);
	if (v.action == NTP_ACT_DROP)
		assert_true(v.counter == NTPD_CNT_RATE_DROPPED ||
			    v.counter == NTPD_CNT_DENIED_DROPPED ||
			    v.counter == NTPD_CNT_DENIED_LIMITED);
	else
		assert_true(v.counter != NTPD_CNT_RATE_DROPPED &&
			    v.counter != NTPD_CNT_DENIED_DROPPED &&
			    v.counter != NTPD_CNT_DENIED_LIMITED);
	return v.counter;
}

/* Answers (anything but a drop). */
static int answered(__u32 verdict)
{
	return verdict != NTPD_CNT_RATE_DROPPED && verdict != NTPD_CNT_DENIED_DROPPED &&
	       verdict != NTPD_CNT_DENIED_LIMITED;
}

/* Two clients in one set, sent alternately ten times each at one instant:
 * each gets its bucket of 3 and no more (leak off). */
static void both_limited_alternately(struct client_policy *cp, __be32 a, __be32 b)
{
	int i, got_a = 0, got_b = 0;
	__be32 kod;

	for (i = 0; i < 10; i++) {
		got_a += answered(check(cp, &a, T0, &kod));
		got_b += answered(check(cp, &b, T0, &kod));
	}
	assert_int_equal(got_a, 3);
	assert_int_equal(got_b, 3);
}

/*
 * Two clients sent alternately, both mapped to the one set a table of one
 * entry has (any two keys collide there, whatever the hash): each must get
 * its bucket of 3 and then be limited.  A direct-mapped table that gives a
 * colliding newcomer the slot with a full bucket answers all 20.
 */
static void test_colliding_clients_both_limited(void **state)
{
	struct ntpd_policy p;
	struct client_policy *cp;
	__be32 a = v4("198.51.100.1"), b = v4("203.0.113.7");

	(void)state;
	limits(&p, 1);
	p.rate.leak_shift = 0;
	cp = open_policy(&p);
	both_limited_alternately(cp, a, b);
	client_policy_close(cp);
}

/*
 * A denied client with kod-deny is answered (with its kiss) as often as an
 * allowed client is answered, no more: the bucket of 3, then one in 4 of
 * the limited, the rest dropped and counted over the limit.
 */
static void test_kod_deny_rate_limited(void **state)
{
	struct ntpd_policy p;
	struct client_policy *cp;
	__be32 denied = v4("192.0.2.9"), allowed = v4("198.51.100.9"), kod;
	__u32 want[10] = {
		NTPD_CNT_DENIED_KOD, NTPD_CNT_DENIED_KOD, NTPD_CNT_DENIED_KOD,
		/* over the limit: counted as XDP counts it (denied/kod_rate_limited) */
		NTPD_CNT_DENIED_LIMITED, NTPD_CNT_DENIED_LIMITED, NTPD_CNT_DENIED_LIMITED,
		NTPD_CNT_DENIED_KOD,	/* limited 4: the leak */
		NTPD_CNT_DENIED_LIMITED, NTPD_CNT_DENIED_LIMITED, NTPD_CNT_DENIED_LIMITED,
	};
	int i, answers_denied = 0, answers_allowed = 0;
	__u32 v;

	(void)state;
	limits(&p, 1024);
	p.rate.kod_deny = 1;
	assert_int_equal(policy_add_acl(&p, "192.0.2.0/24", NTPD_ACL_DENY), 0);
	cp = open_policy(&p);
	for (i = 0; i < 10; i++) {
		kod = 0;
		v = check(cp, &denied, T0, &kod);
		assert_int_equal(v, want[i]);
		assert_int_equal(kod, v == NTPD_CNT_DENIED_KOD ? NTP_KISS_DENY : 0);
		answers_denied += answered(v);
		answers_allowed += answered(check(cp, &allowed, T0, &kod));
	}
	assert_int_equal(answers_denied, 4);
	assert_int_equal(answers_denied, answers_allowed);
	/* the bucket refills for a denied client as for any other: one more
	 * kiss 10 s on */
	v = check(cp, &denied, T0 + 10 * NS, &kod);
	assert_int_equal(v, NTPD_CNT_DENIED_KOD);
	client_policy_close(cp);
}

/* Without kod-deny a denied client is dropped whatever its bucket says. */
static void test_deny_without_kod_dropped(void **state)
{
	struct ntpd_policy p;
	struct client_policy *cp;
	__be32 denied = v4("192.0.2.9"), kod;

	(void)state;
	limits(&p, 1024);
	assert_int_equal(policy_add_acl(&p, "192.0.2.0/24", NTPD_ACL_DENY), 0);
	cp = open_policy(&p);
	assert_int_equal(check(cp, &denied, T0, &kod),
			 NTPD_CNT_DENIED_DROPPED);
	assert_int_equal(kod, 0);
	client_policy_close(cp);
}

/* The reference implementation's vector for 16 bytes 00..0f, key 00..0f. */
static void test_siphash_vector(void **state)
{
	__u8 key[16], msg[16];
	int i;

	(void)state;
	for (i = 0; i < 16; i++)
		key[i] = msg[i] = (__u8)i;
	assert_int_equal(siphash24_16(key, msg), 0x3f2acc7f57c29bdbULL);
}

static __be32 client(int i)
{
	return htonl(0x0a000000U | (__u32)i);	/* 10.0.0.i */
}

/*
 * The placement follows the key: with the default table two keys put the
 * same 64 clients in different sets (an attacker without the key cannot
 * know which sources share a set).
 */
static void test_placement_keyed(void **state)
{
	const __u8 k1[16] = { 1 }, k2[16] = { 2 };
	struct ntpd_policy p;
	struct client_policy *cp;
	int i, moved = 0;

	(void)state;
	limits(&p, NTPD_RATE_TABLE_DEFAULT);
	cp = open_policy(&p);
	for (i = 0; i < 64; i++) {
		__be32 a = client(i);
		long s1, s2;

		client_policy_set_hash_key(cp, k1);
		s1 = client_policy_set_of(cp, AF_INET, &a);
		client_policy_set_hash_key(cp, k2);
		s2 = client_policy_set_of(cp, AF_INET, &a);
		assert_true(s1 >= 0 && s1 < NTPD_RATE_TABLE_DEFAULT / 8);
		moved += s1 != s2;
	}
	assert_true(moved > 32);
	client_policy_close(cp);
}

/*
 * Two sources that share a set in the default table (found under an
 * injected key), sent alternately: both limited, each after its bucket.
 */
static void test_same_set_both_limited(void **state)
{
	const __u8 key[16] = { 0x5e, 0xed };
	struct ntpd_policy p;
	struct client_policy *cp;
	__be32 a = client(1), b = 0;
	long set_a;
	int i;

	(void)state;
	limits(&p, NTPD_RATE_TABLE_DEFAULT);
	p.rate.leak_shift = 0;
	cp = open_policy(&p);
	client_policy_set_hash_key(cp, key);
	set_a = client_policy_set_of(cp, AF_INET, &a);
	/* bounded: 2^24 candidates against 8192 sets find one many times over */
	for (i = 2; i < (1 << 24) && !b; i++) {
		__be32 c = client(i);

		if (client_policy_set_of(cp, AF_INET, &c) == set_a)
			b = c;
	}
	assert_int_not_equal(b, 0);
	both_limited_alternately(cp, a, b);
	client_policy_close(cp);
}

/*
 * A full set (a table of 8: one set of 8 ways) gives a newcomer the least
 * recently used way: the client not seen for longest starts again with a
 * full bucket, every other keeps its empty one.
 */
static void test_lru_replacement(void **state)
{
	struct ntpd_policy p;
	struct client_policy *cp;
	__be32 c[10], kod;
	int i, j;

	(void)state;
	limits(&p, 8);
	p.rate.leak_shift = 0;
	cp = open_policy(&p);
	for (i = 1; i <= 9; i++)
		c[i] = client(i);
	for (i = 1; i <= 8; i++)	/* clients 1..8 empty their buckets */
		for (j = 0; j < 3; j++)
			assert_int_equal(check(cp, &c[i], T0, &kod),
					 NTP_REQ_ANSWER);
	for (i = 2; i <= 8; i++)	/* 1 is now the least recently used */
		assert_int_equal(check(cp, &c[i], T0, &kod),
				 NTPD_CNT_RATE_DROPPED);
	assert_int_equal(check(cp, &c[9], T0, &kod), NTP_REQ_ANSWER);
	for (i = 2; i <= 8; i++)	/* kept their state: still limited */
		assert_int_equal(check(cp, &c[i], T0, &kod),
				 NTPD_CNT_RATE_DROPPED);
	/* 1 was replaced: a full bucket again */
	assert_int_equal(check(cp, &c[1], T0, &kod), NTP_REQ_ANSWER);
	client_policy_close(cp);
}

/*
 * With XDP attached the socket path charges XDP's own table (a real LRU
 * hash here, as the loader creates it): the bucket is one per client for
 * both paths.  A new or conforming client costs two bpf() calls (lookup,
 * update); an over-limit one, one (its bucket does not move, the map is not
 * written) and the leak still lets one in 4 through.  What XDP wrote
 * limits the socket path too.
 */
static void test_shared_table_calls(void **state)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	struct ntpd_attachment att = { .attached = true };
	struct ntpd_rate_entry e;
	struct ntpd_rate_key key;
	struct client_policy *cp = NULL;
	struct ntpd_policy p;
	__be32 a = v4("192.0.2.1"), kod;
	int i, got = 0, leaked = 0, fd;
	__u32 c;

	(void)state;
	limits(&p, 64);
	fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "test_rate", sizeof(key), sizeof(e), 64, &opts);
	assert_true(fd >= 0);
	att.rate_fd = fd;
	rate_map_fd = fd;
	rate_map_calls = 0;
	assert_int_equal(client_policy_open(&cp, &p, &att), 0);
	ntp_rate_key(&key, 0, &a, &p.rate);

	/* the bucket of 3: new, then two conforming */
	for (i = 0; i < 3; i++)
		assert_true(answered(check(cp, &a, T0, &kod)));
	assert_int_equal(rate_map_calls, 6);
	assert_int_equal(__real_bpf_map_lookup_elem(fd, &key, &e), 0);
	assert_int_equal(e.tat_ns, T0 + 3 * p.rate.cost_ns);
	/* 8 over the limit: one call each, the entry untouched, 2 leaked */
	for (i = 0; i < 8; i++) {
		c = check(cp, &a, T0, &kod);
		got += answered(c);
		leaked += c == NTPD_CNT_RATE_LEAKED;
	}
	assert_int_equal(got, 2);
	assert_int_equal(leaked, 2);
	assert_int_equal(rate_map_calls, 6 + 8);
	assert_int_equal(__real_bpf_map_lookup_elem(fd, &key, &e), 0);
	assert_int_equal(e.tat_ns, T0 + 3 * p.rate.cost_ns);
	assert_int_equal(e.limited, 0);

	/* XDP answered a burst of its own meanwhile: the socket path sees it */
	e.tat_ns = T0 + 100 * p.rate.cost_ns;
	assert_int_equal(__real_bpf_map_update_elem(fd, &key, &e, BPF_EXIST), 0);
	c = check(cp, &a, T0 + 20 * p.rate.cost_ns, &kod);
	assert_true(c == NTPD_CNT_RATE_DROPPED || c == NTPD_CNT_RATE_LEAKED);
	client_policy_close(cp);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_colliding_clients_both_limited),
		cmocka_unit_test(test_kod_deny_rate_limited),
		cmocka_unit_test(test_deny_without_kod_dropped),
		cmocka_unit_test(test_siphash_vector),
		cmocka_unit_test(test_placement_keyed),
		cmocka_unit_test(test_same_set_both_limited),
		cmocka_unit_test(test_lru_replacement),
		cmocka_unit_test(test_shared_table_calls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
