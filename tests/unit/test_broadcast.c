// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The broadcast server's two pure parts: the directive's words
 * (broadcast_parse) and the mode-5 packet (ntp_fill_broadcast in
 * bpf/ntp_proto.h), field by field, synchronised and not.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "broadcast.h"
#include "ntp_proto.h"

#define NOW	(1800000000ULL * NSEC_PER_SEC_U64)

static int parse(struct broadcast_list *l, const char *line)
{
	char copy[128], *words[8], *save = NULL, *w, err[200];
	int n = 0;

	strcpy(copy, line);
	for (w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	return broadcast_parse(l, n, words, err, sizeof(err));
}

static void directive_words(void **state)
{
	struct broadcast_list l = { .n = 0 };
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&l.target[0].addr;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&l.target[2].addr;
	char lo6[32];
	int i;

	(void)state;
	assert_int_equal(parse(&l, "192.0.2.255"), 0);
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohs(sin->sin_port), 123);
	assert_int_equal(l.target[0].interval_s, 64);
	assert_int_equal(l.target[0].keyid, 0);
	assert_int_equal(parse(&l, "224.0.1.1 16 key 7"), 0);
	assert_int_equal(l.target[1].interval_s, 16);
	assert_int_equal(l.target[1].keyid, 7);
	snprintf(lo6, sizeof(lo6), "ff02::101%%lo");
	assert_int_equal(parse(&l, lo6), 0);
	assert_int_equal(sin6->sin6_family, AF_INET6);
	assert_int_equal(sin6->sin6_scope_id, if_nametoindex("lo"));
	assert_int_equal(parse(&l, "ff05::101 key 2"), 0);
	assert_int_equal(l.target[3].interval_s, 64);
	assert_int_equal(l.target[3].keyid, 2);
	assert_int_equal(l.n, 4);

	/* what is refused, and leaves the list alone */
	assert_int_equal(parse(&l, "2001:db8::1"), -EINVAL);		/* IPv6 unicast */
	assert_int_equal(parse(&l, "ff02::101%nosuchif"), -EINVAL);
	assert_int_equal(parse(&l, "broadcast.example"), -EINVAL);
	assert_int_equal(parse(&l, "192.0.2.255 0"), -EINVAL);
	assert_int_equal(parse(&l, "192.0.2.255 86401"), -EINVAL);
	assert_int_equal(parse(&l, "192.0.2.255 16 key"), -EINVAL);
	assert_int_equal(parse(&l, "192.0.2.255 16 key 0"), -EINVAL);
	assert_int_equal(parse(&l, "192.0.2.255 16 key 1 extra"), -EINVAL);
	assert_int_equal(parse(&l, "192.0.2.255 16 16"), -EINVAL);
	assert_int_equal(l.n, 4);
	for (i = 4; i < BROADCAST_MAX; i++)
		assert_int_equal(parse(&l, "192.0.2.255"), 0);
	assert_int_equal(parse(&l, "192.0.2.255"), -ENOSPC);
}

static void mode5_packet(void **state)
{
	const struct ntpd_config cfg = { .poll_min = 4, .poll_max = 17 };
	struct ntpd_ref_state st = {
		.leap = NTP_LEAP_INSERT, .stratum = 3, .precision = -21,
		.root_delay = 0x100, .root_dispersion = 0x200, .refid = 0x04030201,
		.reference_ts = 0x1122334455667788ULL, .update_tai_ns = NOW,
	};
	struct ntp_packet p;

	(void)state;
	memset(&p, 0xaa, sizeof(p));
	assert_true(ntp_fill_broadcast(&p, &st, &cfg, NOW, 1, 0));
	assert_int_equal(p.li_vn_mode, NTP_LI_VN_MODE(NTP_LEAP_INSERT, 4, NTP_MODE_BROADCAST));
	assert_int_equal(p.stratum, 3);
	assert_int_equal(p.poll, 0);		/* the interval's, not clamped to a client's */
	assert_int_equal(p.precision, -21);
	assert_int_equal(ntohl(p.root_delay), 0x100);
	assert_int_equal(ntohl(p.root_dispersion), 0x200);	/* no age yet */
	assert_int_equal(p.refid, 0x04030201);
	assert_int_equal(be64toh(p.reference_ts), 0x1122334455667788ULL);
	assert_int_equal(p.origin_ts, 0);
	assert_int_equal(p.receive_ts, 0);

	/* stale, or a state that is itself unsynchronised: not to be sent */
	assert_false(ntp_fill_broadcast(&p, &st, &cfg, NOW, 0, 6));
	st.stratum = 16;
	assert_false(ntp_fill_broadcast(&p, &st, &cfg, NOW, 1, 6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(directive_words),
		cmocka_unit_test(mode5_packet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
