// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The mode-6 responder (userspace/mode6.c) on crafted control messages:
 * who is answered (loopback, --allow-query, nobody else), the RFC 9327
 * header of each answer byte by byte, READSTAT's association list,
 * READVAR's system and peer variables and its variable lists, the errors,
 * the shared bucket, and the size bound over every opcode and odd header.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "agent.h"
#include "mode6.h"
#include "ntp_proto.h"
#include "refstate.h"

#define NOW	(1800000000ULL * NSEC_PER_SEC_U64)

static const struct agent_source_status sources[] = {
	{ .name = "192.0.2.2:11123", .state = SOURCE_SYSTEM_PEER, .reach = 0xff, .poll = 6,
	  .stratum = 3, .offset = 0.0015, .delay = 0.020, .jitter = 0.0005 },
	{ .name = "[2001:db8::7]:123", .state = SOURCE_UNREACHABLE, .reach = 0, .poll = 4 },
};

static int fake_sources(void *ctx, int i, struct agent_source_status *out)
{
	(void)ctx;
	if (i < 0 || i >= (int)(sizeof(sources) / sizeof(sources[0])))
		return -ENOENT;
	*out = sources[i];
	return 0;
}

static const struct ntpd_ref_state synced = {
	.leap = NTP_LEAP_NONE, .stratum = 4, .precision = -20, .refid = 0x020200c0, /* 192.0.2.2 */
	.root_delay = 0x00010000, .root_dispersion = 0x00008000, .update_tai_ns = NOW,
};

struct answer {
	__u32 counter;
	uint8_t out[MODE6_REPLY_MAX];
	size_t len;
};

/* A request: version 2 as NTPsec's ntpq sends, sequence 0x1234. */
static size_t request(uint8_t *buf, uint8_t opcode, uint16_t assoc, const char *data)
{
	size_t n = data ? strlen(data) : 0;

	memset(buf, 0, (12 + n + 3) & ~(size_t)3);
	buf[0] = NTP_LI_VN_MODE(0, 2, NTP_MODE_CONTROL);
	buf[1] = opcode;
	buf[2] = 0x12;
	buf[3] = 0x34;
	buf[6] = (uint8_t)(assoc >> 8);
	buf[7] = (uint8_t)assoc;
	buf[10] = (uint8_t)(n >> 8);
	buf[11] = (uint8_t)n;
	if (n)
		memcpy(buf + 12, data, n);
	return (12 + n + 3) & ~(size_t)3;
}

static struct mode6 *open_m(const char *allow)
{
	struct mode6_allow list = { .n = 0 };
	struct mode6 *m;

	if (allow)
		assert_int_equal(mode6_allow_add(&list, allow), 0);
	assert_int_equal(mode6_open(&m, &list), 0);
	mode6_set_sources(m, fake_sources, NULL);
	return m;
}

