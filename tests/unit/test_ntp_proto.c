// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The code shared by the XDP program and userspace (bpf/ntp_proto.h,
 * bpf/csum.h), checked against vectors worked out independently of it: by
 * hand, with python3 (calendar.timegm, fractions.Fraction, math.ceil; the
 * expressions are quoted next to each constant), or with the reference
 * arithmetic in this file (128-bit integers, RFC 1071's byte-wise sum).
 * Random inputs come from a fixed-seed splitmix64, so every run is the same.
 */
#include <math.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ntp_proto.h"
#include "csum.h"

#define NS		1000000000ULL
#define NTP_DELTA	2208988800LL	/* 1900 -> 1970, s (RFC 5905 fig. 4) */
#define YEAR_S		31556952LL	/* mean Gregorian year, s */

/* python3: calendar.timegm((Y, M, D, h, m, s)) */
#define UNIX_1900	(-2208988800LL)
#define UNIX_1950	(-631152000LL)
#define UNIX_1968	(-63158400LL)	/* 1968-01-01T00:00:00Z */
#define UNIX_2000	946684800LL
#define UNIX_2026_11_22	1795305600LL
#define UNIX_2030	1893456000LL
#define UNIX_ERA1	2085978496LL	/* 2036-02-07T06:28:16Z = 2^32 - NTP_DELTA */
#define UNIX_2040	2208988800LL
#define UNIX_2100	4102444800LL
#define UNIX_2104_END	4260211199LL	/* 2104-12-31T23:59:59Z */

/* ---- independent reference arithmetic ---------------------------------- */

static __u64 rng_state;

/* splitmix64 (Steele, Lea, Flood 2014): tiny, seedable, good enough here */
static __u64 rng(void)
{
	__u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u64 rng_range(__u64 lo, __u64 hi)	/* inclusive; bias is irrelevant */
{
	return lo + rng() % (hi - lo + 1);
}

static __u32 rd_be32(const void *p)
{
	const __u8 *b = p;

	return (__u32)b[0] << 24 | (__u32)b[1] << 16 | (__u32)b[2] << 8 | b[3];
}

static __u64 rd_be64(const void *p)
{
	return (__u64)rd_be32(p) << 32 | rd_be32((const __u8 *)p + 4);
}

static void wr_be64(void *p, __u64 v)
{
	__u8 *b = p;
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		b[i] = (__u8)v;
}

/* Exact NTP fraction of a nanosecond count, in units of 2^-32 s (not rounded) */
static unsigned __int128 nsec_shl32(__u64 nsec)
{
	return (unsigned __int128)nsec << 32;	/* divide by 1e9 for the fraction */
}

/* Unix ns of an era-extended NTP timestamp, rounded half up: the truth that
 * ntp_ts_to_unix_ns() must come within 1 ns of. */
static __s64 ref_unix_ns(__s64 ntp_sec, __u32 frac)
{
	__int128 ns = (__int128)(ntp_sec - NTP_DELTA) * (__int128)NS;

	ns += ((__int128)frac * NS + ((__int128)1 << 31)) >> 32;
	return (__s64)ns;
}

static __u64 absdiff(__s64 a, __s64 b)
{
	return a > b ? (__u64)a - (__u64)b : (__u64)b - (__u64)a;
}

/* ---- ntp_ts_from_unix_ns ------------------------------------------------ */

static void ts_unix_epoch(void **state)
{
	(void)state;
	/* 70 years incl. 17 leap days: 25567 d * 86400 = 2208988800 = 0x83AA7E80 */
	assert_int_equal(ntp_ts_from_unix_ns(0), 0x83AA7E8000000000ULL);
	assert_int_equal(ntp_ts_from_unix_ns(NS), 0x83AA7E8100000000ULL);
}

static void ts_known_date_with_fraction(void **state)
{
	(void)state;
	/* 2026-11-22T00:00:00.5Z: 1795305600 + 2208988800 = 4004294400 = 0xEEACAF00,
	 * 0.5 s = 2^31 / 2^32 */
	assert_int_equal(ntp_ts_from_unix_ns((__u64)UNIX_2026_11_22 * NS + 500000000),
			 0xEEACAF0080000000ULL);
}

static void ts_era_boundary(void **state)
{
	(void)state;
	/* 2036-02-07T06:28:16Z is NTP second 2^32: era 1, seconds field 0 */
	assert_int_equal(ntp_ts_from_unix_ns((__u64)UNIX_ERA1 * NS), 0);
	assert_int_equal(ntp_ts_from_unix_ns((__u64)UNIX_ERA1 * NS + NS + 250000000),
			 0x0000000140000000ULL);
	/* one second before: the last second of era 0 */
	assert_int_equal(ntp_ts_from_unix_ns((__u64)UNIX_ERA1 * NS - NS), 0xFFFFFFFF00000000ULL);
	/* one nanosecond before: python3 (999999999 << 32) // 10**9 = 0xFFFFFFFB
	 * (exact 4294967291.705); the fraction must not carry into the seconds */
	assert_int_equal(ntp_ts_from_unix_ns((__u64)UNIX_ERA1 * NS - 1) >> 32, 0xFFFFFFFFULL);
	assert_in_range(ntp_ts_from_unix_ns((__u64)UNIX_ERA1 * NS - 1) & 0xffffffffULL,
			0xFFFFFFFBULL, 0xFFFFFFFCULL);
}

static void ts_fraction_rounding(void **state)
{
	static const struct {
		__u32 nsec;
		__u32 frac;	/* exact, or nearest when it is not */
	} vec[] = {
		{ 0,         0x00000000 },
		{ 500000000, 0x80000000 },	/* 1/2 */
		{ 250000000, 0x40000000 },	/* 1/4 */
		{ 750000000, 0xC0000000 },	/* 3/4 */
		{ 1953125,   0x00800000 },	/* 2^-9 s = 1953125 ns exactly */
		{ 1,         0x00000004 },	/* 4.295 */
		{ 232,       0x000003E4 },	/* 232 * 4.294967296 = 996.43 */
	};
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		__u64 ts = ntp_ts_from_unix_ns(1000 * NS + vec[i].nsec);

		assert_int_equal(ts >> 32, NTP_DELTA + 1000);
		assert_int_equal(ts & 0xffffffffULL, vec[i].frac);
	}
	/* every nanosecond count: within one 2^-32 unit of the exact fraction */
	rng_state = 1;
	for (i = 0; i < 200000; i++) {
		__u64 nsec = i < 1000 ? i : i < 2000 ? NS - 1 - (i - 1000) : rng() % NS;
		__u64 frac = ntp_ts_from_unix_ns(NS + nsec) & 0xffffffffULL;
		unsigned __int128 lo = (unsigned __int128)frac * NS;
		unsigned __int128 x = nsec_shl32(nsec);

		/* |frac - x/1e9| < 1  <=>  frac*1e9 - 1e9 < x < frac*1e9 + 1e9 */
		assert_true(x + NS > lo && x < lo + NS);
		assert_int_equal(ntp_ts_from_unix_ns(NS + nsec) >> 32, NTP_DELTA + 1);
	}
}

/* ---- ntp_ts_to_unix_ns -------------------------------------------------- */

static void ts_pivot_picks_era(void **state)
{
	static const struct {
		const char *desc;
		__u64 ts;
		__s64 pivot;
		__s64 unix_sec;
	} vec[] = {
		/* seconds field 0 is 1900 in era 0 and 2036-02-07T06:28:16Z in era 1 */
		{ "0, pivot 1950 -> 1900",           0x0000000000000000ULL, UNIX_1950, UNIX_1900 },
		{ "0, pivot 2000 -> 2036",           0x0000000000000000ULL, UNIX_2000, UNIX_ERA1 },
		{ "0, pivot 2030 -> 2036",           0x0000000000000000ULL, UNIX_2030, UNIX_ERA1 },
		{ "0, pivot 2100 -> 2036",           0x0000000000000000ULL, UNIX_2100, UNIX_ERA1 },
		/* the last second of era 0 stays in era 0 even past the boundary */
		{ "ffffffff, pivot 2030 -> 2036-",   0xFFFFFFFF00000000ULL, UNIX_2030, UNIX_ERA1 - 1 },
		{ "ffffffff, pivot 2040 -> 2036-",   0xFFFFFFFF00000000ULL, UNIX_2040, UNIX_ERA1 - 1 },
		{ "ffffffff, pivot 2100 -> 2036-",   0xFFFFFFFF00000000ULL, UNIX_2100, UNIX_ERA1 - 1 },
		/* 1968-01-01: NTP 2145830400 = 0x7FE6C600 in era 0, 2104-02 in era 1 */
		{ "1968, pivot 1970",                0x7FE6C60000000000ULL, 0,         UNIX_1968 },
		{ "1968, pivot 2000",                0x7FE6C60000000000ULL, UNIX_2000, UNIX_1968 },
		{ "1968, pivot 2040 -> 2104",        0x7FE6C60000000000ULL, UNIX_2040, UNIX_1968 + (1LL << 32) },
		{ "unix epoch, pivot 2036",          0x83AA7E8000000000ULL, UNIX_ERA1, 0 },
		{ "2026-11-22, pivot 1970",          0xEEACAF0000000000ULL, 0,         UNIX_2026_11_22 },
		{ "2026-11-22, pivot 2040",          0xEEACAF0000000000ULL, UNIX_2040, UNIX_2026_11_22 },
		/* 2100 - 2026 is 73 years, more than 2^31 s: the later era wins */
		{ "2026-11-22, pivot 2100 -> 2162",  0xEEACAF0000000000ULL, UNIX_2100,
		  UNIX_2026_11_22 + (1LL << 32) },
		/* the window is [pivot - 2^31, pivot + 2^31 - 1] seconds */
		{ "pivot + 2^31 - 1 stays",          0xFFFFFFFF00000000ULL, UNIX_ERA1 - (1LL << 31), UNIX_ERA1 - 1 },
		{ "pivot + 2^31 wraps back an era",  0x0000000000000000ULL, UNIX_ERA1 - (1LL << 31), UNIX_1900 },
		{ "pivot - 2^31 stays",              0x0000000000000000ULL, UNIX_ERA1 + (1LL << 31), UNIX_ERA1 },
		{ "pivot - 2^31 - 1 wraps forward",  0xFFFFFFFF00000000ULL, UNIX_ERA1 - 1 + (1LL << 31) + 1,
		  UNIX_ERA1 - 1 + (1LL << 32) },
	};
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		__s64 got = ntp_ts_to_unix_ns(vec[i].ts, vec[i].pivot);

		if (got != vec[i].unix_sec * (__s64)NS)
			fail_msg("%s: got %lld want %lld", vec[i].desc, (long long)got,
				 (long long)(vec[i].unix_sec * (__s64)NS));
	}
	/* with a fraction: 0.5 s and 2^-32 s (0.233 ns rounds to 0) */
	assert_int_equal(ntp_ts_to_unix_ns(0x7FE6C60080000000ULL, 0),
			 UNIX_1968 * (__s64)NS + 500000000);
	assert_int_equal(ntp_ts_to_unix_ns(0x0000000000000001ULL, UNIX_2030),
			 UNIX_ERA1 * (__s64)NS);
}

