// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The decision ladder of bpf/ntp_verdict.h, compiled from the very header
 * the XDP program and the socket server include: each rung as a table of
 * {description, facts, expected action, expected counter}.  The BPF suites
 * (tests/bpf/test_xdp_policy.c) and tests/unit/test_client_policy.c drive
 * the same functions through the two sides' lookups.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "ntp_verdict.h"	/* and ntp_proto.h under it */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define ANSWER		NTP_ACT_ANSWER
#define KOD_RATE	NTP_ACT_KOD_RATE
#define KOD_DENY	NTP_ACT_KOD_DENY
#define DROP		NTP_ACT_DROP
#define PASS		NTP_ACT_PASS
#define PLAIN		NTP_REQ_ANSWER	/* the answer's own counter */

/* ---- rung 1: the reference state ------------------------------------------ */

static const struct {
	const char *desc;
	int state_read, fresh, stale_pass;
	__u32 action, counter;
} state_cases[] = {
	{ "torn read", 0, 0, 0, PASS, NTPD_CNT_PASS_STATE_BUSY },
	{ "torn read, stale-pass", 0, 0, 1, PASS, NTPD_CNT_PASS_STATE_BUSY },
	{ "fresh", 1, 1, 0, ANSWER, PLAIN },
	{ "fresh, stale-pass", 1, 1, 1, ANSWER, PLAIN },
	{ "stale: answered unsynchronised", 1, 0, 0, ANSWER, PLAIN },
	{ "stale, stale-pass: handed on", 1, 0, 1, PASS, NTPD_CNT_PASS_STALE },
};

static void test_state_rung(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(state_cases); i++) {
		struct ntp_verdict v = ntp_state_verdict(state_cases[i].state_read,
							 state_cases[i].fresh,
							 state_cases[i].stale_pass);

		print_message("# %s\n", state_cases[i].desc);
		assert_int_equal(v.action, state_cases[i].action);
		assert_int_equal(v.counter, state_cases[i].counter);
	}
}

/* ---- rungs 3 and 5: charge, and the policy's verdict --------------------------- */

/*
 * Facts: the list's action, the config's switches, and the bucket's answer
 * (over: did not conform; limited: the count with this one) when charged.
 * `charged` is what ntp_policy_charges must say; the bucket facts of an
 * uncharged row are what a caller that took no bucket passes (0, 0), and
 * the ladder must not read them anyway (rows marked "ignored" pass 1).
 */
struct policy_case {
	const char *desc;
	__u8 acl;
	__u8 enabled, kod, kod_deny, leak_shift;
	int over;
	__u32 limited;
	int charged;
	__u32 action, counter;
};

#define ALLOW	NTPD_ACL_ALLOW
#define DENY	NTPD_ACL_DENY

