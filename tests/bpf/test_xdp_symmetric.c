// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Symmetric active (mode 1) requests through the loaded XDP program, by
 * BPF_PROG_TEST_RUN on crafted frames: answered statelessly in symmetric
 * passive mode (2), 48 bytes like the request, every byte of the answer
 * checked against an expectation written here from RFC 5905 (not from the
 * program's helpers); policed like a client (a denied peer's kiss is mode
 * 2 too, an over-limit one dropped).  And what XDP leaves to the stack: mode
 * 2, mode 5 (broadcast), mode 6 (ntpq) at 48 bytes and shorter, passed up
 * untouched for the socket server.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fixture.h"
#include "ntp_proto.h"
#include "refstate.h"

#define XMT_TS	0x0123456789abcdefULL
#define PEER4	"198.51.100.7"
#define PEER6	"2001:db8:5::7"
/* the fast path's multiply-shift is within 1 unit of 2^-32 s; a few spare */
#define TS_SLACK 4

static const struct ntpd_ref_state published = {
	.leap = NTP_LEAP_NONE, .stratum = 3, .precision = -22,
	.root_delay = 0x00001234, .root_dispersion = 0x00000456,
	.refid = 0x0a0b0c0d, .reference_ts = 0xe1e2e3e4f1f2f3f4ULL,
	/* served time = CLOCK_TAI: the expectation needs no model of the servo */
};

struct request {
	int family;
	const char *src;
	__u8 li_vn_mode;
	__s8 poll;
	size_t payload_len;
	__u16 sport;
};

#define REQ(fam_, src_, lvm_, poll_, ...) \
	((struct request){ .family = (fam_), .src = (src_), .li_vn_mode = (lvm_), .poll = (poll_), \
			   __VA_ARGS__ })

static int build(const struct request *q, uint8_t *buf)
{
	struct frame_layout lay;
	uint8_t payload[NTP_PACKET_LEN] = { 0 };
	struct frame_spec s = {
		.dst_mac = { 2, 0, 0, 0, 0, 1 }, .src_mac = { 2, 0, 0, 0, 0, 2 },
		.family = q->family, .ttl = 61, .tos = 0xb9, .l4_proto = IPPROTO_UDP,
		.sport = q->sport ? q->sport : 123, .dport = 123, .csum = FRAME_CSUM_VALID,
		.payload = payload, .payload_len = q->payload_len ? q->payload_len : NTP_PACKET_LEN,
	};

	frame_ntp_request(payload, s.payload_len, q->li_vn_mode, q->poll, XMT_TS);
	inet_pton(q->family, q->src, s.saddr);
	inet_pton(q->family, q->family == AF_INET ? FIXTURE_SERVER4 : FIXTURE_SERVER6, s.daddr);
	return frame_build(&s, buf, FRAME_MAX, &lay);
}