/* NTP -> unix for 1968..2104 (the span NTP era 0/1 share with a pivot of
 * 1970..2100) against 128-bit arithmetic; covers the pre-1970 values that
 * ntp_ts_from_unix_ns (unsigned input) cannot produce. */
static void ts_to_unix_matches_reference(void **state)
{
	unsigned i;

	(void)state;
	rng_state = 2;
	for (i = 0; i < 200000; i++) {
		/* era-extended NTP seconds for 1968-01-01 .. 2104-12-31 */
		__s64 ntp_sec = (__s64)rng_range((__u64)(UNIX_1968 + NTP_DELTA),
						 (__u64)(UNIX_2104_END + NTP_DELTA));
		__u32 frac = (__u32)rng();
		__u64 ts = (__u64)(__u32)ntp_sec << 32 | frac;
		__s64 want = ref_unix_ns(ntp_sec, frac);
		__s64 unix_sec = ntp_sec - NTP_DELTA;
		/* any pivot less than 2^31 s (68 y) away must pick the same era */
		__s64 pivots[] = {
			unix_sec, unix_sec - 60 * YEAR_S, unix_sec + 60 * YEAR_S,
			unix_sec - (1LL << 31) + 1, unix_sec + (1LL << 31) - 1,
		};
		unsigned p;

		if (i < 8) {	/* frac extremes: 0 and 0xffffffff (rounds up to the next s) */
			frac = (i & 1) ? 0xffffffffU : 0;
			ts = (__u64)(__u32)ntp_sec << 32 | frac;
			want = ref_unix_ns(ntp_sec, frac);
		}
		for (p = 0; p < sizeof(pivots) / sizeof(pivots[0]); p++) {
			__s64 got = ntp_ts_to_unix_ns(ts, pivots[p]);

			if (absdiff(got, want) > 1)
				fail_msg("ts %#llx pivot %lld: got %lld want %lld",
					 (unsigned long long)ts, (long long)pivots[p],
					 (long long)got, (long long)want);
		}
	}
}

/* unix ns -> NTP -> unix ns comes back within 1 ns for 1970..2104 */
static void ts_round_trip(void **state)
{
	static const __s64 anchors[] = {	/* unix s, each probed at +-3 s */
		0, UNIX_2000, UNIX_2026_11_22, UNIX_ERA1, UNIX_2040, UNIX_2100,
		UNIX_2104_END - 3,
	};
	static const __u32 nsecs[] = { 0, 1, 2, 499999999, 500000000, 500000001,
				       999999998, 999999999 };
	unsigned a, n, i;
	__s64 off;

	(void)state;
	for (a = 0; a < sizeof(anchors) / sizeof(anchors[0]); a++)
		for (off = -3; off <= 3; off++)
			for (n = 0; n < sizeof(nsecs) / sizeof(nsecs[0]); n++) {
				__s64 s = anchors[a] + off;
				__u64 ns;

				if (s < 0)
					continue;
				ns = (__u64)s * NS + nsecs[n];
				/* pivots on both sides of the value, hence of the boundary */
				assert_true(absdiff(ntp_ts_to_unix_ns(ntp_ts_from_unix_ns(ns), s - 50 * YEAR_S),
						    (__s64)ns) <= 1);
				assert_true(absdiff(ntp_ts_to_unix_ns(ntp_ts_from_unix_ns(ns), s + 50 * YEAR_S),
						    (__s64)ns) <= 1);
			}

	rng_state = 3;
	for (i = 0; i < 200000; i++) {
		__u64 ns = rng_range(0, (__u64)UNIX_2104_END * NS + NS - 1);
		__s64 s = (__s64)(ns / NS);
		__u64 ts = ntp_ts_from_unix_ns(ns);

		/* the seconds field is the era-0/1 encoding: (s + delta) mod 2^32 */
		assert_int_equal(ts >> 32, (__u64)(s + NTP_DELTA) & 0xffffffffULL);
		assert_true(absdiff(ntp_ts_to_unix_ns(ts, s), (__s64)ns) <= 1);
		assert_true(absdiff(ntp_ts_to_unix_ns(ts, s - 67 * YEAR_S), (__s64)ns) <= 1);
		assert_true(absdiff(ntp_ts_to_unix_ns(ts, s + 67 * YEAR_S), (__s64)ns) <= 1);
	}
}

/* ---- ntp_short_from_ns -------------------------------------------------- */

