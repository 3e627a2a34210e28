// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Leap second handling sampled at chosen instants: no waiting for a leap. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "leap.h"
#include "ntp_proto.h"
#include "selection.h"

#define assert_near(a, b, eps) assert_true(fabs((double)(a) - (double)(b)) <= (eps))

/* 2016-12-31 23:59:60 was the last leap: its instant is 2017-01-01 00:00:00 */
#define LEAP_2016 1483228800.0
#define DAY 86400.0

/* What the tracker latches; what is served from it is leap_state_apply's
 * (the state tests below sample the served clock across each kind of leap). */
static void announcement_latches_next_midnight(void **state)
{
	struct leap_tracker t = { 0 };

	(void)state;
	leap_observe(&t, NTP_LEAP_INSERT, LEAP_2016 - 3600);
	assert_near(t.instant, LEAP_2016, 0);
	assert_int_equal(t.sign, 1);
	/* upstreams clear LI after midnight: the leap stays done */
	leap_observe(&t, NTP_LEAP_NONE, LEAP_2016 + 10);
	assert_near(t.instant, LEAP_2016, 0);
	assert_int_equal(t.sign, 1);
}

static void cancelled_before_the_instant(void **state)
{
	struct leap_tracker t = { 0 };

	(void)state;
	leap_observe(&t, NTP_LEAP_DELETE, LEAP_2016 - 7200);
	assert_near(t.instant, LEAP_2016, 0);
	assert_int_equal(t.sign, -1);
	leap_observe(&t, NTP_LEAP_NONE, LEAP_2016 - 3600);
	assert_near(t.instant, 0, 0);
}

/* ---- when a leap is believed ------------------------------------------------ */

#define NSI		1000000000LL
#define TAI37		(37 * NSI)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static void announced_only_on_the_last_day_of_june_or_december(void **state)
{
	static const struct { const char *desc; double t; bool window; } rows[] = {
		{ "2016-12-30 23:59:59", LEAP_2016 - DAY - 1, false },
		{ "2016-12-31 00:00:00", LEAP_2016 - DAY, true },
		{ "2016-12-31 23:59:59.5", LEAP_2016 - 0.5, true },
		{ "2017-01-01 00:00:00", LEAP_2016, false },
		{ "2015-06-29 12:00:00", 1435579200.0, false },
		{ "2015-06-30 12:00:00", 1435665600.0, true },
		{ "2015-07-01 00:00:00", 1435708800.0, false },
		{ "2016-03-31 12:00:00", 1459425600.0, false },
		{ "2016-11-30 12:00:00", 1480507200.0, false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		struct leap_tracker t = { 0 };

		if (leap_announce_window(rows[i].t) != rows[i].window)
			print_message("# %s\n", rows[i].desc);
		assert_int_equal(leap_announce_window(rows[i].t), rows[i].window);
		/* an upstream's LI is believed exactly then */
		leap_observe(&t, NTP_LEAP_INSERT, rows[i].t);
		assert_int_equal(t.instant != 0, rows[i].window);
	}
}

static void fill_candidate(struct sel_candidate *c, __u8 leap)
{
	memset(c, 0, sizeof(*c));
	c->sample.delay = 0.001;
	c->sample.stratum = 2;
	c->sample.leap = leap;
}

/* The tracker takes selection_run's vote: one of three upstreams is no leap. */
static void announced_by_the_majority_of_selected_sources(void **state)
{
	static const struct { __u8 li[3]; bool leap; } rows[] = {
		{ { NTP_LEAP_INSERT, NTP_LEAP_NONE, NTP_LEAP_NONE }, false },
		{ { NTP_LEAP_INSERT, NTP_LEAP_INSERT, NTP_LEAP_NONE }, true },
		{ { NTP_LEAP_DELETE, NTP_LEAP_INSERT, NTP_LEAP_NONE }, false },
		{ { NTP_LEAP_DELETE, NTP_LEAP_DELETE, NTP_LEAP_DELETE }, true },
	};
	struct sel_candidate c[3];
	struct sel_result r;
	size_t i;
	int k;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		struct leap_tracker t = { 0 };

		for (k = 0; k < 3; k++)
			fill_candidate(&c[k], rows[i].li[k]);
		assert_true(selection_run(c, 3, &r));
		leap_observe(&t, leap_li_combine(r.leap, &t, LEAP_2016 - 3600), LEAP_2016 - 3600);
		assert_int_equal(t.instant != 0, rows[i].leap);
	}
}