static const struct policy_case policy_cases[] = {
	/* no list entry or an allow entry, rate limiting off */
	{ "no entry, limits off", 0, 0, 0, 0, 2, 0, 0, 0, ANSWER, PLAIN },
	{ "allow entry, limits off", ALLOW, 0, 0, 0, 2, 0, 0, 0, ANSWER, PLAIN },
	{ "limits off: a bucket fact is ignored", 0, 0, 1, 0, 2, 1, 1, 0, ANSWER, PLAIN },
	/* rate limiting on */
	{ "conforms", 0, 1, 0, 0, 2, 0, 0, 1, ANSWER, PLAIN },
	{ "conforms, kod on", 0, 1, 1, 0, 2, 0, 0, 1, ANSWER, PLAIN },
	{ "allow entry, conforms", ALLOW, 1, 0, 0, 2, 0, 0, 1, ANSWER, PLAIN },
	{ "over, limited 1 of leak 1/4", 0, 1, 0, 0, 2, 1, 1, 1, DROP, NTPD_CNT_RATE_DROPPED },
	{ "over, limited 3 of leak 1/4", 0, 1, 0, 0, 2, 1, 3, 1, DROP, NTPD_CNT_RATE_DROPPED },
	{ "over, limited 4: leaks", 0, 1, 0, 0, 2, 1, 4, 1, ANSWER, NTPD_CNT_RATE_LEAKED },
	{ "over, limited 8: leaks", 0, 1, 0, 0, 2, 1, 8, 1, ANSWER, NTPD_CNT_RATE_LEAKED },
	{ "over, leak off", 0, 1, 0, 0, 0, 1, 4, 1, DROP, NTPD_CNT_RATE_DROPPED },
	{ "over, leak 1/2, limited 2", 0, 1, 0, 0, 1, 1, 2, 1, ANSWER, NTPD_CNT_RATE_LEAKED },
	{ "over, leak 1/2, limited 3", 0, 1, 0, 0, 1, 1, 3, 1, DROP, NTPD_CNT_RATE_DROPPED },
	{ "over, leaks as a KoD RATE", 0, 1, 1, 0, 2, 1, 4, 1, KOD_RATE, NTPD_CNT_RATE_KOD },
	{ "over, kod on, no leak", 0, 1, 1, 0, 2, 1, 5, 1, DROP, NTPD_CNT_RATE_DROPPED },
	{ "allow entry, over, leaks", ALLOW, 1, 1, 0, 2, 1, 4, 1, KOD_RATE, NTPD_CNT_RATE_KOD },
	/* denied without kod-deny: dropped before any bucket */
	{ "denied, limits off", DENY, 0, 0, 0, 2, 0, 0, 0, DROP, NTPD_CNT_DENIED_DROPPED },
	{ "denied, limits on", DENY, 1, 0, 0, 2, 0, 0, 0, DROP, NTPD_CNT_DENIED_DROPPED },
	{ "denied: a bucket fact is ignored", DENY, 1, 1, 0, 2, 1, 4, 0, DROP,
	  NTPD_CNT_DENIED_DROPPED },
	/* denied with kod-deny: a kiss, through the bucket and the leak */
	{ "kod-deny, limits off", DENY, 0, 0, 1, 2, 0, 0, 0, KOD_DENY, NTPD_CNT_DENIED_KOD },
	{ "kod-deny, limits off: bucket ignored", DENY, 0, 0, 1, 2, 1, 1, 0, KOD_DENY,
	  NTPD_CNT_DENIED_KOD },
	{ "kod-deny, conforms", DENY, 1, 0, 1, 2, 0, 0, 1, KOD_DENY, NTPD_CNT_DENIED_KOD },
	{ "kod-deny, conforms, kod on", DENY, 1, 1, 1, 2, 0, 0, 1, KOD_DENY, NTPD_CNT_DENIED_KOD },
	{ "kod-deny, over, no leak", DENY, 1, 0, 1, 2, 1, 1, 1, DROP, NTPD_CNT_DENIED_LIMITED },
	{ "kod-deny, over, kod on, no leak", DENY, 1, 1, 1, 2, 1, 3, 1, DROP,
	  NTPD_CNT_DENIED_LIMITED },
	{ "kod-deny, over, leaks: DENY, never RATE", DENY, 1, 1, 1, 2, 1, 4, 1, KOD_DENY,
	  NTPD_CNT_DENIED_KOD },
	{ "kod-deny, over, leak off", DENY, 1, 0, 1, 0, 1, 4, 1, DROP, NTPD_CNT_DENIED_LIMITED },
};

static void test_policy_rung(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(policy_cases); i++) {
		const struct policy_case *c = &policy_cases[i];
		struct ntpd_rate_config cfg = {
			.cost_ns = 500000000ULL, .burst_ns = 8000000000ULL,
			.enabled = c->enabled, .kod = c->kod, .kod_deny = c->kod_deny,
			.leak_shift = c->leak_shift, .prefix4 = 32, .prefix6 = 64,
		};
		struct ntp_verdict v;

		print_message("# %s\n", c->desc);
		assert_int_equal(ntp_policy_charges(&cfg, c->acl), c->charged);
		v = ntp_policy_verdict(&cfg, c->acl, c->over, c->limited);
		assert_int_equal(v.action, c->action);
		assert_int_equal(v.counter, c->counter);
		/* the kiss follows the action, and only the action */
		assert_int_equal(ntp_verdict_kiss(v), c->action == KOD_RATE ? NTP_KISS_RATE :
						      c->action == KOD_DENY ? NTP_KISS_DENY : 0);
	}
}

/* ---- rung 6: the counter of what is sent --------------------------------------- */