static void short_format(void **state)
{
	static const struct {
		__u64 ns;
		__u32 want;	/* python3: math.ceil(Fraction(ns * 65536, 10**9)) */
	} vec[] = {
		{ 0,                 0x00000000 },
		{ 1,                 0x00000001 },	/* 6.5e-5 units, rounded up */
		{ 15258,             0x00000001 },	/* 0.99999 units */
		{ 15259,             0x00000002 },	/* 1.00000 + 2.6e-5 units */
		{ 500000000,         0x00008000 },
		{ 1000000000,        0x00010000 },
		{ 1500000000,        0x00018000 },
		{ 1000000001,        0x00010001 },
		{ 65535000000000ULL, 0xFFFF0000 },
		/* largest value that still fits: (2^32 - 1) * 10^9 / 2^16 = 65535999984741.2 */
		{ 65535999984741ULL, 0xFFFFFFFF },
		{ 65536000000000ULL, 0xFFFFFFFF },	/* 65536 s: saturates */
		{ 100000000000000ULL, 0xFFFFFFFF },
		{ UINT64_MAX,        0xFFFFFFFF },
	};
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++)
		if (ntp_short_from_ns(vec[i].ns) != vec[i].want)
			fail_msg("ntp_short_from_ns(%llu) = %#x, want %#x",
				 (unsigned long long)vec[i].ns, ntp_short_from_ns(vec[i].ns),
				 vec[i].want);
}

/* Rounding up must saturate, not wrap: 65535999984742 .. 65535999999999 ns
 * round up to 2^32 units. */
static void short_format_saturates_below_65536_s(void **state)
{
	static const __u64 vec[] = { 65535999984742ULL, 65535999990000ULL, 65535999999999ULL };
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++)
		if (ntp_short_from_ns(vec[i]) != 0xFFFFFFFFU)
			fail_msg("ntp_short_from_ns(%llu) = %#x, want 0xffffffff",
				 (unsigned long long)vec[i], ntp_short_from_ns(vec[i]));
}

/* ---- ntp_dispersion_grow ------------------------------------------------ */

/* ceil(age * 15e-6 * 2^16 / 1e9) = ceil(age * 983040 / 10^15), exactly */
static __u64 ref_phi_units(__u64 age_ns)
{
	unsigned __int128 num = (unsigned __int128)age_ns * 983040;
	const unsigned __int128 den = 1000000000000000ULL;

	return (__u64)((num + den - 1) / den);
}

/*
 * The growth is PHI * age rounded up; the header documents a multiply-shift
 * that may round up by one more unit, so [exact ceil, exact ceil + 1] is the
 * contract, and the sum saturates at 0xffffffff.
 */
static void assert_grow(__u32 disp, __u64 age_ns, __u64 want_ceil)
{
	__u64 lo = disp + want_ceil, hi = lo + 1;
	__u32 got = ntp_dispersion_grow(disp, age_ns);

	if (lo > 0xffffffffULL)
		lo = 0xffffffffULL;
	if (hi > 0xffffffffULL)
		hi = 0xffffffffULL;
	if (got < lo || got > hi)
		fail_msg("ntp_dispersion_grow(%#x, %llu) = %#x, want %#llx..%#llx", disp,
			 (unsigned long long)age_ns, got, (unsigned long long)lo,
			 (unsigned long long)hi);
}

static void dispersion_grow(void **state)
{
	static const struct {
		__u32 disp;
		__u64 age_ns;
		__u64 ceil;	/* python3: math.ceil(Fraction(age * 15 * 65536, 10**15)) */
	} vec[] = {
		{ 0,          0,                    0 },
		{ 0x1234,     0,                    0 },
		{ 0,          1,                    1 },		/* 9.8e-10 units, up */
		/* 1000 s * 15 ppm = 15 ms = 983.04 units -> 984 = 0x3D8 */
		{ 0,          1000 * NS,            0x3D8 },
		{ 0x10000,    1000 * NS,            0x3D8 },
		{ 0,          1 * NS,               1 },		/* 0.983 units */
		{ 0,          2 * NS + 500,         2 },		/* 1.966 units */
		{ 0,          10 * NS,              10 },		/* 9.83 units */
		/* 1e15 / 983040 = 1017252604.17 ns per unit */
		{ 0,          1017252604ULL,        1 },
		{ 0,          1017252605ULL,        2 },
		{ 0,          1000 * 1017252605ULL, 1001 },		/* 1000.0000008 */
		/* saturation at the 16.16 maximum */
		{ 0xFFFFFC27, 1000 * NS,            0x3D8 },	/* exactly fits */
		{ 0xFFFFFC28, 1000 * NS,            0x3D8 },	/* one over */
		{ 0xFFFFFFFF, 1,                    1 },
		{ 0xFFFFFFFF, 0,                    0 },
	};
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		assert_int_equal(ref_phi_units(vec[i].age_ns), vec[i].ceil);	/* the table itself */
		assert_grow(vec[i].disp, vec[i].age_ns, vec[i].ceil);
	}
	assert_int_equal(ntp_dispersion_grow(0, 0), 0);			/* no age, no growth */
	assert_int_equal(ntp_dispersion_grow(0xFFFFFFFF, 1000 * NS), 0xFFFFFFFF);

	/* every age up to the default max age and well past it (18 min) */
	rng_state = 8;
	for (i = 0; i < 200000; i++) {
		__u64 age = i & 1 ? rng() % (20 * NS) : rng() % (1099 * NS);

		assert_grow((__u32)rng() >> 1, age, ref_phi_units(age));
	}
}

/* Ages too large for the arithmetic clamp: never wrap round to less growth */
static void dispersion_grow_large_ages(void **state)
{
	__u64 age, prev = 0;
	unsigned s;

	(void)state;
	for (s = 20; s < 64; s++) {
		static const __u64 mult[] = { 4, 5, 6, 7 };	/* 2^s .. 1.75 * 2^s */
		unsigned m;

		for (m = 0; m < 4; m++) {
			__u32 got;

			age = (1ULL << s) / 4 * mult[m];
			got = ntp_dispersion_grow(0, age);
			if (got < prev)
				fail_msg("age %llu grows %u, less than a younger age (%llu)",
					 (unsigned long long)age, got, (unsigned long long)prev);
			prev = got;
		}
	}
	assert_true(ntp_dispersion_grow(0, UINT64_MAX) >= prev);
	assert_true(ntp_dispersion_grow(0, UINT64_MAX) >= 984);	/* at least 1000 s worth */
	/* and the clamped growth still saturates */
	assert_int_equal(ntp_dispersion_grow(0xFFFFFFFF - 100, UINT64_MAX), 0xFFFFFFFF);
	assert_int_equal(ntp_dispersion_grow(0xFFFFFF00, UINT64_MAX), 0xFFFFFFFF);
}

/*
 * The clamp is only harmless while no state that old is still served:
 * --max-age is capped at 1000 s (userspace/options.c) and the clamp sits at
 * 2^40 ns (1099.5 s), so every servable age grows exactly:
 * 1000 s * 15 ppm = ceil(983.04) = 984 units, 1099 s = ceil(1080.37) = 1081.
 */
static void dispersion_grow_within_max_age_option(void **state)
{
	struct ntpd_ref_state st = { .update_tai_ns = 1000 * NS };

	(void)state;
	assert_true(ntp_state_fresh(&st, st.update_tai_ns + 1000 * NS, 1000ULL * NS));
	assert_false(ntp_state_fresh(&st, st.update_tai_ns + 1000 * NS + 1, 1000ULL * NS));
	assert_grow(0, 1000 * NS, 984);
	assert_grow(0, 1099 * NS, 1081);
}

/* NTPD_PHI_MULT's comment says ceil(15e-6 * 2^16 * 2^52 / 1e9):
 * python3: math.ceil(Fraction(15 * 65536 * 2**52, 10**15)) = 4427219 */
static void dispersion_phi_constant(void **state)
{
	(void)state;
#ifdef NTPD_PHI_MULT
	assert_int_equal(NTPD_PHI_MULT, 4427219);
#else
	skip();		/* no multiply-shift constant any more */
#endif
}