/* ---- leap-seconds.list ------------------------------------------------------- */

static const char LIST_TEXT[] =
	"#\tleap-seconds.list, abridged\n"
	"#$\t 3929093437\n"
	"#@\t3991593600\n"
	"\n"
	"3550089600\t35\t# 1 Jul 2012\n"
	"3644697600\t36\t# 1 Jul 2015\n"
	"3692217600\t37\t# 1 Jan 2017\n"
	"#h\t16edd0f0 3666784f 37db6bdd e74ced87 59af48f1\n";

static void list_parses_and_looks_up(void **state)
{
	struct leap_list l;
	double next;
	int line, tai_utc, sign;

	(void)state;
	assert_int_equal(leap_list_parse(LIST_TEXT, &l, &line), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.expires_ntp_s, 3991593600LL);
	/* before 2017 the next leap is its insertion, TAI-UTC 36 */
	assert_int_equal(leap_list_lookup(&l, LEAP_2016 - 10, &tai_utc, &next, &sign), 0);
	assert_int_equal(tai_utc, 36);
	assert_near(next, LEAP_2016, 0);
	assert_int_equal(sign, 1);
	/* from the instant on 37, and no leap after it */
	assert_int_equal(leap_list_lookup(&l, LEAP_2016, &tai_utc, &next, &sign), 0);
	assert_int_equal(tai_utc, 37);
	assert_near(next, 0, 0);
	/* expired (2026-06-28): not an answer any more */
	assert_int_equal(leap_list_lookup(&l, 3991593600.0 - 2208988800.0, &tai_utc, &next, &sign),
			 -ESTALE);
}

/*
 * One walk tells the next and the last leap around a time: the abridged
 * list's first entry (2012, 35) starts it, 2015 and 2017 are its leaps; a
 * deletion steps -1.  Past the expiry the walk still answers (webntp shows
 * the past entries, marked expired).
 */
static void list_position_next_and_last(void **state)
{
	static const __s64 L2015 = 3644697600LL - 2208988800LL, L2017 = 3692217600LL - 2208988800LL;
	static const struct {
		const char *desc;
		double now;
		int tai_utc;
		__s64 next_s, last_s;
		int next_sign, last_sign;
	} rows[] = {
		{ "before the table: its first leap next", 1e9, 35, L2015, 0, 1, 0 },
		{ "after the table's start", L2015 - 10, 35, L2015, 0, 1, 0 },
		{ "at a leap's instant: it is the last", L2015, 36, L2017, L2015, 1, 1 },
		{ "between two leaps", L2017 - 1, 36, L2017, L2015, 1, 1 },
		{ "after the last leap, expired too", 3991593600.0 - 2208988800.0 + 1e6, 37, 0, L2017,
		  0, 1 },
	};
	struct leap_list l, del = { .n = 2, .ntp_s = { 2272060800LL, 3550089600LL },
				   .tai_utc = { 10, 9 }, .expires_ntp_s = 3991593600LL };
	struct leap_list_pos pos;
	size_t i;
	int line;

	(void)state;
	assert_int_equal(leap_list_parse(LIST_TEXT, &l, &line), 0);
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		leap_list_position(&l, rows[i].now, &pos);
		if (pos.tai_utc != rows[i].tai_utc || pos.next_s != rows[i].next_s ||
		    pos.next_sign != rows[i].next_sign || pos.last_s != rows[i].last_s ||
		    pos.last_sign != rows[i].last_sign)
			fail_msg("%s: TAI-UTC %d next %lld (%+d) last %lld (%+d)", rows[i].desc,
				 pos.tai_utc, (long long)pos.next_s, pos.next_sign,
				 (long long)pos.last_s, pos.last_sign);
	}
	leap_list_position(&del, 3550089600.0 - 2208988800.0, &pos);
	assert_int_equal(pos.tai_utc, 9);
	assert_int_equal(pos.last_sign, -1);
	assert_int_equal(pos.next_s, 0);
	del.n = 0;
	leap_list_position(&del, 1.7e9, &pos);
	assert_true(!pos.tai_utc && !pos.next_s && !pos.last_s && !pos.next_sign && !pos.last_sign);
}