static int load(struct xdp_fixture *f, const struct ntpd_ref_state *st)
{
	struct ntpd_ref_state copy = *st;
	int err = fixture_open(f);

	return err ?: fixture_load_serving(f, &copy);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* RFC 5905 6: seconds since 1900 and a 32-bit fraction, from Unix ns */
static uint64_t ntp_of(__u64 unix_ns)
{
	uint64_t sec = unix_ns / 1000000000ULL, ns = unix_ns % 1000000000ULL;

	return (sec + 2208988800ULL) << 32 | ((ns << 32) / 1000000000ULL);
}

/*
 * The answer expected to `in`: MACs, addresses and ports swapped, TTL 64,
 * TOS 0; NTP header with LI 0, the request's version, mode 2, our stratum,
 * poll clamped into [4, 17], precision, root delay, refid, reference time,
 * origin = their transmit.  Root dispersion and the receive and transmit
 * stamps are read from the answer after their bounds are checked.
 */
static void expect_answer(const uint8_t *in, size_t len, const struct fixture_run *r,
			  uint8_t *want, uint8_t kiss_refid[4])
{
	struct frame_layout lay;
	uint8_t tmp[16], *l3, *ntp;
	const uint8_t *got, *req;
	size_t alen;
	int v6, poll;
	uint64_t lo = ntp_of(r->tai_before) - TS_SLACK, hi = ntp_of(r->tai_after) + TS_SLACK;

	memcpy(want, in, len);
	assert_int_equal(frame_parse(want, len, &lay), 0);
	v6 = lay.family == AF_INET6;
	memcpy(tmp, want, 6);
	memcpy(want, want + 6, 6);
	memcpy(want + 6, tmp, 6);
	l3 = want + lay.l3;
	alen = v6 ? 16 : 4;
	memcpy(tmp, l3 + (v6 ? 8 : 12), alen);
	memcpy(l3 + (v6 ? 8 : 12), l3 + (v6 ? 24 : 16), alen);
	memcpy(l3 + (v6 ? 24 : 16), tmp, alen);
	if (v6) {
		l3[0] = 0x60;			/* traffic class 0, flow label 0 */
		l3[1] &= 0x0f;
		l3[7] = 64;
	} else {
		l3[1] = 0;
		l3[8] = 64;
	}
	memcpy(tmp, want + lay.l4, 2);		/* ports */
	memcpy(want + lay.l4, want + lay.l4 + 2, 2);
	memcpy(want + lay.l4 + 2, tmp, 2);

	ntp = want + lay.payload;
	req = in + lay.payload;
	got = r->out + lay.payload;
	poll = (int8_t)req[2];
	poll = poll < NTP_POLL_MIN_DEFAULT ? NTP_POLL_MIN_DEFAULT :
	       poll > NTP_POLL_MAX_DEFAULT ? NTP_POLL_MAX_DEFAULT : poll;
	ntp[0] = (uint8_t)((kiss_refid ? 3 : 0) << 6 | (req[0] & 0x38) | 2);
	ntp[1] = kiss_refid ? 0 : published.stratum;
	ntp[2] = (uint8_t)poll;
	ntp[3] = (uint8_t)published.precision;
	put32(ntp + 4, kiss_refid ? 0 : published.root_delay);
	/* dispersion grows by 15 ppm of a sub-second age: a unit or two at most */
	if (kiss_refid) {
		assert_int_equal(get32(got + 8), 0);
	} else {
		assert_in_range(get32(got + 8), published.root_dispersion,
				published.root_dispersion + 2);
	}
	memcpy(ntp + 8, got + 8, 4);
	if (kiss_refid)
		memcpy(ntp + 12, kiss_refid, 4);
	else
		memcpy(ntp + 12, &published.refid, 4);
	put64(ntp + 16, kiss_refid ? 0 : published.reference_ts);
	memcpy(ntp + 24, req + 40, 8);
	assert_in_range(get64(got + 32), lo, hi);
	assert_in_range(get64(got + 40), get64(got + 32), hi);
	put64(ntp + 32, get64(got + 32));
	put64(ntp + 40, get64(got + 40));
	assert_int_equal(frame_fix_csums(want, len), 0);
	assert_int_equal(frame_verify_csums(r->out, len), 0);
}

/* Run q; assert verdict and the one counter it moves; the output in r. */
static size_t run_one(struct xdp_fixture *f, const struct request *q, int verdict, int counter,
		      uint8_t *in, struct fixture_run *r)
{
	int len = build(q, in), moved;

	assert_true(len > 0);
	assert_int_equal(fixture_run_counted(f, in, (size_t)len, r, &moved), 0);
	if (r->verdict != verdict || moved != counter)
		print_message("# lvm %#x: verdict %d counter %d\n", q->li_vn_mode, r->verdict,
			      moved);
	assert_int_equal(r->verdict, verdict);
	assert_int_equal(moved, counter);
	assert_int_equal(r->out_len, (size_t)len);
	return (size_t)len;
}

static void answered_in_mode_2(struct xdp_fixture *f, const struct request *q, int counter)
{
	uint8_t in[FRAME_MAX], want[FRAME_MAX];
	struct fixture_run r;
	size_t len = run_one(f, q, XDP_TX, counter, in, &r);

	expect_answer(in, len, &r, want, NULL);
	assert_memory_equal(r.out, want, len);
}

static void symmetric_active_answered_passive(void **state)
{
	struct xdp_fixture f;
	const struct request v4 = REQ(AF_INET, PEER4, NTP_LI_VN_MODE(0, 4, NTP_MODE_SYM_ACTIVE), 6);
	/* ntpd's peer sends LI 3 until synchronised */
	const struct request v4_unsync = REQ(AF_INET, PEER4,
					     NTP_LI_VN_MODE(3, 4, NTP_MODE_SYM_ACTIVE), 10);
	/* w32tm: version 3, a long poll, an ephemeral port */
	const struct request v3 = REQ(AF_INET, PEER4, NTP_LI_VN_MODE(0, 3, NTP_MODE_SYM_ACTIVE), 20,
				      .sport = 40123);
	const struct request v6 = REQ(AF_INET6, PEER6, NTP_LI_VN_MODE(0, 4, NTP_MODE_SYM_ACTIVE), 2);

	(void)state;
	assert_int_equal(load(&f, &published), 0);
	answered_in_mode_2(&f, &v4, NTPD_CNT_ANSWERED_V4);
	answered_in_mode_2(&f, &v4_unsync, NTPD_CNT_ANSWERED_V4);
	answered_in_mode_2(&f, &v3, NTPD_CNT_ANSWERED_V4);
	answered_in_mode_2(&f, &v6, NTPD_CNT_ANSWERED_V6);
	fixture_close(&f);
}

/* A denied peer with kod-deny gets the kiss in mode 2 (the mode it would
 * accept as an answer); over the limit without kod, nothing. */
static void symmetric_active_policed_like_a_client(void **state)
{
	struct ntpd_rate_config cfg = { .cost_ns = 1000000000ULL, .burst_ns = 1000000000ULL,
					.enabled = 1, .prefix4 = 32, .prefix6 = 64,
					.acl4_enabled = 1, .kod_deny = 1 };
	struct ntpd_acl4_key net = { .prefixlen = 24, .addr = { 203, 0, 113, 0 } };
	const struct request denied = REQ(AF_INET, "203.0.113.9",
					  NTP_LI_VN_MODE(0, 4, NTP_MODE_SYM_ACTIVE), 6);
	const struct request peer = REQ(AF_INET, PEER4, NTP_LI_VN_MODE(0, 4, NTP_MODE_SYM_ACTIVE), 6);
	uint8_t in[FRAME_MAX], want[FRAME_MAX], deny_code[4] = { 'D', 'E', 'N', 'Y' };
	__u8 action = NTPD_ACL_DENY;
	struct xdp_fixture f;
	struct fixture_run r;
	size_t len;

	(void)state;
	assert_int_equal(load(&f, &published), 0);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(f.skel->maps.ntpd_acl4), &net, &action, 0),
			 0);
	assert_int_equal(fixture_set_rate(&f, &cfg), 0);
	len = run_one(&f, &denied, XDP_TX, NTPD_CNT_DENIED_KOD, in, &r);
	expect_answer(in, len, &r, want, deny_code);
	assert_memory_equal(r.out, want, len);
	/* a burst of one: the first conforms, the second is over the limit */
	answered_in_mode_2(&f, &peer, NTPD_CNT_ANSWERED_V4);
	run_one(&f, &peer, XDP_DROP, NTPD_CNT_RATE_DROPPED, in, &r);
	fixture_close(&f);
}