/* ---- served time and freshness ------------------------------------------ */

static void served_unix_ns(void **state)
{
	static const struct {
		__u64 tai;
		__s64 tai_offset;
		__s64 correction;
		__u64 want;
	} vec[] = {
		{ 1000 * NS,                 0,             0,          1000 * NS },
		{ 1000 * NS,                 37 * (__s64)NS, 0,         963 * NS },
		{ 1000 * NS,                 37 * (__s64)NS, 5000000,   963 * NS + 5000000 },
		{ 1000 * NS,                 37 * (__s64)NS, -5000000,  963 * NS - 5000000 },
		{ 1000 * NS,                 0,             -1,         1000 * NS - 1 },
		/* a negative TAI offset is nonsense but must still be arithmetic */
		{ 1000 * NS,                 -2 * (__s64)NS, 0,         1002 * NS },
		{ 1795000039123457289ULL,    37 * (__s64)NS, -1234567,  1795000002122222722ULL },
	};
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		struct ntpd_ref_state st = {
			.tai_offset_ns = vec[i].tai_offset,
			.correction_ns = vec[i].correction,
		};

		assert_int_equal(ntp_served_unix_ns(&st, vec[i].tai), vec[i].want);
	}
}

static void state_fresh(void **state)
{
	const __u64 max = 10 * NS, upd = 5000 * NS;
	struct ntpd_ref_state never = { 0 }, st = { .update_tai_ns = upd };

	(void)state;
	assert_false(ntp_state_fresh(&never, upd, max));
	assert_false(ntp_state_fresh(&never, 1, UINT64_MAX - 1));	/* 0 means never */
	assert_true(ntp_state_fresh(&st, upd, max));
	assert_true(ntp_state_fresh(&st, upd + 1, max));
	assert_true(ntp_state_fresh(&st, upd + max, max));		/* exactly max age */
	assert_false(ntp_state_fresh(&st, upd + max + 1, max));
	/* published after the reader's receive time: normal up to the slack,
	 * beyond it the clock stepped back */
	assert_true(ntp_state_fresh(&st, upd - 1, max));
	assert_true(ntp_state_fresh(&st, upd - NTPD_STATE_FUTURE_SLACK_NS, max));
	assert_false(ntp_state_fresh(&st, upd - NTPD_STATE_FUTURE_SLACK_NS - 1, max));
	assert_false(ntp_state_fresh(&st, upd - 1000 * NS, max));
	assert_false(ntp_state_fresh(&st, 0, max));
	assert_true(ntp_state_fresh(&st, upd, 0));
	assert_false(ntp_state_fresh(&st, upd + 1, 0));
	/* the slack is a small fraction of a second's worth, not a loophole */
	assert_in_range(NTPD_STATE_FUTURE_SLACK_NS, 1, 10 * NS);
}

/* ---- ntp_served_ts / ntp_state_set_base ---------------------------------- */

/* The NTP timestamp of a unix ns count, by one 128-bit division:
 * floor(ns * 2^32 / 1e9) plus the 1900->1970 offset, modulo 2^64 (eras). */
static __u64 ref_ntp_ts(__u64 unix_ns)
{
	unsigned __int128 t = ((unsigned __int128)unix_ns << 32) / NS;

	return (__u64)t + ((__u64)NTP_DELTA << 32);
}

static __u64 udiff(__u64 a, __u64 b)
{
	return a > b ? a - b : b - a;
}

static void state_base(void **state)
{
	struct ntpd_ref_state st = {
		.update_tai_ns = 1795000037123456789ULL,
		.tai_offset_ns = 37 * (__s64)NS,
		.correction_ns = -1234567,
		.base_tai_ns = 12345,		/* stale garbage to be replaced */
		.base_ntp = 67890,
	};
	struct ntpd_ref_state never = { .base_tai_ns = 1, .base_ntp = 1 };

	(void)state;
	ntp_state_set_base(&st);
	assert_int_equal(st.base_tai_ns, 1795000037123456789ULL);
	/* served unix 1795000000122222222 ns, python3 (see fill_response_fields) */
	assert_int_equal(st.base_ntp, 0xEEA805401F49F49EULL);
	ntp_state_set_base(&never);
	assert_int_equal(never.base_tai_ns, 0);
	assert_int_equal(never.base_ntp, 0);
}

/* The multiply-shift path stays within one 2^-32 s of the exact conversion,
 * everywhere in its window, past it, before the base, across an era. */
static void served_ts_matches_exact(void **state)
{
	static const __s64 offsets[] = {	/* TAI ns relative to the base */
		0, 1, 2, 3, 999, 1000, 999999999, 1000000000, 1000000001,
		(1LL << 32) - 2, (1LL << 32) - 1, 1LL << 32, (1LL << 32) + 1,
		10 * (__s64)NS, 1000 * (__s64)NS, -1, -1000, -(__s64)NS,
	};
	static const __u64 bases_unix[] = {	/* served unix s at the base */
		1795000000, 0, (__u64)UNIX_ERA1 - 1, (__u64)UNIX_ERA1 - 3, (__u64)UNIX_2100,
	};
	unsigned b, i;

	(void)state;
	rng_state = 9;
	for (b = 0; b < sizeof(bases_unix) / sizeof(bases_unix[0]); b++) {
		struct ntpd_ref_state st = {
			.tai_offset_ns = 37 * (__s64)NS,
			.correction_ns = b & 1 ? 2500001 : -1234567,
		};

		st.update_tai_ns = bases_unix[b] * NS + 37 * NS + 1234567 + rng() % NS;
		ntp_state_set_base(&st);
		for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]) + 100000; i++) {
			/* mostly inside the 2^32 ns window, some far past it */
			__s64 off = i < sizeof(offsets) / sizeof(offsets[0]) ? offsets[i] :
				    i & 7 ? (__s64)(rng() % ((1ULL << 32) + 1000)) :
				    (__s64)(rng() % (1ULL << 40));
			__u64 tai = st.update_tai_ns + (__u64)off;
			__u64 unix_ns = tai - 37 * NS + (__u64)st.correction_ns;
			__u64 got = ntp_served_ts(&st, tai), want = ref_ntp_ts(unix_ns);

			if (udiff(got, want) > 1)
				fail_msg("base %llu s, +%lld ns: %#llx, exact %#llx",
					 (unsigned long long)bases_unix[b], (long long)off,
					 (unsigned long long)got, (unsigned long long)want);
		}
	}
	/* 2036-02-07T06:28:15Z + 2 s: era 1, seconds field 1 */
	{
		struct ntpd_ref_state st = { .update_tai_ns = ((__u64)UNIX_ERA1 - 1) * NS };

		ntp_state_set_base(&st);
		assert_int_equal(ntp_served_ts(&st, st.update_tai_ns) >> 32, 0xFFFFFFFFULL);
		assert_int_equal(ntp_served_ts(&st, st.update_tai_ns + 2 * NS), 0x0000000100000000ULL);
	}
}

/* With a frequency, the correction moves between publications: +100 ppm
 * serves 100 us more after one second, in the fast and the exact path alike,
 * and both paths agree with the exact arithmetic. */