static void ask(struct mode6 *m, int family, const char *src, const uint8_t *req, size_t len,
		const struct ntpd_ref_state *st, int fresh, struct answer *a)
{
	uint8_t addr[16];

	assert_int_equal(inet_pton(family, src, addr), 1);
	a->counter = mode6_answer(m, family, addr, req, len, st, fresh, NOW, a->out, &a->len);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The data of an answer as a string (it is text for READVAR). */
static const char *data_of(const struct answer *a)
{
	static char text[MODE6_DATA_MAX + 1];
	size_t n = get16(a->out + 10);

	assert_true(12 + n <= a->len);
	memcpy(text, a->out + 12, n);
	text[n] = '\0';
	return text;
}

static void who_is_answered(void **state)
{
	struct mode6 *m = open_m("198.51.100.0/24");
	uint8_t req[128];
	size_t len = request(req, 2, 0, NULL);
	struct answer a;

	(void)state;
	ask(m, AF_INET, "127.0.0.1", req, len, &synced, 1, &a);
	assert_int_equal(a.counter, NTPD_CNT_CONTROL_ANSWERED);
	ask(m, AF_INET, "127.3.2.1", req, len, &synced, 1, &a);
	assert_int_equal(a.counter, NTPD_CNT_CONTROL_ANSWERED);
	ask(m, AF_INET6, "::1", req, len, &synced, 1, &a);
	assert_int_equal(a.counter, NTPD_CNT_CONTROL_ANSWERED);
	ask(m, AF_INET, "198.51.100.200", req, len, &synced, 1, &a);
	assert_int_equal(a.counter, NTPD_CNT_CONTROL_ANSWERED);
	/* outside the list: nothing at all, counted as refused */
	ask(m, AF_INET, "198.51.101.1", req, len, &synced, 1, &a);
	assert_int_equal(a.counter, NTPD_CNT_DROP_MODE_CONTROL);
	assert_int_equal(a.len, 0);
	ask(m, AF_INET6, "2001:db8::2", req, len, &synced, 1, &a);
	assert_int_equal(a.counter, NTPD_CNT_DROP_MODE_CONTROL);
	assert_int_equal(a.len, 0);
	/* ::ffff:127.0.0.1 is no loopback source of a v6 socket */
	ask(m, AF_INET6, "::ffff:127.0.0.1", req, len, &synced, 1, &a);
	assert_int_equal(a.counter, NTPD_CNT_DROP_MODE_CONTROL);
	mode6_close(m);
}

static void bad_allow_query(void **state)
{
	struct mode6_allow list = { .n = 0 };
	char cidr[32];
	int i;

	(void)state;
	assert_int_equal(mode6_allow_add(&list, "10.0.0.0/33"), -EINVAL);
	assert_int_equal(mode6_allow_add(&list, "example.com"), -EINVAL);
	assert_int_equal(mode6_allow_add(&list, "2001:db8::/129"), -EINVAL);
	for (i = 0; i < MODE6_ALLOW_MAX; i++) {
		snprintf(cidr, sizeof(cidr), "10.0.%d.0/24", i);
		assert_int_equal(mode6_allow_add(&list, cidr), 0);
	}
	assert_int_equal(mode6_allow_add(&list, "10.1.0.0/16"), -ENOSPC);
}

/* READSTAT: the header byte by byte, then each association's ID and status. */
static void readstat_lists_associations(void **state)
{
	static const uint8_t want[] = {
		0x16, 0x81, 0x12, 0x34,	/* v2 mode 6; response, READSTAT; sequence */
		0x06, 0x00,		/* leap 0, source NTP, no events */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x08,	/* association 0, offset 0, 8 bytes */
		0x00, 0x01, 0x96, 0x00,	/* 1: configured, reachable, system peer */
		0x00, 0x02, 0x80, 0x00,	/* 2: configured, unreachable, rejected */
	};
	struct mode6 *m = open_m(NULL);
	uint8_t req[128];
	struct answer a;

	(void)state;
	ask(m, AF_INET, "127.0.0.1", req, request(req, 1, 0, NULL), &synced, 1, &a);
	assert_int_equal(a.counter, NTPD_CNT_CONTROL_ANSWERED);
	assert_int_equal(a.len, sizeof(want));
	assert_memory_equal(a.out, want, sizeof(want));
	mode6_close(m);
}

static void readvar_system(void **state)
{
	struct mode6 *m = open_m(NULL);
	uint8_t req[128];
	const char *d;
	struct answer a;

	(void)state;
	ask(m, AF_INET, "127.0.0.1", req, request(req, 2, 0, NULL), &synced, 1, &a);
	assert_int_equal(a.counter, NTPD_CNT_CONTROL_ANSWERED);
	assert_int_equal(a.out[1], 0x82);
	assert_int_equal(get16(a.out + 4), 0x0600);
	assert_int_equal(a.len % 4, 0);
	d = data_of(&a);
	assert_non_null(strstr(d, "version=\"xdp-ntpd "));
	assert_non_null(strstr(d, ", leap=0, stratum=4, precision=-20, rootdelay=1000.000000, "));
	assert_non_null(strstr(d, "rootdisp=500.000000, refid=192.0.2.2, reftime=0x"));
	assert_non_null(strstr(d, ", peer=1, tc=6, offset=1.500000, sys_jitter=0.500000"));

	/* stale: what a client would be told, unsynchronised */
	ask(m, AF_INET, "127.0.0.1", req, request(req, 2, 0, NULL), &synced, 0, &a);
	assert_int_equal(get16(a.out + 4) >> 14, 3);
	assert_int_equal(a.out[0] >> 6, 3);
	d = data_of(&a);
	assert_non_null(strstr(d, ", leap=3, stratum=16, "));
	assert_non_null(strstr(d, "refid=LOST"));
	/* no readable state at all: the same */
	ask(m, AF_INET, "127.0.0.1", req, request(req, 2, 0, NULL), NULL, 0, &a);
	assert_non_null(strstr(data_of(&a), ", leap=3, stratum=16, "));
	mode6_close(m);
}

static void readvar_list_and_peer(void **state)
{
	struct mode6 *m = open_m(NULL);
	uint8_t req[128];
	struct answer a;

	(void)state;
	ask(m, AF_INET, "127.0.0.1", req, request(req, 2, 0, "stratum, refid"), &synced, 1, &a);
	assert_string_equal(data_of(&a), "stratum=4, refid=192.0.2.2");
	assert_int_equal(a.len, 12 + 28);	/* 26 bytes padded to 28 */

	ask(m, AF_INET, "127.0.0.1", req, request(req, 2, 1, NULL), &synced, 1, &a);
	assert_int_equal(get16(a.out + 4), 0x9600);
	assert_int_equal(get16(a.out + 6), 1);
	assert_string_equal(data_of(&a),
			    "srcadr=192.0.2.2, srcport=11123, hmode=3, pmode=4, stratum=3, "
			    "hpoll=6, ppoll=6, reach=0xff, delay=20.000000, offset=1.500000, "
			    "jitter=0.500000, dispersion=0.000000");
	ask(m, AF_INET, "127.0.0.1", req, request(req, 2, 2, "srcadr,srcport,reach"), &synced, 1,
	    &a);
	assert_string_equal(data_of(&a), "srcadr=2001:db8::7, srcport=123, reach=0x00");
	mode6_close(m);
}

/* Errors: the E bit, the code in the status word's high byte, no data. */
static void errors(void **state)
{
	static const struct {
		uint8_t opcode;
		uint16_t assoc;
		const char *data;
		uint8_t code;
	} cases[] = {
		{ 2, 0, "stratum,nosuchvar", 5 },	/* unknown variable */
		{ 2, 3, NULL, 4 },			/* no such association */
		{ 1, 9, NULL, 4 },
		{ 3, 0, "stratum=1", 1 },		/* WRITEVAR: no permission */
		{ 8, 0, "server 10.0.0.1", 1 },		/* CONFIGURE */
		{ 10, 0, NULL, 3 },			/* READ_MRU: not here */
	};
	struct mode6 *m = open_m(NULL);
	uint8_t req[128];
	struct answer a;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ask(m, AF_INET, "127.0.0.1", req, request(req, cases[i].opcode, cases[i].assoc,
							  cases[i].data), &synced, 1, &a);
		assert_int_equal(a.counter, NTPD_CNT_CONTROL_ANSWERED);
		assert_int_equal(a.len, 12);
		assert_int_equal(a.out[1], 0xc0 | cases[i].opcode);
		assert_int_equal(get16(a.out + 4), cases[i].code << 8);
		assert_int_equal(get16(a.out + 10), 0);
	}
	mode6_close(m);
}

