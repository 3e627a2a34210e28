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
#include "reference.h"
#include "selection.h"
#include "sourcestats.h"

/* cmocka 1.1.5 (Debian 12) has no double comparison */
#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

static struct ntp_sample sample(double offset, double delay, __u8 stratum, double at)
{
	return (struct ntp_sample){ .offset = offset, .delay = delay, .dispersion = 1e-6,
				    .root_delay = 1e-3, .root_dispersion = 1e-3,
				    .local_rx = at, .stratum = stratum };
}

/* samples of an upstream whose clock runs `ppm` fast against ours, from
 * offset o0 at t0, every `poll` s; delay d, but `slow` samples (a bitmask)
 * queued 2 ms on the way back, which moves their offset by -1 ms */
static void feed(struct sourcestats *ss, int n, double t0, double poll, double o0, double ppm,
		 unsigned int slow)
{
	int i;

	for (i = 0; i < n; i++) {
		double t = t0 + i * poll;
		struct ntp_sample s = sample(o0 + ppm * 1e-6 * (t - t0), 0.0003, 1, t);

		if (slow & (1U << i)) {
			s.delay += 0.002;
			s.offset -= 0.001;
		}
		sst_add(ss, &s);
	}
}

static void estimate_is_the_line_now(void **state)
{
	struct sourcestats ss;
	struct sst_estimate e;
	double now = 1000 + 7 * 64 + 40;

	(void)state;
	sst_reset(&ss);
	assert_false(sst_estimate(&ss, now, 0, 0, &e));
	feed(&ss, 8, 1000, 64, 0.004, 20, 0);
	assert_true(sst_estimate(&ss, now, 0, 0, &e));
	/* not the newest sample's offset (40 s old): the line's value now */
	assert_near(e.offset, 0.004 + 20e-6 * (now - 1000), 1e-9);
	assert_near(e.freq, 20e-6, 1e-12);
	assert_near(e.age, 40, 1e-9);
	assert_int_equal(e.n, 8);
}

static void queued_samples_weigh_less(void **state)
{
	struct sourcestats ss;
	struct sst_estimate e;

	(void)state;
	sst_reset(&ss);
	feed(&ss, 12, 1000, 16, 0, -100, 0x0a4);	/* three samples queued */
	assert_true(sst_estimate(&ss, 1000 + 11 * 16, 0, 0, &e));
	/* a plain fit would be pulled 250 us low; weighted by delay it is not */
	assert_near(e.offset, -100e-6 * 11 * 16, 20e-6);
	assert_near(e.delay, 0.0003, 1e-12);
}

static void a_bend_drops_the_old_samples(void **state)
{
	struct sourcestats ss;
	struct sst_estimate e;
	double t = 1000, o = 0;
	int i;

	(void)state;
	sst_reset(&ss);
	/* 16 samples at +10 ppm, then the oscillator warms to +30 ppm for 16 */
	for (i = 0; i < 32; i++, t += 32) {
		struct ntp_sample s = sample(o, 0.0003, 1, t);

		s.offset += (i % 2 ? 1 : -1) * 1e-6;	/* a microsecond of noise */
		sst_add(&ss, &s);
		o += (i < 16 ? 10e-6 : 30e-6) * 32;
	}
	assert_true(sst_estimate(&ss, t - 32, 0, 0, &e));
	/* the runs test keeps only what lies on the new line */
	assert_true(e.n < 24);
	assert_near(e.freq, 30e-6, 0.5e-6);
	assert_near(e.offset, o - 30e-6 * 32, 5e-6);
}