static void served_ts_follows_frequency(void **state)
{
	static const double ppm[] = { 100, -350, 500, -500, 0.01 };
	static const __s64 offsets[] = {
		1, 999999, (__s64)NS, (1LL << 32) - 1, 1LL << 32, 10 * (__s64)NS, 600 * (__s64)NS,
	};
	unsigned p, i;

	(void)state;
	for (p = 0; p < sizeof(ppm) / sizeof(ppm[0]); p++) {
		struct ntpd_ref_state st = {
			.update_tai_ns = 1795000037123456789ULL,
			.tai_offset_ns = 37 * (__s64)NS,
			.correction_ns = -1234567,
			.freq_scaled = (__s32)(ppm[p] * 1e-6 * 4294967296.0),
		};
		struct ntpd_ref_state flat = st;

		flat.freq_scaled = 0;
		ntp_state_set_base(&st);
		ntp_state_set_base(&flat);
		for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
			__u64 tai = st.update_tai_ns + (__u64)offsets[i];
			__s64 drift = (offsets[i] * (__s64)st.freq_scaled) >> 32;
			__u64 want = ref_ntp_ts(tai - 37 * NS + (__u64)st.correction_ns + (__u64)drift);
			__u64 got = ntp_served_ts(&st, tai);
			/* the drift the client sees, in ns, against the same state without it */
			double seen_ns = (double)(__s64)(got - ntp_served_ts(&flat, tai)) * 1e9 / 4294967296.0;

			if (udiff(got, want) > 1)
				fail_msg("%g ppm, +%lld ns: %#llx, exact %#llx", ppm[p],
					 (long long)offsets[i], (unsigned long long)got,
					 (unsigned long long)want);
			/* freq is quantised to 2^-32 (0.00023 ppm): that much, plus rounding */
			if (fabs(seen_ns - ppm[p] * 1e-6 * (double)offsets[i]) >
			    2 + (double)offsets[i] / 4294967296.0)
				fail_msg("%g ppm, +%lld ns: drift %.1f ns", ppm[p],
					 (long long)offsets[i], seen_ns);
		}
	}
}

/* Processing-time buckets: k holds [2^(k+5), 2^(k+6)) ns, 0 below 64 ns, the
 * last everything from 2^28 ns on. */
static void latency_buckets(void **state)
{
	static const struct { __u64 ns; __u32 bucket; } vec[] = {
		{ 0, 0 }, { 63, 0 }, { 64, 1 }, { 127, 1 }, { 128, 2 }, { 255, 2 }, { 256, 3 },
		{ 1000, 4 }, { 1000000, 14 }, { (1ULL << 28) - 1, 22 }, { 1ULL << 28, 23 },
		{ 1ULL << 40, 23 }, { ~0ULL, 23 },
	};
	struct ntpd_counters c = { 0 };
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++)
		if (ntp_latency_bucket(vec[i].ns) != vec[i].bucket)
			fail_msg("%llu ns: bucket %u, want %u", (unsigned long long)vec[i].ns,
				 ntp_latency_bucket(vec[i].ns), vec[i].bucket);
	ntp_latency_add(&c, 100);
	ntp_latency_add(&c, 150);
	assert_int_equal(c.latency[1], 1);
	assert_int_equal(c.latency[2], 1);
	assert_int_equal(c.latency_sum_ns, 250);
}

/* Served time never runs backwards: a later transmit is never stamped before
 * its receive, including where the fast path hands over to the exact one. */
static void served_ts_monotonic(void **state)
{
	struct ntpd_ref_state st = {
		.update_tai_ns = 1795000037123456789ULL,
		.tai_offset_ns = 37 * (__s64)NS,
		.correction_ns = 987654,
	};
	__u64 tai, prev;
	unsigned i;

	(void)state;
	ntp_state_set_base(&st);
	rng_state = 10;
	tai = st.update_tai_ns - 2000;
	prev = ntp_served_ts(&st, tai);
	for (i = 0; i < 400000; i++) {
		/* small steps, with a dense run around the 2^32 ns hand-over */
		__u64 d = tai - st.update_tai_ns;

		if (i == 100000)	/* skip ahead to 2 s before the hand-over */
			tai = st.update_tai_ns + (1ULL << 32) - 2 * NS;
		else if (d + 5000 >= (1ULL << 32) && d < (1ULL << 32) + 5000)
			tai += 1;
		else
			tai += 1 + rng() % 20000;
		if (ntp_served_ts(&st, tai) < prev)
			fail_msg("tai %llu: %#llx after %#llx", (unsigned long long)tai,
				 (unsigned long long)ntp_served_ts(&st, tai),
				 (unsigned long long)prev);
		prev = ntp_served_ts(&st, tai);
	}
	assert_true(tai - st.update_tai_ns > (1ULL << 32));	/* crossed the hand-over */
}

/* ---- ntp_classify_request ----------------------------------------------- */

static void classify_all_versions_and_modes(void **state)
{
	unsigned li, vn, mode;

	(void)state;
	/* the table of the brief, written out; LI must never matter */
	for (li = 0; li < 4; li++)
		for (vn = 0; vn < 8; vn++)
			for (mode = 0; mode < 8; mode++) {
				__u8 b = (__u8)(li << 6 | vn << 3 | mode);
				__u32 want;

				if (mode == 4)
					want = NTPD_CNT_DROP_MODE_SERVER;
				else if (mode == 7)
					want = NTPD_CNT_DROP_MODE_CONTROL;
				else if (vn == 0 || vn > 4)
					want = NTPD_CNT_PASS_VERSION;
				else if (mode == 3 || mode == 1 || (vn == 1 && mode == 0))
					want = NTP_REQ_ANSWER;
				else
					want = NTPD_CNT_PASS_MODE;
				if (ntp_classify_request(b) != want)
					fail_msg("byte %#04x (li %u vn %u mode %u): got %u want %u",
						 b, li, vn, mode, ntp_classify_request(b), want);
			}
	/* spot checks with literal bytes, independent of the loop above */
	assert_int_equal(ntp_classify_request(0x23), NTP_REQ_ANSWER);	/* v4 client */
	assert_int_equal(ntp_classify_request(0xE3), NTP_REQ_ANSWER);	/* LI 3 v4 client */
	assert_int_equal(ntp_classify_request(0x0B), NTP_REQ_ANSWER);	/* v1 client */
	assert_int_equal(ntp_classify_request(0x08), NTP_REQ_ANSWER);	/* v1 mode 0 */
	assert_int_equal(ntp_classify_request(0x10), NTPD_CNT_PASS_MODE);	/* v2 mode 0 */
	assert_int_equal(ntp_classify_request(0x24), NTPD_CNT_DROP_MODE_SERVER);
	assert_int_equal(ntp_classify_request(0x16), NTPD_CNT_PASS_MODE);	/* v2 mode 6: ntpq */
	assert_int_equal(ntp_classify_request(0x17), NTPD_CNT_DROP_MODE_CONTROL);
	assert_int_equal(ntp_classify_request(0x2B), NTPD_CNT_PASS_VERSION);	/* v5 client */
	assert_int_equal(ntp_classify_request(0x03), NTPD_CNT_PASS_VERSION);	/* v0 client */
	assert_int_equal(ntp_classify_request(0x21), NTP_REQ_ANSWER);	/* v4 sym active */
	assert_int_equal(ntp_classify_request(0x22), NTPD_CNT_PASS_MODE);	/* v4 sym passive */
	assert_int_equal(ntp_classify_request(0x25), NTPD_CNT_PASS_MODE);	/* v4 broadcast */
}

/* ---- ntp_fill_response + ntp_set_transmit -------------------------------- */

/* The packet with canaries on both sides: nothing but its 48 bytes may change */
struct framed_packet {
	__u8 before[32];
	struct ntp_packet pkt;
	__u8 after[32];
};
_Static_assert(offsetof(struct framed_packet, pkt) == 32, "no padding before the packet");
_Static_assert(offsetof(struct framed_packet, after) == 32 + NTP_PACKET_LEN,
	       "no padding after the packet");

#define CANARY 0xA5

/* A v4 client request; every field the server must overwrite is garbage */
static void make_request(struct framed_packet *f, __u8 li_vn_mode, __s8 poll)
{
	__u8 *b = (__u8 *)&f->pkt;
	unsigned i;

	memset(f->before, CANARY, sizeof(f->before));
	memset(f->after, CANARY, sizeof(f->after));
	for (i = 0; i < NTP_PACKET_LEN; i++)
		b[i] = (__u8)(0x5A ^ i);
	b[0] = li_vn_mode;
	b[2] = (__u8)poll;
	wr_be64(b + 40, 0x0123456789ABCDEFULL);	/* client transmit */
}

