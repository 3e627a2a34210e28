// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Clock filter, intersection and combination on recorded sample sets, and the
 * response judge of the upstream client.  Offsets and delays below are the
 * shape of what a LAN and a WAN upstream give (sub-millisecond and tens of
 * milliseconds); the falsetickers are seconds off, as a broken GPS is.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include "agent.h"
#include "ntp_client.h"
#include "ntp_proto.h"
#include "selection.h"

/* cmocka 1.1.5 (Debian 12) has no double comparison */
#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

static struct ntp_sample sample(double offset, double delay, __u8 stratum, double at)
{
	return (struct ntp_sample){ .offset = offset, .delay = delay, .dispersion = 1e-6,
				    .root_delay = 1e-3, .root_dispersion = 1e-3,
				    .local_rx = at, .stratum = stratum };
}

static void filter_picks_lowest_delay(void **state)
{
	/* recorded: a WAN upstream, one sample with a short queue */
	static const double offs[] = { 0.0031, 0.0012, 0.0040, -0.0007, 0.0025, 0.0019, 0.0033, 0.0028 };
	static const double dels[] = { 0.041, 0.038, 0.052, 0.0299, 0.044, 0.040, 0.061, 0.039 };
	struct clock_filter f;
	struct ntp_sample best;
	double jitter;
	int i;

	(void)state;
	clock_filter_reset(&f);
	assert_false(clock_filter_best(&f, 100, &best, &jitter));
	for (i = 0; i < 8; i++) {
		struct ntp_sample s = sample(offs[i], dels[i], 2, 100 + i);

		clock_filter_add(&f, &s);
	}
	assert_true(clock_filter_best(&f, 107, &best, &jitter));
	assert_near(best.offset, -0.0007, 1e-12);
	assert_near(best.delay, 0.0299, 1e-12);
	/* aged from t=103 to t=107 at 15 ppm */
	assert_near(best.dispersion, 1e-6 + 4 * 15e-6, 1e-12);
	assert_true(jitter > 0.002 && jitter < 0.005);
}

static void filter_keeps_last_eight(void **state)
{
	struct clock_filter f;
	struct ntp_sample best;
	double jitter;
	int i;

	(void)state;
	clock_filter_reset(&f);
	/* the very best sample comes first and must age out after 8 more */
	for (i = 0; i < 9; i++) {
		struct ntp_sample s = sample(i, i == 0 ? 0.001 : 0.01 + i * 0.001, 2, i);

		clock_filter_add(&f, &s);
	}
	assert_true(clock_filter_best(&f, 9, &best, &jitter));
	assert_near(best.offset, 1, 1e-12);
}

static void fill(struct sel_candidate *c, double offset, double delay, __u8 stratum, __u8 leap)
{
	memset(c, 0, sizeof(*c));
	c->sample = sample(offset, delay, stratum, 0);
	c->sample.leap = leap;
}

static void intersection_rejects_falseticker(void **state)
{
	struct sel_candidate c[3];
	struct sel_result r;

	(void)state;
	fill(&c[0], 0.0004, 0.002, 2, 0);
	fill(&c[1], -0.0003, 0.003, 3, 0);
	fill(&c[2], 5.0, 0.001, 1, 0);	/* stratum 1 and fast, but 5 s off */
	assert_true(selection_run(c, 3, &r));
	assert_int_equal(r.n_truechimers, 2);
	assert_true(c[0].truechimer);
	assert_true(c[1].truechimer);
	assert_false(c[2].truechimer);
	assert_int_equal(r.system_peer, 0);	/* lowest stratum among survivors */
	assert_true(fabs(r.offset) < 0.001);
}

static void no_majority_no_time(void **state)
{
	struct sel_candidate c[2];
	struct sel_result r;

	(void)state;
	fill(&c[0], 0.0, 0.001, 2, 0);
	fill(&c[1], 3.0, 0.001, 2, 0);
	assert_false(selection_run(c, 2, &r));
	assert_int_equal(r.system_peer, -1);
}

static void combination_weights_by_distance(void **state)
{
	struct sel_candidate c[2];
	struct sel_result r;

	(void)state;
	fill(&c[0], 0.001, 0.001, 2, 0);	/* close: small root distance */
	fill(&c[1], 0.003, 0.100, 2, 0);	/* far: large root distance */
	assert_true(selection_run(c, 2, &r));
	assert_int_equal(r.n_truechimers, 2);
	assert_true(r.offset > 0.001 && r.offset < 0.002);	/* pulled towards the close one */
	assert_int_equal(r.system_peer, 0);
	assert_near(r.delay, 1e-3 + 0.001, 1e-12);	/* its root delay + delay */
}

static void leap_is_the_majority(void **state)
{
	struct sel_candidate c[3];
	struct sel_result r;

	(void)state;
	fill(&c[0], 0, 0.001, 2, NTP_LEAP_INSERT);
	fill(&c[1], 0, 0.001, 2, NTP_LEAP_INSERT);
	fill(&c[2], 0, 0.001, 2, NTP_LEAP_NONE);
	assert_true(selection_run(c, 3, &r));
	assert_int_equal(r.leap, NTP_LEAP_INSERT);
	c[1].sample.leap = NTP_LEAP_NONE;
	assert_true(selection_run(c, 3, &r));
	assert_int_equal(r.leap, NTP_LEAP_NONE);
}