static void list_errors_name_the_line(void **state)
{
	static const struct { const char *desc, *text; int err, line; } rows[] = {
		{ "words", "#@ 3991593600\nhello world\n", -EINVAL, 2 },
		{ "one number", "#@ 3991593600\n2272060800\n", -EINVAL, 2 },
		{ "not at midnight", "#@ 3991593600\n2272060801 10\n", -EINVAL, 2 },
		{ "out of order", "#@ 3991593600\n3692217600 37\n3644697600 36\n", -EINVAL, 3 },
		{ "a jump of two", "#@ 3991593600\n3644697600 35\n3692217600 37\n", -EINVAL, 3 },
		{ "bad expiry", "#@ soon\n3692217600 37\n", -EINVAL, 1 },
		{ "no expiry", "3692217600 37\n", -ENODATA, 0 },
		{ "empty", "", -ENODATA, 0 },
	};
	struct leap_list l;
	size_t i;
	int line;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		int err = leap_list_parse(rows[i].text, &l, &line);

		if (err != rows[i].err || line != rows[i].line)
			print_message("# %s: %d line %d\n", rows[i].desc, err, line);
		assert_int_equal(err, rows[i].err);
		assert_int_equal(line, rows[i].line);
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* The file as a source of the leap: used while valid, ignored once expired
 * or broken, and never worse than no file. */
static void list_announces_and_expires(void **state)
{
	char path[] = "/tmp/test_leap_XXXXXX";
	struct leap_tracker t = { 0 };
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, LIST_TEXT);
	assert_int_equal(leap_tracker_load_list(&t, path, LEAP_2016 - 7200), 0);
	assert_true(t.list_ok);
	/* no upstream says so, the list does: on its last day only */
	assert_int_equal(leap_li_combine(NTP_LEAP_NONE, &t, LEAP_2016 - 7200), NTP_LEAP_INSERT);
	assert_int_equal(leap_li_combine(NTP_LEAP_NONE, &t, LEAP_2016 - DAY - 7200), NTP_LEAP_NONE);
	/* the list wins a disagreement in sign */
	assert_int_equal(leap_li_combine(NTP_LEAP_DELETE, &t, LEAP_2016 - 7200), NTP_LEAP_INSERT);

	/* expired: the next daily reload drops it */
	struct leap_tracker e = { 0 };
	double after_expiry = 3991593600.0 - 2208988800.0 + 10;

	assert_int_equal(leap_tracker_load_list(&e, path, after_expiry), -ESTALE);
	assert_false(e.list_ok);
	assert_int_equal(leap_li_combine(NTP_LEAP_NONE, &e, after_expiry), NTP_LEAP_NONE);
	/* a loaded list that expires is ignored at once, before any reload */
	assert_int_equal(leap_li_combine(NTP_LEAP_NONE, &t, after_expiry), NTP_LEAP_NONE);

	/* broken: an error, and the upstreams alone decide */
	struct leap_tracker b = { 0 };

	write_file(path, "#@ 3991593600\n3692217600 thirty-seven\n");
	assert_int_equal(leap_tracker_load_list(&b, path, LEAP_2016 - 7200), -EINVAL);
	assert_false(b.list_ok);
	assert_int_equal(leap_li_combine(NTP_LEAP_DELETE, &b, LEAP_2016 - 7200), NTP_LEAP_DELETE);
	unlink(path);
	/* missing */
	struct leap_tracker m = { 0 };

	assert_int_equal(leap_tracker_load_list(&m, path, LEAP_2016 - 7200), -ENOENT);
}