static void malformed(void **state)
{
	struct mode6 *m = open_m(NULL);
	uint8_t req[128];
	size_t len;
	struct answer a;

	(void)state;
	len = request(req, 2, 0, NULL);
	ask(m, AF_INET, "127.0.0.1", req, 11, &synced, 1, &a);		/* short header */
	assert_int_equal(a.counter, NTPD_CNT_CONTROL_MALFORMED);
	req[1] = 0x82;							/* a response */
	ask(m, AF_INET, "127.0.0.1", req, len, &synced, 1, &a);
	assert_int_equal(a.counter, NTPD_CNT_CONTROL_MALFORMED);
	len = request(req, 2, 0, NULL);
	req[9] = 4;							/* a later fragment */
	ask(m, AF_INET, "127.0.0.1", req, len, &synced, 1, &a);
	assert_int_equal(a.counter, NTPD_CNT_CONTROL_MALFORMED);
	len = request(req, 2, 0, "stratum");
	req[11] = 40;							/* count past the end */
	ask(m, AF_INET, "127.0.0.1", req, len, &synced, 1, &a);
	assert_int_equal(a.counter, NTPD_CNT_CONTROL_MALFORMED);
	len = request(req, 2, 0, NULL);
	req[0] = NTP_LI_VN_MODE(0, 7, NTP_MODE_CONTROL);		/* version 7 */
	ask(m, AF_INET, "127.0.0.1", req, len, &synced, 1, &a);
	assert_int_equal(a.counter, NTPD_CNT_CONTROL_MALFORMED);
	assert_int_equal(a.len, 0);
	mode6_close(m);
}

