// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The scanned local-address lists (struct ntpd_local_scan) against the
 * hash they copy, through BPF_PROG_TEST_RUN: a whole, written copy decides
 * alone; one never written, one being rewritten (odd seq) or a family with
 * more addresses than the lists hold sends the program to the hash, so the
 * answer stays exact whatever the writer is doing.  (Every other BPF suite
 * runs on lists the fixture rewrites from the hash, as the daemon does.)
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
#include "localscan.h"
#include "ntp_proto.h"

#define NOT_IN_HASH4	"192.0.2.20"

static struct xdp_fixture fx;

static int load(void **state)
{
	struct ntpd_ref_state st = { .stratum = 2, .precision = -20 };

	(void)state;
	if (fixture_open(&fx))
		return -1;
	return fixture_load_serving(&fx, &st);
}

static int unload(void **state)
{
	(void)state;
	fixture_close(&fx);
	return 0;
}

/* The counter one request from `src` to `dst` moved (XDP_* in *verdict). */
static int send_to(int family, const char *src, const char *dst, int *verdict)
{
	uint8_t payload[NTP_PACKET_LEN], in[FRAME_MAX];
	struct frame_spec s = {
		.dst_mac = { 2, 0, 0, 0, 0, 1 }, .src_mac = { 2, 0, 0, 0, 0, 2 },
		.family = family, .ttl = 64, .l4_proto = IPPROTO_UDP,
		.sport = 40123, .dport = 123, .csum = FRAME_CSUM_VALID,
		.payload = payload, .payload_len = sizeof(payload),
	};
	struct frame_layout lay;
	struct fixture_run r;
	int len, moved = -1;

	frame_ntp_request(payload, sizeof(payload), NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT), 6,
			  0x1122334455667788ULL);
	assert_int_equal(inet_pton(family, src, s.saddr), 1);
	assert_int_equal(inet_pton(family, dst, s.daddr), 1);
	len = frame_build(&s, in, FRAME_MAX, &lay);
	assert_true(len > 0);
	assert_int_equal(fixture_run_counted(&fx, in, (size_t)len, &r, &moved), 0);
	*verdict = r.verdict;
	return moved;
}

static void expect(int family, const char *src, const char *dst, int want_verdict, int want_counter)
{
	int verdict = -1;

	assert_int_equal(send_to(family, src, dst, &verdict), want_counter);
	assert_int_equal(verdict, want_verdict);
}

/* Lists naming only NOT_IN_HASH4, with `seq` stored as given (raw). */
static void write_lists(__u32 seq)
{
	struct ntpd_local_addr k = { .addr = { [10] = 0xff, [11] = 0xff } };
	struct ntpd_local_scan s = { 0 };
	__u32 zero = 0;

	assert_int_equal(inet_pton(AF_INET, NOT_IN_HASH4, &k.addr[12]), 1);
	localscan_add(&s, &k, NTPD_LOCAL_SERVE);
	s.seq = seq;
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(fx.skel->maps.ntpd_local_scan), &zero, &s,
					     BPF_ANY), 0);
}

/* Written whole (even seq): the lists decide, the hash is not asked. */
static void whole_lists_decide(void **state)
{
	(void)state;
	write_lists(2);
	expect(AF_INET, "198.51.100.7", NOT_IN_HASH4, XDP_TX, NTPD_CNT_ANSWERED_V4);
	expect(AF_INET, "198.51.100.7", FIXTURE_SERVER4, XDP_PASS, NTPD_CNT_PASS_NOT_LOCAL);
	expect(AF_INET, NOT_IN_HASH4, FIXTURE_SERVER4, XDP_PASS, NTPD_CNT_PASS_NOT_LOCAL);
	/* IPv6 has none in these lists: none of it is ours */
	expect(AF_INET6, "2001:db8:1::7", FIXTURE_SERVER6, XDP_PASS, NTPD_CNT_PASS_NOT_LOCAL);
}