/* tzdata's own copy, when the machine has one, parses. */
static void system_list_parses(void **state)
{
	struct leap_tracker t = { 0 };
	int err;

	(void)state;
	if (access(LEAP_SECONDS_LIST, R_OK))
		skip();
	err = leap_tracker_load_list(&t, LEAP_SECONDS_LIST, LEAP_2016 - 7200);
	assert_int_equal(err, 0);
	assert_true(t.list.n >= 28);
	assert_int_equal(t.list.tai_utc[t.list.n - 1], 37);
}

/* ---- the leap in the published state ----------------------------------------- */

#define I_NS	((__u64)LEAP_2016 * NSI)	/* 2017-01-01 00:00:00 UTC in Unix ns */

/* A state as the agent builds it, before leap_state_apply. */
static struct ntpd_ref_state line_state(__u64 update, __s64 tai_off, __s64 corr, __s32 freq)
{
	struct ntpd_ref_state st = {
		.update_tai_ns = update,
		.tai_offset_ns = tai_off,
		.correction_ns = corr,
		.freq_scaled = freq,
		.leap = NTP_LEAP_NONE,
		.stratum = 2,
	};

	return st;
}

static struct leap_tracker tracked(int sign)
{
	struct leap_tracker t = { 0 };

	leap_observe(&t, sign > 0 ? NTP_LEAP_INSERT : NTP_LEAP_DELETE, LEAP_2016 - 3600);
	assert_int_equal(t.sign, sign);
	return t;
}

static __u64 li_at(const struct ntpd_ref_state *st, __u64 rx)
{
	static const struct ntpd_config cfg = { .poll_min = 4, .poll_max = 17 };
	struct ntp_packet p = { .li_vn_mode = NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT) };

	ntp_fill_response(&p, st, &cfg, rx, 1);
	return NTP_LI(p.li_vn_mode);
}

/* served Unix ns at tai by both paths, which must agree to a ns */
static __s64 served(const struct ntpd_ref_state *st, __u64 tai)
{
	struct ntpd_ref_state b = *st;
	__s64 exact, fast;

	ntp_state_set_base(&b);
	exact = (__s64)ntp_served_unix_ns(&b, tai);
	fast = ntp_ts_to_unix_ns(ntp_served_ts(&b, tai), (__s64)LEAP_2016);
	assert_true(llabs(exact - fast) <= 1);
	return exact;
}

/*
 * System model, kernel armed: the state published 0.4 s before the instant
 * leaps at exactly TAI = midnight + 37 s, serves 23:59:59 again from there,
 * and the next state (kernel offset now 38 s, no leap pending) serves the
 * same.  Insertion and deletion.
 */
static void system_model_leaps_at_the_instant(void **state)
{
	int sign;

	(void)state;
	for (sign = 1; sign >= -1; sign -= 2) {
		struct leap_tracker t = tracked(sign);
		struct leap_clock clk = { .kernel_sign = sign };
		__u64 edge = I_NS - (sign < 0 ? (__u64)NSI : 0) + (__u64)TAI37;
		struct ntpd_ref_state before = line_state(edge - 400000000, TAI37, 0, 0);
		struct ntpd_ref_state after = line_state(edge + 600000000, TAI37 + sign * NSI, 0, 0);

		assert_int_equal(leap_state_apply(&before, &t, &clk), 0);
		assert_int_equal(before.leap_tai_ns, edge);
		assert_int_equal(before.leap_sign, sign);
		assert_int_equal(before.leap_kernel, sign);
		assert_int_equal(before.leap, sign > 0 ? NTP_LEAP_INSERT : NTP_LEAP_DELETE);
		/* the last ns before, the instant, a ms after */
		assert_int_equal(served(&before, edge - 1), (__s64)(edge - (__u64)TAI37) - 1);
		assert_int_equal(served(&before, edge), (__s64)(edge - (__u64)TAI37) - sign * NSI);
		assert_int_equal(served(&before, edge + 1000000),
				 (__s64)(edge - (__u64)TAI37) - sign * NSI + 1000000);
		assert_int_equal(li_at(&before, edge - 1), before.leap);
		assert_int_equal(li_at(&before, edge), NTP_LEAP_NONE);

		assert_int_equal(leap_state_apply(&after, &t, &clk), 0);
		assert_int_equal(after.leap_sign, 0);
		assert_int_equal(after.leap_tai_ns, NTPD_LEAP_NONE_TAI);
		assert_int_equal(after.leap, NTP_LEAP_NONE);
		/* the two states agree wherever both might be read */
		assert_int_equal(served(&after, edge + 600000000), served(&before, edge + 600000000));
		assert_int_equal(served(&after, edge + 1), served(&before, edge + 1));
	}
}