/* a server answer to our nonce, with our t1/t4 straddling its t2/t3 */
static struct ntp_packet answer(__u64 nonce, __u64 t2_unix_ns, __u64 t3_unix_ns)
{
	struct ntp_packet p = { 0 };

	p.li_vn_mode = NTP_LI_VN_MODE(0, 4, NTP_MODE_SERVER);
	p.stratum = 2;
	p.precision = -20;
	p.origin_ts = nonce;
	p.root_delay = bpf_htonl(0x8000);	/* 0.5 s */
	p.receive_ts = bpf_cpu_to_be64(ntp_ts_from_unix_ns(t2_unix_ns));
	p.transmit_ts = bpf_cpu_to_be64(ntp_ts_from_unix_ns(t3_unix_ns));
	return p;
}

static void response_offset_and_delay(void **state)
{
	const __u64 t1 = 1700000000ULL * NSEC_PER_SEC_U64;	/* our TAI = UTC here */
	struct ntp_packet p = answer(0x1122334455667788ULL, t1 + 1010000000ULL, t1 + 1011000000ULL);
	struct ntp_sample s;

	(void)state;
	/* server 1 s ahead, 10 ms each way, 1 ms turnaround */
	assert_int_equal(ntp_client_parse_response(&p, sizeof(p), 0x1122334455667788ULL, t1,
						   t1 + 21000000ULL, 0, -20, &s), NTP_RESP_OK);
	assert_near(s.offset, 1.0, 1e-6);
	assert_near(s.delay, 0.020, 1e-6);
	assert_near(s.root_delay, 0.5, 1e-9);
	assert_int_equal(s.stratum, 2);
}

static void response_rejections(void **state)
{
	const __u64 t1 = 1700000000ULL * NSEC_PER_SEC_U64, nonce = 42;
	struct ntp_packet p;
	struct ntp_sample s;

	(void)state;
#define JUDGE(pkt) ntp_client_parse_response(&(pkt), sizeof(pkt), nonce, t1, t1 + 1000, 0, -20, &s)
	p = answer(nonce + 1, t1, t1);
	assert_int_equal(JUDGE(p), NTP_RESP_BAD_ORIGIN);
	p = answer(nonce, t1, t1);
	p.li_vn_mode = NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT);
	assert_int_equal(JUDGE(p), NTP_RESP_BAD_MODE);
	p = answer(nonce, t1, t1);
	p.li_vn_mode = NTP_LI_VN_MODE(NTP_LEAP_UNSYNC, 4, NTP_MODE_SERVER);
	assert_int_equal(JUDGE(p), NTP_RESP_UNSYNC);
	p = answer(nonce, t1, t1);
	p.stratum = 16;
	assert_int_equal(JUDGE(p), NTP_RESP_BAD_STRATUM);
	p = answer(nonce, t1, t1);
	p.stratum = 0;
	memcpy(&p.refid, "RATE", 4);
	assert_int_equal(JUDGE(p), NTP_RESP_KOD_RATE);
	memcpy(&p.refid, "DENY", 4);
	assert_int_equal(JUDGE(p), NTP_RESP_KOD_DENY);
	memcpy(&p.refid, "RSTR", 4);
	assert_int_equal(JUDGE(p), NTP_RESP_KOD_RSTR);
	memcpy(&p.refid, "XXXX", 4);
	assert_int_equal(JUDGE(p), NTP_RESP_KOD_OTHER);
	p = answer(nonce, t1, t1);
	assert_int_equal(ntp_client_parse_response(&p, 47, nonce, t1, t1, 0, -20, &s),
			 NTP_RESP_BAD_LENGTH);
#undef JUDGE
}

static void refid_of_addresses(void **state)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	__be32 refid;

	(void)state;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.7", &sin->sin_addr);
	refid = agent_refid_for(&ss);
	assert_memory_equal(&refid, "\xc0\x00\x02\x07", 4);

	memset(&ss, 0, sizeof(ss));
	sin6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", &sin6->sin6_addr);
	refid = agent_refid_for(&ss);
	/* python3 -c "import hashlib,ipaddress; print(hashlib.md5(
	 *   ipaddress.ip_address('2001:db8::1').packed).hexdigest()[:8])" */
	assert_memory_equal(&refid, "\x39\xab\x9b\x37", 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(filter_picks_lowest_delay),
		cmocka_unit_test(filter_keeps_last_eight),
		cmocka_unit_test(intersection_rejects_falseticker),
		cmocka_unit_test(no_majority_no_time),
		cmocka_unit_test(combination_weights_by_distance),
		cmocka_unit_test(leap_is_the_majority),
		cmocka_unit_test(response_offset_and_delay),
		cmocka_unit_test(response_rejections),
		cmocka_unit_test(refid_of_addresses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