static void assert_canaries(const struct framed_packet *f)
{
	unsigned i;

	for (i = 0; i < sizeof(f->before); i++)
		if (f->before[i] != CANARY || f->after[i] != CANARY)
			fail_msg("byte %u outside the packet was written", i);
}

/*
 * Scenario (python3, see the header): update at TAI 1795000037.123456789 s,
 * TAI-UTC 37 s, correction -1234567 ns; receive 2 s + 500 ns later, transmit
 * 7250 ns after that.
 *   served unix = tai - 37e9 - 1234567
 *   rx: 1795000002122222722 ns -> 0xEEA805421F49FD01
 *   tx: 1795000002122229972 ns -> 0xEEA805421F4A76A4
 *   dispersion growth over 2.0000005 s = ceil(1.966) = 2 units
 */
#define SC_UPDATE_TAI	1795000037123456789ULL
#define SC_RX_TAI	(SC_UPDATE_TAI + 2 * NS + 500)
#define SC_TX_TAI	(SC_RX_TAI + 7250)
#define SC_REF_TS	0xEEA805401F49F49EULL	/* update time as served */
#define SC_RX_TS	0xEEA805421F49FD01ULL
#define SC_TX_TS	0xEEA805421F4A76A4ULL

static struct ntpd_ref_state scenario_state(void)
{
	struct ntpd_ref_state st = {
		.update_tai_ns = SC_UPDATE_TAI,
		.reference_ts = SC_REF_TS,
		.tai_offset_ns = 37 * (__s64)NS,
		.correction_ns = -1234567,
		.root_delay = 0x00012345,
		.root_dispersion = 0x00000100,
		.leap = NTP_LEAP_INSERT,
		.stratum = 2,
		.precision = -24,
	};

	memcpy(&st.refid, "GPS", 4);	/* G P S NUL on the wire */
	ntp_state_set_base(&st);	/* as refstate_publish() does */
	return st;
}

static const struct ntpd_config scenario_cfg = {
	.max_state_age_ns = 10 * NS,
	.poll_min = 4,
	.poll_max = 17,
};

static void fill_response_fields(void **state)
{
	/* the whole expected answer, byte by byte */
	static const __u8 want[NTP_PACKET_LEN] = {
		0x64,			/* LI 1 (insert), VN 4, mode 4 */
		0x02,			/* stratum */
		0x06,			/* poll, as requested */
		0xE8,			/* precision -24 */
		0x00, 0x01, 0x23, 0x45,	/* root delay */
		0x00, 0x00, 0x01, 0x02,	/* root dispersion 0x100 + 2 */
		'G', 'P', 'S', 0x00,	/* refid */
		0xEE, 0xA8, 0x05, 0x40, 0x1F, 0x49, 0xF4, 0x9E,	/* reference */
		0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,	/* origin = client xmt */
		0xEE, 0xA8, 0x05, 0x42, 0x1F, 0x49, 0xFD, 0x01,	/* receive */
		0xEE, 0xA8, 0x05, 0x42, 0x1F, 0x4A, 0x76, 0xA4,	/* transmit */
	};
	struct ntpd_ref_state st = scenario_state();
	struct framed_packet f;
	const __u8 *b = (const __u8 *)&f.pkt;

	(void)state;
	make_request(&f, 0x23, 6);
	ntp_fill_response(&f.pkt, &st, &scenario_cfg, SC_RX_TAI, 1);

	assert_int_equal(NTP_LI(b[0]), NTP_LEAP_INSERT);
	assert_int_equal(NTP_VN(b[0]), 4);
	assert_int_equal(NTP_MODE(b[0]), NTP_MODE_SERVER);
	assert_int_equal(b[1], 2);
	assert_int_equal((__s8)b[2], 6);
	assert_int_equal((__s8)b[3], -24);
	assert_int_equal(rd_be32(b + 4), 0x00012345);
	assert_int_equal(rd_be32(b + 8), 0x00000102);
	assert_memory_equal(b + 12, "GPS", 4);
	assert_int_equal(rd_be64(b + 16), SC_REF_TS);
	assert_int_equal(rd_be64(b + 24), 0x0123456789ABCDEFULL);
	assert_true(udiff(rd_be64(b + 32), SC_RX_TS) <= 1);	/* ntp_served_ts: +-2^-32 s */
	/* the transmit timestamp is left for ntp_set_transmit */
	assert_int_equal(rd_be64(b + 40), 0x0123456789ABCDEFULL);
	assert_canaries(&f);

	ntp_set_transmit(&f.pkt, &st, SC_TX_TAI);
	assert_true(udiff(rd_be64(b + 40), SC_TX_TS) <= 1);
	assert_memory_equal(b, want, 32);
	assert_true(udiff(rd_be64(b + 32), rd_be64(want + 32)) <= 1);
	assert_true(udiff(rd_be64(b + 40), rd_be64(want + 40)) <= 1);
	assert_canaries(&f);
	/* the state is only read */
	{
		struct ntpd_ref_state again = scenario_state();

		assert_memory_equal(&st, &again, sizeof(st));
	}
}

static void fill_response_stale_is_unsynchronised(void **state)
{
	struct ntpd_ref_state st = scenario_state();
	struct framed_packet f;
	const __u8 *b = (const __u8 *)&f.pkt;

	(void)state;
	make_request(&f, 0x13, 6);	/* v2 client */
	ntp_fill_response(&f.pkt, &st, &scenario_cfg, SC_RX_TAI, 0);
	assert_int_equal(b[0], 0xD4);	/* LI 3, VN 2, mode 4 */
	assert_int_equal(b[1], 0);	/* stratum 16 travels as 0 */
	/* the rest is still filled in */
	assert_int_equal((__s8)b[3], -24);
	assert_int_equal(rd_be32(b + 8), 0x00000102);
	assert_int_equal(rd_be64(b + 24), 0x0123456789ABCDEFULL);
	assert_true(udiff(rd_be64(b + 32), SC_RX_TS) <= 1);	/* ntp_served_ts: +-2^-32 s */
	assert_canaries(&f);
}

static void fill_response_stratum16_on_wire_is_0(void **state)
{
	struct ntpd_ref_state st = scenario_state();
	struct framed_packet f;
	const __u8 *b = (const __u8 *)&f.pkt;
	unsigned s;

	(void)state;
	for (s = 0; s < 256; s++) {
		st.stratum = (__u8)s;
		st.leap = NTP_LEAP_NONE;
		make_request(&f, 0x23, 6);
		ntp_fill_response(&f.pkt, &st, &scenario_cfg, SC_RX_TAI, 1);
		assert_int_equal(b[1], s <= 15 ? s : 0);
		/* fresh: LI from the state (0), but stratum 16 and above is
		 * unsynchronised whatever the state's LI says: LI=3 with it */
		assert_int_equal(b[0], s <= 15 ? 0x24 : 0xe4);
		assert_canaries(&f);
	}
}

static void fill_response_keeps_version(void **state)
{
	static const struct { __u8 req, resp; } vec[] = {
		{ 0x0B, 0x0C },	/* v1 client -> v1 server */
		{ 0x08, 0x0C },	/* v1 mode 0 -> v1 server */
		{ 0x13, 0x14 },
		{ 0x1B, 0x1C },
		{ 0x23, 0x24 },
		{ 0xE3, 0x24 },	/* the client's LI is not echoed */
	};
	struct ntpd_ref_state st = scenario_state();
	struct framed_packet f;
	unsigned i;

	(void)state;
	st.leap = NTP_LEAP_NONE;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		make_request(&f, vec[i].req, 6);
		ntp_fill_response(&f.pkt, &st, &scenario_cfg, SC_RX_TAI, 1);
		assert_int_equal(((const __u8 *)&f.pkt)[0], vec[i].resp);
	}
}