/* A system clock nobody arms does not leap: served as it is, LI announced. */
static void system_model_without_kernel_leap_serves_the_host(void **state)
{
	struct leap_tracker t = tracked(1);
	struct leap_clock clk = { 0 };
	struct ntpd_ref_state st = line_state(I_NS + (__u64)TAI37 - 400000000, TAI37, 0, 0);

	(void)state;
	assert_int_equal(leap_state_apply(&st, &t, &clk), 0);
	assert_int_equal(st.leap_sign, 0);
	assert_int_equal(st.leap, NTP_LEAP_INSERT);
	assert_int_equal(served(&st, I_NS + (__u64)TAI37), (__s64)I_NS);
}

/*
 * Corrected model, +1.5 ms and +50 ppm: leap_tai_ns inverts that line, and
 * the first state published from the instant on has the step in its
 * correction and no leap pending, with the same served time as the state
 * before it: neither both nor neither, on either side.
 */
static void corrected_model_steps_in_the_first_state_after(void **state)
{
	const __s32 freq = (__s32)llround(50e-6 * 4294967296.0);
	const __s64 corr0 = 1500000;
	int sign;

	(void)state;
	for (sign = 1; sign >= -1; sign -= 2) {
		struct leap_tracker t = tracked(sign);
		struct leap_clock clk = { .corrected = true };
		__u64 edge_utc = I_NS - (sign < 0 ? (__u64)NSI : 0);
		/* TAI where the line reaches the edge, roughly */
		__u64 p0 = edge_utc + (__u64)TAI37 - (__u64)corr0 - 300000000;
		struct ntpd_ref_state s0 = line_state(p0, TAI37, corr0, freq), s1;
		__u64 L, p1 = p0 + (__u64)NSI;
		__s64 drift = (__s64)(((__int128)NSI * freq) >> 32);

		assert_int_equal(leap_state_apply(&s0, &t, &clk), 0);
		L = s0.leap_tai_ns;
		assert_int_equal(s0.leap_sign, sign);
		assert_int_equal(s0.leap_kernel, 0);
		/* exact: the line is below the edge 1 ns before L and on it at L */
		assert_true((__s64)ntp_linear_unix_ns(&s0, L - 1) < (__s64)edge_utc);
		assert_true((__s64)ntp_linear_unix_ns(&s0, L) >= (__s64)edge_utc);
		assert_int_equal(served(&s0, L - 1), (__s64)ntp_linear_unix_ns(&s0, L - 1));
		assert_int_equal(served(&s0, L), (__s64)ntp_linear_unix_ns(&s0, L) - sign * NSI);

		/* a second on, the agent's line has moved by the frequency */
		s1 = line_state(p1, TAI37, corr0 + drift, freq);
		assert_int_equal(leap_state_apply(&s1, &t, &clk), sign);
		assert_int_equal(s1.correction_ns, corr0 + drift - sign * NSI);
		assert_int_equal(s1.leap_sign, 0);
		assert_int_equal(s1.leap, NTP_LEAP_NONE);
		assert_true(llabs(served(&s1, p1) - served(&s0, p1)) <= 1);
		/* the agent moved its model; the step is not taken twice */
		s1 = line_state(p1 + (__u64)NSI, TAI37, corr0 + 2 * drift - sign * NSI, freq);
		assert_int_equal(leap_state_apply(&s1, &t, &clk), 0);
		assert_int_equal(s1.leap_sign, 0);
	}
}