/* What XDP hands to the stack unchanged: the socket server answers mode 6
 * to the hosts allowed to query and sends broadcasts; mode 2 is an answer
 * to nobody we asked. */
static void passed_up_untouched(void **state)
{
	const struct request cases[] = {
		REQ(AF_INET, PEER4, NTP_LI_VN_MODE(0, 4, NTP_MODE_SYM_PASSIVE), 6),
		REQ(AF_INET, PEER4, NTP_LI_VN_MODE(0, 4, NTP_MODE_BROADCAST), 6),
		/* off the wire, a loopback source is forged whatever the mode */
		REQ(AF_INET, "127.0.0.1", NTP_LI_VN_MODE(0, 2, NTP_MODE_CONTROL), 0),
		REQ(AF_INET, PEER4, NTP_LI_VN_MODE(0, 2, NTP_MODE_CONTROL), 0),
		REQ(AF_INET6, PEER6, NTP_LI_VN_MODE(0, 4, NTP_MODE_CONTROL), 0),
		/* ntpq's READSTAT: a 12-byte header */
		REQ(AF_INET, PEER4, NTP_LI_VN_MODE(0, 2, NTP_MODE_CONTROL), 0, .payload_len = 12),
	};
	const int counters[] = { NTPD_CNT_PASS_MODE, NTPD_CNT_PASS_MODE, NTPD_CNT_DROP_BAD_SOURCE,
				 NTPD_CNT_PASS_MODE, NTPD_CNT_PASS_MODE, NTPD_CNT_PASS_LENGTH };
	const int verdicts[] = { XDP_PASS, XDP_PASS, XDP_DROP, XDP_PASS, XDP_PASS, XDP_PASS };
	uint8_t in[FRAME_MAX];
	struct xdp_fixture f;
	struct fixture_run r;
	size_t i, len;

	(void)state;
	assert_int_equal(load(&f, &published), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = run_one(&f, &cases[i], verdicts[i], counters[i], in, &r);
		assert_memory_equal(r.out, in, len);
	}
	fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(symmetric_active_answered_passive),
		cmocka_unit_test(symmetric_active_policed_like_a_client),
		cmocka_unit_test(passed_up_untouched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