static void fill_response_clamps_poll(void **state)
{
	static const struct { __s8 req, min, max, want; } vec[] = {
		{ 6,    4, 17, 6 },
		{ 4,    4, 17, 4 },
		{ 3,    4, 17, 4 },
		{ 0,    4, 17, 4 },
		{ -6,   4, 17, 4 },
		{ -128, 4, 17, 4 },
		{ 17,   4, 17, 17 },
		{ 18,   4, 17, 17 },
		{ 127,  4, 17, 17 },
		{ 5,    6, 10, 6 },
		{ 11,   6, 10, 10 },
		{ 8,    8, 8,  8 },
	};
	struct ntpd_ref_state st = scenario_state();
	struct ntpd_config cfg = scenario_cfg;
	struct framed_packet f;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		cfg.poll_min = vec[i].min;
		cfg.poll_max = vec[i].max;
		make_request(&f, 0x23, vec[i].req);
		ntp_fill_response(&f.pkt, &st, &cfg, SC_RX_TAI, 1);
		if ((__s8)((const __u8 *)&f.pkt)[2] != vec[i].want)
			fail_msg("poll %d in [%d, %d]: got %d want %d", vec[i].req, vec[i].min,
				 vec[i].max, (__s8)((const __u8 *)&f.pkt)[2], vec[i].want);
	}
}

/* Dispersion grows with the age at receive time, saturating */
static void fill_response_grows_dispersion(void **state)
{
	struct ntpd_ref_state st = scenario_state();
	struct framed_packet f;
	const __u8 *b = (const __u8 *)&f.pkt;

	(void)state;
	st.root_dispersion = 0x10000;
	make_request(&f, 0x23, 6);
	ntp_fill_response(&f.pkt, &st, &scenario_cfg, SC_UPDATE_TAI + 1000 * NS, 1);
	assert_int_equal(rd_be32(b + 8), 0x103D8);	/* + 15 ms (984 units) */

	/* published after the receive time (within the freshness slack): no growth */
	st.root_dispersion = 0x10000;
	make_request(&f, 0x23, 6);
	ntp_fill_response(&f.pkt, &st, &scenario_cfg, SC_UPDATE_TAI - 1000, 1);
	assert_int_equal(rd_be32(b + 8), 0x10000);
	make_request(&f, 0x23, 6);
	ntp_fill_response(&f.pkt, &st, &scenario_cfg, SC_UPDATE_TAI, 1);
	assert_int_equal(rd_be32(b + 8), 0x10000);

	st.root_dispersion = 0xFFFFFFF0;
	make_request(&f, 0x23, 6);
	ntp_fill_response(&f.pkt, &st, &scenario_cfg, SC_UPDATE_TAI + 1000 * NS, 1);
	assert_int_equal(rd_be32(b + 8), 0xFFFFFFFF);
	assert_canaries(&f);
}

/* ---- checksums ---------------------------------------------------------- */

/* RFC 1071 4.1, byte-wise: big-endian 16-bit words, end-around carry. */
static __u16 rfc1071_sum(const __u8 *b, size_t len)
{
	__u32 sum = 0;

	while (len > 1) {
		sum += (__u32)b[0] << 8 | b[1];
		b += 2;
		len -= 2;
	}
	if (len)
		sum += (__u32)b[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* A natively stored 16-bit value, read back as the big-endian bytes it is */
static __u16 native_as_be(__u16 v)
{
	__u8 b[2];

	memcpy(b, &v, 2);
	return (__u16)(b[0] << 8 | b[1]);
}

static void csum_fold64_is_mod_65535(void **state)
{
	static const __u64 edges[] = {
		1, 0xFFFF, 0x10000, 0x1FFFE, 0xFFFFFFFF, 0x100000000ULL,
		0xFFFFFFFFFFFFFFFFULL, 0x8000000000000000ULL, 0xFFFF0000FFFF0000ULL,
	};
	unsigned i;

	(void)state;
	rng_state = 4;
	assert_int_equal(csum_fold64(0), 0);
	/* a nonzero one's complement sum folds to [1, 0xffff], congruent mod 0xffff */
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]) + 100000; i++) {
		__u64 x = i < sizeof(edges) / sizeof(edges[0]) ? edges[i] : rng() | 1;
		__u16 want = (__u16)(x % 0xFFFF ? x % 0xFFFF : 0xFFFF);

		if (csum_fold64(x) != want)
			fail_msg("csum_fold64(%#llx) = %#x want %#x", (unsigned long long)x,
				 csum_fold64(x), want);
	}
}

static void csum_words_match_rfc1071(void **state)
{
	__u8 buf[1500];
	unsigned iter, i;

	(void)state;
	rng_state = 5;
	for (iter = 0; iter < 5000; iter++) {
		size_t len = 4 * rng_range(1, sizeof(buf) / 4);
		__u64 sum = 0;

		for (i = 0; i < len; i++)
			buf[i] = (__u8)rng();
		if (iter == 0)
			memset(buf, 0xFF, len);	/* all ones: the carry-heaviest input */
		/* the way the XDP program sums: native 32-bit loads */
		for (i = 0; i < len; i += 4) {
			__u32 w;

			memcpy(&w, buf + i, 4);
			sum += w;
		}
		assert_int_equal(native_as_be(csum_fold64(sum)), rfc1071_sum(buf, len));
	}
}

static void csum_ntp_packet_matches_rfc1071(void **state)
{
	struct ntp_packet pkt;
	unsigned iter, i;

	(void)state;
	rng_state = 6;
	for (iter = 0; iter < 10000; iter++) {
		for (i = 0; i < sizeof(pkt); i++)
			((__u8 *)&pkt)[i] = (__u8)rng();
		assert_int_equal(native_as_be(csum_fold64(csum_ntp_packet(&pkt))),
				 rfc1071_sum((const __u8 *)&pkt, sizeof(pkt)));
	}
}

/* Incremental update (RFC 1624) equals recomputing the checksum from scratch */
static void csum_replace16_matches_recompute(void **state)
{
	__u8 buf[64];
	unsigned iter, i;

	(void)state;
	rng_state = 7;
	for (iter = 0; iter < 100000; iter++) {
		/* word 0 holds the checksum, word 1 is never zero (an all-zero
		 * packet has two checksums, 0x0000 and 0xffff), `at` is another */
		size_t len = 2 * rng_range(3, sizeof(buf) / 2);
		size_t at = 2 * rng_range(2, len / 2 - 1);
		__u16 check, old_w, new_w, got;

		for (i = 0; i < len; i++)
			buf[i] = (__u8)rng();
		if (iter % 7 == 0)	/* make old and new words extreme now and then */
			buf[at] = buf[at + 1] = (iter & 8) ? 0xFF : 0x00;
		buf[2] |= 0x80;
		buf[0] = buf[1] = 0;
		check = (__u16)~rfc1071_sum(buf, len);
		buf[0] = (__u8)(check >> 8);
		buf[1] = (__u8)check;
		assert_int_equal(rfc1071_sum(buf, len), 0xFFFF);	/* a valid packet */

		memcpy(&old_w, buf + at, 2);
		new_w = (__u16)rng();
		if (iter % 5 == 0)
			new_w = (iter & 16) ? 0xFFFF : 0x0000;
		memcpy(buf + at, &new_w, 2);
		{
			__u16 stored;

			memcpy(&stored, buf, 2);
			got = csum_replace16(stored, old_w, new_w);
		}

		buf[0] = buf[1] = 0;
		check = (__u16)~rfc1071_sum(buf, len);
		if (native_as_be(got) != check)
			fail_msg("iter %u len %zu at %zu: incremental %#06x, recomputed %#06x",
				 iter, len, at, native_as_be(got), check);
	}
}