/* One bucket for all: MODE6_BURST at once, then MODE6_RATE a second. */
static void rate_limited(void **state)
{
	struct mode6 *m = open_m(NULL);
	uint8_t req[128], addr[4] = { 127, 0, 0, 1 }, out[MODE6_REPLY_MAX];
	size_t len = request(req, 1, 0, NULL), out_len;
	int i, answered = 0;

	(void)state;
	for (i = 0; i < 2 * MODE6_BURST; i++)
		answered += mode6_answer(m, AF_INET, addr, req, len, &synced, 1, NOW, out,
					 &out_len) == NTPD_CNT_CONTROL_ANSWERED;
	assert_int_equal(answered, MODE6_BURST);
	assert_int_equal(mode6_answer(m, AF_INET, addr, req, len, &synced, 1, NOW, out, &out_len),
			 NTPD_CNT_CONTROL_LIMITED);
	assert_int_equal(out_len, 0);
	answered = 0;
	for (i = 0; i < 2 * MODE6_RATE; i++)
		answered += mode6_answer(m, AF_INET, addr, req, len, &synced, 1,
					 NOW + NSEC_PER_SEC_U64, out,
					 &out_len) == NTPD_CNT_CONTROL_ANSWERED;
	assert_int_equal(answered, MODE6_RATE);
	mode6_close(m);
}

/* Whatever the request, one datagram within the bound, padded to 32 bits;
 * the answer written over the request itself, as the socket server does. */
static void size_bound(void **state)
{
	uint8_t buf[MODE6_REPLY_MAX + 64], addr[4] = { 127, 0, 0, 1 };
	struct mode6 *m = open_m(NULL);
	__u32 x = 12345, counter;
	size_t len, out_len, max = 0;
	int i, j;

	(void)state;
	for (i = 0; i < 20000; i++) {
		len = 12 + (i % 480);
		for (j = 0; j < (int)len; j++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			buf[j] = (uint8_t)x;
		}
		buf[0] = NTP_LI_VN_MODE(0, 2, NTP_MODE_CONTROL);
		buf[1] &= 0x1f;
		buf[1] = i % 3 ? 2 : buf[1];
		buf[6] = 0;
		buf[7] = (uint8_t)(i % 4);
		buf[8] = buf[9] = 0;
		buf[10] = 0;
		buf[11] = (uint8_t)(len - 12 > 255 ? 255 : len - 12);
		counter = mode6_answer(m, AF_INET, addr, buf, len, &synced, 1,
				       NOW + (__u64)i * NSEC_PER_SEC_U64, buf, &out_len);
		assert_true(counter == NTPD_CNT_CONTROL_ANSWERED ||
			    counter == NTPD_CNT_CONTROL_MALFORMED);
		assert_true(out_len <= MODE6_REPLY_MAX);
		assert_int_equal(out_len % 4, 0);
		max = out_len > max ? out_len : max;
	}
	assert_true(max > 12);
	mode6_close(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(who_is_answered),
		cmocka_unit_test(bad_allow_query),
		cmocka_unit_test(readstat_lists_associations),
		cmocka_unit_test(readvar_system),
		cmocka_unit_test(readvar_list_and_peer),
		cmocka_unit_test(errors),
		cmocka_unit_test(malformed),
		cmocka_unit_test(rate_limited),
		cmocka_unit_test(size_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