/* Never written (seq 0, a fresh map) and mid-rewrite (odd): the hash. */
static void unwritten_or_rewriting_asks_hash(void **state)
{
	static const __u32 seqs[] = { 0, 1, 7 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		write_lists(seqs[i]);
		expect(AF_INET, "198.51.100.7", FIXTURE_SERVER4, XDP_TX, NTPD_CNT_ANSWERED_V4);
		expect(AF_INET, "198.51.100.7", NOT_IN_HASH4, XDP_PASS, NTPD_CNT_PASS_NOT_LOCAL);
		expect(AF_INET6, "2001:db8:1::7", FIXTURE_SERVER6, XDP_TX, NTPD_CNT_ANSWERED_V6);
		/* the source check asks the hash too */
		expect(AF_INET, FIXTURE_SERVER4, FIXTURE_SERVER4, XDP_DROP, NTPD_CNT_DROP_SOURCE_LOCAL);
	}
}

/* More IPv4 addresses than the lists hold: IPv4 goes to the hash for all
 * of them, IPv6 (one address) is still scanned. */
static void too_many_for_the_lists(void **state)
{
	char addr[32];
	int i;

	(void)state;
	for (i = 0; i < NTPD_LOCAL_SCAN_MAX + 3; i++) {
		snprintf(addr, sizeof(addr), "203.0.113.%d", i + 1);
		assert_int_equal(fixture_add_local(&fx, AF_INET, addr, 0, NTPD_LOCAL_SERVE), 0);
	}
	for (i = 0; i < NTPD_LOCAL_SCAN_MAX + 3; i++) {
		snprintf(addr, sizeof(addr), "203.0.113.%d", i + 1);
		expect(AF_INET, "198.51.100.7", addr, XDP_TX, NTPD_CNT_ANSWERED_V4);
		expect(AF_INET, addr, FIXTURE_SERVER4, XDP_DROP, NTPD_CNT_DROP_SOURCE_LOCAL);
	}
	expect(AF_INET, "198.51.100.7", FIXTURE_SERVER4, XDP_TX, NTPD_CNT_ANSWERED_V4);
	expect(AF_INET, "198.51.100.7", "203.0.113.200", XDP_PASS, NTPD_CNT_PASS_NOT_LOCAL);
	expect(AF_INET6, "2001:db8:1::7", FIXTURE_SERVER6, XDP_TX, NTPD_CNT_ANSWERED_V6);
	expect(AF_INET6, "2001:db8:1::7", "2001:db8::11", XDP_PASS, NTPD_CNT_PASS_NOT_LOCAL);
}

/* A served address's flags come from the lists: a broadcast one is ours
 * (a source we drop) but not answered as a destination. */
static void flags_kept(void **state)
{
	(void)state;
	assert_int_equal(fixture_add_local(&fx, AF_INET, "192.0.2.255", 0, NTPD_LOCAL_BROADCAST), 0);
	assert_int_equal(fixture_add_local(&fx, AF_INET6, "2001:db8::12", 0, NTPD_LOCAL_TENTATIVE), 0);
	expect(AF_INET, "198.51.100.7", "192.0.2.255", XDP_PASS, NTPD_CNT_PASS_NOT_LOCAL);
	expect(AF_INET, "192.0.2.255", FIXTURE_SERVER4, XDP_DROP, NTPD_CNT_DROP_SOURCE_LOCAL);
	expect(AF_INET6, "2001:db8:1::7", "2001:db8::12", XDP_PASS, NTPD_CNT_PASS_NOT_LOCAL);
	expect(AF_INET6, "2001:db8::12", FIXTURE_SERVER6, XDP_DROP, NTPD_CNT_DROP_SOURCE_LOCAL);
	/* the served ones still answered from the same lists */
	expect(AF_INET, "198.51.100.7", FIXTURE_SERVER4, XDP_TX, NTPD_CNT_ANSWERED_V4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(whole_lists_decide, load, unload),
		cmocka_unit_test_setup_teardown(unwritten_or_rewriting_asks_hash, load, unload),
		cmocka_unit_test_setup_teardown(too_many_for_the_lists, load, unload),
		cmocka_unit_test_setup_teardown(flags_kept, load, unload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
