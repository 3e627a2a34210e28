// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The webntp answer: stamps parsed and printed as go-webntp does, its leap
 * fields from a leap-seconds.list, the served state it reads, and the
 * WebSocket handshake key. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ntp_proto.h"
#include "refstate.h"
#include "webntp.h"
#include "websocket.h"

/* NTP-epoch seconds of the entries below */
#define NTP_1972 2272060800LL
#define NTP_2009_01 3439756800LL
#define NTP_2012_07 3550089600LL
#define NTP_2015_07 3644697600LL
#define NTP_2017_01 3692217600LL
#define UNIX(ntp) ((double)((ntp) - (long long)NTP_UNIX_EPOCH_DELTA))

static const char list_text[] =
	"#@\t3991593600\n"
	"3439756800\t34\t# 1 Jan 2009\n"
	"3550089600\t35\t# 1 Jul 2012\n"
	"3644697600\t36\t# 1 Jul 2015\n"
	"3692217600\t37\t# 1 Jan 2017\n";

static void leap_fields_next_then_last(void **state)
{
	struct leap_list l;
	int line, leap, step;
	__s64 next;

	(void)state;
	assert_int_equal(leap_list_parse(list_text, &l, &line), 0);
	/* before a leap: TAI-UTC until it, its instant, +1 */
	webntp_leap_fields(&l, UNIX(NTP_2015_07) - 86400, &leap, &next, &step);
	assert_int_equal(leap, 35);
	assert_int_equal(next, UNIX(NTP_2015_07));
	assert_int_equal(step, 1);
	/* at the instant the next one is named */
	webntp_leap_fields(&l, UNIX(NTP_2015_07), &leap, &next, &step);
	assert_int_equal(leap, 36);
	assert_int_equal(next, UNIX(NTP_2017_01));
	/* after the last: still the last, with the value before it (go-webntp's
	 * 36, 1483228800, 1) */
	webntp_leap_fields(&l, UNIX(NTP_2017_01) + 1e8, &leap, &next, &step);
	assert_int_equal(leap, 36);
	assert_int_equal(next, 1483228800);
	assert_int_equal(step, 1);
}

static void leap_fields_deletion_and_empty(void **state)
{
	struct leap_list l = { .n = 2, .ntp_s = { NTP_1972, NTP_2012_07 }, .tai_utc = { 10, 9 },
			       .expires_ntp_s = 3991593600LL };
	int leap, step;
	__s64 next;

	(void)state;
	webntp_leap_fields(&l, UNIX(NTP_1972) + 10, &leap, &next, &step);
	assert_int_equal(leap, 10);
	assert_int_equal(step, -1);
	l.n = 0;
	webntp_leap_fields(&l, 1.7e9, &leap, &next, &step);
	assert_int_equal(leap, 0);
	assert_int_equal(next, 0);
	assert_int_equal(step, 0);
}

static void stamps_parse_as_webntp(void **state)
{
	static const struct {
		const char *text;
		int err;
		long long us;
	} rows[] = {
		{ "1489217288.328757", 0, 1489217288328757LL },
		{ " 1558915619.944235\n", 0, 1558915619944235LL },
		{ "1489217288", 0, 1489217288000000LL },
		{ "1489217288.3287574", 0, 1489217288328757LL },
		{ "1489217288.3287575", 0, 1489217288328758LL },	/* rounds to the us */
		{ "-1.5", 0, -1500000LL },
		{ "+2.25", 0, 2250000LL },
		{ "1.5e9", 0, 1500000000000000LL },
		{ "", -EINVAL, 0 },
		{ "12x", -EINVAL, 0 },
		{ "1.", 0, 1000000LL },	/* go-webntp takes it too */
		{ ".", -EINVAL, 0 },
		{ "nan", -EINVAL, 0 },
		{ "inf", -EINVAL, 0 },
		{ "1e300", -EINVAL, 0 },
	};
	size_t i;
	__s64 us;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		us = 0;
		assert_int_equal(webntp_parse_stamp(rows[i].text, strlen(rows[i].text), &us),
				 rows[i].err);
		if (!rows[i].err)
			assert_int_equal(us, rows[i].us);
	}
}