static void too_few_samples_use_the_prior(void **state)
{
	struct sourcestats ss;
	struct sst_estimate e;

	(void)state;
	sst_reset(&ss);
	feed(&ss, 2, 1000, 2, 0.001, 0, 0);
	assert_true(sst_estimate(&ss, 1012, 15e-6, 1e-6, &e));
	assert_near(e.offset, 0.001 + 15e-6 * 10, 1e-12);
	assert_near(e.freq, 15e-6, 1e-15);
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

static void good_sources_close_together_agree(void **state)
{
	struct sel_candidate c[3];
	struct sel_result r;

	(void)state;
	/* two loopback servers of one clock: microsecond intervals, 8 us apart */
	fill(&c[0], 2e-6, 30e-6, 2, 0);
	fill(&c[1], 10e-6, 30e-6, 3, 0);
	c[0].sample.root_delay = c[1].sample.root_delay = 0;
	c[0].sample.root_dispersion = c[1].sample.root_dispersion = 1e-6;
	fill(&c[2], 5.0, 30e-6, 1, 0);
	assert_true(selection_run(c, 3, &r));
	assert_true(c[0].truechimer);
	assert_true(c[1].truechimer);
	assert_false(c[2].truechimer);
}

static void overlap_not_midpoint_makes_a_truechimer(void **state)
{
	struct sel_candidate c[3];
	struct sel_result r;

	(void)state;
	/* a narrow and a wide interval that overlap; the wide one's midpoint
	 * lies outside the narrow one, which does not make it false */
	fill(&c[0], 0, 0.001, 2, 0);
	fill(&c[1], 0.05, 0.2, 2, 0);
	fill(&c[2], -4.0, 0.001, 2, 0);
	assert_true(selection_run(c, 3, &r));
	assert_true(c[0].truechimer);
	assert_true(c[1].truechimer);
	assert_false(c[2].truechimer);
}

static void ref_source(struct ref_source *rs, double offset, __u8 stratum)
{
	memset(rs, 0, sizeof(*rs));
	rs->usable = true;
	rs->est.offset = offset;
	rs->est.delay = 100e-6;
	rs->est.dispersion = 2e-6;
	rs->est.newest = sample(offset, 100e-6, stratum, 100);
	rs->est.newest.root_delay = 0;
	rs->est.newest.root_dispersion = 10e-6;
}

static void one_failed_round_holds_over(void **state)
{
	struct reference ref;
	struct ref_source rs[2];

	(void)state;
	reference_init(&ref, CLOCK_MODEL_CORRECTED, -20, 0, -1);
	ref_source(&rs[0], 0.001, 2);
	ref_source(&rs[1], 0.001, 2);
	assert_true(reference_select(&ref, rs, 2, 100));
	assert_false(ref.holdover);
	/* the two now disagree by seconds: no majority, but the last round's
	 * time is still the best there is */
	rs[1].est.offset = 3.0;
	assert_true(reference_select(&ref, rs, 2, 101));
	assert_true(ref.holdover);
	assert_near(ref.result.offset, 0.001, 1e-12);
	/* with every source gone, it is over */
	rs[0].usable = rs[1].usable = false;
	assert_false(reference_select(&ref, rs, 2, 102));
}

static void stratum_15_is_not_selectable(void **state)
{
	struct reference ref;
	struct ref_source rs[1];

	(void)state;
	reference_init(&ref, CLOCK_MODEL_CORRECTED, -20, 0, -1);
	ref_source(&rs[0], 0, 15);
	assert_false(reference_select(&ref, rs, 1, 100));
	assert_non_null(rs[0].unusable);
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
	/* versions 0 and 5-7: not NTP as we know it, whatever the fields say */
	p = answer(nonce, t1, t1);
	p.li_vn_mode = NTP_LI_VN_MODE(0, 0, NTP_MODE_SERVER);
	assert_int_equal(JUDGE(p), NTP_RESP_BAD_VERSION);
	p.li_vn_mode = NTP_LI_VN_MODE(0, 5, NTP_MODE_SERVER);
	assert_int_equal(JUDGE(p), NTP_RESP_BAD_VERSION);
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
		cmocka_unit_test(estimate_is_the_line_now),
		cmocka_unit_test(queued_samples_weigh_less),
		cmocka_unit_test(a_bend_drops_the_old_samples),
		cmocka_unit_test(too_few_samples_use_the_prior),
		cmocka_unit_test(good_sources_close_together_agree),
		cmocka_unit_test(overlap_not_midpoint_makes_a_truechimer),
		cmocka_unit_test(one_failed_round_holds_over),
		cmocka_unit_test(stratum_15_is_not_selectable),
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