/* ---- the socket server's receive stamps ---------------------------------------- */

/*
 * CLOCK_REALTIME stamps across a kernel leap, with the TAI read after the
 * receive: the repeated second (insertion) is told apart by that reading,
 * the tick that applies the leap late (a stamp 2 ms past midnight still on
 * the old offset) too.  rt and the answers are relative to the leap's
 * REALTIME second and its TAI instant L.
 */
static void realtime_stamps_convert_on_both_sides(void **state)
{
	static const struct {
		const char *desc;
		int sign;
		__s64 rt, now, tai;	/* ms: rt from midnight UTC, now and tai from L */
	} rows[] = {
		{ "ins: a minute before", 1, -60000, -59999, -60000 },
		{ "ins: repeated second, received before", 1, -500, -400, -500 },
		{ "ins: repeated second, received after", 1, -500, 600, 500 },
		{ "ins: repeated second, read late", 1, -10, 995, 990 },
		{ "ins: tick not yet applied", 1, 2, 3, 2 },
		{ "ins: a second after", 1, 10, 1100, 1010 },
		{ "del: a second before", -1, -2000, -999, -1000 },
		{ "del: tick not yet applied", -1, -998, 3, 2 },
		{ "del: right after", -1, 0, 5, 0 },
		{ "del: later", -1, 500, 600, 500 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		int sign = rows[i].sign;
		__u64 L = I_NS - (sign < 0 ? (__u64)NSI : 0) + (__u64)TAI37;
		struct ntpd_ref_state st = {
			.tai_offset_ns = TAI37, .leap_sign = (__s8)sign,
			.leap_kernel = (__s8)sign, .leap_tai_ns = L,
		};
		__u64 rt = I_NS + (__u64)(rows[i].rt * 1000000);
		__u64 got = leap_realtime_to_tai(&st, rt, L + (__u64)(rows[i].now * 1000000));

		if (got != L + (__u64)(rows[i].tai * 1000000))
			print_message("# %s: %lld ns off\n", rows[i].desc,
				      (long long)(got - L - (__u64)(rows[i].tai * 1000000)));
		assert_int_equal(got, L + (__u64)(rows[i].tai * 1000000));
	}
	/* a kernel that does not leap: REALTIME + offset, whatever the state serves */
	struct ntpd_ref_state plain = { .tai_offset_ns = TAI37, .leap_sign = 1,
					.leap_tai_ns = I_NS + (__u64)TAI37 };

	assert_int_equal(leap_realtime_to_tai(&plain, I_NS - 500000000, I_NS + (__u64)TAI37 + 1),
			 I_NS - 500000000 + (__u64)TAI37);
}

/* ---- the smear, through the real publish sequence ---------------------------- */

/*
 * The ideal smeared time for the unleaped line u (Unix ns): from noon UTC
 * before the leap it falls behind u by sign s over 86400 + sign s, to reach
 * noon UTC again at the end.
 */
static long double ideal_smear(__s64 u, int sign)
{
	long double start = (long double)I_NS - 43200.0L * NSI;
	long double len = (86400.0L + sign) * NSI;
	long double x = (long double)u - start;

	x = x < 0 ? 0 : x > len ? len : x;
	return (long double)u - sign * x / len * NSI;
}

/*
 * Publish as main.c does (every second, or at leap_next_kink if sooner),
 * the state built as the agent builds it, and read the served time every
 * 37 ms in between and on both sides of every publication: strictly
 * increasing, and within 1 us of the ideal smear, from 13 h before the leap
 * to 13 h after.  Both models, insertion and deletion.
 */
static void smear_follows_the_line_through_publications(void **state)
{
	static const struct { const char *desc; bool corrected; int sign; } rows[] = {
		{ "corrected, insertion", true, 1 },
		{ "corrected, deletion", true, -1 },
		{ "system, kernel insertion", false, 1 },
		{ "system, kernel deletion", false, -1 },
	};
	const double f = 20e-6;	/* the corrected clock's own frequency */
	const __s64 corr0 = -2500000;
	size_t r;

	(void)state;
	for (r = 0; r < ARRAY_SIZE(rows); r++) {
		struct leap_tracker t = tracked(rows[r].sign);
		struct leap_clock clk = { .corrected = rows[r].corrected, .smear = true,
					  .kernel_sign = rows[r].corrected ? 0 : rows[r].sign };
		int sign = rows[r].sign;
		__u64 K = I_NS - (sign < 0 ? (__u64)NSI : 0) + (__u64)TAI37;	/* kernel's leap */
		__u64 t0 = I_NS + (__u64)TAI37 - 13 * 3600 * (__u64)NSI + 123456789;
		__u64 end = I_NS + (__u64)TAI37 + 13 * 3600 * (__u64)NSI, p = t0, next, x;
		__s64 stepped = 0, prev = 0, worst = 0;
		long n = 0, kinks = 0;

		while (p < end) {
			struct ntpd_ref_state st;
			__s64 corr = 0;
			__s32 freq = 0;
			__s64 tai_off = TAI37;
			int step;

			if (rows[r].corrected) {
				corr = corr0 + llround(f * (double)(p - t0)) - stepped * NSI;
				freq = (__s32)llround(f * 4294967296.0);
			} else if (p >= K) {
				tai_off += sign * NSI;	/* the kernel took it */
			}
			st = line_state(p, tai_off, corr, freq);
			step = leap_state_apply(&st, &t, &clk);
			stepped += step;
			assert_int_equal(st.leap_sign, 0);	/* a smeared clock never leaps */
			assert_int_equal(st.leap, NTP_LEAP_NONE);
			ntp_state_set_base(&st);
			next = p + (__u64)NSI;
			/* <=: in the system model the regular second can land on it */
			if (leap_next_kink(&st) <= next) {
				next = leap_next_kink(&st);
				kinks++;
			}
			for (x = p; x < next; x = x + 37000000 < next || x == next - 1 ? x + 37000000 :
									   next - 1) {
				__s64 got = ntp_ts_to_unix_ns(ntp_served_ts(&st, x), (__s64)LEAP_2016);
				__s64 u = (__s64)(x - (__u64)TAI37) +
					  (rows[r].corrected ? corr0 + llround(f * (double)(x - t0)) : 0);
				__s64 err = (__s64)llroundl((long double)got - ideal_smear(u, sign));

				if (n && got <= prev)
					print_message("# %s: served time went from %lld to %lld\n",
						      rows[r].desc, (long long)prev, (long long)got);
				assert_true(!n || got > prev);
				worst = llabs(err) > worst ? llabs(err) : worst;
				if (llabs(err) > 1000)
					print_message("# %s: %lld ns off the smear at TAI %llu\n",
						      rows[r].desc, (long long)err,
						      (unsigned long long)x);
				assert_true(llabs(err) <= 1000);
				prev = got;
				n++;
			}
			p = next;
		}
		print_message("# %s: %ld readings, %ld kink publications, worst %lld ns\n",
			      rows[r].desc, n, kinks, (long long)worst);
		assert_int_equal(kinks, 2);	/* noon before and noon after */
		assert_int_equal(stepped, rows[r].corrected ? sign : 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(announcement_latches_next_midnight),
		cmocka_unit_test(cancelled_before_the_instant),
		cmocka_unit_test(announced_only_on_the_last_day_of_june_or_december),
		cmocka_unit_test(announced_by_the_majority_of_selected_sources),
		cmocka_unit_test(list_parses_and_looks_up),
		cmocka_unit_test(list_position_next_and_last),
		cmocka_unit_test(list_errors_name_the_line),
		cmocka_unit_test(list_announces_and_expires),
		cmocka_unit_test(system_list_parses),
		cmocka_unit_test(system_model_leaps_at_the_instant),
		cmocka_unit_test(system_model_without_kernel_leap_serves_the_host),
		cmocka_unit_test(corrected_model_steps_in_the_first_state_after),
		cmocka_unit_test(realtime_stamps_convert_on_both_sides),
		cmocka_unit_test(smear_follows_the_line_through_publications),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