static void answer_printed_as_webntp(void **state)
{
	struct webntp_answer a = { .id = "localhost:8080", .it_us = 1558915619944235LL,
				   .st_ns = 1558916776363422600ULL, .leap = 36,
				   .next_s = 1483228800, .step = 1, .synchronised = true };
	char buf[WEBNTP_ANSWER_MAX];

	(void)state;
	/* go-webntp's README, byte for byte (its encoder ends with a newline) */
	int n = webntp_format(&a, buf, sizeof(buf));

	assert_int_equal(n, (int)strlen(buf));
	assert_string_equal(buf, "{\"id\":\"localhost:8080\",\"it\":1558915619.944235,"
				 "\"st\":1558916776.363423,\"time\":1558916776.363423,\"leap\":36,"
				 "\"next\":1483228800.000000,\"step\":1}\n");
	a.synchronised = false;
	a.it_us = -1500000;
	webntp_format(&a, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\"it\":-1.500000,"));
	assert_non_null(strstr(buf, ",\"step\":1,\"synchronised\":false}"));
	assert_int_equal(webntp_format(&a, buf, 40), -ENOSPC);
}

static void answer_reads_the_served_state(void **state)
{
	static struct ntpd_ref_buffer buf;
	struct ntpd_ref_state st;
	struct webntp_answer a;
	struct webntp *w;
	__u64 before, after;

	(void)state;
	assert_int_equal(webntp_open(&w, &buf, NTPD_MAX_STATE_AGE_NS_DEFAULT), 0);
	/* nothing published: stale, so unsynchronised */
	assert_int_equal(webntp_answer(w, "h:1\"<", 7, &a), 0);
	assert_false(a.synchronised);
	assert_string_equal(a.id, "h:1");	/* no quote into the JSON */
	assert_int_equal(a.it_us, 7);

	assert_int_equal(refstate_from_system_clock(&st, 3), 0);
	st.update_tai_ns = refstate_tai_now_ns();
	refstate_publish(&buf, &st);
	before = ntp_served_unix_ns(&st, refstate_tai_now_ns());
	assert_int_equal(webntp_answer(w, "127.0.0.1:9123", 0, &a), 0);
	after = ntp_served_unix_ns(&st, refstate_tai_now_ns());
	assert_true(a.synchronised);
	assert_true(a.st_ns >= before && a.st_ns <= after);

	/* a leap the served state has pending (an upstream's) is the one named */
	st.leap = NTP_LEAP_INSERT;
	st.leap_sign = 1;
	st.leap_tai_ns = leap_tai_for_unix(&st, 1798761600ULL * NSEC_PER_SEC_U64);
	refstate_publish(&buf, &st);
	assert_int_equal(webntp_answer(w, NULL, 0, &a), 0);
	assert_int_equal(a.next_s, 1798761600LL);
	assert_int_equal(a.step, 1);

	/* LI=3 is unsynchronised, fresh or not */
	refstate_unsynchronised(&st, refstate_tai_now_ns(), -20);
	refstate_publish(&buf, &st);
	assert_int_equal(webntp_answer(w, NULL, 0, &a), 0);
	assert_false(a.synchronised);
	webntp_close(w);
}

static void websocket_accept_key_rfc6455(void **state)
{
	char out[32];

	(void)state;
	/* RFC 6455 1.3's example */
	assert_int_equal(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out, sizeof(out)), 0);
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	assert_int_equal(ws_accept_key("short", out, sizeof(out)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(leap_fields_next_then_last),
		cmocka_unit_test(leap_fields_deletion_and_empty),
		cmocka_unit_test(stamps_parse_as_webntp),
		cmocka_unit_test(answer_printed_as_webntp),
		cmocka_unit_test(answer_reads_the_served_state),
		cmocka_unit_test(websocket_accept_key_rfc6455),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