static const struct {
	const char *desc;
	__u32 action, counter;		/* the verdict so far */
	enum ntp_answer_kind kind;
	int fresh, v6;
	__u32 want;
} counter_cases[] = {
	{ "IPv4 answer", ANSWER, PLAIN, NTP_ANSWER_PLAIN, 1, 0, NTPD_CNT_ANSWERED_V4 },
	{ "IPv6 answer", ANSWER, PLAIN, NTP_ANSWER_PLAIN, 1, 1, NTPD_CNT_ANSWERED_V6 },
	{ "stale answer", ANSWER, PLAIN, NTP_ANSWER_PLAIN, 0, 0, NTPD_CNT_ANSWERED_UNSYNC },
	{ "stale IPv6 answer", ANSWER, PLAIN, NTP_ANSWER_PLAIN, 0, 1, NTPD_CNT_ANSWERED_UNSYNC },
	{ "signed answer", ANSWER, PLAIN, NTP_ANSWER_SIGNED, 1, 0, NTPD_CNT_ANSWERED_AUTH },
	{ "signed IPv6 answer", ANSWER, PLAIN, NTP_ANSWER_SIGNED, 1, 1, NTPD_CNT_ANSWERED_AUTH },
	{ "signed, stale: unsynchronised first", ANSWER, PLAIN, NTP_ANSWER_SIGNED, 0, 0,
	  NTPD_CNT_ANSWERED_UNSYNC },
	{ "crypto-NAK", ANSWER, PLAIN, NTP_ANSWER_NAK, 1, 0, NTPD_CNT_ANSWERED_NAK },
	{ "crypto-NAK, stale", ANSWER, PLAIN, NTP_ANSWER_NAK, 0, 1, NTPD_CNT_ANSWERED_NAK },
	{ "crypto-NAK that leaked: a NAK", ANSWER, NTPD_CNT_RATE_LEAKED, NTP_ANSWER_NAK, 1, 0,
	  NTPD_CNT_ANSWERED_NAK },
	{ "leaked", ANSWER, NTPD_CNT_RATE_LEAKED, NTP_ANSWER_PLAIN, 1, 0, NTPD_CNT_RATE_LEAKED },
	{ "leaked, stale: still a leak", ANSWER, NTPD_CNT_RATE_LEAKED, NTP_ANSWER_PLAIN, 0, 1,
	  NTPD_CNT_RATE_LEAKED },
	{ "leaked, signed", ANSWER, NTPD_CNT_RATE_LEAKED, NTP_ANSWER_SIGNED, 1, 0,
	  NTPD_CNT_RATE_LEAKED },
	{ "KoD RATE", KOD_RATE, NTPD_CNT_RATE_KOD, NTP_ANSWER_PLAIN, 1, 0, NTPD_CNT_RATE_KOD },
	{ "KoD RATE, stale", KOD_RATE, NTPD_CNT_RATE_KOD, NTP_ANSWER_PLAIN, 0, 1,
	  NTPD_CNT_RATE_KOD },
	{ "KoD DENY", KOD_DENY, NTPD_CNT_DENIED_KOD, NTP_ANSWER_PLAIN, 1, 1, NTPD_CNT_DENIED_KOD },
	{ "KoD DENY never counted as a NAK", KOD_DENY, NTPD_CNT_DENIED_KOD, NTP_ANSWER_NAK, 1, 0,
	  NTPD_CNT_DENIED_KOD },
	{ "a drop keeps its counter", DROP, NTPD_CNT_DENIED_LIMITED, NTP_ANSWER_PLAIN, 1, 0,
	  NTPD_CNT_DENIED_LIMITED },
	{ "a pass keeps its counter", PASS, NTPD_CNT_PASS_STALE, NTP_ANSWER_PLAIN, 0, 0,
	  NTPD_CNT_PASS_STALE },
};

static void test_answer_counter(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(counter_cases); i++) {
		struct ntp_verdict v = NTP_VERDICT(counter_cases[i].action, counter_cases[i].counter);

		print_message("# %s\n", counter_cases[i].desc);
		assert_int_equal(ntp_answer_counter(v, counter_cases[i].kind, counter_cases[i].fresh,
						    counter_cases[i].v6),
				 counter_cases[i].want);
	}
}

/* ---- rung 4's key ------------------------------------------------------------ */

/* A client is its prefix: IPv4 as ::ffff:a.b.c.d cut within its 32 bits,
 * IPv6 cut at the configured length; the family picks the prefix. */
static void test_rate_key(void **state)
{
	struct ntpd_rate_config cfg = { .prefix4 = 24, .prefix6 = 48 };
	static const __u8 want4[16] = { [10] = 0xff, [11] = 0xff, 198, 51, 100, 0 };
	__u8 want6[16], a6[16];
	struct ntpd_rate_key key;
	__be32 a4;

	(void)state;
	assert_int_equal(inet_pton(AF_INET, "198.51.100.77", &a4), 1);
	ntp_rate_key(&key, 0, &a4, &cfg);
	assert_memory_equal(key.addr, want4, 16);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:7:ffff::1", a6), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:7::", want6), 1);
	ntp_rate_key(&key, 1, a6, &cfg);
	assert_memory_equal(key.addr, want6, 16);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_rung),
		cmocka_unit_test(test_policy_rung),
		cmocka_unit_test(test_answer_counter),
		cmocka_unit_test(test_rate_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