/* The branch-free comparison behind the per-packet leap, at its edges. */
static void ge_mask_is_a_comparison(void **state)
{
	static const struct { __u64 a, b; bool ge; } rows[] = {
		{ 0, 0, true }, { 1, 0, true }, { 0, 1, false }, { ~0ULL, 0, true },
		{ 0, ~0ULL, false }, { ~0ULL, ~0ULL, true }, { 1ULL << 63, (1ULL << 63) - 1, true },
		{ (1ULL << 63) - 1, 1ULL << 63, false }, { 1795000037000000000ULL, ~0ULL, false },
	};
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(ntp_ge_mask(rows[i].a, rows[i].b), rows[i].ge ? ~0ULL : 0);
}

/*
 * ntp_served_ts (both paths) and ntp_served_unix_ns across a state's leap:
 * the line up to the ns before the instant, sign s less from it on, with a
 * frequency and with the base before the instant; LI announced before and 0
 * from the instant on; a zero sign or ~0 instant is no leap at all.
 */
static void served_ts_takes_the_leap_at_the_instant(void **state)
{
	static const struct {
		const char *desc;
		int sign;
		__u64 leap_at;		/* TAI ns after the base; ~0: none */
		__s64 at;		/* reading, ns after the base */
		bool taken;
	} rows[] = {
		{ "insertion, 1 ns before", 1, 700000000, 699999999, false },
		{ "insertion, at", 1, 700000000, 700000000, true },
		{ "insertion, 1 s after", 1, 700000000, 1700000000, true },
		{ "insertion, past the fast window", 1, 700000000, 5 * (__s64)NS, true },
		{ "deletion, 1 ns before", -1, 700000000, 699999999, false },
		{ "deletion, at", -1, 700000000, 700000000, true },
		{ "deletion, before the base", -1, 0, -5, false },
		{ "instant at the base", 1, 0, 0, true },
		{ "sign 0: no leap", 0, 700000000, 800000000, false },
		{ "instant ~0: none", 1, ~0ULL, 800000000, false },
	};
	static const struct ntpd_config cfg = { .poll_min = 4, .poll_max = 17 };
	const __u64 upd = 1795000037123456789ULL;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ntpd_ref_state st = {
			.update_tai_ns = upd,
			.tai_offset_ns = 37 * (__s64)NS,
			.correction_ns = -1234567,
			.freq_scaled = (__s32)(30e-6 * 4294967296.0),
			.leap = NTP_LEAP_INSERT,
			.leap_sign = (__s8)rows[i].sign,
			.leap_tai_ns = rows[i].leap_at == ~0ULL ? ~0ULL : upd + rows[i].leap_at,
		};
		struct ntpd_ref_state flat;
		struct ntp_packet p = { .li_vn_mode = NTP_LI_VN_MODE(0, 4, NTP_MODE_CLIENT) };
		__u64 tai = upd + (__u64)rows[i].at, want_unix, want_ts;
		__s64 leap = rows[i].taken ? rows[i].sign * (__s64)NS : 0;

		ntp_state_set_base(&st);
		flat = st;
		flat.leap_sign = 0;
		want_unix = ntp_served_unix_ns(&flat, tai) - (__u64)leap;
		want_ts = ntp_ts_from_unix_ns(want_unix);
		if (udiff(ntp_served_ts(&st, tai), want_ts) > 1)
			print_message("# %s: %#llx, want %#llx\n", rows[i].desc,
				      (unsigned long long)ntp_served_ts(&st, tai),
				      (unsigned long long)want_ts);
		assert_int_equal(ntp_served_unix_ns(&st, tai), want_unix);
		assert_true(udiff(ntp_served_ts(&st, tai), want_ts) <= 1);
		/* the base stays on the line whatever side of the leap it is */
		assert_int_equal(st.base_ntp, flat.base_ntp);
		ntp_fill_response(&p, &st, &cfg, tai, 1);
		assert_int_equal(NTP_LI(p.li_vn_mode), rows[i].taken ? NTP_LEAP_NONE : NTP_LEAP_INSERT);
		assert_int_equal(bpf_be64_to_cpu(p.receive_ts), ntp_served_ts(&st, tai));
		assert_int_equal(ntp_served_ts_masked(&st, tai, ntp_leap_mask(&st, tai)),
				 ntp_served_ts(&st, tai));
	}
}

/*
 * The one builder takes the mode: a broadcast (5), a server answer (4) and
 * a symmetric passive one (2) from the same request and state differ in the
 * mode bits alone, and ntp_fill_response() picks 4 or 2 from the request.
 */
static void fill_answer_takes_the_mode(void **state)
{
	static const struct { __u8 req_mode, mode; } rows[] = {
		{ NTP_MODE_CLIENT, NTP_MODE_SERVER },
		{ NTP_MODE_SYM_ACTIVE, NTP_MODE_SYM_PASSIVE },
		{ NTP_MODE_CLIENT, NTP_MODE_BROADCAST },
	};
	struct ntpd_ref_state st = scenario_state();
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct framed_packet a, b;

		make_request(&a, NTP_LI_VN_MODE(0, 3, rows[i].req_mode), 6);
		b = a;
		ntp_fill_answer(&a.pkt, &st, &scenario_cfg, SC_RX_TAI, 1, rows[i].mode);
		assert_int_equal(NTP_MODE(a.pkt.li_vn_mode), rows[i].mode);
		assert_int_equal(NTP_VN(a.pkt.li_vn_mode), 3);
		ntp_fill_response(&b.pkt, &st, &scenario_cfg, SC_RX_TAI, 1);
		assert_int_equal(NTP_MODE(b.pkt.li_vn_mode), rows[i].req_mode == NTP_MODE_CLIENT ?
			NTP_MODE_SERVER : NTP_MODE_SYM_PASSIVE);
		b.pkt.li_vn_mode = (__u8)((b.pkt.li_vn_mode & ~7) | rows[i].mode);
		assert_memory_equal(&a.pkt, &b.pkt, sizeof(a.pkt));
		assert_int_equal(bpf_be64_to_cpu(a.pkt.receive_ts), SC_RX_TS);
		assert_canaries(&a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ts_unix_epoch),
		cmocka_unit_test(ts_known_date_with_fraction),
		cmocka_unit_test(ts_era_boundary),
		cmocka_unit_test(ts_fraction_rounding),
		cmocka_unit_test(ts_pivot_picks_era),
		cmocka_unit_test(ts_to_unix_matches_reference),
		cmocka_unit_test(ts_round_trip),
		cmocka_unit_test(short_format),
		cmocka_unit_test(short_format_saturates_below_65536_s),
		cmocka_unit_test(dispersion_grow),
		cmocka_unit_test(dispersion_grow_large_ages),
		cmocka_unit_test(dispersion_grow_within_max_age_option),
		cmocka_unit_test(dispersion_phi_constant),
		cmocka_unit_test(served_unix_ns),
		cmocka_unit_test(state_fresh),
		cmocka_unit_test(state_base),
		cmocka_unit_test(served_ts_matches_exact),
		cmocka_unit_test(served_ts_monotonic),
		cmocka_unit_test(served_ts_follows_frequency),
		cmocka_unit_test(ge_mask_is_a_comparison),
		cmocka_unit_test(served_ts_takes_the_leap_at_the_instant),
		cmocka_unit_test(fill_answer_takes_the_mode),
		cmocka_unit_test(latency_buckets),
		cmocka_unit_test(classify_all_versions_and_modes),
		cmocka_unit_test(fill_response_fields),
		cmocka_unit_test(fill_response_stale_is_unsynchronised),
		cmocka_unit_test(fill_response_stratum16_on_wire_is_0),
		cmocka_unit_test(fill_response_keeps_version),
		cmocka_unit_test(fill_response_clamps_poll),
		cmocka_unit_test(fill_response_grows_dispersion),
		cmocka_unit_test(csum_fold64_is_mod_65535),
		cmocka_unit_test(csum_words_match_rfc1071),
		cmocka_unit_test(csum_ntp_packet_matches_rfc1071),
		cmocka_unit_test(csum_replace16_matches_recompute),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
