// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * NTS requests through the loaded XDP program (BPF_PROG_TEST_RUN): passed
 * to the socket server untouched and counted passed/nts, while other
 * extension fields and MACs stay passed/length; a frame that ends inside
 * the field's type is never read past its end.  One counter moves per row.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <bpf/libbpf.h>

#include "fixture.h"
#include "ntp_proto.h"

struct nts_case {
	const char *desc;
	int family;
	size_t payload_len;
	uint16_t first_ef;	/* type of the field after the header; 0: none */
	int counter;
};

static const struct nts_case cases[] = {
	{ "IPv4 NTS request (UID, cookie, authenticator)", AF_INET, 48 + 36 + 108 + 40,
	  0x0104, NTPD_CNT_PASS_NTS },
	{ "IPv6 NTS request", AF_INET6, 48 + 36 + 108 + 40, 0x0104, NTPD_CNT_PASS_NTS },
	{ "IPv4 NTS request, 2 placeholders", AF_INET, 48 + 36 + 3 * 108 + 40, 0x0104,
	  NTPD_CNT_PASS_NTS },
	{ "IPv4 other extension field first", AF_INET, 96, 0x0204, NTPD_CNT_PASS_LENGTH },
	{ "IPv4 unknown extension field", AF_INET, 96, 0x2005, NTPD_CNT_PASS_LENGTH },
	{ "IPv4 MAC (key id 0x0104...)", AF_INET, 68, 0x0105, NTPD_CNT_PASS_LENGTH },
	{ "IPv6 symmetric-key MAC", AF_INET6, 68, 0, NTPD_CNT_PASS_LENGTH },
	{ "IPv4 UID type cut after one byte", AF_INET, 49, 0x0104, NTPD_CNT_PASS_LENGTH },
	{ "IPv4 UID type, nothing after it", AF_INET, 50, 0x0104, NTPD_CNT_PASS_NTS },
};

static int setup(void **state)
{
	static struct xdp_fixture f;
	struct ntpd_ref_state st = { .stratum = 2, .precision = -20 };
	int err = fixture_open(&f);

	if (!err)
		err = fixture_load_serving(&f, &st);
	*state = &f;
	return err;
}

static int teardown(void **state)
{
	fixture_close(*state);
	return 0;
}

static void passes_nts_up(void **state)
{
	const struct xdp_fixture *f = *state;
	uint8_t payload[FRAME_MAX], in[FRAME_MAX];
	struct fixture_run r;
	struct frame_layout lay;
	size_t i;
	int len, moved;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct nts_case *c = &cases[i];
		struct frame_spec s = {
			.dst_mac = { 2, 0, 0, 0, 0, 1 }, .src_mac = { 2, 0, 0, 0, 0, 2 },
			.family = c->family, .ttl = 64, .l4_proto = IPPROTO_UDP,
			.sport = 40123, .dport = 123, .csum = FRAME_CSUM_VALID,
			.payload = payload, .payload_len = c->payload_len,
		};

		memset(payload, 0xab, sizeof(payload));
		frame_ntp_request(payload, NTP_PACKET_LEN, NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT), 6,
				  0x1122334455667788ULL);
		if (c->first_ef && c->payload_len > NTP_PACKET_LEN)
			payload[48] = (uint8_t)(c->first_ef >> 8);
		if (c->first_ef && c->payload_len > NTP_PACKET_LEN + 1)
			payload[49] = c->first_ef & 0xff;
		inet_pton(c->family, c->family == AF_INET ? "192.0.2.99" : "2001:db8::99", s.saddr);
		inet_pton(c->family, c->family == AF_INET ? FIXTURE_SERVER4 : FIXTURE_SERVER6,
			  s.daddr);
		len = frame_build(&s, in, FRAME_MAX, &lay);
		assert_true(len > 0);
		assert_int_equal(fixture_run_counted(f, in, (size_t)len, &r, &moved), 0);
		if (r.verdict != XDP_PASS || moved != c->counter)
			fail_msg("%s: verdict %d counter %d, want XDP_PASS and %d", c->desc,
				 r.verdict, moved, c->counter);
		/* passed up as it came: the socket server authenticates these bytes */
		assert_int_equal(r.out_len, (size_t)len);
		assert_memory_equal(r.out, in, (size_t)len);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(passes_nts_up),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
